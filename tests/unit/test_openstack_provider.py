# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The openstack provider through cluster_nodes and cluster_volume, with the real openstacksdk.

The SDK talks HTTP to the cloud of fake_openstack_api.py (requests-mock): Keystone v3 with a
catalog, then Nova, Neutron, Glance and Cinder. Only the ssh probe of a server's address
(``socket.create_connection`` in the provider) is replaced, since the addresses are not real.
"""

from __future__ import annotations

import base64
import builtins
import json
import os

import pytest
import yaml

from fake_openstack_api import AUTH, IDENTITY, fake_cloud
from fake_podman import run_module

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers import (
    ProviderError,
    get_provider,
)
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers import (
    openstack as openstack_provider,
)
from ansible_collections.gridcloud.arc_cluster.plugins.modules import cluster_nodes
from ansible_collections.gridcloud.arc_cluster.plugins.modules import cluster_volume

IMAGE = "debian-13-genericcloud-amd64"
GIB = 1024 ** 3


class FakeSocket:
    """Records the ssh probes; ``refuse`` makes them fail like a closed port."""

    def __init__(self):
        self.probes = []
        self.refuse = False

    def create_connection(self, address, timeout=None):  # pylint: disable=unused-argument
        self.probes.append(address)
        if self.refuse:
            raise ConnectionRefusedError(111, "Connection refused")
        return self

    def close(self):
        pass


@pytest.fixture
def cloud(ansible_module, monkeypatch):  # pylint: disable=unused-argument
    """A FakeCloud behind requests-mock (fake_openstack_api.fake_cloud)."""
    yield from fake_cloud(monkeypatch)


@pytest.fixture
def ssh(monkeypatch):
    fake = FakeSocket()
    monkeypatch.setattr(openstack_provider, "socket", fake)
    return fake


@pytest.fixture
def settings(tmp_path):
    key = tmp_path / "id_ed25519.pub"
    key.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAItest test@example\n")
    return {
        "auth": dict(AUTH),
        "region_name": "RegionOne",
        "image": IMAGE,
        "network": "grid-private",
        "public_key_file": str(key),
        "ssh_user": "debian",
        "poll_interval": 0,
    }


def nodes_args(settings, **overrides):  # pylint: disable=redefined-outer-name
    args = {
        "cluster": "demo",
        "kind": "compute",
        "count": 2,
        "timeout": 5,
        "resources": {"flavor": "m1.small"},
        "provider": "openstack",
        "provider_settings": settings,
    }
    args.update(overrides)
    return args


def volume_args(settings, **overrides):  # pylint: disable=redefined-outer-name
    args = {
        "cluster": "demo",
        "node": "demo-frontend001",
        "name": "grid",
        "size": "2GiB",
        "provider": "openstack",
        "provider_settings": settings,
    }
    args.update(overrides)
    return args


def names(nodes):
    return [node["name"] for node in nodes]


def posted(cloud, fragment):  # pylint: disable=redefined-outer-name
    """JSON bodies of the POSTs whose path contains ``fragment``."""
    return [json.loads(r.body) for r in cloud.calls("POST", fragment)]


# --------------------------------------------------------------------------- nodes

def test_create_two_from_nothing(cloud, ssh, settings):
    result = run_module(cluster_nodes.main, nodes_args(settings))

    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["created"] == ["demo-compute001", "demo-compute002"]
    assert result["removed"] == [] and result["started"] == []
    assert names(result["nodes"]) == ["demo-compute001", "demo-compute002"]
    for index, node in enumerate(result["nodes"], start=1):
        server = cloud.server(node["name"])
        assert node["kind"] == "compute" and node["index"] == index
        assert node["cluster"] == "demo"
        assert node["id"] == server["id"]
        assert node["state"] == "running"
        assert node["address"] == server["addresses"]["grid-private"][0]["addr"]
        assert node["floating_ip"] is None
        assert node["connection"] == {"ansible_connection": "ssh",
                                      "ansible_host": node["address"],
                                      "ansible_user": "debian",
                                      "ansible_become": True,
                                      "ansible_pipelining": True,
                                      "ansible_remote_tmp": "/tmp/.ansible-$USER",
                                      "ansible_timeout": 60}
        assert server["metadata"] == {"gridcloud_cluster": "demo", "gridcloud_kind": "compute",
                                      "gridcloud_index": str(index)}
    bodies = [body["server"] for body in posted(cloud, "/servers")]
    assert [b["name"] for b in bodies] == ["demo-compute001", "demo-compute002"]
    for body in bodies:
        assert body["key_name"] == "demo-key"
        assert body["security_groups"] == [{"name": "demo"}]
        assert body["imageRef"] == cloud._by_name(cloud.images, IMAGE)["id"]
        assert body["networks"] == [{"uuid": cloud._by_name(cloud.networks,
                                                            "grid-private")["id"]}]
        assert "block_device_mapping_v2" not in body
        assert "OS-SCH-HNT:scheduler_hints" not in body
    # the keypair from the public key, the security group with ssh and intra-cluster traffic
    assert cloud.keypairs["demo-key"]["public_key"].startswith("ssh-ed25519 AAAA")
    group = cloud._by_name(cloud.security_groups, "demo")
    ingress = sorted(((r["ethertype"], r["protocol"], r["port_range_min"],
                       r["remote_ip_prefix"], r["remote_group_id"])
                      for r in cloud.rules.values() if r["direction"] == "ingress"), key=str)
    assert ingress == sorted([("IPv4", None, None, None, group["id"]),
                              ("IPv4", "tcp", 22, "0.0.0.0/0", None),
                              ("IPv6", None, None, None, group["id"])], key=str)
    # each server's ssh port was waited for at its address
    assert sorted(ssh.probes) == sorted((n["address"], 22) for n in result["nodes"])


def test_rerun_adopts_and_changes_nothing(cloud, ssh, settings):
    first = run_module(cluster_nodes.main, nodes_args(settings))
    assert first["changed"] is True
    before = len(cloud.history)

    second = run_module(cluster_nodes.main, nodes_args(settings))

    assert not second.get("failed"), second
    assert second["changed"] is False
    assert second["created"] == [] and second["removed"] == []
    assert [n["id"] for n in second["nodes"]] == [n["id"] for n in first["nodes"]]
    assert cloud.server_names() == ["demo-compute001", "demo-compute002"]
    writes = [r for r in cloud.history[before:] if r.method in ("POST", "PUT", "DELETE")
              and not r.url.startswith(IDENTITY)]
    assert writes == []


def test_scale_up_creates_the_next_indices(cloud, ssh, settings):
    cloud.add_server("demo-compute001", "demo", "compute", 1)

    result = run_module(cluster_nodes.main, nodes_args(settings, count=3))

    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["created"] == ["demo-compute002", "demo-compute003"]
    assert names(result["nodes"]) == ["demo-compute001", "demo-compute002", "demo-compute003"]
    assert cloud.server_names() == ["demo-compute001", "demo-compute002", "demo-compute003"]


def test_scale_down_removes_the_highest_indices(cloud, ssh, settings):
    for index in (1, 2, 3):
        cloud.add_server("demo-compute%03d" % index, "demo", "compute", index)
    # a server of another cluster with a similar name, and one of ours without metadata
    cloud.add_server("demo-compute009", "other", "compute", 9)

    result = run_module(cluster_nodes.main, nodes_args(settings, count=1))

    assert not result.get("failed"), result
    assert result["changed"] is True
    assert names(result["removed"]) == ["demo-compute003", "demo-compute002"]
    assert names(result["nodes"]) == ["demo-compute001"]
    assert cloud.server_names() == ["demo-compute001", "demo-compute009"]
    assert cloud.calls("POST", "/servers") == []
    # no floating_network: the cluster made no floating IP, and a cloud without Neutron's router
    # API would answer 404 to the question (found against the real control plane, issue 9)
    assert cloud.calls("GET", "/floatingips") == []


def test_absent_removes_servers_floating_ips_group_and_keypair(cloud, ssh, settings):
    settings["floating_network"] = "public"
    run_module(cluster_nodes.main, nodes_args(settings, kind="frontend", count=1))
    run_module(cluster_nodes.main, nodes_args(settings))
    assert len(cloud.floating_ips) == 1

    result = run_module(cluster_nodes.main, {"cluster": "demo", "state": "absent",
                                             "provider": "openstack",
                                             "provider_settings": settings})

    assert not result.get("failed"), result
    assert result["changed"] is True
    assert sorted(names(result["removed"])) == ["demo-compute001", "demo-compute002",
                                                "demo-frontend001"]
    assert cloud.servers == {}
    assert cloud.floating_ips == {}
    assert cloud.security_groups == {}
    assert cloud.keypairs == {}

    again = run_module(cluster_nodes.main, {"cluster": "demo", "state": "absent",
                                            "provider": "openstack",
                                            "provider_settings": settings})
    assert again["changed"] is False


def test_absent_of_one_kind_keeps_the_rest(cloud, ssh, settings):
    cloud.add_server("demo-frontend001", "demo", "frontend", 1)
    cloud.add_server("demo-compute001", "demo", "compute", 1)

    result = run_module(cluster_nodes.main, nodes_args(settings, state="absent"))

    assert result["changed"] is True
    assert names(result["removed"]) == ["demo-compute001"]
    assert cloud.server_names() == ["demo-frontend001"]


def test_frontend_gets_a_floating_ip_and_is_reached_there(cloud, ssh, settings):
    settings["floating_network"] = "public"

    result = run_module(cluster_nodes.main, nodes_args(settings, kind="frontend", count=1))

    assert not result.get("failed"), result
    node = result["nodes"][0]
    [floating] = cloud.floating_ips.values()
    assert floating["floating_network_id"] == cloud._by_name(cloud.networks, "public")["id"]
    assert floating["description"] == "gridcloud demo"
    assert node["floating_ip"] == floating["floating_ip_address"]
    assert node["connection"]["ansible_host"] == floating["floating_ip_address"]
    assert node["address"].startswith("10.0.0.")
    assert ssh.probes == [(floating["floating_ip_address"], 22)]
    # compute nodes get none (floating_ip_kinds defaults to frontend)
    run_module(cluster_nodes.main, nodes_args(settings, count=1))
    assert len(cloud.floating_ips) == 1
    # a re-run does not allocate a second one
    again = run_module(cluster_nodes.main, nodes_args(settings, kind="frontend", count=1))
    assert again["changed"] is False
    assert len(cloud.floating_ips) == 1


def test_https_is_opened_only_with_the_rest_interface(cloud, ssh, settings):
    def https_rules():
        return [r for r in cloud.rules.values() if r["port_range_min"] == 443]

    run_module(cluster_nodes.main, nodes_args(settings, count=1))
    assert https_rules() == []

    settings["rest_interface"] = "True"  # as a template hands it over
    result = run_module(cluster_nodes.main, nodes_args(settings, count=2))
    assert result["changed"] is True
    [rule] = https_rules()
    assert (rule["protocol"], rule["port_range_max"], rule["remote_ip_prefix"]) == \
        ("tcp", 443, "0.0.0.0/0")

    settings["rest_interface"] = False
    result = run_module(cluster_nodes.main, nodes_args(settings, count=3))
    assert https_rules() == []


def test_ssh_and_https_sources_restrict_the_rules(cloud, ssh, settings):
    def rules(port):
        return sorted((r["ethertype"], r["remote_ip_prefix"]) for r in cloud.rules.values()
                      if r["port_range_min"] == port)

    settings.update({"ssh_sources": ["192.0.2.0/24", "2001:db8::/32"], "rest_interface": True,
                     "https_sources": ["198.51.100.7/32"]})
    result = run_module(cluster_nodes.main, nodes_args(settings, count=1))
    assert not result.get("failed"), result
    assert rules(22) == [("IPv4", "192.0.2.0/24"), ("IPv6", "2001:db8::/32")]
    assert rules(443) == [("IPv4", "198.51.100.7/32")]
    # narrowing it later removes what is no longer asked for; a re-run changes nothing
    settings["ssh_sources"] = ["192.0.2.0/24"]
    assert run_module(cluster_nodes.main, nodes_args(settings, count=1))["changed"] is True
    assert rules(22) == [("IPv4", "192.0.2.0/24")]
    assert run_module(cluster_nodes.main, nodes_args(settings, count=1))["changed"] is False


@pytest.mark.parametrize("value, message", [
    ("10.0.0.0/8", "cluster.openstack.ssh_sources: must be a list of CIDRs"),
    (["10.0.0.1/8"], "cluster.openstack.ssh_sources: 10.0.0.1/8 has host bits set; write "
                     "10.0.0.0/8"),
    (["campus"], "cluster.openstack.ssh_sources: 'campus' is not a CIDR"),
])
def test_bad_sources_are_refused_with_the_fix(value, message):
    problems = []
    openstack_provider.OpenStackProvider.validate_settings({"cloud": "c", "ssh_sources": value},
                                                           "cluster.openstack", problems)
    assert any(p.startswith(message) for p in problems), problems


def test_anti_affinity_and_boot_from_volume(cloud, ssh, settings):
    settings.update({"anti_affinity": True, "boot_from_volume": True,
                     "boot_volume_size": "30GiB"})

    result = run_module(cluster_nodes.main, nodes_args(settings))

    assert not result.get("failed"), result
    [group] = cloud.server_groups.values()
    assert group["name"] == "demo-compute"
    assert group["policies"] == ["anti-affinity"]
    bodies = posted(cloud, "/servers")
    assert len(cloud.calls("POST", "/os-server-groups")) == 1
    for body in bodies:
        assert body["OS-SCH-HNT:scheduler_hints"] == {"group": group["id"]}
        server = body["server"]
        assert "imageRef" not in server
        assert server["block_device_mapping_v2"] == [{
            "boot_index": 0, "uuid": cloud._by_name(cloud.images, IMAGE)["id"],
            "source_type": "image", "destination_type": "volume", "volume_size": 30,
            "delete_on_termination": True}]


def test_a_stopped_server_is_started(cloud, ssh, settings):
    cloud.add_server("demo-compute001", "demo", "compute", 1, status="SHUTOFF")

    result = run_module(cluster_nodes.main, nodes_args(settings, count=1))

    assert result["changed"] is True
    assert result["started"] == ["demo-compute001"]
    assert [json.loads(r.body) for r in cloud.calls("POST", "/action")] == [{"os-start": None}]
    assert result["nodes"][0]["state"] == "running"


def test_check_mode_predicts_and_sends_no_write(cloud, ssh, settings):
    settings["floating_network"] = "public"

    result = run_module(cluster_nodes.main, nodes_args(settings), check_mode=True)

    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["created"] == ["demo-compute001", "demo-compute002"]
    assert [n["state"] for n in result["nodes"]] == ["planned", "planned"]
    # only the Keystone token was POSTed: nothing was made in the cloud
    assert cloud.writes() == []
    assert [w.split()[1] for w in cloud.writes(include_auth=True)] == [
        IDENTITY + "/auth/tokens"]
    assert cloud.servers == {} and cloud.keypairs == {} and cloud.security_groups == {}
    assert ssh.probes == []


def test_check_mode_scale_down_and_absent_send_no_write(cloud, ssh, settings):
    for index in (1, 2):
        cloud.add_server("demo-compute%03d" % index, "demo", "compute", index)

    down = run_module(cluster_nodes.main, nodes_args(settings, count=1), check_mode=True)
    gone = run_module(cluster_nodes.main, {"cluster": "demo", "state": "absent",
                                           "provider": "openstack",
                                           "provider_settings": settings}, check_mode=True)

    assert down["changed"] is True and names(down["removed"]) == ["demo-compute002"]
    assert gone["changed"] is True and len(gone["removed"]) == 2
    assert cloud.writes() == []
    assert cloud.server_names() == ["demo-compute001", "demo-compute002"]


# --------------------------------------------------------------------------- validation

def test_every_problem_of_the_request_in_one_message(cloud, ssh, settings):
    settings.update({"image": "no-such-image", "network": "no-such-net",
                     "floating_network": "no-such-public"})
    cloud.compute_quota.update({"instances": 1, "cores": 1, "ram": 1024})

    result = run_module(cluster_nodes.main, nodes_args(settings, kind="frontend",
                                                       resources={"flavor": "m9.huge"}))

    assert result["failed"] is True
    msg = result["msg"]
    assert msg.startswith("cannot create 2 frontend node(s) of cluster demo, 5 problem(s):")
    assert "image no-such-image (kind frontend) does not exist" in msg
    assert "flavor m9.huge (kind frontend) does not exist" in msg
    assert "network no-such-net does not exist" in msg
    assert "floating network no-such-public does not exist" in msg
    assert "compute quota: 2 frontend node(s) need 2 instances, 1 of 1 are free" in msg
    assert cloud.writes() == []


@pytest.mark.parametrize("change, expected", [
    (lambda s, c: s.update(image="no-such-image"),
     "image no-such-image (kind compute) does not exist in the cloud"),
    (lambda s, c: s.update(network="no-such-net"), "network no-such-net does not exist"),
    (lambda s, c: s.update(floating_network="no-such-public", floating_ip_kinds=["compute"]),
     "floating network no-such-public does not exist"),
    (lambda s, c: s.update(floating_network="grid-private", floating_ip_kinds=["compute"]),
     "floating network grid-private is not an external network"),
    (lambda s, c: s.update(key_name="nokey"), "keypair nokey (key_name) does not exist"),
    (lambda s, c: s.update(public_key_file="/nonexistent/key.pub"),
     "public_key_file /nonexistent/key.pub does not exist"),
    (lambda s, c: c.compute_quota.update(instances=1),
     "compute quota: 2 compute node(s) need 2 instances, 1 of 1 are free"),
    (lambda s, c: c.compute_quota.update(cores=1),
     "compute quota: 2 compute node(s) need 2 cores, 1 of 1 are free"),
    (lambda s, c: c.compute_quota.update(ram=3000),
     "compute quota: 2 compute node(s) need 4096 MiB ram, 3000 MiB of 3000 MiB are free"),
    (lambda s, c: c.volume_quota.update(volumes=1),
     "volume quota: 2 compute node(s) need 2 volumes, 1 of 1 are free"),
    (lambda s, c: c.volume_quota.update(gigabytes=5),
     "volume quota: 2 compute node(s) need 6 gigabytes, 5 of 5 are free"),
], ids=["image", "network", "floating-network", "floating-not-external", "key-name",
        "public-key-file", "instances", "cores", "ram", "volumes", "gigabytes"])
def test_each_validation_failure(cloud, ssh, settings, change, expected):
    change(settings, cloud)

    result = run_module(cluster_nodes.main, nodes_args(
        settings, volumes=[{"name": "scratch", "size_bytes": 3 * GIB}]))

    assert result["failed"] is True
    assert "1 problem(s)" in result["msg"], result["msg"]
    assert expected in result["msg"]
    assert cloud.writes() == []


def test_quota_counts_what_is_used_and_unlimited_is_no_limit(cloud, ssh, settings):
    cloud.compute_used_extra["instances"] = 9
    cloud.compute_quota.update({"cores": -1, "ram": -1})

    result = run_module(cluster_nodes.main, nodes_args(settings))

    assert result["failed"] is True
    assert "need 2 instances, 1 of 10 are free" in result["msg"]
    assert "cores" not in result["msg"] and "ram" not in result["msg"]


def test_quota_exceeded_by_the_cloud_names_the_server(cloud, ssh, settings):
    cloud.server_create_error = (403, {"forbidden": {
        "code": 403, "message": "Quota exceeded for cores: Requested 1, but already used 20 "
                                "of 20 cores"}})

    result = run_module(cluster_nodes.main, nodes_args(settings))

    assert result["failed"] is True
    assert "creating server demo-compute001 failed: quota exceeded (HTTP 403)" in result["msg"]
    assert "Quota exceeded for cores" in result["msg"]


def test_server_in_error_names_the_server_and_the_fault(cloud, ssh, settings):
    cloud.server_faults["demo-compute002"] = ("No valid host was found. There are not enough "
                                              "hosts available.")

    result = run_module(cluster_nodes.main, nodes_args(settings))

    assert result["failed"] is True
    assert "server demo-compute002 is in state ERROR: No valid host was found" in result["msg"]
    assert "no hypervisor with room" in result["msg"]
    # the failed build is cleaned up: the next run creates it again, never a duplicate
    assert "it was deleted; the next run creates it again" in result["msg"]
    assert cloud.server_names() == ["demo-compute001"]
    del cloud.server_faults["demo-compute002"]
    again = run_module(cluster_nodes.main, nodes_args(settings))
    assert again["created"] == ["demo-compute002"]
    assert cloud.server_names() == ["demo-compute001", "demo-compute002"]


def test_keep_failed_servers_leaves_it_for_inspection(cloud, ssh, settings):
    settings["keep_failed_servers"] = True
    cloud.server_faults["demo-compute001"] = "Exceeded maximum number of retries."

    result = run_module(cluster_nodes.main, nodes_args(settings, count=1))

    assert result["failed"] is True
    assert "delete it (`openstack server delete demo-compute001`)" in result["msg"]
    assert cloud.server("demo-compute001")["status"] == "ERROR"


def test_server_in_error_found_on_a_rerun_is_reported(cloud, ssh, settings):
    server = cloud.add_server("demo-compute001", "demo", "compute", 1, status="ERROR")
    server["fault"] = {"code": 500, "message": "Build of instance aborted: disk full"}

    result = run_module(cluster_nodes.main, nodes_args(settings, count=1))

    assert result["failed"] is True
    assert "server demo-compute001 is in state ERROR: Build of instance aborted" in result["msg"]


def test_build_timeout_and_closed_ssh_are_bounded(cloud, ssh, settings):
    cloud.build_polls = 10 ** 6
    result = run_module(cluster_nodes.main, nodes_args(settings, count=1, timeout=0))
    assert result["failed"] is True
    assert "server demo-compute001 is still BUILD after 0s" in result["msg"]

    cloud.build_polls = 1
    ssh.refuse = True
    result = run_module(cluster_nodes.main, nodes_args(settings, count=1, timeout=0))
    assert result["failed"] is True
    assert "server demo-compute001 is ACTIVE but ssh on 10.0.0." in result["msg"]
    assert "security group demo" in result["msg"]


# --------------------------------------------------------------------------- volumes

def test_volume_created_attached_and_found_by_id(cloud, ssh, settings):
    cloud.add_server("demo-frontend001", "demo", "frontend", 1)

    result = run_module(cluster_volume.main, volume_args(settings))

    assert not result.get("failed"), result
    assert result["changed"] is True
    volume = cloud.volume("demo-frontend001-grid")
    assert result["volume"]["id"] == volume["id"]
    assert result["volume"]["device"] == "/dev/disk/by-id/virtio-%s" % volume["id"][:20]
    assert result["volume"]["attached"] is True
    assert result["volume"]["size_bytes"] == 2 * GIB
    assert volume["metadata"] == {"gridcloud_cluster": "demo",
                                  "gridcloud_node": "demo-frontend001",
                                  "gridcloud_volume": "grid"}
    assert volume["size"] == 2
    assert volume["attachments"][0]["server_id"] == cloud.server("demo-frontend001")["id"]
    assert "/dev/vd" not in result["volume"]["device"]

    again = run_module(cluster_volume.main, volume_args(settings))
    assert again["changed"] is False
    assert again["volume"] == result["volume"]
    assert len(cloud.volumes) == 1


def test_an_existing_volume_is_adopted_by_name(cloud, ssh, settings):
    cloud.add_server("demo-frontend001", "demo", "frontend", 1)
    existing = cloud.add_volume("demo-frontend001-grid", size=2)

    result = run_module(cluster_volume.main, volume_args(settings))

    assert result["changed"] is True  # attached
    assert result["volume"]["id"] == existing["id"]
    assert cloud.calls("POST", "/volumes") == []
    assert existing["status"] == "in-use"


def test_volume_size_rounds_up_to_whole_gib_with_a_warning(cloud, ssh, settings):
    cloud.add_server("demo-frontend001", "demo", "frontend", 1)

    result = run_module(cluster_volume.main, volume_args(settings, size="500MiB"))

    assert result["volume"]["size_bytes"] == GIB
    assert "not the 524288000 asked for" in result["warnings"][0]


def test_volume_in_error_is_reported_by_name(cloud, ssh, settings):
    cloud.add_server("demo-frontend001", "demo", "frontend", 1)
    cloud.volume_errors.add("demo-frontend001-grid")

    result = run_module(cluster_volume.main, volume_args(settings))

    assert result["failed"] is True
    assert "volume demo-frontend001-grid" in result["msg"]
    assert "is in state error" in result["msg"]


def test_volume_quota_exceeded_is_reported_by_name(cloud, ssh, settings):
    cloud.add_server("demo-frontend001", "demo", "frontend", 1)
    cloud.volume_quota["gigabytes"] = 1

    result = run_module(cluster_volume.main, volume_args(settings))

    assert result["failed"] is True
    assert "creating volume demo-frontend001-grid failed: quota exceeded (HTTP 413)" \
        in result["msg"]


def test_volume_check_mode_sends_no_write(cloud, ssh, settings):
    cloud.add_server("demo-frontend001", "demo", "frontend", 1)

    result = run_module(cluster_volume.main, volume_args(settings), check_mode=True)
    assert result["changed"] is True
    assert result["volume"]["attached"] is False

    no_node = run_module(cluster_volume.main, volume_args(settings, node="demo-frontend002"),
                         check_mode=True)
    assert no_node["changed"] is True
    assert cloud.writes() == []
    assert cloud.volumes == {}


def test_volume_for_a_missing_server_fails(cloud, ssh, settings):
    result = run_module(cluster_volume.main, volume_args(settings))
    assert result["failed"] is True
    assert "server demo-frontend001 does not exist" in result["msg"]


@pytest.mark.parametrize("policy", ["keep", "delete"])
def test_volume_absent_by_policy(cloud, ssh, settings, policy):
    cloud.add_server("demo-frontend001", "demo", "frontend", 1)
    run_module(cluster_volume.main, volume_args(settings))

    check = run_module(cluster_volume.main, volume_args(settings, state="absent", policy=policy),
                       check_mode=True)
    assert check["changed"] is True
    assert cloud.volume("demo-frontend001-grid")["status"] == "in-use"

    result = run_module(cluster_volume.main, volume_args(settings, state="absent",
                                                         policy=policy))

    assert result["changed"] is True
    assert result["volume"]["attached"] is False
    if policy == "keep":
        assert cloud.volume("demo-frontend001-grid")["status"] == "available"
        assert cloud.volume("demo-frontend001-grid")["attachments"] == []
    else:
        assert cloud.volumes == {}
    again = run_module(cluster_volume.main, volume_args(settings, state="absent",
                                                        policy=policy))
    assert again["changed"] is False


def test_volume_of_a_destroyed_server_is_deleted(cloud, ssh, settings):
    """destroy removes the servers first, then the volumes (detached by Nova)."""
    cloud.add_server("demo-frontend001", "demo", "frontend", 1)
    run_module(cluster_volume.main, volume_args(settings))
    run_module(cluster_nodes.main, {"cluster": "demo", "state": "absent",
                                    "provider": "openstack", "provider_settings": settings})

    result = run_module(cluster_volume.main, volume_args(settings, state="absent",
                                                         policy="delete"))

    assert result["changed"] is True
    assert cloud.volumes == {}


# --------------------------------------------------------------------------- set-up

def test_cloud_from_clouds_yaml(cloud, ssh, settings, tmp_path, monkeypatch):
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(json.dumps({"clouds": {"mycloud": {"auth": AUTH,
                                                         "region_name": "RegionOne"}}}))
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    del settings["auth"]
    settings["cloud"] = "mycloud"

    result = run_module(cluster_nodes.main, nodes_args(settings, count=1))

    assert not result.get("failed"), result
    assert cloud.server_names() == ["demo-compute001"]


def test_settings_without_cloud_or_auth_fail_clearly(cloud, settings):
    del settings["auth"]
    result = run_module(cluster_nodes.main, nodes_args(settings))
    assert result["failed"] is True
    assert "cluster.openstack.cloud" in result["msg"]
    assert len(cloud.history) == 0


def test_missing_openstacksdk_is_named(settings, monkeypatch):
    real_import = builtins.__import__

    def no_openstack(name, *args, **kwargs):
        if name == "openstack" or name.startswith("openstack."):
            raise ImportError("No module named 'openstack'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_openstack)
    provider = get_provider("openstack", settings, None)
    with pytest.raises(ProviderError, match="needs the Python package openstacksdk"):
        provider.list_nodes("demo")


def test_private_key_file_is_handed_to_ansible(cloud, ssh, settings):
    settings["private_key_file"] = "/keys/id_ed25519"
    result = run_module(cluster_nodes.main, nodes_args(settings, count=1))
    assert result["nodes"][0]["connection"]["ansible_ssh_private_key_file"] == \
        "/keys/id_ed25519"


def test_the_whole_cluster_is_checked_before_the_first_server(cloud, ssh, settings):
    """With all_kinds (as the cluster role passes it) the quota must hold every kind at once."""
    cloud.compute_quota["cores"] = 5  # the frontend (4) fits alone, not with 2 workers (1 each)
    all_kinds = {
        "frontend": {"count": 1, "resources": {"flavor": "m1.large"},
                     "volumes": [{"name": "grid", "size_bytes": 2 * GIB}]},
        "compute": {"count": 2, "resources": {"flavor": "m1.small"}, "volumes": []},
        "gpu": {"count": 1, "resources": {"flavor": "g1.none"}, "volumes": []},
    }

    result = run_module(cluster_nodes.main, nodes_args(
        settings, kind="frontend", count=1, resources={"flavor": "m1.large"},
        volumes=all_kinds["frontend"]["volumes"], all_kinds=all_kinds))

    assert result["failed"] is True
    msg = result["msg"]
    assert msg.startswith("cannot create 1 frontend, 2 compute, 1 gpu node(s) of cluster demo, "
                          "2 problem(s):"), msg
    assert "flavor g1.none (kind gpu) does not exist" in msg
    assert "compute quota: 1 frontend, 2 compute, 1 gpu node(s) need 6 cores, 5 of 5 are " \
           "free" in msg
    assert cloud.writes() == []


def test_all_kinds_counts_only_the_missing_nodes(cloud, ssh, settings):
    cloud.compute_quota["instances"] = 3
    cloud.add_server("demo-compute001", "demo", "compute", 1)
    cloud.add_server("demo-compute002", "demo", "compute", 2)
    all_kinds = {"frontend": {"count": 1, "resources": {"flavor": "m1.small"}},
                 "compute": {"count": 2, "resources": {"flavor": "m1.small"}}}

    result = run_module(cluster_nodes.main, nodes_args(
        settings, kind="frontend", count=1, all_kinds=all_kinds))

    assert not result.get("failed"), result
    assert result["created"] == ["demo-frontend001"]


def test_all_kinds_with_a_provider_that_checks_one_kind_at_a_time(fake_podman, tmp_path):
    """cluster_nodes' fallback (podman has no check_cluster_request): one message for all."""
    fake_podman.images.add("localhost/gridcloud-node:trixie")
    all_kinds = {"compute": {"count": 1, "image": "localhost/gridcloud-node:trixie"},
                 "gpu": {"count": 1, "image": "localhost/no-such-image"},
                 "big": {"count": 1, "image": "localhost/no-such-either"}}

    result = run_module(cluster_nodes.main, {
        "cluster": "demo", "kind": "compute", "count": 1, "timeout": 5,
        "provider_settings": {"apt_cache_dir": str(tmp_path / "apt")},
        "all_kinds": all_kinds})

    assert result["failed"] is True
    assert "localhost/no-such-image for kind gpu does not exist" in result["msg"]
    assert "localhost/no-such-either for kind big does not exist" in result["msg"]
    assert fake_podman.podman_calls("run") == []


def test_nodes_without_floating_ip_are_reached_through_one_that_has_one(cloud, ssh, settings):
    settings["floating_network"] = "public"
    run_module(cluster_nodes.main, nodes_args(settings, kind="frontend", count=1))
    ssh.probes.clear()

    result = run_module(cluster_nodes.main, nodes_args(settings, count=1))

    assert not result.get("failed"), result
    assert ssh.probes == []  # not reachable from here: not waited for on its private address
    [floating] = cloud.floating_ips.values()
    provider = get_provider("openstack", settings, None)
    nodes = {n["name"]: n for n in provider.list_nodes("demo")}
    assert nodes["demo-compute001"]["connection"]["ansible_ssh_common_args"] == \
        "-o ProxyJump=debian@%s" % floating["floating_ip_address"]
    assert "ansible_ssh_common_args" not in nodes["demo-frontend001"]["connection"]

    settings["private_key_file"] = "/keys/grid"
    nodes = {n["name"]: n for n in get_provider("openstack", settings, None).list_nodes("demo")}
    assert nodes["demo-compute001"]["connection"]["ansible_ssh_common_args"] == \
        '-o ProxyCommand="ssh -W %%h:%%p -i /keys/grid debian@%s"' \
        % floating["floating_ip_address"]

    settings["proxy_jump"] = False
    nodes = {n["name"]: n for n in get_provider("openstack", settings, None).list_nodes("demo")}
    assert "ansible_ssh_common_args" not in nodes["demo-compute001"]["connection"]


def test_a_server_still_building_from_an_interrupted_run_is_adopted(cloud, ssh, settings):
    cloud.add_server("demo-compute001", "demo", "compute", 1, status="BUILD")

    result = run_module(cluster_nodes.main, nodes_args(settings, count=1))

    assert not result.get("failed"), result
    assert result["created"] == []
    assert result["nodes"][0]["state"] == "running"
    assert cloud.calls("POST", "/servers") == [] and cloud.calls("POST", "/action") == []
    assert cloud.server_names() == ["demo-compute001"]


def test_absent_removes_only_the_cluster_s_empty_server_groups(cloud, ssh, settings):
    settings["anti_affinity"] = "soft"
    run_module(cluster_nodes.main, nodes_args(settings, count=1))
    [group] = cloud.server_groups.values()
    assert group["policies"] == ["soft-anti-affinity"]
    for name, members in (("demo-web", ["x"]), ("demo-x-compute", []), ("other-compute", [])):
        group_id = cloud.new_id()
        cloud.server_groups[group_id] = {"id": group_id, "name": name, "members": members,
                                         "policies": ["anti-affinity"], "metadata": {}}

    run_module(cluster_nodes.main, {"cluster": "demo", "state": "absent",
                                    "provider": "openstack", "provider_settings": settings})

    assert sorted(g["name"] for g in cloud.server_groups.values()) == [
        "demo-web", "demo-x-compute", "other-compute"]


def test_an_existing_volume_is_adopted_by_id(cloud, ssh, settings):
    cloud.add_server("demo-frontend001", "demo", "frontend", 1)
    existing = cloud.add_volume("old-data", size=2)
    settings["adopt_volumes"] = {"demo-frontend001-grid": existing["id"]}

    check = run_module(cluster_volume.main, volume_args(settings), check_mode=True)
    assert check["changed"] is True
    assert cloud.writes() == []

    result = run_module(cluster_volume.main, volume_args(settings))

    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["volume"]["id"] == existing["id"]
    assert existing["name"] == "demo-frontend001-grid"
    assert existing["metadata"]["gridcloud_node"] == "demo-frontend001"
    assert existing["status"] == "in-use"
    assert [r for r in cloud.calls("POST", "/volumes") if r.path.endswith("/volumes")] == []
    again = run_module(cluster_volume.main, volume_args(settings))
    assert again["changed"] is False

    settings["adopt_volumes"] = {"demo-frontend001-scratch": "no-such-id"}
    missing = run_module(cluster_volume.main, volume_args(settings, name="scratch"))
    assert missing["failed"] is True
    assert "volume no-such-id (adopt_volumes.demo-frontend001-scratch) does not exist" \
        in missing["msg"]


# --------------------------------------------------------------------------- elastic

@pytest.fixture
def elastic_settings(settings, tmp_path):  # pylint: disable=redefined-outer-name
    """The settings of a cluster with elastic kinds (derive_settings adds the directory)."""
    secrets = tmp_path / "secrets"
    return dict(settings, elastic_secrets_dir=str(secrets))


def _user_data(request_body):
    return base64.b64decode(request_body["server"]["user_data"]).decode()


def test_elastic_access_is_made_once_and_every_server_accepts_its_key(
        cloud, ssh, elastic_settings):
    secrets = elastic_settings["elastic_secrets_dir"]

    first = run_module(cluster_nodes.main, nodes_args(elastic_settings, count=1))
    again = run_module(cluster_nodes.main, nodes_args(elastic_settings, count=1))

    assert not first.get("failed"), first
    assert first["changed"] is True and again["changed"] is False, again
    credentials = list(cloud.application_credentials.values())
    assert [(c["name"], c["unrestricted"]) for c in credentials] == [
        ("gridcloud-demo-elastic", False)]
    path = "%s/openstack-elastic-clouds.yaml" % secrets
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    with open(path) as handle:
        clouds = yaml.safe_load(handle)
    assert list(clouds["clouds"]) == ["gridcloud-elastic"]
    cloud_entry = clouds["clouds"]["gridcloud-elastic"]
    assert cloud_entry["auth_type"] == "v3applicationcredential"
    assert cloud_entry["auth"] == {"auth_url": IDENTITY,
                                   "application_credential_id": credentials[0]["id"],
                                   "application_credential_secret": credentials[0]["secret"]}
    assert cloud_entry["region_name"] == "RegionOne"
    assert set(cloud_entry) <= {"auth_type", "auth", "identity_api_version", "region_name",
                                "interface", "verify", "cacert"}
    with open("%s/elastic-ssh-key.pub" % secrets) as handle:
        public_key = handle.read().strip()
    assert public_key.startswith("ssh-ed25519 ") and public_key.endswith(" gridcloud-demo-elastic")
    server = cloud.servers[next(iter(cloud.servers))]
    assert server["_request"]["server"]["metadata"]["gridcloud_elastic_key"] == "yes"
    user_data = _user_data(server["_request"])
    assert user_data.startswith("#cloud-config\n")
    assert yaml.safe_load(user_data) == {"ssh_authorized_keys": [public_key]}
    # the secret is in the file only, never in what the module returns
    assert credentials[0]["secret"] not in json.dumps(first)


def test_the_controller_makes_and_removes_elastic_nodes_with_its_credential(
        cloud, ssh, elastic_settings):
    """The controller's copy (controller_settings, then derived again there): the application
    credential's cloud from the clouds file, its ssh key, fixed addresses."""
    run_module(cluster_nodes.main, nodes_args(elastic_settings, count=1))
    secrets = elastic_settings["elastic_secrets_dir"]
    controller = dict(openstack_provider.OpenStackProvider.controller_settings(
        dict(elastic_settings, floating_network="public"), "demo", secrets),
        elastic_secrets_dir=secrets)
    assert "auth" not in controller and "public_key_file" not in controller
    tokens_before = len(cloud.calls("POST", "/auth/tokens"))

    up = run_module(cluster_nodes.main, nodes_args(controller, count=1, elastic_max=3,
                                                   elastic_up=["demo-compute003"]))

    assert not up.get("failed"), up
    assert up["created"] == ["demo-compute003"]
    token_requests = [json.loads(r.body) for r in cloud.calls("POST", "/auth/tokens")]
    assert token_requests[tokens_before]["auth"]["identity"]["methods"] == [
        "application_credential"]
    made = up["nodes"][-1]
    assert made["connection"]["ansible_host"] == made["address"]
    assert made["connection"]["ansible_ssh_private_key_file"] == secrets + "/elastic-ssh-key"
    assert "ansible_ssh_common_args" not in made["connection"]
    request = cloud.servers[made["id"]]["_request"]
    assert request["server"]["key_name"] == "demo-key"
    assert "ssh-ed25519" in _user_data(request)

    down = run_module(cluster_nodes.main, nodes_args(controller, count=1, elastic_max=3,
                                                     elastic_down=["demo-compute003"]))

    assert names(down["removed"]) == ["demo-compute003"]
    assert cloud.server_names() == ["demo-compute001"]


def test_a_controller_made_before_the_cluster_was_elastic_is_refused(cloud, ssh,
                                                                     elastic_settings):
    cloud.add_server("demo-frontend001", "demo", "frontend", 1)

    result = run_module(cluster_nodes.main, nodes_args(elastic_settings, kind="frontend",
                                                       count=1, elastic_controller=True))

    assert result["failed"] is True
    assert "was made before the cluster had them" in result["msg"], result["msg"]


def test_destroy_deletes_the_credential_and_the_controller_key(cloud, ssh, elastic_settings):
    secrets = elastic_settings["elastic_secrets_dir"]
    run_module(cluster_nodes.main, nodes_args(elastic_settings, count=1))
    absent = {"cluster": "demo", "state": "absent", "provider": "openstack",
              "provider_settings": elastic_settings}

    predicted = run_module(cluster_nodes.main, absent, check_mode=True)
    assert cloud.application_credentials and os.path.exists(secrets + "/elastic-ssh-key")
    gone = run_module(cluster_nodes.main, absent)
    again = run_module(cluster_nodes.main, absent)

    assert "application credential gridcloud-demo-elastic" in gone["removed_resources"]
    # in check mode the servers are still there, so nothing cluster-wide would go yet
    assert predicted["removed_resources"] == []
    assert cloud.application_credentials == {}
    assert sorted(os.listdir(secrets)) == []
    assert again["changed"] is False


def test_check_mode_makes_no_elastic_access(cloud, ssh, elastic_settings):
    result = run_module(cluster_nodes.main, nodes_args(elastic_settings, count=1),
                        check_mode=True)

    assert result["changed"] is True
    assert cloud.application_credentials == {}
    assert not os.path.exists(elastic_settings["elastic_secrets_dir"])
