"""`docker compose` end to end: build the image, start a scheduler and two workers, submit
a (5,2) job in two shard ranges, kill a worker while it counts a shard, and check that
the cluster's table has the row checksum of an undisturbed local run.

The image is built as compose builds it: CTM_BASE_IMAGE and CTM_WHEELS come from the
environment (offline: ``eval "$(docker/prepare-offline.sh)"``); with CTM_WHEELS=wheelhouse
the project's wheel is rebuilt first, so the image holds the code under test. COMPOSE
picks the compose command (default: the `docker compose` plugin, else `docker-compose`).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from pipeline.plan import ShardPlan
from pipeline.spec import load_spec
from pipeline.tables import load_manifest

pytestmark = [pytest.mark.docker, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
JOB = "tests/data/compose-d5x2.toml"
TABLE = "d5x2-s100"
RANGES = ("0:30", "30:52")
IMAGE = "ctm-pipeline:e2e"
"""Kept after the test: its layers are the build cache of the next run."""
STEP_TIMEOUT = 300
BUILD_TIMEOUT = 1800

WATCH = """
import json, time
from distributed import Client
client = Client(timeout=30)
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    for worker, keys in client.processing().items():
        # keys end in the task's shards: ...-000006+000028
        shards = sorted(int(s) for k in keys if str(k).startswith("ctm-") for s in str(k).rsplit("-", 1)[1].split("+"))
        if shards:
            print(json.dumps({"worker": worker, "shards": shards}))
            raise SystemExit(0)
    time.sleep(0.1)
raise SystemExit("no worker was processing a shard within 120 s")
"""
"""Run in a client container: prints the first worker the scheduler shows processing a shard."""

MANIFEST = f"""
import json
from pathlib import Path
from pipeline.plan import ShardPlan
from pipeline.spec import load_spec
from pipeline.tables import load_manifest
print(json.dumps(load_manifest(Path("/data"), "{TABLE}")))
"""

COMPARED = ("row_checksum", "coverage", "machines", "halting", "count_total", "nonhalting", "halting_times")
"""Manifest fields that must agree between the cluster's table and the local one."""


def unavailable(reason: str) -> None:
    """Skip, or fail under CI=true, where Docker is part of the contract."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true, so this is a failure)")
    pytest.skip(reason)


def compose_command() -> list[str] | None:
    """$COMPOSE if set, else the `docker compose` plugin, else `docker-compose`, else None."""
    if os.environ.get("COMPOSE"):
        return shlex.split(os.environ["COMPOSE"])
    for candidate in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(candidate[0]) and subprocess.run(
            [*candidate, "version"], capture_output=True, timeout=60
        ).returncode == 0:
            return candidate
    return None


def check(result: subprocess.CompletedProcess, what: str) -> str:
    """``result``'s stdout, or an AssertionError with the tail of both streams."""
    assert result.returncode == 0, (
        f"{what} failed (exit {result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )
    return result.stdout


def docker(*args: str) -> str:
    return check(subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120), f"docker {args[0]}")


class Project:
    """One compose project under a unique name, and the commands the test runs in it."""

    def __init__(self, compose: list[str]) -> None:
        self.compose = compose
        self.name = f"ctm-e2e-{uuid.uuid4().hex[:10]}"
        self.env = {
            **os.environ,
            "CTM_IMAGE": IMAGE,
            "CTM_SCHEDULER_PORT": "0",  # any free host port: runs never collide
            "CTM_DASHBOARD_PORT": "0",
            "CTM_WORKER_PROCESSES": "1",  # one Dask worker per container, so a kill takes one
        }
        self.began = time.monotonic()

    def note(self, what: str) -> None:
        """A timeline line, shown with the output of a failed test."""
        print(f"{time.monotonic() - self.began:6.1f} s  {what}")

    def argv(self, *args: str) -> list[str]:
        return [*self.compose, "-p", self.name, *args]

    def run(self, *args: str, timeout: float = STEP_TIMEOUT) -> str:
        result = subprocess.run(
            self.argv(*args), cwd=REPO, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        return check(result, f"{' '.join(self.compose)} {' '.join(args[:6])}")

    def client(self, *command: str) -> list[str]:
        """Compose arguments that run ``command`` in a one-off client container."""
        return ["run", "--rm", "-T", "-v", f"{REPO / 'tests' / 'data'}:/app/tests/data:ro", "client", *command]

    def label(self, service: str | None = None) -> list[str]:
        """``docker`` filter arguments that select this project's objects (of ``service``)."""
        found = ["--filter", f"label=com.docker.compose.project={self.name}"]
        return found + (["--filter", f"label=com.docker.compose.service={service}"] if service else [])

    def worker_containers(self) -> dict[str, str]:
        """Worker container id -> its IP address on the project's network."""
        ids = docker("ps", "-q", *self.label("worker")).split()
        template = "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}"
        return {cid: docker("inspect", "-f", template, cid).split()[0] for cid in ids}

    def teardown(self) -> None:
        """Print the logs (shown when the test fails), then remove all the project started."""
        self.note("teardown")
        logs = subprocess.run(
            self.argv("logs", "--no-color", "--tail", "60"), cwd=REPO, env=self.env,
            capture_output=True, text=True, timeout=120,
        )
        print(logs.stdout[-12000:])
        subprocess.run(
            self.argv("--profile", "client", "down", "-v", "--remove-orphans", "-t", "5"),
            cwd=REPO, env=self.env, capture_output=True, timeout=STEP_TIMEOUT,
        )
        for listing, removal in (
            (["ps", "-a", "-q"], ["rm", "-f", "-v"]),
            (["network", "ls", "-q"], ["network", "rm"]),
            (["volume", "ls", "-q"], ["volume", "rm", "-f"]),
        ):
            leftover = docker(*listing, *self.label()).split()
            if leftover:
                docker(*removal, *leftover)


@pytest.fixture
def project():
    """A compose project with the freshly built image; everything it starts is removed."""
    if shutil.which("docker") is None:
        unavailable("no `docker` command on this machine")
    if subprocess.run(["docker", "info"], capture_output=True, timeout=60).returncode != 0:
        unavailable("no Docker engine answers `docker info`")
    compose = compose_command()
    if compose is None:
        unavailable("neither `docker compose` nor `docker-compose` works here")
    if os.environ.get("CTM_WHEELS") == "wheelhouse":
        env = {**os.environ, "PYTHON": sys.executable}
        check(
            subprocess.run([str(REPO / "docker" / "build-wheelhouse.sh")], env=env, capture_output=True,
                           text=True, timeout=STEP_TIMEOUT),
            "docker/build-wheelhouse.sh",
        )
    project = Project(compose)
    version = check(subprocess.run([*compose, "version", "--short"], capture_output=True, text=True, timeout=60),
                    "compose version")
    # docker-compose 1.x builds with the legacy builder, which keeps a failed step's container.
    legacy = ["--force-rm"] if version.strip().lstrip("v").startswith("1.") else []
    hint = "" if os.environ.get("CTM_BASE_IMAGE") else (
        '\nWithout a registry, build the base image and wheels first: eval "$(docker/prepare-offline.sh)"'
    )
    try:
        project.run("build", *legacy, "scheduler", timeout=BUILD_TIMEOUT)
    except AssertionError as exc:
        raise AssertionError(f"{exc}{hint}") from None
    try:
        yield project
    finally:
        project.teardown()


def local_manifest(root: Path) -> dict:
    """The manifest of the same shard ranges counted by an undisturbed local cluster."""
    ctm = [sys.executable, "-c", "from pipeline.cli import main; main()"]
    env = {k: v for k, v in os.environ.items() if k not in ("DASK_SCHEDULER_ADDRESS", "CTM_DATA_DIR")}

    def local(*args: str) -> str:
        result = subprocess.run([*ctm, *args, "--data-dir", str(root), "--no-progress"], cwd=REPO, env=env,
                                capture_output=True, text=True, timeout=STEP_TIMEOUT)
        return check(result, f"local ctm {' '.join(args)}")

    for shards in RANGES:
        local("submit", JOB, "--shards", shards, "--workers", "2")
    local("reduce", JOB, "--allow-partial")
    return load_manifest(root, TABLE)


def counted(report: str) -> int:
    """How many shards a `ctm submit` report says it computed."""
    found = re.search(r"computed (\d+),", report)
    assert found, f"no 'computed N' in the submit report:\n{report}"
    return int(found.group(1))


def test_cluster_survives_a_killed_worker(project, tmp_path):
    project.note("image built")
    want = local_manifest(tmp_path / "local")
    project.note("local reference table published")

    project.run("up", "-d", "--no-build", "--scale", "worker=2")
    project.run(*project.client("python", "-c", "from distributed import Client; "
                                "Client(timeout=30).wait_for_workers(2, timeout=120)"))
    project.note("scheduler and two workers up")
    workers = project.worker_containers()
    assert len(workers) == 2, f"expected two worker containers, got {workers}"

    first = subprocess.Popen(
        project.argv(*project.client("ctm", "submit", JOB, "--shards", RANGES[0], "--no-progress")),
        cwd=REPO, env=project.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        busy = json.loads(project.run(*project.client("python", "-c", WATCH)).strip().splitlines()[-1])
        ip = busy["worker"].removeprefix("tcp://").rsplit(":", 1)[0]
        victim = next(cid for cid, address in workers.items() if address == ip)
        docker("kill", victim)
        project.note(f"killed worker {busy['worker']} while it processed shards {busy['shards']}")
        out, _ = first.communicate(timeout=STEP_TIMEOUT)
        project.note(f"shards {RANGES[0]} done")
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 0, f"ctm submit --shards {RANGES[0]} failed after the kill:\n{out}"
    assert docker("inspect", "-f", "{{.State.Running}}", victim).strip() == "false"

    second = project.run(*project.client("ctm", "submit", JOB, "--shards", RANGES[1], "--no-progress"))
    plan = ShardPlan(load_spec(REPO / JOB))
    for report, shards in ((out, RANGES[0]), (second, RANGES[1])):
        assert "failed 0" in report, report
        assert counted(report) == len(plan.computed(plan.parse_shards(shards))), report
    project.note(f"shards {RANGES[1]} done")
    project.run(*project.client("ctm", "reduce", JOB, "--allow-partial", "--no-progress"))
    got = json.loads(project.run(*project.client("python", "-c", MANIFEST)).strip().splitlines()[-1])
    project.note("cluster table published")

    assert got["job_id"] == want["job_id"]
    for field in COMPARED:
        assert got[field] == want[field], f"{field}: cluster {got[field]!r} != local {want[field]!r}"
