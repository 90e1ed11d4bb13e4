"""The reducer's DuckDB session: budgets written as sizes, a spill folder under the data
root that lives as long as the session, and exact 128-bit sums."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.bounded import MIN_MEMORY, TMP_DIR, Session, in_use, parse_memory, row_group_rows
from pipeline.errors import CTMError


@pytest.mark.parametrize(
    "text,size",
    [
        ("2GB", 2 * 10**9),
        ("512MiB", 512 * 2**20),
        ("1.5G", 1_500_000_000),
        ("200000000", 200_000_000),
        (" 4 gib ", 4 * 2**30),
    ],
)
def test_memory_is_a_size(text, size):
    assert parse_memory(text) == size


@pytest.mark.parametrize(
    "text,rule", [("lots", "should be a size such as 2GB"), ("2XB", "should be a size"), ("64MB", "below the smallest")]
)
def test_bad_memory_is_one_line(text, rule):
    with pytest.raises(CTMError, match=rule):
        parse_memory(text)


def test_row_groups_are_pyarrows_from_2_gib():
    assert row_group_rows(2 * 2**30) == 1 << 20 and row_group_rows(MIN_MEMORY) == 65_536


def test_a_session_sums_exactly_and_leaves_nothing(tmp_path):
    big = 2**100
    with Session(tmp_path, "d9x2-s1", 256 * 2**20, threads=1) as session:
        assert session.folder.parent == tmp_path / TMP_DIR and in_use(session.folder)
        writer = session.writer(pa.schema([("string", pa.string()), ("count", pa.decimal128(38, 0))]))
        rows = {
            "string": ["01", "10", "01"],
            "count": pa.array([Decimal(big), Decimal(5), Decimal(big)], pa.decimal128(38)),
        }
        writer.write_table(pa.table(rows, schema=writer.schema))
        writer.close()
        sums = session.spool(
            f"SELECT string, CAST(sum(CAST(count AS HUGEINT)) AS DECIMAL(38, 0)) AS count "
            f"FROM read_parquet('{writer.where}') GROUP BY string ORDER BY string"
        )
        got = pq.read_table(sums).to_pylist()
        assert got == [{"string": "01", "count": Decimal(2 * big)}, {"string": "10", "count": Decimal(5)}]
        folder = session.folder
    assert not folder.exists() and not in_use(folder) and not (tmp_path / TMP_DIR).exists()


def test_a_sum_past_128_bits_is_an_error_not_a_wrong_count(tmp_path):
    half = f"CAST('{2**126}' AS HUGEINT)"  # twice this is 2**127, one more than HUGEINT holds
    with Session(tmp_path, "d9x2-s1", 256 * 2**20) as session, pytest.raises(Exception, match="Overflow"):
        session.execute(f"SELECT sum(x) FROM (SELECT {half} AS x UNION ALL SELECT {half})")
