# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The definition_source filter: module_utils' definition_source behind checked arguments."""

from __future__ import annotations

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.gridcloud.arc_cluster.plugins.filter import definition_source as plugin
from ansible_collections.gridcloud.arc_cluster.plugins.filter.definition_source import (
    FilterModule,
    definition_source,
)
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.definition import (
    validate_definition,
)


def normal():
    return validate_definition({"cluster": {"name": "demo", "nodes": {
        "frontend": {"count": 1, "groups": ["slurm_controller"]},
        "compute": {"count": 2, "groups": ["slurm_worker"]}}}})


def test_the_copy_validates_to_the_same_nodes_with_its_secrets_dir():
    source = definition_source(normal(), "/var/lib/gridcloud-elastic/secrets")

    again = validate_definition(source)

    assert again["nodes"] == normal()["nodes"]
    assert again["secrets_dir"] == "/var/lib/gridcloud-elastic/secrets"
    assert FilterModule().filters() == {"definition_source": definition_source}


def test_the_openstack_copy_uses_the_clusters_credential_not_the_users(tmp_path):
    """The controller's copy of an openstack cluster with elastic kinds: no password of the
    user, the application credential's clouds.yaml and the controller's key in its secrets."""
    key = tmp_path / "id.pub"
    key.write_text("ssh-ed25519 AAAA user@site\n")
    definition = {"cluster": {
        "name": "grid1", "provider": "openstack",
        "openstack": {"auth": {"auth_url": "https://keystone.example.org/v3",
                               "username": "admin", "password": "do-not-copy"},
                      "region_name": "RegionOne", "image": "debian-13", "network": "grid",
                      "public_key_file": str(key), "floating_network": "public"},
        "nodes": {
            "frontend": {"count": 1, "groups": ["slurm_controller"],
                         "resources": {"flavor": "m1.large"}},
            "compute": {"count": 0, "groups": ["slurm_worker"], "elastic": {"max": 4},
                        "resources": {"flavor": "m1.large", "cpus": 2, "memory": "4GiB"}}}}}
    secrets = "/var/lib/gridcloud-elastic/secrets"

    source = definition_source(validate_definition(definition), secrets)
    again = validate_definition(source)

    assert "do-not-copy" not in yaml.safe_dump(source)
    assert source["cluster"]["openstack"] == {
        "image": "debian-13", "network": "grid", "floating_network": "public",
        "cloud": "gridcloud-elastic", "clouds_file": secrets + "/openstack-elastic-clouds.yaml",
        "private_key_file": secrets + "/elastic-ssh-key", "ssh_address": "fixed",
        "key_name": "grid1-key"}
    assert again["provider_settings"]["elastic_secrets_dir"] == secrets
    assert again["nodes"] == validate_definition(definition)["nodes"]


@pytest.mark.parametrize("value, secrets_dir, hooks, message", [
    ({"name": "demo"}, "/s", None, "must be a definition's normal form"),
    ("demo", "/s", None, "must be a definition's normal form"),
    (None, "relative/secrets", None, "secrets_dir must be an absolute path"),
    (None, "/s", ["a.yml"], "hooks must be a mapping"),
    ({"name": "demo", "nodes": {"compute": {}}, "hooks": {}}, "/s", None,
     "is not a definition's normal form"),
])
def test_wrong_arguments_are_named(value, secrets_dir, hooks, message):
    with pytest.raises(AnsibleFilterError) as info:
        definition_source(normal() if value is None else value, secrets_dir, hooks)
    assert message in str(info.value)


def test_the_documentation_is_yaml():
    assert yaml.safe_load(plugin.DOCUMENTATION)["name"] == "definition_source"
    assert yaml.safe_load(plugin.EXAMPLES)
    assert "_value" in yaml.safe_load(plugin.RETURN)
