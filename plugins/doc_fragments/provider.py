# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The options every cluster module has (plugins/module_utils/cluster_module.py)."""

    DOCUMENTATION = r"""
options:
  cluster:
    description: Name of the cluster.
    type: str
    required: true
  provider:
    description: Where the nodes run.
    type: str
    default: podman
    choices: [podman, openstack, libvirt]
  provider_settings:
    description:
      - Settings of the provider, as in the provider's key of a cluster definition (C(podman) or
        C(openstack)); each module uses those it needs.
      - For podman C(network), C(subnet), C(image), C(capabilities) (added to C(SYS_ADMIN) and
        C(MKNOD)), C(apt_cache_dir) (host directory with one apt archive cache per node slot;
        empty to disable), C(volume_dir) (where volume files live, default
        C(/var/lib/gridcloud/volumes)), C(shared_dirs) (directories shared by every node of the
        cluster, each a podman volume mounted at the same path; removed by
        M(gridcloud.arc_cluster.cluster_nodes) with O(ignore:state=absent) and no O(ignore:kind))
        and C(mounts) (extra C(--volume) arguments).
      - For openstack (needs the Python package C(openstacksdk) where the module runs)
        C(cloud) (a cloud of C(clouds.yaml)) or C(auth) (a dict as in C(clouds.yaml), with
        C(auth_type)), C(region_name), C(interface), C(verify), C(cacert); C(image) and
        C(network) (name or id); C(ssh_user) (default V(debian)), C(ssh_port),
        C(wait_for_ssh) (default true), C(private_key_file); C(public_key_file) (the keypair
        C(<cluster>-key) is made from it) or C(key_name) (an existing keypair);
        C(floating_network) with C(floating_ip_kinds) (default V([frontend])) and
        C(proxy_jump) (default true, nodes without a floating IP are reached through one that
        has one, and not waited for on ssh); C(keep_failed_servers) (default false, a server
        that goes to ERROR is deleted, so the next run creates it again);
        C(anti_affinity) (V(true) or V(soft), with a server group C(<cluster>-<kind>) per kind);
        C(boot_from_volume) with C(boot_volume_size) (default V(20GiB)); C(volume_type),
        C(availability_zone); C(adopt_volumes) (a dict from C(<node>-<volume>) to the id of an
        existing volume, which is renamed and attached instead of a new one);
        C(rest_interface) (open https in the security group C(<cluster>)); C(poll_interval),
        C(volume_timeout), C(delete_timeout) (seconds).
    type: dict
    default: {}
"""
