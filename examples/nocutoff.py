"""What the 500-step cutoff changes: a no-cutoff table (``ctm run jobs/d5x2-bb.toml`` or
``jobs/d2x4-bb.toml``) against the 500-step table of the same space.

Prints the halting machines gained, the strings that appear only without the cutoff
(each with one machine that produces it), the largest changes of K, and whether a given
string (by default the length-12 coin-toss response 000110100111 that the 500-step
(5,2) table never produces) appears; draws K without the cutoff against K at 500 steps
and the halting-time distribution on log axes.

Usage:
    python examples/nocutoff.py d5x2 --out DIR [--data-dir data] [--cut d5x2-s500]
    python examples/nocutoff.py d2x4 --out DIR

Writes DIR/{space}-k-vs-cutoff.png, DIR/{space}-halting-times.png and
DIR/{space}-new-strings.csv.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pipeline.cutoff import CutoffComparison, compare  # noqa: E402
from pipeline.errors import CTMError  # noqa: E402
from pipeline.tables import shipped_root  # noqa: E402

WATCH = "000110100111"


def figures(got: CutoffComparison, space: str, out: Path) -> list[Path]:
    """K without the cutoff against K with it; halting times on log axes."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    fig, ax = plt.subplots(figsize=(5.5, 5), constrained_layout=True)
    ax.scatter(got.both["K_cut"], got.both["K_full"], s=3, alpha=0.4, label="in both tables")
    if len(got.new):
        ax.scatter(
            [got.both["K_cut"].max() + 0.5] * len(got.new),
            got.new["K"],
            s=3,
            color="C3",
            label="only without the cutoff (right edge)",
        )
    lo, hi = got.both["K_cut"].min(), got.both["K_cut"].max()
    ax.plot([lo, hi], [lo, hi], color="grey", linewidth=0.8, label="no change")
    ax.set_xlabel(f"K at {got.cutoff} steps (bits)")
    ax.set_ylabel("K with no cutoff (bits)")
    ax.set_title(f"{space}: K without and with the cutoff")
    ax.legend(loc="upper left", fontsize=8)
    paths.append(out / f"{space}-k-vs-cutoff.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    steps = sorted(got.halting_times)
    ax.loglog(steps, [got.halting_times[s] for s in steps], ".", markersize=3)
    ax.axvline(got.cutoff, color="C3", linewidth=0.8, label=f"the {got.cutoff}-step cutoff")
    ax.set_xlabel("halting step")
    ax.set_ylabel("machines (blank 0)")
    ax.set_title(f"{space}: halting times, no cutoff")
    ax.legend(fontsize=8)
    paths.append(out / f"{space}-halting-times.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)
    return paths


def report(got: CutoffComparison, watch: str) -> str:
    lines = [
        f"halting machines (blank 0): {got.halting_cut} at {got.cutoff} steps, {got.halting_full} without a cutoff: "
        f"{got.gained} gained, equal to the {got.late_machines} the histogram puts after step {got.cutoff}",
        f"strings: {len(got.both)} in both, {len(got.new)} only without the cutoff",
    ]
    longest = max(got.halting_times)
    lines.append(f"latest halt: step {longest} ({got.halting_times[longest]} machines)")
    for row in got.new.head(10).itertuples():
        lines.append(
            f"  new {row.string!r} (count {row.count}, K {row.K:.3f}): {row.machine} halts after {row.steps} steps, {row.relation}"
        )
    moved = got.both.reindex(got.both["dK"].abs().sort_values(ascending=False).index).head(5)
    for row in moved.itertuples():
        lines.append(f"  K of {row.string!r}: {row.K_cut:.6f} -> {row.K_full:.6f} ({row.dK:+.3g} bits)")
    lines.append(
        f"median change of K: {got.both['dK'].median():+.3g} bits; largest: {got.both['dK'].abs().max():.3g} bits"
    )
    hit = got.new[got.new["string"] == watch]
    if watch in set(got.both["string"]):
        lines.append(f"{watch}: already in the {got.cutoff}-step table")
    elif len(hit):
        row = hit.iloc[0]
        lines.append(
            f"{watch}: appears without the cutoff, count {row['count']}, K {row['K']:.3f} ({row['machine']}, {row['steps']} steps)"
        )
    else:
        lines.append(f"{watch}: does not appear even without the cutoff: no machine of the space produces it")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("space", choices=["d5x2", "d2x4"], help="which space: d5x2 or d2x4")
    parser.add_argument("--out", type=Path, required=True, help="folder for the figures and the CSV")
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="data root of the no-cutoff table (default: shipped)"
    )
    parser.add_argument("--cut", default=None, help="the cutoff table (default: {space}-s500, shipped)")
    parser.add_argument("--watch", default=WATCH, help=f"a string to look for (default {WATCH})")
    args = parser.parse_args(argv)
    if not args.watch:
        parser.error("--watch should be a string of symbols, e.g. 000110100111")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} is a file, not a folder")
    root = args.data_dir or shipped_root()
    try:
        got = compare(root, f"{args.space}-nocutoff", args.cut or f"{args.space}-s500", cut_root=shipped_root())
        got.check()
    except CTMError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report(got, args.watch))
    for path in figures(got, args.space, args.out):
        print(f"wrote {path}")
    got.new.to_csv(args.out / f"{args.space}-new-strings.csv", index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
