"""The reducer keeps to its memory budget: given partials whose plain sum needs at least
8 times the budget B, a reduce in a subprocess stays within 2*B above its resident memory
after imports, and its rows equal the plain sum.

The partials are synthetic (random strings, written by the project's own writer) of a
job that derives nothing, reduced with --allow-partial, so the table's (string, count)
rows are exactly the sum of the partials' rows. Both the plain sum (pyarrow: every
partial read, concatenated and grouped) and the reduce run in their own process, whose
peak resident memory the kernel records (VmHWM in /proc/self/status: the high-water mark
of the process's own memory; ``ru_maxrss`` would count the parent's resident memory at
the fork). The reduce's is also sampled every 0.05 s with psutil.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from pipeline.bounded import TMP_DIR
from pipeline.kernel import kernel_version
from pipeline.partials import partial_name, partials_dir, write_partial
from pipeline.plan import ShardPlan
from pipeline.spec import JobSpec
from pipeline.tables import count_type, load_manifest, load_table, row_checksum

BUDGET = 128 * 1024**2
"""B: the reduce's memory budget (bytes)."""

SPEC = JobSpec(4, 2, 100, 2, derive=False)
"""A job whose units are single shards, none derived or closed (4,2: 324 shards)."""

PEAK = """
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
"""

PLAIN = (
    PEAK
    + """
import json, sys
from pathlib import Path
import psutil, pyarrow as pa, pyarrow.parquet as pq
from pipeline.tables import row_checksum
before = psutil.Process().memory_info().rss
tables = [pq.read_table(p) for p in sorted(Path(sys.argv[1]).glob("*.parquet"))]
summed = pa.concat_tables(tables).group_by("string").aggregate([("count", "sum")])
peak = peak() - before
del tables
print(json.dumps({"peak": peak, "rows": summed.num_rows, "checksum": row_checksum(summed["string"], summed["count_sum"])}))
"""
)

REDUCE = (
    PEAK
    + """
import json, sys, threading
from pathlib import Path
import psutil
from pipeline.flow import reduce_job
from pipeline.spec import JobSpec
process = psutil.Process()
before = process.memory_info().rss
sampled, done = [before], threading.Event()
def sample():
    while not done.wait(0.05):
        sampled.append(process.memory_info().rss)
threading.Thread(target=sample, daemon=True).start()
spec = JobSpec(4, 2, 100, 2, derive=False)
reduced = reduce_job(spec, Path(sys.argv[1]), allow_partial=True, progress=False, memory=int(sys.argv[2]))
done.set()
peak = peak() - before
print(json.dumps({"peak": peak, "sampled": max(sampled) - before, "table": reduced.table.table}))
"""
)


def write_synthetic_partials(root, parts: int, rows: int, distinct: int, length: int, seed: int = 7) -> None:
    """``parts`` partials of SPEC (shards 0..parts-1), each about ``rows`` strings of
    ``length`` symbols drawn from ``distinct`` ones, with counts 1..49 and the totals a
    partial must have (halting = the sum of its counts, the rest of its shard at the limit)."""
    plan, rng = ShardPlan(SPEC), np.random.default_rng(seed)
    pool = (rng.integers(0, 2, (distinct, length), dtype=np.uint8) + ord("0")).view(f"S{length}").ravel()
    for shard in range(parts):
        pick = np.unique(rng.integers(0, distinct, rows))
        strings = pa.array(pool[pick]).cast(pa.string()).to_pylist()
        outputs = dict(zip(strings, rng.integers(1, 50, len(pick)).tolist()))
        start, stop = plan.range(shard)
        halting = sum(outputs.values())
        meta = {
            "shard": shard,
            "start": start,
            "stop": stop,
            "job_id": SPEC.job_id,
            "kernel": kernel_version(SPEC.space),
            "halting": halting,
            "limit": stop - start - halting,
            "proven": 0,
            "halting_times": {"50": halting},
            "kernel_seconds": 0.0,
            "classes": 0,
            "nodes": 0,
            "steps": 0,
            "task_shards": [shard],
            "task_parts": 1,
            "max_length": None,
            "proven_by": {},
        }
        path = partials_dir(root, SPEC.job_id) / partial_name(shard)
        write_partial(path, meta, outputs, count_type(SPEC.space.size))


def child(script: str, *args) -> dict:
    done = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_reducer_stays_within_twice_its_budget(tmp_path):
    write_synthetic_partials(tmp_path, parts=44, rows=60_000, distinct=1_000_000, length=200)
    plain = child(PLAIN, partials_dir(tmp_path, SPEC.job_id))
    assert plain["peak"] >= 8 * BUDGET, f"the plain sum needs {plain['peak'] / 2**20:.0f} MiB"
    reduced = child(REDUCE, tmp_path, BUDGET)
    # VmHWM and a sampled RSS are both kept: the kernel folds per-CPU RSS counters into
    # the high-water mark lazily, so either can be the higher by a few pages
    peak = max(reduced["peak"], reduced["sampled"])
    assert peak <= 2 * BUDGET, f"the reduce took {peak / 2**20:.0f} MiB above its imports"
    table = load_table(tmp_path, reduced["table"])
    manifest = load_manifest(tmp_path, reduced["table"])
    assert table.num_rows == manifest["strings"] == plain["rows"] > 900_000
    assert manifest["row_checksum"] == plain["checksum"] == row_checksum(table["string"], table["count"])
    assert manifest["coverage"] == "partial" and manifest["count_total"] == manifest["halting"]
    counts = table["count"].to_numpy()
    assert (np.diff(counts) <= 0).all(), "rows by count, descending"
    assert not (tmp_path / TMP_DIR).exists(), "the session's spill folder is removed"
