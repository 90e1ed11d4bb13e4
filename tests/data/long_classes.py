"""Make tests/data/d5x2-long-classes.txt: 300 classes of (5,2) machines that are still
running after 4,100 steps in the kernel's walk (entry (0,0) = 1RB, entry (1,0) = 1LC, the
walk's own proofs on) and that the plain n-gram CPS with windows of 2 to 4 cells does
not decide (the easy majority), for the long-run deciders' ratchet
(tests/test_long_ratchet.py).

A class is a partial machine: '---' marks an entry its run has not read by step 4,100.
The list is a deterministic sample (seed 2026) of all such classes of that block, made
once by

    python tests/data/long_classes.py > tests/data/d5x2-long-classes.txt

and committed; the test counts how many of them each decider settles.
"""

from __future__ import annotations

import random

import numpy as np

from pipeline.space import Space
from tmsim_ext import PROOF_FLAGS, count_blocks, cps_proves

STEPS = 4100
COUNT = 300


def main() -> None:
    space = Space(5, 2, STEPS + 1)
    digits = -np.ones((1, space.entries), dtype=np.int32)
    fixed = space.parse_text("1RB---_1LC---_------_------_------")
    for entry, digit in enumerate(fixed):
        if digit is not None:
            digits[0, entry] = digit
    flags = sum(v for k, v in PROOF_FLAGS.items() if k != "cps")
    got = count_blocks(5, 2, STEPS + 1, digits, flags, True, long_from=STEPS, cps_radius=0, cps_history=0,
                       collect=10**7)
    classes = sorted({tuple(d) for d, _ in got["collected"]})
    total = len(classes)
    classes = [c for c in classes if not any(cps_proves(5, 2, np.array(c, dtype=np.int32), r) for r in (1, 2, 3))]
    chosen = sorted(random.Random(2026).sample(classes, COUNT))
    print(f"# {COUNT} of the {len(classes)} classes of 1RB---_1LC---_... still running after {STEPS} steps "
          f"(of {total}) that plain CPS with windows of 2 to 4 cells leaves undecided")
    for row in chosen:
        print(space.text_of_digits([d if d >= 0 else None for d in row]))


if __name__ == "__main__":
    main()
