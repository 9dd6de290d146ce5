"""Mode rest of the ARC CE, reached by re-applying the role with arc_ce_mode=rest.

Runs after test_arc_ce.py (mode internal, as converged) and switches the CE back to mode
internal at the end, so that both directions of a mode switch are exercised and the scenario
ends as converged.
"""

import re

import pytest

from test_arc_ce import FRONTEND, WORKER, apply_role, run_job

testinfra_hosts = [FRONTEND]


@pytest.fixture(scope="module")
def rest_mode():
    rc, output = apply_role("-e", "arc_ce_mode=rest")
    assert rc == 0, output


def test_rest_mode_serves_https_with_a_host_certificate_for_the_frontend(host, rest_mode):
    assert host.service("arc-arex-ws").is_running
    assert host.service("arc-arex-ws").is_enabled
    assert host.socket("tcp://0.0.0.0:443").is_listening
    assert "root" in host.check_output("ps -o user= -C arched").split()
    subject = host.check_output(
        "openssl x509 -noout -subject -in /etc/grid-security/host-%s-cert.pem" % FRONTEND)
    assert subject.endswith("CN=host/%s" % FRONTEND) or subject.endswith("CN = host/%s" % FRONTEND)
    assert host.run("arcctl config verify").rc == 0


def test_rest_job_is_submitted_over_https_and_finishes(host, rest_mode):
    job_id, state, output = run_job(host, FRONTEND, "arcrest", "rest")
    assert job_id.startswith("https://%s:443/arex/rest/1.0/jobs/" % FRONTEND)
    assert state == "Finished"
    assert output == "hello from %s as grid\n" % WORKER


def test_rest_mode_applied_again_changes_nothing(host, rest_mode):  # pylint: disable=unused-argument
    rc, output = apply_role("-e", "arc_ce_mode=rest")
    assert rc == 0, output
    assert re.search(r"%s\s*: ok=\d+\s+changed=0 " % FRONTEND, output), output[-600:]


def test_back_in_mode_internal_nothing_listens_and_jobs_run(host, rest_mode):
    """Last: the switch back to mode internal (the scenario ends as converged)."""
    rc, output = apply_role()
    assert rc == 0, output
    assert not host.service("arc-arex-ws").is_running
    assert not host.socket("tcp://0.0.0.0:443").is_listening
    assert host.check_output("ps -o user= -C arched").split() == ["grid"]
    _job_id, state, out = run_job(host, "localhost", "internal", "back")
    assert (state, out) == ("Finished", "hello from %s as grid\n" % WORKER)
