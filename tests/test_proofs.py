"""Each non-halting proof on single machines, one row per machine and geometry: those it
must decide, those it must not, and hard cases.

A single machine is the range [N, N+1). A proof decides it when ``count_range`` with only
that proof reports proven == 1; otherwise the run must go to the step limit (limit == 1).
A new proof adds its name to the decide tests' parameters and its machines to the rows;
a new geometry adds its rows, its step limit and its plain simulator to GEOMETRIES.
"""

from __future__ import annotations

import pytest

from pipeline.brute import simulate_one
from pipeline.brute2d import simulate_one_2d
from pipeline.kernel import GRID_PROOFS, PROOFS, count_range
from pipeline.space import Space

WALK_PROOFS = ["closed", "escape", "cycle", "shift"]
"""The proofs a walk asks ('cps' acts on long runs only: tests/test_long.py)."""

GEOMETRIES = {
    # dims: (step limit of the decide tests, the plain one-machine simulator)
    1: (10_000, simulate_one),
    2: (5_000, simulate_one_2d),
}

DECIDED = [
    # (dims, states, symbols, machine text, the proofs that decide it, why)
    (1, 2, 2, "0LB0RA_1RA1LB", {"closed"}, "a binary counter with no halting entry at all"),
    (1, 3, 2, "0RC0LA_1RA1H-_1LA1RC", {"closed"}, "B halts, but no entry leads to B"),
    (1, 2, 3, "2RB2LA1RB_1LB2LB1RA", {"closed"}, "no halting entry at all"),
    (1, 2, 2, "1RB0H-_0LB1RB", {"closed", "cycle"}, "B loops in place; A's halt is never reached again"),
    (1, 2, 2, "0RB0H-_0LA0H-", {"cycle"}, "A and B swap in place on blank tape; both can halt on a 1"),
    (1, 3, 2, "0RB0LB_0LA0RC_0H-0RB", {"cycle"}, "A and B bounce between two blank cells"),
    (1, 2, 3, "2LB0H-0RA_1RB0RA0LB", {"cycle"}, "back to blank tape in state A after 5 steps"),
    (1, 2, 2, "0RA0H-_0H-0H-", {"escape", "shift"}, "runs right on blank tape in state A"),
    (1, 3, 2, "0RC1LB_1RA0H-_0RA0LB", {"escape", "shift"}, "runs right on blank tape through A and C"),
    (1, 2, 2, "0RB0H-_0RB0RB", {"closed", "escape", "shift"}, "B runs right forever and has no halt"),
    (1, 2, 2, "0RB0H-_1LA0RA", {"shift"}, "goes right, stepping back over each 1 it writes"),
    (1, 3, 2, "0LB1H-_0RC1RA_1LB1LA", {"shift"}, "a translated cycler going right"),
    (1, 2, 3, "0LB2LA1H-_1RA0RB2LA", {"shift"}, "a translated cycler"),
    (1, 3, 2, "1LC1RA_0LC0RC_0RA1RC", {"closed", "shift"}, "a translated cycler with no reachable halt"),
    (2, 2, 2, "1RB1LA_0LA0RB", {"closed"}, "no halting entry at all"),
    (2, 2, 2, "0DB1UA_1UA1DB", {"closed"}, "no halting entry at all"),
    (2, 2, 2, "0DB0UB_0UA0H-", {"cycle"}, "A and B swap between two blank cells"),
    (2, 2, 2, "0LB0RB_0RA0H-", {"cycle"}, "bounces left and right on blank cells"),
    (2, 2, 2, "1UB1DB_1UA0LB", {"closed", "escape", "shift"}, "runs up with no reachable halt"),
    (2, 2, 2, "0LB0DB_1DA1H-", {"escape", "shift"}, "runs down and left on fresh cells"),
    (2, 2, 2, "1RB0H-_1RA1LB", {"escape", "shift"}, "runs right on fresh cells"),
    (2, 2, 2, "0UB1H-_1DA1LB", {"shift"}, "a translated cycler going left"),
    (2, 2, 2, "1LB0RB_0RA1H-", {"shift"}, "a translated cycler reading its own trail"),
    (2, 4, 2, "0RB0DB_1DC0DC_0LD0H-_0DA0LC", {"shift"}, "zig-zags down: R, D, L, D on fresh cells"),
]

HARD = [
    # (dims, states, symbols, machine text, why): no proof may decide these (the 1-D
    # counter 0LB0RA_1RA1LB above is one too, but has no halting entry, so 'closed' does)
    (1, 3, 2, "1LB1RA_1RA0RC_0H-1LA", "a bouncer: the visited block grows by one cell per sweep"),
    (1, 3, 2, "1RC0LB_1H-1LA_0LB1RA", "a bouncer"),
    (1, 3, 2, "1RC0H-_1LA1LC_0LB0RA", "a bouncer, growing faster leftwards"),
    (1, 2, 3, "2LB2H-0RB_2RA2RB0LA", "a bouncer"),
    (1, 2, 3, "2RB0H-1LA_0LA0RB1RB", "a binary counter that can halt on a 1 in A"),
    (2, 3, 2, "1LB1RA_1DC1LB_1UA1H-", "a bouncer: sweeps a row that grows by a cell each way"),
    (2, 3, 2, "1DB1H-_0UC1LB_1RC1UA", "fills a growing square, like a spiral"),
    (2, 4, 2, "0UB1H-_1DD1UA_0UA0DD_0DC1DB", "a counter: its column grows logarithmically"),
    (2, 4, 2, "1DC1LD_1DD0DD_1RB0H-_0UA1LB", "a diagonal bouncer"),
]

LATE = [
    # (dims, states, symbols, machine text, its steps, its output): the longest halting runs
    (1, 2, 2, "1RB1LB_1LA1H-", 6, "1111"),
    (1, 3, 2, "1RB1H-_1LB0RC_1LC1LA", 21, "11111"),
    (1, 2, 3, "1RB2LB1H-_2LA2RB1LB", 38, "222222212"),
    (1, 4, 2, "1RB1LB_1LA0LC_1H-1LD_1RD0RA", 107, "10111111111111"),
    (2, 2, 2, "1UB1RB_1DA1H-", 6, "10-11-01"),
    (2, 3, 2, "1UC1RB_1DA0H-_0RB0LC", 32, "0010-0100-0101-0100"),
]


def _ids(rows) -> list[str]:
    return [f"{row[0]}d-{row[3]}" for row in rows]


def _one(dims: int, states: int, symbols: int, max_steps: int, text: str, proofs):
    space = Space(states, symbols, max_steps, dims)
    number = space.number_of_text(text)
    return count_range(space, number, number + 1, proofs=proofs)


def _halts(dims: int, states: int, symbols: int, text: str) -> bool:
    limit, simulate = GEOMETRIES[dims]
    number = Space(states, symbols, limit, dims).number_of_text(text)
    return simulate(states, symbols, limit, number)[0]


@pytest.mark.parametrize("dims, proofs", [(1, {*WALK_PROOFS, "cps"}), (2, set(WALK_PROOFS))])
def test_each_kernel_has_its_proofs(dims, proofs):
    assert set(PROOFS if dims == 1 else GRID_PROOFS) == proofs


@pytest.mark.parametrize("dims, states, symbols, text, deciders, why", DECIDED, ids=_ids(DECIDED))
@pytest.mark.parametrize("proof", WALK_PROOFS)
def test_each_proof_decides_exactly_its_machines(dims, states, symbols, text, deciders, why, proof):
    got = _one(dims, states, symbols, GEOMETRIES[dims][0], text, (proof,))
    assert got.halting == 0, f"{text} ({why}) halted"
    expect = (1, 0) if proof in deciders else (0, 1)
    assert (got.proven, got.limit) == expect, f"{proof} on {text} ({why}): proven, limit = {got.proven, got.limit}"


@pytest.mark.parametrize("dims, states, symbols, text, deciders, why", DECIDED, ids=_ids(DECIDED))
def test_decided_machines_really_run_to_the_limit(dims, states, symbols, text, deciders, why):
    assert _halts(dims, states, symbols, text) is False, f"{text} halts: {why}"
    assert _one(dims, states, symbols, GEOMETRIES[dims][0], text, ()).limit == 1, f"{text} without proofs"


@pytest.mark.parametrize("dims, states, symbols, text, why", HARD, ids=_ids(HARD))
def test_hard_cases_reach_the_limit(dims, states, symbols, text, why):
    assert _halts(dims, states, symbols, text) is False, f"{text} halts: {why}"
    for proofs in [None, *[(proof,) for proof in WALK_PROOFS]]:
        got = _one(dims, states, symbols, GEOMETRIES[dims][0], text, proofs)
        assert (got.proven, got.limit) == (0, 1), f"proofs={proofs} decided {text}: {why}"


@pytest.mark.parametrize("dims, states, symbols, text, steps, output", LATE, ids=_ids(LATE))
@pytest.mark.parametrize("proofs", [None, (), *[(proof,) for proof in WALK_PROOFS]])
def test_late_halters_halt_late_and_are_never_proven(dims, states, symbols, text, steps, output, proofs):
    got = _one(dims, states, symbols, GEOMETRIES[dims][0], text, proofs)
    want = (1, {output: 1}, {steps: 1})
    assert (got.halting, got.outputs, got.halting_times) == want, f"{text} proofs={proofs}"
    short = _one(dims, states, symbols, steps - 1, text, proofs)
    assert (short.halting, short.proven, short.limit) == (0, 0, 1), f"{text} at S={steps - 1} proofs={proofs}"
