# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
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
