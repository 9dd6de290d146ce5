"""Helpers for the VM suite (make vm-test): run the collection's playbooks and ad-hoc commands
against the libvirt example, and read what they printed."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = Path(os.environ.get("GRIDCLOUD_VM_DEFINITION",
                                  ROOT / "examples" / "libvirt" / "cluster.yml"))
RECAP_RE = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)",
                      re.MULTILINE)


@pytest.fixture(scope="session", autouse=True)
def _environment():
    missing = [tool for tool in ("virsh", "ansible-playbook") if shutil.which(tool) is None]
    if missing:
        pytest.fail("the VM suite needs %s on PATH; run `make vm-setup` and `. scripts/env.sh`"
                    % ", ".join(missing))
    if subprocess.run(["virsh", "-c", "qemu:///system", "version"], capture_output=True,
                      check=False).returncode != 0:
        pytest.fail("libvirtd does not answer on qemu:///system; run `make vm-setup`")


class Result:
    def __init__(self, proc, seconds):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.output = proc.stdout + proc.stderr
        self.seconds = seconds

    @property
    def recap(self):
        return {host: {"ok": int(ok), "changed": int(changed), "unreachable": int(unreachable),
                       "failed": int(failed)}
                for host, ok, changed, unreachable, failed in RECAP_RE.findall(self.output)}


def run(command, *args, timeout=7200, env=None):
    import time  # pylint: disable=import-outside-toplevel

    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", **(env or {}))
    start = time.monotonic()
    proc = subprocess.run([command, *args], cwd=ROOT, env=environment, capture_output=True,
                          text=True, check=False, timeout=timeout)
    result = Result(proc, time.monotonic() - start)
    print("%s %s: rc=%s in %.0f s" % (command, " ".join(args[:4]), result.rc, result.seconds))
    return result


def playbook(name, *extra, timeout=7200):
    return run("ansible-playbook", "-i", str(DEFINITION), "gridcloud.arc_cluster.%s" % name,
               *extra, timeout=timeout)


def on(host, command, timeout=600):
    """Run a shell command as root on a node; return its stdout (fails the test on rc != 0).

    Ad-hoc ansible with the json callback, so that warnings on stderr never mix with the
    command's output."""
    import json  # pylint: disable=import-outside-toplevel

    result = run("ansible", host, "-i", str(DEFINITION), "-m", "ansible.builtin.shell",
                 "-a", command, timeout=timeout,
                 env={"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "json"})
    assert result.rc == 0, result.output
    report = json.loads(result.stdout)
    return report["plays"][0]["tasks"][0]["hosts"][host]["stdout"].strip()
