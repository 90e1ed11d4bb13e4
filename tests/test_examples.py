"""The examples that redo published studies, on small deterministic subsets of their data
(the studies' data in datasets/, with its sources and licences in datasets/README.md)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.measures import response_distribution
from pipeline.query import acss

REPO = Path(__file__).resolve().parent.parent
DATASETS = REPO / "datasets"


def load(name: str):
    """An example script as a module."""
    spec = importlib.util.spec_from_file_location(name, REPO / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_lifespan_example_on_200_rows(tmp_path, capsys):
    lifespan = load("lifespan")
    assert lifespan.main([str(DATASETS / "lifespan.csv"), "--out", str(tmp_path), "--rows", "200", "--boot", "20"]) == 0
    printed = capsys.readouterr().out
    assert "peak of complexity at age" in printed and "fitted complexity at 60" in printed
    figure = (tmp_path / "lifespan.png").read_bytes()
    assert figure[:8] == b"\x89PNG\r\n\x1a\n" and len(figure) > 10_000
    scores = pd.read_csv(tmp_path / "scores.csv")
    raw = pd.read_csv(DATASETS / "lifespan.csv", dtype=str, nrows=200)
    raw = raw[pd.to_numeric(raw.age, errors="coerce").notna()].reset_index(drop=True)
    assert len(scores) == len(raw)
    # known responses get the K the tables give them
    assert np.allclose(scores.toss_K, acss(list(raw.toss), alphabet=2).K.to_numpy(), equal_nan=True)
    grids = [lifespan.as_matrix(g) for g in raw.grid]
    assert np.allclose(scores.grid_K, acss(grids, ndim=2, errors="ignore").K.to_numpy(), equal_nan=True)
    # a participant's complexity is the mean z of the tasks scored
    z = scores[[f"{t.column}_z" for t in lifespan.TASKS]]
    assert np.allclose(scores.complexity, z.mean(axis=1, skipna=True), equal_nan=True)


def test_toss_z_scores_over_every_possible_response_have_mean_0_and_sd_1():
    lifespan = load("lifespan")
    toss = lifespan.TASKS[0]
    mean, sd, dist = lifespan.reference(toss)
    assert dist.weight.sum() == 4094 and math.isclose(dist.attrs["missing_share"], 2 / 4096)
    z = (dist.K - mean) / sd
    assert abs(np.average(z, weights=dist.weight)) < 1e-12
    assert math.isclose(np.sqrt(np.average(z**2, weights=dist.weight)), 1.0, rel_tol=1e-12)
    # every possible toss response the table holds: all 12-symbol binary strings but two
    assert set(dist.index) == {format(i, "012b") for i in range(4096)} - {"000110100111", "111001011000"}


def test_response_distribution_of_grids_counts_every_3x3_matrix():
    dist = response_distribution((3, 3), 2)
    assert math.isclose(dist.weight.sum() / 512 + dist.attrs["missing_share"], 1.0)
    assert all(len(s) == 11 and s.count("-") == 2 for s in dist.index)


def test_acss_experiments_example_runs(capsys):
    experiments = load("acss_experiments")
    from pipeline.query import alphabets

    assert {4, 6} <= set(alphabets()), "the alphabet-4 and alphabet-6 tables ship with the package"
    assert experiments.main([]) == 0, "the default --data is the repository's datasets/"
    printed = capsys.readouterr().out
    assert "Experiment 1: 34 strings" in printed and "Experiment 2: 200 strings" in printed


@pytest.mark.parametrize(
    "name, argv, message",
    [
        ("matthews2013", ["{bad}"], "lacks the column(s) string, mean: it needs string, mean (it has a, b)"),
        ("matthews2013", ["{tmp}/absent.csv"], "absent.csv not found"),
        ("matthews2013", ["{bad}", "--version", "0"], "lacks the column(s)"),
        ("lifespan", ["{bad}", "--out", "{tmp}"], "lacks the column(s) age, toss, guess, roll, spot, grid"),
        ("lifespan", ["--out", "{tmp}", "--rows", "0"], "argument --rows: should be a positive integer, got '0'"),
        ("lifespan", ["--out", "{tmp}", "--boot", "-1"], "argument --boot: should be a positive integer, got '-1'"),
        ("acss_experiments", ["--data", "{tmp}"], "exp1.csv not found"),
        ("compare_published", ["--reference", "{tmp}", "--out", "{tmp}/plots"], "acss-K4-upto7.csv not found"),
        ("nocutoff", ["d5x2", "--out", "{bad}"], "is a file, not a folder"),
        ("nocutoff", ["d5x2", "--out", "{tmp}", "--watch", ""], "--watch should be a string of symbols"),
        ("growth", ["--out", "{tmp}", "--data-dir", "{tmp}", "--tables", "d5x2"], "table name should look like"),
        ("growth", ["--out", "{tmp}", "--data-dir", "{tmp}", "--exact", "d6x2-upto12"], "table name should look like"),
        ("growth", ["--out", "{tmp}", "--data-dir", "{tmp}", "--tables", "d7x2-s500", "--exact", ""], "none of the"),
        ("growth", ["--out", "{tmp}", "--data-dir", "{tmp}", "--tables", "d4x4-s2000-sampled"], "is sampled"),
        ("growth", ["--out", "{tmp}", "--data-dir", "{tmp}", "--strings", "{bad}"], "lacks the column(s) string"),
        ("growth", ["--out", "{bad}"], "is a file, not a folder"),
        ("growth", ["--out", "{tmp}", "--block", "0"], "argument --block: should be a positive integer, got '0'"),
    ],
)
def test_examples_end_edge_arguments_and_wrong_csvs_with_one_error_line(tmp_path, capsys, name, argv, message):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    argv = [a.format(bad=bad, tmp=tmp_path) for a in argv]
    try:
        code = load(name).main(argv)
    except SystemExit as exc:  # argparse's usage error
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "error: " in err.splitlines()[-1] and message in err.splitlines()[-1], err


@pytest.mark.parametrize(
    "name, default, want",
    [
        ("lifespan", "DEFAULT_CSV", "datasets/lifespan.csv"),
        ("matthews2013", "DEFAULT_CSV", "datasets/matthews2013.csv"),
        ("acss_experiments", "DATA", "datasets"),
        ("compare_published", "REFERENCE", "tests/data"),
        ("growth", "DEFAULT_CSV", "datasets/matthews2013.csv"),
    ],
)
def test_examples_read_the_repositorys_own_data_by_default(name, default, want, capsys):
    """A clone stands alone: each example's default input is in the repository (datasets/
    or tests/data/), whatever the working directory, and its help names that path."""
    example = load(name)
    path = getattr(example, default)
    assert path == REPO / want and path.exists()
    with pytest.raises(SystemExit) as exited:
        example.main(["--help"])
    assert exited.value.code == 0
    printed = capsys.readouterr().out
    assert "shared" not in printed and path.name in printed
