"""What a worker runs for an exact job: count one part of a group's walk, pack each
shard's partial as bytes (``pipeline.payload``) and hand them back; it writes nothing.

One task counts several shards in one walk (shards that differ only in their top
digit: ``ShardPlan.groups``), whole or one part of the walk's cut (``ShardPlan.tasks``).
The walk's work statistics are shared out over the partials of its shards; its
undecided and late-halting classes go with the first shard's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.kernel import SharedCounts, count_range, count_shared_top, kernel_version
from pipeline.partials import (
    check_part,
    cut_of,
    late_rows,
    output_rows,
    part_name,
    partial_name,
    partial_tables,
    partials_dir,
    shard_cut,
)
from pipeline.payload import Bundle, Counted, pack, store, worker_address
from pipeline.plan import NodeParts, ShardPlan
from pipeline.settings import KernelSettings
from pipeline.space import Space
from pipeline.tables import count_type


@dataclass(frozen=True)
class ShardTask:
    """Everything a worker needs to count one part of some shards' walk.

    The shards differ only in their top digit (``ShardPlan.groups`` groups them so), so
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
    part: tuple[int, list[int]] | NodeParts | None = None
    """The part of the walk (``ShardPlan.tasks``); None: the whole walk."""
    index: int = 0
    """The part's number in its cut."""
    parts: int = 1
    """Parts in the cut (1: the whole walk)."""

    @property
    def names(self) -> tuple[str, ...]:
        """Each shard's file of this part (``partial_name`` or ``part_name``)."""
        if self.part is None:
            return tuple(partial_name(s) for s in self.shards)
        return tuple(part_name(s, self.index, self.parts) for s in self.shards)


def shard_task(plan: ShardPlan, shards: int | list[int], index: int = 0) -> ShardTask:
    """The task of part ``index`` (of the plan's cut) of one shard, or of shards differing
    only in their top digit, of ``plan``.

    Parameters
    ----------
    plan : ShardPlan
        The exact job's plan of shards.
    shards : int or list of int
        One shard number, or shards of one group (``ShardPlan.groups``).
    index : int
        The part (``ShardPlan.tasks``); 0 for a walk counted whole.

    Returns
    -------
    ShardTask
        The space, settings, machine ranges and part of the shards.

    Raises
    ------
    SpecError
        A shard outside the plan's 0 .. shards - 1.
    IndexError
        A part the plan's cut does not have.
    """
    spec, shards = plan.spec, [shards] if isinstance(shards, int) else list(shards)
    cut = plan.tasks(shards)
    return ShardTask(
        spec.states,
        spec.symbols,
        spec.max_steps,
        spec.dims,
        spec.job_id,
        plan.settings,
        tuple(shards),
        tuple(plan.range(s) for s in shards),
        cut[index],
        index,
        len(cut),
    )


def _shares(total: int | float, parts: int) -> list:
    """``total`` dealt over ``parts`` shards: work statistics of one walk, per partial.

    Integers stay exact (the remainder goes to the first), so sums over partials give
    the walk's own figures back.
    """
    if isinstance(total, float):
        return [total / parts] * parts
    share, rest = divmod(total, parts)
    return [share + rest] + [share] * (parts - 1)


def count_part(task: ShardTask) -> SharedCounts:
    """Count the task's shards, or only their machines in the task's part, in one walk.

    Parameters
    ----------
    task : ShardTask
        The shards to count and the part: ``NodeParts`` count part p of each walk cut at
        the branch points of a depth (``ShardPlan.tasks``); 1-D (entry, digits) counts
        only machines whose free ``entry`` takes one of ``digits`` (whole renaming orbits,
        ``count_shared_top``); None counts everything.

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
    space, part = Space(task.states, task.symbols, task.max_steps, task.dims), task.part
    cut = (part.depth, part.parts, part.part) if isinstance(part, NodeParts) else None
    whole = len(task.shards) == 1 and task.ranges[0] == (0, space.size)
    if (whole and not isinstance(part, tuple)) or space.dims == 2:
        # the whole space, or 2-D shards: each counted in its own walk (or in parts: NodeParts)
        began = time.perf_counter()
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
    if cut is not None:
        return count_shared_top(space, list(task.ranges), task.settings, cut=cut)
    return count_shared_top(space, list(task.ranges), task.settings, part=part)


def partial_files(task: ShardTask, shared: SharedCounts, worker: str) -> list[tuple[int, dict]]:
    """Each shard's partial of the task's part: its counts, an even share of the walk's
    work (classes, nodes, steps, kernel seconds, proofs), and for the first shard the
    walk's undecided and late-halting classes.

    Parameters
    ----------
    task : ShardTask
        The shards counted and the part.
    shared : SharedCounts
        The walk's counts (``count_part``).
    worker : str
        Who counted them (``payload.worker_address``), recorded in each partial.

    Returns
    -------
    list of (int, dict)
        Per shard, in the order of ``task.shards``: the shard and its files (name ->
        table, the main file last: ``partials.partial_tables``).

    Raises
    ------
    ValueError
        Counts whose ranges are not the task's shards', or a task with a target (its
        ``late`` lists producing classes, not late halts: ``pipeline.producer``).
    """
    space, settings, n = Space(task.states, task.symbols, task.max_steps, task.dims), task.settings, len(task.shards)
    if settings.target is not None:
        raise ValueError(f"a count with target {settings.target!r} lists producing classes: it makes no partials")
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
    late = [(space.text_of_digits([d if d >= 0 else None for d in digits]), s, out) for digits, s, out in shared.late]
    counts_as, cut = count_type(space.size), cut_of(task.part, task.index, task.parts)
    out = []
    for i, (shard, (start, stop), name) in enumerate(zip(task.shards, task.ranges, task.names)):
        counts = shared.counts[i]
        if (counts.start, counts.stop) != (start, stop):
            raise ValueError(f"counts of [{counts.start}, {counts.stop}) given for shard {shard} [{start}, {stop})")
        meta = {
            "shard": shard,
            "start": start,
            "stop": stop,
            "job_id": task.job_id,
            "kernel": kernel_version(space),
            "worker": worker,
            "cut": cut,
            "halting": counts.halting,
            "limit": counts.limit,
            "proven": counts.proven,
            "halting_times": {str(k): v for k, v in sorted(counts.halting_times.items())},
            **{key: shares[i] for key, shares in work.items()},
            "task_shards": list(task.shards),
            "max_length": settings.max_length,
            "proven_by": {name: shares[i] for name, shares in proven_by.items()},
        }
        upto = None
        if settings.exact_upto is not None:
            # the continuation after max_steps: this shard's machines, the walk's work shared out
            meta["upto"] = {
                "halting_times": {str(k): v for k, v in sorted(counts.upto["halting_times"].items())},
                **{key: counts.upto[key] for key in ("halting", "limit", "proven")},
                "classes_by": {name: shares[i] for name, shares in upto_work.items()},
            }
            meta["undecided"] = undecided if i == 0 else []
            upto = output_rows(counts.upto["outputs"], counts_as)
        if shared.long:
            # long runs: the work per shard, and the walk's undecided classes once (first shard)
            meta["long"] = dict(
                {name: shares[i] for name, shares in runs.items()},
                **{"from": shared.long.get("from")},
                cps_radius=settings.cps_radius,
                cps_history=settings.cps_history,
            )
            meta["undecided"] = undecided if i == 0 else []
        # classes halting after witness_after steps, once per walk (first shard)
        collects = settings.witness_after is not None or settings.exact_upto is not None
        rows, late_set = output_rows(counts.rows, counts_as), late_rows(late if i == 0 else [])
        out.append((shard, partial_tables(name, meta, rows, upto, late_set if collects else None)))
    return out


def bundles(task: ShardTask, shared: SharedCounts, worker: str) -> tuple[Bundle, ...]:
    """Each shard's partial of the task's part (``partial_files``) packed as bytes, one
    Bundle per shard in the order of ``task.shards``."""
    out = []
    for shard, files in partial_files(task, shared, worker):
        packed = [pack(name, table) for name, table in files.items()]
        out.append(Bundle(shard, packed[-1], tuple(packed[:-1])))
    return tuple(out)


def count_task(task: ShardTask) -> Counted:
    """Count the task's part of its shards' walk and hand back each shard's partial as bytes."""
    shared, worker = count_part(task), worker_address()
    space = Space(task.states, task.symbols, task.max_steps, task.dims)
    return Counted(
        task.shards, task.index, bundles(task, shared, worker), kernel_version(space), worker, shared.seconds
    )


def checker(plan: ShardPlan, shard: int, index: int):
    """The driver's check of a bundle of ``shard``'s part ``index`` (``payload.store``)."""
    return lambda path, name, beside: check_part(plan, shard, index, path, beside, name)


def count_here(plan: ShardPlan, root: Path, shards: list[int]) -> list[Counted]:
    """Count every part of ``shards`` in this process and store their partials under
    ``root`` (what a run does on a cluster, for tests and small jobs); the results.

    Raises
    ------
    payload.Rejected
        A partial that fails validation.
    """
    out = []
    for group in plan.groups(list(shards)):
        for index in range(len(shard_cut(plan, group[0]))):
            counted = count_task(shard_task(plan, group, index))
            for bundle in counted.bundles:
                store(partials_dir(root, plan.spec.job_id), bundle, checker(plan, bundle.shard, index))
            out.append(counted)
    return out
