"""Shard plans: ranges that tile the space, shard ranges, and derived units checked against
the group of mirror and state renamings, against brute force and against the kernel."""

from __future__ import annotations

import itertools
import random

import pytest

from pipeline.brute import brute_count, simulate_one
from pipeline.kernel import count_range
from pipeline.plan import PART_DEPTH, NodeParts, ShardPlan, canonical_unit, read_order_key
from pipeline.space import Entry, Space
from pipeline.spec import JobSpec, SpecError


def group(states: int):
    """Every (mirror, renaming) with state 0 fixed; renaming[q] is the new name of q."""
    for mirror in (False, True):
        for rest in itertools.permutations(range(1, states)):
            yield mirror, (0, *rest)


def act(space: Space, digit: int, mirror: bool, renaming) -> int:
    entry = space.decode_digit(digit)
    if entry.halts:
        return digit
    return space.encode_entry(Entry(entry.write, -entry.move if mirror else entry.move, renaming[entry.goto]))


def transform(space: Space, number: int, mirror: bool, renaming) -> int:
    """The machine whose state renaming[s] does what state s of ``number`` does, mirrored or not."""
    digits, out = space.digits(number), [0] * space.entries
    for state in range(space.states):
        for symbol in range(space.symbols):
            out[renaming[state] * space.symbols + symbol] = act(
                space, digits[state * space.symbols + symbol], mirror, renaming
            )
    return space.number(out)


@pytest.mark.parametrize("n, m, depth", [(2, 2, 2), (3, 2, 3), (2, 3, 2), (4, 2, 1)])
def test_shards_tile_the_space(n, m, depth):
    plan = ShardPlan(JobSpec(n, m, 10, depth))
    space = plan.space
    ranges = [plan.range(s) for s in range(plan.shards)]
    assert ranges[0][0] == 0 and ranges[-1][1] == space.size
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert ranges[5] == (5 * space.base ** (space.entries - depth), 6 * space.base ** (space.entries - depth))
    assert plan.shards == space.base**depth


def test_shard_ranges_parse_and_stay_in_the_plan():
    plan = ShardPlan(JobSpec(4, 2, 107, 2))
    assert plan.parse_shards("100:200") == range(100, 200)
    assert plan.parse_shards("7") == range(7, 8)
    assert plan.parse_shards(":3") == range(0, 3)
    assert plan.parse_shards("320:") == range(320, 324)
    for bad, problem in (
        ("300:400", r"'300:400' is outside the plan of d4x2-s107, which has shards 0:324"),
        ("324", "outside the plan"),
        ("330:330", "outside the plan"),
        ("5:2", r"'5:2' is reversed; A:B needs A < B, e.g. 2:5"),
        (":0", r"is empty; .* shard 0 alone is 0:1"),
        ("5:5", r"'5:5' is empty; A:B holds shards A..B-1, so shard 5 alone is 5:6"),
        ("-1:3", "negative shard number"),
        ("a:b", "should look like 100:200"),
    ):
        with pytest.raises(SpecError, match=problem):
            plan.parse_shards(bad)
    with pytest.raises(SpecError, match="outside the plan"):
        plan.range(324)


def test_the_group_preserves_runs():
    """Mirror reverses the output; renaming states 1..n-1 changes nothing; steps stay."""
    rng = random.Random(5)
    for n, m, S in ((3, 2, 21), (4, 2, 40), (2, 3, 38)):
        space, elements = Space(n, m, S), list(group(n))
        for _ in range(150):
            number = rng.randrange(space.size)
            halted, output, steps = simulate_one(n, m, S, number)
            mirror, renaming = rng.choice(elements)
            twin = simulate_one(n, m, S, transform(space, number, mirror, renaming))
            label = f"{space.text(number)} mirror={mirror} renaming={renaming}"
            assert twin == (halted, output[::-1] if mirror else output, steps), label


@pytest.mark.parametrize("n, m, k", [(4, 2, 2), (5, 2, 2), (3, 3, 2), (2, 4, 3), (3, 2, 1)])
def test_canonical_unit_is_the_orbit_minimum_in_read_order(n, m, k):
    space = Space(n, m, 10)
    b = space.base
    elements = list(group(n))
    for unit in range(b**k):
        top = [(unit // b ** (k - 1 - j)) % b for j in range(k)]
        images = {}
        for mirror, renaming in elements:
            value = 0
            for digit in top:
                value = value * b + act(space, digit, mirror, renaming)
            images.setdefault(value, set()).add(mirror)
        source, mirror = canonical_unit(space, unit, k)
        # read order: the least significant unit digit (entry (0, m-k)) first
        assert source == min(images, key=lambda v: read_order_key(space, v, k)), f"unit {unit}"
        # some element maps the source onto the unit with that mirror flag
        back = {}
        for flag, renaming in elements:
            value = 0
            for digit in [(source // b ** (k - 1 - j)) % b for j in range(k)]:
                value = value * b + act(space, digit, flag, renaming)
            back.setdefault(value, set()).add(flag)
        assert mirror in back[unit], f"unit {unit} from {source}"


def test_derivation_cuts_orbits_and_keeps_units_whole():
    plan = ShardPlan(JobSpec(5, 2, 500, 3))
    assert plan.shards == 22**3 and plan.shards_per_unit == 22 and plan.units == 484
    # entry (0, 0) halts (2 ways) or returns to state 0 (4 ways) in 6 of every 22 top blocks
    assert len(plan.closed) == 6 * 22
    counted = [u for u in range(plan.units) if u not in plan.derivations and u not in plan.closed]
    assert len(plan.computed()) == len(counted) * 22
    assert sum(sum(plan.images(u)) for u in counted) == plan.units - len(plan.closed)
    assert all(plan.is_derived(s) == (plan.unit(s) not in counted) for s in range(0, plan.shards, 97))
    assert ShardPlan(JobSpec(5, 2, 500, 3, derive=False)).computed() == list(range(plan.shards))
    assert ShardPlan(JobSpec(5, 2, 500, 0)).computed() == [0]


def test_derived_units_count_like_their_source_by_brute_force():
    plan = ShardPlan(JobSpec(2, 2, 6, 2))
    assert plan.derivations
    for unit, how in plan.derivations.items():
        got = brute_count(2, 2, 6, *plan.range(unit))
        src = brute_count(2, 2, 6, *plan.range(how.source))
        flip = (lambda s: s[::-1]) if how.mirror else (lambda s: s)
        assert got.outputs == {flip(s): c for s, c in src.outputs.items()}, f"unit {unit} from {how}"
        assert (got.halting, got.nonhalting, got.halting_times) == (src.halting, src.nonhalting, src.halting_times)


@pytest.mark.parametrize("n, m, S, depth", [(3, 2, 21, 2), (3, 2, 21, 3), (2, 3, 38, 1)])
def test_derived_units_count_like_their_source_by_kernel(n, m, S, depth):
    plan = ShardPlan(JobSpec(n, m, S, depth))
    space = plan.space
    assert plan.derivations
    for unit, how in plan.derivations.items():
        first, last = plan.unit_shards(unit)[0], plan.unit_shards(unit)[-1]
        got = count_range(space, plan.range(first)[0], plan.range(last)[1])
        first, last = plan.unit_shards(how.source)[0], plan.unit_shards(how.source)[-1]
        src = count_range(space, plan.range(first)[0], plan.range(last)[1])
        flip = (lambda s: s[::-1]) if how.mirror else (lambda s: s)
        assert got.outputs == {flip(s): c for s, c in src.outputs.items()}, f"unit {unit} from {how}"
        assert (got.halting, got.nonhalting, got.halting_times) == (src.halting, src.nonhalting, src.halting_times)


@pytest.mark.parametrize("n, m, S, depth", [(3, 2, 21, 2), (2, 3, 38, 3)])
def test_closed_units_are_what_entry_0_0_says(n, m, S, depth):
    plan = ShardPlan(JobSpec(n, m, S, depth))
    assert plan.closed and not ShardPlan(JobSpec(n, m, S, m - 1)).closed
    for unit, symbol in plan.closed.items():
        start, stop = plan.unit_range(unit)
        got = count_range(plan.space, start, stop)
        if symbol is None:
            assert (got.halting, got.nonhalting) == (0, stop - start), f"unit {unit}"
        else:
            assert (got.outputs, got.halting_times) == ({str(symbol): stop - start}, {1: stop - start}), f"unit {unit}"


def test_groups_and_parts_of_the_5_2_job():
    """The (5,2) job: two groups (entry (0,0) = 0RB or 1RB) of 14 shards; each walk is cut
    at its branch points of depth 3 (or the job's part_depth) into ``parts`` parts."""
    plan = ShardPlan(JobSpec(5, 2, 500, 2, parts=32))
    groups = plan.groups(plan.computed())
    assert [len(g) for g in groups] == [14, 14]
    for group in groups:
        assert len({s % 22 for s in group}) == 1, "one entry (0,0) per group"
        assert plan.tasks(group) == [NodeParts(PART_DEPTH, 32, p) for p in range(32)]
    assert ShardPlan(JobSpec(5, 2, 500, 2)).tasks(groups[0]) == [None], "parts = 1: one walk"
    deep = ShardPlan(JobSpec(5, 2, 500, 2, parts=3, part_depth=5))
    assert deep.tasks(groups[0]) == [NodeParts(5, 3, 0), NodeParts(5, 3, 1), NodeParts(5, 3, 2)]
    shallow = ShardPlan(JobSpec(5, 2, 500, 1, parts=8))
    assert shallow.groups(shallow.computed()) == [shallow.computed()]
    assert len(shallow.tasks(shallow.computed())) == 8, "entry (0,0) free: cut all the same"
    grid = ShardPlan(JobSpec(5, 2, 2000, 0, dims=2, parts=64, max_length=5))
    assert grid.tasks([0]) == [NodeParts(3, 64, p) for p in range(64)]


def test_a_cut_is_not_part_of_the_job_id():
    """A cut changes no count: jobs that differ only in parts or part_depth share an id (and
    so their partials); part_depth is an integer of at least 0."""
    ids = {JobSpec(5, 2, 500, 2, parts=k, part_depth=d).job_id for k in (1, 16, 32) for d in (None, 0, 4)}
    assert ids == {JobSpec(5, 2, 500, 2).job_id}
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(
            SpecError, match=f"part_depth should be an integer of at least 0 \\(or left out\\), got {bad!r}"
        ):
            JobSpec(5, 2, 500, 2, part_depth=bad)
