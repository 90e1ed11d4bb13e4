"""Turning matrices: pipeline.grid's plain-Python routine (what lookups, pattern keys and
the 2-D reducer use, so that none of them loads a compiled kernel) against the 2-D
kernel's own ``turn_matrices``, on every matrix of the shipped (5,2) 2-D table.

One round turns every matrix by each of the 7 symmetries other than the identity, with
each routine in turn (interleaved); the medians over the rounds are printed, per matrix
and per round, with the import time of ``pipeline.plan`` (a job's shard plan, which no
longer loads the compiled kernel) in a fresh interpreter.

    python benchmarks/bench_turn.py --rounds 20
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import click
import pyarrow.parquet as pq
from tmsim_ext._grid import turn_matrices

from pipeline.grid import transform_all

TABLE = Path(__file__).resolve().parent.parent / "data" / "tables" / "d5x2-2d-s2000" / "v1" / "table.parquet"


def one_round(turn, texts: list[str]) -> float:
    began = time.perf_counter()
    for g in range(1, 8):
        turn(texts, g)
    return time.perf_counter() - began


def import_seconds(statement: str) -> float:
    """Wall seconds of a fresh interpreter running ``statement``."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    return time.perf_counter() - began


@click.command()
@click.option("--rounds", default=20, show_default=True, help="Interleaved rounds of each routine.")
def main(rounds: int) -> None:
    texts = pq.read_table(TABLE, columns=["string"])["string"].to_pylist()
    for g in range(8):
        assert transform_all(texts, g) == turn_matrices(texts, g), g
    times = {"plain Python (pipeline.grid)": [], "compiled (tmsim_ext._grid)": []}
    for _ in range(rounds):
        times["plain Python (pipeline.grid)"].append(one_round(transform_all, texts))
        times["compiled (tmsim_ext._grid)"].append(one_round(turn_matrices, texts))
    print(f"{len(texts)} matrices x 7 symmetries, {rounds} rounds")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:30s} median {median:.3f} s per round, {median / len(texts) / 7 * 1e6:.2f} us per matrix")
    plan = statistics.median(import_seconds("import pipeline.plan") for _ in range(5))
    kernel = statistics.median(import_seconds("import pipeline.plan, pipeline.kernel") for _ in range(5))
    print(f"import pipeline.plan: {plan:.3f} s; with pipeline.kernel (the compiled kernels) too: {kernel:.3f} s")


if __name__ == "__main__":
    main()
