"""Algorithmic information dynamics of networks: edge and vertex knockout, the information
signature, and the split of elements into negative, positive and neutral ones.

A graph is scored as its adjacency matrix (``pipeline.perturb``), rows and columns in the
graph's vertex order (networkx's node order, which for a graph read from an edge list is
the order in which vertices first appear). BDM depends on that order: the same graph
with its vertices listed otherwise cuts into other blocks and has another BDM, and its
elements other deltas. Weights are binarised: an entry is 1 where the weight is nonzero
(and not NaN), 0 elsewhere; a self-loop is a 1 on the diagonal.

Classes follow Zenil et al., "An algorithmic information calculus for causal discovery
and reprogramming systems", iScience 19 (2019) 1160-1172: the information contribution
of an element e is I(X, e) = C(X) - C(X without e), that is minus the delta here, and e is
negative where I < 0 (deleting e makes X more complex: e belongs to what makes X simple),
positive where I > 0 (deleting e simplifies X) and neutral where I is about 0. Here
"about 0" is |delta| <= band + z * se(delta) (+ 1e-9 for rounding): ``band`` is 0 bits by
default, which is exact for exact tables, and se is the delta's standard error from a
sampled table's K_se (``PerturbationExperiment.deltas(with_se=True)``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.bdm import BDM
from pipeline.blocks import Counts, Group, Lookup, codes, cut
from pipeline.errors import CTMError
from pipeline.perturb import PerturbationExperiment

CLASSES = ("negative", "neutral", "positive")
ROUNDING = 1e-9


def adjacency(G, nodelist: list | None = None, weight: str | None = "weight") -> tuple[np.ndarray, list]:
    """A networkx graph as a 0/1 adjacency matrix in its vertex order.

    Parameters
    ----------
    G : networkx.Graph or DiGraph (multigraphs: parallel edges add up)
    nodelist : list, optional
        Vertex order; default ``list(G)``, networkx's node order. BDM depends on it.
    weight : str or None
        Edge attribute read as the weight (None: every edge weighs 1); an entry is 1
        where the weight is nonzero.

    Returns
    -------
    A : (n, n) int64 ndarray
        Symmetric for an undirected graph; A[i, j] = 1 for an edge i -> j.
    nodes : list
        The vertex of each row.
    """
    import networkx as nx

    nodes = list(G) if nodelist is None else list(nodelist)
    W = nx.to_numpy_array(G, nodelist=nodes, weight=weight, dtype=float, nonedge=0.0)
    return ((W != 0) & ~np.isnan(W)).astype(np.int64), nodes


def read_edges(path: str | Path, directed: bool = False):
    """A graph from an edge list: one edge a line, "u v" or "u v weight", '#' starts a
    comment. Vertices are kept as text, in the order they first appear.

    Raises CTMError naming the line that is not an edge.
    """
    import networkx as nx

    G = nx.DiGraph() if directed else nx.Graph()
    for number, raw in enumerate(Path(path).read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].replace(",", " ").split()
        if not line:
            continue
        if len(line) not in (2, 3):
            raise CTMError(f"{path}, line {number}: an edge is 'u v' or 'u v weight', got {raw.strip()!r}")
        try:
            w = float(line[2]) if len(line) == 3 else 1.0
        except ValueError:
            raise CTMError(f"{path}, line {number}: weight {line[2]!r} is not a number") from None
        G.add_edge(line[0], line[1], weight=w)
    if not G.number_of_edges():
        raise CTMError(f"{path} has no edge")
    return G


def edges_of(A: np.ndarray, directed: bool) -> np.ndarray:
    """(edges, 2) the ones of A, row-major; for an undirected graph each edge once (i <= j)."""
    i, j = np.nonzero(A)
    if not directed:
        keep = i <= j
        i, j = i[keep], j[keep]
    return np.stack([i, j], axis=1)


def edge_knockout(pe: PerturbationExperiment, edges: np.ndarray, directed: bool, with_se: bool = False):
    """Delta of deleting each edge of the experiment's adjacency matrix: C(A - e) - C(A).

    An undirected edge {i, j} is two cells, A[i, j] and A[j, i], set to 0 together; a
    directed edge or a self-loop is one cell. ``edges`` is (edges, 2) vertex indices.
    Returns the deltas, and their standard errors with ``with_se``.
    """
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    n = pe.X.shape[0]
    both = (edges[:, 0] != edges[:, 1]) & (not directed)
    change = np.concatenate([np.arange(len(edges)), np.flatnonzero(both)])
    rows = np.concatenate([edges[:, 0], edges[both, 1]])
    cols = np.concatenate([edges[:, 1], edges[both, 0]])
    return pe.deltas(change, rows * n + cols, np.zeros(len(rows), dtype=np.int64), with_se=with_se)


def vertex_knockout(bdm: BDM, A: np.ndarray, metric: str = "bdm", vertices: np.ndarray | None = None) -> np.ndarray:
    """Delta of deleting each vertex (its row and its column): C(A without v) - C(A).

    Under ignore and recursive every block after the deleted row and column moves, so
    each C is counted in full, but a block that does not straddle the gap is a window of
    A one row (column) further on, so its code is read from the codes of all A's windows,
    computed once; under correlated windows 1 apart only the windows over the row or
    column and those that straddle the gap change, and only they are counted. The matrix also
    shrinks by a row and a column, which drops or moves the blocks at its edges: see
    docs/perturbation.md for how much that alone weighs.

    Parameters
    ----------
    bdm : pipeline.bdm.BDM with ndim=2
    A : (n, n) int array, the adjacency matrix
    metric : {"bdm", "ent"}
    vertices : (vertices,) int array, optional; default every vertex

    Returns
    -------
    (vertices,) float ndarray of deltas (bits).
    """
    pe = PerturbationExperiment(bdm, A, metric)
    base = pe.value
    n = A.shape[0]
    vertices = np.arange(n) if vertices is None else np.asarray(vertices, dtype=np.int64)
    if bdm.strategy == "correlated" and bdm.shift == 1:
        return _windows_moved(pe, vertices)
    groups = cut((n - 1, n - 1), bdm)
    lookup = Lookup(bdm, groups, 2)
    total = sum(len(g.origins) for g in groups)
    if total == 0:
        raise CTMError(f"a {n - 1}x{n - 1} matrix has no block under strategy {bdm.strategy!r} with block={bdm.block}")
    a = bdm.tab.symbols
    # a block of the smaller matrix that does not straddle the gap is a window of A one
    # row (column) further on past it: the codes of every window of A, by side, serve them all
    windows = {}
    for g in groups:
        side = n - g.side + 1
        every = np.stack(np.meshgrid(np.arange(side), np.arange(side), indexing="ij"), -1).reshape(-1, 2)
        windows[g.side] = codes(A, [Group(g.side, every, g.offset)], a).reshape(side, side)
    out = np.empty(len(vertices))
    for i, v in enumerate(vertices):
        old_index = np.arange(n - 1) + (np.arange(n - 1) >= v)
        found = []
        for g in groups:
            r, c = g.origins[:, 0], g.origins[:, 1]
            straddles = ((r < v) & (r + g.side > v)) | ((c < v) & (c + g.side > v))
            found.append(windows[g.side][old_index[r[~straddles]], old_index[c[~straddles]]])
            cut_through = g.origins[straddles]
            code = np.zeros(len(cut_through), dtype=np.int64)
            for dr, dc in np.ndindex(g.side, g.side):
                code = code * a + A[old_index[cut_through[:, 0] + dr], old_index[cut_through[:, 1] + dc]]
            found.append(code + g.offset)
        present, count = Counts(np.concatenate(found), lookup.space).present()
        if metric == "ent":
            p = count / total
            value = float(-(p * np.log2(p)).sum())
        else:
            value = float((lookup(present)[0] + np.log2(count)).sum())
        out[i] = value - base
    return out


def _windows_moved(pe: PerturbationExperiment, vertices: np.ndarray) -> np.ndarray:
    """Vertex knockout under correlated windows 1 apart, from the windows that change.

    Without row and column v, a window that contains neither is a window of A moved
    up or left by one; so C(A without v) takes out A's windows over row v or column v
    and adds the new windows that straddle the gap, and nothing else moves.
    """
    A, k, a = pe.X, pe.bdm.block, pe.alphabet
    n = A.shape[0]
    m, m2 = n - k + 1, n - k  # window starts per axis, before and after
    if m2 < 1:
        raise CTMError(f"a {n - 1}x{n - 1} matrix has no block under strategy 'correlated' with block={k}")
    counts = pe.counts.present()[1]
    h = float((counts * np.log2(counts)).sum())
    out = np.empty(len(vertices))
    every, every2 = np.arange(m), np.arange(m2)
    for i, v in enumerate(vertices):
        band = np.arange(max(0, v - k + 1), min(v, m - 1) + 1)
        rest = np.setdiff1d(every, band)
        ids = np.concatenate(
            [(band[:, None] * m + every[None, :]).ravel(), (rest[:, None] * m + band[None, :]).ravel()]
        )
        gap = np.arange(max(0, v - k + 1), min(v - 1, m2 - 1) + 1)
        rest2 = np.setdiff1d(every2, gap)
        origins = np.concatenate(
            [
                np.stack(np.meshgrid(gap, every2, indexing="ij"), -1).reshape(-1, 2),
                np.stack(np.meshgrid(rest2, gap, indexing="ij"), -1).reshape(-1, 2),
            ]
        )
        old_index = np.arange(n - 1) + (np.arange(n - 1) >= v)  # row (column) of A at each row of the smaller matrix
        code = np.zeros(len(origins), dtype=np.int64)
        for r, c in np.ndindex(k, k):
            code = code * a + A[old_index[origins[:, 0] + r], old_index[origins[:, 1] + c]]
        change = pe.moved(pe.block_codes[ids], code)
        if pe.metric == "ent":
            total = m2 * m2
            out[i] = np.log2(total) - (h + change) / total - pe.value
        else:
            out[i] = change
    return out


def signature(delta: np.ndarray) -> np.ndarray:
    """The information signature: the deltas sorted from largest to smallest (NaN last)."""
    delta = np.asarray(delta, dtype=float)
    return -np.sort(-delta)


def classify(delta: np.ndarray, se: np.ndarray | None = None, band: float = 0.0, z: float = 2.0) -> np.ndarray:
    """Each element's class by the sign of its delta (Zenil et al. 2019; see the module).

    negative: delta > tolerance (deleting it makes X more complex); positive: delta <
    -tolerance; neutral otherwise, with tolerance = band + z * se + 1e-9 bits.

    Parameters
    ----------
    delta : (elements,) float
    se : (elements,) float, optional
        Standard errors of the deltas (sampled tables); None or 0 for exact tables.
    band : float
        Bits of change still counted as none (default 0).
    z : float
        Standard errors of change still counted as none (default 2, about 95 %).

    Returns
    -------
    (elements,) object ndarray of "negative", "neutral", "positive" ("" for NaN).
    """
    if band < 0 or z < 0:
        raise CTMError(f"band and z should be at least 0, got band={band}, z={z}")
    delta = np.asarray(delta, dtype=float)
    tolerance = band + ROUNDING + (0.0 if se is None else z * np.asarray(se, dtype=float))
    out = np.full(delta.shape, "neutral", dtype=object)
    out[delta > tolerance] = "negative"
    out[delta < -tolerance] = "positive"
    out[np.isnan(delta)] = ""
    return out
