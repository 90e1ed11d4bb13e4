"""The tables shipped with the package: found from anywhere, internally consistent, recomputable,
and in agreement with acss and pybdm where the table is the same ((5,2), S = 500).

Published values come from acss 0.3 (tests/testthat/test-acss.R, test-bdm.R,
test-manuscript2014.R and its vignette) and pybdm 0.1 (tests/test_bdm.py, BDM.lookup).
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline.bdm import BDM
from pipeline.brute import brute_count
from pipeline.cli import main
from pipeline.measures import acss_bdm, local_complexity
from pipeline.query import acss, lookup, open_table
from pipeline.tables import publish

SHIPPED = ["d2x2-s6", "d3x2-s21", "d4x2-s107", "d5x2-s500"]
RECOMPUTED = ["d2x2-s6", "d3x2-s21", "d4x2-s107"]
REPO = Path(__file__).resolve().parent.parent
MATTHEWS = REPO / "datasets" / "matthews2013.csv"
FLIP = str.maketrans("01", "10")
PYBDM_LONG = (
    "00011110110111011001011010001100001101101100001001000101110010100111001010001010011010000010111000"
    "00101011111111111100110000110111011010010000000100010101010111111000111100110110000101110110011011"
)
"""The 196-symbol string of pybdm's test_nbdm_d1 (expected 0.8924514180488615)."""


@pytest.fixture
def empty_root(tmp_path, monkeypatch):
    """A user data root with no tables, so lookups fall through to the shipped ones."""
    monkeypatch.setenv("CTM_DATA_DIR", str(tmp_path / "no-tables"))
    return tmp_path / "no-tables"


@pytest.fixture(params=SHIPPED)
def shipped(request, empty_root):
    return open_table(request.param)


def test_shipped_tables_answer_from_any_directory(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CTM_DATA_DIR"}
    result = subprocess.run(
        [sys.executable, "-c", "from pipeline.cli import main; main()", "query", "--json", "010110"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert '"table": "d5x2-s500"' in result.stdout and '"produced": true' in result.stdout


def test_rows_follow_the_contract(shipped):
    data = pq.read_table(shipped.folder / "table.parquet")
    assert {"string", "length", "count", "D", "K"} <= set(data.column_names)
    assert str(data.schema.field("count").type) == "int64" and str(data.schema.field("length").type) == "int32"
    keys = list(zip((-c for c in shipped.counts.tolist()), shipped.strings))
    assert keys == sorted(keys), "rows should be sorted by count descending, then string"
    assert (shipped.lengths == [len(s) for s in shipped.strings]).all()


def test_counts_sum_to_count_total_and_D_to_one(shipped):
    manifest = shipped.manifest
    assert manifest["coverage"] == "full" and manifest["symmetry_rules_applied"]
    assert int(shipped.counts.sum()) == manifest["count_total"] == 2 * manifest["halting"]
    assert math.fsum(shipped.D) == pytest.approx(1.0, abs=1e-12)
    total = manifest["count_total"]
    assert all(d == pytest.approx(c / total, rel=1e-15) for d, c in zip(shipped.D, shipped.counts.tolist()))
    assert all(k == pytest.approx(-math.log2(d), rel=1e-15) for k, d in zip(shipped.K, shipped.D))


@pytest.mark.parametrize("name, halting", [("d2x2-s6", 3_044), ("d3x2-s21", 2_147_184)])
def test_halting_machines_match_the_brute_force_count(empty_root, name, halting):
    assert open_table(name).manifest["halting"] == halting


def test_complement_and_reverse_have_the_same_count(shipped):
    count = dict(zip(shipped.strings, shipped.counts.tolist()))
    wrong = [s for s, c in count.items() if count.get(s.translate(FLIP)) != c or count.get(s[::-1]) != c]
    assert not wrong, f"{shipped.label}: K(s), K(complement), K(reverse) differ for {wrong[:5]}"


def test_checksums_recompute(shipped):
    manifest = shipped.manifest
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((shipped.folder / name).read_bytes()).hexdigest() == digest, name
    rows = sorted(zip(shipped.strings, shipped.counts.tolist()))
    canonical = "".join(f"{s}\t{c}\n" for s, c in rows).encode("utf-8")
    assert hashlib.sha256(canonical).hexdigest() == manifest["row_checksum"]


@pytest.mark.parametrize(
    "small, large", [("d2x2-s6", "d3x2-s21"), ("d3x2-s21", "d4x2-s107"), ("d4x2-s107", "d5x2-s500")]
)
def test_every_machine_of_n_states_is_one_of_n_plus_1(empty_root, small, large):
    """A machine of n states, given a state n+1 that it never enters (its m entries free),
    runs as before: an injection, so every count of D(n) times b^m (b = m(2n+3) choices
    per entry of the larger space) is at most the count of D(n+1) at a step limit no
    smaller, and so is H."""
    a, b = open_table(small), open_table(large)
    assert b.manifest["states"] == a.manifest["states"] + 1 and b.manifest["max_steps"] >= a.manifest["max_steps"]
    m = b.manifest["symbols"]
    free = (m * (2 * b.manifest["states"] + 1)) ** m
    assert b.manifest["halting"] >= free * a.manifest["halting"]
    larger = dict(zip(b.strings, b.counts.tolist()))
    short = [s for s, c in zip(a.strings, a.counts.tolist()) if larger.get(s, 0) < free * c]
    assert not short, short[:5]
    assert set(a.strings) <= set(larger)


def test_d2x2_equals_brute_force_over_the_whole_space(empty_root):
    tab = open_table("d2x2-s6")
    blank0 = brute_count(2, 2, 6, 0, 10_000).outputs
    strings = set(blank0) | {s.translate(FLIP) for s in blank0}
    want = {s: blank0.get(s, 0) + blank0.get(s.translate(FLIP), 0) for s in strings}  # blank 0 plus blank 1
    assert dict(zip(tab.strings, tab.counts.tolist())) == want


@pytest.mark.parametrize("name", RECOMPUTED)
def test_recomputing_with_ctm_run_matches_the_shipped_table(empty_root, tmp_path, name):
    shipped = open_table(name)
    job = REPO / "jobs" / f"{name.split('-')[0]}.toml"
    args = ["run", str(job), "--data-dir", str(tmp_path / "data"), "--workers", "1", "--threads", "--no-progress"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    again = open_table(name, data_dir=tmp_path / "data")
    assert again.manifest["row_checksum"] == shipped.manifest["row_checksum"]
    assert again.manifest["job_id"] == shipped.manifest["job_id"]
    # what the machines do; how those that do not halt split between the limit and the
    # proofs is the kernel's (the manifest's versions.kernel), not the table's
    for key in ("machines", "halting", "count_total", "halting_times"):
        assert again.manifest[key] == shipped.manifest[key], key
    assert sum(again.manifest["nonhalting"].values()) == sum(shipped.manifest["nonhalting"].values())


def test_simple_strings_are_less_complex(empty_root):
    simple, irregular = lookup(["0000000000", "0110100111"])
    assert simple.K < irregular.K


def test_acss_values_agree(empty_root):
    """acss test-acss.R: K.2 and D.2 of 01011100."""
    frame = acss("01011100")
    assert frame.loc["01011100", "K"] == pytest.approx(22.0030069458495, rel=1e-12)
    assert frame.loc["01011100", "D"] == pytest.approx(2.37922171238823e-07, rel=1e-12)


def test_pybdm_values_agree(empty_root):
    """pybdm tests/test_bdm.py (block 12, ignore) and the BDM.lookup doctest."""
    scorer = BDM()
    assert scorer.ctm("111111111111") == pytest.approx(25.610413747641715, rel=1e-12)
    s2 = "0" * 6 + "1" * 12 + "0" * 18 + "1" * 12
    assert scorer.bdm("0" * 24) == pytest.approx(26.610413747641715, rel=1e-12)
    assert scorer.bdm("0" * 12 + "1" * 12) == pytest.approx(51.22082749528343, rel=1e-12)
    assert scorer.bdm(s2) == pytest.approx(114.06151272200972, rel=1e-12)


def test_numpy_arrays_and_lists_of_symbols_as_in_pybdm(empty_root):
    """The issue's BDM().bdm(np.array([0, 1] * 12)): two blocks 010101010101, K + log2(2)."""
    tab = open_table("d5x2-s500")
    want = float(tab.K[tab.index["010101010101"]]) + 1
    scorer = BDM()
    assert scorer.bdm(np.array([0, 1] * 12)) == scorer.bdm(list("01" * 12)) == pytest.approx(want, rel=1e-12)
    try:
        import pybdm
    except ImportError:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert pybdm.BDM(ndim=1).bdm(np.array([0, 1] * 12)) == pytest.approx(want, rel=1e-12)


PYBDM_MISSING = {"000110100111": 37.479236302416716, "111001011000": 37.479236302416716}
"""The length-12 strings pybdm's CTM-B2-D12 lists and the exact (5,2) S=500 table does not
produce, with pybdm's K (the largest of its length 12 there)."""


def test_the_exact_table_lacks_two_length_12_strings_that_pybdm_lists(empty_root):
    answers = lookup(list(PYBDM_MISSING), errors="ignore")
    assert [a.count for a in answers] == [0, 0] and all("not produced" in a.note for a in answers)
    scorer = BDM()
    assert scorer.ctm("000110100111") == pytest.approx(37.06419880313787 + 1)  # 1 + the largest K of length 12
    assert max(open_table("d5x2-s500").K[open_table("d5x2-s500").lengths == 12]) == 37.06419880313787
    (note,) = open_table("d5x2-s500").manifest["notes"]
    assert "000110100111" in note and "no (5,2) machine outputs them within 500 steps" in note and "38.064199" in note


def with_pybdm_missing_strings(root) -> None:
    """Publish the shipped (5,2) table plus pybdm's two extra strings as d5x2-s500 under root."""
    data = pq.read_table(open_table("d5x2-s500").folder / "table.parquet")
    K = list(PYBDM_MISSING.values())
    extra = pa.table(
        {
            "string": list(PYBDM_MISSING),
            "length": pa.array([12, 12], pa.int32()),
            "count": [1, 1],
            "D": [2.0**-k for k in K],
            "K": K,
        }
    ).cast(data.schema)
    publish(root, "d5x2-s500", pa.concat_tables([data, extra]), dict(open_table("d5x2-s500").manifest))


@pytest.mark.parametrize(
    "string, published",
    [
        ("010001100010001", 0.648665654727082),  # pybdm tests/test_bdm.py, test_nbdm_d1
        (PYBDM_LONG, 0.8924514180488615),
        ("111000010101", 0.5879312452710307),  # pybdm 0.1: BDM(ndim=1).nbdm on its own table
    ],
)
def test_pybdm_published_normalised_bdm_comes_back_with_its_two_extra_strings(empty_root, tmp_path, string, published):
    """Normalised BDM takes its maximum over the values BDM uses, so on a table that also
    holds pybdm's two extra length-12 strings (none missing) it equals pybdm's figures; on
    the exact table those two strings are imputed at 1 + the largest K of length 12, the
    maximum counts them, and nbdm is a little lower (pybdm leaves them out of its maximum)."""
    exact = BDM().nbdm(string)
    with_pybdm_missing_strings(tmp_path / "data")
    assert BDM(data_dir=tmp_path / "data").nbdm(string) == pytest.approx(published, rel=1e-12)
    assert 0 < exact < published


def test_acss_bdm_values_agree(empty_root):
    """acss test-bdm.R and the bdm() examples: binary, blocksize 12, delta 1 and 12; blocksize 8."""
    assert acss_bdm("01" * 9, 12, alphabet=2, delta=1).iloc[0] == pytest.approx(57.5664, abs=5e-5)
    assert acss_bdm("01" * 9, 12, alphabet=2, delta=12).iloc[0] == pytest.approx(41.4481, abs=5e-5)
    assert acss_bdm("01" * 18, 8, alphabet=2).iloc[0] == pytest.approx(30.0948874022513, rel=1e-12)


def test_acss_local_complexity_values_agree(empty_root):
    """acss vignette: mean local complexity of XXXXXXXOOOOXXXOOOOOOO, spans 11 and 5."""
    (span11,) = local_complexity("XXXXXXXOOOOXXXOOOOOOO", span=11)
    (span5,) = local_complexity("XXXXXXXOOOOXXXOOOOOOO", span=5)
    assert round(span11.mean(), 2) == 29.53 and round(span5.mean(), 2) == 11.22


def test_matthews2013_example_reproduces_the_acss_paper(empty_root):
    """acss test-manuscript2014.R: R^2 0.54, 0.50 and < 0.00002 for spans 4, 5, 10."""
    spec = importlib.util.spec_from_file_location("matthews2013", REPO / "examples" / "matthews2013.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    result = example.analyse(pd.read_csv(MATTHEWS))
    assert list(result["strings"]) == [216, 216, 216]
    assert round(result.loc[4, "R2"], 2) == 0.54 and round(result.loc[5, "R2"], 2) == 0.50
    assert result.loc[10, "R2"] < 0.00002
