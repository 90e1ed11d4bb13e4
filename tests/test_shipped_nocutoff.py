"""The shipped no-cutoff tables against the shipped 500-step tables of the same spaces:
no count shrinks without the cutoff, and the halting totals differ by exactly the
machines the no-cutoff histogram puts after step 500 (pipeline.cutoff)."""

from __future__ import annotations

import pytest

from pipeline.cutoff import compare
from pipeline.query import acss, open_table
from pipeline.tables import load_manifest, shipped_root

PAIRS = [("d2x4-nocutoff", "d2x4-s500"), ("d5x2-nocutoff", "d5x2-s500")]


@pytest.mark.parametrize("full, cut", PAIRS)
def test_no_count_shrinks_and_the_late_halts_add_up(full, cut):
    got = compare(shipped_root(), full, cut)
    got.check()
    assert (got.both["count_full"] >= got.both["count_cut"]).all()
    assert got.gained == sum(v for k, v in got.halting_times.items() if k > 500)
    assert got.gained > 0 and len(got.new) > 0
    # every string only the no-cutoff table has comes from a machine halting after step 500
    named = got.new.dropna(subset=["machine"])
    assert len(named) == len(got.new) and (named["steps"] > 500).all()


@pytest.mark.parametrize("full, steps", [("d2x4-nocutoff", 3_932_964), ("d5x2-nocutoff", 47_176_870)])
def test_a_no_cutoff_table_is_exact_and_says_why(full, steps):
    manifest = load_manifest(shipped_root(), full)
    assert manifest["status"] == "exact" and manifest["undecided"]["machines"] == 0
    assert manifest["max_steps"] == steps and manifest["coverage"] == "full"
    assert max(int(k) for k in manifest["halting_times"]) == steps   # the busy beaver is counted
    assert "busy-beaver step count" in manifest["cutoff"]


def test_the_no_cutoff_table_is_selectable_by_name_and_not_the_default():
    assert open_table().name == "d5x2-s500"
    tab = open_table("d5x2-nocutoff")
    assert tab.name == "d5x2-nocutoff"
    got = acss(["01011100"], table="d5x2-nocutoff")
    assert got.loc["01011100", "K"] > 0


def test_every_score_function_takes_the_no_cutoff_table():
    from pipeline.bdm import bdm
    from pipeline.measures import likelihood_d, local_complexity, prob_random

    strings = ["0101100111010001", "0000000011111111"]
    assert bdm(strings, table="d5x2-nocutoff").notna().all()
    assert likelihood_d(["01011100"], table="d5x2-nocutoff").notna().all()
    assert prob_random(["01011100"], table="d5x2-nocutoff").notna().all()
    assert local_complexity("0101100111", span=5, table="d5x2-nocutoff") is not None


def test_its_halting_times_plot_on_log_axes(tmp_path):
    from pipeline.plot import plot_halting

    path = plot_halting(open_table("d2x4-nocutoff"), tmp_path / "halting.png")
    assert path.stat().st_size > 10_000
