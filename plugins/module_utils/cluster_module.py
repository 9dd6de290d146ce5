# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base class of the collection's cluster modules (the openstack.cloud pattern).

A module subclasses :class:`ClusterModule`, sets ``argument_spec`` (merged over the common
provider options) and implements ``run()``. Provider failures become one ``fail_json`` here.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gridcloud.arc_cluster.plugins.module_utils.providers import (
    DEFAULT_PROVIDER,
    PROVIDER_NAMES,
    ProviderError,
    get_provider,
)

PROVIDER_ARGUMENT_SPEC = {
    "cluster": {"type": "str", "required": True},
    "provider": {"type": "str", "default": DEFAULT_PROVIDER, "choices": list(PROVIDER_NAMES)},
    "provider_settings": {"type": "dict", "default": {}},
}


class ClusterModule:
    """Common behaviour: argument handling, the provider, error reporting."""

    argument_spec = {}
    module_kwargs = {}

    def __init__(self):
        spec = dict(PROVIDER_ARGUMENT_SPEC)
        spec.update(self.argument_spec)
        self.ansible = AnsibleModule(argument_spec=spec, **self.module_kwargs)
        self.params = self.ansible.params
        self.check_mode = self.ansible.check_mode
        self._provider = None

    @property
    def provider(self):
        if self._provider is None:
            self._provider = get_provider(self.params["provider"],
                                          self.params["provider_settings"], self._runner)
        return self._provider

    def _runner(self, args):
        return self.ansible.run_command(args)

    def run(self):
        raise NotImplementedError

    def exit_json(self, **kwargs):
        self.ansible.exit_json(**kwargs)

    def fail_json(self, msg, **kwargs):
        self.ansible.fail_json(msg=msg, **kwargs)

    def __call__(self):
        try:
            self.run()
        except ProviderError as exc:
            self.fail_json(msg=str(exc))
        except OSError as exc:  # files and directories of the provider (volumes, caches)
            self.fail_json(msg="%s: %s" % (exc.filename or "provider", exc.strerror or exc))
