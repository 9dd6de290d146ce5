"""Bearer tokens at the CE (mode rest, ARC 7): the role's offline test issuer (arcctl test-jwt)
is trusted, a REST job with its token alone (no X.509 credential) runs on a worker and comes
back; tokens from an issuer the CE does not trust, for another audience, without the scope
compute.create, or expired are refused and leave no job; no token shows in `-vvv` output.

The tokens for the refusals are made with the same arcctl test-jwt, its claims changed with
--claims (aud, exp, nbf) and --scopes, and an issuer made for the purpose but never deployed.
"""

import re
import shlex
import time

import pytest

from gridcloud_molecule import run_module, run_playbook

testinfra_hosts = ["mol-frontend001"]

FRONTEND = "mol-frontend001"
WORKERS = ["mol-compute001", "mol-compute002"]
TOKEN_FILE = "/home/grid/.arc/gridcloud-test-token"
ISSUER = "https://%s/arc/testjwt/494bcb9d" % FRONTEND
HELLO = ('&(executable="/bin/sh")(arguments="-c" "echo token job on $(hostname) as $(id -un)")'
         '(stdout="out.txt")(jobname="token")')
JWT_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


def arc_job(*extra, **args):
    params = dict({"xrsl": HELLO, "endpoint": FRONTEND, "interface": "arcrest",
                   "poll_interval": 3, "timeout": 300}, **args)
    return run_module(FRONTEND, "gridcloud.arc_cluster.arc_job", params, "--become",
                      "--become-user", "grid", "--become-method", "su", *extra)


def make_token(host, *options, issuer_id="gridcloud"):
    """A token from arcctl test-jwt (as root on the CE), written to a file grid can read."""
    token = host.check_output("arcctl test-jwt --iss-id %s token %s 2>/dev/null | tail -n 1"
                              % (issuer_id, " ".join(shlex.quote(o) for o in options)))
    assert JWT_RE.match(token), token[:40]
    path = "/home/grid/.arc/refused-%d" % time.monotonic_ns()
    host.check_output("umask 077 && printf '%%s' %s > %s && chown grid %s"
                      % (shlex.quote(token), path, path))
    return path


def job_count(host):
    return len(host.check_output("arcctl job list").split())


def test_arc_conf_trusts_the_test_issuer_beside_x509(host):
    conf = host.file("/etc/arc.conf").content_string
    assert "\n[authgroup:token-test]\nauthtokens=* %s arc compute.create *\n" % ISSUER in conf
    assert "\nmap_to_user=local grid:grid\nmap_to_user=token-test grid:grid\n" in conf
    assert "\nallowaccess=local\nallowaccess=token-test\n" in conf
    # the trust A-REX reads: the issuer's keys in the control dir ...
    found = host.run("grep -rlxF --include=issuer %s /var/spool/arc/jobstatus/tokenissuers"
                     % ISSUER)
    assert found.rc == 0, found.stderr
    # ... only when it starts: the REST interface started after the role deployed the issuer
    entry = found.stdout.strip().split("/")[-2]
    loaded = host.run("grep -F 'Created entry for JWT issuer %s' /var/log/arc/ws-interface.log" % entry)
    assert loaded.rc == 0, "A-REX's REST interface never loaded the test issuer %s" % entry


def test_the_test_token_belongs_to_the_submit_user_alone(host):
    token = host.file(TOKEN_FILE)
    assert (token.user, token.mode) == ("grid", 0o600)
    assert JWT_RE.match(token.content_string.strip())


def test_a_rest_job_with_the_token_alone_runs_on_a_worker_and_comes_back(host):
    rc, result, output = arc_job(token_file="~/.arc/gridcloud-test-token",
                                 dest="/home/grid/results-token")
    assert rc == 0, output
    assert (result["state"], result["exit_code"]) == ("Finished", 0), result
    assert re.match(r"^token job on (%s) as grid\n$" % "|".join(WORKERS), result["stdout"]), result


@pytest.mark.parametrize("case, options, issuer_id", [
    ("untrusted issuer", ["-s", "compute.create compute.read"], "gridcloud-untrusted"),
    ("another audience", ["-s", "compute.create compute.read", "-c", '{"aud": "https://other.example.org"}'],
     "gridcloud"),
    ("no compute.create scope", ["-s", "compute.read"], "gridcloud"),
    ("expired", ["-s", "compute.create compute.read", "-c", None], "gridcloud"),
])
def test_a_token_the_ce_must_not_take_is_refused_and_leaves_no_job(host, case, options, issuer_id):
    if issuer_id != "gridcloud":
        host.run("arcctl test-jwt --iss-id %s info >/dev/null 2>&1 || "
                 "arcctl test-jwt --iss-id %s init >/dev/null 2>&1" % (issuer_id, issuer_id))
    if None in options:
        now = int(time.time())
        options = [o if o is not None else '{"exp": %d, "nbf": %d, "iat": %d}'
                   % (now - 600, now - 7200, now - 7200) for o in options]
    path = make_token(host, *options, issuer_id=issuer_id)
    before = job_count(host)
    rc, _result, output = arc_job(token_file=path, timeout=120)
    assert rc != 0, (case, output)
    assert "refused the bearer token" in output, (case, output)
    # (other tests' jobs may go meanwhile, none may come)
    assert job_count(host) <= before, case


def test_no_token_shows_in_verbose_output(host):
    token = host.file(TOKEN_FILE).content_string.strip()
    rc, _result, output = arc_job("-vvv", token=token, wait=False)
    assert rc == 0, output[-2000:]
    assert token not in output
    assert token.split(".")[1] not in output
    # the role's own run: it makes and checks the token without ever reading it into Ansible
    rc, output = run_playbook("apply-role.yml", "-e", "apply_role=arc_ce", "-vvv")
    assert rc == 0, output[-3000:]
    assert token.split(".")[1] not in output
