"""Inputs: every accepted form becomes one item per input, the rest an NA with its reason,
and what is no batch at all a one-line CTMError."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import CTMError
from pipeline.inputs import MATRIX, MISSING, NUMBER, SYMBOLS, item, items, one, read_lines


def texts(found):
    return [(i.label, i.text, i.na.kind if i.na else None) for i in found]


def test_a_string_is_one_input_and_a_list_of_strings_a_batch():
    assert texts(items("OXXO")) == [("OXXO", "OXXO", None)]
    assert texts(items(["01", "OX", ""])) == [("01", "01", None), ("OX", "OX", None), ("", "", None)]
    assert texts(items(("0", "1"))) == [("0", "0", None), ("1", "1", None)]
    assert texts(items(s for s in ["ab"])) == [("ab", "ab", None)]


def test_numpy_integer_arrays_are_one_string_as_in_pybdm():
    assert texts(items(np.array([0, 1] * 3))) == [("010101", "010101", None)]
    assert texts(items(np.array([2, 0, 9], dtype=np.uint8))) == [("209", "209", None)]
    assert texts(items(np.array(["01", "10"]))) == [("01", "01", None), ("10", "10", None)]
    assert texts(items([np.array([1, 1]), "01"])) == [("11", "11", None), ("01", "01", None)]


def test_lists_of_symbols_inside_a_batch_are_strings():
    assert texts(items([list("OXXO"), [0, 1, 1], ("a", "b")])) == [
        ("OXXO", "OXXO", None),
        ("011", "011", None),
        ("ab", "ab", None),
    ]
    bad = items([["ab", "c"], [0, 10], [True]])
    assert [i.na.kind for i in bad] == [SYMBOLS] * 3
    assert "one-character strings or integers 0-9, got 'ab'" in bad[0].na.detail


def test_missing_values_in_a_pandas_series_are_na():
    series = pd.Series(["0101", None, np.nan, pd.NA, "OX"])
    found = items(series)
    assert [i.text for i in found] == ["0101", None, None, None, "OX"]
    assert [i.na.kind if i.na else None for i in found] == [None, MISSING, MISSING, MISSING, None]
    assert found[1].label is None and "missing value" in found[1].na.detail


def test_numbers_are_na_with_the_leading_zeros_hint():
    found = items(pd.Series([111111, 101], dtype="int64"))
    assert [i.na.kind for i in found] == [NUMBER, NUMBER]
    assert found[0].label == "111111" and "leading zeros" in found[0].na.detail and "dtype=str" in found[0].na.detail
    assert items([1.5])[0].na.kind == NUMBER


def test_a_2d_array_is_a_matrix_that_needs_a_2d_table():
    (found,) = items(np.array([[0, 1, 0], [1, 1, 1]]))
    assert found.ok and found.text == "010-111"  # one 2-D array is one matrix
    (found,) = items(np.array([[0, 1, 0], [1, 1, 1]]), ndim=1)
    assert found.na.kind == MATRIX and found.label == "010-111"
    assert "needs a 2-D table (ndim=2)" in found.na.detail
    assert items([np.zeros((2, 2, 2), dtype=int)])[0].na.kind == SYMBOLS
    assert items([np.array([0.0, 1.0])])[0].na.kind == SYMBOLS


def test_byte_order_mark_and_line_endings_are_not_symbols():
    assert item("\ufeff0101\r\n").text == "0101"


@pytest.mark.parametrize(
    "data, message",
    [
        (None, "strings should be a string, or a list, tuple, pandas Series or 1-D numpy array of strings, got 'None'"),
        (5, "got '5' \\(int\\)"),
        ({"a": 1}, "\\(dict\\)"),
        (b"0101", "\\(bytes\\)"),
        (pd.DataFrame({"s": ["01"]}), "got a DataFrame: pass one column"),
        (np.array([0.0, 1.0]), "1-D array of float64"),
        (np.int64(3), "\\(int64\\)"),
    ],
)
def test_what_is_no_batch_is_a_one_line_error(data, message):
    with pytest.raises(CTMError, match=message) as caught:
        items(data)
    assert "\n" not in str(caught.value)


def test_matrices_are_read_with_ndim_2():
    import numpy as np

    with pytest.raises(CTMError, match="ndim should be 1 \\(strings\\) or 2 \\(matrices\\), got 3"):
        items("0101", ndim=3)
    got = items(["010-111", "01-1", np.array([[1, 0], [0, 1]]), ["01", "10"], np.zeros((2, 2, 2), dtype=int)], ndim=2)
    assert [g.text for g in got] == ["010-111", None, "10-01", "01-10", None]
    assert "rows of one length" in got[1].na.detail and "3-D array" in got[4].na.detail
    assert [g.text for g in items(np.array([[1, 1], [0, 1]]))] == ["11-01"]  # one 2-D array: one matrix


def test_one_object_as_pybdm_takes_it():
    assert one("OXXO") == "OXXO"
    assert one(list("01" * 3)) == "010101"
    assert one(np.array([0, 1] * 3)) == "010101"
    with pytest.raises(CTMError, match="a list of strings: score a batch"):
        one(["0101", "0011"])
    with pytest.raises(CTMError, match="needs a 2-D table"):
        one(np.ones((3, 3), dtype=int))
    with pytest.raises(
        CTMError, match="should be a string, a list of symbols or a 1-D numpy integer array, got 'None'"
    ):
        one(None)


def test_read_lines_handles_bom_crlf_blank_lines_and_streams(tmp_path):
    path = tmp_path / "strings.txt"
    path.write_bytes("\ufeffOXXO\r\n\r\n  XX  \r\nOX".encode("utf-8"))
    assert read_lines(path) == ["OXXO", "XX", "OX"]
    assert read_lines(io.BytesIO(b"\xef\xbb\xbf01\r\n10\r\n")) == ["01", "10"]
    assert read_lines(io.StringIO("\ufeff01\n10\n")) == ["01", "10"]
    path.write_bytes(b"\xff\xfe0\x001\x00")
    with pytest.raises(CTMError, match="is not UTF-8 text"):
        read_lines(path)


def test_nan_is_recognised_whatever_its_type():
    assert all(item(v).na.kind == MISSING for v in (float("nan"), np.float32("nan"), None, pd.NaT, pd.NA))
