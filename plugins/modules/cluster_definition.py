#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cluster_definition
short_description: Read and validate a grid cluster definition file
version_added: "0.1.0"
description:
  - Reads a cluster definition (YAML) and checks all of it before anything is created.
  - Every problem is reported at once, each naming the field as a dotted path (for example
    C(cluster.nodes.compute.count)) and saying how to fix it.
  - Returns the definition in normal form (defaults filled in, sizes in bytes, hook paths
    absolute) and the list of nodes it asks for.
  - Runs on the Ansible controller; it reads the file and changes nothing.
author:
  - gridcloud.arc_cluster contributors
options:
  path:
    description:
      - Path of the definition file. Relative hook playbook paths in it are relative to the
        file's directory.
    type: path
    required: true
attributes:
  check_mode:
    support: full
    description: The module changes nothing, so it runs the same in check mode.
  diff_mode:
    support: none
seealso:
  - module: gridcloud.arc_cluster.cluster_nodes
"""

EXAMPLES = r"""
- name: Validate the definition before anything is created
  gridcloud.arc_cluster.cluster_definition:
    path: examples/local/cluster.yml
  register: definition
"""

RETURN = r"""
definition:
  description: The definition in normal form.
  returned: success
  type: dict
  contains:
    name:
      description: Cluster name.
      type: str
      sample: demo
    provider:
      description: Provider name.
      type: str
      sample: podman
    release:
      description: Debian release of the nodes.
      type: str
      sample: trixie
    nodes:
      description: Node kinds with C(count), C(groups), C(resources), C(volumes) and C(image).
      type: dict
    hooks:
      description: Absolute playbook paths per hook point (C(before), C(after_storage), C(after)).
      type: dict
    vars:
      description: Variables for the roles.
      type: dict
    podman:
      description: Podman provider settings.
      type: dict
    openstack:
      description: OpenStack provider settings.
      type: dict
planned_nodes:
  description: Every node the definition asks for, in kind and index order.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Host name.
      type: str
      sample: demo-frontend001
    kind:
      description: Node kind.
      type: str
    index:
      description: Index within the kind, from 1.
      type: int
    groups:
      description: Groups of the node's kind.
      type: list
      elements: str
problems:
  description: Every problem found, when the definition is not valid.
  returned: failure
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.definition import (
    DefinitionError,
    load_definition,
    planned_nodes,
)


def main():
    module = AnsibleModule(argument_spec={"path": {"type": "path", "required": True}},
                           supports_check_mode=True)
    try:
        definition = load_definition(module.params["path"])
    except DefinitionError as exc:
        module.fail_json(msg=exc.message, problems=exc.problems)
    module.exit_json(changed=False, definition=definition,
                     planned_nodes=planned_nodes(definition))


if __name__ == "__main__":
    main()
