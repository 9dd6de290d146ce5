# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one reader of a cluster definition file, on the Ansible controller.

The inventory plugin and the action ``cluster_definition`` read a definition here, with
Ansible's own loader (so vaulted values and YAML tags are handled as everywhere else in
Ansible), refuse a mapping key given twice (Ansible's loader only warns and keeps the last),
and validate it with ``module_utils/definition.py``.

A file is read and validated once per process: ``meta: refresh_inventory`` asks the inventory
plugin again (for the nodes that now exist), but the file has not changed, so its normal form
comes from a cache keyed by the file's path, size and modification time.
"""

from __future__ import annotations

import copy
import os

import yaml

from ansible.utils.display import Display

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.definition import (
    DefinitionError,
    definition_base_dir,
    validate_definition,
)

display = Display()

# (real path, size, mtime_ns) -> normal form
_CACHE = {}
# How many times a file was read and validated in this process (tests count them).
READS = {"count": 0}


def duplicate_keys(text):
    """Return ``(key, line)`` for every mapping key given twice in YAML ``text``.

    Composing builds the node tree without constructing values, so tags such as ``!vault``
    need no constructor here. A syntax error raises yaml.YAMLError, whose message says where.
    """
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    found = []
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        found.append((key.value, key.start_mark.line + 1))
                    seen.add(key.value)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(found, key=lambda item: item[1])


def plain(value):
    """Turn the loader's tagged values into plain Python types (vaulted values stay as they are)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str) and type(value) is not str:  # pylint: disable=unidiomatic-typecheck
        return str(value)
    return value


def read_definition(path, loader):
    """Read, check and validate the definition at ``path``; return its normal form.

    ``loader`` is Ansible's DataLoader (the inventory plugin's or the action's). Raise
    DefinitionError with every problem.
    """
    if not os.path.isfile(path):
        raise DefinitionError(["definition file %s does not exist" % path])
    real = os.path.realpath(path)
    stat = os.stat(real)
    key = (real, stat.st_size, stat.st_mtime_ns)
    if key in _CACHE:
        return copy.deepcopy(_CACHE[key])
    with open(real, encoding="utf-8") as handle:
        text = handle.read()
    try:
        duplicates = duplicate_keys(text)
    except yaml.YAMLError as exc:  # its message names the line and column
        raise DefinitionError(["%s: not valid YAML: %s" % (path, " ".join(str(exc).split()))])
    if duplicates:
        raise DefinitionError(["%s line %d: key %r is given twice in the same mapping; keep one "
                               "(YAML would silently take the last)" % (path, line, name)
                               for name, line in duplicates])
    try:
        data = loader.load(text, file_name=os.path.abspath(path), show_content=False)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        raise DefinitionError(["%s: not valid YAML: %s" % (path, exc)])
    READS["count"] += 1
    display.vvv("gridcloud.arc_cluster: read and validated the cluster definition %s" % path)
    normal = validate_definition(plain(data), base_dir=definition_base_dir(path))
    _CACHE.clear()  # one definition per run; a changed file replaces the old entry
    _CACHE[key] = normal
    return copy.deepcopy(normal)
