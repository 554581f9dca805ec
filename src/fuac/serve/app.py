"""The FastAPI application of ``fuac serve`` (docs/service.md).

Every endpoint calls the public functions of the library and answers what they return
(``Evaluation.to_dict()``, ``Gaps.to_dict()``, ``fuac.input_schema``, the score sheet …); each
unit scored is recorded in the :class:`~fuac.serve.store.Store` unless the request says
``record=false``. Errors are one JSON object each (:mod:`.errors`).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import _api
from ..errors import FuacError, InputError, RulesetError, RulesetNotFound, TierNotFound
from ..plan.loader import RuleSet
from ..render.cells import exact_text
from ..run.results import Evaluation, Problem
from . import exact, page, schemas, titles, views
from .errors import ApiError, bad_request, from_validation, internal, not_found, problem
from .security import BodyLimit, TimeLimit, Tokens
from .store import Filter, RevisesError, Store, StoreError, assessment_row, moment

log = logging.getLogger("fuac.serve")

API = "/v1"
#: default limits: a unit's body, and a batch's upload
MAX_BODY = 1 << 20
MAX_UPLOAD = 64 << 20
#: seconds before an answer must start (a streamed batch's rows are its start), and a body may stall
MAX_SECONDS = 60.0
BODY_SECONDS = 30.0
#: rows scored at a time in a batch (small: the first rows are answered at once)
BATCH_CHUNK = 512
#: the content types of a batch's body and the file suffix each is read as
BATCH_TYPES = {
    "application/x-ndjson": ".jsonl", "application/jsonl": ".jsonl", "application/x-jsonlines": ".jsonl",
    "application/json-lines": ".jsonl", "text/csv": ".csv", "application/json": ".json",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
BATCH_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".json", ".xlsx", ".xlsm")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Lang = Literal["zh", "en", "both"]


@dataclass
class Settings:
    """How the app runs: the store's database (``None``: ``$FUAC_DB`` or the default file), the
    tokens, and the largest body a request may send (a batch's upload has its own limit)."""

    db: str | None = None
    tokens: Tokens = field(default_factory=Tokens)
    max_body: int = MAX_BODY
    max_upload: int = MAX_UPLOAD
    #: the longest a request may take before its answer starts, and the longest its body may stall
    max_seconds: float = MAX_SECONDS
    body_seconds: float = BODY_SECONDS

    @classmethod
    def from_env(cls) -> Settings:
        """What ``fuac serve --workers N`` hands each worker process through its environment."""
        return cls(db=os.environ.get("FUAC_DB"), tokens=Tokens.load(),
                   max_body=int(os.environ.get("FUAC_MAX_BODY") or MAX_BODY),
                   max_upload=int(os.environ.get("FUAC_MAX_UPLOAD") or MAX_UPLOAD),
                   max_seconds=float(os.environ.get("FUAC_MAX_SECONDS") or MAX_SECONDS),
                   body_seconds=float(os.environ.get("FUAC_BODY_SECONDS") or BODY_SECONDS))


class ExactJSONResponse(JSONResponse):
    """JSON whose decimals keep every digit (:func:`.exact.dumps`)."""

    def render(self, content: Any) -> bytes:
        return exact.dumps(content).encode("utf-8")


def app_from_env() -> FastAPI:
    """The app with :meth:`Settings.from_env` (uvicorn's factory for several workers)."""
    return create_app(Settings.from_env())


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> FastAPI:
    """The application; its store is opened (and its schema upgraded) here."""
    settings = settings or Settings()
    app = FastAPIOffline(
        title="fuac",
        version=__import__("fuac").__version__,
        description="Score places against Chinese advanced-unit evaluation schemes, and keep a record of every "
                    "assessment. 先进单位创建评分服务。See docs/service.md.",
        default_response_class=ExactJSONResponse,
    )
    app.state.settings = settings
    app.state.tokens = settings.tokens
    app.state.store = store if store is not None else Store(settings.db)
    _handlers(app)
    app.include_router(_router())
    app.include_router(page.router())
    upload_paths = (f"{API}/rulesets/", ("/batch", "/rank", "/evaluate/workbook"))

    def limit_for(path: str) -> int:
        if upload_paths[0] in path and path.endswith(upload_paths[1]):  # under a --root-path too
            return settings.max_upload
        return settings.max_body

    app.add_middleware(BodyLimit, limit_for=limit_for, render=exact.dumps)
    app.add_middleware(TimeLimit, seconds=settings.max_seconds, body_seconds=settings.body_seconds,
                       render=exact.dumps)
    return app


# ---------------------------------------------------------------------------
# errors


def _error_response(err: ApiError) -> ExactJSONResponse:
    return ExactJSONResponse(err.body(), status_code=err.status, headers=err.headers)


def _handlers(app: FastAPI) -> None:
    async def api_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return _error_response(exc)

    async def invalid(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return _error_response(from_validation(exc.errors()))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        words = {404: ("not_found", f"no such endpoint: {request.url.path}", f"没有此接口：{request.url.path}"),
                 405: ("method_not_allowed", f"{request.method} is not allowed on {request.url.path}",
                       f"{request.url.path} 不接受 {request.method} 请求")}
        code, en, zh = words.get(exc.status_code, ("http_error", str(exc.detail), str(exc.detail)))
        return _error_response(ApiError(exc.status_code, code, en, zh, headers=dict(exc.headers or {})))

    async def failed(request: Request, exc: Exception) -> Response:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return _error_response(internal())

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, failed)


# ---------------------------------------------------------------------------
# who asks

_bearer = HTTPBearer(auto_error=False, description="an API token, when the service is started with tokens")


def who(request: Request, cred: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    """The submitter: the name of the request's token, or ``anonymous`` when no token is configured."""
    tokens: Tokens = request.app.state.tokens
    return tokens.who(f"Bearer {cred.credentials}" if cred is not None else None)


Who = Annotated[str, Depends(who)]


# ---------------------------------------------------------------------------
# the rule sets and the evaluation of one unit


def registered(ruleset_id: str, field: str = "ruleset") -> RuleSet:
    """A registered rule set (never a path: a request cannot make the service read a file)."""
    if ruleset_id not in _api.rulesets():
        raise _no_ruleset(ruleset_id, field)
    try:
        return _api.load(ruleset_id)
    except RulesetNotFound:
        raise _no_ruleset(ruleset_id, field) from None
    except RulesetError as exc:
        log.error("rule set %s cannot be loaded: %s", ruleset_id, exc)
        raise ApiError(500, "ruleset_broken", f"rule set {ruleset_id} cannot be loaded: {exc}".splitlines()[0],
                       f"评分规则 {ruleset_id} 无法加载（规则文件有误）") from None


def _no_ruleset(ruleset_id: str, field: str = "ruleset") -> ApiError:
    shown = ruleset_id if len(ruleset_id) <= 64 else ruleset_id[:63] + "…"
    en, zh = (f"no rule set {shown!r}; GET {API}/rulesets lists them",
              f"没有编号为 {shown} 的评分规则；可用的评分规则见 GET {API}/rulesets")
    return ApiError(404, "ruleset_not_found", en, zh, [problem(field, "ruleset_not_found", en, zh, value=shown)])


def _owner(ruleset_id: str) -> str | None:
    src = _api.get_engine().sources.get(ruleset_id)
    return getattr(src, "owner", None)


def _with_tier(ruleset_id: str, tier: str | None) -> RuleSet:
    """A registered rule set that has ``tier`` (when one is named)."""
    rs = registered(ruleset_id)
    if tier is not None and tier not in rs.tiers:
        raise bad_request("tier", "tier_not_found", f"rule set {rs.id} has no tier {tier!r}",
                          f"评分规则 {rs.id} 没有层级 {tier!r}")
    return rs


def _evaluate(rs: RuleSet, doc: dict[str, Any]) -> Evaluation:
    try:
        return _api.evaluate(rs, doc["data"], tier=doc.get("tier"), context=doc.get("context") or {},
                             assessments=doc.get("assessments"), assessor=doc.get("assessor"), on=doc.get("on"))
    except TierNotFound as exc:
        raise _no_tier(rs, doc.get("tier"), exc) from None
    except InputError as exc:
        raise bad_request("body", "invalid_input", str(exc), f"输入无法使用：{exc}") from None


def _no_tier(rs: RuleSet, tier: str | None, exc: TierNotFound, field: str = "tier") -> ApiError:
    tiers = ", ".join(t for t in rs.tiers if t) or "—"
    return bad_request(field, "tier_not_found", str(exc), f"评分规则 {rs.id} 没有层级 {tier!r}（可选：{tiers}）")


@dataclass
class Scored:
    rs: RuleSet
    doc: dict[str, Any]
    ev: Evaluation
    full: dict[str, Any]
    #: the inputs the service filled in (:func:`.titles.fill`), with where each came from
    filled: dict[str, Any] = field(default_factory=dict)

    def answer(self, view: str, lang: str) -> dict[str, Any]:
        """The result in ``view`` and ``lang``, with ``filled`` when something was."""
        return self.noted(views.in_language(self.full if view == "full" else views.compact(self.full), lang), lang)

    def noted(self, body: dict[str, Any], lang: str) -> dict[str, Any]:
        """``body`` with ``filled``, the inputs filled in and where each came from, when there are any."""
        if self.filled:
            body["filled"] = views.in_language(self.filled, lang)
        return body


async def _score(request: Request, ruleset_id: str) -> Scored:
    """Read a unit's body, score it; 422 when a value is rejected."""
    raw = await request.body()
    rs = registered(ruleset_id)
    doc = views.unit_doc(views.parse_body(raw, request.headers.get("content-type")))
    filled = await run_in_threadpool(_fill, _store(request), rs, doc)
    ev = await run_in_threadpool(_evaluate, rs, doc)
    if views.rejected(ev.problems):
        raise views.rejected_error(ev.problems)
    return Scored(rs, doc, ev, ev.to_dict(), filled)


def _fill(store: Store, rs: RuleSet, doc: dict[str, Any]) -> dict[str, Any]:
    """The unit's "revoked in the previous cycle" from its titles in the store, when it does not give it."""
    try:
        return titles.fill(store, rs, doc)
    except StoreError as exc:
        raise _unavailable(exc, "read") from None


def _store(request: Request) -> Store:
    found: Store = request.app.state.store
    return found


async def _record(request: Request, s: Scored, by: str, record: bool, revises: int | None,
                  source: str = "api") -> dict[str, Any] | None:
    """Write the assessment (one transaction) and say which record it is; None with ``record=false``."""
    if not record:
        if revises is not None:
            raise bad_request("revises", "invalid_parameter", "revises needs record=true",
                              "revises 须与 record=true 同用")
        return None
    row = assessment_row(s.ev, data=s.doc["data"], entries=s.doc.get("assessments"), assessor=s.doc.get("assessor"),
                         submitted_by=by, source=source, revises=revises, result=s.full, filled=s.filled)
    try:
        rec = await run_in_threadpool(_store(request).add, row)
    except RevisesError as exc:
        raise bad_request("revises", "invalid_revises", exc.en, exc.zh) from None
    except StoreError as exc:
        raise _unavailable(exc) from None
    return {"id": rec["id"], "recorded_at": rec["recorded_at"], "submitted_by": rec["submitted_by"],
            "revises": rec["revises"], "url": f"{API}/assessments/{rec['id']}"}


def _unavailable(exc: StoreError, how: str = "written") -> ApiError:
    log.error("%s", exc)
    if how == "read":
        return ApiError(503, "store_unavailable", "the store cannot be read: nothing was scored or recorded; "
                        "try again later", "记录库暂时无法读取，未评分、未保存，请稍后重试")
    return ApiError(503, "store_unavailable",
                    "the assessment store cannot be written: nothing was recorded; try again later",
                    "评估记录库暂时无法写入，本次评估未保存，请稍后重试")


def _headers(meta: dict[str, Any] | None) -> dict[str, str]:
    return {} if meta is None else {"Location": meta["url"], "X-Fuac-Assessment": str(meta["id"])}


# ---------------------------------------------------------------------------
# routes


RecordQ = Annotated[bool, Query(description="record this assessment (false: score only, keep nothing)")]
RevisesQ = Annotated[int | None, Query(ge=1, description="the id of the assessment this one revises")]
LangQ = Annotated[Lang, Query(description="texts in Chinese, English or both")]

_UNIT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "a unit: {data, assessments, context, tier, on, assessor}, or its data alone "
                                   "(as the input file of `fuac evaluate`); the rule set's input schema is at "
                                   "/v1/rulesets/{ruleset_id}/schema",
                    "properties": {
                        "data": {"type": "object"}, "assessments": {"type": "object"}, "context": {"type": "object"},
                        "tier": {"type": "string"}, "on": {"type": "string", "format": "date"},
                        "assessor": {"type": "string"},
                    },
                },
                "example": {"on": "2023-11-30", "context": {"name": "柳州市柳南区", "code": "450204"},
                            "data": {"registered_childcare_institutions": 7, "childcare_places_per_1000": 3.1},
                            "assessments": {"1": {"points": 7, "assessor": "self", "rationale": "……"}}},
            },
            "application/toml": {"schema": {"type": "string"}},
        },
    }
}
_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-ndjson": {"schema": {"type": "string", "description": "one unit (a record) a line"}},
            "text/csv": {"schema": {"type": "string"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {"schema": {"type": "object", "properties": {
                "file": {"type": "string", "format": "binary",
                         "description": ".csv, .xlsx, .jsonl or .json (a list of records)"}}}},
        },
    }
}


_WORKBOOK_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": {"type": "object", "properties": {
                "file": {"type": "string", "format": "binary",
                         "description": "a fill-in workbook (fuac template), filled in: .xlsx or .xlsm"}}}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
UNIT_HELP = "the unit's column of the workbook (its name in row 1 of 指标), when it has several"
CODE_HELP = "the unit's region code, put in its context (a workbook names its units, not their codes)"


def _router() -> Any:
    from fastapi import APIRouter

    r = APIRouter(prefix=API)

    @r.get("/health", tags=["service"], summary="the service and its store are up")
    def health(request: Request) -> Response:
        store = _store(request)
        try:
            revision = store.revision()
        except StoreError as exc:
            raise _unavailable(exc) from None
        return ExactJSONResponse({"status": "ok", "version": __import__("fuac").__version__, "schema": revision})

    @r.get("/rulesets", tags=["rule sets"], summary="every registered rule set")
    def list_rulesets(_who: Who, lang: LangQ = "both") -> Response:
        out = [views.ruleset_summary(registered(rid), _owner(rid)) for rid in _api.rulesets()]
        return ExactJSONResponse({"rulesets": views.in_language(out, lang)})

    @r.get("/rulesets/{ruleset_id}", tags=["rule sets"], summary="one rule set: its tiers, sections, items, vetoes")
    def show_ruleset(ruleset_id: str, _who: Who, lang: LangQ = "both") -> Response:
        rs = registered(ruleset_id)
        return ExactJSONResponse(views.in_language(views.ruleset_detail(rs, _owner(ruleset_id)), lang))

    @r.get("/rulesets/{ruleset_id}/schema", tags=["rule sets"],
           summary="the JSON Schema of a unit's data (fuac.input_schema)")
    def schema(ruleset_id: str, _who: Who, tier: str | None = None) -> Response:
        rs = _with_tier(ruleset_id, tier)
        return ExactJSONResponse(_api.input_schema(rs, tier=tier))

    @r.get("/rulesets/{ruleset_id}/form", tags=["rule sets"],
           summary="the layout of a unit's form: each input under the item that reads it, with its clause")
    def form(ruleset_id: str, _who: Who, tier: str | None = None, lang: LangQ = "both") -> Response:
        rs = _with_tier(ruleset_id, tier)
        try:
            layout = page.form_layout(rs, tier)
        except TierNotFound as exc:
            tiers = ", ".join(t for t in rs.tiers if t)
            zh = f"评分规则 {rs.id} 分层级评分，请指定层级：{tiers}"
            raise bad_request("tier", "tier_not_found", str(exc), zh) from None
        return ExactJSONResponse(views.in_language(layout, lang))

    @r.get("/applicable", tags=["rule sets"], summary="the rule sets that apply to a region (fuac.rulesets_for)")
    def applicable(_who: Who, code: Annotated[str, Query(min_length=2, max_length=20,
                                                           description="administrative-division code")],
                   level: str | None = None, on: str | None = None, lang: LangQ = "both") -> Response:
        try:
            found = _api.rulesets_for(code, level=level, on=on)
        except InputError as exc:
            raise bad_request("on", "invalid_date", str(exc), f"应为日期 YYYY-MM-DD：{on!s:.40}") from None
        return ExactJSONResponse({"code": code, "level": level, "on": on,
                                  "rulesets": views.in_language(views.applicable(found), lang)})

    @r.post("/rulesets/{ruleset_id}/evaluate", tags=["assessments"], openapi_extra=_UNIT_BODY,
            summary="score one unit and record the assessment")
    async def evaluate(ruleset_id: str, request: Request, by: Who,
                       view: Annotated[Literal["full", "compact"], Query()] = "full", lang: LangQ = "both",
                       record: RecordQ = True, revises: RevisesQ = None) -> Response:
        s = await _score(request, ruleset_id)
        meta = await _record(request, s, by, record, revises)
        body = s.answer(view, lang)
        body["assessment"] = meta
        return ExactJSONResponse(body, headers=_headers(meta))

    @r.post("/rulesets/{ruleset_id}/evaluate/workbook", tags=["assessments"], openapi_extra=_WORKBOOK_BODY,
            summary="score one unit of a filled-in workbook (fuac template) and record the assessment")
    async def evaluate_workbook(ruleset_id: str, request: Request, by: Who,
                                unit: Annotated[str | None, Query(max_length=200, description=UNIT_HELP)] = None,
                                code: Annotated[str | None, Query(max_length=64, description=CODE_HELP)] = None,
                                view: Annotated[Literal["full", "compact"], Query()] = "full", lang: LangQ = "both",
                                record: RecordQ = True, revises: RevisesQ = None) -> Response:
        rs = registered(ruleset_id)
        folder, path, shown = await _spool_workbook(request)
        try:
            s, cells = await run_in_threadpool(_score_workbook, rs, path, shown, (unit, code), _store(request))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        meta = await _record(request, s, by, record, revises)
        body = s.answer(view, lang)
        body["input"] = {**{k: s.doc.get(k) for k in views.UNIT_KEYS if k != "assessor"}, "cells": cells}
        body["assessment"] = meta
        return ExactJSONResponse(body, headers=_headers(meta))

    @r.post("/rulesets/{ruleset_id}/gaps", tags=["assessments"], openapi_extra=_UNIT_BODY,
            summary="the rectification list (整改清单) of one unit")
    async def gaps(ruleset_id: str, request: Request, by: Who, lang: LangQ = "both",
                   format: Annotated[Literal["json", "text"], Query()] = "json",
                   record: RecordQ = True, revises: RevisesQ = None) -> Response:
        s = await _score(request, ruleset_id)
        gs = await run_in_threadpool(_gaps, s)
        meta = await _record(request, s, by, record, revises)
        if format == "text":
            return PlainTextResponse(gs.render(lang), headers=_headers(meta))
        body = s.noted(views.in_language(gs.to_dict(), lang), lang)
        body["assessment"] = meta
        return ExactJSONResponse(body, headers=_headers(meta))

    @r.post("/rulesets/{ruleset_id}/sheet", tags=["assessments"], openapi_extra=_UNIT_BODY,
            summary="the score sheet (评分表) of one unit: HTML or XLSX",
            responses={200: {"content": {"text/html": {}, XLSX: {}}}})
    async def sheet(ruleset_id: str, request: Request, by: Who,
                    format: Annotated[Literal["html", "xlsx"], Query()] = "html",
                    lang: Annotated[Literal["zh", "en"], Query()] = "zh",
                    record: RecordQ = True, revises: RevisesQ = None) -> Response:
        s = await _score(request, ruleset_id)
        content = await run_in_threadpool(_sheet, s.ev, format, lang)
        meta = await _record(request, s, by, record, revises)
        if format == "html":
            return HTMLResponse(content, headers=_headers(meta))
        name = f"{s.rs.id}-score-sheet.xlsx"
        return Response(content, media_type=XLSX,
                        headers={**_headers(meta), "Content-Disposition": f'attachment; filename="{name}"'})

    @r.post("/rulesets/{ruleset_id}/batch", tags=["assessments"], openapi_extra=_BATCH_BODY,
            summary="score many units: JSON Lines, CSV or XLSX in, one JSON line a unit out, as each is scored",
            responses={200: {"content": {"application/x-ndjson": {}}}})
    async def batch(ruleset_id: str, request: Request, by: Who, tier: str | None = None, on: str | None = None,
                    assessor: str | None = None, encoding: str | None = None, sheet: str | None = None,
                    record: RecordQ = True, progress: Annotated[bool, Query(description=(
                        'add a line {"progress": {"rows", "total", "done"}} after each chunk and at the end'))] = False
                    ) -> Response:
        rs = registered(ruleset_id)
        folder, path, shown = await _spool(request)
        try:
            rows = _batch_rows(rs, (path, shown, encoding, sheet), folder, _store(request), record, by,
                               {"tier": tier, "on": on, "assessor": assessor}, progress)
            first = await run_in_threadpool(next, rows, None)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return StreamingResponse(_prepend(first, rows), media_type="application/x-ndjson")

    @r.get("/assessments", tags=["record"], summary="the recorded assessments, oldest first")
    def assessments(request: Request, _who: Who,
                    unit: Annotated[str | None, Query(description="a unit's code or name")] = None,
                    ruleset: str | None = None,
                    since: Annotated[str | None, Query(description="recorded on or after: a date or a time")] = None,
                    until: Annotated[str | None, Query(description="recorded on or before (a date: that whole day)")
                                     ] = None,
                    after: Annotated[int | None, Query(ge=0, description="after this id (a page's next)")] = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100, full: bool = False) -> Response:
        flt = Filter(unit=unit, ruleset=ruleset, since=_moment(since, "since"), until=_moment(until, "until", end=True),
                     after=after, limit=limit)
        try:
            found = _store(request).find(flt, full=full)
        except StoreError as exc:
            raise _unavailable(exc) from None
        nxt = found[-1]["id"] if len(found) == limit else None
        return ExactJSONResponse({"assessments": found, "next": nxt})

    @r.get("/assessments/{assessment_id}", tags=["record"], summary="one recorded assessment, every field")
    def assessment(request: Request, assessment_id: int, _who: Who) -> Response:
        try:
            found = _store(request).get(assessment_id)
        except StoreError as exc:
            raise _unavailable(exc) from None
        if found is None:
            raise not_found("assessment", assessment_id, f"no assessment {assessment_id}",
                            f"没有编号为 {assessment_id} 的评估记录")
        return ExactJSONResponse(found)

    _more_routes(r)
    return r


_TITLES_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {
            "schema": {"description": "one title event, or a list of them (recorded together or not at all)",
                       "oneOf": [titles.EVENT_SCHEMA, {"type": "array", "items": titles.EVENT_SCHEMA}]},
            "example": {"event": "award", "unit": "420106003", "unit_name": "武汉市某街道", "ruleset": "wuhan-2017",
                        "level": "municipal", "year": 2021, "document": "武卫〔2021〕12号"},
        }},
    }
}
_RANK_USED = ("by quota id, the units already named this cycle or year, as JSON: a count, or per parent region "
              "{code: count} (fuac rank --used)")


def _more_routes(r: Any) -> None:
    """The routes of rank, diff, the output schema and titles."""

    @r.post("/rulesets/{ruleset_id}/rank", tags=["assessments"], openapi_extra=_BATCH_BODY,
            summary="score many units (JSON Lines, CSV or XLSX), rank them and apply the rule set's quotas")
    async def rank(ruleset_id: str, request: Request, by: Who, tier: str | None = None, on: str | None = None,
                   assessor: str | None = None, encoding: str | None = None, sheet: str | None = None,
                   reserves: Annotated[int | None, Query(ge=0)] = None,
                   universe: Annotated[int | None, Query(ge=0)] = None,
                   used: Annotated[str | None, Query(max_length=100_000, description=_RANK_USED)] = None,
                   parent_sizes: Annotated[str | None, Query(max_length=100_000, description=(
                       "parent-region code → its number of units, as JSON (fuac rank --parent-sizes)"))] = None,
                   lang: LangQ = "both", record: RecordQ = True) -> Response:
        rs = registered(ruleset_id)
        opts = _rank_options(rs, tier, used, parent_sizes, reserves=reserves, universe=universe)
        folder, path, shown = await _spool(request)
        try:
            out = await run_in_threadpool(_rank, rs, (path, shown, encoding, sheet), _store(request), record, by,
                                          {"tier": tier, "on": on, "assessor": assessor}, opts)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return ExactJSONResponse(views.in_language(out, lang))

    @r.get("/diff", tags=["rule sets"], summary="what changed from one rule set to another (fuac diff)")
    def diff(_who: Who, a: Annotated[str, Query(max_length=200, description="rule set A (a registered id)")],
             b: Annotated[str, Query(max_length=200, description="rule set B (a registered id)")]) -> Response:
        from ..explain.diff import diff as rule_diff

        ra, rb = registered(a, "query.a"), registered(b, "query.b")
        return ExactJSONResponse(views.diff(ra, rb, rule_diff(ra, rb)))

    @r.get("/schema/evaluation", tags=["rule sets"],
           summary="the JSON Schema of what evaluate answers (full or compact, in a language or both)")
    def evaluation_schema(_who: Who, view: Annotated[Literal["full", "compact"], Query()] = "full",
                          lang: LangQ = "both") -> Response:
        return ExactJSONResponse(schemas.evaluation_schema(view, lang))

    @r.post("/titles", tags=["titles"], status_code=201, openapi_extra=_TITLES_BODY,
            summary="record awards, revocations and extensions of units' titles (append-only)")
    async def record_titles(request: Request, by: Who) -> Response:
        raw = await request.body()
        events = titles.read_events(views.parse_body(raw, request.headers.get("content-type")))
        try:
            done = await run_in_threadpool(titles.record, _store(request), events, by=by, source="api")
        except titles.TitleError as exc:
            raise exc.api() from None
        except StoreError as exc:
            raise _unavailable(exc) from None
        return ExactJSONResponse({"titles": done}, status_code=201)

    @r.get("/titles", tags=["titles"], summary="the recorded titles (of a unit), and their status in a year")
    def list_titles(request: Request, _who: Who,
                    unit: Annotated[str | None, Query(max_length=64, description="a unit's code")] = None,
                    ruleset: str | None = None,
                    year: Annotated[int | None, Query(ge=1, le=9999, description=(
                        "give each unit's title status in this year (needs ruleset)"))] = None,
                    level: str | None = None,
                    after: Annotated[int | None, Query(ge=0)] = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Response:
        rs = _titles_ruleset(ruleset, year)
        lineage = titles.lineage(rs) if rs is not None else None
        try:
            found = titles.find(_store(request), unit=unit, rulesets=lineage, after=after, limit=limit)
            body: dict[str, Any] = {"titles": found, "next": found[-1]["id"] if len(found) == limit else None}
            if rs is not None and year is not None:
                body["status"] = _title_status(rs, titles.find(_store(request), unit=unit, rulesets=lineage),
                                               year, level)
        except StoreError as exc:
            raise _unavailable(exc, "read") from None
        return ExactJSONResponse(body)


def _titles_ruleset(ruleset: str | None, year: int | None) -> RuleSet | None:
    if ruleset is None:
        if year is not None:
            raise bad_request("query.ruleset", "missing", "a title status (year=) needs the rule set (ruleset=)",
                              "按年份给出称号状态（year=）须同时指定评分规则（ruleset=）")
        return None
    rs = registered(ruleset, "query.ruleset")
    if rs.doc.cycle is None:
        raise bad_request("query.ruleset", "no_cycle", f"rule set {rs.id} has no [cycle]: it awards no titles",
                          f"评分规则 {rs.id} 没有创建周期（[cycle]），不授予称号")
    return rs


def _title_status(rs: RuleSet, events: list[dict[str, Any]], year: int, level: str | None) -> dict[str, Any]:
    from ..decide import lifecycle

    levels = lifecycle.known_levels(rs)
    if level is not None and level not in levels:
        raise bad_request("query.level", "invalid_choice", f"one of {', '.join(levels)}",
                          f"应为 {'、'.join(levels)} 之一")
    try:
        lifecycle.cycle_of(rs, year)
    except ValueError as exc:
        raise bad_request("query.year", "out_of_range", str(exc), f"{year} 年早于第一个创建周期") from None
    return titles.status(rs, events, year, level)


# ---------------------------------------------------------------------------
# ranking a batch


def _rank_options(rs: RuleSet, tier: str | None, used: str | None, sizes: str | None, **kw: Any) -> dict[str, Any]:
    """What ``select`` is given, checked against the rule set before the body is read (as ``fuac rank`` does)."""
    from ..decide.select import check_parent_sizes, check_used

    try:
        tier = rs.plan(tier).tier
    except TierNotFound as exc:
        raise _no_tier(rs, tier, exc, "query.tier") from None
    for name, text, check in (("used", used, check_used), ("parent_sizes", sizes, check_parent_sizes)):
        if text is None:
            continue
        try:
            given = exact.loads(text)
            if not isinstance(given, dict):
                raise ValueError(f"{name}: give a JSON object")
            check(rs, tier, given)
        except (KeyError, ValueError) as exc:
            why = str(exc.args[0] if exc.args else exc)
            raise bad_request(f"query.{name}", "invalid_parameter", why, f"取值无效：{why}") from None
        kw[name] = given
    return kw


def _rank(rs: RuleSet, upload: tuple[str, str, str | None, str | None], store: Store, record: bool, by: str,
          kw: dict[str, Any], opts: dict[str, Any]) -> dict[str, Any]:
    """Score the batch, rank it within the quotas: ``Selection.to_dict()``, the units set aside for
    invalid input (as ``fuac rank --json``), and the record made of each unit scored."""
    from ..run.batch.results import ProblemTally
    from ..run.batch.runner import evaluate_many
    from ..run.batch.sources import InputFile

    path, shown, encoding, sheet = upload
    try:
        src = titles.batch_source(store, rs, InputFile(path, encoding=encoding, sheet=sheet), tier=kw["tier"],
                                  on=kw["on"])
        res = evaluate_many(rs, src, **kw)
    except (FuacError, ValueError) as exc:
        raise _streamed_error(exc, path, shown) from None
    try:
        sel = res.select(**opts)
    except ValueError as exc:  # parent sizes that contradict the batch
        raise bad_request("query.parent_sizes", "invalid_parameter", str(exc), f"取值无效：{exc}") from None
    tally = ProblemTally()
    tally.add(res)
    out: dict[str, Any] = sel.to_dict()
    out["invalid_input"] = {"units": tally.rows, "problems": [c.to_dict() for c in tally.most_common()]}
    if src.filled:
        out["filled"] = [{"row": n + 1, **f} for n, f in sorted(src.filled.items())]
    if record:
        out["assessments"] = _record_all(store, res, by, kw.get("assessor"), "api-rank", src.filled)
    return out


def _record_all(store: Store, res: Any, by: str, assessor: str | None, source: str,
                filled: dict[int, Any] | None = None) -> list[int | None]:
    """Record every unit of a batch (or a chunk of one) scored, in one transaction, but those whose
    values were rejected (as a single unit, each would be a 422): the record of each, by row (None:
    not recorded)."""
    statuses = res.column("status")
    rows = {}
    for i in range(res.n):
        if statuses[i] != "invalid_input":
            rec = res.record(i)
            rows[i] = assessment_row(res.evaluation(i), data=rec["data"], entries=rec["assessments"],
                                     assessor=assessor, submitted_by=by, source=source,
                                     filled=(filled or {}).get(res.offset + i))
    try:
        ids = store.add_many(list(rows.values()))
    except StoreError as exc:
        raise _unavailable(exc) from None
    by_row = dict(zip(rows, ids, strict=True))
    return [by_row.get(i) for i in range(res.n)]


def _moment(value: str | None, name: str, *, end: bool = False) -> Any:
    try:
        return moment(value, name, end=end)
    except ValueError as exc:
        zh = f"应为日期 YYYY-MM-DD 或时间：{value!s:.40}"
        raise bad_request(f"query.{name}", "invalid_date", str(exc), zh) from None


def _gaps(s: Scored) -> Any:
    try:
        return s.ev.gaps(s.rs, data=s.doc["data"], assessments=s.doc.get("assessments"), assessor=s.doc.get("assessor"))
    except InputError as exc:
        raise bad_request("body", "invalid_input", str(exc), f"无法生成整改清单：{exc}") from None


def _sheet(ev: Evaluation, fmt: str, lang: str) -> Any:
    from ..render.report import report_html

    if fmt == "html":
        return report_html(ev, lang=lang)
    from ..render.workbook import MissingExtra, write_report_xlsx

    folder = tempfile.mkdtemp(prefix="fuac-sheet-")
    try:
        path = Path(folder) / "sheet.xlsx"
        write_report_xlsx([ev], path, lang=lang)
        return path.read_bytes()
    except MissingExtra as exc:
        raise ApiError(501, "missing_extra", str(exc), f"服务器未安装生成 .xlsx 所需的组件：{exc}") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------
# one unit of a filled-in workbook


async def _spool_workbook(request: Request) -> tuple[str, str, str]:
    """The workbook sent (a multipart upload, field ``file``, or the body as XLSX) in a temporary folder."""
    try:
        folder, path, shown = await _spool(request)
    except ApiError as err:
        if err.code in ("unsupported_file", "unsupported_media_type"):
            raise _not_a_workbook(err.status) from None
        raise
    if Path(path).suffix.lower() not in (".xlsx", ".xlsm"):
        shutil.rmtree(folder, ignore_errors=True)
        raise _not_a_workbook(415 if shown == "body" else 422)
    return folder, path, shown


def _not_a_workbook(status: int) -> ApiError:
    en = "send a filled-in workbook (.xlsx, from fuac template)"
    zh = "请上传填好的填报表（.xlsx，由 fuac template 生成）"
    if status == 415:
        return ApiError(415, "unsupported_media_type", en, zh,
                        [problem("content-type", "unsupported_media_type", en, zh)])
    return bad_request("file", "unsupported_file", en, zh)


def _score_workbook(rs: RuleSet, path: str, shown: str, unit: tuple[str | None, str | None], store: Store
                    ) -> tuple[Scored, dict[str, str]]:
    """Read one unit of a fill-in workbook (as ``fuac evaluate`` reads one; ``unit``: its column's
    name and the code to give it) and score it: every problem names its cell (``指标!H7``); 422 when
    a value is rejected. Also the cell each input came from."""
    from ..render.workbook import annotate

    doc, cells, extra = _workbook_unit(rs, path, shown, unit[0])
    if unit[1] is not None:
        doc["context"]["code"] = unit[1]
    doc = _read_texts(rs, views.unit_doc(doc))
    filled = _fill(store, rs, doc)
    ev = annotate(_evaluate(rs, doc), cells, extra)
    if views.rejected(ev.problems):
        raise views.rejected_error(ev.problems)
    return Scored(rs, doc, ev, ev.to_dict(), filled), cells


def _workbook_unit(rs: RuleSet, path: str, shown: str, unit: str | None
                   ) -> tuple[dict[str, Any], dict[str, str], list[Problem]]:
    """The unit's document, its cells, and the problems of the workbook itself (warnings)."""
    from ..render.workbook import DEFAULT_UNIT, MissingExtra, read_workbook
    from ..run.files import check_workbook, unreadable_workbook

    try:
        _safe_xml()
        check_workbook(Path(path))
        wbi = read_workbook(path)
    except MissingExtra as exc:
        raise ApiError(501, "missing_extra", str(exc), f"服务器未安装读取 .xlsx 所需的组件：{exc}") from None
    except InputError as exc:
        if exc.__cause__ is not None:  # what openpyxl could not read, in one line (XML entities named)
            exc = unreadable_workbook(Path(path), exc.__cause__)
        raise _batch_error(exc, path, shown) from None
    doc = wbi.units[_unit_at([u.name or DEFAULT_UNIT for u in wbi.units], unit)].doc(wbi.meta)
    extra = list(wbi.problems)
    made_for = wbi.meta.get("ruleset")
    if made_for and made_for != rs.id:
        extra.append(Problem("ruleset", "other_ruleset", f"the workbook was made for rule set {made_for!r}, "
                             f"scored against {rs.id!r}", f"填报表为评分规则 {made_for} 生成，现按 {rs.id} 评分",
                             severity="warning"))
    cells = doc.pop("_cells")
    return doc, cells, extra


def _safe_xml() -> None:
    """A workbook is read only with defusedxml installed (openpyxl then refuses XML entities)."""
    from ..render.workbook import MissingExtra

    try:
        import defusedxml  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        raise MissingExtra("reading .xlsx safely needs defusedxml: pip install 'fuac[xlsx]'",
                           name="defusedxml") from None


def _unit_at(names: list[str], unit: str | None) -> int:
    """Where the unit ``unit`` is among a workbook's units (the only one when ``unit`` is None)."""
    if (unit is None and len(names) > 1) or (unit is not None and unit not in names):
        listed = ", ".join(names)
        raise bad_request("unit", "unit_not_found", f"name the workbook's unit with unit=: one of {listed}",
                          f"请以 unit= 指定填报表中的单位：{listed}")
    return names.index(unit) if unit is not None else 0


def _read_texts(rs: RuleSet, doc: dict[str, Any]) -> dict[str, Any]:
    """The workbook's texts as the library reads them (是 → true, ``1,234`` → 1234; what it cannot
    read stays as it is): scored the same, recorded and answered as values a form can show."""
    from ..language.cells import ENTRY_READING

    inds = rs.doc.indicators
    doc["data"] = {k: _read_value(v, inds[k].type, inds[k].unit == "percent") if k in inds else v
                   for k, v in doc["data"].items()}
    try:
        rules = rs.plan(doc.get("tier")).rules
    except TierNotFound:
        return doc  # scoring says so
    forms = {k: r.entry.form for k, r in rules.items() if r.entry is not None}
    doc["assessments"] = {k: _read_value(v, ENTRY_READING.get(forms.get(k, ""), ""))
                          for k, v in (doc.get("assessments") or {}).items()}
    return doc


def _read_value(v: Any, kind: str, percent: bool = False) -> Any:
    from ..language.cells import read_text

    if isinstance(v, list):  # several assessors' entries
        return [_read_value(x, kind, percent) for x in v]
    if isinstance(v, dict) and "value" in v:
        return {**v, "value": _read_value(v["value"], kind, percent)}
    return read_text(v, kind, percent=percent) if isinstance(v, str) else v


# ---------------------------------------------------------------------------
# a batch


async def _spool(request: Request) -> tuple[str, str, str]:
    """The batch's body in a file of a temporary folder: (folder, path, name shown in messages)."""
    kind = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    folder = tempfile.mkdtemp(prefix="fuac-batch-")
    try:
        if kind == "multipart/form-data":
            return folder, *await _spool_form(request, folder)
        suffix = BATCH_TYPES.get(kind)
        if suffix is None:
            raise ApiError(415, "unsupported_media_type",
                           f"send the units as JSON Lines, CSV, XLSX or a multipart upload (file=…), not {kind or '?'}",
                           f"请以 JSON Lines、CSV、XLSX 或表单上传（file=…）提交单位数据，不支持 {kind or '?'}")
        path = os.path.join(folder, f"body{suffix}")
        with open(path, "wb") as fh:
            async for chunk in request.stream():
                fh.write(chunk)
        return folder, path, "body"
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


async def _spool_form(request: Request, folder: str) -> tuple[str, str]:
    form = await request.form(max_files=1, max_fields=20)
    try:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise bad_request("file", "missing", "upload the units as the form field file",
                              "请以表单字段 file 上传单位数据")
        name = os.path.basename(upload.filename or "upload")[:200]
        suffix = Path(name).suffix.lower()
        if suffix not in BATCH_SUFFIXES:
            raise bad_request("file", "unsupported_file", f"{name}: send a .csv, .xlsx, .jsonl or .json file",
                              f"{name}：请上传 .csv、.xlsx、.jsonl 或 .json 文件")
        path = os.path.join(folder, f"upload{suffix}")
        with open(path, "wb") as fh:
            shutil.copyfileobj(upload.file, fh)
        return path, name
    finally:
        await form.close()


def _prepend(first: bytes | None, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first is not None:
        yield first
    yield from rest


def _batch_rows(rs: RuleSet, upload: tuple[str, str, str | None, str | None], folder: str, store: Store,
                record: bool, by: str, kw: dict[str, Any], progress: bool = False) -> Iterator[bytes]:
    """One JSON line per unit, as each chunk is scored: the row (``BatchResults.to_dicts``, decimals as
    exact text), its number from 1, the inputs filled in from the titles (``filled``) and the record
    made of it (a chunk's records in one transaction, written before its lines are sent); with
    ``progress``, a line ``{"progress": …}`` after each chunk. An error before the first row is an
    HTTP error; one after it is the last line, ``{"error": …}``."""
    from ..run.batch.runner import evaluate_chunks
    from ..run.batch.sources import InputFile

    path, shown, encoding, sheet = upload
    sent = False
    try:
        src = titles.batch_source(store, rs, InputFile(path, encoding=encoding, sheet=sheet), tier=kw["tier"],
                                  on=kw["on"])
        done = 0
        for res in evaluate_chunks(rs, src, chunk_size=BATCH_CHUNK, **kw):
            ids = _record_all(store, res, by, kw.get("assessor"), "api-batch", src.filled) if record else None
            for i, row in enumerate(res.to_dicts(exact=True)):
                sent = True
                yield _batch_line(res.offset + i, row, ids[i] if ids is not None else False, src.filled)
            done = res.offset + res.n
            if progress:
                yield _progress_line(done, src.n, False)
        if progress:
            yield _progress_line(done, done, True)
    except (FuacError, ValueError, ApiError) as exc:
        err = _streamed_error(exc, path, shown)
        if not sent:
            raise err from None
        yield (exact.dumps(err.body()) + "\n").encode("utf-8")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _batch_line(n: int, row: dict[str, Any], assessment: int | bool | None, filled: dict[int, Any]) -> bytes:
    """Row ``n`` (from 0) of a batch as a JSON line; ``assessment`` False: nothing was recorded."""
    line: dict[str, Any] = {"row": n + 1, **{k: exact_text(v) for k, v in row.items()}}
    if n in filled:
        line["filled"] = filled[n]
    if assessment is not False:
        line["assessment"] = assessment
    return (exact.dumps(line) + "\n").encode("utf-8")


def _progress_line(rows: int, total: int | None, done: bool) -> bytes:
    return (exact.dumps({"progress": {"rows": rows, "total": total, "done": done}}) + "\n").encode("utf-8")


def _streamed_error(exc: Exception, path: str, shown: str) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, StoreError):  # the titles could not be read
        return _unavailable(exc, "read")
    return _batch_error(exc, path, shown)


def _batch_error(exc: Exception, path: str, shown: str) -> ApiError:
    text = str(exc).replace(path, shown).replace(os.path.dirname(path) + os.sep, "")
    if isinstance(exc, TierNotFound):
        return bad_request("tier", "tier_not_found", text, f"层级无效：{text}")
    if isinstance(exc, InputError):
        return ApiError(422, "unreadable_input", text, f"单位数据无法读取：{text}",
                        [problem(shown, "unreadable_input", text, f"单位数据无法读取：{text}")])
    log.error("batch failed", exc_info=exc)
    return internal()
