"""docker-compose.yml as Compose reads it (`compose config`, no engine needed): only the
dashboard published, on loopback unless asked, and the scheduler's port only with TLS
(docker-compose.tls.yml); no root, no capability, no new privilege, a read-only root file
system; one build for every service and no pull, services that restart, two worker
containers, the data in a named volume unless a host folder is named; and .dockerignore
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
    command = scheduler["command"]
    assert command[command.index("--protocol") + 1] == "tls" and "--tls-ca-file" in command
    assert "DASK_SCHEDULER_ADDRESS" not in services["calculator"]["environment"]  # it only reads /data
    for name, service in services.items():
        if name == "calculator":
            continue
        env = service["environment"]
        assert env["DASK_SCHEDULER_ADDRESS"] == "tls://scheduler:8786", name
        assert str(env["DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION"]).lower() == "true", name
        assert env["CTM_TLS_CA_FILE"] == env["DASK_DISTRIBUTED__COMM__TLS__CA_FILE"] == "/certs/ca.pem", name
        mounts = [str(v) if not isinstance(v, dict) else f"{v['source']}:{v['target']}" for v in service["volumes"]]
        assert any(m.startswith(f"{tmp_path}:/certs") for m in mounts), (name, mounts)


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
    assert [name for name, s in services.items() if "build" in s] == ["scheduler"]
    assert {s["image"] for s in services.values()} == {"ctm-pipeline:config-test"}
    assert all(s.get("pull_policy") == "never" for name, s in services.items() if name != "scheduler")


def test_scheduler_and_workers_restart_and_two_workers_share_the_cores():
    services = config()["services"]
    assert services["scheduler"]["restart"] == services["worker"]["restart"] == "unless-stopped"
    assert int(services["worker"]["deploy"]["replicas"]) == 2
    assert str(services["worker"]["environment"]["CTM_WORKER_CONTAINERS"]) == "2"
    three = config(CTM_WORKER_CONTAINERS="3")["services"]["worker"]
    assert int(three["deploy"]["replicas"]) == 3 and str(three["environment"]["CTM_WORKER_CONTAINERS"]) == "3"


def test_data_is_a_named_volume_unless_a_host_folder_is_named(tmp_path):
    for settings, source in (({}, "ctm-data"), ({"CTM_DATA_VOLUME": str(tmp_path)}, str(tmp_path))):
        resolved = config(**settings)
        assert list(resolved.get("volumes") or {}) == ["ctm-data"], resolved.get("volumes")
        for name, service in resolved["services"].items():
            mounts = [str(v) if not isinstance(v, dict) else f"{v['source']}:{v['target']}" for v in service["volumes"]]
            assert any(m.startswith(f"{source}:/data") for m in mounts), (name, mounts)


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
