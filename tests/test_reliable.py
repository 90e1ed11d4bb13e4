"""One reliability rule for sampled rows (pipeline.reliable), applied by every consumer;
and what BDM says about the values it gives on sampled and long-output tables: its
standard error's bound, the share from imputed blocks, nbdm within [0, 1], the block it
chooses for alphabets 4-9, several alphabets per acss() call."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pyarrow.parquet as pq
import pytest

from pipeline.batch import reasons
from pipeline.bdm import BDM, BlockWarning, bdm
from pipeline.measures import local_complexity, response_distribution
from pipeline.query import acss, lookup, open_table
from pipeline.reliable import MAX_K_SE, reliable_mask
from pipeline.tables import publish

FOUR = "d4x4-s2000-sampled"


@pytest.fixture(autouse=True)
def shipped_only(tmp_path, monkeypatch):
    monkeypatch.setenv("CTM_DATA_DIR", str(tmp_path / "no-tables"))


@pytest.fixture
def shaky(tmp_path):
    """The shipped (4,4) table with the pattern of 0123 given K_se 0.9 bits (as if seen
    in a couple of draws), published into a data root of its own."""
    tab = open_table(FOUR)
    rows = pq.read_table(tab.folder / "table.parquet")
    se = rows.column("K_se").to_numpy().copy()
    row = tab.index[tab.key("0123")]
    se[row] = 0.9
    root = tmp_path / "shaky"
    publish(root, FOUR, rows.set_column(rows.column_names.index("K_se"), "K_se", [se]), dict(tab.manifest))
    return root, float(tab.K[row])


def test_every_consumer_applies_the_one_rule(shaky):
    root, K = shaky
    opts = {"table": FOUR, "data_dir": root}
    # lookups: NA, saying the standard error and the bound
    got = acss(["0123", "3210", "0120"], errors="ignore", **opts)
    assert math.isnan(got["K"].iloc[0]) and math.isnan(got["K"].iloc[1]) and not math.isnan(got["K"].iloc[2])
    assert "standard error 0.90 bits" in got["reason"].iloc[0] and f"{MAX_K_SE} bits" in got["reason"].iloc[0]
    (answer,) = lookup("0123", errors="ignore", **opts)
    assert answer.reason.kind == "standard error too large"
    # local complexity: that window is NaN, the others are not
    (windows,) = local_complexity("00123", 4, errors="ignore", **opts)
    assert (
        math.isnan(windows.iloc[1]) and not math.isnan(windows.iloc[0]) and "standard error" in windows.attrs["reason"]
    )
    # BDM: imputed as a block never produced (1 + the largest reliable K of length 4)
    scorer = BDM(block=4, **opts)
    parts = BDM(block=4, table=FOUR).tab
    with pytest.warns(UserWarning, match="not produced"):
        value = scorer.bdm("01230000")
    largest = max(
        float(k)
        for k, n, ok in zip(parts.K, parts.lengths, reliable_mask(open_table(FOUR, data_dir=root)))
        if n == 4 and ok
    )
    assert value == pytest.approx(largest + 1 + scorer.ctm("0000"))
    assert value != pytest.approx(K + scorer.ctm("0000"))
    # response distributions leave it out: its 24 strings are the missing share
    dist = response_distribution(4, data_dir=root, table=FOUR)
    assert "0123" not in dist.index and dist.attrs["missing_share"] == pytest.approx(24 / 256)


def test_sampled_2d_rows_seen_in_two_draws_are_not_answered():
    """hits counts a leaf once per symmetric image (every 2-D hits is a multiple of 4):
    hits = 8 is two draws, and such rows (K_se about 1.44 bits) are NA."""
    tab = open_table("d5x2-2d-s2000-sampled")
    hits, se = tab.columns["hits"], tab.columns["K_se"]
    assert (hits % 4 == 0).all()
    two = np.flatnonzero(hits == 8)
    assert two.size > 100_000 and not tab.reliable[two].any()
    strings = [tab.strings[i] for i in two[:50]]
    got = acss(strings, table=tab.name, ndim=2, errors="ignore")
    assert got["K"].isna().all() and got["reason"].str.contains("hits=8, counted once per symmetric image").all()
    answered = np.flatnonzero(tab.reliable)
    assert (se[answered] <= MAX_K_SE).all() and answered.size == int((se <= MAX_K_SE).sum())


def test_bdm_of_a_sampled_table_carries_a_standard_error_bound_and_the_imputed_share(shaky):
    root, _ = shaky
    scorer = BDM(block=4, table=FOUR)
    tab = scorer.tab
    se = {b: float(tab.columns["K_se"][tab.index[tab.key(b)]]) for b in ("0012", "3301")}
    found = scorer.details("001233010012", "bdm")
    assert found.value == pytest.approx(scorer.ctm("0012") + 1 + scorer.ctm("3301"))
    # distinct blocks 0012 (twice) and 3301, each counted once as BDM counts it
    assert found.se == pytest.approx(se["0012"] + se["3301"]) and found.se > 0
    assert found.imputed_share == 0.0 and found.imputed == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = bdm(["001233010012", "01230123"], block=4, table=FOUR, data_dir=root)
    assert values.attrs["se_bound"][0] == pytest.approx(found.se)
    # the shaky 0123 is imputed: all of the second string's value comes from it, with no se
    assert values.attrs["imputed_share"] == [0.0, 1.0] and values.attrs["se_bound"][1] == 0.0
    exact = bdm(["0101"], block=4, table="d5x2-s500")
    assert exact.attrs["se_bound"] == [0.0]


def test_local_complexity_mean_se_is_the_mean_of_the_windows_errors():
    (windows,) = local_complexity("0123012", 4, alphabet=4)
    assert windows.attrs["mean_se"] == pytest.approx(float(np.mean(windows.attrs["K_se"])))
    assert windows.attrs["mean_se"] > math.sqrt(np.sum(windows.attrs["K_se"] ** 2)) / 4


def test_normalised_bdm_lies_in_0_1_with_imputed_blocks():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert BDM().nbdm("000110100111") == pytest.approx(1.0)  # its one block is imputed: the maximum
        long = BDM(table="d5x2-nocutoff", block=16)
        rng = np.random.default_rng(1)
        values = [long.nbdm("".join(map(str, rng.integers(0, 2, 64)))) for _ in range(100)]
    assert 0 <= min(values) and max(values) <= 1 and max(values) == pytest.approx(1.0)


@pytest.mark.parametrize("alphabet, block", [(4, 11), (5, 10), (6, 10), (9, 10)])
def test_bdm_chooses_the_longest_complete_length_for_alphabets_4_to_9(alphabet, block):
    with pytest.warns(BlockWarning, match=f"block={block}: .* not pybdm's 12"):
        auto = BDM(alphabet=alphabet)
    assert auto.block == block
    explicit = BDM(alphabet=alphabet, block=block)
    text = "".join(str(d % alphabet) for d in range(3 * block))
    assert auto.bdm(text) == explicit.bdm(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert BDM().block == 12  # binary: pybdm's own


def test_acss_with_several_alphabets_gives_acss_columns():
    got = acss(["0101", "0123", "012345"], alphabet=[2, np.int64(4)], errors="ignore")
    assert list(got.columns) == ["K.2", "K.4", "D.2", "D.4", "reason.2", "reason.4"]
    assert got["K.2"].iloc[0] == acss("0101")["K"].iloc[0]
    assert got["K.4"].tolist()[:2] == acss(["0101", "0123"], alphabet=4)["K"].tolist()
    assert math.isnan(got["K.2"].iloc[1]) and "distinct symbols" in got["reason.2"].iloc[1]
    assert got[["K.2", "K.4"]].iloc[2].isna().all()


def test_numpy_integer_scalars_are_accepted_as_arguments():
    n = np.int64
    assert acss("0101", alphabet=n(2))["K"].iloc[0] == acss("0101", alphabet=2)["K"].iloc[0]
    assert BDM(block=n(4)).bdm("01010101") == BDM(block=4).bdm("01010101")
    assert local_complexity("010110", n(4))[0].tolist() == local_complexity("010110", 4)[0].tolist()
    assert reasons(acss("0101", alphabet=n(2), version=n(1))).tolist() == [None]


def test_hints_point_at_things_that_exist():
    """Each NA hint names an alphabet, job file or option that exists (issue 21, item 7)."""
    from pathlib import Path

    from pipeline.query import alphabets

    repo = Path(__file__).resolve().parent.parent
    (eight, ten) = reasons(acss(["01234567", "0123456789"], alphabet=4, errors="ignore")).tolist()
    assert eight.endswith("table d4x4-s2000-sampled has 4: use alphabet=9") and 9 in alphabets()
    assert ten.endswith("has 4: no table has 10 symbols yet")
    (seven,) = reasons(acss(["01"], alphabet=7, errors="ignore")).tolist()
    job = seven.split("a job like ")[1].split(" ")[0]
    assert (repo / job).is_file() and "symbols = 7" in seven
    (wide,) = reasons(acss(["0000-0000-0000-0000-0000-0000-0000"], ndim=2, errors="ignore")).tolist()
    assert wide.endswith("estimate it with BDM instead (pipeline.bdm.bdm with ndim=2, or ctm bdm --2d)")
    (flat,) = reasons(acss(["010-101"], table="d5x2-s500", ndim=2, errors="ignore")).tolist()
    assert "table='d5x2-2d-s2000'" in flat and open_table("d5x2-2d-s2000").dims == 2
