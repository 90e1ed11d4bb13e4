"""Temporaries of dead writers (hidden .tmp- partials and table versions) are removed by
status, submit and reduce once older than STALE_AFTER; live ones and other files stay."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.bounded import TMP_DIR, Session
from pipeline.cli import main
from pipeline.partials import partials_dir
from pipeline.plan import ShardPlan
from pipeline.spec import load_spec
from pipeline.tasks import count_here
from pipeline.tidy import STALE_AFTER, stale

JOB = Path(__file__).resolve().parent.parent / "jobs" / "d2x2.toml"


def age(path: Path, seconds: float) -> None:
    when = time.time() - seconds
    for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(p, (when, when))


@pytest.fixture
def litter(tmp_path):
    """A data root with d2x2's partials, and temporaries: two stale, one live, two not ours."""
    spec = load_spec(JOB)
    plan = ShardPlan(spec)
    count_here(plan, tmp_path, plan.computed())
    parts, versions = partials_dir(tmp_path, spec.job_id), tmp_path / "tables" / spec.table
    versions.mkdir(parents=True)
    old_partial = parts / ".000003.parquet.tmp-deadbeef"
    old_partial.write_bytes(b"PAR1")
    old_version = versions / ".v1.tmp-0badf00d"
    old_version.mkdir()
    (old_version / "table.parquet").write_bytes(b"PAR1")
    live = parts / ".000004.parquet.tmp-cafe0123"
    live.write_bytes(b"PAR1")
    other = tmp_path / "partials" / "0123456789abcdef" / ".000003.parquet.tmp-deadbeef"
    other.parent.mkdir(parents=True)
    other.write_bytes(b"PAR1")
    hidden = parts / ".keep"
    hidden.write_bytes(b"")
    for path in (old_partial, old_version, other, hidden):
        age(path, STALE_AFTER + 60)
    age(live, STALE_AFTER - 60)
    return tmp_path, spec, {"stale": [old_partial, old_version], "kept": [live, other, hidden]}


def test_stale_finds_only_old_temporaries_of_the_job(litter):
    root, spec, paths = litter
    assert stale(root, spec) == paths["stale"]
    assert stale(root, spec, now=time.time() - 3 * STALE_AFTER) == []


@pytest.mark.parametrize(
    "args",
    [["status"], ["submit", "--workers", "1", "--threads", "--no-progress"], ["reduce", "--no-progress"]],
)
def test_commands_remove_stale_temporaries(litter, args):
    root, _, paths = litter
    result = CliRunner().invoke(main, [args[0], str(JOB), "--data-dir", str(root), *args[1:]])
    assert result.exit_code == 0, result.output
    assert (
        "removed 2 temporaries of dead writers (older than 60 min): .000003.parquet.tmp-deadbeef, .v1.tmp-0badf00d"
        in result.stdout
    )
    assert not any(p.exists() for p in paths["stale"])
    assert all(p.exists() for p in paths["kept"])
    again = CliRunner().invoke(main, [args[0], str(JOB), "--data-dir", str(root), *args[1:]])
    assert "removed" not in again.stdout


def test_a_dead_reduces_spill_folder_goes_and_a_live_ones_stays(tmp_path):
    spec = load_spec(JOB)
    dead = tmp_path / TMP_DIR / f".{spec.table}.tmp-deadbeef"
    (dead / "spill").mkdir(parents=True)
    (dead / "session.lock").write_bytes(b"")
    other = tmp_path / TMP_DIR / ".d3x2-s21.tmp-deadbeef"
    other.mkdir()
    with Session(tmp_path, spec.table, 256 * 2**20) as live:
        for path in (dead, other, live.folder):
            age(path, STALE_AFTER + 60)
        assert stale(tmp_path, spec) == [dead]
    assert stale(tmp_path, spec) == [dead]
