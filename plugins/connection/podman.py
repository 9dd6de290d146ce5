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
  - When the controller runs as root, podman is local (no C(podman_extra_args), no
    E(CONTAINER_HOST)) and the node runs under C(runc) (the local provider's C(containers.conf)
    picks it), commands go to the container's runtime directly, C(runc exec) with the state
    podman gave it under C(/run/runc). The process is then in the container's namespaces,
    cgroups, capabilities and environment exactly as with C(podman exec), which does the same
    through C(conmon) after about 0.2 seconds of its own start-up per command (0.06 seconds for
    C(runc exec) on the build machines). Anything else, or O(runtime_exec=false), uses
    C(podman exec). The container's id is asked from podman once per run and node.
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
  runtime_exec:
    description:
      - Send commands through C(runc exec) when the conditions above hold, C(podman exec)
        otherwise. V(false) always uses C(podman exec).
    type: bool
    default: true
    env:
      - name: GRIDCLOUD_PODMAN_RUNTIME_EXEC
    vars:
      - name: gridcloud_podman_runtime_exec
seealso:
  - plugin: containers.podman.podman
    plugin_type: connection
"""

import json
import os
import shlex
import shutil
import subprocess

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display
from ansible_collections.containers.podman.plugins.connection.podman import (
    Connection as PodmanConnection,
)


display = Display()

RUNC_ROOT = "/run/runc"


def runc_container_runs(container_id, runc_root=None):
    """Whether runc's state of the container names an init process that still runs.

    runc records the init process's pid and its start time (field 22 of /proc/<pid>/stat); a pid
    reused by another process has another start time.
    """
    try:
        with open(os.path.join(runc_root or RUNC_ROOT, container_id, "state.json"), encoding="utf-8") as handle:
            state = json.load(handle)
        with open("/proc/%d/stat" % int(state["init_process_pid"]), encoding="utf-8") as handle:
            stat = handle.read()
    except (OSError, ValueError, KeyError, TypeError):
        return False
    fields = stat[stat.rfind(")") + 2:].split()
    return len(fields) > 19 and fields[19] == str(state.get("init_process_start"))


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

    def _runtime_exec_command(self):
        """``runc exec`` of this node, or None where podman exec must be used (see the description)."""
        if (not self.get_option("runtime_exec") or os.geteuid() != 0
                or self.user not in (None, "", "root", "0") or self.get_option("podman_extra_args")
                or os.environ.get("CONTAINER_HOST") or os.environ.get("CONTAINER_CONNECTION")):
            return None
        runc = shutil.which("runc")
        if not runc:
            return None
        cache = os.path.join(C.DEFAULT_LOCAL_TMP, "gridcloud-podman-%s" % self._container_id.replace("/", "_"))
        try:
            with open(cache, encoding="utf-8") as handle:
                container_id, runtime = handle.read().split()
        except (OSError, ValueError):
            container_id, runtime = None, None
        if runtime is not None and os.path.basename(runtime) != "runc":
            return None
        if container_id is None or not runc_container_runs(container_id):
            # Not asked yet in this run, or the node was made again or stopped since.
            rc, out, _err = self._podman(["inspect", "--format", "{{.Id}} {{.OCIRuntime}}"])
            if rc != 0 or len(to_native(out).split()) != 2:
                return None
            container_id, runtime = to_native(out).split()
            partial = "%s.%d" % (cache, os.getpid())
            with open(partial, "w", encoding="utf-8") as handle:
                handle.write("%s %s\n" % (container_id, runtime))
            os.replace(partial, cache)
            if not runc_container_runs(container_id):
                return None
        if os.path.basename(runtime) != "runc":
            return None
        return [runc, "--root", RUNC_ROOT, "exec", container_id]

    def exec_command(self, cmd, in_data=None, sudoable=False):
        if not self._connected:
            self._connect()
        ConnectionBase.exec_command(self, cmd, in_data=in_data, sudoable=sudoable)
        runtime_exec = self._runtime_exec_command()
        if runtime_exec:
            local_cmd = runtime_exec + shlex.split(to_native(cmd, errors="surrogate_or_strict"))
            display.vvv("RUN %s" % (local_cmd,), host=self._container_id)
            process = subprocess.Popen([to_bytes(arg, errors="surrogate_or_strict") for arg in local_cmd],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            stdout, stderr = process.communicate(input=in_data)
            return process.returncode, stdout, stderr
        exec_args = ["exec"]
        if in_data is not None:
            exec_args.append("--interactive")
        if self.user:
            exec_args.extend(("--user", self.user))
        return self._podman(exec_args, shlex.split(to_native(cmd, errors="surrogate_or_strict")), in_data)
