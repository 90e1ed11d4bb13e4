"""The brute-force oracle itself: against the reference simulator, CTM.md, and its own pure-Python twin."""

from __future__ import annotations

import pytest

from pipeline.brute import brute_count, brute_count_one_by_one, simulate_one

BB2 = 9715
"""The 2-state busy beaver 1RB1LB_1LA1H- in (2,2): digits A1=9, A0=7, B1=1, B0=5."""


def test_busy_beaver_2_halts_after_6_steps_with_four_ones():
    assert simulate_one(2, 2, 6, BB2) == (True, "1111", 6)
    assert simulate_one(2, 2, 5, BB2) == (False, "", 5)


def test_halting_entry_writes_and_does_not_move():
    # (1,2): entry (0,0) is the least significant digit; 1 is "halt writing 1".
    assert simulate_one(1, 2, 10, 1) == (True, "1", 1)
    # (2,2) 1RB0H-_0H-0H-: A0 = 7 (hundreds digit), then B halts writing 0 one cell right.
    assert simulate_one(2, 2, 10, 700) == (True, "10", 2)


def test_whole_2_2_space_halts_as_in_ctm_md():
    counts = brute_count(2, 2, 6, 0, 10_000)
    assert (counts.halting, counts.nonhalting) == (3_044, 6_956)
    assert brute_count(2, 2, 100, 0, 10_000) == counts  # 6 is (2,2)'s busy-beaver bound


@pytest.mark.parametrize(
    "states, symbols, max_steps, start, width",
    [
        (1, 2, 5, 0, 36),
        (2, 2, 6, 0, 10_000),
        (3, 2, 40, 2_542_824, 3_000),
        (2, 3, 60, 1_401_747, 3_000),
        (3, 3, 80, 182_838_168_376, 1_500),
        (4, 4, 300, 5_241_633_474_485_368_636_427_944, 800),
    ],
)
def test_lockstep_equals_one_by_one(states, symbols, max_steps, start, width):
    """Ranges picked to hold both halting and non-halting machines and several outputs."""
    got = brute_count(states, symbols, max_steps, start, start + width)
    want = brute_count_one_by_one(states, symbols, max_steps, start, start + width)
    label = f"({states},{symbols}) S={max_steps} [{start}, {start + width})"
    assert got == want, label
    assert got.halting > 0 and got.nonhalting > 0 and len(got.outputs) > 1, label


def test_numbers_past_2_64_decode_digit_by_digit():
    # (4,4): in [3*36**12, 4*36**12) entry (0,0) halts writing 3; from 4*36**12 on it is 0RA.
    edge = 4 * 36**12
    below = brute_count(4, 4, 50, edge - 500, edge)
    assert below.outputs == {"3": 500} and below.halting_times == {1: 500}
    above = brute_count(4, 4, 50, edge, edge + 500)
    assert 1 not in above.halting_times
    assert above == brute_count_one_by_one(4, 4, 50, edge, edge + 500)


def test_reference_records(reference_records):
    """One small record of each kind of space, as TMsimulator printed it."""
    picked = {}
    for record in reference_records:
        key = (record["states"], record["symbols"])
        if record["stop"] - record["start"] <= 100_000 and key not in picked:
            picked[key] = record
    assert set(picked) >= {(2, 2), (4, 2), (5, 2), (3, 3), (2, 4), (4, 4)}
    for (states, symbols), record in picked.items():
        got = brute_count(states, symbols, record["max_steps"], record["start"], record["stop"])
        label = f"({states},{symbols}) S={record['max_steps']} [{record['start']}, {record['stop']})"
        assert (got.halting, got.nonhalting) == (record["halting"], record["nonhalting"]), label
        assert got.outputs == record["outputs"], label


@pytest.mark.parametrize(
    "args, value",
    [
        ((0, 2, 5, 0, 1), "0"),
        ((2, 1, 5, 0, 1), "1"),
        ((2, 11, 5, 0, 1), "11"),
        ((2, 2, 0, 0, 1), "0"),
        ((2, 2, 5, 5, 3), "[5, 3)"),
        ((2, 2, 5, -1, 3), "[-1, 3)"),
        ((2, 2, 5, 0, 10_001), "10001"),
    ],
)
def test_bad_input_is_refused(args, value):
    with pytest.raises(ValueError, match=value.replace("[", r"\[").replace(")", r"\)")):
        brute_count(*args)
