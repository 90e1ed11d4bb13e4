"""How long the calculator takes to score 10,000 strings over HTTP, beside the Python call.

Starts ``ctm serve``'s app with uvicorn on 127.0.0.1 (a thread, real sockets), posts
10,000 strings to /api/score (what the page sends) and to /api/acss, and times the
same Python calls (pipeline.query.acss, and pipeline.serve.results.score) in-process.
Each figure is the best of ``--repeat`` runs, after one warm-up that loads the table.

    python benchmarks/bench_serve.py [--n 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from servetools import Server  # noqa: E402

from pipeline.query import acss  # noqa: E402
from pipeline.serve.results import score  # noqa: E402


def best(repeat: int, call) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(2026)
    cases = {
        "die rolls, alphabet 6 (sampled table, with K_se)": (
            ["".join(map(str, r)) for r in rng.integers(1, 7, (args.n, 10))],
            6,
        ),
        "binary, 8 symbols (d5x2-s500)": (["".join(map(str, r)) for r in rng.integers(0, 2, (args.n, 8))], 2),
        "binary, 21 symbols: K lookup + BDM, NBDM, entropy": (
            ["".join(map(str, r)) for r in rng.integers(0, 2, (args.n, 21))],
            2,
        ),
    }
    with Server() as server, httpx.Client(base_url=server.url, timeout=120) as client:
        for name, (strings, alphabet) in cases.items():
            body = {"strings": strings, "alphabet": alphabet}
            for path in ("/api/score", "/api/acss"):
                assert client.post(path, json=body).status_code == 200  # warm-up: loads the table
            http_score = best(args.repeat, lambda: client.post("/api/score", json=body).raise_for_status())
            http_acss = best(args.repeat, lambda: client.post("/api/acss", json=body).raise_for_status())
            py_score = best(args.repeat, lambda: score(strings, alphabet=alphabet))
            py_acss = best(args.repeat, lambda: acss(strings, alphabet, errors="ignore"))
            print(
                f"{args.n} strings, {name}: HTTP /api/score {http_score:.3f} s (Python score() {py_score:.3f} s); "
                f"HTTP /api/acss {http_acss:.3f} s (Python acss() {py_acss:.3f} s)"
            )


if __name__ == "__main__":
    main()
