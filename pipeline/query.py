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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.batch import check_errors, index, settle
from pipeline.errors import CTMError
from pipeline.inputs import NA, Item, auto_ndim, items
from pipeline.patterns import keys, normalized as normalize_matrix
from pipeline.reliable import UNRELIABLE, why_unreliable
from pipeline.table import (
    ANSWER_COLUMNS as ANSWER_COLUMNS,
    DEFAULT_MATRIX_TABLES as DEFAULT_MATRIX_TABLES,
    DEFAULT_TABLES as DEFAULT_TABLES,
    ROW_COLUMNS as ROW_COLUMNS,
    TABLE_NAME as TABLE_NAME,
    NoTable as NoTable,
    Rows as Rows,
    Table as Table,
    _alphabets_near,
    _integer,
    alphabets as alphabets,
    check_alphabet as check_alphabet,
    name_parts as name_parts,
    open_table as open_table,
)

if TYPE_CHECKING:
    import pandas as pd

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
        """True when the table has a value for this input (no NA reason)."""
        return self.reason is None

    @property
    def note(self) -> str | None:
        """Why there is no K for this input, or None when there is one."""
        return None if self.reason is None else self.reason.detail

    @property
    def K(self) -> float | None:
        """K (bits), or None when the input has none."""
        return self.values.get("K")

    @property
    def D(self) -> float | None:
        """D (algorithmic probability), or None when the input has none."""
        return self.values.get("D")

    @property
    def count(self) -> int | None:
        """Halting machines that output the input's string, or None when it has none."""
        return self.values.get("count")

    @property
    def rank(self) -> int | None:
        """The string's rank in its table, or None when it has none."""
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


def open_or_na(
    table: str | None, version: int | None, alphabet: int | None, data_dir: str | Path | None, ndim: int = 1
) -> tuple[Table | None, NA | None]:
    """open_table, or the NA every input gets when its alphabet has no table yet
    (acss's default alphabet 9, say); any other problem is still a CTMError.

    Parameters
    ----------
    table, version, alphabet, data_dir, ndim
        As ``open_table``.

    Returns
    -------
    tab : Table or None
        The table; None when there is none for the alphabet.
    no_table : NA or None
        The "no table" NA, saying which alphabets have tables; None with a table.

    Raises
    ------
    CTMError
        As ``open_table``, except NoTable.
    """
    try:
        return open_table(table, version, alphabet=alphabet, data_dir=data_dir, ndim=ndim), None
    except NoTable as exc:
        return None, NA(NO_TABLE, str(exc))


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


@dataclass(frozen=True)
class Looked:
    """A batch of inputs looked up in one table at once (``look``)."""

    normalized: list[str | None]
    """Each input in the table's symbols, normalised; None where it cannot be read."""
    at: np.ndarray
    """int64, shape (inputs,): each input's position in ``rows``; -1 where it has no value."""
    reasons: list[NA | None]
    """Why each input has no value (None where it has one)."""
    rows: Rows | None
    """The values of the inputs' rows (``Table.rows``); None when nothing was looked up."""


def _checked(tab: Table | None, entry: Item, no_table: NA | None, ndim: int) -> tuple[str | None, NA | None]:
    """(normalised text, NA) of one input before its row is looked for: wrong table
    dimension, symbols, empty, longer than the table's outputs."""
    if not entry.ok or tab is None:
        return None, entry.na or no_table
    if ndim != tab.dims:
        holds, needs = ("strings", "a 1-D table (ndim=1)") if tab.dims == 1 else ("matrices", "ndim=2")
        fix = (
            "a matrix needs a 2-D table, e.g. table='d5x2-2d-s2000' (or ndim=1 for strings)"
            if ndim == 2
            else "pass " + needs
        )
        return None, NA(WRONG_NDIM, f"table {tab.label} holds {holds}: {fix}")
    normalized = _matrix_na(tab, entry.text) if ndim == 2 else symbols_na(tab, entry.text)
    if isinstance(normalized, NA):
        return None, normalized
    if not normalized:
        return normalized, NA(EMPTY, "is empty: no machine outputs an empty string, so it has no K")
    upto = tab.exact_upto
    if ndim == 1 and upto is not None and len(normalized) > upto["L"]:
        # longer outputs are not followed past the step limit: their counts are unknown, not 0
        return normalized, NA(
            TOO_LONG,
            f"has length {len(normalized)} but table {tab.label} lists only outputs of at most {upto['L']} symbols "
            f"(its exact reading, with no step cutoff): {BDM_HINT}",
        )
    if ndim == 1 and upto is None and len(normalized) > tab.max_length:
        return normalized, NA(
            TOO_LONG,
            f"has length {len(normalized)} but no output of table {tab.label} is longer than "
            f"{tab.max_length}: {BDM_HINT}",
        )
    return normalized, None


def look(tab: Table | None, entries: list[Item], no_table: NA | None = None, ndim: int = 1) -> Looked:
    """Look a batch of inputs (strings, or with ``ndim=2`` matrices) up at once, each by
    its normalised form, or in a sampled table by its pattern; a table with a lookup index
    reads only the rows the batch needs (``Table.rows``).

    Parameters
    ----------
    tab : Table or None
        The table; None when its alphabet has none (then ``no_table`` is the NA).
    entries : list of Item
        The inputs, each with its text or the NA it already has (missing, unreadable, ...).
    no_table : NA, optional
        The NA every input gets when ``tab`` is None (``open_or_na``).
    ndim : {1, 2}
        1 for strings, 2 for matrices as rows joined by ``-``.

    Returns
    -------
    Looked
        Per input: its normalised text, its position in the rows found, and the NA that
        says why it has no value (wrong table dimension, symbols, empty, too long, never
        produced, unreliable). Never raises for a bad input.
    """
    checked = [_checked(tab, e, no_table, ndim) for e in entries]
    normalized = [n for n, _ in checked]
    reasons = [na for _, na in checked]
    at = np.full(len(entries), -1, dtype=np.int64)
    wanted = [i for i, na in enumerate(reasons) if na is None]
    if tab is None:
        return Looked(normalized, at, reasons, None)
    texts = [normalized[i] for i in wanted]
    rows = tab.rows(keys(texts, tab.dims) if tab.sampled else texts)
    seen = "the sample never saw it (its K is more than the table can tell)" if tab.sampled else "no machine outputs it"
    ok = rows.reliable  # found, and reliable
    at[np.asarray(wanted, dtype=np.int64)[ok]] = np.flatnonzero(ok)
    for j in np.flatnonzero(~ok).tolist():
        if not rows.found[j]:
            reasons[wanted[j]] = NA(NOT_PRODUCED, f"not produced by this table ({tab.label}): {seen}; {BDM_HINT}")
        else:
            reasons[wanted[j]] = NA(RARE, f"not answered: {why_unreliable(tab, rows.values(j))}")
    return Looked(normalized, at, reasons, rows)


def answers(tab: Table | None, entries: list[Item], no_table: NA | None = None, ndim: int = 1) -> list[Answer]:
    """Look a batch of inputs up at once (``look``): one Answer per input, in order.

    Parameters
    ----------
    tab, entries, no_table, ndim
        As ``look``.

    Returns
    -------
    list of Answer
        Each row's values (K in bits, D, count, rank, ...), or the NA with count 0 for a
        string no machine outputs (or an empty one) and None values otherwise.
    """
    where = (tab.name, tab.version) if tab is not None else (None, None)
    source = tab.source if tab is not None else None
    looked = look(tab, entries, no_table, ndim)
    out = []
    for entry, normalized, j, na in zip(entries, looked.normalized, looked.at, looked.reasons):
        if j >= 0:
            values = looked.rows.values(int(j))
        elif tab is None or not entry.ok:
            values = {c: None for c in ANSWER_COLUMNS}
        elif na.kind in (NOT_PRODUCED, EMPTY):  # count 0: no machine outputs it
            values = tab.values(None)
        else:
            values = {c: None for c in tab.column_names}
        out.append(Answer(entry.label, normalized, values, *where, na, source))
    return out


def answer(tab: Table | None, entry: Item, no_table: NA | None = None, ndim: int = 1) -> Answer:
    """Look one input (a string, or with ``ndim=2`` a matrix) up by its normalised form, or
    in a sampled table by its pattern; an NA answer when it cannot be. A batch of one of
    ``answers``: look many up at once with it.

    Parameters
    ----------
    tab, entry, no_table, ndim
        As ``look`` (one entry).

    Returns
    -------
    Answer
        The row's values (K in bits, D, count, rank, ...), or the NA with count 0 for a
        string no machine outputs (or an empty one) and None values otherwise.
    """
    return answers(tab, [entry], no_table, ndim)[0]


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

    Parameters
    ----------
    strings : str, sequence of str or None, pandas Series or numpy array
        The inputs: one string, or many (None or NaN: a missing value); with ``ndim=2``
        matrices, as rows joined by ``-`` (``010-101-010``) or 2-D integer arrays.
    table, version, data_dir
        As ``open_table``.
    alphabet : int, optional
        None means the named table's own symbols, or 2 without a table name; an alphabet
        with no table gives every input the NA "no table".
    errors : {"warn", "raise", "ignore"}
        What to do with inputs that get an NA: warn once (NAWarning), raise CTMError at
        the first, or neither.
    ndim : {1, 2}, optional
        2 reads the inputs as matrices and uses a 2-D table; None: 2 for one 2-D numpy
        array, else 1.

    Returns
    -------
    list of Answer
        One per input, in input order: its values (K in bits, D, count, rank, ...) or
        the NA that says why it has none.

    Raises
    ------
    CTMError
        A bad argument (errors, alphabet, table, version), or with ``errors="raise"`` the
        first input with an NA.
    """
    check_errors(errors)
    ndim = auto_ndim(strings, ndim)
    entries = items(strings, ndim=ndim)
    tab, no_table = open_or_na(table, version, alphabet, data_dir, ndim)
    found = answers(tab, entries, no_table, ndim)
    settle(entries, [a.reason for a in found], errors)
    return found


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
    """Acss's value columns for a batch, taken from the rows one ``look`` found for the
    whole batch (no per-answer dict), and each input's NA or None."""
    import pandas as pd

    looked = look(tab, entries, no_table, ndim)
    reasons = looked.reasons
    have = looked.at >= 0
    take = np.where(have, looked.at, 0)
    zero = np.fromiter(
        (na is not None and na.kind in (NOT_PRODUCED, EMPTY) for na in reasons), dtype=bool, count=len(entries)
    )
    data: dict[str, object] = {}
    for name in tab.column_names if tab is not None else ANSWER_COLUMNS:
        if tab is None or not tab.size:
            data[name] = np.full(len(entries), np.nan)
            continue
        column = looked.rows.columns[name]
        if not len(column):  # nothing looked up: a stand-in row keeps the column's type
            column = np.zeros(1, dtype=column.dtype)
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
    """K and D of each input, like acss::acss (Gauvrit et al., 2016, the acss R package),
    as a DataFrame with a row per input.

    Rows are in input order, duplicates kept. The index is a pandas Series' own index
    when ``strings`` is one (with the strings in a ``string`` column), so
    ``df["K"] = acss(df["resp"])["K"]`` fills a column; else the input strings, as R's
    acss names its rows.

    Parameters
    ----------
    strings : str, sequence of str or None, pandas Series or numpy array
        The inputs (None or NaN: a missing value); with ``ndim=2`` matrices, as rows
        joined by ``-`` or 2-D integer arrays.
    alphabet : int or list of int, optional
        Symbols of the table, 2 to 10. None means the named table's own, or 2 (acss's own
        default is 9). Several (``alphabet=[2, 4]``, acss's ``alphabet = c(2, 4)``) give
        acss's columns K.2, K.4, D.2, D.4, then ``reason.2``, ``reason.4``: NaN where a
        string has more symbols than that alphabet (or its table has no value).
    table, version, data_dir
        As ``open_table``; several alphabets take their default tables.
    errors : {"warn", "raise", "ignore"}
        What to do with inputs that get an NA (with several alphabets: those no alphabet
        answers): warn once, raise CTMError at the first, or neither.
    ndim : {1, 2}, optional
        2 scores matrices with a 2-D table; None: 2 for one 2-D numpy array, else 1.

    Returns
    -------
    pandas.DataFrame
        Columns K (bits), D (NaN where acss gives NA), count (0 for a string no machine
        outputs), rank, any further columns of the table (a sampled table's size, hits,
        D_se, K_se), and ``reason`` (None where there are values).

    Raises
    ------
    CTMError
        A bad argument (alphabet, table, version, errors; a table with several
        alphabets), or with ``errors="raise"`` the first input with an NA.
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
