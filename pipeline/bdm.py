"""Block Decomposition Method exactly as pybdm defines it, on this project's tables.

Definitions follow pybdm 0.1 (sztal/pybdm: pybdm/bdm.py, partitions.py, utils.py; after
Zenil et al. 2018, "A Decomposition Method for Global Evaluation of Shannon Entropy and
Local Estimations of Algorithmic Complexity"). Cut the string into blocks, then
BDM = sum over distinct blocks of CTM(block) + log2(number of times it occurs), where
CTM(block) is the table's K of the block's normalised form. Partitions:

- ``ignore``: consecutive blocks of ``block`` symbols; a shorter tail is dropped.
- ``recursive``: as ``ignore``, but a tail of at least ``min_length`` symbols is kept as
  one block of its own length (PartitionRecursive in one dimension).
- ``correlated``: every full window of ``block`` symbols, ``shift`` apart (PartitionCorrelated).

A block the table never produced is handled by ``missing``: ``"impute"`` (pybdm's rule,
the default) gives it 1 + the largest K of the table's strings of its length, with one
MissingBlockWarning per call; ``"error"`` makes the string NA instead. On a sampled
table a block whose K is not reliable (pipeline.reliable) counts as never produced.
Normalised BDM and block entropy (``ent``, ``nent``) take their bounds as pybdm does,
except that BDM's maximum also counts the strings it would impute, so nbdm lies in
[0, 1] (see ``BDM._bounds`` and docs/sampled-tables.md). ``BDM.details`` gives a value
with an upper bound on its standard error and the share of it from imputed blocks. acss's different ``bdm()`` is ``pipeline.measures.acss_bdm``.

On an exact_upto table (``d{n}x{m}-s{S}-upto{L}``: every output of at most L symbols
with its exact count, the normaliser H known only within [H_low, H_high], docs/no-cutoff.md)
each block's K lies in [K_low, K_high] = [-log2(count/(m·H_low)), -log2(count/(m·H_high))],
and every block shares the one H. So BDM lies in [BDM_low, BDM_high]:
BDM_low = sum over distinct blocks of K_low(block) + log2(n), BDM_high the same with
K_high, which is BDM_low + (distinct blocks) x log2(H_high/H_low); a missing block is
imputed 1 + the largest K_low (K_high) of its length. The value given is BDM_low (the
table's K is its K_low), the interval is ``Score.interval`` and the attrs ``BDM_low`` and
``BDM_high`` of ``bdm``; normalised BDM and block entropy have none.

``BDM`` scores one object at a time, as pybdm's class does (a string, a list of symbols
or a 1-D integer array), and raises a CTMError when it cannot; the module's ``bdm``,
``nbdm``, ``ent`` and ``nent`` score batches, with NA and a reason per input (pipeline.batch).

With ``ndim=2`` the objects are matrices (2-D integer arrays, or "010-111" text) and the
blocks are k x k squares (default 4x4, pybdm's BDM(ndim=2)) cut as pybdm's partitions
cut them: row-major squares from the top left, leftovers at the right and bottom edges
dropped (ignore), cut again into squares of their shorter side when that is at least
``min_length`` (recursive), or every k x k window ``shift`` apart (correlated). A block's
shape takes the place of a string's length (missing blocks, normalisation bounds).
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.batch import check_errors, series
from pipeline.errors import CTMError
from pipeline.inputs import NA, NDIMS, auto_ndim, items, one, show
from pipeline.patterns import normalized as normalize_matrix
from pipeline.query import Table, normalize_one, open_table, symbols_na
from pipeline.reliable import reliable_values

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_BLOCK = {1: 12, 2: 4}
"""pybdm's block sizes: 12 symbols for strings, 4x4 for matrices."""

STRATEGIES = ("ignore", "recursive", "correlated")
MISSING = ("impute", "error")
MEASURES = ("bdm", "ent")

NO_BLOCK = "no block"
BLOCK_MISSING = "block not produced"
UNDEFINED = "undefined"


class BlockWarning(UserWarning):
    """The default block differs from pybdm's: the table's strings are shorter than 12."""


class MissingBlockWarning(UserWarning):
    """Some blocks were not produced by the table and got pybdm's imputed value."""


def _positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CTMError(f"{name} should be a positive integer, got {value!r}")


@dataclass(frozen=True)
class Parts:
    """The table's normalised strings of one length, as pybdm's max and min BDM see them:
    K from largest to smallest, each counted once per renaming of its symbols; and how
    many strings of that length have no reliable row (never produced, or too uncertain:
    pipeline.reliable), which BDM imputes."""

    K: np.ndarray
    multiplicity: np.ndarray
    """Distinct strings each normalised one stands for: symbols! / (symbols - its distinct symbols)!."""
    missing: int = 0
    """Strings of this length (or shape) that the table has no reliable value for."""
    K_high: np.ndarray | None = None
    """An exact_upto table's K_high of the same strings (in the order of ``K``); else None."""

    @property
    def imputed(self) -> float:
        """Pybdm's value of a missing block: 1 + the largest K of its length."""
        return float(self.K[0]) + 1.0

    @property
    def imputed_high(self) -> float:
        """The same with K_high on an exact_upto table (1 + the largest K_high of its
        length); ``imputed`` on any other."""
        return self.imputed if self.K_high is None else float(self.K_high.max()) + 1.0

    @cached_property
    def total(self) -> int:
        """Strings of this length (or shape) the table stands for: the sum of ``multiplicity``."""
        return int(self.multiplicity.sum())

    @cached_property
    def with_imputed(self) -> "Parts":
        """The parts BDM can meet under missing="impute": the missing strings first, each
        at the imputed value, then the table's own."""
        if not self.missing:
            return self
        # float multiplicities: 2**64 and more strings of a length are missing from long outputs
        return Parts(
            np.concatenate([[self.imputed], self.K]),
            np.concatenate([[float(self.missing)], self.multiplicity.astype(float)]),
        )

    def top(self, n: int) -> float:
        """Sum of K over the n most complex parts (n at most ``total``)."""
        taken = np.minimum(np.maximum(n - (np.cumsum(self.multiplicity) - self.multiplicity), 0), self.multiplicity)
        return float((self.K * taken).sum())


@dataclass(frozen=True)
class Score:
    """One string's measure with what stands behind it (``BDM.details``)."""

    value: float
    """The measure (NaN with ``na``)."""
    na: NA | None
    imputed: list[str]
    """Distinct blocks given pybdm's imputed value (never produced, or unreliable)."""
    se: float
    """Upper bound on the standard error of ``value`` from the blocks' own (a sampled
    table's K_se): their sum over distinct blocks, each weighted as BDM weights it (once),
    valid whatever their correlation (the blocks of one string share batches). 0 on an
    exact table; imputed blocks add none (their value is a rule, not an estimate)."""
    imputed_share: float
    """Share of the (unnormalised) value that comes from imputed blocks, 0 to 1."""
    interval: tuple[float, float] | None = None
    """(BDM_low, BDM_high) of unnormalised BDM on an exact_upto table: the sum with every
    block's K_low, and with every block's K_high (``BDM``'s docstring); None otherwise."""


@dataclass(frozen=True)
class BDM:
    """A configured BDM over one CTM table; ``bdm``, ``nbdm``, ``ent`` and ``nent`` score one object.

    The definitions are pybdm 0.1's (the module's docstring; Zenil et al. 2018). Each
    field below has its own docstring.

    Parameters
    ----------
    block : int, optional
        Block length, or side of a square block in 2-D; None: pybdm's 12 (4x4 in 2-D), or
        a table's longest complete length when its strings stop short of 12
        (BlockWarning). At most the table's longest output (2-D: largest square).
    strategy : {"ignore", "recursive", "correlated"}
        How blocks are cut (pybdm's partitions).
    shift : int
        Distance between windows of the correlated strategy, at least 1.
    min_length : int
        Shortest tail the recursive strategy keeps as a block, at least 1.
    missing : {"impute", "error"}
        A block the table never produced (or, on a sampled table, has no reliable K for):
        1 + the largest K of its length (pybdm), or the object is NA / an error.
    alphabet, table, version, data_dir
        Which table, as ``pipeline.query.open_table``.
    ndim : {1, 2}
        1 for strings, 2 for matrices (with a 2-D table).
    allow_partial : bool
        Use a table that covers only part of its space.

    Raises
    ------
    CTMError
        A field that breaks its rule (the message names it): an unknown strategy or
        missing rule, a block, shift or min_length below 1, a block past the table's
        outputs, a table of the other ``ndim``, a partial table without
        ``allow_partial``, or a table that cannot be opened (``open_table``).
    """

    block: int | None = None
    """Block length, or side of a square block in 2-D (None: pybdm's 12, or 4 for 4x4; for
    a table whose strings stop short of 12, its longest complete length, with a BlockWarning)."""
    strategy: str = "ignore"
    """How blocks are cut (pybdm's partition): ignore, recursive or correlated."""
    shift: int = 1
    """Distance between windows of the correlated strategy."""
    min_length: int = 2
    """Shortest tail the recursive strategy keeps as a block."""
    missing: str = "impute"
    """Blocks the table never produced: impute (pybdm) or error (the string is NA)."""
    alphabet: int | None = None
    """Symbols of the table; None means the named table's own, or 2 (d5x2-s500) without one."""
    table: str | None = None
    """Table name, e.g. d5x2-s500; None for the default of ``alphabet``."""
    version: int | None = None
    """Table version; None for the latest."""
    data_dir: str | Path | None = None
    """Data root looked in before the shipped tables (default: CTM_DATA_DIR or ./data)."""
    ndim: int = 1
    """Dimensions of the data: 1 (strings), 2 (matrices, with a 2-D table)."""
    allow_partial: bool = False
    """Use a table that covers only part of its space (blank-0 counts of some ranges)."""

    def __post_init__(self) -> None:
        """Check every field (raising CTMError naming it) and turn numpy integers into ints."""
        if self.ndim not in NDIMS:
            raise CTMError(f"ndim should be 1 (strings) or 2 (matrices), got {self.ndim!r}")
        for name in ("block", "shift", "min_length", "alphabet", "version"):
            value = getattr(self, name)
            if isinstance(value, np.integer):  # numpy integer scalars are integers too
                object.__setattr__(self, name, int(value))
        if self.block is None:
            object.__setattr__(self, "block", self._default_block())
        for name in ("block", "shift", "min_length"):
            _positive(name, getattr(self, name))
        if self.strategy not in STRATEGIES:
            raise CTMError(f"strategy should be one of {', '.join(STRATEGIES)}, got {self.strategy!r}")
        if self.missing not in MISSING:
            raise CTMError(f"missing should be one of {', '.join(MISSING)}, got {self.missing!r}")
        if self.tab.dims != self.ndim:
            kind = "matrices (ndim=2)" if self.tab.dims == 2 else "strings (ndim=1)"
            raise CTMError(
                f"table {self.tab.label} holds {kind}: pass ndim={self.tab.dims}, or a table of {self.ndim}-D outputs"
            )
        if self.tab.manifest.get("coverage") == "partial" and not self.allow_partial:
            raise CTMError(
                f"table {self.tab.label} covers only part of its space (blank-0 counts of some ranges): "
                f"BDM over it is not the space's; pass allow_partial=True to use it anyway"
            )
        most = self.tab.max_length if self.ndim == 1 else min(self.tab.shapes)
        if self.block > most:
            kind = "the longest output" if self.ndim == 1 else f"the largest square ({most}x{most}) its outputs reach"
            raise CTMError(f"block should be at most {most}, {kind} of table {self.tab.label}, got {self.block}")

    def _default_block(self) -> int:
        """Pybdm's block (12, or 4x4), or, for a table of strings shorter than 12 (the
        shipped tables of alphabets 4-9 reach 10 or 11), its longest complete length:
        the longest L such that every string of length L and shorter has a reliable value."""
        block = DEFAULT_BLOCK[self.ndim]
        if self.ndim != 1 or self.tab.max_length >= block:
            return block
        parts = table_parts(self.tab)
        complete = 0
        while complete + 1 in parts and parts[complete + 1].missing == 0:
            complete += 1
        if complete == 0:
            raise CTMError(f"table {self.tab.label} has no complete length to choose a block from: pass block=")
        warnings.warn(
            f"block={complete}: table {self.tab.label} holds strings up to length {self.tab.max_length}, not pybdm's 12, "
            f"and {complete} is its longest complete length (choose another with block=, or --block; pybdm's tables for this alphabet use 12)",
            BlockWarning,
            stacklevel=4,
        )
        return complete

    @cached_property
    def tab(self) -> Table:
        """The CTM table BDM looks blocks up in, opened once (``query.open_table``)."""
        return open_table(self.table, self.version, alphabet=self.alphabet, data_dir=self.data_dir, ndim=self.ndim)

    # -- decomposition -------------------------------------------------------------

    def checked(self, text: str) -> str | NA:
        """An input's text in the table's symbols, normalised as a whole, or its NA."""
        if self.ndim == 1:
            return symbols_na(self.tab, text)
        normalized = normalize_matrix(text)
        distinct = len(set(normalized) - {"-"})
        if distinct > self.tab.symbols:
            from pipeline.query import TOO_MANY

            return NA(TOO_MANY, f"has {distinct} distinct symbols but table {self.tab.name} has {self.tab.symbols}")
        return normalized

    def _text(self, X: object) -> str:
        """One object as the table's symbols (normalised as a whole), or a CTMError."""
        checked = self.checked(one(X, ndim=self.ndim))
        if isinstance(checked, NA):
            raise CTMError(f"{show(one(X, ndim=self.ndim))}: {checked}")
        return checked

    def _key(self, block: str):
        """A block's length (1-D) or shape (rows, columns) (2-D)."""
        if self.ndim == 1:
            return len(block)
        return block.count("-") + 1, len(block.split("-", 1)[0])

    def _squares(self, rows: list[str], size: int, step: int, full_only: bool) -> list[list[str]]:
        """Pybdm's slices of a matrix (as rows) into size x size pieces starting every
        ``step`` cells, row-major; pieces cut short by the edges only unless ``full_only``."""
        height, width = len(rows), len(rows[0])
        if step == size:
            starts_r, starts_c = range(0, height, size), range(0, width, size)
        else:
            starts_r, starts_c = range(0, max(height - size + 1, 0), step), range(0, max(width - size + 1, 0), step)
        pieces = []
        for r in starts_r:
            for c in starts_c:
                piece = [row[c : c + size] for row in rows[r : r + size]]
                if not full_only or (len(piece) == size and len(piece[0]) == size):
                    pieces.append(piece)
        return pieces

    def _cut_matrix(self, rows: list[str], size: int) -> list[str]:
        if self.strategy == "correlated":
            return ["-".join(p) for p in self._squares(rows, size, self.shift, True)]
        out = []
        for piece in self._squares(rows, size, size, False):
            if len(piece) == size and len(piece[0]) == size:
                out.append("-".join(piece))
            elif self.strategy == "recursive" and min(len(piece), len(piece[0])) >= self.min_length:
                out += self._cut_matrix(piece, min(len(piece), len(piece[0])))
        return out

    def _cut(self, text: str) -> list[str]:
        size = self.block
        if self.ndim == 2:
            return self._cut_matrix(text.split("-"), size)
        if self.strategy == "correlated":
            return [text[i : i + size] for i in range(0, len(text) - size + 1, self.shift)]
        blocks = [text[i : i + size] for i in range(0, len(text), size)]
        if blocks and len(blocks[-1]) < size:
            keep = self.strategy == "recursive" and len(blocks[-1]) >= self.min_length
            blocks = blocks if keep else blocks[:-1]
        return blocks

    def decompose(self, X: object) -> list[str]:
        """The blocks of ``X`` in order (its symbols renamed as by normalize_string)."""
        return self._cut(self._text(X))

    def _shapes(self, text: str) -> Counter:
        """Block length -> number of blocks, as pybdm counts them for normalisation: the
        recursive strategy also counts a tail shorter than ``min_length`` that it drops."""
        if self.strategy == "recursive":
            if self.ndim == 2:
                pieces = self._squares(text.split("-"), self.block, self.block, False)
                return Counter((len(p), len(p[0])) for p in pieces)
            return Counter(len(text[i : i + self.block]) for i in range(0, len(text), self.block))
        return Counter(self._key(b) for b in self._cut(text))

    # -- the table's values ----------------------------------------------------------

    @property
    def _parts(self) -> Mapping:
        return table_parts(self.tab)

    def _of_length(self, length) -> Parts | NA:
        """The table's parts of one block length (or shape)."""
        parts = self._parts.get(length)
        if parts is None:
            what = f"string of length {length}" if self.ndim == 1 else f"{length[0]}x{length[1]} matrix"
            return NA(UNDEFINED, f"table {self.tab.label} has no {what} to score blocks with")
        return parts

    def ctm(self, block: str) -> float:
        """K of one block by its normalised form, or the ``missing`` policy's answer."""
        value = self._ctm(block)
        if isinstance(value, NA):
            raise CTMError(str(value))
        return value[0]

    @cached_property
    def _known(self) -> dict:
        """Block -> (K, K's standard error, K_high) of the blocks looked up so far (by their
        row key); None for a block the table has no row for, False for an unreliable row."""
        return {}

    def _row_key(self, block: str) -> str | None:
        """A block's row key: its normalised form (a sampled table's pattern), or None."""
        normalized = normalize_one(block) if self.ndim == 1 else normalize_matrix(block)
        return self.tab.key(normalized) if isinstance(normalized, str) else None

    def _fetch(self, blocks) -> None:
        """Look every block not yet known up in one batch (``Table.rows``)."""
        new = [b for b in dict.fromkeys(blocks) if b not in self._known]
        keyed = {b: k for b in new if (k := self._row_key(b)) is not None}
        for b in new:
            if b not in keyed:  # more than 10 symbols: no row key
                self._known[b] = None
        if not keyed:
            return
        keys = list(dict.fromkeys(keyed.values()))
        rows = self.tab.rows(keys)
        K, se, high = rows.columns["K"], rows.columns.get("K_se"), rows.columns.get("K_high")
        found: dict = {}
        for j, key in enumerate(keys):
            if not rows.found[j]:
                found[key] = None
            elif not rows.reliable[j]:
                found[key] = False
            else:
                value = float(K[j])
                found[key] = (value, 0.0 if se is None else float(se[j]), value if high is None else float(high[j]))
        for b, key in keyed.items():
            self._known[b] = found[key]

    def prefetch(self, texts: list[str]) -> None:
        """Look up every block of ``texts`` (each in the table's symbols, normalised: as
        ``checked`` gives them) in one batch, so that scoring them reads the table once; a
        table with a lookup index reads only the rows of those blocks."""
        self._fetch(b for text in texts for b in self._cut(text))

    def _ctm(self, block: str) -> tuple[float, bool, float, float] | NA:
        """(K, whether it was imputed, K's standard error, K_high) of one block, or the NA
        of ``missing="error"``; K_high is K except on an exact_upto table. A block whose
        row is unreliable (pipeline.reliable) counts as one the table never produced."""
        if block not in self._known:
            self._fetch([block])
        found = self._known[block]
        if found:
            return found[0], False, found[1], found[2]
        if self.missing == "error":
            why = "was not produced by" if found is None else "is too uncertain (K_se above 0.5 bits) in"
            return NA(
                BLOCK_MISSING,
                f"block {show(block)} {why} table {self.tab.label}; "
                f"use missing='impute' (pybdm's rule) or a smaller block",
            )
        parts = self._of_length(self._key(block))
        return parts if isinstance(parts, NA) else (parts.imputed, True, 0.0, parts.imputed_high)

    # -- measures --------------------------------------------------------------------

    def score(self, text: str, measure: str = "bdm", normalized: bool = False) -> tuple[float, NA | None, list[str]]:
        """(value, NA or None, imputed blocks) of one string of the table's symbols (normalised)."""
        found = self.details(text, measure, normalized)
        return found.value, found.na, found.imputed

    def details(self, text: str, measure: str = "bdm", normalized: bool = False) -> Score:
        """The measure of one string of the table's symbols (normalised), with its standard
        error's upper bound and the share of it that comes from imputed blocks."""
        if normalized and self.strategy == "correlated":
            raise CTMError(
                f"normalised {measure} is not defined for strategy 'correlated' (as in pybdm); use ignore or recursive"
            )
        blocks = self._cut(text)
        if not blocks:
            size = f"length {len(text)}" if self.ndim == 1 else "shape {}x{}".format(*self._key(text))
            return Score(
                math.nan,
                NA(
                    NO_BLOCK,
                    f"has {size}: no block under strategy {self.strategy!r} with block={self.block} "
                    f"(use a smaller block or strategy='recursive')",
                ),
                [],
                math.nan,
                math.nan,
            )
        counted = Counter(blocks)
        imputed: list[str] = []
        se = from_imputed = high = 0.0
        if measure == "ent":
            value = _entropy((n, 1) for n in counted.values())
        else:
            self._fetch(counted)
            value = 0.0
            for block, n in counted.items():
                found = self._ctm(block)
                if isinstance(found, NA):
                    return Score(math.nan, found, [], math.nan, math.nan)
                term = found[0] + math.log2(n)
                if found[1]:
                    imputed.append(block)
                    from_imputed += term
                value += term
                se += found[2]
                high += found[3] + math.log2(n)
        share = from_imputed / value if value else 0.0
        if not normalized:
            interval = (value, high) if measure == "bdm" and self.tab.exact_upto is not None else None
            return Score(value, None, imputed, se, share, interval)
        bounds = self._bounds(self._shapes(text), measure)
        if isinstance(bounds, NA):
            return Score(math.nan, bounds, imputed, math.nan, share)
        low, high = bounds
        if high == low:
            return Score(
                math.nan,
                NA(UNDEFINED, f"normalised {measure} is undefined: every string of its block shapes scores {low}"),
                imputed,
                math.nan,
                share,
            )
        return Score((value - low) / (high - low), None, imputed, se / (high - low), share)

    def _bounds(self, shapes: Counter, measure: str) -> tuple[float, float] | NA:
        """Pybdm's minimum and maximum over strings of these block shapes.

        BDM: the minimum repeats the simplest part of each shape; the maximum takes the
        parts of each shape from the most complex down (under missing="impute" the strings
        the table has no reliable value for come first, at their imputed value, so the
        maximum is over the values BDM uses and nbdm lies in [0, 1]; pybdm leaves them out), every renaming of a normalised
        part a distinct part, cycling when the blocks outnumber the parts. Block entropy:
        the minimum is log2(number of distinct shapes) and the maximum the entropy of how
        many shapes reach each part index, as pybdm 0.1 computes them.
        """
        found = {length: self._of_length(length) for length in shapes}
        for parts in found.values():
            if isinstance(parts, NA):
                return parts
        if measure == "bdm" and self.missing == "impute":  # the values BDM itself can use
            found = {length: parts.with_imputed for length, parts in found.items()}
        if measure == "ent":
            reach = sorted(min(n, found[length].total) for length, n in shapes.items())
            # part index i is reached by the shapes whose reach exceeds i: len(reach) - j of
            # them for i in [reach[j - 1], reach[j])
            groups = [(len(reach) - j, reach[j] - (reach[j - 1] if j else 0)) for j in range(len(reach))]
            return math.log2(len(shapes)), _entropy(groups)
        low = sum(float(found[length].K[-1]) + math.log2(n) for length, n in shapes.items())
        high = 0.0
        for length, n in shapes.items():
            parts = found[length]
            if n <= parts.total:
                high += parts.top(n)
            else:
                q, r = divmod(n, parts.total)
                high += parts.top(parts.total) + r * math.log2(q + 1) + (parts.total - r) * math.log2(q)
        return low, high

    def _one(self, X: object, measure: str, normalized: bool) -> float:
        value, na, imputed = self.score(self._text(X), measure, normalized)
        if na is not None:
            raise CTMError(f"{show(one(X, ndim=self.ndim))}: {na}")
        _warn_imputed({show(one(X, ndim=self.ndim)): imputed}, self.tab, stacklevel=4)
        return value

    def bdm(self, X: object, normalized: bool = False) -> float:
        """Sum over distinct blocks of K(block) + log2(multiplicity) (pybdm BDM.bdm)."""
        return self._one(X, "bdm", normalized)

    def nbdm(self, X: object) -> float:
        """(BDM - min) / (max - min) over strings of the same block shapes (pybdm BDM.nbdm),
        the maximum over the values BDM uses (imputed ones included), so at most 1."""
        return self._one(X, "bdm", True)

    def ent(self, X: object, normalized: bool = False) -> float:
        """Block entropy: Shannon entropy (bits) of the distinct blocks' frequencies (pybdm BDM.ent).

        A string with no block is an error here, where pybdm returns 0.
        """
        return self._one(X, "ent", normalized)

    def nent(self, X: object) -> float:
        """(ent - min) / (max - min), with pybdm's bounds (pybdm BDM.nent)."""
        return self._one(X, "ent", True)


@lru_cache(maxsize=8)
def table_parts(tab: Table) -> Mapping:
    """Length (or 2-D shape) -> the table's normalised strings (matrices) of it: pybdm's
    CTM dataset, reliable rows only (pipeline.reliable). A sampled table's row is a
    pattern and stands for its |P| strings. A table read through its lookup index reads
    each shape's rows when first asked for it (``Table.of_shape``)."""
    if tab.lookups is not None:
        return _ShapeParts(tab)
    return _parts_of(tab, tab.strings, tab.columns)


def _parts_of(tab: Table, strings: list[str], columns: dict[str, np.ndarray]) -> dict:
    """``table_parts`` of some of the table's rows (all of them, or one shape's), given
    in table order: ``strings`` and their value ``columns``."""
    reliable = reliable_values(columns, len(strings))
    if tab.sampled:
        rows = [i for i in range(len(strings)) if reliable[i]]
    else:
        normal = normalize_one if tab.dims == 1 else normalize_matrix
        rows = [i for i, s in enumerate(strings) if reliable[i] and normal(s) == s]
    K = columns["K"][rows]
    high = columns["K_high"][rows] if "K_high" in columns else None
    if tab.dims == 1:
        shapes = [len(strings[i]) for i in rows]
    else:
        shapes = [(strings[i].count("-") + 1, len(strings[i].split("-", 1)[0])) for i in rows]
    if tab.sampled:
        multiplicity = columns["size"][rows].astype(np.int64)
    else:
        perms = np.array([math.perm(tab.symbols, k) for k in range(tab.symbols + 1)], dtype=np.int64)
        distinct = np.array([len(set(strings[i]) - {"-"}) for i in rows], dtype=np.int64)
        multiplicity = perms[distinct]
    by_shape: dict = {}
    for j, shape in enumerate(shapes):
        by_shape.setdefault(shape, []).append(j)
    out = {}
    for shape, members in by_shape.items():
        members = np.asarray(members)
        order = members[np.argsort(-K[members], kind="stable")]
        cells = shape if tab.dims == 1 else shape[0] * shape[1]
        every = tab.symbols**cells
        missing = max(every - int(multiplicity[order].sum()), 0)
        out[shape] = Parts(K[order], multiplicity[order], missing, None if high is None else high[order])
    return out


class _ShapeParts(Mapping):
    """``table_parts`` of a table read through its lookup index: a shape's parts are read
    (its row groups only) when first asked for, and kept."""

    def __init__(self, tab: Table):
        self.tab = tab
        self.found: dict = {}
        self.shapes = [s[0] if tab.dims == 1 else s for s in tab.lookups.shapes()]

    def __getitem__(self, shape) -> Parts:
        if shape not in self.found:
            if shape not in self.shapes:
                raise KeyError(shape)
            strings, columns = self.tab.of_shape((shape,) if self.tab.dims == 1 else shape)
            self.found[shape] = _parts_of(self.tab, strings, columns).get(shape)
        if self.found[shape] is None:  # rows, but none reliable and normalised
            raise KeyError(shape)
        return self.found[shape]

    def __iter__(self):
        return (shape for shape in self.shapes if shape in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _entropy(groups) -> float:
    """Entropy (bits) of counts given as (count, how many entries have it) pairs."""
    groups = [(n, times) for n, times in groups if n and times]
    total = sum(n * times for n, times in groups)
    return -sum(times * n / total * math.log2(n / total) for n, times in groups) + 0.0


def _warn_imputed(imputed: dict[str, list[str]], tab: Table, stacklevel: int) -> None:
    hit = {label: blocks for label, blocks in imputed.items() if blocks}
    if hit:
        label, blocks = next(iter(hit.items()))
        warnings.warn(
            f"{len(hit)} of {len(imputed)} strings have blocks not produced by table {tab.label}, "
            f"e.g. {show(blocks[0])} of {label}; each scores 1 + the largest K of its length (pybdm's rule)",
            MissingBlockWarning,
            stacklevel=stacklevel,
        )


def _batch(strings: object, measure: str, normalized: bool, errors: str, options: dict) -> pd.Series:
    check_errors(errors)
    if "ndim" not in options:
        options = dict(options, ndim=auto_ndim(strings, None))
    scorer = BDM(**options)
    entries = items(strings, ndim=scorer.ndim)
    checked = [scorer.checked(entry.text) if entry.na is None else entry.na for entry in entries]
    if measure == "bdm":  # every block of the batch in one lookup
        scorer.prefetch([c for c in checked if not isinstance(c, NA)])
    values, reasons, imputed, se, share, low, high = [], [], {}, [], [], [], []
    for entry, text in zip(entries, checked):
        if isinstance(text, NA):
            found = Score(math.nan, text, [], math.nan, math.nan)
        else:
            found = scorer.details(text, measure, normalized)
            imputed[show(entry.label)] = found.imputed
        values.append(found.value)
        reasons.append(found.na)
        se.append(math.nan if found.na else found.se)
        share.append(math.nan if found.na else found.imputed_share)
        low.append(found.interval[0] if found.interval and not found.na else math.nan)
        high.append(found.interval[1] if found.interval and not found.na else math.nan)
    _warn_imputed(imputed, scorer.tab, stacklevel=4)
    out = series(entries, values, reasons, errors, stacklevel=5)
    if measure == "bdm":
        out.attrs["se_bound"] = se
        out.attrs["imputed_share"] = share
        if scorer.tab.exact_upto is not None and not normalized:
            out.attrs["BDM_low"], out.attrs["BDM_high"] = low, high
    out.attrs["table"] = scorer.tab.label
    out.attrs["block"] = scorer.block
    return out


def bdm(strings: object, normalized: bool = False, *, errors: str = "warn", **options) -> pd.Series:
    """BDM (or normalised BDM) of each input, as a float Series, one value per input in
    input order (indexed as pipeline.batch.index says: a pandas Series' own index, else
    the inputs). Definitions: pybdm 0.1's BDM.bdm and BDM.nbdm (class ``BDM``).

    Parameters
    ----------
    strings : str, sequence, pandas Series or numpy array
        The inputs: strings or lists of symbols (None or NaN: a missing value); with
        ``ndim=2`` matrices (2-D integer arrays, or rows joined by ``-``).
    normalized : bool
        Normalised BDM, in [0, 1], instead of BDM in bits.
    errors : {"warn", "raise", "ignore"}
        What to do with inputs that get an NA: warn once (NAWarning), raise CTMError at
        the first, or neither.
    **options
        The fields of ``BDM``: block, strategy, shift, min_length, missing, alphabet,
        table, version, data_dir, ndim (default: 2 for one 2-D numpy array, else 1),
        allow_partial.

    Returns
    -------
    pandas.Series
        The values in bits (or normalised), NaN for an NA. ``attrs["se_bound"]`` holds
        each value's upper bound on its standard error (the sum of its distinct blocks'
        K_se on a sampled table, 0 on an exact one; ``Score.se``),
        ``attrs["imputed_share"]`` the share of each value that comes from imputed blocks
        (never produced, or too uncertain: pipeline.reliable); both NaN for an NA.
        ``attrs["table"]`` and ``attrs["block"]`` name the table and block used. On an
        exact_upto table (unnormalised BDM only), ``attrs["BDM_low"]`` and
        ``attrs["BDM_high"]`` hold each value's interval (the module's docstring; NaN for
        an NA): the values themselves are BDM_low.

    Raises
    ------
    CTMError
        A bad option (as ``BDM``) or ``errors``, or with ``errors="raise"`` the first
        input with an NA.
    TypeError
        An option that is not a field of ``BDM``.
    """
    return _batch(strings, "bdm", normalized, errors, options)


def nbdm(strings: object, *, errors: str = "warn", **options) -> pd.Series:
    """Normalised BDM of each input, in [0, 1] (pybdm BDM.nbdm); as ``bdm(strings, True)``.

    Parameters
    ----------
    strings : str, sequence, pandas Series or numpy array
        The inputs, as for ``bdm``.
    errors : {"warn", "raise", "ignore"}
        What to do with inputs that get an NA, as for ``bdm``.
    **options
        The fields of ``BDM``, as for ``bdm``.

    Returns
    -------
    pandas.Series
        One float per input (NaN for an NA), with the attrs of ``bdm``.

    Raises
    ------
    CTMError
        As ``bdm``.
    """
    return _batch(strings, "bdm", True, errors, options)


def ent(strings: object, normalized: bool = False, *, errors: str = "warn", **options) -> pd.Series:
    """Block entropy of each input (pybdm BDM.ent): the Shannon entropy, in bits, of the
    frequencies of its distinct blocks; normalised (pybdm BDM.nent) with ``normalized``.

    Parameters
    ----------
    strings : str, sequence, pandas Series or numpy array
        The inputs, as for ``bdm``.
    normalized : bool
        Normalised block entropy, in [0, 1], with pybdm's bounds.
    errors : {"warn", "raise", "ignore"}
        What to do with inputs that get an NA (an input with no block among them), as
        for ``bdm``.
    **options
        The fields of ``BDM``, as for ``bdm``.

    Returns
    -------
    pandas.Series
        One float per input (NaN for an NA); ``attrs["table"]`` and ``attrs["block"]``
        name the table and block used.

    Raises
    ------
    CTMError
        As ``bdm``.
    """
    return _batch(strings, "ent", normalized, errors, options)


def nent(strings: object, *, errors: str = "warn", **options) -> pd.Series:
    """Normalised block entropy of each input (pybdm BDM.nent); as ``ent(strings, True)``.

    Parameters
    ----------
    strings : str, sequence, pandas Series or numpy array
        The inputs, as for ``bdm``.
    errors : {"warn", "raise", "ignore"}
        What to do with inputs that get an NA, as for ``bdm``.
    **options
        The fields of ``BDM``, as for ``bdm``.

    Returns
    -------
    pandas.Series
        One float per input in [0, 1] (NaN for an NA), with the attrs of ``ent``.

    Raises
    ------
    CTMError
        As ``bdm``.
    """
    return _batch(strings, "ent", True, errors, options)
