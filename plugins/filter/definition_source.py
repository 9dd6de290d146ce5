# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: definition_source
short_description: A cluster definition file's content from the definition's normal form
version_added: "1.0.0"
author:
  - gridcloud.arc_cluster contributors (!UNKNOWN)
description:
  - Turns the normal form of a cluster definition (the inventory's C(gridcloud_definition)) back
    into the content of a definition file (C(plugin) and C(cluster)) that validates to the same
    normal form, with the cluster's secrets in another directory and its hook playbooks at other
    paths.
  - For the copy of the definition on the SLURM controller that makes elastic nodes. The active
    provider's block is what the provider says the controller needs there. With provider
    C(openstack) that is the cluster's application credential in O(secrets_dir) instead of the
    user's credentials, the controller's ssh key, and nodes reached at their fixed address.
  - What the normal form adds (C(shared_dirs), C(provider_settings), the volumes'
    C(size_bytes)) and the nulls it fills in are left out.
positional: _input
options:
  _input:
    description: The definition in normal form.
    type: dict
    required: true
  secrets_dir:
    description: The C(secrets_dir) of the copy, an absolute path.
    type: str
    required: true
  hooks:
    description:
      - Where the copy finds each hook playbook, a mapping of the normal form's path to the
        copy's. A hook playbook the mapping does not name is left out of the copy.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Write the definition the controller makes elastic nodes from
  ansible.builtin.copy:
    content: >-
      {{ gridcloud_definition
         | gridcloud.arc_cluster.definition_source(secrets_dir='/var/lib/gridcloud-elastic/secrets')
         | to_nice_yaml(indent=2) }}
    dest: /var/lib/gridcloud-elastic/cluster.yml
    mode: "0600"
"""

RETURN = r"""
_value:
  description: The definition file's content, a mapping with C(plugin) and C(cluster).
  type: dict
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.definition import (
    definition_source as _definition_source,
)


def definition_source(normal, secrets_dir, hooks=None):
    """The filter: check the input's shape, then module_utils' definition_source."""
    if not isinstance(normal, Mapping) or not {"name", "nodes", "hooks"} <= set(normal):
        raise AnsibleFilterError("definition_source: the input must be a definition's normal "
                                 "form (gridcloud_definition), with name, nodes and hooks")
    if not isinstance(secrets_dir, str) or not secrets_dir.startswith("/"):
        raise AnsibleFilterError("definition_source: secrets_dir must be an absolute path, got %r"
                                 % (secrets_dir,))
    if hooks is not None and not isinstance(hooks, Mapping):
        raise AnsibleFilterError("definition_source: hooks must be a mapping of path to path")
    try:
        return _definition_source(normal, secrets_dir, dict(hooks or {}))
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError("definition_source: the input is not a definition's normal "
                                 "form: %s" % exc)


class FilterModule:
    def filters(self):
        return {"definition_source": definition_source}
