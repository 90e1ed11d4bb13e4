"""docker-compose.yml as Compose reads it (`compose config`, no engine needed): ports on
loopback unless asked, one build for every service and no pull, services that restart,
two worker containers, the data in a host folder and no named volume; and .dockerignore
as the engine applies it (a throwaway image of the build context, no base image)."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest
import yaml
from dockertools import REPO, check, docker, need_compose, need_engine

pytestmark = pytest.mark.docker

SETTINGS = ("CTM_BIND_ADDRESS", "CTM_SCHEDULER_PORT", "CTM_DASHBOARD_PORT", "CTM_WORKER_CONTAINERS",
            "CTM_WORKER_PROCESSES", "CTM_DATA_VOLUME", "CTM_IMAGE", "COMPOSE_FILE", "COMPOSE_PROFILES")


def config(**settings: str) -> dict:
    """The compose file as Compose resolves it, with ``settings`` as the only CTM_* variables."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS} | settings
    result = subprocess.run([*need_compose(), "-p", "ctm-config-test", "config"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    return yaml.safe_load(check(result, "compose config"))


def host_addresses(service: dict) -> list[str]:
    """Host address of each published port, in either form Compose prints them."""
    out = []
    for port in service.get("ports", []):
        if isinstance(port, dict):   # the `docker compose` plugin's long form
            out.append(port.get("host_ip", ""))
        else:                        # docker-compose 1.x: HOST_IP:PUBLISHED:TARGET/PROTO
            parts = str(port).split(":")
            out.append(":".join(parts[:-2]) if len(parts) > 2 else "")
    return out


def test_ports_are_published_on_loopback_unless_an_address_is_set():
    default = config()["services"]
    assert host_addresses(default["scheduler"]) == ["127.0.0.1", "127.0.0.1"]
    assert not any(host_addresses(s) for name, s in default.items() if name != "scheduler")
    chosen = config(CTM_BIND_ADDRESS="0.0.0.0", CTM_SCHEDULER_PORT="9786")["services"]["scheduler"]
    assert host_addresses(chosen) == ["0.0.0.0", "0.0.0.0"]
    assert any("9786" in str(port) for port in chosen["ports"])


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


def test_data_is_a_host_folder_and_no_named_volume_is_declared(tmp_path):
    for settings, folder in (({}, REPO / "cluster-data"), ({"CTM_DATA_VOLUME": str(tmp_path)}, tmp_path)):
        resolved = config(**settings)
        assert not resolved.get("volumes"), f"named volumes declared: {resolved.get('volumes')}"
        for name, service in resolved["services"].items():
            mounts = [str(v) if not isinstance(v, dict) else f"{v['source']}:{v['target']}" for v in service["volumes"]]
            assert any(m.startswith(f"{folder}:/data") for m in mounts), (name, mounts)


def test_dockerignore_keeps_data_and_virtual_environments_out(tmp_path):
    """The repository's .dockerignore on a sample tree, as the engine sends the context."""
    need_engine()
    sent = ["pipeline/cli.py", "jobs/d5x2.toml", "docker/wheelhouse/deps/x.whl",
            "data/tables/d5x2-s500/v1/manifest.json", "data/tables/d2x2-s6/v1/table.parquet"]
    kept = ["data/partials/abc/000001.parquet", "data/tables/d5x2-s500/v2/manifest.json",
            "data/tables/d9x2-s9/v1/manifest.json", "cluster-data/tables/d5x2-s500/v1/manifest.json",
            ".venv/bin/python", ".venv-other/bin/python", "venv/bin/python", "examples/.venv/x",
            "tests/test_x.py", ".git/HEAD", "pipeline/__pycache__/x.pyc"]
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
        files = {m.name.removeprefix("context/") for m in tar.getmembers() if m.isfile() and m.name.startswith("context/")}
    assert set(sent) <= files, f"left out of the build: {sorted(set(sent) - files)}"
    assert not files & set(kept), f"sent to the engine: {sorted(files & set(kept))}"
