"""Write a table version's lookup index (``lookup.parquet``, pipeline.lookupindex) in
bounded memory.

Two passes over table.parquet: pyarrow streams it in row order for what the whole table
needs (D summed per length exactly as a whole load sums it, the largest shape, the row
count); DuckDB sorts it by shape and string and ranks each row by its count (or D),
spilling to a temporary folder beside the version past ``MEMORY``, and its sorted
stream is cut into row groups that never span two shapes. tables.publish calls
``write_lookup`` for every new version (it writes the index only for tables of at least
``INDEX_ROWS`` rows); ``ctm index`` adds one to an existing version.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.lookupindex import (
    FORMAT,
    INDEX_ROWS,
    LOOKUP_FILE,
    META_KEY,
    ROW_COLUMNS,
    footer_digest,
    group_rows,
    shape_columns,
)

MEMORY = "512MB"
"""DuckDB's memory limit while it sorts; past it, it spills to disk beside the version."""

BATCH_ROWS = 1 << 16
"""Rows per batch streamed from table.parquet and from DuckDB's sorted result."""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _whole_table_figures(table_file: Path, dims: int) -> dict:
    """Rows, D summed per length (in row order, as ``np.bincount`` sums a whole load, so
    the same floats) and a 2-D table's most rows and columns, streamed."""
    names = pq.ParquetFile(table_file).schema_arrow.names
    wanted = ["length", "D", *(["size"] if "size" in names else []), *(["rows", "cols"] if dims == 2 else [])]
    masses = np.zeros(0)
    rows = most_rows = most_cols = 0
    for batch in pq.ParquetFile(table_file).iter_batches(BATCH_ROWS, columns=wanted):
        lengths = batch.column("length").to_numpy().astype(np.int64)
        weights = batch.column("D").to_numpy()
        if "size" in wanted:  # a sampled row stands for its pattern's |P| strings
            weights = weights * batch.column("size").to_numpy()
        if lengths.size:
            if lengths.max() >= masses.size:
                masses = np.concatenate([masses, np.zeros(lengths.max() + 1 - masses.size)])
            np.add.at(masses, lengths, weights)  # one add per row, in row order, as bincount
        if dims == 2 and batch.num_rows:
            most_rows = max(most_rows, int(batch.column("rows").to_numpy().max()))
            most_cols = max(most_cols, int(batch.column("cols").to_numpy().max()))
        rows += batch.num_rows
    return {"rows": rows, "masses": masses.tolist(), "max_shape": [most_rows, most_cols] if dims == 2 else None}


def _sorted_rows(con, table_file: Path, names: list[str], dims: int) -> pa.RecordBatchReader:
    """DuckDB's stream of the rows by shape then string: string, shape, rank, values."""
    key = "count" if "count" in names else "D"
    shape = shape_columns(dims)
    values = [c for c in names if c not in ROW_COLUMNS]
    picked = ", ".join(f"t.{_quoted(c)}" for c in ("string", *shape))
    rest = ", ".join(f"t.{_quoted(c)}" for c in values)
    order = ", ".join(f"t.{_quoted(c)}" for c in (*shape, "string"))
    sql = f"""
        WITH t AS (SELECT * FROM read_parquet({_literal(table_file)})),
        c AS (SELECT {_quoted(key)} AS key, count(*) AS n FROM t GROUP BY 1),
        r AS (
            SELECT key, (1 + coalesce(sum(n) OVER (
                ORDER BY key DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))::BIGINT AS rank
            FROM c
        )
        SELECT {picked}, r.rank AS rank, {rest}
        FROM t JOIN r ON t.{_quoted(key)} = r.key
        ORDER BY {order}
    """
    result = con.sql(sql)
    # to_arrow_reader in DuckDB 2, fetch_arrow_reader before it
    return (getattr(result, "to_arrow_reader", None) or result.fetch_arrow_reader)(BATCH_ROWS)


class _Groups:
    """Cuts a sorted stream into row groups of at most ``size`` rows (``group_rows``), none
    spanning two shapes, and records each group's shape and first and last string."""

    def __init__(self, writer: pq.ParquetWriter, dims: int, size: int):
        self.writer, self.width, self.size = writer, len(shape_columns(dims)), size
        self.buffer: list[pa.Table] = []
        self.buffered = 0
        self.shape: tuple | None = None
        self.fences: list[list] = []

    def add(self, batch: pa.Table) -> None:
        """Take the next rows of the stream (in order)."""
        shapes = np.stack([batch.column(1 + i).to_numpy() for i in range(self.width)])
        cuts = np.flatnonzero((shapes[:, 1:] != shapes[:, :-1]).any(axis=0)) + 1
        for start, stop in zip([0, *cuts], [*cuts, batch.num_rows]):
            shape = tuple(int(v) for v in shapes[:, start])
            if shape != self.shape:
                self.flush(final=True)
                self.shape = shape
            self.buffer.append(batch.slice(start, stop - start))
            self.buffered += stop - start
            if self.buffered >= self.size:
                self.flush(final=False)

    def flush(self, final: bool) -> None:
        """Write the buffered rows as full groups (and, if ``final``, a last short one)."""
        if not self.buffered:
            return
        rows = pa.concat_tables(self.buffer)
        full = rows.num_rows if final else rows.num_rows - rows.num_rows % self.size
        for start in range(0, full, self.size):
            part = rows.slice(start, min(self.size, full - start))
            self.writer.write_table(part, row_group_size=self.size)
            strings = part.column("string")
            self.fences.append([*self.shape, strings[0].as_py(), strings[-1].as_py()])
        rest = rows.slice(full)
        self.buffer, self.buffered = ([rest] if rest.num_rows else []), rest.num_rows


def write_lookup(folder: Path, table_file: str = "table.parquet", force: bool = False) -> list[str]:
    """Write ``folder``/lookup.parquet from ``folder``/``table_file`` when the table has at
    least ``INDEX_ROWS`` rows (always with ``force``).

    Parameters
    ----------
    folder : Path
        A version's folder (or the temporary folder it is published from).
    table_file : str
        The table's file name in ``folder``.
    force : bool
        Write the index whatever the table's size (``ctm index``, tests).

    Returns
    -------
    list of str
        The file names written (``[LOOKUP_FILE]``, or ``[]`` for a table too small to
        need an index), for the manifest's ``files``.

    Raises
    ------
    OSError
        The index cannot be written (its temporary file and spill folder are removed).
    """
    import duckdb  # the write side's sorter; lookups never load it

    folder = Path(folder)
    source = folder / table_file
    meta = pq.ParquetFile(source).metadata
    if meta.num_rows < INDEX_ROWS and not force:
        return []
    names = meta.schema.to_arrow_schema().names
    dims = 2 if "rows" in names else 1
    figures = _whole_table_figures(source, dims)
    tmp = folder / f".{LOOKUP_FILE}.tmp-{secrets.token_hex(4)}"
    spill = folder / f".lookup-spill.tmp-{secrets.token_hex(4)}"  # the hidden names of pipeline.tidy
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{MEMORY}'")
        con.execute(f"SET temp_directory = {_literal(spill)}")
        stream = _sorted_rows(con, source, names, dims)
        shape = shape_columns(dims)
        writer = pq.ParquetWriter(
            tmp,
            stream.schema,
            compression="lz4",  # reads about 3x faster than zstd, for about twice the bytes
            use_dictionary=[c for c in stream.schema.names if c not in ("string", *shape)],
            write_statistics=["string", *shape],
        )
        groups = _Groups(writer, dims, group_rows(figures["rows"]))
        for batch in stream:
            if batch.num_rows:
                groups.add(pa.Table.from_batches([batch]))
        groups.flush(final=True)
        if figures["rows"] and not groups.fences:
            raise OSError(f"no rows came back from sorting {source}")
        index_meta = dict(figures, format=FORMAT, table_footer=footer_digest(source), groups=groups.fences)
        writer.add_key_value_metadata({META_KEY: json.dumps(index_meta, separators=(",", ":")).encode()})
        writer.close()
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, folder / LOOKUP_FILE)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    return [LOOKUP_FILE]
