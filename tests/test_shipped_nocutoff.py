"""The shipped no-cutoff tables against the shipped 500-step tables of the same spaces:
no count shrinks without the cutoff, and the halting totals differ by exactly the
machines the no-cutoff histogram puts after step 500 (pipeline.cutoff)."""

from __future__ import annotations

import math

import pytest

from pipeline.cutoff import compare
from pipeline.query import acss, open_table
from pipeline.tables import load_manifest, shipped_root

PAIRS = [("d2x4-nocutoff", "d2x4-s500"), ("d5x2-nocutoff", "d5x2-s500")]


@pytest.mark.parametrize("full, cut, gained, new", [(*PAIRS[0], 480, 996), (*PAIRS[1], 114_912, 3_762)])
def test_no_count_shrinks_and_the_late_halts_add_up(full, cut, gained, new):
    got = compare(shipped_root(), full, cut)
    got.check()
    assert (got.both["count_full"] >= got.both["count_cut"]).all()
    assert got.gained == sum(v for k, v in got.halting_times.items() if k > 500)
    assert got.gained == gained and len(got.new) == new
    # every string only the no-cutoff table has comes from a machine halting after step 500
    named = got.new.dropna(subset=["machine"])
    assert len(named) == len(got.new) and (named["steps"] > 500).all()


@pytest.mark.parametrize("full, steps", [("d2x4-nocutoff", 3_932_964), ("d5x2-nocutoff", 47_176_870)])
def test_a_no_cutoff_table_is_exact_and_says_why(full, steps):
    manifest = load_manifest(shipped_root(), full)
    assert manifest["status"] == "exact" and manifest["undecided"]["machines"] == 0
    assert manifest["max_steps"] == steps and manifest["coverage"] == "full"
    assert max(int(k) for k in manifest["halting_times"]) == steps  # the busy beaver is counted
    assert "busy-beaver step count" in manifest["cutoff"]


def test_the_no_cutoff_table_is_selectable_by_name_and_not_the_default():
    assert open_table().name == "d5x2-s500"
    tab = open_table("d5x2-nocutoff")
    assert tab.name == "d5x2-nocutoff"
    got = acss(["01011100"], table="d5x2-nocutoff")
    # the same count as at 500 steps, over the larger total of the no-cutoff table
    total = tab.manifest["count_total"]
    assert total == 13_794_528_007_168 and got.loc["01011100", "count"] == 3_282_024
    assert got.loc["01011100", "K"] == pytest.approx(-math.log2(3_282_024 / total), rel=1e-12)
    assert got.loc["01011100", "K"] == pytest.approx(22.003006969885, abs=1e-11)


def test_every_score_function_takes_the_no_cutoff_table():
    from pipeline.bdm import bdm
    from pipeline.measures import likelihood_d, local_complexity, prob_random

    strings = ["0101100111010001", "0000000011111111"]
    # each value, computed once from this table; the 500-step table differs by about 2e-8 bits
    got = bdm(strings, table="d5x2-nocutoff")
    assert got.tolist() == pytest.approx([33.50960997549629, 30.28941176757275], rel=1e-12)
    assert bdm(strings).tolist() != pytest.approx(got.tolist(), rel=1e-12)
    assert likelihood_d(["01011100"], table="d5x2-nocutoff").tolist() == pytest.approx(
        [0.0023087248530631868], rel=1e-12
    )
    assert prob_random(["01011100"], table="d5x2-nocutoff").tolist() == pytest.approx([0.6285222534850191], rel=1e-12)
    (windows,) = local_complexity("0101100111", span=5, table="d5x2-nocutoff")
    assert list(windows.index) == ["01011", "10110", "01100", "11001", "10011", "00111"]
    assert windows.tolist() == pytest.approx(
        [11.558487, 11.508974, 11.680262, 11.680262, 11.680262, 11.623520], abs=5e-7
    )


def test_its_halting_times_plot_on_log_axes(tmp_path):
    from pipeline.plot import plot_halting

    path = plot_halting(open_table("d2x4-nocutoff"), tmp_path / "halting.png")
    png = path.read_bytes()
    # a PNG of 800 x 500 pixels (IHDR width, height); about 31 kB with its ~1,000 points
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert int.from_bytes(png[16:20], "big") == 800 and int.from_bytes(png[20:24], "big") == 500
    assert 15_000 < len(png) < 80_000
