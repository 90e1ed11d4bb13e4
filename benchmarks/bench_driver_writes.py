"""What writing partials on the driver costs against writing them where they are counted.

The 8 parts of the exact (4,2) 2-D job (jobs/d4x2-2d.toml: 1.8e12 machines, one walk
cut into 8 parts) are counted once; then, round after round, each part's partial is
made (``tasks.partial_files``: metadata, sorted rows, checksum; the same either way)
and written in two ways:

- plain (as before this change): the counting process writes the files into the data
  root by path (``partials.write_atomically``: Parquet, fsync, rename);
- driver-side (now): the worker packs them into compressed Parquet bytes with their
  SHA-256 (``payload.pack``), and the driver checks the digest, validates the partial
  under a temporary name and renames it into place (``payload.store``): the new serial
  work of the one process that writes the data root.

    python benchmarks/bench_driver_writes.py --rounds 5
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from pipeline.partials import partials_dir, write_atomically
from pipeline.payload import Bundle, pack, store
from pipeline.plan import ShardPlan
from pipeline.spec import load_spec
from pipeline.tasks import checker, count_part, partial_files, shard_task

JOB = Path(__file__).resolve().parent.parent / "jobs" / "d4x2-2d.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    plan = ShardPlan(load_spec(JOB))
    counted, kernel = [], 0.0
    for index in range(len(plan.tasks([0]))):
        task = shard_task(plan, [0], index)
        began = time.perf_counter()
        counted.append((task, count_part(task)))
        kernel += time.perf_counter() - began
    times: dict[str, list[float]] = {"make": [], "plain write": [], "pack": [], "store": []}
    for _ in range(args.rounds):
        root = Path(tempfile.mkdtemp(prefix="bench-writes-"))
        try:
            began = time.perf_counter()
            made = [(task.index, partial_files(task, shared, "bench")[0][1]) for task, shared in counted]
            times["make"].append(time.perf_counter() - began)
            plain = root / "plain"
            began = time.perf_counter()
            for _, files in made:
                for name, table in files.items():
                    write_atomically(plain / name, table)
            times["plain write"].append(time.perf_counter() - began)
            began = time.perf_counter()
            packed = []
            for index, files in made:
                bytes_ = [pack(name, table) for name, table in files.items()]
                packed.append((index, Bundle(0, bytes_[-1], tuple(bytes_[:-1]))))
            times["pack"].append(time.perf_counter() - began)
            began = time.perf_counter()
            for index, bundle in packed:
                store(partials_dir(root, plan.spec.job_id), bundle, checker(plan, 0, index))
            times["store"].append(time.perf_counter() - began)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    outputs = sum(len(shared.counts[0].outputs) for _, shared in counted)
    print(f"{JOB.name}: {len(counted)} parts, {outputs} rows in all, counted in {kernel:.1f} s (one thread)")
    for what, values in times.items():
        print(f"{what:<12} {statistics.median(values):6.2f} s  (median of {args.rounds} rounds)")


if __name__ == "__main__":
    main()
