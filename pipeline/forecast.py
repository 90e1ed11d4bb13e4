"""How long a job will take, from a stratified random sample of its parts.

A job's tasks (``ShardPlan.groups`` x ``ShardPlan.tasks``) are ranked by their expected
cost (``ShardPlan.expected_cost``) and cut into strata of consecutive ranks, so each
stratum holds tasks of like cost. A simple random sample without replacement is drawn in
every stratum (at least two tasks, so that each stratum has a variance; the rest
allocated in proportion to the strata's sizes), the sampled tasks are counted, and a
measure y of each (kernel seconds, classes, steps) gives the classical stratified
estimator of the job's total (Cochran, *Sampling Techniques*, 3rd ed., 1977, ch. 5):

    T = sum_h N_h * mean_h(y)
    var T = sum_h N_h**2 * (1 - n_h / N_h) * s_h**2 / n_h

with N_h tasks in stratum h, n_h of them drawn and s_h**2 their sample variance. The
interval is T +- z * sqrt(var T) with z the normal quantile of the level: an
approximation that holds when each stratum's mean is near normal, which heavy-tailed
costs can break (the docs say so beside every figure).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pyarrow.parquet as pq

from pipeline.partials import META_KEY, part_names, partials_dir
from pipeline.plan import ShardPlan

MEASURES = ("kernel_seconds", "classes", "steps")
"""What a part's metadata gives of its cost: the kernel's seconds, the classes walked and
the steps simulated (shared out over the group's shards: summed back here)."""


@dataclass(frozen=True)
class Sample:
    """A stratified random sample of ``population`` tasks: which were drawn, and where."""

    strata: tuple[tuple[int, ...], ...]
    """Each stratum's tasks, as indices into the task list, in cost order."""
    drawn: tuple[tuple[int, ...], ...]
    """Each stratum's drawn tasks (sorted indices)."""
    seed: int

    @property
    def tasks(self) -> list[int]:
        """Every drawn task, sorted."""
        return sorted(i for chosen in self.drawn for i in chosen)


def draw(costs: list[tuple], size: int, strata: int, seed: int) -> Sample:
    """Cut tasks into ``strata`` strata by expected cost and draw ``size`` of them at random.

    Parameters
    ----------
    costs : list of tuple
        Each task's expected cost (any comparable key, e.g. ``ShardPlan.expected_cost``),
        heaviest ranked first.
    size : int
        Tasks to draw in all, at least 2 per stratum.
    strata : int
        Strata of consecutive cost ranks, as equal in size as they can be.
    seed : int
        The draw's seed (numpy's PCG64): the same seed draws the same tasks.

    Returns
    -------
    Sample
        The strata and the tasks drawn in each.

    Raises
    ------
    ValueError
        Fewer than 2 tasks per stratum, or ``size`` outside 2 * strata .. len(costs).
    """
    n = len(costs)
    if strata < 1 or n < 2 * strata:
        raise ValueError(f"strata should be 1 to {n // 2} (2 tasks each at least) for {n} tasks, got {strata}")
    if not 2 * strata <= size <= n:
        raise ValueError(f"sample size should be {2 * strata} to {n} for {strata} strata of {n} tasks, got {size}")
    order = sorted(range(n), key=lambda i: (tuple(-x for x in costs[i]), i))
    cuts = [round(h * n / strata) for h in range(strata + 1)]
    groups = [tuple(order[a:b]) for a, b in zip(cuts, cuts[1:])]
    # two per stratum, then the rest in proportion to N_h (largest remainders)
    extra = size - 2 * strata
    room = [len(g) - 2 for g in groups]
    want = [extra * len(g) / n for g in groups]
    take = [min(int(w), r) for w, r in zip(want, room)]
    for h in sorted(range(strata), key=lambda h: -(want[h] - int(want[h]))):
        if sum(take) == extra:
            break
        if take[h] < room[h]:
            take[h] += 1
    while sum(take) < extra:  # a stratum that was full: give its share to any with room
        h = next(h for h in range(strata) if take[h] < room[h])
        take[h] += 1
    rng = np.random.Generator(np.random.PCG64(seed))
    drawn = tuple(tuple(sorted(int(i) for i in rng.choice(g, size=2 + t, replace=False))) for g, t in zip(groups, take))
    return Sample(tuple(groups), drawn, seed)


@dataclass(frozen=True)
class Total:
    """A stratified estimate of a total with its standard error and interval."""

    total: float
    se: float
    low: float
    high: float
    level: float


def estimate_total(sample: Sample, values: dict[int, float], level: float = 0.9) -> Total:
    """The stratified estimate of the sum of a measure over every task (module docstring).

    Parameters
    ----------
    sample : Sample
        The strata and the drawn tasks (``draw``).
    values : dict of int to float
        The measure of each drawn task (e.g. kernel seconds), by task index.
    level : float
        The interval's two-sided level, in (0, 1).

    Returns
    -------
    Total
        T, its standard error and the normal interval [T - z se, T + z se], low clipped
        at the drawn tasks' own sum (the total is at least what was measured).

    Raises
    ------
    ValueError
        A drawn task without a value, or a level outside (0, 1).
    """
    if not 0 < level < 1:
        raise ValueError(f"level should be in (0, 1), got {level}")
    total = var = 0.0
    for stratum, chosen in zip(sample.strata, sample.drawn):
        missing = [i for i in chosen if i not in values]
        if missing:
            raise ValueError(f"task {missing[0]} was drawn but has no value")
        y = np.asarray([values[i] for i in chosen], dtype=float)
        big, small = len(stratum), len(chosen)
        total += big * y.mean()
        var += big**2 * (1 - small / big) * y.var(ddof=1) / small
    se = math.sqrt(var)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    seen = sum(values[i] for i in sample.tasks)
    return Total(total, se, max(total - z * se, seen), total + z * se, level)


def job_tasks(plan: ShardPlan) -> list[tuple[list[int], int]]:
    """Every task of an exact job's plan, as a run submits them: (group, part number) for
    each group of counted shards (``ShardPlan.groups``) and each of its parts."""
    return [(group, part) for group in plan.groups(plan.computed()) for part in range(len(plan.tasks(group)))]


def task_costs(plan: ShardPlan, tasks: list[tuple[list[int], int]]) -> list[tuple]:
    """Each task's expected cost (``ShardPlan.expected_cost``), the key ``draw`` ranks by."""
    return [plan.expected_cost(group, plan.tasks(group)[part]) for group, part in tasks]


def measured(plan: ShardPlan, root: Path, task: tuple[list[int], int]) -> dict[str, float] | None:
    """A counted task's cost (MEASURES, summed over its shards' partials of that part),
    read from the partials' metadata only; None while any of them is missing."""
    group, part = task
    folder, out = partials_dir(root, plan.spec.job_id), dict.fromkeys(MEASURES, 0.0)
    for shard in group:
        path = folder / part_names(plan, shard)[part]
        if not path.exists():
            return None
        meta = json.loads(pq.read_schema(str(path)).metadata[META_KEY])
        for key in MEASURES:
            out[key] += meta[key]
    return out
