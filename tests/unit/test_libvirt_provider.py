# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The libvirt provider against a fake virsh (and qemu-img, xorriso, ssh-keygen, ssh).

``FakeVirsh`` answers exactly the command lines the provider runs, from in-memory domains and
networks kept as XML, as libvirt would: ``define`` stores the domain's XML, ``attach-device``
adds a ``<disk>`` to it, ``net-update`` adds or removes DHCP host entries, ``dumpxml`` and
``net-dumpxml`` return them. A command it does not model fails the test.
"""

from __future__ import annotations

import ipaddress
import json
import os
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers import openstack
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers.base import (
    ProviderError,
)
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers.libvirt import (
    METADATA_NS,
    LibvirtProvider,
    bridge_name,
    default_subnet,
    node_mac,
    volume_id,
)

GIB = 1024 ** 3
URI = "qemu:///system"


class FakeVirsh:
    """In-memory libvirt driven through the provider's runner."""

    def __init__(self):
        self.domains = {}   # name -> {"xml": Element, "state": "running" | "shut off"}
        self.networks = {}  # name -> {"xml": Element, "active": bool, "autostart": bool}
        self.calls = []
        self.ssh_output = (0, "rc=0\n", "")

    # the runner
    def __call__(self, argv):
        self.calls.append(list(argv))
        tool = argv[0]
        if tool == "virsh":
            assert argv[1:3] == ["-c", URI], argv
            handler = getattr(self, "virsh_" + argv[3].replace("-", "_"), None)
            if handler is None:
                raise AssertionError("fake virsh does not model %r" % argv)
            return handler(*argv[4:])
        if tool == "qemu-img":
            return self.qemu_img(argv[1:])
        if tool == "xorriso":
            iso = argv[argv.index("-o") + 1]
            assert argv[argv.index("-V") + 1] == "cidata"
            with open(iso, "w") as handle:
                handle.write("iso")
            return 0, "", ""
        if tool == "ssh-keygen":
            private = argv[argv.index("-f") + 1]
            with open(private, "w") as handle:
                handle.write("PRIVATE")
            with open(private + ".pub", "w") as handle:
                handle.write("ssh-ed25519 AAAAfake gridcloud-demo\n")
            return 0, "", ""
        if tool == "ssh":
            return self.ssh_output
        raise AssertionError("fake runner does not model %r" % argv)

    @staticmethod
    def qemu_img(args):
        assert args[0] == "create"
        path, size = args[-2], int(args[-1])
        with open(path, "wb") as handle:
            if "raw" in args:
                handle.truncate(size)
            else:
                handle.write(b"QFI\xfb")
        return 0, "", ""

    # domains
    def virsh_version(self):
        return 0, "Running hypervisor: QEMU 7.2.0\n", ""

    def virsh_list(self, *args):
        assert args == ("--all", "--name")
        return 0, "".join("%s\n" % name for name in sorted(self.domains)) + "\n", ""

    def _domain(self, name):
        return self.domains.get(name)

    def virsh_net_list(self, *args):
        assert args == ("--all", "--name")
        return 0, "".join("%s\n" % name for name in sorted(self.networks)) + "\n", ""

    def virsh_define(self, path):
        with open(path) as handle:
            root = ET.fromstring(handle.read())
        name = root.findtext("name")
        assert name not in self.domains
        ET.SubElement(root, "uuid").text = "uuid-%s" % name
        self.domains[name] = {"xml": root, "state": "shut off"}
        return 0, "Domain '%s' defined\n" % name, ""

    def virsh_dumpxml(self, name):
        domain = self._domain(name)
        if domain is None:
            return 1, "", "error: failed to get domain '%s'" % name
        return 0, ET.tostring(domain["xml"], encoding="unicode"), ""

    def virsh_domstate(self, name):
        domain = self._domain(name)
        if domain is None:
            return 1, "", "error: failed to get domain '%s'" % name
        return 0, domain["state"] + "\n\n", ""

    def virsh_start(self, name):
        self.domains[name]["state"] = "running"
        return 0, "", ""

    def virsh_destroy(self, name):
        if self.domains[name]["state"] != "running":
            return 1, "", "error: domain is not running"
        self.domains[name]["state"] = "shut off"
        return 0, "", ""

    def virsh_undefine(self, name):
        del self.domains[name]
        return 0, "", ""

    def virsh_attach_device(self, name, path, *flags):
        assert "--config" in flags
        domain = self.domains[name]
        assert ("--live" in flags) == (domain["state"] == "running")
        with open(path) as handle:
            disk = ET.fromstring(handle.read())
        domain["xml"].find("devices").append(disk)
        return 0, "", ""

    def virsh_detach_device(self, name, path, *flags):
        assert "--config" in flags
        with open(path) as handle:
            wanted = ET.fromstring(handle.read()).find("source").get("file")
        devices = self.domains[name]["xml"].find("devices")
        for disk in devices.findall("disk"):
            if disk.find("source").get("file") == wanted:
                devices.remove(disk)
                return 0, "", ""
        return 1, "", "error: no such disk"

    # networks
    def virsh_net_info(self, name):
        net = self.networks.get(name)
        if net is None:
            return 1, "", "error: network not found"
        return 0, "Name:           %s\nActive:         %s\nPersistent:     yes\n" % (
            name, "yes" if net["active"] else "no"), ""

    def virsh_net_define(self, path):
        with open(path) as handle:
            root = ET.fromstring(handle.read())
        self.networks[root.findtext("name")] = {"xml": root, "active": False, "autostart": False}
        return 0, "", ""

    def virsh_net_autostart(self, name):
        self.networks[name]["autostart"] = True
        return 0, "", ""

    def virsh_net_start(self, name):
        self.networks[name]["active"] = True
        return 0, "", ""

    def virsh_net_destroy(self, name):
        self.networks[name]["active"] = False
        return 0, "", ""

    def virsh_net_undefine(self, name):
        del self.networks[name]
        return 0, "", ""

    def virsh_net_dumpxml(self, name):
        net = self.networks.get(name)
        if net is None:
            return 1, "", "error: network not found"
        return 0, ET.tostring(net["xml"], encoding="unicode"), ""

    def virsh_net_update(self, name, command, section, xml, *flags):
        assert section == "ip-dhcp-host" and "--config" in flags
        dhcp = self.networks[name]["xml"].find("./ip/dhcp")
        entry = ET.fromstring(xml)
        if command == "add-last":
            dhcp.append(entry)
            return 0, "", ""
        assert command == "delete"
        for host in dhcp.findall("host"):
            if host.attrib == entry.attrib:
                dhcp.remove(host)
                return 0, "", ""
        return 1, "", "error: couldn't locate a matching dhcp host entry"

    # what the tests look at
    def disks(self, name):
        return self.domains[name]["xml"].findall("./devices/disk")

    def ran(self, *prefix):
        return [c for c in self.calls if c[:len(prefix)] == list(prefix)]


@pytest.fixture
def virsh():
    return FakeVirsh()


@pytest.fixture
def image(tmp_path):
    """A built image as scripts/build-vm-image.sh leaves it: hashed files, a linked manifest."""
    image_dir = tmp_path / "images"
    image_dir.mkdir()
    stem = image_dir / "gridcloud-vm-trixie-0123456789ab"
    for suffix in (".qcow2", ".vmlinuz", ".initrd"):
        (image_dir / (stem.name + suffix)).write_text("x")
    manifest = {"release": "trixie", "disk": str(stem) + ".qcow2",
                "kernel": str(stem) + ".vmlinuz", "initrd": str(stem) + ".initrd",
                "cmdline": "root=/dev/vda rw console=ttyS0,115200n8", "cloud_user": "debian"}
    (image_dir / (stem.name + ".json")).write_text(json.dumps(manifest))
    os.symlink(stem.name + ".json", str(image_dir / "gridcloud-vm-trixie.json"))
    return image_dir


@pytest.fixture
def settings(tmp_path, image):
    (tmp_path / "domain-type").write_text("qemu\n")
    return {"image_dir": str(image), "state_dir": str(tmp_path / "state"),
            "subnet": "192.168.150.0/24", "domain_type_file": str(tmp_path / "domain-type"),
            "poll_interval": 0}


@pytest.fixture
def provider(settings, virsh):
    return LibvirtProvider(settings, virsh)


def make_node(provider, kind="frontend", index=1, resources=None):
    provider.ensure_cluster_resources("demo")
    return provider.create_node("demo", "trixie", kind, index,
                                {"resources": resources or {"memory": "4GiB"}})


# --------------------------------------------------------------------------- the definition

def test_settings_are_checked_with_actionable_messages():
    problems = []
    LibvirtProvider.validate_settings(
        {"subnet": "10.0.0.1/24", "domain_type": "xen", "public_key_file": "/k.pub",
         "state_dir": "relative", "colour": "red"}, "cluster.libvirt", problems)
    text = "\n".join(problems)
    assert "cluster.libvirt.colour: unknown key" in text
    assert "cluster.libvirt.subnet: '10.0.0.1/24' is not an IPv4 subnet" in text
    assert "cluster.libvirt.domain_type: use auto, kvm, qemu" in text
    assert "give public_key_file and private_key_file together" in text
    assert "cluster.libvirt.state_dir: must be an absolute path" in text

    problems = []
    LibvirtProvider.validate_settings({"subnet": "192.168.150.0/24", "domain_type": "auto"},
                                      "cluster.libvirt", problems)
    assert problems == []


def test_kind_resources_are_checked():
    problems = []
    LibvirtProvider.validate_kind("compute", {"resources": {"cpus": 0, "memory": "lots",
                                                            "disk": "20GiB"}},
                                  "cluster.nodes.compute", problems)
    assert problems == [
        "cluster.nodes.compute.resources.cpus: must be a whole number of vCPUs, 1 or more (got 0)",
        "cluster.nodes.compute.resources.memory: 'lots' is not a size; write for example 2GiB",
    ]


# --------------------------------------------------------------------------- cluster-wide

def test_cluster_resources_key_and_network_made_once(provider, virsh, settings):
    assert provider.ensure_cluster_resources("demo", check_mode=True) is True
    assert virsh.networks == {} and not os.path.exists(settings["state_dir"])

    assert provider.ensure_cluster_resources("demo") is True
    net = virsh.networks["demo-net"]
    assert net["active"] and net["autostart"]
    root = net["xml"]
    assert root.find("forward").get("mode") == "nat"
    assert root.find("bridge").get("name") == bridge_name("demo")
    assert len(bridge_name("demo")) <= 15
    assert root.find("ip").get("address") == "192.168.150.1"
    assert root.find("./ip/dhcp/range").get("start") == "192.168.150.192"
    assert os.path.exists(os.path.join(settings["state_dir"], "demo", "ssh", "id_ed25519.pub"))

    calls = len(virsh.calls)
    assert provider.ensure_cluster_resources("demo") is False
    assert not [c for c in virsh.calls[calls:] if c[3] in ("net-define", "net-start")]


def test_a_stopped_network_is_started(provider, virsh):
    provider.ensure_cluster_resources("demo")
    virsh.networks["demo-net"]["active"] = False
    assert provider.ensure_cluster_resources("demo") is True
    assert virsh.networks["demo-net"]["active"] is True


def test_check_request_names_the_missing_image_and_the_make_target(provider, settings):
    os.unlink(os.path.join(settings["image_dir"], "gridcloud-vm-trixie.json"))
    with pytest.raises(ProviderError) as info:
        provider.check_cluster_request("demo", "trixie", {"compute": {"count": 2}})
    assert "make vm-image RELEASE=trixie" in str(info.value)


def test_check_request_sums_the_memory_of_every_kind(provider, monkeypatch):
    monkeypatch.setattr(LibvirtProvider, "_memory_available", staticmethod(lambda: 6 * GIB))
    provider.check_cluster_request("demo", "trixie", {"frontend": {"count": 1, "resources": {
        "memory": "2GiB"}}, "compute": {"count": 2, "resources": {"memory": "2GiB"}}})
    with pytest.raises(ProviderError) as info:
        provider.check_cluster_request("demo", "trixie", {
            "frontend": {"count": 1, "resources": {"memory": "4GiB"}},
            "compute": {"count": 2, "resources": {"memory": "2GiB"}}})
    assert "need 8192 MiB of memory, this machine has 6144 MiB available" in str(info.value)


def test_check_request_refuses_kvm_where_the_probe_found_it_unusable(settings, virsh):
    provider = LibvirtProvider(dict(settings, domain_type="kvm"), virsh)
    with pytest.raises(ProviderError) as info:
        provider.check_cluster_request("demo", "trixie", {"compute": {"count": 1}})
    assert "found KVM not usable" in str(info.value)


def _other_network(virsh, name, address):
    virsh.networks[name] = {"xml": ET.fromstring(
        "<network><name>%s</name><bridge name='virbr9'/><ip address='%s' netmask='255.255.255.0'>"
        "<dhcp/></ip></network>" % (name, address)), "active": True, "autostart": True}


def test_check_request_refuses_a_subnet_another_network_uses(provider, virsh, monkeypatch):
    monkeypatch.setattr(LibvirtProvider, "_host_routes", staticmethod(lambda: []))
    _other_network(virsh, "default", "192.168.122.1")
    provider.check_cluster_request("demo", "trixie", {"compute": {"count": 1}})
    _other_network(virsh, "elsewhere", "192.168.150.1")  # the subnet demo's settings give
    with pytest.raises(ProviderError) as info:
        provider.check_cluster_request("demo", "trixie", {"compute": {"count": 1}})
    message = str(info.value)
    assert "cluster.libvirt.subnet 192.168.150.0/24 overlaps libvirt " \
           "network elsewhere 192.168.150.0/24" in message
    assert "set cluster.libvirt.subnet to a free one such as 192.168.100.0/24" in message
    # once the cluster's own network exists, its subnet is what it is: no check
    virsh.networks.pop("elsewhere")
    provider.ensure_cluster_resources("demo")
    _other_network(virsh, "elsewhere", "192.168.150.1")
    provider.check_cluster_request("demo", "trixie", {"compute": {"count": 1}})


def test_check_request_refuses_a_subnet_of_a_host_route(settings, virsh, monkeypatch):
    monkeypatch.setattr(LibvirtProvider, "_host_routes", staticmethod(lambda: [
        (ipaddress.IPv4Network("192.168.0.0/16"), "eth1")]))
    unset = {key: value for key, value in settings.items() if key != "subnet"}
    provider = LibvirtProvider(unset, virsh)
    with pytest.raises(ProviderError) as info:
        provider.check_cluster_request("demo", "trixie", {"compute": {"count": 1}})
    assert "the subnet chosen from the cluster's name %s overlaps a route of this machine " \
           "(eth1) 192.168.0.0/16; set cluster.libvirt.subnet to a free one\n" \
           % default_subnet("demo") in str(info.value) + "\n"


def test_host_routes_are_read_from_proc():
    routes = LibvirtProvider._host_routes()  # pylint: disable=protected-access
    assert all(subnet.prefixlen > 0 for subnet, _iface in routes)


# --------------------------------------------------------------------------- nodes

def test_node_is_a_tcg_domain_on_an_overlay_with_a_nocloud_seed(provider, virsh, settings, image):
    node = make_node(provider)

    assert node["name"] == "demo-frontend001"
    assert node["state"] == "running"
    assert (node["cluster"], node["kind"], node["index"]) == ("demo", "frontend", 1)
    assert node["address"] == "192.168.150.10"
    root = virsh.domains["demo-frontend001"]["xml"]
    assert root.get("type") == "qemu"
    assert root.findtext("memory") == "4096"
    assert root.findtext("./os/kernel") == str(image / "gridcloud-vm-trixie-0123456789ab.vmlinuz")
    assert root.findtext("./os/cmdline").startswith("root=/dev/vda")
    meta = root.find("./metadata/{%s}node" % METADATA_NS)
    assert meta.findtext("{%s}kind" % METADATA_NS) == "frontend"
    assert root.find("./devices/interface/mac").get("address") == node_mac("demo-frontend001")
    assert root.find("./devices/interface/source").get("network") == "demo-net"
    assert len(root.findall("./devices/controller[@model='pcie-root-port']")) >= 8
    # the overlay's backing file is the hashed image, never a link that a rebuild moves
    create = virsh.ran("qemu-img", "create")[0]
    assert create[create.index("-b") + 1] == str(image / "gridcloud-vm-trixie-0123456789ab.qcow2")
    assert create[-1] == str(20 * GIB)
    # the seed: the cloud user with the cluster's key and sudo, the hostname
    node_dir = os.path.join(settings["state_dir"], "demo", "nodes", "demo-frontend001")
    with open(os.path.join(node_dir, "user-data")) as handle:
        text = handle.read()
    assert text.startswith("#cloud-config\n")
    user_data = json.loads(text.split("\n", 1)[1])
    assert user_data["users"][0]["name"] == "debian"
    assert user_data["users"][0]["sudo"] == "ALL=(ALL) NOPASSWD:ALL"
    assert user_data["users"][0]["ssh_authorized_keys"] == ["ssh-ed25519 AAAAfake gridcloud-demo"]
    assert user_data["hostname"] == "demo-frontend001"
    # the name the network's DNS gives it, told to cloud-init and to the /etc/hosts block
    assert user_data["fqdn"] == node["fqdn"] == "demo-frontend001.demo.internal"
    assert virsh.networks["demo-net"]["xml"].find("domain").get("name") == "demo.internal"
    with open(os.path.join(node_dir, "meta-data")) as handle:
        assert "local-hostname: demo-frontend001" in handle.read()
    seed = [d for d in root.findall("./devices/disk") if d.get("device") == "cdrom"][0]
    assert seed.find("source").get("file") == os.path.join(node_dir, "seed.iso")
    # the address is a DHCP host entry: fixed, and the node's name in the network's DNS
    host = virsh.networks["demo-net"]["xml"].find("./ip/dhcp/host")
    assert host.attrib == {"mac": node_mac("demo-frontend001"), "name": "demo-frontend001",
                           "ip": "192.168.150.10"}


def test_connection_is_ssh_as_the_cloud_user_with_become(provider, settings):
    node = make_node(provider)
    key = os.path.join(settings["state_dir"], "demo", "ssh", "id_ed25519")
    assert node["connection"] == {
        "ansible_connection": "ssh",
        "ansible_host": "192.168.150.10",
        "ansible_user": "debian",
        "ansible_become": True,
        "ansible_pipelining": True,
        "ansible_remote_tmp": "/tmp/.ansible-$USER",
        "ansible_timeout": 60,
        "ansible_ssh_private_key_file": key,
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
    }
    assert provider.login_command("demo", node["name"], node) == "ssh -i %s debian@192.168.150.10" % key


def test_domain_type_auto_follows_the_probe(settings, virsh, tmp_path):
    (tmp_path / "domain-type").write_text("kvm\n")
    assert LibvirtProvider(settings, virsh).domain_type() == "kvm"
    os.unlink(str(tmp_path / "domain-type"))
    assert LibvirtProvider(settings, virsh).domain_type() == "qemu"
    assert LibvirtProvider(dict(settings, domain_type="kvm"), virsh).domain_type() == "kvm"


def test_nodes_are_adopted_by_metadata_and_listed_in_order(provider, virsh):
    make_node(provider, "compute", 2)
    make_node(provider, "compute", 1)
    make_node(provider, "frontend", 1)
    # a domain whose name looks like the cluster's but that carries no metadata is not ours
    stranger = ET.fromstring("<domain><name>demo-compute009</name><devices/></domain>")
    virsh.domains["demo-compute009"] = {"xml": stranger, "state": "running"}

    nodes = provider.list_nodes("demo")

    assert [n["name"] for n in nodes] == ["demo-compute001", "demo-compute002",
                                          "demo-frontend001"]
    assert [n["address"] for n in nodes] == ["192.168.150.11", "192.168.150.10",
                                             "192.168.150.12"]
    assert provider.list_nodes("other") == []


def test_stopped_node_is_started(provider, virsh):
    node = make_node(provider)
    virsh.domains[node["name"]]["state"] = "shut off"
    node = provider.list_nodes("demo")[0]
    assert node["state"] == "stopped"
    assert provider.start_node(node)["state"] == "running"


def test_wait_node_logs_in_and_waits_for_cloud_init(provider, virsh, monkeypatch):
    monkeypatch.setattr(LibvirtProvider, "_port_open", staticmethod(lambda host, port: True))
    node = make_node(provider)
    assert provider.wait_node(node, timeout=5)["address"] == "192.168.150.10"
    ssh = virsh.ran("ssh")[-1]
    assert "debian@192.168.150.10" in ssh and "cloud-init status --wait" in ssh[-1]

    virsh.ssh_output = (0, "rc=1\n", "")
    with pytest.raises(ProviderError) as info:
        provider.wait_node(node, timeout=5)
    assert "cloud-init failed" in str(info.value)

    virsh.ssh_output = (255, "", "Permission denied (publickey)")
    with pytest.raises(ProviderError) as info:
        provider.wait_node(node, timeout=0)
    assert "ssh as debian did not work" in str(info.value)
    assert "console.log" in str(info.value)


def test_delete_node_and_cluster_resources(provider, virsh, settings):
    node = make_node(provider)
    provider.delete_node(node)
    assert virsh.domains == {}
    assert virsh.networks["demo-net"]["xml"].findall("./ip/dhcp/host") == []
    assert not os.path.exists(os.path.join(settings["state_dir"], "demo", "nodes",
                                           "demo-frontend001"))

    assert provider.delete_cluster_resources("demo", check_mode=True) == [
        "network demo-net",
        "ssh key %s" % os.path.join(settings["state_dir"], "demo", "ssh", "id_ed25519")]
    assert "demo-net" in virsh.networks
    assert os.path.isdir(os.path.join(settings["state_dir"], "demo"))
    provider.delete_cluster_resources("demo")
    assert virsh.networks == {}
    assert not os.path.exists(os.path.join(settings["state_dir"], "demo"))
    assert provider.delete_cluster_resources("demo") == []


def test_cluster_resources_removal_keeps_the_dir_of_a_kept_volume(provider, virsh, settings):
    make_node(provider)
    kept = provider.volume_file("demo", "demo-frontend001", "grid")
    os.makedirs(os.path.dirname(kept), exist_ok=True)
    with open(kept, "w") as handle:
        handle.write("data")
    for node in provider.list_nodes("demo"):
        provider.delete_node(node)
    provider.delete_cluster_resources("demo")
    assert os.path.exists(kept)
    assert not os.path.exists(os.path.join(settings["state_dir"], "demo", "nodes"))
    assert not os.path.exists(os.path.join(settings["state_dir"], "demo", "ssh"))
    # destroy with policy delete removes the volumes last: then nothing of the cluster is left
    provider.remove_volume("demo", "demo-frontend001", "grid", delete=True)
    assert not os.path.exists(os.path.join(settings["state_dir"], "demo"))


def test_a_network_the_provider_did_not_make_is_left_alone(settings, virsh):
    provider = LibvirtProvider(dict(settings, network="default"), virsh)
    virsh.networks["default"] = {"xml": ET.fromstring(
        "<network><name>default</name><bridge name='virbr0'/><ip><dhcp/></ip></network>"),
        "active": True, "autostart": True}
    assert "network default" not in provider.delete_cluster_resources("demo")
    assert "default" in virsh.networks


# --------------------------------------------------------------------------- volumes

def test_volume_device_is_virtio_serial_by_id_as_on_openstack(provider, virsh):
    """The by-id path the provider reports is the one the guest shows, by openstack's rule.

    virtio-blk gives a guest at most 20 characters of a disk's serial and udev names the disk
    /dev/disk/by-id/virtio-<serial> (a disk with serial gcproof0123456789abc showed up as
    /dev/disk/by-id/virtio-gcproof0123456789abc in a trixie VM here). The provider's volume id
    is uuid-shaped like Cinder's, the serial is its first 20 characters, and the path comes
    from the openstack provider's own volume_device_path.
    """
    make_node(provider)
    changed, volume = provider.ensure_volume("demo", "demo-frontend001",
                                             {"name": "grid", "size_bytes": 2 * GIB})

    assert changed is True
    assert volume["id"] == volume_id("demo", "demo-frontend001", "grid")
    disk = [d for d in virsh.disks("demo-frontend001") if d.findtext("serial")][0]
    serial = disk.findtext("serial")
    assert len(serial) == openstack.VIRTIO_SERIAL_LENGTH == 20
    assert serial == volume["id"][:20] == volume["serial"]
    assert volume["device"] == "/dev/disk/by-id/virtio-%s" % serial
    assert volume["device"] == openstack.volume_device_path(volume["id"])
    assert "/dev/vd" not in volume["device"]
    assert disk.find("target").get("bus") == "virtio"
    assert disk.find("target").get("dev") == "vdb"
    assert volume["attached"] is True and volume["size_bytes"] == 2 * GIB


def test_volume_attached_once_live_and_kept_in_the_definition(provider, virsh):
    make_node(provider)
    spec = {"name": "grid", "size_bytes": GIB}
    provider.ensure_volume("demo", "demo-frontend001", spec)
    attach = virsh.ran("virsh", "-c", URI, "attach-device")
    assert attach[0][-2:] == ["--config", "--live"]

    changed, again = provider.ensure_volume("demo", "demo-frontend001", spec)
    assert changed is False and again["attached"] is True
    assert len(virsh.ran("virsh", "-c", URI, "attach-device")) == 1
    assert provider.get_volume("demo", "demo-frontend001", "grid") == again

    # a second volume takes the next virtio name; a stopped node gets it in its definition only
    virsh.domains["demo-frontend001"]["state"] = "shut off"
    _changed, second = provider.ensure_volume("demo", "demo-frontend001",
                                              {"name": "data", "size_bytes": GIB})
    targets = sorted(d.find("target").get("dev") for d in virsh.disks("demo-frontend001"))
    assert targets == ["sda", "vda", "vdb", "vdc"]
    assert second["device"] != again["device"]


def test_volume_check_mode_predicts_and_does_nothing(provider, virsh):
    changed, planned = provider.ensure_volume("demo", "demo-frontend001",
                                              {"name": "grid", "size_bytes": GIB},
                                              check_mode=True)
    assert changed is True and planned["attached"] is False
    assert planned["device"].startswith("/dev/disk/by-id/virtio-")
    assert virsh.ran("qemu-img") == []
    with pytest.raises(ProviderError) as info:
        provider.ensure_volume("demo", "demo-frontend001", {"name": "grid", "size_bytes": GIB})
    assert "node demo-frontend001 does not exist; create the node first" in str(info.value)


def test_volume_removed_keeps_or_deletes_its_file(provider, virsh):
    make_node(provider)
    spec = {"name": "grid", "size_bytes": GIB}
    _changed, volume = provider.ensure_volume("demo", "demo-frontend001", spec)

    changed, kept = provider.remove_volume("demo", "demo-frontend001", "grid", delete=False)
    assert changed is True and kept["attached"] is False
    assert os.path.exists(volume["file"])
    assert not [d for d in virsh.disks("demo-frontend001") if d.findtext("serial")]

    # the kept volume is attached again with the same serial: the same path in the node
    _changed, back = provider.ensure_volume("demo", "demo-frontend001", spec)
    assert back["device"] == volume["device"]

    changed, _gone = provider.remove_volume("demo", "demo-frontend001", "grid", delete=True)
    assert changed is True and not os.path.exists(volume["file"])
    assert provider.remove_volume("demo", "demo-frontend001", "grid", delete=True) == (False, None)


def test_a_users_network_gives_addresses_from_its_own_subnet(settings, virsh):
    provider = LibvirtProvider(dict(settings, network="default"), virsh)
    virsh.networks["default"] = {"xml": ET.fromstring(
        "<network><name>default</name><bridge name='virbr0'/>"
        "<ip address='192.168.122.1' netmask='255.255.255.0'><dhcp>"
        "<range start='192.168.122.2' end='192.168.122.254'/></dhcp></ip></network>"),
        "active": True, "autostart": True}
    assert provider.ensure_cluster_resources("demo") is True  # the key only
    node = provider.create_node("demo", "trixie", "compute", 1, {"resources": {}})
    assert node["address"] == "192.168.122.10"
