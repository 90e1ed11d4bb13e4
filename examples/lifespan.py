"""Redo "Human behavioral complexity peaks at age 25" (Gauvrit, Zenil, Soler-Toscano,
Delahaye & Brugger 2017, PLoS Computational Biology) with this project's tables.

3,429 people aged 4 to 91 (with an age) each made five "random" responses: 12 coin
tosses (binary), 10 card guesses (symbols 1-5), 10 die rolls (1-6), 10 positions on a
3x3 grid (1-9) and one 3x3 grid of black and white cells. Each response is scored with
K from the table of its alphabet (the exact (5,2) table for tosses, the sampled (4,5),
(4,6) and (4,9) tables, the 2-D table for grids) through the public API; each task's K
is z-scored against every possible response of that task (the mean and SD of K over all
strings of that length and alphabet, or all 512 grids, that the table can score); a
person's complexity is the mean of the tasks scored. A LOWESS curve of complexity
against age, with a bootstrap band, gives the age of the peak.

Usage: python examples/lifespan.py [CSV] --out DIR [--rows N] [--boot 200] [--seed 25]
(CSV defaults to datasets/lifespan.csv). Writes DIR/lifespan.png and
DIR/scores.csv, and prints the peak age with its interval.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.batch import NAWarning
from pipeline.errors import CTMError
from pipeline.inputs import read_csv
from pipeline.measures import response_distribution
from pipeline.query import acss

DEFAULT_CSV = Path(__file__).resolve().parent.parent / "datasets" / "lifespan.csv"


@dataclass(frozen=True)
class Task:
    """One of the study's five tasks: its column, alphabet and response shape."""

    column: str
    alphabet: int
    shape: int | tuple[int, int]
    """Length of a string response, or (rows, columns) of a grid."""


TASKS = (
    Task("toss", 2, 12),
    Task("guess", 5, 10),
    Task("roll", 6, 10),
    Task("spot", 9, 10),
    Task("grid", 2, (3, 3)),
)


def as_matrix(cells: str) -> str:
    """A grid response (9 digits, rows top to bottom) as matrix text: "101-100-101"."""
    return "-".join(cells[i : i + 3] for i in range(0, len(cells), 3))


def reference(task: Task) -> tuple[float, float, pd.DataFrame]:
    """Mean and SD of K over every possible response of the task that the table scores,
    each weighted by how many responses it stands for; and that distribution."""
    dist = response_distribution(task.shape, task.alphabet)
    mean = np.average(dist.K, weights=dist.weight)
    sd = np.sqrt(np.average((dist.K - mean) ** 2, weights=dist.weight))
    return float(mean), float(sd), dist


def score(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """K and z of each response and each person's complexity (mean z of the tasks with a
    value); and one row per task: table, responses scored, reference mean and SD, the
    share of possible responses the table lacks and the median standard error of K."""
    out = pd.DataFrame({"age": frame["age"]})
    summary = []
    for task in TASKS:
        responses = frame[task.column]
        responses = responses.where(responses.isna(), responses.astype(str))  # a blank cell stays missing
        ndim = 2 if isinstance(task.shape, tuple) else 1
        if ndim == 2:
            responses = responses.map(as_matrix)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NAWarning)  # unscored responses are counted below
            got = acss(responses, alphabet=task.alphabet, ndim=ndim)  # indexed as the frame
        try:
            mean, sd, dist = reference(task)
            table, missing = dist.attrs["table"], dist.attrs["missing_share"]
        except CTMError as exc:  # no table for this alphabet yet: the task is NA for everyone
            mean = sd = missing = float("nan")
            table = f"none ({exc})"
        K = got["K"].to_numpy()
        out[f"{task.column}_K"] = K
        out[f"{task.column}_z"] = (K - mean) / sd
        summary.append(
            {
                "task": task.column,
                "table": table,
                "scored": int(np.isfinite(K).sum()),
                "responses": len(K),
                "mean_K": mean,
                "sd_K": sd,
                "missing_share": missing,
                "median_K_se": float(np.nanmedian(got["K_se"])) if "K_se" in got else 0.0,
            }
        )
    z = out[[f"{t.column}_z" for t in TASKS]]
    out["complexity"] = z.mean(axis=1, skipna=True)
    return out, pd.DataFrame(summary).set_index("task")


def lowess_curve(age: np.ndarray, y: np.ndarray, grid: np.ndarray, frac: float) -> np.ndarray:
    """statsmodels' LOWESS of y on age, evaluated on ``grid``."""
    from statsmodels.nonparametric.smoothers_lowess import lowess

    return lowess(y, age, frac=frac, xvals=grid)


def fit(ages: np.ndarray, y: np.ndarray, boot: int, seed: int, frac: float = 0.3):
    """The LOWESS curve on an age grid, its bootstrap band (2.5 and 97.5 percentiles of
    curves fitted to participants resampled with replacement) and the peak ages."""
    grid = np.linspace(max(ages.min(), 5), min(ages.max(), 85), 161)
    curve = lowess_curve(ages, y, grid, frac)
    rng = np.random.default_rng(seed)
    curves = np.empty((boot, grid.size))
    for b in range(boot):
        pick = rng.integers(0, ages.size, ages.size)
        curves[b] = lowess_curve(ages[pick], y[pick], grid, frac)
    peaks = grid[np.nanargmax(curves, axis=1)]
    return grid, curve, np.nanpercentile(curves, [2.5, 97.5], axis=0), peaks


def plot(path: Path, ages, y, grid, curve, band, peak: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
    ax.scatter(ages, y, s=4, alpha=0.25, color="0.4", label="participants")
    ax.fill_between(grid, band[0], band[1], color="tab:blue", alpha=0.25, label="95% bootstrap band")
    ax.plot(grid, curve, color="tab:blue", lw=2, label="LOWESS")
    ax.axvline(peak, color="tab:red", ls="--", lw=1, label=f"peak at {peak:.0f}")
    ax.set_xlabel("age (years)")
    ax.set_ylabel("complexity (mean z of K over the five tasks)")
    ax.set_ylim(np.nanpercentile(y, 1), np.nanpercentile(y, 99))
    ax.set_title("Behavioural complexity over the lifespan (CTM, this project's tables)")
    ax.legend(loc="lower center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _positive(text: str) -> int:
    """argparse type: an integer of 1 or more (a one-line usage error otherwise)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"should be a positive integer, got {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("csv", nargs="?", default=str(DEFAULT_CSV), help="the study's responses [%(default)s]")
    parser.add_argument("--out", required=True, help="folder for lifespan.png and scores.csv")
    parser.add_argument("--rows", type=_positive, default=None, help="only the first N rows (a quick look)")
    parser.add_argument("--boot", type=_positive, default=200, help="bootstrap resamples [%(default)s]")
    parser.add_argument("--seed", type=int, default=25, help="bootstrap seed [%(default)s]")
    args = parser.parse_args(argv)
    try:
        frame = read_csv(args.csv, ["age", *(t.column for t in TASKS)], dtype=str, nrows=args.rows)
        frame["age"] = pd.to_numeric(frame["age"], errors="coerce")
        frame = frame[frame["age"].notna()].reset_index(drop=True)
        if len(frame) < 10:
            raise CTMError(f"{args.csv} has {len(frame)} rows with an age: the fit needs 10 or more (raise --rows)")
        scores, summary = score(frame)
    except CTMError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scores.to_csv(out / "scores.csv", index=False)
    usable = scores["complexity"].notna()
    ages, y = scores.loc[usable, "age"].to_numpy(float), scores.loc[usable, "complexity"].to_numpy(float)
    grid, curve, band, peaks = fit(ages, y, args.boot, args.seed)
    peak = float(grid[np.nanargmax(curve)])
    low, high = np.percentile(peaks, [2.5, 97.5])
    plot(out / "lifespan.png", ages, y, grid, curve, band, peak)
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.precision", 4):
        print(summary.to_string())
    print(f"\n{int(usable.sum())} participants with an age and at least one scored task")
    print(f"peak of complexity at age {peak:.1f} (95% bootstrap interval {low:.1f} to {high:.1f})")
    for age in (peak, 60, 80):
        print(f"fitted complexity at {age:.0f}: {np.interp(age, grid, curve):+.3f}")
    print(f"figure: {out / 'lifespan.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
