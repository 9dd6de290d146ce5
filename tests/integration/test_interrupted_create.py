"""create killed (SIGKILL to ansible-playbook and its workers) while it provisions and while it
configures, then run again: the same cluster, no second node, network or volume, and the run
after that changes nothing.
"""

import json
import os
import signal
import subprocess
import time

import pytest

from conftest import (
    DEFINITIONS,
    ROOT,
    cluster_containers,
    podman,
    run_playbook,
    volume_files,
)

DEFINITION = DEFINITIONS / "interrupt.yml"
CLUSTER = "itkill"
NODES = ["itkill-compute001", "itkill-frontend001"]
DESTROY = ("-e", "cluster_destroy_volume_policy=delete", "-e", "cluster_destroy_force=true")


def create_killed_when(tmp_path, name, ready, timeout=900):
    """Start create, SIGKILL it (the whole process group) once ``ready(output)`` is true."""
    log = tmp_path / ("%s.log" % name)
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    with open(log, "w") as handle:
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            ["ansible-playbook", "-i", str(DEFINITION), "gridcloud.arc_cluster.create"],
            cwd=ROOT, env=environment, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                if ready(log.read_text()):
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=60)
                    return log.read_text()
                time.sleep(0.5)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=60)
    pytest.fail("create ended (rc=%s) or ran out of time before the point to kill it:\n%s"
                % (proc.returncode, log.read_text()[-3000:]))


def networks():
    proc = podman("network", "ls", "--format", "json", "--filter", "label=gridcloud.cluster=%s" % CLUSTER)
    assert proc.returncode == 0, proc.stderr
    return sorted(entry["name"] for entry in json.loads(proc.stdout or "[]") or [])


def container_ids():
    return {name: podman("inspect", "--format", "{{.Id}}", name).stdout.strip()
            for name in cluster_containers(CLUSTER)}


@pytest.fixture(scope="module")
def clean():
    run_playbook("destroy", DEFINITION, *DESTROY)
    assert cluster_containers(CLUSTER) == []
    yield
    final = run_playbook("destroy", DEFINITION, *DESTROY)
    assert final.rc == 0, final.output


def test_create_killed_while_provisioning_then_run_again(clean, tmp_path):  # pylint: disable=unused-argument
    # killed once the first node exists and the others are being made
    create_killed_when(tmp_path, "provisioning", lambda output: (
        "Ensure the nodes of each kind" in output and len(cluster_containers(CLUSTER)) >= 1))
    assert len(cluster_containers(CLUSTER)) <= len(NODES)

    # killed again in the first configuration of the nodes (the common role)
    output = create_killed_when(tmp_path, "configuring", lambda output: (
        "TASK [gridcloud.arc_cluster.common" in output))
    assert "TASK [gridcloud.arc_cluster.common" in output
    ids = container_ids()
    assert sorted(ids) == NODES

    again = run_playbook("create", DEFINITION)
    assert again.rc == 0, again.output
    assert container_ids() == ids  # the same containers, none made twice
    assert networks() == ["%s-net" % CLUSTER]
    assert [f.name for f in volume_files(CLUSTER)] == ["itkill-frontend001-data.img"]
    mounted = podman("exec", "itkill-frontend001", "findmnt", "--noheadings", "--output",
                     "SOURCE,FSTYPE", "/srv/data").stdout.split()
    assert mounted == ["/dev/disk/by-id/gridcloud-data", "ext4"]

    last = run_playbook("create", DEFINITION)
    assert last.rc == 0, last.output
    assert all(r["changed"] == 0 for r in last.recap.values()), last.output
