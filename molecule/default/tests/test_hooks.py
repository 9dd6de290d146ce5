"""The example after hook (examples/hooks/site-after.yml) ran, at its point, in the default scenario."""

import pytest
from gridcloud_molecule import node

testinfra_hosts = ["mol-frontend001"]

NODES = ["mol-frontend001", "mol-compute001", "mol-compute002"]


@pytest.mark.parametrize("name", NODES)
def test_the_site_user_has_its_fixed_uid_on_every_node(name):
    user = node(name).user("siteops")
    assert user.exists
    assert user.uid == 20100 and user.gid == 20100


@pytest.mark.parametrize("name", NODES[1:])
def test_the_runtime_environment_is_on_the_shared_runtime_dir_of_every_worker(name):
    rte = node(name).file("/srv/grid/runtime/SITE/EXAMPLE-1.0")
    assert rte.exists and rte.user == "root" and rte.mode == 0o644
    assert "export SITE_EXAMPLE_VERSION=1.0" in rte.content_string


def test_the_hook_ran_after_slurm_was_set_up(host):
    """An after hook sees the configured cluster: slurmctld and munge were already active."""
    saw = host.file("/srv/grid/runtime/SITE/.hook-saw").content_string.split("\n")
    assert "slurmctld active" in saw
    assert "munge active" in saw
