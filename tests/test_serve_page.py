"""The calculator's page in a real headless Chromium against a running server: type
strings, upload files, edit a matrix, read the results off the page and download the
CSV, each compared with the Python functions at the page's digits (6 decimals).

One browser and one server serve every test here. Chromium and its driver come from
Debian (installed by ``servetools.chromium_missing`` where missing); without them the
tests skip with the reason, and fail under CI=true.
"""

from __future__ import annotations

import csv
import math
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select
from servetools import Server, chrome, chromium_missing

from pipeline.bdm import BDM, bdm, nbdm
from pipeline.measures import local_complexity
from pipeline.query import acss

REPO = Path(__file__).resolve().parent.parent
DATASETS = REPO / "datasets"
MATTHEWS = pd.read_csv(DATASETS / "matthews2013.csv", dtype=str)["string"].tolist()
DIE_ROLLS = pd.read_csv(DATASETS / "exp2.csv", dtype=str)["string"].tolist()
RING = np.roll(np.eye(12, dtype=int), 1, axis=1) + np.roll(np.eye(12, dtype=int), -1, axis=1)
RING_TEXT = "-".join("".join(map(str, row)) for row in RING)

ROWS_JS = """
return Array.from(document.querySelectorAll('#results tbody tr')).map(tr => {
  const out = {};
  for (const td of tr.cells) for (const c of td.classList) if (c.startsWith('c-')) out[c.slice(2)] = td.textContent;
  return out;
});
"""


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def page(downloads):
    """(browser, url): one headless Chromium on one running server for every test here."""
    reason = chromium_missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(f"no headless Chromium: {reason}")
    with Server() as server:
        browser = chrome(downloads)
        try:
            yield browser, server.url
        finally:
            browser.quit()


@pytest.fixture(autouse=True)
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def wait(condition, timeout: float = 30.0, what: str = "the page"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except (NoSuchElementException, StaleElementReferenceException):
            value = None
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def fresh(page):
    """The page, newly loaded, with its table list in."""
    browser, url = page
    browser.get(url)
    wait(
        lambda: browser.execute_script("return document.querySelectorAll('#table option').length > 1"),
        what="the table list",
    )
    return browser


def by_id(browser, name):
    return browser.find_element("id", name)


def score(browser, button: str = "score", out: str = "summary", message: str = "message") -> str:
    """Click a score button; the results' summary, or the error message shown instead."""
    browser.execute_script(
        f"document.getElementById('{out}').textContent = ''; document.getElementById('{message}').textContent = '';"
    )
    by_id(browser, button).click()
    wait(
        lambda: browser.execute_script(
            f"const m = document.getElementById('{message}').textContent; "
            f"return document.getElementById('{out}').textContent || (m && !m.startsWith('scoring'))"
        ),
        what=f"{button}'s answer",
    )
    return by_id(browser, message).text


def upload(browser, path: Path, expect_error: bool = False) -> str:
    browser.execute_script(
        "document.getElementById('message').textContent = ''; document.getElementById('file-note').textContent = '';"
    )
    by_id(browser, "file").send_keys(str(path))
    wait(lambda: by_id(browser, "file-note").text or by_id(browser, "message").text, what="the upload")
    return by_id(browser, "message").text


def k_cells(rows: list[dict], frame: pd.DataFrame) -> None:
    """The page's K, ± se, D, count or hits, and rank equal acss()'s at the page's digits."""
    assert len(rows) == len(frame)
    for row, (_, values) in zip(rows, frame.iterrows()):
        if isinstance(values["reason"], str):
            assert row["reason"] == f"NA: {values['reason']}"
            continue
        assert row["K"] == f"{values['K']:.6f}"
        assert float(row["D"]) == float(f"{values['D']:.6e}")
        assert row["rank"] == str(values["rank"])
        if "K_se" in frame:
            assert row["K_se"] == f"{values['K_se']:.6f}" and row["hits"] == str(values["hits"])
        else:
            assert row["count"] == str(values["count"])


def test_typed_strings(page):
    browser = fresh(page)
    typed = ["HTHTHTHT", "HTHHTHTT", "TTTTHHHH", "HTHTHTHT"]
    by_id(browser, "strings").send_keys("\n".join(typed))
    assert by_id(browser, "alphabet").get_attribute("value") == "2"
    assert "2 distinct symbols" in by_id(browser, "alphabet-note").text
    assert score(browser) == ""
    k_cells(browser.execute_script(ROWS_JS), acss(typed, 2))
    assert "d5x2-s500 v1" in by_id(browser, "summary").text and "exact" in by_id(browser, "summary").text
    # the alphabet is changeable: 4 symbols, the sampled table, with standard errors
    by_id(browser, "alphabet").clear()
    by_id(browser, "alphabet").send_keys("4")
    score(browser)
    k_cells(browser.execute_script(ROWS_JS), acss(typed, 4))
    assert "sampled, 64 batches" in by_id(browser, "summary").text
    # the first string's local complexity is charted
    wait(lambda: by_id(browser, "chart-mean").text, what="the chart")
    expected = local_complexity(typed[0], 5, 4)[0]
    assert by_id(browser, "chart-mean").text == f"mean K = {expected.mean():.6f}"
    assert len(browser.find_elements("css selector", "#chart-svg circle.point")) == len(expected)
    # a table picked from the list, with its provenance: the (5,2) table with no cutoff
    Select(by_id(browser, "table")).select_by_value("d5x2-nocutoff@1@shipped")
    assert "exact, no cutoff (S = the busy beaver's)" in by_id(browser, "table-provenance").text
    assert by_id(browser, "alphabet").get_attribute("value") == "2"
    score(browser)
    k_cells(browser.execute_script(ROWS_JS), acss(typed, table="d5x2-nocutoff"))
    assert "d5x2-nocutoff v1" in by_id(browser, "summary").text


def test_upload_matthews_strings(page):
    browser = fresh(page)
    assert upload(browser, DATASETS / "matthews2013.csv") == ""
    assert by_id(browser, "column").get_attribute("value") == "0"  # the 'string' column
    assert by_id(browser, "alphabet").get_attribute("value") == "2"
    score(browser)
    rows = browser.execute_script(ROWS_JS)
    assert [r["string"] for r in rows] == MATTHEWS
    k_cells(rows, acss(MATTHEWS, 2))
    for row, value, normalized in zip(rows, bdm(MATTHEWS).tolist(), nbdm(MATTHEWS).tolist()):
        assert row["bdm"] == f"{value:.6f}" and row["nbdm"] == f"{normalized:.6f}"
    assert "block 12, partition ignore" in by_id(browser, "summary").text
    # a row's local complexity (the acss vignette's string is the third)
    browser.find_elements("css selector", "#results tbody tr")[2].click()
    wait(lambda: MATTHEWS[2] in by_id(browser, "chart-title").text, what="the third string's chart")
    assert by_id(browser, "chart-mean").text == f"mean K = {local_complexity(MATTHEWS[2], 5)[0].mean():.6f}"


def test_upload_die_rolls_with_standard_errors_and_download(page, downloads):
    browser = fresh(page)
    assert upload(browser, DATASETS / "exp2.csv") == ""
    assert by_id(browser, "alphabet").get_attribute("value") == "6"
    score(browser)
    frame = acss(DIE_ROLLS, 6)
    k_cells(browser.execute_script(ROWS_JS), frame)
    assert "d4x6-s2000-sampled v1" in by_id(browser, "summary").text
    for old in downloads.glob("*.csv"):
        old.unlink()
    by_id(browser, "download").click()
    saved = wait(lambda: [p for p in downloads.glob("*.csv")], what="the CSV download")[0]
    assert saved.name == "ctm-d4x6-s2000-sampled-v1.csv"
    with saved.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["string"] for r in rows] == ["'" + s for s in DIE_ROLLS]
    assert [float(r["K"]) for r in rows] == frame["K"].tolist()  # every digit
    assert [float(r["K_se"]) for r in rows] == frame["K_se"].tolist()
    assert {(r["table"], r["table_version"], r["table_source"], r["software"]) for r in rows} == {
        ("d4x6-s2000-sampled", "1", "shipped", "ctm-pipeline 0.1.0")
    }


def test_formula_like_strings_are_scored_as_symbols_and_download_as_text(page, downloads):
    browser = fresh(page)
    typed = ["=1+1", "-++-+", "+-+-", "@@=="]
    by_id(browser, "strings").send_keys("\n".join(typed))
    assert by_id(browser, "alphabet").get_attribute("value") == "5"
    score(browser)
    rows = browser.execute_script(ROWS_JS)
    assert [r["string"] for r in rows] == typed
    k_cells(rows, acss(typed, 5))
    for old in downloads.glob("*.csv"):
        old.unlink()
    by_id(browser, "download").click()
    saved = wait(lambda: [p for p in downloads.glob("*.csv")], what="the CSV download")[0]
    with saved.open(newline="", encoding="utf-8") as fh:
        cells = [r["string"] for r in csv.DictReader(fh)]
    assert cells == ["'=1+1", "'-++-+", "'+-+-", "'@@=="]


def test_matrix_editor_12x12(page):
    browser = fresh(page)
    by_id(browser, "tab-matrices").click()
    for name in ("rows", "cols"):
        field = by_id(browser, name)
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys("12", Keys.TAB)
    wait(lambda: len(browser.find_elements("css selector", "#grid button")) == 144, what="a 12x12 grid")
    start = np.zeros((12, 12), dtype=int)
    start[:3, :3] = [[0, 1, 0], [1, 0, 1], [0, 1, 0]]  # the page's first matrix, kept when it grows
    assert by_id(browser, "matrix-text").get_attribute("value") == "-".join("".join(map(str, r)) for r in start)
    for r, c in zip(*np.nonzero(RING != start)):
        browser.find_element("css selector", f'#grid button[data-r="{r}"][data-c="{c}"]').click()
    assert by_id(browser, "matrix-text").get_attribute("value") == RING_TEXT
    assert score(browser, "matrix-score", "heatmap", "matrix-message") == ""
    wait(lambda: by_id(browser, "m-bdm").text, what="the matrix's BDM")
    scorer = BDM(ndim=2)
    assert by_id(browser, "m-bdm").text == f"{scorer.bdm(RING):.6f}" == "77.339116"
    assert by_id(browser, "m-nbdm").text == f"{scorer.nbdm(RING):.6f}"
    assert by_id(browser, "m-ent").text == f"{scorer.ent(RING):.6f}"
    assert by_id(browser, "m-K").text.startswith("NA: is 12x12 but no output")
    titles = browser.execute_script(
        "return Array.from(document.querySelectorAll('#heatmap-svg g.block title')).map(t => t.textContent)"
    )
    assert len(titles) == 9
    for title in titles:
        block, K = title.split(": K = ")
        assert K.split(" ")[0] == f"{scorer.ctm(block):.6f}"
    # matrix text typed in: a 3x3 matrix has its own K
    field = by_id(browser, "matrix-text")
    field.clear()
    field.send_keys("010-101-010")
    assert len(browser.find_elements("css selector", "#grid button")) == 9
    browser.execute_script("document.getElementById('matrix-block').value = '3'")
    score(browser, "matrix-score", "heatmap", "matrix-message")
    wait(lambda: by_id(browser, "m-K").text, what="the 3x3 matrix's K")
    assert by_id(browser, "m-K").text == f"{acss(['010-101-010'], ndim=2)['K'].iloc[0]:.6f}" == "17.080465"


def test_bad_input_gets_a_clear_message_and_the_server_keeps_serving(page, tmp_path):
    browser = fresh(page)
    (tmp_path / "empty.csv").write_bytes(b"")
    assert "is empty" in upload(browser, tmp_path / "empty.csv")
    (tmp_path / "photo.png").write_bytes(bytes(range(256)) * 40)
    assert "is not text" in upload(browser, tmp_path / "photo.png")
    with (tmp_path / "huge.csv").open("wb") as fh:
        fh.truncate(50 * 2**20)
    assert "uploads are at most 10 MiB" in upload(browser, tmp_path / "huge.csv")
    (tmp_path / "codes.csv").write_text("code\n000111\n111\n0111\n")
    assert upload(browser, tmp_path / "codes.csv") == ""
    assert "dropped leading zeros" in by_id(browser, "warnings").text
    (tmp_path / "million.txt").write_text("0\n" * 1_000_000)
    assert (
        upload(browser, tmp_path / "million.txt")
        == "file 'million.txt' has 1,000,000 rows; at most 100,000 per request (HTTP 413)"
    )
    (tmp_path / "long.txt").write_text("01\n" + "1" * 10**6 + "\n")
    assert upload(browser, tmp_path / "long.txt") == (
        "file 'long.txt': row 2 of column 'line' has 1,000,000 symbols; at most 10,000 per string (HTTP 422)"
    )
    long = "1" * 20_000  # typed in: the API's answer (a 10^6-symbol string pasted is the same answer, slower)
    browser.execute_script(
        f"const t = document.getElementById('strings'); t.value = '01\\n{long}'; t.dispatchEvent(new Event('input'));"
    )
    assert score(browser) == "input 2 has 20,000 symbols; at most 10,000 per string (or matrix) (HTTP 422)"
    by_id(browser, "tab-matrices").click()
    field = by_id(browser, "matrix-text")
    field.clear()
    field.send_keys("010-10-010")
    message = score(browser, "matrix-score", "heatmap", "matrix-message")
    assert "should be rows of one length joined by '-'" in message and "(HTTP 422)" in message
    # still serving
    by_id(browser, "tab-strings").click()
    browser.execute_script(
        "const t = document.getElementById('strings'); t.value = 'HTHTHTHT'; t.dispatchEvent(new Event('input'));"
    )
    assert score(browser) == ""
    assert browser.execute_script(ROWS_JS)[0]["K"] == f"{acss('HTHTHTHT')['K'].iloc[0]:.6f}"
    assert not math.isnan(acss("HTHTHTHT")["K"].iloc[0])
