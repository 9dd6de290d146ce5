# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The act_job module: its database script runs for real, against a fake aCT (fake_act/)."""

from __future__ import annotations

import json
import os
import sys

import pytest

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils import job_module
from ansible_collections.gridcloud.arc_cluster.plugins.modules import act_job

FAKE_ACT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_act")
HELLO = '&(executable="/bin/sh")(arguments="-c" "echo hi")(stdout="out.txt")(outputfiles=("out.txt" ""))'
SITE_URL = "https://molact-frontend001/arex"


class Act:
    """A venv whose python is this one, a config file, and the fake database's JSON file."""

    def __init__(self, tmp_path):
        self.venv = tmp_path / "venv"
        (self.venv / "bin").mkdir(parents=True)
        (self.venv / "bin" / "python").symlink_to(sys.executable)
        self.config = tmp_path / "aCTConfigARC.yaml"
        self.config.write_text("# fake\n")
        self.tmpdir = tmp_path / "acttmp"
        self.tmpdir.mkdir()
        self.db = tmp_path / "db.json"
        self.state = {"sites": {"molact": SITE_URL}, "tmpdir": str(self.tmpdir), "jobs": []}
        self.save()
        self.service = "active"
        self.calls = []

    def save(self):
        self.db.write_text(json.dumps(self.state))

    def load(self):
        self.state = json.loads(self.db.read_text())
        return self.state

    def args(self, **extra):
        args = {"venv": str(self.venv), "config": str(self.config)}
        args.update(extra)
        return args


@pytest.fixture
def act(tmp_path, monkeypatch):
    from ansible.module_utils import basic

    fake = Act(tmp_path)
    real = basic.AnsibleModule.run_command

    def run_command(self, args, **kwargs):
        fake.calls.append(args[0] if args[0] == "systemctl" else "python")
        if args[0] == "systemctl":
            return (0, "active\n", "") if fake.service == "active" else (3, fake.service + "\n", "")
        env = dict(kwargs.pop("environ_update", {}) or {},
                   FAKE_ACT_DB=str(fake.db), PYTHONPATH=FAKE_ACT)
        return real(self, args, environ_update=env, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(job_module.time, "sleep", lambda seconds: None)
    return fake


def test_job_for_a_site_goes_to_done_with_its_ids_and_outputs(ansible_module, act):
    act.state["next_states"] = [
        {"arcstate": "submitted", "IDFromEndpoint": "3e8a2c0b17f4",
         "JobID": SITE_URL + "/rest/1.0/jobs/3e8a2c0b17f4", "State": "Queuing"},
        {"arcstate": "running", "State": "Running"},
        {"arcstate": "done", "State": "Finished", "ExitCode": 0}]
    act.save()
    out = act.tmpdir / "3e8a2c0b17f4"
    out.mkdir()
    (out / "out.txt").write_text("hi\n")
    result = ansible_module(act_job.main, act.args(xrsl=HELLO, site="molact", appjobid="t1"))
    assert result["changed"] is True
    assert result.get("failed") is not True, result
    assert (result["act_id"], result["arc_id"], result["state"]) == (1, "3e8a2c0b17f4", "done")
    assert (result["arc_state"], result["exit_code"]) == ("Finished", 0)
    assert result["job_url"] == SITE_URL + "/rest/1.0/jobs/3e8a2c0b17f4"
    assert result["clusterlist"] == [SITE_URL + "/main"]
    assert result["output_dir"] == str(out)
    assert result["outputs"] == [str(out / "out.txt")]
    job = act.load()["jobs"][0]
    assert job["row"]["clusterlist"] == SITE_URL + "/main"
    # "/" (the whole session dir): aCT reads an empty downloadfiles as one pattern "" that
    # matches no file, and fetches nothing (seen with aCT a54fdb6 in molecule scenario default)
    assert job["inserted"] == {"jobdesc": HELLO, "proxyid": 1, "appjobid": "t1", "downloadfiles": "/"}


def test_clusterlist_and_src_file(ansible_module, act, tmp_path):
    src = tmp_path / "job.xrsl"
    src.write_text(HELLO)
    result = ansible_module(act_job.main, act.args(
        src=str(src), clusterlist=[SITE_URL + "/long", SITE_URL + "/main/"], wait=False))
    assert (result["changed"], result["act_id"], result["state"]) == (True, 1, "tosubmit")
    assert act.load()["jobs"][0]["row"]["clusterlist"] == SITE_URL + "/long," + SITE_URL + "/main"


def test_unknown_site_is_refused_naming_the_known_ones(ansible_module, act):
    result = ansible_module(act_job.main, act.args(xrsl=HELLO, site="nosuch"))
    assert result["failed"] is True
    assert result["msg"].startswith("site nosuch is unknown to aCT; its sites are: molact (%s)" % SITE_URL)
    assert act.load()["jobs"] == []


def test_cluster_outside_every_site_is_refused(ansible_module, act):
    result = ansible_module(act_job.main, act.args(xrsl=HELLO, clusterlist=["https://other.example.org/arex/main"]))
    assert result["failed"] is True
    assert "cluster https://other.example.org/arex/main is not under the endpoint of a site" in result["msg"]
    assert act.load()["jobs"] == []


def test_act_down_is_reported_before_anything_is_inserted(ansible_module, act):
    act.service = "inactive"
    result = ansible_module(act_job.main, act.args(xrsl=HELLO, site="molact"))
    assert result["failed"] is True
    assert result["msg"].startswith("aCT is not running (systemctl is-active act: inactive)")
    assert act.calls == ["systemctl"]


def test_database_down_is_reported(ansible_module, act):
    act.state["db_down"] = True
    act.save()
    result = ansible_module(act_job.main, act.args(xrsl=HELLO, site="molact"))
    assert result["failed"] is True
    assert result["msg"].startswith("cannot use aCT's database")
    assert "Can't connect to MySQL server" in result["msg"]


def test_bad_xrsl_and_missing_venv(ansible_module, act, tmp_path):
    result = ansible_module(act_job.main, act.args(xrsl="executable=/bin/true", site="molact"))
    assert result["msg"] == "the job description is not valid xRSL: ARC cannot parse the job description"
    result = ansible_module(act_job.main, act.args(xrsl=HELLO, site="molact", venv=str(tmp_path / "no")))
    assert "has no bin/python: is aCT installed" in result["msg"]


def test_check_mode_inserts_nothing(ansible_module, act):
    result = ansible_module(act_job.main, act.args(xrsl=HELLO, site="molact", _ansible_check_mode=True))
    assert (result["changed"], result["act_id"]) == (True, None)
    assert result["clusterlist"] == [SITE_URL + "/main"]
    assert act.load()["jobs"] == []


def test_failed_job_fails_unless_asked_not_to(ansible_module, act):
    act.state["next_states"] = [{"arcstate": "failed", "State": "Failed", "ExitCode": 1,
                                 "IDFromEndpoint": "abc", "Error": "LRMS error: (1) Job failed"}]
    act.save()
    result = ansible_module(act_job.main, act.args(xrsl=HELLO, site="molact"))
    assert result["failed"] is True
    assert result["msg"] == "aCT job 1 ended failed (ARC state Failed, exit code 1): LRMS error: (1) Job failed"
    act.state = act.load()
    act.state["next_states"] = [{"arcstate": "done", "State": "Finished", "ExitCode": 2}]
    act.save()
    result = ansible_module(act_job.main, act.args(xrsl=HELLO, site="molact", fail_on_job_failure=False))
    assert result.get("failed") is not True
    assert (result["state"], result["exit_code"]) == ("done", 2)


@pytest.fixture
def slow_clock(monkeypatch):
    """Each look at the clock is 100 s later: a timeout of 250 allows three looks at the job."""
    ticks = iter(range(0, 10000, 100))
    monkeypatch.setattr(job_module.time, "monotonic", lambda: next(ticks))


def run_out_of_time(ansible_module, act, states, **args):
    """Run act_job with a timeout of 250 s (with slow_clock: three looks) for a job that goes
    through ``states``, one per look."""
    act.state["next_states"] = states
    act.save()
    return ansible_module(act_job.main, act.args(xrsl=HELLO, site="molact", timeout=250, **args))


def test_timeout_names_the_last_state(ansible_module, act, slow_clock):
    result = run_out_of_time(ansible_module, act, [{"arcstate": "submitted", "State": "Queuing"}] * 5)
    assert result["failed"] is True
    assert result["msg"] == "aCT job 1 did not reach a final state within 250s (last state: submitted, ARC state Queuing)"
    assert result["act_id"] == 1


def test_a_job_that_timed_out_before_act_took_it_is_deleted_when_asked(ansible_module, act, slow_clock):
    result = run_out_of_time(ansible_module, act, [{"arcstate": "tosubmit"}] * 5, cancel_on_timeout=True)
    assert result["failed"] is True
    assert result["msg"] == ("aCT job 1 did not reach a final state within 250s (last state: tosubmit); "
                             "deleted it from aCT, which had not submitted it yet")
    assert (result["act_id"], result["cancelled"]) == (1, "deleted")
    state = act.load()
    assert state["jobs"] == []
    assert state["locks"] == ["get arcjobs", "release arcjobs"]


def test_a_submitted_job_that_timed_out_is_set_tocancel_when_asked(ansible_module, act, slow_clock):
    result = run_out_of_time(ansible_module, act, [{"arcstate": "submitted", "State": "Queuing",
                                                    "IDFromEndpoint": "abc"}] * 5, cancel_on_timeout=True)
    assert result["failed"] is True
    assert result["msg"] == ("aCT job 1 did not reach a final state within 250s (last state: submitted, "
                             "ARC state Queuing); set it tocancel, so that aCT cancels it on the CE")
    assert (result["state"], result["cancelled"], result["arc_id"]) == ("tocancel", "tocancel", "abc")
    row = act.load()["jobs"][0]["row"]
    assert (row["arcstate"], row["tarcstate"]) == ("tocancel", "2026-12-03T12:00:00")


def test_a_job_that_ended_at_the_deadline_is_left_and_reported(ansible_module, act, slow_clock):
    states = [{"arcstate": "running", "State": "Running"}] * 3 + [{"arcstate": "done", "State": "Finished", "ExitCode": 0}]
    result = run_out_of_time(ansible_module, act, states, cancel_on_timeout=True)
    assert result.get("failed") is not True, result
    assert (result["state"], result["exit_code"], result["cancelled"]) == ("done", 0, None)
    assert act.load()["jobs"][0]["row"]["arcstate"] == "done"


def test_a_job_that_timed_out_stays_in_act_by_default(ansible_module, act, slow_clock):
    result = run_out_of_time(ansible_module, act, [{"arcstate": "tosubmit"}] * 5)
    assert result["failed"] is True
    assert result["cancelled"] is None
    state = act.load()
    assert [job["row"]["arcstate"] for job in state["jobs"]] == ["tosubmit"]
    assert "locks" not in state


def test_the_cancel_says_so_when_act_s_table_stays_locked(ansible_module, act, slow_clock):
    act.state["lock_busy"] = True
    result = run_out_of_time(ansible_module, act, [{"arcstate": "tosubmit"}] * 5, cancel_on_timeout=True)
    assert result["failed"] is True
    assert "could not lock aCT's arcjobs table within 20 s" in result["msg"]
    assert [job["row"]["arcstate"] for job in act.load()["jobs"]] == ["tosubmit"]
