"""SLURM 22.05 on Debian 12: the controller and its worker, accounting off (the default)."""

from gridcloud_molecule import node

testinfra_hosts = ["molbw-frontend001"]

WORKER = "molbw-compute001"


def test_slurm_is_the_distributions_22_05(host):
    assert host.package("slurmctld").version.startswith("22.05.")


def test_pid_files_are_where_debian_12s_units_look(host):
    conf = host.file("/etc/slurm/slurm.conf").content_string
    assert "SlurmctldPidFile=/run/slurmctld.pid\n" in conf
    assert host.file("/run/slurmctld.pid").exists
    assert node(WORKER).file("/run/slurmd.pid").exists


def test_no_accounting_unless_asked(host):
    conf = host.file("/etc/slurm/slurm.conf").content_string
    assert "AccountingStorageType" not in conf
    assert not host.package("slurmdbd").is_installed
    assert not host.package("mariadb-server").is_installed


def test_the_worker_is_idle(host):
    assert host.check_output("sinfo --noheader --Node --format '%N %t'") == "%s idle" % WORKER


def test_a_job_runs_on_the_worker_as_the_grid_user(host):
    job = host.run("cd /tmp && timeout 180 runuser -u grid -- sbatch --parsable --wait "
                   "--output=/tmp/bw-%j.out --wrap='echo $(hostname) $(id -un)'")
    assert job.rc == 0, job.stderr
    output = node(WORKER).file("/tmp/bw-%s.out" % job.stdout.strip())
    assert output.content_string.strip() == "%s grid" % WORKER
