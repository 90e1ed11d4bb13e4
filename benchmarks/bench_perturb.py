"""Every single-cell flip of a random binary matrix: this project's PerturbationExperiment
against pybdm's, on the same 2-D table (d4x2-2d-s2000, 4x4 blocks).

    .venv/bin/python benchmarks/bench_perturb.py [--side 1000] [--pybdm-side 100] [--repeats 3]

Prints the median wall time of ``run()`` over all cells (the data set up beforehand; the
set-up's time apart, and its first, cold time, which reads the table's index) under ignore and correlated, pybdm's on a smaller matrix, and
pybdm's extrapolated to the large one (its cost is per cell: side**2 / pybdm_side**2).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.bdm import BDM  # noqa: E402
from pipeline.patterns import normalized  # noqa: E402
from pipeline.perturb import PerturbationExperiment  # noqa: E402

TABLE = "d4x2-2d-s2000"


def pybdm_on(tab, strategy: str):
    import pybdm
    from pybdm import partitions

    partition = {"ignore": partitions.PartitionIgnore, "correlated": partitions.PartitionCorrelated}[strategy]
    scorer = pybdm.BDM(ndim=2, shape=(4, 4), partition=partition)
    dataset: dict = {}
    for string, K in zip(tab.strings, tab.K.tolist()):
        if normalized(string) == string:
            dataset.setdefault((string.count("-") + 1, len(string.split("-")[0])), {})[string.replace("-", "")] = K
    scorer._ctm = {s: OrderedDict(sorted(d.items(), key=lambda kv: kv[1], reverse=True)) for s, d in dataset.items()}
    scorer._ctm_missing = {s: max(d.values()) + 1 for s, d in dataset.items()}
    return scorer


def timed(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=1000)
    parser.add_argument("--pybdm-side", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, (args.side, args.side))
    small = rng.integers(0, 2, (args.pybdm_side, args.pybdm_side))
    from pybdm import PerturbationExperiment as Theirs

    for strategy in ("ignore", "correlated"):
        bdm = BDM(ndim=2, strategy=strategy, table=TABLE)
        start = time.perf_counter()
        pe = PerturbationExperiment(bdm, X)
        cold = time.perf_counter() - start  # the first use of the table reads its index once per process
        setup = timed(lambda: PerturbationExperiment(bdm, X), 1)
        ours = timed(pe.run, args.repeats)
        theirs_scorer = pybdm_on(bdm.tab, strategy)
        idx = np.array(list(np.ndindex(*small.shape)))
        theirs = timed(lambda: Theirs(theirs_scorer, small.copy(), "bdm").run(idx), max(1, args.repeats - 2))
        scale = X.size / small.size
        print(
            f"{strategy:10s} ours {args.side}x{args.side}: {ours:.3f} s for {X.size:,} flips (set-up {setup:.2f} s, {cold:.2f} s cold); "
            f"pybdm {args.pybdm_side}x{args.pybdm_side}: {theirs:.3f} s, extrapolated {theirs * scale:.0f} s; "
            f"ratio {theirs * scale / ours:,.0f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
