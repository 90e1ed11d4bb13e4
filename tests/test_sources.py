"""Which data root a table version comes from: a version computed into a data root and a
shipped one can share name and version (the cluster's first reduce is v1 too), so
`ctm tables` and `ctm query` name the source of each: ``shipped`` or the data root."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from click.testing import CliRunner
from toytable import TOY, write_table

from pipeline.cli import main
from pipeline.tables import SHIPPED_VERSIONS, shipped_root, source_of

REPO = Path(__file__).resolve().parent.parent
NAME = "d5x2-s500"
"""The default binary table: shipped as v1, and here also computed as v1 into a data root."""


def test_tables_and_query_tell_two_v1_apart(tmp_path):
    write_table(tmp_path, NAME, TOY)
    runner = CliRunner()
    listing = runner.invoke(main, ["tables", "--data-dir", str(tmp_path)])
    assert listing.exit_code == 0, listing.output
    sources = [line.split()[2] for line in listing.stdout.splitlines() if line.split()[:2] == [NAME, "v1"]]
    assert sources == [str(tmp_path), "shipped"], listing.stdout

    mine = runner.invoke(main, ["query", "--data-dir", str(tmp_path), "0"])
    assert mine.exit_code == 0 and mine.stdout.rstrip().endswith(f"({NAME} v1, {tmp_path.resolve()})"), mine.output
    shipped = runner.invoke(main, ["query", "--data-dir", str(tmp_path / "empty"), "--json", "0101101"])
    (record,) = json.loads(shipped.stdout)
    assert (record["table"], record["version"], record["source"]) == (NAME, 1, "shipped")
    line = runner.invoke(main, ["query", "--data-dir", str(tmp_path / "empty"), "0101101"]).stdout
    assert line.rstrip().endswith(f"({NAME} v1, shipped)"), line


def test_only_the_shipped_versions_are_called_shipped():
    """In a checkout the user's versions sit beside the shipped ones in data/."""
    tables = shipped_root() / "tables"
    assert source_of(tables / NAME / "v1") == "shipped"
    assert source_of(tables / NAME / "v2") == str(shipped_root())
    assert source_of(tables / "d6x2-s100" / "v1") == str(shipped_root())


def test_shipped_versions_are_the_packaged_ones():
    """SHIPPED_VERSIONS names exactly the versions pyproject.toml installs with a wheel."""
    files = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    packaged = {(Path(key).parent.name, int(Path(key).name[1:])) for key in files if "/tables/" in key}
    assert packaged == SHIPPED_VERSIONS
    assert all((REPO / "data" / "tables" / t / f"v{v}" / "manifest.json").is_file() for t, v in SHIPPED_VERSIONS)
