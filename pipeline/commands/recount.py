"""``ctm recount``: count stored parts again with this build and compare them (is a
kernel change count-neutral?)."""

from __future__ import annotations

import click

from pipeline.commands.jobs import DATA_DIR, JOB
from pipeline.errors import CTMError
from pipeline.spec import load_spec
from pipeline.tables import data_root


@click.command()
@JOB
@DATA_DIR
@click.option(
    "--sample", "size", type=click.IntRange(1), default=2, show_default=True, help="Stored parts to draw, e.g. 5."
)
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True, help="The draw's seed, e.g. 7.")
@click.option(
    "--part",
    "parts",
    metavar="SHARD:PART",
    multiple=True,
    help="Instead of a draw: part PART of the walk that counts SHARD, e.g. --part 7:192 (repeatable).",
)
def recount(job, data_dir, size, seed, parts):
    """Count stored parts of JOB again, in this process with this build, and compare
    each shard's new partial with the stored one: the rows' checksum and every total
    of its metadata (all but the worker and its seconds).

    Run it after upgrading or rebuilding the kernel in the middle of a long job: equal
    partials show the change is count-neutral and the run may go on with the same
    command; a difference names the shard and the fields, and the job must be counted
    again from the start (remove its partials). Exit status 1 on any difference.

    \b
    Examples:
      ctm recount jobs/d6x2.toml --data-dir ~/ctm-data --sample 3
      ctm recount jobs/d6x2.toml --data-dir ~/ctm-data --part 7:192 --part 6:45
    """
    from pipeline.flow import plan_of
    from pipeline.recount import pick, recount as again

    spec = load_spec(job)
    if spec.sampled:
        raise CTMError(f"{job} is a sampled job: its batches are drawn, not stored parts to count again")
    plan, root = plan_of(spec), data_root(data_dir)
    if parts:
        tasks = [_task(plan, text) for text in parts]
    else:
        tasks = pick(plan, root, size, seed)
    different = 0
    for group, part in tasks:
        got = again(plan, root, group, part)
        where = f"part {part} of the walk of shards {group[0]}.. ({len(group)})"
        if got.same:
            click.echo(f"{where}: the same partials ({got.seconds:.1f} kernel s)")
        else:
            different += 1
            shard, keys = next((s, k) for s, k in got.differ.items() if k)
            click.echo(f"{where}: DIFFERENT, e.g. shard {shard}: {', '.join(keys)}")
    click.echo(
        f"{len(tasks) - different} of {len(tasks)} parts counted again are the same"
        + ("" if not different else f"; {different} differ: this build does not count as the stored partials")
    )
    if different:
        raise SystemExit(1)


def _task(plan, text: str) -> tuple[list[int], int]:
    """The (group, part) of ``--part SHARD:PART`` (CTMError naming the rule)."""
    shard, _, part = text.partition(":")
    if not (shard.isdigit() and part.isdigit()):
        raise CTMError(f"--part {text!r} should be SHARD:PART, two numbers, e.g. 7:192")
    group = next((g for g in plan.groups(plan.computed()) if int(shard) in g), None)
    if group is None:
        raise CTMError(f"--part {text!r}: shard {shard} is not one the job counts")
    cut = len(plan.tasks(group))
    if int(part) >= cut:
        raise CTMError(f"--part {text!r}: the walk of shard {shard} is cut into {cut} parts (0 to {cut - 1})")
    return group, int(part)
