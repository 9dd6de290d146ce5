#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cluster_definition
short_description: Read and validate a grid cluster definition file
version_added: "1.0.0"
description:
  - Reads a cluster definition (YAML) and checks all of it before anything is created.
  - Every problem is reported at once, each naming the field as a dotted path (for example
    C(cluster.nodes.compute.count)) and saying how to fix it.
  - Returns the definition in normal form (defaults filled in, sizes in bytes, hook paths
    absolute, the active provider's derived C(provider_settings)) and the list of nodes it asks
    for.
  - Runs on the Ansible controller as an action; it reads the file and changes nothing. The
    file is read the way the inventory plugin reads it (Ansible's YAML loader, so vaulted
    values work), and a mapping key given twice is a problem naming the key and its line.
  - The playbooks do not need this module (the inventory plugin has read the definition);
    it is there to check a file on its own, for example in a site's CI.
author:
  - gridcloud.arc_cluster contributors (!UNKNOWN)
options:
  path:
    description:
      - Path of the definition file. Relative hook playbook paths in it are relative to the
        file's directory.
    type: path
    required: true
attributes:
  action:
    support: full
    description: Runs on the controller as an action plugin, whatever host the task names.
  check_mode:
    support: full
    description: The module changes nothing, so it runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to show.
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
    shared_dirs:
      description: Directories the active provider shares between every node itself.
      type: list
      elements: str
    provider_settings:
      description:
        - The active provider's settings with what follows from the rest of the definition
          (for openstack, C(rest_interface) from C(vars.arc_ce_mode)); what the modules get.
      type: dict
    podman:
      description: Podman provider settings as given (normalised).
      type: dict
    openstack:
      description: OpenStack provider settings as given.
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


def main():
    # The work is done by the action plugin of the same name (plugins/action/cluster_definition.py)
    # on the controller; this only runs when the module is called without it.
    module = AnsibleModule(argument_spec={"path": {"type": "path", "required": True}},
                           supports_check_mode=True)
    module.fail_json(msg="gridcloud.arc_cluster.cluster_definition runs as an action on the "
                         "Ansible controller; call it through ansible-playbook or ansible, "
                         "with the collection installed")


if __name__ == "__main__":
    main()
