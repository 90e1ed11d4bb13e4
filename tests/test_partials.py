"""Partials: what a task packs and the driver writes, one file per shard and part, and
every way a partial (or a shard's set of parts) is refused."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.kernel import KERNEL_VERSION, count_range
from pipeline.partials import (
    META_KEY,
    InvalidPartial,
    beside_name,
    open_shard,
    part_name,
    partial_name,
    partials_dir,
    present_shards,
    read_partial,
    write_partial,
)
from pipeline.payload import Rejected, store, worker_address
from pipeline.plan import NodeParts, ShardPlan
from pipeline.spec import JobSpec
from pipeline.tables import row_checksum
from pipeline.tasks import checker, count_here, count_task, shard_task

SPEC = JobSpec(3, 2, 21, 2)
PARTS = JobSpec(3, 2, 21, 2, parts=4)
GRID = JobSpec(3, 2, 60, 1, dims=2, parts=3)
UPTO = JobSpec(3, 2, 10, 2, parts=4, exact_upto=6)


def rows_of(table: pa.Table) -> dict[str, int]:
    return dict(zip(table["string"].to_pylist(), (int(c) for c in table["count"].to_pylist())))


def added(parts, attribute="rows") -> dict[str, int]:
    out: dict[str, int] = {}
    for part in parts:
        for string, count in rows_of(getattr(part, attribute)).items():
            out[string] = out.get(string, 0) + count
    return out


def test_a_whole_walk_writes_the_kernel_counts(tmp_path):
    plan = ShardPlan(SPEC)
    (done,) = count_here(plan, tmp_path, [40])
    assert done.shards == (40,) and done.kernel_seconds >= 0 and done.worker == worker_address()
    folder = partials_dir(tmp_path, SPEC.job_id)
    assert [p.name for p in folder.iterdir()] == ["000040.parquet"], "no temporary file is left behind"
    (part,) = open_shard(plan, tmp_path, 40)
    want = count_range(SPEC.space, *plan.range(40))
    assert rows_of(part.rows) == want.outputs
    meta = part.meta
    assert (meta["start"], meta["stop"], meta["job_id"], meta["kernel"], meta["cut"]) == (
        *plan.range(40),
        SPEC.job_id,
        KERNEL_VERSION,
        None,
    )
    assert meta["worker"] == worker_address()
    assert (meta["halting"], meta["limit"] + meta["proven"]) == (want.halting, want.nonhalting)
    assert {int(k): v for k, v in meta["halting_times"].items()} == want.halting_times
    assert meta["checksum"] == row_checksum(part.rows["string"], part.rows["count"])
    assert part.rows.schema.field("count").type == pa.int64()
    assert part.upto_rows is None and part.late_rows is None


@pytest.mark.parametrize("spec", [PARTS, GRID], ids=["1-D branch points", "2-D branch points"])
def test_each_part_is_its_own_file_and_they_add_up_to_the_shard(tmp_path, spec):
    plan = ShardPlan(spec)
    shards = plan.computed()[:3] if spec.dims == 1 else plan.computed()
    count_here(plan, tmp_path, shards)
    cut = plan.tasks([shards[0]])
    P = len(cut)
    assert P == (4 if spec.dims == 1 else 3)
    names = sorted(p.name for p in partials_dir(tmp_path, spec.job_id).iterdir())
    assert names == sorted(part_name(s, i, P) for s in shards for i in range(P))
    assert present_shards(tmp_path, spec.job_id) == set(shards)
    for shard in shards:
        parts = open_shard(plan, tmp_path, shard)
        assert [p.meta["cut"]["part"] for p in parts] == list(range(P))
        assert parts[0].meta["cut"] == {"kind": "nodes", "parts": P, "part": 0, "depth": cut[0].depth}
        assert isinstance(cut[0], NodeParts)
        want = count_range(spec.space, *plan.range(shard))
        assert added(parts) == want.outputs
        assert sum(p.meta["halting"] for p in parts) == want.halting
        assert sum(p.meta["limit"] + p.meta["proven"] for p in parts) == want.nonhalting


def test_a_shard_with_parts_missing_or_from_another_cut_is_refused(tmp_path):
    plan = ShardPlan(PARTS)
    shard = plan.computed()[0]
    count_here(plan, tmp_path, [shard])
    folder = partials_dir(tmp_path, PARTS.job_id)
    (folder / part_name(shard, 2, 4)).unlink()
    with pytest.raises(InvalidPartial, match=rf"has 3 of its 4 parts \(missing {part_name(shard, 2, 4)}\)"):
        open_shard(plan, tmp_path, shard)
    # the same shard counted whole: files of another cut than the plan's (4 parts)
    whole = ShardPlan(SPEC)
    for name in [p.name for p in folder.iterdir()]:
        (folder / name).unlink()
    count_here(whole, tmp_path, [shard])
    assert open_shard(whole, tmp_path, shard)[0].meta["cut"] is None
    with pytest.raises(
        InvalidPartial, match=r"has only files of another cut \(000006.parquet, ...\), not the plan's 4"
    ):
        open_shard(plan, tmp_path, shard)
    with pytest.raises(FileNotFoundError):
        open_shard(plan, tmp_path, shard + 1)


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
    count_here(plan, tmp_path, [40])
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
        open_shard(plan, tmp_path, 40)


@pytest.mark.parametrize(
    "damage, reason",
    [
        ("cut", r"part 1 of 4 \(.*\): has cut"),
        ("machines", r"its 4 parts add up to \d+ machines, not the shard's \d+"),
    ],
)
def test_a_part_must_have_the_plans_cut_and_its_machines(tmp_path, damage, reason):
    plan = ShardPlan(PARTS)
    shard = plan.computed()[0]
    count_here(plan, tmp_path, [shard])
    path = partials_dir(tmp_path, PARTS.job_id) / part_name(shard, 1, 4)
    meta = json.loads(pq.read_table(path).schema.metadata[META_KEY])
    if damage == "cut":
        _rewrite(path, cut=dict(meta["cut"], depth=meta["cut"]["depth"] + 1))
    else:  # a part that claims machines of another: its totals grow, the others' do not shrink
        _rewrite(path, proven=meta["proven"] + 1)
    with pytest.raises(InvalidPartial, match=reason):
        open_shard(plan, tmp_path, shard)


def test_exact_upto_rows_live_beside_the_main_file(tmp_path):
    """exact_upto's late outputs and the late-halting classes are Parquet row sets of their
    own (``Partial.upto_rows``, ``late_rows``), checked against the main file's metadata."""
    plan = ShardPlan(UPTO)
    shard = plan.computed()[0]
    count_here(plan, tmp_path, [shard])
    parts = open_shard(plan, tmp_path, shard)
    want = count_range(UPTO.space, *plan.range(shard), exact_upto=6)
    assert added(parts, "upto_rows") == want.upto["outputs"] and want.upto["outputs"]
    assert sum(p.meta["upto"]["halting"] for p in parts) == want.upto["halting"]
    assert all("outputs" not in p.meta["upto"] for p in parts), "no row set in the JSON metadata"
    late = [row for p in parts for row in zip(*(p.late_rows[c].to_pylist() for c in ("machine", "steps", "output")))]
    assert late and all(steps >= 10 and len(output) <= 6 for _, steps, output in late)
    assert sum(p.meta["late_halts"]["rows"] for p in parts) == len(late)
    folder = partials_dir(tmp_path, UPTO.job_id)
    main = part_name(shard, 0, 4)
    upto = folder / beside_name(main, "upto")
    table = pq.read_table(upto)
    counts = table["count"].to_pylist()
    counts[0] += 1
    pq.write_table(table.set_column(1, "count", pa.array(counts, table.schema.field("count").type)), upto)
    with pytest.raises(InvalidPartial, match=r"part 0 of 4 .*late outputs \(upto\) do not match their checksum"):
        open_shard(plan, tmp_path, shard)
    upto.unlink()
    with pytest.raises(InvalidPartial, match=rf"lacks its upto rows \({beside_name(main, 'upto')}\)"):
        open_shard(plan, tmp_path, shard)


def test_damaged_bytes_are_rejected_before_anything_is_written(tmp_path):
    plan = ShardPlan(PARTS)
    shard = plan.computed()[0]
    counted = count_task(shard_task(plan, [shard], 2))
    bundle = counted.bundles[0]
    data = bytearray(bundle.main.data)
    data[len(data) // 2] ^= 0xFF
    folder = partials_dir(tmp_path, PARTS.job_id)
    bad = replace(bundle, main=replace(bundle.main, data=bytes(data)))
    with pytest.raises(Rejected) as caught:
        store(folder, bad, checker(plan, shard, 2))
    assert str(caught.value) == (
        f"{part_name(shard, 2, 4)}: its bytes do not match the SHA-256 the worker sent (damaged on the way)"
    )
    # bytes that match their digest but hold another part's partial fail the check
    other = count_task(shard_task(plan, [shard], 1)).bundles[0]
    wrong = replace(other, main=replace(other.main, name=part_name(shard, 2, 4)))
    with pytest.raises(Rejected, match=rf"^{part_name(shard, 2, 4)}: has cut"):
        store(folder, wrong, checker(plan, shard, 2))
    assert not folder.exists() or not list(folder.iterdir()), "nothing written, no temporary left"
    store(folder, bundle, checker(plan, shard, 2))
    assert [p.name for p in folder.iterdir()] == [part_name(shard, 2, 4)]


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
        "cut": None,
        "halting": 4 * big,
        "limit": 0,
        "proven": 0,
        "halting_times": {"1": 4 * big},
    }
    write_partial(path, meta, outputs, pa.decimal128(38, 0))
    part = read_partial(path, job_id="x", shard=0, start=0, stop=4 * big, kernel="k")
    assert part.rows["count"].to_pylist() == [Decimal(big)] * 4
    assert part.meta["halting"] == 4 * big > 2**64
