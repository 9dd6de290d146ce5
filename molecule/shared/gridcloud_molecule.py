"""Test helpers shared by the collection's molecule scenarios.

molecule.yml puts this directory on PYTHONPATH for the verifier: molecule runs every scenario's
tests dir as its own pytest rootdir, so a conftest.py above it would not be seen. Each scenario's
tests/conftest.py imports the ``host`` fixture from here (a conftest fixture overrides
testinfra's own ``host``); the tests import the rest.

- ``host`` (fixture): the node under test through ``podman exec`` instead of one ansible run per
  command; the local provider's nodes are podman containers named like their inventory hosts.
- ``node(name)``: any other node, the same way.
- ``run_playbook(playbook, *extra)``: a real ansible-playbook run of one of the scenario's
  playbooks (or a collection playbook by FQCN) with the scenario's cluster definition as inventory.
- ``run_module(target, module, args, *extra)``: one module run by ``ansible``, with its result.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest
import testinfra

SCENARIO = Path(os.environ.get("MOLECULE_SCENARIO_DIRECTORY") or os.getcwd())
PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY") or SCENARIO.parents[1])
DEFINITION = SCENARIO / "inventory" / "cluster.yml"


def node(name):
    """A testinfra host for the node (container) ``name``."""
    return testinfra.get_host("podman://%s" % name)


@pytest.fixture(scope="module")
def host(_testinfra_host):
    return node(_testinfra_host.backend.host)


def _ansible(argv, timeout, **env):
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", **env)
    # without the scenario's extra callbacks (profile_tasks): the tests read ansible's output
    environment.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    proc = subprocess.run(argv, cwd=PROJECT, env=environment, capture_output=True, text=True,
                          timeout=timeout, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def run_playbook(playbook, *extra, timeout=900):
    """Run ``playbook`` (a file of the scenario, or a playbook FQCN); return (rc, output on one line)."""
    target = str(SCENARIO / playbook) if playbook.endswith(".yml") else playbook
    rc, out, err = _ansible(["ansible-playbook", "-i", str(DEFINITION), target, *extra], timeout,
                            ANSIBLE_CALLBACK_RESULT_FORMAT="yaml")
    return rc, " ".join((out + err).split())


def run_module(target, module, args, *extra, timeout=900):
    """Run ``module`` with ``args`` (a dict) on ``target``; return (rc, result of target or None, output)."""
    rc, out, err = _ansible(["ansible", "-i", str(DEFINITION), target, "-m", module,
                             "-a", json.dumps(args), *extra], timeout,
                            ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
                            ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    try:
        result = json.loads(out)["plays"][0]["tasks"][0]["hosts"][target]
    except (ValueError, KeyError, IndexError):
        result = None
    return rc, result, (out[-3000:] + err[-2000:])
