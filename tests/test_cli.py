"""The ``ctm`` group itself: lookups start without the heavy libraries, --file is
answered as it is read, usage errors are one line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from pipeline.cli import main

HEAVY = ("pandas", "dask", "distributed", "matplotlib")

PROBE = """
import sys
sys.argv = ["ctm"] + sys.argv[1:]
from pipeline.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
print("IMPORTED", " ".join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["query", "01011100"],
        ["bdm", "0101010101010101"],
        ["local", "--span", "4", "01011100"],
        ["query", "--alphabet", "4", "0123"],
        ["bdm", "--alphabet", "4", "--block", "4", "01230123"],
    ],
)
def test_lookups_and_scores_import_no_heavy_library(args, tmp_path):
    env = dict(os.environ, CTM_DATA_DIR=str(tmp_path / "none"))
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.stdout.splitlines()[0].startswith(args[-1]), done.stderr
    imported = [line for line in done.stderr.splitlines() if line.startswith("IMPORTED")]
    assert imported == ["IMPORTED "], done.stderr


def test_query_file_answers_lines_as_they_come(tmp_path):
    """The first answer is printed before the input ends (a pipe kept open)."""
    env = dict(os.environ, CTM_DATA_DIR=str(tmp_path / "none"))
    with subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "query", "--file", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as process:
        process.stdin.write("01011100\n" * 10_001)  # more than one chunk
        process.stdin.flush()
        start = time.monotonic()
        first = process.stdout.readline()
        waited = time.monotonic() - start
        process.stdin.write("0\n")
        process.stdin.close()
        rest = process.stdout.read().splitlines()
        assert process.wait(timeout=60) == 0
    assert first.startswith("01011100  K=22.003007") and waited < 30
    assert len(rest) == 10_001 and rest[-1].startswith("0         K=")


def test_query_file_json_across_chunks_is_one_list(tmp_path):
    listing = tmp_path / "many.txt"
    listing.write_text("01\n" * 10_002 + "012\n")
    result = CliRunner().invoke(main, ["query", "--json", "--file", str(listing), "0"])
    records = json.loads(result.stdout)
    assert len(records) == 10_004 and records[0]["string"] == "0" and records[-1]["reason"].startswith("has 3 distinct")
    assert result.stdout == json.dumps(records, indent=1) + "\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["query", "--bogus", "01"], r"^error: No such option '--bogus' \(see ctm query --help\)$"),
        (["nosuch"], r"^error: No such command 'nosuch' \(see ctm --help\)$"),
        (
            ["bdm", "--block", "0", "01"],
            r"^error: Invalid value for '--block' / '-b': 0 is not in the range x>=1 \(see ctm bdm --help\)$",
        ),
        (["local", "--span"], r"^error: Option '--span' requires an argument \(see ctm (local )?--help\)$"),
    ],
)
def test_usage_errors_are_one_line(args, message):
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert re.match(message, lines[0]), lines[0]
