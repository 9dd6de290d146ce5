# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: container
short_description: Whether a virtualization type is a container's
version_added: "1.1.0"
author:
  - gridcloud.arc_cluster contributors (!UNKNOWN)
description:
  - True when the value, a host's C(virtualization_type) fact, names a container runtime
    (V(container), V(podman), V(docker), V(lxc), V(systemd-nspawn), V(openvz)); false for virtual
    machines (V(kvm), V(xen), ...), real machines and an empty or missing fact.
  - The one place that knows which hosts are containers, for the roles whose defaults differ
    there (the C(volumes) role's mount units, the C(slurm) role's cgroups).
positional: _input
options:
  _input:
    description: A C(virtualization_type) fact.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Mount units where systemd ignores fstab's block devices
  ansible.builtin.debug:
    msg: "{{ ansible_facts['virtualization_type'] | default('') is gridcloud.arc_cluster.container }}"
"""

RETURN = r"""
_value:
  description: Whether the host is a container.
  type: bool
"""

CONTAINER_TYPES = frozenset(["container", "podman", "docker", "lxc", "systemd-nspawn", "openvz"])


def container(virtualization_type):
    return str(virtualization_type or "") in CONTAINER_TYPES


class TestModule:
    """Jinja2 tests of gridcloud.arc_cluster."""

    def tests(self):
        return {"container": container}
