"""The sampled tables and the 2-D tables shipped with the package: what their manifests
promise, their agreement with acss's K.4 and with the published 2-D 3x3 values (within
the combined standard errors), and the acss experiments they serve."""

from __future__ import annotations

import importlib.util
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.patterns import keys, sizes
from pipeline.query import DEFAULT_TABLES, acss, open_table

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "tests" / "data"
DATASETS = REPO / "datasets"
SAMPLED = [DEFAULT_TABLES[a] for a in (4, 5, 6, 9)]
AGREEMENT = 0.99
"""Share of published values that must lie within 3 combined standard errors."""


@pytest.fixture(autouse=True)
def shipped_only(tmp_path, monkeypatch):
    monkeypatch.setenv("CTM_DATA_DIR", str(tmp_path / "no-tables"))


def compare_published():
    spec = importlib.util.spec_from_file_location("compare_published", REPO / "examples" / "compare_published.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["compare_published"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", SAMPLED)
def test_a_sampled_table_says_what_it_is(name):
    tab = open_table(name)
    m = tab.manifest
    assert m["coverage"] == "sampled" and tab.sampled
    sampled = m["sampled"]
    assert (
        sampled["seed"] == 2014
        and sampled["batch_count"] >= 20
        and sampled["estimator"].startswith("ratio of stratified means")
    )
    assert m["subset"]["max_length"] == sampled["max_length"] <= 12
    assert 0 < m["halting_fraction"] < 1 and m["halting_fraction_se"] < 1e-3
    frame = pd.read_parquet(tab.folder / "table.parquet")
    # rows are patterns: their keys, their sizes, K from D, se(K) from se(D)
    assert (frame.string == keys(list(frame.string), 1)).all()
    assert (frame["size"] == sizes(list(frame.string), 1, tab.symbols)).all()
    assert np.allclose(frame.K, -np.log2(frame.D))
    assert np.allclose(frame.K_se, frame.D_se / (frame.D * math.log(2)))
    assert frame.length.max() <= sampled["max_length"]


@pytest.mark.parametrize("name", SAMPLED)
def test_short_patterns_are_all_there(name):
    """Every pattern up to length 6 was seen at least 5 times, and the strings of a
    length share out their probability as the table's masses say."""
    tab = open_table(name)
    frame = pd.read_parquet(tab.folder / "table.parquet")
    for length in range(1, 7):
        rows = frame[frame.length == length]
        assert (rows.hits >= 5).all(), (name, length)
        covered = (rows["size"]).sum() / tab.symbols**length
        assert math.isclose(covered, 1.0), (name, length, covered)


def test_sampled_answers_carry_their_standard_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = acss(["abba", "abcd", "0000000000"], alphabet=4)
    assert list(got.columns) == ["K", "D", "rank", "size", "hits", "D_se", "K_se", "reason"]
    assert got.hits.tolist() == [809_384_332, 1_440_707_872, 233_046]
    assert got.K.tolist() == pytest.approx([12.054735, 12.227794, 23.221660], abs=5e-7)
    assert got.K_se.tolist() == pytest.approx([8.5636e-05, 5.4865e-05, 4.7124e-03], rel=1e-4)
    # renamings and reversals share their pattern's value
    again = acss(["dccd", "dcba"], alphabet=4)
    assert got.K.iloc[0] == again.K.iloc[0] and got.K.iloc[1] == again.K.iloc[1]


def test_acss_k4_agrees_within_the_combined_standard_errors():
    """Lengths 4 to 7 agree within 3 combined standard errors; lengths 1 to 3, whose
    errors are a few millionths of a bit, differ by about 1e-4 bits (acss's implied
    halting fraction, 0.324762, against this sample's 0.324785 +- 0.000001: docs/published.md)."""
    k4 = compare_published().compare_k4(REFERENCE)
    assert k4.K.notna().all(), "every string of length 1 to 7 has a K"
    longer = k4[k4.string.str.len() >= 4]
    within = (longer.z.abs() <= 3).mean()
    assert within >= AGREEMENT, f"only {within:.1%} of acss's K.4 (lengths 4-7) within 3 combined se"
    assert (len(k4), len(longer), (longer.z.abs() <= 3).sum()) == (976, 968, 960), "960 of 968 (docs/published.md)"
    short = k4[k4.string.str.len() <= 3]
    assert (short.K - short.K_acss).abs().max() < 2e-4


def test_published_3x3_values_agree_within_the_combined_standard_errors():
    grid = compare_published().compare_3x3(REFERENCE)
    assert grid.K.notna().all(), "every 3x3 matrix has a K"
    within = (grid.z.abs() <= 3).mean()
    assert within >= AGREEMENT, f"only {within:.1%} of the published 3x3 values within 3 combined se"
    assert len(grid) == 512 and within == 1.0, "all 512 within 3 combined se (docs/published.md)"


def test_pybdms_4x4_values_agree_within_the_combined_standard_errors():
    """pybdm's 4x4 table (the same published sample, read from the installed pybdm) against
    the default 2-D table: every matrix pybdm lists is answered, 99 % within 3 se."""
    pytest.importorskip("pybdm")
    four = compare_published().compare_4x4()
    assert len(four) == 2**15 and four.K.notna().all()
    within = (four.z.abs() <= 3).sum()
    assert within >= AGREEMENT * len(four), f"only {within} of pybdm's 4x4 values within 3 combined se"
    assert within == 32_656, "32,656 of 32,768 (99.7 %, docs/published.md) within 3 combined se"
    assert four.z.mean() == pytest.approx(-0.0193068, abs=1e-6), "no shared offset between the two tables"


def test_the_acss_experiments_score_from_the_shipped_tables():
    exp1 = pd.read_csv(DATASETS / "exp1.csv")
    exp2 = pd.read_csv(DATASETS / "exp2.csv", dtype={"string": str})
    one = acss(exp1.string, alphabet=4)
    two = acss(exp2.string, alphabet=6)
    # a Series in gives its own index back, with the strings in a column (issue 21)
    assert list(one.index) == list(exp1.index) and list(two.index) == list(exp2.index)
    assert list(one.string) == list(exp1.string) and list(two.string) == list(exp2.string)
    assert len(one) == 34 and len(two) == 200 and one.K.notna().all() and two.K.notna().all()
    # the first string of each (as the README's query shows for exp2's), and the sums
    assert one.K.iloc[0] == pytest.approx(32.881734, abs=5e-7) and two.K.iloc[0] == pytest.approx(37.236154, abs=5e-7)
    assert one.K.sum() == pytest.approx(1147.568123, abs=5e-6) and two.K.sum() == pytest.approx(7340.437287, abs=5e-6)
    assert one.K_se.max() == pytest.approx(0.064120, abs=5e-6) and two.K_se.max() == pytest.approx(0.074547, abs=5e-6)


def test_the_sampled_2d_table_agrees_with_the_exact_one():
    """Every matrix up to 4x4 that the sampled (5,2) 2-D table answers (seen at least 5
    times) against the exact table: 99 % within 3 standard errors, no shared offset."""
    exact = open_table("d5x2-2d-s2000")
    sampled = open_table("d5x2-2d-s2000-sampled")
    keys = [k for k in exact.index if k.count("-") < 4 and len(k.split("-")[0]) <= 4]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the rarest 4x4 matrices are NA in the sample
        ours = acss(keys, table="d5x2-2d-s2000-sampled", ndim=2, errors="ignore")
    truth = acss(keys, table="d5x2-2d-s2000", ndim=2)
    seen = ours.K.notna()
    assert seen.mean() > 0.9 and sampled.sampled and not exact.sampled
    z = ((ours.K - truth.K) / ours.K_se)[seen]
    assert (z.abs() <= 3).mean() >= AGREEMENT and abs(z.mean()) < 0.1
