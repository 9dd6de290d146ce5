# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""gridcloud-elastic (roles/elastic/files/gridcloud_elastic.py), SLURM's resume and suspend
program, with the playbook runs and scontrol replaced by a recorder."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess

import pytest

PROGRAM = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "roles", "elastic", "files", "gridcloud_elastic.py")
SPEC = importlib.util.spec_from_file_location("gridcloud_elastic", PROGRAM)
elastic = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(elastic)


class Recorder:
    """Stands in for subprocess.run: records every command; playbook runs write their output
    and end with the return code the test gives for their action variable."""

    def __init__(self, playbook_rc=None, hostnames="", timeout_for=None):
        self.calls = []
        self.playbook_rc = playbook_rc or {}
        self.hostnames = hostnames
        self.timeout_for = timeout_for

    def __call__(self, argv, **kwargs):
        self.calls.append(argv)
        if argv[:3] == ["scontrol", "show", "hostnames"]:
            return subprocess.CompletedProcess(argv, 0 if self.hostnames else 1,
                                               self.hostnames, "bad hostlist")
        if argv[0] == "scontrol":
            return subprocess.CompletedProcess(argv, 0, "", "")
        variable = next(iter(json.loads(argv[-1])))
        if variable == self.timeout_for:
            raise subprocess.TimeoutExpired(argv, kwargs["timeout"])
        rc = self.playbook_rc.get(variable, 0)
        kwargs["stdout"].write("PLAY RECAP\n" if rc == 0 else
                               'fatal: [localhost]: FAILED! => {"msg": "image gone"}\n')
        return subprocess.CompletedProcess(argv, rc)

    def playbook_runs(self):
        return [json.loads(argv[-1]) for argv in self.calls if argv[0] != "scontrol"]

    def scontrol_updates(self):
        return [argv for argv in self.calls if argv[:2] == ["scontrol", "update"]]


@pytest.fixture
def config(tmp_path):
    (tmp_path / "out").mkdir()
    return {"inventory": "/var/lib/gridcloud-elastic/cluster.yml",
            "playbook": "gridcloud.arc_cluster.elastic",
            "ansible_playbook": "/usr/bin/ansible-playbook",
            "log": str(tmp_path / "elastic.log"), "output_dir": str(tmp_path / "out"),
            "lock": str(tmp_path / "lock"), "timeout": 840,
            "environment": {"ANSIBLE_CONFIG": "/var/lib/gridcloud-elastic/ansible.cfg"}}


def log_lines(config):  # pylint: disable=redefined-outer-name
    with open(config["log"], encoding="utf-8") as handle:
        return [line.split(" ", 1)[1] for line in handle.read().splitlines()]


def test_resume_runs_the_playbook_and_logs_what_was_asked_and_done(config):
    runner = Recorder()
    clock = iter([100.0, 174.4])

    rc = elastic.Elastic(config, runner=runner, clock=lambda: next(clock))(
        "resume", ["demo-compute002", "demo-compute003"], jobs=[12, 13])

    assert rc == 0
    assert runner.calls[0][:4] == ["/usr/bin/ansible-playbook", "-i", config["inventory"],
                                   "gridcloud.arc_cluster.elastic"]
    assert runner.playbook_runs() == [{"elastic_up": ["demo-compute002", "demo-compute003"]}]
    lines = log_lines(config)
    assert lines[0] == "resume asked nodes=demo-compute002,demo-compute003 jobs=12,13"
    assert lines[1].startswith("resume done nodes=demo-compute002,demo-compute003 seconds=74 "
                               "output=%s/" % config["output_dir"])
    output = lines[1].rsplit("output=", 1)[1]
    assert output.endswith("-resume-2-nodes.log")
    assert open(output, encoding="utf-8").read() == "PLAY RECAP\n"
    assert runner.scontrol_updates() == []


def test_suspend_removes_the_nodes(config):
    runner = Recorder()

    rc = elastic.Elastic(config, runner=runner)("suspend", ["demo-compute002"])

    assert rc == 0
    assert runner.playbook_runs() == [{"elastic_down": ["demo-compute002"]}]
    assert [line.split(" nodes=")[0] for line in log_lines(config)] == [
        "suspend asked", "suspend done"]


def test_a_failed_resume_cleans_up_and_sets_the_node_down_with_the_reason(config):
    runner = Recorder(playbook_rc={"elastic_up": 2})

    rc = elastic.Elastic(config, runner=runner)("resume", ["demo-compute002"])

    assert rc == 1
    # what was half made is removed, then SLURM is told
    assert runner.playbook_runs() == [{"elastic_up": ["demo-compute002"]},
                                      {"elastic_down": ["demo-compute002"]}]
    down, power_down = runner.scontrol_updates()
    assert down[2:4] == ["nodename=demo-compute002", "state=DOWN"]
    assert down[4].startswith("reason=gridcloud-elastic: making the node failed, see ")
    # then powered down at once, so that it is idle again after SuspendTimeout, not ResumeTimeout
    assert power_down[2:] == ["nodename=demo-compute002", "state=POWER_DOWN_FORCE"]
    lines = log_lines(config)
    assert [line.split(" nodes=")[0] for line in lines] == [
        "resume asked", "resume failed", "resume cleaned"]
    assert 'why="fatal: [localhost]: FAILED! => {\\"msg\\": \\"image gone\\"}"' in lines[1]


def test_a_resume_that_overruns_its_time_is_a_failure(config):
    runner = Recorder(timeout_for="elastic_up")

    rc = elastic.Elastic(config, runner=runner)("resume", ["demo-compute002"])

    assert rc == 1
    assert "resume failed" in log_lines(config)[1]
    assert len(runner.scontrol_updates()) == 2


def test_resume_fail_removes_what_was_made(config):
    runner = Recorder()

    assert elastic.Elastic(config, runner=runner)("resume-fail", ["demo-compute002"]) == 0
    assert runner.playbook_runs() == [{"elastic_down": ["demo-compute002"]}]
    assert runner.scontrol_updates() == []  # SLURM has set it DOWN itself


def test_the_hostlist_is_expanded_by_scontrol():
    runner = Recorder(hostnames="demo-compute002\ndemo-compute003\n")

    assert elastic.expand_hostlist("demo-compute[002-003]", runner=runner) == [
        "demo-compute002", "demo-compute003"]
    with pytest.raises(elastic.ElasticError) as info:
        elastic.expand_hostlist("x[", runner=Recorder())
    assert "scontrol cannot expand the node list 'x['" in str(info.value)


def test_the_jobs_come_from_slurm_resume_file(tmp_path):
    path = tmp_path / "resume.json"
    path.write_text(json.dumps({"all_nodes_resume": "demo-compute[002-003]", "jobs": [
        {"job_id": 13, "nodes_resume": "demo-compute003"},
        {"job_id": 12, "nodes_resume": "demo-compute002"}]}))

    assert elastic.jobs_of(str(path)) == [12, 13]
    assert elastic.jobs_of(str(tmp_path / "gone")) == []
    assert elastic.jobs_of(None) == []
    # the resume wrapper hands the file over as standard input: sudo closes SLURM's descriptor
    with path.open(encoding="utf-8") as stdin:
        assert elastic.jobs_of("-", stdin=stdin) == [12, 13]
    assert elastic.jobs_of("-", stdin=io.StringIO("[]")) == []


def test_settings_without_a_key_are_refused_naming_it(tmp_path, config):
    del config["lock"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))

    with pytest.raises(elastic.ElasticError) as info:
        elastic.read_config(str(path))
    assert "lack lock" in str(info.value)


def test_main_says_why_it_cannot_start(tmp_path, capsys):
    rc = elastic.main(["resume", "demo-compute002", "--config", str(tmp_path / "none.json")])

    assert rc == 2
    assert "gridcloud-elastic: cannot read the settings" in capsys.readouterr().err


def test_the_log_says_why_a_run_failed(tmp_path):
    output = tmp_path / "run.log"
    output.write_text("PLAY [x]\n[ERROR]: couldn't resolve module/action 'community.mysql.mysql_db'.\n"
                      "Origin: /x/database.yml:7:3\n\n7 - name: Create aCT's database\n\n")
    assert elastic.last_failure(str(output)) == (
        "[ERROR]: couldn't resolve module/action 'community.mysql.mysql_db'.")
    output.write_text("something odd\n\n")
    assert elastic.last_failure(str(output)) == "something odd"
    assert elastic.last_failure(str(tmp_path / "gone")) == "no output"


def test_a_hold_refuses_resumes_and_sets_the_nodes_down_with_the_reason(config):
    runner = Recorder()
    program = elastic.Elastic(config, runner=runner)

    assert program.hold(wait=5) == 0
    rc = program("resume", ["demo-compute002"], jobs=[12])

    assert rc == 1
    assert runner.playbook_runs() == []
    assert runner.scontrol_updates()[0][3:] == [
        "state=DOWN", "reason=gridcloud-elastic: held, the cluster is being destroyed"]
    lines = log_lines(config)
    assert lines[:2] == ["hold asked", "hold done waited=0"]
    assert lines[-1].startswith("resume refused nodes=demo-compute002 ")
    # a suspend still removes nodes; release lets resumes make them again
    assert program("suspend", ["demo-compute002"]) == 0
    assert program.release() == 0
    assert program("resume", ["demo-compute002"]) == 0
    assert runner.playbook_runs() == [{"elastic_down": ["demo-compute002"]},
                                      {"elastic_up": ["demo-compute002"]}]


def test_a_hold_waits_for_the_run_in_progress_and_says_when_it_overruns(config):
    import fcntl  # pylint: disable=import-outside-toplevel
    with open(config["lock"], "a", encoding="utf-8") as other_run:
        fcntl.flock(other_run, fcntl.LOCK_EX)
        with pytest.raises(elastic.ElasticError) as info:
            with elastic.one_at_a_time(config["lock"], wait=0, sleep=lambda seconds: None):
                pass
        assert "a run was still in progress after 0 s" in str(info.value)
        rc = elastic.main(["hold", "--wait", "0", "--config", write_config(config)])
    assert rc == 2
    assert log_lines(config)[-1].startswith("hold failed why=")
    assert elastic.main(["hold", "--wait", "0", "--config", write_config(config)]) == 0


def test_resume_without_nodes_is_refused(config, capsys):
    assert elastic.main(["resume", "--config", write_config(config)]) == 2
    assert "resume needs the nodes" in capsys.readouterr().err


def write_config(config):  # pylint: disable=redefined-outer-name
    path = os.path.join(config["output_dir"], "config.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(config, handle)
    return path
