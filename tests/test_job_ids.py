"""Every job file keeps its job id: partials live under the id, so a settings refactor
that changed one would silently orphan every partial written for that job."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.spec import load_spec

JOBS = Path(__file__).resolve().parent.parent / "jobs"

JOB_IDS = {
    "d2x2.toml": "4b0e37768eb347e5",
    "d2x3.toml": "110ae5ccaee258b0",
    "d2x4-bb.toml": "de0f3dca77054280",
    "d2x4.toml": "8e50d157bf6c7611",
    "d3x2.toml": "1b88418f227aab28",
    "d3x3.toml": "1199fcdd8503afb1",
    "d4x2-2d.toml": "5b6bc72181e0bafd",
    "d4x2.toml": "70116c81447e9cbe",
    "d4x4.toml": "6887f7679fe43fcb",
    "d4x5.toml": "5e48221fa010c25b",
    "d4x6.toml": "d6a94db185a3d83b",
    "d4x9.toml": "b970b5df80668691",
    "d5x2-2d-sampled.toml": "87590133c815259f",
    "d5x2-2d.toml": "10b3e82aaa2ecba0",
    "d5x2-bb.toml": "99c0ac56f462104a",
    "d5x2.toml": "08c0d23ee0afac77",
    "d6x2.toml": "e29f46c874057ccc",
}
"""Job file -> the id its partials and tables were written under."""


def test_every_job_file_has_a_pinned_id():
    assert sorted(path.name for path in JOBS.glob("*.toml")) == sorted(JOB_IDS), (
        "a job file was added or removed: pin its id in JOB_IDS (or drop the row)"
    )


@pytest.mark.parametrize("name", sorted(JOB_IDS))
def test_the_job_id_stays(name):
    got = load_spec(JOBS / name).job_id
    assert got == JOB_IDS[name], f"jobs/{name}: job id {got}, pinned {JOB_IDS[name]}; its partials would be orphaned"


def test_cps_settings_enter_the_id_of_an_exact_reading_only():
    """With exact_upto, the CPS windows decide which wide classes are proven (H_high), so
    a bracket must be reproducible from its id; elsewhere they change no count."""
    from pipeline.spec import JobSpec

    plain = JobSpec(states=3, symbols=2, max_steps=10, shard_depth=2)
    upto = JobSpec(states=3, symbols=2, max_steps=10, shard_depth=2, exact_upto=6)
    assert JobSpec(**{**plain.as_dict(), "cps_history": 0}).job_id == plain.job_id
    assert JobSpec(**{**upto.as_dict(), "cps_history": 0}).job_id != upto.job_id
    assert JobSpec(**{**upto.as_dict(), "cps_radius": 2}).job_id != upto.job_id
    assert JobSpec(**{**upto.as_dict(), "cps_history": upto.cps_history}).job_id == upto.job_id
