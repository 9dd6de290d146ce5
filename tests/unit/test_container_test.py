# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test plugin gridcloud.arc_cluster.container (plugins/test/container.py)."""

from __future__ import annotations

import pytest

from ansible_collections.gridcloud.arc_cluster.plugins.test.container import TestModule as ContainerTests
from ansible_collections.gridcloud.arc_cluster.plugins.test.container import container


@pytest.mark.parametrize("value", ["container", "podman", "docker", "lxc", "systemd-nspawn", "openvz"])
def test_container_runtimes_are_containers(value):
    assert container(value) is True


@pytest.mark.parametrize("value", ["kvm", "xen", "VirtualBox", "NA", "", None, "Podman "])
def test_machines_and_a_missing_fact_are_not(value):
    assert container(value) is False


def test_the_plugin_offers_the_test_under_its_documented_name():
    assert ContainerTests().tests() == {"container": container}
