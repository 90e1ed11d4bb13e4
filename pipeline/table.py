"""One version of a CTM table opened for lookups: which table answers (by name, by
alphabet, the defaults), where it is (the user's data root first, then the shipped
tables), and its columns loaded once per version (``Table``). ``pipeline.query`` answers
from it; the names here are re-exported there, their public home.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import CTMError
from pipeline.patterns import keys
from pipeline.reliable import reliable_mask
from pipeline.space import BUSY_BEAVER_STEPS
from pipeline.tables import TABLE_FILE, data_root, list_tables, load_manifest, shipped_root, source_of, table_path

DEFAULT_TABLES = {
    2: "d5x2-s500",
    4: "d4x4-s2000-sampled",
    5: "d4x5-s2000-sampled",
    6: "d4x6-s2000-sampled",
    9: "d4x9-s4000-sampled",
}
"""Default table per alphabet (when it exists): (5,2) S=500, the table acss's K.2 and
pybdm's CTM-B2-D12 come from, and the sampled spaces of acss's K.4, K.5, K.6 and K.9."""

DEFAULT_MATRIX_TABLES = ("d5x2-2d-s2000", "d5x2-2d-s2000-sampled", "d4x2-2d-s2000")
"""Binary matrices: the first of these that exists ((5,2) 2-D is the space of the
published 2-D table, pybdm's and OACC's)."""

ANSWER_COLUMNS = ("K", "D", "count", "rank")
"""Columns of every answer, in order. A table's other value columns (a sampled table's
K_se, D_se, hits) follow them in answers, frames and JSON, as they come in the file."""

ROW_COLUMNS = ("string", "length", "rows", "cols", "cells", "sum_mass", "sum_mass2", "sum_mass_h")
"""Columns that name a row rather than give a value."""

TABLE_NAME = re.compile(r"d(\d+)x(\d+)(-2d)?-(?:s(\d+)|(nocutoff))(-sampled)?")
"""d{n}x{m}[-2d]-s{S}[-sampled] or d{n}x{m}-nocutoff: states, symbols, a 2-D space, the
step limit (a no-cutoff table's is the space's busy-beaver step count), a sample."""


def _python(value: object) -> object:
    """A numpy scalar as the Python value it holds; anything else as is."""
    return value.item() if isinstance(value, np.generic) else value


def _integer(value: object) -> object:
    """A numpy integer scalar as a Python int (arguments accept both); anything else as is."""
    return int(value) if isinstance(value, np.integer) else value


class NoTable(CTMError):
    """No table exists for the alphabet asked for (as opposed to a misspelt table name)."""


@dataclass(frozen=True, eq=False)
class Table:
    """One version of a CTM table, loaded for lookups (rows as in table.parquet).

    Loaded once per version (cached), and compared and hashed by identity, so derived
    data can be cached per table.
    """

    name: str
    version: int
    symbols: int
    folder: Path
    """The version's directory, holding table.parquet and manifest.json."""
    manifest: dict
    strings: list[str]
    lengths: np.ndarray
    columns: dict[str, np.ndarray]
    """Value columns by name: K, D, count (int64, or Python ints for decimal128), rank, then
    any others of the file. rank is 1 + the number of rows with a larger count (or D)."""
    index: dict[str, int] = field(repr=False)
    """String -> row."""
    masses: np.ndarray = field(repr=False)
    """masses[n]: sum of D over the table's strings of length n; its size is max_length + 1."""

    @property
    def K(self) -> np.ndarray:
        """K (bits) of each row: -log2 D."""
        return self.columns["K"]

    @property
    def D(self) -> np.ndarray:
        """D of each row: the output's algorithmic probability, its share of the halting
        machines (estimated, in a sampled table)."""
        return self.columns["D"]

    @property
    def counts(self) -> np.ndarray:
        """Halting machines that output each row's string (exact tables)."""
        return self.columns["count"]

    @property
    def ranks(self) -> np.ndarray:
        """Rank of each row: 1 + the number of rows with a larger count (or D)."""
        return self.columns["rank"]

    @property
    def max_length(self) -> int:
        """Longest output length in the table (the size of ``masses`` less one)."""
        return self.masses.size - 1

    @cached_property
    def dims(self) -> int:
        """1 for strings, 2 for matrices."""
        parts = name_parts(self.name)
        return int(self.manifest.get("dims", parts[2] if parts else 1))

    @property
    def sampled(self) -> bool:
        """True for a table estimated by sampling (its values carry standard errors)."""
        return self.manifest.get("coverage") == "sampled"

    @cached_property
    def shapes(self) -> tuple[int, int]:
        """A 2-D table's most rows and most columns of any output."""
        rows = [s.count("-") + 1 for s in self.strings]
        cols = [len(s.split("-", 1)[0]) for s in self.strings]
        return max(rows, default=0), max(cols, default=0)

    def key(self, normalized: str) -> str:
        """The row key of a normalised input: itself, or its pattern in a sampled table."""
        return keys([normalized], self.dims)[0] if self.sampled else normalized

    @property
    def label(self) -> str:
        """The table's name and version, e.g. ``d5x2-s500 v1``, as messages show it."""
        return f"{self.name} v{self.version}"

    @cached_property
    def source(self) -> str:
        """``shipped``, or the data root this version comes from: tells apart two tables of
        the same name and version (the shipped one, and one computed into a data root).
        Worked out once per table (it resolves paths), not once per answer."""
        return source_of(self.folder)

    @cached_property
    def reliable(self) -> np.ndarray:
        """Per row: may it be answered with (pipeline.reliable's one rule; all True for an
        exact table)."""
        return reliable_mask(self)

    def values(self, row: int | None) -> dict[str, object]:
        """Every value column of one row as Python values; None everywhere for no row,
        except count 0 (no machine outputs the string)."""
        if row is None:
            return {name: 0 if name == "count" else None for name in self.columns}
        return {name: _python(column[row]) for name, column in self.columns.items()}


def name_parts(name: str) -> tuple[int, int, int, int, bool] | None:
    """(states, symbols, dims, max_steps, sampled) of a table name, or None."""
    m = TABLE_NAME.fullmatch(name)
    if not m:
        return None
    steps = BUSY_BEAVER_STEPS.get((int(m[1]), int(m[2])), 0) if m[5] else int(m[4])
    return int(m[1]), int(m[2]), 2 if m[3] else 1, steps, bool(m[6])


def _roots(data_dir: str | Path | None) -> list[Path]:
    """Where tables are looked for, in order: the user's data root, then the shipped tables."""
    user, shipped = data_root(data_dir), shipped_root()
    return [user] if user.resolve() == shipped.resolve() else [user, shipped]


def alphabets(data_dir: str | Path | None = None) -> list[int]:
    """Alphabets (symbol counts) that have a table, in the data root or shipped."""
    found = {
        p[1] for root in _roots(data_dir) for info in list_tables(root) if (p := name_parts(info.table)) and p[2] == 1
    }
    return sorted(found | {2})


def _default_name(alphabet: int, roots: list[Path], ndim: int = 1) -> str:
    """The table for ``alphabet`` symbols (strings) or for matrices: the default when it
    exists, else the largest exact, then sampled, table available."""
    present = {info.table for root in roots for info in list_tables(root)}
    if ndim == 2:
        for name in DEFAULT_MATRIX_TABLES:
            if name in present:
                return name
    elif alphabet == 2 or DEFAULT_TABLES.get(alphabet) in present:
        return DEFAULT_TABLES[alphabet]
    found = sorted(
        (not p[4], p[0], p[3], name)
        for name in present
        if (p := name_parts(name)) and p[1] == alphabet and p[2] == ndim
    )
    if not found:
        have = sorted({p[1] for name in present if (p := name_parts(name)) and p[2] == ndim})
        kind = "matrices" if ndim == 2 else f"alphabet {alphabet}"
        raise NoTable(
            f"no table for {kind} yet (tables exist for alphabet {', '.join(map(str, have)) or 'none'}): "
            f"use one of those, name a table, or compute one with `ctm run` (a job like jobs/d4x6.toml with symbols = {alphabet})"
        )
    return found[-1][3]


def _locate(name: str, version: int | None, roots: list[Path]) -> Path:
    """The directory of (name, version): the first root that has it wins."""
    errors = []
    for root in roots:
        if not (root / "tables" / name).is_dir():
            continue
        try:
            return table_path(root, name, version)
        except CTMError as exc:
            errors.append(exc)
    if errors:
        raise errors[0]
    known = sorted({info.table for root in roots for info in list_tables(root)})
    raise CTMError(
        f"unknown table {name!r}; tables found: {', '.join(known) or 'none'} "
        f"(looked in {', '.join(str(r) for r in roots)})"
    )


def check_alphabet(alphabet: object) -> None:
    """Raise CTMError unless ``alphabet`` is None or an integer from 2 to 10."""
    if alphabet is not None and (
        isinstance(alphabet, bool) or not isinstance(alphabet, int) or not 2 <= alphabet <= 10
    ):
        raise CTMError(f"alphabet should be an integer from 2 to 10, got {alphabet!r}")


def open_table(
    table: str | None = None,
    version: int | None = None,
    *,
    alphabet: int | None = None,
    data_dir: str | Path | None = None,
    ndim: int = 1,
) -> Table:
    """Load a table version (None = latest; table None = the default for ``alphabet``, 2 if
    None, of strings or, with ``ndim=2``, of matrices); cached, one object per version.

    Parameters
    ----------
    table : str, optional
        Table name, e.g. ``d5x2-s500``, ``d4x2-2d-s2000`` or ``d4x4-s2000-sampled``; None
        for the default table of ``alphabet`` and ``ndim``.
    version : int, optional
        Version number (1, 2, ...); None for the latest.
    alphabet : int, optional
        Symbols, 2 to 10; with a table name it must match the table's symbols.
    data_dir : str or Path, optional
        Data root looked in before the shipped tables (default: CTM_DATA_DIR or ./data);
        the first root holding the table wins.
    ndim : {1, 2}
        1 for a table of strings, 2 for one of matrices (used when ``table`` is None).

    Returns
    -------
    Table
        The version's rows (strings; K in bits, D, count, rank) and its manifest.

    Raises
    ------
    NoTable
        No table exists for ``alphabet`` (or for matrices): a CTMError.
    CTMError
        An alphabet outside 2 to 10, a version that is not a positive integer, a table
        name of the wrong form, an alphabet that is not the named table's, or an unknown
        table or version (the message lists those found).
    """
    alphabet, version = _integer(alphabet), _integer(version)
    check_alphabet(alphabet)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
        raise CTMError(f"version should be a positive integer, got {version!r}")
    roots = _roots(data_dir)
    name = _default_name(alphabet or 2, roots, ndim) if table is None else table
    parts = name_parts(name)
    if parts is None:
        raise CTMError(
            f"table name should look like d5x2-s500, d5x2-nocutoff, d4x2-2d-s2000 or d4x4-s2000-sampled, got {name!r}"
        )
    if alphabet is not None and parts[1] != alphabet:
        raise CTMError(f"table {name} has {parts[1]} symbols but alphabet={alphabet}; pass alphabet={parts[1]}")
    return _load(_locate(name, version, roots).resolve())


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


def _numpy(column: pa.ChunkedArray) -> np.ndarray:
    """A numeric column as a (read-only) numpy array over Arrow's own buffer, without
    pyarrow's to_numpy, which imports pandas (``ctm query`` runs without it)."""
    array = column.combine_chunks()
    dtype = _NUMPY.get(str(array.type))
    if dtype is None or array.null_count:
        return array.to_numpy(zero_copy_only=False)
    return np.frombuffer(
        array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset * np.dtype(dtype).itemsize
    )


@lru_cache(maxsize=8)
def _load(path: Path) -> Table:
    """Read one version directory (versions are immutable, so caching by path is safe)."""
    manifest = load_manifest(path.parents[2], path.parent.name, int(path.name[1:]))
    # ParquetFile, not read_table: read_table loads pyarrow.dataset, which imports pandas
    data = pq.ParquetFile(path / TABLE_FILE).read()
    strings = data.column("string").to_pylist()
    lengths = _numpy(data.column("length"))
    columns: dict[str, np.ndarray] = {}
    for name in data.column_names:
        if name in ROW_COLUMNS:
            continue
        column = data.column(name)
        if pa.types.is_decimal(column.type):
            columns[name] = np.array([int(c) for c in column.to_pylist()], dtype=object)
        else:
            columns[name] = _numpy(column)
    key = -columns["count"] if "count" in columns else -columns["D"]
    columns["rank"] = np.asarray(np.searchsorted(np.sort(key), key, side="left") + 1, dtype=np.int64)
    first = [c for c in ANSWER_COLUMNS if c in columns]
    return Table(
        name=manifest["table"],
        version=int(manifest["version"]),
        symbols=int(manifest["symbols"]),
        folder=path,
        manifest=manifest,
        strings=strings,
        lengths=lengths,
        columns={c: columns[c] for c in first + [c for c in columns if c not in first]},
        index=dict(zip(strings, range(len(strings)))),
        # a sampled row stands for its pattern's |P| strings
        masses=np.bincount(lengths, weights=columns["D"] * columns["size"] if "size" in columns else columns["D"]),
    )


@lru_cache(maxsize=8)
def _alphabets_near(root: Path) -> tuple[int, ...]:
    """The alphabets with a table in ``root`` or shipped (for hints, once per root)."""
    return tuple(alphabets(root))
