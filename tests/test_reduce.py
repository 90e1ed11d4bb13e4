"""The reducer and versioned tables, on partials written by the shard task itself (no Dask)."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import datetime
from decimal import Decimal

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.brute import brute_count
from pipeline.errors import CTMError
from pipeline.flow import reduce_job
from pipeline.kernel import count_range
from pipeline.partials import partial_name, partials_dir
from pipeline.plan import ShardPlan
from pipeline.reduce import _merge_ranges, blank_symbol_sum
from pipeline.spec import JobSpec
from pipeline.tables import file_sha256, list_tables, load_manifest, load_table, table_path
from pipeline.tasks import count_here

D2X2 = JobSpec(2, 2, 6, 2)


def compute(root, spec, shards=None):
    plan = ShardPlan(spec)
    count_here(plan, root, plan.computed(shards))
    return plan


def rows_of(table: pa.Table) -> dict[str, int]:
    return {s: int(c) for s, c in zip(table["string"].to_pylist(), table["count"].to_pylist())}


def canonical_text_sha(rows: dict[str, int]) -> str:
    return hashlib.sha256("".join(f"{s}\t{c}\n" for s, c in sorted(rows.items())).encode()).hexdigest()


def test_blank_symbol_sum_swaps_zero_with_each_blank():
    got = blank_symbol_sum({"01": 5, "2": 1}, 3)
    assert got == {"01": 5, "10": 5, "21": 5, "2": 2, "0": 1}


def test_full_2x2_table_matches_brute_force(tmp_path):
    compute(tmp_path, D2X2)
    reduced = reduce_job(D2X2, tmp_path, progress=False)
    info = reduced.table
    assert (info.table, info.version, info.path) == ("d2x2-s6", 1, tmp_path / "tables" / "d2x2-s6" / "v1")
    brute = brute_count(2, 2, 6, 0, 10_000)
    want = blank_symbol_sum(brute.outputs, 2)
    table = pq.read_table(info.path / "table.parquet")
    assert rows_of(table) == want
    assert table.schema.names == ["string", "length", "count", "D", "K"]
    assert [table.schema.field(c).type for c in table.schema.names] == [
        pa.string(),
        pa.int32(),
        pa.int64(),
        pa.float64(),
        pa.float64(),
    ]
    counts = table["count"].to_pylist()
    assert counts == sorted(counts, reverse=True)
    for s, length, c, d, k in zip(*(table[c].to_pylist() for c in table.schema.names)):
        assert length == len(s) and d == c / (2 * 3044) and math.isclose(k, -math.log2(d))
    assert rows_of(table)["01"] == rows_of(table)["10"], "mirror symmetry over the full space"
    m = json.loads((info.path / "manifest.json").read_text())
    assert m == load_manifest(tmp_path, "d2x2-s6")
    assert (m["coverage"], m["covered_ranges"], m["machines"], m["halting"]) == ("full", [["0", "10000"]], 10_000, 3044)
    assert m["count_total"] == 2 * 3044 == sum(counts)
    assert m["nonhalting"]["reached_limit"] + m["nonhalting"]["proven"] == brute.nonhalting
    assert {int(k): v for k, v in m["halting_times"].items()} == brute.halting_times
    assert m["symmetry_rules_applied"] is True and m["parent"] is None
    assert m["job"] == D2X2.as_dict() and m["job_id"] == D2X2.job_id and m["strings"] == len(want)
    assert m["row_checksum"] == canonical_text_sha(want)
    assert m["files"] == {"table.parquet": file_sha256(info.path / "table.parquet")}
    assert set(m["versions"]) == {"ctm-pipeline", "kernel", "python", "numpy", "pyarrow", "dask"}
    assert datetime.fromisoformat(m["created"]).utcoffset().total_seconds() == 0
    path = str(info.path / "table.parquet")
    assert pd.read_parquet(path)["count"].sum() == pl.read_parquet(path)["count"].sum() == 2 * 3044
    assert duckdb.sql(f"select sum(count) from '{path}'").fetchall() == [(2 * 3044,)]


def test_three_symbols_with_units_below_a_full_state(tmp_path):
    spec = JobSpec(2, 3, 38, 1)  # units of one digit: entry (0, 2) alone, mirror images derived
    plan = compute(tmp_path, spec)
    assert len(plan.computed()) < plan.shards
    table = load_table(tmp_path, reduce_job(spec, tmp_path, progress=False).table.table)
    direct = count_range(spec.space, 0, spec.space.size)
    assert rows_of(table) == blank_symbol_sum(direct.outputs, 3)
    assert table["D"].to_pylist()[0] == table["count"].to_pylist()[0] / (3 * direct.halting)


def test_gaps_fail_unless_partial_is_allowed(tmp_path):
    plan = compute(tmp_path, D2X2, range(0, 30))
    with pytest.raises(CTMError, match="have no partial.*--allow-partial"):
        reduce_job(D2X2, tmp_path, progress=False)
    assert not (tmp_path / "tables").exists()
    info = reduce_job(D2X2, tmp_path, allow_partial=True, progress=False).table
    m = info.manifest
    covered = [(int(a), int(b)) for a, b in m["covered_ranges"]]
    # counted shards 0..29, every unit derived from one of them, and the closed units
    expect = {s for s in range(30) if not plan.is_derived(s)}
    expect |= {s for s, how in ((s, plan.derivation(s)) for s in range(plan.shards)) if how and how.source in expect}
    expect |= {s for s in range(plan.shards) if plan.unit(s) in plan.closed}
    assert sum(b - a for a, b in covered) == 100 * len(expect) == m["machines"]
    brute_outputs, halting = {}, 0
    for a, b in covered:
        part = brute_count(2, 2, 6, a, b)
        halting += part.halting
        for s, c in part.outputs.items():
            brute_outputs[s] = brute_outputs.get(s, 0) + c
    table = load_table(tmp_path, "d2x2-s6")
    assert rows_of(table) == brute_outputs, "blank-0 counts as they are"
    assert m["coverage"] == "partial" and m["symmetry_rules_applied"] is False
    assert m["halting"] == halting == m["count_total"]
    assert table["D"].to_pylist()[0] == table["count"].to_pylist()[0] / halting


def test_versions_are_new_folders_with_a_parent(tmp_path):
    compute(tmp_path, D2X2)
    first = reduce_job(D2X2, tmp_path, progress=False).table
    before = file_sha256(first.path / "table.parquet"), (first.path / "manifest.json").read_text()
    second = reduce_job(D2X2, tmp_path, progress=False, force=True).table
    assert (second.version, second.manifest["parent"]) == (2, 1)
    assert (file_sha256(first.path / "table.parquet"), (first.path / "manifest.json").read_text()) == before
    assert second.manifest["row_checksum"] == first.manifest["row_checksum"]
    assert [(i.table, i.version) for i in list_tables(tmp_path)] == [("d2x2-s6", 1), ("d2x2-s6", 2)]
    assert table_path(tmp_path, "d2x2-s6") == second.path
    assert not [p for p in (tmp_path / "tables" / "d2x2-s6").iterdir() if p.name.startswith(".")]
    with pytest.raises(CTMError, match="no version 3.*v1, v2"):
        table_path(tmp_path, "d2x2-s6", 3)
    with pytest.raises(CTMError, match="unknown table 'd9x2-s1'.*d2x2-s6"):
        load_manifest(tmp_path, "d9x2-s1")


def test_the_same_table_again_publishes_nothing(tmp_path):
    compute(tmp_path, D2X2)
    first = reduce_job(D2X2, tmp_path, progress=False)
    again = reduce_job(D2X2, tmp_path, progress=False)
    assert first.published and not again.published
    assert (again.table.version, again.table.path) == (1, first.table.path)
    assert [i.version for i in list_tables(tmp_path)] == [1]


def test_a_different_table_is_a_new_version_and_the_latest_is_compared(tmp_path):
    plan = compute(tmp_path, D2X2, range(0, 30))
    partial = reduce_job(D2X2, tmp_path, allow_partial=True, progress=False)
    compute(tmp_path, D2X2)
    full = reduce_job(D2X2, tmp_path, progress=False)
    assert (partial.table.version, full.table.version) == (1, 2) and full.published
    # a partial table again: the same as v1, but v2 is the latest, so it is a new version
    victims = [s for s in plan.computed() if s >= 30]
    for shard in victims:
        (partials_dir(tmp_path, D2X2.job_id) / partial_name(shard)).unlink()
    third = reduce_job(D2X2, tmp_path, allow_partial=True, progress=False)
    assert third.published and third.table.version == 3
    assert third.table.manifest["row_checksum"] == partial.table.manifest["row_checksum"]


def test_invalid_partials_block_a_full_table_and_are_left_out_of_a_partial_one(tmp_path):
    plan = compute(tmp_path, D2X2)
    victim = plan.computed()[3]
    path = partials_dir(tmp_path, D2X2.job_id) / partial_name(victim)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(CTMError, match=f"{partial_name(victim)}: cannot be read"):
        reduce_job(D2X2, tmp_path, progress=False)
    assert not (tmp_path / "tables").exists()
    reduced = reduce_job(D2X2, tmp_path, allow_partial=True, progress=False)
    assert list(reduced.invalid) == [victim] and reduced.table.manifest["coverage"] == "partial"


def test_overlapping_ranges_are_an_error():
    assert _merge_ranges([(5, 9), (0, 5), (12, 20)]) == [(0, 9), (12, 20)]
    with pytest.raises(CTMError, match="overlap"):
        _merge_ranges([(0, 10), (5, 20)])


def test_counts_beyond_int64_are_decimal(tmp_path):
    spec = JobSpec(4, 4, 2, 3, derive=False)  # 36**16 machines: more than 2**63
    compute(tmp_path, spec, range(0, 2))
    table = load_table(tmp_path, reduce_job(spec, tmp_path, allow_partial=True, progress=False).table.table)
    assert table.schema.field("count").type == pa.decimal128(38, 0)
    want = count_range(spec.space, 0, 2 * 36**13)
    assert rows_of(table) == want.outputs and max(want.outputs.values()) * 2 > 2**63
    assert all(isinstance(c, Decimal) for c in table["count"].to_pylist())


def test_a_shard_whose_later_part_fails_leaves_its_earlier_parts_out(tmp_path):
    """The reducer reads a shard's parts one by one, spooling each part's rows: when a
    later part then fails validation, the rows of the parts already in are left out
    (``_Merge.dropped``), so the partial table is the one of the job without that shard."""
    import shutil

    spec = JobSpec(3, 2, 21, 2, parts=4)
    plan = compute(tmp_path / "a", spec)
    folder = partials_dir(tmp_path / "a", spec.job_id)
    victim = next(s for s in plan.computed() if len(sorted(folder.glob(f"{s:06d}.p*of*.parquet"))) == 4)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    files = sorted(folder.glob(f"{victim:06d}.p*of*.parquet"))
    files[-1].write_bytes(files[-1].read_bytes()[:40])
    for path in partials_dir(tmp_path / "b", spec.job_id).glob(f"{victim:06d}.*"):
        path.unlink()
    got = reduce_job(spec, tmp_path / "a", allow_partial=True, progress=False)
    want = reduce_job(spec, tmp_path / "b", allow_partial=True, progress=False)
    assert list(got.invalid) == [victim] and got.table.manifest["coverage"] == "partial"
    rows = rows_of(load_table(tmp_path / "a", got.table.table))
    assert rows == rows_of(load_table(tmp_path / "b", want.table.table)) and rows
    for key in ("machines", "halting", "count_total", "nonhalting", "halting_times", "covered_ranges"):
        assert got.table.manifest[key] == want.table.manifest[key], key
