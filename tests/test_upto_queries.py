"""An exact_upto table (issue 24, item 4) chosen by name in every query: lookups, acss,
BDM with its interval, ``ctm query``, ``ctm bdm``, ``ctm tables``, ``ctm plot`` and the
web API.

The table is (3,2) S = 10 with exact_upto = 6, made here by ``ctm run`` as
tests/test_exact_upto.py makes it: ``d3x2-s10-upto6``, every output of at most 6 symbols
with its count exact with no cutoff and the normaliser H within [H_low, H_high]. The
shipped ``d3x2-s21`` is exact by the (3,2) busy beaver, so its counts of those outputs
are the same and its K (with the true H) lies in each [K_low, K_high]; its BDM is checked
against the interval below.
"""

from __future__ import annotations

import json
import math
import warnings
from collections import Counter

import httpx
import pytest
from click.testing import CliRunner
from servetools import Server

from pipeline.bdm import BDM, bdm, nbdm
from pipeline.cli import main
from pipeline.query import NOT_PRODUCED, TOO_LONG, acss, lookup, name_parts, open_table

NAME = "d3x2-s10-upto6"


@pytest.fixture(scope="module")
def root(upto_root):
    return upto_root


@pytest.fixture(autouse=True)
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_the_name_is_a_table_name(root):
    assert name_parts(NAME) == (3, 2, 1, 10, False, 6)
    assert name_parts("d3x2-s21")[5] is None
    tab = open_table(NAME, data_dir=root)
    assert (tab.name, tab.symbols, tab.exact_upto["L"], tab.max_length) == (NAME, 2, 6, 6)


def test_lookups_give_exact_counts_and_K_between_K_low_and_K_high(root):
    exact = open_table("d3x2-s21")
    short = [s for s in exact.strings if len(s) <= 6]
    found = {a.string: a for a in lookup(short, table=NAME, data_dir=root)}
    reference = {a.string: a for a in lookup(short, table="d3x2-s21")}
    assert len(found) == len(short) == 114
    for string, a in found.items():
        assert a.count == reference[string].count  # exact with no cutoff, S = 10 below the busy beaver's 21
        assert a.K == a.values["K_low"] < a.values["K_high"]
        assert a.values["K_low"] <= reference[string].K <= a.values["K_high"]
    frame = acss(short[:5], table=NAME, data_dir=root)
    assert list(frame.columns) == ["K", "D", "count", "rank", "K_low", "K_high", "reason"]


def test_longer_strings_are_not_listed_and_absent_short_ones_have_count_0(root):
    every6 = [format(i, "06b") for i in range(64)]
    listed = {a.string for a in lookup(every6, table=NAME, data_dir=root, errors="ignore") if a.produced}
    absent = sorted(set(every6) - listed)
    assert len(absent) == 12 and absent == sorted(s for s in every6 if s not in open_table("d3x2-s21").index)
    answers = lookup(["0000000", "01101101", *absent[:2]], table=NAME, data_dir=root, errors="ignore")
    for a in answers[:2]:
        assert a.reason.kind == TOO_LONG and a.count is None  # not followed past S: unknown, not 0
        assert f"table {NAME} v1 lists only outputs of at most 6 symbols" in a.note
    for a in answers[2:]:
        assert a.reason.kind == NOT_PRODUCED and a.count == 0


@pytest.mark.parametrize("block", [5, 6])
def test_bdm_gives_an_interval_that_holds_the_busy_beaver_tables_bdm(root, block):
    strings = ["010101010101010101", "000000000000111111", "011010011001011010", "000110100111000110"]
    got = bdm(strings, table=NAME, data_dir=root, block=block)
    low, high = got.attrs["BDM_low"], got.attrs["BDM_high"]
    exact = bdm(strings, table="d3x2-s21", block=block)
    bits = open_table(NAME, data_dir=root).exact_upto["bracket_bits"]
    scorer = BDM(table=NAME, data_dir=root, block=block)
    imputed = 0
    for i, text in enumerate(strings):
        assert got.iloc[i] == low[i] < high[i]
        assert low[i] <= exact.iloc[i] <= high[i]
        distinct = len(Counter(scorer.decompose(text)))
        assert high[i] - low[i] == pytest.approx(distinct * bits, rel=1e-6)
        imputed += len(scorer.details(text).imputed)
    assert (imputed > 0) == (block == 6)  # 6-symbol blocks: some never produced, imputed on both tables
    assert "BDM_low" not in nbdm(strings, table=NAME, data_dir=root, block=block).attrs


def test_the_cli_takes_the_name(root, tmp_path):
    run = CliRunner().invoke
    out = run(main, ["query", "--table", NAME, "--data-dir", str(root), "0110", "0000000"]).output
    assert "K_low=" in out and "K_high=" in out and f"{NAME} v1" in out
    assert "lists only outputs of at most 6 symbols" in out
    out = run(main, ["bdm", "--table", NAME, "--data-dir", str(root), "--block", "5", "0101010101010"]).output
    assert "bdm=" in out and " in [" in out
    records = json.loads(
        run(main, ["bdm", "--json", "--table", NAME, "--data-dir", str(root), "--block", "5", "0110100110"]).output
    )
    assert records[0]["BDM_low"] == records[0]["bdm"] < records[0]["BDM_high"]
    out = run(main, ["tables", NAME, "--data-dir", str(root)]).output
    assert out.startswith(NAME) and "exact up to 6 symbols, H within" in out and len(out.splitlines()) == 1
    done = run(main, ["plot", "--table", NAME, "--data-dir", str(root), "--out", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        f"{NAME}-v1-{f}.png" for f in ("halting", "length", "rank")
    ]


def test_the_web_api_takes_the_name(root):
    with Server(root) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        body = {"strings": ["0110", "0000000"], "table": NAME}
        rows = client.post("/api/lookup", json=body).json()["results"]
        assert rows[0]["K_low"] <= rows[0]["K"] < rows[0]["K_high"] and rows[1]["count"] is None
        answer = client.post("/api/bdm", json={"strings": ["0101010101010"], "table": NAME, "block": 5}).json()
        row = answer["results"][0]
        assert row["BDM_low"] == row["value"] < row["BDM_high"]
        upto = answer["table"]["provenance"]["exact_upto"]
        assert upto["L"] == 6 and upto["H_low"] < upto["H_high"]
        assert "outputs of at most 6 symbols exact with no cutoff" in answer["table"]["provenance"]["text"]
        assert math.isclose(upto["bracket_bits"], math.log2(upto["H_high"] / upto["H_low"]))


def test_ship_copies_both_readings_of_the_run(root, tmp_path):
    from pipeline.ship import kept_rows
    from pipeline.tables import list_tables, load_table

    job = root.parent / "upto.toml"
    args = ["ship", str(job), "--from", str(root), "--to", str(tmp_path / "to"), "--memory", "256MiB"]
    result = CliRunner().invoke(main, [*args, "--max-length", "4"])
    assert result.exit_code == 0, result.output
    for table in ("d3x2-s10", NAME):
        copy, whole = load_table(tmp_path / "to", table), load_table(root, table)
        assert copy.equals(kept_rows(whole, 1, 4)) and 0 < copy.num_rows < whole.num_rows, table
        assert f"table {table} v1 ({copy.num_rows} of {whole.num_rows} rows of {table} v1)" in result.output
    fit = CliRunner().invoke(main, [*args[:-4], "--to", str(tmp_path / "fit"), "--fit", "1MB"])
    assert fit.exit_code == 0, fit.output
    copies = [i for i in list_tables(tmp_path / "fit") if i.source != "shipped"]
    assert sorted(i.table for i in copies) == ["d3x2-s10", NAME]
    for info in copies:  # a megabyte holds both whole
        assert load_table(tmp_path / "fit", info.table).num_rows == load_table(root, info.table).num_rows
