"""What the Docker tests share: finding Docker and Compose (skip without them, fail under
CI=true), running their commands with the tail of the output in every failure, and the
one image every test of the session runs: built by the README's own commands from a fresh
checkout (``readme_image``, a session fixture registered in conftest.py).

The README's sequence prepares its inputs itself (``docker/prepare-offline.sh``): the
base image is built once per machine (its tag is a hash of its inputs), and the
dependency wheels are kept between sessions in CACHE, so a warm session builds only the
project's wheel and the image's last layers.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
CLUSTER_DOCS = REPO / "docs" / "cluster.md"
"""The cluster's page: its offline build is the sequence the Docker tests run."""
IMAGE = os.environ.get("CTM_TEST_IMAGE") or "ctm-pipeline:e2e"
"""The session's image; kept after it, as the next session's build cache (CTM_TEST_IMAGE
names another, e.g. for sessions of several checkouts at once, each with its own
CTM_TEST_CACHE)."""
CACHE = Path(os.environ.get("CTM_TEST_CACHE") or Path.home() / ".cache" / "ctm-pipeline-tests")
"""Per machine: the dependency wheels of the last session's wheelhouse."""
SETTINGS = (
    "CTM_BASE_IMAGE",
    "CTM_WHEELS",
    "CTM_IMAGE",
    "PYTHON",
    "VIRTUAL_ENV",
    "COMPOSE_FILE",
    "COMPOSE_PROJECT_NAME",
    "PIP_REQUIRE_VIRTUALENV",
)
"""What the README's sequence must set by itself, or must not find."""
BUILD_TIMEOUT = 1800


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
        if (
            shutil.which(candidate[0])
            and subprocess.run([*candidate, "version"], capture_output=True, timeout=60).returncode == 0
        ):
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


def need_debian() -> None:
    """Skip (fail under CI=true) where docker/build-base-image.sh cannot work: a host that
    is not Debian, unless CTM_DEBIAN_RELEASE and CTM_DEBIAN_MIRROR say what to bootstrap."""
    if os.environ.get("CTM_DEBIAN_RELEASE") and os.environ.get("CTM_DEBIAN_MIRROR"):
        return
    try:
        release = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
    except OSError:
        release = {}
    if release.get("ID", "").strip('"') != "debian":
        unavailable(
            f"not a Debian host ({release.get('PRETTY_NAME', 'no /etc/os-release').strip(chr(34))}): "
            "the offline base image needs CTM_DEBIAN_RELEASE and CTM_DEBIAN_MIRROR"
        )


def check(result: subprocess.CompletedProcess, what: str) -> str:
    """``result``'s stdout, or an AssertionError with the tail of both streams."""
    assert result.returncode == 0, (
        f"{what} failed (exit {result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )
    return result.stdout


def docker(*args: str, timeout: float = 120) -> str:
    """Run ``docker ARGS``; its stdout."""
    return check(
        subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout), f"docker {args[0]}"
    )


def container_user() -> tuple[int, int]:
    """The uid and gid the test's containers run as (CTM_UID, CTM_GID): the test's own
    user, or 1000:1000 (the compose default) when the test runs as root."""
    return (1000, 1000) if os.geteuid() == 0 else (os.getuid(), os.getgid())


def data_folder(path: Path) -> Path:
    """``path`` created as a host data folder the containers' user owns."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(path, *container_user())
    return path


def console_block(heading: str, page: Path = README) -> list[str]:
    """The lines of the first ```console block after ``heading`` in ``page`` (README.md)."""
    text = page.read_text(encoding="utf-8")
    found = re.search(rf"^{re.escape(heading)}\n.*?```console\n(.*?)```", text, re.S | re.M)
    assert found, f"{page.name} has no console block under {heading!r}"
    return found.group(1).strip().splitlines()


def readme_sequence(compose: list[str]) -> list[str]:
    """The install command and the offline build, as the README writes them."""
    install = [step for step in console_block("## Set up")[0].split(" && ") if not re.search(r"\bctm run\b", step)]
    offline = [
        re.sub(r"\s+# .*$", "", line.removeprefix("$ "))
        for line in console_block("## Building without a registry", CLUSTER_DOCS)
    ]
    # the README: `docker compose` can be replaced by `docker-compose` word for word
    return [" && ".join(install)] + [re.sub(r"^docker compose\b", " ".join(compose), line) for line in offline]


def checkout_files() -> list[str]:
    """Paths, relative to the repository, of the files git would commit from this working
    tree: tracked ones and untracked ones it does not ignore."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return [name for name in listed.stdout.decode().split("\0") if name]


def fresh_checkout(dest: Path) -> None:
    """The files git would commit from this working tree, nothing it ignores (no venv,
    wheelhouse, data or build output): what a fresh clone of it holds."""
    for name in checkout_files():
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def sources_hash() -> str:
    """SHA-256 over the name and bytes of every file a fresh checkout holds (what
    ``fresh_checkout`` copies) but the tests and docs, which the README's install and
    build do not read (docs/cluster.md, whose offline build they run, excepted): equal
    hashes, equal inputs to the README's build."""
    import hashlib

    digest = hashlib.sha256()
    for name in sorted(checkout_files()):
        if (REPO / name).is_file() and (not name.startswith(("tests/", "docs/")) or name == "docs/cluster.md"):
            digest.update(name.encode() + b"\0" + hashlib.sha256((REPO / name).read_bytes()).digest())
    return digest.hexdigest()


@dataclass
class ReadmeBuild:
    """What the README's install and offline build did in a fresh checkout."""

    image: str
    """The image it built (CTM_IMAGE)."""
    steps: list[str]
    """The commands, as read from README.md."""
    exported: list[str]
    """CTM_BASE_IMAGE and CTM_WHEELS as the sequence left them."""
    fresh: bool
    """The checkout had no virtual environment and no wheelhouse of its own."""
    seconds: float
    stderr: str
    sources: str = ""
    """``sources_hash()`` of the working tree it was built from."""
    image_id: str = ""
    """The image's id right after the build."""
    reused: bool = False
    """This session found the image of the same sources built by an earlier one."""


def _keep_wheels(source: Path) -> None:
    """Copy the dependency wheels of ``source`` into CACHE (the next session's seed)."""
    if source.is_dir():
        (CACHE / "deps").mkdir(parents=True, exist_ok=True)
        for wheel in source.glob("*.whl"):
            if not (CACHE / "deps" / wheel.name).exists():
                shutil.copy2(wheel, CACHE / "deps" / wheel.name)


@pytest.fixture(scope="session")
def readme_image(tmp_path_factory) -> ReadmeBuild:
    """The session's image, built by the README's own commands in a fresh copy of the
    working tree: the set-up's install (a new .venv), then its offline sequence
    (`eval "$(docker/prepare-offline.sh)"`, `docker compose build`), under CTM_IMAGE=IMAGE.

    The build is recorded in CACHE (sources hash, image id, what the sequence said); a
    later session whose working tree has the same hash, finding IMAGE still that image,
    reuses it and the record (CTM_TEST_REBUILD=1 builds anyway). The dependency wheels of
    an earlier build seed the copy's wheelhouse, as a user's own wheelhouse would after
    the first build; the project's wheel is always built anew. Skips (fails under
    CI=true) without an engine, Compose or a Debian host.
    """
    import json
    from dataclasses import asdict

    need_engine()
    compose = need_compose()
    need_debian()
    record, sources = CACHE / "readme-build.json", sources_hash()
    if record.is_file() and not os.environ.get("CTM_TEST_REBUILD"):
        earlier = ReadmeBuild(**json.loads(record.read_text()))
        now = subprocess.run(
            ["docker", "image", "inspect", "-f", "{{.Id}}", IMAGE], capture_output=True, text=True, timeout=60
        ).stdout.strip()
        if earlier.sources == sources and earlier.image_id == now and earlier.steps == readme_sequence(compose):
            earlier.reused = True
            return earlier
    checkout = tmp_path_factory.mktemp("fresh") / "ctm-pipeline"
    fresh_checkout(checkout)
    fresh = not (checkout / ".venv").exists() and not (checkout / "docker" / "wheelhouse").exists()
    if (CACHE / "deps").is_dir():
        shutil.copytree(CACHE / "deps", checkout / "docker" / "wheelhouse" / "deps")
    steps = readme_sequence(compose)
    # after the README's steps, say what they exported: the build must have used them
    script = "set -euo pipefail\n" + "\n".join(steps) + '\necho "exported: ${CTM_BASE_IMAGE:-} ${CTM_WHEELS:-}"\n'
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS} | {
        "CTM_IMAGE": IMAGE,
        "COMPOSE_PROJECT_NAME": f"ctm-fresh-{uuid.uuid4().hex[:10]}",
    }
    began = time.monotonic()
    result = subprocess.run(
        ["bash", "-c", script], cwd=checkout, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT
    )
    out = check(result, "the README's install and offline build")
    _keep_wheels(checkout / "docker" / "wheelhouse" / "deps")
    built = ReadmeBuild(
        IMAGE,
        steps,
        out.strip().splitlines()[-1].split(),
        fresh,
        time.monotonic() - began,
        result.stderr[-6000:],
        sources,
        docker("image", "inspect", "-f", "{{.Id}}", IMAGE).strip(),
    )
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(asdict(built)))
    return built


ISOLATE = (
    "CTM_IMAGE",
    "CTM_UID",
    "CTM_GID",
    "CTM_CERTS",
    "CTM_BIND_ADDRESS",
    "CTM_SCHEDULER_PORT",
    "CTM_DASHBOARD_PORT",
    "CTM_WORKER_CONTAINERS",
    "CTM_WORKER_PROCESSES",
    "CTM_DATA_VOLUME",
    "COMPOSE_FILE",
    "COMPOSE_PROFILES",
    "COMPOSE_PROJECT_NAME",
    "DASK_SCHEDULER_ADDRESS",
    "CTM_DATA_DIR",
)
"""Settings of the user's own cluster that must not leak into the test's."""
