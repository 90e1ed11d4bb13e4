"""The shard plan: shard i of a job is [i*b**(E-d), (i+1)*b**(E-d)), E = n*m digits.

The plan also owns the cross-shard symmetries. The k = min(d, m) most significant
digits are entries (0, m-1) ... (0, m-k) of state 0, so the shards sharing them form a
*unit*. The symmetries of the tape (mirroring, L <-> R in every move) or of the grid (its
8 rotations and reflections, turning every move) and renaming states 1..n-1 (state 0
fixed) map units onto units bijectively, with the same halting times and the same
outputs (reversed, or turned). The smallest unit of each orbit is counted; the others
are derived from it, and the reducer adds its counts in their place.

When a unit fixes entry (0, 0), the first one read, and that entry halts (every machine
halts at step 1 writing one symbol) or goes back to state 0 (it then reads blank in
state 0 forever), the unit is *closed*: its counts follow from that entry alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pipeline.grid import DIRECTIONS, SYMMETRIES, transform_all
from pipeline.settings import KernelSettings
from pipeline.space import Space
from pipeline.spec import JobSpec, SpecError


@lru_cache(maxsize=2)
def symmetries(dims: int) -> tuple[tuple[int, ...], ...]:
    """The symmetries of the tape (dims 1: identity, mirror) or of the grid (dims 2: the
    kernel's 8 rotations and reflections), each as the permutation of direction codes
    (0 Right, 1 Left, 2 Up, 3 Down) it makes; element 0 is the identity."""
    if dims == 1:
        return ((0, 1), (1, 0))
    index = {v: i for i, v in enumerate(DIRECTIONS)}
    return tuple(tuple(index[(a * x + b * y, c * x + d * y)] for x, y in DIRECTIONS) for a, b, c, d in SYMMETRIES)


def inverse(dims: int, g: int) -> int:
    """The symmetry that undoes symmetry ``g``."""
    perms = symmetries(dims)
    undo = tuple(perms[g].index(k) for k in range(len(perms[g])))
    return perms.index(undo)


def apply_symmetry(dims: int, texts: list[str], g: int) -> list[str]:
    """Outputs of the machines symmetry ``g`` makes of machines with outputs ``texts``:
    reversed strings (the 1-D mirror) or turned matrices (``pipeline.grid``)."""
    if g == 0:
        return list(texts)
    if dims == 1:
        return [t[::-1] for t in texts]
    return transform_all(texts, g)


PART_DEPTH = 3
"""Walks are cut into parts at the branch points of this depth unless a job says
otherwise (``JobSpec.part_depth``): hundreds of them for (5,2), so parts dealt
round-robin come out about even."""


@dataclass(frozen=True)
class NodeParts:
    """Part ``part`` of ``parts`` of a walk: the branch points at ``depth``, numbered in walk
    order, that are ``part`` modulo ``parts`` (part 0 also counts what is decided above
    them); the parts of a walk add up to the whole walk (tmsim_ext/_cut.pxd)."""

    depth: int
    parts: int
    part: int


@dataclass(frozen=True)
class Derivation:
    """A unit whose counts are those of ``source``, outputs turned by ``symmetry``."""

    source: int
    """The canonical unit (smallest of the orbit) that is counted."""
    symmetry: int
    """The symmetry (index into ``symmetries(dims)``; 0 is the identity, and on a tape 1
    is the mirror) mapping the source's machines onto this unit's, and so its outputs."""

    @property
    def mirror(self) -> bool:
        """On a tape: whether the map mirrors moves (and so reverses outputs)."""
        return self.symmetry != 0


def read_order_key(space: Space, unit: int, digits: int) -> tuple[int, ...]:
    """A unit's top ``digits`` digits in the order a run reads their entries: (0, m-k)
    first (entry (0, 0) when the unit fixes all of state 0), the top digit last."""
    return tuple((unit // space.base**j) % space.base for j in range(digits))


def canonical_unit(space: Space, unit: int, digits: int) -> tuple[int, int]:
    """The orbit member of ``unit`` (its top ``digits`` digits) that comes first in read
    order, and the symmetry mapping it back onto ``unit`` (0: none; on a tape 1 mirrors).

    Read order puts the first entry a run reads first, so the canonical units of one
    first entry are all the top-digit choices beside it: the shards that the pipeline
    counts together in one walk (``kernel.count_shared_top``). Renaming is greedy in that
    order: each new non-zero state gets the smallest state not yet used (a digit grows
    with its goto). A move digit is m + (k*goto + direction)*m + write with k directions
    (docs/ctm.md numbering; tests check it against Space.decode_digit).
    """
    b, m, k, best = space.base, space.symbols, space.directions, None
    for g, perm in enumerate(symmetries(space.dims)):
        names: dict[int, int] = {0: 0}
        key = []
        for digit in read_order_key(space, unit, digits):
            if digit >= m:
                code, write = divmod(digit - m, m)
                goto = names.setdefault(code // k, len(names))
                digit = m + (k * goto + perm[code % k]) * m + write
            key.append(digit)
        if best is None or key < best[0]:
            best = (key, g)
    value = sum(d * b**j for j, d in enumerate(best[0]))
    return value, inverse(space.dims, best[1])


class ShardPlan:
    """Shards of a job, their ranges, and which of them are derived."""

    def __init__(self, spec: JobSpec) -> None:
        self.spec = spec
        self.space = spec.space
        self.settings: KernelSettings = spec.kernel_settings
        """How the kernel counts every shard of the job."""
        self.shards = self.space.base**spec.shard_depth
        """How many shards the plan has."""
        self.shard_size = self.space.base ** (self.space.entries - spec.shard_depth)
        self.unit_digits = min(spec.shard_depth, self.space.symbols) if spec.derive else spec.shard_depth
        """How many top digits a unit fixes (without derivation a unit is one shard)."""
        self.shards_per_unit = self.space.base ** (spec.shard_depth - self.unit_digits)
        self.units = self.shards // self.shards_per_unit
        self.closed: dict[int, int | None] = {}
        """Closed unit -> the symbol its machines halt writing at step 1, or None: they never halt."""
        self.derivations: dict[int, Derivation] = {}
        """Unit derived by symmetry -> the canonical unit counted in its place."""
        if spec.derive and self.unit_digits:
            for unit in range(self.units):
                first = self.space.decode_digit(unit % self.space.base)
                if self.unit_digits == self.space.symbols and (first.halts or first.goto == 0):
                    self.closed[unit] = first.write if first.halts else None
                    continue
                source, g = canonical_unit(self.space, unit, self.unit_digits)
                if source != unit:
                    self.derivations[unit] = Derivation(source, g)
        self.derived_from: dict[int, list[int]] = {}
        """Canonical unit -> the units derived from it."""
        for unit, how in self.derivations.items():
            self.derived_from.setdefault(how.source, []).append(unit)

    def range(self, shard: int) -> tuple[int, int]:
        """Machine numbers [start, stop) of ``shard``."""
        if not 0 <= shard < self.shards:
            raise SpecError(f"shard {shard} is outside the plan's 0..{self.shards - 1}")
        return shard * self.shard_size, (shard + 1) * self.shard_size

    def unit(self, shard: int) -> int:
        """The unit of ``shard``: the shards that share its top ``unit_digits`` digits."""
        return shard // self.shards_per_unit

    def unit_shards(self, unit: int) -> range:
        """The shards of ``unit``: ``shards_per_unit`` consecutive shard numbers."""
        return range(unit * self.shards_per_unit, (unit + 1) * self.shards_per_unit)

    def unit_range(self, unit: int) -> tuple[int, int]:
        """Machine numbers [start, stop) of ``unit``."""
        size = self.shard_size * self.shards_per_unit
        return unit * size, (unit + 1) * size

    def is_derived(self, shard: int) -> bool:
        """True when the shard's counts follow from others or from entry (0, 0) alone."""
        unit = self.unit(shard)
        return unit in self.derivations or unit in self.closed

    def derivation(self, shard: int) -> Derivation | None:
        """How ``shard``'s unit follows from its canonical unit by a symmetry; None when it is
        not derived so (canonical, or closed)."""
        return self.derivations.get(self.unit(shard))

    def images(self, unit: int) -> tuple[int, ...]:
        """How many units of the orbit of canonical ``unit`` take its counts turned by each
        symmetry (itself under the identity included): on a tape (plain, mirrored)."""
        out = [0] * len(symmetries(self.space.dims))
        out[0] = 1
        for u in self.derived_from.get(unit, ()):
            out[self.derivations[u].symmetry] += 1
        return tuple(out)

    def computed(self, shards: range | None = None) -> list[int]:
        """The shards (of ``shards``, default all) that are counted, not derived."""
        shards = range(self.shards) if shards is None else shards
        return [s for s in shards if not self.is_derived(s)]

    def parse_shards(self, text: str) -> range:
        """``A:B`` (shards A..B-1), ``A:``, ``:B`` or ``A`` as a range inside the plan."""
        if not text.strip():
            raise SpecError(
                f"shard range {text!r} is blank; write A:B, e.g. 0:{min(self.shards, 100)}, or leave out --shards for all"
            )
        head, sep, tail = text.partition(":")
        try:
            first = int(head) if head.strip() else 0
            last = (int(tail) if tail.strip() else self.shards) if sep else first + 1
        except ValueError:
            raise SpecError(f"shard range {text!r} should look like 100:200 (shards 100..199)") from None
        if first < 0 or last < 0:
            problem = "has a negative shard number; shards are numbered from 0"
        elif first >= self.shards or last > self.shards:
            problem = (
                f"is outside the plan of {self.spec.table}, which has shards 0:{self.shards} (0..{self.shards - 1})"
            )
        elif last < first:
            problem = f"is reversed; A:B needs A < B, e.g. {last}:{first}"
        elif last == first:
            problem = f"is empty; A:B holds shards A..B-1, so shard {first} alone is {first}:{first + 1}"
        else:
            return range(first, last)
        raise SpecError(f"shard range {text!r} {problem}")

    def groups(self, shards: list[int]) -> list[list[int]]:
        """``shards`` grouped by all but their top digit: each group is counted in one walk
        of its common tree (``kernel.count_shared_top``)."""
        if self.spec.shard_depth == 0 or self.space.dims == 2:
            return [[s] for s in shards]  # the 2-D kernel counts no split entry
        below = self.space.base ** (self.spec.shard_depth - 1)
        groups: dict[int, list[int]] = {}
        for shard in sorted(shards):
            groups.setdefault(shard % below, []).append(shard)
        return sorted(groups.values(), key=lambda g: (-len(g), g[0]))

    @property
    def part_depth(self) -> int:
        """The branch depth walks are cut at (``JobSpec.part_depth``, else ``PART_DEPTH``)."""
        return PART_DEPTH if self.spec.part_depth is None else self.spec.part_depth

    def tasks(self, group: list[int]) -> list[NodeParts | None]:
        """How one group is counted: ``[None]`` (one walk, when the job has ``parts`` = 1) or
        its walk's ``parts`` parts, cut at the branch points of depth ``part_depth``
        (``NodeParts``), part 0 first."""
        parts = self.spec.parts
        return [None] if parts == 1 else [NodeParts(self.part_depth, parts, p) for p in range(parts)]

    def expected_cost(self, group: list[int], part: NodeParts | None) -> tuple[int, ...]:
        """A rough rank of a task's cost, to start the heaviest first and so finish together.

        The group's fixed entries that move; then its digit values, which grow with moves
        to the left, writes of non-blank symbols and new states; then part 0 (which also
        counts above the cut) before the rest.
        """
        space = self.space
        first = space.digits(self.range(group[0])[0])
        lower = sum(
            first[space.entry_at(pos)] for pos in range(space.entries - self.spec.shard_depth, space.entries - 1)
        )
        p = part.part if isinstance(part, NodeParts) else 0
        return (sum(map(self._moving_entries, group)), lower, -p)

    def _moving_entries(self, shard: int) -> int:
        """How many of the shard's fixed entries move rather than halt."""
        space, digits = self.space, self.space.digits(self.range(shard)[0])
        top = range(space.entries - self.spec.shard_depth, space.entries)
        return sum(not space.decode_digit(digits[space.entry_at(pos)]).halts for pos in top)
