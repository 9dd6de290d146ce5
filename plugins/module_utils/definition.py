# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster definition: its schema, its validation and its normal form.

A definition is checked completely before anything is created. Every problem is reported
at once, each naming the field (as a dotted path such as ``cluster.nodes.compute.count``)
and saying how to fix it. The file is read by one reader, with Ansible's own YAML loader
(``plugins/plugin_utils/definition_file.py``), used by the inventory plugin and by the action
``cluster_definition``; both call :func:`validate_definition`, so the rules live in exactly
one place. What a provider allows under ``cluster.<provider>`` is its own business: each
provider class checks its settings and derives what its modules need (the provider contract,
``providers/base.py``); the registry (``providers/__init__.py``) lists the providers.
"""

from __future__ import annotations

import os
import re

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers.base import (
    check_setting_keys,
)
from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers import (
    DEFAULT_PROVIDER,
    PROVIDER_NAMES,
    PROVIDERS,
    RELEASE_NAMES,
    RELEASES,
    provider_class,
)

# Groups a node kind may join. Each maps to roles run by the playbooks.
KNOWN_GROUPS = (
    "slurm_controller",
    "slurm_worker",
    "nfs_server",
    "nfs_client",
    "cvmfs_client",
    "arc_ce",
    "act",
)
INVENTORY_PLUGIN = "gridcloud.arc_cluster.cluster"
FILESYSTEMS = ("ext4", "xfs")
VOLUME_POLICIES = ("keep", "delete")
HOOK_POINTS = ("before", "after_storage", "after")

# \Z, not $: $ also matches before a trailing newline, which would let "demo\n" through.
NAME_RE = re.compile(r"^[a-z][a-z0-9]{0,19}\Z")
CLUSTER_NAME_RE = re.compile(r"^(?:[a-z][a-z0-9-]{0,30}[a-z0-9]|[a-z])\Z")
VOLUME_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}\Z")
SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B?|B)?\s*$", re.IGNORECASE)
SIZE_UNITS = {"": 1024 ** 3, "B": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}
MIN_VOLUME_BYTES = 64 * 1024 ** 2
MIN_XFS_BYTES = 300 * 1024 ** 2  # mkfs.xfs refuses smaller devices
# Paths that must never become a volume's mount point.
RESERVED_MOUNTS = ("/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run",
                   "/sbin", "/sys", "/tmp", "/usr", "/var")

CLUSTER_KEYS = {
    "name": "the cluster's name",
    "provider": "where nodes run",
    "release": "Debian release of the nodes",
    "nodes": "node kinds",
    "hooks": "user playbooks at the hook points",
    "secrets_dir": "where the cluster's generated secrets are kept on the Ansible controller",
    "vars": "variables for the roles",
}  # and one key per provider of the registry, with its settings
KIND_KEYS = {
    "count": "number of nodes",
    "groups": "groups the nodes join",
    "resources": "what each node gets (the provider says which keys)",
    "volumes": "extra block volumes",
    "image": "image override for this kind",
    "elastic": "nodes beyond count made only while SLURM jobs need them (max, idle)",
}
ELASTIC_KEYS = {
    "max": "the most nodes of the kind, count included",
    "idle": "seconds a made node stays idle before it is removed",
}
# The groups an elastic kind may be in: a node that comes and goes can run jobs and use what
# the cluster shares, never serve anything to the others.
ELASTIC_GROUPS = ("slurm_worker", "nfs_client", "cvmfs_client")
ELASTIC_IDLE_DEFAULT = 300
ELASTIC_IDLE_MIN = 60
VOLUME_KEYS = {
    "name": "volume name",
    "size": "volume size",
    "filesystem": "filesystem made on a blank volume",
    "mount": "mount point",
    "policy": "keep or delete on destroy",
    "mount_options": "options for fstab",
}


class DefinitionError(Exception):
    """Raised with every problem found in a definition."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(self.message)

    @property
    def message(self):
        lines = ["the cluster definition has %d problem(s):" % len(self.problems)]
        lines.extend("  - %s" % problem for problem in self.problems)
        return "\n".join(lines)


def parse_size(value):
    """Return a size in bytes from ``1GiB``, ``512M``, ``10G``, ``2048MiB`` or an int of GiB.

    Units are binary (K = KiB). Raise ValueError for anything else.
    """
    if isinstance(value, bool):
        raise ValueError("not a size")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError("not positive")
        return value * SIZE_UNITS[""]
    if not isinstance(value, str):
        raise ValueError("not a size")
    match = SIZE_RE.match(value)
    if not match:
        raise ValueError("not a size")
    number = float(match.group(1))
    unit = (match.group(2) or "").upper()
    if unit != "B":
        unit = unit[:1]  # K, KB, KiB -> K; no unit -> GiB
    size = int(number * SIZE_UNITS[unit])
    if size <= 0:
        raise ValueError("not positive")
    return size


def check_size(value, field, example, problems):
    """Append a problem naming ``field`` when ``value`` (if given) is not a size."""
    if value is None:
        return
    try:
        parse_size(value)
    except ValueError:
        problems.append("%s: %r is not a size; write for example %s" % (field, value, example))


def _check_mapping(value, path, problems):
    if not isinstance(value, dict):
        problems.append("%s: must be a mapping, got %s" % (path, type(value).__name__))
        return False
    return True


def _resource_keys():
    """What a kind's ``resources`` may hold: every provider's keys (a definition can switch)."""
    keys = {}
    for known in PROVIDER_NAMES:
        keys.update(provider_class(known).resource_keys)
    return keys


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _validate_volume(volume, path, problems, mounts_seen):
    if not _check_mapping(volume, path, problems):
        return None
    check_setting_keys(volume, VOLUME_KEYS, path, problems)
    name = volume.get("name")
    if not isinstance(name, str) or not VOLUME_NAME_RE.match(name):
        problems.append("%s.name: required; lower-case letters, digits, '-' or '_', starting "
                        "with a letter, at most 32 characters (got %r)" % (path, name))
    size = volume.get("size")
    size_bytes = None
    if size is None:
        problems.append("%s.size: required; give a size such as 1GiB or 500MiB" % path)
    else:
        try:
            size_bytes = parse_size(size)
        except ValueError:
            problems.append("%s.size: %r is not a size; write a number with a binary unit, "
                            "for example 1GiB, 500MiB or 2TiB" % (path, size))
        else:
            if size_bytes < MIN_VOLUME_BYTES:
                problems.append("%s.size: %r is below the minimum of 64MiB; give at least 64MiB"
                                % (path, size))
    filesystem = volume.get("filesystem", "ext4")
    if filesystem not in FILESYSTEMS:
        problems.append("%s.filesystem: %r is not supported; use one of %s"
                        % (path, filesystem, ", ".join(FILESYSTEMS)))
    elif filesystem == "xfs" and size_bytes is not None and size_bytes < MIN_XFS_BYTES:
        problems.append("%s.size: %r is too small for xfs, which needs at least 300MiB; give "
                        "a larger size or filesystem ext4" % (path, size))
    mount = volume.get("mount")
    if not isinstance(mount, str) or not mount.startswith("/"):
        problems.append("%s.mount: required; give an absolute path such as /srv/shared (got %r)"
                        % (path, mount))
    else:
        mount = normal_path(mount)
        if mount in RESERVED_MOUNTS:
            problems.append("%s.mount: %s is a system directory; mount the volume under "
                            "/srv, /data or /mnt instead" % (path, mount))
        elif mount in mounts_seen:
            problems.append("%s.mount: %s is already the mount point of %s; give each volume "
                            "of a kind its own mount point" % (path, mount, mounts_seen[mount]))
        else:
            mounts_seen[mount] = path
    policy = volume.get("policy", "keep")
    if policy not in VOLUME_POLICIES:
        problems.append("%s.policy: %r is not a policy; use keep (the default) or delete"
                        % (path, policy))
    options = volume.get("mount_options", "defaults")
    if not isinstance(options, str) or not options or " " in options:
        problems.append("%s.mount_options: give fstab options as one comma-separated string, "
                        "for example defaults,noatime" % path)
    return {
        "name": name,
        "size": size,
        "size_bytes": size_bytes,
        "filesystem": filesystem,
        "mount": mount,
        "policy": policy,
        "mount_options": options,
    }


def _validate_kind(kind, spec, path, provider, problems):
    if not isinstance(kind, str) or not NAME_RE.match(kind):
        problems.append("%s: kind names are lower-case letters and digits, starting with a "
                        "letter, at most 20 characters (got %r)" % (path, kind))
    if not _check_mapping(spec, path, problems):
        return None
    check_setting_keys(spec, KIND_KEYS, path, problems)
    count = spec.get("count")
    if count is None:
        problems.append("%s.count: required; give the number of nodes of this kind (0 or more)"
                        % path)
    elif not _is_int(count) or count < 0:
        problems.append("%s.count: %r is not a whole number of 0 or more; give for example "
                        "count: 2" % (path, count))
    elif count > 999:
        problems.append("%s.count: %d is more than 999, the most a kind can have" % (path, count))
    groups = spec.get("groups", [])
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        problems.append("%s.groups: must be a list of group names" % path)
        groups = []
    for index, group in enumerate(groups):
        if group not in KNOWN_GROUPS:
            problems.append("%s.groups[%d]: unknown group %r; known groups are %s"
                            % (path, index, group, ", ".join(KNOWN_GROUPS)))
    if len(set(groups)) != len(groups):
        problems.append("%s.groups: lists a group twice; name each group once" % path)
    resources = spec.get("resources", {})
    elastic = _validate_elastic(spec.get("elastic"), count, groups, resources, path, provider,
                                problems)
    if _check_mapping(resources, path + ".resources", problems):
        check_setting_keys(resources, _resource_keys(), path + ".resources", problems)
        cpus = resources.get("cpus")
        if cpus is not None and (isinstance(cpus, bool) or not isinstance(cpus, (int, float))
                                 or cpus <= 0):
            problems.append("%s.resources.cpus: %r is not a positive number of CPUs"
                            % (path, cpus))
        check_size(resources.get("memory"), path + ".resources.memory", "2GiB", problems)
        if provider is not None:
            provider.validate_kind(kind, spec, path, problems)
    else:
        resources = {}
    volumes = spec.get("volumes", [])
    normal_volumes = []
    if not isinstance(volumes, list):
        problems.append("%s.volumes: must be a list of volumes" % path)
    else:
        mounts_seen = {}
        names_seen = set()
        for index, volume in enumerate(volumes):
            normal = _validate_volume(volume, "%s.volumes[%d]" % (path, index), problems,
                                      mounts_seen)
            if normal is None:
                continue
            if normal["name"] in names_seen:
                problems.append("%s.volumes[%d].name: %r is used twice; give each volume of a "
                                "kind its own name" % (path, index, normal["name"]))
            names_seen.add(normal["name"])
            normal_volumes.append(normal)
    return {
        # An invalid count counts as 0, so that the group checks below do not sum a negative.
        "count": count if _is_int(count) and count >= 0 else 0,
        "groups": list(groups),
        "resources": dict(resources),
        "volumes": normal_volumes,
        "image": spec.get("image"),
        "elastic": elastic,
    }


def _validate_elastic(elastic, count, groups, resources, path, provider, problems):
    """Check a kind's ``elastic`` block; return ``{"max": M, "idle": S}`` or None."""
    if elastic is None:
        return None
    kind_path, path = path, path + ".elastic"
    if not _check_mapping(elastic, path, problems):
        return None
    check_setting_keys(elastic, ELASTIC_KEYS, path, problems)
    most = elastic.get("max")
    if not _is_int(most) or most < 1:
        problems.append("%s.max: required; the most nodes of this kind there may be, count "
                        "included, a whole number above count (got %r)" % (path, most))
        most = None
    elif _is_int(count) and most <= count:
        problems.append("%s.max: %d is not above count (%d), so no node would be elastic; "
                        "give a max above count, or remove elastic" % (path, most, count))
    elif most > 999:
        problems.append("%s.max: %d is more than 999, the most a kind can have" % (path, most))
    idle = elastic.get("idle", ELASTIC_IDLE_DEFAULT)
    if not _is_int(idle) or idle < ELASTIC_IDLE_MIN:
        problems.append("%s.idle: %r is not a number of seconds of %d or more; give for example "
                        "idle: %d" % (path, idle, ELASTIC_IDLE_MIN, ELASTIC_IDLE_DEFAULT))
    if "slurm_worker" not in groups:
        problems.append("%s: only a kind in group slurm_worker can be elastic (SLURM asks for "
                        "its nodes); add slurm_worker to %s.groups or remove elastic"
                        % (path, kind_path))
    serving = [group for group in groups if group not in ELASTIC_GROUPS]
    if serving:
        problems.append("%s: a kind in group(s) %s cannot be elastic: its nodes serve the "
                        "others and must not come and go; elastic kinds are in %s only"
                        % (path, ", ".join(serving), ", ".join(ELASTIC_GROUPS)))
    # slurm.conf describes a node before it exists: what it will have must be known
    missing = [key for key in ("cpus", "memory")
               if not isinstance(resources, dict) or resources.get(key) is None]
    if missing:
        problems.append("%s: SLURM must know what each elastic node has before it exists; give "
                        "%s under %s.resources, for example cpus: 2 and memory: 4GiB"
                        % (path, " and ".join(missing), kind_path))
    if provider is not None and not provider.elastic:
        problems.append("%s: provider %s cannot make elastic nodes; use count alone, or a "
                        "provider that can (%s)" % (path, provider.name, ", ".join(
                            known for known in PROVIDER_NAMES
                            if provider_class(known).elastic) or "none yet"))
    return {"max": most, "idle": idle}


def _validate_hooks(hooks, base_dir, problems):
    normal = {point: [] for point in HOOK_POINTS}
    if hooks is None:
        return normal
    if not _check_mapping(hooks, "cluster.hooks", problems):
        return normal
    check_setting_keys(hooks, HOOK_POINTS, "cluster.hooks", problems)
    for point in HOOK_POINTS:
        paths = hooks.get(point) or []
        if isinstance(paths, str):
            paths = [paths]
        if not isinstance(paths, list):
            problems.append("cluster.hooks.%s: must be a list of playbook paths" % point)
            continue
        for index, path in enumerate(paths):
            field = "cluster.hooks.%s[%d]" % (point, index)
            if not isinstance(path, str) or not path:
                problems.append("%s: must be a playbook path" % field)
                continue
            full = os.path.normpath(os.path.join(base_dir, os.path.expanduser(path)))
            if not os.path.isfile(full):
                problems.append("%s: playbook %s does not exist (relative paths are relative to "
                                "the definition file)" % (field, full))
                continue
            normal[point].append(full)
    return normal


def default_secrets_dir(cluster_name):
    """Where a cluster's generated secrets live unless the definition says otherwise.

    Outside any checkout on purpose, so that a munge key or a database password cannot be
    committed by accident.
    """
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    if not isinstance(cluster_name, str) or not cluster_name:
        cluster_name = "unnamed"
    return os.path.join(data_home, "gridcloud", "clusters", cluster_name, "secrets")


def _validate_secrets_dir(value, cluster_name, base_dir, problems):
    if value is None:
        return default_secrets_dir(cluster_name)
    if not isinstance(value, str) or not value.strip():
        problems.append("cluster.secrets_dir: must be a directory path (default %s)"
                        % default_secrets_dir(cluster_name))
        return None
    full = os.path.normpath(os.path.join(base_dir, os.path.expanduser(value)))
    if os.path.exists(full) and not os.path.isdir(full):
        problems.append("cluster.secrets_dir: %s exists and is not a directory; name a "
                        "directory (it is created with mode 0700 when missing)" % full)
    return full


def validate_definition(data, base_dir="."):
    """Validate a parsed definition and return it in normal form.

    Raise DefinitionError listing every problem.
    """
    problems = []
    if not isinstance(data, dict) or "cluster" not in data:
        raise DefinitionError(["cluster: the file must have a top-level key 'cluster' holding the "
                               "definition (see examples/local/cluster.yml)"])
    extra = sorted(set(data) - {"cluster", "plugin"}, key=str)
    for key in extra:
        problems.append("%s: unknown top-level key; put everything under 'cluster'" % key)
    if data.get("plugin", INVENTORY_PLUGIN) != INVENTORY_PLUGIN:
        problems.append("plugin: must be %s (it makes the definition file an Ansible inventory "
                        "source), got %r" % (INVENTORY_PLUGIN, data["plugin"]))
    cluster = data["cluster"]
    if not _check_mapping(cluster, "cluster", problems):
        raise DefinitionError(problems)
    allowed = dict(CLUSTER_KEYS)
    allowed.update(("%s" % known, "settings of the %s provider" % known) for known in PROVIDER_NAMES)
    check_setting_keys(cluster, allowed, "cluster", problems)

    name = cluster.get("name")
    if not isinstance(name, str) or not CLUSTER_NAME_RE.match(name):
        problems.append("cluster.name: required; lower-case letters, digits and '-', starting "
                        "with a letter, at most 32 characters (got %r)" % (name,))
    provider_name = cluster.get("provider", DEFAULT_PROVIDER)
    provider = None
    if provider_name not in PROVIDER_NAMES:
        problems.append("cluster.provider: %r is not a provider; use %s" % (
            provider_name, ", ".join("%s (%s)" % (known, PROVIDERS[known][1])
                                     for known in PROVIDER_NAMES)))
    else:
        provider = provider_class(provider_name)
    release = cluster.get("release", RELEASES[0])
    if release not in RELEASES:
        problems.append("cluster.release: %r is not supported; use %s" % (
            release, " or ".join("%s (%s)" % (known, RELEASE_NAMES[known])
                                 for known in RELEASES)))

    # Every provider's block is checked, the active one's and any other left in the file.
    settings = {}
    for known in PROVIDER_NAMES:
        block = cluster.get(known)
        path = "cluster.%s" % known
        if block is None:
            block = {}
        elif not _check_mapping(block, path, problems):
            block = {}
        settings[known] = provider_class(known).validate_settings(block, path, problems)
    shared_dirs = provider.shared_dirs(settings[provider_name]) if provider else []

    nodes = cluster.get("nodes")
    normal_nodes = {}
    if nodes is None:
        problems.append("cluster.nodes: required; define at least one node kind, for example "
                        "frontend with count 1")
    elif _check_mapping(nodes, "cluster.nodes", problems):
        if not nodes:
            problems.append("cluster.nodes: empty; define at least one node kind")
        for kind, spec in nodes.items():
            normal = _validate_kind(kind, spec, "cluster.nodes.%s" % kind, provider, problems)
            if normal is not None:
                normal_nodes[kind] = normal
        group_owners = {}
        for kind, spec in normal_nodes.items():
            for group in spec["groups"]:
                group_owners.setdefault(group, []).append(kind)
        for group in ("slurm_controller", "nfs_server", "arc_ce", "act"):
            owners = group_owners.get(group, [])
            total = sum(normal_nodes[k]["count"] for k in owners)
            if total > 1:
                problems.append("cluster.nodes: group %s would have %d nodes (kinds %s); it must "
                                "have at most one, so give that kind count 1"
                                % (group, total, ", ".join(owners)))
        workers = sum(max(normal_nodes[k]["count"], (normal_nodes[k]["elastic"] or {}).get("max") or 0)
                      for k in group_owners.get("slurm_worker", []))
        controllers = sum(normal_nodes[k]["count"]
                          for k in group_owners.get("slurm_controller", []))
        idles = sorted({spec["elastic"]["idle"] for spec in normal_nodes.values()
                        if spec["elastic"] and _is_int(spec["elastic"]["idle"])})
        if len(idles) > 1:
            problems.append("cluster.nodes: the elastic kinds give different idle times (%s); "
                            "SLURM removes idle nodes after one time (SuspendTime), so give "
                            "them all the same idle" % ", ".join(str(i) for i in idles))
        if workers and not controllers:
            problems.append("cluster.nodes: there are slurm_worker nodes but no "
                            "slurm_controller; add slurm_controller to the groups of a kind "
                            "with count 1 (usually frontend)")
        for kind in normal_nodes:
            if kind in HOOK_POINTS or kind in KNOWN_GROUPS or kind in ("all", "ungrouped"):
                problems.append("cluster.nodes.%s: %r is reserved (a group or hook name); "
                                "choose another kind name" % (kind, kind))

    _check_shared_dirs_against_volumes(shared_dirs, normal_nodes, provider_name, problems)

    variables = cluster.get("vars") or {}
    if not _check_mapping(variables, "cluster.vars", problems):
        variables = {}
    hooks = _validate_hooks(cluster.get("hooks"), base_dir, problems)
    secrets_dir = _validate_secrets_dir(cluster.get("secrets_dir"), name, base_dir, problems)

    if problems:
        raise DefinitionError(problems)
    normal = {
        "name": name,
        "provider": provider_name,
        "release": release,
        "nodes": normal_nodes,
        "hooks": hooks,
        "secrets_dir": secrets_dir,
        "vars": dict(variables),
        "shared_dirs": shared_dirs,
    }
    normal.update(settings)
    normal["provider_settings"] = provider.derive_settings(settings[provider_name], normal)
    # what the SLURM controller needs to make elastic nodes itself, when there are any
    normal["elastic_controller"] = (
        provider.elastic_controller(settings[provider_name])
        if any(spec["elastic"] for spec in normal_nodes.values()) else None)
    return normal


def definition_source(normal, secrets_dir, hooks=None):
    """A definition file's content (``plugin`` and ``cluster``) for the SLURM controller's copy
    of a cluster's definition, from which it makes elastic nodes: it validates to ``normal``
    but for the secrets in ``secrets_dir``, the hooks at the paths ``hooks`` maps the normal
    form's to (a hook missing from ``hooks`` is left out) and the active provider's block,
    which is the provider's ``controller_settings`` (its credentials and paths there).

    What the normal form adds (``shared_dirs``, ``provider_settings``, ``elastic_controller``,
    volumes' ``size_bytes``) and what it fills in as null is left out again.
    """
    hooks = hooks or {}
    cluster = {
        "name": normal["name"],
        "provider": normal["provider"],
        "release": normal["release"],
        "secrets_dir": secrets_dir,
        "vars": dict(normal["vars"]),
        "nodes": {},
        "hooks": {point: [hooks[path] for path in normal["hooks"][point] if path in hooks]
                  for point in HOOK_POINTS},
    }
    for known in PROVIDER_NAMES:
        if normal.get(known):
            cluster[known] = dict(normal[known])
    # the active provider's block as the controller needs it (its credentials, its paths)
    cluster[normal["provider"]] = provider_class(normal["provider"]).controller_settings(
        normal.get(normal["provider"]) or {}, normal["name"], secrets_dir)
    for kind, spec in normal["nodes"].items():
        source = {"count": spec["count"], "groups": list(spec["groups"]),
                  "resources": dict(spec["resources"]),
                  "volumes": [{key: value for key, value in volume.items() if key in VOLUME_KEYS}
                              for volume in spec["volumes"]]}
        for key in ("image", "elastic"):
            if spec.get(key) is not None:
                source[key] = spec[key]
        cluster["nodes"][kind] = source
    return {"plugin": INVENTORY_PLUGIN, "cluster": cluster}


def normal_path(path):
    """An absolute path without ``..``, doubled or trailing slashes.

    normpath keeps a leading "//" (POSIX allows it a meaning; Linux has none), so it is
    stripped too: otherwise //etc would slip past the reserved mount points.
    """
    return "/" + os.path.normpath(path).lstrip("/")


def path_within(inner, outer):
    """True when ``inner`` is ``outer`` or below it (both normalised absolute paths)."""
    return inner == outer or inner.startswith(outer.rstrip("/") + "/")


def _check_shared_dirs_against_volumes(shared_dirs, nodes, provider_name, problems):
    """A volume mounted at, above or below a shared dir would hide one from the other."""
    for kind, spec in sorted(nodes.items()):
        for index, volume in enumerate(spec.get("volumes") or []):
            for shared in shared_dirs:
                mount = volume["mount"]
                if path_within(mount, shared) or path_within(shared, mount):
                    problems.append(
                        "cluster.nodes.%s.volumes[%d].mount: %s overlaps the shared dir %s "
                        "(cluster.%s.shared_dirs); the mount would hide one from the other "
                        "on the %s nodes. Mount the volume elsewhere, for example under /srv/data"
                        % (kind, index, mount, shared, provider_name, kind))


def node_name(cluster_name, kind, index):
    """Return the host name of a node: ``<cluster>-<kind>NNN`` (index from 1)."""
    return "%s-%s%03d" % (cluster_name, kind, index)


def definition_base_dir(path):
    """The directory that relative paths in the definition file at ``path`` are relative to.

    Symlinks are followed: a definition linked elsewhere (molecule links a scenario's
    inventory into its ephemeral directory) keeps finding its hooks next to the real file.
    """
    return os.path.dirname(os.path.realpath(path))


def planned_nodes(definition):
    """Return every node a normal-form definition asks for, in kind and index order."""
    return _nodes(definition, lambda spec: range(1, spec["count"] + 1))


def elastic_nodes(definition):
    """Return the elastic nodes of a normal-form definition (made only while jobs need them):
    of each elastic kind, the indices above its count up to its max, in kind and index order,
    each with what it will have (``cpus`` and ``memory_mb``, from the kind's resources) and
    the seconds it may stay idle (``idle``).
    """
    nodes = _nodes(definition, lambda spec: range(spec["count"] + 1,
                                                  (spec.get("elastic") or {}).get("max", 0) + 1))
    for node in nodes:
        resources = definition["nodes"][node["kind"]]["resources"]
        node["cpus"] = resources["cpus"]
        node["memory_mb"] = parse_size(resources["memory"]) // 1024 ** 2
        node["idle"] = definition["nodes"][node["kind"]]["elastic"]["idle"]
    return nodes


def _nodes(definition, indices):
    nodes = []
    for kind, spec in definition["nodes"].items():
        for index in indices(spec):
            nodes.append({
                "name": node_name(definition["name"], kind, index),
                "kind": kind,
                "index": index,
                "groups": list(spec["groups"]),
                "volumes": [dict(v) for v in spec["volumes"]],
            })
    return nodes
