"""What one request to the calculator may hold, and the one-line errors past it.

Over a limit the API answers 413 (too much: inputs, bytes) or 422 (an input it cannot
read), with a message naming the input and the limit; the server goes on serving.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_INPUTS = 100_000
"""Inputs (strings, matrices, rows of an upload) per request."""
MAX_SYMBOLS = 10_000
"""Symbols per string (cells per matrix)."""
MAX_UPLOAD = 10 * 1024 * 1024
"""Bytes per uploaded file (10 MiB)."""
MAX_BODY = 32 * 1024 * 1024
"""Bytes per JSON request body (32 MiB): 100,000 strings of a few hundred symbols."""
MAX_SIDE = 24
"""Rows and columns of a matrix in the page's grid editor and the matrix endpoint."""


class LimitError(Exception):
    """A request past a limit, or one the calculator cannot read: ``status`` is its HTTP code."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def check_batch(strings: Sequence[str | None], what: str = "strings") -> None:
    """413 for more than MAX_INPUTS inputs, 422 for an input of more than MAX_SYMBOLS symbols."""
    if len(strings) > MAX_INPUTS:
        raise LimitError(413, f"too many inputs: {len(strings):,} {what}; at most {MAX_INPUTS:,} per request")
    for position, text in enumerate(strings, 1):
        if text is not None and len(text) > MAX_SYMBOLS:
            raise LimitError(
                422, f"input {position} has {len(text):,} symbols; at most {MAX_SYMBOLS:,} per string (or matrix)"
            )
