"""No-cutoff tables through the whole pipeline: jobs, manifests, late halts, and the
comparison with a cutoff table of the same space (pipeline.cutoff)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.cutoff import compare, variants
from pipeline.errors import CTMError
from pipeline.flow import reduce_job
from pipeline.plan import ShardPlan
from pipeline.reduce import LATE_FILE
from pipeline.spec import JobSpec, SpecError, load_spec
from pipeline.tables import load_manifest, load_table, table_path
from pipeline.tasks import count_here

REPO = Path(__file__).resolve().parent.parent


def _run(spec: JobSpec, root: Path) -> None:
    plan = ShardPlan(spec)
    count_here(plan, root, plan.computed())
    reduce_job(spec, root, progress=False)


@pytest.fixture(scope="module")
def three_state(tmp_path_factory):
    """(3,2) with no cutoff (long runs from step 6, late halts after 10) and cut at 10."""
    root = tmp_path_factory.mktemp("cutoff")
    full = JobSpec(3, 2, 21, 2, no_cutoff=True, long_from=6, witness_after=10)
    _run(full, root)
    _run(JobSpec(3, 2, 10, 2), root)
    _run(JobSpec(3, 2, 21, 2), root)
    return root


def test_a_no_cutoff_table_equals_the_busy_beaver_limit_table(three_state):
    full, plain = load_table(three_state, "d3x2-nocutoff"), load_table(three_state, "d3x2-s21")
    assert full.select(["string", "count"]).equals(plain.select(["string", "count"]))
    manifest = load_manifest(three_state, "d3x2-nocutoff")
    assert manifest["status"] == "exact"
    assert manifest["undecided"] == {"machines": 0, "classes": []}
    assert "Lin and Rado" in manifest["cutoff"]
    runs = manifest["long_runs"]
    assert runs["from"] == 6 and runs["classes"] > 0
    assert runs["by_cps"] + runs["by_closed"] + runs["by_cycle"] + runs["by_shift"] > 0
    assert manifest["classes_by_proof"]["cps"] == runs["by_cps"]


def test_late_halts_name_the_machines_halting_after_witness_after(three_state):
    late = pq.read_table(table_path(three_state, "d3x2-nocutoff") / LATE_FILE).to_pylist()
    assert len(late) == 328 and all(row["steps"] > 10 for row in late)
    # the 3-state busy beaver (S(3) = 21, Lin and Rado) and its twin that writes 0 as it
    # halts: the two classes of the walk that halt at step 21
    top = sorted((row["machine"], row["output"]) for row in late if row["steps"] == 21)
    assert top == [("1RB0H-_1LB0RC_1LC1LA", "10111"), ("1RB1H-_1LB0RC_1LC1LA", "11111")]
    assert max(row["steps"] for row in late) == 21


def test_comparison_with_a_cutoff_table(three_state):
    got = compare(three_state, "d3x2-nocutoff", "d3x2-s10")
    got.check()
    assert got.gained == got.late_machines > 0
    assert (got.both["count_full"] >= got.both["count_cut"]).all()
    # the strings only the full table has all come from machines halting after step 10
    assert len(got.new) > 0
    named = got.new.dropna(subset=["machine"])
    assert len(named) == len(got.new)
    assert (named["steps"] > 10).all()


def test_comparison_refuses_mismatched_tables(three_state):
    with pytest.raises(CTMError, match="not a no-cutoff table"):
        compare(three_state, "d3x2-s21", "d3x2-s10")


def test_variants_cover_reversal_and_blank_swaps():
    assert {v for v, _ in variants("0012", 3)} == {"0012", "2100", "1102", "2011", "2210", "0122"}


@pytest.mark.parametrize(
    "text, message",
    [
        ("states = 3\nsymbols = 3\nno_cutoff = true\nshard_depth = 1\n", "no_cutoff needs a proven busy-beaver"),
        ("states = 3\nsymbols = 2\nmax_steps = 500\nno_cutoff = true\nshard_depth = 1\n", "max_steps should be"),
        ("states = 5\nsymbols = 2\nno_cutoff = true\nshard_depth = 2\n", "set long_from"),
        ("states = 3\nsymbols = 2\nmax_steps = 21\nlong_from = 21\nshard_depth = 1\n", "long_from should be"),
        ("states = 3\nsymbols = 2\nmax_steps = 21\nwitness_after = 30\nshard_depth = 1\n", "witness_after should be"),
    ],
)
def test_bad_no_cutoff_jobs_name_the_rule(tmp_path, text, message):
    path = tmp_path / "job.toml"
    path.write_text(text)
    with pytest.raises(SpecError, match=message):
        load_spec(path)


def test_the_shipped_no_cutoff_jobs_load():
    for name, table, steps in (("d5x2-bb", "d5x2-nocutoff", 47_176_870), ("d2x4-bb", "d2x4-nocutoff", 3_932_964)):
        spec = load_spec(REPO / "jobs" / f"{name}.toml")
        assert (spec.table, spec.max_steps, spec.no_cutoff) == (table, steps, True)
        assert spec.long_from is not None and spec.witness_after == 500
