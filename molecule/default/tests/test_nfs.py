"""The shared directories in the default scenario: NFS-Ganesha on the frontend, the provider's
shared dirs on the workers (this kernel has no NFS client).

NFS itself is checked over the protocol from a worker with libnfs-utils (nfs-ls, nfs-cp), and
the sharing the jobs rely on by a SLURM job that writes into the session dir on a worker.
"""

import json
import uuid

import pytest

from gridcloud_molecule import node, run_playbook

testinfra_hosts = ["mol-frontend001"]

SERVER = "mol-frontend001"
WORKERS = ["mol-compute001", "mol-compute002"]
GRID_UID = 20000
EXPORTS = ["/srv/grid/session", "/srv/grid/cache", "/srv/grid/runtime", "/home"]


def nfs_url(path, uid=None):
    url = "nfs://%s%s" % (SERVER, path)
    if uid is not None:
        url += "?uid=%d&gid=%d" % (uid, uid)
    return url


def test_ganesha_serves_on_the_nfs_port(host):
    assert host.service("nfs-ganesha").is_running
    assert host.service("nfs-ganesha").is_enabled
    assert host.socket("tcp://0.0.0.0:2049").is_listening or \
        host.socket("tcp://:::2049").is_listening


def test_ganesha_exports_every_shared_dir_to_the_workers_only(host):
    exports = host.file("/etc/ganesha/gridcloud-exports.conf").content_string
    for path in EXPORTS:
        assert 'Path = "%s";' % path in exports
    addresses = [node(w).interface("eth0").addresses[0] for w in WORKERS]
    assert exports.count("Clients = %s;" % ", ".join(addresses)) == len(EXPORTS)
    assert "Squash = Root_Squash;" in exports


def test_exported_dirs_have_their_owners(host):
    session = host.file("/srv/grid/session")
    assert session.is_directory
    assert session.uid == GRID_UID and session.mode == 0o755
    assert host.file("/srv/grid/runtime").uid == 0


@pytest.mark.parametrize("worker", WORKERS)
def test_a_worker_lists_the_export_over_nfs(worker):
    listing = node(worker).run("nfs-ls %s", nfs_url("/home"))
    assert listing.rc == 0, listing.stderr
    assert "grid" in listing.stdout.split()  # the grid user's home, made by the common role


def test_a_file_written_over_nfs_by_the_grid_user_lands_on_the_frontend(host):
    worker = node(WORKERS[0])
    name = "nfs-%s.txt" % uuid.uuid4().hex[:8]
    text = "written over NFS from %s" % WORKERS[0]
    worker.run_test("printf '%%s' %s > /tmp/%s", text, name)

    copy = worker.run("nfs-cp /tmp/%s '%s'" % (name, nfs_url("/srv/grid/session/" + name, GRID_UID)))

    assert copy.rc == 0, copy.stdout + copy.stderr
    written = host.file("/srv/grid/session/" + name)
    assert written.exists
    assert written.uid == GRID_UID
    assert written.content_string == text


def test_root_on_a_worker_is_squashed_by_the_server(host):
    """The export policy is Ganesha's, so the file above really went through NFS."""
    worker = node(WORKERS[1])
    name = "root-%s.txt" % uuid.uuid4().hex[:8]
    worker.run_test("echo x > /tmp/%s", name)

    copy = worker.run("nfs-cp /tmp/%s '%s'" % (name, nfs_url("/srv/grid/session/" + name)))

    assert copy.rc != 0
    assert "NFS3ERR_ACCES" in copy.stdout + copy.stderr
    assert not host.file("/srv/grid/session/" + name).exists


@pytest.mark.parametrize("worker", WORKERS)
def test_a_job_on_a_worker_writes_into_the_session_dir_seen_on_the_frontend(host, worker):
    name = "job-%s.txt" % uuid.uuid4().hex[:8]
    job = host.run(
        "cd /tmp && timeout 180 runuser -u grid -- sbatch --parsable --wait --nodelist=%s "
        "--output=/dev/null --wrap 'hostname > /srv/grid/session/%s'", worker, name)
    assert job.rc == 0, job.stderr

    written = host.file("/srv/grid/session/" + name)
    assert written.exists
    assert written.uid == GRID_UID
    assert written.content_string.strip() == worker


def apply_nfs_server(extra_vars=None):
    """Run the nfs_server role on the frontend, as setup would; return (rc, output)."""
    extra = ["-e", json.dumps(extra_vars)] if extra_vars else []
    return run_playbook("apply-role.yml", "-e", "apply_role=nfs_server", *extra)


def test_a_new_export_is_reloaded_into_ganesha_without_a_restart(host):
    pid = host.check_output("systemctl show --property MainPID --value nfs-ganesha")
    worker = node(WORKERS[0])
    extra = {"path": "/srv/grid/extra", "owner": "grid", "group": "grid"}
    exports = [{"path": p} for p in EXPORTS[:2]]
    exports[0].update(owner="grid", group="grid")
    exports[1].update(owner="grid", group="grid")
    exports += [{"path": p} for p in EXPORTS[2:]]
    try:
        rc, output = apply_nfs_server({"nfs_server_exports": exports + [extra]})
        assert rc == 0, output
        assert "Reload NFS-Ganesha exports" in output
        assert "Restart NFS-Ganesha" not in output
        assert worker.run("nfs-ls %s", nfs_url("/srv/grid/extra")).rc == 0
    finally:
        rc, output = apply_nfs_server()
    assert rc == 0, output
    assert host.check_output("systemctl show --property MainPID --value nfs-ganesha") == pid
    assert worker.run("nfs-ls %s", nfs_url("/srv/grid/extra")).rc != 0  # gone again
