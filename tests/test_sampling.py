"""Sampled tables: the kernel's draws are unbiased and reproducible, and the estimator's
D, K and standard errors agree with the exact tables of spaces small enough to enumerate.

The agreement tests use fixed seeds, so they are deterministic; their thresholds are set
for a stated false-alarm rate: with K patterns compared, each |z| is held to the
two-sided t quantile of 1 - ALPHA / (2K) (Bonferroni), so a correct estimator fails a
given test with probability at most ALPHA over the choice of seed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from scipy import stats

from pipeline.cli import main
from pipeline.estimate import estimate_rows
from pipeline.kernel import count_range, sample_space
from pipeline.patterns import keys, sizes
from pipeline.reduce import blank_symbol_sum
from pipeline.space import Space
from pipeline.spec import JobSpec, SpecError, load_spec
from pipeline.tables import shipped_root

ALPHA = 1e-3
"""False-alarm rate of each agreement test."""

MIN_HITS = 50
"""Patterns compared must have been hit this often (below, a z-score is far from normal)."""


def exact_pattern_D(space: Space) -> dict[str, float]:
    """Exact D of each pattern's strings, from a full count (CTM.md's definition)."""
    whole = count_range(space, 0, space.size)
    counts = blank_symbol_sum(whole.outputs, space.symbols)
    total = space.symbols * whole.halting
    pattern_keys = keys(list(counts), space.dims)
    return {k: counts[s] / total for k, s in zip(pattern_keys, counts)}


def shipped_pattern_D(table: str, max_length: int) -> dict[str, float]:
    """Exact D of each pattern of up to ``max_length`` symbols, from a shipped exact table
    (its D column: the same full count, made once by ``ctm run``)."""
    rows = pq.read_table(
        shipped_root() / "tables" / table / "v1" / "table.parquet",
        columns=["string", "D"],
        filters=[("length", "<=", max_length)],
    ).to_pydict()
    return dict(zip(keys(rows["string"], 1), rows["D"]))


def batch_estimates(space: Space, depth: int, draws: int, batches: int, seed: int = 7) -> pd.DataFrame:
    """The estimator's rows over ``batches`` batches (as a sampled job's reduce makes them)."""
    per_pattern: dict[str, list[float]] = {}
    hits: dict[str, int] = {}
    halting = []
    for b in range(batches):
        got = sample_space(space, seed, b, sample_depth=depth, draws=draws)
        halting.append(got.halting)
        pooled: dict[str, float] = {}
        for key, text in zip(keys(list(got.outputs), space.dims), got.outputs):
            pooled[key] = pooled.get(key, 0.0) + got.outputs[text][1]
            hits[key] = hits.get(key, 0) + got.outputs[text][0]
        for key, mass in pooled.items():
            per_pattern.setdefault(key, [0.0] * batches)[b] = mass
    h = np.array(halting)
    import pyarrow as pa

    names = sorted(per_pattern)
    Y = np.array([per_pattern[k] for k in names])
    sums = pa.table(
        {
            "string": names,
            "hits": [hits[k] for k in names],
            "sum_mass": Y.sum(axis=1),
            "sum_mass2": (Y * Y).sum(axis=1),
            "sum_mass_h": (Y * h).sum(axis=1),
        }
    )
    return estimate_rows(sums, batches, float(h.sum()), float((h * h).sum()), space.dims, space.symbols).to_pandas()


@pytest.mark.parametrize(
    "space, depth, draws",
    [
        (Space(3, 2, 21), 0, 300),
        (Space(3, 2, 21), 2, 20),
        (Space(2, 3, 38), 1, 60),
        (Space(2, 4, 60), 1, 40),
        (Space(3, 3, 500), 2, 6),
        (Space(3, 2, 60, dims=2), 2, 20),
    ],
    ids=lambda v: v.label if isinstance(v, Space) else str(v),
)
def test_sampled_D_agrees_with_the_exact_table(space, depth, draws):
    """(3,3) is compared with the shipped exact d3x3-s500 table: counting it here takes
    10 to 30 s, even at S = 20."""
    batches = 30
    est = batch_estimates(space, depth, draws, batches)
    compared = est[est.hits >= MIN_HITS]
    if (space.states, space.symbols, space.dims) == (3, 3, 1):
        exact = shipped_pattern_D("d3x3-s500", int(compared.string.str.len().max()))
    else:
        exact = exact_pattern_D(space)
    assert compared.string.isin(list(exact)).all()
    assert len(compared) >= 8, f"{space.label}: only {len(compared)} patterns with {MIN_HITS} hits"
    z = (compared.D - compared.string.map(exact)) / compared.D_se
    limit = stats.t.ppf(1 - ALPHA / (2 * len(z)), batches - 1)
    worst = compared.assign(z=z).loc[z.abs().idxmax()]
    assert z.abs().max() < limit, f"{space.label}: pattern {worst.string} z={worst.z:.2f} (limit {limit:.2f})"
    # and the standard errors are the right size: the z-scores' spread is about 1
    assert 0.6 < z.std() < 1.5, f"{space.label}: z-scores spread {z.std():.2f}"
    # K and its standard error follow from D
    assert np.allclose(compared.K, -np.log2(compared.D))
    assert np.allclose(compared.K_se, compared.D_se / (compared.D * math.log(2)))


def test_sampled_halting_fraction_is_unbiased():
    space = Space(3, 2, 21)
    exact = count_range(space, 0, space.size).halting / space.size
    for depth, draws in ((0, 400), (2, 30)):
        h = np.array([sample_space(space, 3, b, sample_depth=depth, draws=draws).halting for b in range(40)])
        z = (h.mean() - exact) / (h.std(ddof=1) / math.sqrt(len(h)))
        assert abs(z) < stats.t.ppf(1 - ALPHA / 2, len(h) - 1), f"depth {depth}: z = {z:.2f}"


def test_a_batch_is_a_pure_function_of_seed_and_batch():
    space = Space(4, 4, 2000)
    a = sample_space(space, 2014, 5, sample_depth=2, draws=20)
    b = sample_space(space, 2014, 5, sample_depth=2, draws=20)
    c = sample_space(space, 2014, 6, sample_depth=2, draws=20)
    assert a.outputs == b.outputs and a.halting == b.halting and a.halting_times == b.halting_times
    assert a.outputs != c.outputs
    assert math.isclose(a.halting + a.limit + a.proven, 1.0, rel_tol=1e-12)
    assert math.isclose(math.fsum(m for _, m in a.outputs.values()), a.halting, rel_tol=1e-9)


def test_exact_strata_enter_exactly():
    """Above the sample depth every class is exact: a (2,2) space whose every branch is
    above depth 4 gives the exact counts as masses, with no spread."""
    space = Space(2, 2, 6)
    exact = count_range(space, 0, space.size)
    got = sample_space(space, 1, 0, sample_depth=8, draws=3)
    assert got.draws == 0
    by_pattern: dict[str, float] = {}
    for key, count in zip(keys(list(exact.outputs), 1), exact.outputs.values()):
        by_pattern[key] = by_pattern.get(key, 0.0) + count / space.size
    assert set(got.outputs) == set(by_pattern)
    for key, mass in by_pattern.items():
        assert math.isclose(got.outputs[key][1], mass, rel_tol=1e-12)


def test_estimator_formulas_on_hand_made_batches():
    import pyarrow as pa

    # two patterns over 3 batches: Y(P) per batch and halting masses
    Y = {"0": [0.2, 0.3, 0.25], "01": [0.1, 0.05, 0.15]}
    h = np.array([0.3, 0.35, 0.4])
    sums = pa.table(
        {
            "string": list(Y),
            "hits": [10, 20],
            "sum_mass": [sum(v) for v in Y.values()],
            "sum_mass2": [sum(x * x for x in v) for v in Y.values()],
            "sum_mass_h": [sum(x * y for x, y in zip(v, h)) for v in Y.values()],
        }
    )
    rows = estimate_rows(sums, 3, float(h.sum()), float((h * h).sum()), 1, 2).to_pandas().set_index("string")
    for key, values in Y.items():
        v = np.array(values)
        M = v.sum() / h.sum()
        resid = v - M * h
        se = math.sqrt(3 / 2 * (resid**2).sum()) / h.sum()
        size = sizes([key], 1, 2)[0]
        assert math.isclose(rows.D[key], M / size) and math.isclose(rows.D_se[key], se / size)
        assert math.isclose(rows.K_se[key], se / (M * math.log(2)))
    assert list(rows.index) == ["0", "01"] and rows.loc["01", "size"] == 2


def test_a_2d_max_length_bounds_rows_and_columns_not_cells():
    """max_length = 3 keeps every matrix up to 3x3 (9 cells) and drops a 1x4 or 4x1 one,
    as the 2-D kernel does."""
    import pyarrow as pa

    strings = ["0", "01-10", "010-101-010", "0101", "0-1-0-1", "0110-1001"]
    ones = [1.0] * len(strings)
    sums = pa.table(
        {"string": strings, "hits": [5] * len(strings), "sum_mass": ones, "sum_mass2": ones, "sum_mass_h": ones}
    )
    rows = estimate_rows(sums, 2, 2.0, 2.0, 2, 2, max_length=3).to_pandas()
    assert sorted(rows.string) == ["0", "01-10", "010-101-010"]
    assert sorted(zip(rows.rows, rows.cols)) == [(1, 1), (2, 2), (3, 3)]


JOB = """\
# a small sampled job for tests
states = 3
symbols = 2
max_steps = 21
mode = "sample"
seed = 11
sample_depth = 1
draws = 500
batches = {batches}
"""


def _job(tmp_path, batches=6):
    path = tmp_path / "s32.toml"
    path.write_text(JOB.format(batches=batches))
    return path


def _table(root, name="d3x2-s21-sampled", version=None):
    folder = sorted((root / "tables" / name).glob("v*"))[-1 if version is None else version - 1]
    return pd.read_parquet(folder / "table.parquet"), __import__("json").loads((folder / "manifest.json").read_text())


def test_sampled_job_runs_resumes_and_adds_batches(tmp_path):
    runner = CliRunner()
    job, root = _job(tmp_path), tmp_path / "root"
    first = runner.invoke(main, ["run", str(job), "--data-dir", str(root), "--no-progress", "--workers", "2"])
    assert first.exit_code == 0, first.output
    assert "d3x2-s21-sampled v1 (sampled" in first.output and "6 batches of seed 11" in first.output
    assert "batches 0:6" in first.output and "can also be counted exactly" in first.output
    v1, m1 = _table(root)
    assert m1["sampled"]["batches"] == [[0, 6]] and m1["coverage"] == "sampled"
    # the same batches again: nothing new to publish
    again = runner.invoke(main, ["reduce", str(job), "--data-dir", str(root), "--no-progress"])
    assert again.exit_code == 0 and "already holds every batch" in again.output
    # more batches sharpen the table into v2
    more = runner.invoke(main, ["submit", str(job), "--shards", "6:12", "--data-dir", str(root), "--no-progress"])
    assert more.exit_code == 0 and "computed 6" in more.output, more.output
    reduced = runner.invoke(main, ["reduce", str(job), "--data-dir", str(root), "--no-progress"])
    assert reduced.exit_code == 0 and "v2 (sampled" in reduced.output, reduced.output
    v2, m2 = _table(root)
    assert m2["sampled"]["batches"] == [[0, 12]] and m2["sampled"]["based_on"]["version"] == 1
    # v2 equals a fresh reduce of all 12 batches in another root (floats to rounding)
    other = tmp_path / "other"
    fresh = runner.invoke(
        main, ["run", str(_job(tmp_path, 12)), "--data-dir", str(other), "--no-progress", "--workers", "1"]
    )
    assert fresh.exit_code == 0, fresh.output
    v2b, _ = _table(other)
    merged = v2.merge(v2b, on="string")
    assert len(merged) == len(v2) == len(v2b)
    assert np.allclose(merged.D_x, merged.D_y, rtol=1e-12) and np.allclose(merged.K_se_x, merged.K_se_y, rtol=1e-9)
    assert (merged.hits_x == merged.hits_y).all()


def test_a_damaged_batch_is_named_and_recomputed(tmp_path):
    runner = CliRunner()
    job, root = _job(tmp_path, 3), tmp_path / "root"
    assert runner.invoke(main, ["submit", str(job), "--data-dir", str(root), "--no-progress"]).exit_code == 0
    spec = load_spec(job)
    path = root / "partials" / spec.job_id / "000001.parquet"
    path.write_bytes(path.read_bytes()[:100])
    status = runner.invoke(main, ["status", str(job), "--data-dir", str(root)])
    assert "invalid partial 000001.parquet: cannot be read" in status.output
    reduce = runner.invoke(main, ["reduce", str(job), "--data-dir", str(root), "--no-progress"])
    assert reduce.exit_code == 2 and "000001.parquet" in reduce.output
    redo = runner.invoke(main, ["submit", str(job), "--data-dir", str(root), "--no-progress"])
    assert "invalid partial 000001.parquet" in redo.output and "computed 1" in redo.output


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"seed": None}, "seed is missing"),
        ({"seed": -1}, "seed should be an integer from 0"),
        ({"draws": 0}, "draws should be at least 1"),
        ({"sample_depth": 9}, "sample_depth should be between 0 and 8"),
        ({"shard_depth": 2}, "shard_depth is for exact jobs"),
    ],
)
def test_bad_sampled_specs_are_named(fields, message):
    base = dict(states=4, symbols=4, max_steps=2000, mode="sample", seed=1)
    with pytest.raises(SpecError, match=message):
        JobSpec(**{**base, **fields})


def test_sampled_fields_on_an_exact_job_are_refused(tmp_path):
    path = tmp_path / "j.toml"
    path.write_text("states = 3\nsymbols = 2\nmax_steps = 21\nshard_depth = 2\ndraws = 10\n")
    with pytest.raises(SpecError, match="draws is for sampled jobs"):
        load_spec(path)


def test_batches_are_not_part_of_the_job_id():
    base = dict(states=4, symbols=4, max_steps=2000, mode="sample", seed=1, draws=5)
    assert JobSpec(**base, batches=10).job_id == JobSpec(**base, batches=99).job_id
    assert JobSpec(**base).job_id != JobSpec(**{**base, "seed": 2}).job_id
    assert JobSpec(**base).table == "d4x4-s2000-sampled"


def test_batches_extend_a_shipped_table_unless_the_root_recounts_it(tmp_path, monkeypatch):
    """New batches add to the shipped version (keeping its short patterns only); a root
    that recounted the shipped batches makes its own, fuller table instead."""
    import pipeline.estimate as estimate
    from pipeline.ship import ship
    from pipeline.tables import list_tables

    runner = CliRunner()
    job = _job(tmp_path, 6)
    made = tmp_path / "made"
    assert runner.invoke(main, ["run", str(job), "--data-dir", str(made), "--no-progress"]).exit_code == 0
    shipped = tmp_path / "shipped"
    ship(list_tables(made)[0], shipped, max_length=3)
    monkeypatch.setattr(estimate, "shipped_root", lambda: shipped)
    user = tmp_path / "user"
    more = runner.invoke(main, ["submit", str(job), "--shards", "6:9", "--data-dir", str(user), "--no-progress"])
    assert more.exit_code == 0, more.output
    assert runner.invoke(main, ["reduce", str(job), "--data-dir", str(user), "--no-progress"]).exit_code == 0
    extended, manifest = _table(user)
    assert manifest["sampled"]["batches"] == [[0, 9]] and manifest["sampled"]["based_on"]["source"] == str(shipped)
    assert extended.length.max() == 3 and manifest["sampled"]["max_length"] == 3
    again = tmp_path / "again"
    assert runner.invoke(main, ["run", str(job), "--data-dir", str(again), "--no-progress"]).exit_code == 0
    own, manifest = _table(again)
    assert manifest["sampled"]["based_on"] is None and own.length.max() > 3
