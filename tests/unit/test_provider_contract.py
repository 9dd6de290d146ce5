# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provider contract (providers/base.py) and the registry (providers/__init__.py).

Every registered provider implements the whole contract, the modules and the inventory plugin
call providers only through it (never by name, never with getattr), and the modules' argument
choices and documentation come from the registry.
"""

from __future__ import annotations

import inspect
import os
import re

import pytest

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers import (
    PROVIDER_NAMES,
    RELEASES,
    ProviderError,
    get_provider,
    provider_class,
)
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers.base import (
    Provider,
)

PLUGINS = os.path.join(os.path.dirname(__file__), "..", "..", "plugins")
ABSTRACT = sorted(name for name, member in vars(Provider).items()
                  if callable(member) and "raise NotImplementedError" in inspect.getsource(member))


def test_the_contract_has_the_methods_the_modules_call():
    assert ABSTRACT == sorted([
        "check_node_request", "create_node", "delete_cluster_resources", "delete_node",
        "ensure_cluster_resources", "ensure_volume", "get_volume", "list_nodes",
        "remove_volume", "start_node", "wait_node"])


@pytest.mark.parametrize("name", PROVIDER_NAMES)
def test_every_registered_provider_implements_the_whole_contract(name):
    cls = provider_class(name)
    assert issubclass(cls, Provider)
    assert cls.name == name
    assert cls.settings_keys, "%s: settings_keys lists what cluster.%s may hold" % (name, name)
    missing = [method for method in ABSTRACT if getattr(cls, method) is getattr(Provider, method)]
    assert missing == [], "%s does not implement %s" % (name, ", ".join(missing))


def test_an_unknown_provider_is_a_provider_error_naming_the_known_ones():
    with pytest.raises(ProviderError) as info:
        get_provider("vmware", {})
    assert str(info.value) == "unknown provider 'vmware'; use one of %s" % ", ".join(PROVIDER_NAMES)


def test_check_cluster_request_collects_every_kind_s_problem():
    class Picky(Provider):
        def check_node_request(self, cluster, release, kind, spec):
            if spec["count"] > 1:
                raise ProviderError("%s: at most one node" % kind)

    with pytest.raises(ProviderError) as info:
        Picky({}).check_cluster_request("demo", "trixie", {
            "frontend": {"count": 1}, "compute": {"count": 3}, "gpu": {"count": 2}})
    assert str(info.value) == "compute: at most one node\ngpu: at most one node"


def test_login_command_defaults_to_ssh_with_the_connection_user():
    node = {"connection": {"ansible_host": "192.0.2.7", "ansible_user": "debian"}}
    assert Provider({}).login_command("demo", "demo-compute001", node) == "ssh debian@192.0.2.7"
    assert Provider({}).login_command("demo", "demo-compute001") == "ssh demo-compute001"


@pytest.mark.parametrize("path", ["modules/cluster_nodes.py", "modules/cluster_volume.py",
                                  "module_utils/cluster_module.py", "inventory/cluster.py"])
def test_callers_use_the_contract_not_provider_names(path):
    with open(os.path.join(PLUGINS, path), encoding="utf-8") as handle:
        code = handle.read().split('"""\n\nfrom', 1)[-1]  # past the documentation
    assert "getattr(" not in code
    for name in PROVIDER_NAMES:
        assert not re.search(r"['\"]%s['\"]" % name, code), "%s names provider %s" % (path, name)
        assert "providers.%s import" % name not in code


def test_the_documented_choices_are_the_registry_s():
    from ansible_collections.gridcloud.arc_cluster.plugins.doc_fragments.provider import (  # noqa: E501 pylint: disable=import-outside-toplevel
        ModuleDocFragment,
    )
    import yaml  # pylint: disable=import-outside-toplevel

    options = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert options["provider"]["choices"] == list(PROVIDER_NAMES)
    from ansible_collections.gridcloud.arc_cluster.plugins.modules import cluster_nodes  # noqa: E501 pylint: disable=import-outside-toplevel
    doc = yaml.safe_load(cluster_nodes.DOCUMENTATION)
    assert doc["options"]["release"]["choices"] == list(RELEASES)
