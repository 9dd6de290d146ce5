#!/usr/bin/env python
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the local provider: how long the playbooks take, and what they cost over apt.

Not a test: it asserts nothing about speed, it measures and prints. Run it on an otherwise idle
machine after `make setup` (with `. scripts/env.sh` loaded):

    python scripts/benchmark.py                      # 2 workers, then 2 -> 4 -> 8 -> 16
    python scripts/benchmark.py --scale 2 4 --json build/benchmark.json
    python scripts/benchmark.py --elastic-only       # elastic workers only (3 rounds)

Figures, each from one run:
- create: `create` of the local example's layout from nothing (nodes, volumes, every role,
  the smoke test), with N workers;
- rerun: a second `create` on the unchanged cluster (everything adopted, nothing changed);
- add worker: `resize` from N to N + 1 workers;
- apt floor: on fresh nodes of the same layout (provisioned only), the same packages that
  the roles installed, installed with plain `apt-get install` on all nodes at once. The ratio
  create / apt floor is the collection's overhead over the package installs it cannot avoid.
- scale: `create` from nothing with 2, 4, 8, 16 workers (`--scale`); the count that equals
  `--workers` is the create figure above, not run again.
- with each of these, how busy the machine's CPUs were meanwhile (/proc/stat, every core, in
  the JSON under "cpu_busy"): a figure taken near 100 % busy is bounded by the cores, one well
  below it by what the playbooks wait for.

Job turnaround (`--jobs N`, on the cluster of the create figure, before it is destroyed), each
from submit to the state Finished as the grid user on the frontend sees it, outputs fetched and
checked:
- REST: the median of N hello jobs one after the other with the arc_job module (an ad-hoc
  `ansible` run: A-REX's own job state over REST, outputs fetched over REST), with the role's
  arc_ce_slurm_wakeupperiod and with ARC's own default (30 s), the ratio of the two; and the
  median of N jobs as `arcstat` sees them (every second), which reads A-REX's information;
- INTERNAL: the median of N hello jobs as `arcstat` sees them (it reads A-REX's own state),
  with the role's period and ARC's default, the ratio of the two;
- batch: `--batch` jobs (default 100) submitted over REST in one arcsub: until arcsub returns
  (it delegates and posts each job on its own), until A-REX has the last one FINISHED (its own
  state, as the REST medians above; the goal's figure) and until arcstat sees them all Finished;
  every output fetched (nothing lost);
- aCT, when aCT runs on the frontend (ACT_SOURCE or its git repository): the median of N jobs
  and `--act-batch` jobs (default 50) put into aCT at once with the act_job module, until the
  last is done, every output downloaded by aCT.

Elastic workers (`--elastic N`), on a cluster of its own (the local example with no static
worker and one elastic worker, idle 60 s): N times one SLURM job submitted while the elastic
node does not exist, from submit to the state RUNNING on the node SLURM made for it (the
median), and from the job's end to the node being gone.

Then the project's goals (README, Performance; docs/performance.md), each with this run's figure
and "met", "not met" or "not measured" (and what measures it); in the JSON under "goals".

The apt caches of the node slots (see docs/local-provider.md) are warm after the first run, for
the playbooks and the floor alike; the first figures of a machine that never ran a cluster
include the downloads.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "local" / "cluster.yml"
CLUSTER = "bench"
FRONTEND = "%s-frontend001" % CLUSTER
HELLO = ('&(executable="/bin/sh")(arguments="-c" "echo hello from $(hostname)")'
         '(stdout="out.txt")(stderr="err.txt")(jobname="bench")')
ARC_DEFAULT_SLURM_WAKEUPPERIOD = 30
# [arex] controldir of the benchmark's CE (the arc_ce role's, ARC's default)
CONTROL_DIR = "/var/spool/arc/jobstatus"
FINAL_STATES = ("Finished", "Failed", "Killed", "Deleted")


def definition(workers, path):
    """The local example with the cluster named CLUSTER and `workers` compute nodes."""
    data = copy.deepcopy(yaml.safe_load(EXAMPLE.read_text()))
    data["cluster"]["name"] = CLUSTER
    data["cluster"]["nodes"]["compute"]["count"] = workers
    data["cluster"]["hooks"] = {"before": [], "after_storage": [], "after": []}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def cpu_ticks():
    """(busy, all) clock ticks of every CPU of the machine since boot (/proc/stat)."""
    with open("/proc/stat", encoding="ascii") as handle:
        fields = [int(value) for value in handle.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is counted in user already)
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    return total - idle, total


# How busy the machine's CPUs were during each measured playbook run: label -> share (0..1).
# A figure taken with the CPUs near 100 % busy is bounded by the machine's cores, not by waits.
CPU_BUSY = {}


def playbook(name, inventory, *extra, label=None):
    """Run one of the collection's playbooks; return its duration in seconds. With ``label``,
    also keep the share of the machine's CPU time that was busy meanwhile in CPU_BUSY."""
    busy_before, total_before = cpu_ticks()
    start = time.monotonic()
    proc = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), "gridcloud.arc_cluster.%s" % name, *extra],
        cwd=ROOT, capture_output=True, text=True, check=False)
    took = time.monotonic() - start
    busy_after, total_after = cpu_ticks()
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-2000:])
        raise SystemExit("%s failed (rc=%d); see the output above" % (name, proc.returncode))
    busy = (busy_after - busy_before) / max(total_after - total_before, 1)
    if label:
        CPU_BUSY[label] = busy
    sys.stderr.write("benchmark: %s %s took %.0f s, CPUs %.0f %% busy\n"
                     % (name, inventory.name, took, 100 * busy))
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
    busy_before, total_before = cpu_ticks()
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
    took = time.monotonic() - start
    busy_after, total_after = cpu_ticks()
    CPU_BUSY["apt_floor"] = (busy_after - busy_before) / max(total_after - total_before, 1)
    return took


# ---------------------------------------------------------------- job turnaround
def as_grid(script, timeout=1800):
    """Run a shell script as the grid user on the frontend; return its stdout (fail loudly)."""
    proc = subprocess.run(["podman", "exec", "--workdir", "/home/grid", "--env", "HOME=/home/grid",
                           FRONTEND, "runuser", "-u", "grid", "--", "bash", "-c", script],
                          capture_output=True, text=True, check=False, timeout=timeout)
    if proc.returncode != 0:
        raise SystemExit("on %s as grid: %s\nrc=%d %s %s"
                         % (FRONTEND, script, proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:]))
    return proc.stdout


def apply_arc_ce(inventory, *extra):
    """Apply the arc_ce role to its group with -e overrides (mode, wakeup period)."""
    with tempfile.TemporaryDirectory() as tmp:
        play = Path(tmp) / "arc_ce.yml"
        play.write_text("- hosts: arc_ce\n  roles: [gridcloud.arc_cluster.arc_ce]\n")
        proc = subprocess.run(["ansible-playbook", "-i", str(inventory), str(play), *extra],
                              cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit("applying arc_ce %s failed:\n%s" % (" ".join(extra), proc.stdout[-3000:]))


def states(jobs_file):
    """job id -> state of every job in the grid user's job list file."""
    out = as_grid("arcstat -j %s -a 2>/dev/null || true" % jobs_file)
    found, job = {}, None
    for line in out.splitlines():
        if line.startswith("Job: "):
            job = line.split()[1]
        elif line.strip().startswith("State: ") and job:
            found[job] = line.split(":", 1)[1].split()[0]
    return found


def submit(count, interface, jobs_file):
    """Submit `count` hello jobs in one arcsub as the grid user; return (start time, job ids)."""
    endpoint = "localhost" if interface == "internal" else FRONTEND
    as_grid("rm -rf bench && mkdir -p bench && rm -f %s && printf '%%s' '%s' > bench/hello.xrsl"
            % (jobs_file, HELLO))
    start = time.monotonic()
    said = as_grid("arcsub -C %s -T %s -j %s %s" % (endpoint, interface, jobs_file,
                                                    " ".join(["bench/hello.xrsl"] * count)))
    return start, [line.split()[-1] for line in said.splitlines()
                   if line.startswith("Job submitted with jobid:")]


def arex_states(job_ids):
    """job id -> A-REX's own state of each job: its status file in the CE's control dir, what
    A-REX's REST interface answers for <job>/diagnose/status (and the arc_job module reads)."""
    script = ('cd %s && for id in %s; do echo "$(cat accepting/$id.status processing/$id.status '
              'finished/$id.status restarting/$id.status 2>/dev/null)"; done'
              % (CONTROL_DIR, " ".join(job.rsplit("/", 1)[-1] for job in job_ids)))
    proc = subprocess.run(["podman", "exec", FRONTEND, "bash", "-c", script],
                          capture_output=True, text=True, check=False)
    found = proc.stdout.split("\n")
    return {job: found[index].strip() for index, job in enumerate(job_ids) if index < len(found)}


def fetch_outputs(count, jobs_file):
    """arcget every job of the list and check that each hello came back (nothing lost)."""
    as_grid("arcget -j %s -a -D bench/out >/dev/null" % jobs_file)
    outputs = as_grid("cat bench/out/*/out.txt").splitlines()
    hellos = [line for line in outputs if line.startswith("hello from %s-compute" % CLUSTER)]
    if len(hellos) != count:
        raise SystemExit("%d jobs Finished, but %d outputs came back" % (count, len(hellos)))


def wait_arcstat(count, interface, jobs_file, start, timeout):
    """Seconds from `start` until arcstat sees every job of the list in a final state; fail
    unless all are Finished."""
    current = {}
    while time.monotonic() - start < timeout:
        current = states(jobs_file)
        if len(current) == count and all(s in FINAL_STATES for s in current.values()):
            break
        time.sleep(1)
    took = time.monotonic() - start
    done = sorted(current.values())
    if done != ["Finished"] * count:
        raise SystemExit("%d %s jobs: not all Finished after %.0f s: %s"
                         % (count, interface, took, {s: done.count(s) for s in set(done)}))
    return took


def run_jobs(count, interface, jobs_file, timeout):
    """Submit `count` hello jobs in one arcsub; return seconds until arcstat sees the last one
    final, after checking that every one Finished and its output came back."""
    start, _ids = submit(count, interface, jobs_file)
    took = wait_arcstat(count, interface, jobs_file, start, timeout)
    fetch_outputs(count, jobs_file)
    return took


def rest_batch(count, timeout=1800):
    """`count` hello jobs in one arcsub over REST: seconds until arcsub returned, until A-REX has
    every job FINISHED (its own state, as the REST medians of arc_job), and until arcstat sees them
    all Finished (A-REX's information); every output fetched and checked."""
    jobs_file = "bench-batch.jobs"
    start, ids = submit(count, "arcrest", jobs_file)
    submitted = time.monotonic() - start
    if len(ids) != count:
        raise SystemExit("arcsub of %d REST jobs gave %d job ids" % (count, len(ids)))
    arex = {}
    while time.monotonic() - start < timeout:
        arex = arex_states(ids)
        if all(state in ("FINISHED", "DELETED") for state in arex.values()) and len(arex) == count:
            break
        time.sleep(1)
    arex_took = time.monotonic() - start
    if sorted(arex.values()) != ["FINISHED"] * count:
        raise SystemExit("%d REST jobs: not all FINISHED in A-REX after %.0f s: %s"
                         % (count, arex_took, sorted(set(arex.values()))))
    arcstat_took = wait_arcstat(count, "arcrest", jobs_file, start, timeout)
    fetch_outputs(count, jobs_file)
    return {"jobs": count, "submit_seconds": submitted, "arex_seconds": arex_took,
            "arcstat_seconds": arcstat_took}


def module_job(inventory):
    """One hello job over REST with the arc_job module as the grid user (what the smoke test
    runs: A-REX's own job state, outputs fetched over REST); seconds, playbook start included."""
    args = json.dumps({"xrsl": HELLO, "endpoint": FRONTEND, "interface": "arcrest",
                       "dest": "/home/grid/bench-module", "poll_interval": 1, "timeout": 600})
    start = time.monotonic()
    proc = subprocess.run(["ansible", FRONTEND, "-i", str(inventory), "-m",
                           "gridcloud.arc_cluster.arc_job", "-a", args, "--become",
                           "--become-user", "grid", "--become-method", "ansible.builtin.su"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    took = time.monotonic() - start
    if proc.returncode != 0 or "hello from %s-compute" % CLUSTER not in proc.stdout:
        raise SystemExit("the arc_job module's REST job failed:\n%s" % proc.stdout[-3000:])
    return took


def median_job(interface, count):
    return statistics.median(run_jobs(1, interface, "bench-%s.jobs" % interface, 300)
                             for _run in range(count))


def act_runs():
    proc = subprocess.run(["podman", "exec", FRONTEND, "systemctl", "is-active", "act"],
                          capture_output=True, text=True, check=False)
    return proc.stdout.strip() == "active"


def act_jobs(inventory, count, timeout=1800):
    """Put `count` hello jobs into aCT at once (act_job, async), wait for all; return seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        play = Path(tmp) / "act.yml"
        play.write_text(yaml.safe_dump([{
            "hosts": FRONTEND, "gather_facts": False, "tasks": [
                {"name": "Put the jobs into aCT", "gridcloud.arc_cluster.act_job": {
                    "xrsl": HELLO.replace('(stderr="err.txt")', '(outputfiles=("out.txt" ""))'),
                    "site": CLUSTER, "appjobid": "bench", "timeout": timeout, "poll_interval": 2},
                 "loop": list(range(count)), "async": timeout + 60, "poll": 0,
                 "register": "submitted"},
                {"name": "Wait for every job", "ansible.builtin.async_status": {
                    "jid": "{{ item.ansible_job_id }}"},
                 "loop": "{{ submitted.results }}", "register": "jobs",
                 "until": "jobs.finished", "retries": timeout, "delay": 1},
                {"name": "Every job finished with its output", "ansible.builtin.assert": {
                    "that": ["jobs.results | map(attribute='state') | unique == ['done']",
                             "jobs.results | map(attribute='outputs') | map('length') | min > 0"],
                    "quiet": True}},
            ]}]))
        start = time.monotonic()
        proc = subprocess.run(["ansible-playbook", "-i", str(inventory), str(play)], cwd=ROOT,
                              capture_output=True, text=True, check=False)
        took = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit("%d aCT jobs failed:\n%s" % (count, proc.stdout[-4000:]))
    return took


class Figures(dict):
    """The figures, each also said on stderr as soon as it is measured (a failure later in the
    run loses none of them)."""

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        sys.stderr.write("benchmark: %s = %s\n" % (key, round(value, 1) if isinstance(value, float) else value))


def measure_jobs(inventory, count, batch, act_batch):
    """Job turnaround on the running cluster (the CE in mode rest, as the example has it)."""
    results = Figures()
    # ARC's default first, then the role's: each median from the same cluster, one after the other
    apply_arc_ce(inventory, "-e", "arc_ce_slurm_wakeupperiod=%d" % ARC_DEFAULT_SLURM_WAKEUPPERIOD)
    results["rest_median_arc_default"] = statistics.median(module_job(inventory) for _run in range(count))
    apply_arc_ce(inventory)
    results["rest_median"] = statistics.median(module_job(inventory) for _run in range(count))
    results["rest_ratio"] = results["rest_median_arc_default"] / results["rest_median"]
    # the same jobs as arcstat sees them (A-REX's information, rewritten once a minute)
    results["rest_arcstat_median"] = median_job("arcrest", count)
    results["rest_batch"] = rest_batch(batch)
    if act_runs():
        results["act_median"] = statistics.median(act_jobs(inventory, 1) for _run in range(count))
        results["act_batch"] = {"jobs": act_batch, "seconds": act_jobs(inventory, act_batch)}
    else:
        results["act"] = "skipped: aCT does not run on %s (set ACT_SOURCE)" % FRONTEND
    # INTERNAL needs the CE in mode internal; it goes back to rest afterwards
    # (tokens come over REST only: the example's test token issuer is off meanwhile)
    internal = ("-e", "arc_ce_mode=internal", "-e", "arc_ce_test_token_issuer=false")
    apply_arc_ce(inventory, *internal, "-e",
                 "arc_ce_slurm_wakeupperiod=%d" % ARC_DEFAULT_SLURM_WAKEUPPERIOD)
    results["internal_median_arc_default"] = median_job("internal", count)
    apply_arc_ce(inventory, *internal)
    results["internal_median"] = median_job("internal", count)
    results["internal_ratio"] = results["internal_median_arc_default"] / results["internal_median"]
    apply_arc_ce(inventory)
    return dict(results)


def measure_jobs_only(workers, workdir, jobs, batch, act_batch):
    """Job turnaround alone, on the benchmark's cluster: the one that is up (left by an earlier
    run that failed), else a new one; destroyed at the end."""
    inventory = definition(workers, workdir / ("bench-%d.yml" % workers))
    up = subprocess.run(["podman", "container", "exists", FRONTEND], check=False).returncode == 0
    if up:
        sys.stderr.write("benchmark: %s is up: job turnaround on it as it is\n" % FRONTEND)
    else:
        playbook("create", inventory)
    results = {"jobs": measure_jobs(inventory, jobs, batch, act_batch)}
    destroy(inventory)
    return results


def measure(workers, scale, workdir, jobs=0, batch=100, act_batch=50):
    results = {}
    inventory = definition(workers, workdir / ("bench-%d.yml" % workers))
    destroy(inventory)
    results["create"] = playbook("create", inventory, label="create")
    results["rerun"] = playbook("create", inventory, label="rerun")
    if jobs:
        results["jobs"] = measure_jobs(inventory, jobs, batch, act_batch)
    installed = {node: manual_packages(node) for node in nodes()}
    grown = definition(workers + 1, workdir / ("bench-%d.yml" % (workers + 1)))
    results["add_worker"] = playbook("resize", grown, label="add_worker")
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
            CPU_BUSY["scale_%d" % count] = CPU_BUSY["create"]
            continue
        scaled = definition(count, workdir / ("bench-scale-%d.yml" % count))
        destroy(scaled)
        results["scale"][count] = playbook("create", scaled, label="scale_%d" % count)
        destroy(scaled)
    return results


def elastic_definition(path):
    """The local example named CLUSTER with no static worker and one elastic one (idle 60 s)."""
    data = copy.deepcopy(yaml.safe_load(EXAMPLE.read_text()))
    data["cluster"]["name"] = CLUSTER
    compute = data["cluster"]["nodes"]["compute"]
    compute["count"] = 0
    compute["resources"] = {"cpus": 1, "memory": compute["resources"]["memory"]}
    compute["elastic"] = {"max": 1, "idle": 60}
    data["cluster"]["hooks"] = {"before": [], "after_storage": [], "after": []}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def on_frontend(command):
    return subprocess.run(["podman", "exec", FRONTEND, "bash", "-c", command],
                          capture_output=True, text=True, check=False)


def wait_until(what, condition, timeout, step=1.0):
    """Poll ``condition`` until it is true; return the seconds waited."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise SystemExit("benchmark: %s not within %d s" % (what, timeout))
        time.sleep(step)
    return time.monotonic() - start


def job_state_in(job, states):
    """Whether SLURM's state of ``job`` is one of ``states`` ("" once it has left the queue)."""
    return on_frontend("squeue --noheader --format %%T --jobs %s" % job).stdout.strip() in states


def measure_elastic(workdir, rounds):
    """Queued job to running on a resumed elastic node, and job end to the node gone."""
    inventory = elastic_definition(workdir / "bench-elastic.yml")
    destroy(inventory)
    playbook("create", inventory)
    node = "%s-compute001" % CLUSTER
    to_running, to_gone = [], []

    def powered_down():
        return on_frontend("sinfo --noheader --Node --nodes %s --format %%t"
                           % node).stdout.strip() == "idle~"

    for _round in range(rounds):
        # removed, and SLURM done powering it down (SuspendTimeout), so that the job waits
        # for the resume alone
        wait_until("%s to be removed" % node, lambda: node not in nodes(), 900)
        wait_until("SLURM to count %s powered down" % node, powered_down, 600)
        job = as_grid("sbatch --parsable --chdir=/tmp --output=/dev/null --wrap 'sleep 5'").strip()
        if not job:
            raise SystemExit("benchmark: sbatch gave no job id")
        to_running.append(wait_until("job %s to run" % job, functools.partial(
            job_state_in, job, ("RUNNING", "COMPLETING", "")), 1200))
        wait_until("job %s to end" % job, functools.partial(job_state_in, job, ("",)), 600)
        to_gone.append(wait_until("%s to be removed" % node, lambda: node not in nodes(), 900))
        sys.stderr.write("benchmark: elastic round: job running after %.0f s, node gone %.0f s "
                         "after the job\n" % (to_running[-1], to_gone[-1]))
    destroy(inventory)
    return {"rounds": rounds, "to_running": to_running, "to_gone": to_gone,
            "to_running_median": statistics.median(to_running),
            "to_gone_median": statistics.median(to_gone)}


def seconds(took, busy=None):
    """A playbook's figure, with how busy the machine's CPUs were meanwhile where that was read."""
    return "%.0f s" % took + ("" if busy is None else " (CPUs %.0f %% busy)" % (100 * busy))


def table(results, workers):
    rows = []
    busy = results.get("cpu_busy", {})
    if "create" in results:
        rows += [
            ("create from nothing (%d workers)" % workers, seconds(results["create"], busy.get("create"))),
            ("second create, no change", seconds(results["rerun"], busy.get("rerun"))),
            ("resize: add one worker", seconds(results["add_worker"], busy.get("add_worker"))),
            ("apt floor: same packages, plain apt", seconds(results["apt_floor"], busy.get("apt_floor"))),
            ("create / apt floor", "%.1fx" % results["overhead_ratio"]),
        ]
        rows += [("create from nothing, %s workers" % count,
                  seconds(took, busy.get("scale_%d" % count)))
                 for count, took in sorted(results["scale"].items())]
    jobs = results.get("jobs")
    if jobs:
        for interface, name in (("rest", "REST (arc_job)"), ("internal", "INTERNAL")):
            rows += [
                ("%s hello job, median, ARC's slurm_wakeupperiod" % name,
                 "%.1f s" % jobs["%s_median_arc_default" % interface]),
                ("%s hello job, median, the role's" % name, "%.1f s" % jobs["%s_median" % interface]),
                ("%s: ARC's default / the role's" % name, "%.1fx" % jobs["%s_ratio" % interface]),
            ]
            if interface == "rest" and "rest_arcstat_median" in jobs:
                rows.append(("REST hello job seen Finished by arcstat, median",
                             "%.1f s" % jobs["rest_arcstat_median"]))
        batch = jobs["rest_batch"]
        rows += [("%d REST jobs in one arcsub: arcsub returned" % batch["jobs"],
                  "%.0f s" % batch["submit_seconds"]),
                 ("%d REST jobs in one arcsub: all Finished in A-REX" % batch["jobs"],
                  "%.0f s" % batch["arex_seconds"]),
                 ("%d REST jobs in one arcsub: all Finished by arcstat" % batch["jobs"],
                  "%.0f s" % batch["arcstat_seconds"])]
        if "act_median" in jobs:
            rows += [("aCT hello job, median", "%.1f s" % jobs["act_median"]),
                     ("%d aCT jobs at once, all done" % jobs["act_batch"]["jobs"],
                      "%.0f s" % jobs["act_batch"]["seconds"])]
        else:
            rows.append(("aCT jobs", jobs["act"]))
    elastic = results.get("elastic")
    if elastic:
        rows += [("elastic: queued job to running on a resumed node, median of %d"
                  % elastic["rounds"], "%.0f s" % elastic["to_running_median"]),
                 ("elastic: job end to the idle node removed (idle 60 s), median",
                  "%.0f s" % elastic["to_gone_median"])]
    width = max(len(name) for name, _value in rows)
    lines = ["%-*s  %s" % (width, name, value) for name, value in rows]
    return "\n".join(lines)


# The project's speed goals (README, Performance): (goal, how its figure is read from the results,
# the limit, how the figure is shown, what measures it when it is missing).
GOALS = (
    ("REST hello job (arc_job), median <= 15 s", lambda r: r["jobs"]["rest_median"], 15,
     "{:.1f} s", "--jobs N"),
    ("INTERNAL hello job, median <= 15 s", lambda r: r["jobs"]["internal_median"], 15,
     "{:.1f} s", "--jobs N"),
    ("aCT hello job, median <= 30 s", lambda r: r["jobs"]["act_median"], 30,
     "{:.1f} s", "--jobs N with ACT_SOURCE"),
    ("100 REST jobs at once, all Finished in A-REX <= 120 s",
     lambda r: r["jobs"]["rest_batch"]["arex_seconds"] if r["jobs"]["rest_batch"]["jobs"] >= 100 else None,
     120, "{:.0f} s", "--jobs N --batch 100"),
    ("second create, no change, <= 30 s", lambda r: r["rerun"], 30, "{:.0f} s", "a full run"),
    ("create <= 1.5x the apt floor", lambda r: r["overhead_ratio"], 1.5, "{:.1f}x", "a full run"),
    ("add one worker <= 40 % of a create", lambda r: r["add_worker"] / r["create"], 0.40,
     "{:.0%}", "a full run"),
    ("elastic: queued job to running on a resumed node <= 90 s",
     lambda r: r["elastic"]["to_running_median"], 90, "{:.0f} s", "--elastic N"),
    ("16 workers <= 1.6x the time of 2", lambda r: r["scale"][16] / r["scale"][2], 1.6,
     "{:.2f}x", "--scale 2 16"),
)


def goals(results):
    """Each goal with this run's figure and whether it is met: [(goal, figure, verdict)]."""
    rows = []
    for goal, read, limit, shown, how in GOALS:
        try:
            value = read(results)
        except (KeyError, TypeError, ZeroDivisionError):
            value = None
        if value is None:
            rows.append((goal, "-", "not measured (%s)" % how))
        else:
            rows.append((goal, shown.format(value), "met" if value <= limit else "not met"))
    return rows


def goals_table(rows):
    width = max(len(goal) for goal, _figure, _verdict in rows)
    return "\n".join("%-*s  %-8s  %s" % (width, goal, figure, verdict)
                     for goal, figure, verdict in rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--workers", type=int, default=2,
                        help="workers of the cluster for create, rerun, add worker, apt floor")
    parser.add_argument("--scale", type=int, nargs="*", default=[2, 4, 8, 16],
                        help="worker counts for the scaling figures (none to skip)")
    parser.add_argument("--jobs", type=int, default=0,
                        help="job turnaround: hello jobs per median (0 to skip; 5 is a good choice)")
    parser.add_argument("--batch", type=int, default=100,
                        help="REST jobs submitted at once for the batch figure")
    parser.add_argument("--act-batch", type=int, default=50,
                        help="jobs put into aCT at once for its batch figure")
    parser.add_argument("--jobs-only", action="store_true",
                        help="job turnaround alone (--jobs, default 5), on the benchmark's cluster "
                        "if it is up, else on a new one")
    parser.add_argument("--elastic", type=int, default=0, metavar="ROUNDS",
                        help="elastic workers: jobs that each make the elastic node (0 to skip; "
                        "3 is a good choice)")
    parser.add_argument("--elastic-only", action="store_true",
                        help="only the elastic figures (--elastic, default 3)")
    parser.add_argument("--json", type=Path, default=ROOT / "build" / "benchmark.json",
                        help="where to write the figures as JSON")
    args = parser.parse_args()
    if not os.environ.get("CONTAINERS_CONF"):
        raise SystemExit("load the environment first: . scripts/env.sh")
    with tempfile.TemporaryDirectory() as tmp:
        if args.elastic_only:
            results = {"elastic": measure_elastic(Path(tmp), args.elastic or 3)}
        elif args.jobs_only:
            results = measure_jobs_only(args.workers, Path(tmp), args.jobs or 5, args.batch,
                                        args.act_batch)
        else:
            results = measure(args.workers, args.scale, Path(tmp), args.jobs, args.batch,
                              args.act_batch)
            if args.elastic:
                results["elastic"] = measure_elastic(Path(tmp), args.elastic)
    results["cpu_busy"] = dict(CPU_BUSY)
    results["date"] = datetime.date.today().isoformat()
    results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "kernel": platform.release()}
    results["goals"] = [{"goal": goal, "figure": figure, "verdict": verdict}
                        for goal, figure, verdict in goals(results)]
    print(table(results, args.workers))
    print("\nGoals (README, Performance):")
    print(goals_table(goals(results)))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, sort_keys=True))
    print("figures written to %s" % args.json)


if __name__ == "__main__":
    main()
