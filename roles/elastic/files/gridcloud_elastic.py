# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make and remove a cluster's elastic nodes for SLURM's power saving (gridcloud-elastic).

Installed by the gridcloud.arc_cluster elastic role on the SLURM controller and run as root
through sudo by the wrappers slurm.conf names:

    ResumeProgram      gridcloud-elastic-resume HOSTLIST      -> resume
    SuspendProgram     gridcloud-elastic-suspend HOSTLIST     -> suspend
    ResumeFailProgram  gridcloud-elastic-resume-fail HOSTLIST -> resume-fail

and by ``destroy`` (``gridcloud-elastic hold``): from then on a resume makes nothing (its
nodes are set DOWN with that reason), and ``hold`` returns once a run in progress has ended,
so that no node is made after ``destroy`` has listed the nodes it removes. ``create`` (the
role) lifts a hold that a destroy which did not finish left (``gridcloud-elastic release`` by
hand).

Each action runs the collection's ``elastic`` playbook (the same modules and roles as
``create``) on the controller's copy of the cluster definition, one run at a time (a lock), and
writes one line per event to the log, what was asked, what was done and how long it took, with
the run's whole output in a file of its own:

    2026-12-02T17:00:00Z resume asked nodes=demo-compute002 jobs=12
    2026-12-02T17:01:14Z resume done nodes=demo-compute002 seconds=74 output=/var/log/...

A resume that fails removes what was half made and sets the nodes DOWN with the reason, which
requeues their jobs, then powers them down at once (POWER_DOWN_FORCE): after SuspendTimeout
they are idle again, so the next job that needs them tries again. Nothing is left DOWN for
good, and nothing half made is left running.

Standard library only: it runs with the system's python3.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import fcntl
import json
import os
import subprocess
import sys
import time

ACTIONS = ("resume", "suspend", "resume-fail")
# What destroy and an administrator run, without nodes.
HOLD_ACTIONS = ("hold", "release")
HOLD_REASON = "gridcloud-elastic: held, the cluster is being destroyed"
# The playbook's extra variable for each action's nodes.
PLAYBOOK_VARIABLE = {"resume": "elastic_up", "suspend": "elastic_down",
                     "resume-fail": "elastic_down"}
CONFIG_KEYS = ("inventory", "playbook", "ansible_playbook", "log", "output_dir", "lock",
               "environment", "timeout")


class ElasticError(Exception):
    """A problem the program reports in its log and on stderr, then exits non-zero."""


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_config(path):
    """The program's settings (JSON written by the elastic role), every key present."""
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ElasticError("cannot read the settings %s: %s" % (path, exc))
    missing = [key for key in CONFIG_KEYS if key not in config]
    if missing:
        raise ElasticError("the settings %s lack %s; run the create playbook again, which "
                           "writes them" % (path, ", ".join(missing)))
    return config


def expand_hostlist(hostlist, runner=subprocess.run):
    """SLURM's hostlist expression (``demo-compute[002-003]``) as a list of names."""
    proc = runner(["scontrol", "show", "hostnames", hostlist], capture_output=True, text=True,
                  check=False)
    names = proc.stdout.split()
    if proc.returncode != 0 or not names:
        raise ElasticError("scontrol cannot expand the node list %r: %s"
                           % (hostlist, (proc.stderr or "no names").strip()))
    return names


def jobs_of(resume_file, stdin=None):
    """The ids of the jobs that asked for the nodes (SLURM_RESUME_FILE, ``-`` for standard
    input), or [] when unknown."""
    if not resume_file:
        return []
    try:
        if resume_file == "-":
            data = json.load(stdin or sys.stdin)
        else:
            with open(resume_file, encoding="utf-8") as handle:
                data = json.load(handle)
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict):
        return []
    return sorted({job["job_id"] for job in data.get("jobs") or []
                   if isinstance(job, dict) and "job_id" in job})


class Log:
    """The one log of the program: a line per event, ``<time> <action> <what> key=value...``."""

    def __init__(self, path, clock=utc_now):
        self.path = path
        self.clock = clock

    def write(self, action, what, **fields):
        parts = [self.clock(), action, what]
        for key, value in fields.items():
            if isinstance(value, (list, tuple)):
                value = ",".join(str(item) for item in value) or "-"
            text = str(value)
            parts.append("%s=%s" % (key, json.dumps(text) if " " in text or not text else text))
        line = " ".join(parts)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        return line


@contextlib.contextmanager
def one_at_a_time(path, wait=None, clock=time.monotonic, sleep=time.sleep):
    """Hold the program's lock: one playbook run at a time on the controller. With ``wait``
    (seconds), raise ElasticError when the lock is not free by then."""
    with open(path, "a", encoding="utf-8") as handle:
        if wait is None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        else:
            deadline = clock() + wait
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if clock() >= deadline:
                        raise ElasticError("a run was still in progress after %s s" % wait)
                    sleep(1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def hold_path(config):
    """The file whose presence stops resumes: beside the lock."""
    return os.path.join(os.path.dirname(config["lock"]), "hold")


def playbook_command(config, action, nodes):
    return [config["ansible_playbook"], "-i", config["inventory"], config["playbook"],
            "-e", json.dumps({PLAYBOOK_VARIABLE[action]: nodes})]


def last_failure(output_path, lines=3):
    """The last lines of a failed run that say why (ERROR, fatal or msg), for the log line."""
    try:
        with open(output_path, encoding="utf-8", errors="replace") as handle:
            text = handle.read().splitlines()
    except OSError:
        return "no output"
    found = [line.strip() for line in text
             if "[ERROR]:" in line or "fatal:" in line or '"msg"' in line]
    written = [line.strip() for line in text if line.strip()]
    return " | ".join(found[-lines:]) or (written[-1] if written else "no output")


class Elastic:
    """One invocation: an action on some nodes."""

    def __init__(self, config, runner=subprocess.run, clock=time.monotonic, log=None):
        self.config = config
        self.runner = runner
        self.clock = clock
        self.log = log or Log(config["log"])

    def run_playbook(self, action, nodes):
        """Run the playbook for ``nodes``; return (ok, seconds, output path)."""
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S")
        output = os.path.join(self.config["output_dir"], "%s-%s-%s.log"
                              % (stamp, action, nodes[0] if len(nodes) == 1 else "%d-nodes"
                                 % len(nodes)))
        environment = dict(os.environ, **self.config["environment"])
        started = self.clock()
        with open(output, "w", encoding="utf-8") as handle:
            try:
                proc = self.runner(playbook_command(self.config, action, nodes),
                                   stdout=handle, stderr=subprocess.STDOUT, env=environment,
                                   timeout=self.config["timeout"], check=False)
                ok = proc.returncode == 0
            except subprocess.TimeoutExpired:
                handle.write("\ngridcloud-elastic: stopped after %s s\n" % self.config["timeout"])
                ok = False
        return ok, int(round(self.clock() - started)), output

    def set_down(self, nodes, reason):
        """DOWN with the reason (in slurmctld's log), which requeues their jobs, then powered
        down at once (POWER_DOWN_FORCE): after SuspendTimeout the nodes are idle again and
        the next job that needs them tries again, instead of waiting out ResumeTimeout."""
        names = "nodename=%s" % ",".join(nodes)
        self.runner(["scontrol", "update", names, "state=DOWN", "reason=%s" % reason[:200]],
                    capture_output=True, text=True, check=False)
        self.runner(["scontrol", "update", names, "state=POWER_DOWN_FORCE"],
                    capture_output=True, text=True, check=False)

    def hold(self, wait):
        """Stop resumes, then wait (at most ``wait`` seconds) for a run in progress to end."""
        with open(hold_path(self.config), "w", encoding="utf-8") as handle:
            handle.write("%s\n" % utc_now())
        started = self.clock()
        self.log.write("hold", "asked")
        try:
            with one_at_a_time(self.config["lock"], wait=wait):
                pass
        except ElasticError as exc:
            self.log.write("hold", "failed", why=str(exc))
            raise
        self.log.write("hold", "done", waited=int(round(self.clock() - started)))
        return 0

    def release(self):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(hold_path(self.config))
        self.log.write("release", "done")
        return 0

    def __call__(self, action, nodes, jobs=()):
        if action == "resume":
            self.log.write(action, "asked", nodes=nodes, jobs=list(jobs))
        else:
            self.log.write(action, "asked", nodes=nodes)
        with one_at_a_time(self.config["lock"]):
            # looked at under the lock: a hold set while this run waited for it counts
            if action == "resume" and os.path.exists(hold_path(self.config)):
                self.log.write(action, "refused", nodes=nodes, why=HOLD_REASON)
                self.set_down(nodes, HOLD_REASON)
                return 1
            ok, seconds, output = self.run_playbook(action, nodes)
        if ok:
            self.log.write(action, "done", nodes=nodes, seconds=seconds, output=output)
            return 0
        why = last_failure(output)
        self.log.write(action, "failed", nodes=nodes, seconds=seconds, output=output, why=why)
        if action == "resume":
            # remove what was half made, then let SLURM try again later
            with one_at_a_time(self.config["lock"]):
                cleaned, clean_seconds, clean_output = self.run_playbook("suspend", nodes)
            self.log.write(action, "cleaned" if cleaned else "cleaning failed", nodes=nodes,
                           seconds=clean_seconds, output=clean_output)
            self.set_down(nodes, "gridcloud-elastic: making the node failed, see %s" % output)
        return 1


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="gridcloud-elastic",
        description="Make (resume) and remove (suspend, resume-fail) elastic nodes for SLURM.")
    parser.add_argument("action", choices=ACTIONS + HOLD_ACTIONS)
    parser.add_argument("hostlist", nargs="?",
                        help="the nodes, as a SLURM hostlist expression (not for hold, release)")
    parser.add_argument("--wait", type=int, default=900,
                        help="hold: seconds to wait for a run in progress (default 900)")
    parser.add_argument("--config", default="/etc/gridcloud-elastic/config.json")
    parser.add_argument("--resume-file",
                        help="SLURM_RESUME_FILE: which jobs asked (- for standard input)")
    args = parser.parse_args(argv)
    try:
        config = read_config(args.config)
        if args.action == "hold":
            return Elastic(config).hold(args.wait)
        if args.action == "release":
            return Elastic(config).release()
        jobs = jobs_of(args.resume_file)  # first: SLURM removes the file soon
        if not args.hostlist:
            raise ElasticError("%s needs the nodes, as a SLURM hostlist" % args.action)
        nodes = expand_hostlist(args.hostlist)
        return Elastic(config)(args.action, nodes, jobs)
    except ElasticError as exc:
        sys.stderr.write("gridcloud-elastic: %s\n" % exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
