"""Long runs: how fast the kernel runs a class past the walk, and what the deciders save.

1. The busy beavers of (5,2) and (2,4) run to their halts (47,176,870 and 3,932,964
   steps) on the long-run tape, against the plain one-machine simulator
   (pipeline.brute.simulate_one, pure Python) on their first 200,000 steps.
2. The 300 committed (5,2) classes still running after 4,100 steps
   (tests/data/d5x2-long-classes.txt) run to 1,000,000 steps with no decider and with
   all of them: classes settled, steps simulated, seconds.

Usage: python benchmarks/bench_long.py
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from pipeline.brute import simulate_one
from pipeline.kernel import count_range
from pipeline.space import BUSY_BEAVER_STEPS, Space
from tmsim_ext import PROOF_FLAGS, count_blocks

CHAMPIONS = [(5, 2, "1RB1LC_1RC1RB_1RD0LE_1LA1LD_1H-0LA"), (2, 4, "1RB2LA1RA1RA_1LB1LA3RB1H-")]
PLAIN_STEPS = 200_000
CLASSES = Path(__file__).resolve().parent.parent / "tests" / "data" / "d5x2-long-classes.txt"


def champions() -> None:
    for n, m, text in CHAMPIONS:
        space = Space(n, m, BUSY_BEAVER_STEPS[(n, m)])
        number = space.number_of_text(text)
        began = time.perf_counter()
        got = count_range(space, number, number + 1, long_from=4100)
        kernel = time.perf_counter() - began
        (steps,) = got.halting_times
        began = time.perf_counter()
        simulate_one(n, m, PLAIN_STEPS, number)
        plain = time.perf_counter() - began
        print(
            f"({n},{m}) {text}: halts after {steps:,} steps; kernel {kernel:.3f} s "
            f"({steps / kernel / 1e6:,.0f} M steps/s); plain simulator {PLAIN_STEPS / plain / 1e6:.2f} M steps/s "
            f"({PLAIN_STEPS:,} steps): {steps / kernel / (PLAIN_STEPS / plain):,.0f}x"
        )


def classes(steps: int = 1_000_000) -> None:
    space = Space(5, 2, steps)
    rows = [line for line in CLASSES.read_text().splitlines() if line and not line.startswith("#")]
    digits = [np.array([-1 if d is None else d for d in space.parse_text(t)], dtype=np.int32) for t in rows]
    for label, flags, history in (("no decider", 0, 0), ("every decider", sum(PROOF_FLAGS.values()), 12)):
        began, settled, simulated = time.perf_counter(), 0, 0
        for row in digits:
            got = count_blocks(
                5, 2, steps, row[None, :], flags, False, long_from=4100, cps_radius=4, cps_history=history
            )
            settled += got["limit"] == 0
            simulated += got["steps"] + got["long"]["steps"]
        seconds = time.perf_counter() - began
        print(
            f"{len(digits)} classes to {steps:,} steps, {label}: {settled} settled, "
            f"{simulated:,} steps simulated, {seconds:.2f} s"
        )


if __name__ == "__main__":
    champions()
    classes()
