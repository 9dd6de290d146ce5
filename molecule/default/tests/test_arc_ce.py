"""The ARC CE on the frontend: A-REX in mode rest as converged (what aCT needs), then switched to
mode internal and back by re-applying the role.

Jobs are real: submitted by the grid user through the arc_job module (REST, then INTERNAL) and
with arcsub itself (after the switch back), run by slurmd on a worker in the session dir the
frontend exports, and fetched back with arcget. test_act.py runs before this file (the CE is then as converged); the last test here
leaves the CE in mode rest again.
"""

import base64
import re

import pytest

from gridcloud_molecule import arc_final_state, as_grid, run_module, run_playbook

testinfra_hosts = ["mol-frontend001"]

FRONTEND = "mol-frontend001"
WORKERS = ["mol-compute001", "mol-compute002"]
HELLO = ('&(executable="/bin/sh")(arguments="-c" "echo hello from $(hostname) as $(id -un)")'
         '(stdout="out.txt")(stderr="err.txt")(jobname="hello")')
RAN_ON_A_WORKER = re.compile(r"^hello from (%s) as grid\n$" % "|".join(WORKERS))


def run_job(host, endpoint, interface, tag):
    """Submit HELLO as grid, wait up to 4 minutes, fetch; return (job id, state, output text)."""
    host.run("echo %s | base64 -d > /tmp/%s.xrsl && chmod 644 /tmp/%s.xrsl"
             % (base64.b64encode(HELLO.encode()).decode(), tag, tag))
    sub = as_grid(host, "arcsub -C %s -T %s /tmp/%s.xrsl" % (endpoint, interface, tag))
    assert sub.rc == 0, sub.stdout + sub.stderr
    job_id = re.search(r"Job submitted with jobid: (\S+)", sub.stdout).group(1)
    state = arc_final_state(host, job_id)
    results = "/home/grid/results-%s" % tag
    get = as_grid(host, "rm -rf %s && mkdir -p %s && cd %s && arcget -D %s %s"
                  % (results, results, results, results, job_id))
    assert get.rc == 0, get.stdout + get.stderr
    short = job_id.rsplit("/", 1)[-1]
    output = host.file("%s/%s/out.txt" % (results, short))
    return job_id, state, output.content_string if output.exists else None


def apply_arc_ce(*extra):
    return run_playbook("apply-role.yml", "-e", "apply_role=arc_ce", *extra)


def arc_job(endpoint, interface, dest):
    args = {"xrsl": HELLO, "endpoint": endpoint, "interface": interface, "dest": dest,
            "poll_interval": 3, "timeout": 300}
    rc, result, output = run_module(FRONTEND, "gridcloud.arc_cluster.arc_job", args, "--become",
                                    "--become-user", "grid", "--become-method", "su")
    assert rc == 0, output
    return result


# ------------------------------------------------------------------ mode rest (converged)
def test_arc_conf_passes_arcctl_verify_without_errors(host):
    verify = host.run("arcctl config verify")
    assert verify.rc == 0, verify.stderr
    assert "[ERROR]" not in verify.stdout + verify.stderr


def test_arc_conf_follows_the_cluster(host):
    conf = host.file("/etc/arc.conf").content_string
    blocks = re.findall(r"^\[([^\]]+)\]$", conf, re.MULTILINE)
    assert blocks == ["common", "authgroup:local", "authgroup:token-test", "mapping", "lrms", "arex", "arex/cache",
                      "arex/ws", "arex/ws/jobs", "infosys", "infosys/glue2", "infosys/cluster",
                      "queue:main"]
    for line in ("hostname=%s" % FRONTEND, "map_to_user=local grid:grid", "lrms=slurm main",
                 "slurm_wakeupperiod=5",
                 "slurm_use_sacct=yes", "sessiondir=/srv/grid/session",
                 "controldir=/var/spool/arc/jobstatus", "cachedir=/srv/grid/cache",
                 "wsurl=https://%s:443/arex" % FRONTEND, "allowaccess=local",
                 "file=/etc/grid-security/testCA.allowed-subjects"):
        assert "\n%s\n" % line in conf, line


def test_rest_mode_serves_https_with_a_host_certificate_for_the_frontend(host):
    assert host.service("arc-arex-ws").is_running
    assert host.service("arc-arex-ws").is_enabled
    assert host.socket("tcp://0.0.0.0:443").is_listening
    assert "root" in host.check_output("ps -o user= -C arched").split()
    subject = host.check_output(
        "openssl x509 -noout -subject -in /etc/grid-security/host-%s-cert.pem" % FRONTEND)
    assert re.search(r"CN ?= ?host/%s$" % FRONTEND, subject), subject


def test_systemd_gives_a_rex_time_to_start_and_restarts_it_when_it_fails(host):
    """systemd has loaded the role's drop-ins (arc_ce_start_timeout 300 s, not systemd's 90 s,
    which A-REX's start scripts overran at boot on an emulated VM)."""
    for unit in ("arc-arex", "arc-arex-ws"):
        shown = host.check_output("systemctl show -p TimeoutStartUSec,Restart,RestartUSec %s" % unit)
        assert sorted(shown.splitlines()) == ["Restart=on-failure", "RestartUSec=30s",
                                              "TimeoutStartUSec=5min"], (unit, shown)


def test_rest_mode_has_the_rfc7919_dh_group_and_generates_no_parameters(host):
    """The role writes ffdhe4096 before arc-arex-ws starts, so its start script finds valid
    parameters and never runs its 4096-bit `openssl dhparam` in the background."""
    dhparam = host.file("/var/spool/arc/jobstatus/dhparam.pem")
    assert (dhparam.user, dhparam.mode) == ("root", 0o600)
    ffdhe4096 = host.check_output(
        "openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe4096")
    assert dhparam.content_string.strip() == ffdhe4096.strip()
    assert host.run("pgrep -f 'openssl [d]hparam'").rc == 1


def test_the_grid_users_key_and_proxy_are_private(host):
    key = host.file("/home/grid/.globus/userkey.pem")
    assert (key.user, key.mode) == ("grid", 0o400)
    proxy = host.file("/tmp/x509up_u20000")
    assert (proxy.user, proxy.mode) == ("grid", 0o600)
    left = as_grid(host, "arcproxy --infoitem=validityLeft")
    assert int(left.stdout.strip().splitlines()[-1]) > 6 * 3600


def test_the_arc_job_module_runs_a_rest_job_as_grid(host):  # pylint: disable=unused-argument
    result = arc_job(FRONTEND, "arcrest", "/home/grid/results-module-rest")
    assert result["changed"] is True
    assert result["job_id"].startswith("https://%s:443/arex/rest/1.0/jobs/" % FRONTEND)
    assert (result["state"], result["exit_code"]) == ("Finished", 0), result
    assert RAN_ON_A_WORKER.match(result["stdout"]), result
    assert result["output_dir"] + "/out.txt" in result["outputs"]


@pytest.mark.parametrize("override, message", [
    ('{"arc_ce_queues": ["main", "long"]}',
     "arc_ce_queues (and queue:NAME blocks of arc_ce_config): long is not a SLURM partition"),
    ('{"arc_ce_sessiondir": "/var/spool/arc/session"}',
     "arc_ce_sessiondir (/var/spool/arc/session) is not within a directory shared with the workers"),
])
def test_bad_values_are_refused_before_anything_changes(host, override, message):
    before = host.file("/etc/arc.conf").sha256sum
    rc, output = apply_arc_ce("-e", override)
    assert rc != 0
    assert message in output
    assert "Install A-REX" not in output
    assert host.file("/etc/arc.conf").sha256sum == before


# ------------------------------------------------------------------ mode internal, and back
@pytest.fixture(scope="module")
def internal_mode():
    # tokens come over REST only: the test issuer is off in mode internal
    rc, output = apply_arc_ce("-e", "arc_ce_mode=internal", "-e", "arc_ce_test_token_issuer=false")
    assert rc == 0, output


def test_internal_mode_runs_a_rex_as_grid_with_nothing_listening(host, internal_mode):
    assert host.service("arc-arex").is_running
    assert not host.service("arc-arex-ws").is_running
    assert not host.service("arc-arex-ws").is_enabled
    # A-REX itself (its pid file) runs as grid; so do its short-lived forks (the LRMS scan every
    # arc_ce_slurm_wakeupperiod seconds), which ps may catch beside it
    assert host.check_output("ps -o user= -p $(cat /run/arc-arex/arex.pid)").strip() == "grid"
    assert set(host.check_output("ps -o user= -C arched").split()) == {"grid"}
    assert not host.socket("tcp://0.0.0.0:443").is_listening
    control = host.file("/var/spool/arc/jobstatus")
    assert (control.user, control.mode) == ("grid", 0o700)
    assert host.run("arcctl config verify").rc == 0


def test_the_arc_job_module_runs_an_internal_job_as_grid(host, internal_mode):  # pylint: disable=unused-argument
    result = arc_job("localhost", "internal", "/home/grid/results-module-internal")
    assert result["job_id"].startswith("file:///srv/grid/session/")
    assert (result["state"], result["exit_code"]) == ("Finished", 0), result
    assert RAN_ON_A_WORKER.match(result["stdout"]), result


def test_back_in_mode_rest_https_serves_and_jobs_run(host, internal_mode):
    """Last: the switch back to mode rest (the scenario ends as converged); the job goes
    through the ARC client itself (arcsub, arcstat, arcget) as a user would run it."""
    rc, output = apply_arc_ce()
    assert rc == 0, output
    assert host.service("arc-arex-ws").is_running
    assert host.socket("tcp://0.0.0.0:443").is_listening
    _job_id, state, out = run_job(host, FRONTEND, "arcrest", "back")
    assert state == "Finished"
    assert RAN_ON_A_WORKER.match(out or ""), out
    rc, output = apply_arc_ce()
    assert rc == 0, output
    assert re.search(r"%s\s*: ok=\d+\s+changed=0 " % FRONTEND, output), output[-600:]
