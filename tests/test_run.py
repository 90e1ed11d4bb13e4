"""``ctm run``/``submit``/``status`` on in-process Dask clusters: exact tables, derivation on and
off, resume after an interruption, and damaged partials recomputed."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.flow import reduce_job
from pipeline.kernel import count_range, kernel_version
from pipeline.partials import open_shard, part_name, partial_name, partials_dir
from pipeline.payload import Rejected, store
from pipeline.plan import ShardPlan
from pipeline.reduce import blank_symbol_sum
from pipeline.run import write_counted
from pipeline.spec import JobSpec, load_spec
from pipeline.tables import load_manifest, load_table
from pipeline.tasks import checker, count_task, shard_task

REPO = Path(__file__).resolve().parent.parent


def write_job(folder: Path, name: str, n: int, m: int, S: int, depth: int, derive: bool = True, parts: int = 1) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(
        f"# test job\nstates = {n}\nsymbols = {m}\nmax_steps = {S}\nshard_depth = {depth}\n"
        f"derive = {str(derive).lower()}\nparts = {parts}\n"
    )
    return path


def ctm(*args: str):
    result = CliRunner().invoke(main, [*args, "--no-progress"] if args[0] != "status" else list(args))
    return result


def ok(*args: str) -> str:
    result = ctm(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def reported(out: str, what: str) -> int:
    return int(re.search(rf"\b{what} (\d+)", out).group(1))


def table_of(root: Path, name: str) -> dict[str, int]:
    table = load_table(root, name)
    return dict(zip(table["string"].to_pylist(), table["count"].to_pylist()))


@pytest.mark.parametrize("n, S", [(3, 21), (4, 107)])
def test_run_equals_direct_count_with_derivation_on_and_off(tmp_path, n, S):
    direct = count_range(JobSpec(n, 2, S, 0).space, 0, (4 * n + 2) ** (2 * n))
    if n == 3:
        assert direct.halting == 2_147_184, "docs/ctm.md: counted independently by brute force"
    want = blank_symbol_sum(direct.outputs, 2)
    checksums = set()
    jobs = [("on", 2, True, 1), ("off", 1, False, 1), ("parts", 2, True, 8)]
    jobs += [("deep", 3, True, 1), ("deep-parts", 3, True, 5)] if n == 3 else []
    for label, depth, derive, parts in jobs:
        root = tmp_path / label
        out = ok("run", str(write_job(tmp_path, label, n, 2, S, depth, derive, parts)), "--data-dir", str(root))
        plan = ShardPlan(JobSpec(n, 2, S, depth, derive))
        assert reported(out, "computed") == len(plan.computed())
        assert reported(out, "derived") == plan.shards - len(plan.computed())
        assert (reported(out, "derived") > 0) == derive
        name = f"d{n}x2-s{S}"
        assert table_of(root, name) == want, f"{label}: table differs from the direct count"
        files = [p.name for p in partials_dir(root, plan.spec.job_id).iterdir()]
        assert any(re.fullmatch(r"\d{6}\.p\d{4}of\d{4}\.parquet", f) for f in files) == (parts > 1), label
        m = load_manifest(root, name)
        assert (m["halting"], m["machines"], m["coverage"]) == (direct.halting, direct.space.size, "full")
        assert sum(m["nonhalting"].values()) == direct.nonhalting
        assert {int(k): v for k, v in m["halting_times"].items()} == direct.halting_times
        checksums.add(m["row_checksum"])
    assert len(checksums) == 1


def test_interrupted_run_resumes_with_only_the_missing_shards(tmp_path):
    job = write_job(tmp_path, "d4x2", 4, 2, 107, 2)
    plan, root = ShardPlan(load_spec(job)), tmp_path / "data"
    folder = partials_dir(root, plan.spec.job_id)
    command = [
        sys.executable,
        "-c",
        "from pipeline.cli import main; main()",
        "run",
        str(job),
        "--data-dir",
        str(root),
        "--workers",
        "1",
        "--no-progress",
    ]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(list(folder.glob("*.parquet"))) < 5 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done = len(list(folder.glob("*.parquet")))
    assert 5 <= done < len(plan.computed()), "the run was stopped part way"
    assert not (root / "tables").exists()
    status = ok("status", str(job), "--data-dir", str(root))
    assert reported(status, "done") == done and reported(status, "missing") == len(plan.computed()) - done
    out = ok("run", str(job), "--data-dir", str(root))
    assert reported(out, "computed") == len(plan.computed()) - done
    assert reported(out, "skipped") == done
    manifest = load_manifest(root, "d4x2-s107")
    assert (manifest["coverage"], manifest["machines"]) == ("full", plan.space.size)
    again = ok("submit", str(job), "--data-dir", str(root))
    assert (reported(again, "computed"), reported(again, "skipped")) == (0, len(plan.computed()))


def test_part_of_a_job_then_the_rest(tmp_path):
    job = write_job(tmp_path, "d3x2", 3, 2, 21, 2)
    plan, root = ShardPlan(load_spec(job)), tmp_path / "data"
    first = ok("submit", str(job), "--shards", "0:100", "--data-dir", str(root))
    assert reported(first, "computed") == len(plan.computed(range(0, 100)))
    assert reported(first, "derived") == 100 - len(plan.computed(range(0, 100)))
    rest = ok("run", str(job), "--data-dir", str(root))
    assert reported(rest, "computed") == len(plan.computed()) - len(plan.computed(range(0, 100)))


def test_damaged_partials_are_named_and_recomputed(tmp_path):
    job = write_job(tmp_path, "d3x2", 3, 2, 21, 2)
    plan, root = ShardPlan(load_spec(job)), tmp_path / "data"
    ok("run", str(job), "--data-dir", str(root))
    before = load_manifest(root, "d3x2-s21")["row_checksum"]
    folder = partials_dir(root, plan.spec.job_id)
    truncated, corrupt = (folder / partial_name(s) for s in plan.computed()[10:12])
    truncated.write_bytes(truncated.read_bytes()[:-30])
    raw = bytearray(corrupt.read_bytes())
    raw[len(raw) // 3 : len(raw) // 3 + 8] = b"\xff" * 8
    corrupt.write_bytes(bytes(raw))
    status = ok("status", str(job), "--data-dir", str(root))
    assert reported(status, "invalid") == 2
    assert f"invalid partial {truncated.name}" in status and f"invalid partial {corrupt.name}" in status
    refused = ctm("reduce", str(job), "--data-dir", str(root))
    assert refused.exit_code == 2 and "invalid" in refused.stderr
    out = ok("submit", str(job), "--data-dir", str(root))
    assert f"invalid partial {truncated.name}" in out and f"invalid partial {corrupt.name}" in out
    assert reported(out, "computed") == 2
    assert reported(ok("status", str(job), "--data-dir", str(root)), "invalid") == 0
    again = ok("reduce", str(job), "--data-dir", str(root))
    assert again.startswith("table d3x2-s21 v1 already holds this table")  # recomputed: the same table
    assert load_manifest(root, "d3x2-s21")["row_checksum"] == before


def test_failed_shards_are_reported_together(tmp_path):
    job = write_job(tmp_path, "d2x2", 2, 2, 6, 1)
    root = tmp_path / "data"
    blocker = partials_dir(root, load_spec(job).job_id)
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder")
    result = ctm("submit", str(job), "--data-dir", str(root))
    assert result.exit_code == 2
    computed = ShardPlan(load_spec(job)).computed()
    lines = result.stderr.strip().splitlines()
    # one line per cause, naming its shards (here one cause: a file where the folder goes)
    assert len(lines) == 2 and lines[0].startswith(
        f"failed {len(computed)} shards ({', '.join(map(str, computed))}): "
    ), lines
    assert "FileExistsError" in lines[0] or "NotADirectoryError" in lines[0], lines[0]
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
    assert "shards failed" in result.stderr.strip().splitlines()[-1]


@pytest.fixture
def no_workers():
    """A real scheduler with no worker yet, and a client of it."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster, Client(cluster) as client:
        yield cluster, client


def test_a_cluster_without_workers_is_reported_then_given_up(tmp_path, no_workers, capsys):
    from pipeline.errors import CTMError
    from pipeline.run import run_with_client

    cluster, client = no_workers
    job = load_spec(write_job(tmp_path, "d2x2", 2, 2, 6, 1))
    began = time.monotonic()
    with pytest.raises(CTMError) as caught:
        run_with_client(job, client, tmp_path / "data", progress=False, timeout=3, grace=1)
    assert 3 <= time.monotonic() - began < 10
    message = str(caught.value)
    assert message.startswith(f"no Dask worker joined the scheduler at {cluster.scheduler_address} within 3 s; 0 of ")
    assert "start workers (`docker compose up -d`" in message and "run the same command again" in message
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and said[0].startswith(f"no Dask worker at {cluster.scheduler_address} for 1 s"), said
    assert "still waiting" in said[0]


def test_a_run_waits_for_workers_that_come_late(tmp_path, no_workers, capsys):
    import threading

    from pipeline.run import run_with_client

    cluster, client = no_workers
    job = load_spec(write_job(tmp_path, "d2x2", 2, 2, 6, 1))
    late = threading.Timer(2.5, lambda: cluster.scale(1))
    late.start()
    try:
        report = run_with_client(job, client, tmp_path / "data", progress=False, grace=1)
    finally:
        late.cancel()
    assert report.computed and not report.failed
    assert "still waiting" in capsys.readouterr().err
    assert ok("status", str(tmp_path / "d2x2.toml"), "--data-dir", str(tmp_path / "data")).count("missing 0") == 1


def test_a_2d_job_in_parts_persists_each_part_and_gives_the_whole_count(tmp_path):
    job = tmp_path / "grid.toml"
    job.write_text("states = 3\nsymbols = 2\nmax_steps = 60\ndims = 2\nshard_depth = 1\nparts = 3\n")
    root = tmp_path / "data"
    out = ok("run", str(job), "--data-dir", str(root))
    plan = ShardPlan(load_spec(job))
    assert out.splitlines()[1].startswith(f"left: {3 * len(plan.computed())} parts ({3 * len(plan.computed())} of ")
    assert reported(out, "computed") == len(plan.computed())
    names = sorted(p.name for p in partials_dir(root, plan.spec.job_id).glob("*.parquet"))
    assert names == sorted(part_name(s, i, 3) for s in plan.computed() for i in range(3))
    whole = count_range(plan.space, 0, plan.space.size)
    assert table_of(root, "d3x2-2d-s60") == blank_symbol_sum(whole.outputs, 2)
    assert load_manifest(root, "d3x2-2d-s60")["halting"] == whole.halting


def _count_parts(plan: ShardPlan, root: Path, parts: set[int]) -> int:
    """Count and write parts ``parts`` of every group, as a run stopped part way would
    have; the files written."""
    written = 0
    for group in plan.groups(plan.computed()):
        for index in parts & set(range(len(plan.tasks(group)))):
            for bundle in count_task(shard_task(plan, group, index)).bundles:
                store(partials_dir(root, plan.spec.job_id), bundle, checker(plan, bundle.shard, index))
                written += 1
    return written


def test_a_rerun_counts_only_the_parts_left_and_reports_them(tmp_path):
    job = write_job(tmp_path, "parts", 3, 2, 21, 2, parts=4)
    plan, root = ShardPlan(load_spec(job)), tmp_path / "data"
    written = _count_parts(plan, root, {0, 2})
    cuts = {len(plan.tasks(g)) for g in plan.groups(plan.computed())}
    assert cuts == {4}, "every group is cut into 4 parts"
    files = 4 * len(plan.computed())
    assert written == files // 2
    status = ok("status", str(job), "--data-dir", str(root))
    assert "partly counted " + str(len(plan.computed())) in status
    assert f"parts: {written} of {files} partials valid" in status
    out = ok("run", str(job), "--data-dir", str(root))
    groups = len(plan.groups(plan.computed()))
    assert out.splitlines()[1].startswith(f"left: {2 * groups} parts ({files - written} of {files} partials, about ")
    assert f"parts: counted {2 * groups} of {2 * groups} ({written} of {files} partials reused)" in out
    assert reported(out, "computed") == len(plan.computed()) and reported(out, "skipped") == 0
    direct = count_range(plan.space, 0, plan.space.size)
    assert table_of(root, "d3x2-s21") == blank_symbol_sum(direct.outputs, 2)
    (report,) = (root / "runs" / plan.spec.job_id).glob("*.json")
    assert f"run report: {report}" in out
    saved = json.loads(report.read_text())
    assert (saved["table"], saved["counted"], saved["reused"], saved["partials"]) == (
        "d3x2-s21",
        2 * groups,
        written,
        files,
    )
    assert saved["computed"] == plan.computed() and saved["failed"] == {} and saved["stopped"] is None
    again = ok("submit", str(job), "--data-dir", str(root))
    assert again.splitlines()[1].startswith(f"left: 0 parts (0 of {files} partials, about 0 % of the expected work)")


def test_results_of_another_kernel_or_damaged_on_the_way_are_rejected_in_one_line(tmp_path):
    plan = ShardPlan(JobSpec(3, 2, 21, 2, parts=4))
    group = plan.groups(plan.computed())[0]
    counted = count_task(shard_task(plan, group, 1))
    name = part_name(group[0], 1, 4)
    foreign = dataclasses.replace(counted, kernel="0-old")
    with pytest.raises(Rejected) as caught:
        write_counted(plan, tmp_path, foreign, group, 1)
    assert str(caught.value) == (
        f"{name}: counted by kernel '0-old' on worker {counted.worker}, this client has kernel "
        f"'{kernel_version(plan.space)}'; install the same ctm-pipeline on the client and every worker"
    )
    main = counted.bundles[0].main
    damaged = dataclasses.replace(main, data=main.data[:-1] + bytes([main.data[-1] ^ 1]))
    bad = dataclasses.replace(counted, bundles=(dataclasses.replace(counted.bundles[0], main=damaged),))
    with pytest.raises(Rejected, match=rf"^{name}: its bytes do not match the SHA-256"):
        write_counted(plan, tmp_path, bad, group, 1)
    assert not (tmp_path / "partials").exists() or not any(partials_dir(tmp_path, plan.spec.job_id).iterdir())


def test_workers_in_processes_that_cannot_see_the_data_root(tmp_path, monkeypatch):
    """Worker processes start in one folder; the driver then runs in another with a
    relative data root, so a worker that wrote would write where the driver never looks.
    Every partial comes back as bytes and names the worker that counted it."""
    from distributed import Client, LocalCluster

    from pipeline.run import run_with_client

    spec = JobSpec(3, 2, 21, 2, parts=2)
    workers_dir, driver_dir = tmp_path / "workers", tmp_path / "driver"
    workers_dir.mkdir()
    driver_dir.mkdir()
    monkeypatch.chdir(workers_dir)
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            local_directory=str(tmp_path / "scratch"),
        ) as cluster,
        Client(cluster) as client,
    ):
        addresses = set(cluster.scheduler_info["workers"])
        monkeypatch.chdir(driver_dir)
        report = run_with_client(spec, client, Path("data"), progress=False)
    assert not report.failed and report.computed == ShardPlan(spec).computed()
    assert list(workers_dir.iterdir()) == [], "no worker wrote into its own folder"
    plan = ShardPlan(spec)
    seen = set()
    for shard in plan.computed():
        for part in open_shard(plan, driver_dir / "data", shard):
            assert part.meta["worker"] in addresses
            seen.add(part.meta["worker"])
    assert seen == report.workers and seen <= addresses
    assert json.loads(report.report_path.read_text())["workers"] == sorted(seen)
    reduce_job(spec, driver_dir / "data", progress=False)
    direct = count_range(plan.space, 0, plan.space.size)
    assert table_of(driver_dir / "data", "d3x2-s21") == blank_symbol_sum(direct.outputs, 2)


def test_waiting_for_tasks_leaves_no_asyncio_task_behind(monkeypatch):
    """The driver waits for its tasks a second at a time; each wait must not leave a
    waiter per pending task in the client's event loop (the D(6) run grew by 5 GB an
    hour that way). One task stays pending for 1.5 s while the driver looks every 10 ms:
    the loop's tasks stay within a few of what they were before."""
    import asyncio
    import threading

    from dask.distributed import Client, LocalCluster

    from pipeline import run as run_module

    monkeypatch.setattr(run_module, "LOOK_EVERY", 0.01)

    async def tasks_in_loop() -> int:
        return len(asyncio.all_tasks())

    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        before = client.sync(tasks_in_loop)
        futures = [client.submit(time.sleep, 0, key=f"quick-{i}") for i in range(20)]
        futures.append(client.submit(time.sleep, 1.5, key="slow"))
        most, stop = [0], threading.Event()

        def watch() -> None:
            while not stop.is_set():
                most[0] = max(most[0], client.sync(tasks_in_loop))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            got = list(run_module._finished(client, futures))
        finally:
            stop.set()
            watcher.join()
        assert sorted(f.key for f in got) == sorted(f.key for f in futures)
        assert most[0] - before < 60, f"{most[0] - before} more asyncio tasks while waiting"
