# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' variable documentation cannot drift.

- Each role's README holds the variable tables tools/role-docs.py makes from its
  meta/argument_specs.yml (``tools/role-docs.py --check``).
- The specs agree with the roles: every variable of defaults/main.yml is an option of an entry
  point, a literal default is the same in both, and a spec's ``default:`` has the option's type
  (a default the role computes is said in the description instead, as antsibull-docs wants).
- Every entry point has a short description and a description.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(REPO, "tools", "role-docs.py")
ROLES_DIR = os.path.join(REPO, "roles")
ROLES = sorted(name for name in os.listdir(ROLES_DIR) if os.path.isdir(os.path.join(ROLES_DIR, name)))
TYPES = {"str": str, "path": str, "list": list, "dict": dict, "bool": bool, "int": int, "float": (int, float)}


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def specs(role):
    return load(os.path.join(ROLES_DIR, role, "meta", "argument_specs.yml")).get("argument_specs") or {}


def role_defaults(role):
    path = os.path.join(ROLES_DIR, role, "defaults", "main.yml")
    return load(path) if os.path.exists(path) else {}


def all_options(options, prefix=""):
    for name, spec in (options or {}).items():
        yield prefix + name, spec or {}
        yield from all_options((spec or {}).get("options"), prefix + name + ".")


def tool():
    spec = importlib.util.spec_from_file_location("role_docs", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readmes_hold_the_tables_made_from_argument_specs():
    proc = subprocess.run([sys.executable, TOOL, "--check"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("role", ROLES)
def test_every_entry_point_is_described(role):
    assert specs(role), "roles/%s has no meta/argument_specs.yml" % role
    for entry, spec in specs(role).items():
        assert spec.get("short_description"), "%s: entry point %s has no short_description" % (role, entry)
        assert spec.get("description"), "%s: entry point %s has no description" % (role, entry)


@pytest.mark.parametrize("role", ROLES)
def test_a_spec_default_has_the_options_type_and_is_no_placeholder(role):
    bad = []
    for entry, spec in specs(role).items():
        for name, option in all_options(spec.get("options")):
            if "default" not in option or option["default"] is None:
                continue
            value = option["default"]
            kind = TYPES.get(option.get("type", "str"), object)
            if isinstance(value, bool) and kind is not bool:
                bad.append("%s %s: %r is a bool, not %s" % (entry, name, value, option.get("type")))
            elif not isinstance(value, kind):
                bad.append("%s %s: %r is not of type %s" % (entry, name, value, option.get("type", "str")))
            elif isinstance(value, str) and ("{{" in value or "<" in value):
                bad.append("%s %s: %r is prose; drop default and say it in the description"
                           % (entry, name, value))
    assert bad == []


@pytest.mark.parametrize("role", ROLES)
def test_every_default_variable_is_documented_with_the_same_value(role):
    documented = {}
    for spec in specs(role).values():
        documented.update(spec.get("options") or {})
    problems = []
    for name, value in role_defaults(role).items():
        if name not in documented:
            problems.append("%s is in defaults/main.yml but no entry point's option" % name)
            continue
        templated = isinstance(value, str) and "{{" in value
        if "default" in documented[name] and not templated and documented[name]["default"] != value:
            problems.append("%s: argument_specs says %r, defaults/main.yml %r"
                            % (name, documented[name]["default"], value))
    assert problems == []


def test_markup_is_rendered_as_markdown():
    render = tool().markup
    assert render("Set O(a_b=c), V(null), C(x | y) or RV(r) in I(it) B(bold) M(ns.c.m) E(ENV)") == (
        "Set `a_b=c`, `null`, `x | y` or `r` in *it* **bold** `ns.c.m` `ENV`")
    assert render("See L(the docs,https://example.org) and U(https://example.org/x).") == (
        "See [the docs](https://example.org) and <https://example.org/x>.")
    assert render("A <placeholder> and C(<kept>), I and C alone") == (
        "A &lt;placeholder&gt; and `<kept>`, I and C alone")
    assert render("Default O(ns.c.role#role:main:opt_a=1) or O(ns.c.m#module:opt_b)") == (
        "Default `opt_a=1` or `opt_b`")


def test_a_table_row_per_option_with_sub_options_and_pipes_escaped():
    rows = tool().option_rows({
        "x_list": {"type": "list", "elements": "dict", "description": ["One.", "Two |."],
                   "options": {"key": {"type": "str", "required": True, "choices": ["a", ""]}}},
        "x_flag": {"type": "bool", "default": False, "description": "Default off."},
    })
    assert rows == [
        "| `x_list` | list of dict |  | One. Two \\|. |",
        "| `x_list[].key` | str |  | **Required.** Choices: `a`, `\"\"`. |",
        "| `x_flag` | bool | `false` | Default off. |",
    ]
