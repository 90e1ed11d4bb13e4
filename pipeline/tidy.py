"""Remove what dead writers left behind: temporary partials, table versions and the
reducer's spill folders.

Writers work under a hidden temporary name (``.<name>.tmp-<hex>``) and rename it when
done, so a writer killed mid-way leaves that name behind. ``ctm status``, ``submit``,
``reduce`` and ``run`` remove a job's temporaries once they are STALE_AFTER old.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

from pipeline.bounded import TMP_DIR, in_use
from pipeline.partials import partials_dir
from pipeline.spec import JobSpec

STALE_AFTER = 3600
"""Seconds after its last change at which a temporary is a dead writer's: a live one
writes one partial or one table version in seconds (the (5,2) table in well under a
minute), so an hour leaves a wide margin."""

TEMPORARY = re.compile(r"^\..+\.tmp-[0-9a-f]+$")
"""The hidden names writers use (partials: .000012.parquet.tmp-1a2b3c4d; table
versions: .v3.tmp-1a2b3c4d; a reduce's DuckDB session under <root>/.tmp:
.d5x2-s500.tmp-1a2b3c4d)."""


def _last_change(path: Path) -> float:
    times = [path.lstat().st_mtime]
    if path.is_dir() and not path.is_symlink():
        times += [p.lstat().st_mtime for p in path.rglob("*")]
    return max(times)


def stale(root: Path, spec: JobSpec, now: float | None = None) -> list[Path]:
    """Temporaries of ``spec``'s partials, of its table's versions and of its reduce's
    session (``bounded.Session``, unless a live one holds it) under ``root`` whose last
    change is STALE_AFTER or more seconds before ``now``."""
    now = time.time() if now is None else now
    found = []
    for folder, prefix in (
        (partials_dir(root, spec.job_id), "."),
        (Path(root) / "tables" / spec.table, "."),
        (Path(root) / TMP_DIR, f".{spec.table}.tmp-"),
    ):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            try:
                if (
                    TEMPORARY.match(path.name)
                    and path.name.startswith(prefix)
                    and now - _last_change(path) >= STALE_AFTER
                    and not (folder.name == TMP_DIR and in_use(path))
                ):
                    found.append(path)
            except FileNotFoundError:  # its writer finished or removed it meanwhile
                continue
    return found


def remove_stale(root: Path, spec: JobSpec) -> list[Path]:
    """Remove the stale temporaries of ``spec`` under ``root``; the paths removed."""
    removed = []
    for path in stale(root, spec):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        if not path.exists():
            removed.append(path)
    return removed
