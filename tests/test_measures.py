"""The rest of acss's functions (local complexity, likelihoods, entropies, acss's bdm()),
checked against sums worked out by hand on the toy tables and against acss's R
definitions transcribed here, on the exact ternary (2,3) table too."""

from __future__ import annotations

import math
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from toytable import TOY, write_table

from pipeline.batch import NAWarning, reasons
from pipeline.errors import CTMError
from pipeline.measures import acss_bdm, entropy, entropy2, likelihood_d, likelihood_ratio, local_complexity, prob_random
from pipeline.query import open_table

NAME = "d3x2-s7"
TERNARY = "d2x3-s38"
TOY3 = {
    "0": 12,
    "1": 12,
    "2": 12,
    "00": 3,
    "11": 3,
    "22": 3,
    "01": 1,
    "10": 1,
    "02": 1,
    "20": 1,
    "12": 1,
    "21": 1,
    "012": 6,
}
"""A ternary toy table (total 57): every length-2 string, one length-3 pattern's strings missing but 012."""


@pytest.fixture
def root(tmp_path):
    write_table(tmp_path, NAME, TOY)
    write_table(tmp_path, "d2x3-s9", TOY3)
    return tmp_path


@pytest.fixture
def opts(root):
    return {"table": NAME, "data_dir": root}


def K3(s: str) -> float:
    return -math.log2(TOY3[s] / 57)


# -- local complexity ---------------------------------------------------------------


def test_local_complexity_is_K_of_every_window_in_order(opts):
    (series,) = local_complexity("OOXXO", span=2, **opts)
    assert series.name == "OOXXO" and series.attrs["reason"] is None
    assert list(series.index) == ["OO", "OX", "XX", "XO"]
    assert list(series) == [3.0, 4.0, 3.0, 4.0]
    one, two = local_complexity(["XXXX", "0101"], span=3, **opts)
    assert list(one) == [5.0, 5.0] and list(two) == [6.0, 6.0]


def test_local_complexity_of_non_binary_strings(root):
    (series,) = local_complexity("abca", span=2, table="d2x3-s9", data_dir=root)
    # windows ab, bc, ca normalise to 01; K = -log2(1/57)
    assert list(series) == pytest.approx([K3("01")] * 3)


def test_local_complexity_na_inputs_and_windows(opts):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        short, bad, unproduced, fine, missing = local_complexity(["01", "0120", "0011", "000", None], span=3, **opts)
    assert len(caught) == 1 and "4 of 5 strings have NA values" in str(caught[0].message)
    assert short.empty and short.name == "01" and "shorter than the span 3" in short.attrs["reason"]
    assert bad.empty and "has 3 distinct symbols" in bad.attrs["reason"]
    assert unproduced.isna().all() and "2 of 2 windows have no K" in unproduced.attrs["reason"]
    assert list(fine) == [5.0] and fine.attrs["reason"] is None
    assert missing.empty and missing.name is None and "missing value" in reasons(missing).iloc[0]
    with pytest.raises(CTMError, match="span should be an integer from 1 to 4"):
        local_complexity("0101010", span=5, **opts)
    with pytest.raises(CTMError, match="shorter than the span"):
        local_complexity("01", span=3, **opts, errors="raise")


# -- likelihoods ----------------------------------------------------------------------


def test_likelihoods_and_posterior_by_hand(opts):
    # strings of length 2 hold D = (8 + 8 + 4 + 4) / 64 = 3/8; D("01") = 1/16, D("00") = 1/8
    assert list(likelihood_d(["01", "OX", "00"], **opts)) == pytest.approx([1 / 6, 1 / 6, 1 / 3])
    assert list(likelihood_ratio(["01", "00"], **opts)) == pytest.approx([1.5, 0.75])
    assert list(prob_random("01", **opts)) == pytest.approx([0.6])
    assert list(prob_random("01", prior=0.2, **opts)) == pytest.approx([3 / 11])
    # length 4: D("0110") = 1/64 of a mass of 2/64, so P(s | deterministic) = 1/2
    series = likelihood_ratio(["0110"], **opts)
    assert series.index.tolist() == ["0110"] and series.iloc[0] == pytest.approx((1 / 16) / (1 / 2))


def test_likelihoods_of_a_ternary_alphabet_by_hand(root):
    # length 2 holds D = (3 * 3 + 6 * 1) / 57 = 15/57; D("ab") = 1/57; P(s | random) = 3**-2
    opts3 = {"table": "d2x3-s9", "data_dir": root, "alphabet": 3}
    assert list(likelihood_d(["ab", "aa"], **opts3)) == pytest.approx([1 / 15, 3 / 15])
    assert list(likelihood_ratio(["ab"], **opts3)) == pytest.approx([(1 / 9) / (1 / 15)])
    assert list(prob_random(["ab"], **opts3)) == pytest.approx([(1 / 9) / (1 / 9 + 1 / 15)])


def test_likelihood_na_for_each_reason(opts):
    with pytest.warns(
        NAWarning,
        match=r"4 of 5 strings have NA values \[not produced: 1, longer than any output: 1, missing value: 1, more symbols than the table: 1\]",
    ):
        values = likelihood_d(["0011", "00000", None, "012", "01"], **opts)
    assert values.isna().tolist() == [True, True, True, True, False]
    assert ["not produced" in r for r in reasons(values)[:1]] == [True]
    for function in (likelihood_ratio, prob_random):
        result = function(["0011", "01"], **opts, errors="ignore")
        assert result.isna().tolist() == [True, False] and "not produced" in result.attrs["reasons"][0]


def test_prob_random_refuses_a_prior_outside_0_1(opts):
    with pytest.raises(CTMError, match="prior should be a probability"):
        prob_random("01", prior=1.5, **opts)


# -- entropies ------------------------------------------------------------------------


def test_entropy_first_and_second_order():
    first = entropy(["0011", "0001", "OOOO", "", "abc"])
    assert isinstance(first, pd.Series) and first.index.tolist() == ["0011", "0001", "OOOO", "", "abc"]
    assert list(first) == pytest.approx(
        [1.0, -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25)), 0.0, 0.0, math.log2(3)]
    )
    second = entropy2(["0101", "0000", "OXXO"])
    assert list(second) == pytest.approx([-(2 / 3 * math.log2(2 / 3) + 1 / 3 * math.log2(1 / 3)), 0.0, math.log2(3)])


def test_entropies_give_na_with_reasons():
    with pytest.warns(NAWarning, match=r"1 of 2 strings have NA values \[too short: 1\]"):
        assert entropy2(["0", "01"]).isna().tolist() == [True, False]
    with pytest.raises(CTMError, match="entropy2 needs 2 symbols or more"):
        entropy2("0", errors="raise")
    values = entropy(pd.Series(["01", np.nan, 7]), errors="ignore")
    assert values.isna().tolist() == [False, True, True]
    assert [r is None for r in reasons(values)] == [True, False, False]
    assert entropy(np.array([0, 1, 1, 1])).iloc[0] == pytest.approx(-(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75)))


# -- acss's bdm() -----------------------------------------------------------------------


def r_bdm(string: str, blocksize: int, delta: int, K, base: int) -> float:
    """acss 0.3's R/bdm.R, transcribed: start <- seq(1, l - (blocksize - 1), by = delta);
    stop <- start + blocksize - 1; a last block start[last] + delta .. l when stop[last] != l;
    then sum over table(substrings) of log(count, base = alphabet) + acss(block)."""
    l = len(string)
    start = list(range(1, l - (blocksize - 1) + 1, delta))
    stop = [s + blocksize - 1 for s in start]
    if stop[-1] != l:
        start.append(start[-1] + delta)
        stop.append(l)
    counts = Counter(string[a - 1 : b] for a, b in zip(start, stop))
    return sum(math.log(n, base) + K(block) for block, n in counts.items())


def test_acss_bdm_by_hand_on_the_toy_table(opts):
    two = {**opts, "alphabet": 2}
    cases = {
        ("000111010", 3, None): 5 + 5 + 6,
        ("0000000", 3, None): 5 + 1 + 2,  # 000 twice, then the short last block 0
        ("00000", 3, 2): 5 + 1,  # windows 1-3 and 3-5 end the string: no extra block
        ("000000", 3, 2): 5 + 1 + 3,  # windows 1-3, 3-5, then the last block 5-6: 00
        ("OXOXOX", 3, None): 6 + 6,  # distinct raw blocks OXO and XOX, each once
    }
    for (string, size, delta), value in cases.items():
        assert acss_bdm(string, size, delta=delta, **two).iloc[0] == pytest.approx(value), string


def test_acss_bdm_counts_repeats_in_the_base_of_the_alphabet(root):
    # 012 012 0: blocks 012 (twice) and 0; log base 3 of 2 for the repeat
    got = acss_bdm("0120120", 3, alphabet=3, table="d2x3-s9", data_dir=root).iloc[0]
    assert got == pytest.approx(K3("012") + math.log(2, 3) + K3("0"))


@pytest.mark.parametrize("blocksize, delta", [(4, 4), (4, 1), (4, 3), (5, 2), (6, 6), (3, 3)])
def test_acss_bdm_equals_the_r_definition_on_the_exact_ternary_table(ternary_root, blocksize, delta):
    tab = open_table(TERNARY, data_dir=ternary_root)
    rng = np.random.default_rng(blocksize * 10 + delta)
    strings = ["".join(map(str, rng.integers(0, 3, n))) for n in (blocksize, blocksize + 1, 11, 13, 20, 23)]
    strings += ["0" * 17, "0120" * 4 + "1"]
    got = acss_bdm(strings, blocksize, alphabet=3, delta=delta, table=TERNARY, data_dir=ternary_root, errors="ignore")

    def K(block):
        from pipeline.query import normalize_one

        row = tab.index.get(normalize_one(block))
        return math.nan if row is None else float(tab.K[row])

    want = [r_bdm(s, blocksize, delta, K, 3) for s in strings]
    assert got.tolist() == pytest.approx(want, nan_ok=True)
    assert sum(not math.isnan(w) for w in want) >= 4


def test_acss_bdm_na_reasons(opts, root):
    two = {**opts, "alphabet": 2}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values = acss_bdm(["01", "0011000", "012012", None, "000111"], 3, **two)
    assert len(caught) == 1 and "4 of 5 strings have NA values" in str(caught[0].message)
    assert values.isna().tolist() == [True, True, True, True, False]
    why = reasons(values).tolist()
    assert "shorter than blocksize 3: acss's bdm() has no block" in why[0]
    assert why[1].startswith("block '001': not produced by this table")  # no imputation, as acss gives NA
    assert "has 3 distinct symbols" in why[2] and "missing value" in why[3] and why[4] is None


def test_acss_bdm_defaults_are_acss_with_the_sampled_alphabet_9_table(root):
    """acss's defaults: blocks of 10, alphabet 9 (the shipped sampled (4,9) table); two
    equal blocks add K + log_9(2). An alphabet with no table is NA, saying so."""
    (value,) = acss_bdm(["0123456780" * 2], data_dir=root)
    nine = open_table(alphabet=9, data_dir=root)
    assert nine.sampled and value == pytest.approx(float(nine.K[nine.index[nine.key("0123456780")]]) + math.log(2, 9))
    with pytest.warns(NAWarning, match=r"\[no table: 1\].*no table for alphabet 7 yet"):
        assert acss_bdm(["0123456012"], alphabet=7, data_dir=root).isna().all()
    # alphabet 2, acss's blocksize 10: two blocks of 10, the second a repeat
    (value,) = acss_bdm(["01" * 10], alphabet=2, data_dir=root)
    tab = open_table("d5x2-s500", data_dir=root)
    assert value == pytest.approx(float(tab.K[tab.index["0101010101"]]) + 1)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"blocksize": 1}, "blocksize should be an integer of 2 or more"),
        ({"blocksize": 3, "delta": 4}, "delta should be an integer from 1 to blocksize \\(3\\)"),
        ({"blocksize": 3, "delta": 0}, "delta should be"),
        ({"blocksize": 3, "alphabet": 11}, "alphabet should be an integer from 2 to 10"),
        ({"blocksize": 3, "errors": "loud"}, "errors should be one of"),
    ],
)
def test_acss_bdm_bad_settings_are_errors(opts, kwargs, message):
    with pytest.raises(CTMError, match=message):
        acss_bdm("000111", **{"alphabet": 2, **opts, **kwargs})
