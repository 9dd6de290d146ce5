"""The local cluster's lifecycle on real podman nodes and loop-device volumes.

1 frontend with a 1 GiB volume and 2 compute nodes: create, re-run without change, check mode
without change, a package removed by hand installed again, a restarted node that mounts its
volume again by itself, data on the volume
survives destroy (policy keep) and create, then destroy with policy delete removes everything.
"""

import re
import time

import pytest

from conftest import (
    DEFINITIONS,
    cluster_containers,
    created_cluster,
    network_exists,
    podman,
    run_playbook,
    volume_files,
)

DEFINITION = DEFINITIONS / "keep.yml"
CLUSTER = "itkeep"
NODES = ["itkeep-compute001", "itkeep-compute002", "itkeep-frontend001"]


@pytest.fixture(scope="module")
def cluster():
    yield from created_cluster(DEFINITION)


def test_create_gives_three_running_nodes(cluster):
    assert cluster_containers(CLUSTER) == NODES
    for node in NODES:
        state = podman("exec", node, "systemctl", "is-system-running")
        assert state.stdout.strip() in ("running", "degraded"), (node, state.stdout)


def test_frontend_volume_is_mounted_ext4(cluster):
    out = podman("exec", "itkeep-frontend001", "findmnt", "--noheadings", "--output",
                 "SOURCE,FSTYPE", "/srv/shared").stdout.split()
    assert out == ["/dev/disk/by-id/gridcloud-shared", "ext4"]


def test_hooks_ran_at_their_points(cluster):
    frontend = podman("exec", "itkeep-frontend001", "cat", "/root/hooks.log").stdout.splitlines()
    assert frontend == ["before no-grid-user", "after_storage volume-mounted", "after"]
    compute = podman("exec", "itkeep-compute001", "cat", "/root/hooks.log").stdout.splitlines()
    assert compute == ["before no-grid-user", "after"]  # after_storage targets the frontend


def test_second_create_changes_nothing(cluster):
    again = run_playbook("create", DEFINITION)
    assert again.rc == 0, again.output
    assert set(again.recap) == set(NODES) | {"localhost"}
    assert {host: r["changed"] for host, r in again.recap.items()} == \
        {host: 0 for host in again.recap}, again.output


def test_check_mode_changes_nothing(cluster):
    check = run_playbook("create", DEFINITION, "--check")
    assert check.rc == 0, check.output
    assert all(r["changed"] == 0 for r in check.recap.values()), check.output


def test_a_package_removed_by_hand_is_installed_again_by_setup(cluster):
    """setup reads the installed packages at its start and the roles run apt only for what is
    missing: a base package removed on one node is missing there, and installed again."""
    removed = podman("exec", "itkeep-compute001", "apt-get", "remove", "--yes", "--quiet", "less")
    assert removed.returncode == 0, removed.stderr
    setup = run_playbook("setup", DEFINITION)
    assert setup.rc == 0, setup.output
    assert setup.recap["itkeep-compute001"]["changed"] >= 1, setup.output
    assert setup.recap["itkeep-compute002"]["changed"] == 0, setup.output
    status = podman("exec", "itkeep-compute001", "dpkg-query", "--show", "--showformat=${db:Status-Status}", "less")
    assert status.stdout == "installed"


def test_a_restarted_node_mounts_its_volume_again_with_its_data(cluster):
    """podman restart: the device node (on the host) and the mount unit bring the volume back
    at boot, before anything else runs; the next create has nothing to do."""
    frontend = "itkeep-frontend001"
    address = podman("inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                     frontend).stdout.strip()
    assert podman("exec", frontend, "sh", "-c", "echo kept > /srv/shared/restart.txt").returncode == 0
    assert podman("restart", frontend).returncode == 0
    deadline, state = time.monotonic() + 120, ""
    while state not in ("running", "degraded") and time.monotonic() < deadline:
        time.sleep(2)  # until systemd in the node answers and has finished booting
        state = podman("exec", frontend, "systemctl", "is-system-running").stdout.strip()
    assert state in ("running", "degraded"), state
    out = podman("exec", frontend, "findmnt", "--noheadings", "--output", "SOURCE,FSTYPE",
                 "/srv/shared").stdout.split()
    assert out == ["/dev/disk/by-id/gridcloud-shared", "ext4"]
    assert podman("exec", frontend, "cat", "/srv/shared/restart.txt").stdout == "kept\n"
    # the node keeps its fixed address (podman run --ip), so the other nodes' /etc/hosts stay
    # right and the next create has nothing to do
    now = podman("inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                 frontend).stdout.strip()
    assert now == address
    again = run_playbook("create", DEFINITION)
    assert again.rc == 0, again.output
    changed_tasks = set(re.findall(r"^TASK \[([^\]]+)\][^\n]*\n(?:(?!TASK ).*\n)*?changed: ",
                                   again.output, re.MULTILINE))
    assert changed_tasks == set(), changed_tasks


def test_volume_data_survives_destroy_with_policy_keep(cluster):
    write = podman("exec", "itkeep-frontend001", "sh", "-c",
                   "echo precious-data > /srv/shared/marker && sync")
    assert write.returncode == 0, write.stderr
    destroyed = run_playbook("destroy", DEFINITION)
    assert destroyed.rc == 0, destroyed.output
    assert cluster_containers(CLUSTER) == []
    assert not network_exists(CLUSTER)
    assert [f.name for f in volume_files(CLUSTER)] == ["itkeep-frontend001-shared.img"]

    created = run_playbook("create", DEFINITION)
    assert created.rc == 0, created.output
    assert "Make a filesystem on each blank volume" in created.output
    marker = podman("exec", "itkeep-frontend001", "cat", "/srv/shared/marker")
    assert marker.stdout.strip() == "precious-data", marker.stderr


def test_destroy_with_policy_delete_removes_volume_data(cluster):
    destroyed = run_playbook("destroy", DEFINITION, "-e", "cluster_destroy_volume_policy=delete")
    assert destroyed.rc == 0, destroyed.output
    assert cluster_containers(CLUSTER) == []
    assert volume_files(CLUSTER) == []
    # the module fixture's final destroy finds nothing left and still succeeds
