"""``exact_upto`` = L: classes still running at S continue until they halt, widen past L
cells or are proven never to halt (pigeonhole bound n*w*m**w among the proofs), so every
output of at most L symbols is exact with no cutoff and H lies in [H_low, H_high].

Checked against the shipped tables that are exact by their busy beaver (S well below it)
and against brute force run to the busy-beaver bound; each check also shows that the
plain counts at S (the continuation switched off) differ.
"""

from __future__ import annotations

import math

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from uptocounts import short, with_late

from pipeline.brute import brute_count
from pipeline.cli import main
from pipeline.kernel import count_range, count_shared_top
from pipeline.reduce import SAME_TABLE, blank_symbol_sum
from pipeline.settings import KernelSettings, SettingsError
from pipeline.space import BUSY_BEAVER_STEPS, Space
from pipeline.spec import JobSpec, SpecError
from pipeline.tables import load_manifest, load_table, shipped_root


def shipped(table: str) -> tuple[dict[str, int], int]:
    """A shipped table's counts (pooled over blanks) and its blank-0 halting machines."""
    root = shipped_root()
    rows = pq.read_table(root / "tables" / table / "v1" / "table.parquet", columns=["string", "count"])
    return dict(zip(rows["string"].to_pylist(), rows["count"].to_pylist())), load_manifest(root, table)["halting"]


CASES = [
    # (n, m, S, L, the table exact by its busy beaver)
    (3, 2, 10, 6, "d3x2-s21"),
    (2, 3, 15, 8, "d2x3-s38"),
    (4, 2, 30, 12, "d4x2-s107"),
]


@pytest.mark.parametrize("continued", [True, False], ids=["continued", "switched-off"])
@pytest.mark.parametrize("n,m,S,L,table", CASES, ids=[c[4] for c in CASES])
def test_short_outputs_equal_the_busy_beaver_table(n, m, S, L, table, continued):
    space = Space(n, m, S)
    counts = count_range(space, 0, space.size, exact_upto=L)
    reference, H = shipped(table)
    up = counts.upto
    # the continuation splits the machines at the limit, and only short outputs halt late
    assert up["halting"] + up["proven"] + up["limit"] == counts.limit
    assert up["outputs"] and max(map(len, up["outputs"])) <= L
    assert sum(up["outputs"].values()) == up["halting"] > 0
    assert min(up["halting_times"]) > S
    H_low, H_high = counts.halting + up["halting"], counts.halting + up["halting"] + up["limit"]
    assert H_low <= H <= H_high
    got = blank_symbol_sum(short(with_late(counts) if continued else counts.outputs, L), m)
    if continued:
        assert got == short(reference, L)
    else:
        # without the continuation the same reading is wrong: S is below the busy beaver
        assert got != short(reference, L)
        assert sum(got.values()) < sum(short(reference, L).values())


@pytest.mark.parametrize("settle_wide,settled,undecided", [(True, (86_464, 112), 2), (False, (86_128, 448), 8)])
def test_figures_of_3x2(settle_wide, settled, undecided):
    """The continuation of (3,2) at S = 10, L = 6, by reason (blank 0). The closed graph
    and cps may prove classes wider than L at S never halt (settle_wide): H_high
    narrows, nothing else changes. (Kernel version 1 left 104,048 machines at S, 34
    classes wide, with the same 1,400 late halts: the 'shift' proof's records, popped
    when a walk ends since version 2, decide more classes before S.)"""
    space = Space(3, 2, 10)
    counts = count_range(space, 0, space.size, exact_upto=6, settle_wide=settle_wide)
    up = counts.upto
    assert (counts.halting, counts.limit) == (2_145_768, 87_976)
    assert up["halting"] == 1_400 and (up["proven"], up["limit"]) == settled
    assert up["classes_by"]["wide_at_limit"] == 8 and up["classes_by"]["continued"] == 1_199
    assert up["classes_by"]["undecided"] == undecided == len(counts.undecided)
    assert sum(w for _, _, w in counts.undecided) == up["limit"]
    assert len(counts.late) == up["classes_by"]["halted"] == 324
    assert all(steps >= 10 and len(output) <= 6 for _, steps, output in counts.late)


def test_the_pigeonhole_bound_alone_settles_every_short_class():
    """With every other proof off, the pigeonhole bound still settles the continuation:
    the same short counts, with more classes left wide."""
    space = Space(3, 2, 10)
    full = count_range(space, 0, space.size, exact_upto=6)
    bare = count_range(space, 0, space.size, exact_upto=6, proofs=())
    assert bare.upto["classes_by"]["pigeonhole"] > 0
    assert short(with_late(bare), 6) == short(with_late(full), 6)
    assert bare.upto["halting"] == full.upto["halting"]
    assert bare.upto["halting"] + bare.upto["proven"] + bare.upto["limit"] == bare.limit


@pytest.mark.parametrize(
    "n,m,S,L,start,stop",
    [(3, 2, 10, 6, 250_000, 300_000), (4, 2, 30, 12, 209_000_000, 209_200_000), (2, 3, 12, 7, 180_000, 240_000)],
)
def test_continuation_equals_brute_force_to_the_busy_beaver(n, m, S, L, start, stop):
    space = Space(n, m, S)
    counts = count_range(space, start, stop, exact_upto=L)
    brute = brute_count(n, m, BUSY_BEAVER_STEPS[(n, m)], start, stop)
    assert short(with_late(counts), L) == short(brute.outputs, L)
    assert short(counts.outputs, L) != short(brute.outputs, L)
    assert counts.halting + counts.upto["halting"] <= brute.halting
    assert brute.halting <= counts.halting + counts.upto["halting"] + counts.upto["limit"]


@pytest.mark.parametrize("start", [67_091_151_761_698_272, 41_306_408_586_236_768])
def test_six_state_continuation_equals_brute_force_to_the_pigeonhole_bound(start):
    """(6,2), whose busy beaver is unknown: a run whose output is at most L cells halts
    within n*L*m**L steps, so brute force to that bound is exact for those outputs. Two
    blocks of 26**3 machines (drawn at random among those whose entry (0,0) moves to
    state B) with short outputs written only after S = 12."""
    n, m, S, L = 6, 2, 12, 6
    stop = start + 26**3
    counts = count_range(Space(n, m, S), start, stop, exact_upto=L)
    brute = brute_count(n, m, n * L * m**L, start, stop)
    assert short(with_late(counts), L) == short(brute.outputs, L)
    assert short(counts.outputs, L) != short(brute.outputs, L) and counts.upto["halting"] > 0
    assert counts.halting + counts.upto["halting"] <= brute.halting
    assert brute.halting <= counts.halting + counts.upto["halting"] + counts.upto["limit"]


@pytest.mark.parametrize(
    "value,rule",
    [
        (0, "exact_upto should be an integer from 1 to 32"),
        (33, "from 1 to 32"),
        (True, "exact_upto should be"),
        ("6", "exact_upto should be"),
    ],
)
def test_exact_upto_is_checked(value, rule):
    with pytest.raises(SettingsError, match=rule):
        KernelSettings(exact_upto=value)


def test_exact_upto_rules_that_need_the_space_or_job():
    with pytest.raises(SettingsError, match="takes no long_from"):
        KernelSettings(exact_upto=6, long_from=100)
    with pytest.raises(SettingsError, match="max_length should be at least exact_upto"):
        KernelSettings(exact_upto=6, max_length=5)
    with pytest.raises(SettingsError, match="exact_upto is for 1-D machines"):
        KernelSettings(exact_upto=6).check(Space(2, 2, 10, 2))
    with pytest.raises(SettingsError, match="n\\*L\\*m\\*\\*L"):
        KernelSettings(exact_upto=30).check(Space(2, 3, 10))
    with pytest.raises(SpecError, match="exact_upto is for exact 1-D jobs"):
        JobSpec(states=2, symbols=2, max_steps=10, dims=2, shard_depth=1, exact_upto=4)
    with pytest.raises(SpecError, match="a no_cutoff job is exact"):
        JobSpec(states=2, symbols=4, max_steps=3_932_964, no_cutoff=True, long_from=2000, shard_depth=2, exact_upto=4)


def test_job_id_and_table_name():
    plain = JobSpec(states=3, symbols=2, max_steps=10, shard_depth=2)
    upto = JobSpec(states=3, symbols=2, max_steps=10, shard_depth=2, exact_upto=6)
    assert upto.kernel_settings.exact_upto == 6 and plain.kernel_settings.exact_upto is None
    assert upto.job_id != plain.job_id
    assert (plain.table, upto.table) == ("d3x2-s10", "d3x2-s10-upto6")


@pytest.mark.parametrize("n,m,S,L,second", [(3, 2, 10, 6, 7), (2, 3, 15, 8, 5)])
def test_shared_walks_share_out_the_continuation(n, m, S, L, second):
    """Blocks differing in their top digit, in one walk and in two parts: each block's
    late halts equal count_range's (renaming orbits shared out exactly)."""
    space = Space(n, m, S)
    size, top = space.base ** (space.entries - 2), space.base ** (space.entries - 1)
    ranges = [(t * top + second * size, t * top + (second + 1) * size) for t in range(space.base)]
    shared = count_shared_top(space, ranges, exact_upto=L)
    entry = space.entry_at(space.entries - 3)
    digits = list(range(space.base))
    halves = [count_shared_top(space, ranges, exact_upto=L, part=(entry, d)) for d in (digits[:m], digits[m:])]
    added = halves[0] + halves[1]
    continued = 0
    for (start, stop), one, two in zip(ranges, shared.counts, added.counts):
        alone = count_range(space, start, stop, exact_upto=L)
        # which classes a proof settles before S depends on the walk (as for limit and
        # proven at S); halts and outputs do not
        for got in (one, two):
            assert got.outputs == alone.outputs and got.halting == alone.halting
            assert {k: got.upto[k] for k in ("outputs", "halting", "halting_times")} == {
                k: alone.upto[k] for k in ("outputs", "halting", "halting_times")
            }
            assert got.upto["halting"] + got.upto["proven"] + got.upto["limit"] == got.limit
        continued += alone.upto["halting"]
    assert continued > 0
    assert shared.upto_work["continued"] > 0


@pytest.mark.parametrize("depth,derive,parts", [(2, True, 1), (2, True, 4), (1, False, 1)])
def test_a_job_gives_the_exact_reading(tmp_path, depth, derive, parts):
    """``ctm run`` of (3,2) S = 10 with exact_upto = 6 (shards derived, walks in parts or
    not): the table lists every output of at most 6 symbols with d3x2-s21's count, K_low
    and K_high from the manifest's H bracket, and the late halts beside it."""
    job = tmp_path / "upto.toml"
    job.write_text(
        f"states = 3\nsymbols = 2\nmax_steps = 10\nshard_depth = {depth}\nderive = {str(derive).lower()}\n"
        f"parts = {parts}\nexact_upto = 6\n"
    )
    root = tmp_path / "data"
    result = CliRunner().invoke(main, ["run", str(job), "--data-dir", str(root), "--no-progress"])
    assert result.exit_code == 0, result.output
    reference, H = shipped("d3x2-s21")
    table = load_table(root, "d3x2-s10-upto6")
    got = dict(zip(table["string"].to_pylist(), table["count"].to_pylist()))
    assert got == short(reference, 6)
    manifest = load_manifest(root, "d3x2-s10-upto6")
    up = manifest["exact_upto"]
    assert up["H_low"] <= H <= up["H_high"] and up["H_low"] == manifest["halting"]
    assert up["bracket_bits"] == pytest.approx(math.log2(up["H_high"] / up["H_low"]))
    machines = up["after_limit"]["machines"]
    assert machines["halted_short"] + machines["proven"] + machines["not_settled"] == machines["reached_limit"]
    assert machines["halted_short"] == up["H_low"] - 2_145_768 > 0
    assert up["undecided"]["machines"] == machines["not_settled"]
    listed = up["undecided"]["listed"]
    assert 0 < len(listed) == up["undecided"]["classes"] <= 1_000
    assert sum(u["machines"] * u["weight"] for u in listed) == machines["not_settled"]
    for string, K_low, K_high, count in zip(*(table[c].to_pylist() for c in ("string", "K_low", "K_high", "count"))):
        assert K_low == pytest.approx(-math.log2(count / (2 * up["H_low"])))
        assert K_high == pytest.approx(-math.log2(count / (2 * up["H_high"])))
    late = pq.read_table(root / "tables" / "d3x2-s10-upto6" / "v1" / "late_halts.parquet")
    assert late.num_rows > 0 and min(late["steps"].to_pylist()) >= 10
    assert max(len(s) for s in late["output"].to_pylist()) <= 6


def test_renaming_and_mirroring_do_not_change_the_continuation():
    space = Space(3, 2, 10)
    plain = count_range(space, 0, space.size, exact_upto=6, symmetry=False)
    renamed = count_range(space, 0, space.size, exact_upto=6)
    for key in ("outputs", "halting", "halting_times"):
        assert plain.upto[key] == renamed.upto[key]
    assert plain.upto["halting"] == 1_400


def test_one_run_gives_the_plain_table_too(tmp_path):
    """``ctm run`` of (3,2) S = 10 with exact_upto = 6 publishes d3x2-s10 beside the exact
    reading: the very table (rows, checksum, totals) that the job without exact_upto
    publishes, its manifest naming the run it comes from."""
    spec = "states = 3\nsymbols = 2\nmax_steps = 10\nshard_depth = 2\n"
    outputs = {}
    for name, extra in (("upto", "exact_upto = 6\n"), ("plain", "")):
        job = tmp_path / f"{name}.toml"
        job.write_text(spec + extra)
        args = ["run", str(job), "--data-dir", str(tmp_path / name), "--workers", "1", "--threads", "--no-progress"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        outputs[name] = result.output
    assert "table d3x2-s10 v1 (full" in outputs["upto"] and "table d3x2-s10-upto6 v1 (full" in outputs["upto"]
    upto, plain = tmp_path / "upto", tmp_path / "plain"
    assert load_table(upto, "d3x2-s10").equals(load_table(plain, "d3x2-s10"))
    got, want = load_manifest(upto, "d3x2-s10"), load_manifest(plain, "d3x2-s10")
    for key in (*SAME_TABLE, "strings", "nonhalting", "counts", "listed", "symmetry_rules_applied"):
        assert got[key] == want[key], key
    run_id = JobSpec(states=3, symbols=2, max_steps=10, shard_depth=2, exact_upto=6).job_id
    assert got["job_id"] == run_id != want["job_id"] and "reading" not in want
    assert got["reading"]["kind"] == "plain"
    assert got["reading"]["same_run"] == {"job_id": run_id, "exact_upto": "d3x2-s10-upto6"}
    exact = load_manifest(upto, "d3x2-s10-upto6")
    assert exact["reading"]["same_run"] == {"job_id": run_id, "plain": "d3x2-s10"}
    assert exact["halting"] > got["halting"] == want["halting"]
    # reduced again, the run finds both tables already there
    again = CliRunner().invoke(main, ["reduce", str(tmp_path / "upto.toml"), "--data-dir", str(upto), "--no-progress"])
    assert again.exit_code == 0, again.output
    assert again.output.count("nothing published") == 2
