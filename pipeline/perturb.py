"""Perturbation analysis (algorithmic information dynamics) with BDM, exact and vectorised.

Change one element of an object (or a few together: an undirected edge is two cells) and
measure how its BDM, or its block entropy, moves: delta = C(X') - C(X), pybdm's sign and
its ``PerturbationExperiment`` call pattern (pybdm 0.1, pybdm/algorithms.py). BDM is a
sum over the distinct blocks b of K(b) + log2(n_b), so a change moves only the counts of
the few blocks that cover the changed cells: with n_c blocks of code c before and
n_c + d_c after, delta = sum over the codes touched of f(n_c + d_c) - f(n_c), where
f(0) = 0 and f(n) = K(c) + log2(n). Every code is grouped with its repeats among the
blocks a change touches, so windows that overlap (correlated) or coincide are counted
once each, and the delta equals BDM(X') - BDM(X) recomputed from scratch up to
rounding. pybdm's own update reads each touched block's count as if no other touched
block shared it, so it agrees only where that holds (see docs/perturbation.md).

Block entropy (``metric="ent"``): H = log2(N) - sum n_c log2(n_c) / N over N blocks, and
a change keeps N, so delta = -sum (h(n_c + d_c) - h(n_c)) / N with h(n) = n log2(n).
"""

from __future__ import annotations

import warnings

import numpy as np

from pipeline.bdm import BDM, MissingBlockWarning
from pipeline.blocks import Counts, Lookup, codes, cut, weights
from pipeline.errors import CTMError

METRICS = ("bdm", "ent")
CHUNK = 1 << 16
"""Changes evaluated together: keeps the working arrays in cache."""
BIG = np.iinfo(np.int64).max


def as_array(X: object, ndim: int, alphabet: int) -> np.ndarray:
    """X as an int64 array of ``ndim`` axes with symbols 0 .. alphabet - 1.

    Accepts an integer array or nested lists, a digit string ("0110") or matrix text
    ("010-101-010"). Raises CTMError naming the rule that X breaks.
    """
    if isinstance(X, str):
        rows = X.split("-")
        if ndim == 1 and len(rows) > 1:
            raise CTMError(f"X {X[:24]!r} is matrix text but the BDM is for strings (ndim=1): use a BDM with ndim=2")
        if len({len(r) for r in rows}) != 1 or not all(r.isdigit() for r in rows):
            raise CTMError(f"X {X[:24]!r} should be digits, rows of equal length joined by '-'")
        array = np.array([[int(c) for c in r] for r in rows], dtype=np.int64)
        array = array[0] if ndim == 1 else array
    else:
        array = np.asarray(X)
        if array.dtype == bool:
            array = array.astype(np.int64)
        if not np.issubdtype(array.dtype, np.integer):
            raise CTMError(f"X should hold integers 0 .. {alphabet - 1}, got an array of {array.dtype}")
        array = array.astype(np.int64)
    if array.ndim != ndim:
        raise CTMError(
            f"X has {array.ndim} axes but the BDM is for {'strings (ndim=1)' if ndim == 1 else 'matrices (ndim=2)'}"
        )
    if array.size and (array.min() < 0 or array.max() >= alphabet):
        raise CTMError(
            f"X holds {int(array.min()) if array.min() < 0 else int(array.max())}: symbols should be 0 .. {alphabet - 1} "
            f"(the table's alphabet, as pybdm requires); rename them first"
        )
    return array


class PerturbationExperiment:
    """pybdm's PerturbationExperiment on this project's BDM: the change of BDM (or block
    entropy) when elements of X take new values, each computed exactly from the counts of
    the blocks it touches.

    Parameters
    ----------
    bdm : pipeline.bdm.BDM
        The configured BDM (table, block, partition); ``bdm.ndim`` axes of data.
    X : array_like or str, optional
        The data: integers 0 .. alphabet - 1 (the table's symbols), 1-D or 2-D as the
        BDM; also a digit string or matrix text ("010-101-010"). May be set later.
    metric : {"bdm", "ent"}
        BDM (bits) or block entropy (bits).

    Raises
    ------
    CTMError
        An unknown metric; X with symbols outside the alphabet, the wrong number of
        axes, no block, or (``missing="error"``) a block the table never produced.
    """

    def __init__(self, bdm: BDM, X: object = None, metric: str = "bdm"):
        if not isinstance(bdm, BDM):
            raise CTMError(f"bdm should be a pipeline.bdm.BDM, got {type(bdm).__name__}")
        if metric not in METRICS:
            raise CTMError(f"metric should be one of {', '.join(METRICS)}, got {metric!r}")
        self.bdm, self.metric = bdm, metric
        self.alphabet = bdm.tab.symbols
        self.X = None
        if X is not None:
            self.set_data(X)

    def __repr__(self) -> str:
        return f"<PerturbationExperiment(metric={self.metric}) with BDM(table={self.bdm.tab.label}, block={self.bdm.block}, strategy={self.bdm.strategy})>"

    @property
    def shape(self) -> tuple[int, ...]:
        return self.X.shape

    @property
    def size(self) -> int:
        return self.X.size

    @property
    def ndim(self) -> int:
        return self.X.ndim

    # -- state ---------------------------------------------------------------------

    def set_data(self, X: object) -> None:
        """Set (a copy of) the data to perturb; see the class for what X may be."""
        array = as_array(X, self.bdm.ndim, self.alphabet)
        self.groups = cut(array.shape, self.bdm)
        self._sizes = np.array([len(g.origins) for g in self.groups])
        if self._sizes.sum() == 0:
            raise CTMError(
                f"X of shape {array.shape} has no block under strategy {self.bdm.strategy!r} with block={self.bdm.block}"
            )
        self.X = array
        self.lookup = Lookup(self.bdm, self.groups, array.ndim)
        self.block_codes = codes(array, self.groups, self.alphabet)
        self.counts = Counts(self.block_codes, self.lookup.space)
        self.total = int(self._sizes.sum())
        self._cover = self._painted() if self.bdm.strategy != "correlated" else None
        present, n = self.counts.present()
        K, row = self.lookup(present)
        if self.bdm.missing == "error" and np.isnan(K).any():
            raise CTMError(
                f"X has a block the table {self.bdm.tab.label} never produced; use missing='impute' (pybdm's rule) or a smaller block"
            )
        if (row < 0).any():
            warnings.warn(
                f"X has {int((row < 0).sum())} distinct blocks not produced by table {self.bdm.tab.label}; "
                f"each scores 1 + the largest K of its shape (pybdm's rule)",
                MissingBlockWarning,
                stacklevel=3,
            )

    @property
    def value(self) -> float:
        """C(X): BDM or block entropy of the current data, from the block counts."""
        present, n = self.counts.present()
        if self.metric == "ent":
            p = n / self.total
            return float(-(p * np.log2(p)).sum()) + 0.0
        return float((self.lookup(present)[0] + np.log2(n)).sum())

    def _painted(self) -> tuple[np.ndarray, np.ndarray]:
        """Block id and place value of every cell (-1, 0 where no block covers it)."""
        block = np.full(self.X.size, -1, dtype=np.int64)
        place = np.zeros(self.X.size, dtype=np.int64)
        first = 0
        for g in self.groups:
            w = weights(g.side, self.X.ndim, self.alphabet)
            ids = np.arange(first, first + len(g.origins))
            for offset in np.ndindex(*w.shape):
                cells = tuple(g.origins[:, d] + offset[d] for d in range(self.X.ndim))
                flat = np.ravel_multi_index(cells, self.X.shape)
                block[flat], place[flat] = ids, w[offset]
            first += len(g.origins)
        return block, place

    def _covering(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(cells, slots) block ids (-1: none) and place values of the blocks covering cells."""
        if self._cover is not None:
            return self._cover[0][flat][:, None], self._cover[1][flat][:, None]
        (g,) = self.groups
        k, s, nd = g.side, self.bdm.shift, self.X.ndim
        pos = np.unravel_index(flat, self.X.shape)
        index = np.zeros((len(flat),) + (1,) * nd, dtype=np.int64)
        ok = np.ones_like(index, dtype=bool)
        for d in range(nd):
            starts = (self.X.shape[d] - k) // s + 1 if self.X.shape[d] >= k else 0
            origin = pos[d][:, None] - np.arange(k)[None, :]  # (cells, k): the window starting t before
            good = (origin >= 0) & (origin % s == 0) & (origin // s < starts)
            shape = [len(flat)] + [1] * nd
            shape[d + 1] = k
            index = index * starts + (origin // s).reshape(shape)
            ok = ok & good.reshape(shape)
        blocks = np.where(ok, index, -1).reshape(len(flat), -1)
        place = np.where(blocks >= 0, weights(k, nd, self.alphabet).ravel()[None, :], 0)
        return blocks, place

    # -- deltas ----------------------------------------------------------------------

    def new_values(self, old: np.ndarray, value: np.ndarray) -> np.ndarray:
        """The values cells take: ``value``, or the flip of ``old`` where ``value`` is
        negative (binary tables only). Raises CTMError for -1 over more than two symbols
        or a value outside the table's alphabet."""
        value = np.asarray(value, dtype=np.int64)
        flip = value < 0
        if flip.any():
            if self.alphabet > 2:
                raise CTMError(
                    f"value=-1 (pybdm's random other symbol) is not allowed over {self.alphabet} symbols: "
                    f"give each new value 0 .. {self.alphabet - 1} explicitly"
                )
            value = np.where(flip, 1 - old, value)
        if (value >= self.alphabet).any():
            raise CTMError(
                f"new value {int(value.max())} is not a symbol of table {self.bdm.tab.label} (0 .. {self.alphabet - 1})"
            )
        return value

    def _flat(self, idx: object) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.int64).reshape(-1, self.X.ndim)
        for d, n in enumerate(self.X.shape):
            bad = (idx[:, d] < 0) | (idx[:, d] >= n)
            if bad.any():
                raise CTMError(f"index {tuple(int(v) for v in idx[bad][0])} is outside X of shape {self.X.shape}")
        return np.ravel_multi_index(tuple(idx.T), self.X.shape)

    def deltas(self, change: np.ndarray, flat: np.ndarray, value: np.ndarray, with_se: bool = False):
        """Deltas of many changes at once, each a set of cells given new values.

        Parameters
        ----------
        change : (entries,) int
            Which change each entry belongs to, 0 .. changes - 1 (sorted or not).
        flat, value : (entries,) int
            Flat index (row-major) of a cell and its new value (0 .. alphabet - 1).
        with_se : bool
            Also return each delta's standard error from the table's K_se.

        Returns
        -------
        delta : (changes,) float
            C(X') - C(X); NaN where X' has a block the table never produced under
            ``missing="error"``.
        se : (changes,) float, only with ``with_se``
            sqrt(sum over the patterns whose K enters the delta of (net times) x K_se)^2),
            the patterns' errors taken as independent; 0 for exact tables.
        """
        changes = int(change.max()) + 1 if len(change) else 0
        single = len(change) == changes and bool((change == np.arange(changes)).all())
        if not single:
            O, N = self._grouped(change, changes, flat, value)
        slots = O.shape[1] if not single else (1 if self._cover is not None else self.bdm.block**self.X.ndim)
        delta, se, imputed = np.zeros(changes), np.zeros(changes), 0
        step = max(1, CHUNK // slots)
        for lo in range(0, changes, step):
            hi = min(lo + step, changes)
            part = self._single(flat[lo:hi], value[lo:hi]) if single else (O[lo:hi], N[lo:hi])
            delta[lo:hi], se[lo:hi], hit = self._evaluate(*part, with_se)
            imputed += hit
        if imputed and self.metric == "bdm" and self.bdm.missing == "impute":
            warnings.warn(
                f"{imputed} changes bring in blocks not produced by table {self.bdm.tab.label}; "
                f"each scores 1 + the largest K of its shape (pybdm's rule)",
                MissingBlockWarning,
                stacklevel=3,
            )
        return (delta, se) if with_se else delta

    def _single(self, flat: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(changes, slots) codes before and after of the blocks one cell each touches."""
        blocks, place = self._covering(flat)
        O = np.where(blocks >= 0, self.block_codes[np.maximum(blocks, 0)], -1)
        N = np.where(blocks >= 0, O + (value - self.X.ravel()[flat])[:, None] * place, -1)
        same = N == O
        return np.where(same, -1, O), np.where(same, -1, N)

    def _grouped(
        self, change: np.ndarray, changes: int, flat: np.ndarray, value: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """As ``_single`` for changes of several cells: cells of a change in one block add up."""
        blocks, place = self._covering(flat)
        m = blocks.shape[1]
        rows = np.repeat(change, m)
        bl, dd = blocks.ravel(), ((value - self.X.ravel()[flat])[:, None] * place).ravel()
        keep = (bl >= 0) & (dd != 0)
        rows, bl, dd = rows[keep], bl[keep], dd[keep]
        key = rows * (self.total + 1) + bl
        order = np.argsort(key, kind="stable")
        key, rows, bl, dd = key[order], rows[order], bl[order], dd[order]
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        starts = np.flatnonzero(first)
        if len(starts) < len(key):
            dd = np.add.reduceat(dd, starts)
            rows, bl = rows[starts], bl[starts]
        count = np.bincount(rows, minlength=changes)
        slots = max(int(count.max()) if len(count) else 0, 1)
        begin = np.concatenate([[0], np.cumsum(count)[:-1]])
        rank = np.arange(len(rows)) - begin[rows]
        O = np.full((changes, slots), -1, dtype=np.int64)
        N = np.full_like(O, -1)
        O[rows, rank] = self.block_codes[bl]
        N[rows, rank] = self.block_codes[bl] + dd
        return O, N

    def _evaluate(self, O: np.ndarray, N: np.ndarray, with_se: bool):
        """(deltas, SEs, changes bringing in imputed blocks) of one chunk of (changes, slots)."""
        p, m = O.shape
        C = np.concatenate([np.where(O >= 0, O * 2, BIG), np.where(N >= 0, N * 2 + 1, BIG)], axis=1)
        C.sort(axis=1)
        flat = C.ravel()
        code = flat >> 1
        end = np.ones(flat.size, dtype=bool)
        end[:-1] = code[:-1] != code[1:]
        end.reshape(p, 2 * m)[:, -1] = True  # a run never crosses rows
        w = np.where(flat != BIG, 2 * (flat & 1) - 1, 0)
        at = np.flatnonzero(end)
        d = np.diff(np.cumsum(w)[at], prepend=0)  # net change of each run's code
        keep = d != 0
        at, d = at[keep], d[keep]
        row, code = at // (2 * m), code[at]
        n = self.counts.get(code)
        after = n + d
        if self.metric == "ent":
            h = np.where(after > 0, after * np.log2(np.maximum(after, 1)), 0.0) - np.where(
                n > 0, n * np.log2(np.maximum(n, 1)), 0.0
            )
            return -np.bincount(row, weights=h, minlength=p) / self.total + 0.0, np.zeros(p), 0
        sign = (after > 0).astype(np.int64) - (n > 0)
        term = np.where(after > 0, np.log2(np.maximum(after, 1)), 0.0) - np.where(n > 0, np.log2(np.maximum(n, 1)), 0.0)
        enters = np.flatnonzero(sign)
        K, pattern = self.lookup(code[enters])
        term[enters] += sign[enters] * K
        delta = np.bincount(row, weights=term, minlength=p) + 0.0
        imputed = len(np.unique(row[enters][(pattern < 0) & (sign[enters] > 0)]))
        se = np.zeros(p)
        if with_se and self.lookup.se is not None:
            # net coefficient of each pattern's K in a change, then distinct patterns' errors in quadrature
            known = pattern >= 0
            r, pat, coef = row[enters][known], pattern[known], sign[enters][known]
            key = r * (len(self.lookup.se) + 1) + pat
            order = np.argsort(key, kind="stable")
            key, r, pat, coef = key[order], r[order], pat[order], coef[order]
            first = (
                np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
                if len(key)
                else np.zeros(0, dtype=np.int64)
            )
            net = np.add.reduceat(coef, first) if len(first) else np.zeros(0)
            se = np.sqrt(np.bincount(r[first], weights=(net * self.lookup.se_of(pat[first])) ** 2, minlength=p))
        return delta, se, imputed

    def moved(self, removed: np.ndarray, added: np.ndarray) -> float:
        """Sum over codes of f(n_c + d_c) - f(n_c) when the blocks of codes ``removed`` go
        and blocks of codes ``added`` come (d_c: added minus removed of code c), with f
        as for the metric: K(c) + log2(n) for bdm, n log2(n) for ent (0 at n = 0)."""
        C = np.sort(np.concatenate([removed * 2, added * 2 + 1]))
        code = C >> 1
        end = np.ones(C.size, dtype=bool)
        end[:-1] = code[:-1] != code[1:]
        at = np.flatnonzero(end)
        d = np.diff(np.cumsum(2 * (C & 1) - 1)[at], prepend=0)
        keep = d != 0
        code, d = code[at][keep], d[keep]
        n = self.counts.get(code)
        after = n + d
        if self.metric == "ent":
            return float(
                (
                    np.where(after > 0, after * np.log2(np.maximum(after, 1)), 0.0)
                    - np.where(n > 0, n * np.log2(np.maximum(n, 1)), 0.0)
                ).sum()
            )
        sign = (after > 0).astype(np.int64) - (n > 0)
        term = np.where(after > 0, np.log2(np.maximum(after, 1)), 0.0) - np.where(n > 0, np.log2(np.maximum(n, 1)), 0.0)
        return float((term + np.where(sign != 0, sign * self.lookup(np.where(sign != 0, code, 0))[0], 0.0)).sum())

    # -- pybdm's interface -----------------------------------------------------------

    def perturb(self, idx: object, value: int = -1, keep_changes: bool = False) -> float:
        """Change one element and return C(X') - C(X) (pybdm's PerturbationExperiment.perturb).

        Parameters
        ----------
        idx : tuple of int
            The element's index, one int per axis of X.
        value : int
            The new value; -1 flips a binary element (0 <-> 1). Over more than two
            symbols it must be given (pybdm would pick another symbol at random).
        keep_changes : bool
            Keep X' as the new data, so the next change starts from it.

        Raises
        ------
        CTMError
            An index outside X, a value outside the alphabet, or value=-1 over more
            than two symbols.
        """
        return float(self.run(np.asarray(idx).reshape(1, -1), np.array([value]), keep_changes)[0])

    def run(self, idx: object = None, values: object = None, keep_changes: bool = False) -> np.ndarray:
        """Change each element of ``idx`` in turn and return the deltas (pybdm's ``run``).

        Parameters
        ----------
        idx : (changes, ndim) int array, optional
            Elements to change, one index per row; None for every element, row-major.
        values : (changes,) int array, optional
            New values; -1 (the default) flips binary elements.
        keep_changes : bool
            Apply the changes one after the other, each delta measured from the data
            the previous ones left (pybdm's meaning); otherwise each from X.

        Returns
        -------
        (changes,) float ndarray
            C(X') - C(X) per change, 0 where the new value equals the old.
        """
        if self.X is None:
            raise CTMError("no data: pass X to PerturbationExperiment or call set_data(X) first")
        flat = np.arange(self.X.size) if idx is None else self._flat(idx)
        if values is None:
            values = np.full(len(flat), -1, dtype=np.int64)
        values = (
            np.broadcast_to(np.asarray(values, dtype=np.int64).ravel(), flat.shape)
            if np.size(values) == 1
            else np.asarray(values, dtype=np.int64).ravel()
        )
        if len(values) != len(flat):
            raise CTMError(f"values should have one entry per index ({len(flat)}), got {len(values)}")
        if not keep_changes:
            return self.deltas(np.arange(len(flat)), flat, self.new_values(self.X.ravel()[flat], values))
        out = np.empty(len(flat))
        for i, (cell, v) in enumerate(zip(flat, values)):
            cell, v = np.array([cell]), self.new_values(self.X.ravel()[[cell]], np.array([v]))
            out[i] = self.deltas(np.zeros(1, dtype=np.int64), cell, v)[0]
            self.apply(cell, v)
        return out

    def apply(self, flat: np.ndarray, value: np.ndarray) -> None:
        """Give cells (flat indices) new values in X and update the block counts."""
        old = self.X.ravel()[flat]
        blocks, place = self._covering(flat)
        dd = (value - old)[:, None] * place
        ok = (blocks >= 0) & (dd != 0)
        bl, dd = blocks[ok], dd[ok]
        if not len(bl):
            return
        uniq, inverse = np.unique(bl, return_inverse=True)
        step = np.bincount(inverse, weights=dd).astype(np.int64)
        before = self.block_codes[uniq]
        self.counts.add(before, -np.ones(len(uniq), dtype=np.int64))
        self.block_codes[uniq] = before + step
        self.counts.add(before + step, np.ones(len(uniq), dtype=np.int64))
        np.put(self.X, flat, value)
