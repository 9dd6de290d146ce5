# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: cluster
short_description: A grid cluster definition file as an inventory
version_added: "1.0.0"
description:
  - Makes a cluster definition file (one whose C(plugin) key is
    V(gridcloud.arc_cluster.cluster)) an inventory source, so every playbook of the
    collection, a hook playbook or an ad-hoc command takes the definition with C(-i).
  - The file is read once per run with Ansible's own loader (vaulted values work as in any
    inventory file) and validated first; an invalid one fails with every problem listed, and a
    mapping key given twice is an error naming the key and its line. A later
    C(ansible.builtin.meta) V(refresh_inventory) in the same run asks the provider for the
    nodes again but does not read the file again.
  - Every node the definition asks for is a host, named C(<cluster>-<kind>NNN), in the group of
    its kind and in the groups the kind lists (for example C(slurm_controller)).
  - The provider is asked which nodes exist; their addresses, volume devices and connection
    variables become host variables (each provider says how it is reached, see its docs).
  - The group C(gridcloud_active) holds the nodes that exist and that the definition asks
    for, the ones every playbook configures (for example the host pattern
    C(nfs_server:&gridcloud_active)).
    Nodes the definition asks for that do not exist yet are in C(gridcloud_planned) (only before
    C(create), or in check mode). Nodes that exist but that the definition no longer asks for
    (after a count was lowered) are in C(gridcloud_surplus) only, so that C(resize) can drain
    and remove them.
  - Elastic nodes (of a kind with C(elastic), above its C(count) up to its C(elastic.max)) are
    hosts only while they exist; then they are in the groups of their kind, in
    C(gridcloud_active) and in C(gridcloud_elastic).
author:
  - gridcloud.arc_cluster contributors (!UNKNOWN)
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
    C(gridcloud_node_state) (V(running), another provider state, or V(planned)),
    C(gridcloud_node_address), C(gridcloud_node_fqdn) (the node's DNS name on the provider's
    network, when the provider gives one), C(gridcloud_node_volumes) (the kind's volumes, each with the
    C(device) path inside the node when it is attached), C(gridcloud_node_login) (how a person
    logs in) and the provider's connection variables (C(ansible_connection), C(ansible_host),
    C(ansible_user)...).
  - Variables set for all hosts are C(gridcloud_cluster_name), C(gridcloud_definition_path),
    C(gridcloud_definition) (the normal form; its C(provider_settings) are the active
    provider's settings with what follows from the rest of the definition), C(gridcloud_nodes) (every node
    the definition asks for, with its kind, index, groups and volumes), C(gridcloud_shared_dirs)
    (directories the provider itself shares between all nodes, for example the podman
    provider's C(shared_dirs)), C(gridcloud_elastic_nodes) (every elastic node, whether it
    exists or not, with its kind, index, groups, volumes, C(state) (V(absent) when it does not
    exist) and C(address)), C(gridcloud_secrets_dir) (where the cluster's generated secrets
    are kept on the Ansible controller) and every variable under C(cluster.vars).
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
    elastic_nodes,
    planned_nodes,
)
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers import (
    ProviderError,
    get_provider,
)
from ansible_collections.gridcloud.arc_cluster.plugins.plugin_utils.definition_file import (
    read_definition,
)

ACTIVE_GROUP = "gridcloud_active"
SURPLUS_GROUP = "gridcloud_surplus"
PLANNED_GROUP = "gridcloud_planned"
ELASTIC_GROUP = "gridcloud_elastic"


def _run(args):
    try:
        proc = subprocess.run(args, capture_output=True, text=True, check=False)
    except OSError as exc:
        return 127, "", str(exc)
    return proc.returncode, proc.stdout, proc.stderr


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
        try:
            definition = read_definition(path, self.loader)
        except DefinitionError as exc:
            raise AnsibleParserError("%s: %s" % (path, exc.message))
        existing = {}
        try:
            provider = get_provider(definition["provider"], definition["provider_settings"],
                                    _run)
        except ProviderError as exc:
            raise AnsibleParserError("%s: provider %s: %s" % (path, definition["provider"], exc))
        try:
            existing = {n["name"]: n for n in provider.list_nodes(definition["name"])}
        except ProviderError as exc:
            self.display.warning("cluster %s: could not ask provider %s for its nodes: %s"
                                 % (definition["name"], definition["provider"], exc))
        self._populate(definition, os.path.abspath(path), existing, provider)

    def _populate(self, definition, path, existing, provider):
        inventory = self.inventory
        cluster = definition["name"]
        planned = planned_nodes(definition)
        inventory.set_variable("all", "gridcloud_cluster_name", cluster)
        inventory.set_variable("all", "gridcloud_definition_path", path)
        inventory.set_variable("all", "gridcloud_definition", definition)
        inventory.set_variable("all", "gridcloud_nodes", planned)
        inventory.set_variable("all", "gridcloud_secrets_dir", definition["secrets_dir"])
        inventory.set_variable("all", "gridcloud_shared_dirs", definition["shared_dirs"])
        for key, value in definition["vars"].items():
            inventory.set_variable("all", key, _trusted(value))
        for group in (ACTIVE_GROUP, SURPLUS_GROUP, PLANNED_GROUP, ELASTIC_GROUP):
            inventory.add_group(group)
        elastic = []
        for node in elastic_nodes(definition):
            current = existing.get(node["name"])
            elastic.append(dict(node, state=current["state"] if current else "absent",
                                address=current["address"] if current else None))
        inventory.set_variable("all", "gridcloud_elastic_nodes", elastic)
        known_names = set()
        # an elastic node is a host only while it exists
        hosts = [(node, False) for node in planned]
        hosts += [(node, True) for node in elastic if node["name"] in existing]
        for node, is_elastic in hosts:
            known_names.add(node["name"])
            kind_group = inventory.add_group(node["kind"])
            host = inventory.add_host(node["name"], group=kind_group)
            for group in node["groups"]:
                inventory.add_group(group)
                inventory.add_child(group, host)
            current = existing.get(node["name"])
            inventory.add_child(PLANNED_GROUP if current is None else ACTIVE_GROUP, host)
            if is_elastic:
                inventory.add_child(ELASTIC_GROUP, host)
            volumes = []
            for volume in node["volumes"]:
                entry = dict(volume)
                entry["device"] = None
                if current is not None:
                    try:
                        found = provider.get_volume(cluster, node["name"], volume["name"])
                    except ProviderError as exc:
                        self.display.warning(str(exc))
                        found = None
                    if found and found.get("attached"):
                        entry["device"] = found["device"]
                volumes.append(entry)
            self._set_node_vars(cluster, host, node["kind"], node["index"], current, volumes,
                                provider)
        for name, current in existing.items():
            if name in known_names:
                continue
            host = inventory.add_host(name, group=SURPLUS_GROUP)
            self._set_node_vars(cluster, host, current["kind"], current["index"], current, [],
                                provider)

    def _set_node_vars(self, cluster, host, kind, index, current, volumes, provider):
        inventory = self.inventory
        inventory.set_variable(host, "gridcloud_node_kind", kind)
        inventory.set_variable(host, "gridcloud_node_index", index)
        inventory.set_variable(host, "gridcloud_node_state",
                               current["state"] if current else "planned")
        inventory.set_variable(host, "gridcloud_node_address",
                               current["address"] if current else None)
        inventory.set_variable(host, "gridcloud_node_fqdn",
                               (current or {}).get("fqdn"))
        inventory.set_variable(host, "gridcloud_node_volumes", volumes)
        inventory.set_variable(host, "gridcloud_node_login",
                               provider.login_command(cluster, host, current))
        for key, value in provider.connection_vars(cluster, host, current).items():
            inventory.set_variable(host, key, value)
        inventory.set_variable(host, "ansible_python_interpreter", "/usr/bin/python3")
