"""The README's own commands build the image on a host with no registry: from a fresh
checkout and a fresh virtual environment, its install command, then its offline sequence
(`eval "$(docker/prepare-offline.sh)"`, `docker compose build`), nothing else installed.

The commands are read from README.md itself, so the test follows the README. The set-up
line's last step (`ctm run jobs/d5x2.toml`, a minute of counting) is left out: the image
does not depend on it. And the offline script, when it cannot work, says so and exports
nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid

import pytest
from dockertools import REPO, check, docker, need_compose, need_engine

README = REPO / "README.md"
IMAGE = "ctm-pipeline:e2e-fresh"
"""Kept after the test, as the next run's build cache."""
SETTINGS = ("CTM_BASE_IMAGE", "CTM_WHEELS", "CTM_IMAGE", "PYTHON", "VIRTUAL_ENV", "COMPOSE_FILE",
            "COMPOSE_PROJECT_NAME", "PIP_REQUIRE_VIRTUALENV")
"""What the README's sequence must set by itself, or must not find."""


def console_block(heading: str) -> list[str]:
    """The lines of the first ```console block after ``heading`` in README.md."""
    text = README.read_text(encoding="utf-8")
    found = re.search(rf"^{re.escape(heading)}\n.*?```console\n(.*?)```", text, re.S | re.M)
    assert found, f"README.md has no console block under {heading!r}"
    return found.group(1).strip().splitlines()


def readme_sequence(compose: list[str]) -> list[str]:
    """The install command and the offline build, as the README writes them."""
    install = [step for step in console_block("## Set up")[0].split(" && ") if not re.search(r"\bctm run\b", step)]
    offline = [re.sub(r"\s+# .*$", "", line.removeprefix("$ ")) for line in console_block("### Building without a registry")]
    # the README: `docker compose` can be replaced by `docker-compose` word for word
    return [" && ".join(install)] + [re.sub(r"^docker compose\b", " ".join(compose), line) for line in offline]


def fresh_checkout(dest) -> None:
    """The files git would commit from this working tree, nothing it ignores (no venv,
    wheelhouse, data or build output): what a fresh clone of it holds."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True, timeout=60).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


@pytest.mark.docker
@pytest.mark.slow
def test_readme_commands_build_the_image_from_a_fresh_checkout(tmp_path):
    need_engine()
    compose = need_compose()
    checkout = tmp_path / "ctm-pipeline"
    fresh_checkout(checkout)
    assert not (checkout / ".venv").exists() and not (checkout / "docker" / "wheelhouse").exists()
    steps = readme_sequence(compose)
    assert steps[0] == 'python3 -m venv .venv && .venv/bin/pip install -e ".[test]"', steps
    assert any("prepare-offline.sh" in step for step in steps) and steps[-1].endswith(" build"), steps
    # after the README's steps, say what they exported: the build must have used them
    script = "set -euo pipefail\n" + "\n".join(steps) + '\necho "exported: ${CTM_BASE_IMAGE:-} ${CTM_WHEELS:-}"\n'
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS} | {
        "CTM_IMAGE": IMAGE, "COMPOSE_PROJECT_NAME": f"ctm-fresh-{uuid.uuid4().hex[:10]}",
    }
    result = subprocess.run(["bash", "-c", script], cwd=checkout, env=env, capture_output=True, text=True,
                            timeout=1800)
    out = check(result, "the README's install and offline build")
    exported = out.strip().splitlines()[-1].split()
    assert exported[0] == "exported:" and exported[1].startswith("ctm-base:") and exported[2:] == ["wheelhouse"], (
        f"the offline settings were not exported: {exported}\n{result.stderr[-3000:]}"
    )
    assert docker("run", "--rm", IMAGE, "ctm", "--version").startswith("ctm, version")


def test_offline_script_without_build_tools_fails_loudly_and_exports_nothing(tmp_path):
    """A Python without the wheelhouse's build tools (the issue's `No module named 'Cython'`)."""
    bare = tmp_path / "bare"
    subprocess.run(["python3", "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS} | {"PYTHON": str(bare / "bin" / "python")}
    result = subprocess.run([str(REPO / "docker" / "prepare-offline.sh")], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0 and result.stdout == "", result
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"build-wheelhouse: {bare}/bin/python lacks ") and "Cython" in lines[0], lines
    assert '.venv/bin/pip install -e ".[test]"' in lines[0], lines
    assert lines[-1].startswith("prepare-offline: checking the build tools") and "nothing exported" in lines[-1], lines
