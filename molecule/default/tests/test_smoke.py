"""The smoke test is honest: each of its checks fails when its part is broken.

One smoke run against a cluster broken on purpose, then everything is put back:
- a worker drained in SLURM: its job cannot run (short smoke_timeout) -> "SLURM job on" fails;
- smoke_shared_path pointed at /tmp, which the nodes do not share -> "shared dir from" fails
  (the other worker's job itself still passes);
- A-REX stopped on the CE -> "ARC job" fails and says A-REX is inactive (not "skipped");
- (a run of its own) a token of an issuer the CE does not trust -> "ARC job with a token" fails
  and gives the CE's refusal;
- aCT not running where it is meant to be: stopped when ACT_SOURCE installed it, else declared
  installed (act_install_source=path) while absent -> "aCT job" fails.
The CVMFS probe can fail only where CVMFS is installed, which containers cannot do (no fuse):
where it is not installed it is skipped, naming cvmfs_install_source (docs/storage.md).
"""

import json
import re

import pytest

from gridcloud_molecule import node, run_playbook

testinfra_hosts = ["mol-frontend001"]

FRONTEND = "mol-frontend001"
WORKERS = ["mol-compute001", "mol-compute002"]


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory):
    frontend = node(FRONTEND)
    act_installed = frontend.run("systemctl cat act").rc == 0
    results = tmp_path_factory.mktemp("smoke") / "results.json"
    extra = ["-e", "smoke_results_file=%s" % results, "-e", "smoke_fail_on_failure=false",
             "-e", "smoke_timeout=30", "-e", "smoke_shared_path=/tmp"]
    try:
        frontend.check_output("scontrol update nodename=%s state=drain reason=smoke-test"
                              % WORKERS[1])
        frontend.check_output("systemctl stop arc-arex")
        if act_installed:
            frontend.check_output("systemctl stop act")
        else:
            extra += ["-e", "act_install_source=path"]
        rc, output = run_playbook("gridcloud.arc_cluster.smoke", *extra)
    finally:
        frontend.run("scancel --name=smoke")
        frontend.run("scontrol update nodename=%s state=resume" % WORKERS[1])
        frontend.run("systemctl start arc-arex")
        if act_installed:
            frontend.run("systemctl start act")
    assert rc == 0, output[-3000:]
    checks = json.loads(results.read_text())["results"]
    return {(c["node"], c["check"]): (c["result"], c["detail"]) for c in checks}, act_installed


def test_a_job_that_cannot_run_on_a_worker_fails_the_slurm_check(broken_run):
    checks = broken_run[0]
    assert checks[(FRONTEND, "SLURM job on %s" % WORKERS[0])][0] == "passed"
    result, detail = checks[(FRONTEND, "SLURM job on %s" % WORKERS[1])]
    assert result == "failed" and detail.startswith("srun rc="), detail


def test_a_dir_the_nodes_do_not_share_fails_the_shared_dir_check(broken_run):
    checks = broken_run[0]
    result, detail = checks[(FRONTEND, "shared dir from %s" % WORKERS[0])]
    assert result == "failed", detail
    assert "missing (the dir is not shared with the worker?)" in detail


def test_a_stopped_arex_fails_the_arc_check(broken_run):
    checks = broken_run[0]
    # stopped: inactive, or failed when systemd had to kill it (seen once A-REX had been started
    # at the node's boot after test_restart's podman restart); either way the detail says so
    result, detail = checks[(FRONTEND, "ARC job (ARCREST interface)")]
    assert result == "failed", detail
    assert re.match(r"A-REX is (inactive|failed) \(\w+\), not running", detail), detail
    # the job with the test token goes the same way
    result, detail = checks[(FRONTEND, "ARC job with a token of issuer test")]
    assert result == "failed", detail
    assert re.match(r"A-REX is (inactive|failed), not running", detail), detail


def test_a_token_the_ce_does_not_take_fails_the_token_check_with_the_reason(tmp_path):
    """A-REX running, but the smoke test's token is not one of a trusted issuer: failed, and the
    detail gives the module's reason (no job was submitted)."""
    frontend = node(FRONTEND)
    bad = "/home/grid/.arc/smoke-untrusted-token"
    # the form of a JWT, signed by nobody the CE trusts
    frontend.check_output("umask 077 && printf '%%s' eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL25vYm9keSJ9.c2ln"
                          " > %s && chown grid %s" % (bad, bad))
    results = tmp_path / "results.json"
    try:
        rc, output = run_playbook("gridcloud.arc_cluster.smoke", "-e", "smoke_results_file=%s" % results,
                                  "-e", "smoke_fail_on_failure=false", "-e", "smoke_arc_token_file=%s" % bad)
    finally:
        frontend.run("rm -f %s" % bad)
    assert rc == 0, output[-3000:]
    checks = {(c["node"], c["check"]): (c["result"], c["detail"])
              for c in json.loads(results.read_text())["results"]}
    assert checks[(FRONTEND, "ARC job (ARCREST interface)")][0] == "passed"
    # the results file is the run's output, not a change: the smoke test reports none anywhere
    assert re.findall(r"changed=(\d+)", output) and \
        set(re.findall(r"changed=(\d+)", output)) == {"0"}, output[-3000:]
    result, detail = checks[(FRONTEND, "ARC job with a token of issuer test")]
    assert result == "failed", detail
    assert detail.startswith("no job: the CE %s refused the bearer token" % FRONTEND), detail


def test_act_that_does_not_run_fails_the_act_check(broken_run):
    checks, act_installed = broken_run
    result, detail = checks[(FRONTEND, "aCT job")]
    assert result == "failed", detail
    expected = "aCT is inactive" if act_installed else \
        "aCT is not installed although act_install_source is path"
    assert detail.startswith(expected), detail


def test_the_cluster_is_whole_again():
    frontend = node(FRONTEND)
    assert frontend.service("arc-arex").is_running
    states = frontend.check_output("sinfo -h -N -o '%N %T'")
    assert "drain" not in states, states
    assert frontend.check_output("squeue -h -n smoke") == ""
