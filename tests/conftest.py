"""Shared fixtures: the reference simulator's printouts, and a comparison of two counts;
and the time budget of the docker tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dockertools import readme_image  # noqa: F401  (the Docker tests' one image build per session)

DATA = Path(__file__).parent / "data"
DOCKER_TIMEOUT = 1200
"""Seconds a docker test may take unless it says otherwise (pyproject's timeout, 120 s, is
for the rest): a cold first run builds the base image and the wheelhouse."""


def pytest_collection_modifyitems(items):
    """Docker tests without a timeout mark of their own get DOCKER_TIMEOUT."""
    for item in items:
        if item.get_closest_marker("docker") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(DOCKER_TIMEOUT))


@pytest.fixture(scope="session")
def reference_records() -> list[dict]:
    """Records of reference-simulator-ranges.json (tests/data/REFERENCE.md gives their source)."""
    return json.loads((DATA / "reference-simulator-ranges.json").read_text())


def assert_same_counts(got, want, label: str) -> None:
    """Outputs, halting, non-halting and halting times of ``got`` equal ``want``'s."""
    assert got.halting == want.halting, f"{label}: halting {got.halting} != {want.halting}"
    assert got.nonhalting == want.nonhalting, f"{label}: nonhalting {got.nonhalting} != {want.nonhalting}"
    diff = {
        s: (got.outputs.get(s), want.outputs.get(s))
        for s in got.outputs.keys() | want.outputs.keys()
        if got.outputs.get(s) != want.outputs.get(s)
    }
    assert not diff, f"{label}: outputs differ (string: got, want): {dict(sorted(diff.items())[:5])}"
    assert got.halting_times == want.halting_times, f"{label}: halting times differ"


@pytest.fixture(scope="session")
def same_counts():
    """``same_counts(got, want, label)`` asserts two counts (kernel, brute) are identical."""
    return assert_same_counts


@pytest.fixture(scope="session")
def ternary_root(tmp_path_factory):
    """A data root holding the exact (2,3) S=38 table (jobs/d2x3.toml; no cutoff), counted
    and reduced here in about a second: a real multi-symbol table for query and BDM tests."""
    from pipeline.flow import reduce_job
    from pipeline.plan import ShardPlan
    from pipeline.spec import load_spec
    from pipeline.tasks import count_here

    root = tmp_path_factory.mktemp("ternary")
    spec = load_spec(Path(__file__).resolve().parent.parent / "jobs" / "d2x3.toml")
    plan = ShardPlan(spec)
    count_here(plan, root, plan.computed())
    reduce_job(spec, root, progress=False)
    return root


@pytest.fixture(scope="session")
def upto_root(tmp_path_factory):
    """A data root holding (3,2) S = 10 with exact_upto = 6, made by ``ctm run``: its
    exact reading d3x2-s10-upto6 and its plain table d3x2-s10 (the job file is
    ``upto_root.parent / "upto.toml"``). Tests read it; none writes into it."""
    from click.testing import CliRunner

    from pipeline.cli import main

    folder = tmp_path_factory.mktemp("upto")
    job = folder / "upto.toml"
    job.write_text("states = 3\nsymbols = 2\nmax_steps = 10\nshard_depth = 2\nexact_upto = 6\n")
    done = CliRunner().invoke(main, ["run", str(job), "--data-dir", str(folder / "data"), "--no-progress"])
    assert done.exit_code == 0, done.output
    return folder / "data"
