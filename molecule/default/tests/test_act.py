"""aCT on the frontend: MariaDB, aCT's database, configuration and service, and (with
ACT_SOURCE) a job through aCT -> A-REX over REST -> SLURM on the worker -> aCT's output dir.

Without ACT_SOURCE the scenario sets the frontend up with act_install_source: none, and every
test that needs aCT itself is skipped with that reason.
"""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from gridcloud_molecule import DEFINITION, PROJECT, node, run_module, run_playbook

testinfra_hosts = ["mol-frontend001"]

FRONTEND = "mol-frontend001"
WORKERS = ["mol-compute001", "mol-compute002"]
ACT_SOURCE = os.environ.get("ACT_SOURCE", "")
needs_act = pytest.mark.skipif(
    not ACT_SOURCE,
    reason="ACT_SOURCE is not set: aCT's source cannot be fetched here, so the frontend was set up "
           "without aCT (act_install_source: none); set ACT_SOURCE to an aCT checkout or wheel to run this")
HELLO = ('&(executable="/bin/sh")(arguments="-c" "echo hello from $(hostname) as $(id -un)")'
         '(stdout="out.txt")(stderr="err.txt")(outputfiles=("out.txt" ""))(jobname="acthello")')


def password():
    """The generated password, read where the collection keeps it (cluster.secrets_dir default)."""
    definition = yaml.safe_load(DEFINITION.read_text())
    configured = definition["cluster"].get("secrets_dir")
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    directory = (Path(os.path.expanduser(configured)) if configured
                 else Path(data_home) / "gridcloud" / "clusters" / definition["cluster"]["name"] / "secrets")
    path = directory / "act-db.password"
    assert path.is_file(), "no %s" % path
    assert path.stat().st_mode & 0o077 == 0, "%s is readable by others" % path
    return path.read_text().strip()


def test_mariadb_runs_on_the_loopback_only(host):
    assert host.service("mariadb").is_running
    assert host.socket("tcp://127.0.0.1:3306").is_listening
    assert not host.socket("tcp://0.0.0.0:3306").is_listening


def test_the_database_and_its_user_exist(host):
    dbs = host.check_output("mariadb -N -e 'SHOW DATABASES'").split()
    assert "act" in dbs
    users = host.check_output("mariadb -N -e \"SELECT CONCAT(user,'@',host) FROM mysql.user\"").split()
    assert {"act@localhost", "act@127.0.0.1"} <= set(users)


def test_act_connects_with_its_password(host):
    cmd = "mariadb -h 127.0.0.1 -u act -p%s -N -e 'SELECT 1' act" % password()
    assert host.run(cmd).stdout.strip() == "1"


def test_config_files_are_valid_yaml_with_the_local_site(host):
    arc = host.file("/etc/act/aCTConfigARC.yaml")
    assert (arc.user, arc.group, arc.mode) == ("root", "act", 0o640)
    conf = yaml.safe_load(arc.content_string)
    assert conf["sites"] == {"mol": {"endpoint": "https://%s/arex" % FRONTEND, "maxjobs": 100, "submitters": 1}}
    assert conf["db"]["host"] == "127.0.0.1" and "socket" not in conf["db"]
    assert conf["db"]["password"] == password()
    assert conf["actlocation"]["dir"] == "/opt/act/lib/python3.13/site-packages"
    assert conf["voms"]["proxypath"] == "/var/lib/act/proxy.pem"
    app = yaml.safe_load(host.file("/etc/act/aCTConfigAPP.yaml").content_string)
    assert app == {"modules": {"app": []}}


def test_the_ce_serves_rest_and_acts_proxy_is_valid(host):
    assert host.service("arc-arex-ws").is_running
    left = host.run("runuser -u act -- env X509_USER_PROXY=/var/lib/act/proxy.pem arcproxy --infoitem=validityLeft")
    assert int(left.stdout.strip().splitlines()[-1]) > 24 * 3600
    assert host.service("act-proxy.timer").is_enabled


def test_the_venv_has_the_pinned_connector_and_the_arc_compatibility(host):
    version = host.check_output("/opt/act/bin/python -c 'import mysql.connector as m; print(m.__version__)'")
    assert version.startswith("8.")
    check = host.run("/opt/act/bin/python -c 'import arc; arc.JobDescription_Parse; "
                     "arc.Logger_getRootLogger; assert \"LOGDIR\" not in dir(arc.Job())'")
    assert check.rc == 0, check.stderr


def test_the_password_is_not_in_the_repository():
    secret = password()
    tracked = subprocess.run(["git", "grep", "-I", "-l", "-F", secret], cwd=PROJECT,
                             capture_output=True, text=True, check=False)
    assert tracked.stdout == ""


def test_the_password_never_appears_in_verbose_output():
    rc, output = run_playbook("apply-role.yml", "-v", "-e", "apply_role=act")
    assert rc == 0, output[-3000:]
    assert password() not in output
    assert re.search(r"%s\s*: ok=\d+\s+changed=0 " % FRONTEND, output), output[-1500:]


def test_auto_with_no_source_and_the_git_host_out_of_reach_leaves_act_out_in_one_line(host):
    """act_install_source auto, no act_source_path, act_git_url not answering: the role says so in
    one line, keeps the decision as the local fact gridcloud_act, and the smoke test skips aCT
    naming the reason. The scenario's own settings are applied again afterwards."""
    unreachable = "http://127.0.0.1:9/aCT.git"
    auto = ["-e", "act_install_source=auto", "-e", "act_source_path=",
            "-e", "act_git_url=%s" % unreachable, "-e", "act_git_probe_timeout=10"]
    try:
        rc, output = run_playbook("apply-role.yml", "-e", "apply_role=act", *auto)
        assert rc == 0, output[-3000:]
        said = re.findall(r"aCT is left out, the rest of the frontend is set up: act_install_source "
                          r"auto: (\S+) is out of reach from this node \((.+?)\) and "
                          r"act_source_path \(ACT_SOURCE in the examples\) is not set", output)
        assert said and said[0][0] == unreachable, output[-3000:]
        fact = json.loads(host.file("/etc/ansible/facts.d/gridcloud_act.fact").content_string)
        assert fact["install_source"] == "none" and unreachable in fact["reason"], fact
        if not ACT_SOURCE:
            # the smoke test, run alone, reads the decision from the node
            rc, output = run_playbook("gridcloud.arc_cluster.smoke", "-e", "act_install_source=auto",
                                      "-e", "smoke_slurm=false", "-e", "smoke_cvmfs=false",
                                      "-e", "smoke_arc=false")
            assert "aCT is not installed (act_install_source auto: %s is out of reach" % unreachable \
                in output, output[-3000:]
    finally:
        rc, output = run_playbook("apply-role.yml", "-e", "apply_role=act")
        assert rc == 0, output[-3000:]
    fact = json.loads(host.file("/etc/ansible/facts.d/gridcloud_act.fact").content_string)
    assert fact["install_source"] == ("path" if ACT_SOURCE else "none"), fact


@needs_act
def test_acts_tables_exist(host):
    tables = host.check_output("mariadb -N -e 'SHOW TABLES' act").split()
    assert {"arcjobs", "jobdescriptions", "proxies"} <= set(tables)


@needs_act
def test_act_runs_as_its_unit(host):
    assert host.file("/etc/systemd/system/act.service").exists
    assert host.service("act").is_enabled
    assert host.service("act").is_running
    assert "act" in host.check_output("ps -o user= -C actmain || ps -o user= -u act").split()


@needs_act
def test_a_job_through_act_reaches_done_on_the_worker(host):
    args = {"xrsl": HELLO, "site": "mol", "queue": "main", "timeout": 600, "appjobid": "molecule"}
    rc, result, output = run_module(FRONTEND, "gridcloud.arc_cluster.act_job", args)
    assert rc == 0, output
    assert result["state"] == "done" and result["arc_state"] == "Finished", result
    assert result["exit_code"] == 0
    assert result["output_dir"] == "/var/lib/act/tmp/%s" % result["arc_id"]
    out = host.file(result["output_dir"] + "/out.txt")
    assert out.content_string in ["hello from %s as grid\n" % worker for worker in WORKERS]


@needs_act
def test_a_job_whose_wait_runs_out_before_act_takes_it_is_deleted_from_act(host):
    """aCT is stopped, so the job stays in tosubmit: cancel_on_timeout deletes it, as aCT's client does."""
    assert host.run("systemctl stop act").rc == 0
    try:
        args = {"xrsl": HELLO, "site": "mol", "queue": "main", "timeout": 6, "poll_interval": 2,
                "appjobid": "cancelunsent", "service": "", "cancel_on_timeout": True}
        rc, result, output = run_module(FRONTEND, "gridcloud.arc_cluster.act_job", args)
        assert rc != 0, output
        assert result["cancelled"] == "deleted", result
        assert result["msg"].endswith("deleted it from aCT, which had not submitted it yet"), result
        rows = host.check_output("mariadb -N -e \"SELECT COUNT(*) FROM arcjobs WHERE appjobid='cancelunsent'\" act")
        assert rows.strip() == "0"
    finally:
        host.run("mariadb -e \"DELETE FROM arcjobs WHERE appjobid='cancelunsent'\" act")
        assert host.run("systemctl start act").rc == 0


@needs_act
def test_a_running_job_whose_wait_runs_out_is_cancelled_on_the_ce_by_act(host):
    """A job that sleeps past the module's timeout: set tocancel, aCT kills it at the CE (SLURM
    no longer has it) and it ends cancelled, a final state the destroy playbook does not count."""
    sleeper = '&(executable="/bin/sleep")(arguments="600")(jobname="actsleeper")'
    args = {"xrsl": sleeper, "site": "mol", "queue": "main", "timeout": 90, "poll_interval": 3,
            "appjobid": "cancelrunning", "cancel_on_timeout": True}
    rc, result, output = run_module(FRONTEND, "gridcloud.arc_cluster.act_job", args)
    assert rc != 0, output
    assert (result["cancelled"], result["state"]) == ("tocancel", "tocancel"), result
    assert result["arc_id"], result  # aCT had submitted it to the CE
    state = host.check_output(
        "for i in $(seq 80); do s=$(mariadb -N -e \"SELECT arcstate FROM arcjobs WHERE id=%d\" act);"
        " [ \"$s\" = cancelled ] && break; sleep 3; done; echo $s" % result["act_id"])
    assert state.strip() == "cancelled"
    assert "actsleeper" not in host.check_output("squeue --noheader --format=%j")


def setup_run(tmp_path, name, *extra):
    """Run the setup playbook; return the frontend's smoke checks {check: (result, detail)} and its output."""
    results = tmp_path / ("%s.json" % name)
    rc, output = run_playbook("gridcloud.arc_cluster.setup", "-e", "smoke_results_file=%s" % results, *extra)
    assert rc == 0, output[-3000:]
    checks = json.loads(results.read_text())["results"]
    return {c["check"]: (c["result"], c["detail"]) for c in checks if c["node"] == FRONTEND}, output


@needs_act
def test_the_act_job_put_in_at_the_start_of_setup_stands_only_while_its_services_run_on(tmp_path):
    """setup puts the smoke test's aCT job in before the roles run, where aCT and A-REX run
    already. A run that changes aCT's configuration restarts aCT: that job does not stand, a new
    one is recorded, saying why; a run that changes nothing keeps it and says so."""
    checks, _output = setup_run(tmp_path, "changed", "-e", "act_check_interval=12")
    result, detail = checks["aCT job"]
    assert result == "passed", detail
    assert detail.endswith("did not stand: started again since: act"), detail

    checks, _output = setup_run(tmp_path, "restored")  # back to the role's default: restarted again
    result, detail = checks["aCT job"]
    assert result == "passed" and detail.endswith("started again since: act"), detail

    checks, output = setup_run(tmp_path, "unchanged")
    result, detail = checks["aCT job"]
    assert result == "passed", detail
    assert "put into aCT at the start of this run, and aCT, its database and A-REX have run since " \
        "without a restart" in detail, detail
    assert set(re.findall(r"changed=(\d+)", output)) == {"0"}, output[-3000:]


def test_destroy_in_check_mode_is_not_refused_without_jobs_and_removes_nothing(host):
    """aCT's job check finds no tables when aCT is absent (act_install_source none): no refusal."""
    rc, output = run_playbook("gridcloud.arc_cluster.destroy", "--check")
    assert rc == 0, output[-3000:]
    assert "List aCT's unfinished jobs" in output
    assert host.service("mariadb").is_running
    for name in [FRONTEND, *WORKERS]:
        assert node(name).run("true").rc == 0, name


@needs_act
def test_destroy_is_refused_while_act_has_a_job_that_has_not_finished(host):
    """aCT is stopped so that the job stays in tosubmit (SLURM never sees it); then removed."""
    assert host.run("systemctl stop act").rc == 0
    try:
        args = {"xrsl": HELLO, "site": "mol", "queue": "main", "wait": False,
                "appjobid": "destroyguard", "service": ""}
        rc, result, output = run_module(FRONTEND, "gridcloud.arc_cluster.act_job", args)
        assert rc == 0, output
        act_id = result["act_id"]

        rc, output = run_playbook("gridcloud.arc_cluster.destroy", "--check")

        assert rc != 0
        assert "aCT on %s still has 1 unfinished job(s)" % FRONTEND in output, output[-3000:]
        assert "%s tosubmit destroyguard" % act_id in output
        assert "Nothing has been removed" in output
        for name in [FRONTEND, *WORKERS]:
            assert node(name).run("true").rc == 0, name
    finally:
        host.run("mariadb -e \"DELETE FROM arcjobs WHERE appjobid='destroyguard'\" act")
        assert host.run("systemctl start act").rc == 0
