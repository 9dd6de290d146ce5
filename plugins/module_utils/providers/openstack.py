# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The openstack provider: a cluster of servers on an OpenStack cloud, with openstacksdk.

What it makes, all named after the cluster so that a later run finds and adopts it:

- servers ``<cluster>-<kind>NNN`` with the metadata ``gridcloud_cluster``, ``gridcloud_kind``
  and ``gridcloud_index``; optionally booted from a volume and in an anti-affinity server
  group ``<cluster>-<kind>``;
- a keypair ``<cluster>-key`` from ``public_key_file`` (unless ``key_name`` names one);
- a security group ``<cluster>``: ssh from anywhere, https (443) only when ``rest_interface``
  is true, and every protocol between members of the group;
- floating IPs (description ``gridcloud <cluster>``) for the kinds in ``floating_ip_kinds``
  (default: frontend) when ``floating_network`` is set;
- Cinder volumes ``<node>-<volume>`` with the same metadata plus ``gridcloud_node`` and
  ``gridcloud_volume``, seen in the node as ``/dev/disk/by-id/virtio-<first 20 chars of the
  volume id>`` (the serial that virtio-blk gives the disk);
- for a cluster with elastic kinds, what its SLURM controller needs to make and remove nodes
  itself, in the cluster's secrets directory: an application credential
  ``gridcloud-<cluster>-elastic`` of the user who runs ``create`` (its clouds.yaml,
  ``openstack-elastic-clouds.yaml``, mode 0600) and an ssh key (``elastic-ssh-key``) that
  every server of the cluster accepts (cloud-init's ``ssh_authorized_keys``). ``destroy``
  deletes both once the servers are gone.

openstacksdk is imported only when the provider is used, so the podman provider needs none of it.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import json
import math
import os
import re
import socket
import time

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.definition import (
    check_size,
    node_name,
    parse_size,
)
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers.base import (
    Provider,
    ProviderError,
    check_setting_keys,
    make_ssh_key,
    ssh_login_vars,
)

META_CLUSTER = "gridcloud_cluster"
META_KIND = "gridcloud_kind"
META_INDEX = "gridcloud_index"
META_NODE = "gridcloud_node"
META_VOLUME = "gridcloud_volume"
# Set on the servers that accept the elastic ssh key (clusters with elastic kinds).
META_ELASTIC_KEY = "gridcloud_elastic_key"
# In the cluster's secrets directory: the clouds.yaml of the application credential the SLURM
# controller makes elastic nodes with (its one cloud), and the controller's ssh key.
ELASTIC_CLOUDS_FILE = "openstack-elastic-clouds.yaml"
ELASTIC_CLOUD = "gridcloud-elastic"
ELASTIC_SSH_KEY = "elastic-ssh-key"
GIB = 1024 ** 3
DEFAULT_SSH_USER = "debian"
DEFAULT_BOOT_VOLUME_SIZE = "20GiB"
DEFAULT_POLL_INTERVAL = 5
DEFAULT_VOLUME_TIMEOUT = 300
DEFAULT_DELETE_TIMEOUT = 300
VIRTIO_SERIAL_LENGTH = 20
SERVER_STATES = {
    "ACTIVE": "running",
    "SHUTOFF": "stopped",
    "STOPPED": "stopped",
    "PAUSED": "paused",
    "SUSPENDED": "suspended",
    "BUILD": "building",
    "REBUILD": "building",
    "HARD_REBOOT": "building",
    "REBOOT": "building",
    "ERROR": "error",
}


def volume_device_path(volume_id):
    """The stable path of a Cinder volume in its server: the virtio serial is the id's start."""
    return "/dev/disk/by-id/virtio-%s" % volume_id[:VIRTIO_SERIAL_LENGTH]


def cinder_volume_name(node, volume_name):
    return "%s-%s" % (node, volume_name)


def size_gib(size_bytes):
    """Cinder sizes are whole GiB: round up."""
    return max(1, int(math.ceil(size_bytes / float(GIB))))


def application_credential_name(cluster):
    """The application credential the SLURM controller of ``cluster`` makes elastic nodes with."""
    return "gridcloud-%s-elastic" % cluster


def _import_sdk():
    try:
        import openstack  # pylint: disable=import-outside-toplevel
        import openstack.config  # noqa: F401 pylint: disable=import-outside-toplevel
        import openstack.exceptions  # noqa: F401 pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise ProviderError(
            "provider openstack needs the Python package openstacksdk on the machine that runs "
            "Ansible (pip install openstacksdk; requirements.txt pins it): %s" % exc)
    return openstack


def _bool(value):
    """Settings may come through templates as strings: "True", "false", "yes"."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y")
    return bool(value)


DEFAULT_SOURCES = ("0.0.0.0/0",)


def _check_sources(value, path, problems):
    """A list of CIDRs (IPv4 or IPv6) whose host bits are zero, as Neutron's rules take them."""
    if value is None:
        return
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append("%s: must be a list of CIDRs such as [192.0.2.0/24, 2001:db8::/32] "
                        "(got %r)" % (path, value))
        return
    for cidr in value:
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            try:
                network = ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                problems.append("%s: %r is not a CIDR such as 192.0.2.0/24" % (path, cidr))
                continue
            problems.append("%s: %s has host bits set; write %s" % (path, cidr, network))


def _sources(settings, key):
    """The CIDRs of ``key`` as (ethertype, cidr), the default when not set."""
    value = settings.get(key)
    cidrs = DEFAULT_SOURCES if value is None else value
    return [("IPv%d" % ipaddress.ip_network(c).version, str(ipaddress.ip_network(c)))
            for c in cidrs]


def _limit(value):
    """A quota limit: None when unlimited (-1) or unknown."""
    if value is None or value < 0:
        return None
    return value


SETTINGS_KEYS = {
    "cloud": "a cloud of clouds.yaml",
    "clouds_file": "the clouds.yaml to read cloud from (default: openstacksdk's search path)",
    "auth": "auth dict (auth_url, username, password, project_name, ...) instead of cloud",
    "auth_type": "keystoneauth plugin for auth",
    "region_name": "region",
    "interface": "endpoint interface (public, internal)",
    "verify": "verify TLS certificates",
    "cacert": "CA bundle for the cloud's endpoints",
    "image": "image of every server (a kind's image overrides it)",
    "network": "network the servers join",
    "ssh_user": "login user of the image",
    "ssh_port": "port waited for",
    "ssh_address": "address Ansible connects to: floating (default; a floating IP, else through "
                   "a node with one) or fixed (directly, from inside the cluster's network)",
    "wait_for_ssh": "wait for the ssh port after ACTIVE",
    "public_key_file": "public key for the keypair <cluster>-key",
    "private_key_file": "private key Ansible logs in with",
    "key_name": "an existing keypair instead",
    "floating_network": "external network of the floating IPs",
    "floating_ip_kinds": "kinds that get a floating IP",
    "proxy_jump": "reach nodes without a floating IP through one that has one",
    "keep_failed_servers": "leave a server that went to ERROR for inspection",
    "anti_affinity": "servers of a kind on different hypervisors (true or soft)",
    "boot_from_volume": "boot from a volume made from the image",
    "boot_volume_size": "size of the boot volume",
    "volume_type": "Cinder volume type",
    "adopt_volumes": "existing volumes to adopt: <node>-<volume> -> volume id",
    "availability_zone": "availability zone of servers and volumes",
    "rest_interface": "open https (443); by default when vars.arc_ce_mode is rest",
    "ssh_sources": "CIDRs that may reach ssh (22); default anywhere: [0.0.0.0/0]",
    "https_sources": "CIDRs that may reach https (443) with rest_interface; default anywhere",
    "poll_interval": "seconds between status polls",
    "volume_timeout": "seconds to wait for a volume",
    "delete_timeout": "seconds to wait for a server to go",
}
STRING_KEYS = ("cloud", "clouds_file", "auth_type", "region_name", "interface", "cacert", "image", "network",
               "ssh_user", "public_key_file", "private_key_file", "key_name", "floating_network",
               "volume_type", "availability_zone")
BOOL_KEYS = ("verify", "wait_for_ssh", "boot_from_volume", "rest_interface", "proxy_jump",
             "keep_failed_servers")
NUMBER_KEYS = ("ssh_port", "poll_interval", "volume_timeout", "delete_timeout")


class OpenStackProvider(Provider):
    name = "openstack"
    settings_keys = SETTINGS_KEYS
    resource_keys = {"flavor": "OpenStack flavor"}
    # the SLURM controller makes elastic nodes with the cluster's application credential
    elastic = True

    # ----------------------------------------------------------------- the definition
    @classmethod
    def validate_settings(cls, settings, path, problems):
        """Keys and types of ``cluster.openstack``; what the cloud has is checked later."""
        check_setting_keys(settings, SETTINGS_KEYS, path, problems)
        for key in STRING_KEYS:
            value = settings.get(key)
            if value is not None and (not isinstance(value, str) or not value):
                problems.append("%s.%s: must be a non-empty string (got %r)" % (path, key, value))
        for key in BOOL_KEYS:
            value = settings.get(key)
            if value is not None and not isinstance(value, bool):
                problems.append("%s.%s: must be true or false (got %r)" % (path, key, value))
        for key in NUMBER_KEYS:
            value = settings.get(key)
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, (int, float)) or value < 0):
                problems.append("%s.%s: must be a number of 0 or more (got %r)"
                                % (path, key, value))
        if settings.get("cloud") is not None and settings.get("auth") is not None:
            problems.append("%s: give cloud (a cloud of clouds.yaml) or auth, not both" % path)
        auth = settings.get("auth")
        if auth is not None and (not isinstance(auth, dict) or "auth_url" not in auth):
            problems.append("%s.auth: must be a mapping with at least auth_url (as in "
                            "clouds.yaml)" % path)
        if settings.get("ssh_address") not in (None, "floating", "fixed"):
            problems.append("%s.ssh_address: use floating or fixed (got %r)"
                            % (path, settings["ssh_address"]))
        if settings.get("clouds_file") is not None and settings.get("cloud") is None:
            problems.append("%s.clouds_file: name the cloud of that file in %s.cloud"
                            % (path, path))
        if settings.get("anti_affinity") not in (None, True, False, "soft"):
            problems.append("%s.anti_affinity: use true, false or soft (got %r)"
                            % (path, settings["anti_affinity"]))
        kinds = settings.get("floating_ip_kinds")
        if kinds is not None and (not isinstance(kinds, list)
                                  or not all(isinstance(k, str) for k in kinds)):
            problems.append("%s.floating_ip_kinds: must be a list of node kinds such as "
                            "[frontend]" % path)
        adopt = settings.get("adopt_volumes")
        if adopt is not None and (not isinstance(adopt, dict) or not all(
                isinstance(k, str) and isinstance(v, str) and v for k, v in adopt.items())):
            problems.append("%s.adopt_volumes: must map volume names <node>-<volume> to volume "
                            "ids, for example {grid1-frontend001-grid: 5f0c1a9e-...}" % path)
        check_size(settings.get("boot_volume_size"), path + ".boot_volume_size", "20GiB",
                   problems)
        for key in ("ssh_sources", "https_sources"):
            _check_sources(settings.get(key), "%s.%s" % (path, key), problems)
        return dict(settings)

    @classmethod
    def validate_kind(cls, kind, spec, path, problems):
        resources = spec.get("resources", {})
        if isinstance(resources, dict) and not resources.get("flavor"):
            problems.append("%s.resources.flavor: required with provider openstack; name a "
                            "flavor of your cloud, for example m1.medium" % path)

    @classmethod
    def derive_settings(cls, settings, definition):
        """https (443) is opened when some node's ARC CE serves REST (vars.arc_ce_mode rest),
        unless ``rest_interface`` says otherwise. With elastic kinds, ``elastic_secrets_dir``:
        where the SLURM controller's credential and ssh key are kept (the secrets directory)."""
        derived = dict(settings)
        if any(spec.get("elastic") for spec in definition["nodes"].values()):
            derived["elastic_secrets_dir"] = definition["secrets_dir"]
        if derived.get("rest_interface") is None:
            has_ce = any(spec["count"] > 0 and "arc_ce" in spec["groups"]
                         for spec in definition["nodes"].values())
            mode = definition["vars"].get("arc_ce_mode", "internal")
            derived["rest_interface"] = bool(has_ce and mode == "rest")
        return derived

    @classmethod
    def elastic_controller(cls, settings):
        """openstacksdk from Debian for the provider, the ssh client for Ansible's connection."""
        return {"packages": ["python3-openstacksdk", "openssh-client"], "environment": {},
                "collections": []}

    @classmethod
    def controller_settings(cls, settings, cluster, secrets_dir):
        """The controller's copy: the application credential's cloud instead of the user's
        credentials, the controller's ssh key, nodes reached at their fixed address (the
        controller is in their network) and the cluster's keypair by name (made by create;
        the controller never makes or removes it)."""
        copy = {key: value for key, value in settings.items()
                if key not in ("cloud", "clouds_file", "auth", "auth_type", "region_name",
                               "interface", "verify", "cacert", "public_key_file",
                               "private_key_file", "ssh_address")}
        copy.update({"cloud": ELASTIC_CLOUD,
                     "clouds_file": os.path.join(secrets_dir, ELASTIC_CLOUDS_FILE),
                     "private_key_file": os.path.join(secrets_dir, ELASTIC_SSH_KEY),
                     "ssh_address": "fixed",
                     "key_name": settings.get("key_name") or "%s-key" % cluster})
        return copy

    def __init__(self, settings, runner=None):
        super().__init__(settings, runner)
        if not self.settings.get("cloud") and not self.settings.get("auth"):
            raise ProviderError(
                "provider openstack needs cluster.openstack.cloud (a cloud of clouds.yaml) or "
                "cluster.openstack.auth (auth_url, username, password, project...)")
        self._conn = None
        self._sdk = None
        self.poll_interval = float(self.settings.get("poll_interval", DEFAULT_POLL_INTERVAL))

    # ----------------------------------------------------------------- connection, errors
    @property
    def conn(self):
        if self._conn is None:
            self._sdk = _import_sdk()
            with self._cloud("connecting to the cloud"):
                options = {}
                for key in ("region_name", "interface", "verify", "cacert", "auth_type"):
                    if self.settings.get(key) is not None:
                        options[key] = self.settings[key]
                if self.settings.get("auth"):
                    self._conn = self._sdk.connection.Connection(
                        auth=dict(self.settings["auth"]), **options)
                elif self.settings.get("clouds_file"):
                    self._conn = self._connect_clouds_file(options)
                else:
                    self._conn = self._sdk.connect(cloud=self.settings["cloud"], **options)
        return self._conn

    def _connect_clouds_file(self, options):
        path = os.path.expanduser(self.settings["clouds_file"])
        if not os.path.isfile(path):
            raise ProviderError(
                "cluster.openstack.clouds_file: %s does not exist%s" % (path, (
                    "; it is the SLURM controller's copy of the elastic credential, which "
                    "setup writes: run the create playbook again"
                    if os.path.basename(path) == ELASTIC_CLOUDS_FILE else "")))
        config = self._sdk.config.OpenStackConfig(config_files=[path], vendor_files=[])
        return self._sdk.connection.Connection(
            config=config.get_one(cloud=self.settings["cloud"], **options))

    @contextlib.contextmanager
    def _cloud(self, what):
        """Turn any error of openstacksdk or keystoneauth into a ProviderError naming ``what``."""
        try:
            yield
        except ProviderError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            if not self._is_cloud_error(exc):
                raise
            raise ProviderError("%s failed: %s" % (what, self._describe(exc)))

    def _is_cloud_error(self, exc):
        module = type(exc).__module__ or ""
        return module.startswith(("openstack", "keystoneauth1", "os_service_types")) \
            or isinstance(exc, (ValueError, KeyError)) and module.startswith("openstack")

    @staticmethod
    def _describe(exc):
        status = getattr(exc, "status_code", None)
        details = getattr(exc, "details", None) or getattr(exc, "message", None) or str(exc)
        text = str(details).strip()
        lowered = text.lower()
        if status in (403, 413) and ("quota" in lowered or "limit" in lowered or status == 413):
            return "quota exceeded (HTTP %s): %s; free resources or ask for a larger quota" \
                % (status, text)
        if status:
            return "HTTP %s: %s" % (status, text)
        return text

    def _find(self, finder, name_or_id):
        """``finder(name_or_id)`` or None when not found (find_*'s ignore_missing is deprecated)."""
        try:
            return finder(name_or_id, ignore_missing=False)
        except self._sdk.exceptions.NotFoundException:
            return None

    def _sleep(self):
        if self.poll_interval > 0:
            time.sleep(self.poll_interval)

    # ----------------------------------------------------------------- names and settings
    def keypair_name(self, cluster):
        return self.settings.get("key_name") or "%s-key" % cluster

    @staticmethod
    def security_group_name(cluster):
        return cluster

    @staticmethod
    def server_group_name(cluster, kind):
        return "%s-%s" % (cluster, kind)

    def image(self, spec=None):
        if spec and spec.get("image"):
            return spec["image"]
        return self.settings.get("image")

    def floating_ip_kinds(self):
        kinds = self.settings.get("floating_ip_kinds")
        if kinds is None:
            kinds = ["frontend"]
        return list(kinds)

    def wants_floating_ip(self, kind):
        return bool(self.settings.get("floating_network")) and kind in self.floating_ip_kinds()

    def _public_key(self):
        path = self.settings.get("public_key_file")
        if not path:
            return None
        with open(os.path.expanduser(path)) as handle:
            return handle.read().strip()

    def _elastic_file(self, name):
        """``name`` in the elastic secrets directory, or None without elastic kinds."""
        directory = self.settings.get("elastic_secrets_dir")
        return os.path.join(directory, name) if directory else None

    def _elastic_public_key(self):
        """The public half of the SLURM controller's ssh key, or None without elastic kinds."""
        path = self._elastic_file(ELASTIC_SSH_KEY)
        if path is None:
            return None
        try:
            with open(path + ".pub") as handle:
                return handle.read().strip()
        except OSError as exc:
            raise ProviderError("the elastic ssh key %s.pub cannot be read (%s); run the create "
                                "playbook, which makes it" % (path, exc))

    def _boot_volume_gib(self):
        size = self.settings.get("boot_volume_size", DEFAULT_BOOT_VOLUME_SIZE)
        try:
            return size_gib(parse_size(size))
        except ValueError:
            raise ProviderError("cluster.openstack.boot_volume_size: %r is not a size" % (size,))

    # ----------------------------------------------------------------- nodes
    def _node(self, server):
        metadata = server.metadata or {}
        fixed, floating = None, None
        network = self.settings.get("network")
        addresses = server.addresses or {}
        names = sorted(addresses, key=lambda name: (name != network, name))
        for net in names:
            for entry in addresses[net] or []:
                kind = entry.get("OS-EXT-IPS:type")
                if entry.get("version", 4) != 4:
                    continue
                if kind == "floating":
                    floating = floating or entry.get("addr")
                else:
                    fixed = fixed or entry.get("addr")
        try:
            index = int(metadata.get(META_INDEX))
        except (TypeError, ValueError):
            index = None
        status = (server.status or "UNKNOWN").upper()
        connection = ssh_login_vars(self.settings.get("ssh_user") or DEFAULT_SSH_USER)
        connection["ansible_host"] = fixed if self.settings.get("ssh_address") == "fixed" \
            else floating or fixed
        if self.settings.get("private_key_file"):
            connection["ansible_ssh_private_key_file"] = os.path.expanduser(
                self.settings["private_key_file"])
        image = server.image.get("id") if isinstance(server.image, dict) else server.image
        flavor = server.flavor or {}
        return {
            "name": server.name,
            "id": server.id,
            "cluster": metadata.get(META_CLUSTER),
            "kind": metadata.get(META_KIND),
            "index": index,
            "address": fixed,
            "floating_ip": floating,
            "state": SERVER_STATES.get(status, status.lower()),
            "status": status,
            "image": image,
            "flavor": flavor.get("original_name") or flavor.get("name") or flavor.get("id"),
            "connection": connection,
        }

    def _servers(self, cluster):
        with self._cloud("listing the servers of cluster %s" % cluster):
            servers = list(self.conn.compute.servers(details=True,
                                                     name="^%s-" % re.escape(cluster)))
        return [s for s in servers if (s.metadata or {}).get(META_CLUSTER) == cluster]

    def list_nodes(self, cluster):
        nodes = []
        for server in self._servers(cluster):
            node = self._node(server)
            if node["kind"] is None or node["index"] is None:
                continue
            nodes.append(node)
        nodes.sort(key=lambda node: (node["kind"], node["index"]))
        self._add_jump_host(nodes)
        return nodes

    def _behind_jump_host(self, node):
        """True for a node Ansible reaches through a node with a floating IP."""
        return bool(self.settings.get("floating_network")) and not node.get("floating_ip") \
            and self.settings.get("ssh_address") != "fixed" \
            and _bool(self.settings.get("proxy_jump", True))

    def _add_jump_host(self, nodes):
        """Nodes without a floating IP are reached through the first node that has one.

        With ``private_key_file`` the hop is a ProxyCommand with that key (ProxyJump would
        use only the ssh agent and ~/.ssh/config for the hop).
        """
        jump = next((n for n in nodes if n.get("floating_ip")), None)
        if jump is None:
            return
        user = self.settings.get("ssh_user") or DEFAULT_SSH_USER
        key = self.settings.get("private_key_file")
        for node in nodes:
            if not self._behind_jump_host(node):
                continue
            if key:
                args = "-o ProxyCommand=\"ssh -W %%h:%%p -i %s %s@%s\"" % (
                    os.path.expanduser(key), user, jump["floating_ip"])
            else:
                args = "-o ProxyJump=%s@%s" % (user, jump["floating_ip"])
            node["connection"]["ansible_ssh_common_args"] = args

    def _find_server_by_name(self, cluster, name):
        for server in self._servers(cluster):
            if server.name == name:
                return server
        return None

    def check_node_request(self, cluster, release, kind, spec):
        """Check image, flavor, networks, keypair and quotas; list every problem at once."""
        self.check_cluster_request(cluster, release, {kind: spec})

    def check_cluster_request(self, cluster, release, requests):
        """Check the new nodes of every kind in ``requests`` together (see the base class).

        The quotas must hold the sum of all of them, so that a cluster that does not fit
        stops before its first server.
        """
        problems = []
        conn = self.conn
        needs = {"instances": 0, "cores": 0, "ram": 0, "volumes": 0, "gigabytes": 0}
        seen = {}
        for kind, spec in requests.items():
            count = int(spec.get("count") or 1)
            resources = spec.get("resources") or {}
            image_name = self.image(spec)
            if not image_name:
                problems.append("image: no image for kind %s; set cluster.openstack.image or "
                                "the kind's image" % kind)
            else:
                if ("image", image_name) not in seen:
                    with self._cloud("looking up image %s" % image_name):
                        seen["image", image_name] = self._find(conn.image.find_image,
                                                               image_name)
                if seen["image", image_name] is None:
                    problems.append("image %s (kind %s) does not exist in the cloud; list them "
                                    "with `openstack image list`" % (image_name, kind))
            flavor_name = resources.get("flavor")
            flavor = None
            if not flavor_name:
                problems.append("flavor: kind %s has no resources.flavor" % kind)
            else:
                if ("flavor", flavor_name) not in seen:
                    with self._cloud("looking up flavor %s" % flavor_name):
                        seen["flavor", flavor_name] = self._find(conn.compute.find_flavor,
                                                                 flavor_name)
                flavor = seen["flavor", flavor_name]
                if flavor is None:
                    problems.append("flavor %s (kind %s) does not exist in the cloud; list "
                                    "them with `openstack flavor list`" % (flavor_name, kind))
            needs["instances"] += count
            if flavor is not None:
                needs["cores"] += count * (flavor.vcpus or 0)
                needs["ram"] += count * (flavor.ram or 0)
            volumes = spec.get("volumes") or []
            needs["gigabytes"] += sum(size_gib(v["size_bytes"]) for v in volumes) * count
            needs["volumes"] += len(volumes) * count
            if _bool(self.settings.get("boot_from_volume")):
                needs["gigabytes"] += self._boot_volume_gib() * count
                needs["volumes"] += count
        network = self.settings.get("network")
        if not network:
            problems.append("network: set cluster.openstack.network (the network the servers "
                            "join)")
        else:
            with self._cloud("looking up network %s" % network):
                found = self._find(conn.network.find_network, network)
            if found is None:
                problems.append("network %s does not exist in the cloud; list them with "
                                "`openstack network list`" % network)
        if any(self.wants_floating_ip(kind) for kind in requests):
            floating = self.settings["floating_network"]
            with self._cloud("looking up floating network %s" % floating):
                found = self._find(conn.network.find_network, floating)
            if found is None:
                problems.append("floating network %s does not exist in the cloud; list the "
                                "external networks with `openstack network list --external`"
                                % floating)
            elif not getattr(found, "is_router_external", True):
                problems.append("floating network %s is not an external network, floating "
                                "IPs cannot come from it" % floating)
        if self.settings.get("key_name"):
            with self._cloud("looking up keypair %s" % self.settings["key_name"]):
                keypair = self._find(conn.compute.find_keypair, self.settings["key_name"])
            if keypair is None:
                problems.append("keypair %s (key_name) does not exist in the cloud"
                                % self.settings["key_name"])
        elif not self.settings.get("public_key_file"):
            problems.append("public_key_file: give the public key the servers accept (a keypair "
                            "%s is made from it), or key_name" % self.keypair_name(cluster))
        else:
            path = os.path.expanduser(self.settings["public_key_file"])
            if not os.path.isfile(path):
                problems.append("public_key_file %s does not exist" % path)
        label = "%s node(s)" % ", ".join("%d %s" % (int(spec.get("count") or 1), kind)
                                         for kind, spec in requests.items())
        problems.extend(self._quota_problems(needs, label))
        if problems:
            raise ProviderError(
                "cannot create %s of cluster %s, %d problem(s):\n%s"
                % (label, cluster, len(problems), "\n".join("  - %s" % p for p in problems)))

    def _quota_problems(self, needs, label):
        problems = []
        conn = self.conn
        with self._cloud("reading the compute quota"):
            compute = conn.compute.get_limits().absolute
        for what, limit, used, unit in (
                ("instances", compute.instances, compute.instances_used, ""),
                ("cores", compute.total_cores, compute.total_cores_used, ""),
                ("ram", compute.total_ram, compute.total_ram_used, " MiB")):
            limit = _limit(limit)
            if limit is None or not needs[what]:
                continue
            free = limit - (used or 0)
            if needs[what] > free:
                problems.append("compute quota: %s need %d%s %s, %d%s of %d%s are free"
                                % (label, needs[what], unit, what, free, unit, limit, unit))
        if needs["volumes"]:
            with self._cloud("reading the volume quota"):
                storage = conn.block_storage.get_limits().absolute
            for what, limit, used in (
                    ("volumes", storage.max_total_volumes, storage.total_volumes_used),
                    ("gigabytes", storage.max_total_volume_gigabytes,
                     storage.total_gigabytes_used)):
                limit = _limit(limit)
                if limit is None:
                    continue
                free = limit - (used or 0)
                if needs[what] > free:
                    problems.append("volume quota: %s need %d %s, %d of %d are free"
                                    % (label, needs[what], what, free, limit))
        return problems

    def _ensure_server_group(self, cluster, kind):
        name = self.server_group_name(cluster, kind)
        policy = "soft-anti-affinity" if self.settings.get("anti_affinity") == "soft" \
            else "anti-affinity"
        with self._cloud("looking up server group %s" % name):
            group = self._find(self.conn.compute.find_server_group, name)
            if group is None:
                group = self.conn.compute.create_server_group(name=name, policy=policy)
        return group

    def create_node(self, cluster, release, kind, index, spec):
        name = node_name(cluster, kind, index)
        conn = self.conn
        resources = spec.get("resources") or {}
        image_name = self.image(spec)
        with self._cloud("creating server %s" % name):
            image = conn.image.find_image(image_name, ignore_missing=False)
            flavor = conn.compute.find_flavor(resources.get("flavor"), ignore_missing=False)
            network = conn.network.find_network(self.settings["network"], ignore_missing=False)
            attrs = {
                "name": name,
                "flavor_id": flavor.id,
                "networks": [{"uuid": network.id}],
                "key_name": self.keypair_name(cluster),
                "security_groups": [{"name": self.security_group_name(cluster)}],
                "metadata": {META_CLUSTER: cluster, META_KIND: kind, META_INDEX: str(index)},
            }
            if self.settings.get("availability_zone"):
                attrs["availability_zone"] = self.settings["availability_zone"]
            if _bool(self.settings.get("boot_from_volume")):
                attrs["block_device_mapping"] = [{
                    "boot_index": 0, "uuid": image.id, "source_type": "image",
                    "destination_type": "volume", "volume_size": self._boot_volume_gib(),
                    "delete_on_termination": True}]
            else:
                attrs["image_id"] = image.id
            if self.settings.get("anti_affinity") == "soft" or \
                    _bool(self.settings.get("anti_affinity")):
                group = self._ensure_server_group(cluster, kind)
                attrs["scheduler_hints"] = {"group": group.id}
            elastic_key = self._elastic_public_key()
            if elastic_key:
                # JSON is YAML: the cloud-config needs no YAML library
                attrs["user_data"] = base64.b64encode(("#cloud-config\n" + json.dumps(
                    {"ssh_authorized_keys": [elastic_key]}) + "\n").encode()).decode()
                attrs["metadata"][META_ELASTIC_KEY] = "yes"
            server = conn.compute.create_server(**attrs)
        node = self._node(server)
        node.update({"name": name, "cluster": cluster, "kind": kind, "index": index,
                     "state": node["state"] or "building"})
        return node

    def check_elastic_controller(self, node):
        """The controller reaches the nodes with the elastic ssh key, which only servers made
        while the cluster had elastic kinds accept."""
        server = self._get_server(node)
        if (server.metadata or {}).get(META_ELASTIC_KEY) != "yes":
            raise ProviderError(
                "server %s is the SLURM controller of a cluster with elastic kinds but was made "
                "before the cluster had them: it and the other servers made then do not accept "
                "the ssh key the controller makes elastic nodes with. Destroy the cluster and "
                "create it again with elastic kinds, or remove elastic" % node["name"])

    def start_node(self, node):
        actions = {"stopped": "start_server", "paused": "unpause_server",
                   "suspended": "resume_server"}
        if node["state"] == "error":
            self._raise_server_error(node["name"], self._get_server(node))
        action = actions.get(node["state"])
        if action is not None:
            with self._cloud("starting server %s" % node["name"]):
                getattr(self.conn.compute, action)(node["id"])
        return self._node(self._get_server(node))

    def _get_server(self, node):
        with self._cloud("reading server %s" % node["name"]):
            return self.conn.compute.get_server(node["id"])

    @staticmethod
    def _raise_server_error(name, server, deleted=False):
        fault = (server.fault or {}) if server is not None else {}
        message = fault.get("message") or "no fault message"
        hint = ""
        if "no valid host" in message.lower():
            hint = " (the cloud has no hypervisor with room for this flavor; try a smaller " \
                   "flavor, another availability zone, or anti_affinity false)"
        if deleted:
            then = "it was deleted; the next run creates it again"
        else:
            then = "delete it (`openstack server delete %s`); the next run creates it again" \
                % name
        raise ProviderError("server %s is in state ERROR: %s%s; %s" % (name, message, hint,
                                                                       then))

    def wait_node(self, node, timeout):
        """Wait until the server is ACTIVE (then its floating IP) and its ssh port answers."""
        deadline = time.monotonic() + timeout
        while True:
            server = self._get_server(node)
            status = (server.status or "").upper()
            if status == "ACTIVE":
                break
            if status == "ERROR":
                deleted = False
                if not _bool(self.settings.get("keep_failed_servers", False)):
                    # a failed build is cleaned up, so that the next run creates it again
                    with self._cloud("deleting failed server %s" % node["name"]):
                        self.conn.compute.delete_server(node["id"], ignore_missing=True)
                    deleted = True
                self._raise_server_error(node["name"], server, deleted)
            if time.monotonic() >= deadline:
                raise ProviderError("server %s is still %s after %ss; raise the timeout or see "
                                    "`openstack server show %s`" % (node["name"], status,
                                                                    timeout, node["id"]))
            self._sleep()
        current = self._node(server)
        if self.wants_floating_ip(current["kind"]) and not current["floating_ip"]:
            self._attach_floating_ip(current)
            current = self._node(self._get_server(node))
        self._wait_ssh(current, deadline, timeout)
        return current

    def _wait_ssh(self, node, deadline, timeout):
        host = node["connection"]["ansible_host"]
        if not host or not _bool(self.settings.get("wait_for_ssh", True)):
            return
        if self._behind_jump_host(node):
            return  # not reachable from here; Ansible reaches it through the jump host
        port = int(self.settings.get("ssh_port", 22))
        while True:
            try:
                sock = socket.create_connection((host, port), timeout=5)
            except OSError as exc:
                if time.monotonic() >= deadline:
                    raise ProviderError("server %s is ACTIVE but ssh on %s:%d did not answer "
                                        "within %ss (%s); check the security group %s and the "
                                        "route to that address" % (node["name"], host, port,
                                                                   timeout, exc,
                                                                   node["cluster"]))
                self._sleep()
            else:
                sock.close()
                return

    def _server_ports(self, node):
        with self._cloud("listing the ports of server %s" % node["name"]):
            return list(self.conn.network.ports(device_id=node["id"]))

    def _attach_floating_ip(self, node):
        floating = self.settings["floating_network"]
        ports = self._server_ports(node)
        if not ports:
            raise ProviderError("server %s has no port to give a floating IP" % node["name"])
        with self._cloud("giving server %s a floating IP from %s" % (node["name"], floating)):
            network = self.conn.network.find_network(floating, ignore_missing=False)
            self.conn.network.create_ip(floating_network_id=network.id, port_id=ports[0].id,
                                        description="gridcloud %s" % node["cluster"])

    def delete_node(self, node):
        # floating IPs are released first: they cost money and quota even when unused. The
        # cluster makes them only with floating_network; a cloud without Neutron's router API
        # (no floating IPs at all) answers 404 to the question.
        for port in self._server_ports(node) if self.settings.get("floating_network") else []:
            with self._cloud("releasing the floating IPs of server %s" % node["name"]):
                for ip in list(self.conn.network.ips(port_id=port.id)):
                    if (ip.description or "").startswith("gridcloud "):
                        self.conn.network.delete_ip(ip)
        with self._cloud("deleting server %s" % node["name"]):
            self.conn.compute.delete_server(node["id"], ignore_missing=True)
        deadline = time.monotonic() + float(self.settings.get("delete_timeout",
                                                              DEFAULT_DELETE_TIMEOUT))
        while True:  # its volumes can only be deleted once it is gone
            with self._cloud("waiting for server %s to go" % node["name"]):
                server = self._find(self.conn.compute.find_server, node["id"])
            if server is None:
                return
            if (server.status or "").upper() == "ERROR" and server.fault:
                raise ProviderError("deleting server %s failed: %s"
                                    % (node["name"], server.fault.get("message")))
            if time.monotonic() >= deadline:
                raise ProviderError("server %s was not gone after %ss" % (
                    node["name"], self.settings.get("delete_timeout", DEFAULT_DELETE_TIMEOUT)))
            self._sleep()

    # ----------------------------------------------------------------- keypair, security group
    def _desired_rules(self, group_id):
        ports = [(22, "ssh_sources")]
        if _bool(self.settings.get("rest_interface")):
            ports.append((443, "https_sources"))
        rules = [{"direction": "ingress", "ether_type": ethertype, "protocol": "tcp",
                  "port_range_min": port, "port_range_max": port, "remote_ip_prefix": cidr,
                  "remote_group_id": None}
                 for port, key in ports for ethertype, cidr in _sources(self.settings, key)]
        for ethertype in ("IPv4", "IPv6"):
            rules.append({"direction": "ingress", "ether_type": ethertype, "protocol": None,
                          "port_range_min": None, "port_range_max": None,
                          "remote_ip_prefix": None, "remote_group_id": group_id})
        return rules

    @staticmethod
    def _rule_key(rule):
        get = rule.get if isinstance(rule, dict) else lambda key: getattr(rule, key, None)
        return tuple(get(key) for key in ("direction", "ether_type", "protocol", "port_range_min",
                                          "port_range_max", "remote_ip_prefix",
                                          "remote_group_id"))

    def ensure_cluster_resources(self, cluster, check_mode=False):
        """Make the keypair and the security group (with its rules); True when they changed.

        The servers join an existing network (``network``): no network is made.
        """
        changed = self._ensure_elastic_access(cluster, check_mode)
        conn = self.conn
        if not self.settings.get("key_name"):
            name = self.keypair_name(cluster)
            with self._cloud("looking up keypair %s" % name):
                keypair = self._find(conn.compute.find_keypair, name)
            if keypair is None:
                changed = True
                if not check_mode:
                    try:
                        public_key = self._public_key()
                    except OSError as exc:
                        raise ProviderError("keypair %s: cannot read public_key_file: %s"
                                            % (name, exc))
                    if not public_key:
                        raise ProviderError("keypair %s: set public_key_file or key_name" % name)
                    with self._cloud("creating keypair %s" % name):
                        conn.compute.create_keypair(name=name, public_key=public_key)
        name = self.security_group_name(cluster)
        with self._cloud("looking up security group %s" % name):
            group = self._find(conn.network.find_security_group, name)
        if group is None:
            if check_mode:
                return True
            with self._cloud("creating security group %s" % name):
                group = conn.network.create_security_group(
                    name=name, description="gridcloud cluster %s" % cluster)
            changed = True
        with self._cloud("reading the rules of security group %s" % name):
            existing = [r for r in conn.network.security_group_rules(security_group_id=group.id)
                        if r.direction == "ingress"]
        desired = self._desired_rules(group.id)
        have = {self._rule_key(r): r for r in existing}
        want = {self._rule_key(r): r for r in desired}
        for key, rule in want.items():
            if key in have:
                continue
            changed = True
            if not check_mode:
                with self._cloud("adding a rule to security group %s" % name):
                    conn.network.create_security_group_rule(
                        security_group_id=group.id,
                        description="gridcloud",
                        **{k: v for k, v in rule.items() if v is not None})
        for key, rule in have.items():
            if key in want:
                continue
            changed = True  # e.g. https after the CE left mode rest
            if not check_mode:
                with self._cloud("removing a rule from security group %s" % name):
                    conn.network.delete_security_group_rule(rule, ignore_missing=True)
        return changed

    def _ensure_elastic_access(self, cluster, check_mode):
        """With elastic kinds: the SLURM controller's ssh key and application credential, made
        once into the secrets directory (kept there: a later run, or the controller with its
        copy, finds them). True when made (or, in check mode, when they would be)."""
        key = self._elastic_file(ELASTIC_SSH_KEY)
        if key is None:
            return False
        changed = False
        if not os.path.exists(key):
            changed = True
            if not check_mode:
                make_ssh_key(self.runner, key, "gridcloud-%s-elastic" % cluster)
        clouds_file = self._elastic_file(ELASTIC_CLOUDS_FILE)
        if not os.path.exists(clouds_file):
            changed = True
            if not check_mode:
                self._make_application_credential(cluster, clouds_file)
        return changed

    def _make_application_credential(self, cluster, path):
        """Make the cluster's application credential (one of that name left by an earlier
        cluster is replaced: its secret is lost) and write its clouds.yaml, mode 0600.

        Restricted (it cannot make other credentials), with the roles of the user's token in
        the project, no expiry: ``destroy`` deletes it. The secret goes only into the file.
        """
        conn = self.conn
        name = application_credential_name(cluster)
        with self._cloud("making application credential %s" % name):
            user = conn.current_user_id
            for old in conn.identity.application_credentials(user=user):
                if old.name == name:
                    conn.identity.delete_application_credential(user, old.id)
            credential = conn.identity.create_application_credential(
                user=user, name=name, unrestricted=False,
                description="gridcloud cluster %s: its SLURM controller makes and removes "
                            "elastic nodes" % cluster)
            auth_url = conn.config.get_auth_args().get("auth_url")
        cloud = {"auth_type": "v3applicationcredential",
                 "auth": {"auth_url": auth_url,
                          "application_credential_id": credential.id,
                          "application_credential_secret": credential.secret},
                 "identity_api_version": 3}
        # what the user's connection used (settings, else their clouds.yaml)
        used = dict(conn.config.config, region_name=conn.config.get_region_name())
        for key in ("region_name", "interface", "verify", "cacert"):
            value = self.settings.get(key, used.get(key))
            if value not in (None, ""):
                cloud[key] = value
        temporary = path + ".new"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        handle = os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w")
        with handle:
            # JSON is YAML: openstacksdk reads it as clouds.yaml
            handle.write(json.dumps({"clouds": {ELASTIC_CLOUD: cloud}}, indent=2) + "\n")
        os.replace(temporary, path)

    def _delete_elastic_access(self, cluster, check_mode):
        """Delete the application credential and the controller's key files; return what was
        (or would be) removed."""
        clouds_file = self._elastic_file(ELASTIC_CLOUDS_FILE)
        if clouds_file is None:
            return []
        removed = []
        conn = self.conn
        name = application_credential_name(cluster)
        with self._cloud("looking up application credential %s" % name):
            user = conn.current_user_id
            found = [c for c in conn.identity.application_credentials(user=user)
                     if c.name == name]
        for credential in found:
            removed.append("application credential %s" % name)
            if not check_mode:
                with self._cloud("deleting application credential %s" % name):
                    conn.identity.delete_application_credential(user, credential.id)
        key = self._elastic_file(ELASTIC_SSH_KEY)
        for path in (clouds_file, key, key + ".pub"):
            if os.path.exists(path):
                removed.append("file %s" % path)
                if not check_mode:
                    os.unlink(path)
        return removed

    def delete_cluster_resources(self, cluster, check_mode=False):
        """Remove the security group, the keypair (when made here), the server groups and,
        with elastic kinds, the application credential and the controller's ssh key."""
        conn = self.conn
        removed = []
        if self._servers(cluster):
            return removed
        removed += self._delete_elastic_access(cluster, check_mode)
        name = self.security_group_name(cluster)
        with self._cloud("looking up security group %s" % name):
            group = self._find(conn.network.find_security_group, name)
        if group is not None and (group.description or "") == "gridcloud cluster %s" % cluster:
            removed.append("security group %s" % name)
            if not check_mode:
                with self._cloud("deleting security group %s" % name):
                    conn.network.delete_security_group(group, ignore_missing=True)
        if not self.settings.get("key_name"):
            name = self.keypair_name(cluster)
            with self._cloud("looking up keypair %s" % name):
                keypair = self._find(conn.compute.find_keypair, name)
            if keypair is not None:
                removed.append("keypair %s" % name)
                if not check_mode:
                    with self._cloud("deleting keypair %s" % name):
                        conn.compute.delete_keypair(keypair, ignore_missing=True)
        with self._cloud("listing the server groups"):
            # <cluster>-<kind>, and empty: the cluster's servers are gone by now
            groups = [g for g in conn.compute.server_groups()
                      if (g.name or "").startswith("%s-" % cluster)
                      and re.match(r"^[a-z][a-z0-9]{0,19}\Z", g.name[len(cluster) + 1:])
                      and not g.member_ids]
        for group in groups:
            removed.append("server group %s" % group.name)
            if not check_mode:
                with self._cloud("deleting server group %s" % group.name):
                    conn.compute.delete_server_group(group, ignore_missing=True)
        return removed

    # ----------------------------------------------------------------- volumes
    def _find_volume(self, cluster, node, volume_name):
        name = cinder_volume_name(node, volume_name)
        with self._cloud("looking up volume %s" % name):
            found = [v for v in self.conn.block_storage.volumes(details=True, name=name)
                     if v.name == name]
        if len(found) > 1:
            raise ProviderError("volume %s: %d volumes have that name (ids %s); delete the "
                                "extra ones" % (name, len(found),
                                                ", ".join(sorted(v.id for v in found))))
        return found[0] if found else None

    def _volume(self, volume, node, volume_name, server_id):
        attached_to = [a.get("server_id") for a in (volume.attachments or [])]
        return {
            "name": volume_name,
            "node": node,
            "id": volume.id,
            "cinder_name": volume.name,
            "size_bytes": int(volume.size or 0) * GIB,
            "device": volume_device_path(volume.id),
            "attached": server_id is not None and server_id in attached_to,
            "status": volume.status,
        }

    def get_volume(self, cluster, node_name, volume_name):
        volume = self._find_volume(cluster, node_name, volume_name)
        if volume is None:
            return None
        server = self._find_server_by_name(cluster, node_name)
        return self._volume(volume, node_name, volume_name, server.id if server else None)

    def _wait_volume(self, volume, name, states, timeout=None):
        deadline = time.monotonic() + float(timeout or self.settings.get(
            "volume_timeout", DEFAULT_VOLUME_TIMEOUT))
        while True:
            with self._cloud("reading volume %s" % name):
                volume = self.conn.block_storage.get_volume(volume.id)
            status = (volume.status or "").lower()
            if status in states:
                return volume
            if status.startswith("error"):
                raise ProviderError("volume %s (%s) is in state %s; see `openstack volume show "
                                    "%s`, delete it and run again" % (name, volume.id, status,
                                                                      volume.id))
            if time.monotonic() >= deadline:
                raise ProviderError("volume %s (%s) is still %s, not %s"
                                    % (name, volume.id, status, " or ".join(states)))
            self._sleep()

    def ensure_volume(self, cluster, node, volume, check_mode=False):
        name = cinder_volume_name(node, volume["name"])
        server = self._find_server_by_name(cluster, node)
        planned = {"name": volume["name"], "node": node, "id": None, "cinder_name": name,
                   "size_bytes": size_gib(volume["size_bytes"]) * GIB, "device": None,
                   "attached": False, "status": None}
        if server is None:
            if check_mode:
                return True, planned
            raise ProviderError("volume %s: server %s does not exist; create the node first"
                                % (name, node))
        found = self._find_volume(cluster, node, volume["name"])
        changed = False
        adopt_id = (self.settings.get("adopt_volumes") or {}).get(name)
        if found is None and adopt_id:
            found = self._adopt_volume(cluster, node, volume["name"], adopt_id, check_mode)
            changed = True
        if found is None:
            changed = True
            if check_mode:
                return True, planned
            attrs = {"name": name, "size": size_gib(volume["size_bytes"]),
                     "description": "gridcloud cluster %s" % cluster,
                     "metadata": {META_CLUSTER: cluster, META_NODE: node,
                                  META_VOLUME: volume["name"]}}
            if self.settings.get("volume_type"):
                attrs["volume_type"] = self.settings["volume_type"]
            if self.settings.get("availability_zone"):
                attrs["availability_zone"] = self.settings["availability_zone"]
            with self._cloud("creating volume %s" % name):
                found = self.conn.block_storage.create_volume(**attrs)
            found = self._wait_volume(found, name, ("available",))
        status = (found.status or "").lower()
        if status.startswith("error"):
            raise ProviderError("volume %s (%s) is in state %s; delete it and run again"
                                % (name, found.id, status))
        attached_to = [a.get("server_id") for a in (found.attachments or [])]
        if server.id not in attached_to:
            if [s for s in attached_to if s]:
                raise ProviderError("volume %s is attached to another server (%s), not to %s"
                                    % (name, ", ".join(attached_to), node))
            changed = True
            if check_mode:
                result = self._volume(found, node, volume["name"], server.id)
                return True, result
            if status not in ("available",):
                found = self._wait_volume(found, name, ("available",))
            with self._cloud("attaching volume %s to server %s" % (name, node)):
                self.conn.compute.create_volume_attachment(server, volume=found.id)
            found = self._wait_volume(found, name, ("in-use",))
        result = self._volume(found, node, volume["name"], server.id)
        result["attached"] = True
        return changed, result

    def _adopt_volume(self, cluster, node, volume_name, volume_id, check_mode):
        """Give an existing volume (``adopt_volumes``: name -> id) the cluster's name."""
        name = cinder_volume_name(node, volume_name)
        try:
            with self._cloud("looking up volume %s to adopt as %s" % (volume_id, name)):
                found = self.conn.block_storage.get_volume(volume_id)
        except ProviderError:
            raise ProviderError("volume %s (adopt_volumes.%s) does not exist or cannot be read; "
                                "check the id with `openstack volume show %s`"
                                % (volume_id, name, volume_id))
        if check_mode:
            return found
        with self._cloud("renaming volume %s to %s" % (volume_id, name)):
            self.conn.block_storage.update_volume(found, name=name)
            self.conn.block_storage.set_volume_metadata(
                found, **{META_CLUSTER: cluster, META_NODE: node, META_VOLUME: volume_name})
            return self.conn.block_storage.get_volume(volume_id)

    def remove_volume(self, cluster, node_name, volume_name, delete, check_mode=False):
        name = cinder_volume_name(node_name, volume_name)
        found = self._find_volume(cluster, node_name, volume_name)
        if found is None:
            return False, None
        server = self._find_server_by_name(cluster, node_name)
        result = self._volume(found, node_name, volume_name, server.id if server else None)
        changed = False
        attached_to = [a.get("server_id") for a in (found.attachments or [])]
        if server is not None and server.id in attached_to:
            changed = True
            if not check_mode:
                with self._cloud("detaching volume %s from server %s" % (name, node_name)):
                    self.conn.compute.delete_volume_attachment(server.id, found.id,
                                                               ignore_missing=True)
            result["attached"] = False
        if delete:
            changed = True
            if not check_mode:
                # a volume is deleted once it is available (its server's deletion detaches it)
                found = self._wait_volume(found, name, ("available", "error"))
                with self._cloud("deleting volume %s" % name):
                    self.conn.block_storage.delete_volume(found.id, ignore_missing=True)
        elif changed and not check_mode:
            self._wait_volume(found, name, ("available",))
        result["attached"] = False
        return changed, result
