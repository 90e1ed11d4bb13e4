"""The machine space: numbering, machine text, and the errors for spaces and numbers that do not exist."""

from __future__ import annotations

import random

import pytest

from pipeline.brute import simulate_one
from pipeline.errors import CTMError
from pipeline.space import Entry, Space, SpaceError

SPACES = [
    Space(1, 2, 5),
    Space(2, 2, 6),
    Space(3, 2, 21),
    Space(2, 3, 38),
    Space(5, 2, 500),
    Space(3, 3, 500),
    Space(2, 4, 500),
    Space(4, 4, 2000),
    Space(4, 6, 2000),
    Space(3, 10, 9),
]


def _samples(space: Space) -> list[int]:
    rng = random.Random(space.states * 100 + space.symbols)
    return [0, 1, space.base - 1, space.base, space.size - 1] + [rng.randrange(space.size) for _ in range(50)]


def test_size_is_b_to_the_n_m():
    assert Space(4, 2, 107).size == 11_019_960_576
    assert Space(5, 2, 500).size == 26_559_922_791_424
    assert Space(4, 4, 2000).size == 36**16
    assert (Space(2, 3, 1).base, Space(2, 3, 1).entries) == (15, 6)


@pytest.mark.parametrize("space", SPACES, ids=lambda s: s.label)
def test_numbers_round_trip_through_digits_and_text(space):
    for number in _samples(space):
        digits = space.digits(number)
        assert space.number(digits) == number, f"{space.label} {number}"
        text = space.text(number)
        assert space.parse_text(text) == digits, f"{space.label} {number} {text}"
        assert space.number_of_text(text) == number, f"{space.label} {number} {text}"
        table = space.table(number)
        assert [space.encode_entry(e) for e in table] == digits, f"{space.label} {text}"


def test_least_significant_digit_is_entry_last_state_symbol_0():
    space = Space(3, 2, 10)  # b = 14, entries e = state*2 + symbol
    assert space.digits(1) == [0, 0, 0, 0, 1, 0]  # entry (2, 0)
    assert space.digits(14) == [0, 0, 0, 0, 0, 1]  # entry (2, 1)
    assert space.digits(14**2) == [0, 0, 1, 0, 0, 0]  # entry (1, 0)
    assert space.digits(14**5) == [0, 1, 0, 0, 0, 0]  # entry (0, 1), the most significant
    assert space.digits(14**4) == [1, 0, 0, 0, 0, 0]  # entry (0, 0)


def test_digit_values_decode_as_in_ctm_md():
    space = Space(2, 2, 10)  # b = 10
    texts = ["0H-", "1H-", "0RA", "1RA", "0LA", "1LA", "0RB", "1RB", "0LB", "1LB"]
    for digit, text in enumerate(texts):
        assert space.text_of_digits([digit, 0, 0, 0])[:3] == text, f"digit {digit}"
    assert space.decode_digit(7) == Entry(1, 1, 1)
    assert space.decode_digit(1) == Entry(1, 0, -1) and space.decode_digit(1).halts
    three = Space(2, 3, 10)  # b = 15: 3 halts, then 0RA 1RA 2RA 0LA ... 2LB
    assert [three.text_of_digits([d] + [0] * 5)[:3] for d in (0, 2, 3, 5, 6, 8, 14)] == [
        "0H-",
        "2H-",
        "0RA",
        "2RA",
        "0LA",
        "2LA",
        "2LB",
    ]


def test_busy_beaver_2_by_hand():
    """1RB1LB_1LA1H-: A0=1RB=7, A1=1LB=9, B0=1LA=5, B1=1H-=1, most significant entry (0,1)."""
    space = Space(2, 2, 6)
    number = space.number_of_text("1RB1LB_1LA1H-")
    assert number == 9 * 1000 + 7 * 100 + 1 * 10 + 5
    assert space.text(number) == "1RB1LB_1LA1H-"
    assert simulate_one(2, 2, 6, number) == (True, "1111", 6)


def test_edges_of_the_space_by_hand():
    assert Space(2, 2, 6).text(0) == "0H-0H-_0H-0H-"
    assert Space(2, 2, 6).text(9_999) == "1LB1LB_1LB1LB"
    wide = Space(4, 4, 2000)
    assert wide.text(3 * 36**12) == "3H-0H-0H-0H-_" + "_".join(["0H-0H-0H-0H-"] * 3)
    assert wide.number_of_text("0H-0H-0H-3LD_" + "_".join(["0H-0H-0H-0H-"] * 3)) == 35 * 36**15
    assert wide.text(wide.size - 1) == "_".join(["3LD3LD3LD3LD"] * 4)


def _run_table(space: Space, number: int) -> tuple[bool, str, int]:
    """Simulate machine ``number`` from ``Space.table``: (halted, output, steps)."""
    table, tape, state, head, lo, hi = space.table(number), {}, 0, 0, 0, 0
    for step in range(1, space.max_steps + 1):
        entry = table[state * space.symbols + tape.get(head, 0)]
        tape[head] = entry.write
        if entry.halts:
            return True, "".join(str(tape.get(i, 0)) for i in range(lo, hi + 1)), step
        head, state = head + entry.move, entry.goto
        lo, hi = min(lo, head), max(hi, head)
    return False, "", space.max_steps


def test_space_table_agrees_with_the_brute_force_decoding():
    """Brute decodes numbers on its own; both decodings must run every machine alike."""
    for space in (Space(2, 2, 30), Space(3, 3, 60), Space(4, 4, 60)):
        for number in _samples(space)[:30]:
            want = simulate_one(space.states, space.symbols, space.max_steps, number)
            assert _run_table(space, number) == want, f"{space.label} {space.text(number)}"


def test_free_entries_print_as_dashes():
    space = Space(2, 2, 6)
    assert space.text_of_digits([7, None, None, 1]) == "1RB---_---1H-"
    assert space.parse_text("1RB---_---1H-") == [7, None, None, 1]
    with pytest.raises(SpaceError, match="free"):
        space.number_of_text("1RB---_---1H-")


@pytest.mark.parametrize(
    "text, named",
    [
        ("1RB1LB", "1 state groups"),
        ("1RB1LB_1LA", "'1LA'"),
        ("1RB1LB_1LA1XC", "1XC"),
        ("1RB1LB_1LA2H-", "2H-"),
        ("1RC1LB_1LA1H-", "1RC"),
    ],
)
def test_bad_machine_text_names_the_entry(text, named):
    with pytest.raises(SpaceError, match=named):
        Space(2, 2, 6).number_of_text(text)


@pytest.mark.parametrize(
    "args, field, value",
    [
        ((0, 2, 5), "states", "0"),
        ((-1, 2, 5), "states", "-1"),
        ((2, 1, 5), "symbols", "1"),
        ((2, 11, 5), "symbols", "11"),
        ((2, 2, 0), "max_steps", "0"),
        ((2, 2, -3), "max_steps", "-3"),
        ((2.0, 2, 5), "states", "2.0"),
        (("2", 2, 5), "states", "'2'"),
        ((2, 2, 5.5), "max_steps", "5.5"),
        ((True, 2, 5), "states", "True"),
    ],
)
def test_bad_spaces_name_the_field_and_value(args, field, value):
    with pytest.raises(SpaceError, match=rf"{field}.*{value}"):
        Space(*args)


def test_errors_are_ctm_errors_and_value_errors():
    assert issubclass(SpaceError, CTMError) and issubclass(SpaceError, ValueError)


@pytest.mark.parametrize("number", [-1, 10_000, 10**30, 1.5, "7", None])
def test_numbers_outside_the_space_are_refused(number):
    with pytest.raises(SpaceError, match=str(number).replace(".", r"\.")):
        Space(2, 2, 6).digits(number)


@pytest.mark.parametrize(
    "start, stop, named",
    [
        (5, 3, "start 5 is after stop 3"),
        (-1, 3, "-1"),
        (0, 10_001, "10001"),
        (10_001, 10_002, "10002"),
        (0.0, 3, "start"),
        (0, "3", "stop"),
    ],
)
def test_bad_ranges_are_refused(start, stop, named):
    with pytest.raises(SpaceError, match=named):
        Space(2, 2, 6).check_range(start, stop)


def test_good_ranges_pass():
    space = Space(2, 2, 6)
    for start, stop in ((0, 0), (0, 10_000), (10_000, 10_000), (17, 18)):
        space.check_range(start, stop)


def test_digit_lists_of_the_wrong_shape_are_refused():
    space = Space(2, 2, 6)
    with pytest.raises(SpaceError, match="4 entries, got 3"):
        space.number([0, 0, 0])
    with pytest.raises(SpaceError, match="10"):
        space.number([0, 0, 10, 0])
