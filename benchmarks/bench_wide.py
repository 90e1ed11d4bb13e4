"""exact_upto: what trying the wide classes costs, and what it buys, on one part of a job.

Counts one part of a real exact job's plan (``ShardPlan.groups`` x ``ShardPlan.tasks``)
in this process under several kernel settings, one after the other, and prints each
one's wall seconds, classes, steps, H_high - H_low and the bracket log2(H_high / H_low).
Every setting gives the same counts (the script checks halting, and limit + proven);
they differ in how many classes wider than exact_upto at max_steps are proven never to
halt, and (``cps_after``) in how many of the walk's classes stop before max_steps. The
settings:

- ``job``: the job file's own;
- ``defaults``: CPS radius 4 with histories of up to 12 updates (``KernelSettings``);
- ``h0``: plain CPS windows only (``cps_history = 0``);
- ``r2h0``: windows of 2 and 3 cells only (``cps_radius = 2``, ``cps_history = 0``);
- ``r3h0``: windows of 2 to 4 cells only (``cps_radius = 3``, ``cps_history = 0``);
- ``wide_off``: wide classes untried (``settle_wide = False``);
- ``plain``: no exact_upto at all (the walk to max_steps alone);
- ``after_off``: the job's own with no ``cps_after`` (CPS only at max_steps);
- ``after50``, ``after100``, ``after200``: the job's own with ``cps_after`` = 50, 100, 200.

Usage: python benchmarks/bench_wide.py [JOB] [GROUP_SHARD] [PART] [SETTING ...]
(defaults: jobs/d6x2.toml 7 42 job defaults h0 r2h0 wide_off plain)
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time

from pipeline.flow import plan_of
from pipeline.settings import DEFAULTS
from pipeline.spec import load_spec
from pipeline.tasks import count_part, shard_task

SETTINGS = {
    "job": {},
    "defaults": dict(cps_radius=DEFAULTS.cps_radius, cps_history=DEFAULTS.cps_history),
    "h0": dict(cps_radius=DEFAULTS.cps_radius, cps_history=0),
    "r2h0": dict(cps_radius=2, cps_history=0),
    "r3h0": dict(cps_radius=3, cps_history=0),
    "wide_off": dict(settle_wide=False),
    "plain": dict(exact_upto=None),
    "after_off": dict(cps_after=None),
    "after50": dict(cps_after=50),
    "after100": dict(cps_after=100),
    "after200": dict(cps_after=200),
}


def main_(job: str, shard: int, part: int, names: list[str]) -> None:
    plan = plan_of(load_spec(job))
    group = next(g for g in plan.groups(plan.computed()) if shard in g)
    base = shard_task(plan, group, part)
    print(f"{job}: shards {group[0]}..{group[-1]} ({len(group)}), part {part} of {len(plan.tasks(group))}")
    totals = None
    for name in names:
        task = dataclasses.replace(base, settings=dataclasses.replace(base.settings, **SETTINGS[name]))
        began = time.perf_counter()
        got = count_part(task)
        wall = time.perf_counter() - began
        halting = sum(c.halting for c in got.counts)
        limit = sum(c.limit + c.proven for c in got.counts)
        if totals is None:
            totals = (halting, limit)
        elif (halting, limit) != totals:
            raise SystemExit(f"{name}: halting, limit + proven {(halting, limit)} differ from {totals}")
        if task.settings.exact_upto is None:
            print(f"{name:9s} {wall:7.1f} s  classes {got.classes:,}  steps {got.steps:,}  (no exact reading)")
            continue
        low = halting + sum(c.upto.get("halting", 0) for c in got.counts)
        wide = sum(c.upto.get("limit", 0) for c in got.counts)
        print(
            f"{name:9s} {wall:7.1f} s  classes {got.classes:,}  steps {got.steps:,}  "
            f"H_high - H_low {wide:,}  bracket {math.log2((low + wide) / low):.3g} bits  (H_low {low:,})"
        )


if __name__ == "__main__":
    args = sys.argv[1:]
    main_(
        args[0] if args else "jobs/d6x2.toml",
        int(args[1]) if len(args) > 1 else 7,
        int(args[2]) if len(args) > 2 else 42,
        args[3:] or ["job", "defaults", "h0", "r2h0", "wide_off", "plain"],
    )
