#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: arc_job
short_description: Submit a job to an ARC CE, wait for it and fetch its outputs
version_added: "1.0.0"
description:
  - Submits an xRSL job description with C(arcsub), or one of ARC's own test jobs with
    C(arctest), to an ARC Computing Element through its INTERNAL interface (on the CE host
    itself) or over REST, waits until the job reaches a final state, and downloads its outputs.
  - Through the INTERNAL interface it waits with C(arcstat) and fetches with C(arcget).
  - Over REST it follows the job in A-REX's own state (C(<job>/diagnose/status) of A-REX's REST
    interface, read from the job's status file in the control dir), reads the exit code from the
    job's C(diag), downloads the files of its session dir (what A-REX keeps of a finished job,
    its outputs) and then cleans the job from the CE (C(action=clean); not with O(keep)), with
    the user's X.509 proxy or the token, trusting the CAs in E(X509_CERT_DIR) (default
    C(/etc/grid-security/certificates)). C(arcstat) and C(arcget) would see the job up to a
    minute late, because A-REX 7.0 rewrites the jobs' information once a minute. A job fetched
    and cleaned this way goes into a job list of this run alone, not the user's. Where Python's
    TLS client cannot talk to the CE, the module warns and uses C(arcstat) and C(arcget).
  - Runs the ARC clients as the user the module runs as (use O(ignore:become_user)); that user
    needs a valid X.509 proxy (C(arcproxy)). With O(interface=internal) it must be the user
    A-REX runs as (the C(gridcloud.arc_cluster.arc_ce) role sets this up in mode C(internal)
    for the grid user). Where A-REX runs as root (mode C(rest)) use O(interface=arcrest),
    because A-REX 7.0 accepts an INTERNAL job that root submits but never processes it.
  - Every run submits a new job, so the module always reports a change. In check mode it checks
    the arguments and the proxy (or the token file), submits nothing and predicts that change.
  - "ARC 7's clients print C(ERROR: INTERNALClient is not initialized) on many calls; the module
    ignores that line and judges by exit codes and job states."
author:
  - gridcloud.arc_cluster contributors (!UNKNOWN)
extends_documentation_fragment:
  - gridcloud.arc_cluster.job
options:
  test_job:
    description:
      - Submit ARC's own test job number N with C(arctest -J N) instead of a job description
        (O(xrsl) or O(src)). V(2) lists the job's environment and needs no network on the
        worker (what a site's acceptance test uses); V(1) computes prime numbers and V(3)
        downloads files, both need the worker to reach the internet.
    type: int
    choices: [1, 2, 3]
  endpoint:
    description: The CE (C(arcsub -C)); V(localhost) for the INTERNAL interface on the CE host.
    type: str
    default: localhost
  interface:
    description:
      - Submission interface (C(arcsub -T)). V(internal) talks to A-REX on the same host through
        its control directory; V(arcrest) uses the REST interface over https.
    type: str
    default: internal
    choices: [internal, arcrest]
  dest:
    description:
      - Directory to download the outputs into (C(arcget -D)); each job gets a subdirectory
        named after its short id. Created when missing. Without it nothing is fetched.
    type: path
  keep:
    description:
      - Leave the job on the CE after fetching (C(arcget --keep); over REST no C(action=clean)).
        The job then stays in the user's own job list, for C(arcstat) and C(arcget) later.
    type: bool
    default: false
  arc_conf:
    description:
      - The CE's arc.conf, read for its C(controldir) when the client does not report the exit
        code (the INTERNAL interface does not); only used when readable.
    type: path
    default: /etc/arc.conf
  token:
    description:
      - A WLCG or OIDC bearer token to submit, follow and fetch the job with, instead of the X.509
        proxy (O(interface=arcrest) only). Given to the ARC clients as C(BEARER_TOKEN), never
        logged. No X.509 credential is offered beside it, so the CE judges the token alone.
      - Prefer O(token_file), which keeps the token out of the task's arguments.
    type: str
    version_added: 1.1.0
  token_file:
    description:
      - A file on the target holding the bearer token, readable by the user the module runs as
        (the C(gridcloud.arc_cluster.arc_ce) role keeps its test token in
        C(~/.arc/gridcloud-test-token)). Given to the ARC clients as C(BEARER_TOKEN_FILE);
        otherwise as O(token).
    type: path
    version_added: 1.1.0
attributes:
  check_mode:
    support: full
    description: Checks the arguments and the proxy; submits nothing.
  diff_mode:
    support: none
    description: A job submitted to the CE is not a file or setting a diff could show; the result has its ID, state and outputs.
notes:
  - Needs the ARC client tools (C(arcsub), C(arctest), C(arcstat), C(arcget), C(arcproxy)) on the target,
    for the INTERNAL interface also C(nordugrid-arc-plugins-internal).
seealso:
  - name: ARC client documentation
    description: The arcsub, arctest, arcstat and arcget commands.
    link: https://www.nordugrid.org/arc/arc7/users/client_tools.html
"""

EXAMPLES = r"""
- name: Run a hello-world job through the INTERNAL interface, as the grid user
  gridcloud.arc_cluster.arc_job:
    xrsl: >-
      &(executable="/bin/sh")(arguments="-c" "echo hello from $(hostname)")
      (stdout="out.txt")(jobname="hello")
    dest: /home/grid/arc-results
  become: true
  become_method: ansible.builtin.su
  become_user: grid
  register: hello

- name: Show what the job wrote
  ansible.builtin.debug:
    msg: "{{ hello.job_id }} ended {{ hello.state }} (exit code {{ hello.exit_code }}): {{ hello.stdout }}"

- name: Put ARC's test job 2 through the CE over REST, as a site's acceptance test does
  gridcloud.arc_cluster.arc_job:
    test_job: 2
    endpoint: "{{ inventory_hostname }}"
    interface: arcrest
    dest: /home/grid/arc-results
  become: true
  become_method: ansible.builtin.sudo
  become_user: grid

- name: Submit over REST with a bearer token (the arc_ce role's test token), no X.509 proxy
  gridcloud.arc_cluster.arc_job:
    xrsl: '&(executable="/bin/hostname")(stdout="out.txt")(jobname="token")'
    endpoint: "{{ inventory_hostname }}"
    interface: arcrest
    token_file: /home/grid/.arc/gridcloud-test-token
    dest: /home/grid/arc-results
  become: true
  become_method: ansible.builtin.sudo
  become_user: grid

- name: Submit over REST to another CE and do not wait
  gridcloud.arc_cluster.arc_job:
    src: /home/grid/jobs/analysis.xrsl
    endpoint: ce.example.org
    interface: arcrest
    wait: false
  become: true
  become_method: ansible.builtin.su
  become_user: grid
"""

RETURN = r"""
job_id:
  description: The job's id as C(arcsub) or C(arctest) reported it (null in check mode).
  returned: always
  type: str
  sample: file:///srv/grid/session/c901c638e79d
state:
  description:
    - The job's last state in C(arcstat)'s names, for example C(Queuing), C(Running),
      C(Finished), C(Failed), C(Killed); over REST A-REX's own state (C(Accepted), C(Preparing),
      C(Submitting), C(Running), C(Finishing), C(Finished), C(Failed), C(Killed), C(Deleted));
      V(submitted) with O(wait=false), null in check mode.
  returned: always
  type: str
  sample: Finished
exit_code:
  description:
    - The job's exit code, from its diagnostics (C(diag)), over REST from A-REX's REST
      interface, for the INTERNAL interface from the CE's control dir (or C(arcstat) where it
      reports one); null when unknown.
  returned: always
  type: int
  sample: 0
job_error:
  description: The reason ARC gives for a failed job (over REST the first line of A-REX's C(failed) record).
  returned: when ARC reports one
  type: str
  sample: "LRMS error: (3) Job failed"
output_dir:
  description: Directory the outputs were downloaded into.
  returned: when outputs were fetched
  type: str
  sample: /home/grid/arc-results/c901c638e79d
outputs:
  description: Paths of the downloaded files, sorted.
  returned: always
  type: list
  elements: str
  sample: [/home/grid/arc-results/c901c638e79d/out.txt]
stdout:
  description: What the job wrote to its standard output file (C(stdout) of the xRSL), when fetched.
  returned: always
  type: str
  sample: hello from mol-compute001
"""

import json
import os
import re
import ssl
import tempfile
from http.client import HTTPException, HTTPSConnection
from urllib.parse import urlsplit

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.job_module import (
    JobError,
    JobModule,
)

# Where the X.509 credentials point when a token is used: a path that does not exist.
NO_X509 = "/nonexistent/gridcloud-arc_job-token-only"
# ARC 7's clients print the first on many calls; the others when the module hides the X.509
# credentials to submit with a token alone.
HARMLESS = ("INTERNALClient is not initialized", "Can not access certificate file: " + NO_X509,
            "Can not access key file: " + NO_X509)
FINAL_STATES = ("Finished", "Failed", "Killed", "Deleted")
JOB_ID_RE = re.compile(r"^(?:Job|Test) submitted with jobid:\s*(\S+)", re.MULTILINE)
RESULTS_RE = re.compile(r"^Results stored at:\s*(\S+)", re.MULTILINE)
STDOUT_LIMIT = 65536
# A job id of the REST interface: https://<host>[:<port>]/<path>/rest/1.0/jobs/<id>
REST_ID_RE = re.compile(r"^https://[^/]+/(?:.*/)?rest/1\.0/jobs/([0-9A-Za-z]+)$")
# A-REX's own job states (the control dir's status file) as arcstat names them.
AREX_STATES = {"ACCEPTED": "Accepted", "PREPARING": "Preparing", "SUBMIT": "Submitting",
               "INLRMS": "Running", "CANCELING": "Killing", "FINISHING": "Finishing",
               "FINISHED": "Finished", "DELETED": "Deleted"}
ADL_OUTPUT_RE = re.compile(r"<(?:\w+:)?Output>([^<]+)</(?:\w+:)?Output>")


class RestUnreadable(Exception):
    """A-REX's REST interface could not be read with Python's TLS client (ARC's own could)."""


class ArexRest:
    """The few calls of A-REX's REST interface (ARC 7.0) the module makes for one job, over https
    with the user's X.509 proxy or a bearer token, the CA certificates of the grid
    (X509_CERT_DIR, default /etc/grid-security/certificates).

    A-REX answers ``<job>/diagnose/status`` from the job's status file in its control dir, so a
    job is seen in its current state at once; ``arcstat`` (``action=info``) reads the job's
    information, which A-REX 7.0 rewrites once a minute.
    """

    def __init__(self, job_id, proxy=None, token=None, capath=None):
        parts = urlsplit(job_id)
        self.host, self.port = parts.hostname, parts.port or 443
        self.path = parts.path.rstrip("/")
        self.id = self.path.rsplit("/", 1)[-1]
        self.token = token
        self.context = ssl.create_default_context(capath=capath)
        # Grid CAs (ARC's test CA among them) often lack the key usage that Python 3.13's strict
        # checks want; the chain and the host name are still verified.
        self.context.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
        if proxy:
            self.context.load_cert_chain(proxy)

    def request(self, method, path, body=None, accept=None):
        """(HTTP status, body bytes); RestUnreadable when no answer came."""
        headers = {}
        if accept:
            headers["Accept"] = accept
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        connection = HTTPSConnection(self.host, self.port, context=self.context, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        except (OSError, HTTPException) as exc:
            raise RestUnreadable("%s %s: %s" % (method, path, exc)) from exc
        finally:
            connection.close()

    def get(self, sub, accept=None):
        return self.request("GET", self.path + "/" + sub, accept=accept)

    def text(self, sub):
        """The text of a job resource, or None where A-REX has none (404)."""
        status, body = self.get(sub)
        if status == 404:
            return None
        if status != 200:
            raise RestUnreadable("GET %s/%s: HTTP %s" % (self.path, sub, status))
        return body.decode(errors="replace")

    def state(self):
        """(state as arcstat names it, A-REX's reason when the job failed)."""
        status = (self.text("diagnose/status") or "").strip()
        status = status.split(":", 1)[-1] if status.startswith("PENDING:") else status
        state = AREX_STATES.get(status, status.title() or None)
        reason = None
        if status == "FINISHED":
            failed = self.text("diagnose/failed")
            if failed is not None and failed.strip():
                reason = failed.strip().splitlines()[0]
                state = "Killed" if "cancel" in reason.lower() else "Failed"
        return state, reason

    def exit_code(self):
        return exit_code_of(self.text("diagnose/diag") or "")

    def stdout_name(self):
        """The job's standard output file, from the description A-REX keeps (ADL)."""
        match = ADL_OUTPUT_RE.search(self.text("diagnose/description") or "")
        return match.group(1).strip() if match else None

    def download(self, target, sub=""):
        """Every file of the job's session dir below ``sub`` into ``target``."""
        status, body = self.get("session/" + sub, accept="application/json")
        if status != 200:
            raise RestUnreadable("GET %s/session/%s: HTTP %s" % (self.path, sub, status))
        try:
            listing = json.loads(body.decode() or "{}")
        except ValueError as exc:
            raise RestUnreadable("GET %s/session/%s: not a JSON listing (%s)" % (self.path, sub, exc)) from exc
        os.makedirs(target, exist_ok=True)
        for kind in ("file", "dir"):
            names = listing.get(kind) or []
            for name in [names] if isinstance(names, str) else names:
                if "/" in name or name in (".", ".."):
                    continue
                if kind == "dir":
                    self.download(os.path.join(target, name), sub + name + "/")
                    continue
                status, content = self.get("session/" + sub + name)
                if status != 200:
                    raise RestUnreadable("GET %s/session/%s%s: HTTP %s" % (self.path, sub, name, status))
                with open(os.path.join(target, name), "wb") as handle:
                    handle.write(content)

    def clean(self):
        """Remove the job from the CE (``action=clean``); A-REX answers 202 per job."""
        base = self.path.rsplit("/", 1)[0]
        status, body = self.request("POST", base + "?action=clean",
                                    body=json.dumps({"job": [{"id": self.id}]}),
                                    accept="application/json")
        return status in (200, 201) and b'"202"' in body


def exit_code_of(diag):
    """The last ``exitcode=`` of a job's diag text (A-REX's diagnostics), or None."""
    code = None
    for line in diag.splitlines():
        if line.startswith("exitcode="):
            value = line.split("=", 1)[1].strip()
            if re.match(r"^-?\d+$", value):
                code = int(value)
    return code


def meaningful(text):
    """The client's output without the lines ARC 7 prints on every call."""
    return "\n".join(line for line in (text or "").splitlines()
                     if line.strip() and not any(h in line for h in HARMLESS)).strip()


def parse_status(text):
    """The fields of one job in ``arcstat -l`` output, as {field: value}."""
    fields = {}
    for line in (text or "").splitlines():
        match = re.match(r"^ (\S[^:]*):\s*(.*)$", line)
        if match and match.group(1) not in fields:
            fields[match.group(1)] = match.group(2).strip()
    return fields


def controldir_of(arc_conf):
    """``controldir`` of ``[arex]`` in an arc.conf, or ARC's default."""
    controldir = "/var/spool/arc/jobstatus"
    block = None
    try:
        with open(arc_conf) as handle:
            for line in handle:
                line = line.strip()
                if line.startswith("["):
                    block = line.strip("[]").strip()
                elif block == "arex" and re.match(r"^controldir\s*=", line):
                    controldir = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return controldir


class ArcJob(JobModule):
    name = "arc_job"
    argument_spec = {
        "test_job": {"type": "int", "choices": [1, 2, 3]},
        "endpoint": {"type": "str", "default": "localhost"},
        "interface": {"type": "str", "default": "internal", "choices": ["internal", "arcrest"]},
        "dest": {"type": "path"},
        "keep": {"type": "bool", "default": False},
        "arc_conf": {"type": "path", "default": "/etc/arc.conf"},
        "token": {"type": "str", "no_log": True},
        "token_file": {"type": "path"},
    }
    module_kwargs = {
        "supports_check_mode": True,
        "mutually_exclusive": [("xrsl", "src", "test_job"), ("token", "token_file")],
        "required_one_of": [("xrsl", "src", "test_job")],
    }
    initial_result = {"job_id": None, "state": None, "exit_code": None, "outputs": [], "stdout": ""}
    joblist = None

    # ------------------------------------------------------------------ commands
    def _environment(self):
        """With a token: the token for the clients, and no X.509 credential beside it."""
        if self.params["token"] is None and self.params["token_file"] is None:
            return {}
        environment = {"X509_USER_PROXY": NO_X509, "X509_USER_CERT": NO_X509, "X509_USER_KEY": NO_X509}
        if self.params["token"] is not None:
            environment["BEARER_TOKEN"] = self.params["token"]
        else:
            environment["BEARER_TOKEN_FILE"] = self.params["token_file"]
        return environment

    def _run(self, args, cwd=None):
        kwargs = {"environ_update": self._environment()}
        if cwd is not None:
            kwargs["cwd"] = cwd
        rc, out, err = self.ansible.run_command(args, **kwargs)
        return rc, out or "", err or ""

    def check_token(self):
        """A token is for REST; a token file must be there, readable and not empty."""
        if self.params["interface"] != "arcrest":
            raise JobError("a bearer token (token, token_file) goes over the REST interface only: "
                           "set interface=arcrest (INTERNAL submits with the user's local identity)")
        path = self.params["token_file"]
        if path is not None:
            try:
                with open(path) as handle:
                    empty = not handle.read().strip()
            except OSError as exc:
                raise JobError("token_file: cannot read %s as the user the module runs as (%s)"
                               % (path, exc.strerror or exc)) from exc
            if empty:
                raise JobError("token_file: %s is empty" % path)
        elif not self.params["token"].strip():
            raise JobError("token is empty")

    def check_proxy(self):
        rc, out, err = self._run(["arcproxy", "--infoitem=validityLeft"])
        left = out.strip().splitlines()[-1].strip() if out.strip() else ""
        if rc != 0 or not re.match(r"^-?\d+$", left) or int(left) <= 0:
            detail = meaningful(err) or meaningful(out) or "no proxy"
            raise JobError(
                "no valid X.509 proxy for the user the module runs as (%s). Make one with "
                "arcproxy as that user (the arc_ce role does it for its submit user), or run "
                "the module as that user (become_user)." % detail.replace("\n", " "))

    def submit(self, path):
        """Submit the description in ``path``, or with ``path`` None the test job; its id."""
        target = ["-C", self.params["endpoint"], "-T", self.params["interface"]] + self._joblist()
        if path is None:
            args = ["arctest", "-J", str(self.params["test_job"])] + target
        else:
            args = ["arcsub"] + target + [path]
        rc, out, err = self._run(args)
        match = JOB_ID_RE.search(out)
        if rc == 0 and match:
            return match.group(1)
        raise JobError(self._submit_error(rc, meaningful(out + "\n" + err)))

    def _submit_error(self, rc, said):
        endpoint = self.params["endpoint"]
        tool = "arcsub" if self.params["test_job"] is None else "arctest"
        pidfile = re.search(r"No pid file is found at '([^']*)'", said)
        if pidfile:
            return ("A-REX is not running on %s: the INTERNAL client found no pid file at %s. "
                    "Start it (systemctl start arc-arex) or run the arc_ce role." % (endpoint, pidfile.group(1)))
        if self._environment() and ("not submitted" in said or "delegate" in said):
            return ("the CE %s refused the bearer token (its issuer is not trusted there, or its "
                    "audience or scope does not match, or it has expired); %s said: %s"
                    % (endpoint, tool, said.replace("\n", " ") or "rc=%s" % rc))
        if "Cannot find any proxy" in said or "proxy" in said.lower() and "expired" in said.lower():
            return ("the submitting user has no valid X.509 proxy; make one with arcproxy. "
                    "%s said: %s" % (tool, said.replace("\n", " ")))
        if "HealthState" in said and "not OK" in said:
            return ("the CE %s reports that it is not healthy (A-REX just started, or a host "
                    "certificate problem); %s said: %s" % (endpoint, tool, said.replace("\n", " ")))
        if "no resource returned any information" in said or "Failed to obtain resource information" in said:
            return ("the CE %s gave no information about itself over %s: A-REX is not running "
                    "or has just started (its information appears a few seconds after a start), "
                    "or this user may not use it. %s said: %s"
                    % (endpoint, self.params["interface"], tool, said.replace("\n", " ")))
        return "%s failed (rc=%s) and submitted nothing: %s" % (
            tool, rc, said.replace("\n", " ") or "no output")

    def _joblist(self):
        """``-j <file>``: the job list of this run alone, for a REST job that the module fetches
        and removes from the CE (nothing is left for the user's own job list); else nothing."""
        return ["-j", self.joblist] if self.joblist else []

    def status(self, job_id):
        rc, out, err = self._run(["arcstat", "-l"] + self._joblist() + [job_id])
        fields = parse_status(out)
        if rc != 0 or "State" not in fields:
            return None, fields, meaningful(out + "\n" + err)
        return fields["State"], fields, ""

    def wait(self, job_id):
        last = {"state": None, "fields": {}, "said": ""}

        def finished():
            state, last["fields"], last["said"] = self.status(job_id)
            last["state"] = state
            if state is not None:
                self.result["state"] = state
            return state in FINAL_STATES

        def timeout_message():
            said = last["said"]
            return ("job %s did not reach a final state within %ss (last state: %s%s)"
                    % (job_id, self.params["timeout"], last["state"] or "unknown",
                       "; arcstat said: " + said.replace("\n", " ") if said else ""))

        self.poll(finished, timeout_message)
        return last["fields"]

    def exit_code(self, job_id, fields):
        if re.match(r"^-?\d+$", fields.get("Exit Code", "")):
            return int(fields["Exit Code"])
        # The INTERNAL interface does not report it: read the job's diagnostics in the control
        # dir (readable by the user A-REX runs as, who submits in mode internal).
        short = job_id.rstrip("/").rsplit("/", 1)[-1]
        if not re.match(r"^[0-9a-zA-Z]{10,}$", short):
            return None
        controldir = controldir_of(self.params["arc_conf"])
        chunks = [short[i:i + 3] for i in range(0, len(short), 3)]
        candidates = [
            # ARC 7: jobs/c90/1c6/38e/79d/diag for job c901c638e79d
            os.path.join(controldir, "jobs", *chunks, "diag"),
            os.path.join(controldir, "jobs", short[0:3], short[3:6], short[6:9], short[9:], "diag"),
            # ARC 6: one flat directory of job.<id>.<kind> files
            os.path.join(controldir, "job.%s.diag" % short),
        ]
        diag = next((path for path in candidates if os.path.isfile(path)), candidates[0])
        try:
            with open(diag) as handle:
                return exit_code_of(handle.read())
        except OSError:
            return None

    def fetch(self, job_id, fields):
        dest = self.params["dest"]
        os.makedirs(dest, exist_ok=True)
        args = ["arcget", "-D", dest] + self._joblist()
        if self.params["keep"]:
            args.append("--keep")
        # arcget prints the results' directory relative to its working directory
        rc, out, err = self._run(args + [job_id], cwd=dest)
        match = RESULTS_RE.search(out)
        if rc != 0 or not match:
            raise JobError("arcget could not fetch the outputs of job %s into %s: %s"
                           % (job_id, dest, meaningful(out + "\n" + err).replace("\n", " ")
                              or "rc=%s" % rc))
        output_dir = os.path.normpath(os.path.join(dest, match.group(1)))
        self.record_outputs(output_dir, fields.get("Stdout"))

    def record_outputs(self, output_dir, stdout_name):
        """The fetched files in the result, and the job's standard output when it is among them."""
        self.result["output_dir"] = output_dir
        self.result["outputs"] = self.files_under(output_dir)
        if stdout_name:
            path = os.path.join(output_dir, stdout_name.lstrip("/"))
            if os.path.isfile(path):
                with open(path, errors="replace") as handle:
                    self.result["stdout"] = handle.read(STDOUT_LIMIT)

    # ------------------------------------------------------------------ over REST
    def rest_client(self, job_id):
        """An ArexRest for a REST job id (None for an INTERNAL one), with the user's proxy or
        the token the job was submitted with."""
        if not REST_ID_RE.match(job_id):
            return None
        token, proxy = None, None
        if self.params["token_file"] is not None:
            with open(self.params["token_file"]) as handle:
                token = handle.read().strip()
        elif self.params["token"] is not None:
            token = self.params["token"].strip()
        else:
            proxy = os.environ.get("X509_USER_PROXY") or "/tmp/x509up_u%d" % os.getuid()
        capath = os.environ.get("X509_CERT_DIR") or "/etc/grid-security/certificates"
        try:
            return ArexRest(job_id, proxy=proxy, token=token, capath=capath)
        except (OSError, ssl.SSLError) as exc:
            raise RestUnreadable("the proxy %s or the CA dir %s: %s" % (proxy, capath, exc)) from exc

    def finish_over_rest(self, rest, job_id):
        """Wait for the job with A-REX's own state, read its exit code, fetch its outputs over
        REST and clean it from the CE (unless keep)."""
        last = {"state": None, "reason": None}

        def finished():
            last["state"], last["reason"] = rest.state()
            if last["state"] is not None:
                self.result["state"] = last["state"]
            return last["state"] in FINAL_STATES

        self.poll(finished, lambda: (
            "job %s did not reach a final state within %ss (last state: %s, as A-REX reports it "
            "over REST)" % (job_id, self.params["timeout"], last["state"] or "unknown")))
        self.result["exit_code"] = rest.exit_code()
        if last["reason"]:
            self.result["job_error"] = last["reason"]
        if not self.params["dest"]:
            return
        output_dir = os.path.join(self.params["dest"], rest.id)
        rest.download(output_dir)
        self.record_outputs(output_dir, rest.stdout_name())
        if not self.params["keep"] and not rest.clean():
            self.ansible.warn("job %s: A-REX did not accept cleaning it; its files stay on the CE "
                              "until its lifetime ends" % job_id)

    def finish_with_clients(self, job_id):
        """Wait with arcstat, read the exit code, fetch with arcget."""
        fields = self.wait(job_id)
        self.result["exit_code"] = self.exit_code(job_id, fields)
        if fields.get("Job Error"):
            self.result["job_error"] = fields["Job Error"]
        if self.params["dest"]:
            self.fetch(job_id, fields)

    # ------------------------------------------------------------------ main
    def run(self):
        src = self.params["src"]
        if src is not None and not os.path.isfile(src):
            raise JobError("src: %s is not a file on %s" % (src, "the target"))
        if self._environment():
            self.check_token()
        else:
            self.check_proxy()
        if self.ansible.check_mode:
            self.result["changed"] = True
            return
        path, tmp = src, None
        if src is None and self.params["xrsl"] is not None:
            handle, tmp = tempfile.mkstemp(prefix="arc_job-", suffix=".xrsl",
                                           dir=self.ansible.tmpdir)
            with os.fdopen(handle, "w") as out:
                out.write(self.params["xrsl"])
            path = tmp
        fetch_and_clean = (self.params["interface"] == "arcrest" and self.params["wait"]
                           and self.params["dest"] is not None and not self.params["keep"])
        if fetch_and_clean:
            self.joblist = os.path.join(self.ansible.tmpdir, "arc_job-jobs.dat")
        try:
            job_id = self.submit(path)
        finally:
            if tmp:
                os.unlink(tmp)
        self.result.update(changed=True, job_id=job_id, state="submitted")
        if not self.params["wait"]:
            return
        rest = None
        try:
            rest = self.rest_client(job_id)
            if rest is not None:
                self.finish_over_rest(rest, job_id)
        except RestUnreadable as exc:
            self.ansible.warn("A-REX's REST interface did not answer the module (%s): waiting with "
                              "arcstat and fetching with arcget, which see the job up to a minute "
                              "late (A-REX 7.0 refreshes its job information once a minute)" % exc)
            rest = None
        if rest is None:
            self.finish_with_clients(job_id)
        failed = self.result["state"] != "Finished" or self.result["exit_code"] not in (0, None)
        if failed and self.params["fail_on_job_failure"]:
            raise JobError("job %s ended %s with exit code %s%s"
                           % (job_id, self.result["state"], self.result["exit_code"],
                              ": " + self.result["job_error"] if self.result.get("job_error") else ""))


def main():
    ArcJob()()


if __name__ == "__main__":
    main()
