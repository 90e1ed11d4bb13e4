"""Whole-table steps within a memory budget: a DuckDB session that spills to disk.

The reducer and ``ship`` hand rows to DuckDB, which sums, sorts and filters them with
its own memory limit, spilling what does not fit to a temporary folder under the data
root (``<root>/.tmp/``), removed when the session ends. Sorted results come back through
a Parquet spool file, read a row group at a time, so no step holds a whole table. DuckDB
keeps counts exact: HUGEINT inside (128-bit, an overflow is an error), DECIMAL(38,0) or
BIGINT outside, as ``tables.count_type`` says.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import CTMError

DEFAULT_MEMORY = 2 * 1024**3
"""The budget of a reduce or ship when none is given (``--memory``): 2 GiB."""

MIN_MEMORY = 128 * 1024**2
"""The smallest budget taken: DuckDB gets half, and under 32 MiB a sort of 1e6 strings
of 200 symbols ran out of memory."""

ENGINE_SHARE = 2
"""DuckDB's memory_limit is the budget over this; the rest is for what DuckDB holds beyond its limit, the Arrow batches the session reads and
writes, and the libraries' own memory (about 100 MiB: DuckDB's and pyarrow.compute's
start-up, pyarrow's allocator)."""


THREAD_MEMORY = 64 * 1024**2
"""DuckDB's memory per thread when the threads are not given: a sort or sum under a
limit of less than this per thread may fail to pin a block (a 2-D table under 32 MiB
and two threads did)."""

SPOOL_ROW_BYTES = 2048
"""DuckDB memory per row of a spool's row group: DuckDB buffers a row group while it
writes one (a group of 65,536 rows did not fit a 32 MiB limit, 16,384 did)."""

BUCKET_ROW_BYTES = 64
"""DuckDB memory per input row of one hash bucket of a sum (``Session.summed``): 8
buckets of 18e6 rows of the (5,2) 2-D job fit a 953 MiB limit (one of 145e6 did not)."""

MAX_BUCKETS = 64
"""The most hash buckets of a sum (each is a file DuckDB writes at once)."""

TMP_DIR = ".tmp"
"""The folder under the data root that holds the sessions' temporary files."""

LOCK_FILE = "session.lock"
"""In a session's folder: flocked while the session lives (``in_use``)."""

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2, "mib": 1024**2}
_UNITS.update({"g": 1000**3, "gb": 1000**3, "gib": 1024**3, "t": 1000**4, "tb": 1000**4, "tib": 1024**4})


def parse_size(text: str | int, what: str = "size", example: str = "10MB") -> int:
    """Bytes of a size written as ``10MB``, ``512MiB``, ``1.5G`` or a number of bytes.

    Raises
    ------
    CTMError
        Text that is not a size, named as ``what``.
    """
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*", str(text))
    unit = match and match.group(2).lower()
    if not match or unit not in _UNITS:
        raise CTMError(f"{what} {text!r} should be a size such as {example}, 512MiB or 800000000 (bytes)")
    return int(float(match.group(1)) * _UNITS[unit])


def parse_memory(text: str | int) -> int:
    """Bytes of a memory budget written as ``2GB``, ``512MiB``, ``1.5G`` or a number of bytes.

    Raises
    ------
    CTMError
        Text that is not a size, or a size below MIN_MEMORY.
    """
    size = parse_size(text, "memory", "2GB")
    if size < MIN_MEMORY:
        raise CTMError(f"memory {text!r} is below the smallest budget, {MIN_MEMORY // 1024**2}MiB")
    return size


def default_threads() -> int:
    """DuckDB threads when none are given: the cores this process may use, at most 4
    (each thread holds its own part of a sum or sort in memory)."""
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def row_group_rows(memory: int) -> int:
    """Rows per row group of a table written under ``memory`` bytes: pyarrow's default
    (2**20) from 2 GiB up, fewer below (2 KiB of budget a row: the group is held twice,
    with the libraries' own memory beside it)."""
    return max(4096, min(1 << 20, memory // 2048))


class Session:
    """A DuckDB connection with a memory limit and threads, its spill and spool files in
    a temporary folder ``<root>/.tmp/.<name>.tmp-<hex>`` removed on exit.

    Parameters
    ----------
    root : Path
        The data root: the temporary folder goes under it, on the same disk as the tables.
    name : str
        Names the folder (a table's name), so ``pipeline.tidy`` finds a dead one.
    memory : int, optional
        The budget in bytes (default DEFAULT_MEMORY); DuckDB gets 1/ENGINE_SHARE of it.
    threads : int, optional
        DuckDB's threads (default ``default_threads()``, fewer when the budget gives
        DuckDB less than THREAD_MEMORY each).
    """

    def __init__(self, root: Path, name: str, memory: int | None = None, threads: int | None = None) -> None:
        self.memory = DEFAULT_MEMORY if memory is None else memory
        self._engine_memory = max(self.memory, MIN_MEMORY) // ENGINE_SHARE
        fit = max(1, min(default_threads(), self._engine_memory // THREAD_MEMORY))
        self.threads = fit if threads is None else threads
        self.folder = Path(root) / TMP_DIR / f".{name}.tmp-{secrets.token_hex(4)}"
        self.con: duckdb.DuckDBPyConnection | None = None
        self._lock = -1
        self._spools = 0
        self.spool_rows = max(4096, min(131_072, self._engine_memory // SPOOL_ROW_BYTES))
        """Rows per row group of a spool file, and per batch read from it."""

    def __enter__(self) -> Session:
        """Make the folder and connect (the folder is removed if DuckDB fails to start)."""
        self.folder.mkdir(parents=True)
        try:
            self._lock = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self._lock, fcntl.LOCK_EX)
            self.con = duckdb.connect(
                ":memory:",  # its tables spill to temp_directory too, and take inserts faster than a file
                config={
                    "memory_limit": f"{self._engine_memory // 1024**2}MiB",
                    "threads": self.threads,
                    "temp_directory": str(self.folder / "spill"),
                    "preserve_insertion_order": False,
                },
            )
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            if self._lock >= 0:
                os.close(self._lock)
            raise
        return self

    def __exit__(self, *exc) -> None:
        """Close the connection and remove the folder (and ``.tmp`` once empty)."""
        if self.con is not None:
            self.con.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        os.close(self._lock)
        try:
            self.folder.parent.rmdir()  # .tmp itself, when no other session uses it
        except OSError:
            pass

    @property
    def row_group_rows(self) -> int:
        """Rows per row group of a table written in this session (``row_group_rows``)."""
        return row_group_rows(self.memory)

    def execute(self, sql: str, params: list | None = None) -> None:
        """Run one statement.

        Raises
        ------
        CTMError
            DuckDB ran out of its memory limit (raise the budget, one line says so).
        """
        try:
            self.con.execute(sql, params or [])
        except duckdb.OutOfMemoryException:
            raise CTMError(
                f"a sum or sort ran out of DuckDB's {self._engine_memory // 1024**2} MiB, half the memory budget "
                f"of {self.memory // 1024**2} MiB; give the reduce more (--memory), e.g. {2 * self.memory // 1024**2}MiB"
            ) from None

    def scalars(self, sql: str) -> tuple:
        """The one row of a query (a count, a sum cast to text for exactness)."""
        return self.con.execute(sql).fetchone()

    def _path(self) -> Path:
        """A new spool file's name in the session's folder."""
        self._spools += 1
        return self.folder / f"spool-{self._spools}.parquet"

    def writer(self, schema: pa.Schema) -> pq.ParquetWriter:
        """A Parquet writer of a new spool file with ``schema`` (its path: ``.where``),
        for rows gathered in Python; each ``write_table`` is a row group."""
        return pq.ParquetWriter(str(self._path()), schema)

    def spool(self, sql: str, ordered: bool = True) -> Path:
        """The rows of query ``sql`` written to a new spool file; ``ordered``: in the
        query's order (an ORDER BY stays in order), else as DuckDB's threads give them.

        DuckDB sums and sorts within its memory limit, spilling the rest.
        """
        path = self._path()
        if ordered:
            self.con.execute("SET preserve_insertion_order = true")
        try:
            self.execute(f"COPY ({sql}) TO {sql_text(path)} (FORMAT parquet, ROW_GROUP_SIZE {self.spool_rows})")
        finally:
            self.con.execute("SET preserve_insertion_order = false")
        return path

    def buckets(self, rows: int) -> int:
        """How many hash buckets a sum of ``rows`` input rows is cut into (``summed``):
        one per BUCKET_ROW_BYTES * rows of DuckDB's memory, at most MAX_BUCKETS."""
        return max(1, min(MAX_BUCKETS, -(-rows * BUCKET_ROW_BYTES // self._engine_memory)))

    def summed(self, sql: str, rows: int) -> str:
        """The rows (string, count) of query ``sql`` (string, count) summed by string, in
        spool files; returns the SQL of a read_parquet of them (in no order).

        A sum of many distinct strings does not fit DuckDB's limit in one hash table
        (145e6 rows of 13e6 strings ran out of 953 MiB), so when ``buckets(rows)`` > 1
        the rows are first written to that many files by hash(string) (one streaming
        pass), then each file is summed alone: each hash table holds its bucket's strings."""
        self._spools += 1
        out = self.folder / f"sum-{self._spools}"
        out.mkdir()
        buckets = self.buckets(rows)
        counts = "CAST(sum(CAST(count AS HUGEINT)) AS DECIMAL(38, 0)) AS count"
        if buckets == 1:
            self.execute(
                f"COPY (SELECT string, {counts} FROM ({sql}) GROUP BY string) TO {sql_text(out / '0.parquet')} "
                f"(FORMAT parquet, ROW_GROUP_SIZE {self.spool_rows})"
            )
            return f"read_parquet({sql_text(out / '*.parquet')})"
        cut = self.folder / f"cut-{self._spools}"
        # a partitioned write buffers rows per bucket until this many (524,288 by default)
        self.con.execute(f"SET partitioned_write_flush_threshold = {self.spool_rows // buckets}")
        self.execute(
            f"COPY (SELECT string, CAST(count AS DECIMAL(38, 0)) AS count, hash(string) % {buckets} AS bucket "
            f"FROM ({sql})) TO {sql_text(cut)} (FORMAT parquet, PARTITION_BY (bucket), ROW_GROUP_SIZE {self.spool_rows})"
        )
        for part in sorted(cut.iterdir()):
            self.execute(
                f"COPY (SELECT string, {counts} FROM read_parquet({sql_text(part / '*.parquet')}) GROUP BY string) "
                f"TO {sql_text(out / (part.name + '.parquet'))} (FORMAT parquet, ROW_GROUP_SIZE {self.spool_rows})"
            )
            shutil.rmtree(part)
        return f"read_parquet({sql_text(out / '*.parquet')})"

    def batches(self, path: Path, schema: pa.Schema | None = None) -> Iterator[pa.RecordBatch]:
        """The record batches of a Parquet file (a spool, or a table), a row group at a
        time; cast to ``schema`` when given."""
        with pq.ParquetFile(str(path)) as parquet:
            for batch in parquet.iter_batches(batch_size=self.spool_rows, use_threads=False):
                if schema is not None and batch.schema != schema:
                    columns = [batch.column(i).cast(f.type) for i, f in enumerate(schema)]
                    batch = pa.RecordBatch.from_arrays(columns, schema=schema)
                yield batch


def release_arrow_memory() -> None:
    """Give memory pyarrow's allocator holds free back to the system: reading and checking
    one partial of 12 MB left 70-87 MB resident in its pool (mimalloc), nothing after this."""
    pa.default_memory_pool().release_unused()


def sql_text(value: str | Path) -> str:
    """``value`` as a SQL string literal (a path for read_parquet)."""
    return "'" + str(value).replace("'", "''") + "'"


def in_use(folder: Path) -> bool:
    """Whether a live session holds ``folder`` (its LOCK_FILE is flocked); the kernel drops
    a dead holder's flock, so a killed reduce's folder is free."""
    try:
        fd = os.open(Path(folder) / LOCK_FILE, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
