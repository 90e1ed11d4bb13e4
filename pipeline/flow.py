"""Exact or sampled: the one place where a job's mode picks its steps.

An exact job's shards are machine ranges (``pipeline.plan``), counted into partials of
output counts (``pipeline.partials``) and merged by ``pipeline.reduce``; a sampled job's
shards are replicate batches (``pipeline.batches``) of pattern masses, turned into
estimates by ``pipeline.estimate``. The driver (``pipeline.run``) and ``reduce_job`` ask
``flow_of(spec)`` for the steps and never test the mode themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.batches import BatchPlan, batch_checker, batch_status, batch_task, sample_batch
from pipeline.estimate import reduce_sampled
from pipeline.partials import partials_dir, shard_status
from pipeline.plan import ShardPlan
from pipeline.reduce import reduce_exact
from pipeline.reduced import Reduced
from pipeline.rootcheck import reduce_lock
from pipeline.spec import JobSpec
from pipeline.tasks import checker, count_task, shard_task


@dataclass(frozen=True)
class Flow:
    """The steps of one mode of job, from its plan to its table."""

    mode: str
    """``JobSpec.mode``: exact or sample."""
    plan: Callable[[JobSpec], ShardPlan | BatchPlan]
    """The job's shards: machine ranges (ShardPlan) or replicate batches (BatchPlan)."""
    task: Callable
    """(plan, shards, part) -> what a worker needs to count part ``part`` of the shards'
    cut (``plan.tasks``: one walk or batch is part 0 of 1)."""
    count: Callable
    """task -> ``payload.Counted``: count it on a worker and hand back its partials as bytes."""
    status: Callable
    """(plan, root, shard) -> ``partials.ShardStatus``: which of its parts have a valid file."""
    checker: Callable
    """(plan, shard, part) -> the check ``payload.store`` makes of that part's file before writing it."""
    reduce: Callable[..., Reduced]
    """(spec, root, allow_partial, progress, force, memory, threads) -> the new (or same) table version."""


FLOWS = {
    "exact": Flow("exact", ShardPlan, shard_task, count_task, shard_status, checker, reduce_exact),
    "sample": Flow("sample", BatchPlan, batch_task, sample_batch, batch_status, batch_checker, reduce_sampled),
}
"""Mode -> its steps."""


def flow_of(spec: JobSpec) -> Flow:
    """The steps of ``spec``'s mode."""
    return FLOWS[spec.mode]


def plan_of(spec: JobSpec) -> ShardPlan | BatchPlan:
    """The shards of a job: machine ranges (exact) or batches (sampled)."""
    return flow_of(spec).plan(spec)


def reduce_job(
    spec: JobSpec,
    root: Path,
    allow_partial: bool = False,
    progress: bool = True,
    force: bool = False,
    memory: int | None = None,
    threads: int | None = None,
) -> Reduced:
    """Merge the partials of ``spec`` under ``root`` into the next version of its table.

    Exact jobs (``reduce.reduce_exact``): a gap (missing or invalid partial) is an error
    unless ``allow_partial``. Sampled jobs (``estimate.reduce_sampled``): the batches are
    added to the job's latest version. When the root's latest version already holds the
    same table, nothing is published (unless ``force``) and that version is returned with
    ``published`` False. Reduces of the same job take turns (``rootcheck.reduce_lock``),
    so reduces running at once publish at most one new version of the same table.

    Parameters
    ----------
    spec : JobSpec
        The job whose partials to merge.
    root : Path
        The data root holding ``partials/<job_id>/``; the table goes to ``root/tables/``.
    allow_partial : bool
        Exact jobs: publish a table of the shards present (coverage ``partial``) instead
        of refusing a gap; sampled jobs ignore it (any set of batches is an estimate).
    progress : bool
        Show a progress bar.
    force : bool
        Publish a new version even when the latest one holds the same table.
    memory : int, optional
        Exact jobs: the reduce's memory budget in bytes (``bounded.DEFAULT_MEMORY`` when
        None); its sums and sorts spill to ``root/.tmp/`` beyond it.
    threads : int, optional
        Exact jobs: threads of the sums and sorts (``bounded.default_threads()`` when None).

    Returns
    -------
    Reduced
        The table version (new, or the latest with ``published`` False) and the
        partials left out as invalid (partial tables only); an exact_upto job's plain
        table in ``also``.

    Raises
    ------
    CTMError
        A gap without ``allow_partial`` (how many shards, the first, what to run),
        invalid partials (how many, one of them and why), no valid partial at all, or a
        lock file that cannot be created.
    """
    reduce = flow_of(spec).reduce
    folder = partials_dir(root, spec.job_id)
    if not folder.is_dir():  # no partial: an error, or a table of closed units only
        return reduce(spec, root, allow_partial, progress, force, memory, threads)
    with reduce_lock(folder):
        return reduce(spec, root, allow_partial, progress, force, memory, threads)
