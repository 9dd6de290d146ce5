"""Restarts lose nothing: the frontend restarted (podman restart) under running jobs, then a worker.

Two ARC jobs are running on the workers when the frontend restarts. Afterwards, with no manual
step: the frontend's volume is mounted again, SLURM and A-REX still know both jobs, the next
`create` (the collection's playbook, provisioning included) passes its smoke test, and the jobs
finish and come back. A worker restarted after that joins SLURM again by itself and runs a job.

The restart is the container's: /tmp (a tmpfs under systemd, as on Debian 13 hosts) starts empty,
so the grid user's proxy is gone until `create` makes it again, as on a rebooted VM. The files
after this one (test_slurm, test_smoke, test_volume) then test the restarted cluster.
"""

import json
import re
import shlex
import subprocess
import time

import pytest

from gridcloud_molecule import arc_final_state, as_grid, node, run_playbook

testinfra_hosts = ["mol-frontend001"]

FRONTEND = "mol-frontend001"
WORKER = "mol-compute002"
# long enough to be running through the restart and its checks, short enough for CI
SLEEPER = ('&(executable="/bin/sh")(arguments="-c" "sleep 150; echo survived on $(hostname)")'
           '(stdout="out.txt")(stderr="err.txt")(jobname="restart")')


def wait_for(probe, timeout, step=3):
    """Call probe() until it returns something true; return that (or the last value)."""
    deadline = time.monotonic() + timeout
    value = probe()
    while not value and time.monotonic() < deadline:
        time.sleep(step)
        value = probe()
    return value


def restart(name):
    """podman restart, then wait until systemd in the node has started its units."""
    subprocess.run(["podman", "restart", "--time", "30", name], check=True, capture_output=True,
                   timeout=180)
    # right after the start `systemctl` may not reach systemd yet (and --wait then returns at
    # once); "degraded" counts as up: a container has units that cannot start
    state = wait_for(lambda: node(name).run("systemctl is-system-running").stdout.strip()
                     in ("running", "degraded"), timeout=300)
    assert state, node(name).run("systemctl is-system-running; systemctl list-jobs").stdout


def running_slurm_jobs(host):
    return host.check_output("squeue -h -t RUNNING -n restart -o %i").split()


@pytest.fixture(scope="module")
def restarted(host, tmp_path_factory):
    host.run("printf '%%s' %s > /tmp/restart.xrsl && chmod 644 /tmp/restart.xrsl"
             % shlex.quote(SLEEPER))
    arc_ids = []
    for _job in range(2):
        sub = as_grid(host, "arcsub -C %s -T arcrest /tmp/restart.xrsl" % FRONTEND)
        assert sub.rc == 0, sub.stdout + sub.stderr
        arc_ids.append(re.search(r"Job submitted with jobid: (\S+)", sub.stdout).group(1))
    slurm_ids = wait_for(lambda: len(running_slurm_jobs(host)) == 2 and running_slurm_jobs(host),
                         timeout=180)
    assert slurm_ids, host.run("squeue; arcstat -a").stdout
    started = time.monotonic()
    restart(FRONTEND)
    after = node(FRONTEND)
    state = {
        "restart_seconds": time.monotonic() - started,
        "arc_ids": arc_ids,
        "slurm_ids": slurm_ids,
        # read right after the restart, before anything else touches the node
        "mount": after.run("findmnt -n -o SOURCE,FSTYPE /srv/shared").stdout.split(),
        "squeue": after.run("squeue -h -o '%%i %%T' -j %s" % ",".join(slurm_ids)).stdout,
        "arex_jobs": after.run("arcctl job list").stdout.split(),
        "arex": after.run("systemctl is-active arc-arex").stdout.strip(),
        "proxy_after_restart": after.file("/tmp/x509up_u20000").exists,
    }
    results = tmp_path_factory.mktemp("restart") / "smoke.json"
    state["create"] = run_playbook("gridcloud.arc_cluster.create", "-e",
                                   "smoke_results_file=%s" % results, timeout=1200)
    state["smoke"] = results.read_text() if results.exists() else ""
    return state


def test_the_frontend_comes_back_with_its_volume_mounted(restarted):
    assert restarted["mount"] == ["/dev/disk/by-id/gridcloud-shared", "ext4"], restarted


def test_slurm_still_runs_the_jobs_after_the_restart(restarted):
    lines = restarted["squeue"].splitlines()
    assert sorted(line.split()[0] for line in lines) == sorted(restarted["slurm_ids"]), lines
    assert all(line.split()[1] == "RUNNING" for line in lines), lines


def test_a_rex_is_back_and_still_knows_the_jobs(restarted):
    assert restarted["arex"] == "active"
    for job_id in restarted["arc_ids"]:
        assert job_id.rsplit("/", 1)[-1] in restarted["arex_jobs"], restarted["arex_jobs"]


def test_the_next_create_passes_its_smoke_test(restarted):
    rc, output = restarted["create"]
    assert rc == 0, output[-3000:]
    checks = {(c["node"], c["check"]): c["result"] for c in json.loads(restarted["smoke"])["results"]}
    assert "failed" not in checks.values(), checks
    assert checks[(FRONTEND, "ARC job (ARCREST interface)")] == "passed", checks
    # the restart emptied /tmp; create gave the grid user a proxy again
    assert not restarted["proxy_after_restart"]


def test_the_jobs_finish_and_come_back(host, restarted):
    for job_id in restarted["arc_ids"]:
        state = arc_final_state(host, job_id, tries=100)
        assert state == "Finished", (job_id, state)
        results = "/home/grid/results-restart"
        get = as_grid(host, "mkdir -p %s && cd %s && arcget -D %s %s"
                      % (results, results, results, job_id))
        assert get.rc == 0, get.stdout + get.stderr
        out = host.file("%s/%s/out.txt" % (results, job_id.rsplit("/", 1)[-1]))
        assert re.match(r"^survived on mol-compute00[12]\n$", out.content_string), out.content_string


def test_a_restarted_worker_rejoins_slurm_and_runs_a_job(host, restarted):  # pylint: disable=unused-argument
    restart(WORKER)
    state = wait_for(lambda: host.check_output("sinfo -h -n %s -o %%T" % WORKER) == "idle" and "idle",
                     timeout=180)
    assert state == "idle", host.run("sinfo -N -l; scontrol show node %s" % WORKER).stdout
    ran = host.run("timeout 120 srun -w %s -N1 hostname" % WORKER)
    assert ran.rc == 0 and ran.stdout.strip() == WORKER, ran.stdout + ran.stderr
