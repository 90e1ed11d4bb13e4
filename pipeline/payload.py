"""A task's partials as bytes: packed on the worker, checked and written by the driver.

A worker never writes into the data root: it packs each partial it made (compressed
Parquet) with its SHA-256 and hands them back with its kernel version and address. The
driver (``pipeline.run``) checks the bytes against their digest, the kernel against its
own, validates each file under a hidden temporary name and renames it into place, so
the data root needs to be seen by the driver alone (docs/multi-host.md).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

COMPRESSION = "zstd"
"""Parquet compression of every partial, packed or written."""


@dataclass(frozen=True)
class Packed:
    """One file of a partial, as bytes."""

    name: str
    """Its file name under ``partials/<job_id>/`` (``partials.partial_name`` and the like)."""
    data: bytes
    """The whole Parquet file, compressed (COMPRESSION)."""
    sha256: str
    """Hex SHA-256 of ``data``, computed where it was packed."""


@dataclass(frozen=True)
class Bundle:
    """A partial of one shard (or batch): its main file and the row sets beside it."""

    shard: int
    main: Packed
    """The file whose metadata holds the totals and the checksums of the others."""
    beside: tuple[Packed, ...] = ()
    """Row sets of their own (exact_upto's late outputs, late-halting classes), written first."""


@dataclass(frozen=True)
class Counted:
    """What a task hands back: its partials, and where and with what they were made."""

    shards: tuple[int, ...]
    part: int
    """The part's number in its cut (0 for a whole walk or a batch)."""
    bundles: tuple[Bundle, ...]
    """One per shard, in the order of ``shards``."""
    kernel: str
    """The worker's kernel version (``kernel.kernel_version``)."""
    worker: str
    """The worker's address (``worker_address``)."""
    kernel_seconds: float


class InvalidPartial(Exception):
    """A partial that must not be merged; the message says why (``pipeline.partials``)."""


class Rejected(Exception):
    """A result the driver does not write; the message, one line, names the part and why."""


def worker_address() -> str:
    """The Dask worker running this task (its address), or ``local:<host>:<pid>`` outside one."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):  # not in a Dask worker: a direct call
        return f"local:{socket.gethostname()}:{os.getpid()}"


def pack(name: str, rows: pa.Table) -> Packed:
    """``rows`` (with their schema metadata) as compressed Parquet bytes and their SHA-256.

    Arrow writes into a buffer of its own (no Python file object: see
    ``partials.read_partial``)."""
    sink = pa.BufferOutputStream()
    pq.write_table(rows, sink, compression=COMPRESSION)
    data = sink.getvalue().to_pybytes()
    return Packed(name, data, hashlib.sha256(data).hexdigest())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temporary(path: Path) -> Path:
    """A hidden temporary name beside ``path`` (``.<name>.tmp-<hex>``: ``pipeline.tidy``
    removes a dead writer's)."""
    return path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")


def commit(tmp: Path, path: Path) -> None:
    """Make the finished temporary ``tmp`` the file ``path``: fsync, rename, fsync the folder."""
    _fsync(tmp)
    os.replace(tmp, path)
    _fsync(path.parent)


def store(folder: Path, bundle: Bundle, check: Callable[[Path, str, dict[str, Path]], object]) -> None:
    """Write a bundle's files into ``folder`` once every digest matches and ``check`` passes.

    Each file goes to a hidden temporary name first; ``check(path, name, beside)``
    validates the main file (its temporary path and own name) with the others (name ->
    temporary path) before anything is renamed.
    The files beside go in place first and the main file last, so a main file present
    is a partial whole (a reader finds the others by name).

    Parameters
    ----------
    folder : Path
        The job's partials folder (made if missing).
    bundle : Bundle
        The files, as a worker packed them.
    check : callable
        ``(main path, main name, {name: path of a file beside})`` -> anything; raises
        InvalidPartial for a partial that must not be merged.

    Raises
    ------
    Rejected
        Bytes that do not match their SHA-256, or a partial ``check`` refuses: one
        line naming the file.
    OSError
        A file or the folder that cannot be written.
    """
    files = (*bundle.beside, bundle.main)
    for packed in files:
        if hashlib.sha256(packed.data).hexdigest() != packed.sha256:
            raise Rejected(f"{packed.name}: its bytes do not match the SHA-256 the worker sent (damaged on the way)")
    folder.mkdir(parents=True, exist_ok=True)
    temps = {packed.name: temporary(folder / packed.name) for packed in files}
    try:
        for packed in files:
            temps[packed.name].write_bytes(packed.data)
        try:
            check(temps[bundle.main.name], bundle.main.name, {p.name: temps[p.name] for p in bundle.beside})
        except InvalidPartial as exc:
            raise Rejected(f"{bundle.main.name}: {exc}") from None
        for packed in files:
            commit(temps[packed.name], folder / packed.name)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
