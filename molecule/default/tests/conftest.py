"""The shared test helpers (molecule/shared/gridcloud_molecule.py, on PYTHONPATH through
molecule.yml): its podman ``host`` fixture, imported here because a conftest fixture overrides
testinfra's own ``host`` (a plugin's would not)."""

from gridcloud_molecule import host  # noqa: F401 pylint: disable=unused-import
