"""The ``ctm`` command: one entry point, one subcommand per task.

Each subcommand lives beside the stage it drives (``pipeline/commands/``); this module
only builds the group and turns user errors into one line and a non-zero exit. A
subcommand's module is imported only when that subcommand runs (or ``--help`` lists
them), so ``ctm query`` starts without dask, and pandas and matplotlib come only with
the commands that need them.
"""

from __future__ import annotations

import importlib
import sys

import click

from pipeline import __version__
from pipeline.errors import CTMError


class _Group(click.Group):
    """A group that loads its commands when they are used, prints a CTMError or a usage
    error as one line and exits with its code (2; 1 when a batch command could not score
    its inputs)."""

    lazy: dict[str, str] = {}
    """Command name -> "module:attribute" of a command loaded on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:  # noqa: D102
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, name: str):  # noqa: D102
        if name not in self.commands and name in self.lazy:
            module, attribute = self.lazy[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)

    def main(self, *args, standalone_mode: bool = True, **kwargs):  # noqa: D102
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "ctm"
            click.echo(f"error: {exc.format_message().rstrip('.')} (see {where} --help)", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

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
    """Name each command and where it lives; its module loads when it is used."""
    _Group.lazy.update(
        {
            "count": "pipeline.commands.count:count",
            "run": "pipeline.commands.jobs:run_cmd",
            "forecast": "pipeline.commands.forecast:forecast",
            "submit": "pipeline.commands.jobs:submit",
            "status": "pipeline.commands.jobs:status",
            "reduce": "pipeline.commands.jobs:reduce_cmd",
            "tables": "pipeline.commands.jobs:tables",
            "ship": "pipeline.commands.jobs:ship",
            "index": "pipeline.commands.index:index",
            "query": "pipeline.commands.query:query",
            "bdm": "pipeline.commands.score:bdm",
            "local": "pipeline.commands.score:local",
            "plot": "pipeline.commands.query:plot",
            "serve": "pipeline.commands.serve:serve",
            "perturb": "pipeline.commands.perturb:perturb",
            "certs": "pipeline.commands.certs:certs",
            "producer": "pipeline.commands.producer:producer",
            "recount": "pipeline.commands.recount:recount",
        }
    )


_register()

if __name__ == "__main__":
    main(prog_name="ctm")
