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

from pipeline.errors import CTMError
from pipeline.lookupindex import LOOKUP_FILE
from pipeline.tables import TABLE_FILE, TableInfo, load_table, publish, row_checksum


def kept_rows(rows: pa.Table, dims: int, max_length: int) -> pa.Table:
    """Rows of outputs up to ``max_length`` symbols (2-D: rows and columns each)."""
    if dims == 2:
        keep = pc.and_(pc.less_equal(rows["rows"], max_length), pc.less_equal(rows["cols"], max_length))
    else:
        keep = pc.less_equal(rows["length"], max_length)
    return rows.filter(keep)


def ship(info: TableInfo, to_root: Path, max_length: int | None) -> TableInfo:
    """Publish ``info``'s rows (those up to ``max_length``, or all) as the next version of
    its table in ``to_root``.

    D and K stay those of the source (over every machine); the manifest's ``subset``
    records the source version, its row checksum and the rows kept. Files beside the
    table (a no-cutoff table's late halts) travel with it, whole.

    Parameters
    ----------
    info : TableInfo
        The source version (``tables.list_tables``).
    to_root : Path
        The data root to publish into, e.g. the package's shipped tables.
    max_length : int, optional
        Keep outputs of at most this many symbols (2-D: rows and columns each); None
        keeps every row.

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
    rows = load_table(info.path.parents[2], info.table, info.version)
    dims = int(info.manifest.get("dims", 1))
    kept = rows if max_length is None else kept_rows(rows, dims, max_length)
    counts = "count" if "count" in rows.column_names else "hits"
    manifest = copy.deepcopy(info.manifest)
    for key in ("table", "version", "parent", "row_checksum", "files"):
        manifest.pop(key, None)
    manifest["subset"] = {
        "of": {"table": info.table, "version": info.version, "row_checksum": info.manifest.get("row_checksum")},
        "max_length": max_length,
        "rows": kept.num_rows,
        "rows_of_source": rows.num_rows,
        "row_checksum_of_source": row_checksum(rows["string"], rows[counts]),
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
    manifest["strings"] = kept.num_rows
    # files beside the table (a no-cutoff table's late halts) travel with it, whole
    extra = {
        name: pq.read_table(info.path / name)
        for name in info.manifest.get("files", {})
        if name not in (TABLE_FILE, LOOKUP_FILE)
    }
    return publish(Path(to_root), info.table, kept, manifest, extra)
