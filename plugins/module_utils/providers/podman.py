# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The podman provider: a cluster on one machine.

Each node is a systemd container from a locally built Debian image (scripts/build-node-image.sh)
on a private podman network. A volume is a sparse file on a loop device, handed to the node as
a block device node at ``/dev/disk/by-id/gridcloud-<volume>``. The node's cgroup allows loop
devices (``b 7:* rwm``) and it has CAP_SYS_ADMIN, so the volumes role can mkfs and mount it.
The device nodes live on the host, in ``<volume_dir>/<cluster>/devices/<node>``, bind-mounted
at ``/dev/disk/by-id``: they outlive a restart of the container, so the volumes role's mount
units (systemd in a container ignores fstab's block devices) mount the volumes again at boot.
Starting a node first makes them match the loop devices that hold the node's
volumes now (one whose loop device is gone is removed, never left pointing at another volume).

Every podman call goes through ``runner(args) -> (rc, stdout, stderr)``, so modules pass
``module.run_command`` and tests can record calls.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import stat
import subprocess
import time

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.definition import (
    RESERVED_MOUNTS,
    node_name,
    normal_path,
    parse_size,
    path_within,
)
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers.base import (
    Provider,
    ProviderError,
    check_setting_keys,
    first_free_address,
)

LABEL_CLUSTER = "gridcloud.cluster"
LABEL_KIND = "gridcloud.kind"
LABEL_INDEX = "gridcloud.index"
# The node's fixed address on the cluster's network (podman run --ip), so that a node keeps its
# address across restarts; the label lets the next node see it while the node is stopped.
LABEL_ADDRESS = "gridcloud.address"
DEFAULT_IMAGE = "localhost/gridcloud-node"
# How Ansible reaches a node: the collection's podman connection (plugins/connection/podman.py,
# with pipelining), by the container's name.
CONNECTION = "gridcloud.arc_cluster.podman"
DEFAULT_VOLUME_DIR = "/var/lib/gridcloud/volumes"
DEFAULT_APT_CACHE_DIR = "/var/cache/gridcloud/apt"
# CAP_SYS_ADMIN: slurmd clones namespaces for batch jobs; mkfs/mount of volumes.
# CAP_MKNOD: the device node of a volume is made inside the node (not in every default set).
BASE_CAPABILITIES = ("SYS_ADMIN", "MKNOD")
LOOP_MAJOR = 7
VOLUME_DEVICE_DIR = "/dev/disk/by-id"
# The host's podman service, through which the SLURM controller of a cluster with elastic kinds
# makes and removes nodes: started by the provider when nothing answers there. Its directory is
# mounted into the controller node at CONTROLLER_SOCKET_DIR.
DEFAULT_API_SOCKET = "/run/gridcloud/podman/podman.sock"
CONTROLLER_SOCKET_DIR = "/run/gridcloud-host-podman"
API_SERVICE_LOG = "/var/log/gridcloud-podman-service.log"


def api_socket(settings):
    """The host's podman service socket of these settings (``api_socket`` or the default)."""
    return settings.get("api_socket") or DEFAULT_API_SOCKET


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def volume_device_path(volume_name):
    """Stable path of a volume's block device inside its node."""
    return "%s/gridcloud-%s" % (VOLUME_DEVICE_DIR, volume_name)


def shared_volume_name(cluster, path):
    """Name of the podman volume that holds the shared dir ``path`` of ``cluster``."""
    return "%s-shared-%s" % (cluster, path.strip("/").replace("/", "-"))


def seed_apt_cache(cache, release_root):
    """Hard-link into a node slot's apt cache every package the release's other slots hold.

    Each slot keeps its own directory (apt locks it), but a package downloaded once for any
    node of the release, in any cluster, is then found by every node created later: a new
    worker added by resize, or the next cluster of a test run. Links cost no space. A file
    that cannot be linked (another filesystem, a race with apt) is skipped: apt then
    downloads it, as it would without a cache.
    """
    present = set(os.listdir(cache))
    for parent, dirs, files in os.walk(release_root):
        dirs[:] = sorted(d for d in dirs if d != "partial")
        if os.path.abspath(parent) == os.path.abspath(cache):
            continue
        for name in files:
            if not name.endswith(".deb") or name in present:
                continue
            try:
                os.link(os.path.join(parent, name), os.path.join(cache, name))
            except OSError:
                continue
            present.add(name)


def validate_shared_dirs(value, path, problems):
    """Return a list of shared dirs (``path``) as normalised absolute paths."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append("%s: must be a list of absolute paths such as [/srv/shared] (got %r)"
                        % (path, value))
        return []
    result = []
    for index, item in enumerate(value):
        where = "%s[%d]" % (path, index)
        if not isinstance(item, str) or not item.startswith("/"):
            problems.append("%s: give an absolute path such as /srv/shared (got %r)" % (where, item))
            continue
        normal = normal_path(item)
        if normal in RESERVED_MOUNTS:
            problems.append("%s: %s is a system directory; share a directory under /srv or "
                            "/home instead" % (where, normal))
        elif normal in result:
            problems.append("%s: %s is listed twice" % (where, normal))
        elif any(path_within(normal, other) or path_within(other, normal) for other in result):
            problems.append("%s: %s is inside another shared dir or contains one; list only the "
                            "outermost" % (where, normal))
        else:
            result.append(normal)
    return result


class PodmanProvider(Provider):
    name = "podman"
    settings_keys = {
        "network": "podman network name",
        "subnet": "podman network subnet",
        "volume_dir": "where volume files live",
        "apt_cache_dir": "host dir with per-node apt caches",
        "image": "node image reference",
        "capabilities": "extra capabilities for nodes",
        "shared_dirs": "directories shared by every node (the local stand-in for NFS)",
        "api_socket": "the host's podman service socket the SLURM controller makes elastic "
                      "nodes through",
    }
    resource_keys = {"cpus": "CPU limit", "memory": "memory limit"}
    elastic = True

    def __init__(self, settings, runner=None):
        super().__init__(settings, runner)
        self.podman = self.settings.get("podman_binary", "podman")

    # the definition
    @classmethod
    def validate_settings(cls, settings, path, problems):
        check_setting_keys(settings, cls.settings_keys, path, problems)
        caps = settings.get("capabilities", [])
        if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
            problems.append("%s.capabilities: must be a list of capability names such as "
                            "DAC_READ_SEARCH" % path)
        normal = dict(settings)
        normal["shared_dirs"] = validate_shared_dirs(settings.get("shared_dirs"),
                                                     path + ".shared_dirs", problems)
        return normal

    @classmethod
    def shared_dirs(cls, settings):
        return list(settings.get("shared_dirs") or [])

    @classmethod
    def validate_kind(cls, kind, spec, path, problems):
        if spec.get("elastic") and spec.get("volumes"):
            problems.append("%s.volumes: an elastic kind cannot have volumes with provider "
                            "podman: they are loop devices of the host, which the SLURM "
                            "controller that makes elastic nodes cannot set up; remove the "
                            "volumes or elastic" % path)

    @classmethod
    def derive_settings(cls, settings, definition):
        """With elastic kinds, the nodes and the SLURM controller need the host's podman
        service (``elastic``, ``api_socket``)."""
        derived = dict(settings)
        if any(spec.get("elastic") for spec in definition["nodes"].values()):
            derived["elastic"] = True
            derived.setdefault("api_socket", DEFAULT_API_SOCKET)
        return derived

    @classmethod
    def elastic_controller(cls, settings):
        """The podman client, talking to the host's service through the mounted socket, and
        containers.podman, on which the collection's podman connection is built."""
        socket = api_socket(settings)
        return {"packages": ["podman"],
                "environment": {"CONTAINER_HOST": "unix://%s/%s" % (
                    CONTROLLER_SOCKET_DIR, os.path.basename(socket))},
                "collections": ["containers.podman"]}

    # helpers
    def _run(self, args, what, ok_codes=(0,)):
        rc, out, err = self.runner(args)
        if rc not in ok_codes:
            raise ProviderError("%s failed (%s, rc=%s): %s"
                                % (what, " ".join(args), rc, (err or out).strip()))
        return rc, out, err

    def _podman(self, args, what, ok_codes=(0,)):
        return self._run([self.podman] + list(args), what, ok_codes)

    def network_name(self, cluster):
        return self.settings.get("network") or "%s-net" % cluster

    def image(self, release, spec=None):
        if spec and spec.get("image"):
            return spec["image"]
        return self.settings.get("image") or "%s:%s" % (DEFAULT_IMAGE, release)

    # nodes
    def _cluster_containers(self, cluster):
        """podman ps's entries (names, labels) of the containers labelled for ``cluster``."""
        _rc, out, _err = self._podman(
            ["ps", "--all", "--format", "json", "--filter", "label=%s=%s" % (LABEL_CLUSTER, cluster)],
            "listing the nodes of cluster %s" % cluster)
        return json.loads(out or "[]") or []

    def list_nodes(self, cluster):
        nodes = []
        for entry in self._cluster_containers(cluster):
            names = entry.get("Names") or []
            name = names[0] if names else entry.get("Id")
            node = self._inspect_node(name)
            if node["kind"] is None or node["index"] is None:
                continue  # labelled for the cluster by hand, not one of our nodes
            nodes.append(node)
        nodes.sort(key=lambda node: (node["kind"], node["index"]))
        return nodes

    def _inspect_node(self, name):
        _rc, out, _err = self._podman(["container", "inspect", name], "inspecting node %s" % name)
        data = json.loads(out)[0]
        labels = (data.get("Config") or {}).get("Labels") or {}
        networks = (data.get("NetworkSettings") or {}).get("Networks") or {}
        address = None
        for net in networks.values():
            if net.get("IPAddress"):
                address = net["IPAddress"]
                break
        state = (data.get("State") or {}).get("Status", "unknown")
        return {
            "name": data.get("Name", name).lstrip("/"),
            "id": data.get("Id"),
            "cluster": labels.get(LABEL_CLUSTER),
            "kind": labels.get(LABEL_KIND),
            "index": _int_or_none(labels.get(LABEL_INDEX)),
            "address": address,
            "state": state,
            "image": data.get("ImageName"),
            "connection": self.connection_vars(labels.get(LABEL_CLUSTER),
                                               data.get("Name", name).lstrip("/")),
        }

    def connection_vars(self, cluster, name, node=None):
        """Nodes are reached through podman by container name, whether they exist yet or not."""
        return {"ansible_connection": CONNECTION, "ansible_host": name}

    def login_command(self, cluster, name, node=None):
        return "podman exec -it %s bash" % name

    def check_node_request(self, cluster, release, kind, spec):
        image = self.image(release, spec)
        rc, _out, _err = self.runner([self.podman, "image", "exists", image])
        if rc != 0:
            raise ProviderError(
                "node image %s for kind %s does not exist; build it with "
                "`scripts/build-node-image.sh %s` (or `make image RELEASE=%s`)"
                % (image, kind, release, release))

    def create_node(self, cluster, release, kind, index, spec):
        name = node_name(cluster, kind, index)
        resources = spec.get("resources") or {}
        address = self._free_address(cluster)
        args = [
            "run", "--detach", "--name", name, "--hostname", name,
            "--network", self.network_name(cluster),
            "--systemd", "always", "--no-hosts",
            "--label", "%s=%s" % (LABEL_CLUSTER, cluster),
            "--label", "%s=%s" % (LABEL_KIND, kind),
            "--label", "%s=%d" % (LABEL_INDEX, index),
            "--ip", address, "--label", "%s=%s" % (LABEL_ADDRESS, address),
            "--device-cgroup-rule", "b %d:* rwm" % LOOP_MAJOR,
            "--stop-timeout", "30",
        ]
        for cap in list(BASE_CAPABILITIES) + list(self.settings.get("capabilities") or []):
            args += ["--cap-add", cap]
        if resources.get("cpus"):
            args += ["--cpus", str(resources["cpus"])]
        if resources.get("memory"):
            args += ["--memory", "%db" % parse_size(resources["memory"])]
        cache_root = self.settings.get("apt_cache_dir", DEFAULT_APT_CACHE_DIR)
        if cache_root:
            # One cache per node slot: apt locks its archive dir, so nodes (of this or another
            # cluster) cannot share one; the same node re-created finds its packages again.
            cache = os.path.join(cache_root, release, cluster, "%s%03d" % (kind, index))
            os.makedirs(os.path.join(cache, "partial"), exist_ok=True)
            seed_apt_cache(cache, os.path.join(cache_root, release))
            args += ["--volume", "%s:/var/cache/apt/archives:rw" % cache]
        devices = self.device_dir(cluster, name)
        os.makedirs(devices, exist_ok=True)
        args += ["--volume", "%s:%s:rw,dev" % (devices, VOLUME_DEVICE_DIR)]
        for path in self.settings.get("shared_dirs") or []:
            volume = self._ensure_shared_volume(cluster, path)
            args += ["--volume", "%s:%s:rw" % (volume, path)]
        for mount in self.settings.get("mounts") or []:
            args += ["--volume", mount]
        if spec.get("elastic_controller"):
            args += self._elastic_controller_mounts()
        args.append(self.image(release, spec))
        self._podman(args, "creating node %s" % name)
        return self._inspect_node(name)

    def _elastic_controller_mounts(self):
        """What the SLURM controller of a cluster with elastic kinds needs from the host to
        make nodes as the provider here does: the podman service's socket directory, and the
        apt caches and device directories at the same paths as here."""
        socket = api_socket(self.settings)
        mounts = ["--volume", "%s:%s:rw" % (os.path.dirname(socket), CONTROLLER_SOCKET_DIR)]
        for path in (self.settings.get("apt_cache_dir", DEFAULT_APT_CACHE_DIR),
                     self.settings.get("volume_dir", DEFAULT_VOLUME_DIR)):
            if path:
                os.makedirs(path, exist_ok=True)
                mounts += ["--volume", "%s:%s:rw" % (path, path)]
        return mounts

    def check_elastic_controller(self, node):
        """A controller node made before its cluster had elastic kinds lacks the mounts."""
        socket = api_socket(self.settings)
        _rc, out, _err = self._podman(["container", "inspect", node["name"]],
                                      "inspecting node %s" % node["name"])
        mounts = [mount.get("Destination") for mount in json.loads(out)[0].get("Mounts") or []]
        if CONTROLLER_SOCKET_DIR not in mounts:
            raise ProviderError(
                "node %s is the SLURM controller of a cluster with elastic kinds but was made "
                "without the host's podman service (%s), which it needs to make elastic nodes; "
                "containers cannot get mounts later: destroy the cluster and create it again"
                % (node["name"], os.path.dirname(socket)))

    def ensure_api_service(self, check_mode=False):
        """Make the host's podman service answer on ``api_socket``; True when started."""
        socket = api_socket(self.settings)
        remote = os.environ.get("CONTAINER_HOST")
        if remote:
            # a client of the host's service (the SLURM controller making elastic nodes): it
            # can only check that the service answers, not start it
            rc, _out, err = self.runner([self.podman, "version"])
            if rc == 0:
                return False
            raise ProviderError("the host's podman service does not answer at CONTAINER_HOST=%s "
                                "(%s); on the host, run the create playbook, which starts it, or "
                                "podman system service --time=0 unix://%s"
                                % (remote, (err or "").strip(), socket))
        url = "unix://%s" % socket
        version = [self.podman, "--remote", "--url", url, "version"]
        if self.runner(version)[0] == 0:
            return False
        if check_mode:
            return True
        os.makedirs(os.path.dirname(socket), exist_ok=True)
        with open(API_SERVICE_LOG, "ab") as log:
            subprocess.Popen(  # pylint: disable=consider-using-with
                [self.podman, "system", "service", "--time=0", url],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            rc, _out, err = self.runner(version)
            if rc == 0:
                return True
            time.sleep(0.5)
        raise ProviderError("the host's podman service did not answer on %s within 30 s (%s); "
                            "see %s" % (socket, (err or "").strip(), API_SERVICE_LOG))

    def _free_address(self, cluster):
        """A fixed address on the cluster's network that no node of the cluster has or holds."""
        network = self.network_name(cluster)
        _rc, out, _err = self._podman(["network", "inspect", network],
                                      "inspecting network %s" % network)
        subnets = [ipaddress.ip_network(entry["subnet"], strict=False)
                   for entry in (json.loads(out or "[]") or [{}])[0].get("subnets") or []
                   if entry.get("subnet")]
        subnet = next((net for net in subnets if net.version == 4), None)
        if subnet is None:
            raise ProviderError("network %s has no IPv4 subnet to give nodes fixed addresses; "
                                "remove it (podman network rm %s) or set cluster.podman.subnet"
                                % (network, network))
        used = set()
        for entry in self._cluster_containers(cluster):
            reserved = (entry.get("Labels") or {}).get(LABEL_ADDRESS)
            if reserved:
                used.add(reserved)
            else:  # a node made before nodes had fixed addresses: the one it has now
                names = entry.get("Names") or [entry.get("Id")]
                current = self._inspect_node(names[0])["address"]
                if current:
                    used.add(current)
        address = first_free_address(subnet, used)
        if address is None:
            raise ProviderError("network %s (%s) has no free address for another node; set a "
                                "larger cluster.podman.subnet" % (network, subnet))
        return address

    def start_node(self, node):
        if node.get("cluster"):
            self._refresh_devices(node["cluster"], node["name"])
        if node["state"] == "paused":
            self._podman(["unpause", node["name"]], "unpausing node %s" % node["name"])
        else:
            self._podman(["start", node["name"]], "starting node %s" % node["name"])
        return self._inspect_node(node["name"])

    def wait_node(self, node, timeout):
        """Wait for systemd in the node to finish booting (running or degraded)."""
        deadline = time.monotonic() + timeout
        last = ""
        while True:
            rc, out, err = self.runner([self.podman, "exec", node["name"],
                                        "systemctl", "is-system-running"])
            last = (out or err).strip()
            if last in ("running", "degraded"):
                return self._inspect_node(node["name"])
            if time.monotonic() >= deadline:
                raise ProviderError("node %s did not finish booting within %ss (systemd says %r); "
                                    "see `podman logs %s`" % (node["name"], timeout, last,
                                                              node["name"]))
            time.sleep(1)

    def delete_node(self, node):
        self._podman(["rm", "--force", "--time", "20", node["name"]],
                     "removing node %s" % node["name"])
        if node.get("cluster"):
            shutil.rmtree(self.device_dir(node["cluster"], node["name"]), ignore_errors=True)

    def ensure_cluster_resources(self, cluster, check_mode=False):
        """The cluster's podman network (the shared dirs' volumes come with the first node);
        with elastic kinds, the host's podman service too."""
        started = self.settings.get("elastic") and self.ensure_api_service(check_mode)
        network = self.network_name(cluster)
        rc, _out, _err = self.runner([self.podman, "network", "exists", network])
        if rc == 0:
            return bool(started)
        if not check_mode:
            args = ["network", "create", "--label", "%s=%s" % (LABEL_CLUSTER, cluster)]
            if self.settings.get("subnet"):
                args += ["--subnet", self.settings["subnet"]]
            self._podman(args + [network], "creating network %s" % network)
        return True

    def delete_cluster_resources(self, cluster, check_mode=False):
        """The cluster's network and the volumes of its shared dirs (only those it labelled)."""
        removed = []
        if self._delete_cluster_network(cluster, check_mode):
            removed.append("network %s" % self.network_name(cluster))
        removed.extend("shared dir volume %s" % volume
                       for volume in self._delete_shared_dirs(cluster, check_mode))
        if not check_mode:
            try:
                os.rmdir(os.path.join(self.settings.get("volume_dir", DEFAULT_VOLUME_DIR),
                                      cluster, "devices"))
            except OSError:
                pass  # absent, or a node's device dir is still there
        return removed

    def _delete_cluster_network(self, cluster, check_mode):
        network = self.network_name(cluster)
        rc, _out, _err = self.runner([self.podman, "network", "exists", network])
        if rc != 0:
            return False
        _rc, out, _err = self._podman(
            ["network", "inspect", network], "inspecting network %s" % network)
        labels = (json.loads(out)[0].get("labels") or {})
        if labels.get(LABEL_CLUSTER) != cluster:
            return False  # not ours: leave a user's own network alone
        if not check_mode:
            self._podman(["network", "rm", network], "removing network %s" % network)
        return True

    # shared dirs: one podman volume per dir, mounted at the same path in every node
    def _ensure_shared_volume(self, cluster, path):
        volume = shared_volume_name(cluster, path)
        rc, _out, _err = self.runner([self.podman, "volume", "exists", volume])
        if rc != 0:
            self._podman(["volume", "create", "--label", "%s=%s" % (LABEL_CLUSTER, cluster),
                          volume], "creating the volume of shared dir %s" % path)
        return volume

    def _delete_shared_dirs(self, cluster, check_mode):
        """Remove the podman volumes of the cluster's shared dirs (only those with its label)."""
        _rc, out, _err = self._podman(
            ["volume", "ls", "--format", "{{.Name}}", "--filter",
             "label=%s=%s" % (LABEL_CLUSTER, cluster)],
            "listing the shared dirs of cluster %s" % cluster)
        volumes = [line.strip() for line in out.splitlines() if line.strip()]
        if not check_mode:
            for volume in volumes:
                self._podman(["volume", "rm", volume], "removing shared volume %s" % volume)
        return volumes

    # volumes
    def volume_file(self, cluster, node, volume_name):
        root = self.settings.get("volume_dir", DEFAULT_VOLUME_DIR)
        return os.path.join(root, cluster, "%s-%s.img" % (node, volume_name))

    def device_dir(self, cluster, node):
        """The host dir bind-mounted at /dev/disk/by-id in the node: its volumes' device nodes."""
        root = self.settings.get("volume_dir", DEFAULT_VOLUME_DIR)
        return os.path.join(root, cluster, "devices", node)

    @staticmethod
    def _host_device(path):
        """(major, minor) of the block device node ``path`` on the host, or None."""
        try:
            info = os.lstat(path)
        except OSError:
            return None
        if not stat.S_ISBLK(info.st_mode):
            return None
        return os.major(info.st_rdev), os.minor(info.st_rdev)

    @staticmethod
    def _make_host_device(path, major, minor):
        if os.path.lexists(path):
            os.unlink(path)
        os.mknod(path, stat.S_IFBLK | 0o660, os.makedev(major, minor))
        os.chmod(path, 0o660)  # mknod's mode is filtered by the umask

    def _refresh_devices(self, cluster, node):
        """Before a node starts: each device node in its device dir matches the loop device
        that holds that volume now, or is removed when none does (after a host reboot, until
        create attaches the volume again), so that its fstab never mounts another volume."""
        devices = self.device_dir(cluster, node)
        if not os.path.isdir(devices):
            return
        for entry in sorted(os.listdir(devices)):
            if not entry.startswith("gridcloud-"):
                continue
            path = os.path.join(devices, entry)
            backing = self.volume_file(cluster, node, entry[len("gridcloud-"):])
            loop = self._loop_of(backing) if os.path.exists(backing) else None
            if loop is None:
                os.unlink(path)
                continue
            minor = os.minor(os.stat(loop).st_rdev)
            if self._host_device(path) != (LOOP_MAJOR, minor):
                self._make_host_device(path, LOOP_MAJOR, minor)

    def _loop_of(self, path):
        """Return the loop device backing ``path``, or None."""
        _rc, out, _err = self._run(["losetup", "--noheadings", "--output", "NAME",
                                    "--associated", path], "looking up the loop device of %s" % path)
        devices = [line.strip() for line in out.splitlines() if line.strip()]
        return devices[0] if devices else None

    def _device_in_node(self, node, path):
        """Return (major, minor) of a block device node inside a node, or None."""
        rc, out, _err = self.runner([self.podman, "exec", node, "stat", "-c", "%F %t %T", path])
        if rc != 0:
            return None
        parts = out.strip().split()
        if len(parts) < 4 or parts[0] != "block":
            return None
        return int(parts[-2], 16), int(parts[-1], 16)

    def get_volume(self, cluster, node_name, volume_name):
        path = self.volume_file(cluster, node_name, volume_name)
        if not os.path.exists(path):
            return None
        loop = self._loop_of(path)
        return {
            "name": volume_name,
            "node": node_name,
            "id": path,
            "file": path,
            "size_bytes": os.path.getsize(path),
            "loop_device": loop,
            "device": volume_device_path(volume_name),
            "attached": loop is not None,
        }

    def ensure_volume(self, cluster, node, volume, check_mode=False):
        """Make the backing file, its loop device and the device node in the node exist."""
        name = volume["name"]
        path = self.volume_file(cluster, node, name)
        device = volume_device_path(name)
        changed = False
        rc, out, _err = self.runner([self.podman, "container", "inspect", node])
        state = (json.loads(out)[0].get("State") or {}).get("Status", "unknown") \
            if rc == 0 else None
        if state != "running" and check_mode:
            # check mode: the node would be created or started first, then its volume attached
            return True, {"name": name, "node": node, "id": path, "file": path,
                          "size_bytes": volume["size_bytes"], "loop_device": None,
                          "device": device, "attached": False}
        if state is None:
            raise ProviderError("volume %s: node %s does not exist; create the node first"
                                % (name, node))
        if state != "running":
            raise ProviderError("volume %s: node %s is %s, not running; start it (run create)"
                                % (name, node, state))
        if not os.path.exists(path):
            changed = True
            if check_mode:
                return True, {"name": name, "node": node, "id": path, "file": path,
                              "size_bytes": volume["size_bytes"], "loop_device": None,
                              "device": device, "attached": False}
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.truncate(volume["size_bytes"])  # sparse: no space used until written
        loop = self._loop_of(path)
        if loop is None:
            changed = True
            if not check_mode:
                _rc, out, _err = self._run(["losetup", "--find", "--show", path],
                                           "attaching %s to a loop device" % path)
                loop = out.strip()
        devices = self.device_dir(cluster, node)
        minor = os.minor(os.stat(loop).st_rdev) if loop is not None else None
        if loop is not None and os.path.isdir(devices):
            # the node has its device dir on the host (nodes made before it had none)
            host_path = os.path.join(devices, os.path.basename(device))
            if self._host_device(host_path) != (LOOP_MAJOR, minor):
                changed = True
                if not check_mode:
                    self._make_host_device(host_path, LOOP_MAJOR, minor)
        elif loop is not None:
            present = self._device_in_node(node, device)
            if present != (LOOP_MAJOR, minor):
                changed = True
                if not check_mode:
                    self._podman(
                        ["exec", node, "sh", "-c",
                         'mkdir -p "$1" && rm -f "$2" && mknod -m 0660 "$2" b %d %d'
                         % (LOOP_MAJOR, minor), "sh", VOLUME_DEVICE_DIR, device],
                        "making device %s for volume %s in node %s" % (device, name, node))
        else:
            changed = True  # check mode: it would be attached
        return changed, {
            "name": name,
            "node": node,
            "id": path,
            "file": path,
            "size_bytes": os.path.getsize(path),
            "loop_device": loop,
            "device": device,
            "attached": True,
        }

    def remove_volume(self, cluster, node_name, volume_name, delete, check_mode=False):
        volume = self.get_volume(cluster, node_name, volume_name)
        if volume is None:
            return False, None
        changed = False
        if volume["loop_device"]:
            changed = True
            if not check_mode:
                # a device node left in a running node would point at whatever volume gets
                # this loop number next
                host_path = os.path.join(self.device_dir(cluster, node_name),
                                         os.path.basename(volume_device_path(volume_name)))
                if os.path.lexists(host_path):
                    os.unlink(host_path)
                else:
                    self.runner([self.podman, "exec", node_name, "rm", "-f",
                                 volume_device_path(volume_name)])
                self._run(["losetup", "--detach", volume["loop_device"]],
                          "detaching %s" % volume["loop_device"])
            volume["loop_device"] = None
            volume["attached"] = False
        if delete:
            changed = True
            if not check_mode:
                os.unlink(volume["file"])
        return changed, volume
