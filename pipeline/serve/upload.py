"""An uploaded CSV, TSV or text file as columns of text (nothing read as a number).

A ``.csv`` or ``.tsv`` file (or a text file whose lines split evenly on commas, tabs or
semicolons) is a table whose first row names the columns; any other text file is one
column, ``line``, a string per line. Cells stay text as written, so 000111 keeps its
zeros; a blank cell is a missing value. UTF-8 with or without a byte-order mark; LF,
CRLF or CR line ends.
"""

from __future__ import annotations

import csv
import io

from pipeline.serve.limits import MAX_INPUTS, MAX_SYMBOLS, MAX_UPLOAD, LimitError
from pipeline.serve.results import column_warnings, default_alphabet, distinct_symbols

DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}

# A cell may be as long as the upload (the symbols limit then names it); csv's default is 128 KiB.
csv.field_size_limit(max(csv.field_size_limit(), MAX_UPLOAD))


def _text(name: str, raw: bytes) -> str:
    if not raw:
        raise LimitError(422, f"file {name!r} is empty: upload a CSV, TSV or text file with one string per line")
    if len(raw) > MAX_UPLOAD:
        raise LimitError(
            413, f"file {name!r} is {len(raw) / 2**20:.1f} MiB; uploads are at most {MAX_UPLOAD // 2**20} MiB"
        )
    if b"\x00" in raw[:65536]:
        raise LimitError(
            422, f"file {name!r} is not text (it holds NUL bytes: a binary file?); upload a CSV, TSV or text file"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LimitError(
            422, f"file {name!r} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 CSV"
        ) from None


def _delimiter(name: str, lines: list[str]) -> str | None:
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if suffix in DELIMITERS:
        return DELIMITERS[suffix]
    sample = [line for line in lines[:50] if line.strip()]
    for delimiter in (",", "\t", ";"):
        counts = {len(next(csv.reader([line], delimiter=delimiter))) for line in sample}
        if len(counts) == 1 and counts.pop() > 1:
            return delimiter
    return None


def read_upload(name: str, raw: bytes) -> dict:
    """The file's columns: name, values (str, or None for a blank cell), distinct
    symbols, default alphabet and warnings; a LimitError (413, 422) saying what is wrong."""
    try:
        return _read(name, raw)
    except csv.Error as exc:
        raise LimitError(422, f"file {name!r} cannot be read as CSV or TSV: {exc}") from None


def _read(name: str, raw: bytes) -> dict:
    text = _text(name, raw)
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise LimitError(422, f"file {name!r} holds no lines of text")
    delimiter = _delimiter(name, lines)
    if delimiter is None:
        header, body = ["line"], [[line.strip()] for line in lines]
    else:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
        header, body = [h.strip() or f"column {i + 1}" for i, h in enumerate(rows[0])], rows[1:]
        if not body:
            raise LimitError(422, f"file {name!r} has a header row and no data: its first row names the columns")
    if len(body) > MAX_INPUTS:
        raise LimitError(413, f"file {name!r} has {len(body):,} rows; at most {MAX_INPUTS:,} per request")
    width = max(len(header), max(len(r) for r in body))
    header += [f"column {i + 1}" for i in range(len(header), width)]
    columns = []
    for i, title in enumerate(header):
        values = [(r[i].strip() or None) if i < len(r) else None for r in body]
        longest = max(range(len(values)), key=lambda j: len(values[j] or ""))
        if len(values[longest] or "") > MAX_SYMBOLS:
            raise LimitError(
                422,
                f"file {name!r}: row {longest + 1} of column {title!r} has {len(values[longest]):,} symbols; "
                f"at most {MAX_SYMBOLS:,} per string",
            )
        columns.append(
            {
                "name": title,
                "values": values,
                "distinct_symbols": distinct_symbols(values),
                "alphabet": default_alphabet(values),
                "warnings": column_warnings(values, f"column {title!r}"),
            }
        )
    return {"file": name, "rows": len(body), "delimiter": delimiter, "columns": columns}
