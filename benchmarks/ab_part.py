"""Count one part of a real job's plan and print a digest of everything counted.

For comparing two builds of the kernel that must count the same (a speed-up): run this
file with each build's Python, from each checkout, several times in turn (old, new, old,
new: on a shared machine the wall time drifts from minute to minute), and check that
the digests are equal. The digest is the SHA-256 of, for each count of the part
(``SharedCounts.counts``): its outputs (sorted), halting, limit, proven, halting times
and exact_upto continuation (``upto``); then the walk's classes, steps, proofs' classes
(``proven_by``), long-run work (``long``), undecided and late-halting classes and the
continuation's work (``upto_work``). The kernel's own seconds are left out.

Usage: python benchmarks/ab_part.py [JOB] [GROUP_SHARD] [PART]
(defaults: jobs/d6x2.toml 7 192: the group of shards that holds shard 7, part 192)

    cd /old/checkout && /old/checkout/.venv/bin/python /new/checkout/benchmarks/ab_part.py
    cd /new/checkout && .venv/bin/python benchmarks/ab_part.py
"""

from __future__ import annotations

import hashlib
import sys
import time

from pipeline.flow import plan_of
from pipeline.spec import load_spec
from pipeline.tasks import count_part, shard_task
from tmsim_ext import KERNEL_VERSION, _kernel


def canonical(value) -> str:
    """A text of ``value`` that does not depend on the order of its dicts' keys."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{canonical(k)}:{canonical(value[k])}" for k in sorted(value, key=repr)) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    return repr(value)


def digest(got) -> str:
    """SHA-256 of everything a part counted (the module docstring lists it)."""
    fields = [
        [
            sorted(c.outputs.items()),
            c.halting,
            c.limit,
            c.proven,
            c.halting_times,
            c.upto,
        ]
        for c in got.counts
    ]
    fields += [got.classes, got.steps, got.proven_by, got.long, got.undecided, got.late, got.upto_work]
    return hashlib.sha256(canonical(fields).encode()).hexdigest()


def main_(job: str, shard: int, part: int) -> None:
    plan = plan_of(load_spec(job))
    group = next(g for g in plan.groups(plan.computed()) if shard in g)
    task = shard_task(plan, group, part)
    began = time.perf_counter()
    got = count_part(task)
    wall = time.perf_counter() - began
    print(
        f"{job} shards {group[0]}..{group[-1]} part {part}: {wall:.1f} s wall, kernel {got.seconds:.1f} s, "
        f"classes {got.classes:,}, digest {digest(got)}"
    )
    print(f"kernel version {KERNEL_VERSION}: {_kernel.__file__}")


if __name__ == "__main__":
    args = sys.argv[1:]
    main_(
        args[0] if args else "jobs/d6x2.toml",
        int(args[1]) if len(args) > 1 else 7,
        int(args[2]) if len(args) > 2 else 192,
    )
