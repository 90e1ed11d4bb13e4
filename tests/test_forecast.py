"""The stratified estimator of a job's total cost (pipeline.forecast): unbiased, with the
right variance, checked by enumerating every possible sample of a small population."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from pipeline.forecast import Sample, draw, estimate_total


def test_draw_cuts_strata_by_cost_and_is_reproducible():
    costs = [(c,) for c in [5, 1, 9, 3, 7, 2, 8, 6, 4, 0, 11, 10]]
    sample = draw(costs, size=7, strata=3, seed=4)
    assert [sorted(costs[i][0] for i in s) for s in sample.strata] == [[8, 9, 10, 11], [4, 5, 6, 7], [0, 1, 2, 3]]
    assert sum(map(len, sample.drawn)) == 7 and all(len(d) >= 2 for d in sample.drawn)
    assert all(set(d) <= set(s) for s, d in zip(sample.strata, sample.drawn))
    assert draw(costs, size=7, strata=3, seed=4) == sample
    assert draw(costs, size=12, strata=3, seed=1).tasks == list(range(12))


@pytest.mark.parametrize(("size", "strata", "rule"), [(5, 3, "sample size"), (12, 7, "strata"), (13, 2, "sample size")])
def test_draw_refuses_samples_it_cannot_draw(size, strata, rule):
    with pytest.raises(ValueError, match=rule):
        draw([(i,) for i in range(12)], size=size, strata=strata, seed=0)


def test_estimator_is_unbiased_and_its_variance_is_right_over_every_sample():
    values = [3.0, 10.0, 1.0, 7.0, 100.0, 40.0, 55.0, 2.0, 61.0]
    strata = ((0, 1, 2, 3), (4, 5, 6, 7, 8))
    totals, variances = [], []
    for a in itertools.combinations(strata[0], 2):
        for b in itertools.combinations(strata[1], 3):
            est = estimate_total(Sample(strata, (a, b), 0), {i: values[i] for i in a + b})
            totals.append(est.total)
            variances.append(est.se**2)
    assert np.mean(totals) == pytest.approx(sum(values), rel=1e-12)
    assert np.mean(variances) == pytest.approx(np.var(totals), rel=1e-9)


def test_the_interval_holds_the_drawn_sum_and_the_normal_quantile():
    strata = ((0, 1, 2), (3, 4, 5))
    values = {0: 1.0, 1: 3.0, 3: 10.0, 4: 30.0}
    est = estimate_total(Sample(strata, ((0, 1), (3, 4)), 0), values, level=0.9)
    assert est.total == pytest.approx(3 * 2 + 3 * 20)
    se = math.sqrt(9 * (1 - 2 / 3) * 2 / 2 + 9 * (1 - 2 / 3) * 200 / 2)
    assert est.se == pytest.approx(se)
    assert est.high == pytest.approx(est.total + 1.6448536 * se, rel=1e-6)
    assert est.low == pytest.approx(max(est.total - 1.6448536 * se, 44.0), rel=1e-6)
    with pytest.raises(ValueError, match="task 1 was drawn"):
        estimate_total(Sample(strata, ((0, 1), (3, 4)), 0), {0: 1.0, 3: 1.0, 4: 1.0})


JOB = "states = 4\nsymbols = 2\nmax_steps = 107\nshard_depth = 2\nparts = 8\n"


def test_forecast_of_every_part_is_the_jobs_own_total_and_the_run_reuses_its_parts(tmp_path):
    from click.testing import CliRunner

    from pipeline.cli import main
    from pipeline.tables import load_manifest

    job = tmp_path / "d4p.toml"
    job.write_text(JOB)
    root = tmp_path / "root"
    args = ["forecast", str(job), "--strata", "2", "--data-dir", str(root), "--workers", "2", "--no-progress"]
    some = CliRunner().invoke(main, [*args, "--sample", "6"])
    assert some.exit_code == 0, some.output
    assert "16 parts in 2 strata" in some.output and "6 to count, 0 counted already" in some.output
    ran = CliRunner().invoke(main, ["run", str(job), "--data-dir", str(root), "--workers", "2", "--no-progress"])
    assert ran.exit_code == 0, ran.output
    assert "parts: counted 10 of 10" in ran.output
    every = CliRunner().invoke(main, [*args, "--sample", "16"])
    assert every.exit_code == 0, every.output
    assert "0 to count, 16 counted already" in every.output
    work = load_manifest(root, "d4x2-s107")["work"]
    for name in ("classes", "steps"):
        line = next(x for x in every.output.splitlines() if x.startswith(f"{name}:"))
        assert line.startswith(f"{name}: {work[name]:.4g} (90% interval {work[name]:.4g} to {work[name]:.4g}; se 0)")
