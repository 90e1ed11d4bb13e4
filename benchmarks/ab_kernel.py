"""Compare builds of the kernels, interleaved in one process, on the workloads that matter.

On a shared 2-core machine the time of one call drifts by ±30 % from minute to minute,
so two builds timed one after the other cannot be told apart by less than that. This
loads the compiled `tmsim_ext._kernel` and `tmsim_ext._grid` of each source tree given
(built in place, e.g. `python setup.py build_ext --inplace` in a copy of the repository)
as modules of their own and calls them in turn, workload after workload, round after
round, so drift hits every build alike. Each workload checks first that every build
gives the same result (builds of different kernel versions: the same outputs, halting
machines and times, and limit + proven). The workloads:

- (4,2) S=107, the whole space (one block: every entry free);
- (4,2) 2-D S=2000, a range of 2 blocks (two entries fixed);
- (5,2) S=500, one block of b**6 machines;
- long runs: the 300 (5,2) classes still running after 4,100 steps
  (tests/data/d5x2-long-classes.txt) run to 1,000,000 steps with every proof ('cps'
  decides all but one), and 20 of them with none;
- sampled draws: (4,4) S=2000 and (5,2) 2-D S=2000, one batch each (timed as draws/s).

    python benchmarks/ab_kernel.py . /tmp/other-checkout --rounds 40
"""

from __future__ import annotations

import glob
import importlib.machinery
import importlib.util
import statistics
import time
from pathlib import Path

import click
import numpy as np

CLASSES = Path(__file__).resolve().parent.parent / "tests" / "data" / "d5x2-long-classes.txt"


def load(tree: Path, name: str, alias: str):
    """The compiled module ``tmsim_ext.<name>`` found under ``tree``, loaded as ``alias``."""
    found = sorted(glob.glob(str(tree / "tmsim_ext" / f"{name}*.so")))
    if not found:
        raise click.BadParameter(f"no compiled tmsim_ext/{name}*.so under {tree}: build it in place first")
    loader = importlib.machinery.ExtensionFileLoader(f"tmsim_ext.{name}", found[0])
    spec = importlib.util.spec_from_file_location(f"tmsim_ext.{name}", found[0], loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _long_classes(count: int) -> list[np.ndarray]:
    """The first ``count`` committed (5,2) long classes as digit rows (-1 free)."""
    from pipeline.space import Space

    space = Space(5, 2, 100_000)
    rows = [line for line in CLASSES.read_text().splitlines() if line and not line.startswith("#")][:count]
    return [np.array([[-1 if d is None else d for d in space.parse_text(t)]], dtype=np.int32) for t in rows]


def workloads() -> dict:
    """Workload name -> function of (1-D kernel module, 2-D kernel module) -> result dict."""
    whole42 = np.full((1, 8), -1, dtype=np.int32)
    grid_range = np.array([[-1] * 6 + [6, top] for top in (20, 21)], dtype=np.int32)
    block52 = np.array([[-1] * 6 + [3, 9, 7, 12]], dtype=np.int32)
    long_rows = _long_classes(300)
    whole44 = np.full((1, 16), -1, dtype=np.int32)
    whole52 = np.full((1, 10), -1, dtype=np.int32)

    def every(module) -> int:
        flags = getattr(module, "PROOF_FLAGS", None) or module.GRID_PROOF_FLAGS
        return sum(flags.values())

    def long_runs(k, flags: int, count: int):
        out = []
        for row in long_rows[:count]:
            got = k.count_blocks(5, 2, 1_000_000, row, flags, False, long_from=4100, cps_radius=4, cps_history=12)
            out.append((got["limit"], got["proven"], got["long"]["steps"]))
        return {"classes": out}

    return {
        "(4,2) S=107 whole space": lambda k, g: k.count_blocks(4, 2, 107, whole42, every(k), True),
        "(4,2) 2-D S=2000, 2 blocks": lambda k, g: g.count_grid_blocks(4, 2, 2000, grid_range, every(g), True),
        "(5,2) S=500, one block of 14**6": lambda k, g: k.count_blocks(5, 2, 500, block52, every(k), True),
        "long runs and cps: 300 (5,2) classes, every proof": lambda k, g: long_runs(k, every(k), 300),
        "long runs: 20 (5,2) classes, no proof": lambda k, g: long_runs(k, 0, 20),
        "sampled (4,4) S=2000, depth 3": lambda k, g: k.count_blocks(
            4,
            4,
            2000,
            whole44,
            every(k),
            True,
            sampled=True,
            sample_depth=3,
            draws=120,
            seed=1,
            batch=0,
            pool=True,
            keep_len=10,
        ),
        "sampled (5,2) 2-D S=2000, depth 3": lambda k, g: g.count_grid_blocks(
            5,
            2,
            2000,
            whole52,
            every(g),
            True,
            sampled=True,
            sample_depth=3,
            draws=600,
            seed=1,
            batch=0,
            pool=True,
            keep_len=5,
        ),
    }


WORK = ("limit", "proven", "classes", "nodes", "steps", "proven_by", "long", "collected", "undecided")
"""Figures a change to a proof may change (a new kernel version): how the machines that
do not halt split between the limit and the proofs, and the work behind it."""


def _key(result: dict, split: bool = True):
    """What must agree between builds: everything but the work figures' timing (outputs
    read as dicts, whether a build hands back dicts or columns). Builds of different
    kernel versions (``split`` False) may split the machines that do not halt otherwise,
    and do other work: then only what the machines do must agree, limit + proven with it."""
    from pipeline.rows import with_dicts

    if not split:
        if isinstance(result.get("classes"), list):  # the long-runs workloads
            result = {"nonhalting": [limit + proven for limit, proven, _ in result["classes"]]}
        else:
            total = result["limit"] + result["proven"]
            result = {k: v for k, v in result.items() if k not in WORK}
            result["nonhalting"] = f"{total:.12g}" if isinstance(total, float) else total

    def canonical(value):
        if isinstance(value, dict):
            return sorted((repr(k), canonical(v)) for k, v in value.items())
        return repr(value)

    return repr(canonical(with_dicts(result)))


@click.command()
@click.argument("trees", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--rounds", default=40, show_default=True, help="Calls per build and workload, interleaved.")
@click.option("--only", default="", help="Run only the workloads whose name contains this text.")
def main(trees: tuple[Path, ...], rounds: int, only: str) -> None:
    """Time each TREE's kernels on every workload; print medians, quartiles and the ratio to the first TREE."""
    builds = [(load(tree, "_kernel", f"k{i}"), load(tree, "_grid", f"g{i}")) for i, tree in enumerate(trees)]
    chosen = {name: run for name, run in workloads().items() if only in name}
    split = len({(k.KERNEL_VERSION, g.GRID_KERNEL_VERSION) for k, g in builds}) == 1
    draws: dict[str, list[int]] = {}
    for name, run in chosen.items():
        results = [run(k, g) for k, g in builds]
        for tree, result in zip(trees[1:], results[1:]):
            if _key(result, split) != _key(results[0], split):
                raise SystemExit(f"{name}: {tree} counts differently from {trees[0]}")
        draws[name] = [result.get("draws", 0) for result in results]
    times = {name: [[] for _ in builds] for name in chosen}
    for _ in range(rounds):
        for name, run in chosen.items():
            for (k, g), spent in zip(builds, times[name]):
                began = time.perf_counter()
                run(k, g)
                spent.append(time.perf_counter() - began)
    print(f"{rounds} rounds, interleaved\n")
    print("| workload | build | median s | lower quartile s | fastest s | draws/s (median) | median / first build's |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name in chosen:
        first = statistics.median(times[name][0])
        for tree, spent, n in zip(trees, times[name], draws[name]):
            ordered = sorted(spent)
            median = statistics.median(ordered)
            rate = f"{n / median:,.0f}" if n else "-"
            print(
                f"| {name} | {tree} | {median:.4f} | {ordered[len(ordered) // 4]:.4f} | {ordered[0]:.4f} "
                f"| {rate} | {median / first:.3f} |"
            )


if __name__ == "__main__":
    main()
