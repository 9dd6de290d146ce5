# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/modules/cluster_nodes.py against an in-memory podman (fake_podman.py)."""

from __future__ import annotations

import pytest

from fake_podman import option_values, run_module

from ansible_collections.gridcloud.arc_cluster.plugins.modules.cluster_nodes import main
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers import (
    podman as podman_provider,
)

IMAGE = "localhost/gridcloud-node:trixie"


@pytest.fixture
def podman_without_image(fake_podman, tmp_path):
    """The fake podman, no image built yet; ``apt_cache_dir`` is for provider_settings."""
    fake_podman.apt_cache_dir = str(tmp_path / "apt")
    fake_podman.volume_dir = str(tmp_path / "volumes")
    return fake_podman


@pytest.fixture
def podman(podman_without_image):  # pylint: disable=redefined-outer-name
    """The fake podman with the default node image built."""
    podman_without_image.images.add(IMAGE)
    return podman_without_image


def nodes_args(podman, **overrides):
    args = {
        "cluster": "demo",
        "kind": "compute",
        "count": 2,
        "timeout": 5,  # the fake boots at once; a regression that waits wrongly stays quick
        # keep the per-node apt caches out of /var/cache, the device dirs out of /var/lib
        "provider_settings": {"apt_cache_dir": podman.apt_cache_dir,
                              "volume_dir": podman.volume_dir},
    }
    args.update(overrides)
    return args


def names(nodes):
    return [node["name"] for node in nodes]


def run_argv(podman, name):
    """The `podman run` argv that created ``name``."""
    matching = [argv for argv in podman.podman_calls("run")
                if option_values(argv, "--name") == [name]]
    assert len(matching) == 1, podman.describe()
    return matching[0]


# --------------------------------------------------------------------------- present

def test_create_two_from_nothing(podman, tmp_path):
    result = run_module(main, nodes_args(podman))

    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["created"] == ["demo-compute001", "demo-compute002"]
    assert result["started"] == []
    assert result["removed"] == []
    assert names(result["nodes"]) == ["demo-compute001", "demo-compute002"]
    for index, node in enumerate(result["nodes"], start=1):
        assert node["kind"] == "compute"
        assert node["index"] == index
        assert node["cluster"] == "demo"
        assert node["state"] == "running"
        assert node["address"].startswith("10.")
        assert node["image"] == IMAGE
        assert node["connection"] == {"ansible_connection": "gridcloud.arc_cluster.podman",
                                      "ansible_host": node["name"]}

    # the image was checked and the network made, labelled as the cluster's, before any node
    assert podman.podman_calls("image", "exists") == [["podman", "image", "exists", IMAGE]]
    assert podman.podman_calls("network", "create") == [
        ["podman", "network", "create", "--label", "gridcloud.cluster=demo", "demo-net"]]
    first_run = podman.calls.index(podman.podman_calls("run")[0])
    assert podman.calls.index(podman.podman_calls("network", "create")[0]) < first_run
    assert podman.calls.index(podman.podman_calls("image", "exists")[0]) < first_run
    assert podman.networks["demo-net"]["labels"] == {"gridcloud.cluster": "demo"}

    assert len(podman.podman_calls("run")) == 2
    for index, name in enumerate(["demo-compute001", "demo-compute002"], start=1):
        argv = run_argv(podman, name)
        assert argv[:3] == ["podman", "run", "--detach"]
        assert option_values(argv, "--hostname") == [name]
        assert option_values(argv, "--network") == ["demo-net"]
        # a fixed address from the 10th host of the network's subnet on, kept across restarts
        address = "10.89.0.%d" % (9 + index)
        assert option_values(argv, "--ip") == [address]
        assert podman.containers[name]["networks"] == {"demo-net": address}
        assert option_values(argv, "--systemd") == ["always"]
        assert "--no-hosts" in argv
        assert "SYS_ADMIN" in option_values(argv, "--cap-add")
        assert option_values(argv, "--device-cgroup-rule") == ["b 7:* rwm"]
        assert sorted(option_values(argv, "--label")) == sorted([
            "gridcloud.cluster=demo", "gridcloud.kind=compute", "gridcloud.index=%d" % index,
            "gridcloud.address=%s" % address])
        cache = tmp_path / "apt" / "trixie" / "demo" / ("compute%03d" % index)
        devices = tmp_path / "volumes" / "demo" / "devices" / name
        assert option_values(argv, "--volume") == [
            "%s:/var/cache/apt/archives:rw" % cache, "%s:/dev/disk/by-id:rw,dev" % devices]
        assert (cache / "partial").is_dir()
        assert devices.is_dir()
        assert argv[-1] == IMAGE
        # waited for systemd in each node
        assert ["podman", "exec", name, "systemctl", "is-system-running"] in podman.calls

    assert podman.podman_calls("rm") == []
    assert podman.podman_calls("start") == []


def test_a_new_node_finds_the_packages_other_nodes_downloaded(podman, tmp_path):
    """A node's apt cache is seeded with hard links to the release's packages in other slots."""
    release = tmp_path / "apt" / "trixie"
    other = release / "othercluster" / "frontend001"
    (other / "partial").mkdir(parents=True)
    (other / "slurmd_24.11.5_amd64.deb").write_bytes(b"slurmd")
    (other / "partial" / "half-downloaded.deb").write_bytes(b"half")
    (other / "lock").write_bytes(b"")
    bookworm = tmp_path / "apt" / "bookworm" / "x" / "frontend001"
    bookworm.mkdir(parents=True)
    (bookworm / "slurmd_22.05.8_amd64.deb").write_bytes(b"old")

    run_module(main, nodes_args(podman, count=1))

    cache = release / "demo" / "compute001"
    assert sorted(p.name for p in cache.iterdir()) == ["partial", "slurmd_24.11.5_amd64.deb"]
    assert (cache / "slurmd_24.11.5_amd64.deb").stat().st_ino == \
        (other / "slurmd_24.11.5_amd64.deb").stat().st_ino  # a link, not a copy
    assert list((cache / "partial").iterdir()) == []


def test_rerun_is_unchanged(podman):
    run_module(main, nodes_args(podman))
    before = len(podman.calls)

    result = run_module(main, nodes_args(podman))

    assert not result.get("failed"), result
    assert result["changed"] is False
    assert result["created"] == [] and result["started"] == [] and result["removed"] == []
    assert names(result["nodes"]) == ["demo-compute001", "demo-compute002"]
    again = podman.calls[before:]
    assert len(podman.mutating_calls()) == 3  # from the first run: 1 network + 2 runs
    for argv in again:
        assert argv[1] not in ("run", "rm", "start"), podman.describe()
        assert argv[1:3] != ["network", "create"], podman.describe()
    # nothing is missing, so the image is not even looked at again
    assert ["podman", "image", "exists", IMAGE] not in again


def test_scale_up_creates_only_the_next_index(podman):
    run_module(main, nodes_args(podman, count=2))
    runs_before = len(podman.podman_calls("run"))

    result = run_module(main, nodes_args(podman, count=3))

    assert result["changed"] is True
    assert result["created"] == ["demo-compute003"]
    assert result["removed"] == []
    assert names(result["nodes"]) == ["demo-compute001", "demo-compute002", "demo-compute003"]
    new_runs = podman.podman_calls("run")[runs_before:]
    assert [option_values(argv, "--name") for argv in new_runs] == [["demo-compute003"]]
    assert option_values(new_runs[0], "--label")[2] == "gridcloud.index=3"
    assert len(podman.podman_calls("network", "create")) == 1  # the network existed


def test_a_new_node_takes_no_address_another_node_holds(podman):
    """Fixed addresses: a stopped node keeps its address (label), a node made before fixed
    addresses has the one podman gave it; a new node takes the first free one from .10."""
    podman.add_container("demo-frontend001", "demo", "frontend", 1, state="exited",
                         extra_labels={"gridcloud.address": "10.89.0.10"})
    podman.add_container("demo-compute001", "demo", "compute", 1)  # podman's own: 10.89.0.2
    podman.containers["demo-compute001"]["networks"]["demo-net"] = "10.89.0.11"

    result = run_module(main, nodes_args(podman, count=2))

    assert result["created"] == ["demo-compute002"]
    assert option_values(run_argv(podman, "demo-compute002"), "--ip") == ["10.89.0.12"]


def test_a_full_subnet_is_refused_naming_the_network_and_the_setting(podman):
    run_module(main, nodes_args(podman, count=1, provider_settings={
        "apt_cache_dir": podman.apt_cache_dir, "volume_dir": podman.volume_dir,
        "subnet": "10.77.0.0/28"}))
    # hosts 10 to 14 of a /28: five nodes fit, the sixth does not
    result = run_module(main, nodes_args(podman, count=6, provider_settings={
        "apt_cache_dir": podman.apt_cache_dir, "volume_dir": podman.volume_dir,
        "subnet": "10.77.0.0/28"}))

    assert result.get("failed"), result
    assert "network demo-net (10.77.0.0/28) has no free address for another node" in result["msg"]
    assert "cluster.podman.subnet" in result["msg"]
    assert sorted(c for c in podman.containers) == ["demo-compute00%d" % i for i in range(1, 6)]


def test_scale_down_removes_highest_indices_first(podman):
    run_module(main, nodes_args(podman, count=3))

    result = run_module(main, nodes_args(podman, count=1))

    assert result["changed"] is True
    assert result["created"] == []
    assert names(result["removed"]) == ["demo-compute003", "demo-compute002"]
    assert all(node["kind"] == "compute" for node in result["removed"])
    assert names(result["nodes"]) == ["demo-compute001"]
    assert podman.podman_calls("rm") == [
        ["podman", "rm", "--force", "--time", "20", "demo-compute003"],
        ["podman", "rm", "--force", "--time", "20", "demo-compute002"],
    ]
    assert sorted(podman.containers) == ["demo-compute001"]
    assert "demo-net" in podman.networks  # scaling never removes the network


def test_scale_to_zero_removes_every_node_of_the_kind(podman):
    podman.add_container("demo-frontend001", "demo", "frontend", 1)
    podman.add_container("demo-compute001", "demo", "compute", 1)

    result = run_module(main, nodes_args(podman, count=0))

    assert result["changed"] is True
    assert result["nodes"] == []
    assert names(result["removed"]) == ["demo-compute001"]
    assert sorted(podman.containers) == ["demo-frontend001"]


def test_stopped_node_in_range_is_started(podman):
    podman.add_container("demo-compute001", "demo", "compute", 1)
    podman.add_container("demo-compute002", "demo", "compute", 2, state="exited")

    result = run_module(main, nodes_args(podman))

    assert result["changed"] is True
    assert result["started"] == ["demo-compute002"]
    assert result["created"] == [] and result["removed"] == []
    assert podman.podman_calls("start") == [["podman", "start", "demo-compute002"]]
    assert podman.podman_calls("run") == []
    assert [node["state"] for node in result["nodes"]] == ["running", "running"]
    assert result["nodes"][1]["address"]  # known again once running


def test_stopped_node_beyond_count_is_removed_not_started(podman):
    podman.add_container("demo-compute001", "demo", "compute", 1)
    podman.add_container("demo-compute002", "demo", "compute", 2, state="exited")

    result = run_module(main, nodes_args(podman, count=1))

    assert result["started"] == []
    assert names(result["removed"]) == ["demo-compute002"]
    assert podman.podman_calls("start") == []


def test_nodes_of_other_kinds_and_clusters_are_left_alone(podman):
    podman.add_container("demo-frontend001", "demo", "frontend", 1)
    podman.add_container("other-compute001", "other", "compute", 1)
    podman.add_container("other-compute002", "other", "compute", 2)

    result = run_module(main, nodes_args(podman, count=1))

    assert result["created"] == ["demo-compute001"]
    assert names(result["nodes"]) == ["demo-compute001"]
    assert result["removed"] == []
    assert sorted(podman.containers) == ["demo-compute001", "demo-frontend001",
                                         "other-compute001", "other-compute002"]


# --------------------------------------------------------------------------- elastic nodes

def test_elastic_nodes_that_exist_are_left_alone_and_not_surplus(podman):
    podman.add_container("demo-compute001", "demo", "compute", 1)
    podman.add_container("demo-compute003", "demo", "compute", 3)

    result = run_module(main, nodes_args(podman, count=1, elastic_max=3))

    assert not result.get("failed"), result
    assert result["changed"] is False
    assert result["created"] == [] and result["removed"] == []
    assert names(result["nodes"]) == ["demo-compute001", "demo-compute003"]
    assert podman.podman_calls("run") == [] and podman.podman_calls("rm") == []


def test_elastic_up_makes_and_waits_for_the_named_nodes_only(podman):
    result = run_module(main, nodes_args(podman, count=0, elastic_max=3,
                                         elastic_up=["demo-compute002"]))

    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["created"] == ["demo-compute002"]
    assert names(result["nodes"]) == ["demo-compute002"]
    assert result["nodes"][0]["state"] == "running"
    assert sorted(podman.containers) == ["demo-compute002"]

    again = run_module(main, nodes_args(podman, count=0, elastic_max=3,
                                        elastic_up=["demo-compute002"]))
    assert again["changed"] is False and again["created"] == []


def test_elastic_up_starts_a_stopped_elastic_node(podman):
    podman.add_container("demo-compute002", "demo", "compute", 2, state="exited")

    result = run_module(main, nodes_args(podman, count=1, elastic_max=2,
                                         elastic_up=["demo-compute002"]))

    assert result["started"] == ["demo-compute002"]
    assert result["created"] == ["demo-compute001"]
    assert podman.podman_calls("start") == [["podman", "start", "demo-compute002"]]


def test_elastic_down_removes_the_named_nodes_only(podman):
    for index in (1, 2, 3):
        podman.add_container("demo-compute%03d" % index, "demo", "compute", index)

    result = run_module(main, nodes_args(podman, count=1, elastic_max=3,
                                         elastic_down=["demo-compute002"]))

    assert result["changed"] is True
    assert names(result["removed"]) == ["demo-compute002"]
    assert names(result["nodes"]) == ["demo-compute001", "demo-compute003"]
    assert sorted(podman.containers) == ["demo-compute001", "demo-compute003"]

    again = run_module(main, nodes_args(podman, count=1, elastic_max=3,
                                        elastic_down=["demo-compute002"]))
    assert again["changed"] is False and again["removed"] == []


def test_nodes_above_elastic_max_are_surplus(podman):
    for index in (1, 2, 3):
        podman.add_container("demo-compute%03d" % index, "demo", "compute", index)

    result = run_module(main, nodes_args(podman, count=1, elastic_max=2))

    assert names(result["removed"]) == ["demo-compute003"]
    assert names(result["nodes"]) == ["demo-compute001", "demo-compute002"]


def test_elastic_up_in_check_mode_changes_nothing(podman):
    result = run_module(main, nodes_args(podman, count=0, elastic_max=2,
                                         elastic_up=["demo-compute001"]), check_mode=True)

    assert result["changed"] is True
    assert result["created"] == ["demo-compute001"]
    assert podman.mutating_calls() == [], podman.describe()


@pytest.mark.parametrize("args, message", [
    ({"count": 1, "elastic_max": 3, "elastic_up": ["demo-compute001"]},
     "elastic_up: demo-compute001 is not an elastic node of kind compute "
     "(demo-compute002 to demo-compute003)"),
    ({"count": 1, "elastic_max": 2, "elastic_down": ["demo-compute003", "demo-frontend002"]},
     "elastic_down: demo-compute003, demo-frontend002 are not an elastic node of kind compute"),
    ({"count": 2, "elastic_up": ["demo-compute003"]},
     "it has none: elastic_max 0 is not above count 2"),
    ({"count": 0, "elastic_max": 2, "elastic_up": ["demo-compute001"],
      "elastic_down": ["demo-compute001"]},
     "elastic_up and elastic_down both name demo-compute001"),
])
def test_a_wrong_elastic_name_fails_before_anything_changes(podman, args, message):
    result = run_module(main, nodes_args(podman, **args))

    assert result.get("failed"), result
    assert message in result["msg"]
    assert podman.mutating_calls() == [], podman.describe()


def test_the_controller_of_an_elastic_cluster_gets_the_host_s_podman_service(podman):
    result = run_module(main, nodes_args(podman, kind="frontend", count=1,
                                         elastic_controller=True))

    assert not result.get("failed"), result
    argv = run_argv(podman, "demo-frontend001")
    volumes = option_values(argv, "--volume")
    assert "/run/gridcloud/podman:/run/gridcloud-host-podman:rw" in volumes
    # the apt caches and device dirs at the same paths as on the host, for the provider there
    assert "%s:%s:rw" % (podman.apt_cache_dir, podman.apt_cache_dir) in volumes
    assert "%s:%s:rw" % (podman.volume_dir, podman.volume_dir) in volumes
    # other nodes get none of it
    run_module(main, nodes_args(podman, count=1))
    assert not any("gridcloud-host-podman" in v
                   for v in option_values(run_argv(podman, "demo-compute001"), "--volume"))


def test_a_controller_made_without_the_podman_service_is_refused_naming_the_fix(podman):
    podman.add_container("demo-frontend001", "demo", "frontend", 1)

    result = run_module(main, nodes_args(podman, kind="frontend", count=1,
                                         elastic_controller=True))

    assert result.get("failed"), result
    assert "node demo-frontend001 is the SLURM controller of a cluster with elastic kinds but " \
        "was made without the host's podman service" in result["msg"]
    assert "destroy the cluster and create it again" in result["msg"]


def test_an_elastic_cluster_starts_the_host_s_podman_service(podman, monkeypatch):
    started = []

    class Popen:  # the service: answers once started
        def __init__(self, argv, **kwargs):
            started.append((argv, kwargs["start_new_session"]))
            podman.api_up = True

    monkeypatch.setattr(podman_provider.subprocess, "Popen", Popen)
    monkeypatch.setattr(podman_provider, "API_SERVICE_LOG", podman.volume_dir + "-service.log")
    settings = {"apt_cache_dir": podman.apt_cache_dir, "volume_dir": podman.volume_dir,
                "elastic": True, "api_socket": podman.volume_dir + "-run/podman.sock"}

    result = run_module(main, nodes_args(podman, count=0, provider_settings=settings))

    assert not result.get("failed"), result
    assert result["changed"] is True
    assert started == [(["podman", "system", "service", "--time=0",
                         "unix://%s-run/podman.sock" % podman.volume_dir], True)]
    again = run_module(main, nodes_args(podman, count=0, provider_settings=settings))
    assert again["changed"] is False and len(started) == 1


def test_on_the_slurm_controller_the_host_s_service_is_checked_never_started(podman, monkeypatch):
    # the elastic programs run with CONTAINER_HOST (the host's service, mounted in): a service
    # that does not answer is reported with the fix, not started inside the node
    monkeypatch.setenv("CONTAINER_HOST", "unix:///run/gridcloud-host-podman/podman.sock")
    monkeypatch.setattr(podman_provider.subprocess, "Popen", None)
    settings = {"apt_cache_dir": podman.apt_cache_dir, "volume_dir": podman.volume_dir,
                "elastic": True}

    result = run_module(main, nodes_args(podman, count=0, provider_settings=settings))

    assert result.get("failed"), result
    assert "the host's podman service does not answer at CONTAINER_HOST=unix:///run/" \
        "gridcloud-host-podman/podman.sock" in result["msg"]
    assert "on the host, run the create playbook" in result["msg"]
    podman.api_up = True
    answered = run_module(main, nodes_args(podman, count=0, provider_settings=settings))
    assert not answered.get("failed"), answered


def test_check_mode_predicts_creation_and_changes_nothing(podman):
    result = run_module(main, nodes_args(podman), check_mode=True)

    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["created"] == ["demo-compute001", "demo-compute002"]
    assert [node["state"] for node in result["nodes"]] == ["planned", "planned"]
    assert names(result["nodes"]) == ["demo-compute001", "demo-compute002"]
    assert podman.mutating_calls() == [], podman.describe()
    assert podman.podman_calls("exec") == []  # no waiting on planned nodes
    assert podman.containers == {} and podman.networks == {}


def test_check_mode_predicts_removal_and_start_and_changes_nothing(podman):
    podman.add_container("demo-compute001", "demo", "compute", 1, state="exited")
    podman.add_container("demo-compute002", "demo", "compute", 2)

    result = run_module(main, nodes_args(podman, count=1), check_mode=True)

    assert result["changed"] is True
    assert result["started"] == ["demo-compute001"]
    assert names(result["removed"]) == ["demo-compute002"]
    assert podman.mutating_calls() == [], podman.describe()
    assert sorted(podman.containers) == ["demo-compute001", "demo-compute002"]
    assert podman.containers["demo-compute001"]["state"] == "exited"


def test_resources_and_provider_settings_reach_podman_run(podman):
    podman.images.add("registry.example/node:1")
    settings = {"apt_cache_dir": "", "capabilities": ["DAC_READ_SEARCH"],
                "network": "gridnet", "subnet": "10.99.0.0/24", "volume_dir": podman.volume_dir}

    result = run_module(main, nodes_args(podman, count=1, resources={"cpus": 2, "memory": "2GiB"},
                                         image="registry.example/node:1",
                                         provider_settings=settings))

    assert result["created"] == ["demo-compute001"]
    argv = run_argv(podman, "demo-compute001")
    assert option_values(argv, "--cpus") == ["2"]
    assert option_values(argv, "--memory") == ["%db" % (2 * 1024 ** 3)]
    assert option_values(argv, "--cap-add") == ["SYS_ADMIN", "MKNOD", "DAC_READ_SEARCH"]
    assert option_values(argv, "--network") == ["gridnet"]
    assert option_values(argv, "--volume") == [  # apt cache disabled
        "%s/demo/devices/demo-compute001:/dev/disk/by-id:rw,dev" % podman.volume_dir]
    assert argv[-1] == "registry.example/node:1"
    assert podman.podman_calls("network", "create") == [
        ["podman", "network", "create", "--label", "gridcloud.cluster=demo",
         "--subnet", "10.99.0.0/24", "gridnet"]]


def test_shared_dirs_are_one_volume_each_mounted_in_every_node(podman):
    settings = {"apt_cache_dir": "", "shared_dirs": ["/srv/grid", "/home"],
                "volume_dir": podman.volume_dir}

    first = run_module(main, nodes_args(podman, count=2, provider_settings=settings))
    again = run_module(main, nodes_args(podman, count=3, provider_settings=settings))

    assert first["created"] == ["demo-compute001", "demo-compute002"]
    assert again["created"] == ["demo-compute003"]
    assert podman.podman_calls("volume", "create") == [
        ["podman", "volume", "create", "--label", "gridcloud.cluster=demo", "demo-shared-srv-grid"],
        ["podman", "volume", "create", "--label", "gridcloud.cluster=demo", "demo-shared-home"]]
    for node in ("demo-compute001", "demo-compute002", "demo-compute003"):
        assert option_values(run_argv(podman, node), "--volume") == [
            "%s/demo/devices/%s:/dev/disk/by-id:rw,dev" % (podman.volume_dir, node),
            "demo-shared-srv-grid:/srv/grid:rw", "demo-shared-home:/home:rw"]


def test_wait_false_does_not_wait(podman):
    result = run_module(main, nodes_args(podman, wait=False))

    assert result["created"] == ["demo-compute001", "demo-compute002"]
    assert podman.podman_calls("exec") == []


def test_node_that_does_not_boot_fails_after_timeout(podman):
    podman.boot_state = "starting"

    result = run_module(main, nodes_args(podman, count=1, timeout=0))

    assert result["failed"] is True
    assert "demo-compute001 did not finish booting" in result["msg"]
    assert "podman logs demo-compute001" in result["msg"]


# --------------------------------------------------------------------------- absent

def three_node_cluster(podman):
    podman.add_container("demo-frontend001", "demo", "frontend", 1)
    podman.add_container("demo-compute001", "demo", "compute", 1)
    podman.add_container("demo-compute002", "demo", "compute", 2)
    podman.add_container("other-compute001", "other", "compute", 1)


def test_the_tests_remove_nothing_of_the_host_s_clusters(podman, tmp_path):
    """Removing a node removes its device dir under volume_dir; the absent tests below give no
    volume_dir, so the provider's default must be this test's, not the host's (where it took
    the device nodes of make demo's running cluster, also named demo)."""
    assert podman_provider.DEFAULT_VOLUME_DIR.startswith(str(tmp_path))
    assert podman_provider.DEFAULT_APT_CACHE_DIR.startswith(str(tmp_path))


def test_absent_with_kind_removes_only_that_kind(podman):
    three_node_cluster(podman)

    result = run_module(main, {"cluster": "demo", "kind": "compute", "state": "absent"})

    assert not result.get("failed"), result
    assert result["changed"] is True
    assert sorted(names(result["removed"])) == ["demo-compute001", "demo-compute002"]
    assert result["nodes"] == [] and result["created"] == [] and result["started"] == []
    assert sorted(podman.containers) == ["demo-frontend001", "other-compute001"]
    assert "demo-net" in podman.networks
    assert podman.podman_calls("network", "rm") == []


def test_absent_without_kind_removes_all_nodes_and_the_network(podman):
    three_node_cluster(podman)

    result = run_module(main, {"cluster": "demo", "state": "absent"})

    assert result["changed"] is True
    assert sorted(names(result["removed"])) == ["demo-compute001", "demo-compute002",
                                                "demo-frontend001"]
    assert sorted(podman.containers) == ["other-compute001"]
    assert podman.podman_calls("network", "rm") == [["podman", "network", "rm", "demo-net"]]
    # the nodes went before their network
    last_rm = max(podman.calls.index(argv) for argv in podman.podman_calls("rm"))
    assert podman.calls.index(["podman", "network", "rm", "demo-net"]) > last_rm
    assert sorted(podman.networks) == ["other-net"]


def test_absent_without_kind_removes_the_shared_dirs_after_the_nodes(podman):
    settings = {"apt_cache_dir": "", "shared_dirs": ["/srv/grid"], "volume_dir": podman.volume_dir}
    run_module(main, nodes_args(podman, count=1, provider_settings=settings))
    podman.volumes["other-shared-srv-grid"] = {"gridcloud.cluster": "other"}
    podman.volumes["mine"] = {}

    checked = run_module(main, {"cluster": "demo", "state": "absent"}, check_mode=True)
    assert checked["changed"] is True
    assert "demo-shared-srv-grid" in podman.volumes

    result = run_module(main, {"cluster": "demo", "state": "absent"})

    assert result["changed"] is True
    assert sorted(podman.volumes) == ["mine", "other-shared-srv-grid"]
    assert podman.podman_calls("volume", "rm") == [
        ["podman", "volume", "rm", "demo-shared-srv-grid"]]


def test_absent_leaves_a_network_not_labelled_for_the_cluster(podman):
    podman.add_network("demo-net", labels={"owner": "someone else"})
    podman.add_container("demo-frontend001", "demo", "frontend", 1)

    result = run_module(main, {"cluster": "demo", "state": "absent"})

    assert result["changed"] is True
    assert names(result["removed"]) == ["demo-frontend001"]
    assert podman.podman_calls("network", "rm") == []
    assert "demo-net" in podman.networks


def test_absent_removes_a_left_over_network_alone(podman):
    podman.add_network("demo-net", labels={"gridcloud.cluster": "demo"})

    result = run_module(main, {"cluster": "demo", "state": "absent"})

    assert result["changed"] is True
    assert result["removed"] == []
    assert podman.networks == {}


def test_absent_when_nothing_exists_is_unchanged(podman):
    result = run_module(main, {"cluster": "demo", "state": "absent"})

    assert result["changed"] is False
    assert result["removed"] == []
    assert podman.mutating_calls() == []


def test_absent_in_check_mode_changes_nothing(podman):
    three_node_cluster(podman)

    result = run_module(main, {"cluster": "demo", "state": "absent"}, check_mode=True)

    assert result["changed"] is True
    assert len(result["removed"]) == 3
    assert podman.mutating_calls() == [], podman.describe()
    assert len(podman.containers) == 4 and "demo-net" in podman.networks


# --------------------------------------------------------------------------- failures

def test_missing_image_fails_with_the_build_command(podman_without_image):
    fake_podman = podman_without_image
    result = run_module(main, nodes_args(fake_podman))

    assert result["failed"] is True
    assert "scripts/build-node-image.sh" in result["msg"]
    assert IMAGE in result["msg"]
    assert fake_podman.mutating_calls() == []
    assert fake_podman.networks == {}


def test_missing_image_fails_in_check_mode_too(podman_without_image):
    result = run_module(main, nodes_args(podman_without_image), check_mode=True)

    assert result["failed"] is True
    assert "scripts/build-node-image.sh" in result["msg"]


def test_negative_count_fails(podman):
    result = run_module(main, nodes_args(podman, count=-1))

    assert result["failed"] is True
    assert "count" in result["msg"] and "-1" in result["msg"]
    assert podman.calls == []


@pytest.mark.parametrize("missing", ["count", "kind"])
def test_state_present_requires_kind_and_count(podman, missing):
    args = nodes_args(podman)
    del args[missing]

    result = run_module(main, args)

    assert result["failed"] is True
    assert "state is present" in result["msg"]
    assert missing in result["msg"]
    assert podman.calls == []


def test_openstack_without_a_cloud_or_auth_fails_before_any_call(podman):
    result = run_module(main, nodes_args(podman, provider="openstack"))

    assert result["failed"] is True
    assert "cloud" in result["msg"] and "auth" in result["msg"], result["msg"]
    assert podman.calls == []


def test_podman_failure_becomes_a_module_failure(podman):
    podman.add_container("demo-compute001", "demo", "compute", 1)
    # a container of that name exists but is not labelled as a node of the cluster
    podman.add_container("demo-compute002", "elsewhere", "compute", 2)

    result = run_module(main, nodes_args(podman))

    assert result["failed"] is True
    assert "creating node demo-compute002 failed" in result["msg"]
    assert "already in use" in result["msg"]
