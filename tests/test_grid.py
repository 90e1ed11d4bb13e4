"""2-D machines: numbering, the grid's symmetries, and the 2-D kernel against the plain
2-D brute force, with every proof and renaming on and off (the proofs on single machines,
1-D and 2-D alike, are tests/test_proofs.py's)."""

from __future__ import annotations

import random

import pytest
from tmsim_ext._grid import DIRECTIONS, SYMMETRIES, turn_matrices

from pipeline import grid as plain_grid
from pipeline.brute2d import brute_count_2d, brute_count_2d_one_by_one, simulate_one_2d
from pipeline.grid import orbit, shape, transform, transform_all, transform_slow
from pipeline.kernel import count_range
from pipeline.space import Space, SpaceError

PROOF_CHOICES = [None, (), ("closed",), ("escape",), ("cycle",), ("shift",)]


def grid(n: int, m: int, steps: int) -> Space:
    return Space(n, m, steps, dims=2)


def test_2d_space_size_and_numbering_as_in_ctm_md():
    assert grid(4, 2, 2000).size == 34**8 == 1_785_793_904_896
    assert grid(5, 2, 2000).size == 42**10 == 17_080_198_121_677_824
    space = grid(3, 2, 10)
    assert space.base == 26 and space.label == "(3,2) 2-D S=10"
    # digit r: r < m halts; else r' = r - m, write r' mod m, direction (r' div m) mod 4, state (r' div m) div 4
    assert [space.decode_digit(r) for r in (0, 1, 2, 3, 4, 6, 8, 10, 25)] == [
        (0, 0, -1),
        (1, 0, -1),
        (0, 1, 0),
        (1, 1, 0),
        (0, -1, 0),
        (0, 2, 0),
        (0, -2, 0),
        (0, 1, 1),
        (1, -2, 2),
    ]
    for r in range(space.base):
        assert space.encode_entry(space.decode_digit(r)) == r


def test_2d_machine_text_round_trips_and_rejects_bad_moves():
    space = grid(3, 2, 10)
    for number in (0, 1, 12345, space.size - 1, 98_765_432):
        assert space.number_of_text(space.text(number)) == number
    assert space.text(space.number_of_text("1UC1RB_1DA0H-_0RB0LC")) == "1UC1RB_1DA0H-_0RB0LC"
    with pytest.raises(SpaceError, match="1UC, 0DA"):
        space.parse_text("1XC1RB_1DA0H-_0RB0LC")
    with pytest.raises(SpaceError, match="not like 1RB, 0LA, 1H- or ---"):
        Space(3, 2, 10).parse_text("1UC1RB_1DA0H-_0RB0LC")
    with pytest.raises(SpaceError, match="dims should be 1"):
        Space(2, 2, 10, dims=3)


def test_brute_force_lockstep_equals_one_machine_at_a_time(same_counts):
    for n, m, steps, start, stop in [(2, 2, 12, 0, 18**4), (3, 2, 20, 5_000_000, 5_004_000), (2, 3, 15, 9_000, 13_000)]:
        same_counts(
            brute_count_2d(n, m, steps, start, stop), brute_count_2d_one_by_one(n, m, steps, start, stop), f"({n},{m})"
        )


def test_output_is_the_visited_rectangle_top_row_first():
    space = grid(3, 2, 100)
    number = space.number_of_text("1UC1RB_1DA0H-_0RB0LC")  # the (3,2) 2-D busy beaver at 32 steps
    assert simulate_one_2d(3, 2, 100, number) == (True, "0010-0100-0101-0100", 32)
    assert count_range(space, number, number + 1).outputs == {"0010-0100-0101-0100": 1}
    assert shape("0010-0100-0101-0100") == (4, 4)


@pytest.mark.parametrize("g", range(8))
def test_kernel_turns_matrices_as_the_plain_definition(g):
    """pipeline.grid's routine (plain Python: lookups need no compiled kernel) and the 2-D
    kernel's own (which pools sampled outputs by pattern) turn matrices alike."""
    rng = random.Random(g)
    texts = []
    for _ in range(300):
        rows, cols = rng.randint(1, 6), rng.randint(1, 6)
        texts.append("-".join("".join(rng.choice("0123") for _ in range(cols)) for _ in range(rows)))
    want = [transform_slow(text, g) for text in texts]
    assert [transform(text, g) for text in texts] == want
    assert transform_all(texts, g) == want
    assert turn_matrices(texts, g) == want


def test_the_grid_symmetries_are_the_kernels():
    assert (plain_grid.DIRECTIONS, plain_grid.SYMMETRIES) == (DIRECTIONS, SYMMETRIES)
    with pytest.raises(ValueError, match="symmetry 8 is outside 0..7"):
        transform_all(["01"], 8)


def test_symmetries_are_numpys_turns_and_flips():
    import numpy as np

    def text(a):
        return "-".join("".join(map(str, row)) for row in a)

    a = np.array([[1, 0, 2], [1, 1, 0], [0, 1, 3], [2, 2, 1]])
    # rows run down the page while y runs up: the mirror in y = x is the matrix's
    # anti-transpose, the mirror in y = -x its transpose
    pictures = [a, np.rot90(a, 1), np.rot90(a, 2), np.rot90(a, 3), np.flipud(a), np.fliplr(a), a[::-1, ::-1].T, a.T]
    assert [transform(text(a), g) for g in range(8)] == [text(p) for p in pictures]


def test_symmetries_form_the_dihedral_group():
    assert transform("10-11-01", 1) == "011-110"  # a quarter turn anticlockwise
    assert orbit("1") == {"1"}
    assert orbit("10-00") == {"10-00", "01-00", "00-10", "00-01"}
    assert len(orbit("110-100")) == 8
    for g in range(8):
        for h in range(8):
            assert transform(transform("110-100", h), g) in orbit("110-100")


@pytest.mark.parametrize("steps", [1, 2, 3, 4, 6, 7, 12, 40])
@pytest.mark.parametrize("proofs", PROOF_CHOICES)
def test_whole_2_2_space_equals_brute_force(steps, proofs, same_counts):
    space = grid(2, 2, steps)
    want = brute_count_2d(2, 2, steps, 0, space.size)
    for symmetry in (True, False):
        got = count_range(space, 0, space.size, proofs=proofs, symmetry=symmetry)
        same_counts(got, want, f"(2,2) 2-D S={steps} proofs={proofs} symmetry={symmetry}")


def test_whole_2_2_space_is_invariant_under_the_grid_symmetries():
    counts = count_range(grid(2, 2, 40), 0, 18**4).outputs
    for text, count in counts.items():
        for turned in orbit(text):
            assert counts[turned] == count, (text, turned)


@pytest.mark.parametrize(
    "n, m, steps, size",
    [
        (3, 2, 40, 150_000),
        (4, 2, 60, 80_000),
        (5, 2, 60, 50_000),
        (2, 3, 40, 80_000),
        (3, 2, 300, 30_000),
        (4, 2, 300, 30_000),
    ],
)
def test_random_2d_ranges_equal_brute_force(n, m, steps, size, same_counts):
    space = grid(n, m, steps)
    rng = random.Random(f"{n}{m}{steps}")
    start = rng.randrange(space.size - size)
    want = brute_count_2d(n, m, steps, start, start + size)
    for proofs in PROOF_CHOICES:
        for symmetry in (True, False):
            got = count_range(space, start, start + size, proofs=proofs, symmetry=symmetry)
            same_counts(got, want, f"{space.label} [{start}, +{size}) proofs={proofs} symmetry={symmetry}")


@pytest.mark.parametrize("n, m, steps, free", [(3, 2, 60, 4), (4, 2, 60, 3), (5, 2, 100, 3)])
def test_aligned_2d_blocks_equal_brute_force(n, m, steps, free, same_counts):
    """Blocks with free low entries, where renaming and the block's symmetries act."""
    space = grid(n, m, steps)
    rng = random.Random(f"block{n}{m}")
    size = space.base**free
    for _ in range(2):
        start = rng.randrange(space.size // size) * size
        want = brute_count_2d(n, m, steps, start, start + size)
        for proofs in (None, ()):
            got = count_range(space, start, start + size, proofs=proofs)
            same_counts(got, want, f"{space.text(start)} block of {size} proofs={proofs}")


@pytest.mark.slow
def test_whole_4_2_2d_space_as_in_ctm_md():
    """CTM.md: 13.79 % of (4,2) 2-D machines halt (S = 2000)."""
    space = grid(4, 2, 2000)
    got = count_range(space, 0, space.size)
    assert got.halting + got.nonhalting == space.size
    assert round(100 * got.halting / space.size, 2) == 13.79


def test_whole_3_2_2d_space_longest_run_is_the_late_halter():
    space = grid(3, 2, 2000)
    got = count_range(space, 0, space.size)
    assert max(got.halting_times) == 32 and got.halting_times[32] == 32  # 32 machines, one orbit of renamings and turns
    assert got.halting + got.nonhalting == space.size
