"""One version of a CTM table opened for lookups: which table answers (by name, by
alphabet, the defaults), where it is (the user's data root first, then the shipped
tables), and its rows (``Table``): loaded whole once per version, or, for a table of
INDEX_ROWS rows or more with a lookup index, read a batch at a time from the row groups
it needs (pipeline.lookupindex). ``pipeline.query`` answers from it; the names here are
re-exported there, their public home.
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
from pipeline.lookupindex import INDEX_ROWS, LOOKUP_FILE, ROW_COLUMNS, LookupIndex, numpy_column, shape_of
from pipeline.patterns import keys
from pipeline.reliable import reliable_mask, reliable_values
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

TABLE_NAME = re.compile(r"d(\d+)x(\d+)(-2d)?-(?:s(\d+)|(nocutoff))(-sampled)?(?:-upto(\d+))?")
"""d{n}x{m}[-2d]-s{S}[-sampled], d{n}x{m}-nocutoff or d{n}x{m}-s{S}-upto{L}: states,
symbols, a 2-D space, the step limit (a no-cutoff table's is the space's busy-beaver step
count), a sample, and an exact reading of the outputs of at most L symbols
(``exact_upto``, docs/no-cutoff.md)."""


def _python(value: object) -> object:
    """A numpy scalar as the Python value it holds; anything else as is."""
    return value.item() if isinstance(value, np.generic) else value


def _integer(value: object) -> object:
    """A numpy integer scalar as a Python int (arguments accept both); anything else as is."""
    return int(value) if isinstance(value, np.integer) else value


class NoTable(CTMError):
    """No table exists for the alphabet asked for (as opposed to a misspelt table name)."""


@dataclass(frozen=True)
class Rows:
    """A batch of row keys looked up at once (``Table.rows``): which ones the table has,
    and their values, one entry per key."""

    found: np.ndarray
    """bool, shape (keys,): True where the table has a row for the key."""
    columns: dict[str, np.ndarray]
    """Value columns by name, in the table's answer order, each of shape (keys,);
    meaningless where not ``found``."""

    @cached_property
    def reliable(self) -> np.ndarray:
        """bool, shape (keys,): found, and may be answered with (pipeline.reliable)."""
        return self.found & reliable_values(self.columns, self.found.size)

    def values(self, i: int) -> dict[str, object]:
        """Every value column of key ``i`` as Python values."""
        return {name: _python(column[i]) for name, column in self.columns.items()}


@dataclass(frozen=True)
class _Whole:
    """Every row of a table version, as a whole load reads it."""

    strings: list[str]
    lengths: np.ndarray
    columns: dict[str, np.ndarray]
    index: dict[str, int]
    masses: np.ndarray


@dataclass(frozen=True, eq=False)
class Table:
    """One version of a CTM table, opened for lookups (rows as in table.parquet).

    Opened once per version (cached), and compared and hashed by identity, so derived
    data can be cached per table. A version of fewer than ``INDEX_ROWS`` rows, or one
    without a lookup index, is loaded whole on first use; a larger one with an index
    (pipeline.lookupindex) answers ``rows`` and ``of_shape`` from the row groups they
    need and loads whole only for what needs every row (``strings``, ``columns``, ...:
    plots, pybdm's dataset).
    """

    name: str
    version: int
    symbols: int
    folder: Path
    """The version's directory, holding table.parquet and manifest.json."""
    manifest: dict
    size: int
    """Rows of the table."""
    lookups: LookupIndex | None = field(default=None, repr=False)
    """The version's lookup index when lookups go through it (large tables), else None."""

    @cached_property
    def _whole(self) -> _Whole:
        return _read_whole(self.folder)

    @property
    def strings(self) -> list[str]:
        """Every row's string, in table order (loads the table whole)."""
        return self._whole.strings

    @property
    def lengths(self) -> np.ndarray:
        """Every row's length (a matrix's cells), in table order (loads the table whole)."""
        return self._whole.lengths

    @property
    def columns(self) -> dict[str, np.ndarray]:
        """Value columns by name: K, D, count (int64, or Python ints for decimal128), rank,
        then any others of the file; rank is 1 + the number of rows with a larger count (or
        D). Loads the table whole; lookups use ``rows``."""
        return self._whole.columns

    @property
    def index(self) -> dict[str, int]:
        """String -> row (loads the table whole; lookups use ``rows``)."""
        return self._whole.index

    @cached_property
    def column_names(self) -> list[str]:
        """The value columns' names, in answer order, without loading any row."""
        if self.lookups is None:
            return list(self.columns)
        return _answer_order(self.lookups.value_columns)

    @property
    def masses(self) -> np.ndarray:
        """masses[n]: sum of D over the table's strings of length n; its size is max_length + 1."""
        return self._whole.masses if self.lookups is None else self.lookups.masses

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

    @cached_property
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
    def exact_upto(self) -> dict | None:
        """The manifest's ``exact_upto`` (L, H_low, H_high, bracket_bits, ...) of a table
        that lists only outputs of at most L symbols, each count exact with no step
        cutoff (docs/no-cutoff.md); None for any other table."""
        return self.manifest.get("exact_upto")

    @cached_property
    def shapes(self) -> tuple[int, int]:
        """A 2-D table's most rows and most columns of any output."""
        if self.lookups is not None:
            return self.lookups.max_shape
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
        exact table). Loads the table whole."""
        return reliable_mask(self)

    def values(self, row: int | None) -> dict[str, object]:
        """Every value column of one row (of a whole load) as Python values; None
        everywhere for no row, except count 0 (no machine outputs the string)."""
        if row is None:
            return {name: 0 if name == "count" else None for name in self.column_names}
        return {name: _python(column[row]) for name, column in self.columns.items()}

    def rows(self, keys: list[str]) -> Rows:
        """Look a batch of row keys up at once (normalised strings or matrices, or a sampled
        table's pattern keys: ``key``), through the index when the table has one.

        Parameters
        ----------
        keys : list of str
            The row keys, any number, repeats allowed.

        Returns
        -------
        Rows
            Per key: found or not, and its values (K, D, count, rank, ...).
        """
        if self.lookups is not None:
            found, columns = self.lookups.lookup(keys)
            return Rows(found, {name: columns[name] for name in self.column_names})
        index = self.index
        at = np.fromiter((index.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
        found = at >= 0
        take = np.where(found, at, 0)
        if not self.size:
            return Rows(found, {name: np.zeros(len(keys), column.dtype) for name, column in self.columns.items()})
        return Rows(found, {name: column[take] for name, column in self.columns.items()})

    def of_shape(self, shape: tuple[int, ...]) -> tuple[list[str], dict[str, np.ndarray]]:
        """Every row of one shape ((length,) of a string, (rows, columns) of a matrix), in
        table order (count, or D, descending, then string): their strings and value
        columns. Reads only that shape's row groups of a table with an index.
        """
        if self.lookups is None:
            if self.dims == 1:
                take = np.flatnonzero(self.lengths == shape[0])
            else:
                take = np.array(
                    [i for i, s in enumerate(self.strings) if shape_of(s, 2) == tuple(shape)], dtype=np.int64
                )
            return [self.strings[i] for i in take], {name: column[take] for name, column in self.columns.items()}
        strings, columns = self.lookups.of_shape(tuple(shape))
        order = np.argsort(columns["rank"], kind="stable")  # the index holds them by string
        return [strings[i] for i in order], {name: columns[name][order] for name in self.column_names}


def _answer_order(names: list[str]) -> list[str]:
    """Column names with ANSWER_COLUMNS first, then the rest in their order."""
    first = [c for c in ANSWER_COLUMNS if c in names]
    return first + [c for c in names if c not in first]


def name_parts(name: str) -> tuple[int, int, int, int, bool, int | None] | None:
    """(states, symbols, dims, max_steps, sampled, L) of a table name, or None; L is the
    longest output an exact_upto table lists (``-upto{L}``), else None."""
    m = TABLE_NAME.fullmatch(name)
    if not m:
        return None
    steps = BUSY_BEAVER_STEPS.get((int(m[1]), int(m[2])), 0) if m[5] else int(m[4])
    return int(m[1]), int(m[2]), 2 if m[3] else 1, steps, bool(m[6]), int(m[7]) if m[7] else None


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
    exists, else the largest exact, then sampled, table available; an exact_upto table
    (which lists only short outputs) only when there is no other."""
    present = {info.table for root in roots for info in list_tables(root)}
    if ndim == 2:
        for name in DEFAULT_MATRIX_TABLES:
            if name in present:
                return name
    elif alphabet == 2 or DEFAULT_TABLES.get(alphabet) in present:
        return DEFAULT_TABLES[alphabet]
    found = sorted(
        (p[5] is None, not p[4], p[0], p[3], name)
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
    return found[-1][-1]


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
        Table name, e.g. ``d5x2-s500``, ``d4x2-2d-s2000``, ``d4x4-s2000-sampled`` or
        ``d3x2-s10-upto6`` (an exact reading of the outputs of at most 6 symbols, K in
        [K_low, K_high]: docs/no-cutoff.md); None for the default table of ``alphabet``
        and ``ndim``.
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
            "table name should look like d5x2-s500, d5x2-nocutoff, d4x2-2d-s2000, d4x4-s2000-sampled or "
            f"d3x2-s10-upto6, got {name!r}"
        )
    if alphabet is not None and parts[1] != alphabet:
        raise CTMError(f"table {name} has {parts[1]} symbols but alphabet={alphabet}; pass alphabet={parts[1]}")
    return _load(_locate(name, version, roots).resolve())


def _read_whole(path: Path) -> _Whole:
    """Every row of the version in ``path``, read whole: strings, lengths, value columns
    (rank added), the string -> row dict and D summed per length."""
    # ParquetFile, not read_table: read_table loads pyarrow.dataset, which imports pandas
    data = pq.ParquetFile(path / TABLE_FILE).read()
    strings = data.column("string").to_pylist()
    lengths = numpy_column(data.column("length"))
    columns: dict[str, np.ndarray] = {}
    for name in data.column_names:
        if name in ROW_COLUMNS:
            continue
        column = data.column(name)
        if pa.types.is_decimal(column.type):
            columns[name] = np.array([int(c) for c in column.to_pylist()], dtype=object)
        else:
            columns[name] = numpy_column(column)
    key = -columns["count"] if "count" in columns else -columns["D"]
    columns["rank"] = np.asarray(np.searchsorted(np.sort(key), key, side="left") + 1, dtype=np.int64)
    return _Whole(
        strings=strings,
        lengths=lengths,
        columns={c: columns[c] for c in _answer_order(list(columns))},
        index=dict(zip(strings, range(len(strings)))),
        # a sampled row stands for its pattern's |P| strings
        masses=np.bincount(lengths, weights=columns["D"] * columns["size"] if "size" in columns else columns["D"]),
    )


@lru_cache(maxsize=8)
def _load(path: Path) -> Table:
    """Open one version directory (versions are immutable, so caching by path is safe):
    through its lookup index when it has one and at least ``INDEX_ROWS`` rows, else
    loaded whole."""
    manifest = load_manifest(path.parents[2], path.parent.name, int(path.name[1:]))
    size = pq.ParquetFile(path / TABLE_FILE).metadata.num_rows
    name = manifest["table"]
    parts = name_parts(name)
    dims = int(manifest.get("dims", parts[2] if parts else 1))
    index = None
    if size >= INDEX_ROWS and (path / LOOKUP_FILE).is_file():
        index = LookupIndex(path, dims, path / TABLE_FILE)
    table = Table(
        name=name,
        version=int(manifest["version"]),
        symbols=int(manifest["symbols"]),
        folder=path,
        manifest=manifest,
        size=size,
        lookups=index,
    )
    if index is None:
        _ = table._whole  # read now, as a small table always was
    return table


@lru_cache(maxsize=8)
def _alphabets_near(root: Path) -> tuple[int, ...]:
    """The alphabets with a table in ``root`` or shipped (for hints, once per root)."""
    return tuple(alphabets(root))
