"""The CVMFS client role on a node whose install source cannot be reached.

What runs here: the configuration files (sourced by bash, as CVMFS does), the warning path that
the converge took (configured, not installed), and the role's errors for each install source,
from real ansible-playbook runs. What cannot run here (no route to CERN, no /dev/fuse in the
container): installing the packages, `cvmfs_config setup`, mounts and the probe.
"""

import json

import pytest

from gridcloud_molecule import run_playbook

testinfra_hosts = ["molst-node001"]

EXPECTED_DEFAULT_LOCAL = {
    "CVMFS_REPOSITORIES": "atlas.cern.ch,grid.cern.ch",
    "CVMFS_HTTP_PROXY": "http://squid1.example.org:3128|http://squid2.example.org:3128",
    "CVMFS_QUOTA_LIMIT": "20000",
    "CVMFS_CACHE_BASE": "/srv/cvmfs-cache/cvmfs",
    "CVMFS_USE_GEOAPI": "yes",
    "CVMFS_DNS_MIN_TTL": "300",
}


def sourced(host, path):
    """The variables a file sets when bash sources it, as {name: value}."""
    out = host.check_output(
        "env -i bash -c 'set -a; . %s; env -0' | tr '\\0' '\\n' | grep '^CVMFS_'" % path)
    return dict(line.split("=", 1) for line in out.splitlines())


def test_default_local_gives_exactly_the_configured_values(host):
    assert sourced(host, "/etc/cvmfs/default.local") == EXPECTED_DEFAULT_LOCAL


def test_a_proxy_list_means_no_single_client_profile(host):
    assert "CVMFS_CLIENT_PROFILE" not in host.file("/etc/cvmfs/default.local").content_string


def test_domain_and_repository_files(host):
    assert sourced(host, "/etc/cvmfs/domain.d/cern.ch.local") == {
        "CVMFS_SERVER_URL": "http://s1a.example.org/cvmfs/@fqrn@;http://s1b.example.org/cvmfs/@fqrn@"}
    assert sourced(host, "/etc/cvmfs/config.d/atlas.cern.ch.local") == {"CVMFS_MAX_TTL": "60"}


def test_the_unreachable_repository_is_not_left_in_apt_sources(host):
    assert not host.file("/etc/apt/sources.list.d/gridcloud-cvmfs.list").exists
    assert host.run("apt-get update -qq").rc == 0


def test_nothing_was_installed_or_mounted(host):
    assert not host.package("cvmfs").is_installed
    assert not host.mount_point("/cvmfs/atlas.cern.ch").exists


def test_unreachable_cern_repository_fails_naming_the_install_variable():
    rc, output = run_playbook("apply-cvmfs.yml", "-e", "cvmfs_install_failure=fail")
    assert rc != 0
    assert "the CVMFS packages could not be installed from cvmfs_install_source=cern" in output
    assert "https://cvmrepo.invalid/cvmrepo/apt/" in output
    assert "set cvmfs_install_source to local" in output


def test_unreachable_local_repository_fails_naming_the_install_variable():
    rc, output = run_playbook("apply-cvmfs.yml",
                              "-e", "cvmfs_install_failure=fail", "-e", "cvmfs_install_source=local",
                              "-e", "cvmfs_local_apt_repository='deb [trusted=yes] http://127.0.0.1:9/cvmfs ./'")
    assert rc != 0
    assert "could not be installed from cvmfs_install_source=local" in output
    assert "http://127.0.0.1:9/cvmfs" in output


def test_preinstalled_without_the_package_fails_naming_the_install_variable():
    rc, output = run_playbook("apply-cvmfs.yml", "-e", "cvmfs_install_failure=fail",
                              "-e", "cvmfs_install_source=preinstalled")
    assert rc != 0
    assert ("cvmfs_install_source is preinstalled but the package cvmfs is not installed on "
            "molst-node001") in output


@pytest.mark.parametrize("override, message", [
    ({"cvmfs_install_source": "github"}, "cvmfs_install_source must be one of: cern, local, preinstalled"),
    ({"cvmfs_install_source": "local"}, "set cvmfs_local_apt_repository"),
    ({"cvmfs_http_proxy": "squid.example.org"}, "cvmfs_http_proxy a list of proxy URLs"),
    ({"cvmfs_quota_limit_mb": 10}, "cvmfs_quota_limit_mb a number of MiB, at least 1000"),
    ({"cvmfs_config": {"quota": 1}}, "cvmfs_config must map CVMFS_* keys"),
    ({"cvmfs_mount_mode": "manual"}, "cvmfs_mount_mode must be one of: autofs, static"),
])
def test_bad_values_are_refused_before_anything_changes(host, override, message):

    before = host.file("/etc/cvmfs/default.local").sha256sum
    rc, output = run_playbook("apply-cvmfs.yml", "-e", json.dumps(override))
    assert rc != 0
    assert message in output
    assert host.file("/etc/cvmfs/default.local").sha256sum == before
