"""Checks of the nodes that the default scenario created and configured."""

import pytest

NODES = ["mol-frontend001", "mol-compute001", "mol-compute002"]
GRID_UID = 20000
GRID_GID = 20000


def test_systemd_is_pid_1_and_booted(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"
    state = host.run("systemctl is-system-running")
    assert state.stdout.strip() in ("running", "degraded"), state.stdout
    failed = host.run("systemctl --failed --no-legend --plain")
    assert failed.stdout.strip() == "", "failed units: %s" % failed.stdout


def test_hostname_is_node_name(host):
    name = host.check_output("hostname")
    assert name in NODES


@pytest.mark.parametrize("peer", NODES)
def test_nodes_resolve_each_other_by_name(host, peer):
    entry = host.run("getent hosts %s" % peer)
    assert entry.rc == 0, "%s cannot resolve %s" % (host.check_output("hostname"), peer)
    address = entry.stdout.split()[0]
    ping = host.run("ping -c1 -W2 %s" % peer)
    assert ping.rc == 0, "ping %s (%s) failed: %s" % (peer, address, ping.stderr)


def test_etc_hosts_lists_every_node(host):
    hosts = host.file("/etc/hosts").content_string
    for node in NODES:
        assert " %s\n" % node in hosts


def test_grid_user_has_the_same_ids_everywhere(host):
    user = host.user("grid")
    assert user.exists
    assert user.uid == GRID_UID
    assert user.gid == GRID_GID
    assert host.group("grid").gid == GRID_GID
    assert host.file("/home/grid").is_directory
    assert host.file("/home/grid").uid == GRID_UID
