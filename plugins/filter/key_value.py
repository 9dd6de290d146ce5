# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: key_value
short_description: Render a mapping as the lines of a key=value configuration file
version_added: "1.0.0"
author:
  - gridcloud.arc_cluster contributors (!UNKNOWN)
description:
  - Turns a mapping into C(key=value) lines, one per key, for configuration files such as
    C(slurm.conf), C(cgroup.conf), C(slurmdbd.conf), CVMFS's C(default.local), the sections of a
    MariaDB option file and the blocks of C(arc.conf).
  - The roles of this collection keep such a file as a mapping merged over their defaults and
    write it with this filter, so that any key of the file can be set without changing a template.
  - Keys whose value is null (V(None)) are left out, so that a null in the inventory removes a
    default.
  - Booleans are written with the words of the file's own documentation, V(yes) and V(no) unless
    O(booleans) says otherwise; never as Python's V(True) and V(False).
  - A list is written as its items joined with a comma (C(TaskPlugin=task/cgroup,task/affinity)),
    or with O(lists=repeat) as one line per item (the multi-valued options of C(arc.conf)). Its
    items are written like scalar values (booleans mapped); an item that is null, a list or a
    mapping is an error.
  - Any other value (string, number) is written as Python's C(str) writes it, which is what
    C({{ value }}) writes in a template.
  - A value that is a mapping is an error that names its key, and so is a mapping or list
    inside a list and an input that is not a mapping.
positional: _input
options:
  _input:
    description: The settings, a mapping of key to value.
    type: dict
    required: true
  separator:
    description:
      - What is written between a key and its value, for example V(" = ") for a MariaDB option
        file.
    type: str
    default: "="
  joiner:
    description:
      - Not set (the default), each line ends with a newline (also the last one); an empty
        mapping gives an empty string.
      - Set, the lines are joined with this string and the result has no newline at its end, for
        files that put several C(key=value) pairs on one line, such as the C(NodeName=...) and
        C(PartitionName=...) lines of C(slurm.conf) (O(joiner=" ")).
    type: str
  booleans:
    description:
      - How booleans are written, a mapping with the keys V(true) and V(false) (booleans, or the
        strings V(true) and V(false)).
      - >-
        Use the words the file's documentation uses, for example V({true: "YES", false: "NO"})
        for C(slurm.conf), V({true: "ON", false: "OFF"}) for a MariaDB option file.
    type: dict
    default: {true: "yes", false: "no"}
  lists:
    description:
      - How a list value is written.
      - V(join) writes one line with the items joined with a comma, as C(slurm.conf) and CVMFS
        take multi-valued settings.
      - V(repeat) writes one line per item, in the list's order, as C(arc.conf) takes its
        multi-valued options; an empty list writes nothing.
    type: str
    choices: [join, repeat]
    default: join
  quote:
    description:
      - Quote each value for a POSIX shell (as C(ansible.builtin.quote) does), for files that are
        sourced by a shell, such as CVMFS's C(default.local). A value that needs no quoting (such
        as V(/var/lib/cvmfs)) is written as it is.
      - With O(lists=join) the joined value is quoted as one.
    type: bool
    default: false
  sort:
    description:
      - V(true) writes the keys sorted, case-insensitively (as Jinja's C(dictsort) sorts), so that
        the file does not change when only the order of the settings does.
      - V(false) writes them in the mapping's own order, for files in which the order of options
        matters, such as the blocks of C(arc.conf).
    type: bool
    default: true
  first:
    description:
      - Keys written first, in this order, before the others (which follow sorted or in their
        own order, as O(sort) says). A key of this list that is not in the mapping, or whose
        value is null, is skipped.
      - For lines whose first key names the line, such as the C(NodeName=...) and
        C(PartitionName=...) lines of C(slurm.conf).
    type: list
    elements: str
    default: []
notes:
  - Keys are written as they are; the filter does not check them against the file's options.
"""

EXAMPLES = r"""
# slurm_config: {ClusterName: demo, CryptoType: null, TaskPlugin: [task/cgroup, task/affinity]}
# => "ClusterName=demo\nTaskPlugin=task/cgroup,task/affinity\n"
slurm_conf_body: "{{ slurm_config | gridcloud.arc_cluster.key_value }}"

# cgroup.conf documents its switches as yes|no, the default mapping:
# {ConstrainCores: true, ConstrainDevices: false} => "ConstrainCores=yes\nConstrainDevices=no\n"
cgroup_conf_body: "{{ cgroup_settings | gridcloud.arc_cluster.key_value }}"

# One slurm.conf line, NodeName first, booleans as slurm.conf's man page writes them:
# => "NodeName=node1 CPUs=2 RealMemory=3500 State=UNKNOWN"
node_line: >-
  {{ {'NodeName': 'node1', 'State': 'UNKNOWN', 'CPUs': 2, 'RealMemory': 3500}
     | gridcloud.arc_cluster.key_value(joiner=' ', first=['NodeName'],
                                      booleans={true: 'YES', false: 'NO'}) }}

# A MariaDB option file section:
# {max_connections: 300, skip-name-resolve: true}
# => "max_connections = 300\nskip-name-resolve = ON\n"
mysqld_section: >-
  {{ mysqld_settings | gridcloud.arc_cluster.key_value(separator=' = ',
                                                       booleans={true: 'ON', false: 'OFF'}) }}

# A file sourced by a shell (CVMFS default.local):
# {CVMFS_HTTP_PROXY: "http://a:3128|http://b:3128", CVMFS_QUOTA_LIMIT: 4000}
# => "CVMFS_HTTP_PROXY='http://a:3128|http://b:3128'\nCVMFS_QUOTA_LIMIT=4000\n"
default_local: "{{ cvmfs_settings | gridcloud.arc_cluster.key_value(quote=true) }}"

# An arc.conf block: options in their own order, a list written once per item:
# {map_to_user: local grid:grid, advertisedvo: [atlas, ops]}
# => "map_to_user=local grid:grid\nadvertisedvo=atlas\nadvertisedvo=ops\n"
arc_block: "{{ options | gridcloud.arc_cluster.key_value(sort=false, lists='repeat') }}"
"""

RETURN = r"""
_value:
  description:
    - The lines, each ending with a newline; or, with O(joiner), the lines joined with it and no
      newline at the end. An empty string when no key has a value.
  type: str
"""

import shlex
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

_LIST_MODES = ("join", "repeat")


def _boolean_words(booleans):
    """The words for True and False from the caller's mapping (boolean or string keys)."""
    if not isinstance(booleans, Mapping):
        raise AnsibleFilterError(
            "key_value: booleans must be a mapping {true: ..., false: ...}, got %s"
            % type(booleans).__name__)
    words = {}
    for key, word in booleans.items():
        if isinstance(key, bool):
            flag = key
        elif isinstance(key, str) and key.lower() in ("true", "false"):
            flag = key.lower() == "true"
        else:
            raise AnsibleFilterError(
                "key_value: the keys of booleans must be true and false, got %r" % (key,))
        if word is None or isinstance(word, (Mapping, list, tuple, bool)):
            raise AnsibleFilterError(
                "key_value: booleans must map true and false to strings, got %r for %s"
                % (word, str(flag).lower()))
        words[flag] = str(word)
    missing = [str(flag).lower() for flag in (True, False) if flag not in words]
    if missing:
        raise AnsibleFilterError("key_value: booleans has no word for %s" % " and ".join(missing))
    return words


def _scalar(key, value, words, what="value"):
    """One value as text: booleans mapped, strings and numbers as str() writes them."""
    if isinstance(value, bool):
        return words[value]
    if value is None:
        raise AnsibleFilterError("key_value: the list of key %r holds a null item" % (key,))
    if isinstance(value, Mapping):
        raise AnsibleFilterError(
            "key_value: the %s of key %r is a mapping; a string, number, boolean, list or null "
            "is expected" % (what, key))
    if isinstance(value, (list, tuple, set)):
        raise AnsibleFilterError(
            "key_value: the %s of key %r is a list; items must be strings, numbers or booleans"
            % (what, key))
    return str(value)


def _ordered_keys(data, sort, first):
    keys = list(data)
    if sort:
        # As Jinja's dictsort (case_sensitive=False): stable, by the lower-cased key.
        keys.sort(key=lambda k: k.lower() if isinstance(k, str) else str(k))
    head = [key for key in first if key in data]
    return head + [key for key in keys if key not in head]


def key_value(data, separator="=", joiner=None, booleans=None, lists="join", quote=False,
              sort=True, first=None):
    """Render a mapping as key<separator>value lines; see DOCUMENTATION."""
    if not isinstance(data, Mapping):
        raise AnsibleFilterError(
            "key_value expects a mapping of settings, got %s" % type(data).__name__)
    if lists not in _LIST_MODES:
        raise AnsibleFilterError(
            "key_value: lists must be one of %s, got %r" % (", ".join(_LIST_MODES), lists))
    if first is None:
        first = []
    elif isinstance(first, str) or not isinstance(first, (list, tuple)):
        raise AnsibleFilterError("key_value: first must be a list of keys, got %r" % (first,))
    words = _boolean_words({True: "yes", False: "no"} if booleans is None else booleans)
    separator = str(separator)

    def write(text):
        return shlex.quote(text) if quote else text

    lines = []
    for key in _ordered_keys(data, sort, first):
        value = data[key]
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            items = [_scalar(key, item, words, "item") for item in value]
            if lists == "repeat":
                lines.extend("%s%s%s" % (key, separator, write(item)) for item in items)
                continue
            text = ",".join(items)
        else:
            text = _scalar(key, value, words)
        lines.append("%s%s%s" % (key, separator, write(text)))

    if joiner is None:
        return "".join(line + "\n" for line in lines)
    return str(joiner).join(lines)


class FilterModule:
    """The collection's key=value renderer."""

    def filters(self):
        return {"key_value": key_value}
