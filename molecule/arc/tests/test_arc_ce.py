"""The ARC CE: A-REX on the frontend, jobs through SLURM on the worker, both interfaces.

Jobs are real: submitted by the grid user with arcsub (and with the arc_job module through
ansible), run by slurmd on the worker in the session dir shared by the provider, and fetched
back with arcget. This file checks the CE as converged (mode internal); test_arc_rest.py then
switches it to mode rest and back.
"""

import base64
import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import testinfra

testinfra_hosts = ["molarc-frontend001"]

SCENARIO = Path(__file__).resolve().parents[1]
PROJECT = SCENARIO.parents[1]
DEFINITION = SCENARIO / "inventory" / "cluster.yml"
FRONTEND = "molarc-frontend001"
WORKER = "molarc-compute001"
HELLO = ('&(executable="/bin/sh")(arguments="-c" "echo hello from $(hostname) as $(id -un)")'
         '(stdout="out.txt")(stderr="err.txt")(jobname="hello")')


def node(name):
    return testinfra.get_host("podman://%s" % name)


def as_grid(host, script):
    return host.run("cd /home/grid && runuser -u grid -- bash -c %s" % shlex.quote(script))


def run_job(host, endpoint, interface, tag):
    """Submit HELLO as grid, wait up to 4 minutes, fetch; return (job id, state, output text)."""
    host.run("echo %s | base64 -d > /tmp/%s.xrsl && chmod 644 /tmp/%s.xrsl"
             % (base64.b64encode(HELLO.encode()).decode(), tag, tag))
    sub = as_grid(host, "arcsub -C %s -T %s /tmp/%s.xrsl" % (endpoint, interface, tag))
    assert sub.rc == 0, sub.stdout + sub.stderr
    job_id = re.search(r"Job submitted with jobid: (\S+)", sub.stdout).group(1)
    wait = as_grid(host, "for i in $(seq 80); do s=$(arcstat %s 2>/dev/null | sed -n 's/^ State: //p');"
                         " case $s in Finished|Failed|Killed|Deleted) echo $s; exit 0;; esac; sleep 3;"
                         " done; echo timeout $s" % job_id)
    state = wait.stdout.strip()
    results = "/home/grid/results-%s" % tag
    get = as_grid(host, "rm -rf %s && mkdir -p %s && cd %s && arcget -D %s %s"
                  % (results, results, results, results, job_id))
    assert get.rc == 0, get.stdout + get.stderr
    short = job_id.rsplit("/", 1)[-1]
    output = host.file("%s/%s/out.txt" % (results, short))
    return job_id, state, output.content_string if output.exists else None


def apply_role(*extra):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run(
        ["ansible-playbook", "-i", str(DEFINITION), str(SCENARIO / "apply-role.yml"), *extra],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=900, check=False)
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split())


# ------------------------------------------------------------------ mode internal (converged)
def test_arc_conf_passes_arcctl_verify_without_errors(host):
    verify = host.run("arcctl config verify")
    assert verify.rc == 0, verify.stderr
    assert "[ERROR]" not in verify.stdout + verify.stderr


def test_arc_conf_follows_the_cluster(host):
    conf = host.file("/etc/arc.conf").content_string
    blocks = re.findall(r"^\[([^\]]+)\]$", conf, re.MULTILINE)
    assert blocks == ["common", "authgroup:local", "mapping", "lrms", "arex", "arex/cache",
                      "infosys", "infosys/glue2", "infosys/cluster", "queue:main"]
    for line in ("hostname=%s" % FRONTEND, "map_to_user=local grid:grid", "lrms=slurm main",
                 "slurm_use_sacct=no", "user=grid:grid", "sessiondir=/srv/grid/session",
                 "controldir=/var/spool/arc/jobstatus", "cachedir=/srv/grid/cache"):
        assert "\n%s\n" % line in conf, line
    assert not host.file("/etc/arc.conf.d/10-testCA-access.conf").exists


def test_internal_mode_runs_a_rex_as_grid_with_nothing_listening(host):
    assert host.service("arc-arex").is_running
    assert host.service("arc-arex").is_enabled
    assert not host.service("arc-arex-ws").is_running
    assert not host.service("arc-arex-ws").is_enabled
    assert host.check_output("ps -o user= -C arched").split() == ["grid"]
    assert not host.socket("tcp://0.0.0.0:443").is_listening
    control = host.file("/var/spool/arc/jobstatus")
    assert (control.user, control.mode) == ("grid", 0o700)


def test_the_grid_users_key_and_proxy_are_private(host):
    key = host.file("/home/grid/.globus/userkey.pem")
    assert (key.user, key.mode) == ("grid", 0o400)
    proxy = host.file("/tmp/x509up_u20000")
    assert (proxy.user, proxy.mode) == ("grid", 0o600)
    left = as_grid(host, "arcproxy --infoitem=validityLeft")
    assert int(left.stdout.strip()) > 6 * 3600


def test_the_session_dir_is_shared_with_the_worker(host):
    host.run("runuser -u grid -- touch /srv/grid/session/.probe")
    assert node(WORKER).file("/srv/grid/session/.probe").user == "grid"


def test_internal_job_runs_on_the_worker_and_comes_back(host):
    job_id, state, output = run_job(host, "localhost", "internal", "internal")
    assert job_id.startswith("file:///srv/grid/session/")
    assert state == "Finished"
    assert output == "hello from %s as grid\n" % WORKER


def test_the_arc_job_module_runs_a_job_as_grid(host):  # pylint: disable=unused-argument
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    args = {"xrsl": HELLO, "dest": "/home/grid/results-module", "poll_interval": 3, "timeout": 300}
    proc = subprocess.run(
        ["ansible", "-i", str(DEFINITION), FRONTEND, "-m", "gridcloud.arc_cluster.arc_job",
         "-a", json.dumps(args), "--become", "--become-user", "grid", "--become-method", "su"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"][FRONTEND]
    assert result["changed"] is True
    assert result["state"] == "Finished"
    assert result["exit_code"] == 0
    assert result["stdout"] == "hello from %s as grid\n" % WORKER
    assert result["output_dir"] + "/out.txt" in result["outputs"]


@pytest.mark.parametrize("override, message", [
    ({"arc_ce_queues": ["main", "long"]},
     "arc_ce_queues (and queue:NAME blocks of arc_ce_config): long is not a SLURM partition"),
    ({"arc_ce_sessiondir": "/var/spool/arc/session"},
     "arc_ce_sessiondir (/var/spool/arc/session) is not within a directory shared with the workers"),
])
def test_bad_values_are_refused_before_anything_changes(host, override, message):
    before = host.file("/etc/arc.conf").sha256sum
    rc, output = apply_role("-e", json.dumps(override))
    assert rc != 0
    assert message in output
    assert "Install A-REX" not in output
    assert host.file("/etc/arc.conf").sha256sum == before
