# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: cluster
short_description: A grid cluster definition file as an inventory
version_added: "0.1.0"
description:
  - Makes a cluster definition file (one whose C(plugin) key is
    V(gridcloud.arc_cluster.cluster)) an inventory source, so every playbook of the
    collection, a hook playbook or an ad-hoc command takes the definition with C(-i).
  - Every node the definition asks for is a host, named C(<cluster>-<kind>NNN), in the group of
    its kind and in the groups the kind lists (for example C(slurm_controller)).
  - The provider is asked which nodes exist; their addresses and volume devices become host
    variables. Nodes that exist but that the definition no longer asks for (after its count
    was lowered) are in the group C(gridcloud_surplus) only, so that C(resize) can drain and
    remove them. Nodes the definition asks for that do not exist yet are also in the group
    C(gridcloud_planned).
  - With provider V(openstack) the nodes are the servers whose metadata names the cluster, kind
    and index; each gets C(ansible_host) (its floating IP, else its address), C(ansible_user)
    (C(ssh_user)), C(ansible_connection=ssh) and, for a node reached through another's
    floating IP, C(ansible_ssh_common_args) (see docs/openstack.md).
  - The definition is validated first; an invalid one fails with every problem listed.
author:
  - gridcloud.arc_cluster contributors
options:
  plugin:
    description: Marks the file as a definition for this plugin.
    required: true
    type: str
    choices: [gridcloud.arc_cluster.cluster]
  cluster:
    description: The cluster definition; see the user guide (docs/definition.md).
    required: true
    type: dict
notes:
  - Host variables set per node are C(gridcloud_node_kind), C(gridcloud_node_index),
    C(gridcloud_node_state), C(gridcloud_node_address) and C(gridcloud_node_volumes) (the kind's
    volumes, each with the C(device) path inside the node when it is attached).
  - Variables set for all hosts are C(gridcloud_cluster_name), C(gridcloud_definition_path),
    C(gridcloud_definition) (the normal form), C(gridcloud_secrets_dir) (where the cluster's
    generated secrets are kept on the Ansible controller) and every variable under C(cluster.vars).
"""

EXAMPLES = r"""
# a minimal definition (see examples/local/cluster.yml for a full one)
plugin: gridcloud.arc_cluster.cluster
cluster:
  name: demo
  nodes:
    frontend:
      count: 1
      groups: [slurm_controller]
    compute:
      count: 2
      groups: [slurm_worker]

# ansible-inventory -i examples/local/cluster.yml --graph
"""

import os
import subprocess

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin
from ansible.template import trust_as_template

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.definition import (
    DefinitionError,
    definition_base_dir,
    planned_nodes,
    validate_definition,
)
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers import (
    ProviderError,
    get_provider,
)
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers.podman import (
    CONNECTION as PODMAN_CONNECTION,
)

SURPLUS_GROUP = "gridcloud_surplus"
PLANNED_GROUP = "gridcloud_planned"


def _run(args):
    try:
        proc = subprocess.run(args, capture_output=True, text=True, check=False)
    except OSError as exc:
        return 127, "", str(exc)
    return proc.returncode, proc.stdout, proc.stderr


def _plain(value):
    """Turn the loader's tagged YAML values into plain Python types."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def _trusted(value):
    """``value`` with every string marked as a template Ansible may render.

    ansible-core 2.19 does not render templates that come from inventory plugins unless they
    are marked trusted. ``cluster.vars`` is the user's own file, as trusted as their group_vars,
    so ``"{{ lookup('ansible.builtin.env', 'ACT_SOURCE') }}"`` there works as it would there.
    """
    if isinstance(value, dict):
        return {key: _trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_trusted(item) for item in value]
    if isinstance(value, str):
        return trust_as_template(value)
    return value


class InventoryModule(BaseInventoryPlugin):
    NAME = "gridcloud.arc_cluster.cluster"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith((".yml", ".yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        data = _plain(self.loader.load_from_file(path, cache="none"))
        if not isinstance(data, dict) or data.get("plugin") != self.NAME:
            raise AnsibleParserError("%s is not a cluster definition for %s" % (path, self.NAME))
        try:
            definition = validate_definition(data, base_dir=definition_base_dir(path))
        except DefinitionError as exc:
            raise AnsibleParserError("%s: %s" % (path, exc.message))
        provider_settings = definition.get(definition["provider"]) or {}
        existing = {}
        provider = None
        try:
            provider = get_provider(definition["provider"], provider_settings, _run)
            existing = {n["name"]: n for n in provider.list_nodes(definition["name"])}
        except ProviderError as exc:
            self.display.warning("cluster %s: could not ask provider %s for its nodes: %s"
                                 % (definition["name"], definition["provider"], exc))
            provider = None
        self._populate(definition, os.path.abspath(path), existing, provider)

    def _populate(self, definition, path, existing, provider):
        inventory = self.inventory
        cluster = definition["name"]
        inventory.set_variable("all", "gridcloud_cluster_name", cluster)
        inventory.set_variable("all", "gridcloud_definition_path", path)
        inventory.set_variable("all", "gridcloud_definition", definition)
        inventory.set_variable("all", "gridcloud_secrets_dir", definition["secrets_dir"])
        for key, value in definition["vars"].items():
            inventory.set_variable("all", key, _trusted(value))
        inventory.add_group(SURPLUS_GROUP)
        inventory.add_group(PLANNED_GROUP)
        planned = planned_nodes(definition)
        planned_names = set()
        for node in planned:
            planned_names.add(node["name"])
            kind_group = inventory.add_group(node["kind"])
            host = inventory.add_host(node["name"], group=kind_group)
            for group in node["groups"]:
                inventory.add_group(group)
                inventory.add_child(group, host)
            current = existing.get(node["name"])
            if current is None:
                inventory.add_child(PLANNED_GROUP, host)
            volumes = []
            for volume in node["volumes"]:
                entry = dict(volume)
                entry["device"] = None
                if current is not None and provider is not None:
                    try:
                        found = provider.get_volume(cluster, node["name"], volume["name"])
                    except ProviderError as exc:
                        self.display.warning(str(exc))
                        found = None
                    if found and found.get("attached"):
                        entry["device"] = found["device"]
                volumes.append(entry)
            self._set_node_vars(host, node["kind"], node["index"], current, volumes,
                                definition["provider"])
        for name, current in existing.items():
            if name in planned_names:
                continue
            host = inventory.add_host(name, group=SURPLUS_GROUP)
            self._set_node_vars(host, current["kind"], current["index"], current, [],
                                definition["provider"])

    def _set_node_vars(self, host, kind, index, current, volumes, provider_name):
        inventory = self.inventory
        inventory.set_variable(host, "gridcloud_node_kind", kind)
        inventory.set_variable(host, "gridcloud_node_index", index)
        inventory.set_variable(host, "gridcloud_node_state",
                               current["state"] if current else "planned")
        inventory.set_variable(host, "gridcloud_node_address",
                               current["address"] if current else None)
        inventory.set_variable(host, "gridcloud_node_volumes", volumes)
        if provider_name == "podman":
            inventory.set_variable(host, "ansible_connection", PODMAN_CONNECTION)
            inventory.set_variable(host, "ansible_host", host)
        elif current:
            for key, value in (current.get("connection") or {}).items():
                inventory.set_variable(host, key, value)
        inventory.set_variable(host, "ansible_python_interpreter", "/usr/bin/python3")
