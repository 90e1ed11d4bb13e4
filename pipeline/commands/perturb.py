"""``ctm perturb``: perturbation analysis of a matrix or a graph, one CSV row per element.

Reads a CSV matrix, an edge list or matrix text; changes each element (a cell, an edge
or a vertex) and writes delta = C(X') - C(X) with the element's class
(pipeline.aid.classify). The work is pipeline.perturb's and pipeline.aid's.
"""

from __future__ import annotations

import csv
import re
import sys
import warnings
from pathlib import Path

import click
import numpy as np

from pipeline.commands.batch import DATA_DIR, TABLE, VERSION
from pipeline.errors import CTMError

FORMATS = ("auto", "csv", "edges", "text")
TEXT = re.compile(r"[0-9]+(-[0-9]+)*")


def read_input(source: str, form: str) -> tuple[str, object]:
    """("matrix", int array) or ("graph", networkx graph) from a file or matrix text."""
    path = Path(source)
    if not path.exists():
        if TEXT.fullmatch(source):
            return "matrix", source
        raise CTMError(f"{source!r} is neither a file nor matrix text (digits, rows joined by '-', e.g. 010-101-010)")
    content = path.read_text()
    lines = [line for line in content.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise CTMError(f"{source} is empty")
    if form == "auto":
        joined = "-".join(line.strip() for line in lines)
        fields = len(lines[0].split(","))
        if TEXT.fullmatch(joined):
            form = "text"
        elif fields > 3 or (fields == len(lines) and fields > 1):
            form = "csv"
        else:
            form = "edges"
    if form == "text":
        joined = "-".join(line.strip() for line in lines)
        if not TEXT.fullmatch(joined):
            raise CTMError(f"{source}: matrix text should be rows of digits (one a line, or joined by '-')")
        return "matrix", joined
    if form == "csv":
        try:
            rows = [[float(v) for v in line.split(",")] for line in lines]
        except ValueError as exc:
            raise CTMError(f"{source}: a CSV matrix holds numbers only ({exc})") from None
        if len({len(r) for r in rows}) != 1:
            raise CTMError(f"{source}: the CSV matrix's rows have different lengths")
        values = np.array(rows)
        if (values != np.round(values)).any() or values.min() < 0:
            raise CTMError(f"{source}: a CSV matrix holds symbols 0, 1, 2, ... (whole numbers from 0)")
        return "matrix", values.astype(np.int64)
    return "graph", path


def _graph(path: Path, directed: bool):
    from pipeline.aid import adjacency, read_edges

    return adjacency(read_edges(path, directed))


@click.command()
@click.argument("source")
@click.option(
    "--format",
    "form",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="How SOURCE is written; auto: digits joined by '-' (or one row a line) are matrix text, "
    "comma-separated lines of more than 3 numbers (or as many as lines) a CSV matrix, else an edge list.",
)
@click.option(
    "--element",
    type=click.Choice(["cell", "edge", "vertex"]),
    default=None,
    help="What to change: every cell (to --value), every edge (deleted), every vertex (row and column deleted) "
    "[default: cell for a matrix, edge for an edge list].",
)
@click.option(
    "--directed",
    is_flag=True,
    help="An edge list's edges are directed (u -> v); a matrix is directed unless symmetric.",
)
@click.option(
    "--value", type=int, default=-1, show_default=True, help="New value of each cell; -1 flips 0 <-> 1 (binary only)."
)
@click.option(
    "--metric", type=click.Choice(["bdm", "ent"]), default="bdm", show_default=True, help="BDM or block entropy (bits)."
)
@click.option(
    "--block", "-b", type=click.IntRange(1), default=None, help="Side of the square block [default: 4; strings 12]."
)
@click.option(
    "--strategy",
    "-s",
    type=click.Choice(["ignore", "recursive", "correlated"]),
    default="ignore",
    show_default=True,
    help="pybdm's partition.",
)
@click.option("--shift", type=click.IntRange(1), default=1, show_default=True, help="Step of the correlated window.")
@click.option(
    "--min-length", type=click.IntRange(1), default=2, show_default=True, help="Shortest leftover recursive keeps."
)
@click.option(
    "--missing",
    type=click.Choice(["impute", "error"]),
    default="impute",
    show_default=True,
    help="A block the table never produced: 1 + the largest K of its shape (pybdm), or NaN.",
)
@click.option(
    "--band", type=click.FloatRange(0), default=0.0, show_default=True, help="Bits of change still counted neutral."
)
@click.option(
    "--z",
    type=click.FloatRange(0),
    default=2.0,
    show_default=True,
    help="Standard errors of change still counted neutral (sampled tables).",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="CSV file to write [default: stdout].",
)
@click.option(
    "--plot",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for heatmap.png (cells, or edges at their cells) and signature.png.",
)
@TABLE
@VERSION
@DATA_DIR
def perturb(
    source,
    form,
    element,
    directed,
    value,
    metric,
    block,
    strategy,
    shift,
    min_length,
    missing,
    band,
    z,
    out,
    plot,
    table,
    version,
    data_dir,
):
    """Perturbation analysis of SOURCE: change each element, measure C(X') - C(X).

    SOURCE is a file (CSV matrix, edge list "u v [weight]", or matrix text) or matrix
    text itself. A graph becomes its 0/1 adjacency matrix (nonzero weight -> 1) in the
    order its vertices first appear: BDM depends on that order. An undirected edge is
    deleted from both of its cells. Each element gets a CSV row with its delta and its
    class after Zenil et al. (iScience 2019): negative (delta > 0: deleting it makes the
    object more complex), positive (delta < 0) or neutral (|delta| <= band + z * se).

    \b
    Examples:
      ctm perturb 0101-1010-0101-1010
      ctm perturb image.csv --out deltas.csv --plot figures/
      ctm perturb network.edges --plot figures/ > edges.csv
      ctm perturb network.edges --element vertex --strategy correlated
      ctm perturb 012012012012012012 --value 0 --table d2x3-s38 --block 6
    """
    from pipeline.aid import classify, edge_knockout, edges_of, vertex_knockout
    from pipeline.bdm import BDM
    from pipeline.perturb import PerturbationExperiment

    kind, data = read_input(source, form)
    nodes = None
    if kind == "graph":
        A, nodes = _graph(data, directed)
    else:
        text = data if isinstance(data, str) else None
        A = data if text is None else np.array([[int(c) for c in row] for row in text.split("-")], dtype=np.int64)
        if text is not None and "-" not in text:
            A = A[0]
        directed = directed or A.ndim != 2 or A.shape[0] != A.shape[1] or not (A == A.T).all()
    element = element or ("edge" if kind == "graph" else "cell")
    if element != "cell" and (A.ndim != 2 or A.shape[0] != A.shape[1]):
        raise CTMError(f"--element {element} needs a square adjacency matrix, got shape {A.shape}")
    ndim = A.ndim
    options = {
        "strategy": strategy,
        "shift": shift,
        "min_length": min_length,
        "missing": missing,
        "table": table,
        "version": version,
        "data_dir": data_dir,
        "ndim": ndim,
    }
    if block is not None:
        options["block"] = block
    top = int(A.max()) if A.size else 0
    if table is None and top >= 2:
        if ndim == 2:
            raise CTMError(
                f"{source[:40]} has {top + 1} symbols (0 .. {top}) and the default 2-D table is binary: "
                f"give --table of a 2-D table with {top + 1} symbols, or map the matrix to 0/1"
            )
        options["alphabet"] = top + 1
    scorer = BDM(**options)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pe = PerturbationExperiment(scorer, A, metric)
        label = _label(nodes)
        if element == "cell":
            flat = np.arange(A.size)
            new = pe.new_values(A.ravel(), np.full(A.size, value))
            delta, se = pe.deltas(flat, flat, new, with_se=True)
            cells = np.array(np.unravel_index(flat, A.shape)).T
            header = ["row", "column", "old", "new"] if ndim == 2 else ["position", "old", "new"]
            keys = [[*map(int, c), int(o), int(v)] for c, o, v in zip(cells, A.ravel(), new)]
        elif element == "edge":
            E = edges_of(A, directed)
            delta, se = edge_knockout(pe, E, directed, with_se=True)
            header = ["source", "target", "i", "j"]
            keys = [[label(i), label(j), int(i), int(j)] for i, j in E]
        else:
            delta = vertex_knockout(scorer, A, metric)
            se = np.zeros(len(delta))
            header = ["vertex", "index"]
            keys = [[label(i), i] for i in range(A.shape[0])]
    for warning in caught:
        click.echo(f"note: {warning.message}", err=True)
    classes = classify(delta, se, band, z)
    stream = open(out, "w", newline="") if out else sys.stdout
    try:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header + ["delta", "se", "class"])
        for key, d, s, c in zip(keys, delta, se, classes):
            writer.writerow(key + [repr(float(d)), repr(float(s)), c])
    finally:
        if out:
            stream.close()
    counts = {name: int((classes == name).sum()) for name in ("negative", "neutral", "positive")}
    click.echo(
        f"{metric} = {pe.value:.6f} bits ({scorer.tab.label}, block {scorer.block}, {scorer.strategy}); "
        f"{len(delta)} {'vertices' if element == 'vertex' else element + 's'}: "
        + ", ".join(f"{n} {name}" for name, n in counts.items()),
        err=True,
    )
    if plot:
        _plots(Path(plot), element, A, delta, se, band, z, keys if element == "edge" else None, directed)


def _label(nodes):
    return (lambda i: str(nodes[i])) if nodes is not None else (lambda i: str(int(i)))


def _plots(folder: Path, element: str, A: np.ndarray, delta, se, band: float, z: float, edges, directed: bool) -> None:
    from pipeline.aidplot import heatmap, signature_plot

    folder.mkdir(parents=True, exist_ok=True)
    signature_plot(
        delta, folder / "signature.png", se, band, z, title=f"information signature ({len(delta)} {element}s)"
    )
    if element == "cell":
        heatmap(delta.reshape(A.shape), folder / "heatmap.png")
    elif element == "edge":
        grid = np.zeros(A.shape)
        for (_, _, i, j), d in zip(edges, delta):
            grid[i, j] = d
            if not directed:
                grid[j, i] = d
        heatmap(grid, folder / "heatmap.png", title=f"delta of deleting each edge, at its cells ({len(delta)} edges)")
    click.echo(
        f"wrote {folder / 'signature.png'}" + ("" if element == "vertex" else f" and {folder / 'heatmap.png'}"),
        err=True,
    )
