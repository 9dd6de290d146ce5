"""The acceptance run (tests/acceptance, docs/acceptance.md) against the harness's real APIs.

The harness's Nova runs the fake virt driver, so its servers never boot: the run is told so
(GRIDCLOUD_ACCEPTANCE_NO_BOOT) and runs the steps that need no booted server (the cluster does
not exist yet, provisioning, a second provisioning without change, destroy); every other step
must be reported skipped with that reason. Afterwards nothing of the cluster is left in the
cloud: no server, volume, security group or keypair.
"""

import os
import re
import subprocess
import sys

from conftest import ROOT, FLAVOR, cluster_state, keypair, wipe

CLUSTER = "osacc"
NO_BOOT = "the harness's Nova runs the fake virt driver: its servers never boot"
RAN = ["The definition's cluster does not exist yet", "create:",
       "A second create changes nothing", "destroy:"]


def report_steps(text):
    """{title: (outcome, detail)} from report.txt."""
    steps, last = {}, None
    for line in text.splitlines():
        match = re.match(r"^(passed|failed|skipped)\s+\d+ s  (.*)$", line)
        if match:
            last = match.group(2)
            steps[last] = (match.group(1), "")
        elif last and line.startswith(" " * 17) and line.strip():
            steps[last] = (steps[last][0], line.strip())
    return steps


def test_the_acceptance_run_provisions_and_leaves_nothing(write_definition, harness_env, admin,
                                                          cloud, project_id, tmp_path):
    wipe(admin, cloud, project_id, CLUSTER)
    definition = write_definition(CLUSTER, {
        "frontend": {"count": 1, "groups": ["slurm_controller", "nfs_server", "arc_ce"],
                     "resources": {"flavor": FLAVOR},
                     "volumes": [{"name": "grid", "size": "1GiB", "filesystem": "xfs",
                                  "mount": "/srv/grid", "policy": "keep"}]},
        "compute": {"count": 1, "groups": ["slurm_worker", "nfs_client"],
                    "resources": {"flavor": FLAVOR}},
    })
    report = tmp_path / "report"
    env = dict(os.environ, **harness_env, GRIDCLOUD_DEFINITION=str(definition),
               GRIDCLOUD_ACCEPTANCE_REPORT=str(report), GRIDCLOUD_ACCEPTANCE_NO_BOOT=NO_BOOT,
               GRIDCLOUD_ACCEPTANCE_VOLUME_POLICY="delete", GRIDCLOUD_ACCEPTANCE_KEEP="")
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               str(ROOT / "tests" / "acceptance")], env=env, capture_output=True,
                              text=True, check=False, timeout=1800)
        text = (report / "report.txt").read_text() if (report / "report.txt").exists() else ""
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
        steps = report_steps(text)
        for title, (outcome, detail) in steps.items():
            if any(title.startswith(prefix) for prefix in RAN):
                assert outcome == "passed", (title, outcome, detail)
            else:
                assert (outcome, detail) == ("skipped", NO_BOOT), (title, outcome, detail)
        assert len([t for t in steps if any(t.startswith(p) for p in RAN)]) == len(RAN), text
        assert "left behind: nothing" in text, text
        (report / "acceptance.xml").read_text()
        # nothing of the cluster is left in the cloud
        state = cluster_state(admin, project_id, CLUSTER)
        assert state["servers"] == {} and state["volumes"] == {}, state
        assert state["security_groups"] == [], state
        assert keypair(cloud, CLUSTER) is None
    finally:
        wipe(admin, cloud, project_id, CLUSTER)
