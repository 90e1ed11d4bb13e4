"""`docker compose` end to end: build the image, start the default cluster (a scheduler and
two worker containers, speaking TLS with the certificates the `certs` service makes),
submit a (5,2) job in two shard ranges, kill a worker's processes while it counts a
shard, then the scheduler's in the middle of the second range, and check that both come
back by themselves (with the same certificates) and that the cluster's table has the row
checksum of an undisturbed local run.

The image is the session's (``dockertools.readme_image``): the README's install and
offline build in a fresh copy of the working tree, so it holds the code under test. COMPOSE
picks the compose command (default: the `docker compose` plugin, else `docker-compose`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from dockertools import IMAGE, ISOLATE, REPO, check, container_user, data_folder, docker, need_compose

from pipeline.partials import partials_dir
from pipeline.plan import ShardPlan
from pipeline.spec import load_spec
from pipeline.tables import load_manifest

pytestmark = [pytest.mark.docker, pytest.mark.slow]

JOB = "tests/data/compose-d5x2.toml"
TABLE = "d5x2-s100"
RANGES = ("0:30", "30:52")
STEP_TIMEOUT = 300
SCHEDULER = "tls://scheduler:8786"
"""The scheduler's address inside the compose network, as every ctm there names it: TLS,
with the certificates the `certs` service made in the volume ctm-certs."""

CERTS = "stat -c '%n %a %u:%g' /certs/*; sha256sum /certs/*.pem"
"""Run in a container: the certificates' modes, owners and digests."""

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

KILL_ALL = ["sh", "-c", "kill -9 -1"]
"""Run in a service's container: kills every process but its init, as a crash would. Docker
then restarts the container (`restart: unless-stopped`); a `docker kill` would count as a
stop by hand and leave it stopped."""

COMPARED = ("row_checksum", "coverage", "machines", "halting", "count_total", "nonhalting", "halting_times")
"""Manifest fields that must agree between the cluster's table and the local one."""


class Project:
    """One compose project under a unique name, its data in a folder of the test, and the
    commands the test runs in it."""

    def __init__(self, compose: list[str], data: Path) -> None:
        self.compose, self.data = compose, data
        self.name = f"ctm-e2e-{uuid.uuid4().hex[:10]}"
        self.env = {k: v for k, v in os.environ.items() if k not in ISOLATE} | {
            "CTM_IMAGE": IMAGE,
            "CTM_DATA_VOLUME": str(data),
            "CTM_SCHEDULER_PORT": "0",  # any free host port: runs never collide
            "CTM_DASHBOARD_PORT": "0",
            "CTM_UID": str(container_user()[0]),
            "CTM_GID": str(container_user()[1]),
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

    def start(self, *args: str) -> subprocess.Popen:
        """``run`` in the background; stdout and stderr apart."""
        return subprocess.Popen(
            self.argv(*args), cwd=REPO, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def client(self, *command: str) -> list[str]:
        """Compose arguments that run ``command`` in a one-off client container."""
        return ["run", "--rm", "-T", "-v", f"{REPO / 'tests' / 'data'}:/app/tests/data:ro", "client", *command]

    def label(self, service: str | None = None) -> list[str]:
        """``docker`` filter arguments that select this project's objects (of ``service``)."""
        found = ["--filter", f"label=com.docker.compose.project={self.name}"]
        return found + (["--filter", f"label=com.docker.compose.service={service}"] if service else [])

    def containers(self, service: str) -> list[str]:
        """Ids of the service's containers, running or not (one-off runs left out)."""
        ids = docker("ps", "-a", "-q", *self.label(service), "--filter", "label=com.docker.compose.oneoff=False")
        return ids.split()

    def worker_containers(self) -> dict[str, str]:
        """Worker container id -> its IP address on the project's network."""
        template = "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}"
        return {cid: docker("inspect", "-f", template, cid).split()[0] for cid in self.containers("worker")}

    def busy_worker(self) -> tuple[str, list[int]]:
        """The container of a worker the scheduler shows counting a shard, and the shards."""
        busy = json.loads(self.run(*self.client("python", "-c", WATCH)).strip().splitlines()[-1])
        ip = busy["worker"].removeprefix("tls://").rsplit(":", 1)[0]
        return next(cid for cid, address in self.worker_containers().items() if address == ip), busy["shards"]

    def crash(self, container: str) -> None:
        """Kill every process of ``container`` but its init, as a crash would (KILL_ALL)."""
        # the exec may itself die with the container: its exit status says nothing
        subprocess.run(["docker", "exec", container, *KILL_ALL], capture_output=True, timeout=60)

    def restarts(self, container: str) -> int:
        """How many times Docker has restarted ``container`` by itself."""
        return int(docker("inspect", "-f", "{{.RestartCount}}", container))

    def restarted(self, container: str, after: int = 0, healthy: bool = False, timeout: float = 120) -> int:
        """Wait until Docker has restarted ``container`` more than ``after`` times and it runs
        (and is healthy); its restart count."""
        template = "{{.RestartCount}} {{.State.Running}} {{if .State.Health}}{{.State.Health.Status}}{{end}}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            count, running, *health = docker("inspect", "-f", template, container).split()
            if int(count) > after and running == "true" and (not healthy or health == ["healthy"]):
                return int(count)
            time.sleep(0.5)
        raise AssertionError(
            f"container {container[:12]} was not restarted within {timeout} s: {count} {running} {health}"
        )

    def teardown(self) -> None:
        """Print the logs (shown when the test fails), then remove all the project started."""
        self.note("teardown")
        logs = subprocess.run(
            self.argv("logs", "--no-color", "--tail", "60"),
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        print(logs.stdout[-12000:])
        subprocess.run(
            self.argv("--profile", "client", "down", "-v", "--remove-orphans", "-t", "5"),
            cwd=REPO,
            env=self.env,
            capture_output=True,
            timeout=STEP_TIMEOUT,
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
def project(tmp_path, readme_image):
    """A compose project running the session's image (``readme_image``, built by the
    README's commands); everything it starts is removed."""
    project = Project(need_compose(), data_folder(tmp_path / "cluster-data"))
    try:
        yield project
    finally:
        project.teardown()


def local_manifest(root: Path) -> dict:
    """The manifest of the same shard ranges counted by an undisturbed local cluster."""
    ctm = [sys.executable, "-c", "from pipeline.cli import main; main()"]
    env = {k: v for k, v in os.environ.items() if k not in ("DASK_SCHEDULER_ADDRESS", "CTM_DATA_DIR")}

    def local(*args: str) -> str:
        result = subprocess.run(
            [*ctm, *args, "--data-dir", str(root), "--no-progress"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
        )
        return check(result, f"local ctm {' '.join(args)}")

    for shards in RANGES:
        local("submit", JOB, "--shards", shards, "--workers", "2")
    local("reduce", JOB, "--allow-partial")
    return load_manifest(root, TABLE)


def reported(report: str, what: str) -> int:
    """How many shards a `ctm submit` report says it ``what`` (computed, skipped, failed)."""
    found = re.search(rf"\b{what} (\d+)", report)
    assert found, f"no '{what} N' in the submit report:\n{report}"
    return int(found.group(1))


def test_cluster_survives_a_killed_worker_and_a_restarted_scheduler(project):
    plan = ShardPlan(load_spec(REPO / JOB))
    counted = [plan.computed(plan.parse_shards(r)) for r in RANGES]
    written = partials_dir(project.data, plan.spec.job_id)
    project.note("image built")
    want = local_manifest(project.data.parent / "local")
    project.note("local reference table published")

    project.run("up", "-d")  # the defaults: two worker containers sharing the cores
    workers = project.worker_containers()
    assert len(workers) == 2, f"expected two worker containers by default, got {workers}"
    expected = 2 * max(1, (os.cpu_count() or 1) // 2)
    found = project.run(
        *project.client(
            "python",
            "-c",
            "from distributed import Client; c = Client(timeout=30); "
            f"c.wait_for_workers({expected}, timeout=120); print(len(c.nthreads()))",
        )
    )
    assert int(found.strip().splitlines()[-1]) == expected, f"{found} Dask workers, expected {expected}"
    (scheduler,) = project.containers("scheduler")
    published = docker("port", scheduler).strip().splitlines()
    assert [line.split(" -> ")[0] for line in published] == ["8787/tcp"], (
        f"only the dashboard is published: {published}"
    )
    assert published[0].split(" -> ")[1].startswith("127.0.0.1:"), f"published beyond loopback: {published}"
    for cid in [scheduler, *workers]:
        user = docker(
            "exec", cid, "sh", "-c", "id -u; id -g; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/1/status"
        ).split()
        assert user == [
            *(str(i) for i in container_user()),
            "CapEff:",
            "0" * 16,
            "CapBnd:",
            "0" * 16,
            "NoNewPrivs:",
            "1",
        ], f"container {cid[:12]} runs with {user}"
    project.note(
        f"scheduler and two worker containers up, {expected} Dask workers, no root, only the dashboard on loopback"
    )
    # the certificates the certs service made on `up`: keys for the containers' user only,
    # no CA key left behind
    certs = docker("exec", scheduler, "sh", "-c", CERTS)
    uid, gid = container_user()
    modes = dict(line.split(" ", 1) for line in certs.splitlines() if line.startswith("/certs/"))
    assert sorted(modes) == sorted(
        f"/certs/{r}.{e}"
        for r in ("ca", "scheduler", "worker", "client")
        for e in ("pem", "key")
        if (r, e) != ("ca", "key")
    ), certs
    assert all(mode == f"{'600' if name.endswith('.key') else '644'} {uid}:{gid}" for name, mode in modes.items()), (
        certs
    )

    # A worker container loses its processes in the middle of a shard: the other finishes the
    # range, and Docker restarts the lost one.
    first = project.start(*project.client("ctm", "submit", JOB, "--shards", RANGES[0], "--no-progress"))
    try:
        victim, shards = project.busy_worker()
        project.crash(victim)
        project.note(f"killed the processes of worker container {victim[:12]} while it counted shards {shards}")
        out, err = first.communicate(timeout=STEP_TIMEOUT)
        project.note(f"shards {RANGES[0]} done")
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 0, f"ctm submit --shards {RANGES[0]} failed after the kill:\n{out}\n{err}"
    assert reported(out, "failed") == 0 and reported(out, "computed") == len(counted[0]), out
    project.note(f"worker container restarted by Docker ({project.restarted(victim)} restart)")

    # The scheduler loses its process in the middle of the second range: the submission ends
    # with one line naming it, Docker restarts it and the workers (which stop without it), and
    # the same submission counts only the shards still missing.
    before = {cid: project.restarts(cid) for cid in workers}
    second = project.start(*project.client("ctm", "submit", JOB, "--shards", RANGES[1], "--no-progress"))
    try:
        _, shards = project.busy_worker()
        project.crash(scheduler)
        project.note(f"killed the scheduler's processes while shards {shards} were counted")
        out, err = second.communicate(timeout=STEP_TIMEOUT)
    finally:
        if second.poll() is None:
            second.kill()
            second.communicate()
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert second.returncode == 2, f"the submission should fail with one line (exit 2):\n{out}\n{err}"
    assert len(errors) == 1 and "Traceback" not in err, err
    assert errors[0].startswith(f"error: lost the Dask scheduler at {SCHEDULER}; "), errors[0]
    project.note(f"scheduler restarted by Docker ({project.restarted(scheduler, healthy=True)} restart)")
    for cid, count in before.items():  # a stopping worker may still write the shard it was counting
        project.restarted(cid, after=count)
    project.note("worker containers restarted by Docker")
    done = sorted(int(p.stem) for p in written.glob("*.parquet") if int(p.stem) in counted[1])
    again = project.run(*project.client("ctm", "submit", JOB, "--shards", RANGES[1], "--no-progress"))
    assert reported(again, "failed") == 0, again
    assert (reported(again, "computed"), reported(again, "skipped")) == (len(counted[1]) - len(done), len(done)), again
    project.note(f"shards {RANGES[1]} done on resubmission ({len(done)} were kept from before the restart)")

    project.run(*project.client("ctm", "reduce", JOB, "--allow-partial", "--no-progress"))
    # the restarted scheduler and every `run` (which reruns the certs service) kept them
    assert docker("exec", scheduler, "sh", "-c", CERTS) == certs
    got = load_manifest(project.data, TABLE)
    project.note("cluster table published")
    assert got["job_id"] == want["job_id"]
    for field in COMPARED:
        assert got[field] == want[field], f"{field}: cluster {got[field]!r} != local {want[field]!r}"
