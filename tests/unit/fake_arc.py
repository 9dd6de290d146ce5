# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An in-memory ARC client (arcproxy, arcsub, arcstat, arcget) for the arc_job module's tests.

The texts are those the ARC 7.0 clients of Debian 13 printed on a molecule node (mode internal
and rest of the arc_ce role), including the "ERROR: INTERNALClient is not initialized" lines
they print on stderr even when everything works. Each job walks through ``states`` on
successive ``arcstat`` calls. A command line the fake does not know raises UnknownCommand.
"""

from __future__ import annotations

import json
import os

from fake_podman import UnknownCommand

NOISE = "ERROR: INTERNALClient is not initialized\n"

NO_PROXY = ("Cannot find any proxy. This application currently cannot run without a proxy.\n"
            "  If you have the proxy file in a non-default location,\n"
            "  please make sure the path is specified in the client configuration file.\n"
            "  If you don't have a proxy yet, please run 'arcproxy'!\n")
NO_PROXY_FILE = "ERROR: Cannot find file at /tmp/x509up_u20000 for getting the proxy. Please make sure this file exists.\n"
AREX_DOWN = ("ERROR: No pid file is found at '/run/arc-arex/arex.pid'. Probably A-REX is not running.\n"
             "ERROR: Failed to load grid-manager configfile\n" + NOISE
             + "ERROR: Job submission aborted because no resource returned any information\n")
NO_INFO = (NOISE + "ERROR: Failed to obtain resource information.\n"
           "ERROR: Job submission aborted because no resource returned any information\n")
TOKEN_REFUSED = (NOISE + "ERROR: Can not access key file: /nonexistent/gridcloud-arc_job-token-only\n"
                 "ERROR: One or multiple job descriptions was not submitted.\n")
NOT_HEALTHY = ("VERBOSE: HealthState of ExecutionTarget (https://ce.example.org:443/arex) is not OK "
               "or WARNING (critical)\nERROR: One or multiple job descriptions was not submitted.\n")


class FakeJob:
    def __init__(self, job_id, states, exit_code=None, job_error=None, stdout="out.txt",
                 outputs=None):
        self.job_id = job_id
        self.states = list(states)
        self.exit_code = exit_code  # what arcstat shows (REST); None: no Exit Code line
        self.job_error = job_error
        self.stdout = stdout
        self.outputs = dict(outputs or {})  # name -> content
        self.polls = 0

    @property
    def short(self):
        return self.job_id.rsplit("/", 1)[-1]

    def state(self):
        state = self.states[min(self.polls, len(self.states) - 1)]
        self.polls += 1
        return state

    def long_status(self, state):
        internal = self.job_id.startswith("file://")
        lines = ["Job: %s" % self.job_id, " Name: hello", " State: %s" % state,
                 " Specific state: %s" % state.upper()]
        if self.exit_code is not None and state in ("Finished", "Failed"):
            lines.append(" Exit Code: %d" % self.exit_code)
        if self.job_error and state == "Failed":
            lines.append(" Job Error: %s" % self.job_error)
        if not internal:
            lines.append(" Owner: /DC=org/DC=nordugrid/DC=ARC/O=TestCA/CN=Test User 90899915")
        if self.stdout:
            lines.append(" Stdout: %s" % self.stdout)
        lines += [" Submitted: 2026-11-25 11:41:52",
                  " End Time: 2026-11-25 11:41:52",
                  " Requested CPU Time: 0 seconds",
                  " Used CPU Time: 0 seconds",
                  " Used Wall Time: 0 seconds",
                  " ID on service: %s" % self.short]
        if internal:
            lines += [" Service information URL: file://localhost (org.nordugrid.internal)",
                      " Job status URL: file://localhost (org.nordugrid.internal)",
                      " Job management URL: file://localhost (org.nordugrid.internal)"]
        else:
            lines += [" Service information URL: https://ce.example.org:443/arex (org.nordugrid.arcrest)",
                      " Stagein directory URL: %s" % self.job_id]
        lines += [" Delegation IDs:", "  ", "",
                  "Status of 1 jobs was queried, 1 jobs returned information", ""]
        return "\n".join(lines)


class FakeArc:
    """Answers the module's run_command calls; records them in ``calls``."""

    def __init__(self):
        self.proxy_left = 86394          # seconds; None: no proxy
        self.submit_result = None        # None: accept; else (rc, stdout, stderr)
        self.jobs = {}
        self.next_jobs = []              # FakeJob objects handed out by arcsub, in order
        self.calls = []
        self.cwds = []
        self.environments = []           # environ_update of each call
        self.unknown = []
        self.joblists = []               # the -j arguments, in order
        self.rest_calls = []             # (method, path, headers) of each REST request
        self.rest_down = False           # True: the REST interface does not answer
        self.cleaned = []                # job ids cleaned over REST

    def __call__(self, args, **kwargs):
        if not isinstance(args, list):
            self._unknown(args, "commands must be argv lists")
        if set(kwargs) - {"cwd", "environ_update"}:
            self._unknown(args, "unexpected keyword arguments %r" % (kwargs,))
        self.calls.append(list(args))
        if "-j" in args:
            # a job list of the module's run alone: recorded, then the call as without it
            at = args.index("-j")
            self.joblists.append(args[at + 1])
            args = args[:at] + args[at + 2:]
        self.cwds.append(kwargs.get("cwd"))
        self.environments.append(dict(kwargs.get("environ_update") or {}))
        tool = args[0]
        if tool == "arcproxy" and args[1:] == ["--infoitem=validityLeft"]:
            return self._arcproxy()
        if tool == "arcsub" and len(args) == 6 and args[1] == "-C" and args[3] == "-T":
            return self._arcsub(args)
        if tool == "arctest" and len(args) == 7 and args[1] == "-J" and args[3] == "-C" \
                and args[5] == "-T":
            return self._arctest(args)
        if tool == "arcstat" and len(args) == 3 and args[1] == "-l":
            return self._arcstat(args[2])
        if tool == "arcget" and args[1] == "-D" and len(args) in (4, 5):
            keep = len(args) == 5
            if keep and args[3] != "--keep":
                return self._unknown(args)
            return self._arcget(args[2], args[-1], kwargs.get("cwd"))
        return self._unknown(args)

    def _unknown(self, args, why="command not modelled by FakeArc"):
        self.unknown.append(args)
        raise UnknownCommand("%s: %r" % (why, args))

    def _arcproxy(self):
        if self.proxy_left is None:
            return 1, NO_PROXY, NO_PROXY_FILE
        return 0, "%d\n" % self.proxy_left, ""

    def _arcsub(self, args):
        if not os.path.isfile(args[5]):
            return 1, "", "ERROR: Can not read job description file %s\n" % args[5]
        with open(args[5]) as handle:
            self.last_description = handle.read()
        if self.submit_result is not None:
            return self.submit_result
        job = self.next_jobs.pop(0)
        self.jobs[job.job_id] = job
        return 0, "Job submitted with jobid: %s\n" % job.job_id, NOISE + NOISE

    def _arctest(self, args):
        self.last_test_job = int(args[2])
        if self.submit_result is not None:
            return self.submit_result
        job = self.next_jobs.pop(0)
        self.jobs[job.job_id] = job
        return 0, "Test submitted with jobid: %s\n" % job.job_id, NOISE

    def _arcstat(self, job_id):
        job = self.jobs.get(job_id)
        if job is None:
            return 1, "No jobs found, try later\n", "Warning: Job not found in job list: %s\n" % job_id
        return 0, job.long_status(job.state()), NOISE

    def _arcget(self, dest, job_id, cwd):
        job = self.jobs.get(job_id)
        if job is None:
            return 1, "No jobs found, try later\n", ""
        target = os.path.join(dest, job.short)
        os.makedirs(target)
        for name, content in job.outputs.items():
            with open(os.path.join(target, name), "w") as handle:
                handle.write(content)
        # arcget prints the directory relative to its working directory
        shown = os.path.relpath(target, cwd) if cwd else target
        return (0, "Results stored at: %s\nJobs processed: 1, successfully retrieved: 1, "
                   "successfully cleaned: 1\n" % shown, NOISE * 3)


# A-REX's own state (its status file) for each state the fake jobs walk through, and the
# record A-REX keeps in the job's "failed" file for the final ones that are not a success.
AREX_STATE = {"Accepted": "ACCEPTED", "Preparing": "PREPARING", "Submitting": "SUBMIT",
              "Queuing": "INLRMS", "Running": "INLRMS", "Finishing": "FINISHING",
              "Finished": "FINISHED", "Failed": "FINISHED", "Killed": "FINISHED",
              "Deleted": "DELETED"}
KILLED = "Job is canceled by external request"


class FakeRest:
    """A-REX's REST interface as the arc_job module reads it (ArexRest.request), for the jobs
    of a FakeArc: each diagnose/status call moves a job one state on, like arcstat does."""

    def __init__(self, arc):
        self.arc = arc

    def __call__(self, rest, method, path, body=None, accept=None):
        from ansible_collections.gridcloud.arc_cluster.plugins.modules.arc_job import RestUnreadable

        headers = {"Accept": accept} if accept else {}
        if rest.token:
            headers["Authorization"] = "Bearer " + rest.token
        self.arc.rest_calls.append((method, path, headers))
        if self.arc.rest_down:
            raise RestUnreadable("%s %s: [Errno 111] Connection refused" % (method, path))
        base = "/arex/rest/1.0/jobs"
        if method == "POST" and path == base + "?action=clean":
            ids = [job["id"] for job in json.loads(body)["job"]]
            self.arc.cleaned.extend(ids)
            return 201, json.dumps({"job": {"status-code": "202", "reason": "Queued for cleaning",
                                            "id": ids[0]}}).encode()
        short, _slash, sub = path[len(base) + 1:].partition("/")
        job = next((j for j in self.arc.jobs.values() if j.short == short), None)
        if method != "GET" or job is None or short in self.arc.cleaned:
            return 404, b""
        if sub == "diagnose/status":
            job.last_state = job.state()
            return 200, (AREX_STATE[job.last_state] + "\n").encode()
        if sub == "diagnose/failed":
            reasons = {"Failed": job.job_error or "Job failed", "Killed": KILLED}
            reason = reasons.get(getattr(job, "last_state", None))
            return (200, (reason + "\n").encode()) if reason else (404, b"")
        if sub == "diagnose/diag":
            code = "" if job.exit_code is None else "exitcode=%d\n" % job.exit_code
            return 200, ("nodename=ce-compute001\n" + code).encode()
        if sub == "diagnose/description":
            output = "<adl:Output>%s</adl:Output>" % job.stdout if job.stdout else ""
            return 200, ('<adl:ActivityDescription xmlns:adl="http://www.eu-emi.eu/es/2010/12/adl">'
                         "<adl:Application>%s</adl:Application></adl:ActivityDescription>"
                         % output).encode()
        if sub == "session/":
            return 200, json.dumps({"file": sorted(job.outputs), "dir": []}).encode()
        if sub.startswith("session/") and sub[len("session/"):] in job.outputs:
            return 200, job.outputs[sub[len("session/"):]].encode()
        return 404, b""
