"""Count a range of machine numbers with the compiled lazy kernel (``tmsim_ext``).

The range [start, stop) is cut into aligned blocks (fixed high digits, free low digits);
the kernel walks each block's lazy tree, choosing an entry only when a run first reads
it, so one simulation stands for every machine that agrees on the entries it read.
Validation and every message live in Python (here, and the settings' own rules in
``pipeline.settings``); the kernel only counts. Its outputs come back as columns and
become Arrow rows (``pipeline.rows``) with no Python object per output.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import pyarrow as pa

from pipeline.renaming import renamable_states, renaming_orbit
from pipeline.rows import add, as_dict, empty, empty_sampled, sampled_table, share, table_of
from pipeline.settings import (  # the limits' public home stays pipeline.kernel too
    MAX_RANGE,
    MAX_STEPS,
    MAX_STEPS_2D,
    WALK_STEPS,
    KernelSettings,
    SettingsError,
    check_steps,
    settings_of,
)
from pipeline.space import Space, SpaceError
from pipeline.tables import count_type
from tmsim_ext import (
    GRID_KERNEL_VERSION,
    GRID_PROOF_FLAGS,
    KERNEL_VERSION,
    PROOF_FLAGS,
    count_blocks,
    count_grid_blocks,
)

PROOFS: tuple[str, ...] = tuple(PROOF_FLAGS)
"""Non-halting proofs the 1-D kernel knows, each switchable: closed, escape, cycle, shift, and cps
(long runs only: classes past ``long_from``)."""

GRID_PROOFS: tuple[str, ...] = tuple(GRID_PROOF_FLAGS)
"""Non-halting proofs the 2-D kernel knows, each switchable: closed, escape, cycle."""


def kernel_version(space: Space) -> str:
    """The version of the kernel that counts ``space`` (partials record it)."""
    return KERNEL_VERSION if space.dims == 1 else f"2d-{GRID_KERNEL_VERSION}"


@dataclass
class RangeCounts:
    """What the machines of [start, stop) do, counted exactly (blank symbol 0)."""

    space: Space
    start: int
    stop: int
    rows: pa.Table | None = None
    """(string, count): each output and the number of machines that halt with it, in no
    order; the count column is ``tables.count_type`` of the space (None: no rows)."""
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
    """Classes halting after ``witness_after`` steps: (entry digits, -1 free; steps; output);
    with a ``target``, the classes halting with it instead (any step; a class the walk
    counts again mirrored also when its output is the target reversed)."""
    undecided: list[tuple[tuple[int, ...], int, int]] = field(default_factory=list)
    """Classes neither decided nor run to max_steps (their tape outgrew the kernel's
    limit; with ``exact_upto``: wider than it): (entry digits, -1 free; steps reached;
    machines), at most 1,000. They count in ``limit``."""
    upto: dict = field(default_factory=dict)
    """With ``exact_upto`` = L: what the machines in ``limit`` did after max_steps. outputs
    (late halts, every output at most L symbols), halting_times, halting (they halted:
    H_low = halting + upto halting), proven (never halt), limit (wider than L at or
    after max_steps: not known to halt or not; H_high = H_low + upto limit); the three
    add up to ``limit``. ``classes_by``: classes continued, wide_at_limit, halted,
    widened, undecided (wide and not proven; undecided_lost of them not listed), steps,
    and per proof (closed, cps, cycle, shift, pigeonhole) the classes it settled. Empty
    without exact_upto."""

    def __post_init__(self) -> None:
        """An empty table of the space's count type when no rows are given."""
        if self.rows is None:
            self.rows = empty(count_type(self.space.size))

    @property
    def outputs(self) -> dict[str, int]:
        """Output string -> number of machines that halt with it: a dict built from
        ``rows`` on each call, for callers that read one (the write path takes ``rows``)."""
        return as_dict(self.rows)

    @property
    def machines(self) -> int:
        """Machines in the range: ``stop - start``."""
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
    settings: KernelSettings | None = None,
    *,
    part: tuple[int, int, int] | None = None,
    **changes,
) -> RangeCounts:
    """Count machines start..stop-1 exactly as if each had been simulated one by one.

    Parameters
    ----------
    space : Space
        The space (n, m, S, 1-D or 2-D).
    start, stop : int
        The machine numbers [start, stop), fewer than 2**127 of them.
    settings : KernelSettings, optional
        How to count (default: every default). Any of its fields may be given by name
        instead or as well (``proofs=("cycle",)``, ``long_from=4100``, ...): they replace
        the object's. ``proofs`` and ``symmetry`` never change the counts; outputs longer
        than ``max_length`` (in 2-D: more rows or columns) count in the totals but are not
        listed; ``long_from`` (1-D) lets classes still running after that many steps run
        on outside the walk (``JobSpec.long_from``), where the 'cps' proof tries radii 1 to
        ``cps_radius``, then histories of 1 to ``cps_history`` updates; ``cps_after``
        (1-D) lets a walk try the plain radii once that many steps in
        (``KernelSettings.cps_after``); ``witness_after``
        (1-D) lists in ``late`` the classes halting after that many steps, and ``target``
        (1-D) instead those halting with exactly that output (``KernelSettings.target``).
    part : (depth, parts, p), optional
        Count part p of each block's walk cut at the branch points of that depth
        (``plan.NodeParts``); the parts add up to the whole.

    Returns
    -------
    RangeCounts
        Exact counts of the range and the kernel's work on it.

    Raises
    ------
    SpaceError
        A range outside the space or too large, a step limit the kernel cannot hold, an
        unknown proof, or a setting that breaks its rule (SettingsError, naming it).
    TypeError
        An unknown setting's name.

    The GIL is released while the kernel runs, so threads can count ranges at once.
    """
    settings = settings_of(settings, changes)
    space.check_range(start, stop)
    if stop - start >= MAX_RANGE:
        raise SpaceError(
            f"range [{start}, {stop}) holds {stop - start} machines; the kernel counts "
            f"fewer than 2**127 per call: split it into smaller ranges"
        )
    settings.check(space)
    mask = proof_mask(settings.proofs, space.dims)
    blocks = aligned_blocks(space, start, stop)
    digits = np.empty((len(blocks), space.entries), dtype=np.int32)
    for i, (first, free) in enumerate(blocks):
        digits[i] = block_digits(space, first, free)
    keep = _keep(settings)
    if space.dims == 2:
        raw = grid_counts(space, digits, mask, settings.symmetry, part, keep)
    else:
        raw = count_blocks(
            space.states,
            space.symbols,
            space.max_steps,
            digits,
            mask,
            settings.symmetry,
            keep_len=keep,
            **long_args(settings),
            **cut_args(part),
        )
        raw.pop("collected", None)
        raw.pop("late_lost", None)
    counts_as = count_type(space.size)
    raw["rows"] = table_of(raw.pop("outputs"), counts_as)
    if "upto" in raw:
        raw["upto"]["outputs"] = as_dict(table_of(raw["upto"]["outputs"], counts_as))
    return RangeCounts(space=space, start=start, stop=stop, **raw)


def cut_args(part: tuple[int, int, int] | None) -> dict:
    """The kernel's arguments for part p of parts of each walk cut at depth d (``part`` =
    (d, parts, p), ``plan.NodeParts``; None: the whole walk).

    Raises
    ------
    SpaceError
        A depth below 0, fewer than 1 part, or p outside 0..parts-1.
    """
    if part is None:
        return {}
    depth, parts, p = part
    if depth < 0 or parts < 1 or not 0 <= p < parts:
        raise SpaceError(f"part {part} should be (depth >= 0, parts >= 1, p in 0..parts-1)")
    return {"part_depth": depth, "parts": parts, "part": p}


def _keep(settings: KernelSettings) -> int:
    """The kernel's keep_len: -1 lists every output."""
    return -1 if settings.max_length is None else settings.max_length


def long_args(settings: KernelSettings) -> dict:
    """The 1-D kernel's arguments for long runs and late halts (none when unset); the
    settings were checked against the space (``KernelSettings.check``)."""
    out = {}
    if settings.long_from is not None:
        out.update(long_from=settings.long_from, cps_radius=settings.cps_radius, cps_history=settings.cps_history)
    if settings.witness_after is not None:
        out["witness_after"] = settings.witness_after
    if settings.cps_after is not None:
        out.update(cps_after=settings.cps_after, cps_radius=settings.cps_radius)
    if settings.target is not None:
        out["target"] = bytes(map(int, settings.target))
    if settings.exact_upto is not None:
        out.update(
            exact_upto=settings.exact_upto,
            cps_radius=settings.cps_radius,
            cps_history=settings.cps_history,
            settle_wide=settings.settle_wide,
        )
    return out


def grid_counts(space: Space, digits: np.ndarray, mask: int, symmetry: bool, part=None, keep: int = -1) -> dict:
    """Exact counts of 2-D blocks (the kernel adds the outputs of each symmetry orbit).

    Parameters
    ----------
    space : Space
        A 2-D space.
    digits : (blocks, entries) int32 ndarray
        Each block's entry digits, -1 where free (``block_digits``).
    mask : int
        The proofs' flag bits (``proof_mask(..., dims=2)``).
    symmetry : bool
        Walk one machine per renaming and grid-symmetry orbit, weighted.
    part : (depth, parts, p), optional
        Count part p of each walk cut at the branch points of that depth.
    keep : int
        List outputs of at most this many rows and columns; -1 lists all.

    Returns
    -------
    dict
        The kernel's raw counts: outputs (columns, ``rows.table_of``), halting, limit,
        proven, halting times and the work (classes, nodes, steps, proven_by).
    """
    raw = count_grid_blocks(
        space.states,
        space.symbols,
        space.max_steps,
        digits,
        mask,
        symmetry,
        keep_len=keep,
        **cut_args(part),
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
    upto_work: dict[str, int] = field(default_factory=dict)
    """With exact_upto: the walk's continuation classes by reason (``RangeCounts.upto``'s
    classes_by); each count's own continuation is in its ``upto``."""

    def __add__(self, other: "SharedCounts") -> "SharedCounts":
        """Counts of two parts of the same blocks (their machines split by a part entry or
        a cut of the walk)."""
        if [(c.start, c.stop) for c in self.counts] != [(c.start, c.stop) for c in other.counts]:
            raise ValueError("parts of different blocks cannot be added")
        counts = []
        for a, b in zip(self.counts, other.counts):
            total = _counts_of(_plus(_raw(a), _raw(b)), a.space, a.start, a.stop)
            if a.upto or b.upto:
                total.upto = _plus(a.upto or _nothing({}), b.upto or _nothing({}))
            counts.append(total)
        long = _summed(self.long, other.long, skip=("from",))
        if "from" in self.long or "from" in other.long:
            long["from"] = self.long.get("from", other.long.get("from"))
        return SharedCounts(
            counts,
            self.classes + other.classes,
            self.nodes + other.nodes,
            self.steps + other.steps,
            _summed(self.proven_by, other.proven_by),
            self.seconds + other.seconds,
            long,
            self.undecided + other.undecided,
            self.late + other.late,
            _summed(self.upto_work, other.upto_work),
        )


TOTALS = ("halting", "limit", "proven")


def _summed(a: dict, b: dict, skip: tuple[str, ...] = ()) -> dict:
    """Two dicts of numbers added key by key (keys in ``skip`` left out)."""
    return {k: a.get(k, 0) + b.get(k, 0) for k in {*a, *b} if k not in skip}


def _nothing(outputs) -> dict:
    """No machines: counts (``_plus``'s form) with these (empty) outputs."""
    return {"outputs": outputs, "halting_times": {}, "halting": 0, "limit": 0, "proven": 0}


def _raw(counts: RangeCounts) -> dict:
    """A block's counts in ``_plus``'s form (rows, halting times and totals)."""
    return {"outputs": counts.rows, "halting_times": counts.halting_times, **{k: getattr(counts, k) for k in TOTALS}}


def _plus(a: dict, b: dict) -> dict:
    """Two counts added: outputs (Arrow rows, or a dict for a continuation's few outputs),
    halting times (sorted) and totals."""
    if isinstance(a["outputs"], pa.Table):
        outputs = add([a["outputs"], b["outputs"]])
    else:
        outputs = _summed(a["outputs"], b["outputs"])
    times = dict(sorted(_summed(a["halting_times"], b["halting_times"]).items()))
    return {"outputs": outputs, "halting_times": times, **{k: a[k] + b[k] for k in TOTALS}}


def _over(counts: dict, parts: int) -> dict:
    """Counts split evenly over ``parts`` digits; symmetry makes every division exact
    (AssertionError otherwise)."""

    def exact(value: int) -> int:
        whole, rest = divmod(value, parts)
        if rest:
            raise AssertionError(f"a renaming orbit of {parts} digits got {value} machines, not a multiple")
        return whole

    outputs = counts["outputs"]
    return {
        "outputs": share(outputs, parts)
        if isinstance(outputs, pa.Table)
        else {k: exact(v) for k, v in outputs.items()},
        "halting_times": {k: exact(v) for k, v in counts["halting_times"].items()},
        **{key: exact(counts[key]) for key in TOTALS},
    }


def _counts_of(counts: dict, space: Space, start: int, stop: int) -> RangeCounts:
    """A block's RangeCounts from ``_plus``'s form."""
    return RangeCounts(
        space=space,
        start=start,
        stop=stop,
        rows=counts["outputs"],
        halting_times=counts["halting_times"],
        **{k: counts[k] for k in TOTALS},
    )


def _kernel_counts(raw: dict, counts_as: pa.DataType, table: bool) -> dict:
    """The kernel's counts of an accumulator in ``_plus``'s form: outputs as Arrow rows
    (``table``) or as a dict (a continuation's few outputs)."""
    rows = table_of(raw["outputs"], counts_as)
    return {
        "outputs": rows if table else as_dict(rows),
        "halting_times": raw["halting_times"],
        **{k: raw[k] for k in TOTALS},
    }


def count_shared_top(
    space: Space,
    ranges: list[tuple[int, int]],
    settings: KernelSettings | None = None,
    *,
    part: tuple[int, list[int]] | None = None,
    cut: tuple[int, int, int] | None = None,
    **changes,
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
    up to the whole count, and each walks only its own share of the tree. ``cut`` =
    (depth, parts, p) counts part p of the walk cut at its branch points of that depth
    (``plan.NodeParts``): the parts add up to the whole too.

    Parameters
    ----------
    space : Space
        A 1-D space.
    ranges : list of (start, stop)
        The blocks, as described above.
    settings : KernelSettings, optional
        How to count, and any of its fields by name (as for ``count_range``).
    part : (entry, digits), optional
        Count only the machines whose free ``entry`` takes one of ``digits``.
    cut : (depth, parts, p), optional
        Count only part p of the walk cut at depth ``depth`` into ``parts``.

    Returns
    -------
    SharedCounts
        One RangeCounts per range, in the order given, and the walk's work.

    Raises
    ------
    SpaceError
        Ranges that are not such blocks, share a top digit or are too large; a part that
        is not a free entry's whole orbits; a cut outside its rule; a setting that breaks
        its rule.
    """
    settings = settings_of(settings, changes)
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
            raise SpaceError(f"range [{start}, {stop}) is not an aligned block of {size} machines below the top digit")
        if start % top != ranges[0][0] % top:
            raise SpaceError(
                f"range [{start}, {stop}) differs from [{ranges[0][0]}, {ranges[0][1]}) below the top digit"
            )
        tops.append(start // top)
    if len(set(tops)) != len(tops):
        raise SpaceError("two ranges share a top digit: they would be counted twice")
    if size >= MAX_RANGE:
        raise SpaceError(f"blocks of {size} machines are more than the kernel counts at once")
    settings.check(space)
    split = space.entry_at(space.entries - 1)
    digits = block_digits(space, ranges[0][0], free)
    digits[split] = -1
    renamable = renamable_states(space, digits) if settings.symmetry else set()
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
        proof_mask(settings.proofs),
        settings.symmetry,
        split,
        np.asarray(tried, dtype=np.int32),
        part_entry,
        part_digits,
        keep_len=_keep(settings),
        **long_args(settings),
        **cut_args(cut),
    )
    counts_as = count_type(space.size)
    counts = []
    for whole, digit, table in ((raw, raw["by_digit"], True), (raw.get("upto"), raw.get("upto_by_digit"), False)):
        if whole is None:
            continue  # no exact_upto: no continuation
        shared = _kernel_counts(whole, counts_as, table)
        by_digit = {d: _kernel_counts(c, counts_as, table) for d, c in digit.items()}
        for i, (t, (start, stop)) in enumerate(zip(tops, ranges)):
            own = by_digit[orbits[t][0]]
            for d in orbits[t][1:]:
                own = _plus(own, by_digit[d])
            total = _plus(shared, _over(own, len(orbits[t])))
            if table:
                counts.append(_counts_of(total, space, start, stop))
            else:
                counts[i].upto = total
    seconds = time.perf_counter() - began
    return SharedCounts(
        counts,
        raw["classes"],
        raw["nodes"],
        raw["steps"],
        raw["proven_by"],
        seconds,
        raw.get("long", {}),
        raw.get("undecided", []),
        raw.get("late", []),
        raw.get("upto", {}).get("classes_by", {}),
    )


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
    rows: pa.Table = field(default_factory=empty_sampled)
    """(string, hits, mass): each pattern key (pipeline.patterns), the sampled leaves whose
    output is in it and their mass, in no order."""
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

    @property
    def outputs(self) -> dict[str, tuple[int, float]]:
        """Pattern key -> (hits, mass): a dict built from ``rows`` on each call."""
        return as_dict(self.rows)


def sample_space(
    space: Space,
    seed: int,
    batch: int,
    settings: KernelSettings | None = None,
    *,
    sample_depth: int,
    draws: int,
    **changes,
) -> SampleCounts:
    """One batch of the whole space: the lazy tree is walked exactly down to branch depth
    ``sample_depth``; each node there is a stratum and gets ``draws`` random descents.

    Draw j of batch ``batch`` comes from the counter-based stream (seed, batch, j), so a
    batch is the same on any worker. Spaces of any size can be sampled (masses are
    floats). The estimator is Knuth's (``SampleCounts``; docs/ctm.md, "Sampled tables").

    Parameters
    ----------
    space : Space
        The space (n, m, S, 1-D or 2-D), run from a blank tape of 0s.
    seed : int
        The job's seed, 0 to 2**63 - 1.
    batch : int
        The batch number, 0 to 2**63 - 1; batches of one seed are independent.
    settings : KernelSettings, optional
        How to count (default: every default); fields may be given by name, as for
        ``count_range``. ``symmetry`` (renaming, mirror, grid turns) acts on the exact
        part only; outputs longer than ``max_length`` (in 2-D: more rows or columns)
        count in the totals but are not listed (None: all are).
    sample_depth : int
        Branch depth (entries read) walked exactly, 0 to 2**63 - 1.
    draws : int
        Random descents per stratum, 1 to 2**63 - 1.

    Returns
    -------
    SampleCounts
        The batch's masses (fractions of the whole space, adding up to 1), hits per
        pattern and the kernel's work.

    Raises
    ------
    SpaceError
        A seed, batch, draws or depth that is not an integer in its range, or a step limit
        the kernel cannot hold (``MAX_STEPS``, ``MAX_STEPS_2D``).
    SettingsError
        ``long_from``, ``witness_after``, ``exact_upto`` or ``target`` set (they are for
        exact counts), or a setting that breaks its rule.
    """
    settings = settings_of(settings, changes)
    for name, value, low in (
        ("seed", seed, 0),
        ("batch", batch, 0),
        ("draws", draws, 1),
        ("sample_depth", sample_depth, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low or value >= 2**63:
            raise SpaceError(f"{name} should be an integer from {low} to 2**63 - 1, got {value!r}")
    for name in ("long_from", "witness_after", "exact_upto", "target"):
        if getattr(settings, name) is not None:
            raise SettingsError(f"{name} is for exact counts, not for sampling; got {name} = {getattr(settings, name)}")
    check_steps(space)
    began = time.perf_counter()
    digits = -np.ones((1, space.entries), dtype=np.int32)
    args = (
        space.states,
        space.symbols,
        space.max_steps,
        digits,
        proof_mask(settings.proofs, space.dims),
        settings.symmetry,
    )
    kernel = count_blocks if space.dims == 1 else count_grid_blocks
    keep = _keep(settings)
    raw = kernel(
        *args, sampled=True, sample_depth=sample_depth, draws=draws, seed=seed, batch=batch, keep_len=keep, pool=True
    )
    return SampleCounts(
        space,
        seed,
        batch,
        sampled_table(raw["outputs"]),
        raw["halting"],
        raw["limit"],
        raw["proven"],
        raw["halting_times"],
        raw["draws"],
        raw["classes"],
        raw["nodes"],
        raw["steps"],
        raw["proven_by"],
        time.perf_counter() - began,
    )


__all__ = [
    "KernelSettings",
    "MAX_RANGE",
    "MAX_STEPS",
    "MAX_STEPS_2D",
    "WALK_STEPS",
    "check_steps",
    "renamable_states",
    "renaming_orbit",
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
