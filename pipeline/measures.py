"""The rest of R's acss, on this project's tables: local complexity, likelihoods, the
posterior of randomness, entropies, and acss's own ``bdm()`` (``acss_bdm``).

Definitions follow acss 0.3 (Gauvrit, Singmann, Soler-Toscano & Zenil 2016: R/acss.R,
R/bdm.R, R/standard_complexity.R); each function names the one it equals. Like
``pipeline.query.acss`` each takes a batch and gives one answer per input, NaN with a
reason (pipeline.batch) where it has none; ``alphabet`` None means the named table's
own, or 2 without a table name. One rule is stricter than acss's: a string with more
distinct symbols than the table is NA as a whole, where acss would still look up its
windows or blocks that happen to use fewer.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.batch import check_errors, series, settle
from pipeline.errors import CTMError
from pipeline.inputs import NA, Item, items, show
from pipeline.query import NOT_PRODUCED, Table, answers, open_or_na, symbols_na
from pipeline.reliable import reliable_values

if TYPE_CHECKING:
    import pandas as pd

SHORT = "too short"
BLOCK_NA = "a block has no K"
WINDOWS_NA = "windows with no K"


def windows_of(
    tab: Table | None, entry: Item, span: int, no_table: NA | None = None
) -> tuple[list[str], list[float], list[float], NA | None]:
    """(windows, their K, their K_se, NA or None) of one input: the core of
    ``local_complexity``, without pandas (``ctm local`` uses it).

    Parameters
    ----------
    tab : Table or None
        The table; None when its alphabet has none (then ``no_table`` is the NA).
    entry : Item
        The input.
    span : int
        Window length in symbols (checked by ``check_span``).
    no_table : NA, optional
        The NA of an alphabet with no table.

    Returns
    -------
    windows : list of str
        Every window of ``span`` symbols, in order; empty for an input with an NA of
        its own, or shorter than ``span``.
    K : list of float
        Each window's K in bits; NaN for a window with no reliable value.
    K_se : list of float
        Each window's standard error of K (bits); NaN throughout on an exact table.
    na : NA or None
        Why the input (or some of its windows) has no K; None when every window has one.
    """
    na = entry.na or no_table
    if na is not None:
        return [], [], [], na
    checked = symbols_na(tab, entry.text)
    if isinstance(checked, NA):
        return [], [], [], checked
    if len(entry.text) < span:
        return [], [], [], NA(SHORT, f"has length {len(entry.text)}, shorter than the span {span}: no window")
    windows = [entry.text[i : i + span] for i in range(len(entry.text) - span + 1)]
    found = answers(tab, [Item(w, w) for w in windows])
    values = [math.nan if a.K is None else a.K for a in found]
    errors_ = [math.nan if a.values.get("K_se") is None else a.values["K_se"] for a in found]
    missing = [a for a in found if a.reason is not None]
    if missing:
        na = NA(
            WINDOWS_NA,
            f"{len(missing)} of {len(windows)} windows have no K (NaN), e.g. {show(missing[0].string)}: "
            f"{missing[0].note}",
        )
    return windows, values, errors_, na


def check_span(tab: Table | None, span: object) -> int:
    """``span`` as an int, or a CTMError when it is no window length of ``tab``."""
    span = int(span) if isinstance(span, np.integer) else span
    if tab is not None and (isinstance(span, bool) or not isinstance(span, int) or not 1 <= span <= tab.max_length):
        raise CTMError(f"span should be an integer from 1 to {tab.max_length} for table {tab.label}, got {span!r}")
    return span


def mean_se(errors_: list[float]) -> float:
    """Upper bound on the standard error of the mean K of windows: the mean of their
    errors. The windows share the table's batches, so their errors are not independent;
    this bound holds whatever their correlation."""
    return float(np.mean(errors_)) if errors_ else math.nan


def local_complexity(
    strings: object,
    span: int = 5,
    alphabet: int | None = None,
    *,
    table: str | None = None,
    version: int | None = None,
    data_dir: str | Path | None = None,
    errors: str = "warn",
) -> list[pd.Series]:
    """K of every window of ``span`` symbols, in order (acss::local_complexity).

    A window the table has no reliable value for (never produced; on a sampled table,
    too uncertain: pipeline.reliable) is NaN, as in lookups.

    Parameters
    ----------
    strings : str, sequence of str or None, or pandas Series
        The inputs (None or NaN: a missing value).
    span : int
        Window length in symbols, 1 to the table's longest output (acss's default 5).
    alphabet : int, optional
        Symbols of the table, 2 to 10; None: the named table's own, or 2.
    table, version, data_dir
        Which table, as ``pipeline.query.open_table``.
    errors : {"warn", "raise", "ignore"}
        What to do with inputs that get an NA: warn once (NAWarning), raise CTMError at
        the first, or neither.

    Returns
    -------
    list of pandas.Series
        One per input, named by it and indexed by its windows, holding their K in bits.
        An input with no windows at all (shorter than ``span``, unreadable, more symbols
        than the table) gives an empty Series; ``attrs["reason"]`` says why (None when
        every window has a K). With a sampled table (the defaults of alphabets 4, 5, 6
        and 9) ``attrs["K_se"]`` holds each window's standard error of K (bits) and
        ``attrs["mean_se"]`` an upper bound on that of the windows' mean (``mean_se``).

    Raises
    ------
    CTMError
        A bad span, alphabet, table or errors, or with ``errors="raise"`` the first input
        with an NA.
    """
    import pandas as pd

    check_errors(errors)
    entries = items(strings)
    tab, no_table = open_or_na(table, version, alphabet, data_dir)
    span = check_span(tab, span)
    out, reasons = [], []
    for entry in entries:
        windows, values, errors_, na = windows_of(tab, entry, span, no_table)
        result = pd.Series(values, index=pd.Index(windows, dtype=object), name=entry.label, dtype=float)
        result.attrs["reason"] = None if na is None else na.detail
        if tab is not None and tab.sampled:
            result.attrs["K_se"] = np.array(errors_, dtype=float)
            result.attrs["mean_se"] = mean_se(errors_)
        out.append(result)
        reasons.append(na)
    settle(entries, reasons, errors)
    return out


def _by_length(strings, table, version, alphabet, data_dir, errors) -> tuple[list[Item], np.ndarray, list, float]:
    """Per input: D(s) / (sum of D over the table's strings of length |s|) (NaN for an NA),
    with the inputs, their NAs and the alphabet P(s | random) is taken over."""
    check_errors(errors)
    entries = items(strings)
    tab, no_table = open_or_na(table, version, alphabet, data_dir)
    values, reasons = [], []
    for found in answers(tab, entries, no_table):
        values.append(math.nan if found.D is None else found.D / tab.masses[len(found.normalized)])
        reasons.append(found.reason)
    base = alphabet or (tab.symbols if tab is not None else 2)
    return entries, np.array(values, dtype=float), reasons, float(base)


def _random(entries: list[Item], base: float) -> np.ndarray:
    """P(s | random) = base ** -len(s) per input (NaN for an input with no text)."""
    return np.array([base ** -len(e.text) if e.ok else math.nan for e in entries], dtype=float)


def likelihood_d(
    strings: object,
    alphabet: int | None = None,
    *,
    table: str | None = None,
    version: int | None = None,
    data_dir: str | Path | None = None,
    errors: str = "warn",
) -> pd.Series:
    """P(s | deterministic): D(s) over the sum of D of all strings of its length (acss::likelihood_d).

    Parameters
    ----------
    strings : str, sequence of str or None, or pandas Series
        The inputs (None or NaN: a missing value).
    alphabet : int, optional
        Symbols of the table, 2 to 10; None: the named table's own, or 2.
    table, version, data_dir
        Which table, as ``pipeline.query.open_table``.
    errors : {"warn", "raise", "ignore"}
        What to do with inputs that get an NA: warn once (NAWarning), raise CTMError at
        the first, or neither.

    Returns
    -------
    pandas.Series
        One probability (0 to 1) per input, NaN for an NA.

    Raises
    ------
    CTMError
        A bad alphabet, table or errors, or with ``errors="raise"`` the first input with
        an NA.
    """
    entries, likelihood, reasons, _ = _by_length(strings, table, version, alphabet, data_dir, errors)
    return series(entries, likelihood, reasons, errors)


def likelihood_ratio(
    strings: object,
    alphabet: int | None = None,
    *,
    table: str | None = None,
    version: int | None = None,
    data_dir: str | Path | None = None,
    errors: str = "warn",
) -> pd.Series:
    """Bayes factor P(s | random) / P(s | deterministic), P(s | random) = alphabet**-len(s)
    (acss::likelihood_ratio); P(s | deterministic) is ``likelihood_d``'s.

    Parameters
    ----------
    strings : str, sequence of str or None, or pandas Series
        The inputs (None or NaN: a missing value).
    alphabet : int, optional
        Symbols of the table, 2 to 10, and the base of P(s | random); None: the named
        table's own, or 2.
    table, version, data_dir
        Which table, as ``pipeline.query.open_table``.
    errors : {"warn", "raise", "ignore"}
        What to do with inputs that get an NA: warn once (NAWarning), raise CTMError at
        the first, or neither.

    Returns
    -------
    pandas.Series
        One ratio (positive) per input, NaN for an NA.

    Raises
    ------
    CTMError
        A bad alphabet, table or errors, or with ``errors="raise"`` the first input with
        an NA.
    """
    entries, likelihood, reasons, base = _by_length(strings, table, version, alphabet, data_dir, errors)
    return series(entries, _random(entries, base) / likelihood, reasons, errors)


def prob_random(
    strings: object,
    alphabet: int | None = None,
    prior: float = 0.5,
    *,
    table: str | None = None,
    version: int | None = None,
    data_dir: str | Path | None = None,
    errors: str = "warn",
) -> pd.Series:
    """Posterior P(random | s) for a prior P(random) (acss::prob_random): by Bayes' rule,
    P(s | random) prior / (P(s | random) prior + P(s | deterministic) (1 - prior)), with
    the likelihoods of ``likelihood_ratio``.

    Parameters
    ----------
    strings : str, sequence of str or None, or pandas Series
        The inputs (None or NaN: a missing value).
    alphabet : int, optional
        Symbols of the table, 2 to 10; None: the named table's own, or 2.
    prior : float
        P(random), 0 to 1 (acss's default 0.5).
    table, version, data_dir
        Which table, as ``pipeline.query.open_table``.
    errors : {"warn", "raise", "ignore"}
        What to do with inputs that get an NA: warn once (NAWarning), raise CTMError at
        the first, or neither.

    Returns
    -------
    pandas.Series
        One probability (0 to 1) per input, NaN for an NA.

    Raises
    ------
    CTMError
        A prior outside [0, 1], a bad alphabet, table or errors, or with
        ``errors="raise"`` the first input with an NA.
    """
    if isinstance(prior, bool) or not isinstance(prior, (int, float)) or not 0 <= prior <= 1:
        raise CTMError(f"prior should be a probability between 0 and 1, got {prior!r}")
    entries, likelihood, reasons, base = _by_length(strings, table, version, alphabet, data_dir, errors)
    random = _random(entries, base)
    return series(entries, random * prior / (random * prior + likelihood * (1 - prior)), reasons, errors)


def _shannon(parts: list[str]) -> float:
    """Entropy in bits of the empirical distribution of ``parts`` (0 for none)."""
    total = len(parts)
    return -sum(n / total * math.log2(n / total) for n in Counter(parts).values()) + 0.0


def entropy(strings: object, *, errors: str = "warn") -> pd.Series:
    """First-order Shannon entropy (bits) of each string's symbol frequencies (acss::entropy).

    Parameters
    ----------
    strings : str, sequence of str or None, or pandas Series
        The inputs (None or NaN: a missing value); no table is used.
    errors : {"warn", "raise", "ignore"}
        What to do with inputs that get an NA: warn once, raise CTMError, or neither.

    Returns
    -------
    pandas.Series
        One entropy in bits per input (0 for one repeated symbol), NaN for an NA.

    Raises
    ------
    CTMError
        A bad ``errors``, or with ``errors="raise"`` the first input with an NA.
    """
    check_errors(errors)
    entries = items(strings)
    values = [_shannon(list(e.text)) if e.ok else math.nan for e in entries]
    return series(entries, values, [e.na for e in entries], errors)


def entropy2(strings: object, *, errors: str = "warn") -> pd.Series:
    """Second-order entropy: entropy of the overlapping pairs of symbols (acss::entropy2).

    Parameters
    ----------
    strings : str, sequence of str or None, or pandas Series
        The inputs (None or NaN: a missing value); no table is used.
    errors : {"warn", "raise", "ignore"}
        What to do with inputs that get an NA (a string of fewer than 2 symbols among
        them): warn once, raise CTMError, or neither.

    Returns
    -------
    pandas.Series
        One entropy in bits per input, NaN for an NA.

    Raises
    ------
    CTMError
        A bad ``errors``, or with ``errors="raise"`` the first input with an NA.
    """
    check_errors(errors)
    entries = items(strings)
    values, reasons = [], []
    for e in entries:
        na = e.na
        if na is None and len(e.text) < 2:
            na = NA(SHORT, f"has length {len(e.text)}: entropy2 needs 2 symbols or more")
        values.append(math.nan if na else _shannon([e.text[i : i + 2] for i in range(len(e.text) - 1)]))
        reasons.append(na)
    return series(entries, values, reasons, errors)


def acss_blocks(string: str, blocksize: int, delta: int) -> list[str]:
    """Acss's bdm() blocks: windows of ``blocksize`` every ``delta`` symbols, then, when the
    last window does not end the string, one shorter block from the next start to the end
    (acss 0.3, R/bdm.R).

    For a string shorter than ``blocksize`` acss fails (R's seq() has no window); this
    gives no block then.

    Parameters
    ----------
    string : str
        The string to cut.
    blocksize : int
        Block length in symbols.
    delta : int
        Step between block starts, 1 to ``blocksize``.

    Returns
    -------
    list of str
        The blocks, in order, repeats kept; empty for a string shorter than ``blocksize``.
    """
    length = len(string)
    if length < blocksize:
        return []
    starts = list(range(0, length - blocksize + 1, delta))
    blocks = [string[s : s + blocksize] for s in starts]
    if starts[-1] + blocksize != length:
        blocks.append(string[starts[-1] + delta :])
    return blocks


def acss_bdm(
    strings: object,
    blocksize: int = 10,
    alphabet: int | None = 9,
    delta: int | None = None,
    *,
    table: str | None = None,
    version: int | None = None,
    data_dir: str | Path | None = None,
    errors: str = "warn",
) -> pd.Series:
    """BDM as acss's ``bdm()`` defines it (acss 0.3, R/bdm.R): sum over distinct blocks of
    K(block) + log(multiplicity, base = alphabet), with acss's blocks (``acss_blocks``).

    This is not pybdm's BDM (``pipeline.bdm``): the shorter final block is kept, repeats
    are counted in the base of the alphabet, a block no table holds makes the string NA
    (no imputation), and the defaults are acss's.

    Parameters
    ----------
    strings : str, sequence of str or None, or pandas Series
        The inputs (None or NaN: a missing value). A string shorter than ``blocksize``
        is NA (acss fails on it).
    blocksize : int
        Block length in symbols, at least 2 (acss's default 10).
    alphabet : int, optional
        Symbols of the table, 2 to 10, and the base of the multiplicity's log; acss's
        default 9 is the sampled (4,9) table. An alphabet with no table gives NA for
        every input, saying so; None with a table name takes the table's own.
    delta : int, optional
        Step between block starts, 1 to ``blocksize``; None: ``blocksize``.
    table, version, data_dir
        Which table, as ``pipeline.query.open_table``.
    errors : {"warn", "raise", "ignore"}
        What to do with inputs that get an NA: warn once (NAWarning), raise CTMError at
        the first, or neither.

    Returns
    -------
    pandas.Series
        One value per input (K in bits plus logs in base ``alphabet``, as acss sums
        them), NaN for an NA.

    Raises
    ------
    CTMError
        A blocksize below 2, a delta outside 1 to blocksize, a bad alphabet, table or
        errors, or with ``errors="raise"`` the first input with an NA.
    """
    check_errors(errors)
    blocksize, delta = (int(v) if isinstance(v, np.integer) else v for v in (blocksize, delta))
    if isinstance(blocksize, bool) or not isinstance(blocksize, int) or blocksize < 2:
        raise CTMError(f"blocksize should be an integer of 2 or more (as in acss), got {blocksize!r}")
    delta = blocksize if delta is None else delta
    if isinstance(delta, bool) or not isinstance(delta, int) or not 1 <= delta <= blocksize:
        raise CTMError(f"delta should be an integer from 1 to blocksize ({blocksize}), got {delta!r}")
    entries = items(strings)
    tab, no_table = open_or_na(table, version, alphabet, data_dir)
    base = alphabet or (tab.symbols if tab is not None else 2)
    values, reasons = [], []
    for entry in entries:
        value, na = math.nan, entry.na or no_table
        if na is None:
            checked = symbols_na(tab, entry.text)
            blocks = acss_blocks(entry.text, blocksize, delta)
            if isinstance(checked, NA):
                na = checked
            elif not blocks:
                na = NA(
                    SHORT,
                    f"has length {len(entry.text)}, shorter than blocksize {blocksize}: acss's bdm() has no block (use acss())",
                )
            else:
                value, na = _acss_sum(tab, Counter(blocks), base)
        values.append(value)
        reasons.append(na)
    return series(entries, values, reasons, errors)


def _acss_sum(tab: Table, counted: Counter, base: int) -> tuple[float, NA | None]:
    total = 0.0
    for (block, n), found in zip(counted.items(), answers(tab, [Item(b, b) for b in counted])):
        if found.reason is not None:
            kind = BLOCK_NA if found.reason.kind != NOT_PRODUCED else NOT_PRODUCED
            return math.nan, NA(kind, f"block {show(block)}: {found.note}")
        total += found.K + math.log(n, base)
    return total, None


def response_distribution(
    length: int | tuple[int, int],
    alphabet: int | None = None,
    *,
    table: str | None = None,
    version: int | None = None,
    data_dir: str | Path | None = None,
) -> pd.DataFrame:
    """K over every possible response of a task: all strings of ``length`` symbols of the
    alphabet (or, for a (rows, columns) shape, all matrices of it, from the 2-D table),
    as Gauvrit et al. (2017) z-score each task against them.

    Parameters
    ----------
    length : int or (int, int)
        The responses' length in symbols, or their (rows, columns) shape.
    alphabet : int, optional
        Symbols of the table, 2 to 10; None: the named table's own, or 2.
    table, version, data_dir
        Which table, as ``pipeline.query.open_table``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``string``: one row per table row of that length or shape that has a
        value (a string or matrix; a sampled table's pattern whose K is reliable:
        pipeline.reliable), with K (bits) and ``weight``, the number of possible
        responses it stands for (1, or a pattern's size). ``attrs["missing_share"]`` is
        the share of possible responses the table has no value for, ``attrs["table"]``
        the version used.

    Raises
    ------
    CTMError
        No such table, or a bad alphabet or version (``open_table``).
    """
    import pandas as pd

    from pipeline.query import open_table

    ndim = 2 if isinstance(length, tuple) else 1
    tab = open_table(table, version, alphabet=alphabet, data_dir=data_dir, ndim=ndim)
    shape = tuple(length) if ndim == 2 else (length,)
    cells = math.prod(shape)
    strings, columns = tab.of_shape(shape)  # that shape's rows only, in table order
    mask = reliable_values(columns, len(strings))  # pipeline.reliable's rule, as lookups apply it
    if tab.sampled:
        weight = columns["size"][mask].astype(float)
    else:
        weight = np.ones(int(mask.sum()))
    out = pd.DataFrame(
        {"K": columns["K"][mask], "weight": weight},
        index=pd.Index([s for s, keep in zip(strings, mask) if keep], name="string"),
    )
    out.attrs["missing_share"] = 1.0 - float(weight.sum()) / float(tab.symbols) ** cells
    out.attrs["table"] = tab.label
    return out
