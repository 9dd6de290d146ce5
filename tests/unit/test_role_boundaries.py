# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Roles stand alone: no role reads another role's files, and roles are used only through the
entry points they declare.

- No file of role A (its Markdown aside: documentation may link) names a path into role B
  (``roles/B``, ``../B/``; a pointer to B's README.md is no read) or climbs out of its own
  directory from ``role_path``.
- No role reads a provider's own section of the definition (``gridcloud_definition.podman``,
  ``['openstack']``, ...): what a role needs from the provider comes through the inventory
  plugin's documented variables (``gridcloud_shared_dirs``, ...).
- An ``include_role``/``import_role`` of role B with ``tasks_from`` (from another role, from
  the playbooks, molecule scenarios, tests and example hooks) names an entry point that B
  declares in ``meta/argument_specs.yml``; ``vars_from``, ``defaults_from`` and
  ``handlers_from`` into another role are refused (they read its internals).
"""

from __future__ import annotations

import importlib.util
import os
import re

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES_DIR = os.path.join(REPO, "roles")
ROLES = sorted(name for name in os.listdir(ROLES_DIR) if os.path.isdir(os.path.join(ROLES_DIR, name)))
COLLECTION = "gridcloud.arc_cluster."
# Where the collection's own roles are used from, besides the roles themselves.
USER_DIRS = ["playbooks", "molecule", "tests/integration", "tests/openstack", "examples/hooks"]
INCLUDE_ACTIONS = {"include_role", "import_role", "ansible.builtin.include_role",
                   "ansible.builtin.import_role", "ansible.legacy.include_role",
                   "ansible.legacy.import_role"}
PRIVATE_FROM = ("vars_from", "defaults_from", "handlers_from")
PROVIDERS = ("podman", "openstack", "libvirt")
PROVIDER_SECTION = re.compile(
    r"gridcloud_definition\s*(?:\.\s*(?:%s)\b|\[\s*['\"](?:%s)['\"]\s*\])" % ("|".join(PROVIDERS), "|".join(PROVIDERS)))
# role_path followed by a climb out of the role: role_path ~ '/../', role_path }}/../, ...
ROLE_PATH_CLIMB = re.compile(r"role_path\s*(?:~\s*['\"]|\}\}\s*)/?\.\.")


def role_files(role):
    """(path relative to the repository, text) of every text file of the role but Markdown."""
    for top, _dirs, names in os.walk(os.path.join(ROLES_DIR, role)):
        for name in sorted(names):
            if name.endswith(".md"):
                continue
            path = os.path.join(top, name)
            try:
                with open(path, encoding="utf-8") as handle:
                    yield os.path.relpath(path, REPO), handle.read()
            except UnicodeDecodeError:
                continue


def path_violations(role, files):
    """Lines of the role's files that name another role's files or leave the role's directory."""
    others = [other for other in ROLES if other != role]
    # (a message may point the user to another role's README: that is not reading its files)
    into_other = re.compile(r"(?:\broles/|\.\./)(%s)(?!/README\.md)(?:/|\b)" % "|".join(map(re.escape, others)))
    found = []
    for path, text in files:
        for number, line in enumerate(text.splitlines(), 1):
            match = into_other.search(line)
            if match:
                found.append("%s:%d names role %s's files: %s" % (path, number, match.group(1), line.strip()))
            if ROLE_PATH_CLIMB.search(line):
                found.append("%s:%d leaves its role from role_path: %s" % (path, number, line.strip()))
            if PROVIDER_SECTION.search(line):
                found.append("%s:%d reads a provider's section of gridcloud_definition: %s"
                             % (path, number, line.strip()))
    return found


def _role_docs_tool():
    """tools/role-docs.py, which reads the argument_specs for the READMEs too."""
    spec = importlib.util.spec_from_file_location(
        "role_docs", os.path.join(os.path.dirname(ROLES_DIR), "tools", "role-docs.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ROLE_DOCS = _role_docs_tool()


def entry_points(role):
    """The entry points role declares in meta/argument_specs.yml."""
    return set(ROLE_DOCS.load_specs(role) or {})


def role_uses(data):
    """Every include_role/import_role arguments dict in a YAML document, wherever it is nested."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in INCLUDE_ACTIONS and isinstance(value, dict):
                yield value
            else:
                yield from role_uses(value)
    elif isinstance(data, list):
        for item in data:
            yield from role_uses(item)


def role_name(name):
    """The collection role a name refers to, or None (another collection's, or templated)."""
    if not isinstance(name, str) or "{{" in name:
        return None
    if name.startswith(COLLECTION):
        name = name[len(COLLECTION):]
    return name if name in ROLES else None


def use_violations(user, path, data):
    """Uses of roles in one YAML file; ``user`` is the role the file belongs to (or None)."""
    found = []
    for args in role_uses(data):
        target = role_name(args.get("name"))
        if target is None or target == user:
            continue  # a role's own files may use its own internals
        tasks_from = args.get("tasks_from")
        if tasks_from is not None and tasks_from not in entry_points(target):
            found.append("%s: tasks_from %s of role %s is not an entry point of its "
                         "meta/argument_specs.yml (%s)" % (path, tasks_from, target,
                                                           ", ".join(sorted(entry_points(target))) or "none"))
        for key in PRIVATE_FROM:
            if key in args:
                found.append("%s: %s %s reads role %s's internals" % (path, key, args[key], target))
    return found


def yaml_files(top):
    for base, _dirs, names in os.walk(top):
        for name in sorted(names):
            if name.endswith((".yml", ".yaml")):
                yield os.path.join(base, name)


def load_yaml(path):
    with open(path, encoding="utf-8") as handle:
        try:
            return list(yaml.safe_load_all(handle))
        except yaml.YAMLError:
            return []  # not plain YAML (a template): nothing to check here


@pytest.mark.parametrize("role", ROLES)
def test_a_role_reads_no_other_roles_files(role):
    assert path_violations(role, list(role_files(role))) == []


@pytest.mark.parametrize("role", ROLES)
def test_a_role_uses_other_roles_only_through_declared_entry_points(role):
    found = []
    for path in yaml_files(os.path.join(ROLES_DIR, role)):
        found += use_violations(role, os.path.relpath(path, REPO), load_yaml(path))
    assert found == []


@pytest.mark.parametrize("top", USER_DIRS)
def test_playbooks_use_roles_only_through_declared_entry_points(top):
    found = []
    for path in yaml_files(os.path.join(REPO, top)):
        found += use_violations(None, os.path.relpath(path, REPO), load_yaml(path))
    assert found == []


@pytest.mark.parametrize("role", ROLES)
def test_every_role_declares_its_entry_points(role):
    assert "main" in entry_points(role), "roles/%s/meta/argument_specs.yml declares no main entry point" % role


# ------------------------------------------------------------------ the checks themselves
def test_the_path_check_finds_what_it_must():
    files = [
        ("roles/arc_ce/vars/main.yml", "x: \"{{ lookup('file', role_path ~ '/../slurm/defaults/main.yml') }}\""),
        ("roles/arc_ce/tasks/a.yml", "- ansible.builtin.include_tasks: ../act/tasks/jobs.yml"),
        ("roles/arc_ce/tasks/b.yml", "src: \"{{ role_path }}/../../x\""),
        ("roles/arc_ce/vars/c.yml", "y: \"{{ gridcloud_definition['podman']['shared_dirs'] }}\""),
        ("roles/arc_ce/vars/d.yml", "z: \"{{ gridcloud_definition.openstack.network }}\""),
    ]
    found = path_violations("arc_ce", files)
    assert len(found) == 6, found  # the first line both names slurm and climbs out of role_path
    assert path_violations("arc_ce", [("roles/arc_ce/vars/e.yml",
                                       "a: \"{{ role_path }}/vars\"\n"
                                       "b: gridcloud.arc_cluster.slurm\n"
                                       "c: \"{{ gridcloud_definition.provider }}\"\n"
                                       "d: roles/arc_ce/templates\n"
                                       "e: see roles/act/README.md\n")]) == []


def test_the_entry_point_check_finds_what_it_must():
    data = [{"tasks": [{"block": [{"ansible.builtin.include_role": {
        "name": "gridcloud.arc_cluster.arc_ce", "tasks_from": "credentials.yml"}}]},
        {"ansible.builtin.import_role": {"name": "gridcloud.arc_cluster.slurm", "vars_from": "main"}},
        {"ansible.builtin.include_role": {"name": "gridcloud.arc_cluster.slurm", "tasks_from": "drain"}},
        {"ansible.builtin.include_role": {"name": "gridcloud.arc_cluster.{{ apply_role }}"}},
        {"ansible.builtin.include_role": {"name": "gridcloud.arc_cluster.slurm", "tasks_from": "accounting"}}]}]
    found = use_violations("act", "x.yml", data)
    assert len(found) == 3, found
    assert use_violations("slurm", "x.yml", data[0]["tasks"][-1]) == []
