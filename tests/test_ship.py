"""``ctm ship`` copies a table's short outputs a row group at a time: the rows kept are
the source's own (same order, D and K), the checksums are those of the rows in memory,
and files beside the table travel whole."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.ship import kept_rows, ship
from pipeline.tables import list_tables, load_manifest, load_table, row_checksum, shipped_root

JOBS = Path(__file__).resolve().parent.parent / "jobs"


def test_ship_keeps_the_short_rows_of_a_2d_table(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(shipped_root() / "tables" / "d4x2-2d-s2000", source / "tables" / "d4x2-2d-s2000")
    args = ["ship", str(JOBS / "d4x2-2d.toml"), "--from", str(source), "--to", str(tmp_path / "to")]
    result = CliRunner().invoke(main, [*args, "--max-length", "3", "--memory", "256MiB"])
    assert result.exit_code == 0, result.output
    whole, copy = load_table(source, "d4x2-2d-s2000"), load_table(tmp_path / "to", "d4x2-2d-s2000")
    assert copy.equals(kept_rows(whole, 2, 3)) and 0 < copy.num_rows < whole.num_rows
    manifest = load_manifest(tmp_path / "to", "d4x2-2d-s2000")
    assert manifest["row_checksum"] == row_checksum(copy["string"], copy["count"])
    subset = manifest["subset"]
    assert (
        (subset["rows"], subset["rows_of_source"])
        == (copy.num_rows, whole.num_rows)
        == (manifest["strings"], whole.num_rows)
    )
    assert subset["row_checksum_of_source"] == row_checksum(whole["string"], whole["count"])
    assert subset["of"]["row_checksum"] == subset["row_checksum_of_source"]
    assert f"({copy.num_rows} of {whole.num_rows} rows of d4x2-2d-s2000 v1)" in result.output
    assert not (tmp_path / "to" / ".tmp").exists()


def test_ship_carries_the_late_halts_whole(tmp_path):
    info = next(i for i in list_tables(shipped_root()) if i.table == "d2x4-nocutoff")
    copy = ship(info, tmp_path, 4)
    for name in info.manifest["files"]:
        if name != "table.parquet":
            assert pq.read_table(copy.path / name).equals(pq.read_table(info.path / name))
    whole = load_table(shipped_root(), "d2x4-nocutoff")
    assert load_table(tmp_path, "d2x4-nocutoff").equals(kept_rows(whole, 1, 4))


def _weight(root: Path, table: str) -> int:
    (info,) = [i for i in list_tables(root) if i.table == table and i.source != "shipped"]
    return sum(p.stat().st_size for p in info.path.iterdir() if p.is_file())


def test_fit_ships_the_longest_outputs_that_fit(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(shipped_root() / "tables" / "d4x2-s107", source / "tables" / "d4x2-s107")
    budget = 12_000
    args = ["ship", str(JOBS / "d4x2.toml"), "--from", str(source), "--memory", "256MiB"]
    result = CliRunner().invoke(main, [*args, "--to", str(tmp_path / "to"), "--fit", f"{budget}B"])
    assert result.exit_code == 0, result.output
    length = load_manifest(tmp_path / "to", "d4x2-s107")["subset"]["max_length"]
    assert _weight(tmp_path / "to", "d4x2-s107") <= budget
    # one symbol more does not fit, and the copy holds every row up to its length
    more = CliRunner().invoke(main, [*args, "--to", str(tmp_path / "more"), "--max-length", str(length + 1)])
    assert more.exit_code == 0, more.output
    assert _weight(tmp_path / "more", "d4x2-s107") > budget
    whole = load_table(source, "d4x2-s107")
    assert load_table(tmp_path / "to", "d4x2-s107").equals(kept_rows(whole, 1, length))
    assert f"outputs of at most {length} symbols fit {budget}B" in result.output
    assert [p.name for p in (tmp_path / "to").iterdir() if p.name.startswith(".fit-")] == []


def test_fit_and_max_length_are_one_or_the_other(tmp_path):
    args = ["ship", str(JOBS / "d4x2.toml"), "--from", str(shipped_root()), "--to", str(tmp_path)]
    result = CliRunner().invoke(main, [*args, "--fit", "10MB", "--max-length", "9"])
    assert result.exit_code != 0 and "give --max-length or --fit, not both" in result.output
    result = CliRunner().invoke(main, [*args, "--fit", "ten"])
    assert result.exit_code != 0 and "--fit 'ten' should be a size" in result.output
