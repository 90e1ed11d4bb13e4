"""Lookups in a large table (issue 23, item 2): 1,000 strings through the lookup index
against the whole-load path, in the same run.

A synthetic 1-D table of ``--rows`` rows (every binary string in length order, lengths 1
to 24 for 2e7 rows; counts drawn from a heavy-tailed law, so ranks tie as in real
tables) is published once into ``--root`` with the project's own writer
(``pipeline.tables.publish``, which writes its ``lookup.parquet``); a later run reuses it.
Then each path runs in a fresh interpreter, which opens the table and answers a batch of
1,000 strings (seeded: 900 of the table's lengths, present, and 100 absent ones), then
a second batch; each reports wall seconds (open + first batch, then the second batch) and
its peak resident memory (VmHWM of that process alone), beside its peak after imports
(pipeline.query and pandas, which acss needs on both paths). The plain alternative, the whole load (today's path for small
tables), is forced with ``INDEX_ROWS`` raised past the table's size. Targets: at most
1 s and 500 MB for a batch of 1,000.

    python benchmarks/bench_index.py --root /tmp/ctm-bench-index [--rows 20000000]
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import click

TABLE = "d9x2-s100"
"""The synthetic table's name (no real space: 9 states is far past any table)."""

CHILD = r"""
import json, sys, time, warnings
def peak_mb():  # VmHWM: this process's peak resident memory (ru_maxrss survives exec from a large parent)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
warnings.simplefilter("ignore")
import pandas  # acss's frames need it on both paths
import pipeline.table as T
from pipeline.query import acss
mode, root, first, second = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
if mode == "whole":
    T.INDEX_ROWS = 10**15
after_imports = peak_mb()
began = time.perf_counter()
tab = T.open_table("d9x2-s100", data_dir=root)
one = acss(first, table="d9x2-s100", data_dir=root, errors="ignore")
opened = time.perf_counter() - began
began = time.perf_counter()
two = acss(second, table="d9x2-s100", data_dir=root, errors="ignore")
again = time.perf_counter() - began
print(json.dumps({
    "index": tab.lookups is not None, "open_and_first": opened, "second": again,
    "peak_mb": peak_mb(), "after_imports_mb": after_imports,
    "answered": int(one["K"].notna().sum() + two["K"].notna().sum()),
    "K": [None if k != k else k for k in one["K"].tolist() + two["K"].tolist()],
}))
"""


def strings_of_length(length: int, count: int):
    """The first ``count`` binary strings of ``length`` symbols, in numeric order, as an
    Arrow string array built straight from the digits' bytes."""
    import numpy as np
    import pyarrow as pa

    codes = np.arange(count, dtype=np.int64)
    bits = ((codes[:, None] >> np.arange(length - 1, -1, -1)) & 1).astype(np.uint8) + ord("0")
    offsets = np.arange(0, count * length + 1, length, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(bits)])


def build(root: Path, rows: int, seed: int = 0) -> float:
    """Publish the synthetic table into ``root``; seconds taken."""
    import numpy as np
    import pyarrow as pa

    from pipeline.tables import publish

    began = time.perf_counter()
    parts, left, length = [], rows, 1
    while left:
        take = min(left, 2**length)
        parts.append(strings_of_length(length, take))
        left -= take
        length += 1
    strings = pa.chunked_array(parts).combine_chunks()
    rng = np.random.default_rng(seed)
    counts = np.floor(rng.pareto(1.2, rows) * 10).astype(np.int64) + 1  # heavy tail, many ties
    total = int(counts.sum())
    table = pa.table(
        {
            "string": strings,
            "length": pa.array(np.arange(1, len(parts) + 1, dtype=np.int32).repeat([len(p) for p in parts])),
            "count": pa.array(counts),
            "D": pa.array(counts / total),
            "K": pa.array(np.log2(total) - np.log2(counts)),
        }
    ).sort_by([("count", "descending"), ("string", "ascending")])
    manifest = {"states": 9, "symbols": 2, "max_steps": 100, "dims": 1, "coverage": "full", "synthetic": True}
    publish(root, TABLE, table, manifest)
    return time.perf_counter() - began


def batch(seed: int, longest: int, rows: int) -> list[str]:
    """900 strings the table has (the 6 longest complete lengths) and 100 absent ones (one
    symbol longer, normalised, past the rows of that last, partial length)."""
    rng = random.Random(seed)
    present = ["".join(rng.choice("01") for _ in range(rng.randint(longest - 5, longest))) for _ in range(900)]
    listed = rows - (2 ** (longest + 1) - 2)  # strings of length longest + 1 in the table: the first ones
    if listed >= 2**longest:
        raise click.UsageError(f"--rows {rows:,} leaves no absent normalised string of length {longest + 1}")
    absent = [format(rng.randrange(listed, 2**longest), f"0{longest + 1}b") for _ in range(100)]
    return present + absent


def run_child(mode: str, root: Path, first: list[str], second: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(root), json.dumps(first), json.dumps(second)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


@click.command()
@click.option("--root", type=click.Path(path_type=Path), required=True, help="Data root the table is built in.")
@click.option("--rows", type=click.IntRange(1000), default=20_000_000, show_default=True)
def main(root: Path, rows: int) -> None:
    import pyarrow.parquet as pq

    folder = root / "tables" / TABLE / "v1"
    if not folder.is_dir():
        seconds = build(root, rows)
        print(f"built {TABLE} ({rows:,} rows) with tables.publish (its lookup index included) in {seconds:.0f} s")
    meta = pq.ParquetFile(folder / "table.parquet").metadata
    sizes = {p.name: p.stat().st_size / 2**20 for p in folder.glob("*.parquet")}
    print(
        f"table: {meta.num_rows:,} rows; table.parquet {sizes['table.parquet']:.0f} MiB, "
        f"lookup.parquet {sizes.get('lookup.parquet', 0):.0f} MiB"
    )
    longest = 1
    while 2 ** (longest + 2) - 2 <= meta.num_rows:  # every string of lengths 1 to longest is in it
        longest += 1
    first, second = batch(1, longest, meta.num_rows), batch(2, longest, meta.num_rows)
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    found = {}
    for mode in ("index", "whole"):
        found[mode] = run_child(mode, root, first, second)
        r = found[mode]
        print(
            f"{mode:>5}: open + 1,000 strings {r['open_and_first']:.3f} s, next 1,000 {r['second']:.3f} s, "
            f"peak RSS {r['peak_mb']:.0f} MB ({r['after_imports_mb']:.0f} MB after imports); "
            f"answered {r['answered']} of 2,000 (through the index: {r['index']})"
        )
    print(f"same K on both paths (absent ones NaN on both): {found['index']['K'] == found['whole']['K']}")


if __name__ == "__main__":
    main()
