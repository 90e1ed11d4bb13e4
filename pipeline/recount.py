"""Count stored parts again with this build and compare them with the stored ones.

A job whose run goes on over kernel builds (a faster proof, a rebuilt extension) may mix
partials of both only if the new build counts every part as the old one did. This
counts parts that are already in the data root again, in this process, and compares
each shard's new partial with the stored one: the rows' checksum and every total and
list of its metadata (halting, limit, proven, halting times, classes, steps, proofs,
the exact reading's figures, undecided and late classes), all but where and how fast
it was made. Equal partials show that a kernel change is count-neutral.
"""

from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.errors import CTMError
from pipeline.forecast import job_tasks
from pipeline.partials import META_KEY, part_names, partials_dir
from pipeline.plan import ShardPlan
from pipeline.tasks import count_task, shard_task

MADE = ("worker", "kernel_seconds")
"""Metadata of where and how fast a partial was made: not compared."""


@dataclass(frozen=True)
class Recounted:
    """One stored part counted again: per shard, the metadata keys that differ."""

    group: tuple[int, ...]
    """The shards of the walk (``ShardPlan.groups``)."""
    part: int
    """The part's number in the walk's cut."""
    differ: dict[int, list[str]]
    """Shard -> metadata keys whose values differ (``checksum``: the rows); empty when equal."""
    seconds: float
    """Kernel seconds of the new count."""

    @property
    def same(self) -> bool:
        """Whether every shard's partial is the stored one."""
        return not any(self.differ.values())


def stored_parts(plan: ShardPlan, root: Path) -> list[tuple[list[int], int]]:
    """The job's tasks (group, part) whose every shard has its partial in the data root."""
    folder = partials_dir(root, plan.spec.job_id)
    return [
        (group, part)
        for group, part in job_tasks(plan)
        if all((folder / part_names(plan, shard)[part]).exists() for shard in group)
    ]


def _meta(data: bytes | Path) -> dict:
    """A partial's metadata, from its bytes or its file."""
    source = io.BytesIO(data) if isinstance(data, bytes) else str(data)
    return json.loads(pq.read_schema(source).metadata[META_KEY])


def recount(plan: ShardPlan, root: Path, group: list[int], part: int) -> Recounted:
    """Count part ``part`` of the walk of ``group`` again and compare it with the stored one.

    Raises
    ------
    CTMError
        A shard of the part has no partial in the data root.
    """
    folder = partials_dir(root, plan.spec.job_id)
    stored = {shard: folder / part_names(plan, shard)[part] for shard in group}
    missing = [path.name for path in stored.values() if not path.exists()]
    if missing:
        raise CTMError(f"{missing[0]}: no stored partial under {folder} to compare with (part {part})")
    counted = count_task(shard_task(plan, group, part))
    differ = {}
    for bundle in counted.bundles:
        new, old = _meta(bundle.main.data), _meta(stored[bundle.shard])
        keys = sorted((set(new) | set(old)) - set(MADE))
        differ[bundle.shard] = [key for key in keys if new.get(key) != old.get(key)]
    return Recounted(tuple(group), part, differ, counted.kernel_seconds)


def pick(plan: ShardPlan, root: Path, size: int, seed: int) -> list[tuple[list[int], int]]:
    """``size`` stored parts drawn at random (``seed``), in task order.

    Raises
    ------
    CTMError
        No part of the job is stored yet.
    """
    stored = stored_parts(plan, root)
    if not stored:
        raise CTMError(f"no part of {plan.spec.table} is stored under {partials_dir(root, plan.spec.job_id)}")
    chosen = random.Random(seed).sample(range(len(stored)), min(size, len(stored)))
    return [stored[i] for i in sorted(chosen)]
