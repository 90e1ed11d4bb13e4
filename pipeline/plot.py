"""Figures of a table version, as in Soler-Toscano et al. (2014): PNG files of 800 x 500 pixels.

- ``<table>-v<k>-rank.png``: output frequency D against rank, both axes logarithmic;
- ``<table>-v<k>-length.png``: K of every string by its length, with the mean per length;
- ``<table>-v<k>-halting.png``: machines halting after each number of steps (manifest's
  halting_times), logarithmic counts;
- 2-D tables also ``<table>-v<k>-3x3.png``: K of every 3x3 matrix against its number of
  black (1) cells, as in Zenil et al. (2015), with the mean per count.

A sampled table's rows are patterns, and the figures say so: each value is drawn with
a band or bars of +-1 standard error, labelled as such; a mean over strings weights each
pattern by its size |P|; halting times are shares of the space, not machine counts; rows
whose K is not reliable (pipeline.reliable) are left out, and the title says how many.
A table with outputs longer than LOG_LENGTH (a no-cutoff table) gets a log length axis.
Figures are drawn on matplotlib's Agg canvas without pyplot, so no display is needed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from pipeline.errors import CTMError
from pipeline.query import Table, open_table
from pipeline.reliable import MAX_K_SE

SIZE = (800, 500)
"""Width and height of every figure in pixels."""
DPI = 100
TITLE_WIDTH = 70
"""Characters per title line: longer titles wrap, so they fit the figure."""
LOG_STEPS = 10_000
"""Halting times beyond this many steps are drawn on a log axis."""
LOG_LENGTH = 100
"""Output lengths beyond this are drawn on a log axis (no-cutoff tables reach 12,289)."""
SE_LABEL = "±1 standard error"


def _figure() -> Figure:
    return Figure(figsize=(SIZE[0] / DPI, SIZE[1] / DPI), dpi=DPI, layout="constrained")


def _title(ax, text: str) -> None:
    ax.set_title("\n".join(textwrap.wrap(text, TITLE_WIDTH)), fontsize=11)


def _save(fig: Figure, path: Path) -> Path:
    try:
        fig.savefig(path, format="png", dpi=DPI)
    except OSError as exc:
        raise CTMError(f"cannot write {path}: {exc.strerror or exc}; choose another --out folder") from None
    return path


def _rows(tab: Table) -> np.ndarray:
    """The rows a figure draws: the reliable ones (all of an exact table's)."""
    return np.flatnonzero(tab.reliable)


def _kind(tab: Table) -> str:
    return "patterns" if tab.sampled else "strings"


def _left_out(tab: Table) -> str:
    """The title's note of rows left out as unreliable, or nothing."""
    left = len(tab.strings) - int(tab.reliable.sum())
    return f"; {left:,} {_kind(tab)} with K_se > {MAX_K_SE} bits left out" if left else ""


def draw_rank(tab: Table) -> Figure:
    """D against its position in order of decreasing D (1 = most frequent), log-log; a
    sampled table's patterns with a +-1 SE band."""
    fig = _figure()
    ax = fig.add_subplot()
    rows = _rows(tab)
    order = rows[np.argsort(-tab.D[rows], kind="stable")]
    rank = np.arange(1, order.size + 1)
    D = tab.D[order]
    what = "pattern" if tab.sampled else "output"
    ax.plot(rank, D, color="tab:blue", label=f"D of each string of the {what}" if tab.sampled else "D(s)")
    if tab.sampled:
        se = tab.columns["D_se"][order]
        ax.fill_between(
            rank, np.maximum(D - se, D * 1e-3), D + se, color="tab:orange", alpha=0.6, linewidth=0, label=SE_LABEL
        )
        ax.legend(loc="lower left")
    ax.set(xscale="log", yscale="log", xlabel=f"rank (1 = most frequent {what})", ylabel="D(s)")
    _title(ax, f"{tab.label}: output frequency by rank ({order.size:,} {_kind(tab)}{_left_out(tab)})")
    ax.grid(True, which="major", alpha=0.3)
    return fig


def _means(tab: Table, rows: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lengths, mean K over the strings of each, its standard error's bound or NaN): a
    sampled pattern stands for its |P| strings, so it weighs |P|."""
    weight = tab.columns["size"][rows].astype(float) if tab.sampled else np.ones(rows.size)
    K = tab.K[rows]
    found = np.unique(lengths)
    total = np.bincount(np.searchsorted(found, lengths), weights=weight)
    mean = np.bincount(np.searchsorted(found, lengths), weights=weight * K) / total
    if not tab.sampled:
        return found, mean, np.full(found.size, np.nan)
    # the patterns share batches: the mean's error is at most the weighted mean of theirs
    se = np.bincount(np.searchsorted(found, lengths), weights=weight * tab.columns["K_se"][rows]) / total
    return found, mean, se


def draw_length(tab: Table) -> Figure:
    """K of every string (or pattern) against its length, with the mean K of each length
    over strings; +-1 SE bars on a sampled table; a log length axis past LOG_LENGTH."""
    fig = _figure()
    ax = fig.add_subplot()
    rows = _rows(tab)
    lengths = tab.lengths[rows]
    kind = _kind(tab)
    ax.scatter(lengths, tab.K[rows], s=4, alpha=0.3, color="tab:blue", label=kind, rasterized=True)
    if tab.sampled:
        ax.errorbar(
            lengths,
            tab.K[rows],
            yerr=tab.columns["K_se"][rows],
            fmt="none",
            ecolor="tab:orange",
            alpha=0.3,
            linewidth=0.6,
            label=f"{SE_LABEL} of each pattern's K",
        )
    found, mean, se = _means(tab, rows, lengths)
    label = "mean K over strings (pattern weighted by its size)" if tab.sampled else "mean K"
    ax.plot(found, mean, color="tab:red", marker="o", markersize=3 if found.size > 30 else 6, label=label)
    if tab.sampled:
        ax.errorbar(
            found, mean, yerr=se, fmt="none", ecolor="tab:red", capsize=3, label=f"{SE_LABEL} of the mean (upper bound)"
        )
    long = tab.max_length > LOG_LENGTH
    if long:
        ax.set_xscale("log")
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    size = "cells of the matrix (rows x columns)" if tab.dims == 2 else "string length"
    upto = tab.exact_upto
    ylabel = "K(s) = -log2 D(s) (bits)"
    if upto and upto.get("bracket_bits") is not None:  # K = K_low; K_high adds the H bracket's width
        ylabel = f"K_low(s) (bits); K_high = K_low + {upto['bracket_bits']:.2g}"
    ax.set(xlabel=size + (" (log scale)" if long else ""), ylabel=ylabel)
    _title(
        ax,
        f"{tab.label}: complexity by {'size' if tab.dims == 2 else 'string length'} ({rows.size:,} {kind}{_left_out(tab)})",
    )
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(True, alpha=0.3)
    return fig


def draw_halting(tab: Table) -> Figure:
    """Machines (blank 0) halting after each number of steps, from the manifest; for a
    sampled table, the share of the space halting after each number of steps."""
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
    ylabel = "share of the space (estimated)" if tab.sampled else "machines"
    ax.set(yscale="log", xlabel="steps to halt (halting step included)", ylabel=ylabel)
    total = sum(float(v) for v in times.values())
    if tab.sampled:
        se = tab.manifest.get("halting_fraction_se")
        what = f"a share {total:.4f}" + (f" ± {se:.1e} (1 SE)" if se is not None else "") + " of the space halts"
    else:
        what = f"{int(total):,} halting machines"
    _title(ax, f"{tab.label}: halting times ({what}, blank 0)")
    ax.grid(True, axis="y", alpha=0.3)
    return fig


def draw_3x3(tab: Table) -> Figure:
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
    if tab.sampled:
        se = np.array([np.nan if a.values.get("K_se") is None else a.values["K_se"] for a in answers])
        ax.errorbar(
            black + jitter, K, yerr=se, fmt="none", ecolor="tab:orange", alpha=0.6, label=f"{SE_LABEL} of each K"
        )
    means = [np.nanmean(K[black == b]) if np.isfinite(K[black == b]).any() else np.nan for b in range(10)]
    ax.plot(range(10), means, color="tab:red", marker="o", label="mean K of the matrices answered")
    ax.set(xlabel="black cells (1s) of the 3x3 matrix", ylabel="K (bits)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _title(ax, f"{tab.label}: the 512 3x3 matrices ({int(np.isfinite(K).sum())} answered)")
    ax.legend(loc="lower center", fontsize=8)
    ax.grid(True, alpha=0.3)
    return fig


def plot_rank(tab: Table, path: Path) -> Path:
    """``draw_rank`` saved as a PNG at ``path``."""
    return _save(draw_rank(tab), path)


def plot_length(tab: Table, path: Path) -> Path:
    """``draw_length`` saved as a PNG at ``path``."""
    return _save(draw_length(tab), path)


def plot_halting(tab: Table, path: Path) -> Path:
    """``draw_halting`` saved as a PNG at ``path``."""
    return _save(draw_halting(tab), path)


def plot_3x3(tab: Table, path: Path) -> Path:
    """``draw_3x3`` saved as a PNG at ``path``."""
    return _save(draw_3x3(tab), path)


def _folder(out: str | Path) -> Path:
    """``out`` as a folder that exists, or a one-line CTMError saying why it cannot be."""
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise CTMError(f"--out {folder} is a file, not a folder: name a folder for the PNG files, e.g. plots/")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CTMError(f"cannot make the folder --out {folder}: {exc.strerror or exc}") from None
    return folder


def plot_table(
    table: str | None = None,
    version: int | None = None,
    out: str | Path = ".",
    *,
    data_dir: str | Path | None = None,
) -> list[Path]:
    """Write the figures of a table version (K by rank, by length, halting times; a 2-D
    table adds its 3x3 matrices) into the folder ``out`` as PNG files.

    Parameters
    ----------
    table, version, data_dir
        Which table, as ``pipeline.query.open_table`` (None: the default one, latest).
    out : str or Path
        The folder, made if need be.

    Returns
    -------
    list of Path
        The figures written, ``<table>-v<k>-<figure>.png``.

    Raises
    ------
    CTMError
        An unknown table or version, or ``out`` a file or a folder that cannot be made.
    """
    tab = open_table(table, version, data_dir=data_dir)
    folder = _folder(out)
    stem = f"{tab.name}-v{tab.version}"
    paths = [
        plot_rank(tab, folder / f"{stem}-rank.png"),
        plot_length(tab, folder / f"{stem}-length.png"),
        plot_halting(tab, folder / f"{stem}-halting.png"),
    ]
    if tab.dims == 2:
        paths.append(plot_3x3(tab, folder / f"{stem}-3x3.png"))
    return paths
