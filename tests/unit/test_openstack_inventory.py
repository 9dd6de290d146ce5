# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory plugin with provider openstack: nodes from the servers' metadata, same groups.

The cloud is fake_openstack_api.py's, spoken to by the real openstacksdk over requests-mock.
"""

from __future__ import annotations


import pytest
import yaml
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader

from fake_openstack_api import AUTH, fake_cloud

from ansible_collections.gridcloud.arc_cluster.plugins.inventory.cluster import InventoryModule
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers import (
    provider_class,
)


@pytest.fixture
def cloud(monkeypatch):
    yield from fake_cloud(monkeypatch)


def definition_file(tmp_path, compute_count=2, elastic=None):
    data = {
        "plugin": "gridcloud.arc_cluster.cluster",
        "cluster": {
            "name": "grid1",
            "provider": "openstack",
            "secrets_dir": str(tmp_path / "secrets"),
            "openstack": {"auth": dict(AUTH), "region_name": "RegionOne",
                          "image": "debian-13-genericcloud-amd64", "network": "grid-private",
                          "ssh_user": "debian", "floating_network": "public",
                          "private_key_file": "/keys/grid1"},
            "nodes": {
                "frontend": {"count": 1, "groups": ["slurm_controller", "nfs_server", "arc_ce"],
                             "resources": {"flavor": "m1.large"},
                             "volumes": [{"name": "grid", "size": "2GiB",
                                          "mount": "/srv/grid"}]},
                "compute": {"count": compute_count,
                            "groups": ["slurm_worker", "nfs_client"],
                            "resources": {"flavor": "m1.small"}},
            },
        },
    }
    if elastic:
        data["cluster"]["nodes"]["compute"]["elastic"] = elastic
        data["cluster"]["nodes"]["compute"]["resources"].update(cpus=1, memory="2GiB")
    path = tmp_path / "cluster.yml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def parse(path):
    inventory = InventoryData()
    plugin = InventoryModule()
    plugin.parse(inventory, DataLoader(), path, cache=False)
    return inventory


def group_hosts(inventory, group):
    return sorted(host.name for host in inventory.groups[group].get_hosts())


def test_servers_become_hosts_in_the_groups_of_their_kind(cloud, tmp_path):
    frontend = cloud.add_server("grid1-frontend001", "grid1", "frontend", 1,
                                address="10.0.0.5")
    frontend["addresses"]["grid-private"].append(
        {"addr": "203.0.113.7", "version": 4, "OS-EXT-IPS:type": "floating"})
    cloud.add_server("grid1-compute001", "grid1", "compute", 1, address="10.0.0.6")
    cloud.add_server("grid1-compute003", "grid1", "compute", 3, address="10.0.0.8")
    cloud.add_server("other-compute001", "other", "compute", 1)
    volume = cloud.add_volume("grid1-frontend001-grid", size=2, status="in-use")
    volume["attachments"] = [{"server_id": frontend["id"], "volume_id": volume["id"],
                              "id": volume["id"], "attachment_id": "a1"}]

    inventory = parse(definition_file(tmp_path))

    assert group_hosts(inventory, "frontend") == ["grid1-frontend001"]
    assert group_hosts(inventory, "compute") == ["grid1-compute001", "grid1-compute002"]
    assert group_hosts(inventory, "slurm_controller") == ["grid1-frontend001"]
    assert group_hosts(inventory, "slurm_worker") == ["grid1-compute001", "grid1-compute002"]
    assert group_hosts(inventory, "gridcloud_planned") == ["grid1-compute002"]
    assert group_hosts(inventory, "gridcloud_surplus") == ["grid1-compute003"]
    assert "other-compute001" not in inventory.hosts

    front = inventory.hosts["grid1-frontend001"].vars
    assert front["ansible_host"] == "203.0.113.7"
    assert front["ansible_user"] == "debian"
    assert front["ansible_connection"] == "ssh"
    assert front["ansible_ssh_private_key_file"] == "/keys/grid1"
    assert front["gridcloud_node_address"] == "10.0.0.5"
    assert front["gridcloud_node_fqdn"] is None  # the provider gives no DNS name
    assert front["gridcloud_node_state"] == "running"
    assert front["gridcloud_node_volumes"][0]["device"] == \
        "/dev/disk/by-id/virtio-%s" % volume["id"][:20]
    compute = inventory.hosts["grid1-compute001"].vars
    assert compute["ansible_host"] == "10.0.0.6"
    assert compute["ansible_ssh_common_args"] == \
        '-o ProxyCommand="ssh -W %h:%p -i /keys/grid1 debian@203.0.113.7"'
    assert compute["gridcloud_node_volumes"] == []
    planned = inventory.hosts["grid1-compute002"].vars
    assert planned["gridcloud_node_state"] == "planned"
    assert "ansible_host" not in planned
    # the inventory only reads
    assert cloud.writes() == []


def test_an_unreachable_cloud_gives_planned_nodes_and_a_warning(cloud, tmp_path):
    cloud.mocker.register_uri("POST", "https://identity.example.test/v3/auth/tokens",
                              status_code=401, json={"error": {"code": 401,
                                                               "message": "bad password"}})

    inventory = parse(definition_file(tmp_path))

    assert group_hosts(inventory, "gridcloud_planned") == [
        "grid1-compute001", "grid1-compute002", "grid1-frontend001"]


def test_elastic_nodes_are_hosts_only_while_they_exist(cloud, tmp_path, monkeypatch):
    monkeypatch.setattr(provider_class("openstack"), "elastic", True)
    cloud.add_server("grid1-frontend001", "grid1", "frontend", 1, address="10.0.0.5")
    cloud.add_server("grid1-compute001", "grid1", "compute", 1, address="10.0.0.6")
    cloud.add_server("grid1-compute003", "grid1", "compute", 3, address="10.0.0.8")
    cloud.add_server("grid1-compute005", "grid1", "compute", 5, address="10.0.0.9")

    inventory = parse(definition_file(tmp_path, compute_count=1,
                                      elastic={"max": 4, "idle": 120}))

    # compute002 and compute004 do not exist: no hosts; compute003 does: a host like any other
    assert group_hosts(inventory, "compute") == ["grid1-compute001", "grid1-compute003"]
    assert group_hosts(inventory, "slurm_worker") == ["grid1-compute001", "grid1-compute003"]
    assert group_hosts(inventory, "gridcloud_active") == [
        "grid1-compute001", "grid1-compute003", "grid1-frontend001"]
    assert group_hosts(inventory, "gridcloud_elastic") == ["grid1-compute003"]
    assert group_hosts(inventory, "gridcloud_planned") == []
    # above max: surplus
    assert group_hosts(inventory, "gridcloud_surplus") == ["grid1-compute005"]
    assert inventory.hosts["grid1-compute003"].vars["gridcloud_node_address"] == "10.0.0.8"
    elastic = inventory.groups["all"].get_vars()["gridcloud_elastic_nodes"]
    assert [(n["name"], n["index"], n["state"], n["address"]) for n in elastic] == [
        ("grid1-compute002", 2, "absent", None),
        ("grid1-compute003", 3, "running", "10.0.0.8"),
        ("grid1-compute004", 4, "absent", None),
    ]
    assert elastic[0]["groups"] == ["slurm_worker", "nfs_client"]
    assert sorted(n["name"] for n in inventory.groups["all"].get_vars()["gridcloud_nodes"]) == [
        "grid1-compute001", "grid1-frontend001"]
