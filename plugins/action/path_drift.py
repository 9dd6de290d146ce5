# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of gridcloud.arc_cluster.path_drift: the wanted content's checksum is made here.

A path's wanted content is given the way the task that writes it gives it (O(template), O(src) or
O(content)); this action renders or reads it on the controller, as that task would, and hands
the module only its SHA-1. The content itself (which may hold a password) never reaches the node
nor the module's arguments.
"""

from __future__ import annotations

import hashlib

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase

_CONTENT_KEYS = ("template", "src", "content")
_MODULE_KEYS = ("path", "state", "checksum", "owner", "group", "mode")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def _wanted_checksum(self, entry, task_vars):
        """SHA-1 of the content the writing task would put at entry['path'], or None."""
        given = [key for key in _CONTENT_KEYS if entry.get(key) is not None]
        if len(given) > 1:
            raise AnsibleError("path_drift: %s gives %s; give at most one of template, src, content"
                               % (entry.get("path"), " and ".join(given)))
        if not given:
            return entry.get("checksum")
        key = given[0]
        if key == "content":
            data = to_bytes(entry["content"], errors="surrogate_or_strict")
        elif key == "template":
            template = self._shared_loader_obj.lookup_loader.get(
                "ansible.builtin.template", loader=self._loader, templar=self._templar)
            rendered = template.run([entry["template"]], variables=task_vars,
                                    template_vars=entry.get("template_vars") or {})[0]
            data = to_bytes(rendered, errors="surrogate_or_strict")
        else:
            source = self._find_needle("files", entry["src"])
            with open(to_bytes(source, errors="surrogate_or_strict"), "rb") as handle:
                data = handle.read()
        return hashlib.sha1(data).hexdigest()

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # the module needs no temporary files of its own
        paths = self._task.args.get("paths")
        if not isinstance(paths, list) or not all(isinstance(entry, dict) for entry in paths):
            result.update(failed=True, msg="path_drift: paths must be a list of mappings, each with a path")
            return result
        module_paths = []
        try:
            for entry in paths:
                wanted = {key: entry[key] for key in _MODULE_KEYS if entry.get(key) is not None}
                checksum = self._wanted_checksum(entry, task_vars)
                if checksum is not None:
                    wanted["checksum"] = checksum
                module_paths.append(wanted)
        except AnsibleError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        result.update(self._execute_module(module_name="gridcloud.arc_cluster.path_drift",
                                           module_args={"paths": module_paths},
                                           task_vars=task_vars))
        return result
