"""aCT on the frontend: MariaDB, aCT's database, configuration and service, and (with
ACT_SOURCE) a job through aCT -> A-REX over REST -> SLURM on the worker -> aCT's output dir.

Without ACT_SOURCE the scenario sets the frontend up with act_install_source: none, and every
test that needs aCT itself is skipped with that reason.
"""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

testinfra_hosts = ["molact-frontend001"]

SCENARIO = Path(__file__).resolve().parents[1]
PROJECT = SCENARIO.parents[1]
DEFINITION = SCENARIO / "inventory" / "cluster.yml"
FRONTEND = "molact-frontend001"
WORKER = "molact-compute001"
ACT_SOURCE = os.environ.get("ACT_SOURCE", "")
needs_act = pytest.mark.skipif(
    not ACT_SOURCE,
    reason="ACT_SOURCE is not set: aCT's source cannot be fetched here, so the frontend was set up "
           "without aCT (act_install_source: none); set ACT_SOURCE to an aCT checkout or wheel to run this")
HELLO = ('&(executable="/bin/sh")(arguments="-c" "echo hello from $(hostname) as $(id -un)")'
         '(stdout="out.txt")(stderr="err.txt")(outputfiles=("out.txt" ""))(jobname="acthello")')


def password():
    """The generated password, read where the collection keeps it (cluster.secrets_dir default)."""
    definition = yaml.safe_load(DEFINITION.read_text())
    configured = definition["cluster"].get("secrets_dir")
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    directory = (Path(os.path.expanduser(configured)) if configured
                 else Path(data_home) / "gridcloud" / "clusters" / definition["cluster"]["name"] / "secrets")
    path = directory / "act-db.password"
    assert path.is_file(), "no %s" % path
    assert path.stat().st_mode & 0o077 == 0, "%s is readable by others" % path
    return path.read_text().strip()


def playbook(*args):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run(["ansible-playbook", "-i", str(DEFINITION), *args], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=1800, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_mariadb_runs_on_the_loopback_only(host):
    assert host.service("mariadb").is_running
    assert host.socket("tcp://127.0.0.1:3306").is_listening
    assert not host.socket("tcp://0.0.0.0:3306").is_listening


def test_the_database_and_its_user_exist(host):
    dbs = host.check_output("mariadb -N -e 'SHOW DATABASES'").split()
    assert "act" in dbs
    users = host.check_output("mariadb -N -e \"SELECT CONCAT(user,'@',host) FROM mysql.user\"").split()
    assert {"act@localhost", "act@127.0.0.1"} <= set(users)


def test_act_connects_with_its_password(host):
    cmd = "mariadb -h 127.0.0.1 -u act -p%s -N -e 'SELECT 1' act" % password()
    assert host.run(cmd).stdout.strip() == "1"


def test_config_files_are_valid_yaml_with_the_local_site(host):
    arc = host.file("/etc/act/aCTConfigARC.yaml")
    assert (arc.user, arc.group, arc.mode) == ("root", "act", 0o640)
    conf = yaml.safe_load(arc.content_string)
    assert conf["sites"] == {"molact": {"endpoint": "https://%s/arex" % FRONTEND, "maxjobs": 100, "submitters": 1}}
    assert conf["db"]["host"] == "127.0.0.1" and "socket" not in conf["db"]
    assert conf["db"]["password"] == password()
    assert conf["actlocation"]["dir"] == "/opt/act/lib/python3.13/site-packages"
    assert conf["voms"]["proxypath"] == "/var/lib/act/proxy.pem"
    app = yaml.safe_load(host.file("/etc/act/aCTConfigAPP.yaml").content_string)
    assert app == {"modules": {"app": []}}


def test_the_ce_serves_rest_and_acts_proxy_is_valid(host):
    assert host.service("arc-arex-ws").is_running
    left = host.run("runuser -u act -- env X509_USER_PROXY=/var/lib/act/proxy.pem arcproxy --infoitem=validityLeft")
    assert int(left.stdout.strip().splitlines()[-1]) > 24 * 3600
    assert host.service("act-proxy.timer").is_enabled


def test_the_venv_has_the_pinned_connector_and_the_arc_compatibility(host):
    version = host.check_output("/opt/act/bin/python -c 'import mysql.connector as m; print(m.__version__)'")
    assert version.startswith("8.")
    check = host.run("/opt/act/bin/python -c 'import arc; arc.JobDescription_Parse; "
                     "arc.Logger_getRootLogger; assert \"LOGDIR\" not in dir(arc.Job())'")
    assert check.rc == 0, check.stderr


def test_the_password_is_not_in_the_repository():
    secret = password()
    tracked = subprocess.run(["git", "grep", "-I", "-l", "-F", secret], cwd=PROJECT,
                             capture_output=True, text=True, check=False)
    assert tracked.stdout == ""


def test_the_password_never_appears_in_verbose_output():
    rc, output = playbook("-v", str(SCENARIO / "converge.yml"))
    assert rc == 0, output[-3000:]
    assert password() not in output
    assert re.search(r"%s\s*: ok=\d+\s+changed=0 " % FRONTEND, " ".join(output.split())), output[-1500:]


@needs_act
def test_acts_tables_exist(host):
    tables = host.check_output("mariadb -N -e 'SHOW TABLES' act").split()
    assert {"arcjobs", "jobdescriptions", "proxies"} <= set(tables)


@needs_act
def test_act_runs_as_its_unit(host):
    assert host.file("/etc/systemd/system/act.service").exists
    assert host.service("act").is_enabled
    assert host.service("act").is_running
    assert "act" in host.check_output("ps -o user= -C actmain || ps -o user= -u act").split()


@needs_act
def test_a_job_through_act_reaches_done_on_the_worker(host):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    args = json.dumps({"xrsl": HELLO, "site": "molact", "queue": "main", "timeout": 600,
                       "appjobid": "molecule"})
    proc = subprocess.run(["ansible", "-i", str(DEFINITION), FRONTEND, "-m", "gridcloud.arc_cluster.act_job",
                           "-a", args], cwd=PROJECT, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    result = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"][FRONTEND]
    assert result["state"] == "done" and result["arc_state"] == "Finished", result
    assert result["exit_code"] == 0
    assert result["output_dir"] == "/var/lib/act/tmp/%s" % result["arc_id"]
    out = host.file(result["output_dir"] + "/out.txt")
    assert out.content_string == "hello from %s as grid\n" % WORKER
