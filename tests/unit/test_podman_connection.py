# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The podman connection: the podman calls it makes for commands, modules and files.

The podman command itself is replaced by a recorder (the plugin builds its argument lists and
hands them to containers.podman's ``_podman``); the molecule scenarios run it for real.
"""

from __future__ import annotations

import json
import os

import pytest
import yaml
from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.playbook.play_context import PlayContext

from ansible_collections.gridcloud.arc_cluster.plugins.connection import podman as podman_connection
from ansible_collections.gridcloud.arc_cluster.plugins.connection.podman import Connection, runc_container_runs


class Recorder:
    def __init__(self, answers=None):
        self.calls = []
        self.answers = list(answers or [])

    def __call__(self, cmd, cmd_args=None, in_data=None, use_container_id=True):
        self.calls.append((cmd, cmd_args, in_data, use_container_id))
        return self.answers.pop(0) if self.answers else (0, b"", b"")


# The plugin is built directly, not through the plugin loader: its options are registered here.
C.config.initialize_plugin_configuration_definitions(
    "connection", "gridcloud.arc_cluster.podman", yaml.safe_load(podman_connection.DOCUMENTATION)["options"])


def make_connection(runtime_exec):
    context = PlayContext()
    context.remote_addr = "demo-compute001"
    conn = Connection(context, None)
    conn._load_name = "gridcloud.arc_cluster.podman"  # pylint: disable=protected-access
    conn.set_options(direct={"runtime_exec": runtime_exec})
    conn._podman = Recorder()  # pylint: disable=protected-access
    return conn


@pytest.fixture
def connection():
    return make_connection(runtime_exec=False)


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


# runc exec: the commands go to the container's runtime when the controller is root and podman local.

CONTAINER_ID = "4f1c" * 16


def own_start_time():
    with open("/proc/self/stat", encoding="utf-8") as handle:
        stat = handle.read()
    return stat[stat.rfind(")") + 2:].split()[19]


@pytest.fixture
def runc_node(tmp_path, monkeypatch):
    """A runc state dir whose container's init process is this test's process, a runc that echoes."""
    runc_root = tmp_path / "runc"
    (runc_root / CONTAINER_ID).mkdir(parents=True)
    (runc_root / CONTAINER_ID / "state.json").write_text(json.dumps(
        {"id": CONTAINER_ID, "init_process_pid": os.getpid(), "init_process_start": int(own_start_time())}))
    runc = tmp_path / "runc-echo"
    runc.write_text("#!/bin/sh\necho \"$@\"\ncat\n")
    runc.chmod(0o755)
    local_tmp = tmp_path / "local-tmp"
    local_tmp.mkdir()
    monkeypatch.setattr(podman_connection, "RUNC_ROOT", str(runc_root))
    monkeypatch.setattr(podman_connection.shutil, "which", lambda name: str(runc) if name == "runc" else None)
    monkeypatch.setattr(podman_connection.os, "geteuid", lambda: 0)
    monkeypatch.setattr(C, "DEFAULT_LOCAL_TMP", str(local_tmp))
    monkeypatch.delenv("CONTAINER_HOST", raising=False)
    monkeypatch.delenv("CONTAINER_CONNECTION", raising=False)
    return {"root": runc_root, "runc": runc, "local_tmp": local_tmp}


def test_a_running_runc_container_is_recognised_by_its_init_process(runc_node):
    assert runc_container_runs(CONTAINER_ID, str(runc_node["root"])) is True


def test_a_reused_pid_with_another_start_time_is_not_the_container(runc_node):
    state = runc_node["root"] / CONTAINER_ID / "state.json"
    state.write_text(json.dumps({"init_process_pid": os.getpid(), "init_process_start": 1}))
    assert runc_container_runs(CONTAINER_ID, str(runc_node["root"])) is False
    assert runc_container_runs("gone", str(runc_node["root"])) is False


def test_as_root_with_local_podman_a_command_is_one_runc_exec_and_the_id_is_asked_once(runc_node):
    conn = make_connection(runtime_exec=True)
    conn._podman = Recorder([(0, ("%s runc\n" % CONTAINER_ID).encode(), b"")])  # pylint: disable=protected-access
    rc, out, _err = conn.exec_command("/bin/sh -c 'python3 && sleep 0'", in_data=b"module")
    assert rc == 0
    assert out == ("--root %s exec %s /bin/sh -c python3 && sleep 0\nmodule"
                   % (runc_node["root"], CONTAINER_ID)).encode()
    conn.exec_command("true")
    again = make_connection(runtime_exec=True)  # another task's connection in the same run
    again._podman = Recorder()  # pylint: disable=protected-access
    again.exec_command("true")
    assert conn._podman.calls == [  # pylint: disable=protected-access
        (["inspect", "--format", "{{.Id}} {{.OCIRuntime}}"], None, None, True)]
    assert again._podman.calls == []  # pylint: disable=protected-access


def test_a_node_made_again_is_asked_for_again(runc_node):
    (runc_node["local_tmp"] / "gridcloud-podman-demo-compute001").write_text("0ld1d runc\n")
    conn = make_connection(runtime_exec=True)
    conn._podman = Recorder([(0, ("%s runc\n" % CONTAINER_ID).encode(), b"")])  # pylint: disable=protected-access
    rc, out, _err = conn.exec_command("true")
    assert rc == 0 and out.startswith(b"--root")
    assert len(conn._podman.calls) == 1  # pylint: disable=protected-access


def test_a_stopped_node_goes_through_podman_exec(runc_node):
    (runc_node["root"] / CONTAINER_ID / "state.json").unlink()
    conn = make_connection(runtime_exec=True)
    conn._podman = Recorder([(0, ("%s runc\n" % CONTAINER_ID).encode(), b""),  # pylint: disable=protected-access
                             (125, b"", b"Error: can only create exec sessions on running containers")])
    rc, _out, err = conn.exec_command("true")
    assert rc == 125 and b"running containers" in err
    assert conn._podman.calls[1] == (["exec"], ["true"], None, True)  # pylint: disable=protected-access


@pytest.mark.parametrize("setting", ["crun", "not root", "remote podman", "option off", "user"])
def test_otherwise_podman_exec_is_used(runc_node, monkeypatch, setting):
    conn = make_connection(runtime_exec=setting != "option off")
    answers = [(0, ("%s %s\n" % (CONTAINER_ID, "crun" if setting == "crun" else "runc")).encode(), b"")]
    conn._podman = Recorder(answers)  # pylint: disable=protected-access
    if setting == "not root":
        monkeypatch.setattr(podman_connection.os, "geteuid", lambda: 1000)
    if setting == "remote podman":
        monkeypatch.setenv("CONTAINER_HOST", "unix:///run/podman/podman.sock")
    if setting == "user":
        conn.user = "slurm"
    conn.exec_command("true")
    conn.exec_command("true")
    execs = [call for call in conn._podman.calls if call[0][0] == "exec"]  # pylint: disable=protected-access
    inspects = [call for call in conn._podman.calls if call[0][0] == "inspect"]  # pylint: disable=protected-access
    assert len(execs) == 2
    assert len(inspects) == (1 if setting == "crun" else 0)
