# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.gridcloud.arc_cluster`` importable from the work tree.

The collection is imported through ``build/collections/ansible_collections/gridcloud/
arc_cluster``, a relative symlink to the repository root that is created here when missing.
``<repo>/build/collections`` goes first on ``sys.path``; ``ansible_collections`` and
``ansible_collections.gridcloud`` are namespace packages (no ``__init__.py``), so they merge
with any other ``ansible_collections`` directories, such as the one the ``ansible`` package
installs in site-packages.
"""

from __future__ import annotations

import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS_DIR = os.path.join(REPO_ROOT, "build", "collections")
NAMESPACE_DIR = os.path.join(COLLECTIONS_DIR, "ansible_collections", "gridcloud")
LINK = os.path.join(NAMESPACE_DIR, "arc_cluster")
LINK_TARGET = os.path.join("..", "..", "..", "..")


def _ensure_collection_link():
    if os.path.islink(LINK):
        if os.path.realpath(LINK) == os.path.realpath(REPO_ROOT):
            return
        os.unlink(LINK)  # a stale link, e.g. left by a moved checkout
    elif os.path.exists(LINK):
        raise RuntimeError(
            "%s exists but is not a symlink to the repository root; the unit tests would test "
            "that copy instead of the work tree. Remove it and run the tests again." % LINK)
    os.makedirs(NAMESPACE_DIR, exist_ok=True)
    try:
        os.symlink(LINK_TARGET, LINK)
    except FileExistsError:  # created meanwhile by a concurrent run
        pass
    if os.path.realpath(LINK) != os.path.realpath(REPO_ROOT):
        raise RuntimeError("%s does not point to %s" % (LINK, REPO_ROOT))


_ensure_collection_link()
if COLLECTIONS_DIR not in sys.path:
    sys.path.insert(0, COLLECTIONS_DIR)


# ------------------------------------------------------------------ module test fixtures
# Helpers shared by the module tests live in fake_podman.py next to this file; make it
# importable whatever pytest's import mode.
TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

import pytest  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture
def ansible_module(monkeypatch):
    """Make exit_json/fail_json raise with the result; fresh warnings; target-side behaviour.

    A module run in a real process starts with no accumulated warnings and as a target (not
    the controller), where ``AnsibleModule.warn`` records the warning for the result. In the
    test process both are global, so give each test its own.
    """
    from ansible.module_utils import _internal as ansible_internal
    from ansible.module_utils import basic
    from ansible.module_utils.common import warnings as ansible_warnings
    import fake_podman as helpers

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", helpers.patched_exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", helpers.patched_fail_json)
    monkeypatch.setattr(ansible_warnings, "_global_warnings", {})
    monkeypatch.setattr(ansible_warnings, "_global_deprecations", {})
    monkeypatch.setattr(ansible_internal, "is_controller", False)
    return helpers.run_module


@pytest.fixture
def fake_podman(ansible_module, monkeypatch, tmp_path):  # pylint: disable=redefined-outer-name
    """A FakePodman that answers every AnsibleModule.run_command; unknown commands fail.

    The provider's default host dirs point into tmp_path: a test that gives no volume_dir or
    apt_cache_dir must not touch the host's (removing a node removes its device dir, which
    would take the device nodes from a real cluster of the same name, such as make demo's).
    """
    from ansible.module_utils import basic
    from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers import (
        podman as podman_provider,
    )
    import fake_podman as helpers

    fake = helpers.FakePodman()

    def run_command(self, args, **kwargs):  # pylint: disable=unused-argument
        return fake(args, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    fake.os = helpers.FakeOsForPodman(fake)
    monkeypatch.setattr(podman_provider, "os", fake.os)
    monkeypatch.setattr(podman_provider, "DEFAULT_VOLUME_DIR", str(tmp_path / "default-volumes"))
    monkeypatch.setattr(podman_provider, "DEFAULT_APT_CACHE_DIR", str(tmp_path / "default-apt"))
    yield fake
    assert not fake.unknown, "commands not modelled by FakePodman: %r" % (fake.unknown,)


@pytest.fixture
def no_commands(ansible_module, monkeypatch):  # pylint: disable=redefined-outer-name
    """For modules that must run no command at all."""
    from ansible.module_utils import basic
    import fake_podman as helpers

    def run_command(self, args, **kwargs):  # pylint: disable=unused-argument
        raise helpers.UnknownCommand("this module must run no command, ran %r" % (args,))

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
