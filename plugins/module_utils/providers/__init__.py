# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The registry of providers and releases: the one list the definition, the modules'
argument choices and the provider lookup read.

Adding a provider: a new file in this package with a subclass of ``base.Provider``, and one
loader function plus one entry in ``PROVIDERS`` below. The imports stay inside the loader
functions (written out, not computed): Ansible packs a module's ``module_utils`` by reading
its import statements, and a provider's own dependencies (openstacksdk) are only needed when
that provider is used.
"""

from __future__ import annotations

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers.base import (
    Provider,
    ProviderError,
)

# Debian releases of the nodes: the first is the default.
RELEASES = ("trixie", "bookworm")
RELEASE_NAMES = {"trixie": "Debian 13", "bookworm": "Debian 12"}
DEFAULT_PROVIDER = "podman"


def _podman():
    from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers.podman import (  # noqa: E501 pylint: disable=import-outside-toplevel
        PodmanProvider,
    )
    return PodmanProvider


def _openstack():
    from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers.openstack import (  # noqa: E501 pylint: disable=import-outside-toplevel
        OpenStackProvider,
    )
    return OpenStackProvider


def _libvirt():
    from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers.libvirt import (  # noqa: E501 pylint: disable=import-outside-toplevel
        LibvirtProvider,
    )
    return LibvirtProvider


# name -> (loader of the provider class, what it is in a few words)
PROVIDERS = {
    "podman": (_podman, "systemd containers on this machine"),
    "openstack": (_openstack, "servers and Cinder volumes on an OpenStack cloud"),
    "libvirt": (_libvirt, "virtual machines on this machine"),
}
PROVIDER_NAMES = tuple(PROVIDERS)


def provider_class(name):
    """Return the class of the provider called ``name``."""
    try:
        loader = PROVIDERS[name][0]
    except (KeyError, TypeError):
        raise ProviderError("unknown provider %r; use one of %s"
                            % (name, ", ".join(PROVIDER_NAMES)))
    return loader()


def get_provider(name, settings, runner=None):
    """Return the provider called ``name`` configured with ``settings``."""
    return provider_class(name)(settings, runner)


__all__ = ["DEFAULT_PROVIDER", "PROVIDERS", "PROVIDER_NAMES", "Provider", "ProviderError",
           "RELEASES", "RELEASE_NAMES", "get_provider", "provider_class"]
