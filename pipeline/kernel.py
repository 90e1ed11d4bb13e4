"""Count a range of machine numbers with the compiled lazy kernel (``tmsim_ext``).

The range [start, stop) is cut into aligned blocks (fixed high digits, free low digits);
the kernel walks each block's lazy tree, choosing an entry only when a run first reads
it, so one simulation stands for every machine that agrees on the entries it read.
Validation and every message live here; the kernel only counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from pipeline.space import Space, SpaceError
from tmsim_ext import KERNEL_VERSION, PROOF_FLAGS, count_blocks

PROOFS: tuple[str, ...] = tuple(PROOF_FLAGS)
"""Non-halting proofs the kernel knows, each switchable: closed, escape, cycle, shift."""

MAX_RANGE = 2**127
"""Counts are 128-bit inside the kernel; a range this large or larger is refused."""

MAX_STEPS = 100_000_000
"""The kernel keeps a tape and a journal of S cells; beyond this it would not fit."""


@dataclass
class RangeCounts:
    """What the machines of [start, stop) do, counted exactly (blank symbol 0)."""

    space: Space
    start: int
    stop: int
    outputs: dict[str, int] = field(default_factory=dict)
    """Output string -> number of machines that halt with it."""
    halting: int = 0
    limit: int = 0
    """Machines still running after max_steps steps (not proven non-halting)."""
    proven: int = 0
    """Machines a proof showed never halt (they stopped before max_steps)."""
    halting_times: dict[int, int] = field(default_factory=dict)
    """Steps (halting step included) -> number of machines halting after that many."""
    classes: int = 0
    """Leaves of the lazy tree: simulated classes of machines."""
    nodes: int = 0
    """Branch points of the lazy tree (an entry read for the first time)."""
    steps: int = 0
    """Machine steps simulated in all."""
    proven_by: dict[str, int] = field(default_factory=dict)
    """Proof name -> classes (not machines) it decided."""

    @property
    def machines(self) -> int:
        return self.stop - self.start

    @property
    def nonhalting(self) -> int:
        """All machines that did not halt within max_steps (limit + proven)."""
        return self.limit + self.proven


def aligned_blocks(space: Space, start: int, stop: int) -> list[tuple[int, int]]:
    """Cut [start, stop) into (first, free_digits) blocks of b**free_digits numbers each.

    Each block starts at a multiple of its own size, so its high digits are fixed and its
    low ``free_digits`` digits take every value: the shape the kernel's tree expects.
    """
    b, blocks, lo = space.base, [], start
    while lo < stop:
        k = 0
        while k < space.entries and lo % b ** (k + 1) == 0 and lo + b ** (k + 1) <= stop:
            k += 1
        blocks.append((lo, k))
        lo += b**k
    return blocks


def block_digits(space: Space, first: int, free_digits: int) -> np.ndarray:
    """Per-entry digits of a block (index state*m + symbol); -1 marks a free entry."""
    out = np.asarray(space.digits(first), dtype=np.int32)
    for pos in range(free_digits):
        out[space.entry_at(pos)] = -1
    return out


def proof_mask(proofs: Iterable[str] | None) -> int:
    """Kernel flag bits for the named proofs (None means all of them)."""
    if proofs is None:
        return sum(PROOF_FLAGS.values())
    mask = 0
    for name in proofs:
        if name not in PROOF_FLAGS:
            raise SpaceError(f"unknown proof {name!r}; known proofs are {', '.join(PROOFS)}")
        mask |= PROOF_FLAGS[name]
    return mask


def count_range(
    space: Space,
    start: int,
    stop: int,
    *,
    proofs: Iterable[str] | None = None,
    symmetry: bool = True,
) -> RangeCounts:
    """Count machines start..stop-1 exactly as if each had been simulated one by one.

    ``proofs`` names the non-halting proofs to use (default all; ``()`` none), and
    ``symmetry`` switches state renaming inside blocks. Neither changes the counts.
    The GIL is released while the kernel runs, so threads can count ranges at once.
    """
    space.check_range(start, stop)
    if stop - start >= MAX_RANGE:
        raise SpaceError(
            f"range [{start}, {stop}) holds {stop - start} machines; the kernel counts "
            f"fewer than 2**127 per call: split it into smaller ranges"
        )
    if space.max_steps > MAX_STEPS:
        raise SpaceError(f"max_steps should be at most {MAX_STEPS}, got {space.max_steps}")
    mask = proof_mask(proofs)
    blocks = aligned_blocks(space, start, stop)
    digits = np.empty((len(blocks), space.entries), dtype=np.int32)
    for i, (first, free) in enumerate(blocks):
        digits[i] = block_digits(space, first, free)
    raw = count_blocks(
        space.states, space.symbols, space.max_steps, digits, mask, bool(symmetry)
    )
    return RangeCounts(space=space, start=start, stop=stop, **raw)


__all__ = [
    "KERNEL_VERSION",
    "PROOFS",
    "RangeCounts",
    "aligned_blocks",
    "block_digits",
    "count_range",
]
