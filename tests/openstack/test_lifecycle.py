"""The openstack provider's lifecycle through ansible-playbook against the harness's real APIs.

The tests run in file order and build on each other (one cluster, `osh`): create, re-run with
no change, scale up, scale down, destroy keeping the volumes, create again adopting them,
destroy deleting them. After each step the cloud's state is read with openstacksdk, as the
admin (every server, volume and security group of the project) and as the project's user.
Then bad input against the real APIs: a flavor that does not exist, a volume larger than the
volume quota; both must stop with the provider's message and leave nothing behind.
"""

import pytest

from conftest import (FLAVOR, cluster_state, keypair, wait_volume, wipe)

CLUSTER = "osh"
PROVISION = "../acceptance/provision.yml"  # the provisioning play of create, alone
VOLUME_GIB = 1


def nodes(compute_count=1, flavor=FLAVOR, frontend_volume_size="%dGiB" % VOLUME_GIB):
    return {
        "frontend": {
            "count": 1, "groups": ["slurm_controller", "nfs_server"],
            "resources": {"flavor": FLAVOR},
            "volumes": [{"name": "grid", "size": frontend_volume_size, "filesystem": "xfs",
                         "mount": "/srv/grid", "policy": "keep"}],
        },
        "compute": {
            "count": compute_count, "groups": ["slurm_worker", "nfs_client"],
            "resources": {"flavor": flavor},
            "volumes": [{"name": "scratch", "size": "%dGiB" % VOLUME_GIB, "filesystem": "ext4",
                         "mount": "/scratch", "policy": "delete"}],
        },
    }


@pytest.fixture(scope="module")
def state(admin, cloud, project_id):
    """state() -> the cluster's servers, volumes and security groups now."""
    wipe(admin, cloud, project_id, CLUSTER)
    yield lambda: cluster_state(admin, project_id, CLUSTER)
    wipe(admin, cloud, project_id, CLUSTER)


@pytest.fixture(scope="module")
def remember():
    """Volume ids carried from one step to the next (adoption keeps them)."""
    return {}


def assert_ok(result, changed=None):
    assert result.rc == 0, str(result)
    recap = result.recap.get("localhost")
    assert recap and recap["failed"] == 0, str(result)
    if changed is not None:
        assert (recap["changed"] > 0) == changed, \
            "expected %s change, recap %s\n%s" % ("a" if changed else "no", recap, result)


def assert_cluster(admin, cloud, current, expected_nodes):
    """Servers ACTIVE with the cluster's metadata, each node's volume attached (Nova and Cinder
    agree), the keypair and the security group with its rules."""
    servers = current["servers"]
    assert sorted(servers) == sorted(expected_nodes), sorted(servers)
    for name, server in servers.items():
        assert server.status == "ACTIVE", (name, server.status, server.fault)
        kind = "frontend" if "frontend" in name else "compute"
        assert server.metadata["gridcloud_cluster"] == CLUSTER
        assert server.metadata["gridcloud_kind"] == kind
        assert int(server.metadata["gridcloud_index"]) == int(name[-3:])
        assert server.key_name == "%s-key" % CLUSTER
        assert {g["name"] for g in server.security_groups} == {CLUSTER}
        assert server.addresses.get("gridcloud-net"), server.addresses
        volume_name = "%s-%s" % (name, "grid" if kind == "frontend" else "scratch")
        volume = current["volumes"].get(volume_name)
        assert volume is not None, "no volume %s: %s" % (volume_name, sorted(current["volumes"]))
        volume = wait_volume(admin, volume.id, ("in-use",))
        assert volume.size == VOLUME_GIB
        assert volume.metadata["gridcloud_cluster"] == CLUSTER
        assert volume.metadata["gridcloud_node"] == name
        assert [a["server_id"] for a in volume.attachments] == [server.id]
        # Cinder's attachment records (API 3.27+), as the project's user sees them
        attachments = list(cloud.block_storage.attachments(volume_id=volume.id))
        assert [(a.instance, a.status) for a in attachments] == [(server.id, "attached")], \
            [(a.instance, a.status) for a in attachments]
        # and Nova's view of the same attachment
        assert [a.volume_id for a in admin.compute.volume_attachments(server)] == [volume.id]
    assert keypair(cloud, CLUSTER) is not None
    groups = current["security_groups"]
    assert len(groups) == 1
    rules = list(admin.network.security_group_rules(security_group_id=groups[0].id))
    ssh = [r for r in rules if r.direction == "ingress" and r.port_range_min == 22]
    assert ssh and ssh[0].remote_ip_prefix in ("0.0.0.0/0", None), ssh
    members = [r for r in rules if r.direction == "ingress" and r.remote_group_id == groups[0].id]
    assert {r.ether_type for r in members} == {"IPv4", "IPv6"}
    assert not [r for r in rules if r.port_range_min == 443], "443 opened without rest_interface"


def test_create(playbook, write_definition, admin, cloud, state, remember):
    result = playbook(PROVISION, write_definition(CLUSTER, nodes()))
    assert_ok(result, changed=True)
    current = state()
    assert_cluster(admin, cloud, current, ["osh-frontend001", "osh-compute001"])
    remember.update({name: v.id for name, v in current["volumes"].items()})


def test_rerun_changes_nothing(playbook, write_definition, admin, cloud, state, remember):
    result = playbook(PROVISION, write_definition(CLUSTER, nodes()))
    assert_ok(result, changed=False)
    current = state()
    assert_cluster(admin, cloud, current, ["osh-frontend001", "osh-compute001"])
    assert {name: v.id for name, v in current["volumes"].items()} == remember


def test_scale_up(playbook, write_definition, admin, cloud, state, remember):
    result = playbook(PROVISION, write_definition(CLUSTER, nodes(compute_count=2)))
    assert_ok(result, changed=True)
    current = state()
    assert_cluster(admin, cloud, current, ["osh-frontend001", "osh-compute001", "osh-compute002"])
    for name, volume_id in remember.items():
        assert current["volumes"][name].id == volume_id, "volume %s was replaced" % name


def test_scale_down(playbook, write_definition, admin, cloud, state, remember):
    """A lower count: create refuses (surplus nodes), the resize path removes the highest index
    and its volume follows its policy (scratch: delete)."""
    definition = write_definition(CLUSTER, nodes(compute_count=1))
    refused = playbook(PROVISION, definition)
    assert refused.rc != 0, str(refused)
    assert "osh-compute002 exist but the definition no longer asks for them" in refused.flat, \
        str(refused)
    assert "osh-compute002" in state()["servers"]

    result = playbook(PROVISION, definition, "-e", "cluster_remove_surplus=true")
    assert_ok(result, changed=True)
    current = state()
    assert_cluster(admin, cloud, current, ["osh-frontend001", "osh-compute001"])
    assert "osh-compute002-scratch" not in current["volumes"], "policy delete kept the volume"
    assert {name: v.id for name, v in current["volumes"].items()} == remember


def test_destroy_keeping_volumes(playbook, write_definition, admin, cloud, state, remember):
    result = playbook("destroy.yml", write_definition(CLUSTER, nodes()),
                      "-e", "cluster_destroy_volume_policy=keep")
    assert_ok(result, changed=True)
    current = state()
    assert current["servers"] == {}
    assert current["security_groups"] == []
    assert keypair(cloud, CLUSTER) is None
    assert {name: v.id for name, v in current["volumes"].items()} == remember
    for volume in current["volumes"].values():
        volume = wait_volume(admin, volume.id, ("available",))
        assert volume.attachments == []
        assert list(cloud.block_storage.attachments(volume_id=volume.id)) == []


def test_create_again_adopts_kept_volumes(playbook, write_definition, admin, cloud, state,
                                          remember):
    result = playbook(PROVISION, write_definition(CLUSTER, nodes()))
    assert_ok(result, changed=True)
    current = state()
    assert_cluster(admin, cloud, current, ["osh-frontend001", "osh-compute001"])
    assert {name: v.id for name, v in current["volumes"].items()} == remember


def test_destroy_deleting_volumes(playbook, write_definition, state, cloud):
    result = playbook("destroy.yml", write_definition(CLUSTER, nodes()),
                      "-e", "cluster_destroy_volume_policy=delete")
    assert_ok(result, changed=True)
    current = state()
    assert current == {"servers": {}, "volumes": {}, "security_groups": []}, current
    assert keypair(cloud, CLUSTER) is None

    again = playbook("destroy.yml", write_definition(CLUSTER, nodes()),
                     "-e", "cluster_destroy_volume_policy=delete")
    assert_ok(again, changed=False)


# ----------------------------------------------------------------------------- bad input
BAD = "oshbad"


@pytest.fixture
def bad_state(admin, cloud, project_id):
    wipe(admin, cloud, project_id, BAD)
    yield lambda: cluster_state(admin, project_id, BAD)
    wipe(admin, cloud, project_id, BAD)


def assert_nothing_left(current, cloud):
    assert current == {"servers": {}, "volumes": {}, "security_groups": []}, current
    assert keypair(cloud, BAD) is None


def test_missing_flavor(playbook, write_definition, bad_state, cloud):
    result = playbook(PROVISION,
                      write_definition(BAD, nodes(flavor="no.such.flavor"), "missing-flavor.yml"))
    assert result.rc != 0, str(result)
    assert ("flavor no.such.flavor (kind compute) does not exist in the cloud; list them with "
            "`openstack flavor list`") in result.flat, str(result)
    assert_nothing_left(bad_state(), cloud)


def test_volume_over_quota(playbook, write_definition, bad_state, cloud, admin, project_id):
    before = admin.block_storage.get_quota_set(project_id)
    limit = 5
    admin.block_storage.update_quota_set(project_id, gigabytes=limit)
    try:
        result = playbook(PROVISION, write_definition(
            BAD, nodes(frontend_volume_size="%dGiB" % (limit + 3)), "over-quota.yml"))
    finally:
        admin.block_storage.update_quota_set(project_id, gigabytes=before.gigabytes)
    assert result.rc != 0, str(result)
    assert ("volume quota: 1 frontend, 1 compute node(s) need %d gigabytes, %d of %d are free"
            % (limit + 3 + VOLUME_GIB, limit, limit)) in result.flat, str(result)
    assert_nothing_left(bad_state(), cloud)
