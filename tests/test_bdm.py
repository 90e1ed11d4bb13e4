"""BDM as pybdm defines it. By hand on the toy table: K(000) = K(111) = 5, K(010) = K(101) = 6,
K(01) = 4, K(00) = 3, K(0) = 2, K(0110) = 6; 001, 011, 100 and 110 are missing (impute
gives them 6 + 1 = 7). Then against pybdm itself (when installed), run on the same
tables: the toy, the exact ternary (2,3) table and the shipped (5,2) one."""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict

import numpy as np
import pytest
from toytable import TOY, write_table

from pipeline.batch import NAWarning, reasons
from pipeline.bdm import BDM, MissingBlockWarning, bdm, ent, nbdm, nent
from pipeline.errors import CTMError
from pipeline.query import normalize_one, open_table

NAME = "d3x2-s7"


@pytest.fixture
def toy_root(tmp_path):
    write_table(tmp_path, NAME, TOY)
    return tmp_path


@pytest.fixture
def make(toy_root):
    def build(**options) -> BDM:
        return BDM(**{"table": NAME, "data_dir": toy_root, "block": 3, **options})

    return build


@pytest.mark.parametrize(
    "options, string, blocks",
    [
        ({}, "0001110101", ["000", "111", "010"]),
        ({"strategy": "recursive"}, "00011101", ["000", "111", "01"]),
        ({"strategy": "recursive"}, "0001110", ["000", "111"]),
        ({"strategy": "recursive", "min_length": 1}, "0001110", ["000", "111", "0"]),
        ({"strategy": "correlated"}, "00010", ["000", "001", "010"]),
        ({"strategy": "correlated", "shift": 2}, "0000000", ["000", "000", "000"]),
        ({}, "XXXOOO", ["000", "111"]),
        ({}, np.array([1, 1, 1, 0, 0, 0]), ["000", "111"]),
        ({}, list("XXXOOO"), ["000", "111"]),
    ],
)
def test_decompose_each_strategy(make, options, string, blocks):
    assert make(**options).decompose(string) == blocks


@pytest.mark.parametrize(
    "options, string, value",
    [
        ({}, "000111010", 5 + 5 + 6),
        ({}, "000000", 5 + math.log2(2)),
        ({}, "0" * 12, 5 + math.log2(4)),
        ({}, "000111000111", 5 + 1 + 5 + 1),  # distinct raw blocks, each with its multiplicity
        ({}, "OOOXXX", 5 + 5),
        ({}, "0001110", 5 + 5),  # the short tail is dropped
        ({"strategy": "recursive"}, "00011101", 5 + 5 + 4),
        ({"strategy": "recursive"}, "01", 4),  # shorter than the block: one block of its own
        ({"strategy": "recursive", "min_length": 1}, "0000000", 5 + 1 + 2),
        ({"strategy": "correlated"}, "00000", 5 + math.log2(3)),
        ({"strategy": "correlated"}, "0101010", 6 + math.log2(3) + 6 + math.log2(2)),
    ],
)
def test_bdm_by_hand(make, options, string, value):
    assert make(**options).bdm(string) == pytest.approx(value)


def test_numpy_arrays_and_lists_of_symbols_as_pybdm_takes_them(make):
    scorer = make()
    assert scorer.bdm(np.array([0, 1, 0] * 4)) == pytest.approx(6 + 2)
    assert scorer.bdm(list("010" * 4)) == scorer.bdm("010" * 4) == scorer.bdm(tuple("XOX" * 4))
    with pytest.raises(CTMError, match="a list of strings: score a batch"):
        scorer.bdm(["010", "101"])
    with pytest.raises(CTMError, match="needs a 2-D table \\(ndim=2\\)"):
        scorer.bdm(np.zeros((3, 3), dtype=int))
    with pytest.raises(CTMError, match="should be a string, a list of symbols or a 1-D numpy integer array"):
        scorer.bdm(None)


def test_missing_blocks_impute_like_pybdm_with_one_warning(make):
    with pytest.warns(
        MissingBlockWarning, match="1 of 1 strings have blocks not produced by table d3x2-s7 v1, e.g. '001'"
    ):
        assert make().bdm("001001") == pytest.approx(7 + 1)
    assert make().ctm("110") == 7.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values = bdm(["001001", "011011", "000000"], table=NAME, data_dir=make().data_dir, block=3)
    assert [w.category for w in caught] == [MissingBlockWarning]
    assert "2 of 3 strings have blocks not produced" in str(caught[0].message)
    assert values.tolist() == pytest.approx([8, 8, 6])


def test_missing_blocks_refused_on_request(make):
    with pytest.raises(CTMError, match="block '001' was not produced by table d3x2-s7 v1"):
        make(missing="error").bdm("000001")


def test_no_warning_when_every_block_is_in_the_table(make):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make().bdm("000111")


@pytest.mark.filterwarnings("ignore::pipeline.bdm.MissingBlockWarning")
@pytest.mark.parametrize(
    "options, string, value",
    [
        # parts of length 3 under impute: the 4 missing strings (001, 011, 100, 110) at 7,
        # then the table's own 010 and 101 (K 6), 000 and 111 (K 5)
        # min = 5 + log2(2) = 6; max takes the two most complex parts: 7 + 7 = 14
        ({}, "000000", 0.0),
        ({}, "010101", (12 - 6) / (14 - 6)),
        ({}, "000010", (5 + 6 - 6) / (14 - 6)),
        # an imputed block counts in the maximum too, so nbdm stays at most 1
        ({}, "001010", (7 + 6 - 6) / (14 - 6)),
        ({}, "001011", (7 + 7 - 6) / (14 - 6)),
        # missing="error" never uses an imputed value: the maximum is the table's own
        ({"missing": "error"}, "010101", 1.0),
        # 5 blocks over 8 parts: max = 4 * 7 + 6; min = 5 + log2(5)
        (
            {},
            "010101010101010",
            (6 + math.log2(3) + 6 + 1 - 5 - math.log2(5)) / (34 - 5 - math.log2(5)),
        ),
        # shapes {3: 2, 1: 1}: min = 6 + 2, max = 14 + 2
        ({"strategy": "recursive", "min_length": 1}, "0000000", 0.0),
        ({"strategy": "recursive", "min_length": 1}, "0101011", (6 + 6 + 2 - 8) / (16 - 8)),
        # pybdm counts a tail shorter than min_length in the bounds, though not in BDM
        ({"strategy": "recursive"}, "0101010", (12 - 8) / (16 - 8)),
    ],
)
def test_normalized_bdm_by_hand(make, options, string, value):
    assert make(**options).nbdm(string) == pytest.approx(value)


@pytest.mark.parametrize(
    "options, string, value, normalised",
    [
        # three distinct blocks once each: log2(3); bounds log2(1) = 0 and log2(min(3, 4 parts))
        ({}, "000111010", math.log2(3), 1.0),
        (
            {},
            "000000111",
            -(2 / 3 * math.log2(2 / 3) + 1 / 3 * math.log2(1 / 3)),
            (-(2 / 3 * math.log2(2 / 3) + 1 / 3 * math.log2(1 / 3))) / math.log2(3),
        ),
        # recursive, shapes {3: 2, 2: 1}: min = log2(2 shapes) = 1; parts reached: index 0 by
        # both shapes, index 1 by the length-3 one: entropy of (2, 1)
        (
            {"strategy": "recursive"},
            "00011101",
            math.log2(3),
            (math.log2(3) - 1) / (-(2 / 3 * math.log2(2 / 3) + 1 / 3 * math.log2(1 / 3)) - 1),
        ),
    ],
)
def test_block_entropy_by_hand(make, options, string, value, normalised):
    scorer = make(**options)
    assert scorer.ent(string) == pytest.approx(value)
    assert scorer.nent(string) == pytest.approx(normalised)


def test_normalized_measures_are_not_defined_for_correlated(make):
    for method in ("nbdm", "nent"):
        with pytest.raises(CTMError, match="not defined for strategy 'correlated'"):
            getattr(make(strategy="correlated"), method)("000000")


@pytest.mark.parametrize("strategy", ["ignore", "correlated"])
def test_strings_shorter_than_the_block_have_no_block(make, strategy):
    with pytest.raises(CTMError, match="'01': has length 2: no block under strategy"):
        make(strategy=strategy).bdm("01")
    with pytest.raises(CTMError, match="no block"):
        make(strategy=strategy).ent("")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"strategy": "sliding"}, "strategy should be one of ignore, recursive, correlated"),
        ({"block": 0}, "block should be a positive integer"),
        ({"block": 5}, "block should be at most 4"),
        ({"shift": 0}, "shift should be a positive integer"),
        ({"missing": "zero"}, "missing should be one of impute, error"),
        ({"alphabet": 4}, "has 2 symbols but alphabet=4"),
        ({"ndim": 2}, "holds strings \\(ndim=1\\): pass ndim=1"),
        ({"ndim": 3}, "ndim should be 1 \\(strings\\) or 2 \\(matrices\\)"),
    ],
)
def test_bad_options_are_clear_errors(make, options, message):
    with pytest.raises(CTMError, match=message):
        make(**options)


def test_too_many_symbols_is_an_error(make):
    with pytest.raises(CTMError, match="has 3 distinct symbols"):
        make().bdm("012012")


def test_batch_functions_give_one_value_per_input(toy_root):
    opts = {"table": NAME, "data_dir": toy_root, "block": 3}
    series = bdm(["000000", "010101"], **opts)
    assert series.index.tolist() == ["000000", "010101"] and list(series) == pytest.approx([6.0, 12.0])
    assert list(bdm("010101", normalized=True, **opts)) == list(nbdm("010101", **opts)) == pytest.approx([0.75])
    assert list(ent(["000111", "000000"], **opts)) == pytest.approx([1.0, 0.0])
    assert list(nent("000111", **opts)) == pytest.approx([1.0])
    assert list(bdm(np.array([0, 0, 0, 1, 1, 1]), **opts)) == pytest.approx([10.0])


# Every reason a batch input can have under BDM, with a phrase of its message.
REASONS = [
    (bdm, {}, "01", "no block", "has length 2: no block under strategy 'ignore' with block=3"),
    (ent, {}, "01", "no block", "no block"),
    (bdm, {"missing": "error"}, "000001", "block not produced", "block '001' was not produced"),
    (nbdm, {"block": 1}, "0", "undefined", "normalised bdm is undefined: every string of its block shapes scores 2.0"),
    (bdm, {}, "012012", "more symbols than the table", "has 3 distinct symbols"),
    (nent, {}, None, "missing value", "missing value"),
    (bdm, {}, 111000, "number, not text", "the number 111000"),
    (bdm, {}, np.eye(3, dtype=int), "matrix", "needs a 2-D table"),
]


@pytest.mark.parametrize("function, options, bad, kind, message", REASONS)
def test_each_reason_is_na_for_that_input_only(toy_root, function, options, bad, kind, message):
    opts = {"table": NAME, "data_dir": toy_root, "block": 3, **options}
    good = "000" if options.get("block") == 1 else "000111"
    batch = [good, bad]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values = function(batch, **opts)
    assert [w.category for w in caught] == [NAWarning]
    assert f"1 of 2 strings have NA values [{kind}: 1]" in str(caught[0].message)
    assert not math.isnan(values.iloc[0]) and math.isnan(values.iloc[1])
    assert message in reasons(values).iloc[1] and reasons(values).iloc[0] is None
    with pytest.raises(CTMError, match="input 2"):
        function(batch, **opts, errors="raise")


# -- pybdm itself, on the same tables ------------------------------------------------------


def pybdm_on(tab, block: int, strategy: str = "ignore", **options):
    """pybdm's BDM with its CTM dataset replaced by this table's normalised strings."""
    pybdm = pytest.importorskip("pybdm")
    from pybdm import partitions

    partition = {
        "ignore": partitions.PartitionIgnore,
        "recursive": partitions.PartitionRecursive,
        "correlated": partitions.PartitionCorrelated,
    }[strategy]
    scorer = pybdm.BDM(ndim=1, shape=(block,), partition=partition, **options)
    dataset: dict = {}
    for string, K in zip(tab.strings, tab.K.tolist()):
        if normalize_one(string) == string:
            dataset.setdefault((len(string),), {})[string] = K
    scorer._ctm = {
        shape: OrderedDict(sorted(d.items(), key=lambda kv: kv[1], reverse=True)) for shape, d in dataset.items()
    }
    scorer._ctm_missing = {shape: max(d.values()) + 1 for shape, d in dataset.items()}
    scorer.nsymbols = tab.symbols
    return scorer


def compare_with_pybdm(tab, data_dir, block, strings, configs):
    """Every measure of ours equals pybdm's on ``strings`` (digit strings of the table's
    symbols), or is NA exactly where pybdm fails (no block; an undefined normalisation).

    Normalised BDM is compared under missing="error": pybdm's maximum leaves out the
    strings its table lacks though it imputes them, so its nbdm can pass 1; ours counts
    them under "impute" (each nbdm at most 1, checked here; pybdm's recursive bounds count a
    dropped tail, so below 0 stays possible there, as in pybdm) and agrees with pybdm on
    every string whose blocks the table holds."""
    compared = 0
    for strategy, extra in configs:
        theirs = pybdm_on(tab, block, strategy, **extra)
        ours = BDM(block=block, strategy=strategy, table=tab.name, data_dir=data_dir, **extra)
        strict = BDM(block=block, strategy=strategy, table=tab.name, data_dir=data_dir, missing="error", **extra)
        measures = [("bdm", False), ("ent", False)] + (
            [] if strategy == "correlated" else [("bdm", True), ("ent", True)]
        )
        for string in strings:
            X = np.array([int(c) for c in string], dtype=int)
            for measure, normalized in measures:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        want = getattr(theirs, measure)(X, normalized=normalized)
                    except (ValueError, ZeroDivisionError):
                        want = math.nan
                    got, na, _ = ours.score(normalize_one(string), measure, normalized)
                    if measure == "bdm" and normalized:
                        assert not got > 1, f"nbdm {strategy} {extra} {string!r} = {got}"
                        got, na, _ = strict.score(normalize_one(string), measure, normalized)
                        if na is not None and na.kind == "block not produced":
                            continue
                if measure == "ent" and not normalized and na is not None and na.kind == "no block":
                    want = math.nan  # pybdm gives 0 for the entropy of no block; this says NA
                label = f"{measure}{' normalised' if normalized else ''} {strategy} {extra} {string!r}"
                assert got == pytest.approx(want, rel=1e-12, abs=1e-12, nan_ok=True), label
                compared += not math.isnan(want)
    return compared


CONFIGS = [
    ("ignore", {}),
    ("recursive", {}),
    ("recursive", {"min_length": 1}),
    ("recursive", {"min_length": 3}),
    ("correlated", {}),
    ("correlated", {"shift": 2}),
]


def test_equals_pybdm_on_the_toy_table(toy_root):
    tab = open_table(NAME, data_dir=toy_root)
    strings = ["0", "01", "000", "0100", "00011", "010101", "0001110", "00100101", "0101010101", "011" * 5 + "0"]
    assert compare_with_pybdm(tab, toy_root, 3, strings, CONFIGS) > 100


def test_equals_pybdm_on_the_exact_ternary_table(ternary_root):
    tab = open_table("d2x3-s38", data_dir=ternary_root)
    rng = np.random.default_rng(3)
    strings = ["2", "0120", "00000"] + ["".join(map(str, rng.integers(0, 3, n))) for n in (5, 6, 7, 11, 12, 13, 17, 26)]
    strings = [normalize_one(s) for s in strings] + ["0" * 18, "012" * 6 + "0"]
    assert compare_with_pybdm(tab, ternary_root, 6, strings, CONFIGS) > 150


def test_equals_pybdm_on_the_shipped_binary_table(tmp_path, monkeypatch):
    monkeypatch.setenv("CTM_DATA_DIR", str(tmp_path / "none"))
    tab = open_table("d5x2-s500")
    rng = np.random.default_rng(12)
    strings = ["0" * 11, "010001100010001" * 3, "111000010101", "000110100111" * 2 + "01"]
    strings += [normalize_one("".join(map(str, rng.integers(0, 2, n)))) for n in (12, 13, 25, 40, 61, 100)]
    assert compare_with_pybdm(tab, None, 12, strings, CONFIGS[:2] + CONFIGS[4:5]) > 40
