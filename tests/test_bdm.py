"""BDM on the hand-made toy table: K(000) = K(111) = 5, K(010) = K(101) = 6, K(01) = 4, K(0) = 2;
001, 011, 100 and 110 are missing (impute gives them 6 + 1 = 7)."""

from __future__ import annotations

import math
import warnings

import pytest
from toytable import TOY, write_table

from pipeline.bdm import BDM, MissingBlockWarning, bdm
from pipeline.errors import CTMError

NAME = "d3x2-s7"


@pytest.fixture
def make(tmp_path):
    write_table(tmp_path, NAME, TOY)

    def build(**options) -> BDM:
        return BDM(**{"table": NAME, "data_dir": tmp_path, "block": 3, **options})

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
        ({"strategy": "recursive"}, "00011101", 5 + 5 + 4),
        ({"strategy": "recursive"}, "01", 4),  # shorter than the block: one block of its own
        ({"strategy": "recursive", "min_length": 1}, "0000000", 5 + 1 + 2),
        ({"strategy": "correlated"}, "00000", 5 + math.log2(3)),
        ({"strategy": "correlated"}, "0101010", 6 + math.log2(3) + 6 + math.log2(2)),
    ],
)
def test_bdm_by_hand(make, options, string, value):
    assert make(**options).bdm(string) == pytest.approx(value)


def test_missing_blocks_impute_like_pybdm_with_a_warning(make):
    with pytest.warns(MissingBlockWarning, match="1 blocks of '001001' were not produced"):
        assert make().bdm("001001") == pytest.approx(7 + 1)
    assert make().ctm("110") == 7.0


def test_missing_blocks_refused_on_request(make):
    with pytest.raises(CTMError, match="block '001' was not produced by table d3x2-s7 v1"):
        make(missing="error").bdm("000001")


def test_no_warning_when_every_block_is_in_the_table(make):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make().bdm("000111")


@pytest.mark.parametrize(
    "options, string, value",
    [
        # min = 5 + log2(2) = 6; max takes the two highest parts: 4 unseen strings at 7
        ({}, "000000", 0.0),
        ({}, "010101", (12 - 6) / (14 - 6)),
        # without imputation the parts are 010, 101 (6) and 000, 111 (5): max = 12
        ({"missing": "error"}, "010101", 1.0),
        # 5 blocks over 4 parts: one part twice; max = 22 + log2(2); min = 5 + log2(5)
        (
            {"missing": "error"},
            "010101010101010",
            (6 + math.log2(3) + 6 + 1 - 5 - math.log2(5)) / (22 + 1 - 5 - math.log2(5)),
        ),
        # shapes {3: 2, 1: 1}: min = 6 + 2, max = 14 + 2
        ({"strategy": "recursive", "min_length": 1}, "0000000", 0.0),
        ({"strategy": "recursive", "min_length": 1}, "0101011", (6 + 6 + 2 - 8) / (16 - 8)),
    ],
)
def test_normalized_bdm_by_hand(make, options, string, value):
    assert make(**options).nbdm(string) == pytest.approx(value)


def test_normalized_bdm_is_undefined_when_every_string_scores_the_same(make):
    # block 1: the only parts are 0 and 1, both K = 2, so min = max for one block
    with pytest.raises(CTMError, match="normalised BDM of 'X' is undefined"):
        make(block=1).nbdm("X")


def test_normalized_bdm_is_not_defined_for_correlated(make):
    with pytest.raises(CTMError, match="not defined for strategy 'correlated'"):
        make(strategy="correlated").nbdm("000000")


@pytest.mark.parametrize("strategy", ["ignore", "correlated"])
def test_strings_shorter_than_the_block_have_no_block(make, strategy):
    with pytest.raises(CTMError, match="has no block under strategy"):
        make(strategy=strategy).bdm("01")
    with pytest.raises(CTMError, match="has no block"):
        make(strategy=strategy).bdm("")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"strategy": "sliding"}, "strategy should be one of ignore, recursive, correlated"),
        ({"block": 0}, "block should be a positive integer"),
        ({"block": 5}, "block should be at most 4"),
        ({"shift": 0}, "shift should be a positive integer"),
        ({"missing": "zero"}, "missing should be one of impute, error"),
        ({"alphabet": 4}, "has 2 symbols but alphabet=4"),
    ],
)
def test_bad_options_are_clear_errors(make, options, message):
    with pytest.raises(CTMError, match=message):
        make(**options)


def test_too_many_symbols_is_an_error(make):
    with pytest.raises(CTMError, match="3 distinct symbols"):
        make().bdm("012012")


def test_bdm_function_is_vectorised(make, tmp_path):
    series = bdm(["000000", "010101"], table=NAME, data_dir=tmp_path, block=3)
    assert series.index.tolist() == ["000000", "010101"]
    assert list(series) == pytest.approx([6.0, 12.0])
    assert list(bdm("010101", normalized=True, table=NAME, data_dir=tmp_path, block=3)) == pytest.approx([0.75])
