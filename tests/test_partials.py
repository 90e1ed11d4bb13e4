"""Partials: what the shard task writes, and every way a partial is refused."""

from __future__ import annotations

import json
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.kernel import KERNEL_VERSION, count_range
from pipeline.partials import (
    META_KEY,
    InvalidPartial,
    compute_shard,
    open_partial,
    partial_name,
    partials_dir,
    read_partial,
    shard_task,
    write_partial,
)
from pipeline.plan import ShardPlan
from pipeline.spec import JobSpec
from pipeline.tables import row_checksum

SPEC = JobSpec(3, 2, 21, 2)


def task(root, shard):
    return shard_task(ShardPlan(SPEC), root, shard)


def test_shard_task_writes_the_kernel_counts(tmp_path):
    plan = ShardPlan(SPEC)
    done = compute_shard(task(tmp_path, 40))
    assert done.shard == 40 and done.kernel_seconds >= 0
    folder = partials_dir(tmp_path, SPEC.job_id)
    assert [p.name for p in folder.iterdir()] == ["000040.parquet"], "no temporary file is left behind"
    part = open_partial(plan, tmp_path, 40)
    want = count_range(SPEC.space, *plan.range(40))
    assert dict(zip(part.rows["string"].to_pylist(), part.rows["count"].to_pylist())) == want.outputs
    meta = part.meta
    assert (meta["start"], meta["stop"], meta["job_id"], meta["kernel"]) == (
        *plan.range(40),
        SPEC.job_id,
        KERNEL_VERSION,
    )
    assert (meta["halting"], meta["limit"] + meta["proven"]) == (want.halting, want.nonhalting)
    assert {int(k): v for k, v in meta["halting_times"].items()} == want.halting_times
    assert meta["checksum"] == row_checksum(part.rows["string"], part.rows["count"])
    assert part.rows.schema.field("count").type == pa.int64()


def test_missing_partial_is_not_invalid(tmp_path):
    with pytest.raises(FileNotFoundError):
        open_partial(ShardPlan(SPEC), tmp_path, 3)


def _rewrite(path, rows=None, **changes):
    """Rewrite a partial with changed metadata or rows, as a buggy or foreign writer would."""
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[META_KEY])
    meta.update(changes)
    table = (rows if rows is not None else table).replace_schema_metadata({META_KEY: json.dumps(meta)})
    pq.write_table(table, path)


@pytest.mark.parametrize(
    "damage, reason",
    [
        ("truncate", "cannot be read"),
        ("garbage", "cannot be read"),
        ("job", "has job_id"),
        ("kernel", "was written by kernel"),
        ("range", "has start"),
        ("count", "do not match their checksum"),
        ("totals", "totals do not add up"),
        ("nometa", "no readable ctm metadata"),
    ],
)
def test_damaged_partials_are_refused_with_a_reason(tmp_path, damage, reason):
    plan = ShardPlan(SPEC)
    compute_shard(task(tmp_path, 40))
    path = partials_dir(tmp_path, SPEC.job_id) / partial_name(40)
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        path.write_bytes(raw[:100] + bytes(200) + raw[300:])
    elif damage == "job":
        _rewrite(path, job_id="0123456789abcdef")
    elif damage == "kernel":
        _rewrite(path, kernel="0-old")
    elif damage == "range":
        _rewrite(path, start=0)
    elif damage == "count":
        table = pq.read_table(path)
        counts = table["count"].to_pylist()
        counts[0] += 1
        _rewrite(path, rows=table.set_column(1, "count", pa.array(counts, pa.int64())))
    elif damage == "totals":
        _rewrite(path, limit=10**6)
    elif damage == "nometa":
        pq.write_table(pq.read_table(path).replace_schema_metadata({}), path)
    with pytest.raises(InvalidPartial, match=reason):
        open_partial(plan, tmp_path, 40)


def test_partials_of_huge_spaces_hold_decimal_counts(tmp_path):
    path = tmp_path / "p.parquet"
    big = 4 * 36**12
    outputs = {"0": big, "1": big, "2": big, "3": big}
    meta = {
        "shard": 0,
        "start": 0,
        "stop": 4 * big,
        "job_id": "x",
        "kernel": "k",
        "halting": 4 * big,
        "limit": 0,
        "proven": 0,
        "halting_times": {"1": 4 * big},
    }
    write_partial(path, meta, outputs, pa.decimal128(38, 0))
    part = read_partial(path, job_id="x", shard=0, start=0, stop=4 * big, kernel="k")
    assert part.rows["count"].to_pylist() == [Decimal(big)] * 4
    assert part.meta["halting"] == 4 * big > 2**64
