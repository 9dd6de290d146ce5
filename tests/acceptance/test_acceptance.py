"""The acceptance run: the whole main job on the cluster of one definition, any provider.

The steps run in this order and build on each other: the cluster must not exist yet; create
(its smoke test must pass); the smoke test's SLURM job on every worker, ARC job and aCT job;
ARC's own test job 2 (arctest) through the CE; the shared dirs as NFS mounts and SLURM's cgroups
where the nodes are VMs or servers; a second create that changes nothing; a worker and the
frontend rebooted with a job running (not lost); a resize out by one worker and back in; destroy,
with each volume's policy. A step that cannot run says why (skipped). The cluster is destroyed at
the end whatever failed, unless GRIDCLOUD_ACCEPTANCE_KEEP is set. See docs/acceptance.md.
"""

import re
import time

import pytest

from conftest import dump_definition, load_definition, smoke_check

JOB_POLL = 10


# ------------------------------------------------------------------------------- helpers
def need_cluster(run):
    """Skip a step that needs the booted, configured cluster when there is none."""
    if run.no_boot:
        pytest.skip(run.no_boot)
    if run.created is None:
        pytest.skip("no cluster: create did not run")
    if run.created.rc != 0:
        pytest.skip("create failed: see the create step")


def cluster(run):
    """The cluster's active nodes now (asks the provider through the inventory plugin)."""
    inventory = run.runner.inventory()
    if inventory.frontend is None:
        pytest.skip("the cluster has no slurm_controller node")
    return inventory


def need_reboots(run):
    if run.provider == "podman":
        pytest.skip("podman nodes are containers, which do not reboot; this step runs on VMs "
                    "and servers (providers libvirt, openstack)")


def sbatch(run, frontend, user, worker, command):
    out = run.runner.on(frontend, "cd /tmp && sudo -u %s sbatch --parsable --requeue -w %s "
                                  "-D /tmp -o /dev/null --wrap %s" % (user, worker, command))
    return out.splitlines()[-1].split(";")[0].strip()


def job_state(run, frontend, job):
    """(JobState, Restarts) of a SLURM job, as scontrol shows it."""
    return parse_job_state(run.runner.on(frontend, "scontrol show job %s" % job))


def parse_job_state(out):
    """(JobState, Restarts) from ``scontrol show job`` output; ("PURGED", 0) once slurmctld has
    forgotten a finished job (MinJobAge)."""
    state, restarts = re.search(r"JobState=(\S+)", out), re.search(r"Restarts=(\d+)", out)
    if not state:
        return ("PURGED", 0)
    return (state.group(1), int(restarts.group(1)) if restarts else 0)


# How SLURM reports a job that a node's reboot ended without a requeue.
JOB_FAILED_STATES = ("FAILED", "NODE_FAIL")


def wait_for_job(run, frontend, job, done, timeout, what):
    """Poll the job's (JobState, Restarts) until ``done`` of it is true."""
    def check():
        state = job_state(run, frontend, job)
        return True if done(state) else state
    wait_for(check, timeout, "job %s %s" % (job, what))


def job_running_before_a_reboot(run, pick_worker, command):
    """A --requeue job pinned to a worker, running: (inventory, frontend, worker, job id)."""
    need_cluster(run)
    need_reboots(run)
    inventory = cluster(run)
    frontend, worker = inventory.frontend, pick_worker(inventory.workers)
    job = sbatch(run, frontend, grid_user(run), worker, command)
    wait_for_job(run, frontend, job, lambda state: state[0] == "RUNNING", 300, "running")
    return inventory, frontend, worker, job


def wait_for(predicate, timeout, what):
    """Poll ``predicate`` until it returns True; fail with its last answer after ``timeout``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last is True:
            return
        time.sleep(JOB_POLL)
    pytest.fail("%s: not within %s s (last: %r)" % (what, timeout, last))


def node_state(run, frontend, node):
    return run.runner.on(frontend, "sinfo -h -N -n %s -o %%T" % node).strip() or "absent"


def grid_user(run):
    return run.runner.variables("common_grid_user").get("common_grid_user") or "grid"


def reboot(run, host):
    answer = run.runner.module(host, "ansible.builtin.reboot", "reboot_timeout=900",
                               timeout=1200)
    assert not answer.get("failed") and not answer.get("unreachable"), answer
    return answer


def expect_smoke_passed(result, check, node=None):
    found = smoke_check(result, check, node)
    if found is None:
        pytest.fail("the smoke test has no check %r%s" % (check, " on %s" % node if node else ""))
    outcome, detail = found
    if outcome == "skipped":
        pytest.skip("the smoke test skipped it: %s" % detail)
    assert outcome == "passed", "%s: %s" % (outcome, detail)


# ------------------------------------------------------------------------------- steps
def test_the_cluster_does_not_exist_yet(acceptance):
    """The definition's cluster does not exist yet (the run creates and destroys its own)"""
    inventory = acceptance.runner.inventory()
    if inventory.warnings:
        acceptance.refused = True
        pytest.fail("the provider could not be asked which nodes exist, so the run cannot tell "
                    "whether cluster %s exists: %s" % (acceptance.cluster,
                                                       " ".join(inventory.warnings)))
    existing = inventory.active + inventory.group("gridcloud_surplus")
    if existing:
        acceptance.refused = True
        pytest.fail("cluster %s exists already (nodes %s): the acceptance run creates its own "
                    "cluster and destroys it at the end, so it does not touch this one. Destroy "
                    "it first (ansible-playbook -i %s gridcloud.arc_cluster.destroy) or give the "
                    "definition another cluster.name" % (acceptance.cluster, ", ".join(existing),
                                                         acceptance.definition))


def test_create(acceptance):
    """create: nodes, volumes and every role, ending with a smoke test that passed"""
    if getattr(acceptance, "refused", False):
        pytest.skip("the cluster exists already: not touched")
    # where nodes never boot, only create's provisioning play runs
    acceptance.created = result = acceptance.runner.playbook(
        "provision.yml" if acceptance.no_boot else "create")
    assert result.rc == 0, result.tail()
    if acceptance.no_boot:
        return
    assert result.smoke is not None, result.tail()
    failed = [r for r in result.smoke["results"] if r["result"] == "failed"]
    assert not failed, failed


def test_a_slurm_job_ran_on_every_worker(acceptance):
    """The smoke test's SLURM job ran on every worker and wrote into the shared dir"""
    need_cluster(acceptance)
    workers = cluster(acceptance).workers
    assert workers, "the cluster has no slurm_worker node"
    for worker in workers:
        expect_smoke_passed(acceptance.created, "SLURM job on %s" % worker)


def test_a_job_went_through_the_ce(acceptance):
    """The smoke test's hello-world job went through the ARC CE"""
    need_cluster(acceptance)
    if not cluster(acceptance).group("arc_ce"):
        pytest.skip("the cluster has no arc_ce node")
    checks = [r["check"] for r in acceptance.created.smoke["results"]
              if r["check"].startswith("ARC job")]
    assert checks, "the smoke test has no ARC job check"
    expect_smoke_passed(acceptance.created, checks[0])


def test_arc_test_job_2_goes_through_the_ce(acceptance):
    """ARC's own acceptance test: arctest -J 2 through the CE, finished with exit code 0"""
    need_cluster(acceptance)
    ces = cluster(acceptance).group("arc_ce")
    if not ces:
        pytest.skip("the cluster has no arc_ce node")
    ce = ces[0]
    settings = acceptance.runner.variables("arc_ce_mode", "arc_ce_submit_user", "arc_ce_user",
                                           "common_grid_user")
    rest = settings.get("arc_ce_mode", "internal") != "internal"
    user = settings.get("arc_ce_submit_user") or settings.get("arc_ce_user") or \
        settings.get("common_grid_user") or "grid"
    args = ("test_job=2 endpoint=%s interface=%s dest=/tmp/gridcloud-acceptance-arctest "
            "timeout=900 fail_on_job_failure=false"
            % (ce if rest else "localhost", "arcrest" if rest else "internal"))
    answer = acceptance.runner.module(ce, "gridcloud.arc_cluster.arc_job", args, "--become",
                                      "--become-method", "ansible.builtin.sudo",
                                      "--become-user", user, timeout=1200)
    assert not answer.get("failed"), answer.get("msg")
    assert answer["state"] == "Finished" and answer["exit_code"] == 0, \
        {k: answer.get(k) for k in ("job_id", "state", "exit_code", "job_error")}


def test_a_job_went_through_act(acceptance):
    """The smoke test's job went through aCT to the CE, its output fetched"""
    need_cluster(acceptance)
    if not cluster(acceptance).group("act"):
        pytest.skip("the cluster has no act node")
    expect_smoke_passed(acceptance.created, "aCT job")


def test_the_shared_dirs_are_nfs_mounts_on_the_clients(acceptance):
    """The NFS server's exports are mounted over NFS on every client"""
    need_cluster(acceptance)
    inventory = cluster(acceptance)
    servers, clients = inventory.group("nfs_server"), inventory.group("nfs_client")
    if not servers or not clients:
        pytest.skip("the cluster has no nfs_server or no nfs_client node")
    how = acceptance.runner.variables("nfs_server_implementation", "nfs_client_implementation")
    if how.get("nfs_client_implementation", "kernel") != "kernel":
        pytest.skip("nfs_client_implementation is %s: the provider shares the dirs, no NFS "
                    "mounts" % how["nfs_client_implementation"])
    server = servers[0]
    kernel_server = how.get("nfs_server_implementation", "kernel") == "kernel"
    if kernel_server:
        assert acceptance.runner.on(server, "systemctl is-active nfs-server") == "active"
        exported = acceptance.runner.on(server, "exportfs -s | awk '{print $1}'").split()
    for client in clients:
        # what the client is to mount (its fstab), and what the kernel has mounted
        wanted = acceptance.runner.on(
            client, "awk '$3 ~ /^nfs4?$/ {print $2}' /etc/fstab").split()
        assert wanted, "%s has no NFS entry in /etc/fstab" % client
        mounts = acceptance.runner.on(client, "findmnt -t nfs4,nfs -n -o TARGET,SOURCE")
        mounted = dict(line.split()[:2] for line in mounts.splitlines() if line.strip())
        missing = [path for path in wanted if path not in mounted]
        assert not missing, "%s has not mounted %s (mounted: %s)" % (client, missing, mounted)
        wrong = {p: mounted[p] for p in wanted if not mounted[p].startswith(server + ":")}
        assert not wrong, "%s mounts these from elsewhere than %s: %s" % (client, server, wrong)
        if kernel_server:
            unexported = [p for p in wanted if mounted[p].split(":", 1)[1] not in exported]
            assert not unexported, "%s is not exporting %s" % (server, unexported)


def test_slurm_confines_jobs_with_cgroups(acceptance):
    """SLURM confines jobs with cgroups on VMs and servers (a step in its job's cgroup)"""
    need_cluster(acceptance)
    inventory = cluster(acceptance)
    frontend, workers = inventory.frontend, inventory.workers
    if acceptance.runner.module(frontend, "ansible.builtin.command",
                                "systemd-detect-virt --container").get("rc") == 0:
        pytest.skip("the nodes are containers, where SLURM does not use cgroups "
                    "(slurm_use_cgroup false)")
    config = acceptance.runner.on(frontend, "scontrol show config")
    assert re.search(r"ProctrackType\s+= proctrack/cgroup", config), "ProctrackType not cgroup"
    assert re.search(r"TaskPlugin\s+= .*task/cgroup", config), "TaskPlugin without task/cgroup"
    # the step's cgroup is under its job's, which has the cpuset, cpu and memory controllers and
    # its own cpuset (ConstrainCores)
    seen = acceptance.runner.on(frontend, (
        "cd /tmp && sudo -u %s srun -D /tmp -w %s sh -c 'p=$(cut -d: -f3 /proc/self/cgroup); "
        "j=/sys/fs/cgroup${p%%%%/step_*}; echo $p; cat $j/cgroup.controllers; "
        "cat $j/cpuset.cpus'") % (grid_user(acceptance), workers[0]))
    path, controllers, cpus = seen.splitlines()[-3:]
    assert re.search(r"/job_\d+/step_0/", path), seen
    assert {"cpuset", "cpu", "memory"} <= set(controllers.split()), seen
    assert cpus.strip(), seen


def test_a_second_create_changes_nothing(acceptance):
    """A second create changes nothing on any node and its smoke test passes"""
    if acceptance.created is None:
        pytest.skip("no cluster: create did not run")
    if acceptance.created.rc != 0:
        pytest.skip("create failed: see the create step")
    again = acceptance.runner.playbook("provision.yml" if acceptance.no_boot else "create")
    assert again.rc == 0, again.tail()
    changed = {host: counts["changed"] for host, counts in again.recap.items()
               if counts["changed"]}
    assert changed == {}, "changed: %s (see %s)" % (changed, again.log)
    if not acceptance.no_boot:
        assert again.smoke and int(again.smoke["failed"]) == 0, again.tail()


def test_a_worker_reboot_loses_no_job(acceptance):
    """A worker rebooted under a running job: the job requeued and finished, or reported
    failed by SLURM with the reason (never silently lost); the worker back"""
    _inventory, frontend, worker, job = job_running_before_a_reboot(
        acceptance, lambda workers: workers[0],
        "'sleep 90; hostname > /srv/grid/session/acceptance-reboot-$SLURM_JOB_ID'")
    reboot(acceptance, worker)
    # Never silently lost: SLURM either requeues the job (--requeue; it does when the node
    # stops answering) or reports it failed with the reason. A graceful reboot (shutdown -r)
    # stops the job's processes with SIGTERM first: SLURM reports FAILED, RaisedSignal:15, and
    # does not requeue (seen on VMs, SLURM 24.11, 2026-12-02).
    wait_for_job(acceptance, frontend, job,
                 lambda state: state[1] >= 1 or state[0] in JOB_FAILED_STATES, 900,
                 "requeued, or reported failed")
    # read at once: slurmctld forgets a finished job after MinJobAge (300 s)
    shown = acceptance.runner.on(frontend, "scontrol show job %s" % job)
    requeued = parse_job_state(shown)[1] >= 1

    def worker_back():
        state = node_state(acceptance, frontend, worker)
        return True if state.rstrip("*") in ("idle", "mixed", "allocated") else state
    wait_for(worker_back, 900, "%s back in SLURM" % worker)
    if requeued:
        wait_for_job(acceptance, frontend, job, lambda state: state[0] == "COMPLETED", 900,
                     "completed after its requeue")
        assert acceptance.runner.on(
            frontend, "cat /srv/grid/session/acceptance-reboot-%s" % job) == worker
    else:
        assert re.search(r"Reason=(RaisedSignal|NodeFail|NodeDown)\S*", shown), shown
    test_the_shared_dirs_are_nfs_mounts_on_the_clients(acceptance)


def test_a_frontend_reboot_loses_no_job(acceptance):
    """The frontend rebooted under a running job: volumes, services and the job all come back"""
    inventory, frontend, _worker, job = job_running_before_a_reboot(
        acceptance, lambda workers: workers[-1],
        "'sleep 240; echo done > /srv/grid/session/acceptance-frontend-$SLURM_JOB_ID'")
    reboot(acceptance, frontend)
    volumes = inventory.hostvars[frontend].get("gridcloud_node_volumes") or []
    for volume in volumes:
        if volume.get("mount"):
            assert acceptance.runner.on(
                frontend, "findmnt -n -o TARGET %s" % volume["mount"]) == volume["mount"]
    wait_for_job(acceptance, frontend, job, lambda state: state[0] == "COMPLETED", 900,
                 "completed across the frontend's reboot")
    assert acceptance.runner.on(
        frontend, "cat /srv/grid/session/acceptance-frontend-%s" % job) == "done"
    smoke = acceptance.runner.playbook("smoke")
    assert smoke.rc == 0 and smoke.smoke and int(smoke.smoke["failed"]) == 0, smoke.tail()


@pytest.fixture(scope="module")
def resized_definition(acceptance):
    """The definition with one worker more, next to it (relative paths in it stay right);
    removed after the run."""
    need_cluster(acceptance)
    inventory = cluster(acceptance)
    if not inventory.workers:
        pytest.skip("the cluster has no slurm_worker node")
    data = load_definition(acceptance.definition)
    kind = inventory.hostvars[inventory.workers[0]]["gridcloud_node_kind"]
    data["cluster"]["nodes"][kind]["count"] = int(data["cluster"]["nodes"][kind].get("count", 1)) + 1
    path = acceptance.definition.parent / (".%s.acceptance-resize.yml" % acceptance.definition.stem)
    dump_definition(data, path)
    yield path
    path.unlink()


def test_resize_out_and_in(acceptance, resized_definition):
    """resize out by one worker (it joins SLURM and runs a job) and back in (it is gone)"""
    need_cluster(acceptance)
    before = cluster(acceptance)
    grown = acceptance.runner.playbook("resize", definition=resized_definition)
    assert grown.rc == 0, grown.tail()
    after = acceptance.runner.inventory(resized_definition)
    new = [w for w in after.workers if w not in before.workers]
    assert len(new) == 1, (before.workers, after.workers)
    frontend = after.frontend
    assert node_state(acceptance, frontend, new[0]).rstrip("*") == "idle"
    ran_on = acceptance.runner.on(frontend, "cd /tmp && sudo -u %s srun -D /tmp -w %s hostname"
                                  % (grid_user(acceptance), new[0]))
    assert ran_on.splitlines()[-1] == new[0]
    shrunk = acceptance.runner.playbook("resize")
    assert shrunk.rc == 0, shrunk.tail()
    assert cluster(acceptance).workers == before.workers
    assert node_state(acceptance, frontend, new[0]) == "absent"


def test_destroy(acceptance):
    """destroy: no node left; volumes kept or deleted by their policy"""
    if acceptance.created is None:
        pytest.skip("no cluster was created")
    if acceptance.keep:
        pytest.skip("GRIDCLOUD_ACCEPTANCE_KEEP is set: the cluster is kept for inspection")
    result = acceptance.destroy()
    assert result.rc == 0, result.tail()
    left = acceptance.runner.inventory()
    assert left.active == [] and left.group("gridcloud_surplus") == [], left.active
    # the volume loop's labels: "(item=<node>: <volume> (keep))"
    kept = sorted(set(re.findall(r"item=(\S+): (\S+) \(keep\)\)", result.output)))
    acceptance.left.extend("volume %s of %s (policy keep)" % (volume, node) for node, volume in kept)
