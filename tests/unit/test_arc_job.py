# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The arc_job module against FakeArc (outputs recorded from ARC 7.0 on a molecule node)."""

from __future__ import annotations

import os

import pytest

from fake_arc import AREX_DOWN, KILLED, NO_INFO, NOT_HEALTHY, TOKEN_REFUSED, FakeArc, FakeJob, FakeRest

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils import job_module
from ansible_collections.gridcloud.arc_cluster.plugins.modules import arc_job

HELLO = ('&(executable="/bin/sh")(arguments="-c" "echo hello from $(hostname)")'
         '(stdout="out.txt")(jobname="hello")')
INTERNAL_ID = "file:///srv/grid/session/c901c638e79d"
REST_ID = "https://ce.example.org:443/arex/rest/1.0/jobs/ca619bde9869"


class Clock:
    """time.monotonic and time.sleep of the job modules: sleeping advances the clock."""

    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_arc(ansible_module, monkeypatch):  # pylint: disable=unused-argument
    from ansible.module_utils import basic

    fake = FakeArc()

    def run_command(self, args, **kwargs):  # pylint: disable=unused-argument
        return fake(args, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    rest = FakeRest(fake)
    monkeypatch.setattr(arc_job.ArexRest, "request",
                        lambda self, method, path, body=None, accept=None:
                        rest(self, method, path, body, accept))
    fake.tls = []  # (capath, client certificate chain or None) of each TLS context

    class Context:
        verify_flags = 0

        def __init__(self, capath=None):
            fake.tls.append([capath, None])

        def load_cert_chain(self, path):
            fake.tls[-1][1] = path

    monkeypatch.setattr(arc_job.ssl, "create_default_context", Context)
    yield fake
    assert not fake.unknown, "commands not modelled by FakeArc: %r" % (fake.unknown,)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(job_module.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(job_module.time, "sleep", clock.sleep)
    return clock


@pytest.fixture
def controldir(tmp_path):
    """An arc.conf naming a control dir under tmp_path; returns (arc_conf, controldir)."""
    control = tmp_path / "jobstatus"
    control.mkdir()
    conf = tmp_path / "arc.conf"
    conf.write_text("[common]\nhostname=ce\n\n[arex]\nuser=grid:grid\ncontroldir=%s\n" % control)
    return str(conf), control


def write_diag(control, short, exitcode):
    jobdir = control / "jobs" / short[0:3] / short[3:6] / short[6:9] / short[9:]
    jobdir.mkdir(parents=True)
    (jobdir / "diag").write_text("nodename=molarc-compute001\nWallTime=0s\nexitcode=%d\n" % exitcode)


def test_internal_job_runs_and_its_output_comes_back(ansible_module, fake_arc, clock,
                                                     controldir, tmp_path):
    arc_conf, control = controldir
    fake_arc.next_jobs.append(FakeJob(
        INTERNAL_ID, ["Submitting", "Queuing", "Queuing", "Finished"],
        outputs={"out.txt": "hello from molarc-compute001 as grid\n", "err.txt": ""}))
    write_diag(control, "c901c638e79d", 0)
    dest = tmp_path / "results"
    result = ansible_module(arc_job.main, {"xrsl": HELLO, "dest": str(dest),
                                           "poll_interval": 2, "arc_conf": arc_conf})
    assert result["changed"] is True
    assert result["job_id"] == INTERNAL_ID
    assert result["state"] == "Finished"
    assert result["exit_code"] == 0
    assert result["output_dir"] == str(dest / "c901c638e79d")
    assert result["outputs"] == [str(dest / "c901c638e79d" / "err.txt"),
                                 str(dest / "c901c638e79d" / "out.txt")]
    assert result["stdout"] == "hello from molarc-compute001 as grid\n"
    assert clock.slept == [2, 2, 2]
    sub = fake_arc.calls[1]
    assert sub[:5] == ["arcsub", "-C", "localhost", "-T", "internal"]
    assert fake_arc.last_description == HELLO
    assert fake_arc.calls[-1] == ["arcget", "-D", str(dest), INTERNAL_ID]
    assert fake_arc.cwds[-1] == str(dest)


def rest_paths(fake_arc):
    return [(method, path) for method, path, _headers in fake_arc.rest_calls]


def test_rest_job_is_followed_and_fetched_over_rest_then_cleaned(ansible_module, fake_arc, clock,
                                                                 tmp_path, monkeypatch):
    monkeypatch.delenv("X509_USER_PROXY", raising=False)
    monkeypatch.delenv("X509_CERT_DIR", raising=False)
    fake_arc.next_jobs.append(FakeJob(REST_ID, ["Accepted", "Running", "Finished"], exit_code=0,
                                      outputs={"out.txt": "hello from ce-compute001\n", "err.txt": ""}))
    dest = tmp_path / "r"
    result = ansible_module(arc_job.main, {"xrsl": HELLO, "endpoint": "ce.example.org",
                                           "interface": "arcrest", "dest": str(dest)})
    assert result.get("failed") is not True, result
    assert (result["state"], result["exit_code"]) == ("Finished", 0)
    assert result["stdout"] == "hello from ce-compute001\n"
    assert result["output_dir"] == str(dest / "ca619bde9869")
    assert result["outputs"] == [str(dest / "ca619bde9869" / "err.txt"),
                                 str(dest / "ca619bde9869" / "out.txt")]
    # the clients submit (into a job list of this run alone); A-REX's REST interface does the rest
    assert [c[0] for c in fake_arc.calls] == ["arcproxy", "arcsub"]
    assert fake_arc.calls[1][:6] == ["arcsub", "-C", "ce.example.org", "-T", "arcrest", "-j"]
    assert fake_arc.joblists[0].endswith("/arc_job-jobs.dat")
    job = "/arex/rest/1.0/jobs/ca619bde9869"
    assert rest_paths(fake_arc) == (
        [("GET", job + "/diagnose/status")] * 3
        + [("GET", job + "/diagnose/failed"), ("GET", job + "/diagnose/diag"),
           ("GET", job + "/session/"), ("GET", job + "/session/err.txt"),
           ("GET", job + "/session/out.txt"), ("GET", job + "/diagnose/description"),
           ("POST", "/arex/rest/1.0/jobs?action=clean")])
    assert fake_arc.cleaned == ["ca619bde9869"]
    # TLS with the user's proxy, trusting the grid's CA dir
    assert fake_arc.tls == [["/etc/grid-security/certificates", "/tmp/x509up_u%d" % os.getuid()]]


def test_rest_exit_code_and_job_error_come_from_arex(ansible_module, fake_arc, clock, tmp_path,
                                                     monkeypatch):
    monkeypatch.setenv("X509_USER_PROXY", "/home/grid/proxy.pem")
    monkeypatch.setenv("X509_CERT_DIR", "/opt/certificates")
    fake_arc.next_jobs.append(FakeJob(REST_ID, ["Accepted", "Running", "Failed"], exit_code=3,
                                      job_error="LRMS error: (3) Job failed",
                                      outputs={"out.txt": "failing\n"}))
    src = tmp_path / "fail.xrsl"
    src.write_text('&(executable="/bin/false")(stdout="out.txt")')
    result = ansible_module(arc_job.main, {"src": str(src), "endpoint": "ce.example.org",
                                           "interface": "arcrest", "dest": str(tmp_path / "r"),
                                           "keep": True, "arc_conf": str(tmp_path / "none")})
    assert result["failed"] is True
    assert result["msg"] == ("job %s ended Failed with exit code 3: LRMS error: (3) Job failed"
                             % REST_ID)
    assert result["exit_code"] == 3
    assert result["job_error"] == "LRMS error: (3) Job failed"
    assert result["stdout"] == "failing\n"
    # keep: the user's own job list, and the job stays on the CE
    assert fake_arc.calls[1] == ["arcsub", "-C", "ce.example.org", "-T", "arcrest", str(src)]
    assert fake_arc.cleaned == []
    assert ("POST", "/arex/rest/1.0/jobs?action=clean") not in rest_paths(fake_arc)
    assert fake_arc.tls == [["/opt/certificates", "/home/grid/proxy.pem"]]


def test_a_killed_rest_job_says_so(ansible_module, fake_arc, clock, tmp_path):
    fake_arc.next_jobs.append(FakeJob(REST_ID, ["Running", "Killed"]))
    result = ansible_module(arc_job.main, {"xrsl": HELLO, "endpoint": "ce.example.org",
                                           "interface": "arcrest"})
    assert result["failed"] is True
    assert (result["state"], result["job_error"]) == ("Killed", KILLED)
    assert result["msg"] == "job %s ended Killed with exit code None: %s" % (REST_ID, KILLED)
    # nothing fetched: the job stays in the user's job list and on the CE
    assert fake_arc.joblists == [] and fake_arc.cleaned == []


def test_rest_timeout_names_the_state_arex_reported(ansible_module, fake_arc, clock):
    fake_arc.next_jobs.append(FakeJob(REST_ID, ["Queuing"]))
    result = ansible_module(arc_job.main, {"xrsl": HELLO, "endpoint": "ce.example.org",
                                           "interface": "arcrest", "timeout": 20,
                                           "poll_interval": 10})
    assert result["failed"] is True
    assert result["msg"] == ("job %s did not reach a final state within 20s (last state: Running, "
                             "as A-REX reports it over REST)" % REST_ID)


def test_without_an_answer_over_rest_the_clients_follow_the_job(ansible_module, fake_arc, clock,
                                                                tmp_path):
    """Where Python's TLS client cannot talk to the CE, arcstat and arcget (with the run's job
    list) do the waiting and fetching, and the module says so."""
    fake_arc.rest_down = True
    fake_arc.next_jobs.append(FakeJob(REST_ID, ["Running", "Finished"], exit_code=0,
                                      outputs={"out.txt": "hello\n"}))
    dest = tmp_path / "r"
    result = ansible_module(arc_job.main, {"xrsl": HELLO, "endpoint": "ce.example.org",
                                           "interface": "arcrest", "dest": str(dest)})
    assert result.get("failed") is not True, result
    assert (result["state"], result["exit_code"], result["stdout"]) == ("Finished", 0, "hello\n")
    assert [c[0] for c in fake_arc.calls] == ["arcproxy", "arcsub", "arcstat", "arcstat", "arcget"]
    assert len(set(fake_arc.joblists)) == 1 and len(fake_arc.joblists) == 4
    assert any("REST interface did not answer" in w and "arcstat" in w
               for w in result.get("warnings", [])), result


def test_internal_nonzero_exit_is_a_failure_unless_asked_not_to(ansible_module, fake_arc, clock,
                                                                controldir, tmp_path):
    arc_conf, control = controldir
    fake_arc.next_jobs.append(FakeJob(INTERNAL_ID, ["Finished"]))  # INTERNAL: no Exit Code line
    write_diag(control, "c901c638e79d", 3)
    result = ansible_module(arc_job.main, {"xrsl": HELLO, "arc_conf": arc_conf,
                                           "fail_on_job_failure": False})
    assert result.get("failed") is not True
    assert (result["state"], result["exit_code"]) == ("Finished", 3)
    assert result["outputs"] == []
    assert [c[0] for c in fake_arc.calls] == ["arcproxy", "arcsub", "arcstat"]


def test_exit_code_unknown_when_the_control_dir_is_not_readable(ansible_module, fake_arc, clock,
                                                                tmp_path):
    fake_arc.next_jobs.append(FakeJob(INTERNAL_ID, ["Finished"]))
    result = ansible_module(arc_job.main, {"xrsl": HELLO, "arc_conf": str(tmp_path / "missing")})
    assert result["state"] == "Finished"
    assert result["exit_code"] is None
    assert result.get("failed") is not True


def test_no_wait_returns_after_submission(ansible_module, fake_arc, clock):
    fake_arc.next_jobs.append(FakeJob(INTERNAL_ID, ["Queuing"]))
    result = ansible_module(arc_job.main, {"xrsl": HELLO, "wait": False})
    assert result["changed"] is True
    assert (result["job_id"], result["state"]) == (INTERNAL_ID, "submitted")
    assert [c[0] for c in fake_arc.calls] == ["arcproxy", "arcsub"]


def test_timeout_names_the_job_and_its_last_state(ansible_module, fake_arc, clock):
    fake_arc.next_jobs.append(FakeJob(INTERNAL_ID, ["Queuing"]))
    result = ansible_module(arc_job.main, {"xrsl": HELLO, "timeout": 30, "poll_interval": 10})
    assert result["failed"] is True
    assert result["changed"] is True
    assert result["job_id"] == INTERNAL_ID
    assert result["msg"] == ("job %s did not reach a final state within 30s (last state: Queuing)"
                             % INTERNAL_ID)
    assert sum(clock.slept) == 30


def test_check_mode_submits_nothing(ansible_module, fake_arc):
    result = ansible_module(arc_job.main, {"xrsl": HELLO}, check_mode=True)
    assert result["changed"] is True
    assert result["job_id"] is None
    assert fake_arc.calls == [["arcproxy", "--infoitem=validityLeft"]]


def test_no_proxy_is_refused_before_submitting(ansible_module, fake_arc):
    fake_arc.proxy_left = None
    result = ansible_module(arc_job.main, {"xrsl": HELLO})
    assert result["failed"] is True
    assert result["msg"].startswith("no valid X.509 proxy for the user the module runs as")
    assert "Make one with arcproxy as that user" in result["msg"]
    assert [c[0] for c in fake_arc.calls] == ["arcproxy"]


def test_an_expired_proxy_is_refused(ansible_module, fake_arc):
    fake_arc.proxy_left = 0
    result = ansible_module(arc_job.main, {"xrsl": HELLO})
    assert result["failed"] is True
    assert "no valid X.509 proxy" in result["msg"]


@pytest.mark.parametrize("said, message", [
    (AREX_DOWN, "A-REX is not running on localhost: the INTERNAL client found no pid file at "
                "/run/arc-arex/arex.pid. Start it (systemctl start arc-arex) or run the arc_ce role."),
    (NO_INFO, "the CE localhost gave no information about itself over internal: A-REX is not "
              "running or has just started"),
    (NOT_HEALTHY, "the CE localhost reports that it is not healthy"),
    ("ERROR: Unable to parse job description input: <xrsl>\n",
     "arcsub failed (rc=1) and submitted nothing: ERROR: Unable to parse job description input"),
])
def test_refused_submissions_say_why(ansible_module, fake_arc, said, message):
    fake_arc.submit_result = (1, "", said)
    result = ansible_module(arc_job.main, {"xrsl": HELLO})
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["job_id"] is None
    assert message in result["msg"]
    assert "INTERNALClient is not initialized" not in result["msg"]


def test_harmless_client_noise_is_not_a_failure(ansible_module, fake_arc, clock):
    """ARC 7 prints "ERROR: INTERNALClient is not initialized" even when all goes well."""
    fake_arc.next_jobs.append(FakeJob(INTERNAL_ID, ["Finished"], exit_code=0))
    result = ansible_module(arc_job.main, {"xrsl": HELLO})
    assert result.get("failed") is not True
    assert result["state"] == "Finished"


def test_src_and_xrsl_are_exclusive(ansible_module, fake_arc, tmp_path):
    result = ansible_module(arc_job.main, {"xrsl": HELLO, "src": str(tmp_path)})
    assert result["failed"] is True
    assert "mutually exclusive" in result["msg"]
    assert fake_arc.calls == []


def test_arc_test_job_2_is_submitted_with_arctest_and_followed(ansible_module, fake_arc, clock,
                                                               tmp_path):
    env = "GRIDCLOUD_TEST=1\nHOSTNAME=vmdemo-compute001\n"
    fake_arc.next_jobs.append(FakeJob(REST_ID, ["Accepted", "Running", "Finished"], exit_code=0,
                                      stdout="stdout", outputs={"stdout": env}))
    result = ansible_module(arc_job.main, {"test_job": 2, "endpoint": "ce.example.org",
                                           "interface": "arcrest", "dest": str(tmp_path / "r")})
    assert result.get("failed") is not True, result
    assert fake_arc.calls[1] == ["arctest", "-J", "2", "-C", "ce.example.org", "-T", "arcrest",
                                 "-j", fake_arc.joblists[0]]
    assert result["job_id"] == REST_ID
    assert (result["state"], result["exit_code"]) == ("Finished", 0)
    assert result["stdout"] == env


def test_test_job_excludes_a_job_description(ansible_module, fake_arc):
    result = ansible_module(arc_job.main, {"test_job": 2, "xrsl": HELLO})
    assert result["failed"] is True
    assert "mutually exclusive" in result["msg"]
    result = ansible_module(arc_job.main, {"test_job": 4})
    assert result["failed"] is True and "test_job" in result["msg"]
    assert fake_arc.calls == []


def test_a_refused_test_job_names_arctest(ansible_module, fake_arc):
    fake_arc.submit_result = (1, "", "ERROR: Test aborted because no resource returned any "
                                     "information\n")
    result = ansible_module(arc_job.main, {"test_job": 2})
    assert result["failed"] is True
    assert result["msg"].startswith("the CE localhost gave no information about itself over "
                                    "internal")
    assert "arctest said: ERROR: Test aborted" in result["msg"]


def test_a_missing_src_file_is_refused(ansible_module, fake_arc, tmp_path):
    result = ansible_module(arc_job.main, {"src": str(tmp_path / "nope.xrsl")})
    assert result["failed"] is True
    assert result["msg"] == "src: %s is not a file on the target" % (tmp_path / "nope.xrsl")
    assert fake_arc.calls == []


def test_controldir_of_reads_the_arex_block_only(tmp_path):
    conf = tmp_path / "arc.conf"
    conf.write_text("[common]\ncontroldir=/wrong\n[arex]\ncontroldir = /var/spool/x\n"
                    "[arex/cache]\ncachedir=/c\n")
    assert arc_job.controldir_of(str(conf)) == "/var/spool/x"
    assert arc_job.controldir_of(str(tmp_path / "missing")) == "/var/spool/arc/jobstatus"


def test_arc6_exit_code_comes_from_the_flat_control_dir(ansible_module, fake_arc, clock, controldir):
    """ARC 6 job ids are long random strings, their files job.<id>.<kind> in the control dir."""
    arc_conf, control = controldir
    job_id = "file:///srv/grid/session/l5LODm1wRqAozECQqnsECsHmABFKDmABFKDmywGKDmABFKDmaRmLzm"
    fake_arc.next_jobs.append(FakeJob(job_id, ["Finished"]))
    (control / ("job.%s.diag" % job_id.rsplit("/", 1)[-1])).write_text("nodename=w1\nexitcode=0\n")
    result = ansible_module(arc_job.main, {"xrsl": HELLO, "arc_conf": arc_conf})
    assert (result["state"], result["exit_code"]) == ("Finished", 0)


# ---------------------------------------------------------------------- bearer tokens
TOKEN = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3Rqd3QifQ.eyJzdWIiOiJncmlkIn0.c2lnbmF0dXJl"
TOKEN_ONLY = {"X509_USER_PROXY": arc_job.NO_X509, "X509_USER_CERT": arc_job.NO_X509,
              "X509_USER_KEY": arc_job.NO_X509}


def test_a_token_file_is_given_to_every_client_call_without_x509(ansible_module, fake_arc, clock,
                                                                 tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    fake_arc.next_jobs.append(FakeJob(REST_ID, ["Accepted", "Finished"], exit_code=0,
                                      outputs={"out.txt": "hello\n"}))
    result = ansible_module(arc_job.main, {"xrsl": HELLO, "endpoint": "ce.example.org",
                                           "interface": "arcrest", "token_file": str(token_file),
                                           "dest": str(tmp_path / "r")})
    assert (result["state"], result["exit_code"], result["stdout"]) == ("Finished", 0, "hello\n")
    # no proxy check: the token is the credential, for arcsub and for every REST request
    assert [call[0] for call in fake_arc.calls] == ["arcsub"]
    assert fake_arc.environments == [dict(TOKEN_ONLY, BEARER_TOKEN_FILE=str(token_file))]
    assert {headers["Authorization"] for _m, _p, headers in fake_arc.rest_calls} == {"Bearer " + TOKEN}
    assert fake_arc.tls == [["/etc/grid-security/certificates", None]]
    assert TOKEN not in repr(result)


def test_a_token_value_is_given_as_bearer_token_and_never_returned(ansible_module, fake_arc, clock):
    fake_arc.next_jobs.append(FakeJob(REST_ID, ["Finished"], exit_code=0))
    result = ansible_module(arc_job.main, {"xrsl": HELLO, "endpoint": "ce.example.org",
                                           "interface": "arcrest", "token": TOKEN})
    assert result["state"] == "Finished"
    assert fake_arc.environments[0] == dict(TOKEN_ONLY, BEARER_TOKEN=TOKEN)
    assert TOKEN not in repr(result)


def test_a_refused_token_says_so_without_the_clients_noise(ansible_module, fake_arc, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    fake_arc.submit_result = (1, "", TOKEN_REFUSED)
    result = ansible_module(arc_job.main, {"xrsl": HELLO, "endpoint": "ce.example.org",
                                           "interface": "arcrest", "token_file": str(token_file)})
    assert result["failed"] is True
    assert result["msg"] == (
        "the CE ce.example.org refused the bearer token (its issuer is not trusted there, or its "
        "audience or scope does not match, or it has expired); arcsub said: ERROR: One or "
        "multiple job descriptions was not submitted.")


@pytest.mark.parametrize("args, message", [
    ({"interface": "internal", "token": TOKEN},
     "a bearer token (token, token_file) goes over the REST interface only: set interface=arcrest"),
    ({"interface": "arcrest", "token": "  "}, "token is empty"),
    ({"interface": "arcrest", "token_file": "/nonexistent/token"},
     "token_file: cannot read /nonexistent/token as the user the module runs as (No such file or directory)"),
    ({"interface": "arcrest", "token": TOKEN, "token_file": "/tmp/t"},
     "parameters are mutually exclusive: token|token_file"),
])
def test_bad_token_arguments_are_refused_before_any_client_runs(ansible_module, fake_arc, args, message):
    result = ansible_module(arc_job.main, dict({"xrsl": HELLO, "endpoint": "ce"}, **args))
    assert result["failed"] is True
    assert result["msg"].startswith(message), result["msg"]
    assert fake_arc.calls == []


def test_an_empty_token_file_is_refused(ansible_module, fake_arc, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("\n")
    result = ansible_module(arc_job.main, {"xrsl": HELLO, "endpoint": "ce", "interface": "arcrest",
                                           "token_file": str(token_file)})
    assert result["msg"] == "token_file: %s is empty" % token_file
    assert fake_arc.calls == []
