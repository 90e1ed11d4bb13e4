"""A real multi-process cluster on loopback: a worker killed in the middle of a (5,2) shard
costs nothing but time; the table's row checksum equals that of an undisturbed run.

Shards are top blocks of (5,2), S = 500, whose entries (0,1) and (0,0) are fixed: a few
seconds of kernel time each (less as the kernel gets faster).
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


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two one-thread worker processes (no nanny) on random loopback ports."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    file = tmp_path / "scheduler.json"
    procs = []

    def spawn(args):
        procs.append(subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        return procs[-1]

    try:
        spawn([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
               "--no-dashboard", "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(file)])
        deadline = time.monotonic() + 30
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        address = json.loads(file.read_text())["address"]
        workers = [
            spawn([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--no-nanny",
                   "--no-dashboard", "--host", "127.0.0.1", "--name", f"w{i}"])
            for i in range(2)
        ]
        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
            yield address, client, workers
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def ctm(*args: str) -> list[str]:
    return [sys.executable, "-c", "from pipeline.cli import main; main()", *args]


@pytest.mark.slow
def test_killed_worker_changes_nothing_but_time(tmp_path, cluster):
    address, client, workers = cluster
    job = tmp_path / "d5x2.toml"
    job.write_text("# test: top blocks of (5,2)\nstates = 5\nsymbols = 2\nmax_steps = 500\nshard_depth = 2\nderive = false\n")
    spec, calm, hit = load_spec(job), tmp_path / "calm", tmp_path / "hit"
    runner = CliRunner()

    undisturbed = runner.invoke(main, ["submit", str(job), "--shards", "100:104", "--scheduler", address, "--data-dir", str(calm), "--no-progress"])
    assert undisturbed.exit_code == 0, undisturbed.output
    assert "computed 4," in undisturbed.stdout

    first = subprocess.Popen(
        ctm("submit", str(job), "--shards", RANGES[0], "--scheduler", address, "--data-dir", str(hit), "--no-progress"),
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
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

    second = runner.invoke(main, ["submit", str(job), "--shards", RANGES[1], "--scheduler", address, "--data-dir", str(hit), "--no-progress"])
    assert second.exit_code == 0 and "computed 2," in second.stdout, second.output

    for root in (calm, hit):
        result = runner.invoke(main, ["reduce", str(job), "--allow-partial", "--data-dir", str(root), "--no-progress"])
        assert result.exit_code == 0, result.output
    a, b = load_manifest(calm, "d5x2-s500"), load_manifest(hit, "d5x2-s500")
    assert a["row_checksum"] == b["row_checksum"]
    assert a["covered_ranges"] == b["covered_ranges"] == [[str(100 * 22**8), str(104 * 22**8)]]
    assert (a["halting"], a["halting_times"]) == (b["halting"], b["halting_times"])
