#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: act_job
short_description: Put a job into the ARC Control Tower (aCT) and follow it to a final state
version_added: "1.0.0"
description:
  - Inserts an xRSL job description into aCT's C(arcjobs) table, for a site of aCT's
    configuration (and a queue of its CE) or for an explicit cluster list, then waits until aCT
    reports a final state for it and returns the aCT id, the ARC job id, the states and where
    aCT put the job's outputs.
  - Runs on the aCT host. It uses aCT's own database API (C(aCTDBArc.insertArcJobDescription),
    C(getArcJobInfo)) through a small script run by the python of aCT's venv, with aCT's
    configuration; run it as root or as the aCT user (who can read that configuration).
  - Every run inserts a new job, so the module always reports a change. In check mode it checks
    that aCT runs, reads its configuration, resolves the site and parses the job description,
    inserts nothing and predicts that change.
  - With the default O(downloadfiles) aCT downloads the outputs the job description declares
    (C(outputfiles)) into C(<tmp.dir>/<ARC job id>); RV(outputs) lists them.
author:
  - gridcloud.arc_cluster contributors (!UNKNOWN)
extends_documentation_fragment:
  - gridcloud.arc_cluster.job
options:
  site:
    description:
      - Name of a site in aCT's configuration (C(sites)); the job's cluster list is the site's
        endpoint followed by O(queue). Exactly one of O(site) and O(clusterlist) is needed.
    type: str
  queue:
    description: The CE queue (a SLURM partition) for O(site).
    type: str
    default: main
  clusterlist:
    description:
      - Cluster list entries, such as V(https://ce.example.org/arex/main). Each must lie under
        the endpoint of a site in aCT's configuration (aCT runs submitters only for those).
    type: list
    elements: str
  appjobid:
    description: A label for aCT's logs (C(appjobid), at most 16 characters).
    type: str
    default: ansible
  downloadfiles:
    description:
      - What aCT downloads when the job has finished (aCT's C(downloadfiles)), as semicolon-separated
        paths in the job's session directory, a path ending in C(/) for a whole directory, and
        C(diagnose=gmlog/<file>) for A-REX's diagnostics of the job.
      - The default V(/) is the whole session directory, which after the job holds exactly the
        outputs the job description declares (C(outputfiles) without a destination).
      - An empty value makes aCT download no output at all (aCT splits it into one empty pattern
        that matches no file).
    type: str
    default: /
  proxyid:
    description: Id of the proxy in aCT's C(proxies) table the job is submitted with.
    type: int
    default: 1
  venv:
    description: aCT's venv (its python runs the database script).
    type: path
    default: /opt/act
  config:
    description: aCT's C(aCTConfigARC.yaml).
    type: path
    default: /etc/act/aCTConfigARC.yaml
  service:
    description: The systemd unit running aCT, checked before a job is inserted; empty to skip the check.
    type: str
    default: act
  cancel_on_timeout:
    description:
      - When the wait runs out (O(timeout)), take the job out of aCT before failing, so that it
        neither runs later nor keeps the cluster busy (the C(destroy) playbook refuses while aCT
        holds a job that is not in a final state).
      - A job aCT has not taken yet (C(tosubmit)) is deleted from C(arcjobs), as aCT's own client
        does; any other job that is not in a final state is set to C(tocancel), so that aCT
        cancels it on the CE and it ends C(cancelled). RV(cancelled) says which was done.
      - With V(false) (the default) the job stays in aCT, which goes on with it.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Checks aCT, its configuration, the site and the job description; inserts nothing.
  diff_mode:
    support: none
    description: A job inserted into aCT is not a file or setting a diff could show; the result has its aCT ID, state and outputs.
notes:
  - Needs aCT installed in O(venv), for example by the C(gridcloud.arc_cluster.act) role.
  - "Final states: C(done) (fetched), C(donefailed), C(failed), C(cancelled), C(lost). aCT's
    application engines resubmit C(failed) and C(lost) jobs; with the ARC engine alone they stay."
seealso:
  - name: aCT
    description: The ARC Control Tower.
    link: https://github.com/ARCControlTower/aCT
  - module: gridcloud.arc_cluster.arc_job
"""

EXAMPLES = r"""
- name: Run a hello-world job through aCT on the cluster's site, queue main
  gridcloud.arc_cluster.act_job:
    xrsl: >-
      &(executable="/bin/sh")(arguments="-c" "echo hello from $(hostname)")
      (stdout="out.txt")(outputfiles=("out.txt" ""))(jobname="hello")
    site: "{{ gridcloud_cluster_name }}"
    queue: main
  become: true
  register: hello

- name: Show where aCT put the output
  ansible.builtin.debug:
    msg: "aCT job {{ hello.act_id }} (ARC {{ hello.arc_id }}) is {{ hello.state }}; outputs in {{ hello.output_dir }}"

- name: Queue a job for two CEs and do not wait
  gridcloud.arc_cluster.act_job:
    src: /root/jobs/analysis.xrsl
    clusterlist:
      - https://ce1.example.org/arex/main
      - https://ce2.example.org/arex/long
    wait: false
  become: true
"""

RETURN = r"""
act_id:
  description: The job's id in aCT's C(arcjobs) table (null in check mode).
  returned: always
  type: int
  sample: 1
arc_id:
  description: The job's id on the CE (C(IDFromEndpoint)), once aCT has submitted it.
  returned: always
  type: str
  sample: 3e8a2c0b17f4
job_url:
  description: The job's URL on the CE (C(JobID)), once submitted.
  returned: always
  type: str
  sample: https://ce.example.org:443/arex/rest/1.0/jobs/3e8a2c0b17f4
state:
  description:
    - aCT's state of the job (C(arcstate)), for example C(tosubmit), C(submitted), C(running),
      C(done), C(donefailed); null in check mode.
  returned: always
  type: str
  sample: done
cancelled:
  description:
    - How the job was taken out of aCT after the wait ran out (O(cancel_on_timeout)), one of
      V(deleted) (aCT had not taken it yet) and V(tocancel) (aCT cancels it on the CE).
    - Null when nothing was taken out (the job reached a final state, it was not waited for, or
      O(cancel_on_timeout) is false).
  returned: always
  type: str
  sample: tocancel
arc_state:
  description: The job's state as ARC reported it to aCT (C(State)), such as C(Finished).
  returned: always
  type: str
  sample: Finished
exit_code:
  description: The job's exit code as ARC reported it; null when unknown.
  returned: always
  type: int
  sample: 0
job_error:
  description: The errors ARC reported for the job.
  returned: when ARC reports some
  type: str
  sample: "LRMS error: (1) Job failed"
clusterlist:
  description: The cluster list the job was inserted with.
  returned: always
  type: list
  elements: str
  sample: [https://ce.example.org/arex/main]
output_dir:
  description: Where aCT puts the job's outputs (C(<tmp.dir>/<arc_id>)), once the ARC id is known.
  returned: always
  type: str
  sample: /var/lib/act/tmp/3e8a2c0b17f4
outputs:
  description: Files found in RV(output_dir), sorted.
  returned: always
  type: list
  elements: str
  sample: [/var/lib/act/tmp/3e8a2c0b17f4/out.txt]
"""

import json
import os

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.job_module import (
    JobError,
    JobModule,
    JobTimeout,
)

FINAL_STATES = ("done", "donefailed", "failed", "cancelled", "lost")
COLUMNS = ["id", "arcstate", "cluster", "clusterlist", "IDFromEndpoint", "JobID", "State",
           "ExitCode", "Error"]

# Run by the python of aCT's venv with aCT's configuration (ACTCONFIGARC): reads a request as
# JSON on stdin, answers with JSON on stdout. Kinds: check (configuration, sites, job
# description, database), insert, status, cancel. Failures are answered as
# {"error": kind, "msg": ...}.
HELPER = r'''
import json, logging, sys
request = json.load(sys.stdin)

def answer(**data):
    json.dump(data, sys.stdout, default=str)
    raise SystemExit(0)

try:
    from act.common.aCTConfig import aCTConfigARC
    conf = aCTConfigARC(request["config"])
except Exception as exc:
    answer(error="config", msg="%s: %s" % (type(exc).__name__, exc))
sites = {}
for name, site in conf.sites:
    sites[name] = site.endpoint
tmpdir = conf.tmp.dir
if request["kind"] in ("check", "insert"):
    import arc
    descs = arc.JobDescriptionList()
    if not arc.JobDescription_Parse(str(request["xrsl"]), descs):
        answer(error="xrsl", msg="ARC cannot parse the job description", sites=sites)
try:
    from act.arc.aCTDBArc import aCTDBArc
    db = aCTDBArc(logging.getLogger("act_job"))
    if request["kind"] == "check":
        db.getArcJobInfo(0, ["id"])
        answer(sites=sites, tmpdir=tmpdir)
    if request["kind"] == "insert":
        row = db.insertArcJobDescription(request["xrsl"], proxyid=request["proxyid"],
                                         clusterlist=",".join(request["clusterlist"]),
                                         appjobid=request["appjobid"],
                                         downloadfiles=request["downloadfiles"])
        if not row:
            answer(error="insert", msg="aCT did not insert the job (see its logs)")
        answer(job={"id": row["LAST_INSERT_ID()"]}, sites=sites, tmpdir=tmpdir)
    if request["kind"] == "cancel":
        # As aCT's client does (act.client.jobmgr killJobs): under the lock aCT's submitter takes
        # the tosubmit jobs with, delete a job not yet taken, set any other running one tocancel.
        if str(db.db.getMutexLock("arcjobs", 20)) != "1":
            answer(error="db", msg="could not lock aCT's arcjobs table within 20 s")
        try:
            job = db.getArcJobInfo(request["id"], ["id", "arcstate"])
            state = (job or {}).get("arcstate")
            cancelled = None
            if state == "tosubmit":
                db.deleteArcJob(request["id"])
                cancelled = "deleted"
            elif job and state not in request["final_states"]:
                db.updateArcJob(request["id"], {"arcstate": "tocancel", "tarcstate": db.getTimeStamp()})
                cancelled = "tocancel"
        finally:
            db.db.releaseMutexLock("arcjobs")
        answer(cancelled=cancelled, state=state)
    job = db.getArcJobInfo(request["id"], request["columns"])
    answer(job=job or None, sites=sites, tmpdir=tmpdir)
except Exception as exc:
    answer(error="db", msg="%s: %s" % (type(exc).__name__, exc))
'''


class ActJob(JobModule):
    name = "act_job"
    argument_spec = {
        "site": {"type": "str"},
        "queue": {"type": "str", "default": "main"},
        "clusterlist": {"type": "list", "elements": "str"},
        "appjobid": {"type": "str", "default": "ansible"},
        "downloadfiles": {"type": "str", "default": "/"},
        "proxyid": {"type": "int", "default": 1},
        "venv": {"type": "path", "default": "/opt/act"},
        "config": {"type": "path", "default": "/etc/act/aCTConfigARC.yaml"},
        "service": {"type": "str", "default": "act"},
        "cancel_on_timeout": {"type": "bool", "default": False},
    }
    module_kwargs = {
        "supports_check_mode": True,
        "mutually_exclusive": [("xrsl", "src"), ("site", "clusterlist")],
        "required_one_of": [("xrsl", "src"), ("site", "clusterlist")],
    }

    initial_result = {"act_id": None, "arc_id": None, "job_url": None, "state": None,
                      "arc_state": None, "exit_code": None, "clusterlist": [], "output_dir": None,
                      "outputs": [], "cancelled": None}

    # ------------------------------------------------------------------ aCT
    def helper(self, **request):
        """Run HELPER with aCT's python; return its answer, raising JobError on an error."""
        python = os.path.join(self.params["venv"], "bin", "python")
        if not os.path.exists(python):
            raise JobError("aCT's venv %s has no bin/python: is aCT installed on this host "
                           "(the act role with act_install_source git or path)?" % self.params["venv"])
        request["config"] = self.params["config"]
        env = {"ACTCONFIGARC": self.params["config"], "VIRTUAL_ENV": self.params["venv"]}
        rc, out, err = self.ansible.run_command([python, "-c", HELPER], data=json.dumps(request),
                                                environ_update=env, binary_data=True)
        try:
            answer = json.loads(out)
        except ValueError:
            raise JobError("aCT's python failed (rc=%s): %s" % (rc, (err or out or "no output").strip()[-2000:]))
        kind = answer.get("error")
        if kind == "config":
            raise JobError("cannot read aCT's configuration %s: %s" % (self.params["config"], answer["msg"]))
        if kind == "xrsl":
            raise JobError("the job description is not valid xRSL: %s" % answer["msg"])
        if kind == "db":
            raise JobError("cannot use aCT's database (is MariaDB running, are the tables made by "
                           "actbootstrap?): %s" % answer["msg"])
        if kind:
            raise JobError(answer.get("msg") or kind)
        return answer

    def check_running(self):
        service = self.params["service"]
        if not service:
            return
        rc, out, _err = self.ansible.run_command(["systemctl", "is-active", service])
        if rc != 0:
            raise JobError("aCT is not running (systemctl is-active %s: %s): start it with "
                           "systemctl start %s, or run the act role" % (service, out.strip() or "unknown", service))

    def clusterlist(self, sites):
        endpoints = dict((name, (url or "").rstrip("/")) for name, url in sites.items())
        known = ", ".join("%s (%s)" % item for item in sorted(endpoints.items())) or "none"
        if self.params["site"] is not None:
            site = self.params["site"]
            if site not in endpoints:
                raise JobError("site %s is unknown to aCT; its sites are: %s. Add it to act_sites "
                               "(the act role) or name one of those." % (site, known))
            return ["%s/%s" % (endpoints[site], self.params["queue"])]
        entries = [entry.strip().rstrip("/") for entry in self.params["clusterlist"] if entry.strip()]
        if not entries:
            raise JobError("clusterlist is empty")
        for entry in entries:
            if not any(entry == url or entry.startswith(url + "/") for url in endpoints.values()):
                raise JobError("cluster %s is not under the endpoint of a site aCT knows (%s): aCT "
                               "would never submit the job. Add the site to act_sites." % (entry, known))
        return entries

    def describe(self, job, tmpdir):
        job = job or {}
        self.result["state"] = job.get("arcstate") or self.result["state"]
        for key, column in (("arc_id", "IDFromEndpoint"), ("job_url", "JobID"), ("arc_state", "State")):
            if job.get(column):
                self.result[key] = job[column]
        code = job.get("ExitCode")
        if isinstance(code, int) and code != -1:
            self.result["exit_code"] = code
        if job.get("Error"):
            self.result["job_error"] = job["Error"]
        if self.result["arc_id"] and tmpdir:
            output_dir = os.path.join(tmpdir, self.result["arc_id"])
            self.result["output_dir"] = output_dir
            self.result["outputs"] = self.files_under(output_dir)

    def wait(self, act_id, tmpdir):
        def finished():
            job = self.helper(kind="status", id=act_id, columns=COLUMNS).get("job")
            if not job:
                raise JobError("job %s disappeared from aCT's arcjobs table" % act_id)
            self.describe(job, tmpdir)
            return self.result["state"] in FINAL_STATES

        def timeout_message():
            arc_state = self.result["arc_state"]
            return ("aCT job %s did not reach a final state within %ss (last state: %s%s)"
                    % (act_id, self.params["timeout"], self.result["state"],
                       ", ARC state " + arc_state if arc_state else ""))

        try:
            self.poll(finished, timeout_message)
        except JobTimeout as exc:
            if not self.params["cancel_on_timeout"]:
                raise
            self.cancel(act_id, str(exc), finished)

    def cancel(self, act_id, timeout_message, look):
        """Take a job whose wait ran out out of aCT (cancel_on_timeout), and fail saying how.

        A job that reached a final state since the last look is left alone: ``look()`` reads it
        once more and the run goes on as if the wait had ended in time.
        """
        answer = self.helper(kind="cancel", id=act_id, final_states=list(FINAL_STATES))
        how = answer.get("cancelled")
        self.result["cancelled"] = how
        if how == "deleted":
            raise JobTimeout("%s; deleted it from aCT, which had not submitted it yet" % timeout_message)
        if how == "tocancel":
            self.result["state"] = "tocancel"
            raise JobTimeout("%s; set it tocancel, so that aCT cancels it on the CE" % timeout_message)
        if answer.get("state") in FINAL_STATES:
            look()
            return
        raise JobTimeout("%s; it was no longer in aCT's arcjobs table" % timeout_message)

    # ------------------------------------------------------------------ main
    def run(self):
        xrsl = self.params["xrsl"]
        if self.params["src"] is not None:
            if not os.path.isfile(self.params["src"]):
                raise JobError("src: %s is not a file on the aCT host" % self.params["src"])
            with open(self.params["src"]) as handle:
                xrsl = handle.read()
        self.check_running()
        checked = self.helper(kind="check", xrsl=xrsl)
        clusterlist = self.clusterlist(checked.get("sites") or {})
        self.result["clusterlist"] = clusterlist
        if self.ansible.check_mode:
            self.result["changed"] = True
            return
        inserted = self.helper(kind="insert", xrsl=xrsl, clusterlist=clusterlist,
                               proxyid=self.params["proxyid"], appjobid=self.params["appjobid"],
                               downloadfiles=self.params["downloadfiles"])
        act_id = inserted["job"]["id"]
        self.result.update(changed=True, act_id=act_id, state="tosubmit")
        if not self.params["wait"]:
            return
        self.wait(act_id, checked.get("tmpdir"))
        failed = self.result["state"] != "done" or self.result["exit_code"] not in (0, None)
        if failed and self.params["fail_on_job_failure"]:
            raise JobError("aCT job %s ended %s (ARC state %s, exit code %s)%s"
                           % (act_id, self.result["state"], self.result["arc_state"],
                              self.result["exit_code"],
                              ": " + self.result["job_error"] if self.result.get("job_error") else ""))


def main():
    ActJob()()


if __name__ == "__main__":
    main()
