"""Plain brute-force simulator: every machine run on its own, the oracle the kernel is tested against.

It imports nothing from the kernel or from ``pipeline.space``: it decodes the numbering of
docs/ctm.md itself, so a numbering bug elsewhere shows up as a mismatch. A chunk of
machines runs in lockstep with numpy (its own tape for every machine), with no sharing of
work between machines; ``simulate_one`` is the same semantics in pure Python, and
``brute_count_one_by_one`` uses it to check the lockstep version.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

CHUNK_CELLS = 40_000_000
"""Tape cells (bytes) one lockstep chunk may hold: 40 MB of tape, and int32 indices suffice."""

MAX_CHUNK = 50_000
"""Machines one lockstep chunk holds at most."""


@dataclass
class BruteCounts:
    """Counts of a range of machines, blank symbol 0, as the reference simulator prints them."""

    outputs: dict[str, int] = field(default_factory=dict)
    """Output string (symbols as digits) -> machines halting with it."""
    halting: int = 0
    nonhalting: int = 0
    """Machines not halted after max_steps steps."""
    halting_times: dict[int, int] = field(default_factory=dict)
    """Steps (halting step included) -> machines halting after that many."""


def _check(states: int, symbols: int, max_steps: int) -> int:
    """Validate a space and return its base b = m(2n+1)."""
    for name, value in (("states", states), ("symbols", symbols), ("max_steps", max_steps)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} should be an integer, got {value!r}")
    if states < 1 or not 2 <= symbols <= 10 or not 1 <= max_steps <= 10**8:
        raise ValueError(f"no brute-force space ({states},{symbols}) with max_steps {max_steps}")
    return symbols * (2 * states + 1)


def _digits(states: int, symbols: int, number: int) -> list[int]:
    """Digit of every entry (index state*m + symbol); least significant is entry (n-1, 0)."""
    b, out = symbols * (2 * states + 1), [0] * (states * symbols)
    for state in reversed(range(states)):
        for symbol in range(symbols):
            number, out[state * symbols + symbol] = divmod(number, b)
    return out


def simulate_one(states: int, symbols: int, max_steps: int, number: int, blank: int = 0) -> tuple[bool, str, int]:
    """Run machine ``number`` on a tape of ``blank`` symbols (0 in the tables' counts; the
    full table adds every blank: docs/ctm.md): (halted, output, steps); output '' if it
    did not halt."""
    b = _check(states, symbols, max_steps)
    if not 0 <= number < b ** (states * symbols):
        raise ValueError(f"machine number {number} is outside the space ({states},{symbols})")
    if isinstance(blank, bool) or not isinstance(blank, int) or not 0 <= blank < symbols:
        raise ValueError(f"blank should be a symbol 0..{symbols - 1}, got {blank!r}")
    table, tape = _digits(states, symbols, number), {}
    state = head = lo = hi = 0
    for step in range(1, max_steps + 1):
        digit = table[state * symbols + tape.get(head, blank)]
        if digit < symbols:
            tape[head] = digit
            return True, "".join(str(tape.get(i, blank)) for i in range(lo, hi + 1)), step
        rest = digit - symbols
        tape[head] = rest % symbols
        code = rest // symbols
        head += 1 if code % 2 == 0 else -1
        state = (code // 2) % states
        lo, hi = min(lo, head), max(hi, head)
    return False, "", max_steps


def _chunk_digits(states: int, symbols: int, first: int, count: int) -> np.ndarray:
    """Digits of machines first..first+count-1 as a (count, n*m) array, entry index state*m+symbol.

    Only ``first`` is a Python int (it may exceed 2**64); the offsets are added digit by
    digit with carries, least significant digit first.
    """
    b, entries = symbols * (2 * states + 1), states * symbols
    base = _digits(states, symbols, first)
    out = np.empty((count, entries), dtype=np.int64)
    carry = np.arange(count, dtype=np.int64)
    for state in reversed(range(states)):
        for symbol in range(symbols):
            total = carry + base[state * symbols + symbol]
            out[:, state * symbols + symbol] = total % b
            carry = total // b
    return out


def _simulate_chunk(states: int, symbols: int, max_steps: int, first: int, count: int, into: BruteCounts) -> None:
    """Run ``count`` machines from ``first`` in lockstep for up to max_steps steps; add to ``into``.

    Each machine's digits are first spread into per-entry lookups (write, move, next
    state); a move of 0 marks a halting entry. The tape is cell-major (cell c of machine i
    at (c+S+1)*count + i), so machines near the same cell read nearby memory.
    """
    m, width = symbols, 2 * max_steps + 3
    digit = _chunk_digits(states, symbols, first, count).ravel()
    rest = np.maximum(digit - m, 0)
    halting = digit < m
    write = np.where(halting, digit, rest % m).astype(np.int8)
    move = np.where(halting, 0, (1 - 2 * ((rest // m) % 2)) * count).astype(np.int32)
    goto = (((rest // m) // 2) * m).astype(np.int32)  # next state times m
    tape = np.zeros(count * width, dtype=np.int8)
    row = np.arange(count, dtype=np.int32) * (states * symbols)  # first entry of each machine
    state = np.zeros(count, dtype=np.int32)  # current state times m
    head = np.arange(count, dtype=np.int32) + (max_steps + 1) * count  # cell 0
    lo, hi = head.copy(), head.copy()
    for step in range(1, max_steps + 1):
        if row.size == 0:
            break
        entry = row + state + tape[head]
        delta = move[entry]
        halts = delta == 0
        if halts.any():
            tape[head[halts]] = write[entry[halts]]
            _record(tape, lo[halts], hi[halts], count, step, into)
            keep = ~halts
            row, head, lo, hi, entry, delta = (a[keep] for a in (row, head, lo, hi, entry, delta))
        tape[head] = write[entry]
        head += delta
        state = goto[entry]
        np.minimum(lo, head, out=lo)
        np.maximum(hi, head, out=hi)
    into.nonhalting += int(row.size)


def _record(tape: np.ndarray, lo: np.ndarray, hi: np.ndarray, stride: int, step: int, into: BruteCounts) -> None:
    """Add machines halting at ``step`` whose visited cells are tape[lo], tape[lo+stride] ... tape[hi]."""
    into.halting += int(lo.size)
    into.halting_times[step] = into.halting_times.get(step, 0) + int(lo.size)
    lengths = (hi - lo) // stride + 1
    for length in np.unique(lengths):
        starts = lo[lengths == length]
        cells = tape[starts[:, None] + np.arange(length) * stride] + ord("0")
        words = np.ascontiguousarray(cells.astype(np.uint8)).view(f"S{length}").ravel()
        found, counts = np.unique(words, return_counts=True)
        for word, n in zip(found, counts):
            key = word.decode()
            into.outputs[key] = into.outputs.get(key, 0) + int(n)


def brute_count(states: int, symbols: int, max_steps: int, start: int, stop: int) -> BruteCounts:
    """Count machines start..stop-1 by simulating each one (numpy lockstep chunks): the
    plain reference the kernel is checked against.

    Parameters
    ----------
    states, symbols : int
        The space (n, m): 1 or more states, 2 to 10 symbols.
    max_steps : int
        Steps each machine runs, 1 to 10**8, from a blank tape of 0s.
    start, stop : int
        The machine numbers [start, stop) (docs/ctm.md, "Numbering").

    Returns
    -------
    BruteCounts
        Outputs, halting and non-halting machines, and halting times.

    Raises
    ------
    ValueError
        A space, step limit or range outside the rules above.
    """
    b = _check(states, symbols, max_steps)
    if not 0 <= start <= stop <= b ** (states * symbols):
        raise ValueError(f"range [{start}, {stop}) is not inside the space ({states},{symbols})")
    into = BruteCounts()
    chunk = max(1, min(MAX_CHUNK, CHUNK_CELLS // (2 * max_steps + 3)))
    for first in range(start, stop, chunk):
        _simulate_chunk(states, symbols, max_steps, first, min(chunk, stop - first), into)
    into.halting_times = dict(sorted(into.halting_times.items()))
    return into


def brute_count_one_by_one(states: int, symbols: int, max_steps: int, start: int, stop: int) -> BruteCounts:
    """``brute_count`` by ``simulate_one`` on every machine: slow, for checking brute itself."""
    outputs, times, into = Counter(), Counter(), BruteCounts()
    for number in range(start, stop):
        halted, output, steps = simulate_one(states, symbols, max_steps, number)
        if halted:
            outputs[output] += 1
            times[steps] += 1
        else:
            into.nonhalting += 1
    into.outputs, into.halting_times = dict(outputs), dict(sorted(times.items()))
    into.halting = sum(outputs.values())
    return into
