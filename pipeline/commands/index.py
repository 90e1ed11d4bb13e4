"""``ctm index``: add the lookup index (pipeline.lookupindex) to a version that has none.

A version published with at least INDEX_ROWS rows gets its index when it is published
(pipeline.tables.publish); this command builds one for a version published before that,
or rebuilds a damaged one. Versions are immutable except for this derived file: the
rows, the manifest's other fields and every other file stay as they are, and the index's
checksum joins the manifest's ``files``.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

import click

from pipeline.commands.batch import DATA_DIR, VERSION
from pipeline.errors import CTMError


def index_version(root: Path, table: str, version: int | None = None) -> Path:
    """Write the lookup index of one version in ``root`` and record it in its manifest.

    Parameters
    ----------
    root : Path
        The data root holding ``tables/<table>/v<k>/``.
    table : str
        The table's name, e.g. ``d6x2-s500``.
    version : int, optional
        The version; None for the latest.

    Returns
    -------
    Path
        The index file written (``<version folder>/lookup.parquet``).

    Raises
    ------
    CTMError
        An unknown table or version, or a version shipped with the package (small tables,
        loaded whole, whose files are the package's).
    """
    from pipeline.lookupindex import LOOKUP_FILE
    from pipeline.lookupwrite import write_lookup
    from pipeline.tables import MANIFEST_FILE, TABLE_FILE, file_sha256, is_shipped, table_path

    folder = table_path(root, table, version)
    if is_shipped(root, table, int(folder.name[1:])):
        raise CTMError(
            f"table {table} {folder.name} ships with the package and is loaded whole; "
            f"index versions in your own data root (--data-dir)"
        )
    write_lookup(folder, TABLE_FILE, force=True)
    manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest.setdefault("files", {})[LOOKUP_FILE] = file_sha256(folder / LOOKUP_FILE)
    tmp = folder / f".{MANIFEST_FILE}.tmp-{secrets.token_hex(4)}"
    tmp.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, folder / MANIFEST_FILE)
    return folder / LOOKUP_FILE


@click.command()
@click.argument("table")
@VERSION
@DATA_DIR
def index(table, version, data_dir):
    """Build TABLE's lookup index (lookup.parquet beside its table.parquet).

    Lookups in a table of at least a million rows read only the row groups they need
    through it (1,000 strings in well under a second, whatever the table's size); a
    version gets one when it is published, so this is for versions published before
    that. It adds one file and its checksum in the manifest, and changes nothing else.

    \b
    Example:
      ctm index d5x2-2d-s2000 --data-dir /scratch/ctm
    """
    from pipeline.tables import data_root

    began = time.perf_counter()
    path = index_version(data_root(data_dir), table, version)
    size = path.stat().st_size / 2**20
    click.echo(f"{path} ({size:.1f} MiB, {time.perf_counter() - began:.1f} s)")
