"""Lookups and acss(), on a hand-made table with exact K values (toytable.TOY): one
answer per input, NA and a reason for what the table cannot answer."""

from __future__ import annotations

import json
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from toytable import TOY, write_table

from pipeline.batch import NAWarning, reasons
from pipeline.cli import main
from pipeline.errors import CTMError
from pipeline.query import acss, lookup, normalize_string, open_table

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


def test_normalize_string_gives_none_past_ten_symbols():
    with pytest.warns(NAWarning, match="more than 10 distinct symbols"):
        assert normalize_string(["abcdefghijk", "ab"]) == [None, "01"]
    with pytest.raises(CTMError, match=r"input 1 \('abcdefghijk'\): has more than 10 distinct symbols"):
        normalize_string("abcdefghijk", errors="raise")


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


def test_string_not_produced_is_nan_with_a_warning_and_a_reason(opts):
    with pytest.warns(
        NAWarning, match=r"1 of 2 strings have NA values.*not produced by this table \(d3x2-s7 v1\).*BDM"
    ):
        frame = acss(["0011", "00"], **opts)
    assert math.isnan(frame.loc["0011", "K"]) and math.isnan(frame.loc["0011", "D"])
    assert frame.loc["0011", "count"] == 0 and frame["rank"].isna().tolist() == [True, False]
    assert frame["reason"].isna().tolist() == [False, True] and "not produced" in frame.loc["0011", "reason"]
    (answer,) = lookup("0011", **opts, errors="ignore")
    assert not answer.produced and answer.K is None and answer.rank is None and answer.count == 0
    assert "not produced by this table" in answer.note and "BDM" in answer.note


def test_empty_string_says_empty(opts):
    (answer,) = lookup("", **opts, errors="ignore")
    assert answer.count == 0 and answer.K is None
    assert answer.reason.kind == "empty" and answer.note.startswith("is empty") and "not produced" not in answer.note
    with pytest.warns(NAWarning, match=r"\[empty: 1\]"):
        assert math.isnan(acss("", **opts).loc["", "K"])


# Every reason an input of a lookup can have, with a phrase of its message.
REASONS = [
    ("012", "more symbols than the table", "has 3 distinct symbols but table d3x2-s7 has 2"),
    ("abc", "more symbols than the table", "3 distinct symbols"),
    ("abcdefghijk", "more symbols than the table", "more than 10 distinct symbols"),
    ("010-111", "more symbols than the table", "needs a 2-D table \\(ndim=2\\)"),
    ("00000", "longer than any output", "has length 5 but no output of table d3x2-s7 v1 is longer than 4"),
    ("0011", "not produced", "not produced by this table"),
    (1010, "number, not text", "the number 1010 is not a string"),
    (None, "missing value", "missing value"),
    (np.nan, "missing value", "missing value"),
    (["01", "2"], "unreadable symbols", "one-character strings or integers 0-9, got '01'"),
    (np.eye(2, dtype=int), "matrix", "needs a 2-D table \\(ndim=2\\)"),
]


@pytest.mark.parametrize("bad, kind, message", REASONS)
def test_each_reason_is_na_for_that_input_only(opts, bad, kind, message):
    batch = ["OX", bad, "X"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = acss(batch, **opts)
        answers = lookup(batch, **opts)
    assert [w.category for w in caught] == [NAWarning, NAWarning], "one warning per call"
    assert f"1 of 3 strings have NA values [{kind}: 1]" in str(caught[0].message)
    assert frame["K"].tolist()[0] == 4.0 and frame["K"].tolist()[2] == 2.0 and math.isnan(frame["K"].tolist()[1])
    assert re.search(message, frame["reason"].tolist()[1]) and frame["reason"].tolist()[0] is None
    assert [a.produced for a in answers] == [True, False, True] and answers[1].reason.kind == kind
    with pytest.raises(CTMError, match=message):
        lookup(batch, **opts, errors="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lookup(batch, **opts, errors="ignore")


def test_errors_must_be_one_of_the_policies(opts):
    with pytest.raises(CTMError, match="errors should be one of warn, raise, ignore, got 'skip'"):
        acss("01", **opts, errors="skip")


def test_a_pandas_column_with_gaps_is_scored_around_them(opts):
    column = pd.Series(["OXXO", None, "XO", np.nan, "X"], name="string")
    with pytest.warns(NAWarning, match="2 of 5 strings have NA values \\[missing value: 2\\]"):
        frame = acss(column, **opts)
    assert frame["K"].tolist()[::2] == [6.0, 4.0, 2.0] and frame["K"].isna().tolist() == [
        False,
        True,
        False,
        True,
        False,
    ]
    assert frame.index.tolist() == [0, 1, 2, 3, 4] and frame["string"].tolist() == ["OXXO", None, "XO", None, "X"]
    assert reasons(frame).tolist() == [
        None,
        "missing value: nothing to score",
        None,
        "missing value: nothing to score",
        None,
    ]


def test_a_dataframe_column_filled_by_acss_aligns_with_its_rows(opts):
    """A Series in gives its own index back, in order, duplicates and all (the tutorial's
    ``df["K"] = acss(df["resp"])["K"]``); a list in gives the strings, duplicates kept."""
    df = pd.DataFrame({"resp": ["XO", "OXXO", "XO", "abc", "X"]}, index=[10, 11, 12, 13, 11])
    with pytest.warns(NAWarning, match=r"1 of 5 strings"):
        got = acss(df["resp"], **opts)
    assert got.index.tolist() == [10, 11, 12, 13, 11] and got["string"].tolist() == ["XO", "OXXO", "XO", "abc", "X"]
    df["K"] = got["K"]
    assert df["K"].tolist()[:3] == [4.0, 6.0, 4.0] and math.isnan(df["K"].tolist()[3]) and df["K"].tolist()[4] == 2.0
    df2 = df.iloc[[1, 2, 0]].copy()
    df2["K"] = acss(df2["resp"], **opts)["K"]  # label alignment on a unique index
    assert df2.index.tolist() == [11, 12, 10] and df2["K"].tolist() == [6.0, 4.0, 4.0]
    from pipeline.bdm import bdm
    from pipeline.measures import entropy

    assert entropy(df["resp"]).index.tolist() == [10, 11, 12, 13, 11]
    assert bdm(df["resp"].iloc[:3], block=2, errors="ignore", **opts).index.tolist() == [10, 11, 12]
    listed = acss(["XO", "X", "XO"], **opts)
    assert listed.index.tolist() == ["XO", "X", "XO"] and "string" not in listed.columns
    assert listed["K"].tolist() == [4.0, 2.0, 4.0]


def test_a_numpy_integer_array_is_one_string(opts):
    frame = acss(np.array([0, 1, 1, 0]), **opts)
    assert frame.index.tolist() == ["0110"] and frame["K"].tolist() == [6.0]


def test_an_alphabet_with_no_table_is_na_for_every_input_saying_so(opts, root):
    with pytest.warns(
        NAWarning,
        match=r"2 of 2 strings have NA values \[no table: 2\].*no table for alphabet 7 yet \(tables exist for alphabet 2, 3, 4, 5, 6, 9",
    ):
        frame = acss(["01", "0123456"], alphabet=7, data_dir=root)
    assert frame["K"].isna().all() and frame["count"].isna().all()
    with pytest.raises(CTMError, match="no table for alphabet 7"):
        acss("01", alphabet=7, data_dir=root, errors="raise")


def test_no_batch_is_a_one_line_error(opts):
    for function in (lookup, acss, normalize_string):
        with pytest.raises(CTMError, match="should be a string, or a list"):
            function(None, **(opts if function is not normalize_string else {}))


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


def test_cli_query_lines_json_file_and_stdin(root, tmp_path):
    runner = CliRunner()
    base = ["query", "--table", NAME, "--data-dir", str(root)]
    result = runner.invoke(main, base + ["OXXO", "0011"])
    assert result.exit_code == 0, result.output
    first, second = result.output.splitlines()
    assert first.startswith("OXXO") and "K=6.000000" in first and "count=1" in first and "rank=9" in first
    assert second.startswith("0011  NA: not produced by this table (d3x2-s7 v1)") and "BDM" in second

    result = runner.invoke(main, base + ["--json", "X", "0011"])
    record, missing = json.loads(result.output)
    assert record == {
        "string": "X",
        "normalized": "0",
        "produced": True,
        "K": 2.0,
        "D": 0.25,
        "count": 16,
        "rank": 1,
        "table": NAME,
        "version": 1,
        "source": str(root.resolve()),
        "reason": None,
    }
    assert missing["K"] is None and missing["count"] == 0 and "not produced" in missing["reason"]

    listing = tmp_path / "strings.txt"
    listing.write_text("OX\n\n  XX  \n")
    result = runner.invoke(main, base + ["--json", "--file", str(listing), "0"])
    assert [r["string"] for r in json.loads(result.output)] == ["0", "OX", "XX"]
    result = runner.invoke(main, base + ["--json", "--file", "-"], input="010\n101\n")
    assert [r["K"] for r in json.loads(result.output)] == [6.0, 6.0]


def test_cli_query_reads_files_with_a_bom_and_crlf(root, tmp_path):
    listing = tmp_path / "excel.txt"
    listing.write_bytes("\ufeffOXXO\r\nXO\r\n".encode("utf-8"))
    result = CliRunner().invoke(
        main, ["query", "--table", NAME, "--data-dir", str(root), "--json", "--file", str(listing)]
    )
    assert result.exit_code == 0, result.output
    assert [(r["string"], r["K"]) for r in json.loads(result.output)] == [("OXXO", 6.0), ("XO", 4.0)]


def test_cli_query_keeps_going_and_fails_only_when_asked_or_when_nothing_scored(root):
    runner = CliRunner()
    base = ["query", "--table", NAME, "--data-dir", str(root)]
    result = runner.invoke(main, base + ["012", "OX", "0000000"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["012", "OX", "0000000"]
    assert "NA: has 3 distinct symbols but table d3x2-s7 has 2" in lines[0] and "K=4.000000" in lines[1]
    assert "NA: has length 7 but no output of table d3x2-s7 v1 is longer than 4" in lines[2]
    strict = runner.invoke(main, base + ["--strict", "012", "OX"])
    assert strict.exit_code == 1 and strict.stdout.count("\n") == 2
    assert strict.stderr.strip() == "error: 1 of 2 inputs have no value (--strict); each line says why"
    none = runner.invoke(main, base + ["012", "0011"])
    assert none.exit_code == 1 and "none of the 2 inputs has a value" in none.stderr


def test_cli_query_alphabet_and_strings_starting_with_a_dash(root, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["query", "--alphabet", "2", "--data-dir", str(root), "01"])
    assert result.exit_code == 0 and "(d5x2-s500 v1, shipped)" in result.stdout  # the default binary table
    write_table(tmp_path, "d4x3-s9", {"0": 3, "1": 3, "2": 3, "01": 1})
    result = runner.invoke(main, ["query", "--alphabet", "3", "--data-dir", str(tmp_path), "--json", "a"])
    assert json.loads(result.stdout)[0]["table"] == "d4x3-s9"
    result = runner.invoke(main, ["query", "--table", NAME, "--data-dir", str(root), "--", "-++-"])
    assert result.exit_code == 0 and result.stdout.startswith("-++-  K=6.000000")
    assert runner.invoke(main, ["query", "-++-"]).exit_code == 2  # read as an option without --


@pytest.mark.parametrize(
    "args, message",
    [
        (["--table", "d9x2-s9", "01"], "unknown table"),
        (["--version", "3", "01"], "version"),
        (["--alphabet", "3", "01"], "has 2 symbols but alphabet=3"),
        ([], "no inputs: give them as arguments or with --file F"),
    ],
)
def test_cli_query_errors_are_one_line(root, args, message):
    if "--table" not in args:
        args = ["--table", NAME] + args
    result = CliRunner().invoke(main, ["query", "--data-dir", str(root)] + args)
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_acss_of_many_strings_takes_rows_at_once(tmp_path, monkeypatch):
    """20,000 strings are one batch: the table is opened once and looked up once (they
    took 5 s when every answer resolved the table's path; the benchmark's 100,000 take
    under 1 s: BENCHMARKS.md). A structural check, not a timed one."""
    import random

    from pipeline import query

    monkeypatch.setenv("CTM_DATA_DIR", str(tmp_path / "none"))
    rng = random.Random(0)
    xs = ["".join(rng.choice("01") for _ in range(rng.randint(1, 11))) for _ in range(20_000)]
    calls = {"open_or_na": 0, "look": 0}
    for name in calls:

        def counted(*args, _real=getattr(query, name), _name=name, **kwargs):
            calls[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(query, name, counted)
    got = acss(xs)
    assert calls == {"open_or_na": 1, "look": 1}
    assert got["K"].notna().all() and got.index.tolist() == xs
    one = lookup(xs[:50])
    assert got["K"].tolist()[:50] == [a.K for a in one] and got["rank"].tolist()[:50] == [a.rank for a in one]
