"""The public functions' answers as JSON-ready records, one per input, in input order.

Every value is the Python function's own float or integer (JSON keeps a float to the
last bit), None where it has none, and the reason beside it. Results are read by
position (``tolist()``) and by column name, never by the strings in their index, so
duplicate inputs keep their own rows.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import __version__
from pipeline.batch import reasons
from pipeline.errors import CTMError
from pipeline.query import DEFAULT_MATRIX_TABLES, DEFAULT_TABLES, Table, name_parts, open_or_na, open_table
from pipeline.space import BUSY_BEAVER_STEPS
from pipeline.tables import TableInfo, data_root, list_tables, shipped_root

SOFTWARE = f"ctm-pipeline {__version__}"
"""Named in every answer and download."""

DIGITS = re.compile(r"[0-9]+")


def plain(value: object) -> object:
    """A value as JSON takes it: Python int or float, None for NaN and pandas' NA."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# -- tables ----------------------------------------------------------------------------


def provenance(manifest: dict, name: str) -> dict:
    """How a table's values were made: ``exact`` (every machine) or ``sampled`` (with its
    number of batches, the source of its standard errors), its step cutoff, if any, and
    for an exact_upto table its L and H bracket (``exact_upto``: L, H_low, H_high,
    bracket_bits; None for any other)."""
    parts = name_parts(name)
    states, symbols = (parts[0], parts[1]) if parts else (None, None)
    steps = manifest.get("max_steps")
    coverage = manifest.get("coverage", "?")
    no_cutoff = steps is not None and BUSY_BEAVER_STEPS.get((states, symbols)) == steps
    sampled = coverage == "sampled"
    batches = (manifest.get("sampled") or {}).get("batch_count") if sampled else None
    kind = "sampled" if sampled else "exact" if coverage == "full" else coverage
    words = [kind]
    if sampled:
        words.append(f"{batches} batches, with standard errors")
    words.append("no cutoff (S = the busy beaver's)" if no_cutoff else f"S = {steps}")
    upto = manifest.get("exact_upto")
    if upto:
        bits = upto.get("bracket_bits")
        words.append(
            f"outputs of at most {upto['L']} symbols exact with no cutoff"
            + (f", H known within {bits:.2g} bits (K in [K_low, K_high])" if bits is not None else "")
        )
    if manifest.get("status") == "undecided":
        words.append("some machines undecided")
    exact_upto = {k: upto.get(k) for k in ("L", "H_low", "H_high", "bracket_bits")} if upto else None
    return {
        "kind": kind,
        "batches": batches,
        "no_cutoff": no_cutoff,
        "steps": steps,
        "exact_upto": exact_upto,
        "text": ", ".join(words),
    }


def _default_for(name: str, dims: int, symbols: int) -> str | None:
    if dims == 2:
        return "matrices" if name == DEFAULT_MATRIX_TABLES[0] else None
    return f"alphabet {symbols}" if DEFAULT_TABLES.get(symbols) == name else None


def listed(info: TableInfo) -> dict:
    """One table version as the page's table list shows it (read from its manifest only)."""
    m = info.manifest
    parts = name_parts(info.table)
    dims = int(m.get("dims", parts[2] if parts else 1))
    symbols = int(m.get("symbols", parts[1] if parts else 0))
    return {
        "name": info.table,
        "version": info.version,
        "label": f"{info.table} v{info.version}",
        "source": info.source,
        "symbols": symbols,
        "dims": dims,
        "strings": m.get("strings"),
        "provenance": provenance(m, info.table),
        "default_for": _default_for(info.table, dims, symbols),
    }


def tables(data_dir: str | Path | None) -> list[dict]:
    """Every table version in the data root, then the shipped ones, as ``ctm tables``
    lists them; read anew on every call, so a new version shows without a restart."""
    root = data_root(data_dir)
    found = list_tables(root)
    if root.resolve() != shipped_root().resolve():
        found += list_tables(shipped_root())
    return [listed(info) for info in found]


def described(tab: Table | None) -> dict | None:
    """The table version that answered: name, version, source, provenance, reach."""
    if tab is None:
        return None
    out = {
        "name": tab.name,
        "version": tab.version,
        "label": tab.label,
        "source": tab.source,
        "symbols": tab.symbols,
        "dims": tab.dims,
        "provenance": provenance(tab.manifest, tab.name),
        "software": SOFTWARE,
    }
    if tab.dims == 1:
        out["max_length"] = tab.max_length
    else:
        out["max_shape"] = list(tab.shapes)
    return out


# -- inputs ----------------------------------------------------------------------------


def distinct_symbols(strings: list[str | None]) -> int:
    """Distinct symbols over the whole batch (a column): the calculator's default alphabet."""
    seen: set[str] = set()
    for text in strings:
        if text:
            seen.update(text)
    seen.discard("-")
    return len(seen)


def default_alphabet(strings: list[str | None]) -> int | None:
    """The distinct symbols of the whole column, at least 2; None past 10 (no table has more)."""
    n = max(distinct_symbols(strings), 2)
    return n if n <= 10 else None


def column_warnings(strings: list[str | None], name: str = "the input") -> list[str]:
    """A warning when a column looks numeric with varying lengths: a spreadsheet that
    read it as numbers dropped the leading zeros (000111 became 111)."""
    present = [s for s in strings if s]
    if not present or not all(DIGITS.fullmatch(s) for s in present):
        return []
    lengths = {len(s) for s in present}
    if len(lengths) < 2:
        return []
    return [
        f"{name} looks numeric and its values have {min(lengths)} to {max(lengths)} digits: if a spreadsheet "
        f"saved it, it may have dropped leading zeros (000111 -> 111); check the file, or format the column as text"
    ]


# -- one record per input ----------------------------------------------------------------


def frame_records(strings: list[str | None], frame: pd.DataFrame) -> list[dict]:
    """acss()'s DataFrame as records in input order: string, each value column, reason."""
    columns = {c: frame[c].tolist() for c in frame.columns}
    out = []
    for i, text in enumerate(strings):
        row = {"string": text}
        row.update({c: plain(values[i]) for c, values in columns.items() if c != "reason"})
        row["reason"] = plain(columns["reason"][i]) if "reason" in columns else None
        out.append(row)
    return out


def series_records(strings: list[str | None], result: pd.Series) -> list[dict]:
    """A Series of one value per input as records in input order: string, value, reason;
    and BDM_low, BDM_high where the Series has them (BDM on an exact_upto table)."""
    values = result.to_numpy().tolist()
    why = reasons(result).tolist()
    out = [{"string": text, "value": plain(v), "reason": plain(r)} for text, v, r in zip(strings, values, why)]
    if "BDM_low" in result.attrs:
        for record, low, high in zip(out, result.attrs["BDM_low"], result.attrs["BDM_high"]):
            record["BDM_low"], record["BDM_high"] = plain(low), plain(high)
    return out


def table_or_none(table, version, alphabet, data_dir, ndim: int = 1) -> Table | None:
    """The table a call with these arguments uses (None when the alphabet has none yet)."""
    return open_or_na(table, version, alphabet, data_dir, ndim)[0]


# -- the page's scoring ----------------------------------------------------------------


def score(
    strings: list[str | None],
    *,
    alphabet: int | None = None,
    table: str | None = None,
    version: int | None = None,
    block: int | None = None,
    strategy: str = "ignore",
    data_dir: str | Path | None = None,
) -> dict:
    """What the page shows for a batch of strings: acss()'s K (with K_se where sampled),
    D, count, rank and reason per input, and for each input longer than the BDM block
    (which is at most the table's longest output: CTM's reach; 12, pybdm's, by default),
    BDM, normalised BDM and block entropy with the block and partition chosen.

    ``alphabet`` None means the distinct symbols of the whole batch (at least 2).
    ``block`` None means pybdm's 12, or the table's longest output when shorter.
    """
    from pipeline.bdm import bdm, ent, nbdm
    from pipeline.query import acss

    if alphabet is None and table is None:
        alphabet = default_alphabet(strings)
    tab = table_or_none(table, version, alphabet, data_dir)
    frame = acss(strings, alphabet, table=table, version=version, data_dir=data_dir, errors="ignore")
    rows = frame_records(strings, frame)
    chosen = None
    if tab is not None:
        chosen = block if block is not None else min(12, tab.max_length)
        long = [i for i, s in enumerate(strings) if s is not None and len(s) > chosen]
        if long:
            subset = [strings[i] for i in long]
            options = dict(
                block=chosen, strategy=strategy, table=tab.name, version=tab.version, data_dir=data_dir, errors="ignore"
            )
            measures = {"bdm": bdm(subset, **options), "ent": ent(subset, **options)}
            if strategy != "correlated":
                measures["nbdm"] = nbdm(subset, **options)
            values = {k: v.to_numpy().tolist() for k, v in measures.items()}
            why = reasons(measures["bdm"]).tolist()
            interval = measures["bdm"].attrs.get("BDM_low"), measures["bdm"].attrs.get("BDM_high")
            for j, i in enumerate(long):
                for k in ("bdm", "nbdm", "ent"):
                    rows[i][k] = plain(values[k][j]) if k in values else None
                if interval[0] is not None:  # an exact_upto table: BDM's interval
                    rows[i]["BDM_low"], rows[i]["BDM_high"] = plain(interval[0][j]), plain(interval[1][j])
                rows[i]["bdm_reason"] = why[j]
    return {
        "table": described(tab),
        "alphabet": alphabet,
        "bdm": {"block": chosen, "strategy": strategy},
        "columns": [c for c in frame.columns if c != "reason"],
        "warnings": column_warnings(strings),
        "rows": rows,
        "software": SOFTWARE,
    }


def local(
    strings: list[str | None],
    *,
    span: int = 5,
    alphabet: int | None = None,
    table: str | None = None,
    version: int | None = None,
    data_dir: str | Path | None = None,
) -> dict:
    """local_complexity per input: its windows, their K (and K_se where sampled), the
    mean K of the windows that have one, and the reason when some or all have none."""
    from pipeline.measures import local_complexity

    found = local_complexity(strings, span, alphabet, table=table, version=version, data_dir=data_dir, errors="ignore")
    rows = []
    for text, result in zip(strings, found):
        se = result.attrs.get("K_se")
        rows.append(
            {
                "string": text,
                "windows": [str(w) for w in result.index.tolist()],
                "K": [plain(v) for v in result.to_numpy().tolist()],
                "K_se": None if se is None else [plain(v) for v in np.asarray(se).tolist()],
                "mean": plain(float(result.mean())) if result.size else None,
                "mean_se": plain(result.attrs.get("mean_se")),
                "reason": result.attrs.get("reason"),
            }
        )
    return {"table": described(table_or_none(table, version, alphabet, data_dir)), "span": span, "rows": rows}


# -- matrices ----------------------------------------------------------------------------


def block_places(text: str, block: int, strategy: str, shift: int, min_length: int) -> list[tuple[int, int, int, int]]:
    """(top, left, rows, cols) of each block pybdm's partition cuts from a matrix, in the
    order BDM cuts them (pipeline.bdm.BDM._cut_matrix)."""
    rows = text.split("-")

    def squares(top: int, left: int, height: int, width: int, size: int, step: int, full_only: bool):
        if step == size:
            starts_r, starts_c = range(0, height, size), range(0, width, size)
        else:
            starts_r, starts_c = range(0, max(height - size + 1, 0), step), range(0, max(width - size + 1, 0), step)
        for r in starts_r:
            for c in starts_c:
                h, w = min(size, height - r), min(size, width - c)
                if not full_only or (h == size and w == size):
                    yield top + r, left + c, h, w

    def cut(top: int, left: int, height: int, width: int, size: int) -> list:
        if strategy == "correlated":
            return list(squares(top, left, height, width, size, shift, True))
        out = []
        for r, c, h, w in squares(top, left, height, width, size, size, False):
            if h == size and w == size:
                out.append((r, c, h, w))
            elif strategy == "recursive" and min(h, w) >= min_length:
                out += cut(r, c, h, w, min(h, w))
        return out

    return cut(0, 0, len(rows), len(rows[0]), block)


def matrix(
    text: str,
    *,
    table: str | None = None,
    version: int | None = None,
    block: int | None = None,
    strategy: str = "ignore",
    shift: int = 1,
    min_length: int = 2,
    data_dir: str | Path | None = None,
) -> dict:
    """One matrix (rows joined by '-'): its K where the 2-D table reaches it, BDM,
    normalised BDM and block entropy, and each block's place and K (the heat map).

    A block the table never produced has pybdm's imputed K (``imputed`` true).
    A matrix that is not a rectangle, or has more symbols than the table, is a CTMError.
    """
    from pipeline.bdm import BDM
    from pipeline.inputs import NA, item
    from pipeline.query import acss

    entry = item(text, ndim=2)
    if not entry.ok:
        raise CTMError(entry.na.detail)
    rows = entry.text.split("-")
    if len(rows) > 24 or len(rows[0]) > 24:
        raise CTMError(f"matrix is {len(rows)}x{len(rows[0])}; the calculator takes at most 24x24")
    tab = open_table(table, version, ndim=2, data_dir=data_dir)
    scorer = BDM(
        block=block,
        strategy=strategy,
        shift=shift,
        min_length=min_length,
        table=tab.name,
        version=tab.version,
        data_dir=data_dir,
        ndim=2,
    )
    checked = scorer.checked(entry.text)
    if isinstance(checked, NA):
        raise CTMError(f"matrix {checked.detail}")
    frame = acss([entry.text], table=tab.name, version=tab.version, data_dir=data_dir, ndim=2, errors="ignore")
    lookup = frame_records([entry.text], frame)[0]
    values, why = {}, {}
    for name, measure, normalized in (("bdm", "bdm", False), ("nbdm", "bdm", True), ("ent", "ent", False)):
        if normalized and strategy == "correlated":
            values[name], why[name] = None, "normalised BDM is not defined for strategy 'correlated' (as in pybdm)"
            continue
        value, na, _ = scorer.score(checked, measure, normalized)
        values[name], why[name] = plain(value), None if na is None else na.detail
    places = block_places(checked, scorer.block, strategy, shift, min_length)
    blocks = []
    for (top, left, h, w), piece in zip(places, scorer._cut(checked)):
        found = scorer._ctm(piece)
        K, imputed, K_se = (None, False, None) if isinstance(found, NA) else found[:3]
        blocks.append(
            {"top": top, "left": left, "rows": h, "cols": w, "block": piece, "K": K, "K_se": K_se, "imputed": imputed}
        )
    return {
        "matrix": entry.text,
        "shape": [len(rows), len(rows[0])],
        "table": described(tab),
        "lookup": lookup,
        **values,
        "reasons": why,
        "bdm_options": {"block": scorer.block, "strategy": strategy, "shift": shift, "min_length": min_length},
        "blocks": blocks,
        "software": SOFTWARE,
    }
