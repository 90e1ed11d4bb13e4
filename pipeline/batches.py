"""Sampled jobs: their shards are replicate batches, each a whole estimate on its own.

Batch j draws from every stratum (each node of the lazy tree at the job's sample depth;
the branch points above it enter exactly) with the stream (seed, j, draw index), so
any set of finished batches is a valid estimate and more batches sharpen it. A batch's
partial, ``<root>/partials/<job-id>/<batch:06d>.parquet``, holds one row per *pattern*
it saw (pattern key, hits, mass: pipeline.patterns) and in its metadata the batch's
halting, limit and proven masses and its halting times; the estimator
(pipeline.estimate) needs nothing else.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.kernel import kernel_version, sample_space
from pipeline.partials import META_KEY, InvalidPartial, Partial, ShardStatus, partial_name, partials_dir
from pipeline.payload import Bundle, Counted, pack, worker_address
from pipeline.rows import sorted_rows
from pipeline.settings import KernelSettings
from pipeline.space import Space
from pipeline.spec import JobSpec, SpecError
from pipeline.tables import row_checksum

MAX_BATCHES = 1_000_000
"""Batch numbers run from 0 to this (exclusive): far more than any table needs."""

MASS_TOLERANCE = 1e-9
"""A batch's masses add up to 1 within float rounding."""


class BatchPlan:
    """The shards of a sampled job: batch numbers. ``ctm run`` computes batches
    0..batches-1; ``--shards A:B`` any others, and they all add up."""

    def __init__(self, spec: JobSpec) -> None:
        if not spec.sampled:
            raise SpecError(f"{spec.table} is an exact job: its shards are machine ranges (pipeline.plan)")
        self.spec = spec
        self.space = spec.space
        self.shards = spec.batches
        """The batches ``ctm run`` computes by default."""

    def is_derived(self, shard: int) -> bool:
        """Always False: a batch's counts are drawn, never derived from another's."""
        return False

    def parse_shards(self, text: str) -> range:
        """``A:B`` (batches A..B-1), ``A:``, ``:B`` or ``A``; any batches below MAX_BATCHES."""
        if not text.strip():
            raise SpecError(f"batch range {text!r} is blank; write A:B, e.g. 0:40, or leave out --shards for all")
        head, sep, tail = text.partition(":")
        try:
            first = int(head) if head.strip() else 0
            last = (int(tail) if tail.strip() else self.shards) if sep else first + 1
        except ValueError:
            raise SpecError(f"batch range {text!r} should look like 40:80 (batches 40..79)") from None
        if first < 0 or last > MAX_BATCHES:
            raise SpecError(f"batch range {text!r} should stay within 0:{MAX_BATCHES}")
        if last <= first:
            raise SpecError(f"batch range {text!r} is empty or reversed: write it low:high, e.g. {first}:{first + 1}")
        return range(first, last)

    def groups(self, shards: list[int]) -> list[list[int]]:
        """Each batch in its own group, in order: batches share no walk."""
        return [[s] for s in sorted(shards)]

    def tasks(self, group: list[int]) -> list[None]:
        """One task per batch (``[None]``): a batch is drawn whole."""
        return [None]

    def expected_cost(self, group: list[int], part: None) -> tuple[int, ...]:
        """The same cost for every batch: they make the same number of draws."""
        return (1, 0, 0)


@dataclass(frozen=True)
class BatchTask:
    """Everything a worker needs to draw one batch and pack its partial."""

    states: int
    symbols: int
    max_steps: int
    dims: int
    job_id: str
    seed: int
    sample_depth: int
    draws: int
    settings: KernelSettings
    """How the kernel draws (``JobSpec.kernel_settings``: max_length is what it lists)."""
    shards: tuple[int, ...]
    """The batch, as a one-element tuple (the driver's tasks name their shards)."""


def batch_task(plan: BatchPlan, shards: list[int], index: int = 0) -> BatchTask:
    """The task of one batch of ``plan``'s job (drawn whole: ``index`` is 0)."""
    (batch,) = shards
    if index != 0:
        raise IndexError(f"batch {batch} is drawn whole: it has part 0 only, not {index}")
    spec = plan.spec
    return BatchTask(
        spec.states,
        spec.symbols,
        spec.max_steps,
        spec.dims,
        spec.job_id,
        spec.seed,
        spec.sample_depth,
        spec.draws,
        spec.kernel_settings,
        (batch,),
    )


def sample_batch(task: BatchTask) -> Counted:
    """Draw the task's batch and hand back its partial as bytes (nothing is written)."""
    space, worker = Space(task.states, task.symbols, task.max_steps, task.dims), worker_address()
    (batch,) = task.shards
    got = sample_space(space, task.seed, batch, task.settings, sample_depth=task.sample_depth, draws=task.draws)
    rows = sorted_rows(got.rows).rename_columns(["pattern", "hits", "mass"])  # the kernel pools patterns
    meta = {
        "batch": batch,
        "job_id": task.job_id,
        "kernel": kernel_version(space),
        "worker": worker,
        "seed": task.seed,
        "halting": got.halting,
        "limit": got.limit,
        "proven": got.proven,
        "halting_times": {str(k): v for k, v in sorted(got.halting_times.items())},
        "draws": got.draws,
        "classes": got.classes,
        "nodes": got.nodes,
        "steps": got.steps,
        "proven_by": got.proven_by,
        "kernel_seconds": got.seconds,
        "max_length": task.settings.max_length,
        "rows": rows.num_rows,
        "checksum": row_checksum(rows["pattern"], rows["hits"]),
    }
    main = pack(partial_name(batch), rows.replace_schema_metadata({META_KEY: json.dumps(meta)}))
    return Counted(task.shards, 0, (Bundle(batch, main),), meta["kernel"], worker, got.seconds)


def read_batch(path: Path, *, job_id: str, batch: int, kernel: str) -> Partial:
    """Read and validate a batch's partial: it must be for this job, batch and kernel, its
    rows must match their checksum, and its masses add up to the whole space.

    Parameters
    ----------
    path : Path
        The partial's file.
    job_id, batch, kernel
        What its metadata must say: the job id, batch number and kernel version.

    Returns
    -------
    Partial
        The metadata (dict) and the rows (pattern, hits, mass).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    InvalidPartial
        A file that must not be merged; the message names the reason.
    """
    try:
        with pq.ParquetFile(str(path)) as parquet:
            rows = parquet.read(use_threads=False)
    except FileNotFoundError:
        raise
    except (OSError, pa.ArrowException) as exc:
        raise InvalidPartial(f"cannot be read (truncated or corrupt): {exc}") from None
    try:
        meta = json.loads((rows.schema.metadata or {}).get(META_KEY))
    except (TypeError, ValueError):
        raise InvalidPartial("has no readable ctm metadata") from None
    for key, want in {"job_id": job_id, "batch": batch, "kernel": kernel}.items():
        if meta.get(key) != want:
            raise InvalidPartial(f"has {key} {meta.get(key)!r}, expected {want!r}")
    if rows.column_names != ["pattern", "hits", "mass"] or rows.num_rows != meta.get("rows"):
        raise InvalidPartial(
            f"has {rows.num_rows} rows of {rows.column_names}, expected {meta.get('rows')} of pattern, hits, mass"
        )
    if row_checksum(rows["pattern"], rows["hits"]) != meta.get("checksum"):
        raise InvalidPartial("rows do not match their checksum")
    try:
        halting, limit, proven = (float(meta[k]) for k in ("halting", "limit", "proven"))
        times = math.fsum(float(v) for v in meta["halting_times"].values())
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InvalidPartial("metadata lacks the totals") from None
    listed = pc.sum(rows["mass"]).as_py() or 0.0
    complete = meta.get("max_length") is None  # else longer outputs are in the totals only
    if not (
        abs(halting + limit + proven - 1) < MASS_TOLERANCE
        and abs(times - halting) < MASS_TOLERANCE
        and (abs(listed - halting) < MASS_TOLERANCE if complete else listed <= halting + MASS_TOLERANCE)
    ):
        raise InvalidPartial("masses do not add up to the whole space")
    return Partial(meta, rows)


def open_batch(plan: BatchPlan, root: Path, batch: int) -> Partial:
    """The validated partial of ``batch`` of ``plan``'s job (FileNotFoundError if absent)."""
    path = partials_dir(root, plan.spec.job_id) / partial_name(batch)
    return read_batch(path, job_id=plan.spec.job_id, batch=batch, kernel=kernel_version(plan.space))


def batch_status(plan: BatchPlan, root: Path, batch: int) -> ShardStatus:
    """Whether ``batch`` has a valid partial under ``root`` (one part: the whole batch)."""
    status = ShardStatus([partial_name(batch)])
    try:
        open_batch(plan, root, batch)
    except FileNotFoundError:
        status.todo.append(0)
    except InvalidPartial as exc:
        status.invalid[status.names[0]] = str(exc)
        status.todo.append(0)
    return status


def batch_checker(plan: BatchPlan, batch: int, index: int = 0):
    """The driver's check of a batch's bundle before it is written (``payload.store``)."""
    kernel = kernel_version(plan.space)
    return lambda path, name, beside: read_batch(path, job_id=plan.spec.job_id, batch=batch, kernel=kernel)
