# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gridcloud.arc_cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark's goals table (scripts/benchmark.py): each goal is judged on the figures of
one run, and a goal whose figures the run did not measure says what would measure it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPEC = importlib.util.spec_from_file_location("gridcloud_benchmark",
                                              HERE.parents[1] / "scripts" / "benchmark.py")
benchmark = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(benchmark)

FULL = {
    "create": 240.0, "rerun": 29.0, "add_worker": 100.0, "apt_floor": 100.0,
    "overhead_ratio": 2.4, "scale": {2: 240.0, 4: 270.0, 8: 330.0, 16: 400.0},
    "jobs": {"rest_median": 60.1, "internal_median": 8.8, "act_median": 74.2,
             # A-REX had the last job FINISHED after 110 s, arcstat saw it after 200 s
             "rest_batch": {"jobs": 100, "submit_seconds": 70.0, "arex_seconds": 110.0,
                            "arcstat_seconds": 200.0}},
    "elastic": {"rounds": 3, "to_running_median": 74.0, "to_gone_median": 95.0},
}


def verdicts(results):
    return {goal: (figure, verdict) for goal, figure, verdict in benchmark.goals(results)}


def test_every_goal_is_judged_on_a_full_run():
    assert verdicts(FULL) == {
        "REST hello job (arc_job), median <= 15 s": ("60.1 s", "not met"),
        "INTERNAL hello job, median <= 15 s": ("8.8 s", "met"),
        "aCT hello job, median <= 30 s": ("74.2 s", "not met"),
        # judged on A-REX's own state, as the single-job REST median is
        "100 REST jobs at once, all Finished in A-REX <= 120 s": ("110 s", "met"),
        "second create, no change, <= 30 s": ("29 s", "met"),
        "create <= 1.5x the apt floor": ("2.4x", "not met"),
        "add one worker <= 40 % of a create": ("42%", "not met"),
        "elastic: queued job to running on a resumed node <= 90 s": ("74 s", "met"),
        "16 workers <= 1.6x the time of 2": ("1.67x", "not met"),
    }


def test_a_goal_without_its_figures_says_what_measures_it():
    partial = dict(FULL, scale={2: 240.0, 4: 270.0},
                   jobs={"rest_median": 12.0, "internal_median": 8.8,
                         "rest_batch": {"jobs": 20, "submit_seconds": 10.0, "arex_seconds": 50.0,
                                        "arcstat_seconds": 70.0},
                         "act": "skipped: aCT does not run"})
    judged = verdicts(partial)
    assert judged["REST hello job (arc_job), median <= 15 s"] == ("12.0 s", "met")
    assert judged["aCT hello job, median <= 30 s"] == ("-", "not measured (--jobs N with ACT_SOURCE)")
    assert judged["100 REST jobs at once, all Finished in A-REX <= 120 s"] == (
        "-", "not measured (--jobs N --batch 100)")
    assert judged["16 workers <= 1.6x the time of 2"] == ("-", "not measured (--scale 2 16)")
    no_elastic = verdicts({key: value for key, value in FULL.items() if key != "elastic"})
    assert no_elastic["elastic: queued job to running on a resumed node <= 90 s"] == (
        "-", "not measured (--elastic N)")
    no_jobs = verdicts({key: value for key, value in FULL.items() if key != "jobs"})
    assert no_jobs["INTERNAL hello job, median <= 15 s"] == ("-", "not measured (--jobs N)")


def test_the_table_has_one_line_per_goal():
    lines = benchmark.goals_table(benchmark.goals(FULL)).splitlines()
    assert len(lines) == len(benchmark.GOALS)
    assert lines[-1].split()[-2:] == ["not", "met"]


def test_playbook_figures_say_how_busy_the_cpus_were():
    # a run that read the machine's CPU time: each playbook figure says its share; the ones it
    # did not read (an older JSON, a figure not from a playbook) are shown bare
    with_busy = {key: value for key, value in FULL.items() if key not in ("jobs", "elastic")}
    with_busy["cpu_busy"] = {"create": 0.612, "rerun": 0.68, "scale_16": 0.97}
    rows = dict(line.rsplit("  ", 1) for line in benchmark.table(with_busy, 2).splitlines())
    rows = {name.strip(): value.strip() for name, value in rows.items()}
    assert rows["create from nothing (2 workers)"] == "240 s (CPUs 61 % busy)"
    assert rows["second create, no change"] == "29 s (CPUs 68 % busy)"
    assert rows["create from nothing, 16 workers"] == "400 s (CPUs 97 % busy)"
    assert rows["resize: add one worker"] == "100 s"
    assert rows["create from nothing, 4 workers"] == "270 s"


def test_cpu_ticks_count_idle_and_iowait_as_not_busy(tmp_path, monkeypatch):
    stat = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal guest guest_nice
    stat.write_text("cpu  100 5 50 800 40 3 2 0 7 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n")
    real_open = open
    monkeypatch.setattr("builtins.open", lambda path, *args, **kwargs: real_open(
        stat if path == "/proc/stat" else path, *args, **kwargs))
    assert benchmark.cpu_ticks() == (160, 1000)
