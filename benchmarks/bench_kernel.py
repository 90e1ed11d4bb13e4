"""Time the lazy kernel against the brute-force simulator on the same ranges.

Reports, per workload: machines, classes and steps simulated, the median kernel time
over repeated calls (after import), machines per second, and the brute-force time where
it is feasible. Prints a Markdown table for BENCHMARKS.md.

    python benchmarks/bench_kernel.py            # all workloads
    python benchmarks/bench_kernel.py --quick    # skip the (5,2) blocks
"""

from __future__ import annotations

import statistics
import time

import click

from pipeline.brute import brute_count
from pipeline.kernel import count_range, count_shared_top
from pipeline.space import Space


def d52_block(top1: str, top0: str) -> tuple[int, int]:
    """The (5,2) S=500 block of machines whose entries (A,1) and (A,0) are fixed."""
    space = Space(5, 2, 500)
    digits = space.parse_text(f"{top0}{top1}_------_------_------_------")
    first = sum(digits[space.entry_at(pos)] * space.base**pos for pos in range(space.entries - 2, space.entries))
    return first, first + space.base ** (space.entries - 2)


def workloads(quick: bool) -> list[tuple[str, Space, int, int, bool]]:
    """(label, space, start, stop, brute feasible) for each measured range."""
    s32, s42, s52 = Space(3, 2, 21), Space(4, 2, 107), Space(5, 2, 500)
    items = [
        ("(3,2) S=21 whole space", s32, 0, s32.size, False),
        ("(4,2) S=107 whole space", s42, 0, s42.size, False),
        ("(4,2) S=107 [4258175314, +3,000,000)", s42, 4258175314, 4261175314, True),
        ("(5,2) S=500 [16758465646158, +50,000)", s52, 16758465646158, 16758465696158, True),
        ("(5,2) S=500 [8316580500890, +50,000)", s52, 8316580500890, 8316580550890, True),
    ]
    if not quick:
        for top1, top0 in (("0H-", "1RB"), ("1LA", "1RB"), ("1RC", "0RB")):
            start, stop = d52_block(top1, top0)
            items.append((f"(5,2) S=500 block A0={top0} A1={top1} (22^8 machines)", s52, start, stop, False))
    return items


def median_seconds(space: Space, start: int, stop: int, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        began = time.perf_counter()
        result = count_range(space, start, stop)
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


@click.command()
@click.option("--quick", is_flag=True, help="Skip the whole (5,2) blocks (about a minute).")
@click.option("--repeats", default=5, show_default=True, help="Kernel calls per small workload.")
def main(quick: bool, repeats: int) -> None:
    """Print the kernel benchmark as a Markdown table."""
    count_range(Space(2, 2, 6), 0, 10_000)  # warm the import
    print("| workload | machines | classes | steps | kernel s (median) | machines/s | brute s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, space, start, stop, brute_ok in workloads(quick):
        runs = repeats if stop - start < 10**11 else 1
        seconds, result = median_seconds(space, start, stop, runs)
        brute = "-"
        if brute_ok:
            began = time.perf_counter()
            expected = brute_count(space.states, space.symbols, space.max_steps, start, stop)
            brute = f"{time.perf_counter() - began:.2f}"
            if expected.outputs != result.outputs or expected.halting != result.halting:
                raise SystemExit(f"kernel and brute force disagree on {label}")
        rate = (stop - start) / seconds
        print(
            f"| {label} | {stop - start:,} | {result.classes:,} | {result.steps:,} "
            f"| {seconds:.3f} | {rate:.3g} | {brute} |",
            flush=True,
        )
    shared_walks(repeats)


def shared_walks(repeats: int) -> None:
    """Blocks differing only in the top digit: one shared walk against one walk each."""
    print()
    print("| group | blocks | shared: classes | shared s (median) | one by one: classes | one by one s |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, space, first in (
        ("(4,2) S=107, entry (0,0) = 1RB, every entry (0,1)", Space(4, 2, 107), 7),
        ("(3,2) S=21, entry (0,0) = 1RB, every entry (0,1)", Space(3, 2, 21), 7),
    ):
        size, top = space.base ** (space.entries - 2), space.base ** (space.entries - 1)
        ranges = [(t * top + first * size, t * top + (first + 1) * size) for t in range(space.base)]
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            shared = count_shared_top(space, ranges)
            times.append(time.perf_counter() - began)
        began = time.perf_counter()
        alone = [count_range(space, *r) for r in ranges]
        apart = time.perf_counter() - began
        for got, want in zip(shared.counts, alone):
            if (got.outputs, got.halting) != (want.outputs, want.halting):
                raise SystemExit(f"shared walk and one-by-one walks disagree on {label}")
        print(
            f"| {label} | {len(ranges)} | {shared.classes:,} | {statistics.median(times):.3f} "
            f"| {sum(a.classes for a in alone):,} | {apart:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
