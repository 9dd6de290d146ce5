# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The acceptance run's helpers (tests/acceptance/conftest.py) on recorded data: how it reads
the inventory, the smoke test's results and a definition it copies for the resize step."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SPEC = importlib.util.spec_from_file_location(
    "gridcloud_acceptance_conftest", HERE.parent / "acceptance" / "conftest.py")
acceptance = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(acceptance)

INVENTORY = {
    "_meta": {"hostvars": {
        "vm-frontend001": {"gridcloud_node_kind": {"__ansible_unsafe": "frontend"},
                           "gridcloud_definition": {"provider": {"__ansible_unsafe": "libvirt"}}},
        "vm-compute001": {"gridcloud_node_kind": "compute"},
        "vm-compute002": {"gridcloud_node_kind": "compute"},
        "vm-compute003": {"gridcloud_node_kind": "compute"},
    }},
    "all": {"children": ["gridcloud_active", "gridcloud_surplus", "frontend", "compute"]},
    "gridcloud_active": {"hosts": ["vm-frontend001", "vm-compute001", "vm-compute002"]},
    "gridcloud_surplus": {"hosts": ["vm-compute003"]},
    "slurm_controller": {"hosts": ["vm-frontend001"]},
    "slurm_worker": {"hosts": ["vm-compute001", "vm-compute002", "vm-compute003"]},
}


def test_inventory_groups_are_the_active_nodes_and_values_are_plain():
    inventory = acceptance.Inventory(INVENTORY)
    assert inventory.frontend == "vm-frontend001"
    assert inventory.workers == ["vm-compute001", "vm-compute002"]
    assert inventory.group("gridcloud_surplus") == []  # not active
    assert inventory.hostvars["vm-frontend001"]["gridcloud_node_kind"] == "frontend"
    assert inventory.definition == {"provider": "libvirt"}
    assert acceptance.Inventory({}).frontend is None


def test_smoke_check_finds_a_check_by_name_and_node():
    result = type("Result", (), {})()
    result.smoke = {"results": [
        {"node": "vm-frontend001", "check": "SLURM job on vm-compute001", "result": "passed",
         "detail": "ran on vm-compute001"},
        {"node": "vm-frontend001", "check": "aCT job", "result": "skipped",
         "detail": "aCT is not installed"}]}
    assert acceptance.smoke_check(result, "aCT job") == ("skipped", "aCT is not installed")
    assert acceptance.smoke_check(result, "SLURM job on vm-compute001", "vm-frontend001")[0] == \
        "passed"
    assert acceptance.smoke_check(result, "SLURM job on vm-compute001", "elsewhere") is None
    result.smoke = None
    assert acceptance.smoke_check(result, "aCT job") is None


def test_a_definition_copied_for_resize_keeps_vaulted_values(tmp_path):
    source = tmp_path / "cluster.yml"
    source.write_text(
        "---\nplugin: gridcloud.arc_cluster.cluster\ncluster:\n  name: vm\n  nodes:\n"
        "    compute:\n      count: 2\n  vars:\n    secret: !vault |\n"
        "      $ANSIBLE_VAULT;1.1;AES256\n      3031\n")
    data = acceptance.load_definition(source)
    data["cluster"]["nodes"]["compute"]["count"] = 3
    copy = tmp_path / ".cluster.acceptance-resize.yml"
    acceptance.dump_definition(data, copy)
    again = acceptance.load_definition(copy)
    assert again["cluster"]["nodes"]["compute"]["count"] == 3
    secret = again["cluster"]["vars"]["secret"]
    assert secret.tag == "!vault"
    assert secret.value == "$ANSIBLE_VAULT;1.1;AES256\n3031\n"
    assert "secret: !vault |" in copy.read_text()


def test_the_definition_must_be_given(monkeypatch, tmp_path):
    monkeypatch.delenv("GRIDCLOUD_DEFINITION", raising=False)
    with pytest.raises(pytest.UsageError, match="GRIDCLOUD_DEFINITION is not set"):
        acceptance._definition()  # pylint: disable=protected-access
    monkeypatch.setenv("GRIDCLOUD_DEFINITION", str(tmp_path / "none.yml"))
    with pytest.raises(pytest.UsageError, match="is not a file"):
        acceptance._definition()  # pylint: disable=protected-access


def test_a_failed_playbook_is_summed_up_by_its_first_failed_task():
    output = (
        "TASK [gridcloud.arc_cluster.arc_ce : Check the certificate] ***\n"
        "ok: [vm-frontend001]\n\n"
        "TASK [gridcloud.arc_cluster.arc_ce : Make a test-CA certificate for grid] ***\n"
        "fatal: [vm-frontend001]: FAILED! => \n"
        "    changed: true\n"
        "    msg: non-zero return code\n"
        "    rc: 1\n"
        "    stderr: '[ERROR] [Failed to access Test CA key. Error(2)]'\n\n"
        "PLAY RECAP ***\n")
    proc = type("Proc", (), {"returncode": 2, "stdout": output, "stderr": ""})()
    result = acceptance.Result(proc, 1.0, "create.log")
    assert result.failure() == (
        "gridcloud.arc_cluster.arc_ce : Make a test-CA certificate for grid on vm-frontend001: "
        "[ERROR] [Failed to access Test CA key. Error(2)]")
    assert result.tail().splitlines()[0] == result.failure()
    proc.stdout = "PLAY RECAP ***\n"
    assert acceptance.Result(proc, 1.0, "create.log").failure() is None


def test_a_playbook_that_timed_out_is_summed_up_by_the_task_it_was_in():
    output = (
        "TASK [gridcloud.arc_cluster.smoke : Submit a job and wait for it] ***\n"
        "TASK [gridcloud.arc_cluster.smoke : Run a job on every worker, writing\n"
        "into the shared session dir] ***\n\n"
        "timed out after 7200 s\n")
    proc = type("Proc", (), {"returncode": 124, "stdout": output, "stderr": ""})()
    assert acceptance.Result(proc, 7200.0, "create.log").failure() == (
        "timed out after 7200 s, in task gridcloud.arc_cluster.smoke : Run a job on every "
        "worker, writing")


def test_the_playbook_timeout_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("GRIDCLOUD_ACCEPTANCE_TIMEOUT", raising=False)
    assert acceptance.playbook_timeout() == 7200
    monkeypatch.setenv("GRIDCLOUD_ACCEPTANCE_TIMEOUT", "21600")
    assert acceptance.playbook_timeout() == 21600
    monkeypatch.setenv("GRIDCLOUD_ACCEPTANCE_TIMEOUT", "two hours")
    with pytest.raises(pytest.UsageError, match="GRIDCLOUD_ACCEPTANCE_TIMEOUT: a number of seconds"):
        acceptance.playbook_timeout()
