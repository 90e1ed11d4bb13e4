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
