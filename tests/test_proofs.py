"""Each non-halting proof on single machines: those it must decide, those it must not, and hard cases.

A single machine is the range [N, N+1). A proof decides it when ``count_range`` with only
that proof reports proven == 1; otherwise the run must go to the step limit (limit == 1).
"""

from __future__ import annotations

import pytest

from pipeline.brute import simulate_one
from pipeline.kernel import PROOFS, count_range
from pipeline.space import Space

LIMIT = 10_000

DECIDED = [
    # (states, symbols, machine text, the proofs that decide it, why)
    (2, 2, "0LB0RA_1RA1LB", {"closed"}, "a binary counter with no halting entry at all"),
    (3, 2, "0RC0LA_1RA1H-_1LA1RC", {"closed"}, "B halts, but no entry leads to B"),
    (2, 3, "2RB2LA1RB_1LB2LB1RA", {"closed"}, "no halting entry at all"),
    (2, 2, "1RB0H-_0LB1RB", {"closed", "cycle"}, "B loops in place; A's halt is never reached again"),
    (2, 2, "0RB0H-_0LA0H-", {"cycle"}, "A and B swap in place on blank tape; both can halt on a 1"),
    (3, 2, "0RB0LB_0LA0RC_0H-0RB", {"cycle"}, "A and B bounce between two blank cells"),
    (2, 3, "2LB0H-0RA_1RB0RA0LB", {"cycle"}, "back to blank tape in state A after 5 steps"),
    (2, 2, "0RA0H-_0H-0H-", {"escape", "shift"}, "runs right on blank tape in state A"),
    (3, 2, "0RC1LB_1RA0H-_0RA0LB", {"escape", "shift"}, "runs right on blank tape through A and C"),
    (2, 2, "0RB0H-_0RB0RB", {"closed", "escape", "shift"}, "B runs right forever and has no halt"),
    (2, 2, "0RB0H-_1LA0RA", {"shift"}, "goes right, stepping back over each 1 it writes"),
    (3, 2, "0LB1H-_0RC1RA_1LB1LA", {"shift"}, "a translated cycler going right"),
    (2, 3, "0LB2LA1H-_1RA0RB2LA", {"shift"}, "a translated cycler"),
    (3, 2, "1LC1RA_0LC0RC_0RA1RC", {"closed", "shift"}, "a translated cycler with no reachable halt"),
]

HARD = [
    # (states, symbols, machine text, why): no proof may decide these (the counter
    # 0LB0RA_1RA1LB above is one too, but has no halting entry, so 'closed' does)
    (3, 2, "1LB1RA_1RA0RC_0H-1LA", "a bouncer: the visited block grows by one cell per sweep"),
    (3, 2, "1RC0LB_1H-1LA_0LB1RA", "a bouncer"),
    (3, 2, "1RC0H-_1LA1LC_0LB0RA", "a bouncer, growing faster leftwards"),
    (2, 3, "2LB2H-0RB_2RA2RB0LA", "a bouncer"),
    (2, 3, "2RB0H-1LA_0LA0RB1RB", "a binary counter that can halt on a 1 in A"),
]

LATE = [
    # (states, symbols, busy beaver text, its steps, its output)
    (2, 2, "1RB1LB_1LA1H-", 6, "1111"),
    (3, 2, "1RB1H-_1LB0RC_1LC1LA", 21, "11111"),
    (2, 3, "1RB2LB1H-_2LA2RB1LB", 38, "222222212"),
    (4, 2, "1RB1LB_1LA0LC_1H-1LD_1RD0RA", 107, "10111111111111"),
]


def _one(states: int, symbols: int, max_steps: int, text: str, proofs):
    space = Space(states, symbols, max_steps)
    number = space.number_of_text(text)
    return count_range(space, number, number + 1, proofs=proofs)


def test_the_kernel_has_the_five_proofs():
    # 'cps' acts on long runs only (tests/test_long.py): in a walk it decides nothing
    assert set(PROOFS) == {"closed", "escape", "cycle", "shift", "cps"}


@pytest.mark.parametrize("states, symbols, text, deciders, why", DECIDED, ids=[c[2] for c in DECIDED])
@pytest.mark.parametrize("proof", ["closed", "escape", "cycle", "shift"])
def test_each_proof_decides_exactly_its_machines(states, symbols, text, deciders, why, proof):
    got = _one(states, symbols, LIMIT, text, (proof,))
    assert got.halting == 0, f"{text} ({why}) halted"
    if proof in deciders:
        assert (got.proven, got.limit) == (1, 0), f"{proof} should decide {text}: {why}"
    else:
        assert (got.proven, got.limit) == (0, 1), f"{proof} should not decide {text}: {why}"


@pytest.mark.parametrize("states, symbols, text, deciders, why", DECIDED, ids=[c[2] for c in DECIDED])
def test_decided_machines_really_run_to_the_limit(states, symbols, text, deciders, why):
    number = Space(states, symbols, LIMIT).number_of_text(text)
    assert simulate_one(states, symbols, LIMIT, number)[0] is False, f"{text} halts: {why}"
    assert _one(states, symbols, LIMIT, text, ()).limit == 1, f"{text} without proofs"


@pytest.mark.parametrize("states, symbols, text, why", HARD, ids=[c[2] for c in HARD])
def test_hard_cases_reach_the_limit(states, symbols, text, why):
    number = Space(states, symbols, LIMIT).number_of_text(text)
    assert simulate_one(states, symbols, LIMIT, number)[0] is False, f"{text} halts: {why}"
    for proofs in [None, ("closed",), ("escape",), ("cycle",), ("shift",)]:
        got = _one(states, symbols, LIMIT, text, proofs)
        assert (got.proven, got.limit) == (0, 1), f"proofs={proofs} decided {text}: {why}"


@pytest.mark.parametrize("states, symbols, text, steps, output", LATE, ids=[c[2] for c in LATE])
@pytest.mark.parametrize("proofs", [None, (), ("closed",), ("escape",), ("cycle",), ("shift",)])
def test_busy_beavers_halt_late_and_are_never_proven(states, symbols, text, steps, output, proofs):
    got = _one(states, symbols, LIMIT, text, proofs)
    want = (1, {output: 1}, {steps: 1})
    assert (got.halting, got.outputs, got.halting_times) == want, f"{text} proofs={proofs}"
    short = _one(states, symbols, steps - 1, text, proofs)
    assert (short.halting, short.proven, short.limit) == (0, 0, 1), f"{text} at S={steps - 1} proofs={proofs}"
