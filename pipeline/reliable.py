"""Which rows of a sampled table are reliable enough to answer with: one rule, one place.

A sampled table's row is a pattern with an estimated K and its standard error K_se
(pipeline.estimate). ``hits`` counts sampled leaves whose output falls in the pattern,
each leaf once per symmetric image of its stratum (twice in 1-D: the tape's reversal;
four times in 2-D: the grid's symmetries the walk folds), so ``hits`` is not a number
of independent observations: hits = 8 in 2-D is two draws. The rule is therefore
stated on the standard error, which the estimator computes from the spread of
independent batches (docs/sampled-tables.md):

    a row is reliable when K_se <= MAX_K_SE bits.

Every consumer applies it through this module: lookups (``acss``, ``ctm query``) and
local complexity answer an unreliable row NA, BDM treats its block as one the table
never produced (imputed, or NA under ``missing="error"``), response distributions
and plots leave it out and say how many they left. Rows of an exact table (no K_se)
are all reliable.
"""

from __future__ import annotations

import math

import numpy as np

MAX_K_SE = 0.5
"""Largest standard error of K (bits) a reliable row may have. A pattern seen in n
independent draws has, by Poisson counting, K_se of about 1 / (ln 2 sqrt(n)) bits:
0.645 for acss's 5 observations (alphabets 4, 5), 0.456 for its 10 (alphabets 6, 9);
0.5 bits (D known within a factor 2**0.5 = 1.41 at one standard error) asks about as
much as acss's stricter rule, for every alphabet."""

UNRELIABLE = "standard error too large"
"""The NA kind of an unreliable row (pipeline.inputs.NA)."""


def reliable_values(columns: dict[str, np.ndarray], rows: int) -> np.ndarray:
    """Boolean array of shape (rows,): True where a row with these value columns (a whole
    table's, or a batch of lookups': pipeline.table.Rows) may be answered with. All True
    without K_se (exact tables)."""
    se = columns.get("K_se")
    if se is None:
        return np.ones(rows, dtype=bool)
    se = np.asarray(se, dtype=float)
    return np.isfinite(se) & (se <= MAX_K_SE)


def reliable_mask(tab) -> np.ndarray:
    """Boolean array over the rows of ``tab`` (pipeline.query.Table): True where the row
    may be answered with. All True for a table without K_se (exact tables)."""
    return reliable_values(tab.columns, len(tab.strings))


def why_unreliable(tab, values: dict[str, object]) -> str:
    """The NA detail of an unreliable row of ``tab``, from its ``values`` (Rows.values):
    its K_se, hits, and the rule."""
    se = float(values["K_se"])
    hits = int(values["hits"]) if values.get("hits") is not None else None
    seen = f" (hits={hits}, counted once per symmetric image)" if hits is not None else ""
    shown = "undefined" if math.isnan(se) else f"{se:.2f} bits"
    return (
        f"its K in {tab.label} has standard error {shown}{seen}, more than the "
        f"{MAX_K_SE} bits a value needs to be given (docs/sampled-tables.md)"
    )
