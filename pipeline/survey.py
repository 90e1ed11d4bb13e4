"""Where a job's shards stand, part by part: resume is a set difference.

Each counted shard has one file per part of the plan's cut (one for a walk counted
whole, or a batch); a part is done when its file is valid. A run counts the parts left
(missing or invalid), so a job stopped at any point loses at most the parts in flight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.batches import BatchPlan
from pipeline.flow import flow_of
from pipeline.plan import ShardPlan


@dataclass
class Survey:
    """Where each shard of a range stands, and its parts left to count."""

    done: list[int] = field(default_factory=list)
    """Every part valid."""
    derived: list[int] = field(default_factory=list)
    """Derived by symmetry (or closed): never counted."""
    missing: list[int] = field(default_factory=list)
    """No file of any part."""
    partly: list[int] = field(default_factory=list)
    """Some parts valid, the others missing."""
    invalid: dict[str, str] = field(default_factory=dict)
    """File name -> why it fails validation (its shard is counted again from that part)."""
    todo: dict[int, list[int]] = field(default_factory=dict)
    """Shard -> its parts left to count (missing or invalid), for every shard not done."""
    parts: int = 0
    """Files of the plan's cut over the counted shards: the parts of the whole range."""

    @property
    def parts_left(self) -> int:
        """Files still to count."""
        return sum(map(len, self.todo.values()))


def survey(plan: ShardPlan | BatchPlan, root: Path, shards: range | None = None) -> Survey:
    """Sort the shards (default all) into done, derived, missing, partly counted and
    invalid, with each one's parts left.

    Parameters
    ----------
    plan : ShardPlan or BatchPlan
        The job's plan (which says how each shard is cut into parts).
    root : Path
        The data root holding ``partials/<job_id>/``.
    shards : range, optional
        The shards to sort; None for all of the plan's.

    Returns
    -------
    Survey
        Each shard in one list (a shard with an invalid file is in none of done,
        missing and partly), the invalid files with why, and the parts left per shard.

    Raises
    ------
    SpecError
        A shard outside the plan.
    """
    out, status_of = Survey(), flow_of(plan.spec).status
    for shard in range(plan.shards) if shards is None else shards:
        if plan.is_derived(shard):
            out.derived.append(shard)
            continue
        status = status_of(plan, root, shard)
        out.parts += len(status.names)
        out.invalid.update(status.invalid)
        if not status.todo:
            out.done.append(shard)
            continue
        out.todo[shard] = status.todo
        if not status.invalid:
            (out.missing if len(status.todo) == len(status.names) else out.partly).append(shard)
    return out
