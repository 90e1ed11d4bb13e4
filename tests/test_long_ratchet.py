"""The long-run deciders' ratchet: how many of 300 committed (5,2) classes that are still
running after 4,100 steps and that plain CPS with windows of 2 to 4 cells leaves
undecided (tests/data/d5x2-long-classes.txt, made by tests/data/long_classes.py) each
decider settles on its own, run to 20,000 steps.

A class is settled when no machine of it is still running at the end (each halted or
was proven never to halt). The floors below may only go up as deciders improve; every
decider must leave the halting counts exactly as exhaustive simulation has them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.rows import with_dicts
from pipeline.space import Space
from tmsim_ext import PROOF_FLAGS, count_blocks

CLASSES = Path(__file__).parent / "data" / "d5x2-long-classes.txt"
STEPS = 20_000
LONG_FROM = 4_100

DECIDERS = {
    # name: (proof flags, cps radius, cps history)
    "none": (0, 0, 0),
    "closed": (PROOF_FLAGS["closed"], 0, 0),
    "cycle": (PROOF_FLAGS["cycle"], 0, 0),
    "shift": (PROOF_FLAGS["shift"], 0, 0),
    "cps": (PROOF_FLAGS["cps"], 4, 0),
    "cps-history": (PROOF_FLAGS["cps"], 4, 12),
    "all": (sum(PROOF_FLAGS.values()), 4, 12),
}

FLOORS = {"none": 0, "closed": 0, "cycle": 0, "shift": 3, "cps": 60, "cps-history": 299, "all": 299}
"""Classes of the 300 each decider settles on its own (measured; see BENCHMARKS.md)."""


def _classes() -> list[np.ndarray]:
    space = Space(5, 2, STEPS)
    rows = [line for line in CLASSES.read_text().splitlines() if line and not line.startswith("#")]
    return [np.array([-1 if d is None else d for d in space.parse_text(text)], dtype=np.int32) for text in rows]


@pytest.fixture(scope="module")
def settled() -> dict[str, tuple[int, list[int]]]:
    """Decider -> (classes settled, halting machines per class)."""
    out = {}
    classes = _classes()
    for name, (flags, radius, history) in DECIDERS.items():
        done, halting = 0, []
        for digits in classes:
            got = count_blocks(
                5, 2, STEPS, digits[None, :], flags, False, long_from=LONG_FROM, cps_radius=radius, cps_history=history
            )
            done += got["limit"] == 0
            halting.append((got["halting"], with_dicts(got["outputs"])))
        out[name] = (done, halting)
    return out


def test_the_list_holds_300_classes_that_reach_4100_steps():
    classes = _classes()
    assert len(classes) == 300 and len({c.tobytes() for c in classes}) == 300
    for digits in classes[:20]:
        got = count_blocks(5, 2, LONG_FROM + 1, digits[None, :], 0, False, long_from=LONG_FROM)
        assert got["long"]["classes"] >= 1


@pytest.mark.parametrize("name", list(DECIDERS))
def test_each_decider_settles_at_least_its_floor(settled, name):
    done, _ = settled[name]
    print(f"{name}: settles {done} of 300")
    assert done >= FLOORS[name]


@pytest.mark.parametrize("name", [n for n in DECIDERS if n != "none"])
def test_no_decider_changes_what_halts(settled, name):
    assert settled[name][1] == settled["none"][1]
