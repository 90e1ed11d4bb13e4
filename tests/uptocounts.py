"""The short outputs of an ``exact_upto`` count (pipeline.kernel.count_range with
``exact_upto = L``), shared by the tests of the continuation (test_exact_upto.py) and of
the walk's early CPS tries (test_cps_after.py)."""

from __future__ import annotations


def short(outputs: dict[str, int], L: int) -> dict[str, int]:
    """The outputs of at most ``L`` symbols, with their counts."""
    return {s: c for s, c in outputs.items() if len(s) <= L}


def with_late(counts) -> dict[str, int]:
    """The counts at S plus the continuation's late halts (blank 0)."""
    out = dict(counts.outputs)
    for s, c in counts.upto["outputs"].items():
        out[s] = out.get(s, 0) + c
    return out
