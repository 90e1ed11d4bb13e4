"""The page's results as a download that a spreadsheet keeps as text.

Every row carries the table's name, version and source and the software's version.
Against CSV injection (OWASP, "CSV Injection"), a text cell that a spreadsheet could
read as a formula or a number gets a leading apostrophe: every input string (so
``=1+1``, ``-++-+`` and ``000111`` stay text, as typed), and any other text cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return. Strip one leading
apostrophe from the ``string`` column to read the inputs back. Numbers are written in
full (Python's shortest round-trip form). XLSX (openpyxl) writes every text cell as a
text cell, with no apostrophe needed.
"""

from __future__ import annotations

import csv
import io

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP)."""

VALUE_COLUMNS = ("K", "K_se", "D", "D_se", "count", "rank", "hits", "size", "bdm", "nbdm", "ent")


def as_text(value: object, always: bool = False) -> object:
    """A text cell behind an apostrophe when a spreadsheet would evaluate it (or ``always``)."""
    if isinstance(value, str) and (always or value.startswith(TRIGGERS)):
        return "'" + value
    return value


def table_rows(scored: dict) -> tuple[list[str], list[list[object]]]:
    """Header and rows of a ``results.score`` answer, with the table and software on each row."""
    columns = [c for c in VALUE_COLUMNS if c in scored["columns"] or any(c in r for r in scored["rows"])]
    tab = scored["table"] or {}
    header = [
        "string",
        *columns,
        "reason",
        "bdm_reason",
        "bdm_block",
        "bdm_strategy",
        "table",
        "table_version",
        "table_source",
        "software",
    ]
    rows = []
    for r in scored["rows"]:
        rows.append(
            [r["string"]]
            + [r.get(c) for c in columns]
            + [r.get("reason"), r.get("bdm_reason")]
            + [scored["bdm"]["block"], scored["bdm"]["strategy"]]
            + [tab.get("name"), tab.get("version"), tab.get("source"), scored["software"]]
        )
    return header, rows


def to_csv(scored: dict) -> str:
    """The results as CSV text (RFC 4180 quoting, CRLF line ends), injection-safe."""
    header, rows = table_rows(scored)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([as_text(row[0], always=True)] + [as_text(v) for v in row[1:]])
    return out.getvalue()


def to_xlsx(scored: dict) -> bytes:
    """The results as an XLSX workbook: strings as text cells, numbers as numbers."""
    from openpyxl import Workbook

    header, rows = table_rows(scored)
    book = Workbook()
    sheet = book.active
    sheet.title = "results"
    sheet.append(header)
    for row in rows:
        sheet.append([None] * len(row))
        for column, value in enumerate(row, 1):
            cell = sheet.cell(row=sheet.max_row, column=column)
            if isinstance(value, int) and abs(value) >= 2**53:
                value = str(value)  # beyond a spreadsheet's exact integers: keep every digit as text
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever its first character
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()
