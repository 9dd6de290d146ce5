"""Helpers for the integration tests: run the collection's playbooks and ask podman."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = Path(__file__).resolve().parent / "definitions"
VOLUME_DIR = Path("/var/lib/gridcloud/volumes")
RECAP_RE = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)",
                      re.MULTILINE)


def _missing_tools():
    return [tool for tool in ("podman", "ansible-playbook", "losetup") if shutil.which(tool) is None]


@pytest.fixture(scope="session", autouse=True)
def _environment():
    missing = _missing_tools()
    if missing:
        pytest.fail("integration tests need %s on PATH; run `make setup` and `. scripts/env.sh`"
                    % ", ".join(missing))
    if not os.environ.get("CONTAINERS_CONF"):
        pytest.fail("CONTAINERS_CONF is not set; run the tests through `make integration`")


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.output = proc.stdout + proc.stderr

    @property
    def flat(self):
        """The output on one line (wrapped messages joined), for searching."""
        return " ".join(self.output.split())

    @property
    def recap(self):
        """{host: {"ok":, "changed":, "unreachable":, "failed":}} from the PLAY RECAP."""
        recap = {}
        for host, ok, changed, unreachable, failed in RECAP_RE.findall(self.output):
            recap[host] = {"ok": int(ok), "changed": int(changed),
                           "unreachable": int(unreachable), "failed": int(failed)}
        return recap


def run_ansible(command, *args, timeout=1200, env=None):
    """Run ``ansible`` or ``ansible-playbook`` from the repository root, without colours."""
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", **(env or {}))
    proc = subprocess.run([command, *args], cwd=ROOT, env=environment, capture_output=True,
                          text=True, check=False, timeout=timeout)
    return Result(proc)


def run_playbook(playbook, definition, *extra):
    """Run one of the collection's playbooks with the definition as inventory."""
    return run_ansible("ansible-playbook", "-i", str(definition),
                       "gridcloud.arc_cluster.%s" % playbook, *extra)


def check_with_inventory(tmp_path, inventory, playbook, extra_vars=None, diff=False):
    """Run ``playbook`` in check mode on ``inventory`` (a dict, written to tmp_path); with
    ``diff``, what each file would become is in the output."""
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    return run_ansible("ansible-playbook", "--check", *(["--diff"] if diff else []),
                       "-i", str(path), str(playbook),
                       "-e", json.dumps(extra_vars or {}), timeout=300)


def created_cluster(definition):
    """For a module fixture: a fresh cluster from ``definition``, destroyed (volumes deleted) after.

    Left-overs of an earlier run are removed first; the create result is yielded. Both destroys
    are forced: jobs a failed test left behind must not keep its cluster alive.
    """
    destroy = ("-e", "cluster_destroy_volume_policy=delete", "-e", "cluster_destroy_force=true")
    run_playbook("destroy", definition, *destroy)
    result = run_playbook("create", definition)
    assert result.rc == 0, result.output
    yield result
    final = run_playbook("destroy", definition, *destroy)
    assert final.rc == 0, final.output


def podman(*args):
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=False)


def cluster_containers(cluster):
    proc = podman("ps", "--all", "--format", "json", "--filter",
                  "label=gridcloud.cluster=%s" % cluster)
    assert proc.returncode == 0, proc.stderr
    return sorted(entry["Names"][0] for entry in json.loads(proc.stdout or "[]") or [])


def network_exists(cluster):
    return podman("network", "exists", "%s-net" % cluster).returncode == 0


def volume_files(cluster):
    return sorted((VOLUME_DIR / cluster).glob("*.img")) if (VOLUME_DIR / cluster).is_dir() else []
