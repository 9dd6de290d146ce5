"""munge and SLURM in the default scenario: one controller (frontend), two workers, accounting on.

Jobs are real: submitted with sbatch as the grid user, run by slurmd on the worker, and
recorded by slurmdbd in MariaDB.
"""

import hashlib
import os

import pytest
from gridcloud_molecule import node

testinfra_hosts = ["mol-frontend001"]

CONTROLLER = "mol-frontend001"
WORKERS = ["mol-compute001", "mol-compute002"]
NODES = [CONTROLLER] + WORKERS
GRID_USER = "grid"


def secrets_dir(cluster):
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return os.path.join(data_home, "gridcloud", "clusters", cluster, "secrets")


@pytest.mark.parametrize("name", NODES)
def test_munge_key_is_the_clusters_key_and_private(name):
    key = node(name).file("/etc/munge/munge.key")
    assert key.user == "munge"
    assert key.group == "munge"
    assert key.mode == 0o400
    with open(os.path.join(secrets_dir("mol"), "munge.key"), "rb") as kept:
        expected = hashlib.sha256(kept.read().rstrip(b"\n")).hexdigest()
    assert key.sha256sum == expected, "the key on %s is not the cluster's key" % name


@pytest.mark.parametrize("name", WORKERS)
def test_a_credential_made_on_a_worker_decodes_on_the_controller(name):
    credential = node(name).check_output("munge --no-input")
    decoded = node(CONTROLLER).run("echo %s | unmunge --metadata=- --output=/dev/null" % credential)
    assert decoded.rc == 0, decoded.stderr
    assert "STATUS:          Success" in decoded.stdout


def test_slurm_conf_is_the_same_on_every_node():
    sums = {name: node(name).file("/etc/slurm/slurm.conf").sha256sum for name in NODES}
    assert len(set(sums.values())) == 1, sums


def test_slurm_conf_lists_the_workers_and_the_partition(host):
    conf = host.file("/etc/slurm/slurm.conf").content_string
    assert "SlurmctldHost=%s\n" % CONTROLLER in conf
    for worker in WORKERS:
        assert "NodeName=%s " % worker in conf
    assert "PartitionName=main Nodes=%s Default=YES" % ",".join(WORKERS) in conf


def test_daemons_run_where_they_belong(host):
    assert host.service("slurmctld").is_running
    assert host.service("slurmctld").is_enabled
    assert host.socket("tcp://0.0.0.0:6817").is_listening
    for worker in WORKERS:
        slurmd = node(worker).service("slurmd")
        assert slurmd.is_running and slurmd.is_enabled, worker
        assert not node(worker).service("slurmctld").is_running, worker


def test_sinfo_lists_both_workers_idle(host):
    lines = host.check_output("sinfo --noheader --Node --format '%N %P %t'").splitlines()
    assert sorted(lines) == ["%s main* idle" % worker for worker in WORKERS]


@pytest.fixture(scope="module")
def finished_jobs(host):
    """One sbatch job per worker, run as the grid user, waited for; {worker: job id}."""
    jobs = {}
    for worker in WORKERS:
        job = host.run(
            "cd /tmp && timeout 180 runuser -u %s -- sbatch --parsable --wait --nodelist=%s "
            "--output=/tmp/gridcloud-test-%%j.out "
            "--wrap='echo ran on $(hostname) as $(id -un) in $SLURM_JOB_PARTITION'"
            % (GRID_USER, worker))
        assert job.rc == 0, "sbatch on %s failed: %s" % (worker, job.stderr)
        jobs[worker] = job.stdout.strip()
    return jobs


@pytest.mark.parametrize("worker", WORKERS)
def test_a_job_runs_on_each_worker_and_writes_its_output(finished_jobs, worker):
    output = node(worker).file("/tmp/gridcloud-test-%s.out" % finished_jobs[worker])
    assert output.exists, "no output of job %s on %s" % (finished_jobs[worker], worker)
    assert output.content_string.strip() == "ran on %s as %s in main" % (worker, GRID_USER)
    assert output.user == GRID_USER


@pytest.mark.parametrize("worker", WORKERS)
def test_sacct_shows_the_finished_job(host, finished_jobs, worker):
    record = host.run(
        "sacct --noheader --parsable2 --allocations --jobs=%s --format=State,NodeList,User,ExitCode"
        % finished_jobs[worker])
    assert record.rc == 0, record.stderr
    assert record.stdout.strip() == "COMPLETED|%s|%s|0:0" % (worker, GRID_USER)


def test_the_cluster_is_registered_for_accounting(host):
    clusters = host.check_output("sacctmgr --noheader --parsable2 list cluster format=Cluster")
    assert clusters.split() == ["mol"]


def test_mariadb_listens_on_loopback_only(host):
    assert host.service("mariadb").is_running
    assert host.socket("tcp://127.0.0.1:3306").is_listening
    assert not host.socket("tcp://0.0.0.0:3306").is_listening


def test_slurmdbd_conf_holds_the_generated_password_readable_by_slurm_only(host):
    conf = host.file("/etc/slurm/slurmdbd.conf")
    assert (conf.user, conf.group, conf.mode) == ("slurm", "slurm", 0o600)
    with open(os.path.join(secrets_dir("mol"), "slurmdbd-db.password")) as kept:
        password = kept.read().strip()
    assert len(password) == 32
    assert "StoragePass=%s\n" % password in conf.content_string
