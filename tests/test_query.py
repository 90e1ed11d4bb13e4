"""Lookups and the acss-style functions, on a hand-made table with exact K values (toytable.TOY)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from click.testing import CliRunner
from toytable import TOY, write_table

from pipeline.cli import main
from pipeline.errors import CTMError
from pipeline.query import (
    NotProducedWarning,
    acss,
    entropy,
    entropy2,
    likelihood_d,
    likelihood_ratio,
    local_complexity,
    lookup,
    normalize_string,
    open_table,
    prob_random,
)

NAME = "d3x2-s7"


@pytest.fixture
def root(tmp_path):
    write_table(tmp_path, NAME, TOY)
    return tmp_path


@pytest.fixture
def opts(root):
    return {"table": NAME, "data_dir": root}


def test_normalize_string_renames_symbols_in_order_of_first_appearance():
    assert normalize_string("OXXO") == "0110"
    assert normalize_string("1001") == "0110"
    assert normalize_string(["HUHHEGGTE", "EGGHHU", "", "zzz"]) == ["010023342", "011223", "", "000"]
    assert normalize_string("9876543210") == "0123456789"


def test_normalize_string_refuses_more_than_ten_symbols():
    with pytest.raises(CTMError, match="more than 10 distinct symbols"):
        normalize_string("abcdefghijk")


def test_lookup_gives_count_K_D_and_competition_rank(opts):
    got = {a.string: a for a in lookup(["0", "1", "00", "01", "000", "010", "0110"], **opts)}
    assert [got[s].count for s in got] == [16, 16, 8, 4, 2, 1, 1]
    assert [got[s].K for s in got] == [2.0, 2.0, 3.0, 4.0, 5.0, 6.0, 6.0]
    assert [got[s].rank for s in got] == [1, 1, 3, 5, 7, 9, 9]
    assert got["0"].D == 0.25
    assert (got["0"].table, got["0"].version) == (NAME, 1)


def test_acss_returns_a_frame_indexed_by_the_input_strings(opts):
    frame = acss(["OXXO", "XO", "X", "OXXO"], **opts)
    assert list(frame.index) == ["OXXO", "XO", "X", "OXXO"]
    assert list(frame["K"]) == [6.0, 4.0, 2.0, 6.0]
    assert list(frame["D"]) == [1 / 64, 1 / 16, 1 / 4, 1 / 64]
    assert list(frame["count"]) == [1, 4, 16, 1]
    assert list(frame["rank"]) == [9, 5, 1, 9]


def test_symbols_need_not_be_digits(opts):
    same = acss(["0110", "1001", "OXXO", "abba", "+--+"], **opts)
    assert set(same["K"]) == {6.0}


def test_string_not_produced_is_nan_with_a_warning_and_a_note(opts):
    with pytest.warns(NotProducedWarning, match="not produced by table d3x2-s7 v1.*BDM"):
        frame = acss(["0011", "00"], **opts)
    assert math.isnan(frame.loc["0011", "K"]) and math.isnan(frame.loc["0011", "D"])
    assert frame.loc["0011", "count"] == 0 and frame["rank"].isna().tolist() == [True, False]
    (answer,) = lookup("0011", **opts)
    assert not answer.produced and answer.K is None and answer.rank is None
    assert "not produced by this table" in answer.note and "BDM" in answer.note


def test_empty_string_is_not_produced(opts):
    (answer,) = lookup("", **opts)
    assert answer.count == 0 and answer.K is None
    with pytest.warns(NotProducedWarning):
        assert math.isnan(acss("", **opts).loc["", "K"])


@pytest.mark.parametrize(
    "strings, message",
    [
        ("012", "3 distinct symbols but table d3x2-s7 has 2"),
        ("abc", "3 distinct symbols"),
        ("00000", "length 5 .* longer than 4"),
        ([1010], "strings should be text"),
    ],
)
def test_bad_strings_are_clear_errors(opts, strings, message):
    with pytest.raises(CTMError, match=message):
        lookup(strings, **opts)


def test_unknown_table_version_or_name_are_clear_errors(root):
    with pytest.raises(CTMError, match="unknown table 'd9x2-s9'.*d3x2-s7"):
        open_table("d9x2-s9", data_dir=root)
    with pytest.raises(CTMError, match="version"):
        open_table(NAME, 2, data_dir=root)
    with pytest.raises(CTMError, match="version should be a positive integer"):
        open_table(NAME, 0, data_dir=root)
    with pytest.raises(CTMError, match="table name should look like d5x2-s500"):
        open_table("binary", data_dir=root)
    with pytest.raises(CTMError, match="has 2 symbols but alphabet=4"):
        open_table(NAME, alphabet=4, data_dir=root)
    with pytest.raises(CTMError, match="no table for alphabet 8"):
        open_table(alphabet=8, data_dir=root)


def test_latest_version_by_default_and_any_version_on_request(root):
    write_table(root, NAME, {**TOY, "0": 48, "1": 48})  # publishes v2
    assert open_table(NAME, data_dir=root).version == 2
    assert lookup("0", NAME, data_dir=root)[0].count == 48
    assert lookup("0", NAME, 1, data_dir=root)[0].count == 16


def test_user_data_root_comes_before_the_shipped_tables(tmp_path, monkeypatch):
    write_table(tmp_path, "d5x2-s500", TOY)
    monkeypatch.setenv("CTM_DATA_DIR", str(tmp_path))
    (answer,) = lookup("X")
    assert (answer.table, answer.K, answer.count) == ("d5x2-s500", 2.0, 16)


def test_default_table_for_another_alphabet_is_the_largest_available(tmp_path):
    write_table(tmp_path, "d2x7-s9", {str(d): 3 for d in range(7)})
    write_table(tmp_path, "d3x7-s9", {str(d): 6 for d in range(7)})
    assert open_table(alphabet=7, data_dir=tmp_path).name == "d3x7-s9"


def test_decimal_counts_stay_exact(tmp_path):
    big = 2**70
    write_table(tmp_path, "d4x4-s9", {"0": big, "1": big, "2": big, "3": big, "01": 12}, decimal=True)
    answers = lookup(["0", "01"], "d4x4-s9", data_dir=tmp_path)
    assert [a.count for a in answers] == [big, 12] and [a.rank for a in answers] == [1, 5]


def test_local_complexity_is_K_of_every_window_in_order(opts):
    (series,) = local_complexity("OOXXO", span=2, **opts)
    assert series.name == "OOXXO"
    assert list(series.index) == ["OO", "OX", "XX", "XO"]
    assert list(series) == [3.0, 4.0, 3.0, 4.0]
    one, two = local_complexity(["XXXX", "0101"], span=3, **opts)
    assert list(one) == [5.0, 5.0] and list(two) == [6.0, 6.0]


def test_local_complexity_edge_cases(opts):
    (short,) = local_complexity("01", span=3, **opts)
    assert short.empty and short.name == "01"
    with pytest.warns(NotProducedWarning):
        (series,) = local_complexity("0011", span=3, **opts)
    assert series.isna().all()
    with pytest.raises(CTMError, match="span should be an integer from 1 to 4"):
        local_complexity("0101010", span=5, **opts)
    with pytest.raises(CTMError, match="3 distinct symbols"):
        local_complexity("0120", span=2, **opts)


def test_likelihoods_and_posterior_by_hand(opts):
    # strings of length 2 hold D = (8 + 8 + 4 + 4) / 64 = 3/8; D("01") = 1/16, D("00") = 1/8
    assert list(likelihood_d(["01", "OX", "00"], **opts)) == pytest.approx([1 / 6, 1 / 6, 1 / 3])
    assert list(likelihood_ratio(["01", "00"], **opts)) == pytest.approx([1.5, 0.75])
    assert list(prob_random("01", **opts)) == pytest.approx([0.6])
    assert list(prob_random("01", prior=0.2, **opts)) == pytest.approx([3 / 11])
    # length 4: D("0110") = 1/64 of a mass of 2/64, so P(s | deterministic) = 1/2
    series = likelihood_ratio(["0110"], **opts)
    assert series.index.tolist() == ["0110"] and series.iloc[0] == pytest.approx((1 / 16) / (1 / 2))


def test_likelihood_of_an_unproduced_string_is_nan(opts):
    with pytest.warns(NotProducedWarning):
        assert math.isnan(likelihood_d("0011", **opts).iloc[0])


def test_prob_random_refuses_a_prior_outside_0_1(opts):
    with pytest.raises(CTMError, match="prior should be a probability"):
        prob_random("01", prior=1.5, **opts)


def test_entropy_first_and_second_order():
    first = entropy(["0011", "0001", "OOOO", "", "abc"])
    assert isinstance(first, pd.Series) and first.index.tolist() == ["0011", "0001", "OOOO", "", "abc"]
    assert list(first) == pytest.approx([1.0, -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25)), 0.0, 0.0, math.log2(3)])
    second = entropy2(["0101", "0000", "OXXO"])
    assert list(second) == pytest.approx([-(2 / 3 * math.log2(2 / 3) + 1 / 3 * math.log2(1 / 3)), 0.0, math.log2(3)])
    with pytest.raises(CTMError, match="length 2 or more"):
        entropy2("0")


def test_cli_query_lines_json_file_and_stdin(root, tmp_path):
    runner = CliRunner()
    base = ["query", "--table", NAME, "--data-dir", str(root)]
    result = runner.invoke(main, base + ["OXXO", "0011"])
    assert result.exit_code == 0, result.output
    first, second = result.output.splitlines()
    assert first.startswith("OXXO") and "K=6.000000" in first and "count=1" in first and "rank=9" in first
    assert "not produced by this table (d3x2-s7 v1)" in second and "BDM" in second

    result = runner.invoke(main, base + ["--json", "X"])
    (record,) = json.loads(result.output)
    assert record == {
        "string": "X", "normalized": "0", "produced": True, "K": 2.0, "D": 0.25,
        "count": 16, "rank": 1, "table": NAME, "version": 1, "source": str(root.resolve()),
    }

    listing = tmp_path / "strings.txt"
    listing.write_text("OX\n\n  XX  \n")
    result = runner.invoke(main, base + ["--json", "--file", str(listing), "0"])
    assert [r["string"] for r in json.loads(result.output)] == ["0", "OX", "XX"]
    result = runner.invoke(main, base + ["--json", "--file", "-"], input="010\n101\n")
    assert [r["K"] for r in json.loads(result.output)] == [6.0, 6.0]


@pytest.mark.parametrize(
    "args, message",
    [
        (["012"], "3 distinct symbols"),
        (["0000000"], "length 7"),
        (["--table", "d9x2-s9", "01"], "unknown table"),
        (["--version", "3", "01"], "version"),
        ([], "no strings to query"),
    ],
)
def test_cli_query_errors_are_one_line(root, args, message):
    if "--table" not in args:
        args = ["--table", NAME] + args
    result = CliRunner().invoke(main, ["query", "--data-dir", str(root)] + args)
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and message in result.output
    assert len(result.output.strip().splitlines()) == 1
