"""The slurm role's validate.yml: bad inventories and variables fail early, naming the fix.

The hosts are this machine under other names (connection local) and the play runs in check
mode, so even a validation that wrongly passed would change nothing here.
"""

import os

import pytest

from conftest import check_with_inventory

PLAYBOOK = os.path.join(os.path.dirname(__file__), "slurm_validation", "playbook.yml")
LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": "/usr/bin/python3"}


def run(tmp_path, groups, extra_vars=None, diff=False):
    inventory = {"all": {"children": {
        group: {"hosts": {host: dict(LOCAL) for host in hosts}} for group, hosts in groups.items()}}}
    result = check_with_inventory(tmp_path, inventory, PLAYBOOK, extra_vars, diff=diff)
    return result.rc, result.flat


def test_workers_without_a_controller(tmp_path):
    rc, output = run(tmp_path, {"slurm_worker": ["w1"]})
    assert rc != 0
    assert "the group slurm_controller has 0 hosts (none); SLURM needs exactly one controller" \
        in output
    assert "Write slurm.conf" not in output


def test_two_controllers(tmp_path):
    rc, output = run(tmp_path, {"slurm_controller": ["c1", "c2"], "slurm_worker": ["w1"]})
    assert rc != 0
    assert "the group slurm_controller has 2 hosts (c1, c2)" in output


@pytest.mark.parametrize("extra, message", [
    ({"slurm_partitions": [{"name": "main", "nodes": ["w1", "w9"]}]},
     "Not workers: w9: remove them from the partition's nodes"),
    ({"slurm_partitions": [{"name": "a", "default": True}, {"name": "b", "default": True}]},
     "at most one may be the default"),
    ({"slurm_partitions": [{"nodes": ["w1"]}]}, "each partition needs a unique name"),
    # types are refused by meta/argument_specs.yml, before validate.yml
    ({"slurm_memory_reserve_mb": "lots"},
     "argument 'slurm_memory_reserve_mb' is of type str and we were unable to convert to int"),
    ({"slurm_config": ["MaxJobCount=5"]},
     "argument 'slurm_config' is of type list and we were unable to convert to dict"),
])
def test_bad_variables(tmp_path, extra, message):
    rc, output = run(tmp_path, {"slurm_controller": ["c1"], "slurm_worker": ["w1"]}, extra)
    assert rc != 0
    assert message in output
    assert "Write slurm.conf" not in output


def test_cloud_nodes_get_cloud_lines_and_power_saving(tmp_path):
    """Elastic nodes (here w2, which does not exist) are State=CLOUD lines sized from their
    kind, in the default partition; the static worker is never powered down. Check mode with
    diff shows the slurm.conf the role would write (later tasks, which need the packages, may
    fail here: what matters is the file)."""
    elastic = [{"name": "w2", "kind": "compute", "index": 2, "groups": ["slurm_worker"],
                "cpus": 2.5, "memory_mb": 4096, "idle": 120, "state": "absent",
                "address": None}]
    _rc, output = run(tmp_path, {"slurm_controller": ["c1"], "slurm_worker": ["w1"]},
                      {"gridcloud_elastic_nodes": elastic}, diff=True)
    for line in ("NodeName=w2 CPUs=2 RealMemory=3584 State=CLOUD",
                 "PartitionName=main Nodes=w1,w2 Default=YES",
                 "ResumeProgram=/usr/local/sbin/gridcloud-elastic-resume",
                 "SuspendProgram=/usr/local/sbin/gridcloud-elastic-suspend",
                 "ResumeFailProgram=/usr/local/sbin/gridcloud-elastic-resume-fail",
                 "SuspendTime=120", "SuspendExcNodes=w1", "PrivateData=cloud",
                 "SlurmctldParameters=cloud_reg_addrs,idle_on_node_suspend"):
        assert "+" + line in output, line
    assert "NodeName=w1 " in output


def test_no_cloud_nodes_no_power_saving(tmp_path):
    _rc, output = run(tmp_path, {"slurm_controller": ["c1"], "slurm_worker": ["w1"]}, diff=True)
    assert "+NodeName=w1 " in output
    for key in ("State=CLOUD", "ResumeProgram", "SuspendTime", "PrivateData"):
        assert key not in output, key
