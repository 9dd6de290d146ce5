# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/plugin_utils/definition_file.py: the one reader of a definition file.

It reads with Ansible's own DataLoader (as the inventory plugin does), refuses duplicated keys,
handles vaulted values, and reads a file once per process.
"""

from __future__ import annotations

import os

import pytest
import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultLib, VaultSecret, VaultSecretsContext

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.definition import (
    DefinitionError,
)
from ansible_collections.gridcloud.arc_cluster.plugins.plugin_utils import definition_file
from ansible_collections.gridcloud.arc_cluster.plugins.plugin_utils.definition_file import (
    READS,
    duplicate_keys,
    read_definition,
)

GIB = 1024 ** 3
VAULT_PASSWORD = b"not-a-real-secret"


@pytest.fixture(autouse=True)
def empty_cache():
    definition_file._CACHE.clear()  # pylint: disable=protected-access
    yield
    definition_file._CACHE.clear()  # pylint: disable=protected-access


def loader():
    data_loader = DataLoader()
    data_loader.set_vault_secrets([("default", VaultSecret(VAULT_PASSWORD))])
    return data_loader


def read(path):
    return read_definition(path, loader())


FULL_YAML = """\
cluster:
  name: demo
  hooks:
    before:
      - hooks/before.yml
    after:
      - ../shared/after.yml
  nodes:
    frontend:
      count: 1
      groups: [slurm_controller, nfs_server, arc_ce, act]
      volumes:
        - name: shared
          size: 1GiB
          filesystem: ext4
          mount: /srv/shared
    compute:
      count: 2
      groups: [slurm_worker, nfs_client, cvmfs_client]
"""


def test_read_resolves_hooks_relative_to_the_file(tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "hooks").mkdir(parents=True)
    (site / "hooks" / "before.yml").write_text("- hosts: all\n")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "after.yml").write_text("- hosts: all\n")
    definition = site / "cluster.yml"
    definition.write_text(FULL_YAML)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # relative to the file, not to the working directory

    result = read(str(definition))

    assert result["hooks"] == {
        "before": [str(site / "hooks" / "before.yml")],
        "after_storage": [],
        "after": [str(tmp_path / "shared" / "after.yml")],
    }
    assert result["name"] == "demo"
    assert result["nodes"]["frontend"]["volumes"][0]["size_bytes"] == GIB
    assert result["nodes"]["compute"]["count"] == 2


def test_read_with_a_relative_path(tmp_path, monkeypatch):
    (tmp_path / "hooks").mkdir()
    (tmp_path / "hooks" / "before.yml").write_text("- hosts: all\n")
    (tmp_path / "cluster.yml").write_text(
        "cluster:\n  name: demo\n  hooks:\n    before: [hooks/before.yml]\n"
        "  nodes:\n    frontend:\n      count: 1\n")
    monkeypatch.chdir(tmp_path)
    result = read("cluster.yml")
    assert result["hooks"]["before"] == [str(tmp_path / "hooks" / "before.yml")]


def test_read_missing_hook_names_resolved_path(tmp_path):
    definition = tmp_path / "cluster.yml"
    definition.write_text(
        "cluster:\n  name: demo\n  hooks:\n    after: [nope.yml]\n"
        "  nodes:\n    frontend:\n      count: 1\n")
    with pytest.raises(DefinitionError) as info:
        read(str(definition))
    assert info.value.problems == [
        "cluster.hooks.after[0]: playbook %s does not exist (relative paths are relative to "
        "the definition file)" % os.path.join(str(tmp_path), "nope.yml")]


def test_read_missing_file(tmp_path):
    path = str(tmp_path / "nope.yml")
    with pytest.raises(DefinitionError) as info:
        read(path)
    assert info.value.problems == ["definition file %s does not exist" % path]


def test_read_directory_is_not_a_file(tmp_path):
    with pytest.raises(DefinitionError) as info:
        read(str(tmp_path))
    assert info.value.problems == ["definition file %s does not exist" % tmp_path]


@pytest.mark.parametrize("text", [
    "cluster:\n  name: demo\n  nodes: [unclosed\n",
    "cluster:\n\tname: demo\n",
    "cluster: {name: demo\n",
])
def test_read_invalid_yaml(tmp_path, text):
    definition = tmp_path / "cluster.yml"
    definition.write_text(text)
    with pytest.raises(DefinitionError) as info:
        read(str(definition))
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith("%s: not valid YAML: " % definition)
    assert "line" in info.value.problems[0]  # the parser's message says where


def test_read_empty_file(tmp_path):
    definition = tmp_path / "cluster.yml"
    definition.write_text("")
    with pytest.raises(DefinitionError) as info:
        read(str(definition))
    assert info.value.problems[0].startswith("cluster: the file must have a top-level key")


def test_read_reports_validation_problems(tmp_path):
    definition = tmp_path / "cluster.yml"
    definition.write_text(FULL_YAML.replace("count: 2", "count: two"))
    with pytest.raises(DefinitionError) as info:
        read(str(definition))
    fields = [p.split(": ")[0] for p in info.value.problems]
    assert "cluster.nodes.compute.count" in fields
    assert "cluster.hooks.before[0]" in fields
    assert "cluster.hooks.after[0]" in fields


def test_relative_paths_follow_a_symlinked_definition(tmp_path):
    real = tmp_path / "real"
    (real / "hooks").mkdir(parents=True)
    (real / "hooks" / "site.yml").write_text("---\n[]\n")
    definition = real / "cluster.yml"
    definition.write_text(yaml.safe_dump({"cluster": {
        "name": "demo", "nodes": {"frontend": {"count": 1}},
        "hooks": {"after": ["hooks/site.yml"]}}}))
    linked = tmp_path / "elsewhere"
    linked.symlink_to(real, target_is_directory=True)

    result = read(str(linked / "cluster.yml"))

    assert result["hooks"]["after"] == [str(real / "hooks" / "site.yml")]


# ------------------------------------------------------------------------- duplicated keys

DUPLICATED = """\
plugin: gridcloud.arc_cluster.cluster
cluster:
  name: demo
  nodes:
    compute:
      count: 2
      groups: [slurm_worker]
    frontend:
      count: 1
      groups: [slurm_controller]
    compute:
      count: 5
"""


def test_a_duplicated_key_is_an_error_naming_it_and_its_line(tmp_path):
    definition = tmp_path / "cluster.yml"
    definition.write_text(DUPLICATED)
    with pytest.raises(DefinitionError) as info:
        read(str(definition))
    assert info.value.problems == [
        "%s line 11: key 'compute' is given twice in the same mapping; keep one (YAML would "
        "silently take the last)" % definition]


def test_duplicate_keys_are_found_at_any_depth_and_in_lists():
    text = "a: 1\nb:\n  - {x: 1, x: 2}\n  - y: 1\n    z: 2\n    y: 3\na: 2\n"
    assert duplicate_keys(text) == [("x", 3), ("y", 6), ("a", 7)]


def test_the_same_key_in_different_mappings_is_fine():
    assert duplicate_keys("a: {name: x}\nb: {name: x}\n") == []


# ------------------------------------------------------------------------------ vault

def test_a_vaulted_value_in_vars_is_read_as_a_vaulted_value(tmp_path, monkeypatch):
    secrets = [("default", VaultSecret(VAULT_PASSWORD))]
    # what ansible-playbook --vault-password-file sets up before it reads an inventory
    monkeypatch.setattr(VaultSecretsContext, "_current", VaultSecretsContext(secrets))
    secret = VaultLib(secrets).encrypt("s3cret").decode()
    indented = "\n".join("      " + line for line in secret.splitlines())
    definition = tmp_path / "cluster.yml"
    definition.write_text(
        "plugin: gridcloud.arc_cluster.cluster\ncluster:\n  name: demo\n"
        "  nodes:\n    frontend:\n      count: 1\n"
        "  vars:\n    site_password: !vault |\n" + indented + "\n")

    result = read(str(definition))

    value = result["vars"]["site_password"]
    # it stays vaulted in the normal form (never written out in clear) and decrypts when used
    assert type(value).__name__ == "EncryptedString"
    assert str(value) == "s3cret"


# -------------------------------------------------------------------------- read once

def test_a_file_is_read_once_per_process_and_again_when_it_changes(tmp_path):
    definition = tmp_path / "cluster.yml"
    definition.write_text("cluster:\n  name: demo\n  nodes:\n    frontend:\n      count: 1\n")
    before = READS["count"]

    first = read(str(definition))
    second = read(str(definition))

    assert READS["count"] == before + 1
    assert first == second
    second["name"] = "changed"  # each caller gets its own copy
    assert read(str(definition))["name"] == "demo"
    definition.write_text("cluster:\n  name: other\n  nodes:\n    frontend:\n      count: 2\n")
    os.utime(definition, ns=(1, 1))  # a different mtime even on a coarse clock
    assert read(str(definition))["name"] == "other"
    assert READS["count"] == before + 2
