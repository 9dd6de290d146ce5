#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cluster_volume
short_description: Ensure a block volume exists and is attached to a cluster node
version_added: "1.0.0"
description:
  - Creates a volume of a size for one node of a cluster and attaches it, or detaches it.
  - Returns the stable device path under which the node sees the volume; the
    C(gridcloud.arc_cluster.volumes) role formats and mounts it.
  - With provider V(podman) the volume is a sparse file
    C(<volume_dir>/<cluster>/<node>-<name>.img) on a loop device, handed to the node as the block
    device C(/dev/disk/by-id/gridcloud-<name>). A re-run finds the file, its loop device and the
    device node and changes nothing.
  - With provider V(openstack) the volume is a Cinder volume C(<node>-<name>) (its size rounded
    up to whole GiB) with the metadata C(gridcloud_cluster), C(gridcloud_node) and
    C(gridcloud_volume), attached to the node's server; an existing volume of that name is
    adopted. The node sees it as C(/dev/disk/by-id/virtio-<first 20 characters of the volume
    id>). With O(state=absent) it is detached, and with O(policy=delete) deleted once
    it is available.
  - This module never formats anything and never shrinks a volume.
author:
  - gridcloud.arc_cluster contributors (!UNKNOWN)
extends_documentation_fragment:
  - gridcloud.arc_cluster.provider
options:
  node:
    description: Name of the node the volume belongs to, for example V(demo-frontend001).
    type: str
    required: true
  name:
    description: Name of the volume within the node.
    type: str
    required: true
  size:
    description:
      - Size of a new volume, for example V(1GiB) or V(500MiB). Required when O(state=present).
      - An existing volume keeps its size; a different O(size) gives a warning.
    type: str
  state:
    description:
      - V(present) makes the volume exist and be attached.
      - V(absent) detaches it and, with O(policy=delete), deletes it and its data.
    type: str
    default: present
    choices: [present, absent]
  policy:
    description:
      - With O(state=absent), V(keep) detaches the volume and keeps its data for the next
        create; V(delete) deletes the data.
    type: str
    default: keep
    choices: [keep, delete]
attributes:
  check_mode:
    support: full
    description: Predicts the change; creates, attaches and deletes nothing.
  diff_mode:
    support: none
    description: The result says what was made or attached instead of a diff.
seealso:
  - module: gridcloud.arc_cluster.cluster_nodes
"""

EXAMPLES = r"""
- name: A 1 GiB volume for the frontend
  gridcloud.arc_cluster.cluster_volume:
    cluster: demo
    node: demo-frontend001
    name: shared
    size: 1GiB
  register: shared_volume

- name: Detach it on destroy, keeping the data
  gridcloud.arc_cluster.cluster_volume:
    cluster: demo
    node: demo-frontend001
    name: shared
    state: absent
    policy: keep
"""

RETURN = r"""
volume:
  description: The volume, or null when O(state=absent) and it did not exist.
  returned: always
  type: dict
  contains:
    name:
      description: Volume name.
      type: str
      sample: shared
    node:
      description: The node it belongs to.
      type: str
      sample: demo-frontend001
    id:
      description: Provider id of the volume (podman, the backing file's path; openstack, the Cinder volume id).
      type: str
      sample: /var/lib/gridcloud/volumes/demo/demo-frontend001-shared.img
    device:
      description: Stable path of the block device inside the node.
      type: str
      sample: /dev/disk/by-id/gridcloud-shared
      # openstack: /dev/disk/by-id/virtio-5f0c1a9e-27c4-4b8e-9
    size_bytes:
      description: Size of the volume in bytes.
      type: int
      sample: 1073741824
    attached:
      description: Whether the volume is attached after the run.
      type: bool
      sample: true
    loop_device:
      description: The host loop device (podman only).
      type: str
      sample: /dev/loop0
"""

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.cluster_module import (
    ClusterModule,
)
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.definition import (
    MIN_VOLUME_BYTES,
    VOLUME_NAME_RE,
    parse_size,
)


class ClusterVolumeModule(ClusterModule):
    argument_spec = {
        "node": {"type": "str", "required": True},
        "name": {"type": "str", "required": True},
        "size": {"type": "str"},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "policy": {"type": "str", "default": "keep", "choices": ["keep", "delete"]},
    }
    module_kwargs = {
        "supports_check_mode": True,
        "required_if": [("state", "present", ("size",))],
    }

    def run(self):
        cluster, node, name = self.params["cluster"], self.params["node"], self.params["name"]
        if not VOLUME_NAME_RE.match(name):
            self.fail_json(msg="name: %r is not a volume name; use lower-case letters, digits, "
                               "'-' or '_', starting with a letter" % name)
        if "/" in node or node.startswith("."):
            self.fail_json(msg="node: %r is not a node name" % node)
        if self.params["state"] == "absent":
            changed, volume = self.provider.remove_volume(
                cluster, node, name, delete=self.params["policy"] == "delete",
                check_mode=self.check_mode)
            self.exit_json(changed=changed, volume=volume)
        try:
            size_bytes = parse_size(self.params["size"])
        except ValueError:
            self.fail_json(msg="size: %r is not a size; write for example 1GiB or 500MiB"
                           % self.params["size"])
        if size_bytes < MIN_VOLUME_BYTES:
            self.fail_json(msg="size: %s is below the minimum of 64MiB" % self.params["size"])
        changed, volume = self.provider.ensure_volume(
            cluster, node, {"name": name, "size_bytes": size_bytes}, check_mode=self.check_mode)
        if volume["size_bytes"] != size_bytes:
            self.ansible.warn("volume %s of %s has %d bytes, not the %d asked for; it was left "
                              "as it is (volumes are never resized by this module)"
                              % (name, node, volume["size_bytes"], size_bytes))
        self.exit_json(changed=changed, volume=volume)


def main():
    module = ClusterVolumeModule()
    module()


if __name__ == "__main__":
    main()
