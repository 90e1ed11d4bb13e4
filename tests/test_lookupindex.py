"""The lookup index (pipeline.lookupindex, written by pipeline.lookupwrite): lookups that
read only the row groups they need give exactly the whole load's answers.

Shipped tables are copied into a temporary data root, indexed there with ``ctm index``'s
function, and opened twice: loaded whole (they are small), then through the index with
INDEX_ROWS lowered to 0. Every answer is compared: lookups, acss frames, BDM, local
complexity, likelihoods, response distributions and ``ctm query``, for strings the table
has, strings it does not, and inputs it cannot answer.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import warnings

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from toytable import write_table

import pipeline.lookupwrite
import pipeline.table
from pipeline import bdm as bdm_module, measures
from pipeline.bdm import table_parts
from pipeline.cli import main
from pipeline.commands.index import index_version
from pipeline.errors import CTMError
from pipeline.lookupindex import LOOKUP_FILE, META_KEY, LookupIndex
from pipeline.query import acss, lookup, open_table
from pipeline.tables import file_sha256, load_manifest, shipped_root


def copied(tmp_path, name: str):
    """A data root holding a copy of the shipped ``name`` v1, indexed."""
    root = tmp_path / "root"
    shutil.copytree(shipped_root() / "tables" / name / "v1", root / "tables" / name / "v1")
    index_version(root, name)
    return root


def reopen():
    """Forget opened tables (and the BDM parts derived from them)."""
    pipeline.table._load.cache_clear()
    table_parts.cache_clear()


def both(monkeypatch, call):
    """``call()`` on the table loaded whole, then through its index."""
    reopen()
    whole = call()
    monkeypatch.setattr(pipeline.table, "INDEX_ROWS", 0)
    reopen()
    indexed = call()
    reopen()
    return whole, indexed


def records(answers) -> list[dict]:
    return [a.record() for a in answers]


def strings_1d(tab, seed: int) -> list[str | None]:
    """A third of the table's rows; random strings of its symbols of its longest lengths
    and one longer (binary: every normalised string of 12 symbols and a fifth of those of
    13 to 15), many absent; renamed ones, and inputs with no answer."""
    rng = random.Random(seed)
    out = tab.strings[::3]
    if tab.symbols == 2:
        out += [
            format(i, f"0{n + 1}b")[1:] for n in (12, 13, 14, 15) for i in range(0, 2 ** (n - 1), 1 if n == 12 else 5)
        ]
    else:
        digits = "0123456789"[: tab.symbols]
        top = tab.max_length
        out += ["".join(rng.choice(digits) for _ in range(rng.randint(top - 3, top))) for _ in range(5000)]
    out += ["".join(rng.choice("XO") for _ in range(rng.randint(1, 14))) for _ in range(300)]
    return out + ["", None, "0123", "0" * 60, "01" * 30, "x"]


@pytest.mark.parametrize("name", ["d5x2-s500", "d4x9-s4000-sampled"])
def test_lookups_through_the_index_equal_the_whole_load(tmp_path, monkeypatch, name):
    root = copied(tmp_path, name)
    inputs = strings_1d(open_table(name, data_dir=root), 1)
    opts = {"table": name, "data_dir": root, "errors": "ignore"}
    whole, indexed = both(monkeypatch, lambda: (records(lookup(inputs, **opts)), acss(inputs, **opts)))
    assert whole[0] == indexed[0]
    assert whole[1].equals(indexed[1]) and list(whole[1].dtypes) == list(indexed[1].dtypes)
    absent = [r for r in whole[0] if r["reason"] and r["reason"].startswith("not produced")]
    present = [r for r in whole[0] if r["produced"]]
    # a sampled table's rows are patterns: every pattern up to its longest length is in it
    assert len(present) > 20_000 and (len(absent) > 100 or "sampled" in name)


def test_scores_through_the_index_equal_the_whole_load(tmp_path, monkeypatch):
    name = "d5x2-s500"
    root = copied(tmp_path, name)
    rng = random.Random(2)
    long = ["".join(rng.choice("01") for _ in range(rng.randint(12, 60))) for _ in range(200)]
    long += ["0" * 24 + "000110100111" * 2, "01" * 40]  # 000110100111: a block (5,2) never produces
    opts = {"table": name, "data_dir": root}

    def scores():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return (
                bdm_module.bdm(long, errors="ignore", **opts).tolist(),
                bdm_module.nbdm(long, errors="ignore", **opts).tolist(),
                bdm_module.bdm(long, errors="ignore", missing="error", **opts).tolist(),
                bdm_module.bdm(long, errors="ignore", strategy="recursive", block=7, **opts).tolist(),
                bdm_module.ent(long, errors="ignore", **opts).tolist(),
                [s.tolist() for s in measures.local_complexity(long[:20], span=6, errors="ignore", **opts)],
                measures.likelihood_d(long[:50] + ["0101", "11"], errors="ignore", **opts).tolist(),
                measures.response_distribution(11, **opts).to_dict("split"),
                bdm_module.BDM(**opts).nbdm("0110" * 30),
            )

    whole, indexed = both(monkeypatch, scores)
    for got, want in zip(indexed, whole):
        assert json.dumps(got) == json.dumps(want)  # NaN included
    assert math.isnan(whole[2][-2]) and not math.isnan(whole[0][-2])  # one block missing: imputed, or NA


@pytest.mark.parametrize("name", ["d5x2-2d-s2000", "d5x2-2d-s2000-sampled"])
def test_matrices_through_the_index_equal_the_whole_load(tmp_path, monkeypatch, name):
    root = copied(tmp_path, name)
    tab = open_table(name, data_dir=root)
    rng = random.Random(3)
    inputs = tab.strings[:: 40 if tab.sampled else 4] + [
        "-".join("".join(rng.choice("01") for _ in range(4)) for _ in range(4)) for _ in range(500)
    ]
    inputs += ["0000-0000-0000-0000-0000", "01-10", "0120-1111", "", None, "1111111"]
    grids = [np.array([[rng.randint(0, 1) for _ in range(12)] for _ in range(12)]) for _ in range(30)]
    opts = {"table": name, "data_dir": root, "ndim": 2}

    def answers():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return (
                records(lookup(inputs, errors="ignore", **opts)),
                acss(inputs, errors="ignore", **opts),
                bdm_module.bdm(grids, errors="ignore", **opts).tolist(),
                bdm_module.nbdm(grids, errors="ignore", **opts).tolist(),
                measures.response_distribution((3, 3), table=name, data_dir=root).to_dict("split"),
                open_table(name, data_dir=root).shapes,
            )

    whole, indexed = both(monkeypatch, answers)
    assert whole[0] == indexed[0] and whole[1].equals(indexed[1])
    for got, want in zip(indexed[2:], whole[2:]):
        assert json.dumps(got) == json.dumps(want)
    kinds = {r["reason"].split(":")[0] if r["reason"] else None for r in whole[0]}
    if "sampled" in name:  # rows too uncertain to answer: NA on both paths
        assert "not answered" in kinds


def test_ctm_query_through_the_index_prints_the_same(tmp_path, monkeypatch):
    name = "d5x2-s500"
    root = copied(tmp_path, name)
    listing = tmp_path / "in.txt"
    listing.write_text("\n".join(["010110", "OXXO", "000110100111", "", "01" * 40, "0" * 12]) + "\n")
    args = ["query", "--table", name, "--data-dir", str(root), "--file", str(listing)]

    def run():
        return CliRunner().invoke(main, args).output, CliRunner().invoke(main, args + ["--json"]).output

    whole, indexed = both(monkeypatch, run)
    assert whole == indexed
    assert "not produced by this table" in whole[0] and "K=" in whole[0]


def test_the_index_holds_rows_by_shape_then_string_in_small_groups(tmp_path):
    name = "d5x2-2d-s2000"
    root = copied(tmp_path, name)
    folder = root / "tables" / name / "v1"
    file = pq.ParquetFile(folder / LOOKUP_FILE)
    meta = json.loads(file.metadata.metadata[META_KEY])
    assert meta["rows"] == file.metadata.num_rows == pq.ParquetFile(folder / "table.parquet").metadata.num_rows
    names = file.schema_arrow.names
    keys = []
    for g in range(file.metadata.num_row_groups):
        group = file.metadata.row_group(g)
        assert group.num_rows <= 2048
        stats = {
            names[j]: group.column(j).statistics for j in range(len(names)) if names[j] in ("rows", "cols", "string")
        }
        assert stats["rows"].min == stats["rows"].max and stats["cols"].min == stats["cols"].max  # one shape
        assert meta["groups"][g] == [stats["rows"].min, stats["cols"].min, stats["string"].min, stats["string"].max]
        keys.append((stats["rows"].min, stats["cols"].min, stats["string"].min))
    assert keys == sorted(keys)
    manifest = load_manifest(root, name)
    assert manifest["files"][LOOKUP_FILE] == file_sha256(folder / LOOKUP_FILE)
    assert manifest["files"]["table.parquet"] == file_sha256(folder / "table.parquet")


def test_publish_indexes_a_large_table_with_exact_counts_past_int64(tmp_path, monkeypatch):
    """A version of at least INDEX_ROWS rows gets its index when published (lowered here),
    and decimal counts come back as the whole load's Python ints."""
    monkeypatch.setattr(pipeline.lookupwrite, "INDEX_ROWS", 10)
    counts = {"0" + format(i, "b"): 2**70 + i % 13 for i in range(1, 400)}  # normalised strings
    folder = write_table(tmp_path, "d3x2-s7", counts, decimal=True)
    manifest = load_manifest(tmp_path, "d3x2-s7")
    assert manifest["files"][LOOKUP_FILE] == file_sha256(folder / LOOKUP_FILE)
    small = write_table(tmp_path, "d2x2-s6", {"0": 3, "01": 1})
    assert not (small / LOOKUP_FILE).exists() and LOOKUP_FILE not in load_manifest(tmp_path, "d2x2-s6")["files"]
    inputs = list(counts)[::5] + ["0101010101", "2", "1" * 9]
    whole, indexed = both(
        monkeypatch, lambda: (records(lookup(inputs, "d3x2-s7", data_dir=tmp_path, errors="ignore")),)
    )
    assert whole == indexed
    assert {type(r["count"]) for r in indexed[0] if r["produced"]} == {int}
    assert max(r["count"] for r in indexed[0] if r["produced"]) == 2**70 + 12


def test_an_index_of_another_table_is_refused(tmp_path, monkeypatch):
    root = copied(tmp_path, "d5x2-s500")
    other = copied(tmp_path / "other", "d4x2-s107")
    folder = root / "tables" / "d5x2-s500" / "v1"
    shutil.copy(other / "tables" / "d4x2-s107" / "v1" / LOOKUP_FILE, folder / LOOKUP_FILE)
    with pytest.raises(
        CTMError, match=r"built from another table.parquet: rebuild it with `ctm index d5x2-s500 --version 1`"
    ):
        LookupIndex(folder, 1, folder / "table.parquet")
    monkeypatch.setattr(pipeline.table, "INDEX_ROWS", 0)
    reopen()
    try:
        with pytest.raises(CTMError, match="built from another table.parquet"):
            open_table("d5x2-s500", data_dir=root)
    finally:
        reopen()


def test_ctm_index_adds_the_index_and_refuses_shipped_versions(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(shipped_root() / "tables" / "d4x2-s107" / "v1", root / "tables" / "d4x2-s107" / "v1")
    before = load_manifest(root, "d4x2-s107")
    done = CliRunner().invoke(main, ["index", "d4x2-s107", "--data-dir", str(root)])
    assert done.exit_code == 0, done.output
    assert str(root / "tables" / "d4x2-s107" / "v1" / LOOKUP_FILE) in done.output
    after = load_manifest(root, "d4x2-s107")
    assert {k: v for k, v in after.items() if k != "files"} == {k: v for k, v in before.items() if k != "files"}
    assert set(after["files"]) == {"table.parquet", LOOKUP_FILE}
    done = CliRunner().invoke(main, ["index", "d4x2-s107", "--data-dir", str(shipped_root())])
    assert done.exit_code == 2 and "ships with the package and is loaded whole" in done.output


def test_ship_leaves_the_index_behind(tmp_path):
    """A shipped copy is a new version: its index, if it needs one, is written for it."""
    from pipeline.ship import ship
    from pipeline.tables import list_tables

    root = copied(tmp_path, "d4x2-s107")
    info = next(i for i in list_tables(root) if i.table == "d4x2-s107")
    assert LOOKUP_FILE in info.manifest["files"]
    copy = ship(info, tmp_path / "to", 8)
    assert set(copy.manifest["files"]) == {"table.parquet"} and not (copy.path / LOOKUP_FILE).exists()
