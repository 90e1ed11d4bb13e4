"""Strong scaling of a fixed set of parts: the same parts on 1 worker, then on 2 (or more).

Counts a fixed subset of the parts of a job (by default 16 of the parts of
``jobs/d5x2-2d.toml`` cut finer, 256 parts instead of its 64, so that the measurement
takes minutes, not an hour: a cut changes no count) through the real driver
(``pipeline.run.run`` with ``only=``: LocalCluster, bytes back from the workers, the
driver's checks and atomic writes), each worker count in a fresh data root. Prints the
wall (counting only: the driver's run, no reduce), the kernel seconds, the speed-up over
one worker and the efficiency = kernel seconds / (workers x wall).

    python benchmarks/scaling.py                                  # d5x2-2d, 16 of 256 parts, 1 and 2 workers
    python benchmarks/scaling.py jobs/d5x2.toml --parts 64 --workers 1 2
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.plan import ShardPlan  # noqa: E402
from pipeline.run import run  # noqa: E402
from pipeline.spec import load_spec  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("job", nargs="?", type=Path, default=Path("jobs/d5x2-2d.toml"), help="a job file")
    parser.add_argument("--parts", type=int, default=256, help="parts per walk (a cut changes no count)")
    parser.add_argument("--count", type=int, default=16, help="parts to count: every (parts/count)-th part")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare")
    args = parser.parse_args()
    spec = dataclasses.replace(load_spec(args.job), parts=args.parts)
    plan = ShardPlan(spec)
    groups = plan.groups(plan.computed())
    tasks = [(group, index) for group in groups for index in range(len(plan.tasks(group)))]
    step = max(1, len(tasks) // args.count)
    only = tasks[step // 2 :: step][: args.count]
    print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; job {args.job.name}, {args.parts} parts")
    print(f"parts counted: {[index for _, index in only]} of groups {sorted({g[0] for g, _ in only})}")
    print(f"{'workers':>7} {'wall s':>8} {'kernel s':>9} {'speed-up':>9} {'efficiency':>10}")
    base = None
    for workers in args.workers:
        with tempfile.TemporaryDirectory() as root:
            began = time.perf_counter()
            report = run(spec, Path(root), workers=workers, progress=False, only=only)
            wall = time.perf_counter() - began
        if report.failed or report.counted != len(only):
            raise SystemExit(f"{workers} workers: counted {report.counted} of {len(only)}, failed {report.failed}")
        base = base or wall
        efficiency = report.kernel_seconds / (workers * wall)
        print(f"{workers:>7} {wall:>8.1f} {report.kernel_seconds:>9.1f} {base / wall:>9.2f} {efficiency:>10.2f}")


if __name__ == "__main__":
    main()
