"""The README's own commands build the image on a host with no registry: from a fresh
checkout and a fresh virtual environment, its install command, then its offline sequence
(`eval "$(docker/prepare-offline.sh)"`, `docker compose build`), nothing else installed.

The commands are read from README.md itself, so the test follows the README; the build
is the session's shared one (``dockertools.readme_image``), which the compose tests run. The set-up
line's last step (`ctm run jobs/d5x2.toml`, a minute of counting) is left out: the image
does not depend on it. And the offline script, when it cannot work, says so and exports
nothing.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from dockertools import REPO, SETTINGS, docker


@pytest.mark.docker
@pytest.mark.slow
def test_readme_commands_build_the_image_from_a_fresh_checkout(readme_image):
    assert readme_image.fresh, "the copy of the working tree should hold no .venv and no wheelhouse"
    steps = readme_image.steps
    assert steps[0] == 'python3 -m venv .venv && .venv/bin/pip install -e ".[test]"', steps
    assert any("prepare-offline.sh" in step for step in steps) and steps[-1].endswith(" build"), steps
    exported = readme_image.exported
    assert exported[0] == "exported:" and exported[1].startswith("ctm-base:") and exported[2:] == ["wheelhouse"], (
        f"the offline settings were not exported: {exported}\n{readme_image.stderr[-3000:]}"
    )
    assert docker("run", "--rm", readme_image.image, "ctm", "--version").startswith("ctm, version")
    assert docker("run", "--rm", readme_image.image, "id", "-u").strip() != "0", "the image's default user is root"


def test_offline_script_without_build_tools_fails_loudly_and_exports_nothing(tmp_path):
    """A Python without the wheelhouse's build tools (the issue's `No module named 'Cython'`)."""
    bare = tmp_path / "bare"
    subprocess.run(["python3", "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS} | {"PYTHON": str(bare / "bin" / "python")}
    result = subprocess.run(
        [str(REPO / "docker" / "prepare-offline.sh")], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and result.stdout == "", result
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"build-wheelhouse: {bare}/bin/python lacks ") and "Cython" in lines[0], lines
    assert '.venv/bin/pip install -e ".[test]"' in lines[0], lines
    assert lines[-1].startswith("prepare-offline: checking the build tools") and "nothing exported" in lines[-1], lines


@pytest.mark.docker
@pytest.mark.slow
def test_the_image_carries_every_shipped_table(readme_image):
    """`ctm tables` in the image lists each shipped version with its manifest's row checksum
    (before: an image built with CTM_WHEELS=pypi had 4 of the 16; .dockerignore, checked in
    tests/test_compose_config.py, now sends them all to either build)."""
    from pipeline.tables import list_tables

    script = (
        "import json; from pipeline.tables import list_tables, shipped_root; "
        "print(json.dumps({f'{i.table}/v{i.version}': i.manifest.get('row_checksum') for i in list_tables(shipped_root())}))"
    )
    inside = json.loads(docker("run", "--rm", readme_image.image, "python", "-c", script).strip().splitlines()[-1])
    here = {f"{i.table}/v{i.version}": i.manifest.get("row_checksum") for i in list_tables(REPO / "data")}
    assert inside == here and len(here) == 16, sorted(set(here) ^ set(inside))
    listed = docker("run", "--rm", readme_image.image, "ctm", "tables").strip().splitlines()
    assert sorted(f"{line.split()[0]}/{line.split()[1]}" for line in listed) == sorted(here), listed
    assert all(line.split()[2] == "shipped" for line in listed), listed
