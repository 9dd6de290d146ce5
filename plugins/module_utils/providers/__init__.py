# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Providers of cluster nodes and volumes: ``podman`` (one machine) and ``openstack``."""

from __future__ import annotations

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers.base import (
    ProviderError,
)


def get_provider(name, settings, runner):
    """Return the provider called ``name`` configured with ``settings``."""
    if name == "podman":
        from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers.podman import (  # noqa: E501 pylint: disable=import-outside-toplevel
            PodmanProvider,
        )
        return PodmanProvider(settings, runner)
    if name == "openstack":
        from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers.openstack import (  # noqa: E501 pylint: disable=import-outside-toplevel
            OpenStackProvider,
        )
        return OpenStackProvider(settings, runner)
    raise ProviderError("unknown provider %r; use podman or openstack" % (name,))
