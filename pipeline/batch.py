"""One answer per input, like R's acss: NA with a reason where there is no value.

Every query and score function ends here. A batch's NAs become one NAWarning that
says how many there are and why (``errors="warn"``, the default), or a CTMError at the
first one (``errors="raise"``), or nothing (``errors="ignore"``; the reasons stay on
the result). A Series carries its reasons in ``attrs["reasons"]`` and a DataFrame in
its ``reason`` column; ``reasons(result)`` reads either.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pipeline.errors import CTMError
from pipeline.inputs import NA, Item, show

if TYPE_CHECKING:
    import pandas as pd

ERRORS = ("warn", "raise", "ignore")
"""What a function does with inputs it cannot score (NA): warn once, raise, or neither."""


class NAWarning(UserWarning):
    """Some inputs have no value (NaN): the message says how many and why."""


def check_errors(errors: str) -> None:
    """Raise CTMError unless ``errors`` is one of ERRORS (warn, raise, ignore)."""
    if errors not in ERRORS:
        raise CTMError(f"errors should be one of {', '.join(ERRORS)}, got {errors!r}")


def label_of(entry: Item | str | None) -> str | None:
    """An input's label for a batch's output: the Item's label, or the entry itself."""
    return entry.label if isinstance(entry, Item) else entry


def settle(
    labels: Sequence[Item | str | None],
    reasons: Sequence[NA | None],
    errors: str,
    what: str = "strings",
    stacklevel: int = 3,
) -> None:
    """Apply the ``errors`` policy to one batch: raise at the first NA, warn once, or pass.

    Parameters
    ----------
    labels : sequence of Item, str or None
        The batch's inputs, for the message.
    reasons : sequence of NA or None
        Each input's NA, or None where it has a value.
    errors : {"warn", "raise", "ignore"}
        The policy.
    what : str
        What the inputs are, in the warning ("strings", "matrices", ...).
    stacklevel : int
        The warning's stack level, so it points at the user's call.

    Warns
    -----
    NAWarning
        With ``errors="warn"``, once: how many inputs are NA, of which kinds, and the
        first one's reason.

    Raises
    ------
    CTMError
        A bad ``errors``, or with ``errors="raise"`` the first NA: its position, label
        and reason.
    """
    check_errors(errors)
    bad = [(i, label_of(label), na) for i, (label, na) in enumerate(zip(labels, reasons)) if na is not None]
    if not bad or errors == "ignore":
        return
    position, label, first = bad[0]
    where = f"input {position + 1}" + ("" if label is None else f" ({show(label)})")
    if errors == "raise":
        raise CTMError(f"{where}: {first.detail}")
    kinds = ", ".join(f"{kind}: {n}" for kind, n in Counter(na.kind for _, _, na in bad).items())
    warnings.warn(
        f"{len(bad)} of {len(labels)} {what} have NA values [{kinds}]; first, {where}: {first.detail} "
        f"(NA is NaN in the result; pipeline.batch.reasons(result) gives each reason; errors='raise' stops at the first)",
        NAWarning,
        stacklevel=stacklevel,
    )


def index(entries: Sequence[Item | str | None], name: str = "string") -> pd.Index:
    """The index of a batch's results: a pandas Series' own index when the batch was one
    (same order, duplicates kept, so ``df["K"] = acss(df["resp"])["K"]`` aligns), else the
    inputs' labels in input order as an object Index (None for a missing value), as R's
    acss names its rows."""
    import pandas as pd

    given = getattr(entries, "source_index", None)
    if given is not None:
        return given.copy()
    return pd.Index([label_of(e) for e in entries], dtype=object, name=name)


def series(
    entries: Sequence[Item],
    values: Sequence[float],
    reasons: Sequence[NA | None],
    errors: str,
    what: str = "strings",
    stacklevel: int = 4,
) -> pd.Series:
    """A float Series indexed by the inputs (``index``), NaN and a reason where there is no
    value; the ``errors`` policy applied (``settle``).

    Parameters
    ----------
    entries : sequence of Item
        The batch's inputs.
    values : sequence of float
        One value per input (ignored where it has an NA).
    reasons : sequence of NA or None
        One per input: why it has no value, or None.
    errors, what, stacklevel
        As ``settle``.

    Returns
    -------
    pandas.Series
        float64, one value per input in input order; ``attrs["reasons"]`` holds each
        input's reason (None where it has a value).

    Raises
    ------
    CTMError
        As ``settle``.
    """
    import pandas as pd

    out = pd.Series([float("nan") if na else v for v, na in zip(values, reasons)], index=index(entries), dtype=float)
    out.attrs["reasons"] = [None if na is None else na.detail for na in reasons]
    settle(entries, reasons, errors, what, stacklevel)
    return out


def reasons(result: pd.Series | pd.DataFrame) -> pd.Series:
    """Why each input of a result has no value: the reason text, or None where it has one."""
    import pandas as pd

    if isinstance(result, pd.DataFrame) and "reason" in result.columns:
        return result["reason"]
    if isinstance(result, pd.Series) and "reasons" in result.attrs:
        return pd.Series(result.attrs["reasons"], index=result.index, dtype=object, name="reason")
    if isinstance(result, pd.Series) and "reason" in result.attrs:
        return pd.Series([result.attrs["reason"]], index=[result.name], dtype=object, name="reason")
    raise CTMError("reasons() reads a result of a query or score function (a Series or DataFrame it returned)")
