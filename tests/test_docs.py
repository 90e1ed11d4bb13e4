"""The docs say what the code does: their fast commands print what they show, and their
links lead somewhere.

Commands. In every ```console block of README.md and docs/*.md, a line starting with
``$ `` is a command and the lines after it, up to the next ``$ `` line, are its output.
A command is *fast*, and run here, when each stage of its pipeline is either ``ctm`` with
one of the subcommands in FAST (lookups and small counts on the shipped tables, seconds
each) or one of the plain shell tools in TOOLS. Every other command (``ctm run``, ``ctm
submit``, ``python examples/...``, ``docker ...``) is a long job: the docs show its recorded
output and name what backs it (a manifest or a BENCHMARKS.md section); no test runs it.
The fast commands of one block run in order, in one fresh folder (``datasets`` and
``jobs`` linked in, an empty data root, so only the shipped tables answer), and what each
prints must equal the block's lines: exactly, or for numbers to the digits printed; a
shown line ending in ``...`` is a prefix of the printed one.

Links. Every relative link of those pages and of the READMEs beside the data points to a
file that exists and, with ``#anchor``, to a heading of that page (GitHub's anchors).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
"""The pages whose commands are run."""
LINKED = [
    *PAGES,
    REPO / "data" / "tables" / "README.md",
    REPO / "datasets" / "README.md",
    REPO / "tests" / "data" / "REFERENCE.md",
]
"""The pages whose links are checked."""
FAST = {"query", "bdm", "local", "tables", "count", "plot"}
TOOLS = {"tail", "head", "cut", "printf", "echo", "cat", "sort", "wc"}
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def console_commands(page: Path) -> list[tuple[int, list[tuple[str, list[str]]]]]:
    """Each ```console block of ``page`` as (line number, [(command, output lines)])."""
    text = page.read_text(encoding="utf-8")
    blocks = []
    for found in re.finditer(r"^```console\n(.*?)^```", text, re.S | re.M):
        line = text.count("\n", 0, found.start()) + 1
        commands: list[tuple[str, list[str]]] = []
        for row in found.group(1).splitlines():
            if row.startswith("$ "):
                commands.append((row[2:], []))
            elif commands:
                commands[-1][1].append(row)
        if commands:
            blocks.append((line, commands))
    return blocks


def stages(command: str) -> list[list[str]]:
    """The words of each stage of a shell pipeline (no quoting of '|' in the docs' commands)."""
    return [stage.split() for stage in re.sub(r"\s+#\s.*$", "", command).split("|")]


def is_fast(command: str) -> bool:
    """A pipeline of fast ``ctm`` subcommands and plain tools only: no lists (``&&``,
    ``;``), no substitutions."""
    if re.search(r"&&|\|\||;|`|\$\(", command):
        return False
    parts = stages(command)
    for words in parts:
        if not words:
            return False
        if words[0] == "ctm":
            if len(words) < 2 or words[1] not in FAST:
                return False
        elif words[0] not in TOOLS:
            return False
    return True


FAST_BLOCKS = [
    pytest.param(page, line, [(c, out) for c, out in commands if is_fast(c)], id=f"{page.relative_to(REPO)}:{line}")
    for page in PAGES
    for line, commands in console_commands(page)
    if any(is_fast(c) and re.search(r"\bctm\b", c) for c, _ in commands)
]


def same_line(shown: str, printed: str) -> bool:
    """``printed`` says what ``shown`` says: the same text, with each decimal number equal to
    the digits shown (whole numbers and digit strings exactly); when ``shown`` ends in
    '...', only its start."""
    shown, printed = shown.rstrip(), printed.rstrip()
    prefix = shown.endswith("...")
    shown = shown.removesuffix("...").rstrip()
    if printed == shown or (prefix and printed.startswith(shown)):
        return True
    want, got = NUMBER.findall(shown), NUMBER.findall(printed)
    skeleton, printed_skeleton = NUMBER.sub("#", shown), NUMBER.sub("#", printed)
    if prefix:
        got, same_text = got[: len(want)], printed_skeleton.startswith(skeleton)
    else:
        same_text = printed_skeleton == skeleton
    if not same_text or len(got) != len(want):
        return False
    for w, g in zip(want, got):
        mantissa, _, exponent = w.lower().partition("e")
        if "." not in mantissa and not exponent:
            if w != g:
                return False
            continue
        digits = len(mantissa.partition(".")[2])
        if abs(float(w) - float(g)) > 0.5 * 10.0 ** (int(exponent or 0) - digits) * (1 + 1e-9):
            return False
    return True


@pytest.mark.parametrize(("page", "line", "commands"), FAST_BLOCKS)
def test_fast_commands_print_what_the_docs_show(page, line, commands, tmp_path):
    (tmp_path / "root").mkdir()
    for name in ("datasets", "jobs"):
        (tmp_path / name).symlink_to(REPO / name)
    bin_dir = Path(sys.executable).parent
    assert shutil.which("ctm", path=str(bin_dir)), f"no ctm beside {sys.executable}: pip install -e . first"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CTM_", "DASK_"))}
    env |= {
        "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        "CTM_DATA_DIR": str(tmp_path / "root"),
        "MPLBACKEND": "Agg",
    }
    for command, shown in commands:
        result = subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        where = f"{page.relative_to(REPO)}:{line}: $ {command}"
        assert result.returncode in (0, 1), f"{where}\nexit {result.returncode}\n{result.stderr}"
        printed = result.stdout.rstrip("\n").splitlines()
        while shown and not shown[-1].strip():
            shown = shown[:-1]
        assert len(printed) == len(shown) and all(map(same_line, shown, printed)), (
            f"{where}\nthe docs show:\n"
            + "\n".join(shown)
            + "\nit prints:\n"
            + "\n".join(printed)
            + (f"\nstderr:\n{result.stderr}" if result.stderr else "")
        )


def test_the_docs_run_some_fast_commands_from_every_kind_of_page():
    """The rule above finds the commands it is meant for (a change to it cannot silently
    run none)."""
    ran = {Path(p.values[0]).name for p in FAST_BLOCKS}
    counted = sum(len(p.values[2]) for p in FAST_BLOCKS)
    assert {"README.md", "tutorial.md", "no-cutoff.md", "howto-check-reference-simulator.md"} <= ran, ran
    assert counted >= 15, counted
    assert is_fast("ctm query --table d4x2-s107 0101") and is_fast("printf 'a\\n' | ctm query --file -")
    assert not is_fast("ctm run jobs/d4x2.toml") and not is_fast("python examples/lifespan.py")
    assert not is_fast("ctm query 0101 && rm -rf x") and not is_fast("echo $(ctm run jobs/d4x2.toml)")


def test_same_line_compares_numbers_to_the_digits_shown():
    assert same_line("K=22.003007  D=2.379222e-07", "K=22.0030071  D=2.3792224e-07")
    assert not same_line("K=22.003007  D=2.379222e-07", "K=22.003009  D=2.379222e-07")
    assert not same_line("K=22.003007  D=2.379222e-07", "K=22.003007  D=2.379232e-07")
    assert not same_line("(d5x2-s500 v1, shipped)", "(d5x2-s500 v2, shipped)")
    assert not same_line("0110  K=9.263821", "0  K=9.263821") and not same_line("count=282", "count=282.0")
    assert same_line("mean=11.218587  K=10.7126 10.7126 ...", "mean=11.218587  K=10.7126 10.7126 11.2163")
    assert not same_line("mean=11.218587  K=10.7126 10.7126 ...", "mean=11.218588  K=10.7126 10.7126 11.2")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of ``page``'s headings, duplicates numbered as GitHub does."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *#*$", text, re.M):
        base = slug(heading)
        found.add(base if base not in seen else f"{base}-{seen[base]}")
        seen[base] = seen.get(base, 0) + 1
    return found


def links(page: Path) -> list[str]:
    """The link targets of ``page``, outside code blocks and inline code."""
    text = re.sub(r"`[^`\n]*`", "", FENCE.sub("", page.read_text(encoding="utf-8")))
    return re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text)


@pytest.mark.parametrize("page", LINKED, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_point_to_existing_files_and_headings(page):
    broken = []
    for target in links(page):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading #{anchor} in {dest.relative_to(REPO)}")
        elif dest.is_relative_to(REPO) is False:
            broken.append(f"{target}: outside the repository")
    assert not broken, f"{page.relative_to(REPO)}:\n" + "\n".join(broken)


def test_the_slugs_are_githubs():
    assert slug("API: which reference each function equals") == "api-which-reference-each-function-equals"
    assert (
        slug("No cutoff: (5,2) and (2,4) run to their busy beavers") == "no-cutoff-52-and-24-run-to-their-busy-beavers"
    )
    assert slug("The web calculator: `ctm serve`") == "the-web-calculator-ctm-serve"


def test_no_page_sends_readers_outside_the_repository():
    """The definitions are docs/ctm.md; nothing points outside the repository (the founders' shared notes)."""
    pages = [*LINKED, *sorted((REPO / "examples").glob("*.py"))]
    bad = [
        f"{p.relative_to(REPO)}: {row.strip()}"
        for p in pages
        for row in p.read_text(encoding="utf-8").splitlines()
        if re.search(r"\.\./shared|\bCTM\.md", row)
    ]
    assert not bad, "\n".join(bad)
