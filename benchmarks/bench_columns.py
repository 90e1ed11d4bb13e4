"""Memory held by a kernel's outputs: as columns made into an Arrow table (this tree) or as
a Python dict of one string and one int per output (a build from before the columns,
e.g. ``git archive 3c5fd6c | tar -x -C /tmp/old`` built in place there).

Each build runs in a process of its own: the resident memory it holds after the count
(the result kept, pyarrow loaded before the count in both) and the call's time, on the
whole (4,2) 2-D space at S = 2000 (570,101 outputs).

    python benchmarks/bench_columns.py /tmp/old
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MEASURE = """
import gc, sys, time
import numpy as np, psutil, pyarrow as pa
sys.path.insert(0, {root!r})
from benchmarks.ab_kernel import load
from pipeline.rows import table_of
grid = load(__import__("pathlib").Path({tree!r}), "_grid", "grid")
one = np.ones(1, dtype=np.uint64).tobytes()
table_of({{"text": b"0", "offsets": np.array([0, 1]).tobytes(), "lo": one, "hi": bytes(8)}}, pa.int64())  # warm up
before = psutil.Process().memory_info().rss
began = time.perf_counter()
raw = grid.count_grid_blocks(4, 2, 2000, np.full((1, 8), -1, dtype=np.int32), sum(grid.GRID_PROOF_FLAGS.values()), True)
outputs = raw.pop("outputs")
if isinstance(outputs, dict) and "offsets" in outputs:
    outputs = table_of(outputs, pa.int64())
seconds = time.perf_counter() - began
gc.collect()
held = psutil.Process().memory_info().rss - before
print(f"{{len(outputs)}} outputs as {{type(outputs).__name__}}: {{seconds:.2f}} s, {{held / 2**20:.0f}} MiB held")
"""


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for tree in (Path(sys.argv[1]).resolve(), ROOT):
        code = MEASURE.format(root=str(ROOT), tree=str(tree))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        print(f"{tree}: {out.strip()}")


if __name__ == "__main__":
    main()
