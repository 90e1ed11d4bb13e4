"""Blocks that differ only in their top digit, counted in one walk (``count_shared_top``),
and walks cut into parts at a restricted entry: each block's counts equal ``count_range``
and the brute-force simulator, and parts add up to the whole with nothing walked twice."""

from __future__ import annotations

import random

import numpy as np
import pytest

from pipeline.brute import brute_count
from pipeline.kernel import (
    block_digits,
    count_range,
    count_shared_top,
    renamable_states,
    renaming_orbit,
)
from pipeline.space import Space, SpaceError
from tmsim_ext import count_blocks


def group_ranges(space: Space, low: int, depth: int, tops: list[int]) -> list[tuple[int, int]]:
    """Blocks fixing the top ``depth`` digits: top digit from ``tops``, the rest as in ``low``."""
    size, top = space.base ** (space.entries - depth), space.base ** (space.entries - 1)
    return [(t * top + low, t * top + low + size) for t in tops]


def same(got, want, label: str) -> None:
    assert got.outputs == want.outputs, label
    assert (got.halting, got.nonhalting, got.halting_times) == (want.halting, want.nonhalting, want.halting_times), (
        label
    )


def orbits_of(space: Space, ranges, entry: int) -> list[list[int]]:
    digits = block_digits(space, ranges[0][0], 0)
    size = ranges[0][1] - ranges[0][0]
    for pos in range(space.entries):
        if space.base**pos < size or pos == space.entries - 1:
            digits[space.entry_at(pos)] = -1
    free = renamable_states(space, digits)
    return sorted({tuple(renaming_orbit(space, r, free)) for r in range(space.base)})


@pytest.mark.parametrize("n, m, S", [(3, 2, 21), (2, 3, 38), (4, 2, 107), (2, 4, 60), (3, 3, 30)])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_block_equals_count_range(n, m, S, seed):
    space, rng = Space(n, m, S), random.Random(seed)
    depth = rng.choice([1, 2, 3] if space.entries > 4 else [1, 2])
    if (n, m) in {(4, 2), (3, 3), (2, 4)}:
        depth = max(depth, 3 if (n, m) == (3, 3) else 2)  # blocks small enough for a quick direct count
    low = rng.randrange(space.base ** (depth - 1)) * space.base ** (space.entries - depth)
    tops = sorted(rng.sample(range(space.base), rng.randint(1, space.base)))
    ranges = group_ranges(space, low, depth, tops)
    for symmetry in (True, False):
        shared = count_shared_top(space, ranges, symmetry=symmetry)
        assert [(c.start, c.stop) for c in shared.counts] == ranges
        for (start, stop), got in zip(ranges, shared.counts):
            same(got, count_range(space, start, stop), f"{space.label} [{start}, {stop}) symmetry={symmetry}")


def test_a_3_2_group_equals_brute_force():
    space = Space(3, 2, 21)
    ranges = group_ranges(space, 7 * 14**4, 2, list(range(14)))  # entry (0,0) = 1RB, (0,1) any
    shared = count_shared_top(space, ranges)
    for (start, stop), got in zip(ranges, shared.counts):
        same(got, brute_count(3, 2, 21, start, stop), f"[{start}, {stop})")


@pytest.mark.parametrize("n, m, S, depth", [(3, 2, 21, 2), (4, 2, 107, 2), (2, 3, 38, 3), (3, 3, 30, 3)])
@pytest.mark.parametrize("seed", [5, 6])
def test_parts_add_up_to_the_whole(n, m, S, depth, seed):
    """Any free entry, its digits dealt by whole renaming orbits into parts: the parts' counts
    add up to the whole walk's for every block."""
    space, rng = Space(n, m, S), random.Random(seed)
    low = rng.randrange(space.base ** (depth - 1)) * space.base ** (space.entries - depth)
    ranges = group_ranges(space, low, depth, sorted(rng.sample(range(space.base), 3)))
    whole = count_shared_top(space, ranges)
    free = [space.entry_at(p) for p in range(space.entries - depth)]
    entry = rng.choice(free)
    orbits = orbits_of(space, ranges, entry)
    rng.shuffle(orbits)
    k = rng.randint(2, len(orbits))
    parts = [count_shared_top(space, ranges, part=(entry, [d for o in orbits[i::k] for d in o])) for i in range(k)]
    total = parts[0]
    for more in parts[1:]:
        total = total + more
    for a, b in zip(total.counts, whole.counts):
        same(a, b, f"{space.label} part entry {entry} in {k} parts")
    assert total.classes >= whole.classes


def test_second_entry_parts_walk_nothing_twice():
    """(4,2) with entry (0,0) = 1RB: every run reads entry (1,0) second, so cutting there
    splits the walk exactly, and sharing the top entry walks far fewer classes."""
    space = Space(4, 2, 107)
    ranges = group_ranges(space, 7 * 18**6, 2, list(range(18)))
    whole = count_shared_top(space, ranges)
    alone = sum(count_range(space, *r).classes for r in ranges)
    assert whole.classes * 2 < alone, (whole.classes, alone)
    orbits = orbits_of(space, ranges, 2)
    parts = [count_shared_top(space, ranges, part=(2, list(o))) for o in orbits]
    assert sum(p.classes for p in parts) == whole.classes
    assert sum(p.counts[3].halting for p in parts) == whole.counts[3].halting


def test_bad_groups_are_refused_by_name():
    space = Space(3, 2, 21)
    top, size = 14**5, 14**4
    with pytest.raises(SpaceError, match="aligned block"):
        count_shared_top(space, [(0, size), (top, top + size + 1)])
    with pytest.raises(SpaceError, match="differs .* below the top digit"):
        count_shared_top(space, [(0, size), (top + size, top + 2 * size)])
    with pytest.raises(SpaceError, match="share a top digit"):
        count_shared_top(space, [(top, top + size), (top, top + size)])
    ranges = group_ranges(space, 7 * size, 2, [2, 3])
    with pytest.raises(SpaceError, match="free entry"):
        count_shared_top(space, ranges, part=(0, [2]))  # entry (0,0) is fixed here
    four = Space(4, 2, 107)
    with pytest.raises(SpaceError, match="whole renaming orbits"):
        # with (0,0) = 1RB, states C and D are free: 0RC (10) needs its twin 0RD (14)
        count_shared_top(four, group_ranges(four, 7 * 18**6, 2, [2, 3]), part=(2, [10]))
    with pytest.raises(SpaceError, match="part digits"):
        count_shared_top(space, ranges, part=(2, []))
    assert count_shared_top(space, []).counts == []


def test_kernel_refuses_a_fixed_split_entry():
    row = np.full((1, 6), -1, dtype=np.int32)
    row[0, 1] = 7
    with pytest.raises(ValueError, match="split entry 1 should be free"):
        count_blocks(3, 2, 21, row, 15, True, 1, np.asarray([0, 1], dtype=np.int32))
    with pytest.raises(ValueError, match="sorted, distinct"):
        count_blocks(3, 2, 21, np.full((1, 6), -1, dtype=np.int32), 15, True, 1, np.asarray([3, 1], dtype=np.int32))
