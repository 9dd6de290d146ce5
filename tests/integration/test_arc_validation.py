"""The arc_ce role's validate.yml: bad queues, dirs and config fail early, naming the field.

The hosts are this machine under other names (connection local) and the play runs in check
mode, so even a validation that wrongly passed would change nothing here. The nfs_server host
carries nfs_server_exported_paths as an inventory variable, as the nfs_server role's fact would,
and the slurm_controller host slurm_cluster_partitions, as the slurm role's fact would.
"""

import os

import pytest

from conftest import check_with_inventory

PLAYBOOK = os.path.join(os.path.dirname(__file__), "arc_validation", "playbook.yml")
LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": "/usr/bin/python3"}
EXPORTS = ["/srv/grid/session", "/srv/grid/cache", "/srv/grid/runtime", "/home"]
PARTITIONS = ({"name": "main", "default": True},)
FIRST_CHANGE = "Install A-REX"


def run(tmp_path, extra_vars=None, exports=None, partitions=PARTITIONS):
    nfs_vars = dict(LOCAL, nfs_server_exported_paths=EXPORTS if exports is None else exports)
    slurm_vars = {} if partitions is None else {"slurm_cluster_partitions": list(partitions)}
    inventory = {"all": {"children": {
        "arc_ce": {"hosts": {"ce1": dict(LOCAL)}},
        "slurm_controller": {"hosts": {"ce1": slurm_vars}},
        "nfs_server": {"hosts": {"nfs1": nfs_vars}},
    }}}
    result = check_with_inventory(tmp_path, inventory, PLAYBOOK, extra_vars)
    return result.rc, result.flat


@pytest.mark.parametrize("extra, message", [
    ({"arc_ce_queues": ["main", "long"]},
     "arc_ce_queues (and queue:NAME blocks of arc_ce_config): long is not a SLURM partition; "
     "the partitions (slurm_partitions) are main. Add the partition to slurm_partitions or "
     "remove the queue."),
    ({"slurm_partitions": [{"name": "short", "default": True}, {"name": "long"}],
      "arc_ce_queues": ["short", "main"]},
     "main is not a SLURM partition; the partitions (slurm_partitions) are short, long"),
    ({"arc_ce_config": {"queue:gpu": {"comment": "GPUs"}}}, "gpu is not a SLURM partition"),
    ({"arc_ce_default_queue": "long"}, "arc_ce_default_queue (long) must be one of arc_ce_queues (main)"),
    ({"arc_ce_sessiondir": "/var/spool/arc/session"},
     "arc_ce_sessiondir (/var/spool/arc/session) is not within a directory shared with the "
     "workers. The shared dirs (arc_ce_shared_dirs) are /srv/grid/session, /srv/grid/cache, "
     "/srv/grid/runtime, /home"),
    ({"arc_ce_cachedir": "/srv/gridcache"}, "arc_ce_cachedir (/srv/gridcache) is not within"),
    ({"arc_ce_shared_dirs": ["/data"]},
     "arc_ce_sessiondir (/srv/grid/session) is not within a directory shared with the workers. "
     "arc_ce_cachedir (/srv/grid/cache) is not within"),
    ({"arc_ce_config": {"arex/wss": {"wsurl": "x"}}}, "Not blocks of arc.conf"),
    ({"arc_ce_config": {"lrms": "slurm"}}, "Not a mapping of options (or null): lrms"),
    ({"arc_ce_config": {"mapping": None}},
     "arc_ce_config sets mapping to null, but A-REX does not start without the blocks"),
    ({"arc_ce_submit_user": "alice"},
     "arc_ce_submit_user (alice) must be arc_ce_user (grid) in mode internal"),
    ({"arc_ce_host_cert_src": "/tmp/cert.pem"}, "set both arc_ce_host_cert_src and arc_ce_host_key_src"),
    ({"arc_ce_slurm_wakeupperiod": 0}, "arc_ce_slurm_wakeupperiod must be 1 or more seconds, got 0"),
    ({"arc_ce_test_token_issuer": True},
     "arc_ce_token_issuers and arc_ce_test_token_issuer need arc_ce_mode rest (tokens come over "
     "the REST interface); arc_ce_mode is internal"),
    ({"arc_ce_mode": "rest", "arc_ce_token_issuers": [{"name": "IAM", "issuer": "http://iam"}]},
     'arc_ce_token_issuers[0].name must be lower-case letters, digits and -, got "IAM"; '
     'arc_ce_token_issuers[0].issuer must be the https URL of the issuer'),
    ({"arc_ce_mode": "rest", "arc_ce_test_token_issuer": True,
      "arc_ce_token_issuers": [{"name": "test", "issuer": "https://iam.example.org/",
                                "scope": "compute.create compute.read", "map_to_user": "grid"}]},
     'arc_ce_token_issuers[0].scope must be one value without spaces ("*" for any), got '
     '"compute.create compute.read"; arc_ce_token_issuers[0].map_to_user must be user:group, got '
     '"grid"; token issuer name test is used twice (test is the name of arc_ce_test_token_issuer)'),
    ({"arc_ce_mode": "rest", "arc_ce_token_issuers": [{"issuer": "https://iam.example.org/"}]},
     "missing required arguments: name found in arc_ce_token_issuers"),
    ({"arc_ce_dh_group": "ffdhe1024"}, "value of arc_ce_dh_group must be one of: ffdhe2048, ffdhe3072"),
    # types and choices are refused by meta/argument_specs.yml, before validate.yml
    ({"arc_ce_mode": "local"}, "value of arc_ce_mode must be one of: internal, rest, got: local"),
    ({"arc_ce_queues": "main"}, "arc_ce_queues"),
])
def test_bad_variables(tmp_path, extra, message):
    rc, output = run(tmp_path, extra)
    assert rc != 0
    assert message in output
    assert FIRST_CHANGE not in output


def test_without_known_partitions_the_role_names_the_variable_to_set(tmp_path):
    rc, output = run(tmp_path, partitions=None)
    assert rc != 0
    assert "SLURM's partitions are not known" in output
    assert "Run the slurm role first (the setup playbook does), or set arc_ce_slurm_partitions" in output
    assert FIRST_CHANGE not in output
    rc, output = run(tmp_path, {"arc_ce_slurm_partitions": [{"name": "main"}]}, partitions=None)
    assert FIRST_CHANGE in output, output[-2000:]


def test_without_exports_the_shared_dir_check_is_skipped_with_a_message(tmp_path):
    rc, output = run(tmp_path, {"arc_ce_sessiondir": "/var/spool/arc/session"}, exports=[])
    assert "arc_ce_shared_dirs is empty" in output
    assert "not checking that /var/spool/arc/session and /srv/grid/cache are shared" in output
    assert FIRST_CHANGE in output  # validation passed; check mode goes on (changing nothing)
    assert rc == 0, output[-2000:]
