# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The libvirt provider: a cluster of real VMs on this machine.

What it makes, all named after the cluster so that a later run finds and adopts it:

- a libvirt network ``<cluster>-net`` (NAT, its own subnet, DHCP and DNS from libvirt's
  dnsmasq) with one DHCP host entry per node (its MAC, name and fixed address);
- an ssh key ``<state_dir>/<cluster>/ssh/id_ed25519`` unless ``public_key_file`` is given;
- per node, a persistent domain ``<cluster>-<kind>NNN`` (the cluster, kind and index in its
  ``<metadata>``) booting the image's kernel from a qcow2 copy-on-write overlay over the node
  image (scripts/build-vm-image.sh), first configured by cloud-init from a NoCloud seed (an ISO
  labelled ``cidata``: the cloud user with the cluster's key and sudo, the hostname);
- volumes as raw files ``<state_dir>/<cluster>/volumes/<node>-<volume>.raw`` attached as
  virtio disks whose serial is the first 20 characters of the volume's id: the node sees them
  as ``/dev/disk/by-id/virtio-<serial>``, the rule of the openstack provider's Cinder volumes.

Ansible reaches a node over ssh at its fixed address as the cloud user, with become.

Every ``virsh``, ``qemu-img``, ``xorriso``, ``ssh-keygen`` and ``ssh`` call goes through
``runner(args) -> (rc, stdout, stderr)``; files (XML, the seed's contents) are written with
Python in the cluster's state directory, on the machine that runs the module.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import socket
import time
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.definition import (
    check_size,
    node_name,
    parse_size,
)
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers.base import (
    Provider,
    ProviderError,
    check_setting_keys,
    first_free_address,
    make_ssh_key,
    ssh_login_vars,
)
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers.openstack import (
    VIRTIO_SERIAL_LENGTH,
    volume_device_path,
)

DEFAULT_URI = "qemu:///system"
DEFAULT_IMAGE_DIR = "/var/lib/gridcloud/images"
DEFAULT_STATE_DIR = "/var/lib/gridcloud/libvirt"
# Written by scripts/setup-libvirt.sh: "kvm" or "qemu", the answer of its KVM probe.
DOMAIN_TYPE_FILE = "/var/lib/gridcloud/libvirt-domain-type"
DEFAULT_SSH_USER = "debian"
DEFAULT_CPUS = 1
DEFAULT_MEMORY = "2GiB"
DEFAULT_DISK = "20GiB"
DOMAIN_TYPES = ("auto", "kvm", "qemu")
METADATA_NS = "urn:gridcloud:arc_cluster:node"
METADATA_PREFIX = "gridcloud"
# Free PCIe root ports in every domain: q35 hot-plugs a volume only into a free one.
SPARE_ROOT_PORTS = 8
# The devices a domain starts with that each take a root port: root disk, NIC, rng.
BASE_ROOT_PORTS = 3
# Node addresses start at base.FIRST_NODE_HOST; the DHCP range for anything else is the top
# quarter of the subnet.
MAC_PREFIX = "52:54:00"
SSH_OPTIONS = ("-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "StrictHostKeyChecking=no",
               "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR")
# virsh domstate -> the contract's node state ("running" or something that needs starting)
DOMAIN_STATES = {
    "running": "running",
    "idle": "running",
    "blocked": "running",
    "paused": "paused",
    "in shutdown": "stopping",
    "shut off": "stopped",
    "crashed": "error",
    "pmsuspended": "suspended",
}


def _short_hash(text, length=8):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def node_mac(name):
    """A stable MAC for a node: libvirt's prefix and three bytes of a hash of its name."""
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()
    return "%s:%s:%s:%s" % (MAC_PREFIX, digest[0:2], digest[2:4], digest[4:6])


def bridge_name(cluster):
    """The bridge of the cluster's network; at most 15 characters (a Linux interface name)."""
    return "gc-%s" % _short_hash(cluster)


def default_subnet(cluster):
    """A /24 in 192.168.100-199 chosen by the cluster's name (set ``subnet`` on a clash)."""
    return "192.168.%d.0/24" % (100 + int(_short_hash(cluster), 16) % 100)


def volume_id(cluster, node, volume_name):
    """The id of a volume: uuid-shaped, stable for (cluster, node, volume), like Cinder's."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL,
                          "gridcloud:libvirt:%s/%s/%s" % (cluster, node, volume_name)))


def volume_serial(vol_id):
    """The virtio serial of a volume: what virtio-blk shows of it (20 characters)."""
    return vol_id[:VIRTIO_SERIAL_LENGTH]


def _positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


class LibvirtProvider(Provider):
    name = "libvirt"
    settings_keys = {
        "uri": "libvirt connection URI (default qemu:///system)",
        "network": "libvirt network of the cluster (default <cluster>-net, made and removed "
                   "by the provider)",
        "subnet": "IPv4 subnet of that network, for example 192.168.150.0/24",
        "domain_type": "auto (the KVM probe of scripts/setup-libvirt.sh), kvm or qemu (TCG)",
        "image": "the image manifest (default <image_dir>/gridcloud-vm-<release>.json)",
        "image_dir": "where scripts/build-vm-image.sh puts the images",
        "state_dir": "where node disks, seeds, volumes and the cluster's ssh key live",
        "ssh_user": "the cloud user Ansible logs in as (default debian)",
        "public_key_file": "public key given to the cloud user (default: a key made for the "
                           "cluster)",
        "private_key_file": "its private key, for Ansible",
        "wait_for_ssh": "wait until the node answers ssh and cloud-init is done (default true)",
    }
    resource_keys = {"cpus": "vCPUs (default 1)", "memory": "memory (default 2GiB)",
                     "disk": "root disk size (default 20GiB)"}

    def __init__(self, settings, runner=None):
        super().__init__(settings, runner)
        self.uri = self.settings.get("uri") or DEFAULT_URI
        self.virsh = self.settings.get("virsh_binary", "virsh")
        self.domain_type_file = self.settings.get("domain_type_file", DOMAIN_TYPE_FILE)
        self.poll_interval = float(self.settings.get("poll_interval", 2))

    # ------------------------------------------------------------------ the definition
    @classmethod
    def validate_settings(cls, settings, path, problems):
        check_setting_keys(settings, cls.settings_keys, path, problems)
        for key in ("uri", "network", "image", "image_dir", "state_dir", "ssh_user",
                    "public_key_file", "private_key_file"):
            value = settings.get(key)
            if value is not None and (not isinstance(value, str) or not value):
                problems.append("%s.%s: must be a non-empty string (got %r)" % (path, key, value))
        for key in ("image_dir", "state_dir"):
            value = settings.get(key)
            if isinstance(value, str) and value and not value.startswith("/"):
                problems.append("%s.%s: must be an absolute path (got %r)" % (path, key, value))
        if settings.get("domain_type") not in (None,) + DOMAIN_TYPES:
            problems.append("%s.domain_type: use %s (got %r)"
                            % (path, ", ".join(DOMAIN_TYPES), settings["domain_type"]))
        if settings.get("wait_for_ssh") not in (None, True, False):
            problems.append("%s.wait_for_ssh: must be true or false (got %r)"
                            % (path, settings["wait_for_ssh"]))
        if bool(settings.get("public_key_file")) != bool(settings.get("private_key_file")):
            problems.append("%s: give public_key_file and private_key_file together (or "
                            "neither: the provider then makes a key for the cluster)" % path)
        subnet = settings.get("subnet")
        if subnet is not None:
            try:
                net = ipaddress.IPv4Network(subnet, strict=True)
            except (ValueError, TypeError):
                problems.append("%s.subnet: %r is not an IPv4 subnet such as 192.168.150.0/24"
                                % (path, subnet))
            else:
                if not 16 <= net.prefixlen <= 25:
                    problems.append("%s.subnet: use a prefix from /16 to /25 (got %s)"
                                    % (path, subnet))
        return dict(settings)

    @classmethod
    def validate_kind(cls, kind, spec, path, problems):
        resources = spec.get("resources", {})
        if not isinstance(resources, dict):
            return
        cpus = resources.get("cpus")
        if cpus is not None and not _positive_int(cpus):
            problems.append("%s.resources.cpus: must be a whole number of vCPUs, 1 or more "
                            "(got %r)" % (path, cpus))
        check_size(resources.get("memory"), path + ".resources.memory", "2GiB", problems)
        check_size(resources.get("disk"), path + ".resources.disk", "20GiB", problems)

    # ------------------------------------------------------------------ helpers
    def _run(self, args, what, ok_codes=(0,)):
        rc, out, err = self.runner(list(args))
        if rc not in ok_codes:
            raise ProviderError("%s failed (%s, rc=%s): %s"
                                % (what, " ".join(args), rc, (err or out or "").strip()))
        return rc, out, err

    def _virsh_args(self, args):
        return [self.virsh, "-c", self.uri] + list(args)

    def _virsh(self, args, what, ok_codes=(0,)):
        return self._run(self._virsh_args(args), what, ok_codes)

    def _virsh_rc(self, args):
        return self.runner(self._virsh_args(args))

    def network_name(self, cluster):
        return self.settings.get("network") or "%s-net" % cluster

    def subnet(self, cluster):
        return ipaddress.IPv4Network(self.settings.get("subnet") or default_subnet(cluster))

    def cluster_dir(self, cluster):
        return os.path.join(self.settings.get("state_dir") or DEFAULT_STATE_DIR, cluster)

    def node_dir(self, cluster, name):
        return os.path.join(self.cluster_dir(cluster), "nodes", name)

    def volume_file(self, cluster, node, volume_name):
        return os.path.join(self.cluster_dir(cluster), "volumes", "%s-%s.raw" % (node, volume_name))

    def key_files(self, cluster):
        """(public, private) key files of the cluster's cloud user."""
        if self.settings.get("public_key_file"):
            return (os.path.expanduser(self.settings["public_key_file"]),
                    os.path.expanduser(self.settings["private_key_file"]))
        private = os.path.join(self.cluster_dir(cluster), "ssh", "id_ed25519")
        return private + ".pub", private

    def ssh_user(self):
        return self.settings.get("ssh_user") or DEFAULT_SSH_USER

    def manifest_path(self, release, spec=None):
        if spec and spec.get("image"):
            return spec["image"]
        if self.settings.get("image"):
            return self.settings["image"]
        return os.path.join(self.settings.get("image_dir") or DEFAULT_IMAGE_DIR,
                            "gridcloud-vm-%s.json" % release)

    def read_manifest(self, release, spec=None):
        path = self.manifest_path(release, spec)
        try:
            with open(path) as handle:
                manifest = json.load(handle)
        except (OSError, ValueError) as exc:
            raise ProviderError(
                "VM image manifest %s cannot be read (%s); build the image with "
                "`scripts/build-vm-image.sh %s` (or `make vm-image RELEASE=%s`)"
                % (path, exc, release, release))
        missing = [manifest.get(key) or key for key in ("disk", "kernel", "initrd")
                   if not manifest.get(key) or not os.path.exists(manifest[key])]
        if missing:
            raise ProviderError("VM image %s: %s missing; rebuild it with "
                                "`GRIDCLOUD_FORCE_REBUILD=1 scripts/build-vm-image.sh %s`"
                                % (path, ", ".join(missing), release))
        return manifest

    def domain_type(self):
        """kvm or qemu: the setting, or with auto the answer of setup-libvirt.sh's probe."""
        wanted = self.settings.get("domain_type") or "auto"
        if wanted != "auto":
            return wanted
        try:
            with open(self.domain_type_file) as handle:
                found = handle.read().strip()
        except OSError:
            return "qemu"  # not probed: TCG works wherever qemu does
        return found if found in ("kvm", "qemu") else "qemu"

    # ------------------------------------------------------------------ network
    def _network_xml(self, cluster):
        net = self.subnet(cluster)
        hosts = list(net.hosts())
        gateway = hosts[0]
        dynamic = hosts[-max(2, len(hosts) // 4):]
        return (
            "<network>\n"
            "  <name>%s</name>\n"
            "  <forward mode='nat'/>\n"
            "  <bridge name='%s' stp='on' delay='0'/>\n"
            "  <domain name=%s localOnly='yes'/>\n"
            "  <ip address='%s' netmask='%s'>\n"
            "    <dhcp>\n"
            "      <range start='%s' end='%s'/>\n"
            "    </dhcp>\n"
            "  </ip>\n"
            "</network>\n"
            % (escape(self.network_name(cluster)), bridge_name(cluster),
               quoteattr(self.dns_domain(cluster)), gateway, net.netmask, dynamic[0],
               dynamic[-1]))

    @staticmethod
    def dns_domain(cluster):
        return "%s.internal" % cluster

    def node_fqdn(self, cluster, name):
        """The node's DNS name: its cloud-init fqdn and the name the cluster's network gives it."""
        return "%s.%s" % (name, self.dns_domain(cluster))

    def _network_state(self, name):
        """None (no such network), 'inactive' or 'active'."""
        rc, out, _err = self._virsh_rc(["net-info", name])
        if rc != 0:
            return None
        for line in (out or "").splitlines():
            key, _sep, value = line.partition(":")
            if key.strip() == "Active":
                return "active" if value.strip() == "yes" else "inactive"
        return "inactive"

    def _network_hosts(self, network):
        """The DHCP host entries of ``network``: {mac: {"mac", "name", "ip"}}."""
        rc, out, _err = self._virsh_rc(["net-dumpxml", network])
        if rc != 0:
            return {}
        root = ET.fromstring(out)
        hosts = {}
        for host in root.findall("./ip/dhcp/host"):
            mac = (host.get("mac") or "").lower()
            if mac:
                hosts[mac] = {"mac": mac, "name": host.get("name"), "ip": host.get("ip")}
        return hosts

    def _network_subnet(self, network):
        """The IPv4 subnet of an existing network (one named by ``network`` may be the user's)."""
        rc, out, _err = self._virsh_rc(["net-dumpxml", network])
        if rc != 0:
            return None
        for ip in ET.fromstring(out).findall("ip"):
            address = ip.get("address")
            mask = ip.get("netmask") or ip.get("prefix")
            if address and mask and ip.get("family", "ipv4") == "ipv4":
                try:
                    return ipaddress.IPv4Network("%s/%s" % (address, mask), strict=False)
                except ValueError:
                    return None
        return None

    def _network_is_ours(self, cluster, network):
        rc, out, _err = self._virsh_rc(["net-dumpxml", network])
        if rc != 0:
            return False
        bridge = ET.fromstring(out).find("bridge")
        return bridge is not None and bridge.get("name") == bridge_name(cluster)

    def _reserve_address(self, cluster, name, mac):
        """Give the node a DHCP host entry (fixed address, name in DNS); return its address."""
        network = self.network_name(cluster)
        hosts = self._network_hosts(network)
        if mac in hosts:
            return hosts[mac]["ip"]
        net = self._network_subnet(network) or self.subnet(cluster)
        all_hosts = list(net.hosts())
        dynamic_start = all_hosts[-max(2, len(all_hosts) // 4)]
        used = {entry["ip"] for entry in hosts.values()}
        address = first_free_address(net, used, end=dynamic_start)
        if address is None:
            raise ProviderError("network %s (%s) has no free address for node %s; use a "
                                "larger subnet" % (network, net, name))
        entry = "<host mac='%s' name='%s' ip='%s'/>" % (mac, name, address)
        self._virsh(["net-update", network, "add-last", "ip-dhcp-host", entry, "--live",
                     "--config"], "reserving address %s for node %s on network %s"
                    % (address, name, network))
        return address

    def _release_address(self, cluster, mac):
        network = self.network_name(cluster)
        entry = self._network_hosts(network).get(mac)
        if entry is None:
            return
        xml = "<host mac='%s' name='%s' ip='%s'/>" % (entry["mac"], entry["name"], entry["ip"])
        live = ["--live"] if self._network_state(network) == "active" else []
        self._virsh(["net-update", network, "delete", "ip-dhcp-host", xml, "--config"] + live,
                    "releasing address %s on network %s" % (entry["ip"], network))

    # ------------------------------------------------------------------ cluster-wide
    def check_node_request(self, cluster, release, kind, spec):
        self.check_cluster_request(cluster, release, {kind: spec})

    def check_cluster_request(self, cluster, release, requests):
        """libvirt answers, the image exists, the key files exist, the memory fits."""
        problems = []
        rc, _out, err = self._virsh_rc(["version"])
        if rc != 0:
            problems.append("libvirt does not answer on %s (%s); run `make vm-setup` (it starts "
                            "libvirtd) or set cluster.libvirt.uri"
                            % (self.uri, (err or "").strip()))
        memory = 0
        seen = set()
        for kind, spec in requests.items():
            path = self.manifest_path(release, spec)
            if path not in seen:
                seen.add(path)
                try:
                    self.read_manifest(release, spec)
                except ProviderError as exc:
                    problems.append("kind %s: %s" % (kind, exc))
            resources = spec.get("resources") or {}
            memory += int(spec.get("count") or 1) * parse_size(resources.get("memory")
                                                               or DEFAULT_MEMORY)
        if self.settings.get("public_key_file"):
            for path in self.key_files(cluster):
                if not os.path.exists(path):
                    problems.append("key file %s does not exist" % path)
        if self.settings.get("domain_type") == "kvm" and self.domain_type_file and \
                self._probed() == "qemu":
            problems.append("domain_type kvm: the KVM probe of scripts/setup-libvirt.sh found KVM "
                            "not usable on this machine; use domain_type auto or qemu")
        problems.extend(self._subnet_clashes(cluster))
        available = self._memory_available()
        if available is not None and memory > available:
            problems.append("the new nodes need %d MiB of memory, this machine has %d MiB "
                            "available; give the kinds less resources.memory or fewer nodes"
                            % (memory // 2 ** 20, available // 2 ** 20))
        if problems:
            raise ProviderError("\n".join(problems))

    def _subnet_clashes(self, cluster):
        """Before the cluster's network exists: its subnet must not overlap another libvirt
        network's or a route of this machine (net-start would fail, or traffic go astray)."""
        network = self.network_name(cluster)
        if self._network_state(network) is not None:
            return []
        wanted = self.subnet(cluster)
        taken = []
        rc, out, _err = self._virsh_rc(["net-list", "--all", "--name"])
        for other in (out or "").split() if rc == 0 else []:
            subnet = self._network_subnet(other)
            if subnet is not None:
                taken.append((subnet, "libvirt network %s" % other))
        networks = [subnet for subnet, _what in taken]
        taken.extend((subnet, "a route of this machine (%s)" % iface)
                     for subnet, iface in self._host_routes()
                     if iface != bridge_name(cluster) and subnet not in networks)
        clashes = ["%s %s" % (what, subnet) for subnet, what in taken if subnet.overlaps(wanted)]
        if not clashes:
            return []
        free = next((candidate for candidate in (ipaddress.IPv4Network("192.168.%d.0/24" % third)
                                                 for third in range(100, 200))
                     if not any(candidate.overlaps(subnet) for subnet, _what in taken)), None)
        source = "cluster.libvirt.subnet" if self.settings.get("subnet") else \
            "the subnet chosen from the cluster's name"
        return ["%s %s overlaps %s; set cluster.libvirt.subnet to a free one%s"
                % (source, wanted, ", ".join(clashes),
                   " such as %s" % free if free is not None else "")]

    @staticmethod
    def _host_routes():
        """[(IPv4Network, interface)] of this machine's routes, the default route left out."""
        routes = []
        try:
            with open("/proc/net/route") as handle:
                lines = handle.read().splitlines()[1:]
        except OSError:
            return routes
        for line in lines:
            fields = line.split()
            if len(fields) < 8:
                continue
            try:
                destination = ipaddress.IPv4Address(bytes.fromhex(fields[1])[::-1])
                mask = ipaddress.IPv4Address(bytes.fromhex(fields[7])[::-1])
                subnet = ipaddress.IPv4Network("%s/%s" % (destination, mask), strict=False)
            except ValueError:
                continue
            if subnet.prefixlen > 0:
                routes.append((subnet, fields[0]))
        return routes

    def _probed(self):
        try:
            with open(self.domain_type_file) as handle:
                return handle.read().strip()
        except OSError:
            return None

    @staticmethod
    def _memory_available():
        try:
            with open("/proc/meminfo") as handle:
                for line in handle:
                    if line.startswith("MemAvailable:"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            return None
        return None

    def ensure_cluster_resources(self, cluster, check_mode=False):
        """The cluster's ssh key (unless given) and its network, defined, started, autostarted."""
        changed = False
        public, private = self.key_files(cluster)
        if not self.settings.get("public_key_file") and not os.path.exists(private):
            changed = True
            if not check_mode:
                # the cluster dir stays traversable: libvirt's qemu user opens the disks in it
                os.makedirs(self.cluster_dir(cluster), mode=0o755, exist_ok=True)
                make_ssh_key(self.runner, private, "gridcloud-%s" % cluster)
        network = self.network_name(cluster)
        state = self._network_state(network)
        if state is None:
            changed = True
            if not check_mode:
                path = os.path.join(self.cluster_dir(cluster), "network.xml")
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as handle:
                    handle.write(self._network_xml(cluster))
                self._virsh(["net-define", path], "defining network %s" % network)
                self._virsh(["net-autostart", network], "autostarting network %s" % network)
        if state != "active":
            changed = True
            if not check_mode:
                self._virsh(["net-start", network], "starting network %s (subnet %s; another "
                            "network may use it: set cluster.libvirt.subnet)"
                            % (network, self.subnet(cluster)))
        return changed

    def delete_cluster_resources(self, cluster, check_mode=False):
        """The cluster's network (only one the provider made) and the key it made."""
        removed = []
        network = self.network_name(cluster)
        state = self._network_state(network)
        if state is not None and self._network_is_ours(cluster, network):
            removed.append("network %s" % network)
            if not check_mode:
                if state == "active":
                    self._virsh(["net-destroy", network], "stopping network %s" % network)
                self._virsh(["net-undefine", network], "removing network %s" % network)
                path = os.path.join(self.cluster_dir(cluster), "network.xml")
                if os.path.exists(path):
                    os.unlink(path)
        if not self.settings.get("public_key_file"):
            public, private = self.key_files(cluster)
            if os.path.exists(private):
                removed.append("ssh key %s" % private)
                if not check_mode:
                    for path in (private, public):
                        if os.path.exists(path):
                            os.unlink(path)
        if not check_mode:
            self._remove_empty_dirs(cluster)
        return removed

    def _remove_empty_dirs(self, cluster):
        """The cluster's state dir and its subdirs, where nothing is left in them (kept volumes
        keep theirs)."""
        top = self.cluster_dir(cluster)
        for directory in [os.path.join(top, sub) for sub in ("nodes", "ssh", "volumes")] + [top]:
            try:
                os.rmdir(directory)
            except OSError:
                pass  # absent, or not empty: a kept volume, a node not removed

    # ------------------------------------------------------------------ nodes
    def _dumpxml(self, name):
        _rc, out, _err = self._virsh(["dumpxml", name], "reading domain %s" % name)
        return ET.fromstring(out)

    def _domain_state(self, name):
        _rc, out, _err = self._virsh(["domstate", name], "reading the state of domain %s" % name)
        state = (out or "").strip().splitlines()[0].strip() if (out or "").strip() else "unknown"
        return DOMAIN_STATES.get(state, state)

    def _node(self, name, root=None, hosts=None, cluster=None):
        root = root if root is not None else self._dumpxml(name)
        meta = root.find("./metadata/{%s}node" % METADATA_NS)
        values = {}
        if meta is not None:
            for key in ("cluster", "kind", "index"):
                child = meta.find("{%s}%s" % (METADATA_NS, key))
                values[key] = child.text if child is not None else None
        try:
            index = int(values.get("index"))
        except (TypeError, ValueError):
            index = None
        mac_el = root.find("./devices/interface/mac")
        mac = (mac_el.get("address") or "").lower() if mac_el is not None else None
        cluster = values.get("cluster") or cluster
        if hosts is None:
            hosts = self._network_hosts(self.network_name(cluster)) if cluster else {}
        address = (hosts.get(mac) or {}).get("ip")
        node = {
            "name": name,
            "id": (root.findtext("uuid") or "").strip() or None,
            "cluster": values.get("cluster"),
            "kind": values.get("kind"),
            "index": index,
            "address": address,
            "fqdn": self.node_fqdn(cluster, name) if cluster else None,
            "mac": mac,
            "state": self._domain_state(name),
        }
        node["connection"] = self.connection_vars(cluster, name, node)
        return node

    def list_nodes(self, cluster):
        _rc, out, _err = self._virsh(["list", "--all", "--name"],
                                     "listing the domains of %s" % self.uri)
        names = [line.strip() for line in (out or "").splitlines()
                 if line.strip().startswith(cluster + "-")]
        hosts = self._network_hosts(self.network_name(cluster))
        nodes = []
        for name in names:
            node = self._node(name, hosts=hosts, cluster=cluster)
            if node["cluster"] != cluster or node["kind"] is None or node["index"] is None:
                continue  # a domain of that name not made by the provider for this cluster
            nodes.append(node)
        nodes.sort(key=lambda node: (node["kind"], node["index"]))
        return nodes

    def connection_vars(self, cluster, name, node=None):
        """ssh as the cloud user with the cluster's key and become, at the node's address."""
        node = node or {}
        cluster = cluster or node.get("cluster")
        variables = ssh_login_vars(self.ssh_user())
        variables["ansible_ssh_common_args"] = ("-o StrictHostKeyChecking=no "
                                                "-o UserKnownHostsFile=/dev/null")
        if node.get("address"):
            variables["ansible_host"] = node["address"]
        if cluster:
            variables["ansible_ssh_private_key_file"] = self.key_files(cluster)[1]
        return variables

    def login_command(self, cluster, name, node=None):
        variables = self.connection_vars(cluster, name, node)
        host = variables.get("ansible_host") or name
        key = variables.get("ansible_ssh_private_key_file")
        return "ssh %s%s@%s" % ("-i %s " % key if key else "", variables["ansible_user"], host)

    def _seed(self, cluster, name, directory):
        """Write the NoCloud seed's files and make the ISO labelled cidata; return its path."""
        public, _private = self.key_files(cluster)
        try:
            with open(public) as handle:
                key = handle.read().strip()
        except OSError as exc:
            raise ProviderError("node %s: the public key %s cannot be read (%s)"
                                % (name, public, exc))
        user_data = {
            "users": [{
                "name": self.ssh_user(),
                "shell": "/bin/bash",
                "sudo": "ALL=(ALL) NOPASSWD:ALL",
                "lock_passwd": True,
                "ssh_authorized_keys": [key],
            }],
            "hostname": name,
            "fqdn": self.node_fqdn(cluster, name),
            "ssh_pwauth": False,
        }
        # JSON is YAML: the cloud-config needs no YAML library on the controller.
        with open(os.path.join(directory, "user-data"), "w") as handle:
            handle.write("#cloud-config\n" + json.dumps(user_data, indent=2) + "\n")
        with open(os.path.join(directory, "meta-data"), "w") as handle:
            handle.write("instance-id: %s\nlocal-hostname: %s\n" % (name, name))
        iso = os.path.join(directory, "seed.iso")
        self._run(["xorriso", "-as", "mkisofs", "-quiet", "-o", iso, "-V", "cidata", "-J", "-r",
                   os.path.join(directory, "user-data"), os.path.join(directory, "meta-data")],
                  "making the cloud-init seed of node %s" % name)
        return iso

    def _domain_xml(self, cluster, name, kind, index, manifest, resources, root_disk, seed,
                    mac):
        memory_mib = parse_size(resources.get("memory") or DEFAULT_MEMORY) // 2 ** 20
        cpus = int(resources.get("cpus") or DEFAULT_CPUS)
        root_ports = ("    <controller type='pci' model='pcie-root-port'/>\n"
                      * (BASE_ROOT_PORTS + SPARE_ROOT_PORTS))
        return (
            "<domain type='%(type)s'>\n"
            "  <name>%(name)s</name>\n"
            "  <metadata>\n"
            "    <%(p)s:node xmlns:%(p)s='%(ns)s'>\n"
            "      <%(p)s:cluster>%(cluster)s</%(p)s:cluster>\n"
            "      <%(p)s:kind>%(kind)s</%(p)s:kind>\n"
            "      <%(p)s:index>%(index)d</%(p)s:index>\n"
            "    </%(p)s:node>\n"
            "  </metadata>\n"
            "  <memory unit='MiB'>%(memory)d</memory>\n"
            "  <vcpu>%(cpus)d</vcpu>\n"
            "  <os>\n"
            "    <type arch='x86_64' machine='q35'>hvm</type>\n"
            "    <kernel>%(kernel)s</kernel>\n"
            "    <initrd>%(initrd)s</initrd>\n"
            "    <cmdline>%(cmdline)s</cmdline>\n"
            "  </os>\n"
            "  <features><acpi/><apic/></features>\n"
            "  <on_poweroff>destroy</on_poweroff>\n"
            "  <on_reboot>restart</on_reboot>\n"
            "  <on_crash>destroy</on_crash>\n"
            "  <devices>\n"
            "    <disk type='file' device='disk'>\n"
            "      <driver name='qemu' type='qcow2'/>\n"
            "      <source file=%(root)s/>\n"
            "      <target dev='vda' bus='virtio'/>\n"
            "    </disk>\n"
            "    <disk type='file' device='cdrom'>\n"
            "      <driver name='qemu' type='raw'/>\n"
            "      <source file=%(seed)s/>\n"
            "      <target dev='sda' bus='sata'/>\n"
            "      <readonly/>\n"
            "    </disk>\n"
            "    <interface type='network'>\n"
            "      <source network=%(network)s/>\n"
            "      <mac address='%(mac)s'/>\n"
            "      <model type='virtio'/>\n"
            "    </interface>\n"
            "    <serial type='pty'>\n"
            "      <log file=%(console)s append='on'/>\n"
            "    </serial>\n"
            "    <console type='pty'/>\n"
            "    <controller type='usb' model='none'/>\n"
            "    <controller type='pci' index='0' model='pcie-root'/>\n"
            "%(root_ports)s"
            "    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\n"
            "    <memballoon model='none'/>\n"
            "  </devices>\n"
            "</domain>\n"
        ) % {
            "type": self.domain_type(), "name": escape(name), "p": METADATA_PREFIX,
            "ns": METADATA_NS, "cluster": escape(cluster), "kind": escape(kind), "index": index,
            "memory": memory_mib, "cpus": cpus, "kernel": escape(manifest["kernel"]),
            "initrd": escape(manifest["initrd"]), "cmdline": escape(manifest["cmdline"]),
            "root": quoteattr(root_disk), "seed": quoteattr(seed),
            "network": quoteattr(self.network_name(cluster)), "mac": mac,
            "console": quoteattr(os.path.join(os.path.dirname(root_disk), "console.log")),
            "root_ports": root_ports,
        }

    def create_node(self, cluster, release, kind, index, spec):
        name = node_name(cluster, kind, index)
        resources = spec.get("resources") or {}
        manifest = self.read_manifest(release, spec)
        directory = self.node_dir(cluster, name)
        os.makedirs(directory, exist_ok=True)
        root_disk = os.path.join(directory, "root.qcow2")
        size = parse_size(resources.get("disk") or DEFAULT_DISK)
        if os.path.exists(root_disk):
            os.unlink(root_disk)  # left by a node that was not defined: start it afresh
        # The backing file is the hashed image, never the manifest's link: a rebuilt image
        # must not change the disk under an existing node.
        self._run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                   os.path.realpath(manifest["disk"]), root_disk, str(size)],
                  "making the disk of node %s" % name)
        seed = self._seed(cluster, name, directory)
        mac = node_mac(name)
        self._reserve_address(cluster, name, mac)
        xml_path = os.path.join(directory, "domain.xml")
        with open(xml_path, "w") as handle:
            handle.write(self._domain_xml(cluster, name, kind, index, manifest, resources,
                                          root_disk, seed, mac))
        self._virsh(["define", xml_path], "defining domain %s" % name)
        self._virsh(["start", name], "starting node %s" % name)
        return self._node(name, cluster=cluster)

    def start_node(self, node):
        if node["state"] == "paused":
            self._virsh(["resume", node["name"]], "resuming node %s" % node["name"])
        elif node["state"] == "suspended":
            self._virsh(["dompmwakeup", node["name"]], "waking node %s" % node["name"])
        else:
            self._virsh(["start", node["name"]], "starting node %s" % node["name"])
        return self._node(node["name"], cluster=node.get("cluster"))

    def wait_node(self, node, timeout):
        """Wait until the domain runs, then until ssh as the cloud user says cloud-init is done."""
        deadline = time.monotonic() + timeout
        name = node["name"]
        current = node
        while True:
            current = self._node(name, cluster=node.get("cluster"))
            if current["state"] == "running" and current["address"]:
                break
            if current["state"] in ("stopped", "error"):
                raise ProviderError("node %s is %s while booting; see its console log %s"
                                    % (name, current["state"], self._console(current)))
            self._wait_or_fail(deadline, "node %s is not running after %ss (state %s)"
                               % (name, timeout, current["state"]))
        if self.settings.get("wait_for_ssh") is False:
            return current
        host = current["address"]
        while not self._port_open(host, 22):
            self._wait_or_fail(deadline, "node %s (%s) does not answer on ssh after %ss; see its "
                               "console log %s" % (name, host, timeout, self._console(current)))
        _public, private = self.key_files(current["cluster"] or node.get("cluster"))
        last = ""
        while True:
            # the cloud user and its key exist only once cloud-init has run: log in, then
            # wait for cloud-init to finish (rc 2: done with recoverable errors)
            rc, out, err = self.runner(["ssh", "-i", private] + list(SSH_OPTIONS)
                                       + ["%s@%s" % (self.ssh_user(), host),
                                          "cloud-init status --wait >/dev/null; echo rc=$?"])
            text = (out or "").strip()
            if rc == 0 and text.endswith(("rc=0", "rc=2")):
                return current
            if rc == 0 and text.endswith("rc=1"):
                raise ProviderError("node %s: cloud-init failed; see `cloud-init status --long` "
                                    "in the node and its console log %s"
                                    % (name, self._console(current)))
            last = (err or out or "").strip()
            self._wait_or_fail(deadline, "node %s (%s): ssh as %s did not work after %ss (%s); "
                               "see its console log %s" % (name, host, self.ssh_user(), timeout,
                                                           last, self._console(current)))

    def _console(self, node):
        return os.path.join(self.node_dir(node.get("cluster") or "", node["name"]), "console.log")

    def _wait_or_fail(self, deadline, message):
        if time.monotonic() >= deadline:
            raise ProviderError(message)
        if self.poll_interval > 0:
            time.sleep(self.poll_interval)

    @staticmethod
    def _port_open(host, port):
        try:
            sock = socket.create_connection((host, port), timeout=3)
        except OSError:
            return False
        sock.close()
        return True

    def delete_node(self, node):
        name = node["name"]
        cluster = node.get("cluster")
        if node.get("state") not in ("stopped", None):
            self._virsh(["destroy", name], "stopping node %s" % name, ok_codes=(0, 1))
        self._virsh(["undefine", name], "removing domain %s" % name)
        if node.get("mac") and cluster:
            self._release_address(cluster, node["mac"])
        directory = self.node_dir(cluster or "", name)
        for entry in ("root.qcow2", "seed.iso", "user-data", "meta-data", "domain.xml",
                      "console.log"):
            path = os.path.join(directory, entry)
            if os.path.exists(path):
                os.unlink(path)
        if os.path.isdir(directory) and not os.listdir(directory):
            os.rmdir(directory)

    # ------------------------------------------------------------------ volumes
    def _attached_disk(self, root, path):
        """The <disk> of ``root`` whose source is ``path``, or None."""
        for disk in root.findall("./devices/disk"):
            source = disk.find("source")
            if source is not None and source.get("file") == path:
                return disk
        return None

    def _volume(self, cluster, node, volume_name, path, attached):
        vol_id = volume_id(cluster, node, volume_name)
        return {
            "name": volume_name,
            "node": node,
            "id": vol_id,
            "serial": volume_serial(vol_id),
            "file": path,
            "size_bytes": os.path.getsize(path) if os.path.exists(path) else None,
            "device": volume_device_path(vol_id),
            "attached": attached,
        }

    def _domain_exists(self, name):
        rc, _out, _err = self._virsh_rc(["domstate", name])
        return rc == 0

    def get_volume(self, cluster, node_name, volume_name):
        path = self.volume_file(cluster, node_name, volume_name)
        if not os.path.exists(path):
            return None
        attached = False
        if self._domain_exists(node_name):
            attached = self._attached_disk(self._dumpxml(node_name), path) is not None
        return self._volume(cluster, node_name, volume_name, path, attached)

    @staticmethod
    def _free_target(root):
        used = {(disk.find("target").get("dev") if disk.find("target") is not None else None)
                for disk in root.findall("./devices/disk")}
        for letter in "bcdefghijklmnopqrstuvwxyz":
            if "vd%s" % letter not in used:
                return "vd%s" % letter
        raise ProviderError("no free virtio disk name left")

    def _disk_xml(self, path, target, serial):
        return ("<disk type='file' device='disk'>\n"
                "  <driver name='qemu' type='raw'/>\n"
                "  <source file=%s/>\n"
                "  <target dev='%s' bus='virtio'/>\n"
                "  <serial>%s</serial>\n"
                "</disk>\n" % (quoteattr(path), target, escape(serial)))

    def ensure_volume(self, cluster, node, volume, check_mode=False):
        """Make the disk file and attach it (live when the node runs, and in its definition)."""
        name = volume["name"]
        path = self.volume_file(cluster, node, name)
        planned = self._volume(cluster, node, name, path, False)
        planned["size_bytes"] = volume["size_bytes"]
        if not self._domain_exists(node):
            if check_mode:
                return True, planned
            raise ProviderError("volume %s: node %s does not exist; create the node first"
                                % (name, node))
        changed = False
        if not os.path.exists(path):
            changed = True
            if check_mode:
                return True, planned
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self._run(["qemu-img", "create", "-q", "-f", "raw", path, str(volume["size_bytes"])],
                      "making volume %s of node %s" % (name, node))
        root = self._dumpxml(node)
        if self._attached_disk(root, path) is None:
            changed = True
            if check_mode:
                return True, dict(planned, size_bytes=os.path.getsize(path))
            serial = volume_serial(volume_id(cluster, node, name))
            xml_path = os.path.join(os.path.dirname(path), "%s-%s.xml" % (node, name))
            with open(xml_path, "w") as handle:
                handle.write(self._disk_xml(path, self._free_target(root), serial))
            live = ["--live"] if self._domain_state(node) == "running" else []
            self._virsh(["attach-device", node, xml_path, "--config"] + live,
                        "attaching volume %s to node %s" % (name, node))
        return changed, self._volume(cluster, node, name, path, True)

    def remove_volume(self, cluster, node_name, volume_name, delete, check_mode=False):
        path = self.volume_file(cluster, node_name, volume_name)
        if not os.path.exists(path):
            return False, None
        changed = False
        result = self._volume(cluster, node_name, volume_name, path, False)
        if self._domain_exists(node_name):
            root = self._dumpxml(node_name)
            disk = self._attached_disk(root, path)
            if disk is not None:
                changed = True
                if not check_mode:
                    xml_path = os.path.join(os.path.dirname(path),
                                            "%s-%s.xml" % (node_name, volume_name))
                    with open(xml_path, "w") as handle:
                        handle.write(ET.tostring(disk, encoding="unicode"))
                    live = ["--live"] if self._domain_state(node_name) == "running" else []
                    self._virsh(["detach-device", node_name, xml_path, "--config"] + live,
                                "detaching volume %s from node %s" % (volume_name, node_name))
        if delete:
            changed = True
            if not check_mode:
                os.unlink(path)
                xml_path = os.path.join(os.path.dirname(path),
                                        "%s-%s.xml" % (node_name, volume_name))
                if os.path.exists(xml_path):
                    os.unlink(xml_path)
                # destroy deletes the volumes after the nodes and the cluster's resources
                self._remove_empty_dirs(cluster)
        return changed, result
