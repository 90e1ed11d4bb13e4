"""Compare this project's tables with the published ones, in units of standard error.

- acss's K.4 (alphabet 4, a sample of (4,4) machines; tests/data/
  acss-K4-upto7.csv, every normalised string of length 1 to 7) against the sampled
  d4x4-s2000-sampled table. acss's standard error comes from its sample size (docs/ctm.md:
  about 1 / (ln 2 sqrt(D |P| 3.254e11)) bits), ours from the table's K_se.
- The published 2-D K of every 3x3 matrix (tests/data/ctm-2d-3x3.csv, a sample
  of 1.29e12 (5,2) 2-D machines: pybdm's and OACC's table) against this project's
  default 2-D table. The published K is -log2(C / Z) with Z = 3,490,682,926,304, so its
  count is C = Z 2**-K and its standard error sqrt(|Stab(s)| / C) / ln 2, |Stab(s)| the
  number of the 16 symmetries (8 turns, times the complement) that leave s unchanged.

- pybdm's 4x4 values (the same published sample; read at run time from an installed
  pybdm's ctmdata/ctm-b2-d4x4.pkl.gz, never copied into the project) against the same
  table, for the 4x4 matrices it answers (seen at least 5 times), with the same errors.

For each, it prints the share of values within 3 combined standard errors and the
largest differences, and writes a plot (PNG) of ours against theirs with error bars.

Usage: python examples/compare_published.py [--reference DIR] --out DIR
"""

from __future__ import annotations

import argparse
import gzip
import math
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.errors import CTMError
from pipeline.grid import transform
from pipeline.inputs import read_csv
from pipeline.query import acss, open_table

REFERENCE = Path(__file__).resolve().parent.parent / "tests" / "data"
ACSS_HALTING = 3.254e11
"""Halting machines in acss's (4,4) sample (docs/ctm.md)."""
Z_2D = 3_490_682_926_304
"""The published 2-D table's normaliser (docs/ctm.md)."""


def compare_k4(reference: Path) -> pd.DataFrame:
    """acss's K.4 against ours, row per string: both K, both standard errors, z."""
    theirs = read_csv(reference / "acss-K4-upto7.csv", ["string", "K"], dtype={"string": str})
    ours = acss(list(theirs.string), alphabet=4, errors="ignore")
    out = pd.DataFrame(
        {
            "string": theirs.string,
            "K_acss": theirs.K.to_numpy(),
            "K": ours.K.to_numpy(),
            "K_se": ours.K_se.to_numpy(),
            "hits": ours.hits.to_numpy(dtype=float),
        }
    )
    D = 2.0**-out.K_acss
    size = ours["size"].to_numpy(dtype=float)
    out["se_acss"] = 1 / (math.log(2) * np.sqrt(D * size * ACSS_HALTING))
    out["z"] = (out.K - out.K_acss) / np.sqrt(out.K_se**2 + out.se_acss**2)
    return out


def stabiliser(matrix: str) -> int:
    """How many of the 16 symmetries (8 turns, each with or without the complement) leave
    the matrix unchanged."""
    flipped = matrix.translate(str.maketrans("01", "10"))
    same = sum(transform(matrix, g) == matrix for g in range(8))
    same += sum(transform(flipped, g) == matrix for g in range(8))
    return same


def compare_3x3(reference: Path) -> pd.DataFrame:
    """The published 3x3 K against ours, row per matrix."""
    theirs = read_csv(reference / "ctm-2d-3x3.csv", ["matrix", "K"], dtype={"matrix": str})
    return _compare_published(list(theirs.matrix), theirs.K.to_numpy(), 3)


def pybdm_4x4() -> pd.DataFrame | None:
    """pybdm's published 4x4 values (matrix digits, K), or None where pybdm is absent."""
    try:
        from importlib.resources import files

        import pybdm  # noqa: F401
    except ImportError:
        return None
    with gzip.open(files("pybdm") / "ctmdata" / "ctm-b2-d4x4.pkl.gz") as handle:
        table = pickle.load(handle)  # pybdm's own data file, as pybdm itself loads it
    values = table[(4, 4)]
    return pd.DataFrame({"matrix": list(values), "K": list(values.values())})


def compare_4x4() -> pd.DataFrame | None:
    """pybdm's 4x4 K against ours, row per matrix pybdm lists (None without pybdm)."""
    theirs = pybdm_4x4()
    if theirs is None:
        return None
    return _compare_published(list(theirs.matrix), theirs.K.to_numpy(), 4)


def _compare_published(digits: list[str], published: np.ndarray, side: int) -> pd.DataFrame:
    """Published K of square matrices (their digits row by row) against ours: both K, both
    standard errors, z."""
    texts = ["-".join(m[i : i + side] for i in range(0, side * side, side)) for m in digits]
    ours = acss(texts, ndim=2, errors="ignore")
    out = pd.DataFrame({"matrix": texts, "K_published": published, "K": ours.K.to_numpy()})
    out["K_se"] = ours.K_se.to_numpy() if "K_se" in ours else 0.0
    C = Z_2D * 2.0**-out.K_published
    out["stab"] = [stabiliser(t) for t in texts]
    out["se_published"] = np.sqrt(out.stab / C) / math.log(2)
    out["z"] = (out.K - out.K_published) / np.sqrt(out.K_se**2 + out.se_published**2)
    out.attrs["table"] = ours.attrs.get("table") or open_table(ndim=2).label
    return out


def plot(frame: pd.DataFrame, x: str, y: str, xerr: str, yerr: str, title: str, path: Path) -> None:
    """Two panels: ours against theirs, and the difference against theirs with each
    value's 3-standard-error band (combined)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.8), dpi=100)
    inside = frame.z.abs() <= 3
    combined = np.sqrt(frame[xerr] ** 2 + frame[yerr] ** 2)
    for mask, colour, label in ((inside, "tab:blue", "within 3 se"), (~inside, "tab:red", "beyond 3 se")):
        part = frame[mask]
        left.plot(part[x], part[y], "o", ms=2.5, color=colour, alpha=0.7, label=f"{label} ({mask.sum()})")
        right.errorbar(
            part[x],
            part[y] - part[x],
            yerr=3 * combined[mask],
            fmt="o",
            ms=2.5,
            lw=0.5,
            color=colour,
            alpha=0.6,
            label=f"{label} ({mask.sum()})",
        )
    low, high = np.nanmin(frame[[x, y]].to_numpy()), np.nanmax(frame[[x, y]].to_numpy())
    left.plot([low, high], [low, high], color="0.3", lw=0.8)
    left.set(xlabel=x.replace("_", " "), ylabel=f"{y} (this project)")
    right.axhline(0, color="0.3", lw=0.8)
    right.set(xlabel=x.replace("_", " "), ylabel="this project - published (bits); bars: 3 se")
    left.legend(fontsize=8, loc="upper left")
    right.legend(fontsize=8, loc="upper left")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def report(name: str, frame: pd.DataFrame, key: str) -> None:
    z = frame.z.dropna()
    print(
        f"{name}: {len(z)} of {len(frame)} compared; within 3 combined se: {(z.abs() <= 3).mean():.1%}; "
        f"median |z| {z.abs().median():.2f}; mean K difference {np.nanmean(frame.K - frame.iloc[:, 1]):+.4f} bits"
    )
    worst = frame.reindex(frame.z.abs().sort_values(ascending=False).index).head(5)
    print(worst[[key, frame.columns[1], "K", "z"]].to_string(index=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", default=str(REFERENCE), help="folder of the published values [%(default)s]")
    parser.add_argument("--out", required=True, help="folder for the plots")
    args = parser.parse_args(argv)
    reference, out = Path(args.reference), Path(args.out)
    if not reference.is_dir():
        print(f"error: {reference} not found (the published values are in tests/data)", file=sys.stderr)
        return 2
    if out.exists() and not out.is_dir():
        print(f"error: --out {out} is a file, not a folder", file=sys.stderr)
        return 2
    try:
        k4, grid = compare_k4(reference), compare_3x3(reference)
    except CTMError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    report("acss K.4 (length 1-7)", k4, "string")
    plot(
        k4,
        "K_acss",
        "K",
        "se_acss",
        "K_se",
        "K.4: acss (2014 sample) against d4x4-s2000-sampled",
        out / "k4-vs-acss.png",
    )
    report(f"published 2-D 3x3 against {grid.attrs['table']}", grid, "matrix")
    plot(
        grid,
        "K_published",
        "K",
        "se_published",
        "K_se",
        f"3x3 matrices: published against {grid.attrs['table']}",
        out / "3x3-vs-published.png",
    )
    print(f"plots: {out / 'k4-vs-acss.png'}, {out / '3x3-vs-published.png'}")
    four = compare_4x4()
    if four is None:
        print("pybdm is not installed: no 4x4 comparison")
    else:
        report(f"pybdm's 4x4 against {four.attrs['table']}", four, "matrix")
    return 0


if __name__ == "__main__":
    sys.exit(main())
