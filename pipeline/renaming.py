"""Renaming states: which states a block of machines leaves free to rename, and the
digits one digit becomes under those renamings (state 0 stays state 0).

Plain Python over ``pipeline.space``: the shard plan cuts walks by renaming orbits and
the kernel's Python face shares counts over them, and neither needs the other for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.space import Space

if TYPE_CHECKING:
    import numpy as np


def renamable_states(space: Space, digits: np.ndarray) -> set[int]:
    """States 1..n-1 that no fixed entry of a block names (-1 marks a free entry).

    The kernel may rename these among themselves; a count over such a block is the same
    for every renaming of them.
    """
    named = {0}
    for entry, digit in enumerate(digits):
        if digit >= 0:
            named.add(entry // space.symbols)
            decoded = space.decode_digit(int(digit))
            if not decoded.halts:
                named.add(decoded.goto)
    return set(range(space.states)) - named


def renaming_orbit(space: Space, digit: int, renamable: set[int]) -> list[int]:
    """The digits ``digit`` becomes when its target is renamed within ``renamable``."""
    entry = space.decode_digit(digit)
    if entry.halts or entry.goto not in renamable:
        return [digit]
    return sorted(space.encode_entry(entry._replace(goto=x)) for x in renamable)
