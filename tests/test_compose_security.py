"""The compose cluster gives no privilege away: the attack of issue 19 (a client has a worker
write a setuid-root copy of a shell into the data folder) fails, a worker having no data
folder and nowhere to write but in-memory file systems of its own; a host user reaching the
default cluster's scheduler, worker or nanny at its bridge address (172.x) is refused
without the cluster's certificates, over plain TCP or TLS; and a scheduler port
published with docker-compose.tls.yml refuses every connection without a certificate
from the cluster's CA, while a worker started outside the compose network (on the host's
network, as on a second server, with only the certificates mounted) joins through that
port and counts a whole table, equal
to the shipped one; two reduces at once in two containers publish it once.

All run the session's image (``dockertools.readme_image``) under unique project names,
with the data in a host folder of the test owned by the containers' user.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from dockertools import IMAGE, ISOLATE, REPO, check, container_user, data_folder, docker, need_compose

from pipeline.tables import load_manifest

pytestmark = [pytest.mark.docker, pytest.mark.slow]

STEP_TIMEOUT = 300

ATTACK = """
import json, os, shutil, stat
from distributed import Client

def attack():
    done = {"uid": os.getuid(), "euid": os.geteuid()}
    # the data root: a worker has none, only the image's empty /data on its read-only root
    try:
        shutil.copy("/bin/sh", "/data/rootshell")
        done["data"] = "written"
    except OSError as exc:
        done["data"] = exc.strerror
    # every folder it can write into, by mount: file system type and mount options
    mounts = {}
    for line in open("/proc/self/mountinfo"):
        fields = line.split()
        mounts[fields[4]] = [fields[fields.index("-") + 1], fields[5]]
    writable = {}
    for top, folders, _ in os.walk("/"):
        if top in ("/proc", "/sys"):
            folders[:] = []
        elif os.access(top, os.W_OK):
            mount = max((m for m in mounts if top == m or top.startswith(m.rstrip("/") + "/")), key=len)
            writable[mount] = mounts[mount]
    done["writable"] = writable
    # a setuid-root shell where it can write
    path = "/tmp/rootshell"
    shutil.copy("/bin/sh", path)
    try:
        os.chown(path, 0, 0)
        done["chown"] = "done"
    except OSError as exc:
        done["chown"] = exc.strerror
    os.chmod(path, 0o4755)
    st = os.stat(path)
    done["tmp"] = {"uid": st.st_uid, "setuid": bool(st.st_mode & stat.S_ISUID)}
    return done

with Client(timeout=30) as client:
    print(json.dumps(client.submit(attack, pure=False).result(timeout=120)))
"""
"""Run in a client container: what a worker did when asked for a setuid-root shell, in
the data root and wherever else it can write."""

PROBE = """
import asyncio, json, os, socket, ssl, sys, tempfile
from distributed.comm import connect
from pipeline.certs import make_certs

async def ask(url, context):
    comm = await connect(url, timeout=10, **({"ssl_context": context} if context else {}))
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()

anything = ssl.create_default_context()                   # no CA, no certificate
anything.check_hostname, anything.verify_mode = False, ssl.CERT_NONE
own = ssl.create_default_context()                        # a CA and a certificate of its own
own.check_hostname, own.verify_mode = False, ssl.CERT_NONE
mine = tempfile.mkdtemp()
make_certs(mine)
own.load_cert_chain(os.path.join(mine, "client.pem"), os.path.join(mine, "client.key"))
said = {"uid": os.getuid()}
for address in sys.argv[1:]:
    host, port = address.rsplit(":", 1)
    socket.create_connection((host, int(port)), timeout=5).close()   # the port is open to this user
    for name, url, context in (("tcp", f"tcp://{address}", None), ("tls", f"tls://{address}", anything),
                               ("tls-own-ca", f"tls://{address}", own)):
        try:
            said[f"{name} {address}"] = "answered as " + str(asyncio.run(asyncio.wait_for(ask(url, context), 30)).get("type"))
        except TimeoutError as exc:
            said[f"{name} {address}"] = f"timed out: {exc}"
        except OSError as exc:
            said[f"{name} {address}"] = f"refused: {type(exc).__name__}: {exc}"
print(json.dumps(said))
"""
"""Run on the host as an unprivileged user, with bridge addresses HOST:PORT (the scheduler,
a worker, its nanny): what a plain-TCP client, a TLS client with no certificate and one
with a CA of its own got from each."""

INSIDE = """
import json
from distributed import Client
with Client(timeout=30) as client:
    (address, worker), = client.scheduler_info()["workers"].items()
    print(json.dumps({"scheduler": client.scheduler.address, "sum": client.submit(sum, [20, 22]).result(timeout=60),
                      "worker": address, "nanny": worker["nanny"]}))
"""
"""Run in a client container: the cluster's own client is answered (over TLS), and the
worker's and its nanny's addresses, which also run what they are sent."""


class Cluster:
    """A compose project of the session's image; ``files`` adds compose files."""

    def __init__(self, compose: list[str], data: Path, files: tuple[str, ...] = (), **settings: str) -> None:
        self.name = f"ctm-sec-{uuid.uuid4().hex[:10]}"
        self.compose = [*compose, "-p", self.name, *(a for f in ("docker-compose.yml", *files) for a in ("-f", f))]
        uid, gid = container_user()
        self.env = {k: v for k, v in os.environ.items() if k not in ISOLATE} | {
            "CTM_IMAGE": IMAGE,
            "CTM_DATA_VOLUME": str(data),
            "CTM_UID": str(uid),
            "CTM_GID": str(gid),
            "CTM_SCHEDULER_PORT": "0",
            "CTM_DASHBOARD_PORT": "0",
            **settings,
        }

    def run(self, *args: str, timeout: float = STEP_TIMEOUT) -> str:
        result = subprocess.run(
            [*self.compose, *args], cwd=REPO, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        return check(result, f"compose {' '.join(args[:6])}")

    def client(self, *command: str) -> str:
        return self.run("run", "--rm", "-T", "client", *command)

    def container(self, service: str) -> str:
        (cid,) = self.run("ps", "-q", service).split()
        return cid

    def healthy(self, service: str, timeout: float = 120) -> str:
        """The service's container, once Docker calls it healthy (`up -d` does not wait)."""
        cid, deadline = self.container(service), time.monotonic() + timeout
        while docker("inspect", "-f", "{{.State.Health.Status}}", cid).strip() != "healthy":
            assert time.monotonic() < deadline, f"{service} not healthy within {timeout} s"
            time.sleep(0.5)
        return cid

    def down(self) -> None:
        logs = subprocess.run(
            [*self.compose, "logs", "--no-color", "--tail", "40"],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        print(logs.stdout[-8000:])
        subprocess.run(
            [*self.compose, "--profile", "client", "down", "-v", "--remove-orphans", "-t", "5"],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            timeout=STEP_TIMEOUT,
        )


@pytest.fixture
def clusters(readme_image):
    """Compose projects made with ``clusters(data, files, **settings)``; all taken down."""
    made: list[Cluster] = []

    def make(data: Path, files: tuple[str, ...] = (), **settings: str) -> Cluster:
        made.append(Cluster(need_compose(), data, files, **settings))
        return made[-1]

    try:
        yield make
    finally:
        for cluster in made:
            cluster.down()


def tls_context(certs: Path, client: Path | None = None):
    """A client's TLS context trusting ``certs``/ca.pem; with ``client``.pem/.key, if given."""
    import ssl

    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(certs / "ca.pem"))
    context.check_hostname = False  # as Dask's own contexts
    if client is not None:
        context.load_cert_chain(f"{client}.pem", f"{client}.key")
    return context


def handshake(url: str, ssl_context=None) -> dict:
    """Connect to ``url`` as Dask does and ask for the scheduler's identity."""
    import asyncio

    from distributed.comm import connect

    async def ask() -> dict:
        comm = await connect(url, timeout=10, **({"ssl_context": ssl_context} if ssl_context else {}))
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    return asyncio.run(asyncio.wait_for(ask(), 20))


IN_MEMORY = ("tmpfs", "mqueue")
"""File systems that live in a container's memory and go with it (its /tmp, /dev/shm,
/dev/mqueue): what a task may write."""


def setuid_root_files(folder: Path) -> list[str]:
    """Files under ``folder`` that would run as root: owned by uid 0 with the setuid bit."""
    found = []
    for path in folder.rglob("*"):
        st = path.lstat()
        if stat.S_ISREG(st.st_mode) and st.st_mode & stat.S_ISUID and st.st_uid == 0:
            found.append(str(path))
    return found


def test_a_task_sent_to_the_scheduler_cannot_leave_a_setuid_root_file(tmp_path, clusters):
    """A worker has no data root: a task finds /data read-only, can write only in-memory
    file systems of its own container (nosuid), and cannot make a file root's; the
    client's data folder, on the host, receives nothing."""
    data = data_folder(tmp_path / "cluster-data")
    cluster = clusters(data, CTM_WORKER_CONTAINERS="1", CTM_WORKER_PROCESSES="1")
    cluster.run("up", "-d")
    worker = cluster.container("worker")
    mounts = [m["Destination"] for m in json.loads(docker("inspect", worker))[0]["Mounts"]]
    assert mounts == ["/certs"], f"the worker mounts {mounts}"
    did = json.loads(cluster.client("python", "-c", ATTACK).strip().splitlines()[-1])
    uid, gid = container_user()
    assert (did["uid"], did["euid"]) == (uid, uid), f"the worker's task ran as {did}"
    assert did["data"] == "Read-only file system", did
    assert did["chown"] == "Operation not permitted", did
    assert did["tmp"] == {"uid": uid, "setuid": True}, did  # its own file, on a nosuid tmpfs
    assert "/tmp" in did["writable"], did
    for mount, (kind, options) in did["writable"].items():
        assert kind in IN_MEMORY and "nosuid" in options.split(","), (mount, kind, options)
    assert sorted(p.name for p in data.iterdir()) == [] and setuid_root_files(data) == []
    # the scheduler's port is not on the host: only the dashboard is
    published = docker("port", cluster.container("scheduler")).strip().splitlines()
    assert [line.split(" -> ")[0] for line in published] == ["8787/tcp"], published


def test_the_scheduler_refuses_host_users_on_the_bridge_network_without_the_clusters_certificates(tmp_path, clusters):
    # Docker's bridge addresses (172.x) are reachable by every user of the host: the
    # default cluster, no TLS file, must still refuse whoever lacks its certificates
    cluster = clusters(data_folder(tmp_path / "cluster-data"), CTM_WORKER_CONTAINERS="1", CTM_WORKER_PROCESSES="1")
    cluster.run("up", "-d")
    scheduler = cluster.healthy("scheduler")
    ip = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", scheduler).split()[0]
    # the cluster's own client, in the compose network, is answered over TLS
    inside = json.loads(cluster.client("python", "-c", INSIDE).strip().splitlines()[-1])
    assert (inside["scheduler"], inside["sum"]) == ("tls://scheduler:8786", 42), inside
    assert inside["worker"].startswith("tls://") and inside["nanny"].startswith("tls://"), inside
    targets = [f"{ip}:8786", inside["worker"].removeprefix("tls://"), inside["nanny"].removeprefix("tls://")]
    # the attack: a host user (`nobody` when the test runs as root and nobody can read this
    # checkout's venv) connects to 172.x:8786 (and to the worker's and nanny's ports)
    nobody = as_nobody_if_possible()
    result = subprocess.run(
        [*nobody, sys.executable, "-c", PROBE, *targets],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        env={k: v for k, v in os.environ.items() if not k.startswith("DASK_")} | {"HOME": "/nonexistent"},
    )
    said = json.loads(check(result, "the probe on the host").strip().splitlines()[-1])
    assert said["uid"] == (65534 if nobody else os.getuid()), said
    assert len(said) == 1 + 3 * len(targets), said
    for attempt, outcome in said.items():
        assert attempt == "uid" or outcome.startswith("refused: "), (attempt, said)


def as_nobody_if_possible() -> list[str]:
    """The command prefix that runs this interpreter as ``nobody`` (uid 65534), or [] where
    the test does not run as root or nobody cannot import Dask from this checkout's venv
    (a checkout under a private folder, such as ``mktemp -d``): then the probe runs as the
    test's own user, which holds no more of the cluster's certificates than nobody does
    (they are only in the ctm-certs volume)."""
    if os.geteuid() != 0:
        return []
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    try:
        tried = subprocess.run(
            [*nobody, sys.executable, "-c", "import distributed"], cwd=REPO, capture_output=True, timeout=60
        )
    except OSError:
        return []
    return nobody if tried.returncode == 0 else []


def test_a_published_tls_port_refuses_clients_without_a_certificate_and_a_host_worker_joins(tmp_path, clusters):
    from distributed import Client
    from distributed.security import Security

    data, certs = data_folder(tmp_path / "cluster-data"), tmp_path / "certs"
    uid, gid = container_user()
    ctm = [sys.executable, "-c", "from pipeline.cli import main; main()"]
    check(
        subprocess.run(
            [*ctm, "certs", str(certs), "--owner", f"{uid}:{gid}"], capture_output=True, text=True, timeout=60
        ),
        "ctm certs",
    )
    cluster = clusters(data, ("docker-compose.tls.yml",), CTM_CERTS=str(certs))
    cluster.run("up", "-d", "scheduler")  # no compose worker: the host's worker does all
    scheduler = cluster.healthy("scheduler")
    port = docker("port", scheduler, "8786").strip().splitlines()[0].rsplit(":", 1)[1]
    address = f"tls://127.0.0.1:{port}"

    # no certificate, a certificate of another CA, plain TCP: refused before any task,
    # while the cluster's client certificate is answered
    other = tmp_path / "other"
    check(subprocess.run([*ctm, "certs", str(other)], capture_output=True, text=True, timeout=60), "ctm certs")
    assert handshake(address, tls_context(certs, certs / "client"))["type"] == "Scheduler"
    for url, context in (
        (address, tls_context(certs)),
        (address, tls_context(certs, other / "client")),
        (f"tcp://127.0.0.1:{port}", None),
    ):
        with pytest.raises(OSError) as refusal:
            handshake(url, context)
        assert not isinstance(refusal.value, TimeoutError), f"{url}: no answer rather than a refusal"
    refused = subprocess.run(
        [
            *ctm,
            "submit",
            str(REPO / "jobs" / "d3x2.toml"),
            "--scheduler",
            address,
            "--tls-ca-file",
            str(certs / "ca.pem"),
            "--tls-cert",
            str(other / "client.pem"),
            "--tls-key",
            str(other / "client.key"),
            "--data-dir",
            str(tmp_path / "none"),
            "--connect-timeout",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and refused.stderr.startswith(f"error: no Dask scheduler answered at {address}"), (
        refused.stderr
    )
    assert "TLS handshake failed" in refused.stderr and not (tmp_path / "none").exists()

    # a worker outside the compose network, as docs/multi-host.md starts one on a second
    # server: the host's network, advertising an address the scheduler can reach
    network = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.Gateway}} {{end}}", scheduler).split()[0]
    worker = docker(
        "run",
        "-d",
        "--network",
        "host",
        "--user",
        f"{uid}:{gid}",
        "--read-only",
        "--tmpfs",
        "/tmp",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges:true",
        "--init",
        "-v",
        f"{certs}:/certs:ro",
        IMAGE,
        "dask",
        "worker",
        address,
        "--nworkers",
        "2",
        "--nthreads",
        "1",
        "--host",
        network,
        "--tls-ca-file",
        "/certs/ca.pem",
        "--tls-cert",
        "/certs/worker.pem",
        "--tls-key",
        "/certs/worker.key",
    ).strip()
    try:
        with Client(
            address,
            timeout=30,
            security=Security(
                tls_ca_file=str(certs / "ca.pem"),
                tls_client_cert=str(certs / "client.pem"),
                tls_client_key=str(certs / "client.key"),
                require_encryption=True,
            ),
        ) as client:
            client.wait_for_workers(2, timeout=120)
            joined = sorted(client.scheduler_info()["workers"])
        assert len(joined) == 2 and all(w.startswith(f"tls://{network}:") for w in joined), joined
        out = cluster.client("ctm", "submit", "jobs/d3x2.toml", "--no-progress")
        assert "failed 0" in out and "on 2 worker threads" in out, out
        # two reduces at once, in two containers: one version
        both = [
            subprocess.Popen(
                [*cluster.compose, "run", "--rm", "-T", "client", "ctm", "reduce", "jobs/d3x2.toml", "--no-progress"],
                cwd=REPO,
                env=cluster.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        said = [p.communicate(timeout=STEP_TIMEOUT)[0] for p in both]
        assert [p.returncode for p in both] == [0, 0], said
        assert sorted("already holds" in out for out in said) == [False, True], said
    finally:
        print(subprocess.run(["docker", "logs", "--tail", "30", worker], capture_output=True, text=True).stderr[-4000:])
        subprocess.run(["docker", "rm", "-f", worker], capture_output=True, timeout=60)
    assert sorted(p.name for p in (data / "tables" / "d3x2-s21").iterdir() if not p.name.startswith(".")) == ["v1"]
    got, shipped = load_manifest(data, "d3x2-s21"), load_manifest(REPO / "data", "d3x2-s21")
    for field in ("row_checksum", "coverage", "halting", "halting_times"):
        assert got[field] == shipped[field], f"{field}: cluster {got[field]!r} != shipped {shipped[field]!r}"
    # the shipped table predates proofs that now decide more machines before the limit
    assert sum(got["nonhalting"].values()) == sum(shipped["nonhalting"].values()), (
        got["nonhalting"],
        shipped["nonhalting"],
    )
