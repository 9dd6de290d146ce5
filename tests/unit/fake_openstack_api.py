# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An OpenStack cloud as HTTP responses, for the real openstacksdk (through requests-mock).

``FakeCloud`` registers, on a ``requests_mock.Mocker``, a Keystone v3 (version document and a
token with a catalog of compute, network, image and volumev3 endpoints) and the Nova, Neutron,
Glance and Cinder API calls the openstack provider makes, answered from in-memory state:
servers, flavors, images, networks, keypairs, security groups and rules, ports, floating IPs,
server groups, volumes, and the quotas. Nothing of openstacksdk is replaced: the SDK builds and
sends its requests, and parses these responses, as it would against a real cloud.

A request the fake does not model is answered with HTTP 599 and kept in ``unknown`` (checked at
teardown by the fixture), so a new call in the provider fails the tests instead of passing
unseen. ``history`` is requests-mock's list of every request, for the check-mode tests.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import re
import uuid
from urllib.parse import parse_qs, urlparse

import requests_mock

PROJECT = "0123456789abcdef0123456789abcdef"
IDENTITY = "https://identity.example.test/v3"
COMPUTE = "https://compute.example.test/v2.1"
NETWORK = "https://network.example.test"
IMAGE = "https://image.example.test"
VOLUME = "https://volume.example.test/v3/%s" % PROJECT
REGION = "RegionOne"
AUTH = {
    "auth_url": IDENTITY,
    "username": "demo",
    "password": "not-a-secret",
    "project_name": "demo",
    "user_domain_name": "Default",
    "project_domain_name": "Default",
}
GIB = 1024 ** 3


class _Reply(Exception):
    def __init__(self, status, body=None):
        super().__init__(status)
        self.status = status
        self.body = body


def _not_found(what):
    return _Reply(404, {"itemNotFound": {"code": 404, "message": "%s could not be found." % what},
                        "NeutronError": {"type": "NotFound", "message": "%s not found" % what},
                        "message": "%s not found" % what})


def fake_cloud(monkeypatch):
    """A FakeCloud behind requests-mock; no OS_* variable or clouds.yaml of the host used.

    A generator for fixtures (``yield from fake_cloud(monkeypatch)``); at the fixture's teardown
    it fails when a request was made that FakeCloud does not model."""
    for name in list(os.environ):
        if name.startswith("OS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", "/nonexistent/clouds.yaml")
    with requests_mock.Mocker() as mocker:
        fake = FakeCloud(mocker)
        yield fake
        assert not fake.unknown, "requests not modelled by FakeCloud: %r" % (fake.unknown,)


class FakeCloud:
    """In-memory cloud state served over HTTP to openstacksdk."""

    def __init__(self, mocker):
        self.mocker = mocker
        self.unknown = []
        self._ids = itertools.count(1)
        self.images = {}
        self.flavors = {}
        self.networks = {}
        self.servers = {}
        self.keypairs = {}
        self.security_groups = {}
        self.rules = {}
        self.ports = {}
        self.floating_ips = {}
        self.server_groups = {}
        self.volumes = {}
        self.application_credentials = {}
        # how many GETs a new server stays in BUILD; name -> fault message for ERROR
        self.build_polls = 1
        self.server_faults = {}
        self.volume_errors = set()  # names of volumes that go to status error on create
        # (status, body) the next POST /servers gets instead of a server (a quota race, ...)
        self.server_create_error = None
        self.compute_quota = {"instances": 10, "cores": 20, "ram": 51200}
        self.volume_quota = {"volumes": 10, "gigabytes": 1000}
        self.compute_used_extra = {"instances": 0, "cores": 0, "ram": 0}
        self.volume_used_extra = {"volumes": 0, "gigabytes": 0}
        self.add_image("debian-13-genericcloud-amd64")
        self.add_flavor("m1.small", vcpus=1, ram=2048)
        self.add_flavor("m1.large", vcpus=4, ram=8192)
        self.add_network("grid-private", external=False)
        self.add_network("public", external=True)
        self._register()

    # ------------------------------------------------------------------ state helpers
    def new_id(self):
        return str(uuid.UUID(int=next(self._ids)))

    def add_image(self, name):
        image_id = self.new_id()
        self.images[image_id] = {"id": image_id, "name": name, "status": "active",
                                 "visibility": "public", "disk_format": "qcow2",
                                 "container_format": "bare", "min_disk": 0, "min_ram": 0,
                                 "tags": []}
        return image_id

    def add_flavor(self, name, vcpus, ram, disk=20):
        flavor_id = self.new_id()
        self.flavors[flavor_id] = {"id": flavor_id, "name": name, "vcpus": vcpus, "ram": ram,
                                   "disk": disk, "os-flavor-access:is_public": True,
                                   "OS-FLV-EXT-DATA:ephemeral": 0, "swap": 0,
                                   "rxtx_factor": 1.0, "links": []}
        return flavor_id

    def add_network(self, name, external):
        net_id = self.new_id()
        self.networks[net_id] = {"id": net_id, "name": name, "status": "ACTIVE",
                                 "router:external": external, "subnets": [],
                                 "admin_state_up": True, "shared": False,
                                 "project_id": PROJECT, "tags": []}
        return net_id

    def add_server(self, name, cluster, kind, index, status="ACTIVE", address=None):
        """A server that exists already (made by an earlier run)."""
        server = self._make_server({
            "name": name, "flavorRef": self._by_name(self.flavors, "m1.small")["id"],
            "imageRef": self._by_name(self.images, "debian-13-genericcloud-amd64")["id"],
            "networks": [{"uuid": self._by_name(self.networks, "grid-private")["id"]}],
            "metadata": {"gridcloud_cluster": cluster, "gridcloud_kind": kind,
                         "gridcloud_index": str(index)}}, address=address)
        server["status"] = status
        server["_polls"] = 0
        return server

    def add_volume(self, name, size=1, status="available", metadata=None):
        volume_id = self.new_id()
        self.volumes[volume_id] = {"id": volume_id, "name": name, "size": size,
                                   "status": status, "attachments": [],
                                   "metadata": dict(metadata or {}), "description": "",
                                   "availability_zone": "nova", "volume_type": "standard",
                                   "bootable": "false", "multiattach": False,
                                   "_polls": 0}
        return self.volumes[volume_id]

    @staticmethod
    def _by_name(collection, name):
        for item in collection.values():
            if item.get("name") == name:
                return item
        raise KeyError(name)

    def server(self, name):
        return self._by_name(self.servers, name)

    def volume(self, name):
        return self._by_name(self.volumes, name)

    def server_names(self):
        return sorted(s["name"] for s in self.servers.values())

    # ------------------------------------------------------------------ request log
    @property
    def history(self):
        return self.mocker.request_history

    def writes(self, include_auth=False):
        """Every POST, PUT, PATCH and DELETE (the Keystone token request only if asked)."""
        return ["%s %s" % (r.method, r.url) for r in self.history
                if r.method in ("POST", "PUT", "PATCH", "DELETE")
                and (include_auth or not r.url.startswith(IDENTITY))]

    def calls(self, method, fragment):
        return [r for r in self.history if r.method == method and fragment in r.path]

    # ------------------------------------------------------------------ registration
    def _register(self):
        matcher = re.compile(r"^https://[a-z]+\.example\.test(/.*)?$")
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"):
            self.mocker.register_uri(method, matcher, content=self._dispatch_content)

    def _dispatch_content(self, request, context):
        try:
            status, body, headers = self._dispatch(request)
        except _Reply as reply:
            status, body, headers = reply.status, reply.body, {}
        context.status_code = status
        context.headers.update(headers)
        if body is None:
            return b""
        context.headers["Content-Type"] = "application/json"
        return json.dumps(body).encode()

    def _dispatch(self, request):
        url = urlparse(request.url)
        host = url.hostname.split(".")[0]
        path = url.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        body = None
        if request.body:
            raw = request.body.decode() if isinstance(request.body, bytes) else request.body
            body = json.loads(raw) if raw.strip() else None
        handler = getattr(self, "_%s" % host, None)
        result = handler(request.method, path, query, body) if handler else None
        if result is None:
            self.unknown.append("%s %s" % (request.method, request.url))
            return 599, {"message": "not modelled by FakeCloud"}, {}
        if len(result) == 2:
            return result[0], result[1], {}
        return result

    # ------------------------------------------------------------------ keystone
    def _catalog(self):
        def entry(kind, name, url):
            return {"type": kind, "name": name, "id": name,
                    "endpoints": [{"id": "%s-public" % name, "interface": "public",
                                   "region": REGION, "region_id": REGION, "url": url}]}
        return [entry("identity", "keystone", IDENTITY), entry("compute", "nova", COMPUTE),
                entry("network", "neutron", NETWORK), entry("image", "glance", IMAGE),
                entry("volumev3", "cinderv3", VOLUME)]

    def _identity(self, method, path, query, body):
        if method == "GET" and path in ("/", "/v3"):
            return 200, {"version": {"id": "v3.14", "status": "stable",
                                     "updated": "2020-04-07T00:00:00Z",
                                     "links": [{"rel": "self", "href": IDENTITY + "/"}],
                                     "media-types": [{"base": "application/json",
                                                      "type": "application/"
                                                              "vnd.openstack.identity-v3+json"}]}}
        if method == "POST" and path == "/v3/auth/tokens":
            token = {"token": {
                "methods": ["password"], "expires_at": "2099-01-01T00:00:00.000000Z",
                "issued_at": "2026-01-01T00:00:00.000000Z", "audit_ids": ["audit"],
                "user": {"id": "user-id", "name": "demo",
                         "domain": {"id": "default", "name": "Default"}},
                "project": {"id": PROJECT, "name": "demo",
                            "domain": {"id": "default", "name": "Default"}},
                "roles": [{"id": "member-id", "name": "member"}],
                "catalog": self._catalog()}}
            return 201, token, {"X-Subject-Token": "fake-token"}
        prefix = "/v3/users/user-id/application_credentials"
        if path == prefix and method == "GET":
            return 200, {"application_credentials": [
                {key: value for key, value in c.items() if key != "secret"}
                for c in self.application_credentials.values()], "links": {}}
        if path == prefix and method == "POST":
            attrs = dict(body["application_credential"])
            attrs.update(id=self.new_id(), user_id="user-id", project_id=PROJECT,
                         secret="s3cret-%d" % len(self.application_credentials),
                         roles=[{"id": "member-id", "name": "member"}])
            self.application_credentials[attrs["id"]] = attrs
            return 201, {"application_credential": attrs}
        if path.startswith(prefix + "/") and method == "DELETE":
            if self.application_credentials.pop(path[len(prefix) + 1:], None) is None:
                raise _not_found("Application credential")
            return 204, None
        return None

    # ------------------------------------------------------------------ nova
    def _compute(self, method, path, query, body):  # noqa: C901 pylint: disable=too-many-return-statements,too-many-branches
        if method == "GET" and path in ("/", "/v2.1"):
            version = {"id": "v2.1", "status": "CURRENT", "version": "2.79",
                       "min_version": "2.1", "updated": "2013-07-23T11:33:21Z",
                       "links": [{"rel": "self", "href": COMPUTE + "/"}]}
            if path == "/":
                return 200, {"versions": [version]}
            return 200, {"version": version}
        if not path.startswith("/v2.1"):
            return None
        path = path[len("/v2.1"):]
        parts = path.strip("/").split("/")
        if parts[0] == "servers":
            return self._nova_servers(method, parts[1:], query, body)
        if parts[0] == "flavors":
            if method != "GET":
                return None
            if len(parts) == 1 or parts[1] == "detail":
                return 200, {"flavors": [copy.deepcopy(f) for f in self.flavors.values()]}
            if parts[1] in self.flavors:
                return 200, {"flavor": copy.deepcopy(self.flavors[parts[1]])}
            raise _not_found("Flavor %s" % parts[1])
        if parts[0] == "os-keypairs":
            return self._nova_keypairs(method, parts[1:], body)
        if parts[0] == "os-server-groups":
            return self._nova_server_groups(method, parts[1:], body)
        if parts == ["limits"] and method == "GET":
            used = self._compute_used()
            return 200, {"limits": {"rate": [], "absolute": {
                "maxTotalInstances": self.compute_quota["instances"],
                "totalInstancesUsed": used["instances"],
                "maxTotalCores": self.compute_quota["cores"],
                "totalCoresUsed": used["cores"],
                "maxTotalRAMSize": self.compute_quota["ram"],
                "totalRAMUsed": used["ram"],
                "maxServerMeta": 128, "maxTotalKeypairs": 100,
                "maxServerGroups": 10, "maxServerGroupMembers": 10,
                "totalServerGroupsUsed": len(self.server_groups)}}}
        return None

    def _compute_used(self):
        used = dict(self.compute_used_extra)
        for server in self.servers.values():
            flavor = self.flavors[server["flavor"]["_id"]]
            used["instances"] += 1
            used["cores"] += flavor["vcpus"]
            used["ram"] += flavor["ram"]
        return used

    def _server_view(self, server):
        view = {k: copy.deepcopy(v) for k, v in server.items() if not k.startswith("_")}
        view["flavor"] = {k: v for k, v in view["flavor"].items() if not k.startswith("_")}
        view["os-extended-volumes:volumes_attached"] = [
            {"id": v["id"], "delete_on_termination": False} for v in self.volumes.values()
            if any(a["server_id"] == server["id"] for a in v["attachments"])]
        return view

    def _make_server(self, spec, address=None):
        server_id = self.new_id()
        flavor = self.flavors[spec["flavorRef"]]
        number = len(self.servers) + 10
        net = self.networks[spec["networks"][0]["uuid"]]
        server = {
            "id": server_id, "name": spec["name"], "status": "BUILD",
            "metadata": dict(spec.get("metadata") or {}),
            "flavor": {"original_name": flavor["name"], "vcpus": flavor["vcpus"],
                       "ram": flavor["ram"], "disk": flavor["disk"], "ephemeral": 0,
                       "swap": 0, "extra_specs": {}, "_id": flavor["id"]},
            "image": {"id": spec.get("imageRef")} if spec.get("imageRef") else "",
            "addresses": {net["name"]: [{"addr": address or "10.0.0.%d" % number, "version": 4,
                                         "OS-EXT-IPS:type": "fixed",
                                         "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:%02x"
                                         % number}]},
            "key_name": spec.get("key_name"),
            "security_groups": spec.get("security_groups") or [],
            "tenant_id": PROJECT, "user_id": "user-id", "hostId": "host",
            "created": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:00Z",
            "OS-EXT-STS:vm_state": "building", "accessIPv4": "", "accessIPv6": "",
            "links": [], "tags": [], "locked": False, "description": None,
            "_polls": 0,
        }
        self.servers[server_id] = server
        port_id = self.new_id()
        self.ports[port_id] = {"id": port_id, "device_id": server_id, "network_id": net["id"],
                               "name": "", "status": "ACTIVE", "admin_state_up": True,
                               "fixed_ips": [{"ip_address": server["addresses"][net["name"]][0]
                                              ["addr"], "subnet_id": "subnet"}],
                               "mac_address": "fa:16:3e:00:00:%02x" % number,
                               "project_id": PROJECT, "tags": []}
        return server

    def _advance_server(self, server):
        if server["status"] != "BUILD":
            return
        server["_polls"] += 1
        if server["_polls"] < self.build_polls:
            return
        if server["name"] in self.server_faults:
            server["status"] = "ERROR"
            server["fault"] = {"code": 500, "message": self.server_faults[server["name"]],
                               "created": "2026-01-01T00:00:00Z"}
        else:
            server["status"] = "ACTIVE"

    def _nova_servers(self, method, parts, query, body):  # pylint: disable=too-many-return-statements,too-many-branches
        if method == "GET" and parts in ([], ["detail"]):
            servers = list(self.servers.values())
            if "name" in query:
                servers = [s for s in servers if re.search(query["name"], s["name"])]
            return 200, {"servers": [self._server_view(s) for s in servers]}
        if method == "POST" and not parts:
            spec = body["server"]
            if self.server_create_error is not None:
                status, error = self.server_create_error
                raise _Reply(status, error)
            flavor = self.flavors[spec["flavorRef"]]
            used = self._compute_used()
            if used["instances"] + 1 > self.compute_quota["instances"] or \
                    used["cores"] + flavor["vcpus"] > self.compute_quota["cores"]:
                raise _Reply(403, {"forbidden": {
                    "code": 403, "message": "Quota exceeded for instances: Requested 1, but "
                                            "already used %d of %d instances"
                                            % (used["instances"],
                                               self.compute_quota["instances"])}})
            server = self._make_server(spec)
            server["_request"] = copy.deepcopy(body)
            return 202, {"server": {"id": server["id"], "links": [],
                                    "OS-DCF:diskConfig": "MANUAL",
                                    "security_groups": spec.get("security_groups") or [],
                                    "adminPass": "x"}}
        if not parts:
            return None
        server = self.servers.get(parts[0])
        if server is None:
            # the SDK's find tries the name as an id first
            raise _not_found("Instance %s" % parts[0])
        rest = parts[1:]
        if method == "GET" and not rest:
            self._advance_server(server)
            return 200, {"server": self._server_view(server)}
        if method == "DELETE" and not rest:
            del self.servers[server["id"]]
            for port_id in [p for p, port in self.ports.items()
                            if port["device_id"] == server["id"]]:
                del self.ports[port_id]
            for volume in self.volumes.values():
                if any(a["server_id"] == server["id"] for a in volume["attachments"]):
                    volume["attachments"] = []
                    volume["status"] = "available"
            return 204, None
        if method == "POST" and rest == ["action"]:
            action = next(iter(body))
            server["status"] = {"os-start": "ACTIVE", "unpause": "ACTIVE",
                                "resume": "ACTIVE", "os-stop": "SHUTOFF"}.get(action,
                                                                              server["status"])
            return 202, None
        if rest[:1] == ["os-volume_attachments"]:
            if method == "POST" and len(rest) == 1:
                volume = self.volumes[body["volumeAttachment"]["volumeId"]]
                attachment = {"id": volume["id"], "server_id": server["id"],
                              "volume_id": volume["id"], "attachment_id": self.new_id(),
                              "device": "/dev/vdb", "host_name": "host"}
                volume["attachments"] = [attachment]
                volume["status"] = "in-use"
                return 200, {"volumeAttachment": {"id": volume["id"], "serverId": server["id"],
                                                  "volumeId": volume["id"],
                                                  "device": "/dev/vdb"}}
            if method == "DELETE" and len(rest) == 2:
                volume = self.volumes[rest[1]]
                volume["attachments"] = []
                volume["status"] = "available"
                return 202, None
        return None

    def _nova_keypairs(self, method, parts, body):
        if method == "GET" and not parts:
            return 200, {"keypairs": [{"keypair": copy.deepcopy(k)}
                                      for k in self.keypairs.values()]}
        if method == "GET" and len(parts) == 1:
            if parts[0] not in self.keypairs:
                raise _not_found("Keypair %s" % parts[0])
            return 200, {"keypair": copy.deepcopy(self.keypairs[parts[0]])}
        if method == "POST" and not parts:
            spec = body["keypair"]
            self.keypairs[spec["name"]] = {"name": spec["name"], "public_key": spec["public_key"],
                                           "fingerprint": "fp", "type": "ssh",
                                           "user_id": "user-id"}
            return 200, {"keypair": copy.deepcopy(self.keypairs[spec["name"]])}
        if method == "DELETE" and len(parts) == 1:
            self.keypairs.pop(parts[0], None)
            return 202, None
        return None

    def _nova_server_groups(self, method, parts, body):
        if method == "GET" and not parts:
            return 200, {"server_groups": [copy.deepcopy(g) for g in self.server_groups.values()]}
        if method == "GET" and len(parts) == 1:
            if parts[0] not in self.server_groups:
                raise _not_found("Server group %s" % parts[0])
            return 200, {"server_group": copy.deepcopy(self.server_groups[parts[0]])}
        if method == "POST" and not parts:
            spec = body["server_group"]
            group_id = self.new_id()
            policies = spec.get("policies") or [spec.get("policy")]
            self.server_groups[group_id] = {"id": group_id, "name": spec["name"],
                                            "policies": policies, "members": [],
                                            "metadata": {}}
            return 200, {"server_group": copy.deepcopy(self.server_groups[group_id])}
        if method == "DELETE" and len(parts) == 1:
            self.server_groups.pop(parts[0], None)
            return 204, None
        return None

    # ------------------------------------------------------------------ glance
    def _image(self, method, path, query, body):
        if method == "GET" and path == "/":
            return 300, {"versions": [{"id": "v2.16", "status": "CURRENT",
                                       "links": [{"rel": "self", "href": IMAGE + "/v2/"}]}]}
        if method != "GET" or not path.startswith("/v2/images"):
            return None
        parts = path[len("/v2/images"):].strip("/").split("/") if path != "/v2/images" else []
        if not parts:
            images = list(self.images.values())
            if "name" in query:
                images = [i for i in images if i["name"] == query["name"]]
            return 200, {"images": copy.deepcopy(images)}
        if parts[0] in self.images:
            return 200, copy.deepcopy(self.images[parts[0]])
        raise _not_found("Image %s" % parts[0])

    # ------------------------------------------------------------------ neutron
    _NEUTRON = {"networks": ("networks", "network"),
                "security-groups": ("security_groups", "security_group"),
                "security-group-rules": ("rules", "security_group_rule"),
                "ports": ("ports", "port"),
                "floatingips": ("floating_ips", "floatingip")}

    def _network(self, method, path, query, body):  # pylint: disable=too-many-return-statements
        if method == "GET" and path == "/":
            return 200, {"versions": [{"id": "v2.0", "status": "CURRENT",
                                       "links": [{"rel": "self", "href": NETWORK + "/v2.0/"}]}]}
        if not path.startswith("/v2.0/"):
            return None
        parts = path[len("/v2.0/"):].split("/")
        if parts[0] not in self._NEUTRON:
            return None
        attr, singular = self._NEUTRON[parts[0]]
        collection = getattr(self, attr)
        plural = parts[0].replace("-", "_")
        if method == "GET" and len(parts) == 1:
            items = list(collection.values())
            for key, value in query.items():
                if key in ("fields", "limit", "marker"):
                    continue
                items = [i for i in items if str(i.get(key)) == value]
            return 200, {plural: copy.deepcopy(items)}
        if method == "GET" and len(parts) == 2:
            if parts[1] not in collection:
                raise _not_found("%s %s" % (singular, parts[1]))
            return 200, {singular: copy.deepcopy(collection[parts[1]])}
        if method == "POST" and len(parts) == 1:
            spec = dict(body[singular])
            spec["id"] = self.new_id()
            spec.setdefault("project_id", PROJECT)
            spec.setdefault("tags", [])
            spec.setdefault("description", "")
            if singular == "security_group":
                spec["security_group_rules"] = []
                for ethertype in ("IPv4", "IPv6"):  # Neutron's default egress rules
                    rule_id = self.new_id()
                    self.rules[rule_id] = {"id": rule_id, "security_group_id": spec["id"],
                                           "direction": "egress", "ethertype": ethertype,
                                           "protocol": None, "port_range_min": None,
                                           "port_range_max": None, "remote_ip_prefix": None,
                                           "remote_group_id": None, "description": "",
                                           "project_id": PROJECT, "tags": []}
            if singular == "security_group_rule":
                for key in ("protocol", "port_range_min", "port_range_max", "remote_ip_prefix",
                            "remote_group_id"):
                    spec.setdefault(key, None)
            if singular == "floatingip":
                spec["floating_ip_address"] = "203.0.113.%d" % (len(self.floating_ips) + 10)
                port = self.ports[spec["port_id"]]
                spec["fixed_ip_address"] = port["fixed_ips"][0]["ip_address"]
                spec["status"] = "ACTIVE"
                server = self.servers[port["device_id"]]
                for addresses in server["addresses"].values():
                    addresses.append({"addr": spec["floating_ip_address"], "version": 4,
                                      "OS-EXT-IPS:type": "floating"})
            collection[spec["id"]] = spec
            return 201, {singular: copy.deepcopy(spec)}
        if method == "DELETE" and len(parts) == 2:
            if parts[1] not in collection:
                raise _not_found("%s %s" % (singular, parts[1]))
            del collection[parts[1]]
            if singular == "security_group":
                for rule_id in [r for r, rule in self.rules.items()
                                if rule["security_group_id"] == parts[1]]:
                    del self.rules[rule_id]
            return 204, None
        return None

    # ------------------------------------------------------------------ cinder
    def _volume_used(self):
        used = dict(self.volume_used_extra)
        for volume in self.volumes.values():
            used["volumes"] += 1
            used["gigabytes"] += volume["size"]
        return used

    def _volume(self, method, path, query, body):  # pylint: disable=too-many-return-statements,too-many-branches
        base = "/v3/%s" % PROJECT
        if method == "GET" and path in ("/", "/v3", base):
            version = {"id": "v3.0", "status": "CURRENT", "version": "3.70",
                       "min_version": "3.0", "updated": "2023-01-01T00:00:00Z",
                       "links": [{"rel": "self", "href": "https://volume.example.test/v3/"}]}
            if path == "/":
                return 300, {"versions": [version]}
            return 200, {"version": version}
        if not path.startswith(base + "/"):
            return None
        parts = path[len(base) + 1:].split("/")
        if parts == ["limits"] and method == "GET":
            used = self._volume_used()
            return 200, {"limits": {"rate": [], "absolute": {
                "maxTotalVolumes": self.volume_quota["volumes"],
                "totalVolumesUsed": used["volumes"],
                "maxTotalVolumeGigabytes": self.volume_quota["gigabytes"],
                "totalGigabytesUsed": used["gigabytes"],
                "maxTotalSnapshots": 10, "totalSnapshotsUsed": 0,
                "maxTotalBackups": 10, "totalBackupsUsed": 0,
                "maxTotalBackupGigabytes": 1000, "totalBackupGigabytesUsed": 0}}}
        if parts[0] != "volumes":
            return None
        if method == "GET" and parts[1:] in ([], ["detail"]):
            volumes = list(self.volumes.values())
            if "name" in query:
                volumes = [v for v in volumes if v["name"] == query["name"]]
            return 200, {"volumes": [self._volume_view(v) for v in volumes]}
        if method == "POST" and len(parts) == 1:
            spec = body["volume"]
            used = self._volume_used()
            if used["volumes"] + 1 > self.volume_quota["volumes"] or \
                    used["gigabytes"] + spec["size"] > self.volume_quota["gigabytes"]:
                raise _Reply(413, {"overLimit": {
                    "code": 413, "message": "VolumeSizeExceedsAvailableQuota: Requested volume "
                                            "or snapshot exceeds allowed gigabytes quota."}})
            volume = self.add_volume(spec["name"], size=spec["size"], status="creating",
                                     metadata=spec.get("metadata"))
            volume["description"] = spec.get("description") or ""
            volume["_request"] = copy.deepcopy(body)
            return 202, {"volume": self._volume_view(volume)}
        if len(parts) == 2 and parts[1] not in ("detail",):
            volume = self.volumes.get(parts[1])
            if volume is None:
                raise _not_found("Volume %s" % parts[1])
            if method == "GET":
                if volume["status"] == "creating":
                    volume["status"] = "error" if volume["name"] in self.volume_errors \
                        else "available"
                return 200, {"volume": self._volume_view(volume)}
            if method == "DELETE":
                del self.volumes[volume["id"]]
                return 202, None
            if method == "PUT":
                volume.update(body["volume"])
                return 200, {"volume": self._volume_view(volume)}
        if len(parts) == 3 and parts[2] == "metadata" and method == "POST":
            volume = self.volumes.get(parts[1])
            if volume is None:
                raise _not_found("Volume %s" % parts[1])
            volume["metadata"].update(body["metadata"])
            return 200, {"metadata": dict(volume["metadata"])}
        return None

    @staticmethod
    def _volume_view(volume):
        return {k: copy.deepcopy(v) for k, v in volume.items() if not k.startswith("_")}


def cloud_mocker():
    """A started requests_mock.Mocker with a FakeCloud on it: ``(mocker, cloud)``."""
    mocker = requests_mock.Mocker()
    mocker.start()
    return mocker, FakeCloud(mocker)
