"""Matrices as 2-D machines output them: text form, shape, and the grid's symmetries.

A matrix's text form joins its rows, top row first, with '-': "010-111" is the 2x3
matrix with rows 010 and 111 (CTM.md, "Two-dimensional machines"). The 8 symmetries of
the grid (rotations and reflections, ``SYMMETRIES``, the kernel's own list) turn a
machine's every move and so its output; over a full space D is the same for every
matrix of an orbit under them and under renaming symbols.
"""

from __future__ import annotations

from tmsim_ext._grid import SYMMETRIES, turn_matrices

IDENTITY = 0


def rows_of(text: str) -> list[str]:
    """The rows of a matrix text, top first."""
    return text.split("-")


def shape(text: str) -> tuple[int, int]:
    """(rows, columns) of a matrix text."""
    rows = rows_of(text)
    return len(rows), len(rows[0])


def transform(text: str, g: int) -> str:
    """The matrix turned by symmetry ``g`` (an index into SYMMETRIES).

    Row r (0 = top) and column k hold the cell (x, y) = (k, -r); g maps it to
    (ax + by, cx + dy), and the result is read back top row first (the kernel's own
    routine, so tables and kernel agree).
    """
    return text if g == IDENTITY else turn_matrices([text], g)[0]


def transform_all(texts: list[str], g: int) -> list[str]:
    """``transform`` of many matrices at once."""
    return list(texts) if g == IDENTITY else turn_matrices(texts, g)


def transform_slow(text: str, g: int) -> str:
    """``transform`` in plain Python, for tests of the kernel's routine."""
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
