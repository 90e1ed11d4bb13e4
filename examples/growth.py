"""What D(6) changes: binary tables of successive spaces (D(4), D(5), D(6)) compared, and
the exact reading of D(6)'s short outputs against its 500-step table (pipeline.growth).

Prints, from the tables themselves: how complete each table is by length; the
correlation of K, length by length, between each table and the next (one table); the
largest rank changes; whether a string (by default 000110100111, the length-12 string
D(5) never produces) and its complement appear; the short outputs that appear only after
the step limit, each with a machine that writes it; and BDM with blocks of 12 of the
Matthews (2013) strings on each table. Draws completeness by length, one panel per table,
and K of each table against the next with the identity line. A table that is not there
yet (D(6) before its job has published it) gets one line and is left out.

Usage:
    python examples/growth.py --out DIR [--data-dir ~/ctm-data]
        [--tables d4x2-s107 d5x2-s500 d6x2-s500] [--exact d6x2-s500-upto12]
        [--block 12] [--strings datasets/matthews2013.csv] [--watch 000110100111]

Writes DIR/completeness.png, DIR/k-pairs.png and DIR/completeness.csv,
DIR/correlation.csv, DIR/rank-changes.csv, DIR/late-outputs.csv, DIR/bdm.csv.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from pipeline import growth  # noqa: E402
from pipeline.bdm import MissingBlockWarning  # noqa: E402
from pipeline.errors import CTMError  # noqa: E402
from pipeline.inputs import read_csv  # noqa: E402
from pipeline.query import lookup  # noqa: E402
from pipeline.space import BUSY_BEAVER_STEPS  # noqa: E402

TABLES = ("d4x2-s107", "d5x2-s500", "d6x2-s500")
EXACT = "d6x2-s500-upto12"
WATCH = "000110100111"
DEFAULT_CSV = Path(__file__).resolve().parent.parent / "datasets" / "matthews2013.csv"


def positive(text: str) -> int:
    """argparse type: an integer of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"should be a positive integer, got {text!r}")
    return int(text)


def figures(tables: list[str], pairs: list[tuple[str, str]], data_dir: Path | None, out: Path) -> list[Path]:
    """Completeness by length, one panel per table; K of each table against the next."""
    out.mkdir(parents=True, exist_ok=True)
    shares = growth.completeness(tables, data_dir=data_dir)
    fig, axes = plt.subplots(1, len(tables), figsize=(3.2 * len(tables), 3.4), sharey=True, constrained_layout=True)
    for ax, name in zip(axes if len(tables) > 1 else [axes], tables):
        rows = shares[(shares["table"] == name) & (shares["share"] > 0)]
        ax.semilogy(rows["length"], rows["share"], "o-", markersize=3)
        ax.axhline(1.0, color="grey", linewidth=0.6)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("length L")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    (axes[0] if len(tables) > 1 else axes).set_ylabel("strings produced / m^L")
    paths = [out / "completeness.png"]
    fig.savefig(paths[-1], dpi=100)
    plt.close(fig)
    if pairs:
        fig, axes = plt.subplots(1, len(pairs), figsize=(4.4 * len(pairs), 4), squeeze=False, constrained_layout=True)
        for ax, (a, b) in zip(axes[0], pairs):
            both = growth.pair(a, b, data_dir=data_dir)
            dots = ax.scatter(both["K_a"], both["K_b"], c=both["length"], s=3, cmap="viridis")
            lo, hi = min(both["K_a"].min(), both["K_b"].min()), max(both["K_a"].max(), both["K_b"].max())
            ax.plot([lo, hi], [lo, hi], color="grey", linewidth=0.8, label="K equal")
            ax.set_xlabel(f"K in {a} (bits)")
            ax.set_ylabel(f"K in {b} (bits)")
            ax.legend(loc="upper left", fontsize=8)
            fig.colorbar(dots, ax=ax, label="length")
        paths.append(out / "k-pairs.png")
        fig.savefig(paths[-1], dpi=100)
        plt.close(fig)
    return paths


def completeness_lines(shares: pd.DataFrame) -> list[str]:
    """Per table: the lengths it holds whole, then its share of the next lengths."""
    lines = []
    for name, rows in shares.groupby("table", sort=False):
        short = rows[rows["share"] < 1.0]["length"]
        upto = int(short.min()) - 1 if len(short) else int(rows["length"].max())
        later = rows[rows["length"] > upto].head(6)
        shown = ", ".join(f"{r.length}: {r.strings} ({r.share:.2%})" for r in later.itertuples())
        lines.append(f"{name}: every string of length 1 to {upto}; then {shown}; longest {int(rows['length'].max())}")
    return lines


def correlation_table(frames: list[pd.DataFrame]) -> str:
    """The pairs' correlations side by side: one row per length with 2 or more common
    strings in some pair, then the whole tables."""
    parts = {}
    for frame in frames:
        key = f"{frame['a'].iloc[0]} vs {frame['b'].iloc[0]}"
        index = frame["length"].astype(object).where(frame["length"].notna(), "all")
        parts[key] = frame.set_index(index)[["n", "spearman", "pearson", "shift"]]
    wide = pd.concat(parts, axis=1)
    for key in parts:  # a length one pair lacks: no common strings
        wide[(key, "n")] = wide[(key, "n")].fillna(0).astype("int64")
    counts = wide.xs("n", axis=1, level=1)
    wide = wide[(counts >= 2).any(axis=1)]
    wide.index.name, wide.columns.names = None, [None, "length"]
    text = wide.to_string(float_format=lambda v: f"{v:.4f}", na_rep="-")
    return "\n".join(line.rstrip() for line in text.splitlines())


def rank_lines(changes: pd.DataFrame) -> list[str]:
    """One line per set of tied strings (same length and both ranks: a string, its
    complement and reversal, or any tie)."""
    lines = []
    for _, tied in changes.groupby(["length", "rank_a", "rank_b"], sort=False):
        row = tied.iloc[0]
        more = f" +{len(tied) - 1} tied" if len(tied) > 1 else ""
        lines.append(
            f"  {row['string']}{more} (length {row['length']}): rank {row['rank_a']} -> {row['rank_b']} of "
            f"{row['among']} (K {row['K_a']:.3f} -> {row['K_b']:.3f})"
        )
    return lines


def watch_lines(watch: str, tables: list[str], data_dir: Path | None) -> list[str]:
    """Whether ``watch`` and (for a binary string) its complement appear in each table."""
    strings = [watch] + ([watch.translate(str.maketrans("01", "10"))] if set(watch) <= {"0", "1"} else [])
    shown = " and ".join(strings)
    lines = []
    for name in tables:
        found = lookup(strings, table=name, data_dir=data_dir, errors="ignore")
        tab = growth.open_strings(name, data_dir=data_dir)
        upto = tab.exact_upto
        if upto is not None and len(watch) > upto["L"]:
            lines.append(f"{shown} in {name}: longer than the {upto['L']} symbols it lists")
            continue
        counts = [a.count or 0 for a in found]
        if not any(counts):
            steps = tab.manifest["max_steps"]
            if upto is not None:
                where = "in any number of steps (exact reading)"
            elif steps >= BUSY_BEAVER_STEPS.get((tab.manifest["states"], tab.symbols), steps + 1):
                where = f"in any number of steps ({steps} is the busy beaver's)"
            else:
                where = f"within {steps} steps"
            lines.append(f"{shown} in {name}: count 0, no machine of the space writes them {where}")
            continue
        for a in found:
            extra = f" in [{a.values['K_low']:.6f}, {a.values['K_high']:.6f}]" if upto else ""
            value = f"count {a.count}, K {a.K:.3f}{extra}, rank {a.rank}" if a.count else "count 0"
            lines.append(f"{a.string} in {name}: {value}")
    return lines


def bdm_lines(scores: pd.DataFrame, ratings: pd.Series | None) -> list[str]:
    """Per table: mean BDM, strings with an imputed block, Spearman with the ratings."""
    lines = []
    for name, rows in scores.groupby("table", sort=False):
        interval = (
            f" (interval: mean {rows['BDM_low'].mean():.3f} to {rows['BDM_high'].mean():.3f})"
            if rows["BDM_high"].notna().any()
            else ""
        )
        rated = (
            f"; Spearman with the mean rating {growth.spearman(rows['BDM'], ratings):+.4f}"
            if ratings is not None
            else ""
        )
        lines.append(
            f"{name}: mean BDM {rows['BDM'].mean():.3f} bits{interval}, {int((rows['imputed_share'] > 0).sum())} "
            f"of {len(rows)} strings with an imputed block{rated}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the figures and the CSVs")
    parser.add_argument("--data-dir", type=Path, default=None, help="data root looked in before the shipped tables")
    parser.add_argument(
        "--tables", nargs="+", default=list(TABLES), help=f"tables of successive spaces (default {' '.join(TABLES)})"
    )
    parser.add_argument("--exact", default=EXACT, help=f"an exact reading, '' for none (default {EXACT})")
    parser.add_argument("--block", type=positive, default=12, help="BDM block length (default 12)")
    parser.add_argument(
        "--strings",
        type=Path,
        default=DEFAULT_CSV,
        help="CSV with a string column, scored with BDM "
        "(default: the repository's datasets/matthews2013.csv; a mean column is taken as ratings)",
    )
    parser.add_argument("--watch", default=WATCH, help=f"a string to look for (default {WATCH})")
    parser.add_argument("--top", type=positive, default=12, help="rank changes shown per pair (default 12)")
    args = parser.parse_args(argv)
    if not args.watch:
        parser.error("--watch should be a string of symbols, e.g. 000110100111")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} is a file, not a folder")
    try:
        return report(args)
    except CTMError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def report(args: argparse.Namespace) -> int:
    """Everything the script prints and writes; raises CTMError for bad input."""
    data_dir = args.data_dir
    named = [*args.tables, *([args.exact] if args.exact else [])]
    present = growth.available(named, data_dir=data_dir)
    for name in named:
        if name not in present:
            print(f"{name}: not computed yet (no version in the data root or the shipped tables): left out")
    tables = [t for t in args.tables if t in present]
    exact = args.exact if args.exact in present else None
    if not tables and exact is None:
        raise CTMError(f"none of the tables {', '.join(named)} exists: compute them with `ctm run` or pass --data-dir")
    frame = read_csv(args.strings, ["string"], dtype={"string": str})
    ratings = pd.to_numeric(frame["mean"], errors="coerce") if "mean" in frame.columns else None
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    pairs = list(zip(tables, tables[1:]))
    shown = [*tables, *([exact] if exact else [])]

    shares = growth.completeness(shown, data_dir=data_dir)
    shares.to_csv(out / "completeness.csv", index=False)
    print("completeness by length (strings produced of the 2^L):")
    for line in completeness_lines(shares):
        print(f"  {line}")

    if pairs:
        correlations = [growth.correlation(a, b, data_dir=data_dir) for a, b in pairs]
        pd.concat(correlations, ignore_index=True).to_csv(out / "correlation.csv", index=False)
        for frame_ in correlations:
            whole = frame_.iloc[-1]
            print(
                f"{whole['a']} -> {whole['b']}: {whole['n']} strings in both, {whole['only_a']} only in {whole['a']}, "
                f"{whole['only_b']} only in {whole['b']}"
            )
        print(
            "correlation of K on the strings both tables hold (n), by length and over the whole tables; "
            "shift: median change of K (bits):"
        )
        print(correlation_table(correlations))
        changes = [growth.rank_changes(a, b, top=args.top, data_dir=data_dir) for a, b in pairs]
        pd.concat(changes, ignore_index=True).to_csv(out / "rank-changes.csv", index=False)
        for (a, b), frame_ in zip(pairs, changes):
            print(f"largest rank changes within length, {a} -> {b} (rank among the strings of that length in both):")
            for line in rank_lines(frame_):
                print(line)
    else:
        print("correlation and rank changes: need two tables of successive spaces")

    for line in watch_lines(args.watch, shown, data_dir):
        print(line)

    if exact is not None:
        plain = growth.plain_of(exact, data_dir=data_dir)
        if plain in growth.available([plain], data_dir=data_dir):
            late = growth.late_outputs(exact, plain, data_dir=data_dir)
            late.to_csv(out / "late-outputs.csv", index=False)
            bracket = growth.open_strings(exact, data_dir=data_dir).exact_upto
            upto = bracket["L"]
            print(
                f"{exact}: every output of at most {upto} symbols counted with no step cutoff; H in "
                f"[{bracket['H_low']}, {bracket['H_high']}], so each K within {bracket['bracket_bits']:.3g} bits"
            )
            steps = growth.open_strings(plain, data_dir=data_dir).manifest["max_steps"]
            lengths = ", ".join(f"{n}: {c}" for n, c in late.groupby("length").size().items()) or "none"
            print(
                f"outputs of at most {upto} symbols only after step {steps} ({exact}, not in {plain}): {len(late)} (by length {lengths})"
            )
            for row in late.head(args.top).itertuples():
                print(
                    f"  {row.string} (count {row.count}, K in [{row.K_low:.6f}, {row.K_high:.6f}]): {row.machine} "
                    f"halts after {row.steps} steps writing {row.output} ({row.relation})"
                )
        else:
            print(f"{plain}: not computed yet, so the late outputs of {exact} are left out")

    scored = []
    for name in shown:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MissingBlockWarning)  # the imputed share says it
                scored.append(growth.bdm_by_table(frame["string"], [name], block=args.block, data_dir=data_dir))
        except CTMError as exc:
            print(f"{name}: no BDM with blocks of {args.block} ({exc})")
    if scored:
        scores = pd.concat(scored, ignore_index=True)
        scores.to_csv(out / "bdm.csv", index=False)
        print(f"BDM of the {len(frame)} strings of {args.strings.name}, blocks of {args.block}:")
        for line in bdm_lines(scores, ratings):
            print(f"  {line}")
        wide = scores.pivot_table(index="string", columns="table", values="BDM")[list(scores["table"].unique())]
        for a, b in zip(wide.columns, wide.columns[1:]):
            print(f"  Spearman of BDM, {a} vs {b}: {growth.spearman(wide[a], wide[b]):+.4f}")

    for path in figures(shown, pairs, data_dir, out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
