"""2-D machines: the 2-D kernel against the plain 2-D brute force, and the cost of the
(5,2) 2-D space projected from some of its parts.

    python benchmarks/bench_grid.py                 # (4,2) 2-D whole, brute force, (5,2) 2-D parts
    python benchmarks/bench_grid.py --parts 0       # skip the (5,2) 2-D projection

Prints Markdown tables for BENCHMARKS.md: machines, classes, steps and seconds of the
whole (4,2) 2-D space at S = 2000 in one kernel call; the brute force's machines per
second on a range of the same space (``pipeline.brute2d``, numpy, one grid per machine);
and for (5,2) 2-D the seconds of a few of the 64 parts of jobs/d5x2-2d.toml's walk, with
the projected total (parts are dealt round-robin, so they cost about the same).
"""

from __future__ import annotations

import random
import statistics
import time

import click

from pipeline.brute2d import brute_count_2d
from pipeline.kernel import count_range
from pipeline.plan import PART_DEPTH
from pipeline.space import Space


@click.command()
@click.option("--parts", default=4, show_default=True, help="(5,2) 2-D parts to time (of 64).")
@click.option("--brute", default=300, show_default=True, help="Machines for the brute-force rate.")
def main(parts: int, brute: int) -> None:
    space = Space(4, 2, 2000, dims=2)
    began = time.perf_counter()
    whole = count_range(space, 0, space.size)
    seconds = time.perf_counter() - began
    print("| workload | machines | classes | steps | kernel s | machines/s |")
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| (4,2) 2-D S=2000 whole space | {space.size:,} | {whole.classes:,} | {whole.steps:,} | {seconds:.2f} | {space.size / seconds:.2e} |"
    )
    start = random.Random(1).randrange(space.size - brute)
    began = time.perf_counter()
    plain = brute_count_2d(4, 2, 2000, start, start + brute)
    plain_s = time.perf_counter() - began
    kernel = count_range(space, start, start + brute)
    assert (kernel.halting, kernel.outputs) == (plain.halting, plain.outputs), "kernel and brute force disagree"
    print(
        f"| (4,2) 2-D S=2000 brute force, [{start}, +{brute}) | {brute:,} | - | - | {plain_s:.2f} | {brute / plain_s:.2e} |"
    )
    if not parts:
        return
    big = Space(5, 2, 2000, dims=2)
    times = []
    for p in random.Random(2).sample(range(64), parts):
        began = time.perf_counter()
        counted = count_range(big, 0, big.size, part=(PART_DEPTH, 64, p), max_length=5)
        times.append(time.perf_counter() - began)
        print(
            f"| (5,2) 2-D S=2000 part {p} of 64 | - | {counted.classes:,} | {counted.steps:,} | {times[-1]:.1f} | - |",
            flush=True,
        )
    mean = statistics.mean(times)
    print(
        f"\n(5,2) 2-D: {mean:.0f} s per part (mean of {parts}), so about {64 * mean / 3600:.1f} core-hours for the whole space"
    )


if __name__ == "__main__":
    main()
