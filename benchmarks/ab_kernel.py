"""Compare builds of the kernel on the whole (4,2) S=107 space, interleaved in one process.

On a shared 2-core machine the time of one call drifts by ±30 % from minute to minute,
so two builds timed one after the other cannot be told apart by less than that. This
loads the compiled `tmsim_ext._kernel` of each source tree given (built in place, e.g.
`python setup.py build_ext --inplace` in a copy of the repository) as its own module
and calls them in turn, round after round, so drift hits every build alike.

    python benchmarks/ab_kernel.py . /tmp/other-checkout --rounds 60
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


def load_kernel(tree: Path):
    """The compiled kernel module found under ``tree``, loaded under its own name."""
    found = sorted(glob.glob(str(tree / "tmsim_ext" / "_kernel*.so")))
    if not found:
        raise click.BadParameter(f"no compiled tmsim_ext/_kernel*.so under {tree}: build it in place first")
    loader = importlib.machinery.ExtensionFileLoader("tmsim_ext._kernel", found[0])
    spec = importlib.util.spec_from_file_location("tmsim_ext._kernel", found[0], loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@click.command()
@click.argument("trees", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--rounds", default=40, show_default=True, help="Calls per build, interleaved.")
def main(trees: tuple[Path, ...], rounds: int) -> None:
    """Time each TREE's kernel on the whole (4,2) space; print median, quartile and min."""
    kernels = [load_kernel(tree) for tree in trees]
    whole = np.full((1, 8), -1, dtype=np.int32)   # one block: every entry free
    every_proof = sum(kernels[0].PROOF_FLAGS.values())
    results = [k.count_blocks(4, 2, 107, whole, every_proof, True) for k in kernels]
    for tree, result in zip(trees[1:], results[1:]):
        if (result["outputs"], result["halting"]) != (results[0]["outputs"], results[0]["halting"]):
            raise SystemExit(f"{tree} counts differently from {trees[0]}")
    times: list[list[float]] = [[] for _ in kernels]
    for _ in range(rounds):
        for kernel, spent in zip(kernels, times):
            began = time.perf_counter()
            kernel.count_blocks(4, 2, 107, whole, every_proof, True)
            spent.append(time.perf_counter() - began)
    print("| build | median s | lower quartile s | fastest s | classes |")
    print("|---|---:|---:|---:|---:|")
    for tree, spent, result in zip(trees, times, results):
        ordered = sorted(spent)
        print(f"| {tree} | {statistics.median(ordered):.4f} | {ordered[len(ordered) // 4]:.4f} "
              f"| {ordered[0]:.4f} | {result['classes']:,} |")


if __name__ == "__main__":
    main()
