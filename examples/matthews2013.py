"""Redo the Matthews (2013) analysis of the acss paper (Gauvrit et al. 2016) with our own table.

216 strings of 21 O/X symbols were rated from "definitely random" to "definitely not
random"; the paper regresses each string's mean rating on its mean local complexity
(K of every window of ``span`` symbols, binary table) for spans 4, 5 and 10, and reports
R^2 = 0.54, 0.50 and < 0.00002.

Usage: python examples/matthews2013.py [CSV] [--table d5x2-s500] [--version N]
(CSV defaults to datasets/matthews2013.csv, with columns string, mean, sd).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.errors import CTMError
from pipeline.inputs import read_csv
from pipeline.measures import local_complexity

SPANS = (4, 5, 10)
PAPER_R2 = {4: "0.54", 5: "0.50", 10: "< 0.00002"}
DEFAULT_CSV = Path(__file__).resolve().parent.parent / "datasets" / "matthews2013.csv"


def mean_local_complexity(strings: list[str], span: int, table: str | None, version: int | None) -> np.ndarray:
    """Mean K over the windows of ``span`` symbols of each string (binary alphabet)."""
    windows = local_complexity(strings, span=span, alphabet=2, table=table, version=version)
    return np.array([w.mean() for w in windows])


def regress(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Least squares y = intercept + slope * x: (intercept, slope, R^2)."""
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (intercept + slope * x)
    r2 = 1 - residual.var() / y.var()
    return float(intercept), float(slope), float(r2)


def analyse(frame: pd.DataFrame, table: str | None = None, version: int | None = None) -> pd.DataFrame:
    """One row per span: strings used, intercept, slope and R^2 of mean rating on mean local complexity.

    A string with a window the table never produced has no mean (NaN) and is left out,
    as R's lm() leaves out NA; with the default (5,2) table every window is produced.
    """
    strings, ratings = frame["string"].tolist(), frame["mean"].to_numpy(dtype=float)
    rows = []
    for span in SPANS:
        x = mean_local_complexity(strings, span, table, version)
        kept = ~np.isnan(x)
        intercept, slope, r2 = regress(x[kept], ratings[kept])
        rows.append(
            {
                "span": span,
                "strings": int(kept.sum()),
                "intercept": intercept,
                "slope": slope,
                "R2": r2,
                "R2 in the paper": PAPER_R2[span],
            }
        )
    return pd.DataFrame(rows).set_index("span")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "csv",
        nargs="?",
        type=Path,
        default=DEFAULT_CSV,
        help="ratings CSV (string, mean, sd) [default: the repository's datasets/matthews2013.csv]",
    )
    parser.add_argument("--table", default=None, help="binary table [default: d5x2-s500]")
    parser.add_argument("--version", type=int, default=None, help="table version [default: latest]")
    args = parser.parse_args(argv)
    try:
        frame = read_csv(args.csv, ["string", "mean"], dtype={"string": str})
        frame["mean"] = pd.to_numeric(frame["mean"], errors="coerce")
        result = analyse(frame[frame["mean"].notna()], args.table, args.version)
    except CTMError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{len(frame)} strings from {args.csv}: mean rating ~ mean local complexity")
    print(result.to_string(float_format=lambda v: f"{v:.6f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
