"""Run the checks through podman exec instead of one ansible run per command.

Molecule hands testinfra the scenario's Ansible inventory; the nodes of the local provider are
podman containers named like their inventory hosts, so each host is reached directly with
testinfra's podman backend (the same commands, much faster).
"""

import pytest
import testinfra


@pytest.fixture(scope="module")
def host(_testinfra_host):
    name = _testinfra_host.backend.host
    return testinfra.get_host("podman://%s" % name)
