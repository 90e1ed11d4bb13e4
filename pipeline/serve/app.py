"""The calculator's web app: the page, and a JSON endpoint per public function.

``create_app(data_dir, allowed_hosts)`` builds it. Every endpoint that scores runs the
Python function in a worker thread (``run_in_threadpool``), so a health request is
answered while a large batch is scored; its answer is the function's values to the last
bit (JSON floats round-trip), None and a reason where there is none. Errors are one
line, ``{"error": "..."}``, with a 4xx code: 413 past a size limit (``limits``), 422
for input the calculator cannot read, 400 for a Host header it does not serve (against
DNS rebinding). Tables are looked up on every request, so a new version in the data
root is used without a restart. The OpenAPI description is at ``/openapi.json``; the
interactive docs pages are off, since they load their assets from the internet.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from pipeline import __version__
from pipeline.errors import CTMError
from pipeline.serve import export, results
from pipeline.serve.limits import MAX_BODY, MAX_SIDE, MAX_UPLOAD, LimitError, check_batch
from pipeline.serve.upload import read_upload

STATIC = Path(__file__).with_name("static")
LOOPBACK = ("127.0.0.1", "localhost")


def allowed_hosts(host: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Host names a request may name: loopback, the address served, and ``extra``; for a
    wildcard address (0.0.0.0) also this machine's name and its addresses."""
    names = [*LOOPBACK, *extra]
    if host in ("0.0.0.0", "::", ""):
        name = socket.gethostname()
        names += [name, socket.getfqdn()]
        try:
            names += [info[4][0] for info in socket.getaddrinfo(name, None, socket.AF_INET)]
        except OSError:
            pass
    else:
        names.append(host)
    return list(dict.fromkeys(n for n in names if n))


# -- request bodies ----------------------------------------------------------------------


class TableChoice(BaseModel):
    table: str | None = Field(None, description="Table name, e.g. d5x2-s500; null for the alphabet's default.")
    version: int | None = Field(None, ge=1, description="Table version; null for the latest.")
    alphabet: int | None = Field(None, ge=2, le=10, description="Symbols of the table; null: the table's own, or 2.")


class Batch(TableChoice):
    strings: list[str | None] = Field(
        ..., description="Inputs, at most 100,000, each at most 10,000 symbols; null is a missing value."
    )


class LookupBody(Batch):
    ndim: Literal[1, 2] = Field(1, description="1: strings; 2: matrices as rows joined by '-' (010-101-010).")


class LocalBody(Batch):
    span: int = Field(5, description="Window length, as acss::local_complexity.")


class PriorBody(Batch):
    prior: float = Field(0.5, description="P(random), as acss::prob_random.")


class EntropyBody(BaseModel):
    strings: list[str | None]


class AcssBdmBody(Batch):
    alphabet: int | None = Field(9, ge=2, le=10, description="acss's default is 9.")
    blocksize: int = 10
    delta: int | None = None


class BdmBody(Batch):
    block: int | None = Field(None, description="Block length (side in 2-D); null: 12 for strings, 4 for matrices.")
    strategy: Literal["ignore", "recursive", "correlated"] = "ignore"
    shift: int = 1
    min_length: int = 2
    missing: Literal["impute", "error"] = "impute"
    ndim: Literal[1, 2] = 1


class ScoreBody(Batch):
    alphabet: int | None = Field(
        None, ge=2, le=10, description="null: the distinct symbols of all the inputs (at least 2)."
    )
    block: int | None = Field(
        None, description="BDM block for inputs longer than any output; null: 12, or the table's longest output."
    )
    strategy: Literal["ignore", "recursive", "correlated"] = "ignore"


class MatrixBody(BaseModel):
    matrix: str = Field(..., description="Rows of one length joined by '-', at most 24x24, e.g. 010-101-010.")
    table: str | None = None
    version: int | None = Field(None, ge=1)
    block: int | None = Field(None, description="Side of the square blocks; null: 4.")
    strategy: Literal["ignore", "recursive", "correlated"] = "ignore"
    shift: int = 1
    min_length: int = 2


# -- the app -----------------------------------------------------------------------------


class BodyLimit:
    """413 for a request body past its limit (uploads MAX_UPLOAD, JSON MAX_BODY), read or declared."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        upload = scope["path"].startswith("/api/upload")
        limit = MAX_UPLOAD + 65536 if upload else MAX_BODY
        what = (
            f"uploads are at most {MAX_UPLOAD // 2**20} MiB"
            if upload
            else f"request bodies are at most {MAX_BODY // 2**20} MiB"
        )
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _error(send, 413, f"request of {int(declared) / 2**20:.1f} MiB: {what}")
        seen = 0
        started = False

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooBig
            return message

        async def sending(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except _TooBig:
            if not started:
                await _error(send, 413, f"request larger than {limit / 2**20:.1f} MiB: {what}")


class _TooBig(Exception):
    pass


async def _error(send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _json(value: object) -> Response:
    return Response(json.dumps(value, allow_nan=False), media_type="application/json")


def create_app(data_dir: str | Path | None = None, hosts: list[str] | None = None) -> FastAPI:
    """The calculator over the tables of ``data_dir`` (then the shipped ones), answering
    requests whose Host header names one of ``hosts`` (default: loopback names)."""
    app = FastAPI(
        title="ctm-pipeline calculator",
        version=__version__,
        description=(
            "K, D, BDM and acss's measures from this project's CTM tables (exact, or sampled with standard "
            "errors). Limits: 100,000 inputs per request, 10,000 symbols per string, 10 MiB per upload, "
            "32 MiB per JSON body; past them 413 (too much) or 422 (unreadable), with one-line errors."
        ),
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(BodyLimit)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts or list(LOOPBACK))

    @app.exception_handler(CTMError)
    async def ctm_error(request: Request, exc: CTMError):
        return JSONResponse({"error": str(exc)}, status_code=422)

    @app.exception_handler(LimitError)
    async def limit_error(request: Request, exc: LimitError):
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        return JSONResponse({"error": f"{where}: {first.get('msg')}{more}"}, status_code=422)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception):
        return JSONResponse(
            {"error": f"the calculator failed on this request ({type(exc).__name__}: {exc})"}, status_code=500
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    async def scored(work, body: Batch | None = None, strings: list | None = None):
        """Check the limits, then run ``work`` in a worker thread and answer its JSON."""
        if body is not None or strings is not None:
            check_batch(body.strings if strings is None else strings)
        return _json(await run_in_threadpool(work))

    def options(body: TableChoice) -> dict:
        return {"table": body.table, "version": body.version, "alphabet": body.alphabet, "data_dir": data_dir}

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/health", summary="Liveness: answers while any batch is scored")
    async def health():
        return {"status": "ok", "software": results.SOFTWARE}

    @app.get("/api/tables", summary="Tables, versions, sources and provenance (as `ctm tables`)")
    async def tables():
        return _json(await run_in_threadpool(results.tables, data_dir))

    @app.post("/api/lookup", summary="query.lookup: K, D, count, rank (and K_se, D_se, hits, size where sampled)")
    async def lookup(body: LookupBody):
        from pipeline.query import lookup as lookup_

        def work():
            answers = lookup_(body.strings, ndim=body.ndim, errors="ignore", **options(body))
            return {"results": [a.record() | {"string": s} for a, s in zip(answers, body.strings)]}

        return await scored(work, body)

    @app.post("/api/acss", summary="query.acss: K, D, count, rank, reason per input")
    async def acss(body: LookupBody):
        from pipeline.query import acss as acss_

        def work():
            o = options(body)
            frame = acss_(body.strings, o.pop("alphabet"), ndim=body.ndim, errors="ignore", **o)
            tab = results.table_or_none(body.table, body.version, body.alphabet, data_dir, body.ndim)
            return {"table": results.described(tab), "results": results.frame_records(body.strings, frame)}

        return await scored(work, body)

    @app.post("/api/local_complexity", summary="measures.local_complexity: K of every window of `span` symbols")
    async def local_complexity(body: LocalBody):
        return await scored(lambda: results.local(body.strings, span=body.span, **options(body)), body)

    def series_endpoint(path: str, summary: str, function: str, model: type[BaseModel], extra: tuple[str, ...] = ()):
        async def endpoint(body: model):  # type: ignore[valid-type]
            from pipeline import measures

            def work():
                kwargs = {k: getattr(body, k) for k in extra}
                if isinstance(body, Batch):
                    kwargs |= options(body)
                result = getattr(measures, function)(body.strings, errors="ignore", **kwargs)
                out = {"results": results.series_records(body.strings, result)}
                if isinstance(body, Batch):
                    out["table"] = results.described(
                        results.table_or_none(body.table, body.version, body.alphabet, data_dir)
                    )
                return out

            return await scored(work, strings=body.strings)

        endpoint.__name__ = function
        endpoint.__annotations__ = {"body": model}
        app.post(path, summary=summary)(endpoint)

    series_endpoint("/api/likelihood_d", "measures.likelihood_d: P(s | deterministic)", "likelihood_d", Batch)
    series_endpoint(
        "/api/likelihood_ratio",
        "measures.likelihood_ratio: P(s | random) / P(s | deterministic)",
        "likelihood_ratio",
        Batch,
    )
    series_endpoint(
        "/api/prob_random", "measures.prob_random: P(random | s) for a prior", "prob_random", PriorBody, ("prior",)
    )
    series_endpoint("/api/entropy", "measures.entropy: Shannon entropy of the symbols (acss)", "entropy", EntropyBody)
    series_endpoint("/api/entropy2", "measures.entropy2: entropy of overlapping pairs (acss)", "entropy2", EntropyBody)
    series_endpoint(
        "/api/acss_bdm", "measures.acss_bdm: acss's own bdm()", "acss_bdm", AcssBdmBody, ("blocksize", "delta")
    )

    def bdm_endpoint(name: str, summary: str):
        async def endpoint(body: BdmBody):
            from pipeline import bdm as bdm_module

            def work():
                o = options(body)
                result = getattr(bdm_module, name)(
                    body.strings,
                    errors="ignore",
                    block=body.block,
                    strategy=body.strategy,
                    shift=body.shift,
                    min_length=body.min_length,
                    missing=body.missing,
                    ndim=body.ndim,
                    **o,
                )
                tab = results.table_or_none(body.table, body.version, body.alphabet, data_dir, body.ndim)
                return {"table": results.described(tab), "results": results.series_records(body.strings, result)}

            return await scored(work, body)

        endpoint.__name__ = name
        app.post(f"/api/{name}", summary=summary)(endpoint)

    bdm_endpoint("bdm", "bdm.bdm: BDM of strings (ndim 1) or matrices (ndim 2), as pybdm")
    bdm_endpoint("nbdm", "bdm.nbdm: normalised BDM, as pybdm")
    bdm_endpoint("ent", "bdm.ent: block entropy, as pybdm")
    bdm_endpoint("nent", "bdm.nent: normalised block entropy, as pybdm")

    def score_of(body: ScoreBody) -> dict:
        return results.score(
            body.strings,
            alphabet=body.alphabet,
            table=body.table,
            version=body.version,
            block=body.block,
            strategy=body.strategy,
            data_dir=data_dir,
        )

    @app.post(
        "/api/score",
        summary="The page's results: acss() per input, BDM, NBDM and entropy past the table's longest output",
    )
    async def score(body: ScoreBody):
        return await scored(lambda: score_of(body), body)

    def download(content: str | bytes, scored_: dict, suffix: str, media: str) -> Response:
        tab = scored_["table"]
        name = f"ctm-{tab['name']}-v{tab['version']}" if tab else "ctm-results"
        headers = {"Content-Disposition": f'attachment; filename="{name}.{suffix}"'}
        return Response(content, media_type=media, headers=headers)

    @app.post(
        "/api/score.csv",
        summary="The page's results as CSV (strings kept as text; table, version, source, software on each row)",
    )
    async def score_csv(body: ScoreBody):
        check_batch(body.strings)
        answer = await run_in_threadpool(score_of, body)
        return download(export.to_csv(answer), answer, "csv", "text/csv; charset=utf-8")

    @app.post("/api/score.xlsx", summary="The page's results as XLSX (text cells for strings)")
    async def score_xlsx(body: ScoreBody):
        check_batch(body.strings)
        answer = await run_in_threadpool(score_of, body)
        content = await run_in_threadpool(export.to_xlsx, answer)
        return download(content, answer, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @app.post("/api/matrix", summary="One matrix: K where the 2-D table reaches, BDM, NBDM, entropy and each block's K")
    async def matrix(body: MatrixBody):
        check_batch([body.matrix.replace("-", "")], "matrices")
        return await scored(
            lambda: results.matrix(
                body.matrix,
                table=body.table,
                version=body.version,
                block=body.block,
                strategy=body.strategy,
                shift=body.shift,
                min_length=body.min_length,
                data_dir=data_dir,
            )
        )

    @app.post("/api/upload", summary="A CSV, TSV or text file (at most 10 MiB) as columns of text")
    async def upload(file: UploadFile = File(...)):
        raw = await file.read()
        return _json(await run_in_threadpool(read_upload, file.filename or "upload", raw))

    app.state.data_dir = data_dir
    app.state.max_side = MAX_SIDE
    return app
