"""The batch rules hold for every query and score function alike: one answer per input,
NaN and a reason for what it cannot score, one NAWarning per call, errors='raise' and
'ignore', numpy integer arrays and lists of symbols as strings, and a one-line CTMError
for what is no batch at all."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from toytable import TOY, write_table

from pipeline import bdm as B, measures as M, query as Q
from pipeline.batch import NAWarning, reasons
from pipeline.errors import CTMError

NAME = "d3x2-s7"


@pytest.fixture
def root(tmp_path):
    write_table(tmp_path, NAME, TOY)
    return tmp_path


def values(result) -> list:
    """One value per input, whatever the function returns."""
    if isinstance(result, pd.DataFrame):
        return result["K"].tolist()
    if isinstance(result, list) and result and isinstance(result[0], Q.Answer):
        return [math.nan if a.K is None else a.K for a in result]
    if isinstance(result, list):  # local_complexity: the mean of each input's windows
        return [s.mean() if len(s) else math.nan for s in result]
    return result.tolist()


def why(result) -> list:
    if isinstance(result, list) and result and isinstance(result[0], Q.Answer):
        return [a.note for a in result]
    if isinstance(result, list):
        return [s.attrs["reason"] for s in result]
    return reasons(result).tolist()


TABLE = {"table": NAME}
# (name, function, keyword arguments): every batch function; the toy's outputs have at
# most 4 symbols, so lookups get "001" (X = 1) and scores of blocks "000111"
FUNCTIONS = [
    ("lookup", Q.lookup, TABLE),
    ("acss", Q.acss, TABLE),
    ("local_complexity", M.local_complexity, {**TABLE, "span": 3}),
    ("likelihood_d", M.likelihood_d, TABLE),
    ("likelihood_ratio", M.likelihood_ratio, TABLE),
    ("prob_random", M.prob_random, TABLE),
    ("entropy", M.entropy, {}),
    ("entropy2", M.entropy2, {}),
    ("acss_bdm", M.acss_bdm, {**TABLE, "blocksize": 3, "alphabet": 2}),
    ("bdm", B.bdm, {**TABLE, "block": 3}),
    ("nbdm", B.nbdm, {**TABLE, "block": 3, "strategy": "recursive"}),
    ("ent", B.ent, {**TABLE, "block": 3}),
    ("nent", B.nent, {**TABLE, "block": 3}),
]
IDS = [name for name, _, _ in FUNCTIONS]


def call(function, kwargs, root, batch, **more):
    extra = {"data_dir": root} if "table" in kwargs else {}
    return function(batch, **kwargs, **extra, **more)


def good(function) -> tuple[str, str]:
    """Two inputs the function scores on the toy table, as text."""
    return ("000111", "111000") if function in (B.bdm, B.nbdm, B.ent, B.nent, M.acss_bdm) else ("010", "000")


@pytest.mark.parametrize("name, function, kwargs", FUNCTIONS, ids=IDS)
def test_a_missing_value_is_na_and_the_rest_is_scored(root, name, function, kwargs):
    first, second = good(function)
    batch = pd.Series([first, None, second, np.nan])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call(function, kwargs, root, batch)
    assert [w.category for w in caught] == [NAWarning], name
    assert "2 of 4 strings have NA values [missing value: 2]" in str(caught[0].message)
    got = values(result)
    assert not math.isnan(got[0]) and not math.isnan(got[2]) and math.isnan(got[1]) and math.isnan(got[3])
    assert [r is None for r in why(result)] == [True, False, True, False]
    assert all("missing value" in r for r in why(result)[1::2])


@pytest.mark.parametrize("name, function, kwargs", FUNCTIONS, ids=IDS)
def test_errors_raise_and_ignore(root, name, function, kwargs):
    first, _ = good(function)
    with pytest.raises(CTMError, match="input 2: missing value"):
        call(function, kwargs, root, [first, None], errors="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = call(function, kwargs, root, [first, None], errors="ignore")
    assert math.isnan(values(result)[1])


@pytest.mark.parametrize("name, function, kwargs", FUNCTIONS, ids=IDS)
def test_arrays_and_lists_of_symbols_are_strings(root, name, function, kwargs):
    first, _ = good(function)
    as_text = values(call(function, kwargs, root, [first]))
    assert not math.isnan(as_text[0])
    assert values(call(function, kwargs, root, np.array([int(c) for c in first]))) == as_text
    assert values(call(function, kwargs, root, [[int(c) for c in first]])) == as_text
    assert values(call(function, kwargs, root, [list(first.translate(str.maketrans("01", "OX")))])) == as_text
    assert values(call(function, kwargs, root, (first,))) == as_text


@pytest.mark.parametrize("name, function, kwargs", FUNCTIONS, ids=IDS)
@pytest.mark.parametrize("bad", [None, 5, {"a": 1}, pd.DataFrame({"s": ["01"]})], ids=["None", "int", "dict", "frame"])
def test_no_batch_is_a_one_line_error(root, name, function, kwargs, bad):
    with pytest.raises(CTMError, match="strings should be a string, or a list") as caught:
        call(function, kwargs, root, bad)
    assert "\n" not in str(caught.value)


def test_a_csv_column_with_an_empty_cell(root, tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text("string,rating\nOXXO,1\n,2\nXO,3\n")
    column = pd.read_csv(path)["string"]
    with pytest.warns(NAWarning, match="1 of 3 strings have NA values \\[missing value: 1\\]"):
        frame = Q.acss(column, table=NAME, data_dir=root)
    assert frame["K"].tolist()[::2] == [6.0, 4.0] and math.isnan(frame["K"].tolist()[1])
