"""The ``ctm`` command: one entry point, one subcommand per task.

Each subcommand lives beside the stage it drives (``pipeline/commands/``); this module
only builds the group and turns user errors into one line and a non-zero exit.
"""

from __future__ import annotations

import sys

import click

from pipeline import __version__
from pipeline.errors import CTMError


class _Group(click.Group):
    """A group that prints a CTMError as one line and exits with its code (2; 1 when a
    batch command could not score its inputs)."""

    def invoke(self, ctx: click.Context):  # noqa: D102
        try:
            return super().invoke(ctx)
        except CTMError as exc:
            if ctx.params.get("debug"):
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.version_option(__version__, prog_name="ctm")
def main(debug: bool) -> None:
    """Exact Coding Theorem Method tables from every small Turing machine.

    \b
    Examples:
      ctm count --states 2 --symbols 2 --steps 6 --start 0 --stop 10000
      ctm run jobs/d4x2.toml
      ctm query 010110
      ctm bdm --file strings.txt
      ctm local --span 4 XXXXXXXOOOOXXXOOOOOOO

    \b
    Exit status: 0 on success; 1 when a batch command (query, bdm, local) could
    score none of its inputs, or any of them is NA under --strict; 2 for an error.
    """


def _register() -> None:
    from pipeline.commands import certs
    from pipeline.commands import count
    from pipeline.commands import jobs
    from pipeline.commands import query
    from pipeline.commands import score

    main.add_command(count.count)
    main.add_command(jobs.run_cmd)
    main.add_command(jobs.submit)
    main.add_command(jobs.status)
    main.add_command(jobs.reduce_cmd)
    main.add_command(jobs.tables)
    main.add_command(jobs.ship)
    main.add_command(query.query)
    main.add_command(score.bdm)
    main.add_command(score.local)
    main.add_command(query.plot)
    main.add_command(certs.certs)


_register()
