# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The options every job module has (plugins/module_utils/job_module.py)."""

    DOCUMENTATION = r"""
options:
  xrsl:
    description: The job description (xRSL) itself. One of O(xrsl) and O(src) is needed.
    type: str
  src:
    description: Path of a file holding the job description, on the host the module runs on.
    type: path
  wait:
    description: Wait until the job reaches a final state.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for a final state; the module fails after that, returning what it knows
        of the job (its ids and last state).
    type: int
    default: 600
  poll_interval:
    description: Seconds between two looks at the job.
    type: int
    default: 5
  fail_on_job_failure:
    description:
      - Fail when the job ends in a final state other than success (C(Finished) in ARC, C(done)
        in aCT) or with a non-zero exit code. With V(false) the result describes the failed job
        and the module succeeds.
    type: bool
    default: true
"""
