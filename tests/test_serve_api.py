"""The calculator's JSON API, over real HTTP against a running server: every endpoint
equals its Python function to the last bit, limits answer 413 or 422 with one line, the
server keeps serving, and the Host check, uploads, downloads and live tables work."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from servetools import Server

from pipeline.batch import reasons
from pipeline.bdm import BDM, bdm, ent, nbdm, nent
from pipeline.measures import acss_bdm, entropy, entropy2, likelihood_d, likelihood_ratio, local_complexity, prob_random
from pipeline.query import acss, lookup
from pipeline.serve.limits import MAX_INPUTS
from pipeline.serve.results import block_places

REPO = Path(__file__).resolve().parent.parent
DATASETS = REPO / "datasets"
MATTHEWS = pd.read_csv(DATASETS / "matthews2013.csv", dtype=str)["string"].tolist()
DIE_ROLLS = pd.read_csv(DATASETS / "exp2.csv", dtype=str)["string"].tolist()
ODD = ["HTHTHTHT", "=1+1", "-++-+", None, "HTHTHTHT", "0120", "0" * 60]
RING = np.roll(np.eye(12, dtype=int), 1, axis=1) + np.roll(np.eye(12, dtype=int), -1, axis=1)
RING_TEXT = "-".join("".join(map(str, row)) for row in RING)


@pytest.fixture(scope="module")
def server():
    with Server() as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


@pytest.fixture(autouse=True)
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def same(a, b) -> bool:
    """JSON's value equals Python's to the last bit (None for NaN)."""
    if b is None or (isinstance(b, float) and math.isnan(b)) or b is pd.NA:
        return a is None
    return a == b and type(a) is type(b.item() if isinstance(b, np.generic) else b)


def check_series(answer: dict, result: pd.Series) -> None:
    rows = answer["results"]
    assert len(rows) == len(result)
    for row, value, why in zip(rows, result.to_numpy().tolist(), reasons(result).tolist()):
        assert same(row["value"], value), (row, value)
        assert row["reason"] == why


def post(client, path, body, status=200):
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_health_tables_and_openapi(client):
    assert client.get("/api/health").json()["status"] == "ok"
    listed = {(t["name"], t["version"]): t for t in client.get("/api/tables").json()}
    assert listed[("d5x2-s500", 1)]["provenance"]["kind"] == "exact"
    assert listed[("d5x2-s500", 1)]["default_for"] == "alphabet 2"
    assert listed[("d4x6-s2000-sampled", 1)]["provenance"]["batches"] == 64
    assert listed[("d5x2-nocutoff", 1)]["provenance"]["no_cutoff"] is True
    assert listed[("d5x2-2d-s2000", 1)]["dims"] == 2
    paths = client.get("/openapi.json").json()["paths"]
    for name in (
        "lookup",
        "acss",
        "local_complexity",
        "likelihood_d",
        "likelihood_ratio",
        "prob_random",
        "entropy",
        "entropy2",
        "acss_bdm",
        "bdm",
        "nbdm",
        "ent",
        "nent",
        "score",
        "matrix",
        "upload",
    ):
        assert f"/api/{name}" in paths
    assert client.get("/docs").status_code == 404  # its assets would come from the internet


@pytest.mark.parametrize("alphabet", [None, 4, 6])
def test_acss_and_lookup_equal_python(client, alphabet):
    strings = ODD + DIE_ROLLS[:20] if alphabet == 6 else ODD
    answer = post(client, "/api/acss", {"strings": strings, "alphabet": alphabet})
    frame = acss(strings, alphabet, errors="ignore")
    assert [r["string"] for r in answer["results"]] == strings
    for row, i in zip(answer["results"], range(len(strings))):
        for column in frame.columns:
            assert same(row[column], frame[column].iloc[i]), (column, row, frame.iloc[i])
    records = post(client, "/api/lookup", {"strings": strings, "alphabet": alphabet})["results"]
    assert records == [json.loads(json.dumps(a.record())) for a in lookup(strings, alphabet=alphabet, errors="ignore")]
    if alphabet == 6:
        assert answer["table"]["provenance"]["kind"] == "sampled"
        assert all(r["K_se"] > 0 for r in answer["results"][len(ODD) :])


def test_matrices_lookup_equals_python(client):
    matrices = ["010-101-010", "111-101-111", "0000-0110-0110-0000", "01-1", RING_TEXT]
    answer = post(client, "/api/acss", {"strings": matrices, "ndim": 2})
    frame = acss(matrices, ndim=2, errors="ignore")
    assert [row["K"] for row in answer["results"]][:3] == frame["K"].tolist()[:3]
    assert answer["results"][3]["reason"] == frame["reason"].iloc[3] and "one length" in frame["reason"].iloc[3]


def test_measures_equal_python(client):
    strings = ["XXXXXXXOOOOXXXOOOOOOO", "HTHTHTHT", "HTHHTHTT", "HTX", None, "01" * 9]
    local = post(client, "/api/local_complexity", {"strings": strings, "span": 5})["rows"]
    for row, result in zip(local, local_complexity(strings, 5, errors="ignore")):
        assert row["K"] == [None if math.isnan(v) else v for v in result.tolist()]
        assert row["reason"] == result.attrs["reason"]
    assert local[0]["mean"] == local_complexity(strings[0], 5)[0].mean()  # the acss vignette's 11.22
    sampled = post(client, "/api/local_complexity", {"strings": ["1266116453"], "span": 4, "alphabet": 6})["rows"][0]
    python = local_complexity("1266116453", 4, 6)[0]
    assert sampled["K_se"] == python.attrs["K_se"].tolist() and sampled["mean_se"] == python.attrs["mean_se"]
    check_series(post(client, "/api/likelihood_d", {"strings": strings}), likelihood_d(strings, errors="ignore"))
    check_series(
        post(client, "/api/likelihood_ratio", {"strings": strings}), likelihood_ratio(strings, errors="ignore")
    )
    check_series(
        post(client, "/api/prob_random", {"strings": strings, "prior": 0.3}),
        prob_random(strings, prior=0.3, errors="ignore"),
    )
    check_series(post(client, "/api/entropy", {"strings": strings}), entropy(strings, errors="ignore"))
    check_series(post(client, "/api/entropy2", {"strings": strings}), entropy2(strings, errors="ignore"))
    body = {"strings": strings, "alphabet": 2, "blocksize": 12, "delta": 1}
    check_series(post(client, "/api/acss_bdm", body), acss_bdm(strings, 12, 2, 1, errors="ignore"))


@pytest.mark.parametrize("strategy", ["ignore", "recursive", "correlated"])
def test_bdm_1d_equals_python(client, strategy):
    strings = MATTHEWS[:40] + ["0" * 30, "012", None]
    options = {"strategy": strategy, "block": 8 if strategy == "correlated" else None}
    for name, function in (("bdm", bdm), ("ent", ent)) + (
        (("nbdm", nbdm), ("nent", nent)) if strategy != "correlated" else ()
    ):
        answer = post(client, f"/api/{name}", {"strings": strings, **options})
        check_series(answer, function(strings, errors="ignore", **options))
    assert answer["table"]["name"] == "d5x2-s500"


def test_bdm_2d_equals_python(client):
    matrices = [RING_TEXT, "-".join(["1" * 12] * 12), "0110-1001-1001-0110-1111"]
    for name, function in (("bdm", bdm), ("nbdm", nbdm), ("ent", ent), ("nent", nent)):
        for strategy in ("ignore", "recursive"):
            answer = post(client, f"/api/{name}", {"strings": matrices, "ndim": 2, "strategy": strategy})
            check_series(answer, function(matrices, ndim=2, strategy=strategy, errors="ignore"))
    assert post(client, "/api/bdm", {"strings": [RING_TEXT], "ndim": 2})["results"][0]["value"] == BDM(ndim=2).bdm(RING)


def test_score_matthews_and_die_rolls(client):
    answer = post(client, "/api/score", {"strings": MATTHEWS})
    assert answer["alphabet"] == 2 and answer["table"]["name"] == "d5x2-s500"
    assert answer["bdm"] == {"block": 12, "strategy": "ignore"}
    for row, value, n in zip(answer["rows"], bdm(MATTHEWS).tolist(), nbdm(MATTHEWS).tolist()):
        assert row["bdm"] == value and row["nbdm"] == n
    assert sum(r["K"] is not None for r in answer["rows"]) == 3  # the table produces 3 of the 216
    rolls = post(client, "/api/score", {"strings": DIE_ROLLS})
    assert rolls["alphabet"] == 6 and rolls["table"]["name"] == "d4x6-s2000-sampled"
    frame = acss(DIE_ROLLS, 6, errors="ignore")
    assert [r["K"] for r in rolls["rows"]] == frame["K"].tolist()
    assert [r["K_se"] for r in rolls["rows"]] == frame["K_se"].tolist()
    assert all("bdm" not in r for r in rolls["rows"])  # 10 symbols: within the table's reach


def test_matrix_endpoint_12x12(client):
    answer = post(client, "/api/matrix", {"matrix": RING_TEXT})
    scorer = BDM(ndim=2)
    assert answer["shape"] == [12, 12]
    assert (answer["bdm"], answer["nbdm"], answer["ent"]) == (scorer.bdm(RING), scorer.nbdm(RING), scorer.ent(RING))
    assert answer["bdm"] == pytest.approx(77.339116, abs=1e-6)  # docs/tutorial.md
    assert "no output" in answer["lookup"]["reason"]
    assert len(answer["blocks"]) == 9
    rows = RING_TEXT.split("-")
    for b in answer["blocks"]:
        piece = "-".join(r[b["left"] : b["left"] + b["cols"]] for r in rows[b["top"] : b["top"] + b["rows"]])
        assert piece == b["block"] and b["K"] == scorer.ctm(piece)
    small = post(client, "/api/matrix", {"matrix": "010-101-010", "block": 3})
    assert small["lookup"]["K"] == acss(["010-101-010"], ndim=2)["K"].iloc[0]
    # recursive and correlated blocks sit where BDM cuts them
    for strategy in ("recursive", "correlated"):
        text = "-".join(["0110100"] * 7)
        places = block_places(text, 4, strategy, 1, 2)
        cut = BDM(ndim=2, strategy=strategy)._cut(text)
        assert ["-".join(r[c : c + w] for r in text.split("-")[t : t + h]) for t, c, h, w in places] == cut


def test_limits_and_bad_input_answer_4xx_and_server_keeps_serving(client):
    bad = [
        ("/api/acss", {"strings": ["0"] * (MAX_INPUTS + 1)}, 413, "too many inputs: 100,001 strings; at most 100,000"),
        ("/api/score", {"strings": ["01"] * 1_000_000}, 413, "too many inputs: 1,000,000 strings"),
        ("/api/score", {"strings": ["0", "1" * 10**6]}, 422, "input 2 has 1,000,000 symbols; at most 10,000"),
        ("/api/matrix", {"matrix": "010-10-010"}, 422, "should be rows of one length"),
        ("/api/matrix", {"matrix": "-".join(["0" * 25] * 25)}, 422, "at most 24x24"),
        ("/api/acss", {"strings": ["01"], "table": "nonesuch"}, 422, "table name should look like"),
        ("/api/acss", {"strings": "0101"}, 422, "strings: Input should be a valid list"),
        ("/api/local_complexity", {"strings": ["0101"], "span": 99}, 422, "span should be an integer from 1"),
    ]
    for path, body, status, message in bad:
        response = client.post(path, json=body)
        assert response.status_code == status and message in response.json()["error"], (path, response.text)
        assert "\n" not in response.json()["error"]
        assert client.get("/api/health").status_code == 200
    response = client.post("/api/acss", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    uploads = [
        (("empty.csv", b""), 422, "is empty"),
        (("image.png", bytes(range(256)) * 64), 422, "is not text"),
        (("latin1.txt", "é\n".encode("latin-1")), 422, "is not UTF-8 text"),
        (("big.csv", b"0\n" * (25 * 2**20)), 413, "uploads are at most 10 MiB"),
    ]
    for file, status, message in uploads:
        response = client.post("/api/upload", files={"file": file})
        assert response.status_code == status and message in response.json()["error"], response.text
    assert client.post("/api/score", json={"strings": ["0101"]}).json()["rows"][0]["K"] is not None


def test_host_header_checked(server, client):
    assert client.get("/api/health", headers={"host": "attacker.example"}).status_code == 400
    assert client.get("/api/health", headers={"host": f"localhost:{server.port}"}).status_code == 200


def test_upload_columns(client):
    exp2 = client.post("/api/upload", files={"file": ("exp2.csv", (DATASETS / "exp2.csv").read_bytes())}).json()
    assert [c["name"] for c in exp2["columns"]] == ["string", "response"]
    assert exp2["columns"][0]["values"] == DIE_ROLLS and exp2["columns"][0]["alphabet"] == 6
    tsv = client.post("/api/upload", files={"file": ("codes.tsv", b"id\tcode\n1\t000111\n2\t111\n3\n")}).json()
    code = tsv["columns"][1]
    assert code["values"] == ["000111", "111", None]
    assert "dropped leading zeros" in code["warnings"][0]
    lines = client.post("/api/upload", files={"file": ("s.txt", "\ufeffHTHT\r\n-++-+\r\n=1+1\r\n".encode())}).json()
    assert lines["columns"][0]["name"] == "line" and lines["columns"][0]["values"] == ["HTHT", "-++-+", "=1+1"]


def test_csv_and_xlsx_downloads_keep_strings_text(client):
    strings = ["=1+1", "-++-+", "000111", "@A1", "0" * 14, None]
    response = client.post("/api/score.csv", json={"strings": strings, "alphabet": 4})
    assert response.status_code == 200
    assert 'filename="ctm-d4x4-s2000-sampled-v1.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["string"] for r in rows] == ["'=1+1", "'-++-+", "'000111", "'@A1", "'" + "0" * 14, ""]
    frame = acss(strings, 4, errors="ignore")
    for row, K, se in zip(rows, frame["K"].tolist(), frame["K_se"].tolist()):
        assert (float(row["K"]) if row["K"] else math.nan) == pytest.approx(K, abs=0, nan_ok=True)
        assert (float(row["K_se"]) if row["K_se"] else math.nan) == pytest.approx(se, abs=0, nan_ok=True)
        assert (row["table"], row["table_version"], row["table_source"]) == ("d4x4-s2000-sampled", "1", "shipped")
        assert row["software"].startswith("ctm-pipeline ")
    assert float(rows[4]["bdm"]) == bdm(["0" * 14], alphabet=4, block=11).iloc[0]
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())

    from openpyxl import load_workbook

    content = client.post("/api/score.xlsx", json={"strings": strings, "alphabet": 4}).content
    sheet = load_workbook(io.BytesIO(content)).active
    cells = [sheet.cell(row=i, column=1) for i in range(2, 7)]
    assert [c.value for c in cells] == strings[:5] and all(c.data_type == "s" for c in cells)


def test_new_table_version_visible_without_restart(tmp_path):
    with Server(tmp_path) as running, httpx.Client(base_url=running.url) as c:
        names = {(t["name"], t["source"]) for t in c.get("/api/tables").json()}
        assert ("d4x2-s107", str(tmp_path)) not in names
        target = tmp_path / "tables" / "d4x2-s107"
        shutil.copytree(REPO / "data" / "tables" / "d4x2-s107" / "v1", target / "v1")
        names = {(t["name"], t["source"]) for t in c.get("/api/tables").json()}
        assert ("d4x2-s107", str(tmp_path)) in names
        answer = c.post("/api/acss", json={"strings": ["0101"], "table": "d4x2-s107"}).json()
        assert answer["table"]["source"] == str(tmp_path) and answer["table"]["version"] == 1
        shutil.copytree(target / "v1", target / "v2")
        manifest = json.loads((target / "v2" / "manifest.json").read_text())
        (target / "v2" / "manifest.json").write_text(json.dumps(manifest | {"version": 2}))
        answer = c.post("/api/acss", json={"strings": ["0101"], "table": "d4x2-s107"}).json()
        assert answer["table"]["version"] == 2


@pytest.mark.slow
def test_health_answers_while_a_maximal_request_is_scored(client):
    rng = np.random.default_rng(5)
    strings = ["".join(map(str, row)) for row in rng.integers(0, 6, size=(MAX_INPUTS, 10))]
    done = {}

    def big():
        done["status"] = client.post("/api/score", json={"strings": strings, "alphabet": 6}).status_code
        done["at"] = time.monotonic()

    worker = threading.Thread(target=big)
    start = time.monotonic()
    worker.start()
    time.sleep(0.2)
    times = []
    while worker.is_alive() and len(times) < 20:
        t = time.monotonic()
        assert client.get("/api/health").status_code == 200
        times.append((time.monotonic() - t, time.monotonic()))
        time.sleep(0.1)
    worker.join()
    assert done["status"] == 200
    # An ordering check, not a timing one: health answers came back while the maximal
    # request was still being scored. Scoring on the event loop would hold every health
    # call until the score had been sent, leaving none before it.
    during = [at for took, at in times if at < done["at"]]
    assert len(during) >= 2, f"no health answer came back before the maximal request ({done['at'] - start:.1f} s)"


def test_ctm_serve_command(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctm = Path(sys.executable).with_name("ctm")
    process = subprocess.Popen(
        [str(ctm), "serve", "--host", "127.0.0.2", "--port", str(port), "--data-dir", str(tmp_path)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.2:{port}/api/health", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "ctm serve did not start"
                time.sleep(0.2)
        assert response.json()["status"] == "ok"
        assert httpx.get(f"http://127.0.0.2:{port}/api/health", headers={"host": "evil.example"}).status_code == 400
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "no authentication" in err and "127.0.0.2" in err


def test_compose_calculator_service():
    import yaml

    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    calculator = services["calculator"]
    assert calculator["profiles"] == ["calculator"]
    command = calculator["command"]
    assert command[:2] == ["ctm", "serve"] and command[command.index("--host") + 1] == "0.0.0.0"
    port = command[command.index("--port") + 1]
    assert calculator["ports"] == [f"${{CTM_BIND_ADDRESS:-127.0.0.1}}:${{CTM_CALCULATOR_PORT:-8000}}:{port}"]
    assert "${CTM_BIND_ADDRESS:-127.0.0.1}" in command  # the published address passes the Host check
    assert calculator["environment"]["CTM_DATA_DIR"] == "/data"  # the cluster's merged tables
    assert calculator["image"] == services["scheduler"]["image"] and calculator["pull_policy"] == "never"
