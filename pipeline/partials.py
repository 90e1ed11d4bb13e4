"""Partials: one Parquet file of blank-0 output counts per counted shard.

``<root>/partials/<job-id>/<shard:06d>.parquet`` holds rows (string, count) and, in the
file's metadata, the shard, its range, the job id, the kernel version, the totals and a
checksum of the rows. A worker writes it atomically (temporary name, fsync, rename), so
a file with the final name is complete or fails validation; it is never merged then.
One task may count several shards in one walk (shards that differ only in their top
digit), or one part of that walk; the walk's work statistics are then shared out over
the partials of its shards.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.kernel import SharedCounts, count_range, count_shared_top, kernel_version
from pipeline.plan import NodeParts, ShardPlan
from pipeline.settings import KernelSettings
from pipeline.space import Space
from pipeline.tables import count_type, row_checksum

META_KEY = b"ctm"


def partials_dir(root: Path, job_id: str) -> Path:
    """The folder of the partials of job ``job_id`` under the data root ``root``."""
    return Path(root) / "partials" / job_id


def partial_name(shard: int) -> str:
    """The file name of shard ``shard``'s partial: six digits, e.g. ``000042.parquet``."""
    return f"{shard:06d}.parquet"


def present_shards(root: Path, job_id: str) -> set[int]:
    """Shards that have a file with a partial's name (valid or not) under ``root``."""
    folder = partials_dir(root, job_id)
    if not folder.is_dir():
        return set()
    return {
        int(p.name[:6])
        for p in folder.iterdir()
        if len(p.name) == 14 and p.name[:6].isdigit() and p.name.endswith(".parquet")
    }


@dataclass(frozen=True)
class ShardTask:
    """Everything a worker needs to count some shards and write their partials.

    The shards differ only in their top digit (``ShardPlan.tasks`` groups them so), so
    one walk of their common tree counts them all.
    """

    states: int
    symbols: int
    max_steps: int
    dims: int
    job_id: str
    settings: KernelSettings
    """How the kernel counts them (``JobSpec.kernel_settings``)."""
    shards: tuple[int, ...]
    ranges: tuple[tuple[int, int], ...]
    paths: tuple[str, ...]
    """Where each shard's partial goes (paths every worker sees)."""


def shard_task(plan: ShardPlan, root: Path, shards: int | list[int]) -> ShardTask:
    """The task of one shard, or of shards differing only in their top digit, of ``plan``.

    Parameters
    ----------
    plan : ShardPlan
        The exact job's plan of shards.
    root : Path
        The data root; the partials go under ``root/partials/<job_id>/`` (made absolute,
        so that every worker sees the same paths).
    shards : int or list of int
        One shard number, or shards of one group (``ShardPlan.groups``).

    Returns
    -------
    ShardTask
        The space, settings, machine ranges and partial paths of the shards.

    Raises
    ------
    SpecError
        A shard outside the plan's 0 .. shards - 1.
    """
    spec, shards = plan.spec, [shards] if isinstance(shards, int) else list(shards)
    folder = partials_dir(root, spec.job_id)
    return ShardTask(
        spec.states,
        spec.symbols,
        spec.max_steps,
        spec.dims,
        spec.job_id,
        plan.settings,
        tuple(shards),
        tuple(plan.range(s) for s in shards),
        tuple(str((folder / partial_name(s)).resolve()) for s in shards),
    )


@dataclass(frozen=True)
class ShardDone:
    """What a worker reports back: the shards and the kernel's own time on them."""

    shards: tuple[int, ...]
    kernel_seconds: float

    @property
    def shard(self) -> int:
        """The first (for a one-shard task, the only) shard."""
        return self.shards[0]


def _shares(total: int | float, parts: int) -> list:
    """``total`` dealt over ``parts`` shards: work statistics of one walk, per partial.

    Integers stay exact (the remainder goes to the first), so sums over partials give
    the walk's own figures back.
    """
    if isinstance(total, float):
        return [total / parts] * parts
    share, rest = divmod(total, parts)
    return [share + rest] + [share] * (parts - 1)


def count_part(task: ShardTask, part: tuple[int, list[int]] | None = None) -> SharedCounts:
    """Count the task's shards, or only their machines whose ``part`` entry takes one of
    its digits (``ShardPlan.tasks``), in one walk; nothing is written.

    Parameters
    ----------
    task : ShardTask
        The shards to count.
    part : (entry, digits) or NodeParts, optional
        1-D: count only machines whose free ``entry`` takes one of ``digits`` (whole
        renaming orbits, ``count_shared_top``); 2-D: part p of each walk cut at the
        branch points of a depth (``plan.NodeParts``). None counts everything.

    Returns
    -------
    SharedCounts
        Exact counts of each shard (in the order of ``task.shards``) and the walk's work;
        parts of one task add up (``+``) to the whole.

    Raises
    ------
    SpaceError
        As ``count_range`` and ``count_shared_top``: ranges or settings the kernel refuses.
    """
    space = Space(task.states, task.symbols, task.max_steps, task.dims)
    if (len(task.shards) == 1 and task.ranges[0] == (0, space.size) and part is None) or space.dims == 2:
        # the whole space, or 2-D shards: the 2-D kernel counts each one in its own walk
        # (or in parts: NodeParts)
        began = time.perf_counter()
        cut = (part.depth, part.parts, part.part) if isinstance(part, NodeParts) else None
        counts = [count_range(space, start, stop, task.settings, part=cut) for start, stop in task.ranges]
        proven_by = {k: sum(c.proven_by.get(k, 0) for c in counts) for k in counts[0].proven_by}
        work = [sum(getattr(c, k) for c in counts) for k in ("classes", "nodes", "steps")]
        runs = {k: sum(c.long.get(k, 0) for c in counts) for k in counts[0].long if k != "from"}
        if counts[0].long:
            runs["from"] = counts[0].long["from"]
        undecided = [u for c in counts for u in c.undecided]
        late = [u for c in counts for u in c.late]
        upto_work: dict[str, int] = {}
        for c in counts:
            for name, value in c.upto.get("classes_by", {}).items():
                upto_work[name] = upto_work.get(name, 0) + value
        return SharedCounts(counts, *work, proven_by, time.perf_counter() - began, runs, undecided, late, upto_work)
    return count_shared_top(space, list(task.ranges), task.settings, part=part)


def write_counts(task: ShardTask, *parts: SharedCounts) -> ShardDone:
    """Add up the parts of the task's walk and write each shard's partial atomically.

    Each shard gets its own counts, and an even share of the walk's work (classes,
    nodes, steps, kernel seconds, proofs); the walk's undecided and late-halting classes
    go with the first shard only. The file is written last of all its work, so a partial
    present is a partial done (``write_atomically``).

    Parameters
    ----------
    task : ShardTask
        The shards counted; their partials go to ``task.paths``.
    *parts : SharedCounts
        At least one: the counts of the task's parts (``count_part``), or of the whole.

    Returns
    -------
    ShardDone
        The shards written and the kernel's seconds on them (all parts).

    Raises
    ------
    ValueError
        Parts of different blocks, or counts whose ranges are not the task's shards'.
    IndexError
        No part given.
    OSError
        A partial that cannot be written.
    """
    space = Space(task.states, task.symbols, task.max_steps, task.dims)
    shared = parts[0]
    for more in parts[1:]:
        shared = shared + more
    n = len(task.shards)
    work = {
        key: _shares(value, n)
        for key, value in (
            ("classes", shared.classes),
            ("nodes", shared.nodes),
            ("steps", shared.steps),
            ("kernel_seconds", shared.seconds),
        )
    }
    proven_by = {name: _shares(value, n) for name, value in shared.proven_by.items()}
    runs = {name: _shares(value, n) for name, value in shared.long.items() if name != "from"}
    upto_work = {name: _shares(value, n) for name, value in shared.upto_work.items()}
    undecided = [
        {"machine": space.text_of_digits([d if d >= 0 else None for d in digits]), "steps": steps, "machines": machines}
        for digits, steps, machines in shared.undecided
    ]
    for i, (shard, (start, stop), path) in enumerate(zip(task.shards, task.ranges, task.paths)):
        counts = shared.counts[i]
        if (counts.start, counts.stop) != (start, stop):
            raise ValueError(f"counts of [{counts.start}, {counts.stop}) given for shard {shard} [{start}, {stop})")
        meta = {
            "shard": shard,
            "start": start,
            "stop": stop,
            "job_id": task.job_id,
            "kernel": kernel_version(space),
            "halting": counts.halting,
            "limit": counts.limit,
            "proven": counts.proven,
            "halting_times": {str(k): v for k, v in sorted(counts.halting_times.items())},
            **{key: shares[i] for key, shares in work.items()},
            "task_shards": list(task.shards),
            "task_parts": len(parts),
            "max_length": task.settings.max_length,
            "proven_by": {name: shares[i] for name, shares in proven_by.items()},
        }
        if task.settings.exact_upto is not None:
            # the continuation after max_steps: this shard's machines, the walk's work shared out
            meta["upto"] = {
                "outputs": dict(sorted(counts.upto["outputs"].items())),
                "halting_times": {str(k): v for k, v in sorted(counts.upto["halting_times"].items())},
                **{key: counts.upto[key] for key in ("halting", "limit", "proven")},
                "classes_by": {name: shares[i] for name, shares in upto_work.items()},
            }
            meta["undecided"] = undecided if i == 0 else []
        if task.settings.witness_after is not None or task.settings.exact_upto is not None:
            # classes halting after witness_after steps, once per walk (first shard)
            meta["late"] = (
                [
                    [space.text_of_digits([d if d >= 0 else None for d in digits]), steps, output]
                    for digits, steps, output in shared.late
                ]
                if i == 0
                else []
            )
        if shared.long:
            # long runs: the work per shard, and the walk's undecided classes once (first shard)
            meta["long"] = dict(
                {name: shares[i] for name, shares in runs.items()},
                **{"from": shared.long.get("from")},
                cps_radius=task.settings.cps_radius,
                cps_history=task.settings.cps_history,
            )
            meta["undecided"] = undecided if i == 0 else []
        write_partial(Path(path), meta, counts.outputs, count_type(space.size))
    return ShardDone(task.shards, shared.seconds)


def compute_shard(task: ShardTask) -> ShardDone:
    """Count the task's shards in one walk and write each one's partial atomically."""
    return write_counts(task, count_part(task))


def write_partial(path: Path, meta: dict, outputs: dict[str, int], counts_as: pa.DataType) -> None:
    """Write rows and metadata (plus the rows' checksum) under ``path`` atomically.

    Parameters
    ----------
    path : Path
        The partial's file (``partials/<job_id>/<shard:06d>.parquet``).
    meta : dict
        The shard's metadata (range, totals, work), stored as JSON under META_KEY with
        ``rows`` and ``checksum`` (``tables.row_checksum``) added.
    outputs : dict of str to int
        Output string -> machines halting with it; written sorted by string.
    counts_as : pyarrow.DataType
        The count column's type: int64, or decimal128(38, 0) for spaces of 2**63 machines
        or more (``tables.count_type``).

    Raises
    ------
    OSError
        The file or its folder cannot be written.
    """
    strings = sorted(outputs)
    values = [outputs[s] for s in strings]
    if pa.types.is_decimal(counts_as):
        values = [Decimal(v) for v in values]
    rows = pa.table({"string": pa.array(strings, pa.string()), "count": pa.array(values, counts_as)})
    meta = dict(meta, rows=len(strings), checksum=row_checksum(rows["string"], rows["count"]))
    write_atomically(path, rows.replace_schema_metadata({META_KEY: json.dumps(meta)}))


def write_atomically(path: Path, rows: pa.Table) -> None:
    """Write a Parquet file under ``path`` atomically: a hidden temporary name, fsync,
    rename, fsync of the folder. By path, in this thread (see read_partial)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
    try:
        pq.write_table(rows, str(tmp), compression="zstd")  # by path: see read_partial
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Partial:
    """A partial that passed validation: its metadata and rows."""

    meta: dict
    rows: pa.Table


class InvalidPartial(Exception):
    """A partial that must not be merged; the message says why."""


def read_partial(path: Path, *, job_id: str, shard: int, start: int, stop: int, kernel: str) -> Partial:
    """Read and validate a partial: it must be for this job, shard, range and kernel, its
    rows must match their checksum, and its totals add up to the shard's machines.

    Arrow reads the file by path, in this thread: buffers of a Python file object would
    be released by Arrow's pool threads, and one released after the interpreter began
    to exit aborts it ("terminate called without an active exception").

    Parameters
    ----------
    path : Path
        The partial's file.
    job_id, shard, start, stop, kernel
        What its metadata must say: the job id, shard number, machine range [start, stop)
        and kernel version (``kernel.kernel_version``).

    Returns
    -------
    Partial
        The metadata (dict) and the rows (string, count).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    InvalidPartial
        A file that must not be merged; the message names the reason (unreadable,
        no metadata, another job, shard, range or kernel, rows that do not match their
        checksum, totals that do not add up).
    """
    try:
        with pq.ParquetFile(str(path)) as parquet:
            rows = parquet.read(use_threads=False)
    except FileNotFoundError:
        raise
    except (OSError, pa.ArrowException) as exc:
        raise InvalidPartial(f"cannot be read (truncated or corrupt): {exc}") from None
    raw = (rows.schema.metadata or {}).get(META_KEY)
    try:
        meta = json.loads(raw)
    except (TypeError, ValueError):
        raise InvalidPartial("has no readable ctm metadata") from None
    expected = {"job_id": job_id, "shard": shard, "start": start, "stop": stop}
    for key, want in expected.items():
        if meta.get(key) != want:
            raise InvalidPartial(f"has {key} {meta.get(key)!r}, expected {want!r}")
    if meta.get("kernel") != kernel:
        raise InvalidPartial(f"was written by kernel {meta.get('kernel')!r}, this is kernel {kernel!r}")
    if rows.column_names != ["string", "count"] or rows.num_rows != meta.get("rows"):
        raise InvalidPartial(
            f"has {rows.num_rows} rows of {rows.column_names}, expected {meta.get('rows')} of string, count"
        )
    if row_checksum(rows["string"], rows["count"]) != meta.get("checksum"):
        raise InvalidPartial("rows do not match their checksum")
    try:
        totals = [int(meta[k]) for k in ("halting", "limit", "proven")]
        times = sum(int(v) for v in meta["halting_times"].values())
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InvalidPartial("metadata lacks the totals") from None
    listed = pc.sum(rows["count"]).as_py() or 0
    complete = meta.get("max_length") is None  # else longer outputs are in the totals only
    if sum(totals) != stop - start or times != totals[0] or (listed != totals[0] if complete else listed > totals[0]):
        raise InvalidPartial("totals do not add up to the shard's machines")
    if "upto" in meta:
        try:
            up = meta["upto"]
            late = [int(up[k]) for k in ("halting", "limit", "proven")]
            late_times = sum(int(v) for v in up["halting_times"].values())
            late_listed = sum(int(v) for v in up["outputs"].values())
        except (KeyError, TypeError, ValueError, AttributeError):
            raise InvalidPartial("metadata lacks the continuation's totals (upto)") from None
        if sum(late) != totals[1] or late_times != late[0] or late_listed != late[0]:
            raise InvalidPartial("the continuation's totals (upto) do not add up to the machines at the limit")
    return Partial(meta, rows)


def open_partial(plan: ShardPlan, root: Path, shard: int) -> Partial:
    """The validated partial of ``shard`` of ``plan``'s job under the data root ``root``.

    Raises FileNotFoundError if it is absent, InvalidPartial (naming why) if it must not
    be merged, SpecError for a shard outside the plan (``read_partial``).
    """
    start, stop = plan.range(shard)
    path = partials_dir(root, plan.spec.job_id) / partial_name(shard)
    return read_partial(
        path, job_id=plan.spec.job_id, shard=shard, start=start, stop=stop, kernel=kernel_version(plan.space)
    )


def open_shard(plan: ShardPlan, root: Path, shard: int) -> list[Partial]:
    """The validated partials of ``shard`` of ``plan``'s job under ``root``, whose rows and
    totals add up to the shard's: today one file per shard (``open_partial``).

    Raises FileNotFoundError if one is absent, InvalidPartial (naming why) if one must not
    be merged, SpecError for a shard outside the plan.
    """
    return [open_partial(plan, root, shard)]
