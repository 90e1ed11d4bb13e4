"""Checks of the shipped D(6) tables (issue 24), for the commit that ships them:
``d6x2-s500``, every one of the 26^12 six-state binary machines run to S = 500, and
``d6x2-s500-upto12``, the same run's exact reading, in which every output of at most 12
symbols has its count with no step cutoff.

Not collected by the suite (pytest collects ``test_*.py``) while the tables are not
shipped: after ``ctm ship jobs/d6x2.toml --from ~/ctm-data --to data --fit 10MB`` run
``python -m pytest tests/d6_shipped_checks.py``, then rename it to ``test_shipped_d6.py``
in the commit that adds the tables (docs/d6.md, "The run, from start to shipped tables").

Both tables are the short outputs of the job's full tables, so each check reads what a
user's clone holds:

- one run of the pinned job gave both, and their totals add up: the exact reading
  follows a machine past step 500 only while it is at most 12 cells wide, so every
  machine it counts as halting after step 500 writes a short output, and the short
  counts grow by exactly that many (blank-summed; a late halt wider than 12 cells is
  never seen, and counts in H_high);
- every machine of 5 states is one of 6 states (tests/test_shipped.py checks the same
  from D(2) to D(5));
- machines the tables name run under the brute-force simulator as listed: the 6-state
  machine that writes 000110100111 (which no 5-state machine writes in any number of
  steps), and a spread of the late halts.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline.bdm import bdm
from pipeline.brute import simulate_one
from pipeline.cli import main
from pipeline.query import acss, open_table
from pipeline.space import Space
from pipeline.spec import load_spec
from pipeline.tables import load_manifest, load_table, shipped_root, table_path

PLAIN, EXACT = "d6x2-s500", "d6x2-s500-upto12"
L = 12
JOB = Path(__file__).resolve().parent.parent / "jobs" / "d6x2.toml"
FLIP = str.maketrans("01", "10")
PRODUCER = "0LB0RE_1RC0H-_1LC1LD_0RA1LA_1RB1RF_0LA1RA"
"""The machine ``ctm producer jobs/d6x2.toml 000110100111`` named (docs/d6.md)."""


def counts(name: str) -> dict[str, int]:
    rows = load_table(shipped_root(), name).select(["string", "count"])
    return dict(zip(rows["string"].to_pylist(), rows["count"].to_pylist()))


@pytest.fixture(scope="module")
def plain() -> dict[str, int]:
    return counts(PLAIN)


@pytest.fixture(scope="module")
def exact() -> dict[str, int]:
    return counts(EXACT)


@pytest.fixture(scope="module")
def manifests() -> tuple[dict, dict]:
    return load_manifest(shipped_root(), PLAIN), load_manifest(shipped_root(), EXACT)


def test_one_run_of_the_job_gave_both_readings(manifests):
    mp, me = manifests
    assert mp["job_id"] == me["job_id"] == load_spec(JOB).job_id
    assert mp["reading"]["same_run"] == {"job_id": mp["job_id"], "exact_upto": EXACT}
    assert me["reading"]["same_run"] == {"job_id": me["job_id"], "plain": PLAIN}
    for m in (mp, me):
        assert (m["states"], m["symbols"], m["max_steps"], m["coverage"]) == (6, 2, 500, "full")
        assert m["machines"] == 26**12 and m["covered_ranges"] == [["0", str(26**12)]]
        assert m["versions"]["kernel"] == "2"
        assert m["machines"] == m["halting"] + sum(m["nonhalting"].values())
        assert m["count_total"] == 2 * m["halting"] == 2 * sum(m["halting_times"].values())
    assert max(map(int, mp["halting_times"])) <= 500
    late = sum(v for k, v in me["halting_times"].items() if int(k) > 500)
    assert me["halting"] == mp["halting"] + late > mp["halting"]
    bracket = me["exact_upto"]
    assert bracket["L"] == L and bracket["H_low"] == me["halting"]
    assert bracket["H_high"] == bracket["H_low"] + me["nonhalting"]["not_settled"]
    assert bracket["bracket_bits"] == pytest.approx(math.log2(bracket["H_high"] / bracket["H_low"]), rel=1e-12)


def test_the_shipped_rows_are_those_of_the_full_tables_up_to_a_length(manifests):
    for m in manifests:
        folder = shipped_root() / "tables" / m["table"] / f"v{m['version']}"
        for name, digest in m["files"].items():
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
        kept = m["subset"]["max_length"]
        rows = load_table(shipped_root(), m["table"]).select(["string", "count"]).to_pydict()
        longest = L if "exact_upto" in m else kept  # the exact reading lists nothing longer
        assert kept >= L and max(map(len, rows["string"])) == longest
        assert m["subset"]["rows"] == len(rows["string"]) <= m["subset"]["rows_of_source"]
        canonical = "".join(f"{s}\t{c}\n" for s, c in sorted(zip(rows["string"], rows["count"])))
        assert hashlib.sha256(canonical.encode()).hexdigest() == m["row_checksum"]


@pytest.mark.parametrize("name", [PLAIN, EXACT])
def test_complement_and_reverse_have_the_same_count(name):
    count = counts(name)
    wrong = [s for s, c in count.items() if count.get(s.translate(FLIP)) != c or count.get(s[::-1]) != c]
    assert not wrong, wrong[:5]


def test_short_counts_grow_after_500_by_exactly_the_late_halts(plain, exact, manifests):
    mp, me = manifests
    short = {s: c for s, c in plain.items() if len(s) <= L}
    assert set(short) <= set(exact) and max(map(len, exact)) == L
    grown = {s: exact[s] - short.get(s, 0) for s in exact}
    assert min(grown.values()) >= 0 and any(s not in short for s in exact)
    # every machine the exact reading counts as halting after step 500 writes at most L symbols
    assert sum(grown.values()) == 2 * (me["halting"] - mp["halting"])


def test_d6_holds_every_string_of_at_most_11_symbols_and_more_than_d5(plain):
    d5 = counts("d5x2-s500")
    for n in range(1, L + 1):
        six = sum(1 for s in plain if len(s) == n)
        five = sum(1 for s in d5 if len(s) == n)
        assert five <= six <= 2**n
        if n <= 11:
            assert six == 2**n
    # D(5) lacks 000110100111 and its complement, D(6) writes them
    assert sum(1 for s in d5 if len(s) == 12) == 2**12 - 2 < sum(1 for s in plain if len(s) == 12)


def test_every_machine_of_5_states_is_one_of_6(plain, manifests):
    five = load_manifest(shipped_root(), "d5x2-s500")
    free = (2 * (2 * 6 + 1)) ** 2  # the two entries of the state never entered
    assert manifests[0]["halting"] >= free * five["halting"]
    kept = manifests[0]["subset"]["max_length"]
    short = {s: c for s, c in counts("d5x2-s500").items() if len(s) <= kept}
    assert all(plain.get(s, 0) >= free * c for s, c in short.items())


def test_a_six_state_machine_writes_what_no_five_state_machine_does(plain, exact):
    space = Space(6, 2, 500)
    number = space.number([0 if d is None else d for d in space.parse_text(PRODUCER)])
    assert simulate_one(6, 2, 500, number) == (True, "000110100111", 50)
    assert "000110100111" not in counts("d5x2-nocutoff")  # no 5-state machine, in any number of steps
    assert plain["000110100111"] == plain["111001011000"] >= 1
    assert exact["000110100111"] >= plain["000110100111"]


def test_late_halts_run_as_listed():
    late = pq.read_table(table_path(shipped_root(), EXACT) / "late_halts.parquet").to_pandas()
    assert len(late) == load_manifest(shipped_root(), EXACT)["late_halts"]["classes"] > 0
    space = Space(6, 2, 500)
    picked = late.sort_values("steps").iloc[:: max(1, len(late) // 24)]
    for row in picked.itertuples():
        number = space.number([0 if d is None else d for d in space.parse_text(row.machine)])
        assert 500 < row.steps and len(row.output) <= L
        assert simulate_one(6, 2, int(row.steps), number) == (True, row.output, row.steps), row.machine


def test_both_are_chosen_by_name_and_d5_stays_the_default(tmp_path, monkeypatch, plain, manifests):
    monkeypatch.setenv("CTM_DATA_DIR", str(tmp_path / "no-tables"))
    assert open_table().name == "d5x2-s500"
    got = acss(["000110100111", "0101"], table=PLAIN)
    total = manifests[0]["count_total"]
    assert got.loc["000110100111", "count"] == plain["000110100111"]
    assert got.loc["0101", "K"] == pytest.approx(-math.log2(plain["0101"] / total), rel=1e-12)
    strings = ["010011010111011010110110", "000000000000111111111111"]
    scores = bdm(strings, table=EXACT, block=12)
    assert scores.tolist() == list(scores.attrs["BDM_low"])  # K_low: H_low, the machines seen to halt
    assert all(low < high for low, high in zip(scores.attrs["BDM_low"], scores.attrs["BDM_high"]))
    listed = CliRunner().invoke(main, ["tables"])
    assert listed.exit_code == 0 and PLAIN in listed.output and EXACT in listed.output
    for name in (PLAIN, EXACT):
        drawn = CliRunner().invoke(main, ["plot", "--table", name, "--out", str(tmp_path)])
        assert drawn.exit_code == 0, drawn.output
        paths = drawn.stdout.splitlines()
        assert len(paths) == 3 and all(name in path for path in paths)
        for path in paths:
            assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
