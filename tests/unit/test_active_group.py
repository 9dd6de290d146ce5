# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One notion of the nodes to configure: the inventory group gridcloud_active.

The playbooks, roles and examples select nodes with ``<group>:&gridcloud_active`` (or
``gridcloud_active``) and never spell the difference ``all - gridcloud_surplus -
gridcloud_planned`` again, as a host pattern or as a Jinja expression.
"""

from __future__ import annotations

import os
import re

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TREES = ("roles", "playbooks", "examples", "molecule")
# the old spellings of "the active nodes"
OLD_SPELLINGS = (
    re.compile(r"!gridcloud_surplus"),
    re.compile(r"!gridcloud_planned"),
    re.compile(r"difference\(\s*groups\[['\"]gridcloud_(surplus|planned)['\"]\]"),
)


def _files():
    for tree in TREES:
        for root, _dirs, files in os.walk(os.path.join(REPO, tree)):
            for name in files:
                if name.endswith((".yml", ".yaml", ".j2")):
                    yield os.path.join(root, name)


def test_nobody_spells_the_active_nodes_as_a_difference():
    offenders = []
    for path in _files():
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if any(pattern.search(line) for pattern in OLD_SPELLINGS):
                    offenders.append("%s:%d: %s" % (os.path.relpath(path, REPO), number,
                                                    line.strip()))
    assert offenders == [], "use gridcloud_active instead:\n" + "\n".join(offenders)


def _plays():
    for name in sorted(os.listdir(os.path.join(REPO, "playbooks"))):
        if not name.endswith(".yml"):
            continue
        with open(os.path.join(REPO, "playbooks", name), encoding="utf-8") as handle:
            for play in yaml.safe_load(handle) or []:
                if "hosts" in play:
                    yield name, play


@pytest.mark.parametrize("name, play", list(_plays()),
                         ids=lambda value: value if isinstance(value, str) else value["name"])
def test_every_play_on_nodes_is_limited_to_the_active_ones(name, play):
    hosts = play["hosts"]
    if hosts == "localhost":
        return
    if hosts == "gridcloud_active:gridcloud_planned":
        # the preflight checks: nodes that are only planned count, and none is contacted
        assert (name, play.get("gather_facts")) == ("preflight.yml", False), (name, play["name"])
        return
    assert hosts == "gridcloud_active" or hosts.endswith(":&gridcloud_active"), (
        "%s: play %r runs on %r; limit it with :&gridcloud_active" % (name, play["name"], hosts))
