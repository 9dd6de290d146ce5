"""Debian 12 nodes: systemd, names, grid ids and an xfs volume."""

import pytest

NODES = ["molbw-frontend001", "molbw-compute001"]


def test_node_runs_debian_12_with_systemd(host):
    assert host.file("/etc/debian_version").content_string.startswith("12.")
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"
    assert host.run("systemctl is-system-running").stdout.strip() in ("running", "degraded")


@pytest.mark.parametrize("peer", NODES)
def test_nodes_resolve_each_other(host, peer):
    assert host.run("getent hosts %s" % peer).rc == 0
    assert host.run("ping -c1 -W2 %s" % peer).rc == 0


def test_grid_user_ids(host):
    user = host.user("grid")
    assert (user.uid, user.gid) == (20000, 20000)
