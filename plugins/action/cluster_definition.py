# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of gridcloud.arc_cluster.cluster_definition: runs on the controller.

It reads the file with the same reader as the inventory plugin (Ansible's loader, duplicate
keys refused), so a definition is judged the same way wherever it is read.
"""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.definition import (
    DefinitionError,
    planned_nodes,
)
from ansible_collections.gridcloud.arc_cluster.plugins.plugin_utils.definition_file import (
    read_definition,
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # no temporary files are used
        _spec, args = self.validate_argument_spec(
            argument_spec={"path": {"type": "path", "required": True}})
        path = os.path.expanduser(args["path"])
        try:
            definition = read_definition(path, self._loader)
        except DefinitionError as exc:
            result.update(failed=True, msg=exc.message, problems=exc.problems)
            return result
        result.update(changed=False, definition=definition,
                      planned_nodes=planned_nodes(definition))
        return result
