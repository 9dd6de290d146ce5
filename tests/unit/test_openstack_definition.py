# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The definition's cluster.openstack keys: names and types (what the cloud has is checked by
the provider before it creates anything)."""

from __future__ import annotations

import pytest

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.definition import (
    DefinitionError,
    validate_definition,
)


def definition(**openstack):
    return {
        "plugin": "gridcloud.arc_cluster.cluster",
        "cluster": {
            "name": "grid1",
            "provider": "openstack",
            "openstack": openstack,
            "nodes": {"frontend": {"count": 1, "groups": ["slurm_controller"],
                                   "resources": {"flavor": "m1.large"}}},
        },
    }


def problems(**openstack):
    with pytest.raises(DefinitionError) as info:
        validate_definition(definition(**openstack))
    return info.value.problems


def test_every_documented_key_is_accepted():
    result = validate_definition(definition(
        cloud="mycloud", region_name="RegionOne", interface="public", verify=True,
        image="debian-13", network="grid-private", ssh_user="debian", ssh_port=22,
        wait_for_ssh=True, public_key_file="~/.ssh/id_ed25519.pub",
        private_key_file="~/.ssh/id_ed25519", floating_network="public",
        floating_ip_kinds=["frontend"], anti_affinity="soft", boot_from_volume=True,
        boot_volume_size="40GiB", volume_type="ssd", availability_zone="nova",
        rest_interface=False, proxy_jump=True, keep_failed_servers=False, poll_interval=2,
        adopt_volumes={"grid1-frontend001-grid": "5f0c1a9e"}, volume_timeout=600, delete_timeout=600))
    assert result["openstack"]["anti_affinity"] == "soft"


def test_auth_dict_instead_of_cloud():
    result = validate_definition(definition(auth={"auth_url": "https://keystone/v3",
                                                  "username": "u", "password": "p"}))
    assert result["openstack"]["auth"]["auth_url"] == "https://keystone/v3"


def test_every_problem_is_listed():
    found = problems(cloud="a", auth={"username": "u"}, flavour="m1", image="",
                     boot_from_volume="yes", ssh_port=-1, anti_affinity="hard",
                     floating_ip_kinds="frontend", boot_volume_size="big")
    assert sorted(p.split(":")[0] for p in found) == [
        "cluster.openstack",
        "cluster.openstack.anti_affinity",
        "cluster.openstack.auth",
        "cluster.openstack.boot_from_volume",
        "cluster.openstack.boot_volume_size",
        "cluster.openstack.flavour",
        "cluster.openstack.floating_ip_kinds",
        "cluster.openstack.image",
        "cluster.openstack.ssh_port",
    ]
    assert any("give cloud (a cloud of clouds.yaml) or auth, not both" in p for p in found)
    assert any("unknown key" in p and "flavour" in p for p in found)
