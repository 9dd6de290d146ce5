# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the action gridcloud.arc_cluster.cluster_definition
(plugins/action/cluster_definition.py, documented in plugins/modules/cluster_definition.py).

The action runs on the controller with Ansible's DataLoader, through the same reader as the
inventory plugin (test_definition_file.py); the validation rules themselves are tested in
test_definition.py.
"""

from __future__ import annotations

import os
import textwrap

from unittest import mock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.task import Task

from fake_podman import run_module

from ansible_collections.gridcloud.arc_cluster.plugins.action.cluster_definition import (
    ActionModule,
)
from ansible_collections.gridcloud.arc_cluster.plugins.modules.cluster_definition import main
from ansible_collections.gridcloud.arc_cluster.plugins.plugin_utils import definition_file

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(REPO_ROOT, "examples", "local", "cluster.yml")
OPENSTACK_EXAMPLE = os.path.join(REPO_ROOT, "examples", "openstack", "cluster.yml")

VALID = """\
plugin: gridcloud.arc_cluster.cluster
cluster:
  name: demo
  nodes:
    frontend:
      count: 1
      groups: [slurm_controller, nfs_server]
      volumes:
        - name: shared
          size: 1GiB
          mount: /srv/shared
    compute:
      count: 2
      groups: [slurm_worker, nfs_client]
  hooks:
    after: [hooks/after.yml]
"""

INVALID = """\
cluster:
  name: Demo
  release: buster
  nodes:
    compute:
      count: 2
      groups: [slurm_worker]
    extra:
      count: -1
"""


@pytest.fixture(autouse=True)
def empty_cache():
    definition_file._CACHE.clear()  # pylint: disable=protected-access


def run_action(args, check_mode=False):
    """Run the action as ansible-playbook would, on the controller, with a real DataLoader."""
    task = Task()
    task.args = dict(args)
    task.check_mode = check_mode
    connection = mock.MagicMock()
    connection._shell.tmpdir = None  # pylint: disable=protected-access
    action = ActionModule(task, connection, mock.MagicMock(), DataLoader(), None, None)
    return action.run(task_vars={})


def write(tmp_path, text, name="cluster.yml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def hook(tmp_path):
    (tmp_path / "hooks").mkdir()
    path = tmp_path / "hooks" / "after.yml"
    path.write_text("- hosts: all\n  tasks: []\n")
    return path


def test_valid_file(no_commands, tmp_path, hook):
    path = write(tmp_path, VALID)

    result = run_action({"path": str(path)})

    assert not result.get("failed"), result
    assert result["changed"] is False
    definition = result["definition"]
    assert definition["name"] == "demo"
    assert definition["provider"] == "podman"
    assert definition["release"] == "trixie"
    assert definition["nodes"]["frontend"]["volumes"][0]["size_bytes"] == 1024 ** 3
    assert definition["hooks"] == {"before": [], "after_storage": [], "after": [str(hook)]}
    planned = result["planned_nodes"]
    assert [node["name"] for node in planned] == ["demo-frontend001", "demo-compute001",
                                                  "demo-compute002"]
    assert planned[1] == {"name": "demo-compute001", "kind": "compute", "index": 1,
                          "groups": ["slurm_worker", "nfs_client"], "volumes": []}
    assert "problems" not in result


def test_valid_file_in_check_mode(no_commands, tmp_path, hook):
    path = write(tmp_path, VALID)

    result = run_action({"path": str(path)}, check_mode=True)

    assert result["changed"] is False
    assert result["definition"]["name"] == "demo"


def test_path_is_expanded(no_commands, tmp_path, hook, monkeypatch):
    write(tmp_path, VALID)
    monkeypatch.setenv("HOME", str(tmp_path))

    result = run_action({"path": "~/cluster.yml"})

    assert result["definition"]["name"] == "demo"


def test_the_shipped_example_is_valid(no_commands):
    result = run_action({"path": EXAMPLE})

    assert not result.get("failed"), result
    assert result["definition"]["name"] == "demo"
    assert [node["name"] for node in result["planned_nodes"]] == [
        "demo-frontend001", "demo-compute001", "demo-compute002"]


def test_the_shipped_openstack_example_is_valid(no_commands):
    result = run_action({"path": str(OPENSTACK_EXAMPLE)})

    assert not result.get("failed"), result
    definition = result["definition"]
    assert definition["provider"] == "openstack"
    assert definition["openstack"]["cloud"] == "mycloud"
    assert definition["nodes"]["frontend"]["volumes"][0]["mount"] == "/srv/grid"
    assert definition["hooks"]["after"][0].endswith("examples/hooks/site-after.yml")
    assert [node["name"] for node in result["planned_nodes"]] == [
        "grid1-frontend001"] + ["grid1-compute%03d" % i for i in range(1, 5)]


def test_invalid_file_lists_every_problem(no_commands, tmp_path):
    path = write(tmp_path, INVALID)

    result = run_action({"path": str(path)})

    assert result["failed"] is True
    problems = result["problems"]
    assert len(problems) == 4, problems
    fields = [problem.split(":", 1)[0] for problem in problems]
    assert fields == ["cluster.name", "cluster.release", "cluster.nodes.extra.count",
                      "cluster.nodes"]
    assert "no slurm_controller" in problems[3]
    assert result["msg"].startswith("the cluster definition has 4 problem(s):")
    for problem in problems:
        assert "  - %s" % problem in result["msg"]
    assert "definition" not in result and "planned_nodes" not in result


def test_missing_file_fails(no_commands, tmp_path):
    path = tmp_path / "nope.yml"

    result = run_action({"path": str(path)})

    assert result["failed"] is True
    assert result["problems"] == ["definition file %s does not exist" % path]
    assert str(path) in result["msg"]


def test_yaml_syntax_error_fails(no_commands, tmp_path):
    path = write(tmp_path, "cluster: [unclosed\n")

    result = run_action({"path": str(path)})

    assert result["failed"] is True
    assert len(result["problems"]) == 1
    assert "not valid YAML" in result["problems"][0]


def test_path_is_required(no_commands):
    with pytest.raises(AnsibleActionFail, match="missing required arguments: path"):
        run_action({})


def test_a_duplicated_key_fails_naming_it(tmp_path, hook):
    path = write(tmp_path, VALID.replace("  hooks:", "  name: other\n  hooks:"))

    result = run_action({"path": str(path)})

    assert result["failed"] is True
    assert result["problems"] == [
        "%s line 15: key 'name' is given twice in the same mapping; keep one (YAML would "
        "silently take the last)" % path]


def test_the_module_alone_says_it_runs_as_an_action(no_commands):
    result = run_module(main, {"path": "/nowhere.yml"})

    assert result["failed"] is True
    assert "runs as an action on the Ansible controller" in result["msg"]


def test_the_shipped_libvirt_example_is_valid(no_commands):
    result = run_action({"path": os.path.join(REPO_ROOT, "examples", "libvirt", "cluster.yml")})

    assert not result.get("failed"), result
    definition = result["definition"]
    assert definition["provider"] == "libvirt"
    assert definition["vars"]["nfs_server_implementation"] == "kernel"
    assert [v["mount"] for v in definition["nodes"]["frontend"]["volumes"]] == [
        "/srv/grid", "/var/spool/arc"]
    assert [node["name"] for node in result["planned_nodes"]] == [
        "vmdemo-frontend001", "vmdemo-compute001", "vmdemo-compute002"]
