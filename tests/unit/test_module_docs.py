# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each module's documentation (with its doc fragments) says what its argument_spec does.

The documentation is read the way ansible-doc reads it (fragments merged); the argument_spec is
the one the module really hands to AnsibleModule, caught when main() builds it.
"""

from __future__ import annotations

import importlib
import os

import pytest
import yaml
from ansible.module_utils import basic

COLLECTION = "gridcloud.arc_cluster"
PACKAGE = "ansible_collections.gridcloud.arc_cluster.plugins"
MODULES_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "plugins", "modules")
MODULES = sorted(name[:-3] for name in os.listdir(MODULES_DIR) if name.endswith(".py"))


class _Built(Exception):
    pass


def effective_argument_spec(module):
    """The argument_spec main() passes to AnsibleModule."""
    caught = {}

    def fake_init(self, argument_spec, **kwargs):  # pylint: disable=unused-argument
        caught.update(argument_spec)
        raise _Built()

    original = basic.AnsibleModule.__init__
    basic.AnsibleModule.__init__ = fake_init
    try:
        with pytest.raises(_Built):
            module.main()
    finally:
        basic.AnsibleModule.__init__ = original
    return caught


def documented_options(module):
    """The module's options with those of its (this collection's) doc fragments."""
    doc = yaml.safe_load(module.DOCUMENTATION)
    options = dict(doc.get("options") or {})
    for name in doc.get("extends_documentation_fragment") or []:
        assert name.startswith(COLLECTION + "."), "unexpected doc fragment %s" % name
        fragment = importlib.import_module(PACKAGE + ".doc_fragments." + name[len(COLLECTION) + 1:])
        fragment_options = yaml.safe_load(fragment.ModuleDocFragment.DOCUMENTATION)["options"]
        assert not set(fragment_options) & set(options), "options documented twice in %s" % name
        options.update(fragment_options)
    return options


@pytest.mark.parametrize("name", MODULES)
def test_documented_options_match_the_argument_spec(name):
    module = importlib.import_module(PACKAGE + ".modules." + name)
    spec = effective_argument_spec(module)
    docs = documented_options(module)
    assert sorted(docs) == sorted(spec)
    for option, settings in spec.items():
        documented = docs[option]
        assert documented.get("type", "str") == settings.get("type", "str"), option
        assert documented.get("default") == settings.get("default"), option
        assert documented.get("choices") == settings.get("choices"), option
        assert bool(documented.get("required")) == bool(settings.get("required")), option
        assert documented.get("description"), option


PLUGINS_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "plugins")
DOCUMENTED_PLUGINS = sorted(
    os.path.join(kind, name) for kind in ("modules", "inventory", "connection", "filter")
    if os.path.isdir(os.path.join(PLUGINS_DIR, kind))
    for name in os.listdir(os.path.join(PLUGINS_DIR, kind)) if name.endswith(".py"))


@pytest.mark.parametrize("path", DOCUMENTED_PLUGINS)
def test_every_plugin_documentation_is_yaml(path):
    """A ': ' inside a description breaks ansible-doc and the inventory plugin's loading."""
    import ast  # pylint: disable=import-outside-toplevel

    with open(os.path.join(PLUGINS_DIR, path), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    blocks = {node.targets[0].id: node.value.value for node in tree.body
              if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
              and node.targets[0].id in ("DOCUMENTATION", "EXAMPLES", "RETURN")}
    for name, text in blocks.items():
        try:
            yaml.safe_load(text)
        except yaml.YAMLError as exc:
            pytest.fail("%s %s is not valid YAML: %s" % (path, name, exc))
