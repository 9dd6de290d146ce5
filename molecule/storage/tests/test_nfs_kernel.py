"""The kernel NFS server role on a node whose kernel has no NFS server.

What runs here: the packages, the exported directories with their owners, the exports file,
applied by `exportfs -ra` (which checks every option) and read back with `exportfs -s`, the
reload (not restart) when only the exports change, and the role's errors for bad exports.
What cannot run here: nfs-server itself (no nfsd in this kernel; nfs_server_kernel_service is
off in this scenario) and mounts from a client. Ganesha serves for real in the default scenario.
"""

import json

import pytest

from gridcloud_molecule import run_playbook

testinfra_hosts = ["molst-node001"]

EXPORTS_FILE = "/etc/exports.d/gridcloud.exports"
EXPECTED_LINES = [
    "/srv/grid/session 10.89.0.0/16(rw,root_squash,sync,no_subtree_check)",
    "/srv/data/software 192.0.2.0/24(ro,all_squash,sync,no_subtree_check,anonuid=20000,"
    "anongid=20000) 198.51.100.7(ro,all_squash,sync,no_subtree_check,anonuid=20000,"
    "anongid=20000)",
]
SCENARIO_EXPORTS = [
    {"path": "/srv/grid/session", "owner": "grid", "group": "grid", "mode": "0755"},
    {"path": "/srv/data/software", "mode": "0775", "access": "ro", "squash": "all",
     "kernel_options": "anonuid=20000,anongid=20000",
     "clients": ["192.0.2.0/24", "198.51.100.7"]},
]


def export_lines(host):
    content = host.file(EXPORTS_FILE).content_string
    return [line for line in content.splitlines() if line and not line.startswith("#")]


def applied(host):
    """{path: [client(options), ...]} as exportfs has applied them."""
    result = {}
    for line in host.check_output("exportfs -s").splitlines():
        path, entry = line.split(None, 1)
        result.setdefault(path, []).append(entry.strip())
    return result


def test_packages_and_service_state(host):
    assert host.package("nfs-kernel-server").is_installed
    # not started on purpose: this kernel has no nfsd (see the module docstring)
    assert not host.service("nfs-server").is_running


def test_the_exports_file_has_one_line_per_export(host):
    exports = host.file(EXPORTS_FILE)
    assert exports.user == "root" and exports.mode == 0o644
    assert export_lines(host) == EXPECTED_LINES


def test_exportfs_has_applied_every_export_with_its_options(host):
    exports = applied(host)
    assert sorted(exports) == ["/srv/data/software", "/srv/grid/session"]
    assert exports["/srv/grid/session"][0].startswith("10.89.0.0/16(")
    assert "root_squash" in exports["/srv/grid/session"][0]
    software = exports["/srv/data/software"]
    assert sorted(entry.split("(")[0] for entry in software) == ["192.0.2.0/24", "198.51.100.7"]
    assert all("ro," in entry and "all_squash" in entry and "anonuid=20000" in entry
               for entry in software)


def test_exported_dirs_exist_with_their_owners(host):
    session = host.file("/srv/grid/session")
    assert session.is_directory and session.user == "grid" and session.mode == 0o755
    software = host.file("/srv/data/software")
    assert software.is_directory and software.user == "root" and software.mode == 0o775


def test_no_failed_units_are_left(host):
    failed = host.run("systemctl list-units --failed --plain --no-legend")
    assert failed.stdout.strip() == "", failed.stdout


def test_changed_exports_are_reloaded_not_restarted(host):
    exports = SCENARIO_EXPORTS + [{"path": "/srv/data/extra", "clients": ["192.0.2.9"]}]
    try:
        rc, output = run_playbook("apply-nfs-server.yml", "-e",
                                  json.dumps({"nfs_server_exports": exports}))
        assert rc == 0, output
        assert "RUNNING HANDLER [gridcloud.arc_cluster.nfs_server : Reload NFS exports]" in output
        extra = applied(host).get("/srv/data/extra", [])
        assert len(extra) == 1 and extra[0].startswith("192.0.2.9(")
        assert "rw,root_squash" in extra[0]
    finally:
        rc, output = run_playbook("apply-nfs-server.yml")
    assert rc == 0, output
    assert "/srv/data/extra" not in applied(host)
    assert export_lines(host) == EXPECTED_LINES


@pytest.mark.parametrize("override, message", [
    ({"nfs_server_implementation": "samba"},
     "nfs_server_implementation must be one of: kernel, ganesha, provider"),
    ({"nfs_server_exports": [{"path": "srv/grid"}]},
     "nfs_server_exports must be a list of dicts, each with an absolute path"),
    ({"nfs_server_exports": [{"path": "/etc"}]}, "that is not a system directory"),
    ({"nfs_server_exports": [{"path": "/srv/a"}, {"path": "/srv/a"}]}, "and appears once"),
    ({"nfs_server_exports": [{"path": "/srv/a", "squash": "nobody"}]},
     "squash root, none or all"),
    ({"nfs_server_clients": []}, "have no clients: no node is in the nfs_client group"),
    ({"nfs_server_implementation": "provider"},
     "is on the node's own root filesystem, so no other node sees it. Add a parent directory"),
])
def test_bad_values_are_refused_before_anything_changes(host, override, message):
    before = host.file(EXPORTS_FILE).sha256sum
    rc, output = run_playbook("apply-nfs-server.yml", "-e", json.dumps(override))
    assert rc != 0
    assert message in output, output[-2000:]
    assert host.file(EXPORTS_FILE).sha256sum == before
