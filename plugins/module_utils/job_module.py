# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base class of the collection's job modules (arc_job, act_job).

A job module subclasses :class:`JobModule`, sets ``argument_spec`` (merged over the options every
job module has: the job description, waiting and failing), ``module_kwargs`` and
``initial_result``, and implements ``run()``, raising :class:`JobError` for anything the user
must hear about (:class:`JobTimeout` when the wait ran out). ``poll()`` is the wait loop,
``files_under()`` lists a job's outputs.
"""

from __future__ import annotations

import os
import time

from ansible.module_utils.basic import AnsibleModule

JOB_ARGUMENT_SPEC = {
    "xrsl": {"type": "str"},
    "src": {"type": "path"},
    "wait": {"type": "bool", "default": True},
    "timeout": {"type": "int", "default": 600},
    "poll_interval": {"type": "int", "default": 5},
    "fail_on_job_failure": {"type": "bool", "default": True},
}


class JobError(Exception):
    """A failure with a message for the user; ``result`` holds what is known so far."""

    def __init__(self, msg, **result):
        super().__init__(msg)
        self.result = result


class JobTimeout(JobError):
    """The job did not reach a final state within the module's timeout."""


class JobModule:
    """Common behaviour: arguments, the result, the wait loop, error reporting."""

    name = "job"
    argument_spec = {}
    module_kwargs = {}
    initial_result = {}

    def __init__(self):
        spec = dict(JOB_ARGUMENT_SPEC)
        spec.update(self.argument_spec)
        self.ansible = AnsibleModule(argument_spec=spec, **self.module_kwargs)
        self.params = self.ansible.params
        self.result = dict({"changed": False}, **self.initial_result)

    def poll(self, step, timeout_message):
        """Call ``step()`` every poll_interval seconds until it returns true.

        After ``timeout`` seconds raise JobTimeout with ``timeout_message()``.
        """
        deadline = time.monotonic() + self.params["timeout"]
        while not step():
            if time.monotonic() >= deadline:
                raise JobTimeout(timeout_message())
            time.sleep(max(self.params["poll_interval"], 0))

    @staticmethod
    def files_under(directory):
        """Every file below ``directory``, sorted (nothing when it does not exist)."""
        found = []
        for root, _dirs, files in os.walk(directory):
            found.extend(os.path.join(root, name) for name in files)
        return sorted(found)

    def run(self):
        raise NotImplementedError

    def __call__(self):
        try:
            self.run()
        except JobError as exc:
            self.result.update(exc.result)
            self.ansible.fail_json(msg=str(exc), **self.result)
        except OSError as exc:
            self.ansible.fail_json(msg="%s: %s" % (exc.filename or self.name, exc.strerror or exc),
                                   **self.result)
        self.ansible.exit_json(**self.result)
