"""The kernel's outputs as Arrow rows (``pipeline.rows``): columns made into tables with no
Python object per output, exact sums and shares, in int64 and in decimal128 for counts
of 2**63 or more."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest

from pipeline.kernel import count_range, count_shared_top
from pipeline.rows import add, as_dict, empty, sampled_table, share, sorted_rows, table_of, with_dicts
from pipeline.space import Space
from tmsim_ext import count_blocks


def columns(counts: dict[str, int]) -> dict:
    """Kernel-style columns of ``counts`` (text -> count below 2**128)."""
    texts = list(counts)
    offsets = np.cumsum([0] + [len(t) for t in texts]).astype(np.int64)
    values = list(counts.values())
    return {
        "text": "".join(texts).encode(),
        "offsets": offsets.tobytes(),
        "lo": np.array([v % 2**64 for v in values], dtype=np.uint64).tobytes(),
        "hi": np.array([v >> 64 for v in values], dtype=np.uint64).tobytes(),
    }


def test_columns_become_a_table_of_int64_or_decimal_counts():
    small = {"0": 3, "101": 2**62, "": 7}
    rows = table_of(columns(small), pa.int64())
    assert rows.schema == pa.schema([("string", pa.string()), ("count", pa.int64())])
    assert as_dict(rows) == small
    big = {"1": 2**64 + 5, "10": 2**127 - 1, "0": 1}
    rows = table_of(columns(big), pa.decimal128(38, 0))
    assert rows["count"].to_pylist() == [Decimal(v) for v in big.values()]
    assert as_dict(rows) == big
    with pytest.raises(ValueError, match="counts of 2\\*\\*63 or more need decimal128"):
        table_of(columns({"1": 2**63}), pa.int64())
    assert empty(pa.int64()).num_rows == 0


def test_tables_add_up_and_share_out_exactly():
    for counts_as in (pa.int64(), pa.decimal128(38, 0)):
        a = table_of(columns({"0": 6, "1": 9}), counts_as)
        b = table_of(columns({"1": 3, "00": 12}), counts_as)
        total = add([a, empty(counts_as), b])
        assert as_dict(total) == {"0": 6, "1": 12, "00": 12} and total.schema.field("count").type == counts_as
        assert as_dict(share(total, 3)) == {"0": 2, "1": 4, "00": 4}
        assert sorted_rows(total)["string"].to_pylist() == ["0", "00", "1"]
        with pytest.raises(AssertionError, match="a renaming orbit of 4 digits got 6 machines, not a multiple"):
            share(total, 4)
    with pytest.raises(IndexError):
        add([])


def test_the_kernels_columns_read_as_its_old_dicts():
    raw = count_blocks(2, 2, 6, np.full((1, 4), -1, dtype=np.int32), 15, True)
    outputs = with_dicts(raw)["outputs"]
    assert sum(outputs.values()) == raw["halting"] and outputs["1"] > 0
    sampled = count_blocks(
        2, 2, 6, np.full((1, 4), -1, dtype=np.int32), 15, True, sampled=True, sample_depth=1, draws=5, pool=True
    )
    rows = sampled_table(sampled["outputs"])
    assert rows.column_names == ["string", "hits", "mass"] and rows.num_rows > 0
    assert abs(sum(rows["mass"].to_pylist()) - sampled["halting"]) < 1e-12


def test_a_space_of_2_63_machines_or_more_counts_in_decimal():
    """(4,4) holds 7.9e24 machines: its rows are decimal128, and a shared walk's shares of
    them are exact there too."""
    space = Space(4, 4, 12)
    top, size = space.base ** (space.entries - 1), space.base**4
    low = 12 * space.base**12 + 30 * space.base**4  # entry (0,0) = 0RB
    ranges = [(t * top + low, t * top + low + size) for t in (4, 12, 20)]
    shared = count_shared_top(space, ranges)
    for (start, stop), got in zip(ranges, shared.counts):
        want = count_range(space, start, stop)
        assert got.rows.schema.field("count").type == pa.decimal128(38, 0)
        assert got.outputs == want.outputs and got.halting == want.halting > 0
