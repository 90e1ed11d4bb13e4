"""Answer "how complex is this string?" from a CTM table, like R's acss: lookups and ``acss()``.

Strings are looked up by their normalised form (first symbol 0, next new symbol 1, ...),
as acss and pybdm do; over a full table every renaming of a string has the same count,
so this loses nothing (a partial table holds blank-0 counts, and answers with the
normalised form's count). Matrices (``ndim=2``: "010-111" or 2-D arrays) are looked up
the same way in the 2-D tables. A sampled table's rows are patterns (pipeline.patterns):
a string is answered by its pattern's row, with the standard errors of D and K, and NA
when the sample saw the pattern fewer than MIN_HITS times (acss drops those too). Tables are found in the user's data root first, then among
the tables shipped with the package. Every function takes a batch (pipeline.inputs) and
gives one answer per input, NA with a reason where it has none (pipeline.batch).
Definitions follow acss 0.3 (Gauvrit, Singmann, Soler-Toscano & Zenil 2016, R/acss.R);
``pipeline.measures`` holds the rest of acss's functions and ``pipeline.bdm`` pybdm's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.batch import check_errors, index, settle
from pipeline.errors import CTMError
from pipeline.estimate import MIN_HITS
from pipeline.inputs import NA, Item, auto_ndim, items
from pipeline.patterns import keys, normalized as normalize_matrix
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
BDM_HINT = "estimate it with BDM instead (pipeline.bdm.bdm, or ctm bdm)"

# Kinds of NA that lookups give (pipeline.inputs has those of the inputs themselves).
TOO_MANY = "more symbols than the table"
TOO_LONG = "longer than any output"
NOT_PRODUCED = "not produced"
NO_TABLE = "no table"
RARE = "seen too rarely"
WRONG_NDIM = "wrong kind of table"


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

    @property
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
        Found once per table: every answer carries it, and finding it resolves paths."""
        return source_of(self.folder)

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
    found = {p[1] for root in _roots(data_dir) for info in list_tables(root) if (p := name_parts(info.table)) and p[2] == 1}
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
            f"use one of those, name a table, or compute one with `ctm run` (e.g. jobs/d4x{alphabet}.toml)"
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
    if alphabet is not None and (isinstance(alphabet, bool) or not isinstance(alphabet, int) or not 2 <= alphabet <= 10):
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


@lru_cache(maxsize=8)
def _load(path: Path) -> Table:
    """Read one version directory (versions are immutable, so caching by path is safe)."""
    manifest = load_manifest(path.parents[2], path.parent.name, int(path.name[1:]))
    data = pq.read_table(path / TABLE_FILE)
    strings = data.column("string").to_pylist()
    lengths = data.column("length").to_numpy()
    columns: dict[str, np.ndarray] = {}
    for name in data.column_names:
        if name in ROW_COLUMNS:
            continue
        column = data.column(name)
        if pa.types.is_decimal(column.type):
            columns[name] = np.array([int(c) for c in column.to_pylist()], dtype=object)
        else:
            columns[name] = column.to_numpy()
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
        index={s: i for i, s in enumerate(strings)},
        # a sampled row stands for its pattern's |P| strings
        masses=np.bincount(lengths, weights=columns["D"] * columns["size"] if "size" in columns else columns["D"]),
    )


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
    return NA(
        TOO_MANY,
        f"has {distinct} distinct symbols but table {tab.name} has {tab.symbols}: use a table "
        f"(or alphabet) with at least {distinct} symbols{hint}",
    )


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
            f"{most_cols} columns: {BDM_HINT} (ndim=2)",
        )
    return normalized


def answer(tab: Table | None, entry: Item, no_table: NA | None = None, ndim: int = 1) -> Answer:
    """Look one input (a string, or with ``ndim=2`` a matrix) up by its normalised form, or
    in a sampled table by its pattern; an NA answer when it cannot be."""
    where = (tab.name, tab.version) if tab is not None else (None, None)
    source = tab.source if tab is not None else None
    if not entry.ok or tab is None:
        return Answer(entry.label, None, {c: None for c in ANSWER_COLUMNS}, *where, entry.na or no_table, source)
    none = {c: None for c in tab.columns}
    if ndim != tab.dims:
        holds, needs = ("strings", "a 1-D table (ndim=1)") if tab.dims == 1 else ("matrices", "ndim=2")
        na = NA(WRONG_NDIM, f"table {tab.label} holds {holds}: {'a matrix needs a 2-D table' if ndim == 2 else 'pass ' + needs}")
        return Answer(entry.label, None, none, *where, na, source)
    normalized = _matrix_na(tab, entry.text) if ndim == 2 else symbols_na(tab, entry.text)
    if isinstance(normalized, NA):
        return Answer(entry.label, None, none, *where, normalized, source)
    if ndim == 1 and len(normalized) > tab.max_length:
        na = NA(
            TOO_LONG,
            f"has length {len(normalized)} but no output of table {tab.label} is longer than "
            f"{tab.max_length}: {BDM_HINT}",
        )
        return Answer(entry.label, normalized, none, *where, na, source)
    row = tab.index.get(tab.key(normalized))
    if row is None:
        seen = "in the sample (its K is more than the table can tell)" if tab.sampled else "no machine outputs it"
        na = NA(NOT_PRODUCED, f"not produced by this table ({tab.label}): {seen}; {BDM_HINT}")
        return Answer(entry.label, normalized, tab.values(None), *where, na, source)
    if tab.sampled and tab.columns["hits"][row] < MIN_HITS:
        na = NA(
            RARE,
            f"seen {tab.columns['hits'][row]} times in the sample of {tab.label}, fewer than {MIN_HITS}: "
            f"its K is not reliable (acss drops such strings too)",
        )
        return Answer(entry.label, normalized, none, *where, na, source)
    return Answer(entry.label, normalized, tab.values(row), *where, None, source)


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


def acss(
    strings: object,
    alphabet: int | None = None,
    *,
    table: str | None = None,
    version: int | None = None,
    data_dir: str | Path | None = None,
    errors: str = "warn",
    ndim: int | None = None,
) -> pd.DataFrame:
    """K and D of each input, like acss::acss, as a DataFrame indexed by the inputs.

    Columns K, D (NaN where acss gives NA), count (0 for a string no machine outputs),
    rank, any further columns of the table (a sampled table's size, hits, D_se, K_se),
    and ``reason`` (None where there are values). ``alphabet`` None means the named
    table's own, or 2 (acss's own default is 9). ``ndim=2`` scores matrices.
    """
    check_errors(errors)
    ndim = auto_ndim(strings, ndim)
    entries = items(strings, ndim=ndim)
    tab, no_table = open_or_na(table, version, alphabet, data_dir, ndim)
    answers = [answer(tab, e, no_table, ndim) for e in entries]
    out = frame(answers, list(tab.columns) if tab is not None else None)
    settle(entries, [a.reason for a in answers], errors)
    return out
