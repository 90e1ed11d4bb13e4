"""Ship a table: copy a version into another data root (the package's data/), keeping
only its short outputs, so that a large table travels within the data budget.

The copy is a new version of the same table in the target root; its rows are the
source's own (D and K unchanged: they were computed over every machine), its manifest
the source's plus ``subset``, which names the source version and says what was kept.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.bounded import Session, sql_text
from pipeline.errors import CTMError
from pipeline.lookupindex import LOOKUP_FILE
from pipeline.tables import TABLE_FILE, RowChecksum, RowStream, TableInfo, publish


def kept_rows(rows: pa.Table | pa.RecordBatch, dims: int, max_length: int) -> pa.Table | pa.RecordBatch:
    """Rows of outputs up to ``max_length`` symbols (2-D: rows and columns each)."""
    if dims == 2:
        keep = pc.and_(pc.less_equal(rows["rows"], max_length), pc.less_equal(rows["cols"], max_length))
    else:
        keep = pc.less_equal(rows["length"], max_length)
    return rows.filter(keep)


def _kept_sql(dims: int, max_length: int | None) -> str:
    """``kept_rows`` as a SQL condition."""
    if max_length is None:
        return "TRUE"
    if dims == 2:
        return f"rows <= {int(max_length)} AND cols <= {int(max_length)}"
    return f"length <= {int(max_length)}"


def _checksum(session: Session, select: str) -> str:
    """``row_checksum`` of the (string, count) rows of ``select``, sorted by string in DuckDB."""
    checksum = RowChecksum()
    for batch in session.batches(session.spool(f"{select} ORDER BY string")):
        checksum.update(batch.column(0), batch.column(1))
    return checksum.hexdigest()


def ship(info: TableInfo, to_root: Path, max_length: int | None, memory: int | None = None) -> TableInfo:
    """Publish ``info``'s rows (those up to ``max_length``, or all) as the next version of
    its table in ``to_root``.

    D and K stay those of the source (over every machine); the manifest's ``subset``
    records the source version, its row checksum and the rows kept. Files beside the
    table (a no-cutoff table's late halts) travel with it, whole. Rows are read, filtered
    and written a row group at a time, and checksummed in DuckDB within ``memory``.

    Parameters
    ----------
    info : TableInfo
        The source version (``tables.list_tables``).
    to_root : Path
        The data root to publish into, e.g. the package's shipped tables.
    max_length : int, optional
        Keep outputs of at most this many symbols (2-D: rows and columns each); None
        keeps every row.
    memory : int, optional
        The budget in bytes (``bounded.DEFAULT_MEMORY`` when None).

    Returns
    -------
    TableInfo
        The version published.

    Raises
    ------
    CTMError
        A max_length that is not a positive integer.
    """
    if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1):
        raise CTMError(f"max_length should be a positive integer, got {max_length!r}")
    source = info.path / TABLE_FILE
    dims = int(info.manifest.get("dims", 1))
    schema = pq.read_schema(source)
    counts = "count" if "count" in schema.names else "hits"
    with Session(to_root, info.table, memory) as session:
        session.execute(f"CREATE VIEW source AS SELECT * FROM read_parquet({sql_text(source)})")
        keep = _kept_sql(dims, max_length)
        total, kept = session.scalars(f"SELECT count(*), count(*) FILTER (WHERE {keep}) FROM source")
        select = f"SELECT string, {counts} FROM source"
        of_source = _checksum(session, select)
        checksum = of_source if max_length is None else _checksum(session, f"{select} WHERE {keep}")

        def rows():
            for batch in session.batches(source, schema):
                yield batch if max_length is None else kept_rows(batch, dims, max_length)

        manifest = copy.deepcopy(info.manifest)
        for key in ("table", "version", "parent", "row_checksum", "files"):
            manifest.pop(key, None)
        manifest["subset"] = {
            "of": {"table": info.table, "version": info.version, "row_checksum": info.manifest.get("row_checksum")},
            "max_length": max_length,
            "rows": kept,
            "rows_of_source": total,
            "row_checksum_of_source": of_source,
            "kept": (
                "every row"
                if max_length is None
                else f"outputs of at most {max_length} "
                + ("symbols" if dims == 1 else "rows and columns")
                + "; D and K as in the source (over every machine)"
            ),
        }
        if manifest.get("coverage") == "sampled" and max_length is not None:
            sampled = manifest["sampled"]
            shorter = sampled.get("max_length")
            sampled["max_length"] = max_length if shorter is None else min(shorter, max_length)
        manifest["strings"] = kept
        # files beside the table (a no-cutoff table's late halts) travel with it, whole
        extra = {
            name: RowStream(
                pq.read_schema(info.path / name),
                lambda path=info.path / name: session.batches(path, pq.read_schema(path)),
                row_group_rows=session.row_group_rows,
            )
            for name in info.manifest.get("files", {})
            if name not in (TABLE_FILE, LOOKUP_FILE)
        }
        return publish(
            Path(to_root), info.table, RowStream(schema, rows, checksum, session.row_group_rows), manifest, extra
        )


def version_bytes(info: TableInfo) -> int:
    """Bytes of every file of a table version (table, manifest, lookup index, late halts)."""
    return sum(path.stat().st_size for path in info.path.iterdir() if path.is_file())


def _shipped(infos: list[TableInfo], to_root: Path, max_length: int | None, memory: int | None) -> list[TableInfo]:
    """``ship`` each of ``infos`` into ``to_root`` with the same ``max_length``."""
    return [ship(info, to_root, max_length, memory) for info in infos]


def ship_within(
    infos: list[TableInfo], to_root: Path, budget: int, memory: int | None = None
) -> tuple[int, list[TableInfo]]:
    """Ship ``infos`` (the tables of one run, e.g. an exact_upto job's plain table and
    its exact reading) with the longest max_length whose copies fit ``budget`` bytes.

    Each candidate length is shipped into a scratch root beside ``to_root`` and weighed
    there (a Parquet file's size is known only once written), starting from an estimate
    (rows up to each length times the tables' bytes per row) and moving a length at
    a time; the length chosen is then shipped into ``to_root``.

    Parameters
    ----------
    infos : list of TableInfo
        Source versions (``tables.list_tables``), 1-D, shipped with one max_length.
    to_root : Path
        The data root to publish into.
    budget : int
        Bytes all the copies together may take (every file of each version).
    memory : int, optional
        The DuckDB budget in bytes of each copy (``bounded.DEFAULT_MEMORY`` when None).

    Returns
    -------
    tuple of (int, list of TableInfo)
        The max_length chosen and the versions published in ``to_root``.

    Raises
    ------
    CTMError
        A 2-D table, or a budget that not even outputs of one symbol fit.
    """
    import tempfile

    if any(int(info.manifest.get("dims", 1)) != 1 for info in infos):
        raise CTMError("ship --fit is for 1-D tables (strings cut by length); ship a 2-D table with --max-length")
    rows_by_length: dict[int, int] = {}
    size = rows = 0
    with Session(to_root, infos[0].table, memory) as session:
        for info in infos:
            source = info.path / TABLE_FILE
            size += source.stat().st_size
            for length, n in session.con.execute(
                f"SELECT length, count(*) FROM read_parquet({sql_text(source)}) GROUP BY length"
            ).fetchall():
                rows_by_length[length] = rows_by_length.get(length, 0) + n
                rows += n
    longest = max(rows_by_length, default=1)
    per_row = size / max(1, rows)
    guess, rows = 1, 0
    for length in sorted(rows_by_length):
        rows += rows_by_length[length]
        if rows * per_row > budget:
            break
        guess = length
    to_root = Path(to_root)
    to_root.mkdir(parents=True, exist_ok=True)
    weighed: dict[int, int] = {}

    def weigh(length: int) -> int:
        if length not in weighed:
            with tempfile.TemporaryDirectory(prefix=".fit-", dir=to_root) as scratch:
                weighed[length] = sum(version_bytes(i) for i in _shipped(infos, Path(scratch), length, memory))
        return weighed[length]

    length = guess
    while length > 1 and weigh(length) > budget:
        length -= 1
    if weigh(length) > budget:
        raise CTMError(f"ship --fit {budget} bytes: even outputs of 1 symbol take {weigh(length)} bytes")
    while length < longest and weigh(length + 1) <= budget:
        length += 1
    return length, _shipped(infos, to_root, length, memory)
