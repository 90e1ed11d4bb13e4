"""Block Decomposition Method: the complexity of strings longer than a CTM table's outputs.

Definitions follow pybdm 0.1 (sztal/pybdm, pybdm/bdm.py and pybdm/partitions.py, after
Zenil et al. 2018, "A Decomposition Method for Global Evaluation of Shannon Entropy and
Local Estimations of Algorithmic Complexity"): cut the string into blocks, then
BDM = sum over distinct blocks of CTM(block) + log2(number of times it occurs),
where CTM(block) is the table's K of the block's normalised form. Strategies:

- ``ignore``: consecutive blocks of ``block`` symbols; a shorter tail is dropped.
- ``recursive``: as ``ignore``, but a tail of at least ``min_length`` symbols is kept as
  one block of its own length (pybdm's PartitionRecursive in one dimension; acss's
  ``bdm(delta=blocksize)`` keeps every tail, i.e. ``min_length=1``).
- ``correlated``: every full window of ``block`` symbols, ``shift`` apart (pybdm's
  PartitionCorrelated; acss's ``bdm(delta=shift)``).

A block the table never produced is handled by ``missing``: ``"impute"`` (pybdm's rule,
the default) gives it 1 + the largest K of the table's strings of its length and warns
with MissingBlockWarning; ``"error"`` refuses it with a CTMError naming the block.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from pipeline.errors import CTMError
from pipeline.query import Table, as_list, check_symbols, normalize_string, open_table, show

STRATEGIES = ("ignore", "recursive", "correlated")
MISSING = ("impute", "error")


class MissingBlockWarning(UserWarning):
    """Some blocks were not produced by the table and got pybdm's imputed value."""


def _positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CTMError(f"{name} should be a positive integer, got {value!r}")


@dataclass(frozen=True)
class BDM:
    """A configured BDM over one CTM table; ``bdm(s)`` and ``nbdm(s)`` score strings."""

    block: int = 12
    """Block length (pybdm uses 12 for 1-D binary data)."""
    strategy: str = "ignore"
    """How blocks are cut: ignore, recursive or correlated."""
    shift: int = 1
    """Distance between windows of the correlated strategy."""
    min_length: int = 2
    """Shortest tail the recursive strategy keeps as a block."""
    missing: str = "impute"
    """Policy for blocks the table never produced: impute (pybdm) or error."""
    alphabet: int | None = None
    """Symbols of the table; None means the named table's own, or 2 (d5x2-s500) without one."""
    table: str | None = None
    """Table name, e.g. d5x2-s500; None for the default of ``alphabet``."""
    version: int | None = None
    """Table version; None for the latest."""
    data_dir: str | Path | None = None
    """Data root looked in before the shipped tables (default: CTM_DATA_DIR or ./data)."""

    def __post_init__(self) -> None:
        for name in ("block", "shift", "min_length"):
            _positive(name, getattr(self, name))
        if self.strategy not in STRATEGIES:
            raise CTMError(f"strategy should be one of {', '.join(STRATEGIES)}, got {self.strategy!r}")
        if self.missing not in MISSING:
            raise CTMError(f"missing should be one of {', '.join(MISSING)}, got {self.missing!r}")
        if self.block > self.tab.max_length:
            raise CTMError(
                f"block should be at most {self.tab.max_length}, the longest output of "
                f"table {self.tab.label}, got {self.block}"
            )

    @cached_property
    def tab(self) -> Table:
        return open_table(self.table, self.version, alphabet=self.alphabet, data_dir=self.data_dir)

    def decompose(self, string: str) -> list[str]:
        """The blocks of ``string`` in order (symbols renamed as by normalize_string)."""
        check_symbols(self.tab, string)
        text, size = normalize_string(string), self.block
        if self.strategy == "correlated":
            return [text[i : i + size] for i in range(0, len(text) - size + 1, self.shift)]
        blocks = [text[i : i + size] for i in range(0, len(text), size)]
        if blocks and len(blocks[-1]) < size:
            keep = self.strategy == "recursive" and len(blocks[-1]) >= self.min_length
            blocks = blocks if keep else blocks[:-1]
        return blocks

    def _counted(self, string: str) -> Counter:
        blocks = self.decompose(string)
        if not blocks:
            raise CTMError(
                f"string {show(string)} of length {len(string)} has no block under strategy "
                f"{self.strategy!r} with block={self.block}; use a smaller block or strategy='recursive'"
            )
        return Counter(blocks)

    def ctm(self, block: str) -> float:
        """K of one block by its normalised form, or the ``missing`` policy's answer."""
        row = self.tab.index.get(normalize_string(block))
        if row is not None:
            return float(self.tab.K[row])
        if self.missing == "error":
            raise CTMError(
                f"block {show(block)} was not produced by table {self.tab.label}; "
                f"use missing='impute' (pybdm's rule) or a smaller block"
            )
        return self._present(len(block))[0] + 1.0

    @cached_property
    def _by_length(self) -> dict[int, np.ndarray]:
        """Length -> K of the table's strings of that length, largest first."""
        return {int(n): np.sort(self.tab.K[self.tab.lengths == n])[::-1] for n in np.unique(self.tab.lengths)}

    def _present(self, length: int) -> np.ndarray:
        """K of the table's strings of this length, largest first."""
        values = self._by_length.get(length, np.empty(0))
        if values.size == 0:
            raise CTMError(f"table {self.tab.label} has no string of length {length} to score blocks with")
        return values

    def bdm(self, string: str) -> float:
        """Sum over distinct blocks of K(block) + log2(multiplicity) (pybdm BDM.bdm)."""
        counted = self._counted(string)
        missing = [b for b in counted if normalize_string(b) not in self.tab.index]
        if missing and self.missing == "impute":
            warnings.warn(
                f"{len(missing)} blocks of {show(string)} were not produced by table "
                f"{self.tab.label}, e.g. {show(missing[0])}; each scores 1 + the largest K of its length",
                MissingBlockWarning,
                stacklevel=2,
            )
        return sum(self.ctm(b) + math.log2(n) for b, n in counted.items())

    def _shapes(self, string: str) -> Counter:
        """Block length -> number of blocks of that length."""
        return Counter(len(b) for b in self.decompose(string))

    def _min_bdm(self, shapes: Counter) -> float:
        """Every block of a length the same, simplest string (pybdm _get_min_bdm)."""
        return sum(self._present(length)[-1] + math.log2(n) for length, n in shapes.items())

    def _max_bdm(self, shapes: Counter) -> float:
        """Blocks as distinct and complex as possible (pybdm _get_max_bdm).

        pybdm takes the parts of each length in order of decreasing K, every renaming of
        a normalised part being a distinct part, and cycles when the blocks outnumber the
        parts. Under ``impute`` the parts include every unproduced string (at 1 + max K).
        """
        total = 0.0
        for length, n in shapes.items():
            present = self._present(length)
            unseen = self.tab.symbols**length - present.size if self.missing == "impute" else 0
            parts = unseen + present.size
            if n <= parts:
                top = min(n, unseen)
                total += top * (present[0] + 1.0) + present[: n - top].sum()
            else:
                q, r = divmod(n, parts)
                total += unseen * (present[0] + 1.0) + present.sum()
                total += r * math.log2(q + 1) + (parts - r) * math.log2(q)
        return float(total)

    def nbdm(self, string: str) -> float:
        """(BDM - min) / (max - min) over strings of the same block shapes (pybdm BDM.nbdm).

        The min and max use the blocks actually cut: pybdm's recursive strategy also counts
        a dropped tail shorter than ``min_length`` there, which this does not.
        """
        if self.strategy == "correlated":
            raise CTMError("normalised BDM is not defined for strategy 'correlated' (as in pybdm); use ignore or recursive")
        value = self.bdm(string)
        shapes = self._shapes(string)
        low, high = self._min_bdm(shapes), self._max_bdm(shapes)
        if high == low:
            raise CTMError(f"normalised BDM of {show(string)} is undefined: every string of its block shapes scores {low}")
        return (value - low) / (high - low)


def bdm(strings: str | Iterable[str], normalized: bool = False, **options) -> pd.Series:
    """BDM (or normalised BDM) of each string, as a Series indexed by the strings.

    ``options`` are the fields of BDM: block, strategy, shift, min_length, missing,
    alphabet, table, version, data_dir.
    """
    scorer = BDM(**options)
    items = as_list(strings)
    score = scorer.nbdm if normalized else scorer.bdm
    return pd.Series([score(s) for s in items], index=pd.Index(items, name="string", dtype=object), dtype=float)
