"""Time a large batch lookup and the two start-up costs the test suite pays most often.

- ``acss`` of every matrix up to 4x4 of the exact (5,2) 2-D table (74,954 matrices), and
  beside it, in the same run, what each answer paid before a table found its source
  once: ``source_of`` (three path resolutions) called once per answer.
- The import of ``pipeline.cli`` in a fresh interpreter (what every ``ctm`` command pays
  first), and beside it the import of ``dask.distributed`` alone, which it no longer pays
  outside run, submit and status.

    python benchmarks/bench_lookup.py [--rounds 3]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import click


def best_of(rounds: int, call) -> tuple[float, float]:
    """Median and minimum seconds of ``call()`` over ``rounds`` calls."""
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times), min(times)


def fresh_import(module: str) -> None:
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True)


@click.command()
@click.option("--rounds", type=click.IntRange(1), default=3, show_default=True)
def main(rounds: int) -> None:
    os.environ["CTM_DATA_DIR"] = tempfile.mkdtemp()  # the shipped tables only
    from pipeline.query import acss, open_table
    from pipeline.tables import source_of

    exact = open_table("d5x2-2d-s2000")
    keys = [k for k in exact.index if k.count("-") < 4 and len(k.split("-")[0]) <= 4]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        median, low = best_of(rounds, lambda: acss(keys, table="d5x2-2d-s2000", ndim=2))
    print(f"acss of {len(keys):,} matrices: median {median:.2f} s, best {low:.2f} s")
    median, low = best_of(rounds, lambda: [source_of(exact.folder) for _ in keys])
    print(f"  source_of once per answer (the cost before): median {median:.2f} s, best {low:.2f} s")
    median, low = best_of(rounds, lambda: fresh_import("pipeline.cli"))
    print(f"import pipeline.cli in a fresh interpreter: median {median:.2f} s, best {low:.2f} s")
    median, low = best_of(rounds, lambda: fresh_import("dask.distributed"))
    print(f"  import dask.distributed alone (no longer part of it): median {median:.2f} s, best {low:.2f} s")


if __name__ == "__main__":
    main()
