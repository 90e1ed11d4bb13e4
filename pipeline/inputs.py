"""What every query and score function accepts, in one place: inputs become items.

A *batch* is one string, or a list, tuple, pandas Series or Index, or 1-D numpy array of
text, of inputs. Each *input* is a string, a list or tuple of symbols (one-character
strings or the integers 0-9), or a numpy integer array (1-D: a string). ``items`` turns
a batch into one Item per input: the text the tables read, or an NA that says why the
input has none (a missing value, a number, a 2-D array, ...), so one bad cell never
stops a batch. A value that is no batch at all (None, a number, a dict, a DataFrame) is
a one-line CTMError saying what was expected.

With ``ndim=2`` each input is a matrix: its rows joined by '-' ("010-111", top row
first), a list of rows, or a 2-D numpy integer array. Without it, a list of strings
stays a batch of strings; a 2-D numpy integer array is the one input read as a matrix by
its shape (``auto_ndim``).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from numbers import Number
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np

from pipeline.errors import CTMError

if TYPE_CHECKING:
    import pandas as pd

NDIMS = (1, 2)
"""Dimensions the tables can score: 1 (strings), 2 (matrices: 2-D tables)."""

BATCH = "a string, or a list, tuple, pandas Series or 1-D numpy array of strings"
ONE = "a string, a list of symbols or a 1-D numpy integer array"

# Kinds of NA that inputs themselves give (query and score functions add their own).
MISSING = "missing value"
NUMBER = "number, not text"
SYMBOLS = "unreadable symbols"
MATRIX = "matrix"
SHAPE = "not a rectangle"


@dataclass(frozen=True)
class NA:
    """Why an input has no value: ``kind`` groups inputs in the batch's one warning,
    ``detail`` is the whole reason for this input, as printed beside it."""

    kind: str
    detail: str

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True)
class Item:
    """One input of a batch: its label, and its text or the NA that replaces it."""

    label: str | None
    """How answers name the input: the string, the text of a list or array, None if missing."""
    text: str | None
    """The symbols as a string ("0110"), None when ``na`` says why there is none."""
    na: NA | None = None

    @property
    def ok(self) -> bool:
        return self.na is None


def show(string: object, limit: int = 24) -> str:
    """An input for a message, shortened when long."""
    text = str(string)
    return repr(text) if len(text) <= limit else repr(text[:limit] + "...")


def _check_ndim(ndim: int) -> None:
    if ndim not in NDIMS:
        raise CTMError(f"ndim should be 1 (strings) or 2 (matrices), got {ndim!r}")


def auto_ndim(data: object, ndim: int | None) -> int:
    """``ndim`` as given, else 2 for one 2-D numpy integer array (pybdm's matrices), else 1."""
    if ndim is not None:
        _check_ndim(ndim)
        return ndim
    if isinstance(data, np.ndarray) and data.ndim == 2 and np.issubdtype(data.dtype, np.integer):
        return 2
    return 1


def _matrix_text(text: str) -> Item:
    """A matrix's text as an Item: rows of one length joined by '-', or the NA saying why not."""
    rows = text.split("-")
    if not all(rows) or len({len(r) for r in rows}) != 1:
        return Item(
            text, None, NA(SHAPE, f"matrix {show(text)} should be rows of one length joined by '-', e.g. 010-111-000")
        )
    return Item(text, text)


def _pandas():
    """Pandas when something has imported it, else None: then no input can be a pandas
    object, and lookups (``ctm query``) run without importing it."""
    return sys.modules.get("pandas")


def _missing(value: object) -> bool:
    """None, NaN (any float type), pandas' NA and NaT."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    pd = _pandas()
    return pd is not None and pd.api.types.is_scalar(value) and not isinstance(value, str) and bool(pd.isna(value))


def _clean(text: str) -> str:
    """A leading byte-order mark and a trailing line ending are file artefacts, not symbols."""
    return text.removeprefix("\ufeff").rstrip("\r\n")


def _symbol(value: object) -> str | None:
    """One symbol as a character: a one-character string or an integer 0-9; else None."""
    if isinstance(value, str):
        return value if len(value) == 1 else None
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) and 0 <= value <= 9:
        return str(int(value))
    return None


def _sequence(values: list | tuple, what: str) -> Item:
    symbols = [_symbol(v) for v in values]
    bad = [v for v, s in zip(values, symbols) if s is None]
    if bad:
        return Item(
            show(list(values)),
            None,
            NA(SYMBOLS, f"{what} should hold one-character strings or integers 0-9, got {bad[0]!r}"),
        )
    text = "".join(symbols)
    return Item(text, text)


def _array(value: np.ndarray, ndim: int) -> Item:
    if not np.issubdtype(value.dtype, np.integer):
        return Item(
            show(value.tolist()), None, NA(SYMBOLS, f"an array of {value.dtype} is not symbols: use integers 0-9")
        )
    if value.ndim == 2 and ndim == 2:
        rows = [_sequence(row, "an integer array") for row in value.tolist()]
        bad = next((r for r in rows if not r.ok), None)
        if bad is not None or value.shape[1] == 0:
            return Item(
                show(value.tolist()), None, bad.na if bad else NA(SHAPE, "an empty matrix has nothing to score")
            )
        text = "-".join(r.text for r in rows)
        return Item(text, text)
    if value.ndim == 2 and ndim == 1:
        return Item(
            "-".join("".join(map(str, row)) for row in value.tolist()),
            None,
            NA(MATRIX, f"a 2-D array of shape {value.shape} is a matrix: it needs a 2-D table (ndim=2)"),
        )
    if value.ndim != ndim:
        return Item(
            show(value.tolist()),
            None,
            NA(SYMBOLS, f"a {value.ndim}-D array is neither a string (1-D) nor a matrix (2-D)"),
        )
    return _sequence(value.tolist(), "an integer array")


def item(value: object, ndim: int = 1) -> Item:
    """One input as an Item (never raises: what cannot be read becomes an NA)."""
    if isinstance(value, str):
        text = _clean(value)
        return _matrix_text(text) if ndim == 2 else Item(text, text)
    if _missing(value):
        return Item(None, None, NA(MISSING, "missing value: nothing to score"))
    if isinstance(value, (Number, np.number)) and not isinstance(value, (bool, np.bool_)):
        return Item(
            str(value),
            None,
            NA(
                NUMBER,
                f"the number {value} is not a string of symbols (digit strings read as numbers lose "
                "their leading zeros): read them as text, e.g. pandas dtype=str",
            ),
        )
    if isinstance(value, np.ndarray):
        return _array(value, ndim)
    if isinstance(value, (list, tuple)):
        if ndim == 2:
            rows = [item(row, 1) for row in value]
            bad = next((r for r in rows if not r.ok), None)
            if bad is not None:
                return Item(show(value), None, bad.na)
            return _matrix_text("-".join(r.text for r in rows))
        return _sequence(value, f"a {type(value).__name__} of symbols")
    return Item(show(value), None, NA(SYMBOLS, f"a {type(value).__name__} is not {ONE}"))


class Batch(list):
    """A batch's Items, in input order, and the index of the pandas Series they came from
    (None for any other batch), which results then carry (pipeline.batch.index)."""

    source_index: pd.Index | None = None


def items(data: object, *, ndim: int | None = None, name: str = "strings") -> Batch:
    """One Item per input of a batch; a CTMError (naming ``name``) when ``data`` is no batch.

    ``ndim`` None reads strings, or one matrix from one 2-D integer array (``auto_ndim``).
    A pandas Series' index is kept on the result (``Batch.source_index``)."""
    found = Batch(_items(data, ndim, name))
    pd = _pandas()
    if pd is not None and isinstance(data, pd.Series):
        found.source_index = data.index
    return found


def _items(data: object, ndim: int | None, name: str) -> list[Item]:
    ndim = auto_ndim(data, ndim)
    if isinstance(data, str):
        return [item(data, ndim)]
    if isinstance(data, np.ndarray):
        if np.issubdtype(data.dtype, np.integer) and data.ndim >= 1:
            return [item(data, ndim)]  # one string (1-D) or one matrix (2-D), as pybdm reads arrays
        if data.dtype.kind in "OUS" and data.ndim == 1:
            return [item(v, ndim) for v in data.tolist()]
        raise CTMError(f"{name} should be {BATCH}, or integer symbols; got a {data.ndim}-D array of {data.dtype}")
    pd = _pandas()
    if pd is not None and isinstance(data, pd.DataFrame):
        raise CTMError(f"{name} should be {BATCH}, got a DataFrame: pass one column, e.g. frame['string']")
    if pd is not None and isinstance(data, (pd.Series, pd.Index)):
        return [item(v, ndim) for v in data.tolist()]
    if isinstance(data, Iterable) and not isinstance(data, (Mapping, bytes, bytearray)):
        return [item(v, ndim) for v in data]
    raise CTMError(f"{name} should be {BATCH}, got {show(data)} ({type(data).__name__})")


def one(data: object, *, ndim: int = 1, name: str = "string") -> str:
    """One object (pybdm's X) as text: a string, a list of symbols or a 1-D integer array.

    What cannot be read is a CTMError naming the reason.
    """
    _check_ndim(ndim)
    if not isinstance(data, (str, list, tuple, np.ndarray)):
        raise CTMError(f"{name} should be {ONE}, got {show(data)} ({type(data).__name__})")
    if isinstance(data, (list, tuple)) and any(isinstance(v, str) and len(v) > 1 for v in data):
        raise CTMError(f"{name} should be {ONE}, got a list of strings: score a batch with the module's functions")
    found = item(data, ndim)
    if found.na is not None:
        raise CTMError(f"{name}: {found.na}")
    return found.text


def iter_lines(source: str | Path | IO[bytes] | IO[str]):
    """``read_lines``, one line at a time as the file is read (a file of any size in
    little memory). A decoding error is a CTMError naming the line."""
    import io

    if isinstance(source, (str, Path)):
        handle = open(source, "rb")
    else:
        handle = source
    text = handle if isinstance(handle.read(0), str) else io.TextIOWrapper(handle, encoding="utf-8-sig", newline=None)
    number = 0
    try:
        for number, raw in enumerate(text, 1):
            found = raw.strip()
            if found:
                yield found.removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        name = getattr(source, "name", source)
        raise CTMError(f"{name} is not UTF-8 text ({exc.reason} after line {number})") from None
    finally:
        if isinstance(source, (str, Path)):
            handle.close()


def read_lines(source: str | Path | IO[bytes] | IO[str]) -> list[str]:
    """The non-blank lines of a file (path, or an open file such as stdin), stripped.

    Bytes are read as UTF-8 with or without a byte-order mark; CRLF, CR and LF all end a line.
    """
    if isinstance(source, (str, Path)):
        raw: bytes | str = Path(source).read_bytes()
    else:
        raw = source.read()
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CTMError(
                f"{getattr(source, 'name', source)} is not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from None
    return [line.strip() for line in _clean(raw).splitlines() if line.strip()]


def read_csv(path: str | Path, columns: Iterable[str], **options) -> pd.DataFrame:
    """A CSV file as a DataFrame that has at least ``columns`` (pandas.read_csv with
    ``options``, e.g. dtype=str so that digit strings keep their leading zeros).

    Raises CTMError, one line naming the file, when it is absent, is not CSV, or lacks
    one of ``columns``.
    """
    import pandas as pd

    try:
        frame = pd.read_csv(path, **options)
    except FileNotFoundError:
        raise CTMError(f"{path} not found: pass the path of the CSV file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, IsADirectoryError) as exc:
        raise CTMError(f"{path} is not a CSV file pandas can read ({str(exc).splitlines()[0]})") from None
    columns = list(columns)
    lacking = [c for c in columns if c not in frame.columns]
    if lacking:
        have = ", ".join(map(str, frame.columns)) or "none"
        raise CTMError(
            f"{path} lacks the column(s) {', '.join(lacking)}: it needs {', '.join(columns)} (it has {have})"
        )
    return frame
