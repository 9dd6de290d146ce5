"""Elastic workers on podman, end to end (make elastic-test; not in make test).

create (no worker exists) -> three SLURM jobs and one ARC job queued: SLURM asks
gridcloud-elastic on the controller for the two elastic nodes, which are made and configured
with the collection's own playbook, and every job runs on them -> after idle (60 s) the nodes
are removed -> a resume that fails (the controller's copy of the definition names an image
that does not exist) leaves no node behind, the node is DOWN with the reason and not for good:
with the image back, the job that asked runs -> destroy.
"""

import concurrent.futures
import json
import os
import sys
import time

import pytest

# the integration suite's helpers (created_cluster, podman...), one copy of them
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "integration"))
from conftest import (  # noqa: E402  pylint: disable=wrong-import-position
    DEFINITIONS, cluster_containers, created_cluster, podman, run_playbook)

DEFINITION = DEFINITIONS / "elastic.yml"
CLUSTER = "itelastic"
CONTROLLER = "itelastic-frontend001"
ELASTIC = ["itelastic-compute001", "itelastic-compute002"]
LOG = "/var/log/gridcloud-elastic/elastic.log"
COPY = "/var/lib/gridcloud-elastic/cluster.yml"


def on_controller(command, check=True):
    out = podman("exec", CONTROLLER, "bash", "-c", command)
    if check:
        assert out.returncode == 0, out.stdout + out.stderr
    return out


def sinfo():
    out = on_controller("sinfo --noheader --Node --format '%N %t'")
    return dict(line.split() for line in out.stdout.splitlines())


def wait_for(what, condition, timeout, step=5):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, "%s: not within %s s" % (what, timeout)
        time.sleep(step)


def log_lines():
    return on_controller("cat %s" % LOG, check=False).stdout.splitlines()


@pytest.fixture(scope="module")
def cluster():
    yield from created_cluster(DEFINITION)


def test_no_elastic_node_exists_after_create_and_slurm_knows_them_powered_down(cluster):
    assert cluster_containers(CLUSTER) == [CONTROLLER]
    assert sinfo() == {name: "idle~" for name in ELASTIC}
    # the smoke test says why its jobs through the CE did not run; the report lists the nodes
    assert "every worker is elastic and none exists" in cluster.output
    for name in ELASTIC:
        assert "%s | elastic, absent: made when a SLURM job needs it (1 CPUs" % name \
            in cluster.output


@pytest.fixture(scope="module")
def jobs_run(cluster, tmp_path_factory):
    # an ARC job through the CE (the smoke test's, told to wake elastic nodes) beside three
    # SLURM jobs: together they ask for both elastic nodes
    results_file = tmp_path_factory.mktemp("smoke") / "smoke.json"
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        smoke = pool.submit(run_playbook, "smoke", DEFINITION, "-e", "smoke_wake_elastic=true",
                            "-e", "smoke_timeout=900", "-e", "smoke_results_file=%s" % results_file)
        job_ids = [on_controller("sudo -u grid sbatch --parsable --chdir /tmp "
                                 "--wrap 'hostname; sleep 20'").stdout.strip()
                   for _job in range(3)]
        wait_for("the three jobs to finish",
                 lambda: on_controller("squeue --noheader --jobs %s" % ",".join(job_ids),
                                       check=False).stdout.strip() == "", timeout=1200)
        smoke_result = smoke.result(timeout=1200)
    return job_ids, smoke_result, results_file


def test_an_arc_job_through_the_ce_runs_on_an_elastic_node(jobs_run):
    _job_ids, smoke_result, results_file = jobs_run
    assert smoke_result.rc == 0, smoke_result.output
    checks = {entry["check"]: entry for entry in json.loads(results_file.read_text())["results"]}
    assert checks["ARC job (INTERNAL interface)"]["result"] == "passed", checks


def test_queued_jobs_make_the_elastic_nodes_and_run_on_them(jobs_run):
    job_ids, _smoke, _results = jobs_run
    states = on_controller("sacct --noheader --parsable2 --format JobID,State,NodeList "
                           "--jobs %s" % ",".join(job_ids), check=False)
    if states.returncode != 0:  # no accounting: scontrol remembers finished jobs for MinJobAge
        states = on_controller("for j in %s; do scontrol show job $j -o; done"
                               % " ".join(job_ids))
    assert "COMPLETED" in states.stdout
    for name in ELASTIC:
        assert name in states.stdout
    lines = log_lines()
    assert any(" resume asked " in line for line in lines), lines
    assert any(" resume done " in line for line in lines), lines


def test_idle_nodes_go_away(jobs_run):
    wait_for("the elastic nodes to be removed",
             lambda: cluster_containers(CLUSTER) == [CONTROLLER], timeout=600)
    wait_for("SLURM to see them powered down",
             lambda: sinfo() == {name: "idle~" for name in ELASTIC}, timeout=300)
    assert any(" suspend done " in line for line in log_lines())


def test_a_failed_resume_leaves_nothing_and_is_retried(jobs_run):
    on_controller("cp %s %s.good && sed -i 's|^\\(    compute:\\)$|\\1\\n      image: "
                  "localhost/does-not-exist:trixie|' %s" % (COPY, COPY, COPY))
    job = on_controller("sudo -u grid sbatch --parsable --chdir /tmp -w itelastic-compute001 "
                        "--wrap hostname").stdout.strip()
    wait_for("the resume to fail",
             lambda: any(" resume failed " in line for line in log_lines()), timeout=600)
    # what was half made is removed, then the node is set DOWN with the reason (which requeues
    # the job) and powered down, to be tried again
    wait_for("the node to be set DOWN with the reason",
             lambda: "reason set to: gridcloud-elastic: making the node failed" in on_controller(
                 "cat /var/log/slurm/slurmctld.log").stdout, timeout=300)
    assert any(" resume cleaned " in line for line in log_lines()), log_lines()
    assert cluster_containers(CLUSTER) == [CONTROLLER]
    on_controller("mv %s.good %s" % (COPY, COPY))
    wait_for("the job to run once the node can be made",
             lambda: "COMPLETED" in on_controller(
                 "scontrol show job %s -o" % job, check=False).stdout, timeout=1200)
    # back from DOWN with no manual step
    assert sinfo()["itelastic-compute001"] not in ("down", "down~", "drain", "drain~")


def test_a_hold_for_destroy_stops_resumes_until_it_is_lifted(jobs_run):
    """What destroy runs first (the elastic role's hold): a resume then makes nothing and says
    why; create (or release) lifts it."""
    on_controller("gridcloud-elastic hold --wait 60")
    job = on_controller("sudo -u grid sbatch --parsable --chdir /tmp -w itelastic-compute002 "
                        "--wrap hostname").stdout.strip()
    wait_for("the resume to be refused",
             lambda: any(" resume refused nodes=itelastic-compute002 " in line
                         for line in log_lines()), timeout=300)
    assert "reason set to: gridcloud-elastic: held, the cluster is being destroyed" in \
        on_controller("cat /var/log/slurm/slurmctld.log").stdout
    assert "itelastic-compute002" not in cluster_containers(CLUSTER)
    on_controller("scancel %s" % job)
    on_controller("gridcloud-elastic release")
    assert on_controller("test -e /var/lib/gridcloud-elastic/hold", check=False).returncode == 1
