"""Shared fixtures: the reference simulator's printouts, and a comparison of two counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def reference_records() -> list[dict]:
    """Records of reference-simulator-ranges.json (a copy of ../shared/reference/)."""
    return json.loads((DATA / "reference-simulator-ranges.json").read_text())


def assert_same_counts(got, want, label: str) -> None:
    """Outputs, halting, non-halting and halting times of ``got`` equal ``want``'s."""
    assert got.halting == want.halting, f"{label}: halting {got.halting} != {want.halting}"
    assert got.nonhalting == want.nonhalting, f"{label}: nonhalting {got.nonhalting} != {want.nonhalting}"
    diff = {s: (got.outputs.get(s), want.outputs.get(s)) for s in got.outputs.keys() | want.outputs.keys()
            if got.outputs.get(s) != want.outputs.get(s)}
    assert not diff, f"{label}: outputs differ (string: got, want): {dict(sorted(diff.items())[:5])}"
    assert got.halting_times == want.halting_times, f"{label}: halting times differ"


@pytest.fixture(scope="session")
def same_counts():
    """``same_counts(got, want, label)`` asserts two counts (kernel, brute) are identical."""
    return assert_same_counts
