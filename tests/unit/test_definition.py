# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/module_utils/definition.py."""

from __future__ import annotations

import copy


import pytest

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers import (
    PROVIDER_NAMES,
    PROVIDERS,
)
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers import (
    provider_class,
)
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.definition import (
    INVENTORY_PLUGIN,
    definition_source,
    elastic_nodes,
    MIN_VOLUME_BYTES,
    DefinitionError,
    node_name,
    parse_size,
    planned_nodes,
    validate_definition,
)

GIB = 1024 ** 3
MIB = 1024 ** 2


def minimal_definition():
    return {"cluster": {"name": "demo", "nodes": {"frontend": {"count": 1}}}}


def full_definition():
    return {
        "cluster": {
            "name": "demo",
            "nodes": {
                "frontend": {
                    "count": 1,
                    "groups": ["slurm_controller", "nfs_server", "arc_ce", "act"],
                    "volumes": [
                        {"name": "shared", "size": "1GiB", "filesystem": "ext4",
                         "mount": "/srv/shared"},
                    ],
                },
                "compute": {
                    "count": 2,
                    "groups": ["slurm_worker", "nfs_client", "cvmfs_client"],
                },
            },
        }
    }


def problems_of(data, base_dir="."):
    """Validate data, expect a DefinitionError and return (problems, message)."""
    with pytest.raises(DefinitionError) as info:
        validate_definition(data, base_dir=base_dir)
    return info.value.problems, str(info.value)


# --------------------------------------------------------------------------- valid definitions

def test_minimal_definition_normal_form(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    data = minimal_definition()
    result = validate_definition(data)
    assert result == {
        "name": "demo",
        "provider": "podman",
        "release": "trixie",
        "podman": {"shared_dirs": []},
        "openstack": {},
        "libvirt": {},
        "nodes": {
            "frontend": {"count": 1, "groups": [], "resources": {}, "volumes": [],
                         "image": None, "elastic": None},
        },
        "hooks": {"before": [], "after_storage": [], "after": []},
        "secrets_dir": str(tmp_path / "gridcloud" / "clusters" / "demo" / "secrets"),
        "vars": {},
        "shared_dirs": [],
        "provider_settings": {"shared_dirs": []},
        "elastic_controller": None,
    }


def test_full_definition_normal_form():
    result = validate_definition(full_definition())

    assert sorted(result) == ["elastic_controller", "hooks", "libvirt", "name", "nodes",
                              "openstack", "podman", "provider", "provider_settings", "release",
                              "secrets_dir", "shared_dirs", "vars"]
    assert result["elastic_controller"] is None
    assert result["name"] == "demo"
    assert result["provider"] == "podman"
    assert result["release"] == "trixie"
    assert result["podman"] == {"shared_dirs": []}
    assert result["openstack"] == {}
    assert result["vars"] == {}
    assert result["hooks"] == {"before": [], "after_storage": [], "after": []}
    assert list(result["hooks"]) == ["before", "after_storage", "after"]

    nodes = result["nodes"]
    assert list(nodes) == ["frontend", "compute"]  # the order of the file is kept

    frontend = nodes["frontend"]
    assert sorted(frontend) == ["count", "elastic", "groups", "image", "resources", "volumes"]
    assert frontend["elastic"] is None
    assert frontend["count"] == 1
    assert frontend["groups"] == ["slurm_controller", "nfs_server", "arc_ce", "act"]
    assert frontend["resources"] == {}
    assert frontend["image"] is None
    assert len(frontend["volumes"]) == 1
    volume = frontend["volumes"][0]
    assert sorted(volume) == ["filesystem", "mount", "mount_options", "name", "policy", "size",
                              "size_bytes"]
    assert volume["name"] == "shared"
    assert volume["size"] == "1GiB"
    assert volume["size_bytes"] == 1073741824
    assert volume["filesystem"] == "ext4"
    assert volume["mount"] == "/srv/shared"
    assert volume["policy"] == "keep"
    assert volume["mount_options"] == "defaults"

    compute = nodes["compute"]
    assert compute["count"] == 2
    assert compute["groups"] == ["slurm_worker", "nfs_client", "cvmfs_client"]
    assert compute["resources"] == {}
    assert compute["volumes"] == []
    assert compute["image"] is None


def test_defaults_applied_to_volume_without_filesystem():
    data = full_definition()
    del data["cluster"]["nodes"]["frontend"]["volumes"][0]["filesystem"]
    volume = validate_definition(data)["nodes"]["frontend"]["volumes"][0]
    assert volume["filesystem"] == "ext4"
    assert volume["policy"] == "keep"
    assert volume["mount_options"] == "defaults"


def test_validation_does_not_change_its_input_and_returns_copies():
    data = full_definition()
    before = copy.deepcopy(data)
    result = validate_definition(data)
    assert data == before
    result["nodes"]["compute"]["groups"].append("act")
    result["nodes"]["frontend"]["resources"]["cpus"] = 9
    assert data == before


def test_explicit_settings_are_kept():
    data = full_definition()
    cluster = data["cluster"]
    cluster.update({
        "provider": "openstack",
        "release": "bookworm",
        "openstack": {"cloud": "mycloud"},
        "vars": {"slurm_partition": "main"},
    })
    cluster["nodes"]["frontend"]["resources"] = {"flavor": "m1.large"}
    cluster["nodes"]["frontend"]["image"] = "debian-12"
    cluster["nodes"]["frontend"]["volumes"][0].update(
        {"filesystem": "xfs", "policy": "delete", "mount_options": "defaults,noatime",
         "size": 2})
    cluster["nodes"]["compute"]["resources"] = {"flavor": "m1.medium", "cpus": 2,
                                                "memory": "4GiB"}
    result = validate_definition(data)
    assert result["provider"] == "openstack"
    assert result["release"] == "bookworm"
    assert result["openstack"] == {"cloud": "mycloud"}
    assert result["vars"] == {"slurm_partition": "main"}
    frontend = result["nodes"]["frontend"]
    assert frontend["image"] == "debian-12"
    assert frontend["resources"] == {"flavor": "m1.large"}
    assert frontend["volumes"][0]["filesystem"] == "xfs"
    assert frontend["volumes"][0]["policy"] == "delete"
    assert frontend["volumes"][0]["mount_options"] == "defaults,noatime"
    assert frontend["volumes"][0]["size"] == 2
    assert frontend["volumes"][0]["size_bytes"] == 2 * GIB
    assert result["nodes"]["compute"]["resources"] == {"flavor": "m1.medium", "cpus": 2,
                                                       "memory": "4GiB"}


def test_podman_settings_are_kept():
    data = minimal_definition()
    data["cluster"]["podman"] = {"network": "arcnet", "subnet": "10.89.7.0/24",
                                 "capabilities": ["DAC_READ_SEARCH"]}
    result = validate_definition(data)
    assert result["podman"] == {"network": "arcnet", "subnet": "10.89.7.0/24",
                                "capabilities": ["DAC_READ_SEARCH"], "shared_dirs": []}


def test_mount_point_is_normalised():
    data = full_definition()
    data["cluster"]["nodes"]["frontend"]["volumes"][0]["mount"] = "/srv//shared/"
    result = validate_definition(data)
    assert result["nodes"]["frontend"]["volumes"][0]["mount"] == "/srv/shared"


def test_count_zero_is_valid():
    data = full_definition()
    data["cluster"]["nodes"]["compute"]["count"] = 0
    assert validate_definition(data)["nodes"]["compute"]["count"] == 0


@pytest.mark.parametrize("name", ["a", "demo", "my-cluster-1", "a" * 32])
def test_valid_cluster_names(name):
    data = minimal_definition()
    data["cluster"]["name"] = name
    assert validate_definition(data)["name"] == name


def test_same_mount_point_in_different_kinds_is_valid():
    data = full_definition()
    data["cluster"]["nodes"]["compute"]["volumes"] = [
        {"name": "shared", "size": "1GiB", "mount": "/srv/shared"}]
    result = validate_definition(data)
    assert result["nodes"]["compute"]["volumes"][0]["mount"] == "/srv/shared"


# ---------------------------------------------------------------------------------- parse_size

@pytest.mark.parametrize("value, expected", [
    ("1GiB", GIB),
    ("512M", 512 * MIB),
    ("500MiB", 500 * MIB),
    ("2TiB", 2 * 1024 ** 4),
    ("10G", 10 * GIB),
    (3, 3 * GIB),
    ("1.5GiB", 1610612736),
    ("2048MiB", 2 * GIB),
    ("64MiB", MIN_VOLUME_BYTES),
    ("4K", 4096),
    ("4KiB", 4096),
    ("100B", 100),
    ("1gib", GIB),
    (" 2 GiB ", 2 * GIB),
    ("2", 2 * GIB),
])
def test_parse_size_good(value, expected):
    assert parse_size(value) == expected


@pytest.mark.parametrize("value", [
    "", "abc", -1, 0, True, False, "1 XB", None, "0", "0GiB", "-1GiB", "1 gigabyte",
    "GiB", 1.5, [1], {"size": 1}, "1GiBs", "1e3",
])
def test_parse_size_bad(value):
    with pytest.raises(ValueError):
        parse_size(value)


# ----------------------------------------------------------------------- malformed definitions

def _kind(data, kind):
    return data["cluster"]["nodes"][kind]


def _volume(data, kind="frontend", index=0):
    return data["cluster"]["nodes"][kind]["volumes"][index]


def unknown_top_level_key(data):
    data["clusters"] = {}


def unknown_cluster_key(data):
    data["cluster"]["node"] = {}


def unknown_kind_key(data):
    _kind(data, "compute")["cpus"] = 2


def unknown_group(data):
    _kind(data, "compute")["groups"] = ["slurm_worker", "nfs_clients", "cvmfs_client"]


def negative_count(data):
    _kind(data, "compute")["count"] = -1


def missing_count(data):
    del _kind(data, "compute")["count"]


def count_not_an_integer(data):
    _kind(data, "compute")["count"] = "two"


def count_is_a_bool(data):
    _kind(data, "compute")["count"] = True


def count_too_large(data):
    _kind(data, "compute")["count"] = 1000


def duplicate_mount(data):
    _kind(data, "frontend")["volumes"].append(
        {"name": "other", "size": "1GiB", "mount": "/srv/shared/"})


def bad_size(data):
    _volume(data)["size"] = "1 gigabyte"


def size_below_minimum(data):
    _volume(data)["size"] = "32MiB"


def missing_size(data):
    del _volume(data)["size"]


def bad_filesystem(data):
    _volume(data)["filesystem"] = "btrfs"


def bad_cluster_name(data):
    data["cluster"]["name"] = "Upper_case"


def missing_cluster_name(data):
    del data["cluster"]["name"]


def cluster_name_with_newline(data):
    data["cluster"]["name"] = "demo\n"


def bad_provider(data):
    data["cluster"]["provider"] = "docker"


def bad_release(data):
    data["cluster"]["release"] = "jessie"


def missing_nodes(data):
    del data["cluster"]["nodes"]


def empty_nodes(data):
    data["cluster"]["nodes"] = {}


def nodes_not_a_mapping(data):
    data["cluster"]["nodes"] = ["frontend"]


def reserved_mount(data):
    _volume(data)["mount"] = "/etc"


def reserved_mount_after_normalising(data):
    _volume(data)["mount"] = "/srv/../var/"


def relative_mount(data):
    _volume(data)["mount"] = "srv/shared"


def two_slurm_controllers(data):
    _kind(data, "frontend")["groups"] = ["slurm_controller"]
    _kind(data, "frontend")["count"] = 2


def slurm_controller_in_two_kinds(data):
    data["cluster"]["nodes"]["backup"] = {"count": 1, "groups": ["slurm_controller"]}


def negative_count_does_not_hide_second_controller(data):
    # The -1 must not cancel out the extra controller: both problems are reported at once.
    _kind(data, "frontend")["groups"] = ["slurm_controller"]
    _kind(data, "frontend")["count"] = 2
    data["cluster"]["nodes"]["backup"] = {"count": -1, "groups": ["slurm_controller"]}


def worker_without_controller(data):
    _kind(data, "frontend")["groups"] = ["nfs_server", "arc_ce", "act"]


def hook_missing(data):
    data["cluster"]["hooks"] = {"after": ["does-not-exist.yml"]}


def hook_unknown_point(data):
    data["cluster"]["hooks"] = {"before_storage": []}


def hook_not_a_path(data):
    data["cluster"]["hooks"] = {"before": [42]}


def secrets_dir_is_a_file(data):
    data["cluster"]["secrets_dir"] = __file__


def secrets_dir_empty(data):
    data["cluster"]["secrets_dir"] = " "


def hooks_not_a_mapping(data):
    data["cluster"]["hooks"] = ["site.yml"]


def openstack_without_flavor(data):
    data["cluster"]["provider"] = "openstack"
    _kind(data, "frontend")["resources"] = {"flavor": "m1.large"}


def volume_policy_destroy(data):
    _volume(data)["policy"] = "destroy"


def duplicate_volume_name(data):
    _kind(data, "frontend")["volumes"].append(
        {"name": "shared", "size": "1GiB", "mount": "/srv/other"})


def bad_volume_name(data):
    _volume(data)["name"] = "Shared"


def unknown_volume_key(data):
    _volume(data)["fs"] = "xfs"


def mount_options_with_space(data):
    _volume(data)["mount_options"] = "defaults, noatime"


def volumes_not_a_list(data):
    _kind(data, "compute")["volumes"] = {"name": "scratch"}


def volume_not_a_mapping(data):
    _kind(data, "compute")["volumes"] = ["scratch"]


def groups_not_a_list(data):
    _kind(data, "compute")["groups"] = "slurm_worker"


def group_listed_twice(data):
    _kind(data, "compute")["groups"] = ["slurm_worker", "nfs_client", "slurm_worker"]


def bad_kind_name(data):
    data["cluster"]["nodes"]["Big_Nodes"] = {"count": 1}


def reserved_kind_name(data):
    data["cluster"]["nodes"]["all"] = {"count": 1}


def kind_not_a_mapping(data):
    data["cluster"]["nodes"]["extra"] = 3


def bad_cpus(data):
    _kind(data, "compute")["resources"] = {"cpus": 0}


def bad_memory(data):
    _kind(data, "compute")["resources"] = {"memory": "lots"}


def unknown_resource_key(data):
    _kind(data, "compute")["resources"] = {"gpus": 2}


def unknown_podman_key(data):
    data["cluster"]["podman"] = {"netwrok": "arcnet"}


def bad_podman_capabilities(data):
    data["cluster"]["podman"] = {"capabilities": "DAC_READ_SEARCH"}


def cluster_not_a_mapping(data):
    data["cluster"] = "demo"


def vars_not_a_mapping(data):
    data["cluster"]["vars"] = ["a"]


def wrong_inventory_plugin(data):
    data["plugin"] = "other.collection.cluster"


MALFORMED = [
    # (mutation, field path, hint)
    (unknown_top_level_key, "clusters", "unknown top-level key; put everything under 'cluster'"),
    (unknown_cluster_key, "cluster.node", "unknown key; allowed keys are"),
    (unknown_kind_key, "cluster.nodes.compute.cpus",
     "unknown key; allowed keys are count, elastic, groups, image, resources, volumes"),
    (unknown_group, "cluster.nodes.compute.groups[1]", "unknown group 'nfs_clients'"),
    (negative_count, "cluster.nodes.compute.count", "-1 is not a whole number of 0 or more"),
    (missing_count, "cluster.nodes.compute.count", "required; give the number of nodes"),
    (count_not_an_integer, "cluster.nodes.compute.count",
     "'two' is not a whole number of 0 or more; give for example count: 2"),
    (count_is_a_bool, "cluster.nodes.compute.count", "True is not a whole number"),
    (count_too_large, "cluster.nodes.compute.count", "1000 is more than 999"),
    (duplicate_mount, "cluster.nodes.frontend.volumes[1].mount",
     "/srv/shared is already the mount point of cluster.nodes.frontend.volumes[0]; give each "
     "volume of a kind its own mount point"),
    (bad_size, "cluster.nodes.frontend.volumes[0].size",
     "'1 gigabyte' is not a size; write a number with a binary unit, for example 1GiB"),
    (size_below_minimum, "cluster.nodes.frontend.volumes[0].size",
     "'32MiB' is below the minimum of 64MiB; give at least 64MiB"),
    (missing_size, "cluster.nodes.frontend.volumes[0].size", "required; give a size"),
    (bad_filesystem, "cluster.nodes.frontend.volumes[0].filesystem",
     "'btrfs' is not supported; use one of ext4, xfs"),
    (bad_cluster_name, "cluster.name", "lower-case letters, digits and '-'"),
    (missing_cluster_name, "cluster.name", "required"),
    (cluster_name_with_newline, "cluster.name", "(got 'demo\\n')"),
    (bad_provider, "cluster.provider", "'docker' is not a provider; use podman"),
    (bad_release, "cluster.release", "'jessie' is not supported; use trixie"),
    (missing_nodes, "cluster.nodes", "required; define at least one node kind"),
    (empty_nodes, "cluster.nodes", "empty; define at least one node kind"),
    (nodes_not_a_mapping, "cluster.nodes", "must be a mapping, got list"),
    (reserved_mount, "cluster.nodes.frontend.volumes[0].mount",
     "/etc is a system directory; mount the volume under /srv, /data or /mnt instead"),
    (reserved_mount_after_normalising, "cluster.nodes.frontend.volumes[0].mount",
     "/var is a system directory"),
    (relative_mount, "cluster.nodes.frontend.volumes[0].mount",
     "required; give an absolute path"),
    (two_slurm_controllers, "cluster.nodes",
     "group slurm_controller would have 2 nodes (kinds frontend); it must have at most one"),
    (slurm_controller_in_two_kinds, "cluster.nodes",
     "group slurm_controller would have 2 nodes (kinds frontend, backup)"),
    (worker_without_controller, "cluster.nodes",
     "slurm_worker nodes but no slurm_controller; add slurm_controller to the groups"),
    (secrets_dir_is_a_file, "cluster.secrets_dir", "is not a directory"),
    (secrets_dir_empty, "cluster.secrets_dir", "must be a directory path"),
    (hook_missing, "cluster.hooks.after[0]",
     "does-not-exist.yml does not exist (relative paths are relative to the definition file)"),
    (hook_unknown_point, "cluster.hooks.before_storage",
     "unknown key; allowed keys are after, after_storage, before"),
    (hook_not_a_path, "cluster.hooks.before[0]", "must be a playbook path"),
    (hooks_not_a_mapping, "cluster.hooks", "must be a mapping, got list"),
    (openstack_without_flavor, "cluster.nodes.compute.resources.flavor",
     "required with provider openstack; name a flavor"),
    (volume_policy_destroy, "cluster.nodes.frontend.volumes[0].policy",
     "'destroy' is not a policy; use keep (the default) or delete"),
    (duplicate_volume_name, "cluster.nodes.frontend.volumes[1].name",
     "'shared' is used twice; give each volume of a kind its own name"),
    (bad_volume_name, "cluster.nodes.frontend.volumes[0].name", "(got 'Shared')"),
    (unknown_volume_key, "cluster.nodes.frontend.volumes[0].fs", "unknown key"),
    (mount_options_with_space, "cluster.nodes.frontend.volumes[0].mount_options",
     "one comma-separated string"),
    (volumes_not_a_list, "cluster.nodes.compute.volumes", "must be a list of volumes"),
    (volume_not_a_mapping, "cluster.nodes.compute.volumes[0]", "must be a mapping, got str"),
    (groups_not_a_list, "cluster.nodes.compute.groups", "must be a list of group names"),
    (group_listed_twice, "cluster.nodes.compute.groups", "lists a group twice"),
    (bad_kind_name, "cluster.nodes.Big_Nodes", "kind names are lower-case letters and digits"),
    (reserved_kind_name, "cluster.nodes.all", "'all' is reserved"),
    (kind_not_a_mapping, "cluster.nodes.extra", "must be a mapping, got int"),
    (bad_cpus, "cluster.nodes.compute.resources.cpus", "0 is not a positive number of CPUs"),
    (bad_memory, "cluster.nodes.compute.resources.memory", "'lots' is not a size"),
    (unknown_resource_key, "cluster.nodes.compute.resources.gpus", "unknown key"),
    (unknown_podman_key, "cluster.podman.netwrok", "unknown key"),
    (bad_podman_capabilities, "cluster.podman.capabilities", "must be a list of capability"),
    (cluster_not_a_mapping, "cluster", "must be a mapping, got str"),
    (vars_not_a_mapping, "cluster.vars", "must be a mapping, got list"),
    (wrong_inventory_plugin, "plugin", "must be gridcloud.arc_cluster.cluster"),
]

# Mutations that, on the full definition, cause more than one problem.
EXTRA_PROBLEMS = {negative_count_does_not_hide_second_controller: 2}
MALFORMED.append(
    (negative_count_does_not_hide_second_controller, "cluster.nodes",
     "group slurm_controller would have 2 nodes (kinds frontend, backup)"))


@pytest.mark.parametrize("mutate, path, hint", MALFORMED,
                         ids=[case[0].__name__ for case in MALFORMED])
def test_malformed_definition_names_the_field(mutate, path, hint, tmp_path):
    data = full_definition()
    mutate(data)
    problems, message = problems_of(data, base_dir=str(tmp_path))
    assert len(problems) == EXTRA_PROBLEMS.get(mutate, 1), problems
    matching = [p for p in problems if p.startswith(path + ":")]
    assert matching, "no problem names %s: %s" % (path, problems)
    assert any(hint in p for p in matching), "no problem for %s says %r: %s" % (
        path, hint, problems)
    assert path in message
    assert hint in message


def test_negative_count_is_reported_with_the_controller_problem():
    data = full_definition()
    negative_count_does_not_hide_second_controller(data)
    problems = problems_of(data)[0]
    assert any(p.startswith("cluster.nodes.backup.count: -1 is not a whole number")
               for p in problems), problems


@pytest.mark.parametrize("data", [None, [], "cluster", {}, {"clusters": {}}],
                         ids=["none", "list", "string", "empty", "no-cluster-key"])
def test_definition_without_cluster_key(data):
    problems, message = problems_of(data)
    assert len(problems) == 1
    assert problems[0].startswith("cluster: the file must have a top-level key 'cluster'")
    assert "the cluster definition has 1 problem(s):" in message


@pytest.mark.parametrize("name", ["Upper_case", "demo-", "-demo", "1demo", "de mo", "a" * 33,
                                  "demo\n", "", 7, None])
def test_invalid_cluster_names(name):
    data = minimal_definition()
    data["cluster"]["name"] = name
    problems = problems_of(data)[0]
    assert len(problems) == 1
    assert problems[0].startswith("cluster.name: required; lower-case letters")
    assert "(got %r)" % (name,) in problems[0]


@pytest.mark.parametrize("kind", ["before", "after", "after_storage", "ungrouped", "act"])
def test_reserved_kind_names(kind):
    data = minimal_definition()
    data["cluster"]["nodes"][kind] = {"count": 1}
    problems = problems_of(data)[0]
    assert any(p.startswith("cluster.nodes.%s:" % kind) for p in problems), problems


@pytest.mark.parametrize("mount", ["/", "/etc", "/usr/", "/var", "/tmp", "/proc", "//boot/."])
def test_reserved_mounts(mount):
    data = full_definition()
    _volume(data)["mount"] = mount
    problems = problems_of(data)[0]
    assert len(problems) == 1
    assert problems[0].startswith("cluster.nodes.frontend.volumes[0].mount:")
    assert "is a system directory" in problems[0]


def test_shared_dirs_are_normalised():
    data = minimal_definition()
    data["cluster"]["podman"] = {"shared_dirs": ["/srv//grid/", "/home"]}
    assert validate_definition(data)["podman"]["shared_dirs"] == ["/srv/grid", "/home"]


@pytest.mark.parametrize("shared, message", [
    ("srv/grid", "give an absolute path"),
    ("/var", "is a system directory"),
    (7, "give an absolute path"),
])
def test_bad_shared_dir(shared, message):
    data = minimal_definition()
    data["cluster"]["podman"] = {"shared_dirs": [shared]}
    problems = problems_of(data)[0]
    assert len(problems) == 1
    assert problems[0].startswith("cluster.podman.shared_dirs[0]:")
    assert message in problems[0]


def test_shared_dirs_must_be_a_list():
    data = minimal_definition()
    data["cluster"]["podman"] = {"shared_dirs": "/srv/grid"}
    problems = problems_of(data)[0]
    assert problems == ["cluster.podman.shared_dirs: must be a list of absolute paths such as "
                        "[/srv/shared] (got '/srv/grid')"]


def test_nested_shared_dirs_are_refused():
    data = minimal_definition()
    data["cluster"]["podman"] = {"shared_dirs": ["/srv/grid", "/srv/grid/session"]}
    problems = problems_of(data)[0]
    assert len(problems) == 1
    assert problems[0].startswith("cluster.podman.shared_dirs[1]: /srv/grid/session is inside")


@pytest.mark.parametrize("shared", ["/srv/shared", "/srv", "/srv/shared/session"])
def test_shared_dir_overlapping_a_volume_is_refused(shared):
    data = full_definition()
    _volume(data)["mount"] = "/srv/shared"
    data["cluster"]["podman"] = {"shared_dirs": [shared]}
    problems = problems_of(data)[0]
    assert len(problems) == 1
    assert problems[0].startswith("cluster.nodes.frontend.volumes[0].mount: /srv/shared overlaps "
                                  "the shared dir %s" % shared)


@pytest.mark.parametrize("group", ["nfs_server", "arc_ce", "act"])
def test_single_node_groups(group):
    data = minimal_definition()
    data["cluster"]["nodes"]["frontend"] = {"count": 2, "groups": [group]}
    problems = problems_of(data)[0]
    assert problems == ["cluster.nodes: group %s would have 2 nodes (kinds frontend); it must "
                        "have at most one, so give that kind count 1" % group]


def test_openstack_without_flavor_reports_each_kind():
    data = full_definition()
    data["cluster"]["provider"] = "openstack"
    problems = problems_of(data)[0]
    assert sorted(p.split(":")[0] for p in problems) == [
        "cluster.nodes.compute.resources.flavor",
        "cluster.nodes.frontend.resources.flavor",
    ]


def test_several_problems_are_reported_together(tmp_path):
    data = full_definition()
    data["extra"] = 1
    cluster = data["cluster"]
    cluster["name"] = "Upper_case"
    cluster["provider"] = "docker"
    cluster["release"] = "jessie"
    cluster["hooks"] = {"before": ["missing.yml"]}
    compute = cluster["nodes"]["compute"]
    compute["count"] = "two"
    compute["groups"] = ["slurm_worker", "nfs_clients"]
    volume = cluster["nodes"]["frontend"]["volumes"][0]
    volume["size"] = "1 gigabyte"
    volume["filesystem"] = "btrfs"
    volume["mount"] = "/etc"
    volume["policy"] = "destroy"

    with pytest.raises(DefinitionError) as info:
        validate_definition(data, base_dir=str(tmp_path))
    error = info.value
    fields = [p.split(": ")[0] for p in error.problems]
    assert sorted(fields) == sorted([
        "extra",
        "cluster.name",
        "cluster.provider",
        "cluster.release",
        "cluster.hooks.before[0]",
        "cluster.nodes.compute.count",
        "cluster.nodes.compute.groups[1]",
        "cluster.nodes.frontend.volumes[0].size",
        "cluster.nodes.frontend.volumes[0].filesystem",
        "cluster.nodes.frontend.volumes[0].mount",
        "cluster.nodes.frontend.volumes[0].policy",
    ])
    assert len(error.problems) == 11
    lines = str(error).splitlines()
    assert lines[0] == "the cluster definition has 11 problem(s):"
    assert lines[1:] == ["  - %s" % p for p in error.problems]
    assert error.message == str(error)


def test_definition_error_is_an_exception_with_problems():
    error = DefinitionError(("a: one", "b: two"))
    assert isinstance(error, Exception)
    assert error.problems == ["a: one", "b: two"]
    assert str(error) == "the cluster definition has 2 problem(s):\n  - a: one\n  - b: two"


# ------------------------------------------------------------------------------------- hooks

def test_hooks_resolve_relative_to_base_dir(tmp_path):
    (tmp_path / "hooks").mkdir()
    (tmp_path / "hooks" / "pre.yml").write_text("- hosts: all\n")
    (tmp_path / "post.yml").write_text("- hosts: all\n")
    data = minimal_definition()
    data["cluster"]["hooks"] = {
        "before": ["hooks/pre.yml"],
        "after": "post.yml",  # a single path is accepted too
        "after_storage": None,
    }
    result = validate_definition(data, base_dir=str(tmp_path))
    assert result["hooks"] == {
        "before": [str(tmp_path / "hooks" / "pre.yml")],
        "after_storage": [],
        "after": [str(tmp_path / "post.yml")],
    }


def test_absolute_hook_path(tmp_path):
    playbook = tmp_path / "site.yml"
    playbook.write_text("- hosts: all\n")
    data = minimal_definition()
    data["cluster"]["hooks"] = {"after": [str(playbook)]}
    result = validate_definition(data, base_dir="/nonexistent")
    assert result["hooks"]["after"] == [str(playbook)]


def test_hook_that_is_a_directory_is_rejected(tmp_path):
    (tmp_path / "hooks").mkdir()
    data = minimal_definition()
    data["cluster"]["hooks"] = {"after": ["hooks"]}
    problems = problems_of(data, base_dir=str(tmp_path))[0]
    assert len(problems) == 1
    assert problems[0].startswith("cluster.hooks.after[0]: playbook %s does not exist"
                                  % (tmp_path / "hooks"))


# -------------------------------------------------------------------- plugin and planned_nodes

def test_inventory_plugin_key_is_allowed():
    data = full_definition()
    data["plugin"] = INVENTORY_PLUGIN
    assert INVENTORY_PLUGIN == "gridcloud.arc_cluster.cluster"
    result = validate_definition(data)
    assert "plugin" not in result
    assert result == validate_definition(full_definition())


def test_planned_nodes():
    nodes = planned_nodes(validate_definition(full_definition()))
    assert [n["name"] for n in nodes] == ["demo-frontend001", "demo-compute001",
                                          "demo-compute002"]
    assert [(n["kind"], n["index"]) for n in nodes] == [("frontend", 1), ("compute", 1),
                                                        ("compute", 2)]
    assert nodes[0]["groups"] == ["slurm_controller", "nfs_server", "arc_ce", "act"]
    assert nodes[0]["volumes"][0]["size_bytes"] == GIB
    assert nodes[1]["groups"] == ["slurm_worker", "nfs_client", "cvmfs_client"]
    assert nodes[1]["volumes"] == []
    nodes[1]["groups"].append("act")  # each node gets its own copy
    assert nodes[2]["groups"] == ["slurm_worker", "nfs_client", "cvmfs_client"]


def test_planned_nodes_skips_kinds_with_count_zero():
    data = full_definition()
    data["cluster"]["nodes"]["compute"]["count"] = 0
    nodes = planned_nodes(validate_definition(data))
    assert [n["name"] for n in nodes] == ["demo-frontend001"]


# --------------------------------------------------------------------------------- node_name

@pytest.mark.parametrize("cluster, kind, index, expected", [
    ("demo", "compute", 2, "demo-compute002"),
    ("demo", "frontend", 1, "demo-frontend001"),
    ("my-cluster", "compute", 42, "my-cluster-compute042"),
    ("demo", "compute", 999, "demo-compute999"),
])
def test_node_name(cluster, kind, index, expected):
    assert node_name(cluster, kind, index) == expected


def test_xfs_volume_below_300mib_is_refused_naming_the_size():
    data = {"cluster": {"name": "demo", "nodes": {"frontend": {"count": 1, "volumes": [
        {"name": "data", "size": "256MiB", "filesystem": "xfs", "mount": "/srv/data"}]}}}}
    with pytest.raises(DefinitionError) as err:
        validate_definition(data)
    assert err.value.problems == [
        "cluster.nodes.frontend.volumes[0].size: '256MiB' is too small for xfs, which needs at "
        "least 300MiB; give a larger size or filesystem ext4"]


# ------------------------------------------------------------- the provider registry

def test_every_registered_provider_has_a_settings_block_in_the_normal_form():
    result = validate_definition(minimal_definition())
    for name in PROVIDER_NAMES:
        assert isinstance(result[name], dict)
    assert result["provider_settings"] == result["podman"]


def test_an_unknown_provider_names_every_registered_one():
    data = minimal_definition()
    data["cluster"]["provider"] = "vmware"
    problems = problems_of(data)[0]
    assert problems == ["cluster.provider: 'vmware' is not a provider; use "
                        + ", ".join("%s (%s)" % (name, PROVIDERS[name][1])
                                    for name in PROVIDER_NAMES)]


def test_the_active_providers_shared_dirs_are_in_the_normal_form():
    data = minimal_definition()
    data["cluster"]["podman"] = {"shared_dirs": ["/srv/grid/"]}
    assert validate_definition(data)["shared_dirs"] == ["/srv/grid"]
    data["cluster"]["provider"] = "openstack"
    data["cluster"]["openstack"] = {"cloud": "mycloud"}
    data["cluster"]["nodes"]["frontend"]["resources"] = {"flavor": "m1.small"}
    assert validate_definition(data)["shared_dirs"] == []  # podman's are not openstack's


# --------------------------------------------------------------------------- elastic kinds

@pytest.fixture
def elastic_podman(monkeypatch):
    """The podman provider as one that can make elastic nodes."""
    monkeypatch.setattr(provider_class("podman"), "elastic", True)


def elastic_definition(**elastic):
    data = full_definition()
    data["cluster"]["nodes"]["compute"]["count"] = 1
    data["cluster"]["nodes"]["compute"]["elastic"] = elastic or {"max": 3}
    data["cluster"]["nodes"]["compute"]["resources"] = {"cpus": 1.5, "memory": "2GiB"}
    return data


def test_an_elastic_kind_in_normal_form(elastic_podman):
    result = validate_definition(elastic_definition(max=3))

    assert result["nodes"]["compute"]["elastic"] == {"max": 3, "idle": 300}
    assert result["nodes"]["frontend"]["elastic"] is None
    # the podman provider: its client, talking to the host's service mounted into the node
    assert result["elastic_controller"] == {
        "packages": ["podman"],
        "environment": {"CONTAINER_HOST": "unix:///run/gridcloud-host-podman/podman.sock"},
        "collections": ["containers.podman"]}
    assert result["provider_settings"]["elastic"] is True
    assert result["provider_settings"]["api_socket"] == "/run/gridcloud/podman/podman.sock"
    # the planned nodes are the count; the elastic ones the indices above it, up to max
    assert [n["name"] for n in planned_nodes(result)] == ["demo-frontend001", "demo-compute001"]
    elastic = elastic_nodes(result)
    assert [n["name"] for n in elastic] == ["demo-compute002", "demo-compute003"]
    assert [n["index"] for n in elastic] == [2, 3]
    assert elastic[0]["groups"] == ["slurm_worker", "nfs_client", "cvmfs_client"]
    # what slurm.conf says each will have, before it exists
    assert (elastic[0]["cpus"], elastic[0]["memory_mb"], elastic[0]["idle"]) == (1.5, 2048, 300)


def test_an_elastic_kind_may_have_count_zero(elastic_podman):
    data = elastic_definition(max=2, idle=120)
    data["cluster"]["nodes"]["compute"]["count"] = 0
    result = validate_definition(data)

    assert result["nodes"]["compute"]["elastic"] == {"max": 2, "idle": 120}
    assert [n["name"] for n in elastic_nodes(result)] == ["demo-compute001", "demo-compute002"]
    assert elastic_nodes(validate_definition(full_definition())) == []


@pytest.mark.parametrize("elastic, path, hint", [
    ({}, "cluster.nodes.compute.elastic.max", "required"),
    ({"max": 1}, "cluster.nodes.compute.elastic.max", "not above count (1)"),
    ({"max": "3"}, "cluster.nodes.compute.elastic.max", "a whole number above count"),
    ({"max": 1000}, "cluster.nodes.compute.elastic.max", "more than 999"),
    ({"max": 3, "idle": 30}, "cluster.nodes.compute.elastic.idle", "of 60 or more"),
    ({"max": 3, "idle": True}, "cluster.nodes.compute.elastic.idle", "idle: 300"),
    ({"max": 3, "grow": 1}, "cluster.nodes.compute.elastic.grow", "unknown key"),
    ([3], "cluster.nodes.compute.elastic", "must be a mapping"),
])
def test_a_bad_elastic_block_names_the_field(elastic_podman, elastic, path, hint):
    data = elastic_definition()
    data["cluster"]["nodes"]["compute"]["elastic"] = elastic

    problems = problems_of(data)[0]

    assert any(p.startswith(path + ":") and hint in p for p in problems), problems


@pytest.mark.parametrize("groups, hint", [
    (["nfs_client"], "only a kind in group slurm_worker can be elastic"),
    (["slurm_worker", "arc_ce"], "group(s) arc_ce cannot be elastic"),
])
def test_only_worker_kinds_can_be_elastic(elastic_podman, groups, hint):
    data = elastic_definition(max=3)
    data["cluster"]["nodes"]["compute"]["groups"] = groups

    problems = problems_of(data)[0]

    assert any(p.startswith("cluster.nodes.compute.elastic:") and hint in p
               for p in problems), problems


def test_elastic_workers_need_a_controller(elastic_podman):
    data = elastic_definition(max=2)
    data["cluster"]["nodes"]["compute"]["count"] = 0
    data["cluster"]["nodes"]["frontend"]["groups"] = ["nfs_server"]

    problems = problems_of(data)[0]

    assert any("there are slurm_worker nodes but no slurm_controller" in p for p in problems)


def test_elastic_kinds_share_one_idle_time(elastic_podman):
    data = elastic_definition(max=3, idle=300)
    data["cluster"]["nodes"]["bigmem"] = {
        "count": 0, "groups": ["slurm_worker"], "elastic": {"max": 1, "idle": 600},
        "resources": {"cpus": 4, "memory": "16GiB"}}

    problems = problems_of(data)[0]

    assert any(p.startswith("cluster.nodes:") and "different idle times (300, 600)" in p
               for p in problems), problems


@pytest.mark.parametrize("resources, missing", [
    ({}, "cpus and memory"),
    ({"cpus": 2}, "memory"),
])
def test_an_elastic_kind_says_what_its_nodes_have(elastic_podman, resources, missing):
    data = elastic_definition(max=3)
    data["cluster"]["nodes"]["compute"]["resources"] = resources

    problems = problems_of(data)[0]

    assert problems == ["cluster.nodes.compute.elastic: SLURM must know what each elastic node "
                        "has before it exists; give %s under cluster.nodes.compute.resources, "
                        "for example cpus: 2 and memory: 4GiB" % missing]


def test_podman_elastic_kinds_cannot_have_volumes():
    data = elastic_definition(max=3)
    data["cluster"]["nodes"]["compute"]["volumes"] = [
        {"name": "scratch", "size": "1GiB", "mount": "/scratch"}]

    problems = problems_of(data)[0]

    assert len(problems) == 1
    assert problems[0].startswith("cluster.nodes.compute.volumes: an elastic kind cannot have "
                                  "volumes with provider podman")


def test_a_provider_that_cannot_make_elastic_nodes_is_named(monkeypatch):
    for known in PROVIDER_NAMES:
        monkeypatch.setattr(provider_class(known), "elastic", known == "openstack")

    problems = problems_of(elastic_definition(max=3))[0]

    assert problems == ["cluster.nodes.compute.elastic: provider podman cannot make elastic "
                        "nodes; use count alone, or a provider that can (openstack)"]


# --------------------------------------------------------------------------- definition_source

def test_definition_source_validates_to_the_same_normal_form(elastic_podman, tmp_path):
    hook = tmp_path / "after.yml"
    hook.write_text("---\n")
    data = elastic_definition(max=3, idle=120)
    data["cluster"]["nodes"]["compute"]["image"] = "localhost/custom:trixie"
    data["cluster"]["vars"] = {"arc_ce_mode": "rest"}
    data["cluster"]["hooks"] = {"after": [str(hook)]}
    data["cluster"]["podman"] = {"shared_dirs": ["/srv/grid"]}
    normal = validate_definition(data, base_dir=str(tmp_path))

    copy_dir = tmp_path / "copy"
    (copy_dir / "hooks").mkdir(parents=True)
    (copy_dir / "hooks" / "after.yml").write_text("---\n")
    source = definition_source(normal, str(copy_dir / "secrets"),
                               {str(hook): str(copy_dir / "hooks" / "after.yml")})
    again = validate_definition(copy.deepcopy(source), base_dir=str(copy_dir))

    assert source["plugin"] == INVENTORY_PLUGIN
    assert again["secrets_dir"] == str(copy_dir / "secrets")
    assert again["hooks"]["after"] == [str(copy_dir / "hooks" / "after.yml")]
    for key in ("secrets_dir", "hooks"):
        again.pop(key), normal.pop(key)
    assert again == normal


def test_definition_source_leaves_out_hooks_it_has_no_copy_of(tmp_path):
    hook = tmp_path / "before.yml"
    hook.write_text("---\n")
    data = full_definition()
    data["cluster"]["hooks"] = {"before": [str(hook)]}
    normal = validate_definition(data)

    source = definition_source(normal, "/secrets")

    assert source["cluster"]["hooks"] == {"before": [], "after_storage": [], "after": []}
    assert "elastic" not in source["cluster"]["nodes"]["compute"]
    assert "image" not in source["cluster"]["nodes"]["compute"]
    assert sorted(source["cluster"]["nodes"]["frontend"]["volumes"][0]) == [
        "filesystem", "mount", "mount_options", "name", "policy", "size"]
