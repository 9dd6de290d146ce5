# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster role's provider settings: openstack gets rest_interface from arc_ce_mode.

The expressions of roles/cluster/tasks/main.yml are rendered with Ansible's own templar.
"""

from __future__ import annotations

import os

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

MAIN = os.path.join(os.path.dirname(__file__), "..", "..", "roles", "cluster", "tasks", "main.yml")


def settings_for(definition, planned_nodes):
    with open(MAIN) as handle:
        tasks = yaml.safe_load(handle)
    [task] = [t for t in tasks if "ansible.builtin.set_fact" in t]
    variables = {"__cluster_definition": {"definition": definition,
                                          "planned_nodes": planned_nodes}}
    templar = Templar(loader=DataLoader(), variables=variables)
    for key, value in task["vars"].items():
        variables[key] = templar.template(_trusted(value))
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template(
        task["ansible.builtin.set_fact"]["cluster_provider_settings"]))


def _trusted(value):
    if isinstance(value, dict):
        return {k: _trusted(v) for k, v in value.items()}
    if isinstance(value, str):
        return trust_as_template(value)
    return value


FRONTEND = [{"name": "g-frontend001", "kind": "frontend", "groups": ["arc_ce"]}]


@pytest.mark.parametrize("variables, nodes, openstack, expected", [
    ({"arc_ce_mode": "rest"}, FRONTEND, {"cloud": "c"}, True),
    ({"arc_ce_mode": "internal"}, FRONTEND, {"cloud": "c"}, False),
    ({}, FRONTEND, {"cloud": "c"}, False),
    ({"arc_ce_mode": "rest"}, [{"name": "g-compute001", "groups": ["slurm_worker"]}],
     {"cloud": "c"}, False),
    ({"arc_ce_mode": "rest"}, FRONTEND, {"cloud": "c", "rest_interface": False}, False),
], ids=["rest", "internal", "default", "no-ce", "explicit"])
def test_rest_interface(variables, nodes, openstack, expected):
    definition = {"provider": "openstack", "openstack": openstack, "podman": {},
                  "vars": variables}
    settings = settings_for(definition, nodes)
    assert settings["rest_interface"] is expected
    assert settings["cloud"] == "c"


def test_podman_settings_are_the_definition_s():
    definition = {"provider": "podman", "podman": {"network": "n"}, "openstack": {},
                  "vars": {"arc_ce_mode": "rest"}}
    assert settings_for(definition, FRONTEND) == {"network": "n"}
