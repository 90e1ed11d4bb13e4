"""Check that two jobs' stored partials count the same, part by part.

For two job files whose settings must not change a count (``cps_after``, the CPS
settings of an exact_upto job), every partial file that both have under the data root is
compared: the rows' checksum (every output and its count), halting, halting times and
the late halts; with exact_upto, the continuation's rows, halting, halting times and
limit (H_high - H_low); and limit + proven, the machines that did not halt. What may
differ is printed as totals: how the machines that did not halt split into limit and
proven. A difference in anything else is printed and the exit code is 1.

Usage: python benchmarks/same_counts.py JOB_A JOB_B [DATA_ROOT]
(e.g. the D(6) run before and after cps_after = 100:
 python benchmarks/same_counts.py /tmp/d6x2-before.toml jobs/d6x2.toml ~/ctm-data)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.partials import partials_dir
from pipeline.spec import load_spec

SAME = ("checksum", "halting", "halting_times", "late_halts")
SAME_UPTO = ("checksum", "halting", "halting_times", "limit")


def meta(path: Path) -> dict:
    """The ``ctm`` metadata of a partial file."""
    return json.loads(pq.read_schema(path).metadata[b"ctm"])


def main_(job_a: str, job_b: str, root: Path) -> int:
    a, b = (partials_dir(root, load_spec(job).job_id) for job in (job_a, job_b))
    names = sorted(p.name for p in a.glob("*.parquet") if p.name.count(".") == 2)  # not .late, .upto
    both = [name for name in names if (b / name).is_file()]
    bad, split = 0, {"a": [0, 0], "b": [0, 0]}
    for name in both:
        ma, mb = meta(a / name), meta(b / name)
        diff = [k for k in SAME if ma.get(k) != mb.get(k)]
        diff += [f"upto.{k}" for k in SAME_UPTO if ma.get("upto", {}).get(k) != mb.get("upto", {}).get(k)]
        if ma["limit"] + ma["proven"] != mb["limit"] + mb["proven"]:
            diff.append("limit + proven")
        if diff:
            bad += 1
            print(f"{name}: {', '.join(diff)} differ")
        for key, m in (("a", ma), ("b", mb)):
            split[key][0] += m["limit"]
            split[key][1] += m["proven"]
    print(f"{len(both)} partials in both ({a.name}: {len(names)}, {b.name}), {bad} differ")
    for key, job in (("a", job_a), ("b", job_b)):
        print(f"  {job}: limit {split[key][0]:,}, proven {split[key][1]:,}")
    return 1 if bad or not both else 0


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__)
    root = Path(sys.argv[3]).expanduser() if len(sys.argv) == 4 else Path("data")
    raise SystemExit(main_(sys.argv[1], sys.argv[2], root))
