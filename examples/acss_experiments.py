"""Redo the two experiments of the acss paper (Gauvrit, Singmann, Soler-Toscano & Zenil
2016, Behavior Research Methods) with this project's sampled tables.

- Experiment 1 (``exp1.csv``): 34 strings of 10 symbols over {a, b, c, d} produced by
  participants asked to be random, with their age. Each string's K comes from the
  alphabet-4 table; the question is whether complexity changes with age.
- Experiment 2 (``exp2.csv``): 200 strings of 10 die faces (1-6), each judged "random" or
  "not random". K from the alphabet-6 table; do strings judged random have a higher K?

Usage: python examples/acss_experiments.py [--data datasets]
Prints, per experiment, the table used, K with its standard error, and the statistics
(Pearson and Spearman correlations with age; means per judgment, Welch's t-test and a
logistic regression of the judgment on K).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.errors import CTMError
from pipeline.inputs import read_csv
from pipeline.measures import entropy
from pipeline.query import acss

DATA = Path(__file__).resolve().parent.parent / "datasets"


def experiment_1(data: Path) -> dict:
    frame = read_csv(data / "exp1.csv", ["string", "age"], dtype={"string": str})
    frame["age"] = pd.to_numeric(frame["age"], errors="coerce")
    scored = acss(frame["string"], alphabet=4)  # indexed as the frame: columns fill row by row
    frame["K"], frame["K_se"] = scored["K"], scored["K_se"]
    frame["entropy"] = entropy(frame["string"])
    ok = frame.K.notna() & frame.age.notna()
    pearson = stats.pearsonr(frame.age[ok], frame.K[ok])
    spearman = stats.spearmanr(frame.age[ok], frame.K[ok])
    return {"frame": frame, "table": scored.attrs.get("table"), "pearson": pearson, "spearman": spearman}


def experiment_2(data: Path) -> dict:
    import statsmodels.api as sm

    frame = read_csv(data / "exp2.csv", ["string", "response"], dtype={"string": str})
    scored = acss(frame["string"], alphabet=6)
    frame["K"], frame["K_se"] = scored["K"], scored["K_se"]
    ok = frame.K.notna()
    random_ = frame[ok & (frame.response == "random")].K
    other = frame[ok & (frame.response != "random")].K
    welch = stats.ttest_ind(random_, other, equal_var=False)
    model = sm.Logit((frame.response[ok] == "random").astype(int), sm.add_constant(frame.K[ok])).fit(disp=0)
    return {"frame": frame, "random": random_, "other": other, "welch": welch, "logit": model}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(DATA), help="folder of exp1.csv and exp2.csv [%(default)s]")
    args = parser.parse_args(argv)
    data = Path(args.data)
    try:
        one, two = experiment_1(data), experiment_2(data)
    except CTMError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    f = one["frame"]
    print(
        f"Experiment 1: {len(f)} strings, alphabet 4; {f.K.notna().sum()} scored; "
        f"median se(K) {np.nanmedian(f.K_se):.3f} bits"
    )
    print(f"  K: mean {f.K.mean():.3f}, sd {f.K.std():.3f}; age: {f.age.min():.0f} to {f.age.max():.0f}")
    print(
        f"  K against age: Pearson r = {one['pearson'][0]:+.3f} (p = {one['pearson'][1]:.3f}), "
        f"Spearman rho = {one['spearman'][0]:+.3f} (p = {one['spearman'][1]:.3f})"
    )
    print(
        f"Experiment 2: {len(two['frame'])} strings, alphabet 6; {two['frame'].K.notna().sum()} scored; "
        f"median se(K) {np.nanmedian(two['frame'].K_se):.3f} bits"
    )
    print(
        f"  judged random: mean K {two['random'].mean():.3f} (n = {len(two['random'])}); "
        f"not random: {two['other'].mean():.3f} (n = {len(two['other'])})"
    )
    print(
        f"  Welch t = {two['welch'].statistic:.2f}, p = {two['welch'].pvalue:.2g}; logistic regression: "
        f"log-odds of 'random' per bit of K {two['logit'].params.iloc[1]:+.3f} (p = {two['logit'].pvalues.iloc[1]:.2g})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
