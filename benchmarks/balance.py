"""How even a job's parts are: each part's kernel seconds and steps, and the heaviest
part's share of the job's kernel time (issue 23 asks for at most 5 %).

Every part of every counted group of the job's plan (``ShardPlan.tasks``) is counted on
its own (nothing is written); ``--depth`` and ``--parts`` try another cut than the job
file's. A whole job's parts can be too many to count here (d5x2-2d is 1.6 core-hours):
``--only A:B`` counts parts A..B-1 of each group and estimates the job's time as their
mean times the number of parts.

    python benchmarks/balance.py jobs/d5x2.toml
    python benchmarks/balance.py jobs/d5x2.toml --parts 48 --depth 4 --threads 2
    python benchmarks/balance.py jobs/d5x2-2d.toml --only 0:4
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.kernel import count_range  # noqa: E402
from pipeline.plan import ShardPlan  # noqa: E402
from pipeline.space import Space  # noqa: E402
from pipeline.spec import load_spec  # noqa: E402
from pipeline.tasks import count_part, shard_task  # noqa: E402


def _count(task) -> tuple[float, float, int]:
    """Count one part: its kernel seconds (wall), the CPU seconds of its thread (what a
    busy machine does not inflate) and its steps; the counts are let go at once."""
    began = time.thread_time()
    counts = count_part(task)
    return counts.seconds, time.thread_time() - began, counts.steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("job", type=Path, help="a job file, e.g. jobs/d5x2.toml")
    parser.add_argument("--depth", type=int, help="cut at this branch depth (default: the job's)")
    parser.add_argument("--parts", type=int, help="parts per walk (default: the job's)")
    parser.add_argument("--only", help="A:B: count only parts A..B-1 of each walk and estimate the rest")
    parser.add_argument("--threads", type=int, default=1, help="parts counted at once (the kernel releases the GIL)")
    args = parser.parse_args()
    spec = load_spec(args.job)
    changes = {k: v for k, v in (("part_depth", args.depth), ("parts", args.parts)) if v is not None}
    plan = ShardPlan(dataclasses.replace(spec, **changes))
    first, last = (int(x) for x in args.only.split(":")) if args.only else (0, plan.spec.parts)
    jobs = [
        (g, plan.tasks(group)[index], shard_task(plan, group, index))
        for g, group in enumerate(plan.groups(plan.computed()))
        for index in range(len(plan.tasks(group)))[first:last]
    ]
    count_range(Space(2, 2, 6), 0, 100)  # warm up: the first count loads Arrow's kernels
    began = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        done = list(pool.map(lambda job: _count(job[2]), jobs))
    wall = time.perf_counter() - began
    rows = [(g, getattr(part, "part", 0), *work) for (g, part, _), work in zip(jobs, done)]
    scale = plan.spec.parts / (last - first)
    total = [sum(r[k] for r in rows) * scale for k in (2, 3, 4)]
    print(f"{args.job.name}: depth {plan.part_depth}, {plan.spec.parts} parts per walk, {len(rows)} parts counted")
    print(f"{'walk':>4} {'part':>4} {'seconds':>8} {'cpu s':>8} {'steps':>12}")
    for g, p, sec, cpu, steps in sorted(rows, key=lambda r: -r[3]):
        print(f"{g:>4} {p:>4} {sec:8.2f} {cpu:8.2f} {steps:12d}")
    estimated = " (estimated: the parts counted times parts / counted)" if scale != 1 else ""
    print(
        f"job: {total[0]:.1f} kernel s, {total[1]:.1f} CPU s, {total[2]:.0f} steps{estimated}; "
        f"wall {wall:.1f} s on {args.threads} thread(s)"
    )
    for k, name in ((2, "kernel s"), (3, "CPU s"), (4, "steps")):
        heavy = max(rows, key=lambda r: r[k])
        print(
            f"heaviest part by {name}: walk {heavy[0]} part {heavy[1]}, {100 * heavy[k] / total[k - 2]:.2f} % of the job"
        )


if __name__ == "__main__":
    main()
