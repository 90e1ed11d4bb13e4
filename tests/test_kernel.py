"""The lazy kernel counts every range exactly as the brute-force simulator and the reference simulator do."""

from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner

from pipeline.brute import brute_count
from pipeline.cli import main
from pipeline.kernel import count_range
from pipeline.space import Space, SpaceError

PROOF_CHOICES = [None, (), ("closed",), ("escape",), ("cycle",), ("shift",)]


def _versus_brute(space: Space, start: int, stop: int, same_counts) -> None:
    got = count_range(space, start, stop)
    want = brute_count(space.states, space.symbols, space.max_steps, start, stop)
    same_counts(got, want, f"{space.label} [{start}, {stop})")


def _mirror(outputs: dict[str, int]) -> list[str]:
    """Strings whose count differs from their reverse's (empty when mirror symmetry holds)."""
    return sorted(s for s, c in outputs.items() if outputs.get(s[::-1]) != c)


@pytest.mark.parametrize("states", [1, 2])
@pytest.mark.parametrize("max_steps", [1, 2, 3, 4, 5, 6, 7, 10, 50, 500])
def test_whole_small_spaces_equal_brute_force(states, max_steps, same_counts):
    space = Space(states, 2, max_steps)
    _versus_brute(space, 0, space.size, same_counts)


def test_whole_2_2_and_3_2_halting_as_in_ctm_md():
    two = count_range(Space(2, 2, 6), 0, 10_000)
    assert (two.halting, two.nonhalting) == (3_044, 6_956)
    for max_steps in (21, 22, 107, 500):
        three = count_range(Space(3, 2, max_steps), 0, 7_529_536)
        assert (three.halting, three.nonhalting) == (2_147_184, 5_382_352), f"S={max_steps}"


@pytest.mark.slow
def test_whole_3_2_equals_brute_force(same_counts):
    """All 7,529,536 machines of (3,2) at S=21 (its busy-beaver bound), about 8 s of brute force."""
    _versus_brute(Space(3, 2, 21), 0, 7_529_536, same_counts)


@pytest.mark.parametrize(
    "states, symbols, max_steps, start, stop",
    [
        (3, 2, 500, 2_500_000, 2_560_000),
        (3, 2, 15, 5_000_000, 5_300_000),
        (2, 3, 38, 4_000_000, 4_400_000),
        (2, 3, 500, 9_000_123, 9_080_123),
        (2, 3, 20, 0, 300_000),
    ],
)
def test_large_ranges_equal_brute_force(states, symbols, max_steps, start, stop, same_counts):
    _versus_brute(Space(states, symbols, max_steps), start, stop, same_counts)


def _pick(space: Space, rng: random.Random, unit: int) -> int:
    """A random multiple of ``unit`` whose entry (0,0), read first, moves to state B.

    Uniform numbers mostly halt or loop at once; this is the part of a space that runs.
    """
    digits = [rng.randrange(space.base) for _ in range(space.entries)]
    digits[0] = space.symbols * (3 + rng.randrange(2)) + rng.randrange(space.symbols)  # xRB or xLB
    return space.number(digits) // unit * unit


def _random_ranges(space: Space, seed: int) -> list[tuple[int, int]]:
    """Aligned blocks, ranges across block edges, unaligned, one machine, empty, the space's end."""
    rng, b = random.Random(seed), space.base
    ranges = []
    for k in (1, 2, 3):
        if b**k > 6_000:
            break
        first = _pick(space, rng, b**k)
        ranges.append((first, first + b**k))  # aligned: k free digits
        edge = _pick(space, rng, b**k)
        ranges.append((edge - rng.randrange(1, 1_500), edge + rng.randrange(1, 1_500)))  # across an edge
    start = _pick(space, rng, 1)
    ranges.append((start, start + rng.randrange(1, 4_000)))  # unaligned
    one = _pick(space, rng, 1)
    ranges += [(one, one + 1), (one, one), (space.size - rng.randrange(1, 1_000), space.size)]
    return ranges


@pytest.mark.parametrize(
    "states, symbols, max_steps",
    [(4, 2, 107), (5, 2, 500), (6, 2, 500), (3, 3, 500), (2, 4, 500), (4, 4, 2000), (4, 4, 40)],
)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_ranges_equal_brute_force(states, symbols, max_steps, seed, same_counts):
    space = Space(states, symbols, max_steps)
    for start, stop in _random_ranges(space, seed * 1000 + states * 10 + symbols):
        _versus_brute(space, start, stop, same_counts)


def test_every_reference_record(reference_records):
    assert len(reference_records) >= 30
    for record in reference_records:
        space = Space(record["states"], record["symbols"], record["max_steps"])
        got = count_range(space, record["start"], record["stop"])
        label = f"{space.label} [{record['start']}, {record['stop']})"
        assert (got.halting, got.nonhalting) == (record["halting"], record["nonhalting"]), label
        assert got.outputs == record["outputs"], label


@pytest.mark.parametrize(
    "states, symbols, max_steps", [(1, 2, 50), (2, 2, 50), (3, 2, 100), (2, 3, 100), (3, 2, 21), (2, 3, 38)]
)
def test_whole_spaces_add_up_and_mirror_without_shortcuts(states, symbols, max_steps):
    space = Space(states, symbols, max_steps)
    got = count_range(space, 0, space.size, proofs=(), symmetry=False)
    assert got.halting + got.nonhalting == space.size
    assert sum(got.outputs.values()) == got.halting == sum(got.halting_times.values())
    assert got.proven == 0 and got.limit == got.nonhalting
    assert _mirror(got.outputs) == [], space.label


@pytest.mark.slow
def test_whole_4_2_adds_up_and_mirrors_without_shortcuts():
    """About 5e7 unshared classes with no proof and no renaming: S=20 keeps it near 10 s."""
    space = Space(4, 2, 20)
    got = count_range(space, 0, space.size, proofs=(), symmetry=False)
    assert got.halting + got.nonhalting == space.size == 11_019_960_576
    assert got.proven == 0 and got.classes <= 10**8
    assert _mirror(got.outputs) == []


def test_whole_4_2_is_lazy_adds_up_and_mirrors():
    """The (4,2) table at S=107: at most 1e8 classes for 1.1e10 machines. Renaming alone
    leaves about 8.5e6; the whole space is its own mirror image, so the root walks only
    right moves and counts them again mirrored: about half of that."""
    space = Space(4, 2, 107)
    got = count_range(space, 0, space.size)
    assert got.classes <= 4_500_000, got.classes
    assert got.halting + got.nonhalting == space.size
    assert sum(got.outputs.values()) == got.halting == sum(got.halting_times.values())
    assert max(got.halting_times) == 107
    assert _mirror(got.outputs) == []


@pytest.mark.parametrize(
    "states, symbols, max_steps, start, stop",
    [(3, 2, 21, 0, 2 * 14**5), (2, 3, 38, 0, 3 * 15**5), (3, 2, 500, 14**5, 3 * 14**5), (2, 2, 6, 0, 2 * 10**3)],
)
def test_blocks_that_are_their_own_mirror_equal_brute_force(states, symbols, max_steps, start, stop, same_counts):
    """Blocks whose fixed entries all halt and whose entry (0,0) is free: mirroring maps
    them onto themselves, so the kernel walks only the right moves of the first entry."""
    _versus_brute(Space(states, symbols, max_steps), start, stop, same_counts)
    half = count_range(Space(states, symbols, max_steps), start, stop)
    whole = count_range(Space(states, symbols, max_steps), start, stop, symmetry=False)
    assert half.classes < 0.55 * whole.classes, (half.classes, whole.classes)


@pytest.mark.parametrize(
    "states, symbols, max_steps, start, stop",
    [
        (3, 2, 50, 0, 7_529_536),
        (3, 2, 500, 14**5, 2 * 14**5),
        (4, 2, 107, 3 * 18**6, 4 * 18**6),
        (4, 2, 107, 5_000_000_123, 5_000_900_000),
        (5, 2, 500, 12_345_678_901, 12_346_000_000),
        (2, 3, 60, 0, 11_390_625),
        (3, 3, 500, 210_000_000_000, 210_000_200_000),
        (2, 4, 500, 25_000_000_000, 25_000_300_000),
        (4, 4, 2000, 7_613_743_181_873_899_853_170_651, 7_613_743_181_873_899_853_190_651),
    ],
)
def test_proofs_and_symmetry_never_change_counts(states, symbols, max_steps, start, stop, same_counts):
    space = Space(states, symbols, max_steps)
    want = count_range(space, start, stop, proofs=(), symmetry=False)
    assert want.proven == 0
    for proofs in PROOF_CHOICES:
        for symmetry in (True, False):
            got = count_range(space, start, stop, proofs=proofs, symmetry=symmetry)
            same_counts(got, want, f"{space.label} [{start}, {stop}) proofs={proofs} symmetry={symmetry}")
            assert got.limit + got.proven == got.nonhalting
            if proofs == ():
                assert got.proven == 0


@pytest.mark.parametrize(
    "states,symbols,max_steps,limit", [(3, 2, 21, 4_424), (2, 3, 38, 21_000), (4, 2, 107, 9_685_008)]
)
def test_renaming_never_changes_what_the_proofs_decide(states, symbols, max_steps, limit):
    """With every proof on, walking one machine of each renaming orbit leaves the same
    machines at the limit as walking them all: a run's 'shift' proof compares it with its
    own path's edge records only, whichever sibling walks ran before it
    (tmsim_ext/_records.pxd). Kernel 1 left 4,816 (3,2) machines at the limit with
    renaming and 5,026 without."""
    space = Space(states, symbols, max_steps)
    renamed, every = (count_range(space, 0, space.size, symmetry=s) for s in (True, False))
    assert (renamed.limit, renamed.proven) == (every.limit, every.proven) == (limit, every.nonhalting - limit)
    assert renamed.classes < every.classes


def test_wide_integers_past_2_64():
    got = count_range(Space(4, 4, 2000), 0, 4 * 36**12)
    assert got.halting == 18_953_525_353_286_467_584 == 4 * 36**12 > 2**64
    assert got.outputs == {s: 36**12 for s in "0123"}
    assert got.nonhalting == 0 and got.halting_times == {1: 4 * 36**12}


@pytest.mark.parametrize(
    "space, start, stop, named",
    [
        (Space(2, 2, 6), 5, 3, "start 5 is after stop 3"),
        (Space(2, 2, 6), 0, 10_001, "10001"),
        (Space(2, 2, 6), -1, 5, "-1"),
        (Space(2, 2, 6), 0, 2.5, "2.5"),
        (Space(4, 6, 10), 0, 2**127, str(2**127)),
        (Space(4, 6, 10), 5, 5 + 2**127, str(2**127)),
    ],
)
def test_bad_ranges_name_the_value(space, start, stop, named):
    with pytest.raises(SpaceError, match=named):
        count_range(space, start, stop)


def test_unknown_proof_and_huge_step_limit_are_refused():
    with pytest.raises(SpaceError, match="'bogus'"):
        count_range(Space(2, 2, 6), 0, 10, proofs=("cycle", "bogus"))
    with pytest.raises(SpaceError, match="1000000000"):
        count_range(Space(2, 2, 10**9), 0, 10)


def test_cli_count_plain_matches_brute_force():
    args = ["count", "-n", "2", "-m", "2", "-S", "6", "--start", "0", "--stop", "10000"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    want = brute_count(2, 2, 6, 0, 10_000)
    assert lines[-1] == f"-1 : {want.nonhalting}" == "-1 : 6956"
    pairs = [line.split(" : ") for line in lines[:-1]]
    assert {s: int(c) for s, c in pairs} == want.outputs
    assert len(pairs) == len(want.outputs)


def test_cli_count_json_matches_brute_force():
    args = ["count", "-n", "3", "-m", "3", "-S", "500", "--json", "--start", "213509191113", "--stop", "213509201113"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    want = brute_count(3, 3, 500, 213_509_191_113, 213_509_201_113)
    assert got["outputs"] == want.outputs
    assert (got["halting"], got["nonhalting"]) == (want.halting, want.nonhalting)
    assert {int(k): v for k, v in got["halting_times"].items()} == want.halting_times
    assert all(type(v) is int for v in [*got["outputs"].values(), *got["halting_times"].values()])


def test_cli_count_json_wide_counts_are_integers():
    args = ["count", "-n", "4", "-m", "4", "-S", "5", "--stop", str(4 * 36**12), "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    assert got["halting"] == 18_953_525_353_286_467_584 and got["outputs"]["3"] == 36**12


@pytest.mark.parametrize(
    "args, named",
    [
        (["-n", "0", "-S", "5"], "states should be at least 1, got 0"),
        (["-n", "2", "-m", "11", "-S", "5"], "11"),
        (["-n", "2", "-S", "5", "--start", "7", "--stop", "3"], "start 7 is after stop 3"),
        (["-n", "2", "-S", "5", "--stop", "10001"], "10001"),
    ],
)
def test_cli_count_errors_are_one_line(args, named):
    result = CliRunner().invoke(main, ["count", *args])
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: ") and named in result.output
    assert len(result.output.strip().splitlines()) == 1
