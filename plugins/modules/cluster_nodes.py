#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cluster_nodes
short_description: Ensure the nodes of one kind of a grid cluster exist, with a given count
version_added: "1.0.0"
description:
  - Creates, adopts, starts, scales and removes the nodes of one node kind of a cluster.
  - Nodes are named C(<cluster>-<kind>NNN) with NNN the index from 001 and carry their
    cluster, kind and index (podman labels, OpenStack server metadata), so a re-run adopts the
    nodes that exist instead of creating them twice.
  - Scaling up creates the next indices; scaling down removes the highest indices first.
  - With provider V(podman) each node is a systemd container on a private podman network
    C(<cluster>-net), from the image built by C(scripts/build-node-image.sh).
  - With provider V(openstack) each node is a server on the network C(network) of
    O(provider_settings), with the keypair C(<cluster>-key) and the security group C(<cluster>)
    made by the first run; before any server is created the image, the flavor, the networks
    and the compute and volume quotas are checked, and every problem is reported at once.
    Waiting means the server is C(ACTIVE) and its ssh port answers.
  - Volumes are handled by M(gridcloud.arc_cluster.cluster_volume); this module never deletes
    volume data.
author:
  - gridcloud.arc_cluster contributors (!UNKNOWN)
extends_documentation_fragment:
  - gridcloud.arc_cluster.provider
options:
  kind:
    description:
      - The node kind, for example V(frontend) or V(compute).
      - Required when O(state=present). With O(state=absent) and no O(kind), every node of the
        cluster is removed, then the cluster-wide resources the provider made for it (network,
        keypair, security group, the volumes of shared dirs).
    type: str
  count:
    description: How many nodes of O(kind) must exist. Required when O(state=present).
    type: int
  release:
    description: Debian release of the node image.
    type: str
    default: trixie
    choices: [trixie, bookworm]
  image:
    description: Image for this kind, instead of the provider's default for O(release).
    type: str
  resources:
    description:
      - Resources of each node. For podman C(cpus) (a number) and C(memory) (a size such as
        V(2GiB)) become container limits. For openstack C(flavor) names the flavor.
    type: dict
    default: {}
  volumes:
    description:
      - The volumes each node of O(kind) will get (each with C(size_bytes) or C(size)), as in
        the definition. Only used to check, before creating nodes, that the volume quota can
        hold them (openstack); the volumes are made by M(gridcloud.arc_cluster.cluster_volume).
    type: list
    elements: dict
    default: []
  all_kinds:
    description:
      - Every node kind of the cluster with its C(count), C(resources), C(image) and
        C(volumes), as in the definition's normal form (the C(cluster) role passes
        C(cluster_spec.nodes)).
      - With it, when nodes of O(kind) are missing, the nodes missing of every kind are
        checked together before the first is created (openstack, a quota must hold all of
        them), and every problem of every kind is reported in one message. Nodes of other
        kinds are not created or removed.
    type: dict
    default: {}
  elastic_max:
    description:
      - The most nodes O(kind) may have, O(count) included, when the kind is elastic
        (C(cluster.nodes.<kind>.elastic.max)); V(0) for a kind that is not.
      - The nodes with an index above O(count) up to O(elastic_max) are elastic, made and
        removed only when O(elastic_up) or O(elastic_down) names them, otherwise left as they
        are (never counted as surplus). Nodes above O(elastic_max) are surplus.
    type: int
    default: 0
  elastic_controller:
    description:
      - The nodes of O(kind) run the SLURM controller of a cluster with elastic kinds, which
        makes and removes elastic nodes itself (SLURM's power saving), so they are made able to
        (podman, the host's podman service). Fails naming the fix when such a node exists but
        was made without.
    type: bool
    default: false
  elastic_up:
    description:
      - Elastic nodes of O(kind) to make (and start, and wait for), by name, for example
        V(demo-compute002). Each must be an elastic node of O(kind) (see O(elastic_max)).
    type: list
    elements: str
    default: []
  elastic_down:
    description:
      - Elastic nodes of O(kind) to remove, by name. A name that does not exist is already
        done. Their volumes are left to M(gridcloud.arc_cluster.cluster_volume).
    type: list
    elements: str
    default: []
  state:
    description: Whether the nodes must exist (V(present)) or not (V(absent)).
    type: str
    default: present
    choices: [present, absent]
  wait:
    description: Wait until every node has finished booting.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for one node to boot (openstack, to be ACTIVE and answer on ssh).
    type: int
    default: 300
attributes:
  check_mode:
    support: full
    description: Predicts which nodes would be created, started and removed; changes nothing.
  diff_mode:
    support: none
    description: The result lists the nodes created, started or removed (RV(created), RV(started), RV(removed)) instead of a diff.
notes:
  - The podman provider needs podman configured for the host, see C(scripts/containers.conf)
    and C(CONTAINERS_CONF).
seealso:
  - module: gridcloud.arc_cluster.cluster_volume
  - module: gridcloud.arc_cluster.cluster_definition
"""

EXAMPLES = r"""
- name: Two compute nodes
  gridcloud.arc_cluster.cluster_nodes:
    cluster: demo
    kind: compute
    count: 2
  register: compute

- name: Scale the compute nodes down to one (removes demo-compute002)
  gridcloud.arc_cluster.cluster_nodes:
    cluster: demo
    kind: compute
    count: 1

- name: Make the elastic node demo-compute002 (compute has count 0 and elastic max 2)
  gridcloud.arc_cluster.cluster_nodes:
    cluster: demo
    kind: compute
    count: 0
    elastic_max: 2
    elastic_up: [demo-compute002]

- name: Remove every node of the cluster and its network
  gridcloud.arc_cluster.cluster_nodes:
    cluster: demo
    state: absent
"""

RETURN = r"""
nodes:
  description: The nodes of O(kind) after the run (with O(state=present)), sorted by index.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Host name of the node, also its container or server name.
      type: str
      sample: demo-compute001
    kind:
      description: Node kind.
      type: str
      sample: compute
    index:
      description: Index of the node within its kind, from 1.
      type: int
      sample: 1
    address:
      description: Address of the node on the cluster network.
      type: str
      sample: 10.89.0.3
    floating_ip:
      description: The node's floating IP (openstack, kinds that get one), else null.
      type: str
      returned: with provider openstack
      sample: 203.0.113.10
    state:
      description: Provider state of the node.
      type: str
      sample: running
    connection:
      description: Variables with which Ansible connects to the node.
      type: dict
      sample: {"ansible_connection": "gridcloud.arc_cluster.podman", "ansible_host": "demo-compute001"}
      # openstack: {"ansible_connection": "ssh", "ansible_host": "203.0.113.10",
      #             "ansible_user": "debian"}
created:
  description: Names of the nodes created (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [demo-compute002]
started:
  description: Names of the nodes that existed stopped and were started.
  returned: always
  type: list
  elements: str
  sample: []
removed:
  description: The nodes removed (or that would be), as dicts like RV(nodes).
  returned: always
  type: list
  elements: dict
removed_resources:
  description:
    - The cluster-wide resources removed (or that would be) with O(state=absent) and no
      O(kind), once no node is left; for example the podman network and the volumes of the
      shared dirs, or the OpenStack security group, keypair and server groups.
  returned: always
  type: list
  elements: str
  sample: ["network demo-net", "shared dir volume demo-shared-srv-grid"]
"""

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.cluster_module import (
    ClusterModule,
)
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers import (
    RELEASES,
)
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.definition import (
    NAME_RE,
    node_name,
    parse_size,
)


class ClusterNodesModule(ClusterModule):
    argument_spec = {
        "kind": {"type": "str"},
        "count": {"type": "int"},
        "release": {"type": "str", "default": RELEASES[0], "choices": list(RELEASES)},
        "image": {"type": "str"},
        "resources": {"type": "dict", "default": {}},
        "volumes": {"type": "list", "elements": "dict", "default": []},
        "all_kinds": {"type": "dict", "default": {}},
        "elastic_max": {"type": "int", "default": 0},
        "elastic_controller": {"type": "bool", "default": False},
        "elastic_up": {"type": "list", "elements": "str", "default": []},
        "elastic_down": {"type": "list", "elements": "str", "default": []},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "wait": {"type": "bool", "default": True},
        "timeout": {"type": "int", "default": 300},
    }
    module_kwargs = {
        "supports_check_mode": True,
        "required_if": [("state", "present", ("kind", "count"))],
    }

    def run(self):
        if self.params["state"] == "absent":
            self._absent()
        else:
            self._present()

    def _present(self):
        cluster, kind, count = self.params["cluster"], self.params["kind"], self.params["count"]
        if count < 0:
            self.fail_json(msg="count must be 0 or more, got %d" % count)
        if not NAME_RE.match(kind):
            self.fail_json(msg="kind: %r is not a kind name; use lower-case letters and digits, "
                               "starting with a letter" % kind)
        spec = {"resources": self.params["resources"], "image": self.params["image"],
                "elastic_controller": self.params["elastic_controller"]}
        release = self.params["release"]
        provider = self.provider
        up, down = self._elastic_indices(cluster, kind, count)
        existing = [n for n in provider.list_nodes(cluster) if n["kind"] == kind]
        by_index = {n["index"]: n for n in existing}
        wanted = list(range(1, count + 1)) + up
        missing = [i for i in wanted if i not in by_index]
        surplus = sorted((n for n in existing
                          if n["index"] > max(count, self.params["elastic_max"])
                          or n["index"] in down),
                         key=lambda n: n["index"], reverse=True)
        stopped = [by_index[i] for i in wanted if i in by_index and by_index[i]["state"] != "running"]
        if missing:
            self._check_request(cluster, release, kind, spec, len(missing))
        if self.params["elastic_controller"]:
            for index in wanted:
                if index in by_index:
                    provider.check_elastic_controller(by_index[index])
        # every run: a setting of the cluster's resources (security group sources, https) may
        # have changed on a cluster whose nodes all exist
        changed = provider.ensure_cluster_resources(cluster, check_mode=self.check_mode)
        created, started = [], []
        nodes = dict(by_index)
        for node in surplus:
            if not self.check_mode:
                provider.delete_node(node)
            nodes.pop(node["index"], None)
        for node in stopped:
            started.append(node["name"])
            if not self.check_mode:
                nodes[node["index"]] = provider.start_node(node)
        for index in missing:
            name = node_name(cluster, kind, index)
            created.append(name)
            if self.check_mode:
                nodes[index] = {"name": name, "kind": kind, "index": index, "cluster": cluster,
                                "address": None, "state": "planned", "id": None,
                                "connection": {}}
            else:
                nodes[index] = provider.create_node(cluster, release, kind, index, spec)
        if self.params["wait"] and not self.check_mode:
            for index in wanted:
                nodes[index] = provider.wait_node(nodes[index], self.params["timeout"])
        changed = bool(changed or created or started or surplus)
        self.exit_json(changed=changed,
                       nodes=[nodes[i] for i in sorted(nodes)],
                       created=created, started=started, removed=surplus,
                       removed_resources=[])

    def _elastic_indices(self, cluster, kind, count):
        """The indices of O(elastic_up) and O(elastic_down); fail naming a node that is not
        an elastic node of O(kind), or that is named in both."""
        most = self.params["elastic_max"]
        elastic = {node_name(cluster, kind, index): index for index in range(count + 1, most + 1)}
        indices = {}
        for option in ("elastic_up", "elastic_down"):
            wrong = [name for name in self.params[option] if name not in elastic]
            if wrong:
                self.fail_json(msg="%s: %s %s not an elastic node of kind %s (%s)" % (
                    option, ", ".join(wrong), "is" if len(wrong) == 1 else "are", kind,
                    "%s to %s" % (node_name(cluster, kind, count + 1),
                                  node_name(cluster, kind, most)) if elastic
                    else "it has none: elastic_max %d is not above count %d" % (most, count)))
            indices[option] = sorted({elastic[name] for name in self.params[option]})
        both = set(indices["elastic_up"]) & set(indices["elastic_down"])
        if both:
            self.fail_json(msg="elastic_up and elastic_down both name %s; name each node in one"
                           % ", ".join(node_name(cluster, kind, i) for i in sorted(both)))
        return indices["elastic_up"], indices["elastic_down"]

    def _check_request(self, cluster, release, kind, spec, missing):
        """Check, before any node is created, that the missing nodes can be made.

        With O(all_kinds), the missing nodes of every kind are checked together (a quota
        must hold all of them), so that a cluster that does not fit stops before its first
        node, and every problem of every kind is reported in one message.
        """
        requests = {kind: dict(spec, count=missing, volumes=self._volumes(self.params["volumes"]))}
        existing = self.provider.list_nodes(cluster) if self.params["all_kinds"] else []
        for other, other_spec in (self.params["all_kinds"] or {}).items():
            if other == kind or not isinstance(other_spec, dict):
                continue
            have = {n["index"] for n in existing if n["kind"] == other}
            count = len([i for i in range(1, int(other_spec.get("count") or 0) + 1)
                         if i not in have])
            if count:
                requests[other] = {"resources": other_spec.get("resources") or {},
                                   "image": other_spec.get("image"), "count": count,
                                   "volumes": self._volumes(other_spec.get("volumes") or [])}
        self.provider.check_cluster_request(cluster, release, requests)

    def _volumes(self, volumes_param):
        volumes = []
        for index, volume in enumerate(volumes_param):
            size = volume.get("size_bytes")
            if size is None:
                try:
                    size = parse_size(volume.get("size"))
                except ValueError:
                    self.fail_json(msg="volumes[%d]: give size_bytes or a size such as 1GiB"
                                   % index)
            volumes.append({"name": volume.get("name"), "size_bytes": int(size)})
        return volumes

    def _absent(self):
        cluster, kind = self.params["cluster"], self.params["kind"]
        provider = self.provider
        existing = provider.list_nodes(cluster)
        doomed = [n for n in existing if kind is None or n["kind"] == kind]
        for node in doomed:
            if not self.check_mode:
                provider.delete_node(node)
        resources = []
        if kind is None:
            resources = provider.delete_cluster_resources(cluster, check_mode=self.check_mode)
        self.exit_json(changed=bool(doomed or resources), nodes=[], created=[], started=[],
                       removed=doomed, removed_resources=resources)


def main():
    module = ClusterNodesModule()
    module()


if __name__ == "__main__":
    main()
