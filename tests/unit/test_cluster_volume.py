# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/modules/cluster_volume.py against an in-memory podman and losetup.

The backing files are real (sparse, under tmp_path); the loop devices and the device nodes in
the node are the fake's (fake_podman.py), which also answers ``os.stat`` of its loop devices
inside the podman provider module.
"""

from __future__ import annotations

import os

import pytest

from fake_podman import run_module

from ansible_collections.gridcloud.arc_cluster.plugins.modules.cluster_volume import main

GIB = 1024 ** 3
MIB = 1024 ** 2
NODE = "demo-frontend001"
DEVICE = "/dev/disk/by-id/gridcloud-shared"


@pytest.fixture
def podman(fake_podman):
    fake_podman.add_container(NODE, "demo", "frontend", 1)
    return fake_podman


@pytest.fixture
def volume_dir(tmp_path):
    return tmp_path / "volumes"


@pytest.fixture
def backing_file(volume_dir):
    return volume_dir / "demo" / ("%s-shared.img" % NODE)


def volume_args(volume_dir, **overrides):
    args = {
        "cluster": "demo",
        "node": NODE,
        "name": "shared",
        "size": "1GiB",
        "provider_settings": {"volume_dir": str(volume_dir)},
    }
    args.update(overrides)
    return args


def losetup_find_calls(podman):
    return podman.commands("losetup", "--find")


# --------------------------------------------------------------------------- present

def test_create_makes_sparse_file_loop_and_device_node(podman, volume_dir, backing_file):
    result = run_module(main, volume_args(volume_dir))

    assert not result.get("failed"), result
    assert result["changed"] is True
    volume = result["volume"]
    assert volume["device"] == DEVICE
    assert volume["name"] == "shared"
    assert volume["node"] == NODE
    assert volume["attached"] is True
    assert volume["size_bytes"] == GIB
    assert volume["loop_device"] == "/dev/loop0"
    assert volume["file"] == volume["id"] == str(backing_file)

    assert backing_file.is_file()
    info = os.stat(backing_file)
    assert info.st_size == GIB
    assert info.st_blocks * 512 < GIB  # sparse: nothing written

    assert losetup_find_calls(podman) == [["losetup", "--find", "--show", str(backing_file)]]
    assert podman.loops == {"/dev/loop0": str(backing_file)}
    mknods = podman.mknod_calls()
    assert len(mknods) == 1
    assert mknods[0][:3] == ["podman", "exec", NODE]
    assert mknods[0][-2:] == ["/dev/disk/by-id", DEVICE]
    assert "mknod -m 0660 \"$2\" b 7 0" in mknods[0][5]
    assert podman.devices == {(NODE, DEVICE): (7, 0)}
    assert "warnings" not in result


def test_create_uses_the_minor_of_the_loop_it_got(podman, volume_dir):
    podman.loops["/dev/loop0"] = "/somewhere/else.img"
    podman.loops["/dev/loop1"] = "/somewhere/other.img"

    result = run_module(main, volume_args(volume_dir))

    assert result["volume"]["loop_device"] == "/dev/loop2"
    assert podman.devices == {(NODE, DEVICE): (7, 2)}


def test_rerun_is_unchanged(podman, volume_dir):
    run_module(main, volume_args(volume_dir))
    before = len(podman.calls)

    result = run_module(main, volume_args(volume_dir))

    assert not result.get("failed"), result
    assert result["changed"] is False
    assert result["volume"]["device"] == DEVICE
    assert result["volume"]["loop_device"] == "/dev/loop0"
    assert result["volume"]["attached"] is True
    again = podman.calls[before:]
    assert not [argv for argv in again if argv[:2] == ["losetup", "--find"]], podman.describe()
    assert not [argv for argv in again if argv in podman.mknod_calls()], podman.describe()
    assert "warnings" not in result


def test_missing_device_node_is_made_again(podman, volume_dir):
    run_module(main, volume_args(volume_dir))
    podman.devices.clear()  # e.g. the node was recreated; the loop device is still there

    result = run_module(main, volume_args(volume_dir))

    assert result["changed"] is True
    assert len(losetup_find_calls(podman)) == 1  # only the first run attached it
    assert len(podman.mknod_calls()) == 2
    assert podman.devices == {(NODE, DEVICE): (7, 0)}


def test_device_node_of_another_loop_is_replaced(podman, volume_dir):
    run_module(main, volume_args(volume_dir))
    podman.devices[(NODE, DEVICE)] = (7, 5)

    result = run_module(main, volume_args(volume_dir))

    assert result["changed"] is True
    assert len(podman.mknod_calls()) == 2
    assert podman.devices == {(NODE, DEVICE): (7, 0)}


def test_detached_file_is_attached_again_keeping_its_data(podman, volume_dir, backing_file):
    run_module(main, volume_args(volume_dir))
    with open(backing_file, "r+b") as handle:
        handle.write(b"data")
    podman.loops.clear()  # e.g. the host rebooted

    result = run_module(main, volume_args(volume_dir))

    assert result["changed"] is True
    assert len(losetup_find_calls(podman)) == 2
    assert result["volume"]["loop_device"] == "/dev/loop0"
    with open(backing_file, "rb") as handle:
        assert handle.read(4) == b"data"


def test_check_mode_on_new_volume_creates_nothing(podman, volume_dir, backing_file):
    result = run_module(main, volume_args(volume_dir), check_mode=True)

    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["volume"]["device"] == DEVICE
    assert result["volume"]["size_bytes"] == GIB
    assert result["volume"]["attached"] is False
    assert not backing_file.exists()
    assert not volume_dir.exists()
    assert podman.mutating_calls() == [], podman.describe()
    assert podman.loops == {} and podman.devices == {}


def test_check_mode_on_detached_volume_attaches_nothing(podman, volume_dir):
    run_module(main, volume_args(volume_dir))
    podman.loops.clear()
    podman.devices.clear()
    before = len(podman.mutating_calls())

    result = run_module(main, volume_args(volume_dir), check_mode=True)

    assert result["changed"] is True
    assert len(podman.mutating_calls()) == before, podman.describe()
    assert podman.loops == {} and podman.devices == {}


def test_size_mismatch_with_existing_volume_warns_and_keeps_it(podman, volume_dir,
                                                               backing_file):
    run_module(main, volume_args(volume_dir, size="1GiB"))

    result = run_module(main, volume_args(volume_dir, size="2GiB"))

    assert not result.get("failed"), result
    assert result["changed"] is False
    assert result["volume"]["size_bytes"] == GIB
    assert os.path.getsize(backing_file) == GIB
    assert len(result["warnings"]) == 1
    warning = result["warnings"][0]
    assert "volume shared of %s has %d bytes, not the %d asked for" % (NODE, GIB, 2 * GIB) \
        in warning
    assert "never resized" in warning


# --------------------------------------------------------------------------- absent

def test_absent_keep_detaches_and_keeps_the_file(podman, volume_dir, backing_file):
    run_module(main, volume_args(volume_dir))

    result = run_module(main, volume_args(volume_dir, size=None, state="absent"))

    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["volume"]["attached"] is False
    assert result["volume"]["loop_device"] is None
    assert podman.commands("losetup", "--detach") == [["losetup", "--detach", "/dev/loop0"]]
    assert podman.loops == {}
    assert backing_file.is_file()


def test_absent_delete_detaches_and_removes_the_file(podman, volume_dir, backing_file):
    run_module(main, volume_args(volume_dir))

    result = run_module(main, volume_args(volume_dir, state="absent", policy="delete"))

    assert result["changed"] is True
    assert podman.commands("losetup", "--detach") == [["losetup", "--detach", "/dev/loop0"]]
    assert not backing_file.exists()
    assert result["volume"]["file"] == str(backing_file)


def test_absent_delete_of_a_detached_volume_removes_the_file(podman, volume_dir,
                                                             backing_file):
    run_module(main, volume_args(volume_dir))
    run_module(main, volume_args(volume_dir, state="absent"))

    result = run_module(main, volume_args(volume_dir, state="absent", policy="delete"))

    assert result["changed"] is True
    assert len(podman.commands("losetup", "--detach")) == 1  # from the keep run
    assert not backing_file.exists()


def test_absent_keep_twice_is_unchanged_the_second_time(podman, volume_dir, backing_file):
    run_module(main, volume_args(volume_dir))
    run_module(main, volume_args(volume_dir, state="absent"))

    result = run_module(main, volume_args(volume_dir, state="absent"))

    assert result["changed"] is False
    assert result["volume"]["attached"] is False
    assert backing_file.is_file()


def test_absent_when_missing_is_unchanged(podman, volume_dir):
    result = run_module(main, volume_args(volume_dir, state="absent", policy="delete"))

    assert not result.get("failed"), result
    assert result["changed"] is False
    assert result["volume"] is None
    assert podman.calls == []


def test_absent_in_check_mode_changes_nothing(podman, volume_dir, backing_file):
    run_module(main, volume_args(volume_dir))
    before = len(podman.mutating_calls())

    result = run_module(main, volume_args(volume_dir, state="absent", policy="delete"),
                        check_mode=True)

    assert result["changed"] is True
    assert len(podman.mutating_calls()) == before
    assert podman.loops == {"/dev/loop0": str(backing_file)}
    assert backing_file.is_file()


# --------------------------------------------------------------------------- failures

def test_bad_size_fails_naming_size(podman, volume_dir):
    result = run_module(main, volume_args(volume_dir, size="abc"))

    assert result["failed"] is True
    assert result["msg"].startswith("size:")
    assert "'abc'" in result["msg"]
    assert podman.calls == []
    assert not volume_dir.exists()


@pytest.mark.parametrize("size", ["63MiB", "1MiB", "4096B"])
def test_size_below_minimum_fails(podman, volume_dir, size):
    result = run_module(main, volume_args(volume_dir, size=size))

    assert result["failed"] is True
    assert "size" in result["msg"] and "64MiB" in result["msg"]
    assert podman.calls == []
    assert not volume_dir.exists()


def test_minimum_size_is_accepted(podman, volume_dir):
    result = run_module(main, volume_args(volume_dir, size="64MiB"))

    assert result["changed"] is True
    assert result["volume"]["size_bytes"] == 64 * MIB


def test_state_present_requires_size(podman, volume_dir):
    args = volume_args(volume_dir)
    del args["size"]

    result = run_module(main, args)

    assert result["failed"] is True
    assert "size" in result["msg"]
    assert podman.calls == []


def test_missing_node_fails_before_anything_is_made(fake_podman, volume_dir):
    result = run_module(main, volume_args(volume_dir))

    assert result["failed"] is True
    assert result["msg"] == ("volume shared: node %s does not exist; create the node first"
                             % NODE)
    # no file, no loop device left behind
    assert list(volume_dir.rglob("*.img")) == []
    assert fake_podman.loops == {}


def test_check_mode_for_a_node_still_to_be_created_predicts_a_change(fake_podman, volume_dir):
    result = run_module(main, volume_args(volume_dir), check_mode=True)

    assert result["changed"] is True
    assert result["volume"]["attached"] is False
    assert list(volume_dir.rglob("*.img")) == []
    assert fake_podman.loops == {}


# --------------------------------------------------------------------------- device dir on the host
# Nodes made by this version have <volume_dir>/<cluster>/devices/<node> bind-mounted at
# /dev/disk/by-id: the device node is made there, on the host, and outlives a container restart.

@pytest.fixture
def device_dir(volume_dir):
    path = volume_dir / "demo" / "devices" / NODE
    path.mkdir(parents=True)
    return path


def test_the_device_node_is_made_in_the_nodes_device_dir_on_the_host(podman, volume_dir,
                                                                     device_dir):
    result = run_module(main, volume_args(volume_dir))

    assert result["changed"] is True
    assert result["volume"]["device"] == DEVICE
    assert podman.os.host_devices == {str(device_dir / "gridcloud-shared"): (7, 0)}
    assert podman.mknod_calls() == []  # nothing made inside the container
    again = run_module(main, volume_args(volume_dir))
    assert again["changed"] is False


def provider(podman, volume_dir):
    from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers.podman import (
        PodmanProvider,
    )
    return PodmanProvider({"volume_dir": str(volume_dir)}, runner=podman)


def test_starting_a_node_makes_its_device_nodes_match_the_loops_now(podman, volume_dir,
                                                                    device_dir):
    run_module(main, volume_args(volume_dir))
    run_module(main, volume_args(volume_dir, name="spool"))
    shared, spool = str(device_dir / "gridcloud-shared"), str(device_dir / "gridcloud-spool")
    assert podman.os.host_devices == {shared: (7, 0), spool: (7, 1)}
    # as after a host reboot: the loops are gone, and another volume got loop1 first
    podman.loops.clear()
    podman.loops["/dev/loop1"] = str(volume_dir / "demo" / "other-node-volume.img")
    podman.loops["/dev/loop2"] = str(volume_dir / "demo" / ("%s-shared.img" % NODE))
    podman.containers[NODE]["state"] = "exited"

    provider(podman, volume_dir).start_node({"name": NODE, "cluster": "demo", "state": "stopped"})

    # shared follows its file to loop2; spool's loop is gone: no node that points at loop1,
    # which now holds another volume
    assert podman.os.host_devices == {shared: (7, 2)}
    assert sorted(os.listdir(device_dir)) == ["gridcloud-shared"]


def test_removing_the_volume_removes_its_device_node_from_the_host(podman, volume_dir,
                                                                   device_dir):
    run_module(main, volume_args(volume_dir))
    result = run_module(main, volume_args(volume_dir, state="absent"))
    assert result["changed"] is True
    assert podman.os.host_devices == {}
    assert os.listdir(device_dir) == []
