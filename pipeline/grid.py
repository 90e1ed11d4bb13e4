"""Matrices as 2-D machines output them: text form, shape, and the grid's symmetries.

A matrix's text form joins its rows, top row first, with '-': "010-111" is the 2x3
matrix with rows 010 and 111 (CTM.md, "Two-dimensional machines"). The 8 symmetries of
the grid (rotations and reflections, ``SYMMETRIES``) turn a machine's every move and so
its output; over a full space D is the same for every matrix of an orbit under them and
under renaming symbols.

Plain Python, so that lookups of matrices never load a compiled kernel; the 2-D kernel
keeps the same DIRECTIONS and SYMMETRIES and its own routine that turns matrices, and a
test checks that the two agree (tests/test_grid.py).
"""

from __future__ import annotations

import operator
from functools import lru_cache

IDENTITY = 0

DIRECTIONS = ((1, 0), (-1, 0), (0, 1), (0, -1))
"""Direction codes 0..3 of the numbering: Right (x+1), Left, Up (y+1), Down (CTM.md)."""

SYMMETRIES = (
    (1, 0, 0, 1),  # identity
    (0, -1, 1, 0),  # turn a quarter anticlockwise
    (-1, 0, 0, -1),  # turn a half
    (0, 1, -1, 0),  # turn a quarter clockwise
    (1, 0, 0, -1),  # mirror Up <-> Down
    (-1, 0, 0, 1),  # mirror Right <-> Left
    (0, 1, 1, 0),  # mirror in the diagonal y = x
    (0, -1, -1, 0),  # mirror in the diagonal y = -x
)
"""The 8 symmetries of the grid as matrices (a, b, c, d): (x, y) -> (ax + by, cx + dy)."""


def rows_of(text: str) -> list[str]:
    """The rows of a matrix text, top first."""
    return text.split("-")


def shape(text: str) -> tuple[int, int]:
    """(rows, columns) of a matrix text."""
    rows = rows_of(text)
    return len(rows), len(rows[0])


@lru_cache(maxsize=4096)
def _picker(rows: int, cols: int, g: int):
    """For matrices of this shape: the positions of text + "-" that make the turned text."""
    a, b, c, d = SYMMETRIES[g]
    where = {}
    for r in range(rows):
        for k in range(cols):
            x, y = k, -r
            where[(a * x + b * y, c * x + d * y)] = r * (cols + 1) + k
    xs = sorted({p[0] for p in where})
    ys = sorted({p[1] for p in where}, reverse=True)
    dash = rows * (cols + 1) - 1  # the "-" appended after the last row
    out: list[int] = []
    for i, y in enumerate(ys):
        if i:
            out.append(dash)
        out.extend(where[(x, y)] for x in xs)
    return operator.itemgetter(*out) if len(out) > 1 else operator.itemgetter(slice(out[0], out[0] + 1))


def transform(text: str, g: int) -> str:
    """The matrix turned by symmetry ``g`` (an index into SYMMETRIES).

    Row r (0 = top) and column k hold the cell (x, y) = (k, -r); g maps it to
    (ax + by, cx + dy), and the result is read back top row first.
    """
    return text if g == IDENTITY else transform_all([text], g)[0]


def transform_all(texts: list[str], g: int) -> list[str]:
    """``transform`` of many matrices at once (ValueError: g outside 0..7)."""
    if not 0 <= g < len(SYMMETRIES):
        raise ValueError(f"symmetry {g} is outside 0..{len(SYMMETRIES) - 1}")
    if g == IDENTITY:
        return list(texts)
    out = []
    for text in texts:
        cols = text.find("-")
        cols = len(text) if cols < 0 else cols
        out.append("".join(_picker((len(text) + 1) // (cols + 1), cols, g)(text + "-")))
    return out


def transform_slow(text: str, g: int) -> str:
    """``transform`` cell by cell, the plain reference for tests of the fast routines."""
    a, b, c, d = SYMMETRIES[g]
    cells = {}
    for r, row in enumerate(rows_of(text)):
        for col, symbol in enumerate(row):
            x, y = col, -r
            cells[(a * x + b * y, c * x + d * y)] = symbol
    xs = [p[0] for p in cells]
    ys = [p[1] for p in cells]
    return "-".join(
        "".join(cells[(x, y)] for x in range(min(xs), max(xs) + 1)) for y in range(max(ys), min(ys) - 1, -1)
    )


def orbit(text: str) -> set[str]:
    """The matrices the 8 symmetries turn ``text`` into (itself included)."""
    return {transform(text, g) for g in range(len(SYMMETRIES))}


def swap_symbols(text: str, a: int, b: int) -> str:
    """The matrix with symbols a and b exchanged (the blank-symbol sum of CTM.md)."""
    table = str.maketrans({str(a): str(b), str(b): str(a)})
    return text.translate(table)
