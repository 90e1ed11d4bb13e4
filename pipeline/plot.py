"""Figures of a table version, as in Soler-Toscano et al. (2014): PNG files of 800 x 500 pixels.

- ``<table>-v<k>-rank.png``: output frequency D against rank, both axes logarithmic;
- ``<table>-v<k>-length.png``: K of every string by its length, with the mean per length;
- ``<table>-v<k>-halting.png``: machines halting after each number of steps (manifest's
  halting_times), logarithmic counts;
- 2-D tables also ``<table>-v<k>-3x3.png``: K of every 3x3 matrix against its number of
  black (1) cells, as in Zenil et al. (2015), with the mean per count.

Figures are drawn on matplotlib's Agg canvas without pyplot, so no display is needed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from pipeline.errors import CTMError
from pipeline.query import Table, open_table

SIZE = (800, 500)
"""Width and height of every figure in pixels."""
DPI = 100


def _figure() -> Figure:
    return Figure(figsize=(SIZE[0] / DPI, SIZE[1] / DPI), dpi=DPI, layout="constrained")


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, format="png", dpi=DPI)
    return path


def plot_rank(tab: Table, path: Path) -> Path:
    """D of each string against its position in order of decreasing D (1 = most frequent), log-log."""
    fig = _figure()
    ax = fig.add_subplot()
    frequencies = np.sort(tab.D)[::-1]
    ax.plot(np.arange(1, frequencies.size + 1), frequencies, color="tab:blue")
    ax.set(xscale="log", yscale="log", xlabel="rank (1 = most frequent output)", ylabel="D(s)")
    ax.set_title(f"{tab.label}: output frequency by rank ({len(tab.strings):,} strings)")
    ax.grid(True, which="major", alpha=0.3)
    return _save(fig, path)


def plot_length(tab: Table, path: Path) -> Path:
    """K of every string against its length, with the mean K of each length."""
    fig = _figure()
    ax = fig.add_subplot()
    ax.scatter(tab.lengths, tab.K, s=4, alpha=0.3, color="tab:blue", label="strings")
    lengths = np.unique(tab.lengths)
    means = [tab.K[tab.lengths == n].mean() for n in lengths]
    ax.plot(lengths, means, color="tab:red", marker="o", label="mean K")
    ax.set(xlabel="string length", ylabel="K(s) = -log2 D(s) (bits)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"{tab.label}: complexity by string length")
    ax.legend(loc="lower right")
    ax.grid(True, alpha=0.3)
    return _save(fig, path)


LOG_STEPS = 10_000
"""Halting times beyond this many steps are drawn on a log axis."""


def plot_halting(tab: Table, path: Path) -> Path:
    """Machines (blank 0) halting after each number of steps, from the manifest."""
    times = tab.manifest.get("halting_times") or {}
    if not times:
        raise CTMError(f"table {tab.label} has no halting_times in its manifest to plot")
    steps = np.array(sorted(int(k) for k in times))
    counts = np.array([float(times[str(k)]) for k in steps])
    fig = _figure()
    ax = fig.add_subplot()
    if steps.max() > LOG_STEPS:
        # a no-cutoff table's halts reach millions of steps: log axes, one point a time
        ax.plot(steps, counts, ".", markersize=3, color="tab:blue")
        ax.set_xscale("log")
    else:
        ax.bar(steps, counts, width=1.0, color="tab:blue")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(yscale="log", xlabel="steps to halt (halting step included)", ylabel="machines")
    total = sum(float(v) for v in times.values())
    what = f"{total:.4f} of the space halts (estimated)" if tab.sampled else f"{int(total):,} halting machines"
    ax.set_title(f"{tab.label}: halting times ({what}, blank 0)")
    ax.grid(True, axis="y", alpha=0.3)
    return _save(fig, path)


def plot_3x3(tab: Table, path: Path) -> Path:
    """K of every 3x3 matrix the table answers against its number of black (1) cells."""
    from pipeline.query import lookup

    matrices = ["-".join(format(i, "09b")[r : r + 3] for r in (0, 3, 6)) for i in range(512)]
    answers = lookup(matrices, tab.name, tab.version, data_dir=tab.folder.parents[2], ndim=2, errors="ignore")
    black = np.array([m.count("1") for m in matrices])
    K = np.array([np.nan if a.K is None else a.K for a in answers])
    if np.isnan(K).all():
        raise CTMError(f"table {tab.label} answers no 3x3 matrix")
    fig = _figure()
    ax = fig.add_subplot()
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, black.size)
    ax.scatter(black + jitter, K, s=8, alpha=0.5, color="tab:blue", label="3x3 matrices")
    means = [np.nanmean(K[black == b]) for b in range(10)]
    ax.plot(range(10), means, color="tab:red", marker="o", label="mean K")
    ax.set(xlabel="black cells (1s) of the 3x3 matrix", ylabel="K (bits)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"{tab.label}: the 512 3x3 matrices ({int(np.isfinite(K).sum())} answered)")
    ax.legend(loc="lower center")
    ax.grid(True, alpha=0.3)
    return _save(fig, path)


def plot_table(
    table: str | None = None,
    version: int | None = None,
    out: str | Path = ".",
    *,
    data_dir: str | Path | None = None,
) -> list[Path]:
    """Write the three figures of a table version into ``out``; return their paths."""
    tab = open_table(table, version, data_dir=data_dir)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{tab.name}-v{tab.version}"
    paths = [
        plot_rank(tab, folder / f"{stem}-rank.png"),
        plot_length(tab, folder / f"{stem}-length.png"),
        plot_halting(tab, folder / f"{stem}-halting.png"),
    ]
    if tab.dims == 2:
        paths.append(plot_3x3(tab, folder / f"{stem}-3x3.png"))
    return paths

