"""Walks cut into parts at their branch points (tmsim_ext/_cut.pxd, ``plan.NodeParts``):
the parts of a walk add up to the uncut walk, at several depths and part counts, on a
tape (whole spaces, a shared-top group, long runs, exact_upto) and on a grid.

Every figure adds up exactly, with the proofs on or off: every output, halting time,
halting machine and machine that does not halt, and the late halts listed; how the
ones that do not halt split between ``limit`` and ``proven`` and the classes and proofs
behind them; the work (classes, nodes, steps), long runs' figures and the classes they
list. No proof's verdict depends on which sibling walks ran first: a walk pops the
'shift' proof's edge records when it ends (tmsim_ext/_records.pxd, kernel version 2).
On a grid the parts' work figures count the walks above the cut again (_grid.pyx), so
there limit and proven add up, and what the machines do.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from pipeline.kernel import count_range, count_shared_top
from pipeline.plan import ShardPlan
from pipeline.rows import add, as_dict
from pipeline.space import Space, SpaceError
from pipeline.spec import JobSpec
from tmsim_ext import count_blocks, count_grid_blocks


def exact(parts: list) -> dict:
    """What the machines of a walk's parts (RangeCounts) do, added up."""
    times = Counter()
    for p in parts:
        times.update(p.halting_times)
    return {
        "outputs": as_dict(add([p.rows for p in parts])),
        "halting": sum(p.halting for p in parts),
        "nonhalting": sum(p.nonhalting for p in parts),
        "halting_times": dict(times),
        "late": Counter(u for p in parts for u in p.late),
    }


def work(parts: list) -> dict:
    """How the machines that do not halt split, and the work and proofs behind it."""
    proven_by = Counter()
    for p in parts:
        proven_by.update(p.proven_by)
    return {
        "split": (sum(p.limit for p in parts), sum(p.proven for p in parts)),
        "work": tuple(sum(getattr(p, k) for p in parts) for k in ("classes", "nodes", "steps")),
        "proven_by": {k: v for k, v in proven_by.items() if v},
        "long": dict(sum((Counter({k: v for k, v in p.long.items() if k != "from"}) for p in parts), Counter())),
        "undecided": Counter(u for p in parts for u in p.undecided),
    }


def shared_work(counts) -> tuple:
    """The work and proofs of a shared-top walk (SharedCounts: its shards carry none)."""
    return counts.classes, counts.nodes, counts.steps, {k: v for k, v in counts.proven_by.items() if v}


CUTS = [(0, 2), (1, 3), (2, 2), (2, 7), (3, 5), (5, 3)]
"""(depth, parts): the root alone, shallow and deep cuts, fewer and more parts than nodes."""


@pytest.mark.parametrize(
    "n,m,S,proofs", [(3, 2, 21, None), (3, 2, 21, ()), (2, 3, 38, None), (2, 3, 38, ()), (4, 2, 107, None)]
)
def test_the_parts_of_a_whole_space_add_up(n, m, S, proofs):
    space = Space(n, m, S)
    whole = count_range(space, 0, space.size, proofs=proofs)
    cuts = CUTS if (n, m) != (4, 2) else [(2, 3), (4, 8)]
    for depth, k in cuts:
        parts = [count_range(space, 0, space.size, proofs=proofs, part=(depth, k, p)) for p in range(k)]
        label = f"{space.label} proofs={proofs} cut at depth {depth} into {k}"
        assert exact(parts) == exact([whole]), label
        assert sum(p.classes for p in parts) > 0 and parts[0].halting > 0, label
        assert work(parts) == work([whole]), label


def test_a_cut_below_the_tree_leaves_it_to_part_0():
    space = Space(2, 2, 6)
    whole = count_range(space, 0, space.size)
    parts = [count_range(space, 0, space.size, part=(30, 3, p)) for p in range(3)]
    assert (parts[0].outputs, parts[0].halting_times, parts[0].classes) == (
        whole.outputs,
        whole.halting_times,
        whole.classes,
    )
    assert [(p.halting, p.nonhalting, p.classes, p.nodes, p.steps) for p in parts[1:]] == [(0, 0, 0, 0, 0)] * 2


def _group(n: int, m: int, S: int, shard_depth: int, first: int) -> tuple[Space, list[tuple[int, int]]]:
    """The ranges of the plan's group (shards differing in their top digit) holding ``first``."""
    plan = ShardPlan(JobSpec(n, m, S, shard_depth))
    (group,) = [g for g in plan.groups(plan.computed()) if g[0] == first]
    return plan.space, [plan.range(s) for s in group]


@pytest.mark.parametrize("n,m,S,depth,first,proofs", [(5, 2, 100, 3, 140, None), (3, 2, 21, 2, 7, ())])
def test_the_parts_of_a_shared_top_walk_add_up(n, m, S, depth, first, proofs):
    """A (5,2) S=100 group of 14 shards and a (3,2) one (top digit split, renaming orbits
    shared out), the latter with the proofs off."""
    space, ranges = _group(n, m, S, depth, first)
    assert len(ranges) > 3
    whole = count_shared_top(space, ranges, proofs=proofs)
    for depth, k in [(1, 2), (2, 3), (3, 4)]:
        parts = [count_shared_top(space, ranges, proofs=proofs, cut=(depth, k, p)) for p in range(k)]
        total = parts[0]
        for more in parts[1:]:
            total = total + more
        for i, (got, want) in enumerate(zip(total.counts, whole.counts)):
            label = f"shard {i} cut at depth {depth} into {k}, proofs={proofs}"
            assert exact([got]) == exact([want]), label
            assert exact([p.counts[i] for p in parts]) == exact([want]), label
            assert work([p.counts[i] for p in parts])["split"] == work([want])["split"], label
            assert (got.limit, got.proven) == (want.limit, want.proven) != (0, 0), label
        assert shared_work(total) == shared_work(whole), f"cut at depth {depth} into {k}, proofs={proofs}"


@pytest.mark.parametrize("n,m,S,L", [(3, 2, 10, 6), (2, 3, 15, 8)])
def test_the_parts_of_a_walk_with_exact_upto_add_up(n, m, S, L):
    """The continuation after S (late halts of at most L symbols) adds up too, on a whole
    space and in a shared-top group."""
    space = Space(n, m, S)
    whole = count_range(space, 0, space.size, exact_upto=L)
    for depth, k in [(1, 2), (2, 5), (4, 3)]:
        parts = [count_range(space, 0, space.size, exact_upto=L, part=(depth, k, p)) for p in range(k)]
        label = f"{space.label} upto {L} cut at depth {depth} into {k}"
        assert exact(parts) == exact([whole]), label
        assert work(parts) == work([whole]), label
        late = {key: sum((Counter(p.upto[key]) for p in parts), Counter()) for key in ("outputs", "halting_times")}
        assert late == {key: Counter(whole.upto[key]) for key in late}, label
        assert sum(p.upto["halting"] for p in parts) == whole.upto["halting"] > 0, label
        for key in ("proven", "limit"):
            assert sum(p.upto[key] for p in parts) == whole.upto[key], label
        for p in parts:
            assert p.upto["halting"] + p.upto["proven"] + p.upto["limit"] == p.limit, label
    size, top = space.base ** (space.entries - 2), space.base ** (space.entries - 1)
    second = space.base // 2
    ranges = [(t * top + second * size, t * top + (second + 1) * size) for t in range(space.base)]
    shared = count_shared_top(space, ranges, exact_upto=L)
    parts = [count_shared_top(space, ranges, exact_upto=L, cut=(1, 3, p)) for p in range(3)]
    total = parts[0] + parts[1] + parts[2]
    for got, want in zip(total.counts, shared.counts):
        assert exact([got]) == exact([want])
        assert (got.limit, got.proven) == (want.limit, want.proven)
        assert {k: got.upto[k] for k in ("outputs", "halting", "halting_times")} == {
            k: want.upto[k] for k in ("outputs", "halting", "halting_times")
        }
    assert shared_work(total) == shared_work(shared)


def test_the_parts_of_a_walk_with_long_runs_add_up():
    """Classes past long_from run on outside the walk (_line_long.pxd): their figures, the
    late halts and the undecided classes listed add up over the parts, each listed once."""
    space = Space(3, 2, 2000)
    settings = {"proofs": (), "long_from": 12, "witness_after": 15}
    whole = count_range(space, 0, space.size, **settings)
    assert whole.long["classes"] > 0 and whole.late
    for depth, k in [(1, 3), (3, 4)]:
        parts = [count_range(space, 0, space.size, part=(depth, k, p), **settings) for p in range(k)]
        label = f"long runs cut at depth {depth} into {k}"
        assert exact(parts) == exact([whole]), label
        assert work(parts) == work([whole]), label


def test_undecided_classes_are_listed_by_their_part_alone():
    """A tape limit leaves classes undecided (listed with their machines): each is listed
    by exactly one part."""
    digits = np.full((1, 6), -1, dtype=np.int32)
    args = (3, 2, 2000, digits, 0, True)
    settings = {"long_from": 12, "long_cells": 16, "max_undecided": 10**5}
    whole = count_blocks(*args, **settings)
    assert len(whole["undecided"]) > 10
    parts = [count_blocks(*args, **settings, part_depth=2, parts=3, part=p) for p in range(3)]
    assert Counter(u for p in parts for u in p["undecided"]) == Counter(whole["undecided"])
    assert sum(p["long"]["classes"] for p in parts) == whole["long"]["classes"]


@pytest.mark.parametrize("n,m,S", [(2, 2, 60), (3, 2, 40)])
def test_the_parts_of_a_2d_walk_add_up(n, m, S):
    space = Space(n, m, S, dims=2)
    whole = count_range(space, 0, space.size)
    for depth, k in [(1, 2), (2, 3), (3, 4)]:
        parts = [count_range(space, 0, space.size, part=(depth, k, p)) for p in range(k)]
        label = f"{space.label} cut at depth {depth} into {k}"
        assert exact(parts) == exact([whole]), label
        assert work(parts)["split"] == work([whole])["split"], label


def test_the_kernels_refuse_a_part_outside_the_cut():
    digits = np.full((1, 4), -1, dtype=np.int32)
    for kernel in (count_blocks, count_grid_blocks):
        with pytest.raises(ValueError, match="part should be in 0..2, got 3"):
            kernel(2, 2, 6, digits, 0, True, part_depth=1, parts=3, part=3)
    with pytest.raises(ValueError, match="no parts"):
        count_blocks(2, 2, 6, digits, 0, True, sampled=True, part_depth=1, parts=2, part=0)
    with pytest.raises(SpaceError, match=r"part \(1, 2, 2\) should be"):
        count_range(Space(2, 2, 6), 0, 100, part=(1, 2, 2))
