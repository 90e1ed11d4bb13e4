"""The job commands' faces: bad input gives one line and a non-zero exit, touching nothing;
``status`` and ``tables`` report what is there; help names the environment fallbacks."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.plan import ShardPlan
from pipeline.spec import load_spec

JOBS = Path(__file__).resolve().parent.parent / "jobs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def bad_jobs(tmp_path):
    (tmp_path / "malformed.toml").write_text("states = 3\nsymbols = = 2\n")
    (tmp_path / "impossible.toml").write_text("states = 3\nsymbols = 12\nmax_steps = 21\nshard_depth = 1\n")
    return tmp_path


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "{tmp}/nope.toml"], "job file .*nope.toml not found"),
        (["submit", "{tmp}/malformed.toml"], "malformed.toml is not valid TOML"),
        (["run", "{tmp}/impossible.toml"], "impossible.toml: symbols should be between 2 and 10, got 12"),
        (["status", "{tmp}/nope.toml"], "not found"),
        (["reduce", "{tmp}/malformed.toml"], "not valid TOML"),
        (
            ["submit", str(JOBS / "d3x2.toml"), "--shards", "190:200"],
            r"shard range '190:200' is outside the plan of d3x2-s21.*0:196",
        ),
        (["submit", str(JOBS / "d3x2.toml"), "--shards", "ten"], "should look like 100:200"),
        (["submit", str(JOBS / "d3x2.toml"), "--shards", "5:2"], "shard range '5:2' is reversed; A:B needs A < B"),
        (["submit", str(JOBS / "d3x2.toml"), "--shards", "5:5"], "shard range '5:5' is empty"),
        (
            ["submit", str(JOBS / "d3x2.toml"), "--scheduler", "tcp://127.0.0.1:{port}", "--connect-timeout", "1"],
            "no Dask scheduler answered at",
        ),
        (["reduce", str(JOBS / "d3x2.toml")], "196 counted shards|have no partial"),
        (["reduce", str(JOBS / "d3x2.toml"), "--memory", "lots"], "memory 'lots' should be a size such as 2GB"),
        (["run", str(JOBS / "d3x2.toml"), "--reduce-memory", "64MB"], "memory '64MB' is below the smallest budget"),
    ],
)
def test_bad_input_is_one_line_and_touches_nothing(bad_jobs, args, message):
    root = bad_jobs / "data"
    args = [a.format(tmp=bad_jobs, port=free_port()) for a in args]
    result = CliRunner().invoke(main, [*args, "--data-dir", str(root)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert re.search(message, lines[0]), lines[0]
    assert not root.exists(), "no partial or table is written"


def test_unknown_option_is_a_usage_error():
    result = CliRunner().invoke(main, ["run", str(JOBS / "d2x2.toml"), "--worker", "3"])
    assert result.exit_code == 2 and "No such option" in result.stderr


def test_scheduler_comes_from_the_environment(tmp_path):
    env = {"DASK_SCHEDULER_ADDRESS": f"tcp://127.0.0.1:{free_port()}"}
    result = CliRunner(env=env).invoke(main, ["submit", str(JOBS / "d2x2.toml"), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 2 and env["DASK_SCHEDULER_ADDRESS"] in result.stderr


def test_status_of_a_fresh_job(tmp_path):
    plan = ShardPlan(load_spec(JOBS / "d4x2.toml"))
    result = CliRunner().invoke(main, ["status", str(JOBS / "d4x2.toml"), "--data-dir", str(tmp_path)])
    assert result.exit_code == 0
    counts = dict((k, int(v)) for k, v in re.findall(r"(done|derived|missing|invalid) (\d+)", result.stdout))
    assert counts == {
        "done": 0,
        "derived": plan.shards - len(plan.computed()),
        "missing": len(plan.computed()),
        "invalid": 0,
    }
    assert not any(tmp_path.iterdir())


def test_tables_lists_versions_with_coverage_and_provenance(tmp_path):
    job = str(JOBS / "d2x2.toml")
    runner = CliRunner(env={"CTM_DATA_DIR": str(tmp_path)})
    assert runner.invoke(main, ["run", job, "--no-progress"]).exit_code == 0
    assert runner.invoke(main, ["submit", job, "--shards", "0:10", "--no-progress"]).exit_code == 0
    same = runner.invoke(main, ["reduce", job, "--no-progress"])
    assert same.exit_code == 0
    assert same.stdout.startswith(
        "table d2x2-s6 v1 already holds this table (same rows, coverage and totals); nothing published"
    )
    assert runner.invoke(main, ["reduce", job, "--no-progress", "--force"]).exit_code == 0
    out = runner.invoke(main, ["tables"]).stdout
    spec = load_spec(job)
    mine = [line for line in out.splitlines() if str(tmp_path) in line]
    assert [line.split()[:4] for line in mine] == [
        ["d2x2-s6", "v1", str(tmp_path), "full"],
        ["d2x2-s6", "v2", str(tmp_path), "full"],
    ]
    assert [line.split()[:3] for line in out.splitlines() if "shipped" in line][0] == ["d2x2-s6", "v1", "shipped"]
    assert all(f"job {spec.job_id}" in line for line in mine)


@pytest.mark.parametrize("command", ["run", "submit", "status", "reduce", "tables"])
def test_help_names_the_environment_fallbacks(command):
    out = CliRunner().invoke(main, [command, "--help"]).stdout
    assert "CTM_DATA_DIR" in out and "Example" in out
    if command in ("run", "submit"):
        assert "DASK_SCHEDULER_ADDRESS" in out


def test_submit_gives_up_on_a_cluster_without_workers(tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        args = ["submit", str(JOBS / "d2x2.toml"), "--scheduler", address, "--timeout", "1", "--no-progress"]
        result = CliRunner().invoke(main, [*args, "--data-dir", str(tmp_path)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: no Dask worker joined the scheduler at {address} within 1 s; 0 of "), lines[0]
    assert "start workers" in lines[0] and "run the same command again" in lines[0]
