"""Perturbation analysis: every delta equals BDM(X') - BDM(X) recomputed from scratch, for
each partition, 1-D and 2-D, binary and not, exact and sampled tables; equals pybdm's own
PerturbationExperiment where its update is exact (ignore; recursive strings) and shows
where it is not (correlated windows that repeat); graphs, classes and the CLI."""

from __future__ import annotations

import csv
import io
import math
import warnings
import zlib
from collections import OrderedDict
from functools import lru_cache

import networkx as nx
import numpy as np
import pytest
from click.testing import CliRunner

from pipeline.aid import adjacency, classify, edge_knockout, edges_of, read_edges, signature, vertex_knockout
from pipeline.bdm import BDM
from pipeline.cli import main
from pipeline.errors import CTMError
from pipeline.patterns import keys, normalized as normalize_matrix
from pipeline.perturb import PerturbationExperiment
from pipeline.query import normalize_one

pytestmark = pytest.mark.filterwarnings("ignore::pipeline.bdm.MissingBlockWarning")

PARTITIONS = [
    ("ignore", {}),
    ("recursive", {}),
    ("recursive", {"min_length": 1}),
    ("correlated", {}),
    ("correlated", {"shift": 2}),
]
# (table, ndim, block, symbols, shape)
DATA = [
    ("d5x2-s500", 1, 5, 2, (47,)),
    ("d2x3-s38", 1, 4, 3, (38,)),
    ("d4x4-s2000-sampled", 1, 4, 4, (31,)),
    ("d5x2-2d-s2000", 2, 3, 2, (11, 13)),
    ("d5x2-2d-s2000-sampled", 2, 4, 2, (10, 14)),
]


def recomputed(bdm: BDM, X: np.ndarray, idx, values, metric: str = "bdm") -> np.ndarray:
    """BDM(X') - BDM(X) from scratch (pipeline.bdm, on text) for each change."""
    score = bdm.bdm if metric == "bdm" else bdm.ent
    base = score(X)
    out = []
    for i, v in zip(idx, values):
        Y = X.copy()
        Y[tuple(i)] = v
        out.append(score(Y) - base)
    return np.array(out)


def some_changes(rng, X: np.ndarray, symbols: int, n: int = 25):
    cells = rng.choice(X.size, min(n, X.size), replace=False)
    idx = np.array([np.unravel_index(c, X.shape) for c in cells])
    values = np.array([rng.choice([s for s in range(symbols) if s != X[tuple(i)]]) for i in idx])
    return idx, values


@pytest.mark.parametrize("strategy, extra", PARTITIONS)
@pytest.mark.parametrize("table, ndim, block, symbols, shape", DATA)
def test_every_delta_equals_full_recomputation(table, ndim, block, symbols, shape, strategy, extra):
    # a seed of its own per case, the same in every process (str hashes are salted per process)
    rng = np.random.default_rng(zlib.crc32(f"{table} {strategy} {extra}".encode()))
    bdm = BDM(block=block, strategy=strategy, table=table, ndim=ndim, **extra)
    for X in (
        rng.integers(0, symbols, shape),
        np.zeros(shape, dtype=np.int64),
        np.arange(np.prod(shape)).reshape(shape) % symbols,
    ):
        pe = PerturbationExperiment(bdm, X)
        assert pe.value == pytest.approx(bdm.bdm(X), abs=1e-9)
        idx, values = some_changes(rng, X, symbols)
        assert np.abs(pe.run(idx, values) - recomputed(bdm, X, idx, values)).max() < 1e-9


def test_a_block_too_uncertain_in_a_sampled_table_is_imputed_as_bdm_imputes_it():
    """A 4x4 block the sampled 2-D table holds with K_se above 0.5 bits: BDM counts it as
    never produced (pipeline.reliable) and imputes it, and so must the deltas (this one
    once took the row's own K, 1.31 bits less)."""
    bdm = BDM(block=4, strategy="correlated", table="d5x2-2d-s2000-sampled", ndim=2)
    block = np.array([[1, 0, 1, 0], [0, 0, 1, 1], [1, 1, 0, 0], [0, 1, 0, 1]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        K, imputed, _, _ = bdm._ctm(bdm._text(block))
        assert imputed and bdm.tab.rows([normalize_matrix(bdm._text(block))]).found[0]
        X = np.zeros((6, 7), dtype=np.int64)
        X[1:5, 2:6] = block
        pe = PerturbationExperiment(bdm, X)
        assert pe.value == pytest.approx(bdm.bdm(X), abs=1e-9) and PerturbationExperiment(bdm, block).value == K
        idx, values = np.array([[0, 0], [2, 3], [5, 6]]), np.array([1, 1, 1])
        assert np.abs(pe.run(idx, values) - recomputed(bdm, X, idx, values)).max() < 1e-9


@pytest.mark.parametrize("strategy, extra", PARTITIONS)
def test_block_entropy_deltas_equal_full_recomputation(strategy, extra):
    rng = np.random.default_rng(5)
    bdm = BDM(block=3, strategy=strategy, table="d5x2-2d-s2000", ndim=2, **extra)
    X = (rng.random((12, 11)) < 0.3).astype(np.int64)
    pe = PerturbationExperiment(bdm, X, metric="ent")
    assert pe.value == pytest.approx(bdm.ent(X), abs=1e-12)
    idx, values = some_changes(rng, X, 2, 40)
    assert np.abs(pe.run(idx, values) - recomputed(bdm, X, idx, values, "ent")).max() < 1e-9


def test_keep_changes_measures_each_change_from_the_last():
    rng = np.random.default_rng(8)
    bdm = BDM(block=4, strategy="correlated", ndim=2, table="d5x2-2d-s2000")
    X = rng.integers(0, 2, (9, 10))
    pe = PerturbationExperiment(bdm, X)
    idx = np.array([[0, 0], [4, 4], [4, 4], [8, 9], [3, 5]])
    got = pe.run(idx, keep_changes=True)
    Y, want = X.copy(), []
    for i in idx:
        before = bdm.bdm(Y)
        Y[tuple(i)] = 1 - Y[tuple(i)]
        want.append(bdm.bdm(Y) - before)
    assert got == pytest.approx(want, abs=1e-9)
    assert (pe.X == Y).all() and pe.value == pytest.approx(bdm.bdm(Y), abs=1e-9)
    assert pe.perturb((3, 5)) == pytest.approx(-want[4], abs=1e-9)  # flipping the last one back undoes it


def test_flip_on_binary_and_errors_elsewhere():
    bdm = BDM(block=4, table="d2x3-s38")
    pe = PerturbationExperiment(bdm, np.array([0, 1, 2, 0] * 5))
    with pytest.raises(CTMError, match="value=-1 .* not allowed over 3 symbols: give each new value 0 .. 2"):
        pe.perturb((3,))
    with pytest.raises(CTMError, match="new value 3 is not a symbol"):
        pe.perturb((3,), 3)
    with pytest.raises(CTMError, match=r"index \(20,\) is outside X of shape \(20,\)"):
        pe.perturb((20,), 1)
    assert pe.perturb((2,), 2) == 0.0  # no change
    with pytest.raises(CTMError, match="X holds 3: symbols should be 0 .. 2"):
        PerturbationExperiment(bdm, np.array([0, 3] * 6))
    with pytest.raises(CTMError, match="metric should be one of bdm, ent"):
        PerturbationExperiment(bdm, metric="nbdm")
    with pytest.raises(CTMError, match="has no block"):
        PerturbationExperiment(bdm, np.array([0, 1]))
    flips = PerturbationExperiment(BDM(block=3, ndim=2), "010-101-010-111").run()
    assert flips.shape == (12,)


@pytest.mark.parametrize("strategy", ["ignore", "recursive", "correlated"])
@pytest.mark.parametrize(
    "table, ndim, block, symbols, shape", [("d4x2-2d-s2000", 2, 5, 2, (13, 12)), ("d4x9-s4000-sampled", 1, 7, 9, (40,))]
)
def test_large_code_spaces_kept_sparse_give_the_same_deltas(table, ndim, block, symbols, shape, strategy):
    """5x5 binary blocks (2^25 codes) and 7 symbols of 9 (9^7): counts and K by sorted keys."""
    rng = np.random.default_rng(4)
    bdm = BDM(ndim=ndim, block=block, strategy=strategy, table=table)
    X = rng.integers(0, symbols, shape)
    pe = PerturbationExperiment(bdm, X)
    assert not pe.counts.dense
    idx, values = some_changes(rng, X, symbols, 12)
    got = pe.run(idx, values, keep_changes=True)
    Y, want = X.copy(), []
    for i, v in zip(idx, values):
        before = bdm.bdm(Y)
        Y[tuple(i)] = v
        want.append(bdm.bdm(Y) - before)
    assert np.abs(got - np.array(want)).max() < 1e-9 and pe.value == pytest.approx(bdm.bdm(Y), abs=1e-9)


# -- pybdm itself --------------------------------------------------------------------------


def pybdm_on(tab, ndim: int, block: int, strategy: str):
    """pybdm's BDM with its CTM dataset replaced by this table's normalised strings
    (as tests/test_bdm.py feeds it, in 1-D and 2-D)."""
    pybdm = pytest.importorskip("pybdm")
    from pybdm import partitions

    partition = {
        "ignore": partitions.PartitionIgnore,
        "recursive": partitions.PartitionRecursive,
        "correlated": partitions.PartitionCorrelated,
    }[strategy]
    scorer = pybdm.BDM(ndim=ndim, shape=(block,) * ndim, partition=partition)
    dataset = ctm_dataset(tab, ndim)
    scorer._ctm = {
        shape: OrderedDict(sorted(d.items(), key=lambda kv: kv[1], reverse=True)) for shape, d in dataset.items()
    }
    scorer._ctm_missing = {shape: max(d.values()) + 1 for shape, d in dataset.items()}
    scorer.nsymbols = tab.symbols
    return scorer


@lru_cache(maxsize=4)
def ctm_dataset(tab, ndim: int) -> dict:
    """Shape -> {flat normalised string: K}: pybdm's CTM dataset from this project's table."""
    dataset: dict = {}
    for string, K in zip(tab.strings, tab.K.tolist()):
        if (normalize_one(string) if ndim == 1 else normalize_matrix(string)) == string:
            shape = (len(string),) if ndim == 1 else (string.count("-") + 1, len(string.split("-")[0]))
            dataset.setdefault(shape, {})[string.replace("-", "")] = K
    return dataset


def both(table: str, ndim: int, block: int, strategy: str, X: np.ndarray, symbols: int):
    """(ours, pybdm's) deltas of changing every cell to the next symbol."""
    from pybdm import PerturbationExperiment as Theirs

    ours = BDM(block=block, strategy=strategy, table=table, ndim=ndim)
    idx = np.array(list(np.ndindex(*X.shape)))
    values = (X.ravel() + 1) % symbols
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = Theirs(pybdm_on(ours.tab, ndim, block, strategy), X.copy(), "bdm").run(idx, values)
    return PerturbationExperiment(ours, X).run(idx, values), theirs


@pytest.mark.parametrize(
    "table, ndim, block, strategy, symbols, shape",
    [
        ("d5x2-s500", 1, 12, "ignore", 2, (100,)),
        ("d5x2-2d-s2000", 2, 4, "ignore", 2, (18, 21)),
        ("d2x3-s38", 1, 6, "ignore", 3, (50,)),  # explicit new values: pybdm's update is exact here too
        ("d5x2-s500", 1, 12, "recursive", 2, (100,)),
    ],
)
def test_equals_pybdms_perturbation_experiment_where_its_update_is_exact(table, ndim, block, strategy, symbols, shape):
    rng = np.random.default_rng(21)
    for X in (rng.integers(0, symbols, shape), np.zeros(shape, dtype=np.int64)):
        ours, theirs = both(table, ndim, block, strategy, X, symbols)
        assert np.abs(ours - theirs).max() < 1e-9


def test_pybdm_picks_another_symbol_at_random_where_this_asks_for_it():
    from pybdm import PerturbationExperiment as Theirs

    ours = BDM(block=6, table="d2x3-s38")
    X = np.array([0, 1, 2, 2, 1, 0] * 4)
    pe = PerturbationExperiment(ours, X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = Theirs(pybdm_on(ours.tab, 1, 6, "ignore"), X.copy(), "bdm")
        picked = {round(theirs.perturb((7,), -1), 9) for _ in range(40)}
    assert picked <= {round(pe.perturb((7,), v), 9) for v in (0, 2)}
    with pytest.raises(CTMError, match="give each new value"):
        pe.perturb((7,))


def test_pybdm_miscounts_repeated_windows_and_this_does_not():
    """pybdm reads each touched window's count from the counts before the change, so
    windows that repeat among those a change touches are counted as if each were alone."""
    X = np.zeros((10, 10), dtype=np.int64)
    ours, theirs = both("d5x2-2d-s2000", 2, 4, "correlated", X, 2)
    bdm = BDM(strategy="correlated", ndim=2, table="d5x2-2d-s2000")
    idx = np.array(list(np.ndindex(10, 10)))
    assert np.abs(ours - recomputed(bdm, X, idx, np.ones(100, dtype=np.int64))).max() < 1e-9
    # the 4 corner cells are in one window each, where pybdm's update is right; every other
    # cell is in 2 to 16 windows, all alike, which pybdm counts as if each were alone
    corners = [0, 9, 90, 99]
    assert np.abs(ours - theirs)[corners].max() < 1e-9
    assert (np.abs(ours - theirs) > 1e-4).sum() == 96
    # 2-D recursive: at the edges pybdm also takes out and puts back the smaller squares of
    # the slice around a cell that the change does not touch, reading their counts twice
    X = np.random.default_rng(2).integers(0, 2, (18, 21))
    ours, theirs = both("d5x2-2d-s2000", 2, 4, "recursive", X, 2)
    edge = np.array([r >= 16 or c >= 20 for r, c in np.ndindex(18, 21)])
    assert np.abs(ours - theirs)[~edge].max() < 1e-9 and np.abs(ours - theirs)[edge].max() > 1


# -- standard errors and classes ------------------------------------------------------------


def test_standard_error_of_a_delta_from_the_sampled_tables_K_se():
    bdm = BDM(block=4, table="d4x4-s2000-sampled")
    X = np.array([0, 1, 2, 3, 0, 0, 1, 1, 2, 2, 3, 3])
    pe = PerturbationExperiment(bdm, X)
    delta, se = pe.deltas(np.array([0]), np.array([1]), np.array([0]), with_se=True)
    tab = bdm.tab
    rows = [tab.index[keys([normalize_one(b)], 1)[0]] for b in ("0123", "0023")]  # the block before, after
    want = math.sqrt(sum(float(tab.columns["K_se"][r]) ** 2 for r in rows))
    assert se[0] == pytest.approx(want, rel=1e-12) and want > 0
    assert delta[0] == pytest.approx(bdm.bdm("002300112233") - bdm.bdm(X), abs=1e-9)
    # an exact table has none
    exact = PerturbationExperiment(BDM(block=4, table="d2x4-s500"), X)
    assert exact.deltas(np.array([0]), np.array([1]), np.array([0]), with_se=True)[1][0] == 0.0


def test_classes_by_sign_with_a_neutral_band():
    delta = np.array([2.0, -2.0, 0.0, 0.5, -0.5, np.nan, 1e-12])
    assert list(classify(delta)) == ["negative", "positive", "neutral", "negative", "positive", "", "neutral"]
    assert list(classify(delta, band=1.0)) == ["negative", "positive", "neutral", "neutral", "neutral", "", "neutral"]
    se = np.array([1.5, 0.1, 0, 0, 0, 0, 0])
    assert list(classify(delta, se, z=2.0))[:2] == ["neutral", "positive"]
    assert list(signature([1.0, 3.0, -2.0])) == [3.0, 1.0, -2.0]


# -- graphs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("strategy, shift", [("ignore", 1), ("recursive", 1), ("correlated", 1), ("correlated", 2)])
def test_edge_and_vertex_knockout_equal_recomputation(directed, strategy, shift):
    G = nx.gnp_random_graph(19, 0.3, seed=3, directed=directed)
    G.add_edge(4, 4)
    A, nodes = adjacency(G)
    assert nodes == list(range(19)) and A[4, 4] == 1 and ((A == A.T).all() != directed)
    bdm = BDM(ndim=2, block=4, strategy=strategy, shift=shift, min_length=1, table="d5x2-2d-s2000")
    pe = PerturbationExperiment(bdm, A)
    E = edges_of(A, directed)
    assert len(E) == G.number_of_edges()
    base, got = bdm.bdm(A), edge_knockout(pe, E, directed)
    for (i, j), d in zip(E, got):
        Y = A.copy()
        Y[i, j] = 0
        if not directed:
            Y[j, i] = 0
        assert d == pytest.approx(bdm.bdm(Y) - base, abs=1e-9)
    for metric, score in (("bdm", bdm.bdm), ("ent", bdm.ent)):
        vertices = vertex_knockout(bdm, A, metric, vertices=np.array([0, 2, 4, 16, 18]))
        for v, d in zip([0, 2, 4, 16, 18], vertices):
            assert d == pytest.approx(score(np.delete(np.delete(A, v, 0), v, 1)) - score(A), abs=1e-9)


def test_edge_lists_keep_first_appearance_order_and_binarise_weights(tmp_path):
    path = tmp_path / "g.edges"
    path.write_text("# a weighted graph\nb a 2.5\na c 0\nc c 1\nd b\n")
    A, nodes = adjacency(read_edges(path))
    assert nodes == ["b", "a", "c", "d"]
    assert A.tolist() == [[0, 1, 0, 1], [1, 0, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]]
    path.write_text("a b c d\n")
    with pytest.raises(CTMError, match="line 1: an edge is 'u v' or 'u v weight'"):
        read_edges(path)


def test_cli_on_a_barabasi_albert_graph_of_596_edges(tmp_path):
    G = nx.barabasi_albert_graph(300, 2, seed=7)
    nx.write_edgelist(G, tmp_path / "ba.edges", data=False)
    result = CliRunner().invoke(
        main,
        ["perturb", str(tmp_path / "ba.edges"), "--plot", str(tmp_path / "figs"), "--out", str(tmp_path / "edges.csv")],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(open(tmp_path / "edges.csv")))
    assert len(rows) == G.number_of_edges() == 596
    A, nodes = adjacency(read_edges(tmp_path / "ba.edges"))
    pe = PerturbationExperiment(BDM(ndim=2), A)
    want = edge_knockout(pe, edges_of(A, False), False)
    assert np.array([float(r["delta"]) for r in rows]) == pytest.approx(want, abs=1e-12)
    assert {(r["source"], r["target"]) for r in rows} == {(nodes[i], nodes[j]) for i, j in edges_of(A, False)}
    assert [r["class"] for r in rows] == list(classify(want))
    for name in ("signature.png", "heatmap.png"):
        png = (tmp_path / "figs" / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert "596 edges:" in result.output


def test_cli_on_matrix_text_and_csv(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["perturb", "0101-1010-0101-1010", "--block", "2"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    X = np.array([[0, 1, 0, 1], [1, 0, 1, 0]] * 2)
    want = PerturbationExperiment(BDM(ndim=2, block=2), X).run()
    assert [float(r["delta"]) for r in rows] == pytest.approx(want, abs=1e-12) and rows[1]["old"] == "1"
    (tmp_path / "m.csv").write_text("\n".join(",".join(map(str, r)) for r in X) + "\n")
    again = runner.invoke(main, ["perturb", str(tmp_path / "m.csv"), "--block", "2", "--element", "vertex"])
    assert again.exit_code == 0 and len(list(csv.DictReader(io.StringIO(again.stdout)))) == 4
    bad = runner.invoke(main, ["perturb", "01x0"])
    assert bad.exit_code == 2 and "neither a file nor matrix text" in bad.output
    ternary = runner.invoke(main, ["perturb", "0120-1201-2012-0120"])
    assert ternary.exit_code == 2 and "has 3 symbols (0 .. 2) and the default 2-D table is binary" in ternary.output


@pytest.mark.slow
def test_the_worked_example_prints_what_the_docs_report(tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "examples" / "perturbation.py"
    spec = importlib.util.spec_from_file_location("perturbation_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    assert example.main(["--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "596 edges" in printed and "BDM = 3495.6 bits" in printed and "BDM = 16351.3 bits" in printed
    assert "classes {'negative': 10, 'neutral': 0, 'positive': 586}" in printed
    assert "vertex knockout, ignore: deltas from -332.0 to 220.7 bits, median -130.8" in printed
    assert "the 5 largest drops at vertices [4, 178, 186, 187, 179]" in printed
    for name in ("perturbation-signature.png", "perturbation-heatmap.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
