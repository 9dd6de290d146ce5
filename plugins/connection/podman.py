# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: podman
short_description: Run tasks in the local provider's podman nodes, with pipelining
version_added: "1.0.0"
description:
  - The connection of the C(podman) provider's nodes, C(containers.podman.podman) with
    pipelining. A module is sent to the node on the standard input of one C(podman exec
    --interactive) instead of being copied in and run by three or four more C(podman exec) and
    C(podman cp) calls, which is where most of a task's time went.
  - Files (C(ansible.builtin.copy), C(ansible.builtin.template), C(ansible.builtin.fetch), and
    modules where pipelining cannot be used, such as with C(become_method=su)) are streamed
    through C(podman exec) too. C(containers.podman.podman) copies them through the container's
    mounted root filesystem, which does not see what is mounted inside the node (a fetch of a
    bind-mounted file such as C(/etc/hostname) returned the image's file, not the node's).
author:
  - gridcloud.arc_cluster contributors (!UNKNOWN)
options:
  remote_addr:
    description: The name or id of the container.
    default: inventory_hostname
    vars:
      - name: ansible_host
      - name: inventory_hostname
      - name: ansible_podman_host
  remote_user:
    description: User (name or uid) the commands run as in the container.
    ini:
      - section: defaults
        key: remote_user
    env:
      - name: ANSIBLE_REMOTE_USER
    vars:
      - name: ansible_user
  podman_extra_args:
    description: Extra arguments of the podman command line.
    default: ''
    ini:
      - section: defaults
        key: podman_extra_args
    vars:
      - name: ansible_podman_extra_args
    env:
      - name: ANSIBLE_PODMAN_EXTRA_ARGS
  podman_executable:
    description: The podman executable.
    default: podman
    vars:
      - name: ansible_podman_executable
    env:
      - name: ANSIBLE_PODMAN_EXECUTABLE
  pipelining:
    description: Send modules on the standard input of C(podman exec --interactive).
    type: bool
    default: true
    env:
      - name: ANSIBLE_PIPELINING
    ini:
      - section: defaults
        key: pipelining
      - section: connection
        key: pipelining
    vars:
      - name: ansible_pipelining
seealso:
  - plugin: containers.podman.podman
    plugin_type: connection
"""

import shlex

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.connection import ConnectionBase
from ansible_collections.containers.podman.plugins.connection.podman import (
    Connection as PodmanConnection,
)


class Connection(PodmanConnection):
    """containers.podman.podman with the standard input passed through (pipelining)."""

    transport = "gridcloud.arc_cluster.podman"
    has_pipelining = True

    def _connect(self):
        """Nothing to set up: every command and file goes through podman exec."""
        self._connected = True
        return self

    def put_file(self, in_path, out_path):
        """Stream the file into the node (also into its volumes and bind mounts)."""
        ConnectionBase.put_file(self, in_path, out_path)
        with open(in_path, "rb") as source:
            data = source.read()
        rc, _out, err = self.exec_command("sh -c %s" % shlex.quote("cat > %s" % shlex.quote(out_path)),
                                          in_data=data)
        if rc != 0:
            raise AnsibleError("could not copy %s to %s in node %s: %s"
                               % (in_path, out_path, self._container_id, to_native(err).strip()))

    def fetch_file(self, in_path, out_path):
        """Stream the file out of the node (also out of its volumes and bind mounts)."""
        ConnectionBase.fetch_file(self, in_path, out_path)
        rc, out, err = self.exec_command("cat %s" % shlex.quote(in_path))
        if rc != 0:
            raise AnsibleError("could not fetch %s from node %s: %s"
                               % (in_path, self._container_id, to_native(err).strip()))
        with open(out_path, "wb") as target:
            target.write(out)

    def exec_command(self, cmd, in_data=None, sudoable=False):
        if not self._connected:
            self._connect()
        ConnectionBase.exec_command(self, cmd, in_data=in_data, sudoable=sudoable)
        exec_args = ["exec"]
        if in_data is not None:
            exec_args.append("--interactive")
        if self.user:
            exec_args.extend(("--user", self.user))
        return self._podman(exec_args, shlex.split(to_native(cmd, errors="surrogate_or_strict")), in_data)
