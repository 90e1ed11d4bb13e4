"""Answer "how complex is this string?" from a CTM table, with the functions of R's acss.

Every function takes one string or a list of them and looks strings up by their
normalised form (first symbol 0, next new symbol 1, ...), as acss and pybdm do; over a
full table every renaming of a string has the same count, so this loses nothing (a
partial table holds blank-0 counts, and answers with the normalised form's count).
Tables are found in the user's data root first, then among the tables shipped with the
package. Definitions follow acss 0.3 (Gauvrit, Singmann, Soler-Toscano & Zenil 2016,
R/acss.R and R/standard_complexity.R); each function names the one it mirrors.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import CTMError
from pipeline.tables import TABLE_FILE, data_root, list_tables, load_manifest, shipped_root, source_of, table_path

DEFAULT_TABLES = {2: "d5x2-s500"}
"""Default table per alphabet: (5,2) S=500 is the table acss's K.2 and pybdm's CTM-B2-D12 come from."""

TABLE_NAME = re.compile(r"d(\d+)x(\d+)-s(\d+)")
BDM_HINT = "estimate it with BDM instead (pipeline.bdm.bdm)"


class NotProducedWarning(UserWarning):
    """Some strings were never output by the table's machines: their K and D are NaN."""


@dataclass(frozen=True)
class Table:
    """One version of a CTM table, loaded for lookups (rows as in table.parquet)."""

    name: str
    version: int
    symbols: int
    folder: Path
    """The version's directory, holding table.parquet and manifest.json."""
    manifest: dict
    strings: list[str]
    counts: np.ndarray
    """int64, or Python ints (object) for decimal128 count columns."""
    K: np.ndarray
    D: np.ndarray
    lengths: np.ndarray
    ranks: np.ndarray
    """Competition rank of each row: 1 + the number of rows with a larger count."""
    index: dict[str, int]
    """String -> row."""
    masses: np.ndarray
    """masses[n]: sum of D over the table's strings of length n; its size is max_length + 1."""

    @property
    def max_length(self) -> int:
        return self.masses.size - 1

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def source(self) -> str:
        """``shipped``, or the data root this version comes from: tells apart two tables of
        the same name and version (the shipped one, and one computed into a data root)."""
        return source_of(self.folder)


@dataclass(frozen=True)
class Answer:
    """The table's answer for one string; K, D and rank are None when no machine output it."""

    string: str
    normalized: str
    count: int
    K: float | None
    D: float | None
    rank: int | None
    table: str
    version: int

    @property
    def produced(self) -> bool:
        return self.count > 0

    @property
    def note(self) -> str | None:
        """Why there is no K for this string, or None when there is one."""
        if self.produced:
            return None
        return f"not produced by this table ({self.table} v{self.version}): no machine outputs it; {BDM_HINT}"


def as_list(strings: str | Iterable[str]) -> list[str]:
    """One string or an iterable of strings, as a list; anything else is a CTMError."""
    items = [strings] if isinstance(strings, str) else list(strings)
    for item in items:
        if not isinstance(item, str):
            raise CTMError(f"strings should be text, got {item!r} ({type(item).__name__})")
    return items


def show(string: str, limit: int = 24) -> str:
    """A string for an error message, shortened when long."""
    return repr(string) if len(string) <= limit else repr(string[:limit] + "...")


def _normalize_one(string: str) -> str:
    names: dict[str, str] = {}
    for ch in string:
        if ch not in names:
            if len(names) == 10:
                raise CTMError(
                    f"string {show(string)} has more than 10 distinct symbols; tables have at most 10"
                )
            names[ch] = str(len(names))
    return "".join(names[ch] for ch in string)


def normalize_string(strings: str | Iterable[str]) -> str | list[str]:
    """Rename symbols in order of first appearance to 0, 1, 2, ... (acss normalize_string).

    "OXXO" -> "0110"; a str in gives a str out, a list in gives a list out.
    """
    if isinstance(strings, str):
        return _normalize_one(strings)
    return [_normalize_one(s) for s in as_list(strings)]


def _roots(data_dir: str | Path | None) -> list[Path]:
    """Where tables are looked for, in order: the user's data root, then the shipped tables."""
    user, shipped = data_root(data_dir), shipped_root()
    return [user] if user.resolve() == shipped.resolve() else [user, shipped]


def _default_name(alphabet: int, roots: list[Path]) -> str:
    """The table for ``alphabet`` symbols: DEFAULT_TABLES, else the largest one available."""
    if alphabet in DEFAULT_TABLES:
        return DEFAULT_TABLES[alphabet]
    found = sorted(
        (int(m[1]), int(m[3]), info.table)
        for root in roots
        for info in list_tables(root)
        if (m := TABLE_NAME.fullmatch(info.table)) and int(m[2]) == alphabet
    )
    if not found:
        raise CTMError(
            f"no table for alphabet {alphabet}: compute one with `ctm run` "
            f"(e.g. a d4x{alphabet} job) or pass table=NAME"
        )
    return found[-1][2]


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


def open_table(
    table: str | None = None,
    version: int | None = None,
    *,
    alphabet: int | None = None,
    data_dir: str | Path | None = None,
) -> Table:
    """Load a table version (None = latest; table None = the default for ``alphabet``, 2 if None).

    ``alphabet``, when given with a table name, must match the table's symbols.
    """
    if alphabet is not None and (isinstance(alphabet, bool) or not isinstance(alphabet, int) or not 2 <= alphabet <= 10):
        raise CTMError(f"alphabet should be an integer from 2 to 10, got {alphabet!r}")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
        raise CTMError(f"version should be a positive integer, got {version!r}")
    roots = _roots(data_dir)
    name = _default_name(alphabet or 2, roots) if table is None else table
    match = TABLE_NAME.fullmatch(name)
    if not match:
        raise CTMError(f"table name should look like d5x2-s500, got {name!r}")
    if alphabet is not None and int(match[2]) != alphabet:
        raise CTMError(f"table {name} has {match[2]} symbols but alphabet={alphabet}; pass alphabet={match[2]}")
    return _load(_locate(name, version, roots).resolve())


@lru_cache(maxsize=8)
def _load(path: Path) -> Table:
    """Read one version directory (versions are immutable, so caching by path is safe)."""
    manifest = load_manifest(path.parents[2], path.parent.name, int(path.name[1:]))
    data = pq.read_table(path / TABLE_FILE, columns=["string", "length", "count", "K", "D"])
    column = data.column("count")
    if pa.types.is_integer(column.type):
        counts = column.to_numpy()
    else:
        counts = np.array([int(c) for c in column.to_pylist()], dtype=object)
    strings = data.column("string").to_pylist()
    lengths, D = data.column("length").to_numpy(), data.column("D").to_numpy()
    order = np.sort(-counts)
    ranks = np.searchsorted(order, -counts, side="left") + 1
    return Table(
        name=manifest["table"],
        version=int(manifest["version"]),
        symbols=int(manifest["symbols"]),
        folder=path,
        manifest=manifest,
        strings=strings,
        counts=counts,
        K=data.column("K").to_numpy(),
        D=D,
        lengths=lengths,
        ranks=np.asarray(ranks, dtype=np.int64),
        index={s: i for i, s in enumerate(strings)},
        masses=np.bincount(lengths, weights=D),
    )


def check_symbols(tab: Table, string: str) -> str:
    """The normalised string; a CTMError if it has more distinct symbols than the table."""
    normalized = _normalize_one(string)
    distinct = len(set(normalized))
    if distinct > tab.symbols:
        raise CTMError(
            f"string {show(string)} has {distinct} distinct symbols but table {tab.name} has "
            f"{tab.symbols}; use a table (or alphabet) with at least {distinct} symbols"
        )
    return normalized


def check_length(tab: Table, string: str) -> None:
    """Refuse a string longer than every output of the table."""
    if len(string) > tab.max_length:
        raise CTMError(
            f"string {show(string)} has length {len(string)} but no output of table {tab.label} "
            f"is longer than {tab.max_length}; {BDM_HINT}"
        )


def answer(tab: Table, string: str) -> Answer:
    """Look one string up by its normalised form."""
    normalized = check_symbols(tab, string)
    check_length(tab, string)
    row = tab.index.get(normalized)
    if row is None:
        return Answer(string, normalized, 0, None, None, None, tab.name, tab.version)
    return Answer(
        string,
        normalized,
        int(tab.counts[row]),
        float(tab.K[row]),
        float(tab.D[row]),
        int(tab.ranks[row]),
        tab.name,
        tab.version,
    )


def lookup(
    strings: str | Iterable[str],
    table: str | None = None,
    version: int | None = None,
    *,
    alphabet: int | None = None,
    data_dir: str | Path | None = None,
) -> list[Answer]:
    """Count, K, D and rank (1 = largest count; ties share a rank) of each string.

    ``alphabet`` None means the named table's own symbols, or 2 without a table name.
    """
    tab = open_table(table, version, alphabet=alphabet, data_dir=data_dir)
    return [answer(tab, s) for s in as_list(strings)]


def _warn_missing(answers: list[Answer], stacklevel: int = 3) -> None:
    missing = [a.string for a in answers if not a.produced]
    if missing:
        first = answers[0]
        warnings.warn(
            f"{len(missing)} of {len(answers)} strings were not produced by table "
            f"{first.table} v{first.version} (K and D are NaN), e.g. {show(missing[0])}; "
            f"{BDM_HINT}",
            NotProducedWarning,
            stacklevel=stacklevel,
        )


def acss(
    strings: str | Iterable[str],
    alphabet: int = 2,
    *,
    table: str | None = None,
    version: int | None = None,
    data_dir: str | Path | None = None,
) -> pd.DataFrame:
    """K and D of each string, like acss::acss, as a DataFrame indexed by the input strings.

    Columns K, D (NaN for a string the table never produced, with a NotProducedWarning,
    as acss gives NA), count and rank (<NA> when not produced).
    """
    answers = lookup(strings, table, version, alphabet=alphabet, data_dir=data_dir)
    _warn_missing(answers)
    nan = float("nan")
    frame = pd.DataFrame(
        {
            "K": [nan if a.K is None else a.K for a in answers],
            "D": [nan if a.D is None else a.D for a in answers],
            "count": [a.count for a in answers],
            "rank": pd.array([a.rank for a in answers], dtype="Int64"),
        },
        index=pd.Index([a.string for a in answers], name="string"),
    )
    return frame


def local_complexity(
    strings: str | Iterable[str],
    span: int = 5,
    alphabet: int = 2,
    *,
    table: str | None = None,
    version: int | None = None,
    data_dir: str | Path | None = None,
) -> list[pd.Series]:
    """K of every substring of length ``span``, in order (acss::local_complexity).

    One Series per input string (named by it, indexed by the substrings); a string
    shorter than ``span`` has no substrings and gives an empty Series.
    """
    tab = open_table(table, version, alphabet=alphabet, data_dir=data_dir)
    if isinstance(span, bool) or not isinstance(span, int) or not 1 <= span <= tab.max_length:
        raise CTMError(f"span should be an integer from 1 to {tab.max_length} for table {tab.label}, got {span!r}")
    out, answers = [], []
    for string in as_list(strings):
        check_symbols(tab, string)
        parts = [string[i : i + span] for i in range(len(string) - span + 1)]
        found = [answer(tab, p) for p in parts]
        answers += found
        values = [float("nan") if a.K is None else a.K for a in found]
        out.append(pd.Series(values, index=pd.Index(parts, dtype=object), name=string, dtype=float))
    if answers:
        _warn_missing(answers)
    return out


def _by_length(tab: Table, strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """D(s) / (sum of D over the table's strings of length |s|), and |s|, per string."""
    answers = [answer(tab, s) for s in strings]
    _warn_missing(answers, stacklevel=4)
    likelihood = np.array(
        [float("nan") if a.D is None else a.D / tab.masses[len(a.string)] for a in answers], dtype=float
    )
    return likelihood, np.array([len(s) for s in strings], dtype=float)


def likelihood_d(
    strings: str | Iterable[str],
    alphabet: int = 2,
    *,
    table: str | None = None,
    version: int | None = None,
    data_dir: str | Path | None = None,
) -> pd.Series:
    """P(s | deterministic): D(s) normalised over all strings of the same length (acss::likelihood_d)."""
    items = as_list(strings)
    tab = open_table(table, version, alphabet=alphabet, data_dir=data_dir)
    likelihood, _ = _by_length(tab, items)
    return pd.Series(likelihood, index=pd.Index(items, name="string", dtype=object))


def likelihood_ratio(
    strings: str | Iterable[str],
    alphabet: int = 2,
    *,
    table: str | None = None,
    version: int | None = None,
    data_dir: str | Path | None = None,
) -> pd.Series:
    """Bayes factor P(s | random) / P(s | deterministic), P(s | random) = alphabet**-len(s) (acss)."""
    items = as_list(strings)
    tab = open_table(table, version, alphabet=alphabet, data_dir=data_dir)
    likelihood, lengths = _by_length(tab, items)
    return pd.Series(float(alphabet) ** -lengths / likelihood, index=pd.Index(items, name="string", dtype=object))


def prob_random(
    strings: str | Iterable[str],
    alphabet: int = 2,
    prior: float = 0.5,
    *,
    table: str | None = None,
    version: int | None = None,
    data_dir: str | Path | None = None,
) -> pd.Series:
    """Posterior P(random | s) for a prior P(random) (acss::prob_random)."""
    if isinstance(prior, bool) or not isinstance(prior, (int, float)) or not 0 <= prior <= 1:
        raise CTMError(f"prior should be a probability between 0 and 1, got {prior!r}")
    items = as_list(strings)
    tab = open_table(table, version, alphabet=alphabet, data_dir=data_dir)
    likelihood, lengths = _by_length(tab, items)
    random = float(alphabet) ** -lengths
    posterior = random * prior / (random * prior + likelihood * (1 - prior))
    return pd.Series(posterior, index=pd.Index(items, name="string", dtype=object))


def _shannon(parts: list[str]) -> float:
    """Entropy in bits of the empirical distribution of ``parts`` (0 for none)."""
    total = len(parts)
    return -sum(n / total * math.log2(n / total) for n in Counter(parts).values()) + 0.0


def entropy(strings: str | Iterable[str]) -> pd.Series:
    """First-order Shannon entropy (bits) of each string's symbol frequencies (acss::entropy)."""
    items = as_list(strings)
    return pd.Series([_shannon(list(s)) for s in items], index=pd.Index(items, name="string", dtype=object), dtype=float)


def entropy2(strings: str | Iterable[str]) -> pd.Series:
    """Second-order entropy: entropy of the overlapping pairs of symbols (acss::entropy2)."""
    items = as_list(strings)
    for s in items:
        if len(s) < 2:
            raise CTMError(f"entropy2 needs strings of length 2 or more, got {show(s)}")
    values = [_shannon([s[i : i + 2] for i in range(len(s) - 1)]) for s in items]
    return pd.Series(values, index=pd.Index(items, name="string", dtype=object), dtype=float)
