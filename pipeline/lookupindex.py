"""The lookup index of a large table version: ``lookup.parquet`` beside its table.parquet,
read so that a batch of lookups loads only the rows it needs.

A table.parquet is sorted by count (most frequent first), so a string can be anywhere in
it and its row-group statistics on ``string`` prune nothing. The index holds the same
rows sorted by shape (1-D: ``length``; 2-D: ``rows``, ``cols``), then ``string``, in row
groups of at most ``GROUP_ROWS`` rows that never span two shapes, with each row's
``rank`` (1 + the number of rows with a larger count, or D) and the table's value
columns. Its key-value metadata (``META_KEY``) gives each row group's shape and first and
last string, and what the whole table needs per shape: D summed per length (``masses``,
in table.parquet's row order, so equal to the sum over the whole table to the last bit),
the longest output and a 2-D table's largest shape. Row groups are LZ4-compressed, which
reads about three times faster than zstd for twice the bytes. A lookup finds each key's row group
by binary search over those fences, reads only those groups (``read_row_groups``) and
matches the keys in them: 1,000 keys read at most 1,000 groups, whatever the table's
size. All the rows of one shape are consecutive groups (BDM's parts, response
distributions).

pipeline.lookupwrite writes it (when a version is published with at least
``INDEX_ROWS`` rows, and by ``ctm index`` for an existing version); pipeline.table opens
a version through it when the version has one and at least ``INDEX_ROWS`` rows, and loads
smaller ones whole. The format is described in docs/lookup-index.md.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import CTMError

LOOKUP_FILE = "lookup.parquet"
"""The index's file name, in the version's folder beside table.parquet."""

META_KEY = b"ctm.lookup"
"""Key of the index's own metadata (JSON) in the Parquet file's key-value metadata."""

FORMAT = 1
"""Version of the index's layout; a reader refuses any other."""

INDEX_ROWS = 1_000_000
"""Tables of at least this many rows are answered through their index (and get one when
published); smaller ones are loaded whole, which answers a session's later lookups from
memory (d5x2-2d-s2000-sampled, the largest shipped table, has 402,722 rows)."""

GROUP_ROWS = 2048
"""Most rows in one row group of the index (a lookup of one key reads one group), unless
the table has more than GROUP_ROWS x MAX_GROUPS rows."""

MAX_GROUPS = 16384
"""Row groups an index aims to stay within: each costs about 500 bytes of footer, which
every opening reads (16,384 groups: 8 MB, about 0.2 s). Larger tables get larger groups."""

ROW_COLUMNS = ("string", "length", "rows", "cols", "cells", "sum_mass", "sum_mass2", "sum_mass_h")
"""Columns of table.parquet that name a row rather than give a value (the index keeps
string and the shape columns of these)."""

READ_GROUPS = 128
"""Row groups read at once by a batch (about 20 MB of rows), so memory stays bounded."""


def group_rows(rows: int) -> int:
    """Most rows in one row group of the index of a table of ``rows`` rows."""
    return max(GROUP_ROWS, -(-rows // MAX_GROUPS))


def shape_columns(dims: int) -> tuple[str, ...]:
    """The columns that give a row's shape, which the index sorts by first."""
    return ("length",) if dims == 1 else ("rows", "cols")


def shape_of(key: str, dims: int) -> tuple[int, ...]:
    """A row key's shape: (length,) of a string, (rows, columns) of a matrix's text."""
    if dims == 1:
        return (len(key),)
    return key.count("-") + 1, key.index("-") if "-" in key else len(key)


def footer_digest(table_file: Path) -> str:
    """SHA-256 of table.parquet's size and Parquet footer: ties an index to the one file it
    was built from at the cost of reading the footer only (a new file changes both)."""
    size = os.path.getsize(table_file)
    with open(table_file, "rb") as fh:
        fh.seek(size - 8)
        length = int.from_bytes(fh.read(4), "little")
        fh.seek(size - 8 - length)
        footer = fh.read(length)
    return hashlib.sha256(size.to_bytes(8, "little") + footer).hexdigest()


_NUMPY = {
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint32": np.uint32,
    "uint64": np.uint64,
    "float": np.float32,
    "double": np.float64,
}


def numpy_column(column: pa.ChunkedArray) -> np.ndarray:
    """A numeric column as a (read-only) numpy array over Arrow's own buffer, without
    pyarrow's to_numpy, which imports pandas (``ctm query`` runs without it)."""
    array = column.combine_chunks()
    dtype = _NUMPY.get(str(array.type))
    if dtype is None or array.null_count:
        return array.to_numpy(zero_copy_only=False)
    return np.frombuffer(
        array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset * np.dtype(dtype).itemsize
    )


def _decimal(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Exact counts past int64 (decimal128 in the file) as Python ints, as whole loads give them."""
    return np.array([int(c) for c in column.to_pylist()], dtype=object)


class LookupIndex:
    """An opened ``lookup.parquet``: its fences and metadata in memory, rows read on demand.

    Parameters
    ----------
    folder : Path
        The version's folder, holding lookup.parquet.
    dims : int
        1 for a table of strings, 2 for one of matrices.
    table_file : Path
        The version's table.parquet, which the index must have been built from.

    Raises
    ------
    CTMError
        The index is of another format or was built from another table.parquet (the
        message says how to rebuild it).
    """

    def __init__(self, folder: Path, dims: int, table_file: Path):
        self.folder, self.dims = Path(folder), dims
        self.file = pq.ParquetFile(self.folder / LOOKUP_FILE, pre_buffer=False)  # less memory for scattered groups
        self._reading = threading.Lock()  # one read at a time: the web app answers from threads
        meta = json.loads((self.file.metadata.metadata or {}).get(META_KEY, b"{}"))
        rebuild = f"rebuild it with `ctm index {self.folder.parent.name} --version {self.folder.name[1:]}`"
        if meta.get("format") != FORMAT:
            raise CTMError(
                f"{self.folder / LOOKUP_FILE} has index format {meta.get('format')!r}, not {FORMAT}: {rebuild}"
            )
        if meta.get("table_footer") != footer_digest(table_file):
            raise CTMError(f"{self.folder / LOOKUP_FILE} was built from another table.parquet: {rebuild}")
        self.meta = meta
        self.rows = int(meta["rows"])
        """Rows of the table (and of the index)."""
        self.masses = np.asarray(meta["masses"], dtype=float)
        """Sum of D (times a pattern's size) per length, as ``Table.masses``."""
        self.max_shape = tuple(meta["max_shape"]) if meta.get("max_shape") else (0, 0)
        """A 2-D table's most rows and most columns of any output."""
        names = self.file.schema_arrow.names
        self.value_columns = [c for c in names if c not in ("string", *shape_columns(dims))]
        """rank, then the table's value columns in its order."""
        groups = meta["groups"]
        width = len(shape_columns(dims))
        self._first = [(*g[:width], g[width]) for g in groups]
        self._last = [g[width + 1] for g in groups]

    def group_of(self, key: str) -> int:
        """The row group that would hold ``key`` (a normalised string or pattern), or -1
        when no group can: the fences alone answer most absent keys."""
        shape = shape_of(key, self.dims)
        g = bisect.bisect_right(self._first, (*shape, key)) - 1
        if g < 0 or tuple(self._first[g][:-1]) != shape or key > self._last[g]:
            return -1
        return g

    def lookup(self, keys: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Each key's row, reading only the row groups the keys fall in.

        Parameters
        ----------
        keys : list of str
            Row keys: normalised strings or matrices (a sampled table's pattern keys).

        Returns
        -------
        found : numpy.ndarray
            bool, shape (len(keys),): True where the table has the key.
        columns : dict of str to numpy.ndarray
            rank and the value columns, each of shape (len(keys),), in the whole load's
            dtypes (decimal counts as Python ints); meaningless where not ``found``.
        """
        import pyarrow.compute as pc  # only the index needs it: small tables' lookups start without it

        n = len(keys)
        group = np.fromiter((self.group_of(k) for k in keys), dtype=np.int64, count=n)
        found = np.zeros(n, dtype=bool)
        at = np.zeros(n, dtype=np.int64)
        pieces: list[pa.Table] = []
        wanted = np.unique(group[group >= 0])
        seen = 0
        for start in range(0, wanted.size, READ_GROUPS):
            chunk = wanted[start : start + READ_GROUPS]
            mine = np.flatnonzero(np.isin(group, chunk))
            with self._reading:
                rows = self.file.read_row_groups(chunk.tolist(), columns=["string", *self.value_columns])
            hit = rows.filter(pc.is_in(rows["string"], value_set=pa.array([keys[i] for i in mine], pa.string())))
            where = dict(zip(hit["string"].to_pylist(), range(seen, seen + hit.num_rows)))
            for i in mine:
                j = where.get(keys[i])
                if j is not None:
                    found[i], at[i] = True, j
            pieces.append(hit.drop_columns(["string"]))
            seen += hit.num_rows
        return found, self._columns(pieces, at)

    def _columns(self, pieces: list[pa.Table], at: np.ndarray) -> dict[str, np.ndarray]:
        """The value columns of the rows found, taken at ``at`` (one per key)."""
        hit = pa.concat_tables(pieces) if pieces else self.file.schema_arrow.empty_table()
        return {
            name: values[at] if len(values) else np.zeros(len(at), values.dtype)
            for name, values in self._arrays(hit).items()
        }

    def _arrays(self, rows: pa.Table) -> dict[str, np.ndarray]:
        """Rank and the value columns of ``rows`` as numpy arrays, in the whole load's
        dtypes (decimal counts as Python ints)."""
        out = {}
        for name in self.value_columns:
            column = rows[name]
            out[name] = _decimal(column) if pa.types.is_decimal(column.type) else numpy_column(column)
        return out

    def of_shape(self, shape: tuple[int, ...]) -> tuple[list[str], dict[str, np.ndarray]]:
        """Every row of one shape (a length, or (rows, columns)), by string: the row
        groups of that shape only. Returns their strings and value columns."""
        width = len(shape_columns(self.dims))
        groups = [g for g, first in enumerate(self._first) if tuple(first[:width]) == tuple(shape)]
        with self._reading:
            rows = self.file.read_row_groups(groups) if groups else self.file.schema_arrow.empty_table()
        return rows.column("string").to_pylist(), self._arrays(rows)

    def shapes(self) -> list[tuple[int, ...]]:
        """The shapes the table has rows of, in order."""
        width = len(shape_columns(self.dims))
        return sorted({tuple(first[:width]) for first in self._first})
