"""What a reduce gives back, exact (``pipeline.reduce``) or sampled (``pipeline.estimate``):
the table version and the partials it left out. Its own module, so that neither reducer
imports the other."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.tables import TableInfo


@dataclass(frozen=True)
class Reduced:
    """The table version of a job's partials and the partials left out as invalid (partial tables only)."""

    table: TableInfo
    invalid: dict[int, str]
    """Shard -> why its partial was not merged."""
    published: bool = True
    """False when ``table`` is the root's latest version, which already held the same table."""
    also: tuple[Reduced, ...] = ()
    """Further tables of the same run: an exact_upto job's plain counts at max_steps."""
