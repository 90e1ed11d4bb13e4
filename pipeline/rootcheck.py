"""A data root's two guards: a write probe before any work, and one publisher per table.

``probe_writable`` writes, syncs and removes a small file, so that a full disk, a
read-only mount or a folder owned by another user is one line before anything is counted
instead of a failure per shard after it. ``reduce_lock`` holds an exclusive ``flock`` on
``<root>/partials/<job id>/.reduce.lock`` while a reduce merges, compares with the latest
version and publishes: a second reduce of the same job waits, then finds the same table
and publishes nothing. The kernel drops a flock when its holder dies (killed, or its container gone),
so a dead holder never leaves a stale lock; the file stays, empty, and is reused.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import socket
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import CTMError

LOCK_FILE = ".reduce.lock"
"""The lock file, in the job's partials folder: a reduce needs that folder anyway."""

PROBE_BYTES = 1 << 20
"""Bytes the write probe writes (1 MiB: more than a small partial, less than any real disk)."""

CAUSES = {
    errno.ENOSPC: "its file system is full (no space left on device); free space or choose another --data-dir",
    errno.EDQUOT: "the disk quota is exceeded; free space or choose another --data-dir",
    errno.EROFS: "it is on a read-only file system; mount it read-write or choose another --data-dir",
    errno.EACCES: "permission denied for user {uid}; give that user write access or choose another --data-dir",
    errno.EPERM: "permission denied for user {uid}; give that user write access or choose another --data-dir",
    errno.ENOTDIR: "a file is in the way of the folder; choose another --data-dir",
}


def cause(exc: OSError, root: Path) -> str:
    """One line for an OSError met while writing under ``root``: the root and the cause."""
    known = CAUSES.get(exc.errno)
    reason = known.format(uid=os.getuid()) if known else f"{exc.strerror or exc}"
    return f"cannot write in the data root {root}: {reason}"


def probe_writable(root: Path, size: int = PROBE_BYTES) -> None:
    """Create ``root`` if missing, then write, fsync and remove ``size`` bytes in it.

    Raises
    ------
    CTMError
        One line naming the root and the cause (full, read-only, permission).
    """
    root = Path(root)
    probe = root / f".write-probe-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            block = b"\0" * min(size, 1 << 16)
            left = size
            while left > 0:
                left -= os.write(fd, block[:left])
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise CTMError(cause(exc, root)) from None
    finally:
        try:
            probe.unlink(missing_ok=True)
        except OSError:
            pass


@contextmanager
def reduce_lock(folder: Path):
    """Hold the exclusive reduce lock of a job's partials ``folder`` (waits for a holder).

    Raises
    ------
    CTMError
        When the lock file cannot be created (see ``cause``).
    """
    try:
        fd = os.open(Path(folder) / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise CTMError(cause(exc, Path(folder))) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
