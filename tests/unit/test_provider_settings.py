# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The settings the modules get: the definition's normal form carries each provider's derived
settings (``provider_settings``), worked out once, in Python, by the provider class.

openstack: https (443) is opened in the security group when a node's ARC CE serves REST
(``vars.arc_ce_mode: rest``), unless ``rest_interface`` says otherwise.
"""

from __future__ import annotations

import pytest

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.definition import (
    validate_definition,
)


def definition(provider, settings, variables, ce_count=1):
    nodes = {"frontend": {"count": ce_count, "groups": ["arc_ce"], "resources": {"flavor": "f"}},
             "compute": {"count": 1, "groups": ["slurm_worker"], "resources": {"flavor": "f"}}}
    if ce_count == 0:
        nodes["frontend"]["groups"] = []
    nodes["frontend"]["groups"].append("slurm_controller")
    nodes["frontend"]["count"] = 1
    return {"cluster": {"name": "g", "provider": provider, provider: settings,
                        "nodes": nodes, "vars": variables}}


@pytest.mark.parametrize("variables, ce_count, openstack, expected", [
    ({"arc_ce_mode": "rest"}, 1, {"cloud": "c"}, True),
    ({"arc_ce_mode": "internal"}, 1, {"cloud": "c"}, False),
    ({}, 1, {"cloud": "c"}, False),
    ({"arc_ce_mode": "rest"}, 0, {"cloud": "c"}, False),
    ({"arc_ce_mode": "rest"}, 1, {"cloud": "c", "rest_interface": False}, False),
    ({"arc_ce_mode": "internal"}, 1, {"cloud": "c", "rest_interface": True}, True),
], ids=["rest", "internal", "default", "no-ce", "explicit-off", "explicit-on"])
def test_rest_interface(variables, ce_count, openstack, expected):
    normal = validate_definition(definition("openstack", openstack, variables, ce_count))
    assert normal["provider_settings"]["rest_interface"] is expected
    assert normal["provider_settings"]["cloud"] == "c"
    assert "rest_interface" not in normal["openstack"] or "rest_interface" in openstack


def test_podman_settings_are_the_definition_s():
    normal = validate_definition(definition("podman", {"network": "n"}, {"arc_ce_mode": "rest"}))
    assert normal["provider_settings"] == {"network": "n", "shared_dirs": []}
