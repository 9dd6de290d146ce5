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
- ``as_grid(host, script)``: a shell script run as the grid user in its home on ``host``.
- ``arc_final_state(host, job_id, tries)``: ``arcstat`` as the grid user every 3 s until the
  job reaches a final state; that state, or ``timeout <last state>``.
"""

import json
import os
import shlex
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


def as_grid(host, script):
    """Run ``script`` with bash as the grid user, in /home/grid, on ``host``; the result."""
    return host.run("cd /home/grid && runuser -u grid -- bash -c %s" % shlex.quote(script))


def arc_final_state(host, job_id, tries=80):
    """Ask arcstat (as grid) every 3 s, at most ``tries`` times, until the job is final."""
    return as_grid(host, "for i in $(seq %d); do s=$(arcstat %s 2>/dev/null | sed -n 's/^ State: //p');"
                         " case $s in Finished|Failed|Killed|Deleted) echo $s; exit 0;; esac; sleep 3;"
                         " done; echo timeout $s" % (tries, job_id)).stdout.strip()
