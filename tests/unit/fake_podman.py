# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helpers for the cluster modules: an in-memory podman/losetup and a module runner.

``FakePodman`` answers exactly the command lines the podman provider runs
(``plugins/module_utils/providers/podman.py``) from in-memory state: containers, networks,
images, a loop device table and the device nodes made inside containers. Every call is
recorded as an argv list in ``calls``. A command it does not know raises ``UnknownCommand``
(and is kept in ``unknown``, checked again at teardown), so a new or changed command line in
the provider fails the tests instead of silently succeeding.

``run_module`` runs a module's ``main()`` under ``patch_module_args`` and returns the result
dict that ``exit_json``/``fail_json`` were given (see the fixtures in conftest.py).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shlex
import stat

import pytest

from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args

LOOP_MAJOR = 7
VOLUME_DIR_IN_NODE = "/dev/disk/by-id"
MKNOD_SCRIPT_RE = re.compile(
    r'^mkdir -p "\$1" && rm -f "\$2" && mknod -m 0660 "\$2" b (\d+) (\d+)\Z')


class UnknownCommand(AssertionError):
    """The code under test ran a command the fake does not model."""


class ModuleExit(SystemExit):
    """Raised by the patched exit_json/fail_json; ``result`` is the module result."""

    def __init__(self, result, code):
        super().__init__(code)
        self.result = result


class AnsibleExitJson(ModuleExit):
    pass


class AnsibleFailJson(ModuleExit):
    pass


def json_result(kwargs):
    """The result as the controller would get it: JSON round trip, warnings attached."""
    result = dict(kwargs)
    warnings = list(ansible_warnings.get_warning_messages())
    if warnings:
        result["warnings"] = warnings
    return json.loads(json.dumps(result))


def patched_exit_json(self, **kwargs):  # pylint: disable=unused-argument
    raise AnsibleExitJson(json_result(kwargs), 0)


def patched_fail_json(self, msg, **kwargs):  # pylint: disable=unused-argument
    kwargs.pop("exception", None)
    kwargs.update(failed=True, msg=str(msg))
    raise AnsibleFailJson(json_result(kwargs), 1)


def run_module(main, args, check_mode=False):
    """Run ``main()`` with module ``args``; return the result dict (``failed`` on failure)."""
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args):
        with pytest.raises(ModuleExit) as info:
            main()
    return info.value.result


def option_values(argv, option):
    """Every value given to ``option`` in an argv list (``--label a --label b`` -> [a, b])."""
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == option]


class FakeOsForPodman:
    """Stands in for ``os`` inside the podman provider module only.

    Everything is the real ``os`` except ``stat`` of a loop device path of the fake, which
    returns a block-device stat result with the loop's device number.
    """

    def __init__(self, fake):
        self._fake = fake
        self.host_devices = {}  # path -> (major, minor): device nodes "made" on the host

    def __getattr__(self, name):
        return getattr(os, name)

    # device nodes on the host (the node's device dir) without root: an empty file stands in
    def mknod(self, path, mode, device):
        assert stat.S_ISBLK(mode), mode
        with open(path, "w"):
            pass
        self.host_devices[path] = (os.major(device), os.minor(device))

    @staticmethod
    def chmod(path, mode):
        os.chmod(path, mode)

    def lstat(self, path, *args, **kwargs):
        if path in self.host_devices:
            major, minor = self.host_devices[path]
            return os.stat_result((stat.S_IFBLK | 0o660, 0, 0, 1, 0, 0, 0, 0, 0, 0),
                                  {"st_rdev": os.makedev(major, minor)})
        return os.lstat(path, *args, **kwargs)

    def unlink(self, path, *args, **kwargs):
        self.host_devices.pop(path, None)
        return os.unlink(path, *args, **kwargs)

    def stat(self, path, *args, **kwargs):
        if isinstance(path, str) and path.startswith("/dev/loop"):
            if path not in self._fake.loops:
                raise FileNotFoundError(2, "No such file or directory", path)
            minor = int(path[len("/dev/loop"):])
            return os.stat_result((stat.S_IFBLK | 0o660, 0, 0, 1, 0, 6, 0, 0, 0, 0),
                                  {"st_rdev": os.makedev(LOOP_MAJOR, minor)})
        return os.stat(path, *args, **kwargs)


class FakePodman:
    """In-memory podman and losetup, driven through ``AnsibleModule.run_command``."""

    # podman run options that take a value; anything else starting with "-" is unknown
    RUN_VALUE_OPTIONS = ("--name", "--hostname", "--network", "--ip", "--systemd", "--label",
                         "--device-cgroup-rule", "--stop-timeout", "--cap-add", "--cpus",
                         "--memory", "--volume")
    RUN_FLAGS = ("--detach", "--no-hosts")

    def __init__(self, podman="podman"):
        self.podman = podman
        self.containers = {}  # name -> {"id", "labels", "state", "networks", "image", "argv"}
        self.networks = {}    # name -> {"labels", "subnet", "next_host", "octet"}
        self.images = set()
        self.volumes = {}     # name -> labels (podman named volumes)
        self.loops = {}       # "/dev/loopN" -> backing file
        self.devices = {}     # (container, path) -> (major, minor), made by mknod
        self.boot_state = "running"  # what `systemctl is-system-running` says in a node
        self.api_up = False  # whether the host's podman service answers (podman --remote)
        self.calls = []
        self.unknown = []
        self._next_id = 1

    # ------------------------------------------------------------------ state set-up
    def add_network(self, name, labels=None):
        self.networks[name] = {"labels": dict(labels or {}), "subnet": None, "next_host": 2,
                               "octet": 89 + len(self.networks)}

    def add_container(self, name, cluster, kind, index, state="running", network=None,
                      image="localhost/gridcloud-node:trixie", extra_labels=None):
        network = network or "%s-net" % cluster
        if network not in self.networks:
            self.add_network(network, {"gridcloud.cluster": cluster})
        labels = {"gridcloud.cluster": cluster, "gridcloud.kind": kind,
                  "gridcloud.index": str(index)}
        labels.update(extra_labels or {})
        self._new_container(name, labels, network, image, state, argv=None)

    def subnet(self, network):
        net = self.networks[network]
        return net["subnet"] or "10.%d.0.0/24" % net["octet"]

    def _new_container(self, name, labels, network, image, state, argv, address=None):
        net = self.networks[network]
        if address is None:  # podman's own allocation: the next host of the subnet
            address = "10.%d.0.%d" % (net["octet"], net["next_host"])
            net["next_host"] += 1
        self.containers[name] = {
            "id": "%064x" % self._next_id,
            "labels": labels,
            "state": state,
            "networks": {network: address},
            "image": image,
            "argv": argv,
        }
        self._next_id += 1

    # ------------------------------------------------------------------ call inspection
    def commands(self, *prefix):
        """Recorded calls whose argv starts with ``prefix``."""
        prefix = list(prefix)
        return [argv for argv in self.calls if argv[:len(prefix)] == prefix]

    def podman_calls(self, *prefix):
        return self.commands(self.podman, *prefix)

    def mknod_calls(self):
        return [argv for argv in self.podman_calls("exec")
                if len(argv) > 4 and argv[3:5] == ["sh", "-c"]]

    def mutating_calls(self):
        """Calls that change podman or loop state."""
        mutating = []
        for argv in self.calls:
            if argv[0] == self.podman and argv[1:2] in (["run"], ["rm"], ["start"]):
                mutating.append(argv)
            elif argv[0] == self.podman and argv[1:3] in (["network", "create"],
                                                          ["network", "rm"],
                                                          ["volume", "create"],
                                                          ["volume", "rm"]):
                mutating.append(argv)
            elif argv in self.mknod_calls():
                mutating.append(argv)
            elif argv[0] == "losetup" and ("--find" in argv or "--detach" in argv):
                mutating.append(argv)
        return mutating

    # ------------------------------------------------------------------ dispatch
    def __call__(self, args, **kwargs):
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            self._unknown(args, "commands must be argv lists of str")
        if kwargs:
            self._unknown(args, "unexpected run_command keyword arguments %r" % (kwargs,))
        argv = list(args)
        self.calls.append(argv)
        if argv and argv[0] == self.podman:
            return self._podman(argv)
        if argv and argv[0] == "losetup":
            return self._losetup(argv)
        return self._unknown(argv)

    def _unknown(self, argv, why="command not modelled by FakePodman"):
        self.unknown.append(argv)
        raise UnknownCommand("%s: %r" % (why, argv))

    # ------------------------------------------------------------------ podman
    def _podman(self, argv):
        sub = argv[1:]
        if sub[:2] == ["--remote", "--url"] and sub[3:] == ["version"] or sub == ["version"]:
            return (0, "Version: 4.3.1\n", "") if self.api_up else (
                125, "", "Error: unable to connect to Podman socket\n")
        if sub[:1] == ["ps"]:
            return self._ps(argv, sub[1:])
        if sub[:2] == ["container", "inspect"] and len(sub) == 3:
            return self._inspect(sub[2])
        if sub[:2] == ["image", "exists"] and len(sub) == 3:
            return (0, "", "") if sub[2] in self.images else (1, "", "")
        if sub[:1] == ["network"]:
            return self._network(argv, sub[1:])
        if sub[:1] == ["volume"]:
            return self._volume(argv, sub[1:])
        if sub[:1] == ["run"]:
            return self._run(argv, sub[1:])
        if sub[:1] == ["start"] and len(sub) == 2:
            return self._start(sub[1])
        if sub[:1] == ["unpause"] and len(sub) == 2:
            return self._start(sub[1])
        if sub[:4] == ["rm", "--force", "--time", "20"] and len(sub) == 5:
            return self._rm(sub[4])
        if sub[:1] == ["exec"] and len(sub) >= 3:
            return self._exec(argv, sub[1], sub[2:])
        return self._unknown(argv)

    def _ps(self, argv, rest):
        if rest[:3] != ["--all", "--format", "json"] or len(rest) != 5 or rest[3] != "--filter":
            return self._unknown(argv)
        match = re.match(r"^label=([^=]+)=(.*)\Z", rest[4])
        if not match:
            return self._unknown(argv)
        key, value = match.groups()
        entries = []
        # podman lists the newest container first
        for name in reversed(list(self.containers)):
            container = self.containers[name]
            if container["labels"].get(key) == value:
                entries.append({"Names": [name], "Id": container["id"],
                                "Labels": dict(container["labels"]),
                                "State": container["state"], "Image": container["image"]})
        return 0, json.dumps(entries), ""

    def _inspect(self, name):
        container = self.containers.get(name)
        if container is None:
            return 125, "[]", "Error: no such container %s\n" % name
        running = container["state"] == "running"
        data = [{
            "Id": container["id"],
            "Name": name,
            "ImageName": container["image"],
            "State": {"Status": container["state"], "Running": running},
            "Config": {"Labels": dict(container["labels"])},
            "Mounts": [{"Source": volume.split(":")[0], "Destination": volume.split(":")[1]}
                       for flag, volume in zip(container["argv"] or [], (container["argv"] or [])[1:])
                       if flag == "--volume"],
            "NetworkSettings": {"Networks": {
                net: {"IPAddress": address if running else ""}
                for net, address in container["networks"].items()}},
        }]
        return 0, json.dumps(data), ""

    def _network(self, argv, rest):
        if rest[:1] == ["exists"] and len(rest) == 2:
            return (0, "", "") if rest[1] in self.networks else (1, "", "")
        if rest[:1] == ["inspect"] and len(rest) == 2:
            net = self.networks.get(rest[1])
            if net is None:
                return 125, "[]", "Error: network %s: unable to find network\n" % rest[1]
            subnet = self.subnet(rest[1])
            gateway = str(next(ipaddress.ip_network(subnet).hosts()))
            return 0, json.dumps([{"name": rest[1], "driver": "bridge",
                                   "labels": dict(net["labels"]),
                                   "subnets": [{"subnet": subnet, "gateway": gateway}]}]), ""
        if rest[:1] == ["rm"] and len(rest) == 2:
            name = rest[1]
            if name not in self.networks:
                return 1, "", "Error: unable to find network with name or ID %s\n" % name
            users = [c for c, data in self.containers.items() if name in data["networks"]]
            if users:
                return 2, "", "Error: network %s is being used by %s\n" % (name, users)
            del self.networks[name]
            return 0, name + "\n", ""
        if rest[:1] == ["create"]:
            labels, subnet, i = {}, None, 1
            while i < len(rest) - 1:
                if rest[i] == "--label":
                    key, _sep, value = rest[i + 1].partition("=")
                    labels[key] = value
                elif rest[i] == "--subnet":
                    subnet = rest[i + 1]
                else:
                    return self._unknown(argv)
                i += 2
            if i != len(rest) - 1:
                return self._unknown(argv)
            name = rest[-1]
            if name in self.networks:
                return 125, "", "Error: network name %s already used\n" % name
            self.add_network(name, labels)
            self.networks[name]["subnet"] = subnet
            return 0, name + "\n", ""
        return self._unknown(argv)

    def _volume(self, argv, rest):
        if rest[:1] == ["exists"] and len(rest) == 2:
            return (0, "", "") if rest[1] in self.volumes else (1, "", "")
        if rest[:2] == ["create", "--label"] and len(rest) == 4:
            key, _sep, value = rest[2].partition("=")
            if rest[3] in self.volumes:
                return 125, "", "Error: volume with name %s already exists\n" % rest[3]
            self.volumes[rest[3]] = {key: value}
            return 0, rest[3] + "\n", ""
        if rest[:4] == ["ls", "--format", "{{.Name}}", "--filter"] and len(rest) == 5:
            match = re.match(r"^label=([^=]+)=(.*)\Z", rest[4])
            if not match:
                return self._unknown(argv)
            key, value = match.groups()
            names = [n for n, labels in sorted(self.volumes.items()) if labels.get(key) == value]
            return 0, "".join(n + "\n" for n in names), ""
        if rest[:1] == ["rm"] and len(rest) == 2:
            if rest[1] not in self.volumes:
                return 1, "", "Error: no volume with name %r found\n" % rest[1]
            users = [c for c, data in self.containers.items()
                     if any(v.startswith(rest[1] + ":")
                            for v in option_values(data["argv"] or [], "--volume"))]
            if users:
                return 2, "", "Error: volume %s is being used by %s\n" % (rest[1], users)
            del self.volumes[rest[1]]
            return 0, rest[1] + "\n", ""
        return self._unknown(argv)

    def _run(self, argv, rest):
        options, labels, i = {}, {}, 0
        while i < len(rest) and rest[i].startswith("-"):
            opt = rest[i]
            if opt in self.RUN_FLAGS:
                options[opt] = True
                i += 1
            elif opt in self.RUN_VALUE_OPTIONS and i + 1 < len(rest):
                options.setdefault(opt, []).append(rest[i + 1])
                if opt == "--label":
                    key, _sep, value = rest[i + 1].partition("=")
                    labels[key] = value
                i += 2
            else:
                return self._unknown(argv, "podman run option %r not modelled" % opt)
        if len(rest) - i != 1:  # the image, and no command after it
            return self._unknown(argv, "podman run needs exactly the image after the options")
        image = rest[i]
        names = options.get("--name") or []
        networks = options.get("--network") or []
        if len(names) != 1 or len(networks) != 1:
            return self._unknown(argv, "podman run needs one --name and one --network")
        name, network = names[0], networks[0]
        if name in self.containers:
            return 125, "", ('Error: creating container storage: the container name "%s" is '
                             'already in use\n' % name)
        if image not in self.images:
            return 125, "", "Error: %s: image not known\n" % image
        if network not in self.networks:
            return 125, "", "Error: unable to find network with name or ID %s\n" % network
        addresses = options.get("--ip") or [None]
        taken = [c for c, data in self.containers.items()
                 if addresses[0] is not None and data["networks"].get(network) == addresses[0]]
        if taken:
            return 125, "", ("Error: IPAM error: requested ip address %s is already allocated "
                             "to container ID %s\n" % (addresses[0], self.containers[taken[0]]["id"]))
        self._new_container(name, labels, network, image, "running", argv=argv,
                            address=addresses[0])
        return 0, self.containers[name]["id"] + "\n", ""

    def _start(self, name):
        container = self.containers.get(name)
        if container is None:
            return 125, "", "Error: no container with name or ID %s found\n" % name
        container["state"] = "running"
        return 0, name + "\n", ""

    def _rm(self, name):
        if name not in self.containers:
            return 1, "", "Error: no container with ID or name %s found\n" % name
        del self.containers[name]
        for key in [k for k in self.devices if k[0] == name]:
            del self.devices[key]
        return 0, name + "\n", ""

    def _exec(self, argv, name, command):
        container = self.containers.get(name)
        if container is None:
            return 125, "", "Error: no container with name or ID %s found\n" % name
        if container["state"] != "running":
            return 255, "", ("Error: can only create exec sessions on running containers: "
                             "container state improper\n")
        if command == ["systemctl", "is-system-running"]:
            rc = 0 if self.boot_state == "running" else 1
            return rc, self.boot_state + "\n", ""
        if command[:3] == ["stat", "-c", "%F %t %T"] and len(command) == 4:
            device = self.devices.get((name, command[3]))
            if device is None:
                return 1, "", ("stat: cannot statx '%s': No such file or directory\n"
                               % command[3])
            return 0, "block special file %x %x\n" % device, ""
        if command[:2] == ["rm", "-f"] and len(command) == 3:
            self.devices.pop((name, command[2]), None)
            return 0, "", ""
        if command[:2] == ["sh", "-c"] and len(command) == 6 and command[3] == "sh":
            match = MKNOD_SCRIPT_RE.match(command[2])
            if not match or command[4] != VOLUME_DIR_IN_NODE \
                    or not command[5].startswith(VOLUME_DIR_IN_NODE + "/"):
                return self._unknown(argv, "shell script not modelled")
            self.devices[(name, command[5])] = (int(match.group(1)), int(match.group(2)))
            return 0, "", ""
        return self._unknown(argv)

    # ------------------------------------------------------------------ losetup
    def _losetup(self, argv):
        rest = argv[1:]
        if rest[:4] == ["--noheadings", "--output", "NAME", "--associated"] and len(rest) == 5:
            found = [dev for dev, path in sorted(self.loops.items()) if path == rest[4]]
            return 0, "".join(dev + "\n" for dev in found), ""
        if rest[:2] == ["--find", "--show"] and len(rest) == 3:
            path = rest[2]
            if not os.path.exists(path):
                return 1, "", "losetup: %s: failed to set up loop device: No such file\n" % path
            minor = 0
            while "/dev/loop%d" % minor in self.loops:
                minor += 1
            device = "/dev/loop%d" % minor
            self.loops[device] = path
            return 0, device + "\n", ""
        if rest[:1] == ["--detach"] and len(rest) == 2:
            if rest[1] not in self.loops:
                return 1, "", "losetup: %s: detach failed: No such device or address\n" % rest[1]
            del self.loops[rest[1]]
            return 0, "", ""
        return self._unknown(argv)

    def describe(self):
        """The calls, one per line, for assertion messages."""
        return "\n".join(shlex.join(argv) for argv in self.calls)
