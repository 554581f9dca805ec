"""The assessor's page of ``fuac serve`` (docs/service.md, "The assessor page"), and the layout of its form.

The page is three static files shipped in the package (``static/page.html``, ``page.js``,
``page.css``): no build step, nothing fetched from anywhere but the app itself (its answers carry
``Content-Security-Policy: default-src 'self'``). It calls the same ``/v1`` endpoints as any other
client. :func:`form_layout` (``GET /v1/rulesets/{id}/form``) tells it where each input of the rule
set's JSON Schema belongs: under the first item (or veto, or eligibility condition) that reads it,
with that item's clause, and which items an assessor scores. It is read from the plan, as the
fill-in workbook is; nothing here scores anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..language.statuses import STATUS_WORDS
from ..language.words import UNITS, fmt_number
from ..plan.loader import PreparedCondition, PreparedItem, RuleSet
from ..render.workbook import assessable_rows

STATIC = Path(__file__).with_name("static")
#: the files the page is made of, and their content types
FILES = {
    "page.html": "text/html; charset=utf-8",
    "page.js": "text/javascript; charset=utf-8",
    "page.css": "text/css; charset=utf-8",
}
#: nothing but the app itself: no CDN, no inline script or style, no frames, no plugins
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def router() -> APIRouter:
    """``GET /``: the page; ``GET /page/{file}``: its script and style sheet (not in the OpenAPI document)."""
    r = APIRouter(include_in_schema=False)

    @r.api_route("/", methods=["GET", "HEAD"])
    def page() -> Response:
        return _file("page.html")

    @r.api_route("/page/{name}", methods=["GET", "HEAD"])
    def asset(name: str) -> Response:
        if name not in FILES or name == "page.html":
            raise StarletteHTTPException(404)
        return _file(name)

    return r


def _file(name: str) -> Response:
    return Response((STATIC / name).read_bytes(), media_type=FILES[name], headers=HEADERS)


# ---------------------------------------------------------------------------
# the layout of the form


def form_layout(rs: RuleSet, tier: str | None) -> dict[str, Any]:
    """Sections and items in the rule set's order; under each item the inputs it is the first to read
    (in the order the rule file declares them) with the clause that reads them, and the entries an
    assessor makes for it; then the vetoes and eligibility conditions with the inputs only they read.
    ``readers`` names, for every input, each item or condition that reads it. Texts are
    ``{"zh", "en"}``; ``units`` and ``statuses`` give the words of the codes the results use."""
    plan = rs.plan(tier)
    rank = {name: k for k, name in enumerate(rs.doc.indicators)}
    entries = _entries(rs, plan.tier)
    seen: set[str] = set()
    sections = [
        {"id": sec.id, "number": sec.number, "title": _words(sec.title), "max": _num(sec.max),
         "scoring": sec.scoring, "items": [_item(it, rank, seen, entries.get(it.id, [])) for it in sec.items]}
        for sec in plan.sections
    ]
    conditions = [_condition(c, kind, rank, seen)
                  for kind, conds in (("veto", plan.vetoes), ("eligibility", plan.eligibility)) for c in conds]
    return {
        "ruleset": rs.id, "version": rs.version, "tier": plan.tier, "tiers": [t for t in rs.tiers if t],
        "sections": sections, "conditions": conditions, "readers": _readers(rs, plan.tier),
        "units": {code: {"zh": zh.strip(), "en": en.strip()} for code, (zh, en) in UNITS.items()},
        "statuses": {name: {"zh": zh, "en": en} for name, (zh, en) in STATUS_WORDS.items()},
    }


def _new(names: frozenset[str], rank: dict[str, int], seen: set[str]) -> list[str]:
    """The names not placed yet, in the rule file's order; each is placed now."""
    out = [n for n in sorted(names, key=lambda n: (rank.get(n, len(rank)), n)) if n not in seen]
    seen.update(out)
    return out


def _item(it: PreparedItem, rank: dict[str, int], seen: set[str], entries: list[dict[str, Any]]) -> dict[str, Any]:
    fields = [{"name": n, "clause": _clause_for(it, n)} for n in _new(it.reads | it.void_reads, rank, seen)]
    return {"id": it.id, "number": it.number, "label": _words(it.label), "max": _num(it.max), "clause": it.clause,
            "veto": it.is_veto, "fields": fields, "entries": entries}


def _condition(c: PreparedCondition, kind: str, rank: dict[str, int], seen: set[str]) -> dict[str, Any]:
    return {"id": c.cond.id, "kind": kind, "label": _words(c.cond.label), "clause": c.cond.clause,
            "fields": [{"name": n, "clause": c.cond.clause} for n in _new(c.reads, rank, seen)]}


def _clause_for(it: PreparedItem, name: str) -> str | None:
    """The clause that reads ``name``: its part's, the item's guard's, or the item's."""
    for part in it.parts or ():
        if name in part.rule.reads and part.clause:
            return part.clause
    if name in it.void_reads and name not in it.reads and it.void_clause:
        return it.void_clause
    return it.clause


def _entries(rs: RuleSet, tier: str | None) -> dict[str, list[dict[str, Any]]]:
    """Per item, what an assessor enters for it or its parts (as the workbook's 评估打分 sheet lists them)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for key, it, part, rule in assessable_rows(rs, tier):
        entry = rule.entry
        lo, hi = entry.bounds if entry.form == "points" else (None, None)
        expr = getattr(rule, "expr", None)
        out.setdefault(it.id, []).append({
            "key": key, "part": part.id if part is not None else None,
            "label": _words(part.label if part is not None and part.label is not None else it.label),
            "clause": (part.clause if part is not None else None) or it.clause,
            "form": entry.form, "min": _num(lo), "max": _num(hi),
            "full_when": expr.source if expr is not None and entry.form == "points" else None,
        })
    return out


def _readers(rs: RuleSet, tier: str | None) -> dict[str, list[str]]:
    plan = rs.plan(tier)
    out: dict[str, list[str]] = {}
    for it in plan.items.values():
        for name in sorted(it.reads | it.void_reads):
            out.setdefault(name, []).append(it.number or it.id)
    for c in [*plan.vetoes, *plan.eligibility]:
        for name in c.read_order:
            out.setdefault(name, []).append(c.cond.id)
    return out


def _words(t: Any) -> dict[str, str] | None:
    return None if t is None else {"zh": t.zh, "en": t.en}


def _num(d: Any) -> str | None:
    return None if d is None else fmt_number(d)
