"""SLURM grows and shrinks through the playbooks, with no manual step.

create (1 controller + 1 worker) -> resize to 2 workers: the new worker joins and runs a job
pinned to it -> resize back to 1 while a job runs there: refused after a short drain timeout
(the node stays, drained), then waited for and removed; the worker is gone from sinfo and from
slurm.conf, and the job finished rather than being killed. A slurm.conf edited by hand on the
worker is written again by setup. Last, destroy is refused while a job
waits or runs (nothing removed), and goes through with cluster_destroy_force. Before that, the
worker is removed behind the collection's back (podman rm) and the next create makes it again.
"""

import re
import time

import pytest
import yaml

from conftest import DEFINITIONS, cluster_containers, created_cluster, podman, run_playbook

DEFINITION = DEFINITIONS / "scale.yml"
CLUSTER = "itscale"
CONTROLLER = "itscale-frontend001"
NEW_WORKER = "itscale-compute002"


def on_controller(command):
    return podman("exec", CONTROLLER, "bash", "-c", command)


def sinfo_nodes():
    out = on_controller("sinfo --noheader --Node --format '%N %t'")
    assert out.returncode == 0, out.stderr
    return dict(line.split() for line in out.stdout.splitlines())


@pytest.fixture(scope="module")
def two_worker_definition(tmp_path_factory):
    data = yaml.safe_load(DEFINITION.read_text())
    data["cluster"]["nodes"]["compute"]["count"] = 2
    path = tmp_path_factory.mktemp("scale") / "scale-2.yml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def cluster():
    yield from created_cluster(DEFINITION)


@pytest.fixture(scope="module")
def scaled_out(cluster, two_worker_definition):
    result = run_playbook("resize", two_worker_definition)
    assert result.rc == 0, result.output
    return result


def test_create_gives_one_idle_worker(cluster):
    assert sinfo_nodes() == {"itscale-compute001": "idle"}


def test_resize_out_adds_a_worker_that_registers(scaled_out):
    assert cluster_containers(CLUSTER) == [
        "itscale-compute001", "itscale-compute002", "itscale-frontend001"]
    assert sinfo_nodes() == {"itscale-compute001": "idle", NEW_WORKER: "idle"}


def smoke_summary(result):
    """The closing report's smoke line of a playbook run, and the checks that passed."""
    summary = re.findall(r"smoke test: (\d+) passed, (\d+) skipped, (\d+) failed", result.output)
    assert summary, result.output[-3000:]
    passed = set(re.findall(r"passed +(SLURM job on \S+)", result.output))
    return tuple(int(n) for n in summary[-1]), passed


def test_the_smoke_test_after_resize_out_passes_on_both_workers(scaled_out):
    (passed, _skipped, failed), checks = smoke_summary(scaled_out)
    assert failed == 0
    assert passed >= 2
    assert {"SLURM job on itscale-compute001", "SLURM job on %s" % NEW_WORKER} <= checks


def hosts_that_ran(result, role):
    """The hosts on which a task of the role ran (ok or changed) in a playbook run."""
    hosts = set()
    for block in re.split(r"\nTASK \[", result.output)[1:]:
        if block.startswith("gridcloud.arc_cluster.%s : " % role):
            hosts.update(re.findall(r"^(?:ok|changed): \[([^\]]+)\]", block, re.MULTILINE))
    return hosts


def test_resize_out_configures_only_the_new_worker_beyond_what_the_node_set_changes(scaled_out):
    """The new worker gets every role; the others only those whose configuration lists the
    nodes (/etc/hosts, SLURM): the volumes role, for one, runs on the new worker alone."""
    everyone = {"itscale-frontend001", "itscale-compute001", NEW_WORKER}
    assert hosts_that_ran(scaled_out, "common") == everyone
    assert hosts_that_ran(scaled_out, "slurm") == everyone
    assert hosts_that_ran(scaled_out, "volumes") == {NEW_WORKER}


def test_the_new_worker_has_the_clusters_munge_key(scaled_out):
    sums = set()
    for node in ("itscale-frontend001", "itscale-compute001", NEW_WORKER):
        out = podman("exec", node, "sha256sum", "/etc/munge/munge.key")
        assert out.returncode == 0, out.stderr
        sums.add(out.stdout.split()[0])
    assert len(sums) == 1


def test_a_job_pinned_to_the_new_worker_runs_there(scaled_out):
    job = on_controller("cd /tmp && timeout 180 runuser -u grid -- sbatch --parsable --wait "
                        "--nodelist=%s --output=/tmp/pinned-%%j.out --wrap='hostname'" % NEW_WORKER)
    assert job.returncode == 0, job.stderr
    output = podman("exec", NEW_WORKER, "cat", "/tmp/pinned-%s.out" % job.stdout.strip())
    assert output.stdout.strip() == NEW_WORKER


@pytest.fixture(scope="module")
def running_job(scaled_out):
    """A job on the worker that the scale-in removes; it runs for about 45 seconds."""
    job = on_controller("cd /tmp && runuser -u grid -- sbatch --parsable --nodelist=%s "
                        "--wrap='sleep 45'" % NEW_WORKER)
    assert job.returncode == 0, job.stderr
    job_id = job.stdout.strip()
    for _attempt in range(30):
        state = on_controller("squeue --noheader --jobs=%s --format=%%T" % job_id).stdout.strip()
        if state == "RUNNING":
            return job_id
        time.sleep(1)
    pytest.fail("job %s did not start on %s (state %r)" % (job_id, NEW_WORKER, state))


@pytest.fixture(scope="module")
def refused_scale_in(running_job):
    return run_playbook("resize", DEFINITION, "-e", "slurm_drain_timeout=5")


def test_scale_in_is_refused_while_a_job_runs_and_the_worker_is_drained(refused_scale_in,
                                                                        running_job):
    assert refused_scale_in.rc != 0
    assert "jobs still run on %s" % NEW_WORKER in refused_scale_in.output
    assert running_job in refused_scale_in.output
    assert NEW_WORKER in cluster_containers(CLUSTER)
    assert sinfo_nodes()[NEW_WORKER] in ("drng", "drain")


@pytest.fixture(scope="module")
def scaled_in(refused_scale_in):
    result = run_playbook("resize", DEFINITION)
    assert result.rc == 0, result.output
    return result


def test_scale_in_waits_for_the_job_then_removes_the_worker(scaled_in, running_job):
    assert cluster_containers(CLUSTER) == ["itscale-compute001", "itscale-frontend001"]
    job = on_controller("scontrol --oneliner show job %s" % running_job)
    assert "JobState=COMPLETED" in job.stdout, job.stdout + job.stderr


def test_the_smoke_test_after_resize_in_passes_on_the_remaining_worker(scaled_in):
    (passed, _skipped, failed), checks = smoke_summary(scaled_in)
    assert failed == 0
    assert passed >= 1
    assert checks == {"SLURM job on itscale-compute001"}


def test_the_removed_worker_is_gone_from_sinfo_and_slurm_conf(scaled_in):
    assert sinfo_nodes() == {"itscale-compute001": "idle"}
    conf = on_controller("cat /etc/slurm/slurm.conf").stdout
    assert NEW_WORKER not in conf
    assert "PartitionName=main Nodes=itscale-compute001 " in conf


def test_jobs_still_run_after_scaling_in(scaled_in):
    job = on_controller("cd /tmp && timeout 120 runuser -u grid -- sbatch --parsable --wait "
                        "--output=/tmp/after-%j.out --wrap='hostname'")
    assert job.returncode == 0, job.stderr
    output = podman("exec", "itscale-compute001", "cat", "/tmp/after-%s.out" % job.stdout.strip())
    assert output.stdout.strip() == "itscale-compute001"


def test_files_changed_by_hand_are_put_back_by_setup(scaled_in):
    """The roles read their files and directories in one module run (path_drift) and write only
    what is not in place: a slurm.conf edited by hand and a log dir whose mode was changed on the
    worker are not in place there and are written again; the controller changes nothing."""
    worker = "itscale-compute001"
    edited = podman("exec", worker, "sh", "-c",
                    "echo '# edited by hand' >> /etc/slurm/slurm.conf && chmod 0700 /var/log/slurm")
    assert edited.returncode == 0, edited.stderr

    setup = run_playbook("setup", DEFINITION, "-e", "cluster_smoke=false")

    assert setup.rc == 0, setup.output
    assert setup.recap[worker]["changed"] >= 2, setup.output
    assert setup.recap[CONTROLLER]["changed"] == 0, setup.output
    ours = podman("exec", worker, "cat", "/etc/slurm/slurm.conf").stdout
    assert "edited by hand" not in ours
    assert ours == on_controller("cat /etc/slurm/slurm.conf").stdout
    mode = podman("exec", worker, "stat", "--format=%a %U", "/var/log/slurm").stdout.split()
    assert mode == ["755", "slurm"]
    assert sinfo_nodes() == {worker: "idle"}


def test_a_worker_removed_behind_the_collections_back_is_made_again_and_rejoins(scaled_in):
    """podman rm of the worker, outside the collection: the next create makes it again, with
    its name and fixed address, and it rejoins SLURM with no manual step."""
    worker = "itscale-compute001"
    address = podman("inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                     worker).stdout.strip()
    assert podman("rm", "--force", "--time", "5", worker).returncode == 0
    assert cluster_containers(CLUSTER) == ["itscale-frontend001"]

    created = run_playbook("create", DEFINITION)

    assert created.rc == 0, created.output
    assert cluster_containers(CLUSTER) == ["itscale-compute001", "itscale-frontend001"]
    assert podman("inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                  worker).stdout.strip() == address
    (passed, _skipped, failed), checks = smoke_summary(created)
    assert failed == 0 and passed >= 1
    assert "SLURM job on %s" % worker in checks
    assert sinfo_nodes() == {worker: "idle"}


def test_destroy_is_refused_while_a_job_runs_and_goes_through_when_forced(scaled_in):
    job = on_controller("cd /tmp && runuser -u grid -- sbatch --parsable --wrap='sleep 300'")
    assert job.returncode == 0, job.stderr
    job_id = job.stdout.strip()

    refused = run_playbook("destroy", DEFINITION)

    assert refused.rc != 0
    message = " ".join(refused.output.replace("'", " ").split())
    assert "still has 1 unfinished job(s)" in message
    assert "%s grid " % job_id in message
    assert "Nothing has been removed" in message
    assert cluster_containers(CLUSTER) == ["itscale-compute001", "itscale-frontend001"]

    forced = run_playbook("destroy", DEFINITION, "-e", "cluster_destroy_force=true",
                          "-e", "cluster_destroy_volume_policy=delete")

    assert forced.rc == 0, forced.output
    assert cluster_containers(CLUSTER) == []
