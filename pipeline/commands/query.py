"""``ctm query`` and ``ctm plot``: answers and figures from a table version.

The query and plotting modules (pandas, pyarrow, matplotlib) are imported when a
command runs, so other ``ctm`` commands start without them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from pipeline.errors import CTMError

if TYPE_CHECKING:
    from pipeline.query import Answer

TABLE = click.option("--table", "-t", default=None, help="Table name, e.g. d4x2-s107 [default: d5x2-s500].")
VERSION = click.option("--version", "version", type=click.IntRange(1), default=None, help="Table version, e.g. 1 [default: latest].")
DATA_DIR = click.option(
    "--data-dir",
    envvar="CTM_DATA_DIR",
    show_envvar=True,
    default=None,
    help="Data root searched before the shipped tables, e.g. /scratch/ctm [default: ./data].",
)


def _line(a: Answer, width: int, source: str) -> str:
    """One line per string, strings padded to ``width``: K, D, count, rank, table, version and
    where the version comes from (``shipped`` or its data root)."""
    if not a.produced:
        return f"{a.string:<{width}}  {a.note}"
    return (
        f"{a.string:<{width}}  K={a.K:.6f}  D={a.D:.6e}  count={a.count}  rank={a.rank}  "
        f"({a.table} v{a.version}, {source})"
    )


def _record(a: Answer, source: str) -> dict:
    record = {
        "string": a.string,
        "normalized": a.normalized,
        "produced": a.produced,
        "K": a.K,
        "D": a.D,
        "count": a.count,
        "rank": a.rank,
        "table": a.table,
        "version": a.version,
        "source": source,
    }
    if not a.produced:
        record["note"] = a.note
    return record


@click.command()
@click.argument("strings", nargs=-1)
@TABLE
@VERSION
@click.option("--json", "as_json", is_flag=True, help="One JSON list of answers instead of lines.")
@click.option(
    "--file", "-f", "source", type=click.File("r"), default=None, help="Also read strings from F, one a line ('-' for stdin)."
)
@DATA_DIR
def query(strings, table, version, as_json, source, data_dir):
    """K, D, count and rank of each STRING in a CTM table.

    Any symbols work: strings are renamed in order of first appearance, so OXXO and
    0110 are the same query. Rank 1 is the most frequent output; ties share a rank.

    \b
    Examples:
      ctm query 010110 OXXOXO
      ctm query --table d4x2-s107 --json 0000
      ctm query --file strings.txt
      tail -n +2 ratings.csv | cut -d, -f1 | ctm query --file -
    """
    from pipeline.query import lookup, open_table

    items = list(strings)
    if source is not None:
        items += [line.strip() for line in source if line.strip()]
    if not items:
        raise CTMError("no strings to query: give them as arguments or with --file F (or - for stdin)")
    answers = lookup(items, table, version, alphabet=None, data_dir=data_dir)
    origin = open_table(table, version, data_dir=data_dir).source
    if as_json:
        click.echo(json.dumps([_record(a, origin) for a in answers], indent=1))
    else:
        width = max(len(a.string) for a in answers)
        click.echo("\n".join(_line(a, width, origin) for a in answers))


@click.command()
@TABLE
@VERSION
@click.option("--out", "-o", default=".", show_default=True, help="Folder the PNG files go to, e.g. plots/.")
@DATA_DIR
def plot(table, version, out, data_dir):
    """Draw a table version: frequency by rank, K by length, halting times (800x500 PNG).

    \b
    Example:
      ctm plot --table d4x2-s107 --out plots/
    """
    from pipeline.plot import plot_table

    for path in plot_table(table, version, out, data_dir=data_dir):
        click.echo(str(path))
