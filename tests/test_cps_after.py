"""``cps_after``: a walk still running that many steps in tries the 'cps' proof's plain
windows then, once, instead of only at the step limit (the D(6) job's speed-up, issue 24).

It must change no count: every output, halting count and halting time equals the walk's
without it (and brute force's), the exact reading's short outputs and its H bracket stay
the same, the parts of a cut walk still add up, and the machines it proves only move from
``limit`` to ``proven``. Each check also shows that it proved something early.
"""

from __future__ import annotations

import numpy as np
import pytest
from tmsim_ext._kernel import count_blocks
from uptocounts import short, with_late

from pipeline.brute import brute_count
from pipeline.kernel import count_range
from pipeline.settings import KernelSettings, SettingsError
from pipeline.space import BUSY_BEAVER_STEPS, Space
from pipeline.spec import JobSpec, SpecError


def assert_same_counts(early, plain) -> None:
    """Same outputs, halting counts and times; proven machines moved out of limit."""
    assert early.outputs == plain.outputs
    assert (early.halting, early.halting_times) == (plain.halting, plain.halting_times)
    assert early.limit + early.proven == plain.limit + plain.proven
    assert early.limit < plain.limit and early.proven_by["cps"] > plain.proven_by["cps"]
    assert early.steps < plain.steps


@pytest.mark.parametrize("n,m,S,after", [(3, 2, 21, 6), (2, 3, 38, 10), (4, 2, 107, 20), (2, 4, 200, 40)])
def test_same_counts_as_the_walk_without_it(n, m, S, after):
    space = Space(n, m, S)
    plain = count_range(space, 0, space.size)
    early = count_range(space, 0, space.size, cps_after=after)
    assert_same_counts(early, plain)


@pytest.mark.parametrize("n,m,S,start,stop", [(3, 2, 21, 752_952, 832_952), (2, 3, 38, 3_132_415, 3_212_415)])
def test_equals_brute_force_to_the_busy_beaver(n, m, S, start, stop):
    """At S = the busy beaver, the classes cps_after proves are exactly some of those
    brute force sees still running: every count is brute force's."""
    counts = count_range(Space(n, m, S), start, stop, cps_after=4)
    brute = brute_count(n, m, BUSY_BEAVER_STEPS[(n, m)], start, stop)
    assert counts.outputs == brute.outputs and counts.halting == brute.halting
    assert counts.proven_by["cps"] > 0


@pytest.mark.parametrize("n,m,S,L,after", [(2, 3, 30, 8, 5), (4, 2, 30, 12, 10), (4, 2, 60, 12, 20)])
def test_the_exact_reading_and_its_bracket_stay_the_same(n, m, S, L, after):
    space = Space(n, m, S)
    plain = count_range(space, 0, space.size, exact_upto=L)
    early = count_range(space, 0, space.size, exact_upto=L, cps_after=after)
    assert_same_counts(early, plain)
    assert short(with_late(early), L) == short(with_late(plain), L)
    assert early.upto["halting_times"] == plain.upto["halting_times"]
    # H_low and H_high: the classes proven early are those 'cps' proves at S otherwise
    assert early.upto["halting"] == plain.upto["halting"] and early.upto["limit"] == plain.upto["limit"]
    assert early.upto["halting"] + early.upto["proven"] + early.upto["limit"] == early.limit


def test_six_state_blocks_equal_brute_force_to_the_pigeonhole_bound():
    """(6,2): a block of 26**3 machines whose short outputs appear only after S = 12."""
    n, m, S, L, start = 6, 2, 12, 6, 67_091_151_761_698_272
    counts = count_range(Space(n, m, S), start, start + 26**3, exact_upto=L, cps_after=3)
    brute = brute_count(n, m, n * L * m**L, start, start + 26**3)
    assert short(with_late(counts), L) == short(brute.outputs, L) and counts.upto["halting"] > 0
    assert counts.proven_by["cps"] > 0


@pytest.mark.parametrize("depth,parts", [(2, 5), (3, 7)])
def test_the_parts_of_a_cut_walk_still_add_up(depth, parts):
    """A class 'cps' proves never reads a free entry, so it has no branch below it: the
    cut's parts are the same parts, and they add up to the whole walk."""
    space = Space(4, 2, 30)
    whole = count_range(space, 0, space.size, exact_upto=12, cps_after=8)
    got = [count_range(space, 0, space.size, exact_upto=12, cps_after=8, part=(depth, parts, p)) for p in range(parts)]
    outputs: dict[str, int] = {}
    for counts in got:
        for s, c in with_late(counts).items():
            outputs[s] = outputs.get(s, 0) + c
    assert outputs == with_late(whole)
    for name in ("halting", "limit", "proven", "classes", "steps"):
        assert sum(getattr(c, name) for c in got) == getattr(whole, name), name
    assert sum(c.proven_by["cps"] for c in got) == whole.proven_by["cps"] > 0


def test_job_id_and_rules():
    base = JobSpec(5, 2, 500, 2, exact_upto=12)
    early = JobSpec(5, 2, 500, 2, exact_upto=12, cps_after=100)
    assert base.job_id == JobSpec(5, 2, 500, 2, exact_upto=12, cps_after=None).job_id
    assert early.job_id != base.job_id and early.table == base.table
    assert early.kernel_settings.cps_after == 100
    with pytest.raises(SpecError, match="cps_after should be a positive integer"):
        JobSpec(5, 2, 500, 2, cps_after=0)
    with pytest.raises(SpecError, match="cps_after is for exact 1-D jobs"):
        JobSpec(4, 2, 2000, 2, dims=2, cps_after=10)
    with pytest.raises(SettingsError, match="cps_after should be a positive integer"):
        KernelSettings(cps_after=-3)


def test_the_kernel_refuses_a_sampled_count():
    row = np.full((1, 6), -1, dtype=np.int32)
    with pytest.raises(ValueError, match="a sampled count takes no cps_after"):
        count_blocks(3, 2, 21, row, 0, True, sampled=True, cps_after=5)
    with pytest.raises(ValueError, match="cps_after should be at least 0"):
        count_blocks(3, 2, 21, row, 0, True, cps_after=-1)
