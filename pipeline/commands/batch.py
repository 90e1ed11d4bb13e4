"""What ``ctm query``, ``ctm bdm`` and ``ctm local`` share: where inputs come from, the
table options, and how a batch ends (a line per input, NA and its reason in place of a
value; exit 1 only when nothing could be scored, or anything under --strict)."""

from __future__ import annotations

import itertools

import click

from pipeline.errors import CTMError, NotScored

STRINGS = click.argument("strings", nargs=-1)
FILE = click.option(
    "--file",
    "-f",
    "source",
    type=click.File("rb"),
    default=None,
    help="Also read inputs from F, one a line ('-' for stdin); UTF-8 with or without BOM, LF or CRLF.",
)
TABLE = click.option(
    "--table", "-t", default=None, help="Table name, e.g. d4x2-s107 [default: d5x2-s500 for --alphabet 2]."
)
VERSION = click.option(
    "--version", "version", type=click.IntRange(1), default=None, help="Table version, e.g. 1 [default: latest]."
)
ALPHABET = click.option(
    "--alphabet",
    "-a",
    type=click.IntRange(2, 10),
    default=None,
    help="Symbols of the table to use, e.g. 2 [default: the --table's own, else 2].",
)
DATA_DIR = click.option(
    "--data-dir",
    envvar="CTM_DATA_DIR",
    show_envvar=True,
    default=None,
    help="Data root searched before the shipped tables, e.g. /scratch/ctm [default: ./data].",
)
JSON = click.option(
    "--json", "as_json", is_flag=True, help="One JSON list, a record per input (null and a reason for NA)."
)
GRID = click.option(
    "--2d/--1d",
    "grid",
    default=None,
    help="Inputs are matrices, rows joined by '-' (010-111-000), scored with a 2-D table; or strings "
    "[default: matrices when every input is digit rows of one length joined by '-'].",
)


def looks_2d(inputs: list[str]) -> bool:
    """Every input is digit rows of one length joined by '-' (010-111-000): matrices."""
    import re

    for text in inputs:
        if not re.fullmatch(r"[0-9]+(-[0-9]+)+", text) or len({len(r) for r in text.split("-")}) != 1:
            return False
    return True


STRICT = click.option("--strict", is_flag=True, help="Exit 1 when any input is NA [default: only when every input is].")


def gather(strings: tuple[str, ...], source) -> list[str]:
    """The command-line strings, then the file's non-blank lines."""
    from pipeline.inputs import read_lines

    found = list(strings) + (read_lines(source) if source is not None else [])
    if not found:
        raise CTMError(
            "no inputs: give them as arguments or with --file F (or - for stdin); a string starting with '-' goes after --"
        )
    return found


CHUNK = 10_000
"""Lines of --file read and answered at a time (``stream``)."""


def stream(strings: tuple[str, ...], source):
    """The command-line strings and the file's non-blank lines, in lists of up to CHUNK
    (the first list holds the command-line strings and at least one line), read as they
    are needed: a file of millions of lines is answered as it is read."""
    from pipeline.inputs import iter_lines

    lines = iter_lines(source) if source is not None else iter(())
    first = list(strings) + list(itertools.islice(lines, CHUNK))
    if not first:
        raise CTMError(
            "no inputs: give them as arguments or with --file F (or - for stdin); a string starting with '-' goes after --"
        )
    yield first
    while chunk := list(itertools.islice(lines, CHUNK)):
        yield chunk


def line(label: str, width: int, text: str) -> str:
    return f"{label:<{width}}  {text}"


def na(reason: str) -> str:
    """What a line shows in place of the value of an input that has none."""
    return f"NA: {reason}"


def finish(reasons: list[str | None], strict: bool) -> None:
    """End a batch: NotScored (exit 1) when no input has a value, or any lacks one under --strict."""
    finish_counts(sum(r is not None for r in reasons), len(reasons), strict)


def finish_counts(missing: int, total: int, strict: bool) -> None:
    """``finish`` from counts: ``missing`` of ``total`` inputs have no value."""
    if missing == total:
        raise NotScored(f"none of the {total} inputs has a value; each line says why")
    if strict and missing:
        raise NotScored(f"{missing} of {total} inputs have no value (--strict); each line says why")
