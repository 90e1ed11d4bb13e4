"""Faults of the machine around a run, each one line and exit 2 before any work: a port that
accepts but does not speak Dask, a full disk, a read-only data root, a blank shard range;
and reduces that run at once publish one version of a table.

The full and read-only data roots are real mounts (a 1 MiB tmpfs, a read-only bind mount):
they need root, and skip with one line without it (a read-only root falls back to chmod,
which binds any user but root).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from distributed import LocalCluster

from pipeline.partials import partials_dir
from pipeline.plan import ShardPlan
from pipeline.run import SCHEDULER_BACK
from pipeline.spec import load_spec
from pipeline.tables import versions

REPO = Path(__file__).resolve().parent.parent
JOB = REPO / "jobs" / "d3x2.toml"
CTM = [sys.executable, "-c", "from pipeline.cli import main; main()"]


def first_counted(n: int) -> str:
    """The shard range A:B of the (3,2) job that holds its first ``n`` counted shards."""
    computed = ShardPlan(load_spec(JOB)).computed()
    return f"{computed[0]}:{computed[n - 1] + 1}"


def ctm(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DASK_SCHEDULER_ADDRESS", "CTM_DATA_DIR")}
    return subprocess.run(
        [*CTM, *args, "--no-progress"], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )


def one_error(result: subprocess.CompletedProcess) -> str:
    """The single `error: ` line of a failed command (exit 2, no traceback)."""
    assert result.returncode == 2, f"exit {result.returncode}:\n{result.stdout}\n{result.stderr}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def mount(*args: str) -> None:
    result = subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        pytest.skip(f"cannot mount here (needs root): {result.stderr.strip()}")


@pytest.fixture
def full_root(tmp_path):
    """A data root on a 1 MiB tmpfs, filled to the last byte after ``fill()``."""
    if shutil.which("mount") is None:
        pytest.skip("no `mount` command")
    root = tmp_path / "small"
    root.mkdir()
    mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(root))

    def fill() -> None:
        fd = os.open(root / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)

    try:
        yield root, fill
    finally:
        subprocess.run(["umount", str(root)], capture_output=True, timeout=30)


@pytest.fixture
def read_only_root(tmp_path):
    """A data root holding the (3,2) job's first two partials, read-only."""
    source = tmp_path / "data"
    assert (
        ctm("submit", str(JOB), "--shards", first_counted(2), "--data-dir", str(source), "--workers", "1").returncode
        == 0
    )
    if os.geteuid() == 0:
        view = tmp_path / "view"
        view.mkdir()
        mount("--bind", str(source), str(view))
        try:
            mount("-o", "remount,ro,bind", str(view))
            yield view
        finally:
            subprocess.run(["umount", str(view)], capture_output=True, timeout=30)
    else:
        for folder in [source, *[p for p in source.rglob("*") if p.is_dir()]]:
            folder.chmod(0o555)
        try:
            yield source
        finally:
            for folder in [source, *[p for p in source.rglob("*") if p.is_dir()]]:
                folder.chmod(0o755)


def test_a_port_that_accepts_but_is_not_dask_is_one_line_within_the_connect_timeout(tmp_path):
    """The dashboard's port (HTTP) accepts the connection and waits for a request that
    never comes: before, `ctm submit` waited for ever (848 s by hand)."""
    with LocalCluster(n_workers=0, dashboard_address="127.0.0.1:0", processes=False) as cluster:
        port = cluster.scheduler.http_server.port
        address = f"tcp://127.0.0.1:{port}"
        began = time.monotonic()
        result = ctm(
            "submit",
            str(JOB),
            "--scheduler",
            address,
            "--connect-timeout",
            "2",
            "--data-dir",
            str(tmp_path / "data"),
            timeout=60,
        )
        took = time.monotonic() - began
    line = one_error(result)
    assert line.startswith(f"error: no Dask scheduler answered at {address} within 2 s: "), line
    assert "does not answer as a Dask scheduler" in line and "8787" in line, line
    assert took < 15, f"took {took:.1f} s"
    assert not (tmp_path / "data").exists()


def test_nothing_listening_is_one_line_naming_the_address(tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{sock.getsockname()[1]}"
    line = one_error(
        ctm("submit", str(JOB), "--scheduler", address, "--connect-timeout", "1", "--data-dir", str(tmp_path / "data"))
    )
    assert line == (
        f"error: no Dask scheduler answered at {address} within 1 s: nothing answers there "
        "(a wrong host or port, a firewall, or no scheduler running)"
    ), line


@pytest.mark.parametrize("text", ["", " ", "\t"])
def test_a_blank_shard_range_is_an_error(tmp_path, text):
    line = one_error(ctm("submit", str(JOB), "--shards", text, "--data-dir", str(tmp_path / "data")))
    assert line == f"error: shard range {text!r} is blank; write A:B, e.g. 0:100, or leave out --shards for all", line
    assert not (tmp_path / "data").exists()


def test_a_full_disk_is_one_line_before_any_work_and_keeps_the_partials(full_root):
    root, fill = full_root
    done = ctm("submit", str(JOB), "--shards", first_counted(3), "--data-dir", str(root), "--workers", "1")
    assert done.returncode == 0 and "computed 3," in done.stdout, done.stdout + done.stderr
    written = partials_dir(root, load_spec(JOB).job_id)
    before = {p.name: p.read_bytes() for p in written.glob("*.parquet")}
    assert len(before) == 3
    reports = sorted((root / "runs").rglob("*.json"))  # the first submit's report
    assert len(reports) == 1
    fill()
    for args in (
        ["submit", str(JOB), "--shards", "0:10", "--workers", "1"],
        ["run", str(JOB), "--workers", "1"],
        ["reduce", str(JOB), "--allow-partial"],
    ):
        result = ctm(*args, "--data-dir", str(root))
        line = one_error(result)
        assert line == (
            f"error: cannot write in the data root {root}: its file system is full (no space left on "
            "device); free space or choose another --data-dir"
        ), (args, line)
        assert result.stdout.count("computed") == 0, result.stdout
    assert {p.name: p.read_bytes() for p in written.glob("*.parquet")} == before
    assert versions(root, "d3x2-s21") == []
    assert sorted(p.name for p in root.iterdir()) == ["filler", "partials", "runs"]
    assert sorted((root / "runs").rglob("*")) == [reports[0].parent, reports[0]]


def test_a_read_only_root_is_one_line_before_any_work(read_only_root):
    root = read_only_root
    cause = "it is on a read-only file system" if os.geteuid() == 0 else "permission denied for user"
    for args in (["submit", str(JOB), "--workers", "1"], ["reduce", str(JOB), "--allow-partial"]):
        began = time.monotonic()
        line = one_error(ctm(*args, "--data-dir", str(root)))
        assert line.startswith(f"error: cannot write in the data root {root}: {cause}"), (args, line)
        assert time.monotonic() - began < 20
    assert len(list(partials_dir(root, load_spec(JOB).job_id).glob("*.parquet"))) == 2


def test_the_advice_after_a_lost_scheduler_names_what_restarts_it():
    assert "compose restarts a scheduler that crashed" in SCHEDULER_BACK
    assert "`docker compose up -d`" in SCHEDULER_BACK and "`dask scheduler`" in SCHEDULER_BACK


def test_reduces_running_at_once_publish_one_version(tmp_path):
    """Six `ctm reduce` processes of the same job at once: one publishes v1, the five others
    wait for the table's lock and find v1 already holds the same table (before: 6 of 6
    tries published two or more identical versions)."""
    root = tmp_path / "data"
    spec = load_spec(JOB)
    assert ctm("submit", str(JOB), "--data-dir", str(root), "--workers", "2").returncode == 0
    assert len(list(partials_dir(root, spec.job_id).glob("*.parquet"))) == len(ShardPlan(spec).computed())
    env = {k: v for k, v in os.environ.items() if k not in ("DASK_SCHEDULER_ADDRESS", "CTM_DATA_DIR")}
    procs = [
        subprocess.Popen(
            [*CTM, "reduce", str(JOB), "--data-dir", str(root), "--no-progress"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    outs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert versions(root, spec.table) == [1]
    published = [out for out, _ in outs if "already holds" not in out]
    assert len(published) == 1 and published[0].startswith(
        f"table {spec.table} v1 (full, 128 strings, H = 2147184): "
    ), outs
    assert sum(out.startswith(f"table {spec.table} v1 already holds this table") for out, _ in outs) == 5, outs


def test_a_failed_write_task_reports_only_the_shards_it_did_not_write(tmp_path):
    """The (3,2) job's 28 counted shards are counted in two walks of 14, each written by one
    task. A folder in the way of one shard's partial (as a full disk would stop a write
    half-way) fails that task after it wrote the shards before it: those are computed
    and valid, and one line names the cause and the shards that failed (before: every
    shard of the task was reported failed, one line each)."""
    spec = load_spec(JOB)
    plan = ShardPlan(spec)
    group = plan.groups(plan.computed())[0]
    root = tmp_path / "data"
    blocked = partials_dir(root, spec.job_id) / f"{group[3]:06d}.parquet"
    (blocked / "in-the-way").mkdir(parents=True)
    result = ctm("submit", str(JOB), "--data-dir", str(root), "--workers", "1")
    assert result.returncode == 2, result.stdout + result.stderr
    written = sorted(int(p.name[:6]) for p in partials_dir(root, spec.job_id).glob("*.parquet") if p.is_file())
    unwritten = sorted(group[3:])
    assert written == sorted(set(plan.computed()) - set(unwritten)), written
    assert f"invalid partial {group[3]:06d}.parquet: " in result.stdout, result.stdout
    assert (
        f"computed {len(written)}, skipped 0, derived {plan.shards - len(plan.computed())}, failed {len(unwritten)}"
        in result.stdout
    ), result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"failed {len(unwritten)} shards ({group[3]}, "), lines
    assert "IsADirectoryError" in lines[0] or "Is a directory" in lines[0], lines[0]
    assert (
        lines[1] == f"error: {len(unwritten)} shards failed ({', '.join(map(str, unwritten[:10]))}, ... "
        f"({len(unwritten)} in all)); rerun to retry them"
    ), lines[1]


def test_a_killed_lock_holder_leaves_no_stale_lock(tmp_path):
    """A reduce killed while it holds the job's lock (SIGKILL: no clean-up runs) does not
    block the next one: the kernel drops a dead process's flock."""
    import signal

    root = tmp_path / "data"
    spec = load_spec(JOB)
    assert (
        ctm("submit", str(JOB), "--shards", first_counted(1), "--data-dir", str(root), "--workers", "1").returncode == 0
    )
    folder = partials_dir(root, spec.job_id)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pipeline.rootcheck import reduce_lock\n"
            f"with reduce_lock({str(folder)!r}):\n    print('held', flush=True); time.sleep(600)",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        waiting = subprocess.Popen(
            [*CTM, "reduce", str(JOB), "--allow-partial", "--data-dir", str(root), "--no-progress"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        with pytest.raises(subprocess.TimeoutExpired):
            waiting.communicate(timeout=3)  # it waits for the holder
        holder.send_signal(signal.SIGKILL)
        out, err = waiting.communicate(timeout=60)
    finally:
        holder.kill()
        holder.wait()
    assert waiting.returncode == 0 and out.startswith(f"table {spec.table} v1 (partial"), out + err
    assert versions(root, spec.table) == [1]


def test_tls_options_come_all_three_or_the_address_says_what_is_missing(tmp_path):
    certs = tmp_path / "certs"
    made = subprocess.run([*CTM, "certs", str(certs)], capture_output=True, text=True, timeout=60)
    assert made.returncode == 0 and made.stdout.startswith(f"wrote 8 files in {certs}: ca.pem, ca.key, "), made.stdout
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in certs.glob("*.key")} == {
        f"{name}.key": "0o600" for name in ("ca", "scheduler", "worker", "client")
    }
    address = "tls://127.0.0.1:9"
    line = one_error(
        ctm(
            "submit",
            str(JOB),
            "--scheduler",
            address,
            "--tls-ca-file",
            str(certs / "ca.pem"),
            "--data-dir",
            str(tmp_path / "data"),
        )
    )
    assert line == "error: TLS needs all of --tls-ca-file, --tls-cert and --tls-key; missing --tls-cert, --tls-key", (
        line
    )
    line = one_error(ctm("submit", str(JOB), "--scheduler", address, "--data-dir", str(tmp_path / "data")))
    assert line == f"error: {address} is a TLS address: give --tls-ca-file, --tls-cert and --tls-key (or CTM_TLS_*)"
    line = one_error(
        ctm(
            "submit",
            str(JOB),
            "--scheduler",
            address,
            "--tls-ca-file",
            str(certs / "ca.pem"),
            "--tls-cert",
            str(certs / "client.pem"),
            "--tls-key",
            str(certs / "nope.key"),
            "--data-dir",
            str(tmp_path / "data"),
        )
    )
    assert line == f"error: --tls-key {certs / 'nope.key'}: not a readable file", line
    assert not (tmp_path / "data").exists()
