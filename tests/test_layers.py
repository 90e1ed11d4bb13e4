"""Layers that point one way: the query side loads no write side and no compiled kernel,
the write side's modules import downwards only, and no module imports itself back.

The first tests import the query side in a fresh interpreter and read what it loaded
(``python -X importtime``); the others run import-linter's contracts (``[tool.importlinter]``
in pyproject.toml), which see every import, function-level ones included.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

WRITE_SIDE = (
    "tmsim_ext",
    "pipeline.kernel",
    "pipeline.estimate",
    "pipeline.partials",
    "pipeline.plan",
    "pipeline.run",
    "pipeline.reduce",
    "pipeline.batches",
    "pipeline.spec",
    "pipeline.flow",
    "pipeline.lookupwrite",
    "dask",
    "distributed",
    "duckdb",
)
"""Modules (and their submodules) no query-side import may load (the lookup index's writer
and DuckDB, its sorter, included: lookups read the index with pyarrow alone)."""


def loaded(statement: str) -> set[str]:
    """The modules a fresh interpreter loads to run ``statement`` (from -X importtime)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {m.group(1) for m in re.finditer(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", done.stderr, re.M)}


def write_side(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == w or m.startswith(w + ".") for w in WRITE_SIDE))


@pytest.mark.parametrize(
    "module",
    ["pipeline.query", "pipeline.bdm", "pipeline.measures", "pipeline.plot", "pipeline.serve.app", "pipeline.perturb"],
)
def test_the_query_side_loads_no_write_side(module):
    modules = loaded(f"import {module}")
    assert module in modules and "pipeline.tables" in modules
    assert write_side(modules) == [], f"import {module} loads the write side"


def test_a_2d_pattern_lookup_needs_no_compiled_kernel():
    """Pattern keys of matrices (a sampled 2-D table's lookups) turn them in plain Python."""
    modules = loaded("from pipeline.patterns import keys; assert keys(['01-10'], 2) == ['01-10']")
    assert "pipeline.grid" in modules
    assert write_side(modules) == []


def test_the_write_side_is_seen_when_loaded():
    """The check above can fail: the driver loads the kernel, the compiled kernel and Dask."""
    found = write_side(loaded("import pipeline.run"))
    for module in ("pipeline.kernel", "tmsim_ext", "distributed", "pipeline.flow", "pipeline.spec"):
        assert module in found


def test_specs_and_plans_load_no_compiled_kernel():
    """Job specs and shard plans take the kernel's limits from pipeline.settings."""
    modules = loaded("import pipeline.plan")
    assert "pipeline.settings" in modules and "pipeline.spec" in modules
    assert not [m for m in modules if m.startswith("tmsim_ext") or m == "pipeline.kernel"]


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` on the project (or a copy of it) in ``cwd``, without its cache."""
    script = Path(sys.executable).with_name("lint-imports")
    command = [str(script)] if script.exists() else [shutil.which("lint-imports") or "lint-imports"]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)}
    return subprocess.run([*command, "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120, env=env)


def test_the_import_contracts_are_kept():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "Contracts: 5 kept, 0 broken." in done.stdout


@pytest.mark.parametrize(
    "module, line, broken",
    [
        # the query side reaching for the compiled kernel, even inside a function
        (
            "patterns.py",
            "def _turn():\n    from tmsim_ext import count_grid_blocks\n",
            ("query side", "Only the kernel's Python face"),
        ),
        # the reducers are independent of each other (the estimator once imported the reducer back)
        ("reduce.py", "from pipeline.estimate import reduce_sampled\n", ("points one way",)),
        # a cycle: the space reading the job spec that reads it
        ("space.py", "def _spec():\n    from pipeline.spec import JobSpec\n", ("points one way", "No import cycle")),
        # a spec reading the kernel's Python face again
        ("spec.py", "def _steps():\n    from pipeline.kernel import MAX_STEPS\n", ("points one way",)),
    ],
)
def test_the_contracts_break_on_a_wrong_import(tmp_path, module, line, broken):
    """A copy of the project with one wrong import breaks the contracts that name it."""
    for folder in ("pipeline", "tmsim_ext"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with open(tmp_path / "pipeline" / module, "a", encoding="utf-8") as out:
        out.write("\n\n" + line)
    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout[-3000:]
    text = " ".join(done.stdout.split())
    for name in broken:
        assert re.search(re.escape(name) + r"[^\n]*? BROKEN", text), f"{name!r} not broken:\n{done.stdout[-3000:]}"
