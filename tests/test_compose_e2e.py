"""`docker compose` end to end: build the image, start the default cluster (a scheduler and
two worker containers, speaking TLS with the certificates the `certs` service makes),
submit a (5,2) job in two shard ranges, kill a worker's processes while it counts a
shard, then the scheduler's in the middle of the second range, and check that both come
back by themselves (with the same certificates) and that the cluster's table has the row
checksum of an undisturbed local run.

A second cluster, with the scheduler's port published (docker-compose.tls.yml), shows a
data path that needs no shared disk: neither the scheduler nor a worker mounts anything
but the certificates, each on a read-only root with a tmpfs /tmp, and only the client
mounts /data; the client counts the (5,2) S=500 table while a worker container holding
parts is killed, every partial names the worker that counted it and the table equals the
shipped one; the host's `ctm run` through the published port gives the same table into a
host folder; and a worker whose package reports another kernel version is refused in one
line.

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

import pyarrow.parquet as pq
import pytest
from dockertools import IMAGE, ISOLATE, REPO, check, container_user, data_folder, docker, need_compose

from pipeline.kernel import kernel_version
from pipeline.partials import META_KEY, part_names, partials_dir
from pipeline.plan import ShardPlan
from pipeline.spec import load_spec
from pipeline.survey import survey
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

    def __init__(self, compose: list[str], data: Path, files: tuple[str, ...] = (), **settings: str) -> None:
        self.compose, self.data = compose, data
        self.files = [a for f in ("docker-compose.yml", *files) for a in ("-f", f)] if files else []
        self.name = f"ctm-e2e-{uuid.uuid4().hex[:10]}"
        self.env = {k: v for k, v in os.environ.items() if k not in ISOLATE} | {
            "CTM_IMAGE": IMAGE,
            "CTM_DATA_VOLUME": str(data),
            "CTM_SCHEDULER_PORT": "0",  # any free host port: runs never collide
            "CTM_DASHBOARD_PORT": "0",
            "CTM_UID": str(container_user()[0]),
            "CTM_GID": str(container_user()[1]),
            **settings,
        }
        self.certs = Path(settings["CTM_CERTS"]) if "CTM_CERTS" in settings else None
        """The host folder of the certificates (CTM_CERTS), with docker-compose.tls.yml."""
        self.began = time.monotonic()

    def note(self, what: str) -> None:
        """A timeline line, shown with the output of a failed test."""
        print(f"{time.monotonic() - self.began:6.1f} s  {what}")

    def argv(self, *args: str) -> list[str]:
        return [*self.compose, "-p", self.name, *self.files, *args]

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

    def containers(self, service: str, oneoff: bool = False) -> list[str]:
        """Ids of the service's containers, running or not (only one-off runs if ``oneoff``,
        else none of them)."""
        ids = docker("ps", "-a", "-q", *self.label(service), "--filter", f"label=com.docker.compose.oneoff={oneoff}")
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


HOST_CTM = [sys.executable, "-c", "from pipeline.cli import main; main()"]
"""The host's own ``ctm``: this checkout's, in the test's interpreter."""


def host_ctm(*args: str) -> subprocess.CompletedProcess:
    """Run the host's ``ctm ARGS`` with none of the user's cluster settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DASK_SCHEDULER_ADDRESS", "CTM_DATA_DIR") and not k.startswith("CTM_TLS_")
    }
    return subprocess.run([*HOST_CTM, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT)


@pytest.fixture
def project(tmp_path, readme_image):
    """A compose project running the session's image (``readme_image``, built by the
    README's commands); everything it starts is removed."""
    project = Project(need_compose(), data_folder(tmp_path / "cluster-data"))
    try:
        yield project
    finally:
        project.teardown()


@pytest.fixture
def published(tmp_path, readme_image):
    """A compose project as ``project``, with docker-compose.tls.yml: the scheduler's port
    published on loopback, every service using the certificates ``ctm certs`` made in
    ``tmp_path / "certs"`` (the project's ``certs``), which the host's ``ctm`` uses too;
    one Dask worker in each of the two worker containers, whatever the cores."""
    certs = tmp_path / "certs"
    uid, gid = container_user()
    check(host_ctm("certs", str(certs), "--owner", f"{uid}:{gid}"), "ctm certs")
    project = Project(
        need_compose(),
        data_folder(tmp_path / "cluster-data"),
        ("docker-compose.tls.yml",),
        CTM_CERTS=str(certs),
        CTM_WORKER_PROCESSES="1",  # two Dask workers on any machine: each holds several parts
    )
    try:
        yield project
    finally:
        project.teardown()


def local_manifest(root: Path) -> dict:
    """The manifest of the same shard ranges counted by an undisturbed local cluster."""
    for shards in RANGES:
        check(
            host_ctm("submit", JOB, "--shards", shards, "--workers", "2", "--data-dir", str(root), "--no-progress"),
            f"local ctm submit --shards {shards}",
        )
    check(host_ctm("reduce", JOB, "--allow-partial", "--data-dir", str(root), "--no-progress"), "local ctm reduce")
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


SHIPPED_JOB = "tests/data/compose-d5x2-s500.toml"
"""jobs/d5x2.toml (same job id, same table) with its walks cut into 8 parts of several
seconds each, so that a killed worker surely holds parts in progress."""
SHIPPED = "d5x2-s500"
SAME_AS_SHIPPED = (
    "job_id",
    "row_checksum",
    "coverage",
    "machines",
    "halting",
    "count_total",
    "halting_times",
    "strings",
)
"""Manifest fields a table counted anew shares with the shipped one (its non-halting
machines are split between proven and at the limit by today's proofs, their sum the same)."""


def confinement(container: str) -> dict:
    """What ``docker inspect`` says ``container`` can reach: its mounts (target, host
    source, writable), whether its root file system is read-only, its tmpfs mounts."""
    (info,) = json.loads(docker("inspect", container))
    return {
        "mounts": sorted((m["Destination"], m["Source"], m["RW"]) for m in info["Mounts"]),
        "read_only": info["HostConfig"]["ReadonlyRootfs"],
        "tmpfs": sorted(info["HostConfig"].get("Tmpfs") or {}),
    }


def held_parts(client, timeout: float = 120) -> tuple[str, list[str]]:
    """The first worker the scheduler shows holding two parts or more (one running, the
    others waiting on it: with one thread it cannot finish them all in an instant), and
    their task keys."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker, keys in client.processing().items():
            held = sorted(str(key) for key in keys if str(key).startswith("ctm-"))
            if len(held) >= 2:
                return worker, held
        time.sleep(0.1)
    raise AssertionError(f"no worker held two parts within {timeout} s: {client.processing()}")


def part_files(plan: ShardPlan, key: str) -> list[str]:
    """The main partial files of task ``key`` (``ctm-<job>-<tag>-part<P>-<shards>``)."""
    what, shards = key.rsplit("-", 2)[1:]
    return [part_names(plan, int(shard))[int(what.removeprefix("part"))] for shard in shards.split("+")]


def partial_workers(plan: ShardPlan, root: Path) -> dict[str, str]:
    """Main partial file -> the worker its metadata names, for every part of every shard
    the plan counts."""
    folder = partials_dir(root, plan.spec.job_id)
    return {
        name: json.loads(pq.read_schema(folder / name).metadata[META_KEY])["worker"]
        for shard in plan.computed()
        for name in part_names(plan, shard)
    }


def ip_of(address: str) -> str:
    """The host of a Dask address: tls://172.18.0.4:40123 -> 172.18.0.4."""
    return address.split("://", 1)[1].rsplit(":", 1)[0]


def test_workers_without_the_data_root_count_the_shipped_table(published, tmp_path):
    """No worker (nor the scheduler) mounts the data: only the submitting client does, and
    writes what the workers hand back. A worker killed while it holds parts loses
    nothing; a second run from the host through the published port gives the same table;
    a worker of another kernel version is refused in one line."""
    from distributed import Client
    from distributed.security import Security

    project, certs = published, published.certs
    plan = ShardPlan(load_spec(REPO / SHIPPED_JOB))
    shipped = load_manifest(REPO / "data", SHIPPED)
    project.run("up", "-d")
    (scheduler,) = project.containers("scheduler")
    workers = project.worker_containers()
    assert len(workers) == 2, f"expected two worker containers by default, got {workers}"
    for cid in [scheduler, *workers]:
        seen = confinement(cid)
        assert seen == {"mounts": [("/certs", str(certs), False)], "read_only": True, "tmpfs": ["/tmp"]}, (
            f"container {cid[:12]} can reach more than the certificates: {seen}"
        )
    port = docker("port", scheduler, "8786").strip().splitlines()[0].rsplit(":", 1)[1]
    address = f"tls://127.0.0.1:{port}"
    tls = ["--tls-ca-file", str(certs / "ca.pem"), "--tls-cert", str(certs / "client.pem")]
    tls += ["--tls-key", str(certs / "client.key")]
    security = Security(
        tls_ca_file=str(certs / "ca.pem"),
        tls_client_cert=str(certs / "client.pem"),
        tls_client_key=str(certs / "client.key"),
        require_encryption=True,
    )
    with Client(address, timeout=30, security=security) as watcher:
        watcher.wait_for_workers(2, timeout=120)
        project.note("scheduler and two worker containers up (a Dask worker each), none mounting data")

        # The client counts the job, killing a worker container's processes while it holds parts
        run = project.start(*project.client("ctm", "run", SHIPPED_JOB, "--no-progress"))
        try:
            victim_address, held = held_parts(watcher)
            victim = next(cid for cid, ip in workers.items() if ip == ip_of(victim_address))
            project.crash(victim)
            project.note(f"killed worker container {victim[:12]} ({victim_address}) holding {held}")
            (client,) = project.containers("client", oneoff=True)
            client_seen = confinement(client)
            out, err = run.communicate(timeout=STEP_TIMEOUT)
        finally:
            if run.poll() is None:
                run.kill()
                run.communicate()
    assert run.returncode == 0, f"ctm run failed after the kill:\n{out}\n{err}"
    assert reported(out, "failed") == 0 and reported(out, "computed") == len(plan.computed()), out
    project.note("the client's run done")
    assert ("/data", str(project.data), True) in client_seen["mounts"], client_seen
    assert client_seen["read_only"] and client_seen["tmpfs"] == ["/tmp"], client_seen
    project.note(f"worker container restarted by Docker ({project.restarted(victim)} restart)")

    # every part valid, each naming a worker container; the parts the killed worker held
    # were counted again by another worker (one of them may have finished in the instant
    # between the look and the kill, not the others, waiting behind it)
    status = survey(plan, project.data)
    assert (status.done, status.invalid) == (plan.computed(), {}), status
    named = partial_workers(plan, project.data)
    ips = set(workers.values()) | set(project.worker_containers().values())
    assert all(address.startswith("tls://") and ip_of(address) in ips for address in named.values()), (ips, named)
    lost = [name for key in held for name in part_files(plan, key)]
    assert any(named[name] != victim_address for name in lost), (victim_address, {n: named[n] for n in lost})
    got = load_manifest(project.data, SHIPPED)
    for field in SAME_AS_SHIPPED:
        assert got[field] == shipped[field], f"{field}: cluster {got[field]!r} != shipped {shipped[field]!r}"
    assert sum(got["nonhalting"].values()) == sum(shipped["nonhalting"].values())
    project.note("the cluster's table equals the shipped one")

    # A second run, from the host through the published port, into a host folder
    host = tmp_path / "host-data"
    said = check(
        host_ctm("run", "jobs/d5x2.toml", "--scheduler", address, *tls, "--data-dir", str(host), "--no-progress"),
        "the host's ctm run through the published port",
    )
    assert reported(said, "failed") == 0, said
    again = load_manifest(host, SHIPPED)
    assert all(again[field] == got[field] for field in (*SAME_AS_SHIPPED, "nonhalting")), (again, got)
    named = partial_workers(ShardPlan(load_spec(REPO / "jobs" / "d5x2.toml")), host)
    assert all(ip_of(address) in ips for address in named.values()), (ips, named)
    project.note("the host's run through the published port: the same table")

    # A worker whose package reports another kernel version: its result is refused
    project.run("stop", "worker")
    odd = project.run(
        "run",
        "-d",
        "-v",
        f"{REPO / 'tests' / 'data'}:/app/tests/data:ro",
        "worker",
        "dask",
        "worker",
        "tls://scheduler:8786",
        "--nthreads",
        "1",
        "--preload",
        "/app/tests/data/other_kernel.py",
    ).split()[-1]
    odd_ip = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", odd).split()[0]
    with Client(address, timeout=30, security=security) as watcher:
        deadline = time.monotonic() + 120
        while [ip_of(w) for w in watcher.scheduler_info()["workers"]] != [odd_ip]:
            assert time.monotonic() < deadline, f"not only the odd worker: {watcher.scheduler_info()['workers']}"
            time.sleep(0.5)
        (odd_address,) = watcher.scheduler_info()["workers"]
    project.note(f"compose workers stopped; worker {odd_address} reports another kernel version")
    small = ShardPlan(load_spec(REPO / "jobs" / "d3x2.toml"))
    other = tmp_path / "other-data"
    result = host_ctm(
        "submit", "jobs/d3x2.toml", "--shards", "0:7", "--scheduler", address, *tls, "--data-dir", str(other)
    )
    mine = kernel_version(small.space)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith(("failed ", "error: "))] == [
        f"failed 1 shards (6): 000006.parquet: counted by kernel '{mine}-other' on worker {odd_address}, "
        f"this client has kernel '{mine}'; install the same ctm-pipeline on the client and every worker",
        "error: 1 shards failed (6); rerun to retry them",
    ], result.stderr
    folder = partials_dir(other, small.spec.job_id)
    assert not folder.exists() or not any(folder.iterdir()), sorted(folder.iterdir())
    project.note("the odd worker's result refused in one line, nothing written")
