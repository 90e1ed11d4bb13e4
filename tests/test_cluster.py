"""A real multi-process cluster on loopback: a worker killed in the middle of a (5,2) shard
costs nothing but time; the table's row checksum equals that of an undisturbed run. A
scheduler killed in the middle of a submission ends it with one line, and the same
submission, once a scheduler is back, counts only the shards still missing.

Shards are top blocks of (5,2), S = 100, whose entries (0,1) and (0,0) are fixed: 0.5 to
1.5 s of kernel time each on a quiet core (S = 500 costs three times as much and tests
nothing more here: what is checked is the cluster's faults, not the counts).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from distributed import Client

from pipeline.cli import main
from pipeline.partials import partial_name, partials_dir
from pipeline.spec import load_spec
from pipeline.tables import load_manifest

REPO = Path(__file__).resolve().parent.parent
RANGES = ("100:102", "102:104")
JOB = "# test: top blocks of (5,2)\nstates = 5\nsymbols = 2\nmax_steps = 100\nshard_depth = 2\nderive = false\n"
TABLE = "d5x2-s100"


class Processes:
    """Dask schedulers and workers started as processes of this test; all killed at the end."""

    def __init__(self, folder: Path) -> None:
        self.env = dict(os.environ, PYTHONPATH=str(REPO))
        self.env.pop("DASK_SCHEDULER_ADDRESS", None)
        self.folder, self.procs = folder, []

    def spawn(self, args: list[str]) -> subprocess.Popen:
        self.procs.append(
            subprocess.Popen(args, cwd=REPO, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
        return self.procs[-1]

    def scheduler(self, port: int = 0) -> tuple[str, subprocess.Popen]:
        """A scheduler on loopback (port 0: any free one) and its address, once it listens."""
        file = self.folder / f"scheduler-{len(self.procs)}.json"
        proc = self.spawn(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
                "--dashboard-address",
                "127.0.0.1:0",
                "--scheduler-file",
                str(file),
            ]
        )
        deadline = time.monotonic() + 30
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return json.loads(file.read_text())["address"], proc

    def workers(self, address: str, n: int = 2) -> list[subprocess.Popen]:
        """``n`` one-thread workers (no nanny) named w0, w1, ..."""
        return [
            self.spawn(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_worker",
                    address,
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                    "--name",
                    f"w{i}",
                ]
            )
            for i in range(n)
        ]

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


@pytest.fixture
def processes(tmp_path):
    found = Processes(tmp_path)
    try:
        yield found
    finally:
        found.stop()


@pytest.fixture
def cluster(processes):
    """A scheduler and two one-thread worker processes (no nanny) on random loopback ports."""
    address, _ = processes.scheduler()
    workers = processes.workers(address)
    with Client(address, timeout=30) as client:
        client.wait_for_workers(2, timeout=60)
        yield address, client, workers


def ctm(*args: str) -> list[str]:
    return [sys.executable, "-c", "from pipeline.cli import main; main()", *args]


@pytest.mark.slow
@pytest.mark.timeout(300)  # worker processes and two or three rounds of shards: 50 s on a busy machine
def test_killed_worker_changes_nothing_but_time(tmp_path, cluster):
    address, client, workers = cluster
    job = tmp_path / "d5x2.toml"
    job.write_text(JOB)
    spec, calm, hit = load_spec(job), tmp_path / "calm", tmp_path / "hit"
    runner = CliRunner()

    undisturbed = runner.invoke(
        main,
        ["submit", str(job), "--shards", "100:104", "--scheduler", address, "--data-dir", str(calm), "--no-progress"],
    )
    assert undisturbed.exit_code == 0, undisturbed.output
    assert "computed 4," in undisturbed.stdout

    first = subprocess.Popen(
        ctm("submit", str(job), "--shards", RANGES[0], "--scheduler", address, "--data-dir", str(hit), "--no-progress"),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        victim, shard_key = None, None
        deadline = time.monotonic() + 60
        while victim is None and time.monotonic() < deadline:
            for worker, keys in client.processing().items():
                if keys:
                    victim, shard_key = worker, keys[0]
                    break
            time.sleep(0.05)
        assert victim is not None, "the scheduler never showed a shard processing"
        name = client.scheduler_info()["workers"][victim]["name"]
        # keys end in the task's shards: ...-000006+000028
        shards = [int(s) for s in shard_key.rsplit("-", 1)[1].split("+")]
        assert shards and all(100 <= s < 102 for s in shards), shard_key
        for shard in shards:
            assert not (partials_dir(hit, spec.job_id) / partial_name(shard)).exists(), "killed mid-shard"
        workers[int(name[1:])].send_signal(signal.SIGKILL)
        out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err
    assert "computed 2, skipped 0, derived 0, failed 0" in out
    assert len(client.scheduler_info()["workers"]) == 1

    second = runner.invoke(
        main,
        ["submit", str(job), "--shards", RANGES[1], "--scheduler", address, "--data-dir", str(hit), "--no-progress"],
    )
    assert second.exit_code == 0 and "computed 2," in second.stdout, second.output

    for root in (calm, hit):
        result = runner.invoke(main, ["reduce", str(job), "--allow-partial", "--data-dir", str(root), "--no-progress"])
        assert result.exit_code == 0, result.output
    a, b = load_manifest(calm, TABLE), load_manifest(hit, TABLE)
    assert a["row_checksum"] == b["row_checksum"]
    assert a["covered_ranges"] == b["covered_ranges"] == [[str(100 * 22**8), str(104 * 22**8)]]
    assert (a["halting"], a["halting_times"]) == (b["halting"], b["halting_times"])


@pytest.mark.slow
@pytest.mark.timeout(300)  # worker processes and two or three rounds of shards: 50 s on a busy machine
def test_lost_scheduler_is_one_line_and_the_resubmission_counts_only_the_rest(tmp_path, processes):
    job = tmp_path / "d5x2.toml"
    job.write_text(JOB)
    spec, root = load_spec(job), tmp_path / "data"
    written = partials_dir(root, spec.job_id)
    address, scheduler = processes.scheduler()
    port = int(address.rsplit(":", 1)[1])
    workers = processes.workers(address)
    submit = ctm(
        "submit", str(job), "--shards", "100:104", "--scheduler", address, "--data-dir", str(root), "--no-progress"
    )

    first = subprocess.Popen(submit, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (written.is_dir() and any(written.glob("*.parquet"))) and time.monotonic() < deadline:
            time.sleep(0.05)
        scheduler.send_signal(signal.SIGKILL)
        out, err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    done = len(list(written.glob("*.parquet")))
    assert 1 <= done < 4, f"the scheduler should die between the first and the last shard, {done} written"
    assert first.returncode == 2, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: lost the Dask scheduler at {address}; "), lines[0]
    assert "once it is back" in lines[0] and "run the same command again" in lines[0]

    for worker in workers:
        worker.kill()
    again, _ = processes.scheduler(port)
    assert again == address
    processes.workers(again)
    second = subprocess.run(submit, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert second.returncode == 0, second.stdout + second.stderr
    counted = len(list(written.glob("*.parquet")))
    assert f"computed {4 - done}, skipped {done}, derived 0, failed 0" in second.stdout, second.stdout
    assert counted == 4
