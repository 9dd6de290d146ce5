# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provider interface: what a place that runs nodes must offer.

A provider creates, finds and removes the nodes of a cluster and the block volumes attached
to them. Nodes carry their cluster, kind and index (labels on podman, metadata on OpenStack),
so that a later run adopts what exists instead of creating it twice.

A node is returned as a plain dict::

    {"name": "demo-compute001", "kind": "compute", "index": 1, "cluster": "demo",
     "id": "...", "address": "10.89.0.3", "state": "running",
     "connection": {"ansible_connection": "...", "ansible_host": "..."}}

A volume as::

    {"name": "shared", "node": "demo-frontend001", "id": "...", "size_bytes": 1073741824,
     "device": "/dev/disk/by-id/...", "attached": True}
"""

from __future__ import annotations


class ProviderError(Exception):
    """A provider operation failed; the message names the resource and the cause."""


class Provider:
    """Base class of the providers. Subclasses implement every method."""

    name = None

    def __init__(self, settings, runner=None):
        self.settings = dict(settings or {})
        self.runner = runner

    # nodes
    def list_nodes(self, cluster):
        """Return the nodes of ``cluster`` that exist, sorted by kind and index."""
        raise NotImplementedError

    def check_node_request(self, cluster, release, kind, spec):
        """Raise ProviderError when a node of this spec cannot be created (image missing...)."""
        raise NotImplementedError

    def create_node(self, cluster, release, kind, index, spec):
        """Create one node and return it (started, not yet waited for)."""
        raise NotImplementedError

    def start_node(self, node):
        """Start a node that exists but is stopped."""
        raise NotImplementedError

    def wait_node(self, node, timeout):
        """Wait until the node is ready to be configured; return it with its address."""
        raise NotImplementedError

    def delete_node(self, node):
        """Remove a node. Its volumes are left to the volume operations."""
        raise NotImplementedError

    def ensure_cluster_network(self, cluster, check_mode=False):
        """Make the cluster's private network exist; return True when it was (or would be) made."""
        raise NotImplementedError

    def delete_cluster_network(self, cluster, check_mode=False):
        """Remove the cluster's network when no node uses it; return True when removed."""
        raise NotImplementedError

    def delete_shared_dirs(self, cluster, check_mode=False):
        """Remove what the provider made to share dirs between nodes; return what it removed."""
        return []

    # volumes
    def get_volume(self, cluster, node_name, volume_name):
        """Return the volume, or None when it does not exist."""
        raise NotImplementedError

    def ensure_volume(self, cluster, node, volume, check_mode=False):
        """Make the volume exist and be attached to ``node``; return (changed, volume)."""
        raise NotImplementedError

    def remove_volume(self, cluster, node_name, volume_name, delete, check_mode=False):
        """Detach the volume; delete its data too when ``delete``. Return (changed, volume)."""
        raise NotImplementedError
