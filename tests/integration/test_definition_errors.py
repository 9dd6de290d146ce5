"""Malformed definitions fail before any node, network or volume exists, naming the field."""

import pytest

from conftest import DEFINITIONS, cluster_containers, network_exists, run_playbook, volume_files

BAD = sorted(DEFINITIONS.glob("bad-*.yml"))


def _expectation(path):
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), "%s must start with '# expect: <text>'" % path
    return first[len("# expect: "):]


def _cluster_name(path):
    for line in path.read_text().splitlines():
        if line.strip().startswith("name:"):
            return line.split(":", 1)[1].strip().lower().replace("_", "-")
    raise AssertionError("no name in %s" % path)


def test_there_are_at_least_ten_malformed_definitions():
    assert len(BAD) >= 10


@pytest.mark.parametrize("definition", BAD, ids=[p.stem for p in BAD])
def test_malformed_definition_fails_early_naming_the_field(definition):
    result = run_playbook("create", definition)
    assert result.rc != 0, result.output
    assert _expectation(definition) in result.output, result.output
    # nothing was created
    cluster = _cluster_name(definition)
    assert cluster_containers(cluster) == []
    assert not network_exists(cluster)
    assert volume_files(cluster) == []
    assert "Ensure the nodes of each kind" not in result.output
