"""Write a small table version into a temporary data root, following the table contract.

TOY is a hand-made binary table whose counts are powers of two, so every K is exact and
every query and BDM value in the tests can be worked out by hand. It keeps the
symmetries of a full table (complements and reversals share counts), has outputs up to
length 4, and leaves 001, 011, 100 and 110 unproduced (missing blocks for BDM).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from pipeline.tables import publish

TOY = {
    "0": 16,
    "1": 16,
    "00": 8,
    "11": 8,
    "01": 4,
    "10": 4,
    "000": 2,
    "111": 2,
    "010": 1,
    "101": 1,
    "0110": 1,
    "1001": 1,
}
"""count_total 64 = 2 * 32 halting machines: D = count / 64, so K("0") = 2, K("010") = 6."""

TOY_TIMES = {1: 12, 2: 10, 3: 6, 4: 3, 6: 1}
"""Halting times of the toy's 32 halting machines (blank 0)."""


def write_table(
    root: Path,
    name: str,
    counts: dict[str, int],
    *,
    halting_times: dict[int, int] | None = None,
    decimal: bool = False,
) -> Path:
    """Publish ``counts`` as the next version of ``name`` in ``root`` (pipeline.tables.publish).

    D = count / count_total and K = -log2 D, as in a full table; ``decimal`` stores counts
    as decimal128(38,0), as a space of 2**63 machines or more does. Returns the folder.
    """
    states, symbols, steps = (int(x) for x in re.fullmatch(r"d(\d+)x(\d+)-s(\d+)", name).groups())
    total = sum(counts.values())
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    table = pa.table(
        {
            "string": pa.array([s for s, _ in rows], pa.string()),
            "length": pa.array([len(s) for s, _ in rows], pa.int32()),
            "count": pa.array(
                [Decimal(c) for _, c in rows] if decimal else [c for _, c in rows],
                pa.decimal128(38, 0) if decimal else pa.int64(),
            ),
            "D": pa.array([c / total for _, c in rows], pa.float64()),
            "K": pa.array([-math.log2(c / total) for _, c in rows], pa.float64()),
        }
    )
    machines = (symbols * (2 * states + 1)) ** (states * symbols)
    halting = total // symbols
    manifest = {
        "job": {"states": states, "symbols": symbols, "max_steps": steps},
        "job_id": f"toy-{name}",
        "states": states,
        "symbols": symbols,
        "max_steps": steps,
        "coverage": "full",
        "covered_ranges": [["0", str(machines)]],
        "machines": machines,
        "halting": halting,
        "count_total": total,
        "nonhalting": {"reached_limit": machines - halting, "proven": 0},
        "halting_times": {str(k): v for k, v in sorted((halting_times or {1: halting}).items())},
        "strings": len(counts),
        "symmetry_rules_applied": True,
        "versions": {"ctm-pipeline": "0.1.0", "kernel": "toy", "pyarrow": pa.__version__},
        "created": "2024-01-01T00:00:00+00:00",
    }
    return publish(root, name, table, manifest).path
