"""Plain brute-force simulator of 2-D machines: every machine run on its own, the oracle
the 2-D kernel is tested against.

It imports nothing from the kernels, ``pipeline.space`` or ``pipeline.grid``: it decodes
the 2-D numbering of docs/ctm.md ("Two-dimensional machines") itself. A chunk of
machines runs in lockstep with numpy, each on its own grid; ``simulate_one_2d`` is the
same semantics in pure Python, and the tests check the two against each other.

An output is the smallest rectangle holding every visited cell, read row by row from the
top row (largest y) down, each row left to right, rows joined by '-' ("010-111").
"""

from __future__ import annotations

import numpy as np

from pipeline.brute import BruteCounts

MAX_CHUNK = 20_000
"""Machines one lockstep chunk holds at most."""

CHUNK_CELLS = 60_000_000
"""Grid cells (bytes) one lockstep chunk may hold."""

STEP = ((1, 0), (-1, 0), (0, 1), (0, -1))
"""Direction code -> (dx, dy): 0 Right, 1 Left, 2 Up, 3 Down."""


def _check(states: int, symbols: int, max_steps: int) -> int:
    """Validate a 2-D space and return its base b = m(4n+1)."""
    for name, value in (("states", states), ("symbols", symbols), ("max_steps", max_steps)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} should be an integer, got {value!r}")
    if states < 1 or not 2 <= symbols <= 10 or not 1 <= max_steps <= 5000:
        raise ValueError(f"no 2-D brute-force space ({states},{symbols}) with max_steps {max_steps}")
    return symbols * (4 * states + 1)


def _digits(states: int, symbols: int, number: int) -> list[int]:
    """Digit of every entry (index state*m + symbol); least significant is entry (n-1, 0)."""
    b, out = symbols * (4 * states + 1), [0] * (states * symbols)
    for state in reversed(range(states)):
        for symbol in range(symbols):
            number, out[state * symbols + symbol] = divmod(number, b)
    return out


def _rectangle(cells: dict[tuple[int, int], int], lo_x: int, hi_x: int, lo_y: int, hi_y: int) -> str:
    return "-".join(
        "".join(str(cells.get((x, y), 0)) for x in range(lo_x, hi_x + 1)) for y in range(hi_y, lo_y - 1, -1)
    )


def simulate_one_2d(states: int, symbols: int, max_steps: int, number: int) -> tuple[bool, str, int]:
    """Run 2-D machine ``number`` on a blank grid: (halted, output, steps); output '' if it did not halt."""
    b = _check(states, symbols, max_steps)
    if not 0 <= number < b ** (states * symbols):
        raise ValueError(f"machine number {number} is outside the 2-D space ({states},{symbols})")
    table, grid = _digits(states, symbols, number), {}
    state = x = y = 0
    lo_x = hi_x = lo_y = hi_y = 0
    for step in range(1, max_steps + 1):
        digit = table[state * symbols + grid.get((x, y), 0)]
        if digit < symbols:
            grid[(x, y)] = digit
            return True, _rectangle(grid, lo_x, hi_x, lo_y, hi_y), step
        rest = digit - symbols
        grid[(x, y)] = rest % symbols
        code = rest // symbols
        dx, dy = STEP[code % 4]
        x, y = x + dx, y + dy
        state = (code // 4) % states
        lo_x, hi_x, lo_y, hi_y = min(lo_x, x), max(hi_x, x), min(lo_y, y), max(hi_y, y)
    return False, "", max_steps


def _chunk_digits(states: int, symbols: int, first: int, count: int) -> np.ndarray:
    """Digits of machines first..first+count-1 as a (count, n*m) array (carries digit by digit)."""
    b = symbols * (4 * states + 1)
    base = _digits(states, symbols, first)
    out = np.empty((count, states * symbols), dtype=np.int64)
    carry = np.arange(count, dtype=np.int64)
    for state in reversed(range(states)):
        for symbol in range(symbols):
            total = carry + base[state * symbols + symbol]
            out[:, state * symbols + symbol] = total % b
            carry = total // b
    return out


def _simulate_chunk(states: int, symbols: int, max_steps: int, first: int, count: int, into: BruteCounts) -> None:
    """Run ``count`` machines from ``first`` in lockstep; add what they do to ``into``.

    Machine i's grid is a (2S+3) x (2S+3) block of one flat array, cell (x, y) at
    i*side*side + (y+S+1)*side + (x+S+1).
    """
    m, side = symbols, 2 * max_steps + 3
    digit = _chunk_digits(states, symbols, first, count).ravel()
    rest = np.maximum(digit - m, 0)
    halting = digit < m
    code = rest // m
    direction = code % 4
    dx = np.where(halting, 0, np.array([1, -1, 0, 0])[direction]).astype(np.int32)
    dy = np.where(halting, 0, np.array([0, 0, 1, -1])[direction]).astype(np.int32)
    write = np.where(halting, digit, rest % m).astype(np.int8)
    goto = (((code // 4) % states) * m).astype(np.int32)
    grid = np.zeros(count * side * side, dtype=np.int8)
    alive = np.arange(count, dtype=np.int64)
    row = (alive * (states * symbols)).astype(np.int64)
    state = np.zeros(count, dtype=np.int64)
    x = np.zeros(count, dtype=np.int64)
    y = np.zeros(count, dtype=np.int64)
    lo_x, hi_x, lo_y, hi_y = (np.zeros(count, dtype=np.int64) for _ in range(4))
    centre = (max_steps + 1) * side + (max_steps + 1)
    for step in range(1, max_steps + 1):
        if alive.size == 0:
            break
        cell = alive * side * side + centre + y * side + x
        entry = row + state + grid[cell]
        halts = halting[entry]
        if halts.any():
            grid[cell[halts]] = write[entry[halts]]
            _record(grid, alive[halts], lo_x[halts], hi_x[halts], lo_y[halts], hi_y[halts], side, centre, step, into)
            keep = ~halts
            alive, row, state, x, y, lo_x, hi_x, lo_y, hi_y, cell, entry = (
                a[keep] for a in (alive, row, state, x, y, lo_x, hi_x, lo_y, hi_y, cell, entry)
            )
        grid[cell] = write[entry]
        x = x + dx[entry]
        y = y + dy[entry]
        state = goto[entry].astype(np.int64)
        np.minimum(lo_x, x, out=lo_x)
        np.maximum(hi_x, x, out=hi_x)
        np.minimum(lo_y, y, out=lo_y)
        np.maximum(hi_y, y, out=hi_y)
    into.nonhalting += int(alive.size)


def _record(grid, machines, lo_x, hi_x, lo_y, hi_y, side, centre, step, into: BruteCounts) -> None:
    """Add machines halting at ``step`` with the rectangles their bounds give."""
    into.halting += int(machines.size)
    into.halting_times[step] = into.halting_times.get(step, 0) + int(machines.size)
    for i in range(machines.size):
        base = int(machines[i]) * side * side + centre
        rows = []
        for yy in range(int(hi_y[i]), int(lo_y[i]) - 1, -1):
            start = base + yy * side + int(lo_x[i])
            rows.append("".join(map(str, grid[start : start + int(hi_x[i]) - int(lo_x[i]) + 1])))
        key = "-".join(rows)
        into.outputs[key] = into.outputs.get(key, 0) + 1


def brute_count_2d(states: int, symbols: int, max_steps: int, start: int, stop: int) -> BruteCounts:
    """Counts of 2-D machines start..stop-1, each simulated on its own (blank symbol 0)."""
    b = _check(states, symbols, max_steps)
    if not 0 <= start <= stop <= b ** (states * symbols):
        raise ValueError(f"range [{start}, {stop}) is outside the 2-D space ({states},{symbols})")
    side = 2 * max_steps + 3
    chunk = max(1, min(MAX_CHUNK, CHUNK_CELLS // (side * side)))
    out = BruteCounts()
    for first in range(start, stop, chunk):
        _simulate_chunk(states, symbols, max_steps, first, min(chunk, stop - first), out)
    return out


def brute_count_2d_one_by_one(states: int, symbols: int, max_steps: int, start: int, stop: int) -> BruteCounts:
    """The same counts from ``simulate_one_2d`` (pure Python, for checking the lockstep runs)."""
    out = BruteCounts()
    for number in range(start, stop):
        halted, output, steps = simulate_one_2d(states, symbols, max_steps, number)
        if halted:
            out.halting += 1
            out.outputs[output] = out.outputs.get(output, 0) + 1
            out.halting_times[steps] = out.halting_times.get(steps, 0) + 1
        else:
            out.nonhalting += 1
    return out
