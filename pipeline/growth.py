"""What a larger space changes: CTM tables of successive spaces (D(n) against D(n+1), e.g.
``d4x2-s107`` against ``d5x2-s500``) and an exact reading (``d{n}x{m}-s{S}-upto{L}``)
against the plain table of its run, compared by what the tables hold.

Every figure comes from the tables' rows: how complete each table is by length, how K
correlates between two tables, which strings move most in rank, which short outputs
appear only after the step limit S (each with a machine that writes it), and BDM of given
strings on several tables. Tables are named as in ``pipeline.query.open_table`` (the
user's data root first, then the shipped tables); each function returns a pandas
DataFrame. The comparisons need exact tables of strings over a whole space; docs/d6.md
shows them on D(4), D(5) and D(6).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from pipeline.errors import CTMError
from pipeline.query import Table, name_parts, normalize_one, open_table
from pipeline.tables import TABLE_FILE, data_root, shipped_root, versions

COLUMNS = ("string", "length", "count", "K")
"""The columns every comparison reads; an exact reading adds K_low and K_high."""

WITHIN = ("length", "table")


def available(names: Sequence[str], *, data_dir: str | Path | None = None) -> list[str]:
    """The names among ``names`` with a published version in the data root or among the
    shipped tables, in the order given.

    Raises
    ------
    CTMError
        A name not of a table name's form (``d5x2-s500``, ``d6x2-s500-upto12``, ...).
    """
    for name in names:
        if name_parts(name) is None:
            open_table(name, data_dir=data_dir)  # raises the one-line message of a malformed name
    roots = [data_root(data_dir), shipped_root()]
    return [name for name in names if any(versions(root, name) for root in roots)]


def open_strings(name: str, *, data_dir: str | Path | None = None) -> Table:
    """The latest version of table ``name``, checked to be an exact table of strings over a
    whole space (the tables these comparisons are defined on).

    Raises
    ------
    CTMError
        As ``open_table`` (a malformed or unknown name), or a table of matrices, a sampled
        table (its rows are patterns) or one that covers part of its space.
    """
    tab = open_table(name, data_dir=data_dir)
    if tab.dims != 1:
        raise CTMError(f"table {tab.label} holds matrices: compare tables of strings (1-D)")
    if tab.sampled:
        raise CTMError(f"table {tab.label} is sampled (its rows are patterns): compare exact tables")
    if tab.manifest.get("coverage") != "full":
        raise CTMError(f"table {tab.label} covers only part of its space: compare tables of whole spaces")
    return tab


def _read(tab: Table, filters: list[tuple] | None = None) -> pd.DataFrame:
    """string, length, count (Python ints past int64), K (and K_low, K_high) of the rows of
    table.parquet that pass ``filters`` (pyarrow's), in file order, without the lookup
    columns."""
    path = tab.folder / TABLE_FILE
    names = pq.ParquetFile(path).schema_arrow.names
    columns = [c for c in (*COLUMNS, "K_low", "K_high") if c in names]
    frame = pq.read_table(path, columns=columns, filters=filters or None).to_pandas()
    if frame["count"].dtype == object:  # decimal128 counts of a space of 2**63 machines or more
        frame["count"] = frame["count"].map(int)
    return frame


@lru_cache(maxsize=4)
def _rows(tab: Table) -> pd.DataFrame:
    """Every row (``_read``); shared: never modified."""
    return _read(tab)


@lru_cache(maxsize=8)
def _lengths(tab: Table) -> pd.Series:
    """Rows of each length the table holds (index: length, ascending), from its length
    column alone: a table of D(6) holds millions of strings."""
    lengths = pq.read_table(tab.folder / TABLE_FILE, columns=["length"]).column("length").to_numpy()
    counts = np.bincount(lengths) if lengths.size else np.zeros(0, dtype=np.int64)
    held = np.flatnonzero(counts)
    return pd.Series(counts[held], index=held)


def _size(tab: Table) -> int:
    """The table's rows, from the Parquet footer."""
    return pq.ParquetFile(tab.folder / TABLE_FILE).metadata.num_rows


def rows(table: str, *, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Every row of an exact table of strings (``open_strings``), in file order.

    Returns
    -------
    pandas.DataFrame
        One row per string: string, length, count (machines, blank-summed), K (bits), and
        K_low, K_high on an exact reading. A copy: the caller may change it.
    """
    return _rows(open_strings(table, data_dir=data_dir)).copy()


def _integers(values: list[int]) -> pd.Series:
    """int64, or exact Python ints (object) where a value passes int64."""
    fits = all(v < 2**63 for v in values)
    return pd.Series(values, dtype="int64" if fits else object)


def completeness(tables: Sequence[str], *, data_dir: str | Path | None = None) -> pd.DataFrame:
    """How much of each length each table holds: strings produced out of the m^L of length L.

    Parameters
    ----------
    tables : sequence of str
        Table names (``open_strings``), e.g. ``["d4x2-s107", "d5x2-s500"]``.
    data_dir : str or Path, optional
        Data root looked in before the shipped tables.

    Returns
    -------
    pandas.DataFrame
        One row per table and length L from 1 to the table's longest output (an exact
        reading's L), lengths it lacks included: ``table``, ``length``, ``strings`` (rows
        of that length), ``possible`` (m^L; exact Python ints past int64) and ``share``
        (strings / possible, 0 to 1).

    Raises
    ------
    CTMError
        A table ``open_strings`` refuses.
    """
    parts = []
    for name in tables:
        tab = open_strings(name, data_dir=data_dir)
        produced = _lengths(tab)
        upto = tab.exact_upto
        longest = upto["L"] if upto is not None else int(produced.index.max())
        lengths = list(range(1, longest + 1))
        strings = [int(produced.get(n, 0)) for n in lengths]
        possible = [tab.symbols**n for n in lengths]
        parts.append(
            pd.DataFrame(
                {
                    "table": name,
                    "length": pd.Series(lengths, dtype="int64"),
                    "strings": pd.Series(strings, dtype="int64"),
                    "possible": _integers(possible),
                    "share": [s / p for s, p in zip(strings, possible)],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def pair(a: str, b: str, *, data_dir: str | Path | None = None) -> pd.DataFrame:
    """The strings both tables hold, with each table's count and K.

    Parameters
    ----------
    a, b : str
        Table names (``open_strings``) of one alphabet, e.g. D(n) and D(n+1).
    data_dir : str or Path, optional
        Data root looked in before the shipped tables.

    Returns
    -------
    pandas.DataFrame
        string, length, count_a, K_a, count_b, K_b: one row per string in both, in ``a``'s
        order.

    Raises
    ------
    CTMError
        A table ``open_strings`` refuses, or tables of different alphabets.
    """
    ta, tb = open_strings(a, data_dir=data_dir), open_strings(b, data_dir=data_dir)
    if ta.symbols != tb.symbols:
        raise CTMError(
            f"tables {ta.label} and {tb.label} have {ta.symbols} and {tb.symbols} symbols: compare one alphabet"
        )
    # the larger table is read only where it holds the smaller one's strings
    if _size(ta) <= _size(tb):
        ra = _rows(ta)
        rb = _read(tb, [("string", "in", ra["string"].tolist())])
    else:
        rb = _rows(tb)
        ra = _read(ta, [("string", "in", rb["string"].tolist())])
    left = ra[list(COLUMNS)].rename(columns={"count": "count_a", "K": "K_a"})
    right = rb[["string", "count", "K"]].rename(columns={"count": "count_b", "K": "K_b"})
    return left.merge(right, on="string", how="inner")


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's r of two float arrays; NaN for fewer than 2 values or a constant one."""
    if x.size < 2:
        return math.nan
    dx, dy = x - x.mean(), y - y.mean()
    scale = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return math.nan if scale == 0 else max(-1.0, min(1.0, float(dx @ dy) / scale))


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho of two equally long sequences: Pearson's r of their average ranks
    (ties share the mean of their ranks), as scipy.stats.spearmanr; NaN for fewer than 2
    values or a constant one.

    Raises
    ------
    CTMError
        Sequences of different lengths.
    """
    x, y = pd.Series(x, dtype=float).reset_index(drop=True), pd.Series(y, dtype=float).reset_index(drop=True)
    if len(x) != len(y):
        raise CTMError(f"spearman needs two sequences of one length, got {len(x)} and {len(y)} values")
    return _pearson(x.rank().to_numpy(float), y.rank().to_numpy(float))


def _row(a: str, b: str, length: int | None, x: pd.Series, y: pd.Series, only_a: int, only_b: int) -> dict:
    """One row of ``correlation``: Spearman as Pearson of average ranks."""
    return {
        "a": a,
        "b": b,
        "length": length,
        "n": len(x),
        "only_a": only_a,
        "only_b": only_b,
        "spearman": spearman(x, y),
        "pearson": _pearson(x.to_numpy(float), y.to_numpy(float)),
        "shift": float((y - x).median()) if len(x) else math.nan,
    }


def correlation(a: str, b: str, *, data_dir: str | Path | None = None) -> pd.DataFrame:
    """How K in table ``b`` follows K in table ``a``, length by length and over the whole
    tables, on the strings both hold.

    Spearman's rho is Pearson's r of the average ranks (ties share the mean of their
    ranks), as scipy.stats.spearmanr; Pearson's r is taken on K in bits.

    Parameters
    ----------
    a, b : str
        Table names (``open_strings``) of one alphabet, e.g. ``d4x2-s107`` and ``d5x2-s500``.
    data_dir : str or Path, optional
        Data root looked in before the shipped tables.

    Returns
    -------
    pandas.DataFrame
        One row per length that either table holds, then one for the whole tables (its
        ``length`` is <NA>): ``a``, ``b`` (the names), ``length`` (Int64), ``n`` (strings
        in both), ``only_a``, ``only_b`` (strings in one table only), ``spearman``,
        ``pearson`` (NaN for n < 2 or where K is the same for every string in one table,
        as for the two strings of length 1) and ``shift`` (the median of K_b - K_a, bits;
        NaN for n = 0).

    Raises
    ------
    CTMError
        As ``pair``.
    """
    both = pair(a, b, data_dir=data_dir)
    ta, tb = open_strings(a, data_dir=data_dir), open_strings(b, data_dir=data_dir)
    per_a, per_b = _lengths(ta), _lengths(tb)
    groups = dict(tuple(both.groupby("length")))
    empty = both.iloc[:0]
    out = []
    for length in sorted(set(per_a.index) | set(per_b.index)):
        group = groups.get(length, empty)
        n = len(group)
        out.append(
            _row(
                a,
                b,
                int(length),
                group["K_a"],
                group["K_b"],
                int(per_a.get(length, 0)) - n,
                int(per_b.get(length, 0)) - n,
            )
        )
    out.append(_row(a, b, None, both["K_a"], both["K_b"], _size(ta) - len(both), _size(tb) - len(both)))
    frame = pd.DataFrame(out)
    frame["length"] = frame["length"].astype("Int64")
    return frame


def rank_changes(
    a: str, b: str, *, within: str = "length", top: int | None = 20, data_dir: str | Path | None = None
) -> pd.DataFrame:
    """The strings whose rank moves most from table ``a`` to table ``b``.

    A string's rank is 1 + the number of strings with a larger count (ties share a rank,
    as the tables' own ``rank``), taken among the strings both tables hold: within its
    length (``within="length"``) or over all of them (``"table"``). K itself is not
    compared: a larger space gives longer strings a larger share of its halting machines,
    so K shifts between spaces by an amount that depends on the length (``correlation``'s
    ``shift``), and ranks within a length are free of it.

    Parameters
    ----------
    a, b : str
        Table names (``open_strings``) of one alphabet.
    within : {"length", "table"}
        Rank among the common strings of the same length, or among all common strings.
    top : int or None
        Rows kept, largest changes first; None keeps every common string.
    data_dir : str or Path, optional
        Data root looked in before the shipped tables.

    Returns
    -------
    pandas.DataFrame
        ``a``, ``b`` (the names), string, length, K_a, K_b (bits), rank_a, rank_b, change
        (rank_b - rank_a: positive when the string is less probable, relative to the
        others, in ``b``) and ``among`` (the common strings ranked together), by the size of
        the change (largest first), then length and string.

    Raises
    ------
    CTMError
        As ``pair``, or ``within`` or ``top`` outside their values.
    """
    if within not in WITHIN:
        raise CTMError(f"within should be one of {', '.join(WITHIN)}, got {within!r}")
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise CTMError(f"top should be a positive integer or None, got {top!r}")
    both = pair(a, b, data_dir=data_dir)
    groups = both.groupby("length") if within == "length" else both.groupby(np.zeros(len(both), dtype=np.int8))
    for side in ("a", "b"):
        both[f"rank_{side}"] = groups[f"count_{side}"].rank(method="min", ascending=False).astype("int64")
    both["change"] = both["rank_b"] - both["rank_a"]
    both["among"] = groups["string"].transform("size").astype("int64")
    both["size"] = both["change"].abs()
    both = both.sort_values(["size", "length", "string"], ascending=[False, True, True], kind="stable")
    both.insert(0, "a", a)
    both.insert(1, "b", b)
    columns = ["a", "b", "string", "length", "K_a", "K_b", "rank_a", "rank_b", "change", "among"]
    out = both[columns] if top is None else both[columns].head(top)
    return out.reset_index(drop=True)


def _class_key(string: str) -> str:
    """One key for a string, its reversal and every renaming of its symbols (over a full
    space they have one count: docs/ctm.md)."""
    return min(normalize_one(string), normalize_one(string[::-1]))


def _producers(tab: Table, strings: list[str]) -> dict[str, tuple[str, int, str, str]]:
    """String -> (machine, steps, its blank-0 output, how that output gives the string) of
    the first late halt (by steps, then machine) whose output is the string, its reversal,
    or either with symbols renamed; strings without one are left out."""
    note = tab.manifest.get("late_halts") or {}
    path = tab.folder / note.get("file", "late_halts.parquet")
    if not path.exists():
        return {}
    late = pq.read_table(path, columns=["machine", "steps", "output"]).to_pandas()
    exact: dict[str, tuple[str, int]] = {}
    by_class: dict[str, str] = {}
    for machine, steps, output in zip(late["machine"], late["steps"], late["output"]):
        exact.setdefault(output, (machine, int(steps)))
        by_class.setdefault(_class_key(output), output)
    out = {}
    for string in strings:
        for output, how in ((string, "it"), (string[::-1], "reversed")):
            if output in exact:
                break
        else:
            output = by_class.get(_class_key(string))
            if output is None:
                continue
            how = "symbols renamed" if normalize_one(output) == normalize_one(string) else "reversed, symbols renamed"
        machine, steps = exact[output]
        out[string] = (machine, steps, output, how)
    return out


def plain_of(exact: str, *, data_dir: str | Path | None = None) -> str:
    """The plain table of an exact reading's run: the one its manifest names
    (``reading.same_run.plain``), else its name without ``-upto{L}``.

    Raises
    ------
    CTMError
        A table ``open_strings`` refuses, or one that is not an exact reading.
    """
    te = open_strings(exact, data_dir=data_dir)
    if te.exact_upto is None:
        raise CTMError(
            f"table {te.label} is not an exact reading (d{{n}}x{{m}}-s{{S}}-upto{{L}}): it has no exact_upto"
        )
    return (te.manifest.get("reading") or {}).get("same_run", {}).get("plain") or exact.rsplit("-upto", 1)[0]


def late_outputs(exact: str, plain: str | None = None, *, data_dir: str | Path | None = None) -> pd.DataFrame:
    """The outputs of at most L symbols that appear only after the step limit S: in the
    exact reading ``exact`` (``d{n}x{m}-s{S}-upto{L}``), absent from the plain table of the
    same space and S.

    Parameters
    ----------
    exact : str
        An exact reading's name, e.g. ``d6x2-s500-upto12`` (docs/no-cutoff.md, ``exact_upto``).
    plain : str, optional
        The plain table; default the one its manifest names (``reading.same_run.plain``).
    data_dir : str or Path, optional
        Data root looked in before the shipped tables.

    Returns
    -------
    pandas.DataFrame
        One row per such string, by count (largest first) then string: string, length,
        count (exact, blank-summed), K_low, K_high (bits), and one machine that writes it
        from the reading's ``late_halts.parquet``: ``machine`` (standard text, ``---`` for
        an entry never read), ``steps`` (its halting step, after S), ``output`` (what it
        writes on blank 0) and ``relation`` (``it``, ``reversed``, ``symbols renamed`` or
        ``reversed, symbols renamed``: how that output gives the string); None (NaN for
        steps) where the file names none.

    Raises
    ------
    CTMError
        A table ``open_strings`` refuses, ``exact`` not an exact reading, or ``plain``
        an exact reading or a table of another space or step limit.
    """
    te = open_strings(exact, data_dir=data_dir)
    if te.exact_upto is None:
        raise CTMError(
            f"table {te.label} is not an exact reading (d{{n}}x{{m}}-s{{S}}-upto{{L}}): it has no exact_upto"
        )
    plain = plain_of(exact, data_dir=data_dir) if plain is None else plain
    tp = open_strings(plain, data_dir=data_dir)
    if tp.exact_upto is not None:
        raise CTMError(f"table {tp.label} is an exact reading too: compare {te.label} with its plain table")
    space = ("states", "symbols", "max_steps")
    if any(te.manifest[k] != tp.manifest[k] for k in space):
        raise CTMError(
            f"table {tp.label} is not of the space and step limit of {te.label} "
            f"({', '.join(f'{k} {tp.manifest[k]} vs {te.manifest[k]}' for k in space)}): name its plain table"
        )
    read = _rows(te)
    longest = int(read["length"].max()) if len(read) else 0
    held = pq.read_table(tp.folder / TABLE_FILE, columns=["string"], filters=[("length", "<=", longest)])
    new = read[~read["string"].isin(set(held.column("string").to_pylist()))]
    new = new[["string", "length", "count", "K_low", "K_high"]].sort_values(
        ["count", "string"], ascending=[False, True], kind="stable"
    )
    found = _producers(te, new["string"].tolist())
    for i, column in enumerate(("machine", "steps", "output", "relation")):
        new[column] = [found[s][i] if s in found else None for s in new["string"]]
    new["steps"] = new["steps"].astype("Int64")
    return new.reset_index(drop=True)


def bdm_by_table(
    strings: Sequence[str],
    tables: Sequence[str],
    *,
    block: int = 12,
    data_dir: str | Path | None = None,
    errors: str = "warn",
) -> pd.DataFrame:
    """BDM of each string on each table (pybdm's definition: ``pipeline.bdm.bdm``, blocks
    of ``block`` symbols, the tail dropped, missing blocks imputed).

    Parameters
    ----------
    strings : sequence of str
        The strings, in any symbols (each block is looked up by its normalised form).
    tables : sequence of str
        Table names, e.g. ``["d5x2-s500", "d6x2-s500", "d6x2-s500-upto12"]``; each must
        hold outputs of ``block`` symbols (an exact reading's L at least ``block``).
    block : int
        Block length in symbols: 12 for D(5) and D(6) (pybdm's), less for smaller tables.
    data_dir : str or Path, optional
        Data root looked in before the shipped tables.
    errors : {"warn", "raise", "ignore"}
        As ``pipeline.bdm.bdm``: what to do with a string that gets no value.

    Returns
    -------
    pandas.DataFrame
        One row per table and string, tables in the order given, strings in input order:
        ``table``, ``string``, ``block``, ``BDM`` (bits), ``BDM_low``, ``BDM_high`` (the
        interval on an exact reading, NaN on any other table) and ``imputed_share`` (the
        share of BDM from blocks the table never produced, 0 to 1). Pivot for one column
        per table: ``frame.pivot(index="string", columns="table", values="BDM")``.

    Raises
    ------
    CTMError
        A bad table or block (as ``pipeline.bdm.BDM``), or with ``errors="raise"`` a string
        with no value.
    """
    from pipeline.bdm import bdm

    strings = list(strings)
    parts = []
    for name in tables:
        got = bdm(strings, table=name, block=block, data_dir=data_dir, errors=errors)
        nan = [math.nan] * len(strings)
        parts.append(
            pd.DataFrame(
                {
                    "table": name,
                    "string": strings,
                    "block": block,
                    "BDM": got.to_numpy(float),
                    "BDM_low": got.attrs.get("BDM_low", nan),
                    "BDM_high": got.attrs.get("BDM_high", nan),
                    "imputed_share": got.attrs["imputed_share"],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


__all__ = [
    "available",
    "bdm_by_table",
    "completeness",
    "correlation",
    "late_outputs",
    "open_strings",
    "pair",
    "plain_of",
    "rank_changes",
    "rows",
    "spearman",
]
