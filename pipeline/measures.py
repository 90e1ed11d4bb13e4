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
from pipeline.query import NOT_PRODUCED, Table, answer, open_or_na, symbols_na

if TYPE_CHECKING:
    import pandas as pd

SHORT = "too short"
BLOCK_NA = "a block has no K"
WINDOWS_NA = "windows with no K"


def windows_of(
    tab: Table | None, entry: Item, span: int, no_table: NA | None = None
) -> tuple[list[str], list[float], list[float], NA | None]:
    """(windows, their K, their K_se, NA or None) of one input: the core of
    ``local_complexity``, without pandas (``ctm local`` uses it). K and K_se are NaN for
    a window with no reliable value; K_se is NaN throughout on an exact table."""
    na = entry.na or no_table
    if na is not None:
        return [], [], [], na
    checked = symbols_na(tab, entry.text)
    if isinstance(checked, NA):
        return [], [], [], checked
    if len(entry.text) < span:
        return [], [], [], NA(SHORT, f"has length {len(entry.text)}, shorter than the span {span}: no window")
    windows = [entry.text[i : i + span] for i in range(len(entry.text) - span + 1)]
    found = [answer(tab, Item(w, w)) for w in windows]
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

    One Series per input, named by it and indexed by its windows; NaN for a window the
    table never produced. An input with no windows at all (shorter than ``span``,
    unreadable, more symbols than the table) gives an empty Series; each Series says why
    in ``attrs["reason"]`` (None when every window has a K). With a sampled table (the
    defaults of alphabets 4, 5, 6 and 9) ``attrs["K_se"]`` holds each window's standard
    error of K, and ``attrs["mean_se"]`` an upper bound on that of the windows' mean
    (``mean_se``). A window whose row is unreliable (pipeline.reliable) is NaN, as in
    lookups. Raises CTMError for a bad span.
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
    for entry in entries:
        found = answer(tab, entry, no_table)
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
    """P(s | deterministic): D(s) over the sum of D of all strings of its length (acss::likelihood_d)."""
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
    (acss::likelihood_ratio)."""
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
    """Posterior P(random | s) for a prior P(random) (acss::prob_random)."""
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
    """First-order Shannon entropy (bits) of each string's symbol frequencies (acss::entropy)."""
    check_errors(errors)
    entries = items(strings)
    values = [_shannon(list(e.text)) if e.ok else math.nan for e in entries]
    return series(entries, values, [e.na for e in entries], errors)


def entropy2(strings: object, *, errors: str = "warn") -> pd.Series:
    """Second-order entropy: entropy of the overlapping pairs of symbols (acss::entropy2)."""
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
    last window does not end the string, one shorter block from the next start to the end.

    For a string shorter than ``blocksize`` acss fails (R's seq() has no window); this
    gives no block then.
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
    """BDM as acss's ``bdm()`` defines it: sum over distinct blocks of K(block) +
    log(multiplicity, base = alphabet), with acss's blocks (``acss_blocks``).

    This is not pybdm's BDM (``pipeline.bdm``): the shorter final block is kept, repeats
    are counted in the base of the alphabet, a block no table holds makes the string NA
    (no imputation), and the defaults are acss's (block 10, step ``delta`` = blocksize,
    alphabet 9: the sampled (4,9) table). An alphabet with no table gives NA for every
    input, saying so; ``alphabet=None``
    with a table name takes the table's own. A string shorter than ``blocksize`` is NA
    (acss fails on it).
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
    for block, n in counted.items():
        found = answer(tab, Item(block, block))
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

    One row per table row of that length or shape that has a value (a string or matrix;
    a sampled table's pattern whose K is reliable: pipeline.reliable), with K and ``weight``, the number of
    possible responses it stands for (1, or a pattern's size). ``attrs["missing_share"]``
    is the share of possible responses the table has no value for, ``attrs["table"]``
    the version used. Errors (no such table) are CTMErrors.
    """
    import pandas as pd

    from pipeline.query import open_table

    ndim = 2 if isinstance(length, tuple) else 1
    tab = open_table(table, version, alphabet=alphabet, data_dir=data_dir, ndim=ndim)
    if ndim == 2:
        rows, cols = length
        shape = (
            np.array([s.count("-") + 1 for s in tab.strings]),
            np.array([len(s.split("-", 1)[0]) for s in tab.strings]),
        )
        mask = (shape[0] == rows) & (shape[1] == cols)
        cells = rows * cols
    else:
        mask = tab.lengths == length
        cells = length
    mask &= tab.reliable  # pipeline.reliable's rule, as lookups apply it
    if tab.sampled:
        weight = tab.columns["size"][mask].astype(float)
    else:
        weight = np.ones(int(mask.sum()))
    out = pd.DataFrame(
        {"K": tab.K[mask], "weight": weight},
        index=pd.Index([s for s, keep in zip(tab.strings, mask) if keep], name="string"),
    )
    out.attrs["missing_share"] = 1.0 - float(weight.sum()) / float(tab.symbols) ** cells
    out.attrs["table"] = tab.label
    return out
