"""Patterns: the strings (or matrices) a full space gives the same D (docs/ctm.md).

Over a full space, D is the same for every string that differs from another by a
renaming of symbols or by reversal (1-D), and for every matrix that differs by a
renaming of symbols or by one of the grid's 8 rotations and reflections (2-D). A sampled
table estimates each pattern's mass M(P) and shares it: D(s) = M(P) / |P|.

A pattern is named by its *key*: the smallest normalised member (symbols renamed to
0, 1, 2, ... in order of first appearance, rows read top first).
"""

from __future__ import annotations

from math import perm

GRID_SYMMETRIES = 8


def normalized(text: str) -> str:
    """Symbols renamed to 0, 1, ... in order of first appearance ('-' kept): acss's
    normalize_string, and for matrices row by row."""
    names: dict[str, str] = {"-": "-"}
    return "".join(names.setdefault(ch, str(len(names) - 1)) for ch in text)


def keys(texts: list[str], dims: int) -> list[str]:
    """The pattern key of each string (dims 1) or matrix text (dims 2)."""
    if dims == 1:
        return [min(normalized(t), normalized(t[::-1])) for t in texts]
    from pipeline.grid import transform_all  # the compiled grid kernel: only 2-D needs it

    forms = [[normalized(t) for t in transform_all(texts, g)] for g in range(GRID_SYMMETRIES)]
    return [min(column) for column in zip(*forms)]


def sizes(pattern_keys: list[str], dims: int, symbols: int) -> list[int]:
    """|P|: how many strings (or matrices) over ``symbols`` symbols each pattern holds.

    A member with k distinct symbols has perm(m, k) renamings; times the number of
    distinct normalised forms its reversal (or the grid's symmetries) give.
    """
    out = []
    if dims == 1:
        for key in pattern_keys:
            distinct = len(set(key))
            out.append(perm(symbols, distinct) * (1 if normalized(key[::-1]) == key else 2))
        return out
    from pipeline.grid import transform_all

    forms = [[normalized(t) for t in transform_all(pattern_keys, g)] for g in range(GRID_SYMMETRIES)]
    for key, images in zip(pattern_keys, zip(*forms)):
        distinct = len(set(key) - {"-"})
        out.append(perm(symbols, distinct) * len(set(images)))
    return out
