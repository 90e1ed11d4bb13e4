"""``ctm query`` and ``ctm plot``: answers and figures from a table version.

The query and plotting modules (pandas, pyarrow, matplotlib) are imported when a
command runs, so other ``ctm`` commands start without them.
"""

from __future__ import annotations

import itertools
import json
import textwrap
from typing import TYPE_CHECKING

import click

from pipeline.commands.batch import (
    ALPHABET,
    DATA_DIR,
    FILE,
    GRID,
    JSON,
    STRICT,
    STRINGS,
    TABLE,
    VERSION,
    finish_counts,
    line,
    looks_2d,
    na,
    stream,
)

if TYPE_CHECKING:
    from pipeline.query import Answer


def _text(a: Answer) -> str:
    """K, D, count, rank (and any further columns of the table), table, version and where
    the version comes from (``shipped`` or its data root)."""
    if not a.produced:
        return na(a.note)
    se = a.values.get("K_se")
    shown = [f"K={a.K:.6f}" + (f" (se {se:.6f})" if se is not None else ""), f"D={a.D:.6e}"]
    shown += [f"{k}={a.values[k]}" for k in ("count", "rank") if a.values.get(k) is not None]
    shown += [
        f"{k}={v:.6f}" if k in ("K_low", "K_high") else f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}"
        for k, v in a.values.items()
        if k not in ("K", "D", "count", "rank", "K_se")
    ]
    return "  ".join(shown) + f"  ({a.table} v{a.version}, {a.source})"


@click.command()
@STRINGS
@TABLE
@VERSION
@ALPHABET
@GRID
@JSON
@FILE
@STRICT
@DATA_DIR
def query(strings, table, version, alphabet, grid, as_json, source, strict, data_dir):
    """K, D, count and rank of each STRING (or, with --2d, matrix) in a CTM table.

    Any symbols work: strings are renamed in order of first appearance, so OXXO and
    0110 are the same query. Rank 1 is the most frequent output; ties share a rank.
    An input the table cannot answer (more symbols than the table, longer than any
    output, never produced) gets a line saying why, and the others are still answered.
    A string starting with '-' goes after --, as in the last example. A sampled table
    (alphabets 4, 5, 6, 9) also gives K_se, D_se, hits and the pattern's size, and
    answers NA where K_se is above 0.5 bits (docs/sampled-tables.md). --file is read and
    answered 10,000 lines at a time, so answers start at once; columns line up to the
    longest input of the first 10,000, and --2d/--1d is guessed from them. An exact_upto
    table (d3x2-s10-upto6: outputs of at most 6 symbols, counts exact with no cutoff)
    also gives K_low and K_high, and answers NA for strings longer than 6.

    \b
    Examples:
      ctm query 010110 OXXOXO
      ctm query --alphabet 6 1266116453 6154256554
      ctm query 010-101-010 000-010-000      (matrices: rows joined by '-')
      ctm query --table d4x2-s107 --json 0000
      ctm query --table d3x2-s10-upto6 --data-dir /tmp/ctm 0110
      ctm query --alphabet 2 --file strings.txt
      tail -n +2 ratings.csv | cut -d, -f1 | ctm query --file -
      ctm query -- -++-+
    """
    from pipeline.inputs import item
    from pipeline.query import Answer, answers, look, open_or_na

    chunks = stream(strings, source)
    first = next(chunks)
    if grid is None:
        grid = looks_2d(first)
    ndim = 2 if grid else 1
    tab, no_table = open_or_na(table, version, alphabet, data_dir, ndim)
    width = max(map(len, first))
    shown: dict[str, str] = {}  # normalised input -> its text, worked out once per row
    missing = total = 0
    if as_json:
        click.echo("[")
    for chunk in itertools.chain([first], chunks):
        out = []
        entries = [item(text, ndim) for text in chunk]
        # one lookup per chunk: a table with a lookup index reads only the rows it needs
        if as_json:
            for a in answers(tab, entries, no_table, ndim):
                missing += a.reason is not None
                out.append(textwrap.indent(json.dumps(a.record(), indent=1), " "))
        else:
            looked = look(tab, entries, no_table, ndim)
            for entry, normalized, j, reason in zip(entries, looked.normalized, looked.at, looked.reasons):
                missing += reason is not None
                if reason is not None:
                    out.append(line(entry.label, width, na(reason.detail)))
                    continue
                if normalized not in shown:
                    values = looked.rows.values(int(j))
                    shown[normalized] = _text(
                        Answer(entry.label, normalized, values, tab.name, tab.version, None, tab.source)
                    )
                out.append(line(entry.label, width, shown[normalized]))
        # JSON: records joined by ",\n" across chunks, as one json.dumps(list, indent=1) prints them
        click.echo((",\n" if as_json and total else "") + (",\n" if as_json else "\n").join(out), nl=not as_json)
        total += len(chunk)
    if as_json:
        click.echo("\n]")
    finish_counts(missing, total, strict)


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
