"""Blocks of an integer array as integer codes, and the table's K of every code, vectorised.

``pipeline.bdm`` cuts text and looks blocks up one at a time; perturbation analysis
(``pipeline.perturb``) needs the same blocks of arrays of a million cells, so here a
partition is a list of block origins per block side, a block is the integer whose
base-``alphabet`` digits are its cells read row-major (most significant first), and K
comes from the table for many codes at once. The cut is bdm.py's (pybdm's): ``ignore``
keeps full blocks, ``recursive`` cuts leftovers again into squares of their shorter side
(a 1-D tail: one block of its own length) when that is at least ``min_length``,
``correlated`` takes every full window ``shift`` apart. A block's K is the table's K of
its normalised form (its pattern's, in a sampled table), or 1 + the largest K of its
shape when the table never produced it (pybdm's rule; NaN under ``missing="error"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pipeline.bdm import BDM, table_parts
from pipeline.errors import CTMError
from pipeline.query import Table
from pipeline.reliable import reliable_mask

DENSE = 1 << 20
"""Code spaces up to this size keep counts and K in dense arrays indexed by code."""


@dataclass(frozen=True)
class Group:
    """Blocks of one side: ``side`` symbols (1-D) or side x side cells (2-D), at ``origins``."""

    side: int
    origins: np.ndarray
    """(blocks, ndim) int64: each block's first cell."""
    offset: int
    """Codes of this side are offset + the block's digits read as a number."""


def cut(shape: tuple[int, ...], scorer: BDM) -> list[Group]:
    """The blocks of an array of ``shape`` under the scorer's partition, by side."""
    k, strategy = scorer.block, scorer.strategy
    pieces: dict[int, list] = {}
    if len(shape) == 1:
        (n,) = shape
        if strategy == "correlated":
            pieces[k] = [np.arange(0, max(n - k + 1, 0), scorer.shift)[:, None]]
        else:
            full = n // k
            pieces[k] = [(np.arange(full) * k)[:, None]]
            tail = n - full * k
            if strategy == "recursive" and tail >= scorer.min_length:
                pieces.setdefault(tail, []).append(np.array([[full * k]]))
    else:
        h, w = shape
        if strategy == "correlated":
            rows, cols = np.arange(0, max(h - k + 1, 0), scorer.shift), np.arange(0, max(w - k + 1, 0), scorer.shift)
            pieces[k] = [np.stack(np.meshgrid(rows, cols, indexing="ij"), -1).reshape(-1, 2)]
        else:
            rows, cols = np.arange(0, h - h % k, k), np.arange(0, w - w % k, k)
            pieces[k] = [np.stack(np.meshgrid(rows, cols, indexing="ij"), -1).reshape(-1, 2)]
            if strategy == "recursive":
                # the leftover strips at the right and bottom edges, cut as bdm._cut_matrix cuts them
                edges = [(r, w - w % k, k, w % k) for r in rows] + [(h - h % k, c, h % k, k) for c in cols]
                edges.append((h - h % k, w - w % k, h % k, w % k))
                for r0, c0, ph, pw in edges:
                    _recut(r0, c0, ph, pw, scorer.min_length, pieces)
    space = 0
    groups = []
    for side in sorted(pieces):
        origins = np.concatenate(pieces[side]).astype(np.int64).reshape(-1, len(shape))
        groups.append(Group(side, origins, space))
        space += scorer.tab.symbols ** (side ** len(shape))
    if space >= 1 << 62:
        raise CTMError(
            f"blocks of {scorer.block} symbols per side over {scorer.tab.symbols} symbols are too many to number (over 2^62); use a smaller block"
        )
    return groups


def _recut(r0: int, c0: int, h: int, w: int, min_length: int, pieces: dict) -> None:
    """A leftover h x w piece cut into squares of its shorter side, recursively."""
    size = min(h, w)
    if size == 0 or size < min_length:
        return
    for r in range(0, h, size):
        for c in range(0, w, size):
            ph, pw = min(size, h - r), min(size, w - c)
            if ph == pw == size:
                pieces.setdefault(size, []).append(np.array([[r0 + r, c0 + c]]))
            else:
                _recut(r0 + r, c0 + c, ph, pw, min_length, pieces)


def space_of(groups: list[Group], alphabet: int, ndim: int) -> int:
    """Number of codes of these groups' sides together."""
    last = groups[-1]
    return last.offset + alphabet ** (last.side**ndim)


def weights(side: int, ndim: int, alphabet: int) -> np.ndarray:
    """Place value of each cell of a block, row-major, the first cell most significant."""
    cells = side**ndim
    return (alphabet ** np.arange(cells - 1, -1, -1, dtype=np.int64)).reshape((side,) * ndim)


def codes(X: np.ndarray, groups: list[Group], alphabet: int) -> np.ndarray:
    """The code of every block, groups in order: (blocks,) int64."""
    out = []
    for g in groups:
        code = np.zeros(len(g.origins), dtype=np.int64)
        for offset in np.ndindex(*(g.side,) * X.ndim):
            cells = tuple(g.origins[:, d] + offset[d] for d in range(X.ndim))
            code = code * alphabet + X[cells]
        out.append(code + g.offset)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def digits(local: np.ndarray, cells: int, alphabet: int) -> np.ndarray:
    """(codes, cells) digits of codes in [0, alphabet**cells), most significant first."""
    out = np.empty((len(local), cells), dtype=np.int64)
    rest = local.copy()
    for j in range(cells - 1, -1, -1):
        rest, out[:, j] = np.divmod(rest, alphabet)
    return out


def normalize(D: np.ndarray, alphabet: int) -> np.ndarray:
    """Rows of digits with symbols renamed 0, 1, ... in order of first appearance."""
    n, cells = D.shape
    first = np.full((n, alphabet), cells, dtype=np.int64)
    for s in range(alphabet):
        hit = D == s
        first[:, s] = np.where(hit.any(axis=1), hit.argmax(axis=1), cells)
    rank = np.argsort(np.argsort(first, axis=1, kind="stable"), axis=1, kind="stable")
    return np.take_along_axis(rank, D, axis=1)


def number(D: np.ndarray, alphabet: int) -> np.ndarray:
    """Rows of digits back to codes."""
    code = np.zeros(len(D), dtype=np.int64)
    for j in range(D.shape[1]):
        code = code * alphabet + D[:, j]
    return code


def pattern_codes(D: np.ndarray, side: int, ndim: int, alphabet: int, sampled: bool) -> np.ndarray:
    """The code of each block's row key: its normalised form, or in a sampled table its
    pattern's key (the smallest normalised form under reversal, or the grid's 8 symmetries)."""
    base = number(normalize(D, alphabet), alphabet)
    if not sampled:
        return base
    if ndim == 1:
        images = [D[:, ::-1]]
    else:
        sq = D.reshape(-1, side, side)
        images = [np.rot90(sq, t, axes=(1, 2)) for t in (1, 2, 3)]
        flipped = sq[:, :, ::-1]
        images += [np.rot90(flipped, t, axes=(1, 2)) for t in (0, 1, 2, 3)]
        images = [m.reshape(len(D), -1) for m in images]
    for image in images:
        base = np.minimum(base, number(normalize(np.ascontiguousarray(image), alphabet), alphabet))
    return base


@lru_cache(maxsize=32)
def table_side(tab: Table, side: int, ndim: int) -> tuple[np.ndarray, np.ndarray]:
    """(sorted codes, rows) of the table's reliable rows (pipeline.reliable) that are blocks
    of this side: as in BDM, a sampled table's row too uncertain to answer with counts as
    a block the table never produced, and is imputed."""
    reliable = reliable_mask(tab)
    if ndim == 1:
        rows = [i for i, s in enumerate(tab.strings) if len(s) == side and reliable[i]]
        texts = [tab.strings[i] for i in rows]
    else:
        rows = [
            i
            for i, s in enumerate(tab.strings)
            if len(s) == side * side + side - 1 and s.count("-") == side - 1 and reliable[i]
        ]
        texts = [tab.strings[i].replace("-", "") for i in rows]
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    raw = np.frombuffer("".join(texts).encode(), dtype=np.uint8).reshape(len(rows), -1).astype(np.int64) - 48
    found = number(raw, tab.symbols)
    order = np.argsort(found, kind="stable")
    return found[order], np.asarray(rows, dtype=np.int64)[order]


class Lookup:
    """The table's K (and its standard error, 0 for an exact table) of block codes; the
    row of each code's pattern (-1 where imputed). Dense over small code spaces."""

    def __init__(self, scorer: BDM, groups: list[Group], ndim: int):
        self.tab, self.ndim, self.missing = scorer.tab, ndim, scorer.missing
        self.alphabet = scorer.tab.symbols
        self.groups = groups
        self.space = space_of(groups, self.alphabet, ndim)
        se = self.tab.columns.get("K_se")
        self.se = None if se is None else np.nan_to_num(np.asarray(se, dtype=float))
        parts = table_parts(self.tab)
        self.impute = {}
        for g in groups:
            key = g.side if ndim == 1 else (g.side, g.side)
            self.impute[g.side] = float(parts[key].K[0]) + 1.0 if key in parts else np.nan
        self._dense = None
        if self.space <= DENSE:
            self._dense = self._compute(np.arange(self.space, dtype=np.int64))
        self._keys = np.zeros(0, dtype=np.int64)
        self._cached = (np.zeros(0), np.zeros(0, dtype=np.int64))

    def _compute(self, code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        K = np.full(len(code), np.nan)
        row = np.full(len(code), -1, dtype=np.int64)
        for g in self.groups:
            top = g.offset + self.alphabet ** (g.side**self.ndim)
            here = np.flatnonzero((code >= g.offset) & (code < top))
            if not len(here):
                continue
            D = digits(code[here] - g.offset, g.side**self.ndim, self.alphabet)
            keys = pattern_codes(D, g.side, self.ndim, self.alphabet, self.tab.sampled)
            known, rows = table_side(self.tab, g.side, self.ndim)
            at = np.minimum(np.searchsorted(known, keys), max(len(known) - 1, 0))
            hit = (known[at] == keys) if len(known) else np.zeros(len(keys), dtype=bool)
            row[here[hit]] = rows[at[hit]]
            K[here[hit]] = self.tab.K[rows[at[hit]]]
            K[here[~hit]] = np.nan if self.missing == "error" else self.impute[g.side]
        return K, row

    def __call__(self, code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(K, row) of each code (row -1: not produced, K imputed or NaN)."""
        if self._dense is not None:
            return self._dense[0][code], self._dense[1][code]
        new = np.setdiff1d(code, self._keys)
        if len(new):
            K, row = self._compute(new)
            keys = np.concatenate([self._keys, new])
            order = np.argsort(keys, kind="stable")
            self._keys = keys[order]
            self._cached = (np.concatenate([self._cached[0], K])[order], np.concatenate([self._cached[1], row])[order])
        at = np.searchsorted(self._keys, code)
        return self._cached[0][at], self._cached[1][at]

    def se_of(self, row: np.ndarray) -> np.ndarray:
        """Standard error of K at table rows (0 for an exact table and for imputed blocks)."""
        if self.se is None:
            return np.zeros(len(row))
        return np.where(row >= 0, self.se[np.maximum(row, 0)], 0.0)


class Counts:
    """How many blocks have each code; dense over small code spaces, else sorted keys."""

    def __init__(self, code: np.ndarray, space: int):
        self.dense = space <= DENSE
        if self.dense:
            self.n = np.bincount(code, minlength=space).astype(np.int64)
        else:
            self.keys, self.n = np.unique(code, return_counts=True)

    def get(self, code: np.ndarray) -> np.ndarray:
        """How many blocks have each of ``code`` (int64, shape of ``code``; 0 for codes never seen)."""
        if self.dense:
            return self.n[code]
        at = np.minimum(np.searchsorted(self.keys, code), max(len(self.keys) - 1, 0))
        return np.where(self.keys[at] == code, self.n[at], 0) if len(self.keys) else np.zeros(len(code), dtype=np.int64)

    def add(self, code: np.ndarray, change: np.ndarray) -> None:
        """Add ``change`` (may be negative) to the counts of ``code``, repeats adding up."""
        if self.dense:
            np.add.at(self.n, code, change)
            return
        new = np.setdiff1d(code, self.keys)
        if len(new):
            at = np.searchsorted(self.keys, new)
            self.keys, self.n = np.insert(self.keys, at, new), np.insert(self.n, at, 0)
        np.add.at(self.n, np.searchsorted(self.keys, code), change)

    def present(self) -> tuple[np.ndarray, np.ndarray]:
        """(codes, counts) of the codes present."""
        if self.dense:
            code = np.flatnonzero(self.n)
            return code, self.n[code]
        keep = self.n > 0
        return self.keys[keep], self.n[keep]
