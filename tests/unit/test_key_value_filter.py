# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The key_value filter, and the templates that write their files with it.

The filter is called directly; the templates are rendered by a real ansible-playbook run on
localhost (one run for all of them), with variables given here rather than the roles' defaults,
so that the expected files below change only when a template or the filter does.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.gridcloud.arc_cluster.plugins.filter import key_value as plugin
from ansible_collections.gridcloud.arc_cluster.plugins.filter.key_value import key_value

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS_DIR = os.path.join(REPO_ROOT, "build", "collections")


# ------------------------------------------------------------------------------- ordering
def test_keys_sorted_case_insensitively_like_dictsort():
    data = {"SlurmUser": "slurm", "SlurmdPort": 6818, "SlurmctldHost": "c1",
            "AuthType": "auth/munge"}
    assert key_value(data) == (
        "AuthType=auth/munge\nSlurmctldHost=c1\nSlurmdPort=6818\nSlurmUser=slurm\n")


def test_sort_false_keeps_the_mappings_order():
    data = {"lrms": "slurm main", "slurm_bin_path": "/usr/bin", "defaultmemory": 100}
    assert key_value(data, sort=False) == (
        "lrms=slurm main\nslurm_bin_path=/usr/bin\ndefaultmemory=100\n")


def test_first_keys_lead_in_the_given_order():
    data = {"State": "UP", "Default": True, "MaxTime": "INFINITE", "PartitionName": "main",
            "Nodes": None}
    assert key_value(data, joiner=" ", first=["PartitionName", "Nodes", "Default"],
                     booleans={True: "YES", False: "NO"}) == (
        "PartitionName=main Default=YES MaxTime=INFINITE State=UP")


def test_first_with_sort_false():
    data = {"b": 2, "a": 1, "name": "x"}
    assert key_value(data, sort=False, first=["name", "missing"]) == "name=x\nb=2\na=1\n"


# ---------------------------------------------------------------------------- None, empty
def test_none_values_are_left_out():
    assert key_value({"a": 1, "b": None, "c": ""}) == "a=1\nc=\n"


def test_empty_mapping_gives_an_empty_string():
    assert key_value({}) == ""
    assert key_value({"a": None}) == ""
    assert key_value({}, joiner=" ") == ""


# -------------------------------------------------------------------------------- booleans
def test_booleans_default_to_yes_and_no():
    assert key_value({"ConstrainCores": True, "ConstrainDevices": False}) == (
        "ConstrainCores=yes\nConstrainDevices=no\n")


@pytest.mark.parametrize("mapping", [
    {True: "ON", False: "OFF"},
    {"true": "ON", "false": "OFF"},
    {"True": "ON", "FALSE": "OFF"},
])
def test_booleans_custom_mapping(mapping):
    assert key_value({"skip-name-resolve": True, "innodb_file_per_table": False},
                     separator=" = ", booleans=mapping) == (
        "innodb_file_per_table = OFF\nskip-name-resolve = ON\n")


def test_numbers_are_not_booleans():
    # bool is a subclass of int in Python; 0 and 1 must stay numbers.
    assert key_value({"a": 0, "b": 1, "c": 1.5}) == "a=0\nb=1\nc=1.5\n"


@pytest.mark.parametrize("mapping, message", [
    ({True: "YES"}, "no word for false"),
    ({}, "no word for true and false"),
    ({"yes": "Y", "no": "N"}, "keys of booleans must be true and false"),
    ({True: None, False: "NO"}, "must map true and false to strings"),
    (["YES", "NO"], "booleans must be a mapping"),
])
def test_bad_boolean_mapping(mapping, message):
    with pytest.raises(AnsibleFilterError, match=message):
        key_value({"a": True}, booleans=mapping)


# ----------------------------------------------------------------------------------- lists
def test_lists_are_joined_with_commas():
    assert key_value({"TaskPlugin": ["task/cgroup", "task/affinity"], "Nodes": ("w1", "w2")}) == (
        "Nodes=w1,w2\nTaskPlugin=task/cgroup,task/affinity\n")


def test_list_items_are_written_like_values():
    assert key_value({"flags": [True, 2, "x"]}) == "flags=yes,2,x\n"


def test_empty_list_joined_is_an_empty_value():
    assert key_value({"a": []}) == "a=\n"


def test_lists_repeat_writes_one_line_per_item():
    data = {"advertisedvo": ["atlas", "ops"], "homogeneity": True, "none": []}
    assert key_value(data, sort=False, lists="repeat") == (
        "advertisedvo=atlas\nadvertisedvo=ops\nhomogeneity=yes\n")


def test_bad_lists_mode():
    with pytest.raises(AnsibleFilterError, match="lists must be one of join, repeat"):
        key_value({"a": [1]}, lists="split")


# ---------------------------------------------------------------------------------- quoting
def test_quote_for_a_shell():
    data = {"CVMFS_QUOTA_LIMIT": 4000, "CVMFS_CACHE_BASE": "/var/lib/cvmfs",
            "CVMFS_HTTP_PROXY": "http://a:3128|http://b:3128", "CVMFS_DEBUGLOG": "/tmp/my log",
            "CVMFS_QUOTE": "it's", "CVMFS_EMPTY": "", "CVMFS_SHARED_CACHE": False}
    assert key_value(data, quote=True) == textwrap.dedent("""\
        CVMFS_CACHE_BASE=/var/lib/cvmfs
        CVMFS_DEBUGLOG='/tmp/my log'
        CVMFS_EMPTY=''
        CVMFS_HTTP_PROXY='http://a:3128|http://b:3128'
        CVMFS_QUOTA_LIMIT=4000
        CVMFS_QUOTE='it'"'"'s'
        CVMFS_SHARED_CACHE=no
        """)


def test_quote_a_joined_list_as_one_value():
    assert key_value({"CVMFS_REPOSITORIES": ["a b", "c"]}, quote=True) == (
        "CVMFS_REPOSITORIES='a b,c'\n")


def test_quote_each_repeated_item():
    assert key_value({"k": ["a b", "c"]}, quote=True, lists="repeat") == "k='a b'\nk=c\n"


def test_quoted_value_reads_back_through_a_shell():
    value = "it's a $HOME `x` \"y\" \\z"
    text = key_value({"V": value}, quote=True)
    out = subprocess.run(["sh", "-c", text + 'printf %s "$V"'], check=True,
                         capture_output=True, text=True).stdout
    assert out == value


# -------------------------------------------------------------------- separator and joiner
def test_separator():
    assert key_value({"bind-address": "127.0.0.1"}, separator=" = ") == "bind-address = 127.0.0.1\n"


def test_joiner_puts_the_pairs_on_one_line():
    data = {"NodeName": "w1", "CPUs": 2, "RealMemory": 3500, "Features": None}
    assert key_value(data, joiner=" ", first=["NodeName"]) == "NodeName=w1 CPUs=2 RealMemory=3500"


# ----------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("data", [["a=1"], "a=1", None, 3])
def test_input_must_be_a_mapping(data):
    with pytest.raises(AnsibleFilterError, match="key_value expects a mapping"):
        key_value(data)


def test_nested_mapping_names_its_key():
    with pytest.raises(AnsibleFilterError, match="the value of key 'mysqld' is a mapping"):
        key_value({"ok": 1, "mysqld": {"bind-address": "127.0.0.1"}})


@pytest.mark.parametrize("item, message", [
    ({"x": 1}, "the item of key 'k' is a mapping"),
    (["x"], "the item of key 'k' is a list"),
    (None, "the list of key 'k' holds a null item"),
])
def test_bad_list_items_name_their_key(item, message):
    with pytest.raises(AnsibleFilterError, match=message):
        key_value({"k": ["a", item]})


def test_first_must_be_a_list():
    with pytest.raises(AnsibleFilterError, match="first must be a list"):
        key_value({"a": 1}, first="a")


# ------------------------------------------------------------------------------- the plugin
def test_filter_module_offers_key_value():
    assert plugin.FilterModule().filters() == {"key_value": key_value}


def test_documentation_matches_the_signature():
    doc = yaml.safe_load(plugin.DOCUMENTATION)
    assert doc["name"] == "key_value"
    options = dict(doc["options"])
    assert options.pop("_input")["required"] is True
    params = inspect.signature(key_value).parameters
    assert sorted(options) == sorted(name for name in params if name != "data")
    for name, spec in options.items():
        assert spec.get("default") == params[name].default or (
            name in ("booleans", "first") and params[name].default is None), name
    assert options["booleans"]["default"] == {True: "yes", False: "no"}
    assert options["lists"]["choices"] == ["join", "repeat"]
    yaml.safe_load(plugin.EXAMPLES)
    assert "_value" in yaml.safe_load(plugin.RETURN)


# ------------------------------------------------------------------ the templates, rendered
INVENTORY = {
    "all": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
        "hosts": {
            "c1": {},
            "w1": {"slurm_node": {"CPUs": 2, "RealMemory": 3500, "State": "UNKNOWN"}},
            "w2": {"slurm_node": {"CPUs": 8, "RealMemory": 30000, "State": "UNKNOWN",
                                  "Features": "bigmem", "Weight": None}},
        },
    },
}

TEMPLATE_VARS = {
    # slurm.conf
    "slurm_cluster_name": "demo",
    "slurm_workers": ["w2", "w1"],
    "slurm_cloud_nodes": [
        {"name": "e2", "cpus": 2.5, "memory_mb": 4096, "node_config": {"Features": "cloud"}},
        {"name": "e1", "cpus": 0.5, "memory_mb": 400},
    ],
    "slurm_memory_reserve_mb": 512,
    "__slurm_partition_nodes": ["w1", "w2", "e1", "e2"],
    "__slurm_config": {"SlurmUser": "slurm", "ClusterName": "demo", "CryptoType": None,
                       "DisableRootJobs": False, "TaskPlugin": ["task/cgroup", "task/affinity"]},
    "slurm_partitions": [
        {"name": "main", "default": True, "MaxTime": "INFINITE", "State": "UP"},
        {"name": "short", "nodes": ["w1"], "Hidden": True, "OverSubscribe": None},
        {"name": "none", "nodes": []},
    ],
    # cgroup.conf
    "__slurm_cgroup_config_default": {"ConstrainCores": "yes", "ConstrainDevices": "no"},
    "slurm_cgroup_config": {"ConstrainSwapSpace": True, "ConstrainDevices": None},
    # slurmdbd.conf
    "__slurm_dbd_config_default": {"DbdPort": 6819, "StorageHost": "localhost"},
    "slurm_dbd_config": {"TrackWCKey": False},
    "__slurm_accounting_db_password": "s3cret",
    # cvmfs default.local
    "__cvmfs_file_settings": {"CVMFS_HTTP_PROXY": "http://a:3128|http://b:3128",
                              "CVMFS_QUOTA_LIMIT": 4000, "CVMFS_CLIENT_PROFILE": None,
                              "CVMFS_USE_GEOAPI": True},
    # MariaDB
    "__mariadb_config_default": {"mysqld": {"bind-address": "127.0.0.1",
                                            "innodb_lock_wait_timeout": 900}},
    "mariadb_config": {"mysqld": {"skip-name-resolve": True, "innodb_lock_wait_timeout": None},
                       "client": {}},
    # arc.conf
    "arc_ce_mode": "internal",
    "__arc_ce_yes_no": {True: "yes", False: "no"},
    "__arc_ce_blocks": ["common", "authgroup", "lrms", "arex/ws", "infosys", "queue"],
    "__arc_ce_config": {
        "queue:main": {"comment": "The default queue"},
        "lrms": {"lrms": "slurm main", "slurm_use_sacct": False},
        "infosys": {},
        "arex/ws": None,
        "common": {"hostname": "ce.example", "x509_host_cert": None},
        "authgroup:local": {"all": "yes"},
        "authgroup:admins": {"subject": ["/CN=a", "/CN=b"]},
    },
}

TEMPLATES = {
    "slurm.conf": "roles/slurm/templates/slurm.conf.j2",
    "cgroup.conf": "roles/slurm/templates/cgroup.conf.j2",
    "slurmdbd.conf": "roles/slurm/templates/slurmdbd.conf.j2",
    "default.local": "roles/cvmfs/templates/cvmfs.local.j2",
    "gridcloud.cnf": "roles/mariadb/templates/gridcloud.cnf.j2",
    "arc.conf": "roles/arc_ce/templates/arc.conf.j2",
}

EXPECTED = {
    "slurm.conf": """\
        # Ansible managed
        # Rendered by the gridcloud.arc_cluster.slurm role from slurm_config merged over the role's
        # defaults; the same file on every node of cluster demo.
        ClusterName=demo
        DisableRootJobs=NO
        SlurmUser=slurm
        TaskPlugin=task/cgroup,task/affinity

        # Nodes (from each worker's facts, or its slurm_node_config)
        NodeName=w1 CPUs=2 RealMemory=3500 State=UNKNOWN
        NodeName=w2 CPUs=8 Features=bigmem RealMemory=30000 State=UNKNOWN
        # Cloud nodes: made when a job needs them, removed after SuspendTime idle (State=CLOUD)
        NodeName=e1 CPUs=1 RealMemory=100 State=CLOUD
        NodeName=e2 CPUs=2 Features=cloud RealMemory=3584 State=CLOUD

        # Partitions
        PartitionName=main Nodes=w1,w2,e1,e2 Default=YES MaxTime=INFINITE State=UP
        PartitionName=short Nodes=w1 Default=NO Hidden=YES
        PartitionName=none Default=NO
        """,
    "cgroup.conf": """\
        # Ansible managed
        # Rendered by the gridcloud.arc_cluster.slurm role from slurm_cgroup_config merged over defaults.
        ConstrainCores=yes
        ConstrainSwapSpace=yes
        """,
    "slurmdbd.conf": """\
        # Ansible managed
        # Rendered by the gridcloud.arc_cluster.slurm role from slurm_dbd_config merged over defaults.
        DbdPort=6819
        StorageHost=localhost
        TrackWCKey=no
        StoragePass=s3cret
        """,
    "default.local": """\
        # Ansible managed
        # Rendered by the gridcloud.arc_cluster.cvmfs role; sourced by CVMFS as a shell file.
        CVMFS_HTTP_PROXY='http://a:3128|http://b:3128'
        CVMFS_QUOTA_LIMIT=4000
        CVMFS_USE_GEOAPI=yes
        """,
    "gridcloud.cnf": """\
        # Ansible managed
        # Rendered by the gridcloud.arc_cluster.mariadb role from mariadb_config over its defaults.
        [client]

        [mysqld]
        bind-address = 127.0.0.1
        skip-name-resolve = ON

        """,
    "arc.conf": """\
        # Ansible managed
        # Rendered by the gridcloud.arc_cluster.arc_ce role (mode internal) from arc_ce_config
        # merged over the role's defaults; blocks in the order of arc.conf.reference.

        [common]
        hostname=ce.example

        [authgroup:local]
        all=yes

        [authgroup:admins]
        subject=/CN=a
        subject=/CN=b

        [lrms]
        lrms=slurm main
        slurm_use_sacct=no

        [infosys]

        [queue:main]
        comment=The default queue
        """,
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Render every template once through ansible-playbook; {output name: text}."""
    work = tmp_path_factory.mktemp("key_value_templates")
    out = work / "out"
    (work / "inventory.yml").write_text(yaml.safe_dump(INVENTORY))
    (work / "vars.yml").write_text(yaml.safe_dump(TEMPLATE_VARS, sort_keys=False))
    play = [{
        "name": "Render the templates",
        "hosts": "c1",
        "gather_facts": False,
        "vars_files": [str(work / "vars.yml")],
        "tasks": [
            {"name": "Render %s" % name,
             "ansible.builtin.template": {"src": os.path.join(REPO_ROOT, src),
                                          "dest": str(out / name), "mode": "0644"}}
            for name, src in TEMPLATES.items()
        ],
    }]
    (work / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    out.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS_DIR,
        "ANSIBLE_HOME": str(work / "ansible_home"),
        "ANSIBLE_LOCAL_TEMP": str(work / "tmp"),
        "ANSIBLE_REMOTE_TEMP": str(work / "remote_tmp"),
        "ANSIBLE_INVENTORY_ENABLED": "ansible.builtin.yaml",
        "ANSIBLE_NOCOLOR": "1",
    })
    result = subprocess.run(
        [sys.executable, "-m", "ansible.cli.playbook", "-i", str(work / "inventory.yml"),
         str(work / "play.yml")],
        cwd=str(work), env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return {name: (out / name).read_text() for name in TEMPLATES}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_template_renders(rendered, name):  # pylint: disable=redefined-outer-name
    assert rendered[name] == textwrap.dedent(EXPECTED[name])
