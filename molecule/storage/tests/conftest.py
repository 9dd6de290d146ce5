"""Run the checks through podman exec instead of one ansible run per command, and give the
tests real ansible-playbook runs of the scenario's apply-*.yml playbooks.

Molecule hands testinfra the scenario's Ansible inventory; the nodes of the local provider are
podman containers named like their inventory hosts, so each host is reached directly with
testinfra's podman backend (the same commands, much faster).
"""

import os
import subprocess
from pathlib import Path

import pytest
import testinfra

SCENARIO = Path(__file__).resolve().parents[1]
PROJECT = SCENARIO.parents[1]
DEFINITION = SCENARIO / "inventory" / "cluster.yml"


@pytest.fixture(scope="module")
def host(_testinfra_host):
    name = _testinfra_host.backend.host
    return testinfra.get_host("podman://%s" % name)


@pytest.fixture
def apply_playbook():
    """Run one of the scenario's playbooks; return (rc, output on one line)."""

    def run(playbook, *extra):
        env = dict(os.environ, ANSIBLE_CALLBACK_RESULT_FORMAT="yaml", ANSIBLE_FORCE_COLOR="0",
                   ANSIBLE_NOCOLOR="1")
        proc = subprocess.run(
            ["ansible-playbook", "-i", str(DEFINITION), str(SCENARIO / playbook), *extra],
            cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600, check=False)
        return proc.returncode, " ".join((proc.stdout + proc.stderr).split())

    return run
