# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of gridcloud.arc_cluster.path_drift: the module (plugins/modules/path_drift.py)
against real files under tmp_path, and its action (plugins/action/path_drift.py), which renders
or reads the wanted content on the controller and hands the module only its SHA-1.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd

from unittest import mock

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.task import Task
from ansible.plugins.loader import lookup_loader
from ansible.template import Templar

from fake_podman import run_module

from ansible_collections.gridcloud.arc_cluster.plugins.action.path_drift import ActionModule
from ansible_collections.gridcloud.arc_cluster.plugins.modules.path_drift import main

USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name
CONTENT = b"[Unit]\nRequiresMountsFor=/srv/shared\n"


@pytest.fixture(autouse=True)
def module_runs_no_command(no_commands):  # pylint: disable=unused-argument
    """The module only reads files: any command it ran would fail the test."""


def sha1(data):
    return hashlib.sha1(data).hexdigest()


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / "app.conf"
    path.write_bytes(CONTENT)
    path.chmod(0o640)
    return path


@pytest.fixture
def confdir(tmp_path):
    path = tmp_path / "conf.d"
    path.mkdir()
    path.chmod(0o755)
    return path


def wanted_file(path, **overrides):
    entry = {"path": str(path), "checksum": sha1(CONTENT), "owner": USER, "group": GROUP,
             "mode": "0640"}
    entry.update(overrides)
    return entry


def drift(*entries, check_mode=False):
    return run_module(main, {"paths": list(entries)}, check_mode=check_mode)


# --------------------------------------------------------------------------- the module


def test_paths_as_wanted_are_in_place(conf, confdir):
    result = drift(wanted_file(conf),
                   {"path": str(confdir), "state": "directory", "owner": str(os.getuid()),
                    "group": str(os.getgid()), "mode": "0755"})

    assert not result.get("failed"), result
    assert result["changed"] is False
    assert result["in_place"] == [str(conf), str(confdir)]
    assert result["drifted"] == {}


def test_each_difference_is_named(conf, tmp_path):
    missing = tmp_path / "missing.conf"

    result = drift(wanted_file(conf, checksum=sha1(b"other\n"), mode="0644"),
                   wanted_file(missing))

    assert result["in_place"] == []
    assert result["drifted"] == {
        str(conf): ["content", "mode 0640, not 0644"],
        str(missing): ["missing"],
    }


def test_a_file_edited_by_hand_has_drifted(conf):
    conf.write_bytes(CONTENT + b"# edited\n")

    result = drift(wanted_file(conf))

    assert result["drifted"] == {str(conf): ["content"]}


def test_the_wrong_kind_of_path_has_drifted(conf, confdir, tmp_path):
    link = tmp_path / "link.conf"
    link.symlink_to(conf)

    result = drift(wanted_file(confdir), {"path": str(conf), "state": "directory"},
                   wanted_file(link))

    assert result["in_place"] == []
    assert result["drifted"] == {
        str(confdir): ["not a regular file"],
        str(conf): ["not a directory"],
        str(link): ["not a regular file"],
    }


def test_an_owner_or_group_that_does_not_exist_has_drifted(conf):
    result = drift(wanted_file(conf, owner="gridcloud-no-such-user", group="gridcloud-no-such-group"))

    assert result["drifted"] == {str(conf): ["owner gridcloud-no-such-user does not exist",
                                             "group gridcloud-no-such-group does not exist"]}


def test_another_owner_has_drifted(conf):
    other = os.getuid() + 4242

    result = drift(wanted_file(conf, owner=str(other), group=str(os.getgid() + 4242)))

    assert result["drifted"][str(conf)] == [
        "owner uid %d, not %d" % (os.getuid(), other),
        "group gid %d, not %d" % (os.getgid(), os.getgid() + 4242)]


def test_a_symbolic_mode_is_not_compared_and_counts_as_drifted(conf):
    result = drift(wanted_file(conf, mode="u=rw,g=r"))

    assert result["drifted"] == {str(conf): ["mode u=rw,g=r is not octal, so it is not compared here"]}


def test_a_mode_given_as_a_yaml_integer_is_compared_as_its_bits(conf):
    # YAML reads an unquoted 0640 as the int 416, as the file module takes it.
    assert drift(wanted_file(conf, mode=0o640))["in_place"] == [str(conf)]
    assert drift(wanted_file(conf, mode=0o644))["drifted"] == {str(conf): ["mode 0640, not 0644"]}


def test_what_is_left_out_is_not_compared(conf):
    conf.chmod(0o600)

    result = drift({"path": str(conf)})

    assert result["in_place"] == [str(conf)]


def test_an_unreadable_file_has_drifted(conf, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("builtins.open", refuse)

    result = drift(wanted_file(conf))

    assert result["drifted"] == {str(conf): ["unreadable: Permission denied"]}


def test_check_mode_reads_the_same(conf):
    result = drift(wanted_file(conf), check_mode=True)

    assert result["changed"] is False
    assert result["in_place"] == [str(conf)]


# --------------------------------------------------------------------------- the action


@pytest.fixture
def role_dir(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "app.conf.j2").write_text(
        "name = {{ app_name }}\n{% for key in settings %}\n{{ key }} = {{ settings[key] }}\n{% endfor %}\n")
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "plain.txt").write_bytes(b"as it is\n")
    return tmp_path


def run_action(args, role_dir, task_vars=None):
    """Run the action as ansible-playbook would; return its result and the module's arguments."""
    task = Task()
    task.args = dict(args)
    connection = mock.MagicMock()
    connection._shell.tmpdir = None  # pylint: disable=protected-access
    loader = DataLoader()
    templar = Templar(loader=loader)
    shared_loader = mock.MagicMock()
    shared_loader.lookup_loader.get.side_effect = (
        lambda name, loader, templar: lookup_loader.get("template", loader=loader, templar=templar)
        if name == "ansible.builtin.template" else None)
    action = ActionModule(task, connection, mock.MagicMock(), loader, templar, None)
    # Outside ansible-playbook the collection loader that resolves ansible.builtin is not set up.
    action._shared_loader_obj = shared_loader  # pylint: disable=protected-access
    sent = {}

    def execute_module(module_name, module_args, task_vars):  # pylint: disable=unused-argument
        sent.update(module_name=module_name, module_args=module_args)
        return {"changed": False, "in_place": [], "drifted": {}}

    variables = {"ansible_search_path": [str(role_dir)], "app_name": "demo"}
    variables.update(task_vars or {})
    with mock.patch.object(action, "_execute_module", side_effect=execute_module):
        result = action.run(task_vars=variables)
    return result, sent


def test_a_template_is_rendered_with_the_task_variables_and_only_its_sha1_is_sent(role_dir):
    result, sent = run_action({"paths": [
        {"path": "/etc/app.conf", "template": "app.conf.j2", "owner": "root", "mode": "0644",
         "template_vars": {"settings": {"a": 1}}},
    ]}, role_dir)

    assert not result.get("failed"), result
    assert sent["module_name"] == "gridcloud.arc_cluster.path_drift"
    assert sent["module_args"] == {"paths": [
        {"path": "/etc/app.conf", "owner": "root", "mode": "0644",
         "checksum": sha1(b"name = demo\na = 1\n")},
    ]}


def test_copied_content_and_files_are_sent_as_their_sha1(role_dir):
    _result, sent = run_action({"paths": [
        {"path": "/etc/secret.conf", "content": "password = s3cret\n"},
        {"path": "/etc/plain.txt", "src": str(role_dir / "files" / "plain.txt")},
        {"path": "/etc/any", "state": "directory", "clients": "*"},
    ]}, role_dir)

    assert sent["module_args"] == {"paths": [
        {"path": "/etc/secret.conf", "checksum": sha1(b"password = s3cret\n")},
        {"path": "/etc/plain.txt", "checksum": sha1(b"as it is\n")},
        {"path": "/etc/any", "state": "directory"},
    ]}
    assert "s3cret" not in repr(sent)


def test_two_kinds_of_content_for_one_path_are_refused(role_dir):
    result, sent = run_action({"paths": [
        {"path": "/etc/app.conf", "template": "app.conf.j2", "content": "x"},
    ]}, role_dir)

    assert result["failed"] is True
    assert result["msg"] == ("path_drift: /etc/app.conf gives template and content; give at most "
                             "one of template, src, content")
    assert not sent


def test_paths_that_are_not_mappings_are_refused(role_dir):
    result, sent = run_action({"paths": ["/etc/app.conf"]}, role_dir)

    assert result["failed"] is True
    assert "paths must be a list of mappings" in result["msg"]
    assert not sent
