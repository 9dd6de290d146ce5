#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: path_drift
short_description: Find which files and directories on a node differ from what a role writes
version_added: "1.0.0"
description:
  - Reads, in one module run, the type, content checksum, owner, group and mode of many paths
    and compares them with what the tasks that write them would make.
  - A role reads its paths with this module once and then runs the task that writes a path
    (M(ansible.builtin.template), M(ansible.builtin.copy), M(ansible.builtin.file)) only for
    the paths that are not in place. A path already in place costs no further module run; on a
    re-run where nothing changed this saves two module runs per template and one per directory.
  - The comparison only ever says a path is in place when every given property matches. Whatever
    it cannot tell (a missing owner, a symbolic mode, a link where a file is wanted, an unreadable
    file) counts as drifted, so the writing task runs and decides, as it would without this module.
  - The wanted content is rendered or read on the controller by the module's action, the way the
    writing task would; only its SHA-1 reaches the node, so content that holds a secret is
    neither sent nor logged.
  - Changes nothing on the node.
author:
  - gridcloud.arc_cluster contributors (!UNKNOWN)
options:
  paths:
    description: The paths to compare, each with what it should be.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path on the node.
        type: path
        required: true
      state:
        description: V(file) for a regular file, V(directory) for a directory.
        type: str
        default: file
        choices: [file, directory]
      template:
        description:
          - The template the file is written from, as the O(ansible.builtin.template#module:src)
            of the task that writes it. It is rendered on the controller with the task's variables
            and only its SHA-1 goes to the node.
          - Give at most one of O(paths[].template), O(paths[].src), O(paths[].content) and
            O(paths[].checksum). Left out, all four, the content is not compared.
        type: str
      template_vars:
        description:
          - Variables the writing task sets for its template (its C(vars:)), given to the template
            as they are to that task.
        type: dict
      src:
        description:
          - The controller file the file is copied from, as the O(ansible.builtin.copy#module:src)
            of the task that writes it (found in the role's C(files/) as that task finds it).
        type: str
      content:
        description: The content the file is written with, as the O(ansible.builtin.copy#module:content) of the task.
        type: str
      checksum:
        description: SHA-1 (hex) of the content the file should have.
        type: str
      owner:
        description: User name or numeric uid that should own the path. Left out, not compared.
        type: str
      group:
        description: Group name or numeric gid of the path. Left out, not compared.
        type: str
      mode:
        description:
          - Permission bits as an octal string, for example V('0640'). Left out, not compared.
          - A symbolic mode cannot be compared and makes the path count as drifted.
        type: raw
attributes:
  check_mode:
    support: full
    description: Reads only; the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to show.
seealso:
  - module: ansible.builtin.stat
"""

EXAMPLES = r"""
- name: Read which of the role's files are already in place
  gridcloud.arc_cluster.path_drift:
    paths:
      - path: /etc/slurm
        state: directory
        owner: root
        group: root
        mode: "0755"
      - path: /etc/slurm/slurm.conf
        template: slurm.conf.j2
        owner: root
        group: root
        mode: "0644"
  register: slurm_paths

- name: Write slurm.conf, unless it is in place
  ansible.builtin.template:
    src: slurm.conf.j2
    dest: /etc/slurm/slurm.conf
    owner: root
    group: root
    mode: "0644"
  when: "'/etc/slurm/slurm.conf' not in slurm_paths.in_place | default([])"
"""

RETURN = r"""
in_place:
  description: The given paths that are as wanted, in the order given.
  returned: always
  type: list
  elements: str
  sample: [/etc/slurm, /etc/slurm/slurm.conf]
drifted:
  description: The given paths that are not, each with what differs.
  returned: always
  type: dict
  sample: {/etc/slurm/slurm.conf: [content, "mode 0600, not 0644"]}
"""

import grp
import hashlib
import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule


def _numeric_id(name, look_up):
    """The id for a name (look_up: name -> id) or a numeric string, or None when there is no such name."""
    if name.isdigit():
        return int(name)
    try:
        return look_up(name)
    except KeyError:
        return None


def _octal_mode(mode):
    """Permission bits of an octal mode given as a string or an int, or None if it is not one."""
    if isinstance(mode, int):
        # YAML reads 0644 unquoted as the int 420: the file module takes it as those bits.
        return mode & 0o7777
    text = str(mode).strip()
    if not text or any(c not in "01234567" for c in text):
        return None
    return int(text, 8) & 0o7777


def _sha1(path):
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def differences(wanted):
    """What differs between the path on this node and what is wanted: an empty list when in place."""
    path = wanted["path"]
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return ["missing"]
    except OSError as err:
        return ["unreadable: %s" % err.strerror]

    found = []
    if wanted["state"] == "directory":
        if not stat.S_ISDIR(info.st_mode):
            return ["not a directory"]
    else:
        if not stat.S_ISREG(info.st_mode):
            return ["not a regular file"]
        if wanted.get("checksum"):
            try:
                if _sha1(path) != wanted["checksum"].lower():
                    found.append("content")
            except OSError as err:
                found.append("unreadable: %s" % err.strerror)

    for key, id_name, look_up, has_id in (
            ("owner", "uid", lambda user: pwd.getpwnam(user).pw_uid, info.st_uid),
            ("group", "gid", lambda group: grp.getgrnam(group).gr_gid, info.st_gid)):
        if wanted.get(key) is None:
            continue
        wanted_id = _numeric_id(str(wanted[key]), look_up)
        if wanted_id is None:
            found.append("%s %s does not exist" % (key, wanted[key]))
        elif wanted_id != has_id:
            found.append("%s %s %d, not %s" % (key, id_name, has_id, wanted[key]))
    if wanted.get("mode") is not None:
        bits = _octal_mode(wanted["mode"])
        if bits is None:
            found.append("mode %s is not octal, so it is not compared here" % wanted["mode"])
        elif bits != stat.S_IMODE(info.st_mode):
            found.append("mode %04o, not %04o" % (stat.S_IMODE(info.st_mode), bits))
    return found


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    path=dict(type="path", required=True),
                    state=dict(type="str", default="file", choices=["file", "directory"]),
                    template=dict(type="str"),
                    template_vars=dict(type="dict"),
                    src=dict(type="str"),
                    content=dict(type="str", no_log=True),
                    checksum=dict(type="str"),
                    owner=dict(type="str"),
                    group=dict(type="str"),
                    mode=dict(type="raw"),
                ),
            ),
        ),
        supports_check_mode=True,
    )
    in_place = []
    drifted = {}
    for wanted in module.params["paths"]:
        found = differences(wanted)
        if found:
            drifted[wanted["path"]] = found
        else:
            in_place.append(wanted["path"])
    module.exit_json(changed=False, in_place=in_place, drifted=drifted)


if __name__ == "__main__":
    main()
