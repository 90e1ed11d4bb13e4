"""Long runs (classes leaving the walk at ``long_from``) and their proofs: 'cps' (n-gram
closed position sets, plain and with history) and the long runs' own 'cycle' and 'shift'.

Soundness is checked against exhaustive simulation: whole spaces counted with long runs
and each proof alone must equal the plain walk with no proof at all (itself equal to the
brute force, tests/test_kernel.py), and random (5,2) blocks equal the brute force
directly. Single machines check what 'cps' decides and what it must not.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from pipeline.brute import brute_count, simulate_one
from pipeline.kernel import PROOFS, count_range
from pipeline.space import BUSY_BEAVER_STEPS, Space
from tmsim_ext import count_blocks, cps_proves

EXHAUSTIVE = [
    # (n, m, S = the busy beaver's steps, where long runs start)
    (2, 2, 6, 2),
    (3, 2, 21, 5),
    (2, 3, 38, 8),
    (4, 2, 107, 30),
]

ALONE = [("cps",), ("cycle",), ("shift",), ("closed",), ("escape",), None]


def _same(got, want, label):
    assert got.halting == want.halting, label
    assert got.outputs == want.outputs, label
    assert got.halting_times == want.halting_times, label
    assert got.limit + got.proven == want.limit + want.proven, label


@pytest.fixture(scope="module")
def plain_counts():
    """Each exhaustive space counted by the walk with no proof and no long runs, and (but
    for (4,2)) no renaming. (4,2) keeps renaming: without it the walk takes 20 to 50 s, with
    it 1 to 3 s, and renaming never changes a count (test_kernel.py: against the brute
    force and the walk without it, on ranges of (4,2) S=107 too); its halting total is the
    shipped d4x2-s107 table's."""
    counts = {
        (n, m): count_range(Space(n, m, S), 0, Space(n, m, S).size, proofs=(), symmetry=(n, m) == (4, 2))
        for n, m, S, _ in EXHAUSTIVE
    }
    assert counts[(4, 2)].proven == 0 and counts[(4, 2)].halting == 2_985_384_480
    return counts


@pytest.mark.parametrize("n, m, S, T", EXHAUSTIVE, ids=[f"({c[0]},{c[1]})" for c in EXHAUSTIVE])
@pytest.mark.parametrize("proofs", ALONE, ids=lambda p: "all" if p is None else p[0])
def test_long_runs_with_each_proof_equal_exhaustive_simulation(plain_counts, n, m, S, T, proofs):
    space = Space(n, m, S)
    got = count_range(space, 0, space.size, proofs=proofs, long_from=T)
    _same(got, plain_counts[(n, m)], f"({n},{m}) long_from {T} proofs {proofs}")
    assert got.long["from"] == T and got.long["classes"] > 0
    assert got.undecided == []
    if proofs is not None and proofs[0] in ("cps", "cycle", "shift"):
        # the proof decided some long runs itself: the test is not vacuous
        assert got.long[f"by_{proofs[0]}"] > 0, f"{proofs[0]} decided no long run of ({n},{m})"


@pytest.mark.parametrize("radius, history", [(1, 0), (3, 0), (2, 2), (4, 6)])
def test_cps_alone_with_a_busy_beaver_limit_is_exact(plain_counts, radius, history):
    """With S the busy beaver's steps, the classes reaching S never halt: every class
    the walk leaves at step 2 is either decided by cps or runs to S, and the counts
    still equal exhaustive simulation."""
    space = Space(3, 2, 21)
    got = count_range(space, 0, space.size, proofs=("cps",), long_from=2, cps_radius=radius, cps_history=history)
    _same(got, plain_counts[(3, 2)], f"cps r={radius} k={history}")


def test_random_five_state_blocks_equal_the_brute_force():
    rng = random.Random(5)
    space = Space(5, 2, 600)
    b = space.base
    for _ in range(3):
        start = rng.randrange(space.size // b**3) * b**3
        got = count_range(space, start, start + b**3, long_from=40)
        want = brute_count(5, 2, 600, start, start + b**3)
        assert got.halting == want.halting
        assert got.outputs == want.outputs
        assert got.halting_times == want.halting_times
        assert got.limit + got.proven == want.nonhalting


def _digits(space: Space, text: str) -> np.ndarray:
    return np.array([-1 if d is None else d for d in space.parse_text(text)], dtype=np.int32)


@pytest.mark.parametrize("n, m", [(2, 2), (3, 2), (2, 3)])
@pytest.mark.parametrize("radius, history", [(1, 0), (2, 0), (3, 0), (1, 1), (2, 2), (3, 3)])
def test_cps_never_decides_a_machine_that_halts(n, m, radius, history):
    """Every machine (2,2), and 3000 random ones of (3,2) and (2,3): whatever cps proves
    runs to the busy beaver's steps without halting (so it never halts)."""
    space = Space(n, m, BUSY_BEAVER_STEPS[(n, m)])
    numbers = range(space.size) if space.size <= 20_000 else random.Random(n * 10 + m).sample(range(space.size), 3000)
    proved = 0
    for number in numbers:
        if cps_proves(n, m, np.array(space.digits(number), dtype=np.int32), radius, history):
            proved += 1
            halted, _, _ = simulate_one(n, m, space.max_steps, number)
            assert not halted, f"cps r={radius} k={history} proved {space.text(number)}, which halts"
    assert proved > 0


CPS_DECIDES = [
    # (n, m, machine text, radius, history, why)
    (2, 2, "1RB1LB_1LA0LA", 1, 0, "no halting entry is ever read"),
    (3, 2, "1LB1RA_1RA0RC_0H-1LA", 1, 1, "a bouncer the walk's proofs miss (tests/test_proofs.py)"),
    (2, 4, "0RB3LA---1RB_1LA2LA1RB1RA", 2, 2, "a (2,4) bouncer that reached 20,000 steps, with a free entry"),
    (2, 4, "0RB2LA3LA1RB_1LA1RB1RA---", 1, 2, "a (2,4) counter that reached 20,000 steps"),
]


@pytest.mark.parametrize("n, m, text, radius, history, why", CPS_DECIDES, ids=[c[2] for c in CPS_DECIDES])
def test_cps_decides_its_machines(n, m, text, radius, history, why):
    space = Space(n, m, 10)
    assert cps_proves(n, m, _digits(space, text), radius, history), why
    # and they really run on: 100,000 steps without reading a halting or free entry
    got = count_blocks(n, m, 100_000, _digits(space, text)[None, :], 0, False, long_from=10)
    assert got["halting"] == 0 and got["proven"] == 0 and got["long"]["bound"] == 1


LONG_HALTERS = [
    # (n, m, busy beaver text, steps, length of its output)
    (4, 2, "1RB1LB_1LA0LC_1H-1LD_1RD0RA", 107, 14),
    (2, 3, "1RB2LB1H-_2LA2RB1LB", 38, 9),
    (2, 4, "1RB2LA1RA1RA_1LB1LA3RB1H-", 3_932_964, None),
]


@pytest.mark.parametrize("n, m, text, steps, length", LONG_HALTERS, ids=[c[2] for c in LONG_HALTERS])
def test_no_proof_decides_a_busy_beaver(n, m, text, steps, length):
    space = Space(n, m, BUSY_BEAVER_STEPS[(n, m)])
    assert steps == space.max_steps
    digits = _digits(space, text)
    for radius in range(1, 5):
        for history in range(0, 7):
            assert not cps_proves(n, m, digits, radius, history)
    number = space.number_of_text(text)
    got = count_range(space, number, number + 1, long_from=min(steps - 1, 2000))
    assert (got.halting, got.proven, got.limit) == (1, 0, 0)
    assert got.halting_times == {steps: 1}
    if length is not None:
        assert [len(s) for s in got.outputs] == [length]


def test_the_five_state_busy_beaver_halts_at_the_bound():
    """The (5,2) champion runs 47,176,870 steps on the long-run tape: none of the
    proofs decides it, and it halts on the very last step the table counts."""
    space = Space(5, 2, BUSY_BEAVER_STEPS[(5, 2)])
    text = "1RB1LC_1RC1RB_1RD0LE_1LA1LD_1H-0LA"
    number = space.number_of_text(text)
    got = count_range(space, number, number + 1, long_from=4100)
    assert (got.halting, got.proven, got.limit) == (1, 0, 0)
    assert got.halting_times == {47_176_870: 1}
    (output,) = got.outputs
    assert output.count("1") == 4098 and len(output) == 12_289


def test_the_kernel_knows_cps():
    assert "cps" in PROOFS


def test_a_class_that_outgrows_its_tape_is_listed_undecided():
    """With a tape limit, a class running past it is neither decided nor run to the
    bound: it is listed (entries, steps reached, machines) and counts in limit."""
    space = Space(2, 2, 1000)
    digits = _digits(space, "1RB1LA_1LA1RB")  # a bouncer: its tape grows by a cell a sweep
    got = count_blocks(2, 2, 1000, digits[None, :], 0, False, long_from=5, long_cells=20)
    assert got["limit"] == 1 and got["halting"] == 0 and got["long"]["bound"] == 0
    ((entries, steps, machines),) = got["undecided"]
    assert list(entries) == list(digits) and 5 < steps < 1000 and machines == 1
    # with no tape limit it runs to the bound instead
    got = count_blocks(2, 2, 1000, digits[None, :], 0, False, long_from=5)
    assert got["limit"] == 1 and got["long"]["bound"] == 1 and got["undecided"] == []


def test_an_undecided_class_makes_the_status_undecided():
    from pipeline.reduce import _long_fields, _Totals
    from pipeline.spec import JobSpec

    spec = JobSpec(3, 2, 21, 2, no_cutoff=True, long_from=6)
    totals = _Totals(limit=10, undecided=[{"machine": "1RB---_1LA1RB_------", "steps": 9, "machines": 4, "weight": 2}])
    fields = _long_fields(spec, totals)
    assert fields["status"] == "undecided"
    assert fields["undecided"]["machines"] == 8
    assert "the 2 machines that reached it never halt" in fields["cutoff"]
    assert _long_fields(spec, _Totals(limit=10))["status"] == "exact"


def _cps_reference(n, m, digits, r, k, max_configs=20_000):
    """The n-gram CPS with k updates of history per cell, written plainly with Python
    sets and tuples, to check the kernel's hashed one: True when the set closes."""
    space = Space(n, m, 10)
    entries = {}
    for e, d in enumerate(digits):
        entries[e] = None if d < 0 or d < m else space.decode_digit(int(d))
    blank = (0, ())
    windows = ({}, {})  # per side: the r nearest cells -> farther cells seen
    for side in windows:
        side.setdefault((blank,) * r, set()).add(blank)
    start = (0, (blank,) * r, blank, (blank,) * r)
    seen, order, changed = {start}, [start], True
    while changed:
        changed = False
        for q, left, cell, right in list(order):
            entry = entries[q * m + cell[0]]
            if entry is None:
                return False
            written = (entry.write, (((q, cell[0]),) + cell[1])[:k] if k else ())
            near, far, push, pop = (left, right, 0, 1) if entry.move > 0 else (right, left, 1, 0)
            window = (written,) + near
            if window[r] not in windows[push].setdefault(window[:r], set()):
                windows[push][window[:r]].add(window[r])
                changed = True
            for x in list(windows[pop].get(far, ())):
                rest = far[1:] + (x,) if r else ()
                head = far[0] if r else x
                new = (entry.goto, window[:r], head, rest) if entry.move > 0 else (entry.goto, rest, head, window[:r])
                if new not in seen:
                    seen.add(new)
                    order.append(new)
                    changed = True
                    if len(seen) > max_configs:
                        return False
    return True


@pytest.mark.parametrize("n, m", [(3, 2), (2, 3), (5, 2)])
def test_the_kernels_cps_equals_a_plain_reference(n, m):
    """The kernel's CPS (dense plain windows, hashed and interned with history) decides
    exactly what a plain Python version of the same definition decides."""
    rng = random.Random(100 * n + m)
    space = Space(n, m, 10)
    agree = proved = 0
    for _ in range(150):
        digits = [
            rng.randrange(-1, space.base) if rng.random() < 0.15 else rng.randrange(m, space.base)
            for _ in range(space.entries)
        ]
        for r, k in ((1, 0), (2, 0), (3, 0), (1, 1), (2, 2), (2, 5), (3, 3)):
            ours = cps_proves(n, m, np.array(digits, dtype=np.int32), r, k, 20_000)
            want = _cps_reference(n, m, digits, r, k, 20_000)
            assert ours == want, f"{space.text_of_digits([d if d >= 0 else None for d in digits])} r={r} k={k}"
            agree += 1
            proved += ours
    assert proved > 0 and agree == 150 * 7


def _running_class(rng: random.Random, space: Space, steps: int) -> list[int] | None:
    """A random machine of ``space`` run ``steps`` steps from the blank tape: the class of
    the entries it read (the others free), or None when it halted or read a free entry
    first. About one entry in eight is drawn halting or free."""
    m = space.symbols
    digits = [
        rng.randrange(-1, m) if rng.random() < 0.125 else rng.randrange(m, space.base) for _ in range(space.entries)
    ]
    tape, head, state, read = {}, 0, 0, set()
    for _ in range(steps):
        e = state * m + tape.get(head, 0)
        read.add(e)
        if digits[e] < m:
            return None
        entry = space.decode_digit(digits[e])
        tape[head] = entry.write
        head += entry.move
        state = entry.goto
    return [d if e in read else -1 for e, d in enumerate(digits)]


@pytest.mark.parametrize("n, m, radii", [(6, 2, range(0, 5)), (2, 4, range(0, 4)), (3, 3, range(0, 3))])
def test_the_kernels_plain_cps_equals_the_reference_at_every_radius(n, m, radii):
    """Plain windows of 1 to 5 cells (radius 0 to 4; m = 2 and 4 split cells with shifts,
    m = 3 with divisions) on classes still running after 100 steps, as the long runs
    try them: the kernel's worklist decides exactly what the plain rescan decides."""
    rng = random.Random(1000 * n + m)
    space = Space(n, m, 10)
    proved = tried = 0
    while tried < 200:
        digits = _running_class(rng, space, 100)
        if digits is None:
            continue
        tried += 1
        for r in radii:
            ours = cps_proves(n, m, np.array(digits, dtype=np.int32), r)
            want = _cps_reference(n, m, digits, r, 0, n * m * m ** (2 * r))
            assert ours == want, f"{space.text_of_digits([d if d >= 0 else None for d in digits])} r={r}"
            proved += ours
    assert 0 < proved < tried * len(radii)


def test_the_kernels_plain_cps_equals_the_reference_on_hard_classes():
    """The same on 150 committed (5,2) classes that run past 4,100 steps, radius 0 to 4:
    windows of 2 to 4 cells prove none of them (the file's own note), 5 cells some."""
    from pathlib import Path

    space = Space(5, 2, 10)
    rows = [
        t
        for t in (Path(__file__).parent / "data" / "d5x2-long-classes.txt").read_text().splitlines()
        if t and not t.startswith("#")
    ][:150]
    proved = [0] * 5
    for text in rows:
        digits = [-1 if d is None else d for d in space.parse_text(text)]
        for r in range(5):
            ours = cps_proves(5, 2, np.array(digits, dtype=np.int32), r)
            assert ours == _cps_reference(5, 2, digits, r, 0, 10 * 2 ** (2 * r)), f"{text} r={r}"
            proved[r] += ours
    assert proved[:4] == [0, 0, 0, 0] and 0 < proved[4] < len(rows)


def test_the_kernels_cps_equals_the_reference_on_hard_classes():
    """The same on 40 committed (5,2) classes that run past 4,100 steps, where the sets
    grow large and history decides."""
    from pathlib import Path

    space = Space(5, 2, 10)
    rows = [
        t
        for t in (Path(__file__).parent / "data" / "d5x2-long-classes.txt").read_text().splitlines()
        if t and not t.startswith("#")
    ][:40]
    proved = 0
    for text in rows:
        digits = [-1 if d is None else d for d in space.parse_text(text)]
        for r, k in ((2, 2), (2, 6), (3, 3)):
            ours = cps_proves(5, 2, np.array(digits, dtype=np.int32), r, k, 20_000)
            assert ours == _cps_reference(5, 2, digits, r, k, 20_000), f"{text} r={r} k={k}"
            proved += ours
    assert proved >= 20


def test_ctm_count_runs_the_busy_beavers_block_to_the_bound():
    import json

    from click.testing import CliRunner

    from pipeline.cli import main

    args = [
        "count",
        "-n",
        "5",
        "-S",
        "47176870",
        "--long-from",
        "2000",
        "--start",
        "16097445400124",
        "--stop",
        "16097445400608",
        "--json",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert got["halting"] + got["nonhalting"] == 484
    assert max(int(k) for k in got["halting_times"]) == 47_176_870
    assert got["long_runs"]["from"] == 2000 and got["undecided"] == []
    # without --long-from a limit this long is refused with a one-line reason
    result = CliRunner().invoke(main, args[:5] + args[7:])
    assert result.exit_code == 2 and "long_from" in result.output
