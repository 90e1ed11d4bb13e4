"""Tables of successive spaces compared (pipeline.growth, issue 24 item 5): completeness by
length, the correlation of K, rank changes, the short outputs an exact reading adds after
the step limit, BDM on several tables; and examples/growth.py, which prints them.

Each value is checked against the tables read independently (pyarrow, scipy, the
brute-force simulator). The exact reading is (3,2) S = 10 with exact_upto = 6, made here
by ``ctm run`` as tests/test_upto_queries.py makes it; the shipped ``d3x2-s21`` is exact
by the (3,2) busy beaver, so its counts of the reading's strings are the same.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_examples import load

from pipeline import growth
from pipeline.bdm import bdm
from pipeline.brute import simulate_one
from pipeline.errors import CTMError
from pipeline.space import Space
from pipeline.tables import load_table, shipped_root

EXACT, PLAIN = "d3x2-s10-upto6", "d3x2-s10"


@pytest.fixture(scope="module")
def root(upto_root):
    return upto_root


def strings_of(name: str, root=None) -> pd.DataFrame:
    """A table's string, count and K read straight from its Parquet file."""
    return load_table(root or shipped_root(), name).select(["string", "count", "K"]).to_pandas()


@pytest.mark.parametrize("name", ["d3x2-s21", "d4x2-s107"])
def test_completeness_counts_the_strings_of_each_length(name):
    got = growth.completeness([name])
    lengths = Counter(len(s) for s in strings_of(name)["string"])
    longest = max(lengths)
    assert got["length"].tolist() == list(range(1, longest + 1))
    assert got["strings"].tolist() == [lengths.get(n, 0) for n in range(1, longest + 1)]
    assert got["possible"].tolist() == [2**n for n in range(1, longest + 1)]
    assert got["share"].tolist() == [lengths.get(n, 0) / 2**n for n in range(1, longest + 1)]
    assert set(got["table"]) == {name}


def test_completeness_of_an_exact_reading_runs_to_its_L(root):
    got = growth.completeness([EXACT, PLAIN], data_dir=root)
    reading = got[got["table"] == EXACT]
    lengths = Counter(len(s) for s in strings_of(EXACT, root)["string"])
    assert reading["length"].tolist() == [1, 2, 3, 4, 5, 6]
    assert reading["strings"].tolist() == [lengths[n] for n in range(1, 7)]
    # the outputs of at most 6 symbols are those of the table exact by the busy beaver
    exact = Counter(len(s) for s in strings_of("d3x2-s21")["string"])
    assert reading["strings"].tolist() == [exact[n] for n in range(1, 7)]


@pytest.mark.parametrize("a, b", [("d3x2-s21", "d4x2-s107"), ("d4x2-s107", "d5x2-s500")])
def test_correlation_equals_scipy_on_a_merge_built_here(a, b):
    got = growth.correlation(a, b).set_index("length")
    left, right = strings_of(a), strings_of(b)
    both = left.merge(right, on="string", suffixes=("_a", "_b"))
    both["length"] = both["string"].str.len()
    lengths_a, lengths_b = Counter(left["string"].str.len()), Counter(right["string"].str.len())
    assert sorted(got.index.dropna()) == sorted(set(lengths_a) | set(lengths_b))

    def want(x, y):
        if len(x) < 2 or x.nunique() == 1 or y.nunique() == 1:
            return math.nan, math.nan
        return stats.spearmanr(x, y).statistic, stats.pearsonr(x, y).statistic

    for length, row in got.iterrows():
        part = both if pd.isna(length) else both[both["length"] == length]
        assert row["n"] == len(part)
        in_a = len(left) if pd.isna(length) else lengths_a.get(length, 0)
        in_b = len(right) if pd.isna(length) else lengths_b.get(length, 0)
        assert (row["only_a"], row["only_b"]) == (in_a - len(part), in_b - len(part))
        rho, r = want(part["K_a"], part["K_b"])
        assert row["spearman"] == pytest.approx(rho, rel=1e-12, nan_ok=True), length
        assert row["pearson"] == pytest.approx(r, rel=1e-12, nan_ok=True), length
        shift = (part["K_b"] - part["K_a"]).median() if len(part) else math.nan
        assert row["shift"] == pytest.approx(shift, rel=1e-12, nan_ok=True), length
    assert got.index[-1] is pd.NA and got.iloc[-1]["n"] == len(both)
    # D(4)'s strings are all in D(5): every length's only_a is 0 for that pair
    if b == "d5x2-s500":
        assert (got["only_a"] == 0).all()


def test_spearman_equals_scipys_with_ties():
    rng = np.random.default_rng(7)
    x, y = rng.integers(0, 5, 40), rng.integers(0, 7, 40)
    assert growth.spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, rel=1e-12)
    assert math.isnan(growth.spearman([1, 1, 1], [1, 2, 3])) and math.isnan(growth.spearman([1], [2]))


@pytest.mark.parametrize("within", ["length", "table"])
def test_rank_changes_follow_the_definition(within):
    a, b = "d4x2-s107", "d5x2-s500"
    got = growth.rank_changes(a, b, within=within, top=None)
    both = strings_of(a).merge(strings_of(b), on="string", suffixes=("_a", "_b"))
    assert len(got) == len(both) and set(got["string"]) == set(both["string"])
    both["length"] = both["string"].str.len()
    key = both["length"] if within == "length" else pd.Series(0, index=both.index)
    want = {}
    for _, group in both.groupby(key):
        for side in ("a", "b"):
            counts = group[f"count_{side}"].to_numpy()
            ranks = 1 + (counts[None, :] > counts[:, None]).sum(axis=1)  # 1 + strings with a larger count
            want.update({(s, side): int(r) for s, r in zip(group["string"], ranks)})
    for row in got.itertuples():
        assert (row.rank_a, row.rank_b) == (want[row.string, "a"], want[row.string, "b"]), row.string
        assert row.change == row.rank_b - row.rank_a
        assert row.among == (int((both["length"] == row.length).sum()) if within == "length" else len(both))
    sizes = got["change"].abs().to_numpy()
    assert (np.diff(sizes) <= 0).all()
    top = growth.rank_changes(a, b, within=within, top=5)
    pd.testing.assert_frame_equal(top, got.head(5))


def test_late_outputs_are_the_set_difference_and_their_machines_write_them(root):
    assert growth.plain_of(EXACT, data_dir=root) == PLAIN
    got = growth.late_outputs(EXACT, data_dir=root)
    reading, plain = strings_of(EXACT, root), strings_of(PLAIN, root)
    assert set(got["string"]) == set(reading["string"]) - set(plain["string"])
    assert len(got) == len(set(got["string"])) > 0
    # exact counts: those of the table exact by the busy beaver, which the 10-step table lacks
    exact = strings_of("d3x2-s21").set_index("string")["count"]
    assert got["count"].tolist() == [int(exact[s]) for s in got["string"]]
    assert got["count"].tolist() == sorted(got["count"], reverse=True)
    space = Space(3, 2, 21)
    renamed = str.maketrans("01", "10")
    for row in got.itertuples():
        digits = [0 if d is None else d for d in space.parse_text(row.machine)]  # '---': never read
        assert simulate_one(3, 2, 21, space.number(digits)) == (True, row.output, row.steps), row.machine
        assert row.steps > 10
        how = {
            "it": row.output,
            "reversed": row.output[::-1],
            "symbols renamed": row.output.translate(renamed),
            "reversed, symbols renamed": row.output[::-1].translate(renamed),
        }
        assert how[row.relation] == row.string, row


def test_bdm_on_an_exact_reading_brackets_the_busy_beaver_tables(root):
    strings = ["010110011100", "000000111111", "011010011001"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = growth.bdm_by_table(strings, ["d3x2-s21", EXACT], block=6, data_dir=root)
        plain = bdm(strings, table="d3x2-s21", block=6)
        reading = bdm(strings, table=EXACT, block=6, data_dir=root)
    assert got["table"].tolist() == ["d3x2-s21"] * 3 + [EXACT] * 3
    assert got["string"].tolist() == strings * 2 and (got["block"] == 6).all()
    first, second = got.iloc[:3], got.iloc[3:]
    assert first["BDM"].tolist() == plain.tolist() and first["BDM_low"].isna().all()
    assert first["imputed_share"].tolist() == plain.attrs["imputed_share"]
    assert second["BDM"].tolist() == reading.tolist() == second["BDM_low"].tolist()
    # the true H is within [H_low, H_high]: BDM on the busy-beaver table lies in the interval
    assert (second["BDM_low"].to_numpy() <= plain.to_numpy()).all()
    assert (plain.to_numpy() <= second["BDM_high"].to_numpy()).all()


def test_available_names_the_tables_present(tmp_path, root):
    missing = ["d7x2-s500", "d7x2-s500-upto12", "d6x2-s499"]
    assert growth.available(["d4x2-s107", *missing], data_dir=tmp_path) == ["d4x2-s107"]
    assert growth.available([EXACT, "d3x2-s21"], data_dir=root) == [EXACT, "d3x2-s21"]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: growth.completeness(["d5x2"]), "table name should look like d5x2-s500"),
        (lambda: growth.available(["d6x2"]), "table name should look like d5x2-s500"),
        (lambda: growth.correlation("d4x2-s107", "d9x2-s1"), "unknown table 'd9x2-s1'"),
        (lambda: growth.correlation("d4x2-s107", "d2x3-s38"), "have 2 and 3 symbols: compare one alphabet"),
        (lambda: growth.rows("d4x4-s2000-sampled"), "is sampled (its rows are patterns)"),
        (lambda: growth.rows("d4x2-2d-s2000"), "holds matrices"),
        (lambda: growth.late_outputs("d4x2-s107"), "table d4x2-s107 v1 is not an exact reading"),
        (lambda: growth.late_outputs(EXACT, "d3x2-s21"), "is not of the space and step limit of d3x2-s10-upto6"),
        (lambda: growth.rank_changes("d3x2-s21", "d4x2-s107", within="row"), "within should be one of length, table"),
        (lambda: growth.rank_changes("d3x2-s21", "d4x2-s107", top=0), "top should be a positive integer or None"),
    ],
)
def test_bad_tables_and_arguments_give_one_line_errors(root, monkeypatch, call, message):
    monkeypatch.setenv("CTM_DATA_DIR", str(root))
    with pytest.raises(CTMError) as raised:
        call()
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_the_example_does_d4_against_d5_and_leaves_out_what_is_missing(tmp_path, capsys):
    example = load("growth")
    out = tmp_path / "out"
    argv = ["--tables", "d4x2-s107", "d5x2-s500", "d7x2-s500", "--exact", "d7x2-s500-upto12"]
    assert example.main(["--out", str(out), "--data-dir", str(tmp_path), *argv]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[:2] == [
        "d7x2-s500: not computed yet (no version in the data root or the shipped tables): left out",
        "d7x2-s500-upto12: not computed yet (no version in the data root or the shipped tables): left out",
    ]
    want = growth.correlation("d4x2-s107", "d5x2-s500")
    pd.testing.assert_frame_equal(pd.read_csv(out / "correlation.csv", dtype={"length": "Int64"}), want)
    whole = want.iloc[-1]
    (row,) = [line.split() for line in printed if line.startswith("all ")]
    assert row == ["all", str(whole["n"]), *(f"{whole[c]:.4f}" for c in ("spearman", "pearson", "shift"))]
    shares = growth.completeness(["d4x2-s107", "d5x2-s500"])
    pd.testing.assert_frame_equal(pd.read_csv(out / "completeness.csv"), shares)
    for name in ("d4x2-s107", "d5x2-s500"):
        assert any(line.startswith(f"000110100111 and 111001011000 in {name}: count 0") for line in printed)
    changes = growth.rank_changes("d4x2-s107", "d5x2-s500", top=12)
    top = changes.iloc[0]
    same = changes[["length", "rank_a", "rank_b"]] == top[["length", "rank_a", "rank_b"]]
    tied = int(same.all(axis=1).sum()) - 1
    line = f"  {top['string']} +{tied} tied (length {top['length']}): rank {top['rank_a']} -> {top['rank_b']} of "
    assert any(p.startswith(line) for p in printed)
    scores = pd.read_csv(out / "bdm.csv")
    ratings = pd.read_csv(example.DEFAULT_CSV)
    assert scores["table"].unique().tolist() == ["d4x2-s107", "d5x2-s500"] and len(scores) == 2 * len(ratings)
    d5 = scores[scores["table"] == "d5x2-s500"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert d5["BDM"].to_numpy() == pytest.approx(bdm(ratings["string"], table="d5x2-s500", block=12).to_numpy())
    imputed = int((d5["imputed_share"] > 0).sum())
    assert any(
        line.startswith(f"  d5x2-s500: mean BDM {d5['BDM'].mean():.3f} bits, {imputed} of 216") for line in printed
    )
    for name in ("completeness.png", "k-pairs.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (out / "late-outputs.csv").exists()


def test_the_example_lists_the_late_outputs_of_an_exact_reading(root, tmp_path, capsys):
    example = load("growth")
    argv = ["--out", str(tmp_path), "--data-dir", str(root), "--tables", "d2x2-s6", "d3x2-s21", "--exact", EXACT]
    assert example.main([*argv, "--block", "6", "--watch", "001110"]) == 0
    printed = capsys.readouterr().out.splitlines()
    late = growth.late_outputs(EXACT, data_dir=root)
    bracket = growth.open_strings(EXACT, data_dir=root).exact_upto
    assert (
        f"{EXACT}: every output of at most 6 symbols counted with no step cutoff; H in "
        f"[{bracket['H_low']}, {bracket['H_high']}], so each K within {bracket['bracket_bits']:.3g} bits"
    ) in printed
    lengths = ", ".join(f"{n}: {c}" for n, c in late.groupby("length").size().items())
    assert (
        f"outputs of at most 6 symbols only after step 10 ({EXACT}, not in {PLAIN}): {len(late)} (by length {lengths})"
        in printed
    )
    first = late.iloc[0]
    assert any(
        line.startswith(f"  {first['string']} (count {first['count']}, K in [") and first["machine"] in line
        for line in printed
    )
    written = pd.read_csv(tmp_path / "late-outputs.csv", dtype={"string": str, "output": str})
    assert written["string"].tolist() == late["string"].tolist()
    assert (
        "d2x2-s6: no BDM with blocks of 6 (block should be at most 4, the longest output of table d2x2-s6 v1, got 6)"
        in printed
    )
    count = int(strings_of("d3x2-s21").set_index("string")["count"]["001110"])
    assert any(line.startswith(f"001110 in {EXACT}: count {count}, K ") for line in printed)
