"""The kernels' results, and so the partials written from them, are byte for byte the ones
recorded under the current ``KERNEL_VERSION`` / ``GRID_KERNEL_VERSION``.

A partial records the kernel version that wrote it, and a reduce only mixes partials of
one version: a change to the kernel that changes any count, output, halting time, work
figure or listed class must bump the version, or old and new partials would be added as
if they agreed. Each case below is small (milliseconds) but takes a path of its own:
the walk with every proof and with none, restricted and split entries, long runs with
'cps' (listed, undecided and late classes), 2-D blocks and parts, sampled draws in 1-D
and 2-D. The digest covers the whole result (every key, floats by their exact bits), its outputs
read as a dict of output -> count (the kernel hands them back as columns: ``rows.with_dicts``),
so the digests recorded when the kernel built dicts still hold. When a digest changes on
purpose, bump the kernel's version and record the new digests.

A second digest covers only what the machines do (``what_machines_do``: outputs, halting
machines and times, late halts, draws, branch points, and limit + proven): a change to
a proof may move machines between ``limit`` and ``proven`` (a new kernel version) but
never change those, so their digests stay the ones recorded under version 1.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from pipeline.rows import with_dicts
from tmsim_ext import (
    GRID_KERNEL_VERSION,
    GRID_PROOF_FLAGS,
    KERNEL_VERSION,
    PROOF_FLAGS,
    count_blocks,
    count_grid_blocks,
)

ALL = sum(PROOF_FLAGS.values())
GRID_ALL = sum(GRID_PROOF_FLAGS.values())
NO_CYCLE = ALL ^ PROOF_FLAGS["cycle"]


def _free(entries: int) -> np.ndarray:
    """One block with every entry free."""
    return np.full((1, entries), -1, dtype=np.int32)


def _blocks() -> np.ndarray:
    """Six (3,2) blocks with their two low entries fixed."""
    return np.array([[-1] * 4 + [d1, d0] for d1 in (3, 9) for d0 in (0, 5, 13)], dtype=np.int32)


def _digits(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int32)


CASES = {
    "line (3,2) S=21 whole": lambda: count_blocks(3, 2, 21, _free(6), ALL, True),
    "line (3,2) S=21 blocks, no proofs": lambda: count_blocks(3, 2, 21, _blocks(), 0, False, keep_len=4),
    "line (3,2) S=21 split and part": lambda: count_blocks(
        3,
        2,
        21,
        _free(6),
        ALL,
        True,
        split_entry=1,
        split_digits=np.arange(14, dtype=np.int32),
        part_entry=2,
        part_digits=_digits(0, 1, 6, 7, 8, 9),
    ),
    "line (2,3) S=38 whole": lambda: count_blocks(2, 3, 38, _free(6), ALL, True),
    "line long (3,2) S=2000 from 12, cps": lambda: count_blocks(
        3,
        2,
        2000,
        _free(6),
        NO_CYCLE,
        True,
        long_from=12,
        long_cells=12,
        cps_radius=2,
        cps_history=3,
    ),
    "line long (4,2) S=3000 from 60, listed and late": lambda: count_blocks(
        4,
        2,
        3000,
        _free(8),
        ALL,
        True,
        long_from=60,
        collect=40,
        max_undecided=30,
        witness_after=100,
        max_witness=500,
    ),
    "line long (4,2) S=3000 from 60, undecided": lambda: count_blocks(
        4,
        2,
        3000,
        _free(8),
        NO_CYCLE,
        True,
        long_from=60,
        long_cells=40,
        max_undecided=30,
        cps_radius=2,
        cps_history=3,
    ),
    "grid (2,2) S=60 whole": lambda: count_grid_blocks(2, 2, 60, _free(4), GRID_ALL, True),
    "grid (2,2) S=30, no proofs, no symmetry": lambda: count_grid_blocks(2, 2, 30, _free(4), 0, False),
    **{
        f"grid (3,2) S=40 part {p} of 3": (
            lambda p=p: count_grid_blocks(3, 2, 40, _free(6), GRID_ALL, True, part_depth=2, parts=3, part=p, keep_len=3)
        )
        for p in range(3)
    },
    "line sampled (4,2) S=107": lambda: count_blocks(
        4,
        2,
        107,
        _free(8),
        ALL,
        True,
        sampled=True,
        sample_depth=2,
        draws=40,
        seed=2014,
        batch=3,
        pool=True,
        keep_len=6,
    ),
    "grid sampled (3,2) S=100": lambda: count_grid_blocks(
        3,
        2,
        100,
        _free(6),
        GRID_ALL,
        True,
        sampled=True,
        sample_depth=2,
        draws=30,
        seed=2014,
        batch=5,
        pool=True,
        keep_len=4,
    ),
}

RECORDED = {
    "line (3,2) S=21 whole": "2f651bb35fea262e",
    "line (3,2) S=21 blocks, no proofs": "5c5b4ddc7251ff44",
    "line (3,2) S=21 split and part": "5ca311ab314f6096",
    "line (2,3) S=38 whole": "2f46ebeb09d9174d",
    "line long (3,2) S=2000 from 12, cps": "cfa22bd004b273fb",
    "line long (4,2) S=3000 from 60, listed and late": "cc332cbbd39fd642",
    "line long (4,2) S=3000 from 60, undecided": "fbc8bac412117d07",
    "grid (2,2) S=60 whole": "bb944e75de7c4abd",
    "grid (2,2) S=30, no proofs, no symmetry": "d06e746ebb9890f6",
    "grid (3,2) S=40 part 0 of 3": "d6555adebfd10d82",
    "grid (3,2) S=40 part 1 of 3": "1606f7c2f2b9d11e",
    "grid (3,2) S=40 part 2 of 3": "7de2e31a24c8a787",
    "line sampled (4,2) S=107": "9014d9385390023e",
    "grid sampled (3,2) S=100": "2ff06306c6f8f9e8",
}
"""Digests of the results under the versions in VERSIONS (first 16 hex digits of SHA-256)."""

VERSIONS = ("2", "2")
"""(KERNEL_VERSION, GRID_KERNEL_VERSION) the digests were recorded under."""


def _canonical(value):
    """A value with every dict sorted and every float as its exact hex form."""
    if isinstance(value, dict):
        return sorted((_canonical(k), _canonical(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, float):
        return value.hex()
    return value


def digest(result: dict) -> str:
    """First 16 hex digits of the SHA-256 of a kernel result's canonical text."""
    return hashlib.sha256(repr(_canonical(with_dicts(result))).encode()).hexdigest()[:16]


WHAT_MACHINES_DO = ("outputs", "halting", "halting_times", "late", "late_lost", "draws", "nodes")
"""The figures no proof's schedule changes, kept as they are; limit and proven are kept
as their sum, the machines that do not halt (by_digit's alike)."""


def what_machines_do(result: dict) -> dict:
    """The part of a kernel result that no proof's schedule can change: a sound proof only
    moves machines between ``limit`` and ``proven`` (and so changes the classes, steps
    and proofs behind them, and which classes run on past the walk's limit)."""
    kept = {k: v for k, v in result.items() if k in WHAT_MACHINES_DO}
    total = result["limit"] + result["proven"]
    kept["nonhalting"] = f"{total:.12g}" if isinstance(total, float) else total
    if "by_digit" in result:
        kept["by_digit"] = {d: what_machines_do(part) for d, part in result["by_digit"].items()}
    return kept


def digest_of_what_machines_do(result: dict) -> str:
    """``digest`` of ``what_machines_do``."""
    return hashlib.sha256(repr(_canonical(what_machines_do(with_dicts(result)))).encode()).hexdigest()[:16]


WHAT_MACHINES_DID = {
    "line (3,2) S=21 whole": "e1a0e29608a150e3",
    "line (3,2) S=21 blocks, no proofs": "b3bcfad46043ab58",
    "line (3,2) S=21 split and part": "70dbd1edcee174f8",
    "line (2,3) S=38 whole": "51656460b1de11b7",
    "line long (3,2) S=2000 from 12, cps": "e1a0e29608a150e3",
    "line long (4,2) S=3000 from 60, listed and late": "45b5ff8c0dd41bdf",
    "line long (4,2) S=3000 from 60, undecided": "67cbdbfe702e437a",
    "grid (2,2) S=60 whole": "c715a32d4c304af7",
    "grid (2,2) S=30, no proofs, no symmetry": "4531fbf2fdb3306c",
    "grid (3,2) S=40 part 0 of 3": "6650588868c1bbba",
    "grid (3,2) S=40 part 1 of 3": "dbf1125635fb152b",
    "grid (3,2) S=40 part 2 of 3": "9f173291a62c609e",
    "line sampled (4,2) S=107": "5a5180ba135d20a9",
    "grid sampled (3,2) S=100": "7757dfb3a666279c",
}
"""Digests of ``what_machines_do`` of each case's result, recorded under kernel versions
("1", "1") and kept since: version 2 pops the 'shift' proof's records when a walk ends
(tmsim_ext/_records.pxd), which moves machines between ``limit`` and ``proven`` and
changes the steps and proofs behind them, and nothing else."""


def test_the_digests_were_recorded_under_these_versions():
    assert (KERNEL_VERSION, GRID_KERNEL_VERSION) == VERSIONS, (
        "a kernel version changed: record the new digests in RECORDED and the versions in VERSIONS"
    )
    assert set(RECORDED) == set(CASES) == set(WHAT_MACHINES_DID)


@pytest.mark.parametrize("name", list(CASES))
def test_the_kernel_writes_the_recorded_results(name):
    got = digest(CASES[name]())
    assert got == RECORDED[name], (
        f"{name}: the result's digest is {got}, recorded {RECORDED[name]}; if the change is meant, "
        f"bump the kernel's version (partials of the old one are invalid) and record the new digests"
    )


@pytest.mark.parametrize("name", list(CASES))
def test_what_the_machines_do_is_what_kernel_1_counted(name):
    """Outputs, halting machines and times, late halts, draws, branch points and the
    machines that do not halt (limit + proven) are those of kernel version 1."""
    got = digest_of_what_machines_do(CASES[name]())
    assert got == WHAT_MACHINES_DID[name], f"{name}: what the machines do changed ({got}): a count changed"
