"""Lookups at scale (issue 21): acss() of 100,000 strings, ctm query --file of 1.1
million lines, and the start-up of ctm query, bdm and local.

Run from the repository root: ``python benchmarks/bench_lookups.py``. Inputs are random
binary strings of length 1 to 12 (seeded), answered from the shipped d5x2-s500 table.
Each figure comes with a plain alternative measured in the same run. Targets: acss() at
most 1 s; --file streams (first line within 1 s), 1.1 million lines in at most 15 s and
300 MB; each command at most 0.5 s (median of 10, OS cache warm).
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CTM = [sys.executable, "-m", "pipeline.cli"]


def strings(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice("01") for _ in range(rng.randint(1, 12))) for _ in range(n)]


def bench_acss(n: int = 100_000) -> None:
    import warnings

    from pipeline.inputs import items
    from pipeline.query import acss, answer, frame, open_table

    xs = strings(n)
    tab = open_table()
    acss(xs[:10], errors="ignore")  # table loaded once, as in any session
    best = min(_timed(lambda: acss(xs, errors="ignore")) for _ in range(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = min(_timed(lambda: frame([answer(tab, e) for e in items(xs)], list(tab.columns))) for _ in range(3))
    print(f"acss() of {n:,} strings: {best:.3f} s (best of 3); one Answer per input, then a frame: {plain:.3f} s")


def _timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _child(args: list[str], stdin=None) -> tuple[float, float, float]:
    """(seconds to the first line of output, seconds in all, peak resident MB) of one run."""
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stdin=stdin, stderr=subprocess.DEVNULL)
    process.stdout.readline()
    first = time.perf_counter() - start
    for _ in iter(lambda: process.stdout.read(1 << 20), b""):
        pass
    _, status, usage = os.wait4(process.pid, 0)  # this child's own peak, not all children's
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stdout.close()
    return first, time.perf_counter() - start, usage.ru_maxrss / 1024


def bench_file(n: int = 1_100_000) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ctm-bench-"))
    try:
        listing = folder / "lines.txt"
        listing.write_text("\n".join(strings(n, seed=1)) + "\n")
        first, total, peak = _child(CTM + ["query", "--file", str(listing)])
        print(
            f"ctm query --file ({n:,} lines): first line after {first:.2f} s, all in {total:.1f} s, peak {peak:.0f} MB"
        )
        # the plain alternative: the same lines through lookup() in one call (all in memory)
        code = (
            "import sys; from pipeline.inputs import read_lines; from pipeline.query import lookup; "
            f"a = lookup(read_lines({str(listing)!r}), errors='ignore'); print(len(a))"
        )
        first, total, peak = _child([sys.executable, "-c", code])
        print(
            f"  plain: lookup() of all {n:,} lines at once: {total:.1f} s, peak {peak:.0f} MB (nothing printed until the end)"
        )
    finally:
        shutil.rmtree(folder)


def median_of(args: list[str], runs: int = 10) -> float:
    subprocess.run(args, capture_output=True)  # OS cache warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_commands() -> None:
    for args in (["query", "01011100"], ["bdm", "010101010101010101010101"], ["local", "--span", "4", "01011100"]):
        print(f"ctm {' '.join(args)}: median of 10 {median_of(CTM + args):.3f} s")
    print(
        f"  plain: python -c 'import pandas': median of 10 {median_of([sys.executable, '-c', 'import pandas']):.3f} s; "
        f"python -c 'import dask.distributed': {median_of([sys.executable, '-c', 'import dask.distributed']):.3f} s"
    )


if __name__ == "__main__":
    os.environ.setdefault("CTM_DATA_DIR", tempfile.mkdtemp(prefix="ctm-no-tables-"))  # shipped tables only
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    bench_file()  # first, while this process is small
    bench_acss()
    bench_commands()
