"""Figures of a perturbation analysis: PNG files of 800 x 500 pixels (Agg canvas, no display).

- ``heatmap``: the delta of changing each cell of a matrix, as colour over the matrix
  (diverging, 0 white; cells no block covers are 0);
- ``signature_plot``: the information signature, deltas sorted from largest to smallest,
  coloured by element class (negative, neutral, positive; pipeline.aid.classify).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from pipeline.aid import classify

SIZE = (800, 500)
DPI = 100
COLOURS = {"negative": "tab:red", "neutral": "tab:gray", "positive": "tab:blue"}


def _figure() -> Figure:
    return Figure(figsize=(SIZE[0] / DPI, SIZE[1] / DPI), dpi=DPI, layout="constrained")


def heatmap(delta: np.ndarray, path: str | Path, title: str = "") -> Path:
    """Draw a (rows, columns) array of deltas (bits) as a heat map; returns the path."""
    delta = np.asarray(delta, dtype=float)
    if delta.ndim == 1:
        delta = delta[None, :]
    fig = _figure()
    ax = fig.add_subplot()
    top = float(np.nanmax(np.abs(delta))) if np.isfinite(delta).any() else 1.0
    top = top or 1.0
    image = ax.imshow(delta, cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -top, top), interpolation="nearest", aspect="equal")
    fig.colorbar(image, ax=ax, label="delta = C(X') - C(X) (bits)")
    ax.set(xlabel="column", ylabel="row")
    ax.set_title(title or f"delta of changing each cell ({delta.shape[0]}x{delta.shape[1]})")
    fig.savefig(path, format="png", dpi=DPI)
    return Path(path)


def signature_plot(
    delta: np.ndarray,
    path: str | Path,
    se: np.ndarray | None = None,
    band: float = 0.0,
    z: float = 2.0,
    title: str = "",
) -> Path:
    """Draw the information signature with each element's class; returns the path."""
    delta = np.asarray(delta, dtype=float)
    order = np.argsort(-delta, kind="stable")
    classes = classify(delta, se, band, z)[order]
    sorted_delta = delta[order]
    fig = _figure()
    ax = fig.add_subplot()
    x = np.arange(1, len(delta) + 1)
    ax.plot(x, sorted_delta, color="black", linewidth=0.8, zorder=1)
    for name, colour in COLOURS.items():
        hit = classes == name
        ax.scatter(x[hit], sorted_delta[hit], s=8, color=colour, label=f"{name} ({int(hit.sum())})", zorder=2)
    ax.axhline(0.0, color="black", linewidth=0.5, alpha=0.5)
    ax.set(xlabel="element, by decreasing delta", ylabel="delta = C(X') - C(X) (bits)")
    ax.set_title(title or f"information signature ({len(delta)} elements)")
    ax.legend(loc="upper right")
    ax.grid(True, alpha=0.3)
    fig.savefig(path, format="png", dpi=DPI)
    return Path(path)
