#!/usr/bin/env python
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the local provider: how long the playbooks take, and what they cost over apt.

Not a test: it asserts nothing about speed, it measures and prints. Run it on an otherwise idle
machine after `make setup` (with `. scripts/env.sh` loaded):

    python scripts/benchmark.py                      # 2 workers, then 2 -> 4 -> 8
    python scripts/benchmark.py --scale 2 4 --json build/benchmark.json

Figures, each from one run:
- create: `create` of the local example's layout from nothing (nodes, volumes, every role,
  the smoke test), with N workers;
- rerun: a second `create` on the unchanged cluster (everything adopted, nothing changed);
- add worker: `resize` from N to N + 1 workers;
- apt floor: on fresh nodes of the same layout (provisioned only), the same packages that
  the roles installed, installed with plain `apt-get install` on all nodes at once. The ratio
  create / apt floor is the collection's overhead over the package installs it cannot avoid.
- scale: `create` from nothing with 2, 4, 8 ... workers (`--scale`); the count that equals
  `--workers` is the create figure above, not run again.

The apt caches of the node slots (see docs/local-provider.md) are warm after the first run, for
the playbooks and the floor alike; the first figures of a machine that never ran a cluster
include the downloads.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "local" / "cluster.yml"
CLUSTER = "bench"


def definition(workers, path):
    """The local example with the cluster named CLUSTER and `workers` compute nodes."""
    data = copy.deepcopy(yaml.safe_load(EXAMPLE.read_text()))
    data["cluster"]["name"] = CLUSTER
    data["cluster"]["nodes"]["compute"]["count"] = workers
    data["cluster"]["hooks"] = {"before": [], "after_storage": [], "after": []}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def playbook(name, inventory, *extra):
    """Run one of the collection's playbooks; return its duration in seconds."""
    start = time.monotonic()
    proc = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), "gridcloud.arc_cluster.%s" % name, *extra],
        cwd=ROOT, capture_output=True, text=True, check=False)
    took = time.monotonic() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-2000:])
        raise SystemExit("%s failed (rc=%d); see the output above" % (name, proc.returncode))
    sys.stderr.write("benchmark: %s %s took %.0f s\n" % (name, inventory.name, took))
    return took


def destroy(inventory):
    playbook("destroy", inventory, "-e", "cluster_destroy_volume_policy=delete",
             "-e", "cluster_destroy_force=true")


def nodes():
    out = subprocess.run(["podman", "ps", "--format", "{{.Names}}", "--filter",
                          "label=gridcloud.cluster=%s" % CLUSTER],
                         capture_output=True, text=True, check=True).stdout
    return sorted(out.split())


def manual_packages(node):
    out = subprocess.run(["podman", "exec", node, "apt-mark", "showmanual"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def apt_floor(inventory, packages_by_node):
    """Provision fresh nodes only, then install each node's packages with plain apt, in parallel."""
    with tempfile.TemporaryDirectory() as tmp:
        provision = Path(tmp) / "provision.yml"
        provision.write_text(
            "- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n"
            "    - ansible.builtin.import_role:\n        name: gridcloud.arc_cluster.cluster\n"
            "        tasks_from: provision\n")
        proc = subprocess.run(["ansible-playbook", "-i", str(inventory), str(provision)],
                              cwd=ROOT, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit("provisioning for the apt floor failed:\n" + proc.stdout[-3000:])
    start = time.monotonic()
    running = []
    for node, packages in sorted(packages_by_node.items()):
        script = ("export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && "
                  "apt-get install -y -qq --no-install-recommends %s >/dev/null"
                  % " ".join(sorted(packages)))
        running.append((node, subprocess.Popen(["podman", "exec", node, "sh", "-c", script],
                                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                               text=True)))
    for node, proc in running:
        _out, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit("apt on %s failed: %s" % (node, err[-2000:]))
    return time.monotonic() - start


def measure(workers, scale, workdir):
    results = {}
    inventory = definition(workers, workdir / ("bench-%d.yml" % workers))
    destroy(inventory)
    results["create"] = playbook("create", inventory)
    results["rerun"] = playbook("create", inventory)
    installed = {node: manual_packages(node) for node in nodes()}
    grown = definition(workers + 1, workdir / ("bench-%d.yml" % (workers + 1)))
    results["add_worker"] = playbook("resize", grown)
    destroy(grown)
    # the packages the roles chose on each node, minus what the image already had
    image_packages = set(subprocess.run(
        ["podman", "run", "--rm", "localhost/gridcloud-node:trixie", "apt-mark", "showmanual"],
        capture_output=True, text=True, check=True).stdout.split())
    wanted = {node: pkgs - image_packages for node, pkgs in installed.items()}
    results["apt_floor"] = apt_floor(inventory, wanted)
    destroy(inventory)
    results["overhead_ratio"] = results["create"] / results["apt_floor"]
    results["scale"] = {}
    for count in scale:
        if count == workers:
            # the same measurement as "create" above: not run twice
            results["scale"][count] = results["create"]
            continue
        scaled = definition(count, workdir / ("bench-scale-%d.yml" % count))
        destroy(scaled)
        results["scale"][count] = playbook("create", scaled)
        destroy(scaled)
    return results


def table(results, workers):
    rows = [
        ("create from nothing (%d workers)" % workers, "%.0f s" % results["create"]),
        ("second create, no change", "%.0f s" % results["rerun"]),
        ("resize: add one worker", "%.0f s" % results["add_worker"]),
        ("apt floor: same packages, plain apt", "%.0f s" % results["apt_floor"]),
        ("create / apt floor", "%.1fx" % results["overhead_ratio"]),
    ]
    rows += [("create from nothing, %s workers" % count, "%.0f s" % took)
             for count, took in sorted(results["scale"].items())]
    width = max(len(name) for name, _value in rows)
    lines = ["%-*s  %s" % (width, name, value) for name, value in rows]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--workers", type=int, default=2,
                        help="workers of the cluster for create, rerun, add worker, apt floor")
    parser.add_argument("--scale", type=int, nargs="*", default=[2, 4, 8],
                        help="worker counts for the scaling figures (none to skip)")
    parser.add_argument("--json", type=Path, default=ROOT / "build" / "benchmark.json",
                        help="where to write the figures as JSON")
    args = parser.parse_args()
    if not os.environ.get("CONTAINERS_CONF"):
        raise SystemExit("load the environment first: . scripts/env.sh")
    with tempfile.TemporaryDirectory() as tmp:
        results = measure(args.workers, args.scale, Path(tmp))
    results["date"] = datetime.date.today().isoformat()
    results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "kernel": platform.release()}
    print(table(results, args.workers))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, sort_keys=True))
    print("figures written to %s" % args.json)


if __name__ == "__main__":
    main()
