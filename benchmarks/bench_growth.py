"""pipeline.growth on a table the size of D(6): time and peak memory against the plain way.

Publishes a synthetic ``d6x2-s500`` into a scratch data root: every string of 1 to 12
symbols, D(5)'s strings (so the pair has as many common strings as the real one), and
random strings of 13 to 40 symbols up to ``--rows`` in all, with random counts. Then,
each in a fresh process (peak resident memory is the child's VmHWM: its ``ru_maxrss``
would keep the parent's across exec):

- ``growth``: ``completeness`` of both tables and ``correlation`` of D(5) against it, as
  examples/growth.py asks them;
- ``plain``: the same figures the plain way, as growth did before: both tables read whole
  into pandas, merged on the string, grouped by length.

Both must give the same common strings and rows per length.

Usage: python benchmarks/bench_growth.py [--rows 5000000] [--root /tmp/bench-growth]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NAME = "d6x2-s500"

CHILD = {
    "growth": """
from pipeline import growth
shares = growth.completeness(["d5x2-s500", NAME], data_dir=ROOT)
corr = growth.correlation("d5x2-s500", NAME, data_dir=ROOT)
held = shares[shares["table"] == NAME].set_index("length")["strings"]
result = {"both": int(corr.iloc[-1]["n"]), "lengths": {int(k): int(v) for k, v in held.items() if v}}
""",
    "plain": """
import pyarrow.parquet as pq
from pipeline.query import open_table
def whole(name):
    return pq.read_table(open_table(name, data_dir=ROOT).folder / "table.parquet",
                         columns=["string", "length", "count", "K"]).to_pandas()
a, b = whole("d5x2-s500"), whole(NAME)
both = a.merge(b, on="string", how="inner")
per_a, per_b = a.groupby("length").size(), b.groupby("length").size()
result = {"both": len(both), "lengths": {int(k): int(v) for k, v in per_b.items()}}
""",
}


def strings_of_length(rng: np.random.Generator, length: int, n: int) -> list[str]:
    """n random binary strings of ``length`` symbols (duplicates possible)."""
    digits = rng.integers(0, 2, size=(n, length), dtype=np.uint8) + ord("0")
    return digits.view(f"S{length}").ravel().astype(str).tolist()


def build(root: Path, rows: int, seed: int) -> int:
    """Publish the synthetic table; returns its rows."""
    from pipeline.query import open_table
    from pipeline.tables import publish

    rng = np.random.default_rng(seed)
    d5 = open_table("d5x2-s500").strings
    strings = {format(i, f"0{n}b") for n in range(1, 13) for i in range(2**n)} | set(d5)
    per_length = max(1, (rows - len(strings)) // 28)
    for length in range(13, 41):
        strings.update(strings_of_length(rng, length, per_length))
    column = pa.array(sorted(strings), pa.string())
    counts = pa.array(rng.integers(1, 10**9, size=len(column)), pa.int64())
    order = pc.sort_indices(
        pa.table({"count": counts, "string": column}), [("count", "descending"), ("string", "ascending")]
    )
    column, counts = column.take(order), counts.take(order)
    total = int(pc.sum(counts).as_py())
    D = pc.divide(pc.cast(counts, pa.float64()), float(total))
    table = pa.table(
        {
            "string": column,
            "length": pc.cast(pc.utf8_length(column), pa.int32()),
            "count": counts,
            "D": D,
            "K": pc.negate(pc.log2(D)),
        }
    )
    machines = 26**12
    manifest = {
        "job": {"states": 6, "symbols": 2, "max_steps": 500},
        "job_id": "bench-growth",
        "states": 6,
        "symbols": 2,
        "max_steps": 500,
        "coverage": "full",
        "covered_ranges": [["0", str(machines)]],
        "machines": machines,
        "halting": total // 2,
        "count_total": total,
        "nonhalting": {"reached_limit": machines - total // 2, "proven": 0},
        "halting_times": {"1": total // 2},
        "strings": len(column),
        "symmetry_rules_applied": True,
        "versions": {"ctm-pipeline": "0.1.0", "kernel": "synthetic", "pyarrow": pa.__version__},
        "created": "2026-12-05T00:00:00+00:00",
    }
    publish(root, NAME, table, manifest)
    return len(column)


def run(kind: str, root: Path) -> dict:
    """One way in a fresh process: its wall, peak memory and answer."""
    code = (
        f"import json, time\nNAME, ROOT = {NAME!r}, {str(root)!r}\nstart = time.perf_counter()\n"
        + CHILD[kind]
        + "\nresult['wall'] = time.perf_counter() - start\n"
        + "hwm = [line for line in open('/proc/self/status') if line.startswith('VmHWM')][0]\n"
        + "result['peak_mib'] = int(hwm.split()[1]) / 1024\n"
        + "print(json.dumps(result))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--root", type=Path, default=Path("/tmp/bench-growth"))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    start = time.perf_counter()
    rows = build(args.root, args.rows, args.seed)
    print(f"synthetic {NAME}: {rows:,} strings in {args.root} ({time.perf_counter() - start:.1f} s to build)")
    got = {kind: run(kind, args.root) for kind in ("growth", "plain")}
    for kind, r in got.items():
        print(f"{kind:>6}: {r['wall']:.1f} s, peak {r['peak_mib']:,.0f} MiB, {r['both']:,} strings in both")
    same = got["growth"]["both"] == got["plain"]["both"] and got["growth"]["lengths"] == got["plain"]["lengths"]
    print("same common strings and rows per length:", same)
    return 0 if same and not math.isnan(got["growth"]["wall"]) else 1


if __name__ == "__main__":
    sys.exit(main())
