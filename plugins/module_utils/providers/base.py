# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provider contract: what a place that runs nodes must offer.

A provider creates, finds and removes the nodes of a cluster, the block volumes attached to
them and the cluster-wide resources they need (a network, a keypair, a security group, shared
directories). Nodes carry their cluster, kind and index (labels on podman, metadata on
OpenStack), so that a later run adopts what exists instead of creating it twice.

Adding a provider is one new file with a subclass of :class:`Provider` and one entry in the
registry (``providers/__init__.py``). The definition, the modules, the inventory plugin and
the report call only the methods below, never a provider by name.

Two halves:

- class methods, used while the definition is validated (on the Ansible controller, before
  anything exists): the settings under ``cluster.<provider>``, provider-specific checks of a
  node kind, the settings derived from the whole definition, the directories the provider
  shares between nodes;
- instance methods, used by the modules and the inventory plugin on a provider made with the
  normal form's ``provider_settings`` and a ``runner`` (a function that runs a command and
  returns ``(rc, stdout, stderr)``).

A node is returned as a plain dict::

    {"name": "demo-compute001", "kind": "compute", "index": 1, "cluster": "demo",
     "id": "...", "address": "10.89.0.3", "state": "running",
     "connection": {"ansible_connection": "...", "ansible_host": "..."}}

``state`` is ``running`` for a node that is up; any other value means it needs starting.
A provider whose network gives nodes a DNS name adds ``"fqdn"`` (for example
``demo-frontend001.demo.internal``); the cluster's ``/etc/hosts`` block names the node by it
first, so that the node's own name (``hostname -f``) is the same before and after that block
is written.

A volume as::

    {"name": "shared", "node": "demo-frontend001", "id": "...", "size_bytes": 1073741824,
     "device": "/dev/disk/by-id/...", "attached": True}

Every failure is a :class:`ProviderError` whose message names the resource, the cause and,
where there is one, the fix; the modules turn it into ``fail_json`` in one place.
"""

from __future__ import annotations

import os


# Fixed node addresses start at this host number of the cluster's subnet (below it: the
# gateway and room for the site's own use).
FIRST_NODE_HOST = 10


class ProviderError(Exception):
    """A provider operation failed; the message names the resource and the cause."""


def first_free_address(net, used, end=None):
    """The first address of ``net`` (an ipaddress network), from its FIRST_NODE_HOST-th host on,
    that is not in ``used`` (addresses as str) and comes before ``end``; None when none is left.

    The one allocator of fixed node addresses: libvirt's DHCP host entries, podman's ``--ip``.
    """
    for number, candidate in enumerate(net.hosts(), start=1):
        if number < FIRST_NODE_HOST:
            continue
        if end is not None and candidate >= end:
            break
        if str(candidate) not in used:
            return str(candidate)
    return None


def check_setting_keys(settings, allowed, path, problems):
    """Append a problem for every key of ``settings`` that is not in ``allowed``.

    The one unknown-key check: the definition uses it for its own levels, each provider for
    its ``cluster.<provider>`` block.
    """
    for key in sorted(set(settings) - set(allowed), key=str):
        problems.append("%s.%s: unknown key; allowed keys are %s"
                        % (path, key, ", ".join(sorted(allowed))))


def make_ssh_key(runner, path, comment):
    """Make an ed25519 key pair without a passphrase at ``path`` (and ``path``.pub), its
    directory 0700 when made here. The one maker of the ssh keys providers generate: libvirt's
    cluster key, openstack's key of the SLURM controller that makes elastic nodes."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    args = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path]
    rc, out, err = runner(args)
    if rc != 0:
        raise ProviderError("making the ssh key %s failed (%s, rc=%s): %s"
                            % (path, " ".join(args), rc, (err or out or "").strip()))


# Seconds Ansible waits for a node's ssh connection and for sudo to answer (ansible_timeout).
SSH_TIMEOUT = 60


def ssh_login_vars(user):
    """Connection variables of a node reached over ssh as its image's user, root through sudo.

    The image's user (cloud-init's default user) has passwordless sudo; the roles need root.
    Pipelining runs modules without temporary files, and the temporary files that some actions
    still need are kept in /tmp, not in the login user's home: /home is shared over NFS with
    root squashed, and root (become) could not read them there. The directory is per user
    ($USER, expanded on the node): the login user and root both use remote_tmp, and a
    directory that root made first (mode 0700) would lock the login user out.
    Ansible waits SSH_TIMEOUT seconds (not its default 10) for ssh and for sudo's answer: on an
    emulated VM beside other work sudo took longer than 10 s to answer, and Ansible called the
    node unreachable in the middle of a run.
    """
    return {
        "ansible_connection": "ssh",
        "ansible_user": user,
        "ansible_become": user != "root",
        "ansible_pipelining": True,
        "ansible_remote_tmp": "/tmp/.ansible-$USER",
        "ansible_timeout": SSH_TIMEOUT,
    }


class Provider:
    """Base class of the providers.

    Subclasses set ``name`` and ``settings_keys`` and implement every method that raises
    NotImplementedError here; the others have a default that fits most providers.
    """

    name = None
    # The keys allowed under cluster.<name>, each with a few words on what it is.
    settings_keys = {}
    # What a node kind's ``resources`` may hold with this provider (key -> description).
    resource_keys = {}
    # Whether the SLURM controller can make and remove this provider's nodes itself, which
    # elastic kinds (``cluster.nodes.<kind>.elastic``) need.
    elastic = False

    def __init__(self, settings, runner=None):
        self.settings = dict(settings or {})
        self.runner = runner

    # ------------------------------------------------------------------ the definition
    @classmethod
    def validate_settings(cls, settings, path, problems):
        """Check ``cluster.<name>`` (a dict); append problems naming ``path.<key>``.

        Return the settings in normal form (defaults filled in where the normal form should
        show them). Called for every provider block present in a definition, whichever
        provider is active.
        """
        check_setting_keys(settings, cls.settings_keys, path, problems)
        return dict(settings)

    @classmethod
    def validate_kind(cls, kind, spec, path, problems):
        """Provider-specific checks of one node kind (``spec`` as in the definition)."""

    @classmethod
    def shared_dirs(cls, settings):
        """The directories this provider itself shares between every node of a cluster."""
        return []

    @classmethod
    def derive_settings(cls, settings, definition):
        """The settings the modules get: ``settings`` with what follows from the definition.

        ``definition`` is the rest of the normal form (nodes, vars...). For example the
        openstack provider opens https when the ARC CE serves its REST interface.
        """
        return dict(settings)

    @classmethod
    def elastic_controller(cls, settings):
        """What the SLURM controller needs to make and remove this provider's nodes itself,
        for elastic kinds: ``{"packages": [...], "environment": {...}, "collections": [...]}``,
        the Debian packages to install there, the environment of its playbook runs and the
        collections its connection needs (beside those the roles need). Only asked of a
        provider whose ``elastic`` is True.
        """
        return {"packages": [], "environment": {}, "collections": []}

    @classmethod
    def controller_settings(cls, settings, cluster, secrets_dir):
        """The ``cluster.<name>`` block of the SLURM controller's copy of the definition of
        ``cluster`` (the one its elastic runs read), whose secrets are in ``secrets_dir`` there: ``settings``
        (the definition's block, not derived) with what differs when the nodes are made from
        the controller (its credentials, how it reaches the nodes). Only asked of a provider
        whose ``elastic`` is True."""
        return dict(settings)

    # ------------------------------------------------------------------ cluster-wide
    def check_node_request(self, cluster, release, kind, spec):
        """Raise ProviderError when nodes of this spec cannot be created (image missing...).

        ``spec`` has ``count``, ``resources``, ``image`` and ``volumes`` (each with
        ``name`` and ``size_bytes``).
        """
        raise NotImplementedError

    def check_cluster_request(self, cluster, release, requests):
        """Check the nodes still to be made of every kind together, before the first one.

        ``requests`` maps kind -> spec as for :meth:`check_node_request`. Raise one
        ProviderError that lists every problem. Providers with limits shared between kinds
        (a quota) override this to check the sum.
        """
        problems = []
        for kind, spec in requests.items():
            try:
                self.check_node_request(cluster, release, kind, spec)
            except ProviderError as exc:
                problems.append(str(exc))
        if problems:
            raise ProviderError("\n".join(problems))

    def ensure_cluster_resources(self, cluster, check_mode=False):
        """Make what every node of the cluster needs first (network, keypair, security group).

        Return True when something was (or, in check mode, would be) made or changed.
        """
        raise NotImplementedError

    def delete_cluster_resources(self, cluster, check_mode=False):
        """Remove the cluster-wide resources once no node of the cluster is left.

        Only what the provider made for this cluster (labelled or named for it) is removed.
        Return the names of what was (or would be) removed.
        """
        raise NotImplementedError

    # ------------------------------------------------------------------ nodes
    def list_nodes(self, cluster):
        """Return the nodes of ``cluster`` that exist, sorted by kind and index."""
        raise NotImplementedError

    def create_node(self, cluster, release, kind, index, spec):
        """Create one node and return it (started, not yet waited for).

        ``spec`` has ``resources`` and ``image``, and ``elastic_controller`` True for the
        SLURM controller of a cluster with elastic kinds, which must be able to make and
        remove the cluster's nodes itself (see :meth:`elastic_controller`).
        """
        raise NotImplementedError

    def check_elastic_controller(self, node):
        """Raise ProviderError when ``node``, the SLURM controller of a cluster with elastic
        kinds, exists but cannot make nodes itself (made before the cluster had elastic kinds,
        for example). Nodes made with ``spec["elastic_controller"]`` can."""

    def start_node(self, node):
        """Start a node that exists but is stopped; return it."""
        raise NotImplementedError

    def wait_node(self, node, timeout):
        """Wait until the node is ready to be configured; return it with its address."""
        raise NotImplementedError

    def delete_node(self, node):
        """Remove a node. Its volumes are left to the volume operations."""
        raise NotImplementedError

    def connection_vars(self, cluster, name, node=None):
        """The variables Ansible connects to node ``name`` of ``cluster`` with.

        ``node`` is the node as :meth:`list_nodes` returns it, or None for a node that does
        not exist yet (the inventory still lists it; a provider may know how it will be
        reached, for example the cluster's ssh key). The inventory plugin sets these as host
        variables; the report's login line comes from :meth:`login_command`.
        """
        return dict((node or {}).get("connection") or {})

    def login_command(self, cluster, name, node=None):
        """The command a person runs to log in to node ``name`` (for the closing report)."""
        variables = self.connection_vars(cluster, name, node)
        host = variables.get("ansible_host") or (node or {}).get("address") or name
        user = variables.get("ansible_user")
        return "ssh %s%s" % ("%s@" % user if user else "", host)

    # ------------------------------------------------------------------ volumes
    def get_volume(self, cluster, node_name, volume_name):
        """Return the volume, or None when it does not exist."""
        raise NotImplementedError

    def ensure_volume(self, cluster, node, volume, check_mode=False):
        """Make the volume exist and be attached to ``node``; return (changed, volume)."""
        raise NotImplementedError

    def remove_volume(self, cluster, node_name, volume_name, delete, check_mode=False):
        """Detach the volume; delete its data too when ``delete``. Return (changed, volume)."""
        raise NotImplementedError
