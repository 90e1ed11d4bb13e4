"""``ctm producer``: which machine of a job writes a string (a targeted re-walk of one part)."""

from __future__ import annotations

import click

from pipeline.commands.jobs import DATA_DIR, JOB
from pipeline.spec import load_spec
from pipeline.tables import data_root


@click.command()
@JOB
@click.argument("string")
@DATA_DIR
def producer(job, string, data_dir):
    """A machine of JOB's exact 1-D space that halts with STRING: the part whose partial
    holds it is walked again (as long as counting it took: minutes for (6,2)).

    STRING is digits 0..m-1, as a table row shows it: a row adds every blank symbol and
    the mirror images, so the machine may start on another blank (from blank 0 it
    writes STRING with 0 and that blank swapped: for m = 2 the complement) or be the
    mirror image of the class the walk listed. The answer is the
    class as machine text (--- for an entry it never reads; any choice there does the
    same), the blank it starts from, its halting step and its machines; "not produced"
    (count 0) when no partial holds STRING in any form. The job's partials must be in
    the data root (ctm run JOB.toml --data-dir DIR).

    \b
    Examples:
      ctm producer jobs/d6x2.toml 000110100111 --data-dir ~/ctm-data
      ctm producer jobs/d3x2.toml 011101 --data-dir /tmp/ctm
    """
    from pipeline.producer import producer as find

    spec = load_spec(job)
    found = find(spec, data_root(data_dir), string)
    if found is None:
        click.echo(
            f"{string}  count=0: not produced by {spec.table} (job {spec.job_id}): no partial holds it in any form"
        )
        return
    part = "the walk" if found.parts == 1 else f"part {found.part} of {found.parts} of the walk"
    where = (
        "a closed unit: entry (0, 0) halts at once"
        if found.partial is None
        else f"walked again: {part} of shards {_ids(found.shards)}, {found.partial}"
    )
    click.echo(
        f"{string}  machine={found.machine}  blank={found.blank}  steps={found.steps}  machines={found.machines}"
        f"  mirrored={'yes' if found.mirrored else 'no'}  walked={found.walked}  output={found.output}"
        f"  ({spec.table}, {where})"
    )


def _ids(shards: tuple[int, ...]) -> str:
    """``6, 20, 34, ...`` for the answer's line; long lists are cut."""
    return ", ".join(map(str, shards[:3])) + (f", ... ({len(shards)} in all)" if len(shards) > 3 else "")
