"""Count a range of machine numbers with the compiled lazy kernel (``tmsim_ext``).

The range [start, stop) is cut into aligned blocks (fixed high digits, free low digits);
the kernel walks each block's lazy tree, choosing an entry only when a run first reads
it, so one simulation stands for every machine that agrees on the entries it read.
Validation and every message live here; the kernel only counts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from pipeline.space import Space, SpaceError
from tmsim_ext import GRID_KERNEL_VERSION, GRID_PROOF_FLAGS, KERNEL_VERSION, PROOF_FLAGS, count_blocks, count_grid_blocks

PROOFS: tuple[str, ...] = tuple(PROOF_FLAGS)
"""Non-halting proofs the 1-D kernel knows, each switchable: closed, escape, cycle, shift, and cps
(long runs only: classes past ``long_from``)."""

GRID_PROOFS: tuple[str, ...] = tuple(GRID_PROOF_FLAGS)
"""Non-halting proofs the 2-D kernel knows, each switchable: closed, escape, cycle."""

MAX_RANGE = 2**127
"""Counts are 128-bit inside the kernel; a range this large or larger is refused."""

MAX_STEPS = 100_000_000
"""The kernel keeps a tape and a journal of S cells; beyond this it would not fit."""

MAX_STEPS_2D = 5_000

WALK_STEPS = 100_000
"""A 1-D walk keeps a tape, journal and records of S cells and a halting-time histogram of
S counters per accumulator; a longer limit needs ``long_from``."""
"""The 2-D kernel keeps a grid of (2S+3)**2 cells (and a 4-byte mark per cell)."""


def kernel_version(space: Space) -> str:
    """The version of the kernel that counts ``space`` (partials record it)."""
    return KERNEL_VERSION if space.dims == 1 else f"2d-{GRID_KERNEL_VERSION}"


def check_steps(space: Space) -> None:
    """Refuse a step limit the space's kernel cannot hold."""
    limit = MAX_STEPS if space.dims == 1 else MAX_STEPS_2D
    if space.max_steps > limit:
        grid = "" if space.dims == 1 else " for a 2-D space"
        raise SpaceError(f"max_steps should be at most {limit}{grid}, got {space.max_steps}")


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
    long: dict[str, int] = field(default_factory=dict)
    """Long runs (``long_from`` set): from (the walk's limit), classes (that reached it),
    bound (classes that ran on to max_steps), halted (halting classes), steps; else empty."""
    late: list[tuple[tuple[int, ...], int, str]] = field(default_factory=list)
    """Classes halting after ``witness_after`` steps: (entry digits, -1 free; steps; output)."""
    undecided: list[tuple[tuple[int, ...], int, int]] = field(default_factory=list)
    """Classes neither decided nor run to max_steps (their tape outgrew the kernel's
    limit): (entry digits, -1 free; steps reached; machines). They count in ``limit``."""

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


def proof_mask(proofs: Iterable[str] | None, dims: int = 1) -> int:
    """Kernel flag bits for the named proofs (None means all of them) of a 1-D or 2-D kernel."""
    flags = PROOF_FLAGS if dims == 1 else GRID_PROOF_FLAGS
    if proofs is None:
        return sum(flags.values())
    mask = 0
    for name in proofs:
        if name not in flags:
            kind = "" if dims == 1 else " for 2-D machines"
            raise SpaceError(f"unknown proof {name!r}{kind}; known proofs are {', '.join(flags)}")
        mask |= flags[name]
    return mask


def count_range(
    space: Space,
    start: int,
    stop: int,
    *,
    proofs: Iterable[str] | None = None,
    symmetry: bool = True,
    part: tuple[int, int, int] | None = None,
    max_length: int | None = None,
    long_from: int | None = None,
    cps_radius: int = 4,
    cps_history: int = 12,
    witness_after: int | None = None,
) -> RangeCounts:
    """Count machines start..stop-1 exactly as if each had been simulated one by one.

    ``proofs`` names the non-halting proofs to use (default all; ``()`` none), and
    ``symmetry`` switches state renaming inside blocks. Neither changes the counts.
    The GIL is released while the kernel runs, so threads can count ranges at once.
    ``part`` = (depth, parts, p), 2-D only: count part p of each block's walk cut at the
    branch points of that depth (``plan.NodeParts``); the parts add up to the whole.
    Outputs longer than ``max_length`` (in 2-D: more rows or columns) count in the totals
    but are not listed (None: all are). ``long_from`` (1-D): classes still running after
    that many steps run on outside the walk (``JobSpec.long_from``), where the 'cps' proof
    tries radii 1 to ``cps_radius``, then with histories of 1 to ``cps_history`` updates.
    ``witness_after`` (1-D): ``late`` lists the classes halting after that many steps.
    """
    space.check_range(start, stop)
    if stop - start >= MAX_RANGE:
        raise SpaceError(
            f"range [{start}, {stop}) holds {stop - start} machines; the kernel counts "
            f"fewer than 2**127 per call: split it into smaller ranges"
        )
    check_steps(space)
    mask = proof_mask(proofs, space.dims)
    blocks = aligned_blocks(space, start, stop)
    digits = np.empty((len(blocks), space.entries), dtype=np.int32)
    for i, (first, free) in enumerate(blocks):
        digits[i] = block_digits(space, first, free)
    if part is not None and space.dims != 2:
        raise SpaceError("a walk is cut into parts by branch points only in 2-D")
    keep = -1 if max_length is None else max_length
    if space.dims == 2:
        raw = grid_counts(space, digits, mask, bool(symmetry), part, keep)
    else:
        raw = count_blocks(
            space.states, space.symbols, space.max_steps, digits, mask, bool(symmetry), keep_len=keep,
            **long_args(space, long_from, cps_radius, cps_history),
            **({} if witness_after is None else {"witness_after": witness_after}),
        )
        raw.pop("collected", None)
        raw.pop("late_lost", None)
    return RangeCounts(space=space, start=start, stop=stop, **raw)


def long_args(space: Space, long_from: int | None, cps_radius: int = 4, cps_history: int = 12) -> dict:
    """The kernel's long-run arguments; a walk longer than WALK_STEPS needs long_from."""
    if long_from is None:
        if space.max_steps > WALK_STEPS:
            raise SpaceError(
                f"max_steps {space.max_steps} is more than a walk holds ({WALK_STEPS}): give long_from "
                f"(e.g. 4100) so that long runs leave the walk"
            )
        return {}
    if not 1 <= long_from < space.max_steps:
        raise SpaceError(f"long_from should be from 1 to max_steps - 1 = {space.max_steps - 1}, got {long_from}")
    return {"long_from": long_from, "cps_radius": cps_radius, "cps_history": cps_history}


def grid_counts(space: Space, digits: np.ndarray, mask: int, symmetry: bool, part=None, keep: int = -1) -> dict:
    """Exact counts of 2-D blocks (the kernel adds the outputs of each symmetry orbit)."""
    depth, parts, p = part if part is not None else (-1, 1, 0)
    raw = count_grid_blocks(
        space.states, space.symbols, space.max_steps, digits, mask, symmetry, part_depth=depth, parts=parts, part=p,
        keep_len=keep,
    )
    raw.pop("draws")
    return raw


@dataclass
class SharedCounts:
    """Counts of blocks that differ only in their top digit, from one walk of their tree."""

    counts: list[RangeCounts]
    """One per block, in the order asked; their own work statistics are left at 0."""
    classes: int = 0
    nodes: int = 0
    steps: int = 0
    proven_by: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    """The kernel's own time (wall, this thread)."""
    long: dict[str, int] = field(default_factory=dict)
    """Long-run work of the walk (``RangeCounts.long``)."""
    undecided: list = field(default_factory=list)
    """Undecided classes of the walk (``RangeCounts.undecided``)."""
    late: list = field(default_factory=list)
    """Late-halting classes of the walk (``RangeCounts.late``)."""

    def __add__(self, other: "SharedCounts") -> "SharedCounts":
        """Counts of two parts of the same blocks (their machines split by a part entry)."""
        if [(c.start, c.stop) for c in self.counts] != [(c.start, c.stop) for c in other.counts]:
            raise ValueError("parts of different blocks cannot be added")
        counts = [_add_into(_raw(a), _raw(b), a.space, a.start, a.stop) for a, b in zip(self.counts, other.counts)]
        proven_by = {k: self.proven_by.get(k, 0) + other.proven_by.get(k, 0) for k in {*self.proven_by, *other.proven_by}}
        long = {k: self.long.get(k, 0) + other.long.get(k, 0) for k in {*self.long, *other.long} if k != "from"}
        if "from" in self.long or "from" in other.long:
            long["from"] = self.long.get("from", other.long.get("from"))
        return SharedCounts(
            counts,
            self.classes + other.classes,
            self.nodes + other.nodes,
            self.steps + other.steps,
            proven_by,
            self.seconds + other.seconds,
            long,
            self.undecided + other.undecided,
            self.late + other.late,
        )


def _raw(counts: RangeCounts) -> dict:
    """A block's counts in the kernel's own form (dicts and totals)."""
    keys = ("outputs", "halting_times", "halting", "limit", "proven")
    return {key: getattr(counts, key) for key in keys}


def _add_into(base: dict, extra: dict, space: Space, start: int, stop: int) -> RangeCounts:
    """A block's counts: what every block of the group shares plus its own."""
    outputs = dict(base["outputs"])
    for string, count in extra["outputs"].items():
        outputs[string] = outputs.get(string, 0) + count
    times = dict(base["halting_times"])
    for steps, count in extra["halting_times"].items():
        times[steps] = times.get(steps, 0) + count
    return RangeCounts(
        space=space,
        start=start,
        stop=stop,
        outputs=outputs,
        halting=base["halting"] + extra["halting"],
        limit=base["limit"] + extra["limit"],
        proven=base["proven"] + extra["proven"],
        halting_times=dict(sorted(times.items())),
    )


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


def count_shared_top(
    space: Space,
    ranges: list[tuple[int, int]],
    *,
    part: tuple[int, list[int]] | None = None,
    proofs: Iterable[str] | None = None,
    symmetry: bool = True,
    max_length: int | None = None,
    long_from: int | None = None,
    cps_radius: int = 4,
    cps_history: int = 12,
    witness_after: int | None = None,
) -> SharedCounts:
    """Count aligned blocks that differ only in the most significant digit, all at once.

    Each range must be one aligned block of b**k machines (k < n*m), with the same lower
    fixed digits and a different top digit. The top entry, (0, m-1), is left *split* in
    the kernel: machines that never read it are walked once for all the blocks instead
    of once per block. The kernel renames free states at the split as anywhere else, so
    it tries the top digits' whole renaming orbits; a class that read a representative
    digit is shared out evenly over that digit's orbit (renaming maps the class onto
    itself, so every digit of the orbit has the same share). Counts equal ``count_range``
    on each range.

    ``part`` = (entry, digits) counts only the machines whose free ``entry`` takes one of
    ``digits`` (whole renaming orbits): the parts of a partition of an entry's digits add
    up to the whole count, and each walks only its own share of the tree.
    """
    began = time.perf_counter()
    if not ranges:
        return SharedCounts([])
    size = ranges[0][1] - ranges[0][0]
    top = space.base ** (space.entries - 1)
    free = 0
    while space.base**free < size:
        free += 1
    tops = []
    for start, stop in ranges:
        space.check_range(start, stop)
        if stop - start != size or space.base**free != size or free >= space.entries or start % size:
            raise SpaceError(
                f"range [{start}, {stop}) is not an aligned block of {size} machines below the top digit"
            )
        if start % top != ranges[0][0] % top:
            raise SpaceError(f"range [{start}, {stop}) differs from [{ranges[0][0]}, {ranges[0][1]}) below the top digit")
        tops.append(start // top)
    if len(set(tops)) != len(tops):
        raise SpaceError("two ranges share a top digit: they would be counted twice")
    if size >= MAX_RANGE:
        raise SpaceError(f"blocks of {size} machines are more than the kernel counts at once")
    if space.max_steps > MAX_STEPS:
        raise SpaceError(f"max_steps should be at most {MAX_STEPS}, got {space.max_steps}")
    extra = long_args(space, long_from, cps_radius, cps_history)
    split = space.entry_at(space.entries - 1)
    digits = block_digits(space, ranges[0][0], free)
    digits[split] = -1
    renamable = renamable_states(space, digits) if symmetry else set()
    orbits = {t: renaming_orbit(space, t, renamable) for t in tops}
    tried = sorted({d for orbit in orbits.values() for d in orbit})
    part_entry, part_digits = -1, None
    if part is not None:
        part_entry, chosen = part
        if not 0 <= part_entry < space.entries or part_entry == split or digits[part_entry] != -1:
            raise SpaceError(f"part entry {part_entry} should be a free entry other than the top one")
        if not chosen or any(not 0 <= d < space.base for d in chosen):
            raise SpaceError(f"part digits {chosen} should be a non-empty set of digits 0..{space.base - 1}")
        if any(set(renaming_orbit(space, d, renamable)) - set(chosen) for d in chosen):
            raise SpaceError(f"part digits {sorted(chosen)} should be whole renaming orbits")
        part_digits = np.asarray(sorted(set(chosen)), dtype=np.int32)
    raw = count_blocks(
        space.states,
        space.symbols,
        space.max_steps,
        digits.reshape(1, -1),
        proof_mask(proofs),
        bool(symmetry),
        split,
        np.asarray(tried, dtype=np.int32),
        part_entry,
        part_digits,
        keep_len=-1 if max_length is None else max_length,
        **extra,
        **({} if witness_after is None else {"witness_after": witness_after}),
    )
    counts = []
    for t, (start, stop) in zip(tops, ranges):
        own = {"outputs": {}, "halting_times": {}, "halting": 0, "limit": 0, "proven": 0}
        for d in orbits[t]:
            _accumulate(own, raw["by_digit"][d])
        share = _divide(own, len(orbits[t]))
        counts.append(_add_into(raw, share, space, start, stop))
    seconds = time.perf_counter() - began
    return SharedCounts(
        counts, raw["classes"], raw["nodes"], raw["steps"], raw["proven_by"], seconds, raw.get("long", {}),
        raw.get("undecided", []), raw.get("late", []),
    )


def _accumulate(into: dict, part: dict) -> None:
    for key in ("outputs", "halting_times"):
        for k, v in part[key].items():
            into[key][k] = into[key].get(k, 0) + v
    for key in ("halting", "limit", "proven"):
        into[key] += part[key]


def _divide(counts: dict, parts: int) -> dict:
    """Counts split evenly over ``parts`` digits; symmetry makes every division exact."""

    def exact(value: int) -> int:
        share, rest = divmod(value, parts)
        if rest:
            raise AssertionError(f"a renaming orbit of {parts} digits got {value} machines, not a multiple")
        return share

    return {
        "outputs": {k: exact(v) for k, v in counts["outputs"].items()},
        "halting_times": {k: exact(v) for k, v in counts["halting_times"].items()},
        **{key: exact(counts[key]) for key in ("halting", "limit", "proven")},
    }


@dataclass
class SampleCounts:
    """One batch of a sampled space (blank symbol 0): what its draws saw, as masses.

    A mass is a fraction of the whole space; the exact branch points above the strata
    enter with their true mass, each stratum with its draws' mean (Knuth's estimator:
    a draw's leaves carry the mass of every machine its path stands for, divided by the
    chance of that path), so every mass is an unbiased estimate and they add up to 1.
    """

    space: Space
    seed: int
    batch: int
    outputs: dict[str, tuple[int, float]] = field(default_factory=dict)
    """Pattern key (pipeline.patterns) -> (hits: sampled leaves whose output is in it, mass)."""
    halting: float = 0.0
    limit: float = 0.0
    """Mass still running after max_steps (not proven non-halting)."""
    proven: float = 0.0
    halting_times: dict[int, float] = field(default_factory=dict)
    """Steps -> mass halting after that many."""
    draws: int = 0
    """Random descents (one per stratum draw)."""
    classes: int = 0
    nodes: int = 0
    steps: int = 0
    proven_by: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def sample_space(
    space: Space,
    seed: int,
    batch: int,
    *,
    sample_depth: int,
    draws: int,
    proofs: Iterable[str] | None = None,
    symmetry: bool = True,
    max_length: int | None = None,
) -> SampleCounts:
    """One batch of the whole space: the lazy tree is walked exactly down to branch depth
    ``sample_depth``; each node there is a stratum and gets ``draws`` random descents.

    Draw j of batch ``batch`` comes from the counter-based stream (seed, batch, j), so a
    batch is the same on any worker. Spaces of any size can be sampled (masses are
    floats). ``symmetry`` (renaming, mirror, grid turns) acts on the exact part only.
    Outputs longer than ``max_length`` (in 2-D: more rows or columns) count in the totals
    but are not listed (None: all are).
    """
    for name, value, low in (("seed", seed, 0), ("batch", batch, 0), ("draws", draws, 1), ("sample_depth", sample_depth, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low or value >= 2**63:
            raise SpaceError(f"{name} should be an integer from {low} to 2**63 - 1, got {value!r}")
    check_steps(space)
    began = time.perf_counter()
    digits = -np.ones((1, space.entries), dtype=np.int32)
    args = (space.states, space.symbols, space.max_steps, digits, proof_mask(proofs, space.dims), bool(symmetry))
    kernel = count_blocks if space.dims == 1 else count_grid_blocks
    keep = -1 if max_length is None else max_length
    raw = kernel(*args, sampled=True, sample_depth=sample_depth, draws=draws, seed=seed, batch=batch, keep_len=keep, pool=True)
    return SampleCounts(
        space, seed, batch, raw["outputs"], raw["halting"], raw["limit"], raw["proven"], raw["halting_times"],
        raw["draws"], raw["classes"], raw["nodes"], raw["steps"], raw["proven_by"], time.perf_counter() - began,
    )


__all__ = [
    "SampleCounts",
    "sample_space",
    "SharedCounts",
    "count_shared_top",
    "KERNEL_VERSION",
    "PROOFS",
    "RangeCounts",
    "aligned_blocks",
    "block_digits",
    "count_range",
]
