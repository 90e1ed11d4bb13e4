"""Job specs: the shipped job files, the job id, and validation that names the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.spec import JobSpec, SpecError, load_spec

JOBS = Path(__file__).resolve().parent.parent / "jobs"
SHIPPED = {
    "d2x2": (2, 2, 6),
    "d3x2": (3, 2, 21),
    "d4x2": (4, 2, 107),
    "d5x2": (5, 2, 500),
    "d2x3": (2, 3, 38),
    "d3x3": (3, 3, 500),
    "d2x4": (2, 4, 500),
}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_job_files(name):
    text = (JOBS / f"{name}.toml").read_text()
    assert text.startswith("# "), "each job file says why its S in a first comment line"
    spec = load_spec(JOBS / f"{name}.toml")
    assert (spec.states, spec.symbols, spec.max_steps) == SHIPPED[name]
    assert spec.table == f"{name}-s{spec.max_steps}"
    assert spec.derive is True


def test_job_id_follows_the_counts_not_the_file(tmp_path):
    text = (JOBS / "d4x2.toml").read_text()
    (tmp_path / "elsewhere.toml").write_text("# same job, other name\n" + text)
    a, b = load_spec(JOBS / "d4x2.toml"), load_spec(tmp_path / "elsewhere.toml")
    assert a.job_id == b.job_id and len(a.job_id) == 16
    ids = {
        JobSpec(4, 2, 107, 2).job_id,
        JobSpec(4, 2, 108, 2).job_id,
        JobSpec(4, 2, 107, 3).job_id,
        JobSpec(4, 2, 107, 2, derive=False).job_id,
        JobSpec(2, 4, 107, 2).job_id,
    }
    assert len(ids) == 5
    # how a walk is cut into tasks changes no count, so not the job either
    assert JobSpec(4, 2, 107, 2, parts=8).job_id == JobSpec(4, 2, 107, 2).job_id
    with pytest.raises(SpecError, match="parts should be at least 1, got 0"):
        JobSpec(4, 2, 107, 2, parts=0)


@pytest.mark.parametrize(
    "text, message",
    [
        ("states = 3\nsymbols = 2\nmax_steps = 21\n", "shard_depth is missing"),
        ("states = 3\nsymbols = 2\nmax_steps = 21\nshard_depth = 2\nshards = 4\n", "unknown field 'shards'"),
        ("states = 0\nsymbols = 2\nmax_steps = 21\nshard_depth = 1\n", "states should be at least 1, got 0"),
        ("states = 3\nsymbols = 11\nmax_steps = 21\nshard_depth = 1\n", "symbols should be between 2 and 10"),
        ("states = 3\nsymbols = 2\nmax_steps = 0\nshard_depth = 1\n", "max_steps should be a positive integer"),
        ("states = 3\nsymbols = 2\nmax_steps = 21\nshard_depth = 7\n", "shard_depth should be between 0 and n*m = 6"),
        ("states = 3\nsymbols = 2\nmax_steps = 21\nshard_depth = 1.5\n", "shard_depth should be an integer"),
        ("states = true\nsymbols = 2\nmax_steps = 21\nshard_depth = 1\n", "states should be an integer"),
        ("states = 3\nsymbols = 2\nmax_steps = 21\nshard_depth = 1\nderive = 1\n", "derive should be true or false"),
        ("states = 5\nsymbols = 2\nmax_steps = 500\nshard_depth = 6\n", "makes 113379904 shards"),
        ("states = 9\nsymbols = 9\nmax_steps = 50\nshard_depth = 3\n", "more than a table's 10**38"),
    ],
)
def test_invalid_fields_are_named(tmp_path, text, message):
    path = tmp_path / "job.toml"
    path.write_text(text)
    with pytest.raises(SpecError, match=message.replace("*", r"\*").replace("(", r"\(")) as info:
        load_spec(path)
    assert str(path) in str(info.value)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(SpecError, match="not found"):
        load_spec(tmp_path / "nope.toml")
    (tmp_path / "bad.toml").write_text("states = [3\n")
    with pytest.raises(SpecError, match="is not valid TOML"):
        load_spec(tmp_path / "bad.toml")
