"""ARC 6 on Debian 12: A-REX in mode internal on the frontend, a job through SLURM 22.05."""

import base64
import re

from gridcloud_molecule import arc_final_state, as_grid, node, run_playbook

testinfra_hosts = ["molbw-frontend001"]

WORKER = "molbw-compute001"
HELLO = ('&(executable="/bin/sh")(arguments="-c" "echo hello from $(hostname) as $(id -un)")'
         '(stdout="out.txt")(jobname="hello")')


def test_arc_is_the_distributions_6(host):
    assert host.package("nordugrid-arc-arex").version.startswith("6.")


def test_arc_conf_passes_arcctl_verify_without_errors(host):
    verify = host.run("arcctl config verify")
    assert verify.rc == 0, verify.stderr
    assert "[ERROR]" not in verify.stdout + verify.stderr


def test_a_rex_runs_as_grid_with_nothing_listening(host):
    assert host.service("arc-arex").is_running
    assert host.service("arc-arex").is_enabled
    # A-REX itself (its pid file) runs as grid; so do its short-lived forks (the LRMS scan every
    # arc_ce_slurm_wakeupperiod seconds), which ps may catch beside it
    assert host.check_output("ps -o user= -p $(cat /run/arc-arex/arex.pid)").strip() == "grid"
    assert set(host.check_output("ps -o user= -C arched").split()) == {"grid"}
    assert not host.socket("tcp://0.0.0.0:443").is_listening


def test_internal_job_runs_on_the_worker_and_comes_back(host):
    host.run("echo %s | base64 -d > /tmp/hello.xrsl && chmod 644 /tmp/hello.xrsl"
             % base64.b64encode(HELLO.encode()).decode())
    sub = as_grid(host, "arcsub -C localhost -T internal /tmp/hello.xrsl")
    assert sub.rc == 0, sub.stdout + sub.stderr
    job_id = re.search(r"Job submitted with jobid: (\S+)", sub.stdout).group(1)
    assert arc_final_state(host, job_id) == "Finished"
    get = as_grid(host, "rm -rf results && mkdir results && cd results && arcget -D . %s" % job_id)
    assert get.rc == 0, get.stdout + get.stderr
    out = host.file("/home/grid/results/%s/out.txt" % job_id.rsplit("/", 1)[-1])
    assert out.content_string == "hello from %s as grid\n" % WORKER
    assert node(WORKER).file("/srv/grid/session").is_directory


def test_tokens_are_refused_on_arc_6_naming_the_variables_and_the_version(host, tmp_path):
    """ARC 6.17 has no arcctl test-jwt: the role refuses tokens there, before any change."""
    play = tmp_path / "tokens.yml"
    play.write_text("- hosts: arc_ce\n  roles: [gridcloud.arc_cluster.arc_ce]\n")
    before = host.file("/etc/arc.conf").content_string
    rc, output = run_playbook(str(play), "-e", "arc_ce_mode=rest", "-e", "arc_ce_test_token_issuer=true")
    assert rc != 0, output[-2000:]
    assert ("arc_ce_token_issuers / arc_ce_test_token_issuer: molbw-frontend001 runs ARC 6.17 "
            "(Debian 12), whose token support this role does not configure") in output, output[-3000:]
    assert host.file("/etc/arc.conf").content_string == before
