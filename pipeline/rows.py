"""The kernel's outputs as Arrow rows (string, count), made and added up without a Python
object per output.

The kernel hands each walk's outputs back as columns (``map_columns`` in
``tmsim_ext/_acc.pxd``): the texts back to back with int64 offsets, and each 128-bit
count as two uint64 halves (or, sampled, hits and masses). ``table_of`` turns them into
a table whose count column is int64 or, for spaces of 2**63 machines or more,
decimal128(38, 0) (``tables.count_type``); ``add`` and ``share`` add tables up by string
and divide them exactly, as the shared walks of ``kernel.count_shared_top`` need.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

COLUMNS = ("string", "count")
"""A table's columns: the output text and the machines that halt with it."""


def empty(counts_as: pa.DataType) -> pa.Table:
    """A table with no rows, its count column of type ``counts_as``."""
    return pa.table({"string": pa.array([], pa.string()), "count": pa.array([], counts_as)})


def empty_sampled() -> pa.Table:
    """A sampled table (string, hits, mass) with no rows."""
    return pa.table(
        {"string": pa.array([], pa.string()), "hits": pa.array([], pa.int64()), "mass": pa.array([], pa.float64())}
    )


def _strings(columns: dict) -> pa.Array:
    """The texts of the kernel's columns as an Arrow string array (large_string when they
    hold 2**31 bytes or more)."""
    offsets = np.frombuffer(columns["offsets"], dtype=np.int64)
    n = len(offsets) - 1
    strings = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(columns["text"]))
    return strings.cast(pa.string()) if len(columns["text"]) < 2**31 else strings


def table_of(columns: dict, counts_as: pa.DataType) -> pa.Table:
    """An exact count's outputs (the kernel's columns: text, offsets, lo, hi) as a table.

    Parameters
    ----------
    columns : dict
        ``text`` (bytes of every output back to back), ``offsets`` (n + 1 int64), ``lo``
        and ``hi`` (n uint64 each: the counts' low and high 64 bits), native byte order.
    counts_as : pyarrow.DataType
        int64, or decimal128(38, 0) (``tables.count_type``).

    Returns
    -------
    pyarrow.Table
        (string, count), n rows in the kernel's order (not sorted).

    Raises
    ------
    ValueError
        int64 asked for counts of 2**63 or more.
    """
    lo = np.frombuffer(columns["lo"], dtype=np.uint64)
    hi = np.frombuffer(columns["hi"], dtype=np.uint64)
    if pa.types.is_decimal(counts_as):
        pairs = np.empty((len(lo), 2), dtype=np.uint64)  # little-endian 128-bit: low half first
        pairs[:, 0], pairs[:, 1] = lo, hi
        count = pa.Array.from_buffers(pa.decimal128(38, 0), len(lo), [None, pa.py_buffer(pairs)])
        count = count.cast(counts_as)
    else:
        if hi.any() or (lo >= 2**63).any():
            raise ValueError("counts of 2**63 or more need decimal128(38, 0), not int64")
        count = pa.array(lo.view(np.int64), pa.int64())
    return pa.table({"string": _strings(columns), "count": count})


def sampled_table(columns: dict) -> pa.Table:
    """A sampled count's outputs (the kernel's columns: text, offsets, hits, mass) as a
    table (string, hits, mass), in the kernel's order."""
    return pa.table(
        {
            "string": _strings(columns),
            "hits": pa.array(np.frombuffer(columns["hits"], dtype=np.uint64).view(np.int64), pa.int64()),
            "mass": pa.array(np.frombuffer(columns["mass"], dtype=np.float64), pa.float64()),
        }
    )


def as_dict(rows: pa.Table) -> dict:
    """A table's rows as a dict: string -> count (int), or, sampled, -> (hits, mass)."""
    strings = rows["string"].to_pylist()
    if "count" in rows.column_names:
        return dict(zip(strings, map(int, rows["count"].to_pylist())))
    return dict(zip(strings, zip(rows["hits"].to_pylist(), rows["mass"].to_pylist())))


def with_dicts(result):
    """A kernel result (any nesting of dicts) with each outputs' columns read as a dict
    (``as_dict``): output -> count, or -> (hits, mass): the form results had before the
    kernel handed back columns, to compare or digest results across builds."""
    if isinstance(result, dict) and "offsets" in result:
        if "hits" in result:
            return as_dict(sampled_table(result))
        return as_dict(table_of(result, pa.decimal128(38, 0)))
    if isinstance(result, dict):
        return {k: with_dicts(v) for k, v in result.items()}
    return result


def add(tables: list[pa.Table]) -> pa.Table:
    """The tables added up: one row per string, its counts summed (exact: int64 sums of a
    space's counts stay below its 2**63 machines; decimal128 sums are exact).

    Raises
    ------
    IndexError
        No table given.
    """
    if not tables:
        raise IndexError("no table to add up")
    full = [t for t in tables if t.num_rows]
    if len(full) <= 1:
        return full[0] if full else tables[0]
    counts_as = tables[0].schema.field("count").type
    summed = pa.concat_tables(full).group_by("string").aggregate([("count", "sum")])
    return pa.table({"string": summed["string"], "count": summed["count_sum"].cast(counts_as)})


def share(rows: pa.Table, parts: int) -> pa.Table:
    """Each count divided by ``parts``: the share of one of ``parts`` digits that stand for
    the same machines (a renaming orbit). Symmetry makes every division exact.

    Raises
    ------
    AssertionError
        A count that ``parts`` does not divide (the walk or the orbit is wrong).
    """
    if parts == 1 or rows.num_rows == 0:
        return rows
    counts_as = rows.schema.field("count").type
    if pa.types.is_decimal(counts_as):
        values = [int(v) for v in rows["count"].to_pylist()]
        whole = [divmod(v, parts) for v in values]
        if any(rest for _, rest in whole):
            bad = next(v for v, (_, rest) in zip(values, whole) if rest)
            raise AssertionError(f"a renaming orbit of {parts} digits got {bad} machines, not a multiple")
        count = pa.array([q for q, _ in whole], counts_as)
    else:
        values = rows["count"].to_numpy()
        quotient, rest = np.divmod(values, parts)
        if rest.any():
            bad = int(values[np.flatnonzero(rest)[0]])
            raise AssertionError(f"a renaming orbit of {parts} digits got {bad} machines, not a multiple")
        count = pa.array(quotient, pa.int64())
    return pa.table({"string": rows["string"], "count": count})


def sorted_rows(rows: pa.Table) -> pa.Table:
    """The rows sorted by string (byte order, which is Python's for ASCII texts)."""
    return rows.take(pc.sort_indices(rows["string"]))
