"""docker-compose.yml as Compose reads it (`compose config`, no engine needed): only the
dashboard published, on loopback unless asked, and the scheduler's port only with
docker-compose.tls.yml; TLS with client certificates for every service that talks to the
scheduler, by default too, from a volume a one-shot `certs` service fills; no root, no capability, no new privilege, a read-only root file
system; one build for every service and no pull, services that restart, two worker
containers, the data in a named volume unless a host folder is named, mounted by the
client and the calculator only (the scheduler and the workers mount only the
certificates); and .dockerignore
as the engine applies it (a throwaway image of the build context, no base image), which
sends every shipped table."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest
import yaml
from dockertools import REPO, check, docker, need_compose, need_engine

pytestmark = pytest.mark.docker

SETTINGS = (
    "CTM_BIND_ADDRESS",
    "CTM_SCHEDULER_PORT",
    "CTM_DASHBOARD_PORT",
    "CTM_WORKER_CONTAINERS",
    "CTM_WORKER_PROCESSES",
    "CTM_DATA_VOLUME",
    "CTM_IMAGE",
    "CTM_UID",
    "CTM_GID",
    "CTM_CERTS",
    "COMPOSE_FILE",
    "COMPOSE_PROFILES",
)


def config(*files: str, **settings: str) -> dict:
    """The compose file (and ``files`` over it) as Compose resolves it, with ``settings`` as
    the only CTM_* variables."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS} | settings
    chosen = [a for f in ("docker-compose.yml", *files) for a in ("-f", f)]
    result = subprocess.run(
        [*need_compose(), "-p", "ctm-config-test", *chosen, "config"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return yaml.safe_load(check(result, "compose config"))


def host_addresses(service: dict) -> list[str]:
    """Host address of each published port, in either form Compose prints them."""
    out = []
    for port in service.get("ports", []):
        if isinstance(port, dict):  # the `docker compose` plugin's long form
            out.append(port.get("host_ip", ""))
        else:  # docker-compose 1.x: HOST_IP:PUBLISHED:TARGET/PROTO
            parts = str(port).split(":")
            out.append(":".join(parts[:-2]) if len(parts) > 2 else "")
    return out


def ports(service: dict) -> list[str]:
    """Container port of each published port."""
    return [
        str(p["target"]) if isinstance(p, dict) else str(p).split(":")[-1].split("/")[0]
        for p in service.get("ports", [])
    ]


def mounts(service: dict) -> list[tuple[str, str, bool]]:
    """(source, target, read-only) of each volume, in either form Compose prints them."""
    out = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):  # the `docker compose` plugin's long form
            out.append((str(volume["source"]), volume["target"], bool(volume.get("read_only"))))
        else:  # docker-compose 1.x: SOURCE:TARGET:MODE
            source, target, *mode = str(volume).split(":")
            out.append((source, target, mode == ["ro"]))
    return out


TALKS_TO_THE_SCHEDULER = ("scheduler", "worker", "client")
"""The services that connect to the scheduler (or are it); the calculator only reads /data."""


def check_tls(services: dict, certs: str) -> None:
    """Every service that talks to the scheduler uses TLS, requires it, and reads the
    certificates read-only from ``certs`` at /certs; the others have none."""
    command = services["scheduler"]["command"]
    assert command[command.index("--protocol") + 1] == "tls", command
    assert [command[command.index(option) + 1] for option in ("--tls-ca-file", "--tls-cert", "--tls-key")] == [
        "/certs/ca.pem",
        "/certs/scheduler.pem",
        "/certs/scheduler.key",
    ], command
    for name in TALKS_TO_THE_SCHEDULER:
        env = services[name]["environment"]
        assert env["DASK_SCHEDULER_ADDRESS"] == "tls://scheduler:8786", name
        assert str(env["DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION"]).lower() == "true", name
        assert env["CTM_TLS_CA_FILE"] == env["DASK_DISTRIBUTED__COMM__TLS__CA_FILE"] == "/certs/ca.pem", name
        for role in ("scheduler", "worker", "client"):
            assert env[f"DASK_DISTRIBUTED__COMM__TLS__{role.upper()}__CERT"] == f"/certs/{role}.pem", name
            assert env[f"DASK_DISTRIBUTED__COMM__TLS__{role.upper()}__KEY"] == f"/certs/{role}.key", name
        assert (env["CTM_TLS_CERT"], env["CTM_TLS_KEY"]) == ("/certs/client.pem", "/certs/client.key"), name
        assert [m for m in mounts(services[name]) if m[1] == "/certs"] == [(certs, "/certs", True)], name
        assert services[name]["depends_on"]["certs"]["condition"] == "service_completed_successfully", name
    for name, service in services.items():
        if name not in TALKS_TO_THE_SCHEDULER:
            assert not any(k.startswith("DASK_") for k in service.get("environment", {})), name
    calculator = services["calculator"]
    assert not any(target == "/certs" for _, target, _ in mounts(calculator)) and not calculator.get("depends_on")


def test_every_connection_to_the_scheduler_is_tls_with_certificates_from_a_volume_by_default():
    resolved = config()
    check_tls(resolved["services"], "ctm-certs")
    assert "ctm-certs" in resolved["volumes"]
    certs = resolved["services"]["certs"]
    # the one-shot that makes them: the only writer of the volume, no data, no restart, no port
    assert mounts(certs) == [("ctm-certs", "/certs", False)], mounts(certs)
    assert certs.get("restart", "no") == "no" and not certs.get("ports") and not certs.get("depends_on")
    script = certs["command"][-1]
    assert "ctm certs /certs" in script and "rm -f /certs/ca.key" in script, script


def test_only_the_dashboard_is_published_on_loopback_unless_an_address_is_set():
    default = config()["services"]
    assert ports(default["scheduler"]) == ["8787"] and host_addresses(default["scheduler"]) == ["127.0.0.1"]
    # the calculator (its own profile) publishes its page on loopback too, nothing else does
    assert ports(default["calculator"]) == ["8000"] and host_addresses(default["calculator"]) == ["127.0.0.1"]
    assert not any(host_addresses(s) for name, s in default.items() if name not in ("scheduler", "calculator"))
    chosen = config(CTM_BIND_ADDRESS="0.0.0.0", CTM_DASHBOARD_PORT="9787")["services"]["scheduler"]
    assert host_addresses(chosen) == ["0.0.0.0"] and any("9787" in str(port) for port in chosen["ports"])


def test_the_scheduler_port_is_published_only_with_tls_and_client_certificates(tmp_path):
    services = config("docker-compose.tls.yml", CTM_CERTS=str(tmp_path), CTM_SCHEDULER_PORT="9786")["services"]
    scheduler = services["scheduler"]
    assert sorted(ports(scheduler)) == ["8786", "8787"] and set(host_addresses(scheduler)) == {"127.0.0.1"}
    assert any("9786" in str(port) for port in scheduler["ports"])
    # the host folder's certificates replace the volume's, and the certs service only checks them
    check_tls(services, str(tmp_path))
    assert mounts(services["certs"]) == [(str(tmp_path), "/certs", True)], mounts(services["certs"])
    script = services["certs"]["command"][-1]
    assert "exit 1" in script and "ctm certs /certs" not in script and "rm -f" not in script, script


def test_no_service_runs_as_root_or_can_gain_a_privilege():
    for settings, user in (({}, "1000:1000"), ({"CTM_UID": "1234", "CTM_GID": "99"}, "1234:99")):
        for name, service in config(**settings)["services"].items():
            assert service["user"] == user, name
            assert service["cap_drop"] == ["ALL"] and not service.get("cap_add"), name
            assert service["security_opt"] == ["no-new-privileges:true"], name
            assert service["read_only"] is True and service["tmpfs"] in (["/tmp"], "/tmp"), name
            assert not service.get("privileged"), name


def test_one_service_builds_and_the_others_never_pull():
    services = config(CTM_IMAGE="ctm-pipeline:config-test")["services"]
    # the first to start builds (docker-compose 1.x makes each service's image in start order)
    assert [name for name, s in services.items() if "build" in s] == ["certs"]
    assert {s["image"] for s in services.values()} == {"ctm-pipeline:config-test"}
    assert all(s.get("pull_policy") == "never" for name, s in services.items() if name != "certs")


def test_scheduler_and_workers_restart_and_two_workers_share_the_cores():
    services = config()["services"]
    assert services["scheduler"]["restart"] == services["worker"]["restart"] == "unless-stopped"
    assert int(services["worker"]["deploy"]["replicas"]) == 2
    assert str(services["worker"]["environment"]["CTM_WORKER_CONTAINERS"]) == "2"
    three = config(CTM_WORKER_CONTAINERS="3")["services"]["worker"]
    assert int(three["deploy"]["replicas"]) == 3 and str(three["environment"]["CTM_WORKER_CONTAINERS"]) == "3"


SEES_THE_DATA = ("client", "calculator")
"""The services that mount the data root: the driver, which writes every partial, and the
calculator, which reads the tables. A task runs on a worker that sees none of it."""


def test_data_is_a_named_volume_unless_a_host_folder_is_named(tmp_path):
    for settings, source in (({}, "ctm-data"), ({"CTM_DATA_VOLUME": str(tmp_path)}, str(tmp_path))):
        resolved = config(**settings)
        assert sorted(resolved.get("volumes") or {}) == ["ctm-certs", "ctm-data"], resolved.get("volumes")
        for name, service in resolved["services"].items():
            data = [m for m in mounts(service) if m[1] == "/data"]
            assert data == ([(source, "/data", False)] if name in SEES_THE_DATA else []), (name, mounts(service))


def test_the_scheduler_and_the_workers_mount_only_the_certificates(tmp_path):
    for files, certs in (((), "ctm-certs"), (("docker-compose.tls.yml",), str(tmp_path))):
        services = config(*files, CTM_CERTS=str(tmp_path), CTM_DATA_VOLUME=str(tmp_path / "data"))["services"]
        for name in ("scheduler", "worker"):
            assert mounts(services[name]) == [(certs, "/certs", True)], (files, name, mounts(services[name]))
            assert "CTM_DATA_DIR" not in services[name]["environment"], (files, name)
        assert services["client"]["environment"]["CTM_DATA_DIR"] == "/data", files


def shipped_tables() -> list[str]:
    """The shipped table versions, as pyproject's data-files lists them: d2x2-s6/v1, ..."""
    import tomllib

    files = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    return sorted(target.removeprefix("share/ctm-pipeline/tables/") for target in files)


def test_every_shipped_table_is_tracked_and_sent_to_the_build():
    shipped = shipped_tables()
    assert shipped == sorted(
        f"{p.parent.name}/{p.name}"
        for p in (REPO / "data" / "tables").glob("*/v*")
        if (REPO / "data" / "tables" / p.parent.name / p.name / "manifest.json").is_file()
        and f"!/data/tables/{p.parent.name}/{p.name}/" in (REPO / ".gitignore").read_text()
    )
    ignore = (REPO / ".dockerignore").read_text().splitlines()
    assert sorted(line.removeprefix("!data/tables/") for line in ignore if line.startswith("!data/tables/")) == shipped


def test_dockerignore_keeps_data_and_virtual_environments_out(tmp_path):
    """The repository's .dockerignore on a sample tree, as the engine sends the context."""
    need_engine()
    sent = [
        "pipeline/cli.py",
        "jobs/d5x2.toml",
        "docker/wheelhouse/deps/x.whl",
        *(f"data/tables/{table}/manifest.json" for table in shipped_tables()),
        "data/tables/d2x2-s6/v1/table.parquet",
        "data/tables/d5x2-nocutoff/v1/late_halts.parquet",
    ]
    kept = [
        "data/partials/abc/000001.parquet",
        "data/tables/d5x2-s500/v2/manifest.json",
        "data/tables/d9x2-s9/v1/manifest.json",
        "cluster-data/tables/d5x2-s500/v1/manifest.json",
        ".venv/bin/python",
        ".venv-other/bin/python",
        "venv/bin/python",
        "examples/.venv/x",
        "tests/test_x.py",
        ".git/HEAD",
        "pipeline/__pycache__/x.pyc",
        "certs/client.key",
        "certs/ca.key",
    ]
    for path in sent + kept:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(path)
    (tmp_path / ".dockerignore").write_bytes((REPO / ".dockerignore").read_bytes())
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY . /context/\n")
    tag = f"ctm-dockerignore-test:{uuid.uuid4().hex[:10]}"
    docker("build", "-q", "-t", tag, str(tmp_path))
    try:
        container = docker("create", tag, "none").strip()
        try:
            listing = subprocess.run(["docker", "export", container], capture_output=True, timeout=60).stdout
        finally:
            docker("rm", container)
    finally:
        docker("rmi", tag)
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(listing)) as tar:
        files = {
            m.name.removeprefix("context/") for m in tar.getmembers() if m.isfile() and m.name.startswith("context/")
        }
    assert set(sent) <= files, f"left out of the build: {sorted(set(sent) - files)}"
    assert not files & set(kept), f"sent to the engine: {sorted(files & set(kept))}"
