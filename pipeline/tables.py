"""Versioned tables: ``<root>/tables/<table>/v<k>/`` with table.parquet and manifest.json.

Versions are immutable and published atomically (written under a hidden temporary name,
then renamed). Each function reads one root; readers try the user's data root first,
then ``shipped_root()``, the tables that come with the package.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version as package_version
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import CTMError

DEFAULT_ROOT = "data"
TABLE_FILE = "table.parquet"
MANIFEST_FILE = "manifest.json"

_VERSION = re.compile(r"^v([1-9][0-9]*)$")

CHECKSUM_ROWS = 1 << 20
"""Rows ``row_checksum`` turns into text at a time."""

ROW_GROUP_ROWS = 1 << 20
"""Rows per Parquet row group of a published table: pyarrow's own default (so a table
written from a stream is the same file as one written whole), or fewer under a small
memory budget (``RowStream.row_group_rows``)."""

SHIPPED_VERSIONS = frozenset(
    {
        ("d2x2-s6", 1),
        ("d3x2-s21", 1),
        ("d4x2-s107", 1),
        ("d5x2-s500", 1),
        ("d4x2-2d-s2000", 1),
        ("d4x4-s2000-sampled", 1),
        ("d4x6-s2000-sampled", 1),
        ("d4x5-s2000-sampled", 1),
        ("d2x3-s38", 1),
        ("d2x4-s500", 1),
        ("d3x3-s500", 1),
        ("d4x9-s4000-sampled", 1),
        ("d5x2-2d-s2000-sampled", 1),
        ("d5x2-2d-s2000", 1),
        ("d5x2-nocutoff", 1),
        ("d2x4-nocutoff", 1),
    }
)
"""(table, version) of the versions that ship with the package (pyproject's data-files).
In a checkout they share ``data/`` with the user's own versions, so the folder alone does
not tell them apart."""


def made_with(kernel: str) -> dict:
    """The manifest's ``versions`` and ``created`` entries: the software that made a table
    (this package, the kernel's version string ``kernel``, Python and the libraries that
    wrote it) and the UTC time, to the second."""
    from pipeline import __version__

    return {
        "versions": {
            "ctm-pipeline": __version__,
            "kernel": kernel,
            "python": platform.python_version(),
            "numpy": package_version("numpy"),
            "pyarrow": pa.__version__,
            "dask": package_version("dask"),
        },
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def data_root(value: str | os.PathLike | None) -> Path:
    """The data root: ``value`` (``--data-dir``), else $CTM_DATA_DIR, else ./data."""
    return Path(value or os.environ.get("CTM_DATA_DIR") or DEFAULT_ROOT)


def shipped_root() -> Path:
    """The data root of the tables shipped with the package.

    A source checkout (or editable install) reads the repository's data/; a wheel
    installs the same files under <prefix>/share/ctm-pipeline (pyproject's data-files).
    """
    checkout = Path(__file__).resolve().parent.parent / "data"
    installed = Path(sys.prefix) / "share" / "ctm-pipeline"
    for root in (checkout, installed):
        if (root / "tables").is_dir():
            return root
    return checkout


def is_shipped(root: Path, table: str, version: int) -> bool:
    """True when ``root`` is the package's data root and (table, version) ships with it."""
    return (table, version) in SHIPPED_VERSIONS and Path(root).resolve() == shipped_root().resolve()


def source_of(folder: Path) -> str:
    """Where the version folder ``<root>/tables/<table>/v<k>`` comes from, for listings and
    answers: ``shipped`` for a version shipped with the package, else its data root."""
    folder = Path(folder)
    root = folder.parents[2]
    return "shipped" if is_shipped(root, folder.parent.name, int(folder.name[1:])) else str(root)


def count_type(machines: int) -> pa.DataType:
    """int64 for a space of fewer than 2**63 machines, else decimal128(38, 0)."""
    return pa.int64() if machines < 2**63 else pa.decimal128(38, 0)


class RowChecksum:
    """``row_checksum`` fed in batches already sorted by string: the same hex digest for
    rows of any size, in memory bounded by one batch."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()

    def update(self, strings: pa.Array | pa.ChunkedArray, counts: pa.Array | pa.ChunkedArray) -> None:
        """Add rows that follow, by string, every row added before them."""
        import pyarrow.compute as pc  # only writers need it: lookups start without it

        text = pc.binary_join_element_wise(
            pc.cast(strings, pa.string()), pc.binary_join_element_wise(pc.cast(counts, pa.string()), "", "\n"), "\t"
        )
        for chunk in text.chunks if isinstance(text, pa.ChunkedArray) else [text]:
            if len(chunk):
                _, offsets, data = chunk.buffers()
                bounds = np.frombuffer(offsets, dtype=np.int32)[chunk.offset : chunk.offset + len(chunk) + 1]
                self._digest.update(memoryview(data)[bounds[0] : bounds[-1]])

    def hexdigest(self) -> str:
        """The SHA-256 of every row added so far, as 64 hex digits."""
        return self._digest.hexdigest()


def row_checksum(strings: pa.Array | pa.ChunkedArray, counts: pa.Array | pa.ChunkedArray) -> str:
    """SHA-256 of ``string<TAB>count<LF>`` for every row sorted by string (UTF-8, decimal).

    Rows held in memory; ``RowChecksum`` gives the same digest batch by batch."""
    import pyarrow.compute as pc  # only writers need it: lookups start without it

    order = pc.sort_indices(strings)
    checksum = RowChecksum()
    for start in range(0, len(order), CHECKSUM_ROWS):
        # in slices: one text column of every row could pass the 2 GiB of string offsets
        take = order[start : start + CHECKSUM_ROWS]
        checksum.update(pc.take(strings, take), pc.take(counts, take))
    return checksum.hexdigest()


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of the file at ``path``, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class TableInfo:
    """One published version of a table."""

    table: str
    version: int
    path: Path
    """The version's folder ``.../tables/<table>/v<k>``."""
    shipped: bool
    """True for a version shipped with the package (``is_shipped``)."""
    manifest: dict

    @property
    def coverage(self) -> str:
        """The manifest's coverage (``full``, ``partial`` or ``sampled``), ``?`` where it has none."""
        return self.manifest.get("coverage", "?")

    @property
    def source(self) -> str:
        """``shipped``, or the data root the version was found in (``source_of``)."""
        return source_of(self.path)


def versions(root: Path, table: str) -> list[int]:
    """Published versions of ``table`` in this one root, ascending."""
    folder = Path(root) / "tables" / table
    if not folder.is_dir():
        return []
    found = (_VERSION.match(p.name) for p in folder.iterdir())
    return sorted(int(m.group(1)) for m in found if m and (folder / m.group(0) / MANIFEST_FILE).is_file())


def table_path(root: Path, table: str, version: int | None = None) -> Path:
    """Folder of ``table`` version ``version`` (None: the latest) in ``root``.

    Raises CTMError for an unknown table (listing the root's tables) or version (listing
    the table's versions).
    """
    found = versions(root, table)
    if not found:
        names = sorted({info.table for info in list_tables(root)})
        known = ", ".join(names) if names else "none"
        raise CTMError(f"unknown table {table!r} in {root}; its tables are: {known}")
    if version is None:
        version = found[-1]
    if version not in found:
        listed = ", ".join(f"v{v}" for v in found)
        raise CTMError(f"table {table} has no version {version} in {root}; its versions are {listed}")
    return Path(root) / "tables" / table / f"v{version}"


def load_manifest(root: Path, table: str, version: int | None = None) -> dict:
    """The manifest of a table version (None: the latest)."""
    return json.loads((table_path(root, table, version) / MANIFEST_FILE).read_text(encoding="utf-8"))


def load_table(root: Path, table: str, version: int | None = None) -> pa.Table:
    """The rows of a table version: string, length, count, D, K."""
    return pq.read_table(table_path(root, table, version) / TABLE_FILE)


def list_tables(root: Path) -> list[TableInfo]:
    """Every version of every table in ``root``, by table then version."""
    folder = Path(root) / "tables"
    if not folder.is_dir():
        return []
    out = []
    for table in sorted(p.name for p in folder.iterdir() if p.is_dir()):
        for version in versions(root, table):
            path = folder / table / f"v{version}"
            manifest = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
            out.append(TableInfo(table, version, path, is_shipped(root, table, version), manifest))
    return out


@dataclass(frozen=True)
class RowStream:
    """Rows to publish without holding them: a schema, a way to read the record batches
    (again, if a race for a version number makes ``publish`` write twice) and, for a
    table's own rows, their ``row_checksum`` computed as they were made."""

    schema: pa.Schema
    batches: Callable[[], Iterator[pa.RecordBatch]]
    """A fresh iterator over the rows, in the order they are written."""
    checksum: str | None = None
    """``row_checksum`` of the rows (taken over the strings sorted); None for a file
    beside the table, which needs none."""
    row_group_rows: int = ROW_GROUP_ROWS
    """Rows per Parquet row group, so memory holds one group."""


def write_rows(path: Path, rows: pa.Table | RowStream) -> None:
    """Write ``rows`` as one zstd Parquet file at ``path``: a table whole, a stream in
    row groups of ``row_group_rows`` (each one contiguous, so a stream and the same rows
    whole give the same file while the table has at most ROW_GROUP_ROWS rows per group).

    Raises
    ------
    OSError
        The file cannot be written.
    """
    if isinstance(rows, pa.Table):
        pq.write_table(rows, path, compression="zstd")
        return
    size = rows.row_group_rows
    with pq.ParquetWriter(path, rows.schema, compression="zstd") as writer:
        held: list[pa.RecordBatch] = []
        count, groups = 0, 0
        for batch in rows.batches():
            held.append(batch)
            count += batch.num_rows
            while count >= size:
                group = pa.Table.from_batches(held, rows.schema)
                writer.write_table(group.slice(0, size).combine_chunks(), row_group_size=size)
                rest = group.slice(size)
                held, count, groups = rest.to_batches(), rest.num_rows, groups + 1
                del group
                pa.default_memory_pool().release_unused()  # the allocator keeps what it freed else
        if count or not groups:  # the last rows; no rows at all are written as write_table does
            writer.write_table(pa.Table.from_batches(held, rows.schema).combine_chunks(), row_group_size=size)


def publish(
    root: Path,
    table: str,
    rows: pa.Table | RowStream,
    manifest: dict,
    extra: dict[str, pa.Table | RowStream] | None = None,
) -> TableInfo:
    """Write ``rows`` and ``manifest`` as the next version of ``table`` in ``root``, atomically.

    The manifest gains version, parent, files, row_checksum and table; an existing
    version is never overwritten (a race for the same number moves on to the next).

    Parameters
    ----------
    root : Path
        The data root; the version goes to ``root/tables/<table>/v<k>/``.
    table : str
        The table's name, e.g. ``d5x2-s500``.
    rows : pyarrow.Table or RowStream
        The table's rows, with a ``string`` column and ``count`` (exact) or ``hits``
        (sampled), over which ``row_checksum`` is taken; a RowStream (a large table)
        brings its checksum and is written batch by batch.
    manifest : dict
        What the table is (job, coverage, totals, ...), written as manifest.json.
    extra : dict of str to pyarrow.Table or RowStream, optional
        File names (``*.parquet``) -> tables written beside it, e.g. a no-cutoff table's
        ``late_halts.parquet``; their checksums join ``files``.

    Returns
    -------
    TableInfo
        The version written, with its full manifest.

    Raises
    ------
    OSError
        The version cannot be written (its temporary folder is removed).
    ValueError
        A RowStream of the table's rows without its checksum.
    """
    from pipeline.lookupwrite import write_lookup  # a large table's lookup index (pipeline.lookupindex)

    extra = dict(extra or {})
    folder = Path(root) / "tables" / table
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(rows, RowStream):
        if rows.checksum is None:
            raise ValueError(f"the rows of table {table} come as a stream without their row_checksum")
        checksum = rows.checksum
    else:
        checksum = row_checksum(rows.column("string"), rows.column("count" if "count" in rows.column_names else "hits"))
    while True:
        found = versions(root, table)
        version = found[-1] + 1 if found else 1
        tmp = folder / f".v{version}.tmp-{secrets.token_hex(4)}"
        tmp.mkdir()
        try:
            write_rows(tmp / TABLE_FILE, rows)
            for name, side in extra.items():
                write_rows(tmp / name, side)
            beside = [*extra, *write_lookup(tmp, TABLE_FILE)]  # a large table's lookup index joins them
            full = dict(
                manifest,
                table=table,
                version=version,
                parent=found[-1] if found else None,
                row_checksum=checksum,
                files={name: file_sha256(tmp / name) for name in (TABLE_FILE, *beside)},
            )
            (tmp / MANIFEST_FILE).write_text(json.dumps(full, indent=1) + "\n", encoding="utf-8")
            for name in (TABLE_FILE, MANIFEST_FILE, *beside):
                _fsync(tmp / name)
            os.rename(tmp, folder / f"v{version}")
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            if (folder / f"v{version}").exists():
                continue
            raise
        _fsync(folder)
        return TableInfo(table, version, folder / f"v{version}", False, full)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
