# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The podman connection: the podman calls it makes for commands, modules and files.

The podman command itself is replaced by a recorder (the plugin builds its argument lists and
hands them to containers.podman's ``_podman``); the molecule scenarios run it for real.
"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleError
from ansible.playbook.play_context import PlayContext

from ansible_collections.gridcloud.arc_cluster.plugins.connection.podman import Connection


class Recorder:
    def __init__(self, answers=None):
        self.calls = []
        self.answers = list(answers or [])

    def __call__(self, cmd, cmd_args=None, in_data=None, use_container_id=True):
        self.calls.append((cmd, cmd_args, in_data, use_container_id))
        return self.answers.pop(0) if self.answers else (0, b"", b"")


@pytest.fixture
def connection():
    context = PlayContext()
    context.remote_addr = "demo-compute001"
    conn = Connection(context, None)
    conn._podman = Recorder()  # pylint: disable=protected-access
    return conn


def test_pipelining_is_offered(connection):
    assert connection.has_pipelining is True
    assert connection.transport == "gridcloud.arc_cluster.podman"


def test_a_module_on_stdin_is_one_interactive_exec(connection):
    rc, _out, _err = connection.exec_command("/bin/sh -c '/usr/bin/python3 && sleep 0'", in_data=b"module")
    assert rc == 0
    assert connection._podman.calls == [  # pylint: disable=protected-access
        (["exec", "--interactive"], ["/bin/sh", "-c", "/usr/bin/python3 && sleep 0"], b"module", True)]


def test_a_plain_command_is_one_exec_and_nothing_is_mounted(connection):
    connection.exec_command("echo ~root")
    assert connection._podman.calls == [(["exec"], ["echo", "~root"], None, True)]  # pylint: disable=protected-access


def test_a_file_is_streamed_into_the_node(connection, tmp_path):
    source = tmp_path / "module.py"
    source.write_bytes(b"payload\x00\xff")
    connection.put_file(str(source), "/root/.ansible/tmp/a b/module.py")
    (cmd, args, data, _kwargs), = connection._podman.calls  # pylint: disable=protected-access
    assert cmd == ["exec", "--interactive"]
    assert args == ["sh", "-c", "cat > '/root/.ansible/tmp/a b/module.py'"]
    assert data == b"payload\x00\xff"


def test_a_file_is_streamed_out_of_the_node(connection, tmp_path):
    connection._podman = Recorder([(0, b"demo-compute001", b"")])  # pylint: disable=protected-access
    target = tmp_path / "hostname"
    connection.fetch_file("/etc/hostname", str(target))
    assert connection._podman.calls == [(["exec"], ["cat", "/etc/hostname"], None, True)]  # pylint: disable=protected-access
    assert target.read_bytes() == b"demo-compute001"


def test_a_failed_copy_names_the_file_and_the_node(connection, tmp_path):
    connection._podman = Recorder([(1, b"", b"sh: 1: cannot create /nope/x: Directory nonexistent")])  # pylint: disable=protected-access
    source = tmp_path / "x"
    source.write_text("x")
    with pytest.raises(AnsibleError, match="could not copy .* to /nope/x in node demo-compute001: sh: 1: cannot create"):
        connection.put_file(str(source), "/nope/x")
