"""``ctm bdm`` and ``ctm local`` from the shell: a line (or JSON record) per input, NA and
the reason in place of a value, exit 1 only when nothing was scored or under --strict."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from toytable import TOY, write_table

from pipeline.cli import main
from pipeline.query import normalize_one, open_table

NAME = "d3x2-s7"
MATTHEWS = Path(__file__).resolve().parent.parent / "datasets" / "matthews2013.csv"


@pytest.fixture
def root(tmp_path):
    write_table(tmp_path, NAME, TOY)
    return tmp_path


@pytest.fixture
def toy(root):
    return ["--table", NAME, "--data-dir", str(root)]


def run(args, **kwargs):
    return CliRunner().invoke(main, args, **kwargs)


def test_bdm_scores_the_matthews_strings_from_a_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CTM_DATA_DIR", str(tmp_path / "none"))
    strings = [line.split(",")[0] for line in MATTHEWS.read_text().splitlines()[1:]]
    listing = tmp_path / "strings.txt"
    listing.write_text("\n".join(strings) + "\n")
    result = run(["bdm", "--file", str(listing)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 216 and all("bdm=" in line and "NA" not in line for line in lines)
    tab = open_table("d5x2-s500")
    for string, line in zip(strings, lines):
        # 21 symbols, blocks of 12, ignore: one block, the first 12 symbols
        want = float(tab.K[tab.index[normalize_one(string[:12])]])
        assert line.split()[0] == string and float(line.split()[1].removeprefix("bdm=")) == pytest.approx(
            want, abs=5e-7
        )
    records = json.loads(run(["bdm", "--json", "--file", "-"], input=listing.read_text()).stdout)
    assert [r["string"] for r in records] == strings and all(r["reason"] is None for r in records)


def test_bdm_lines_json_and_settings(toy):
    result = run(["bdm", *toy, "--block", "3", "000111010", "000000", "01"])
    assert result.exit_code == 0, result.output
    first, second, third = result.stdout.splitlines()
    assert first.startswith("000111010  bdm=16.000000  (table d3x2-s7 v1, block 3, strategy ignore)")
    assert second.startswith("000000     bdm=6.000000")
    assert third.startswith("01         NA: has length 2: no block under strategy 'ignore' with block=3")
    (record,) = json.loads(run(["bdm", *toy, "-b", "3", "--json", "000000"]).stdout)
    assert record == {
        "string": "000000",
        "bdm": 6.0,
        "reason": None,
        "se_bound": 0.0,
        "imputed_share": 0.0,
        "settings": {"table": "d3x2-s7 v1", "block": 3, "strategy": "ignore"},
    }


@pytest.mark.parametrize(
    "options, string, key, value",
    [
        (["--strategy", "recursive"], "00011101", "bdm", 5 + 5 + 4),
        (["--strategy", "correlated", "--shift", "2"], "0000000", "bdm", 5 + math.log2(3)),
        (
            ["--normalized"],
            "010101",
            "nbdm",
            0.75,
        ),  # (12 - 6) / (14 - 6): the maximum counts the imputed 001, 011, 100, 110
        (["--entropy"], "000111010", "ent", math.log2(3)),
        (["--entropy", "--normalized"], "000111010", "nent", 1.0),
        (["--acss", "--alphabet", "2"], "0000000", "acss_bdm", 5 + 1 + 2),
        (["--acss", "--shift", "2"], "000000", "acss_bdm", 5 + 1 + 3),
    ],
)
def test_bdm_options(toy, options, string, key, value):
    result = run(["bdm", *toy, "--block", "3", "--json", *options, string])
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.stdout)
    assert record[key] == pytest.approx(value)


def test_bdm_keeps_going_and_exits_1_only_when_asked_or_nothing_scored(toy, root):
    result = run(["bdm", *toy, "-b", "3", "012012", "000000", "01"])
    assert result.exit_code == 0 and result.stdout.count("NA: ") == 2
    strict = run(["bdm", *toy, "-b", "3", "--strict", "012012", "000000"])
    assert strict.exit_code == 1 and "1 of 2 inputs have no value (--strict)" in strict.stderr
    none = run(["bdm", *toy, "-b", "3", "01", "0"])
    assert none.exit_code == 1 and "none of the 2 inputs has a value" in none.stderr
    # acss's default alphabet 9 is the shipped sampled table; an alphabet with no table
    # is NA on every line, saying so
    acss = run(["bdm", "--acss", "--data-dir", str(root), "0101010101"])
    assert acss.exit_code == 0 and "NA" not in acss.stdout
    seven = run(["bdm", "--acss", "--alphabet", "7", "--data-dir", str(root), "0101010101"])
    assert seven.exit_code == 1 and "NA: no table for alphabet 7 yet" in seven.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--block", "9", "0101"], "block should be at most 4"),
        (["--acss", "--normalized", "0101"], "--acss takes --block, --shift and --alphabet only"),
        (["-b", "3", "--strategy", "correlated", "--normalized", "000111"], "not defined for strategy 'correlated'"),
        ([], "no inputs"),
    ],
)
def test_bdm_errors_are_one_line_exit_2(toy, args, message):
    result = run(["bdm", *toy, *args])
    assert result.exit_code == 2 and result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_local_lines_and_json(toy):
    result = run(["local", *toy, "--span", "2", "OOXXO", "0", "012"])
    assert result.exit_code == 0, result.output
    first, second, third = result.stdout.splitlines()
    assert first == "OOXXO  mean=3.500000  K=3.0000 4.0000 3.0000 4.0000"
    assert second.startswith("0      NA: has length 1, shorter than the span 2")
    assert third.startswith("012    NA: has 3 distinct symbols")
    records = json.loads(run(["local", *toy, "--span", "3", "--json", "0101", "0011"]).stdout)
    assert records[0] == {
        "string": "0101",
        "span": 3,
        "mean": 6.0,
        "windows": ["010", "101"],
        "K": [6.0, 6.0],
        "reason": None,
    }
    assert (
        records[1]["mean"] is None
        and records[1]["K"] == [None, None]
        and "2 of 2 windows have no K" in records[1]["reason"]
    )
    assert run(["local", *toy, "--span", "3", "--strict", "0101", "0011"]).exit_code == 1


@pytest.mark.parametrize("command", ["query", "bdm", "local"])
def test_help_teaches_with_examples(command):
    out = run([command, "--help"]).stdout
    assert "Examples:" in out and f"ctm {command} " in out and "--file" in out and "--strict" in out and "--json" in out


def test_bdm_notes_imputed_blocks_once_on_stderr(tmp_path, monkeypatch):
    monkeypatch.setenv("CTM_DATA_DIR", str(tmp_path / "none"))
    result = run(["bdm", "000110100111" * 2, "0" * 24])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "note: 1 of 2 strings have blocks not produced by table d5x2-s500 v1, e.g. '000110100111' of "
        "'000110100111000110100111'; each scores 1 + the largest K of its length (pybdm's rule)\n"
    )
    assert "bdm=39.064199" in result.stdout.splitlines()[0]  # 1 + 37.064199 (the largest K of length 12) + log2(2)
