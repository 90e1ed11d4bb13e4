"""What the Docker tests share: finding Docker and Compose (skip without them, fail under
CI=true), and running their commands with the tail of the output in every failure."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


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


def need_compose() -> list[str]:
    """The compose command, or skip (fail under CI=true) without one."""
    compose = compose_command()
    if compose is None:
        unavailable("neither `docker compose` nor `docker-compose` works here")
    return compose


def need_engine() -> None:
    """Skip (fail under CI=true) without a Docker engine."""
    if shutil.which("docker") is None:
        unavailable("no `docker` command on this machine")
    if subprocess.run(["docker", "info"], capture_output=True, timeout=60).returncode != 0:
        unavailable("no Docker engine answers `docker info`")


def check(result: subprocess.CompletedProcess, what: str) -> str:
    """``result``'s stdout, or an AssertionError with the tail of both streams."""
    assert result.returncode == 0, (
        f"{what} failed (exit {result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )
    return result.stdout


def docker(*args: str, timeout: float = 120) -> str:
    """Run ``docker ARGS``; its stdout."""
    return check(subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout), f"docker {args[0]}")
