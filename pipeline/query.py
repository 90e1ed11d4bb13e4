"""Answer "how complex is this string?" from a CTM table, like R's acss: lookups and ``acss()``.

Strings are looked up by their normalised form (first symbol 0, next new symbol 1, ...),
as acss and pybdm do; over a full table every renaming of a string has the same count,
so this loses nothing (a partial table holds blank-0 counts, and answers with the
normalised form's count). Matrices (``ndim=2``: "010-111" or 2-D arrays) are looked up
the same way in the 2-D tables. A sampled table's rows are patterns (pipeline.patterns):
a string is answered by its pattern's row, with the standard errors of D and K, and NA
when that row is not reliable (pipeline.reliable: K_se above 0.5 bits; acss drops
rarely seen patterns too). Tables are found in the user's data root first, then among
the tables shipped with the package. Every function takes a batch (pipeline.inputs) and
gives one answer per input, NA with a reason where it has none (pipeline.batch).
Definitions follow acss 0.3 (Gauvrit, Singmann, Soler-Toscano & Zenil 2016, R/acss.R);
``pipeline.measures`` holds the rest of acss's functions and ``pipeline.bdm`` pybdm's.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.batch import check_errors, index, settle
from pipeline.errors import CTMError
from pipeline.inputs import NA, Item, auto_ndim, items
from pipeline.patterns import keys
from pipeline.patterns import normalized as normalize_matrix
from pipeline.reliable import UNRELIABLE, reliable_mask, why_unreliable
from pipeline.space import BUSY_BEAVER_STEPS
from pipeline.tables import TABLE_FILE, data_root, list_tables, load_manifest, shipped_root, source_of, table_path

if TYPE_CHECKING:
    import pandas as pd

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
BDM_HINT = "estimate it with BDM instead (pipeline.bdm.bdm, or ctm bdm)"
BDM_HINT_2D = "estimate it with BDM instead (pipeline.bdm.bdm with ndim=2, or ctm bdm --2d)"

# Kinds of NA that lookups give (pipeline.inputs has those of the inputs themselves).
TOO_MANY = "more symbols than the table"
TOO_LONG = "longer than any output"
NOT_PRODUCED = "not produced"
NO_TABLE = "no table"
RARE = UNRELIABLE
WRONG_NDIM = "wrong kind of table"
EMPTY = "empty"


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
        return self.columns["K"]

    @property
    def D(self) -> np.ndarray:
        return self.columns["D"]

    @property
    def counts(self) -> np.ndarray:
        return self.columns["count"]

    @property
    def ranks(self) -> np.ndarray:
        return self.columns["rank"]

    @property
    def max_length(self) -> int:
        return self.masses.size - 1

    @cached_property
    def dims(self) -> int:
        """1 for strings, 2 for matrices."""
        parts = name_parts(self.name)
        return int(self.manifest.get("dims", parts[2] if parts else 1))

    @property
    def sampled(self) -> bool:
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


def _python(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class Answer:
    """The table's answer for one input: its values, or the NA that says why it has none."""

    string: str | None
    """The input's label (the string as given; None for a missing value)."""
    normalized: str | None
    values: dict[str, object]
    """Column -> value (ANSWER_COLUMNS first); None where there is none."""
    table: str | None
    version: int | None
    reason: NA | None = None
    source: str | None = None
    """``shipped``, or the data root of the table version that answered."""

    @property
    def produced(self) -> bool:
        return self.reason is None

    @property
    def note(self) -> str | None:
        """Why there is no K for this input, or None when there is one."""
        return None if self.reason is None else self.reason.detail

    @property
    def K(self) -> float | None:
        return self.values.get("K")

    @property
    def D(self) -> float | None:
        return self.values.get("D")

    @property
    def count(self) -> int | None:
        return self.values.get("count")

    @property
    def rank(self) -> int | None:
        return self.values.get("rank")

    def record(self) -> dict:
        """The answer as one JSON object: None for NA values, and the reason."""
        return {
            "string": self.string,
            "normalized": self.normalized,
            "produced": self.produced,
            **self.values,
            "table": self.table,
            "version": self.version,
            "source": self.source,
            "reason": self.note,
        }


def normalize_one(string: str) -> str | NA:
    """Symbols renamed 0, 1, 2, ... in order of first appearance, or an NA past 10 symbols."""
    names: dict[str, str] = {}
    for ch in string:
        if ch not in names:
            if len(names) == 10:
                return NA(TOO_MANY, "has more than 10 distinct symbols; tables have at most 10")
            names[ch] = str(len(names))
    return "".join(names[ch] for ch in string)


def normalize_string(strings: object, *, errors: str = "warn") -> str | None | list[str | None]:
    """Rename symbols in order of first appearance to 0, 1, 2, ... (acss normalize_string).

    "OXXO" -> "0110"; one str in gives one str out, a batch gives a list (None for an input
    that has more than 10 distinct symbols or cannot be read).
    """
    entries = items(strings)
    found = [normalize_one(e.text) if e.ok else e.na for e in entries]
    reasons = [f if isinstance(f, NA) else None for f in found]
    settle(entries, reasons, errors)
    out = [None if isinstance(f, NA) else f for f in found]
    return out[0] if isinstance(strings, str) else out


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
    None, of strings or, with ``ndim=2``, of matrices).

    ``alphabet``, when given with a table name, must match the table's symbols. With no
    table for ``alphabet`` the CTMError is a NoTable.
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


def open_or_na(
    table: str | None, version: int | None, alphabet: int | None, data_dir: str | Path | None, ndim: int = 1
) -> tuple[Table | None, NA | None]:
    """open_table, or the NA every input gets when its alphabet has no table yet
    (acss's default alphabet 9, say); any other problem is still a CTMError."""
    try:
        return open_table(table, version, alphabet=alphabet, data_dir=data_dir, ndim=ndim), None
    except NoTable as exc:
        return None, NA(NO_TABLE, str(exc))


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


def symbols_na(tab: Table, string: str) -> str | NA:
    """The normalised string, or the NA of a string with more distinct symbols than the table."""
    normalized = normalize_one(string)
    if isinstance(normalized, NA):
        return normalized
    distinct = len(set(normalized))
    if distinct <= tab.symbols:
        return normalized
    hint = ""
    if re.fullmatch(r"[0-9]+(-[0-9]+)+", string):
        hint = "; a matrix written as rows joined by '-' needs a 2-D table (ndim=2)"
    larger = [a for a in _alphabets_near(tab.folder.parents[2]) if a >= distinct]
    fix = (
        f"use alphabet={larger[0]}" + (f" (or {', '.join(map(str, larger[1:]))})" if larger[1:] else "")
        if larger
        else f"no table has {distinct} symbols yet"
    )
    return NA(TOO_MANY, f"has {distinct} distinct symbols but table {tab.name} has {tab.symbols}: {fix}{hint}")


def _matrix_na(tab: Table, text: str) -> str | NA:
    """A matrix's normalised text, or the NA of one the 2-D table cannot answer."""
    normalized = normalize_matrix(text)
    distinct = len(set(normalized) - {"-"})
    if distinct > tab.symbols:
        return NA(TOO_MANY, f"has {distinct} distinct symbols but table {tab.name} has {tab.symbols}")
    rows, cols = normalized.count("-") + 1, normalized.index("-") if "-" in normalized else len(normalized)
    most_rows, most_cols = tab.shapes
    if rows > most_rows or cols > most_cols:
        return NA(
            TOO_LONG,
            f"is {rows}x{cols} but no output of table {tab.label} has more than {most_rows} rows or "
            f"{most_cols} columns: {BDM_HINT_2D}",
        )
    return normalized


def find(
    tab: Table | None, entry: Item, no_table: NA | None = None, ndim: int = 1
) -> tuple[str | None, int | None, NA | None]:
    """(normalised text, row, NA) of one input (a string, or with ``ndim=2`` a matrix):
    its row by its normalised form, or in a sampled table by its pattern; no row and the
    NA that says why when it has no value (never produced, unreliable, ...)."""
    if not entry.ok or tab is None:
        return None, None, entry.na or no_table
    if ndim != tab.dims:
        holds, needs = ("strings", "a 1-D table (ndim=1)") if tab.dims == 1 else ("matrices", "ndim=2")
        fix = (
            "a matrix needs a 2-D table, e.g. table='d5x2-2d-s2000' (or ndim=1 for strings)"
            if ndim == 2
            else "pass " + needs
        )
        return None, None, NA(WRONG_NDIM, f"table {tab.label} holds {holds}: {fix}")
    normalized = _matrix_na(tab, entry.text) if ndim == 2 else symbols_na(tab, entry.text)
    if isinstance(normalized, NA):
        return None, None, normalized
    if not normalized:
        return normalized, None, NA(EMPTY, "is empty: no machine outputs an empty string, so it has no K")
    if ndim == 1 and len(normalized) > tab.max_length:
        return (
            normalized,
            None,
            NA(
                TOO_LONG,
                f"has length {len(normalized)} but no output of table {tab.label} is longer than "
                f"{tab.max_length}: {BDM_HINT}",
            ),
        )
    row = tab.index.get(tab.key(normalized) if tab.sampled else normalized)
    if row is None:
        seen = (
            "the sample never saw it (its K is more than the table can tell)"
            if tab.sampled
            else "no machine outputs it"
        )
        return normalized, None, NA(NOT_PRODUCED, f"not produced by this table ({tab.label}): {seen}; {BDM_HINT}")
    if not tab.reliable[row]:
        return normalized, None, NA(RARE, f"not answered: {why_unreliable(tab, row)}")
    return normalized, row, None


def answer(tab: Table | None, entry: Item, no_table: NA | None = None, ndim: int = 1) -> Answer:
    """Look one input (a string, or with ``ndim=2`` a matrix) up by its normalised form, or
    in a sampled table by its pattern; an NA answer when it cannot be (``find``)."""
    where = (tab.name, tab.version) if tab is not None else (None, None)
    source = tab.source if tab is not None else None
    normalized, row, na = find(tab, entry, no_table, ndim)
    if row is not None:
        return Answer(entry.label, normalized, tab.values(row), *where, None, source)
    if tab is None or not entry.ok:
        values = {c: None for c in ANSWER_COLUMNS}
    elif na.kind in (NOT_PRODUCED, EMPTY):  # count 0: no machine outputs it
        values = tab.values(None)
    else:
        values = {c: None for c in tab.columns}
    return Answer(entry.label, normalized, values, *where, na, source)


def lookup(
    strings: object,
    table: str | None = None,
    version: int | None = None,
    *,
    alphabet: int | None = None,
    data_dir: str | Path | None = None,
    errors: str = "warn",
    ndim: int | None = None,
) -> list[Answer]:
    """Count, K, D and rank (1 = largest count; ties share a rank) of each input, and any
    further columns of the table (a sampled table's size, hits, D_se and K_se); an NA
    answer (``reason``) for an input it cannot answer.

    ``alphabet`` None means the named table's own symbols, or 2 without a table name; an
    alphabet with no table gives every input the NA "no table". ``ndim=2`` reads the
    inputs as matrices and uses a 2-D table (None: 2 for one 2-D numpy array, else 1).
    """
    check_errors(errors)
    ndim = auto_ndim(strings, ndim)
    entries = items(strings, ndim=ndim)
    tab, no_table = open_or_na(table, version, alphabet, data_dir, ndim)
    answers = [answer(tab, e, no_table, ndim) for e in entries]
    settle(entries, [a.reason for a in answers], errors)
    return answers


def frame(answers: list[Answer], columns: list[str] | None = None) -> pd.DataFrame:
    """Answers as a DataFrame indexed by the inputs: the value columns, then ``reason``.

    Floats stay float (NaN for NA); integer columns (count, rank, hits) become nullable
    Int64, or exact Python ints where they outgrow int64.
    """
    import pandas as pd

    names = columns or list(dict.fromkeys(c for a in answers for c in a.values)) or list(ANSWER_COLUMNS)
    data = {}
    for name in names:
        values = [a.values.get(name) for a in answers]
        present = [v for v in values if v is not None]
        if present and all(isinstance(v, int) for v in present):
            fits = all(-(2**63) <= v < 2**63 for v in present)
            data[name] = pd.Series(values, dtype="Int64" if fits else object)
        else:
            data[name] = pd.Series([np.nan if v is None else v for v in values], dtype=float)
    data["reason"] = pd.Series([a.note for a in answers], dtype=object)
    out = pd.DataFrame(data)
    out.index = index([a.string for a in answers])
    return out


def _columns(tab: Table | None, entries: list[Item], no_table: NA | None, ndim: int) -> tuple[dict, list[NA | None]]:
    """Acss's value columns for a batch, taken from the table's arrays by row at once
    (one ``find`` per input, no per-answer dict), and each input's NA or None."""
    import pandas as pd

    found = [find(tab, e, no_table, ndim) for e in entries]
    reasons = [na for _, _, na in found]
    rows = np.fromiter((-1 if row is None else row for _, row, _ in found), dtype=np.int64, count=len(found))
    have = rows >= 0
    take = np.where(have, rows, 0)
    zero = np.fromiter(
        (na is not None and na.kind in (NOT_PRODUCED, EMPTY) for na in reasons), dtype=bool, count=len(found)
    )
    data: dict[str, object] = {}
    for name in tab.columns if tab is not None else ANSWER_COLUMNS:
        if tab is None or not len(tab.strings):
            data[name] = np.full(len(found), np.nan)
            continue
        column = tab.columns[name]
        if column.dtype == object:  # exact counts past int64 (decimal128 in the file)
            values = [column[r] if ok else (0 if z and name == "count" else None) for r, ok, z in zip(take, have, zero)]
            fits = all(-(2**63) <= v < 2**63 for v in values if v is not None)
            data[name] = pd.array(values, dtype="Int64") if fits else pd.array(values, dtype=object)
        elif np.issubdtype(column.dtype, np.integer):
            values = pd.array(column[take], dtype="Int64")
            values[~have] = pd.NA
            if name == "count":
                values[zero] = 0
            data[name] = values
        else:
            data[name] = np.where(have, column[take].astype(float), np.nan)
    return data, reasons


def _alphabets(alphabet: object) -> list[int] | None:
    """Acss's several alphabets (a list or tuple of them), or None for one."""
    pd = sys.modules.get("pandas")
    if isinstance(alphabet, (list, tuple, np.ndarray)) or pd is not None and isinstance(alphabet, pd.Series):
        found = [int(a) if isinstance(a, np.integer) else a for a in list(alphabet)]
        if not found:
            raise CTMError("alphabet should be an integer from 2 to 10, or a list of them, got an empty list")
        for a in found:
            check_alphabet(a)
        return list(dict.fromkeys(found))
    return None


def acss(
    strings: object,
    alphabet: int | list[int] | None = None,
    *,
    table: str | None = None,
    version: int | None = None,
    data_dir: str | Path | None = None,
    errors: str = "warn",
    ndim: int | None = None,
) -> pd.DataFrame:
    """K and D of each input, like acss::acss, as a DataFrame with a row per input.

    Columns K, D (NaN where acss gives NA), count (0 for a string no machine outputs),
    rank, any further columns of the table (a sampled table's size, hits, D_se, K_se),
    and ``reason`` (None where there are values). ``alphabet`` None means the named
    table's own, or 2 (acss's own default is 9). ``ndim=2`` scores matrices.

    Several alphabets (``alphabet=[2, 4]``, acss's ``alphabet = c(2, 4)``) give acss's
    columns K.2, K.4, D.2, D.4, then ``reason.2``, ``reason.4``: NaN where a string has
    more symbols than that alphabet (or its table has no value).

    Rows are in input order, duplicates kept. The index is a pandas Series' own index
    when ``strings`` is one (with the strings in a ``string`` column), so
    ``df["K"] = acss(df["resp"])["K"]`` fills a column; else the input strings, as R's
    acss names its rows. Raises CTMError for a bad argument (alphabet, table, errors).
    """
    check_errors(errors)
    ndim = auto_ndim(strings, ndim)
    entries = items(strings, ndim=ndim)
    several = _alphabets(alphabet)
    if several is not None:
        return _acss_several(entries, several, table, version, data_dir, errors, ndim)
    tab, no_table = open_or_na(table, version, _integer(alphabet), data_dir, ndim)
    data, reasons = _columns(tab, entries, no_table, ndim)
    data["reason"] = [None if na is None else na.detail for na in reasons]
    out = _frame(entries, data)
    settle(entries, reasons, errors)
    return out


def _frame(entries: list[Item], data: dict) -> pd.DataFrame:
    """The result frame: the batch's index (pipeline.batch.index), and the input strings
    as a first ``string`` column when that index is a pandas Series' own."""
    import pandas as pd

    labels = index(entries)
    if getattr(entries, "source_index", None) is not None:
        data = {"string": [e.label for e in entries], **data}
    return pd.DataFrame(
        {
            k: pd.Series(v, dtype=object, index=labels) if isinstance(v, list) else pd.Series(v, index=labels)
            for k, v in data.items()
        }
    )


def _acss_several(entries, alphabets_: list[int], table, version, data_dir, errors, ndim) -> pd.DataFrame:
    """acss(x, alphabet = c(2, 4)): K.a and D.a per alphabet, then reason.a."""
    if table is not None:
        raise CTMError("several alphabets take their default tables: leave out table= (or pass one alphabet)")
    K, D, why, bad = {}, {}, {}, []
    for a in alphabets_:
        tab, no_table = open_or_na(None, version, a, data_dir, ndim)
        data, reasons = _columns(tab, entries, no_table, ndim)
        K[f"K.{a}"], D[f"D.{a}"] = data["K"], data["D"]
        why[f"reason.{a}"] = [None if na is None else na.detail for na in reasons]
        bad.append(reasons)
    out = _frame(entries, {**K, **D, **why})
    # an input is NA only when no alphabet answers it
    merged = [None if any(r[i] is None for r in bad) else bad[0][i] for i in range(len(entries))]
    settle(entries, merged, errors)
    return out


def _integer(value: object) -> object:
    """A numpy integer scalar as a Python int (arguments accept both); anything else as is."""
    return int(value) if isinstance(value, np.integer) else value
