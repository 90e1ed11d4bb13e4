"""What a finished job cost, from what its run left in the data root.

Reads the job's run reports (``runs/<job id>/*.json``: wall and kernel seconds of each
``ctm run``), its stored partials (kernel seconds, classes and steps of every part) and
the manifests of its latest tables (classes, walk steps and classes settled by each
proof; with exact_upto, what the continuation after S settled and the bracket of H).
Peak memory is not stored by the pipeline: give the run's log of ``/usr/bin/time -v``
(its "Maximum resident set size") to have it printed.

Usage: python benchmarks/run_cost.py JOB [DATA_ROOT] [TIME_LOG]
(e.g. the D(6) run: python benchmarks/run_cost.py jobs/d6x2.toml ~/ctm-data ~/ctm-data/run-d6x2.log)
"""

from __future__ import annotations

import dataclasses
import json
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.partials import partials_dir
from pipeline.spec import load_spec
from pipeline.tables import load_manifest, versions


def runs(root: Path, job_id: str) -> list[dict]:
    """The job's run reports, oldest first."""
    return sorted(
        (json.loads(p.read_text()) for p in (root / "runs" / job_id).glob("*.json")), key=lambda r: r["started"]
    )


def parts(root: Path, job_id: str) -> dict[tuple[int, int], dict[str, float]]:
    """(group's first shard, part) -> kernel seconds, classes and steps summed over its partials."""
    out: dict[tuple[int, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for path in partials_dir(root, job_id).glob("*.parquet"):
        if path.name.endswith((".late.parquet", ".upto.parquet")):  # files beside the partial
            continue
        meta = json.loads(pq.read_schema(path).metadata[b"ctm"])
        key = (min(meta.get("task_shards") or [meta["shard"]]), (meta.get("cut") or {}).get("part", 0))
        for name in ("kernel_seconds", "classes", "steps"):
            out[key][name] += meta[name]
    return out


def peak_rss(log: Path) -> list[int]:
    """Every "Maximum resident set size (kbytes)" that ``/usr/bin/time -v`` wrote to the log."""
    return [int(m) for m in re.findall(r"Maximum resident set size \(kbytes\): (\d+)", log.read_text())]


def main_(job: str, root: Path, log: Path | None) -> None:
    spec = load_spec(job)
    job_id = spec.job_id
    reports = runs(root, job_id)
    wall = sum(r["wall_seconds"] for r in reports)
    kernel = sum(r["kernel_seconds"] for r in reports)
    counted = sum(r["counted"] for r in reports)
    print(f"job {job} ({job_id}): {len(reports)} run(s) of ctm run, {counted} parts counted")
    for r in reports:
        print(
            f"  {r['started']} -> {r['finished']}: {r['counted']} parts counted, "
            f"{r['reused']} reused, {r['wall_seconds']:,.0f} s wall, {r['kernel_seconds']:,.0f} kernel s "
            f"on {r['threads']} threads" + (f"; stopped: {r['stopped']}" if r["stopped"] else "")
        )
    print(f"wall {wall:,.0f} s ({wall / 3600:.2f} h), kernel {kernel:,.0f} s ({kernel / 3600:.2f} core-hours)")
    per_part = parts(root, job_id)
    seconds = sorted(p["kernel_seconds"] for p in per_part.values())
    if seconds:
        print(
            f"{len(seconds)} parts stored: kernel {sum(seconds):,.0f} s, per part median {statistics.median(seconds):.1f} s, "
            f"largest {seconds[-1]:.1f} s, smallest {seconds[0]:.1f} s"
        )
    names = [dataclasses.replace(spec, exact_upto=None).table, spec.table] if spec.exact_upto else [spec.table]
    for name in names:
        if not versions(root, name):
            print(f"{name}: no table yet")
            continue
        m = load_manifest(root, name)
        if m["job_id"] != job_id:
            print(f"{name} v{m['version']}: made by job {m['job_id']}, not this one: left out")
            continue
        work = m["work"]
        print(
            f"{name} v{m['version']}: {m['strings']:,} outputs, {m['machines']:,} machines, {m['halting']:,} halting; "
            f"{work['classes']:,} classes, {work['nodes']:,} branch points, {work['steps']:,} walk steps"
        )
        print(f"  non-halting: {', '.join(f'{k} {v:,}' for k, v in m['nonhalting'].items())}")
        print(f"  classes by proof: {', '.join(f'{k} {v:,}' for k, v in m['classes_by_proof'].items())}")
        upto = m.get("exact_upto")
        if upto:
            after = upto["after_limit"]
            machines = ", ".join(
                f"{k} {v:,}" if v is not None else f"{k} unknown" for k, v in after["machines"].items()
            )
            print(f"  after step {m['max_steps']}, machines: {machines}")
            print(
                f"  after step {m['max_steps']}, classes: {', '.join(f'{k} {v:,}' for k, v in after['classes'].items())}"
            )
            print(
                f"  H in [{upto['H_low']:,}, {upto['H_high']:,}]: log2(H_high / H_low) = {upto['bracket_bits']:.6f} bits; "
                f"undecided {upto['undecided']['machines']:,} machines in {upto['undecided']['classes']:,} classes"
            )
    if log is not None:
        peaks = peak_rss(log)
        print(f"peak resident memory of the run's largest process: {max(peaks) / 1024:,.0f} MB" if peaks else "no peak")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3, 4):
        sys.exit(__doc__)
    main_(
        sys.argv[1],
        Path(sys.argv[2] if len(sys.argv) > 2 else "data").expanduser(),
        Path(sys.argv[3]).expanduser() if len(sys.argv) > 3 else None,
    )
