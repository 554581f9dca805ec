"""What the service reads and answers, built from the library's own objects: a unit's request body
read as ``fuac evaluate`` reads an input file, a rule set described, an evaluation's compact view,
texts in one language. Nothing here scores anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InputError
from ..language.toml import read_toml
from ..plan.loader import RuleSet
from ..run.files import read_json
from ..run.inputs import as_date
from ..run.results import Problem
from .errors import ApiError, bad_request, problem

#: the top-level keys of a unit's body (as of ``fuac evaluate``'s input file)
UNIT_KEYS = ("data", "assessments", "context", "tier", "on", "assessor")
#: the keys of ``Evaluation.to_dict()`` the compact view keeps
COMPACT_KEYS = (
    "ruleset", "scheme_kind", "tier", "on", "context", "total", "total_exact", "max_total", "max_applicable",
    "passed", "complete", "judgement_points", "completion", "weighted_completion",
    "eligible", "vetoed", "grade", "sections", "vetoes",
    "eligibility", "problems",
)
JSON_TYPES = ("application/json", "text/json")
TOML_TYPES = ("application/toml", "text/toml", "text/x-toml")


# ---------------------------------------------------------------------------
# a unit's body


def parse_body(raw: bytes, content_type: str | None) -> Any:
    """The body as a document: JSON (numbers exact) or, with a TOML content type, TOML.
    400 when it cannot be read; 415 for another content type."""
    kind = (content_type or "application/json").split(";")[0].strip().lower()
    if kind in TOML_TYPES:
        try:
            text = raw.decode("utf-8")
            doc, _, _ = read_toml(text=text)
        except (UnicodeDecodeError, ValueError) as exc:
            raise _unreadable("TOML", str(exc).splitlines()[0].replace("<string>", "body")) from None
        return doc
    if kind not in JSON_TYPES and not kind.endswith("+json"):
        raise ApiError(415, "unsupported_media_type",
                       f"send the unit as application/json (or application/toml), not {kind}",
                       f"请以 application/json（或 application/toml）提交单位数据，不支持 {kind}",
                       [problem("content-type", "unsupported_media_type", f"not {kind}", f"不支持 {kind}")])
    if not raw.strip():
        raise _unreadable("JSON", "the body is empty")
    try:
        return read_json(raw, "body")
    except InputError as exc:
        raise _unreadable("JSON", str(exc).removeprefix("body: ").removeprefix("not valid JSON: ")) from None


def _unreadable(kind: str, why: str) -> ApiError:
    en = f"the body is not valid {kind}: {why}"
    zh = f"请求内容不是有效的 {kind}：{why}"
    return ApiError(400, "malformed_body", en, zh, [problem("body", "malformed_body", en, zh)])


def unit_doc(doc: Any) -> dict[str, Any]:
    """A unit's document from a body: ``{"data": …, "assessments", "context", "tier", "on",
    "assessor"}``, or the data alone (no ``data`` key), as ``fuac evaluate`` reads a file. A 422
    names every field of the wrong shape."""
    if not isinstance(doc, dict):
        raise bad_request("body", "invalid_type", f"expected an object, got {_kind(doc)}",
                          f"应为对象（JSON object），实际为 {_kind(doc)}")
    if "data" not in doc:
        doc = {"data": doc}
    probs: list[Problem] = []
    for key in doc:
        if key not in UNIT_KEYS:
            probs.append(problem(str(key), "unknown_key", f"not a key of a unit's body ({', '.join(UNIT_KEYS)})",
                                 f"不是单位数据的顶层键（允许：{'、'.join(UNIT_KEYS)}）"))
    for key in ("data", "assessments", "context"):
        if key in doc and not isinstance(doc[key], dict) and not (key != "data" and doc[key] is None):
            probs.append(problem(key, "invalid_type", f"expected an object, got {_kind(doc[key])}",
                                 f"应为对象，实际为 {_kind(doc[key])}"))
    for key in ("tier", "assessor"):
        if doc.get(key) is not None and not isinstance(doc[key], str):
            probs.append(problem(key, "invalid_type", f"expected a text, got {_kind(doc[key])}",
                                 f"应为文本，实际为 {_kind(doc[key])}"))
    on = doc.get("on")
    if on is not None:
        try:
            doc["on"] = as_date(on, "on")
        except InputError as exc:
            probs.append(problem("on", "invalid_date", str(exc), f"应为日期 YYYY-MM-DD，实际为 {str(on)[:40]!r}"))
    if probs:
        fields = ", ".join(p.field for p in probs)
        raise ApiError(422, "invalid_body", f"the unit's body has fields of the wrong shape: {fields}",
                       f"单位数据的以下字段格式有误：{fields}", probs)
    return doc


def _kind(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "a text", bool: "true/false", type(None): "null"}.get(
        type(v), "a number")


def rejected(problems: list[Problem]) -> bool:
    """Whether an evaluation's problems reject a value given (a wrong type, out of range, an invalid
    entry): what the service answers 422 for. A missing value is not: the unit is scored as far as
    it goes, and its result says what is missing."""
    return any(p.severity == "error" and p.code != "missing" for p in problems)


def rejected_error(problems: list[Problem]) -> ApiError:
    """422 for an evaluation that rejected values: every problem of the evaluation, each naming its field."""
    bad = [p for p in problems if p.severity == "error" and p.code != "missing"]
    fields = ", ".join(dict.fromkeys(p.field for p in bad))
    first = bad[0]
    return ApiError(422, "invalid_input", f"{len(bad)} value(s) rejected: {fields} — {first.message}",
                    f"{len(bad)} 个取值无效：{fields} —— {first.message_zh}", problems)


# ---------------------------------------------------------------------------
# answers


def in_language(value: Any, lang: str) -> Any:
    """``value`` with each ``{"zh": …, "en": …}`` text as the one language ``lang`` (``zh``, ``en``);
    ``both`` keeps both."""
    if lang == "both":
        return value
    if isinstance(value, dict):
        if value.keys() == {"zh", "en"}:
            return value[lang]
        return {k: in_language(v, lang) for k, v in value.items()}
    if isinstance(value, list):
        return [in_language(v, lang) for v in value]
    return value


def compact(full: Mapping[str, Any]) -> dict[str, Any]:
    """The compact view of ``Evaluation.to_dict()``: totals, sections, vetoes, eligibility, problems."""
    return {k: full[k] for k in COMPACT_KEYS if k in full}


def ruleset_summary(rs: RuleSet, owner: str | None = None) -> dict[str, Any]:
    """One line of ``GET /v1/rulesets``."""
    m = rs.meta
    return {
        "id": rs.id,
        "version": rs.version,
        "kind": rs.scheme_kind,
        "title": {"zh": m.title.zh, "en": m.title.en},
        "tiers": [t for t in rs.tiers if t],
        "valid_from": m.valid_from.isoformat(),
        "valid_until": m.valid_until.isoformat() if m.valid_until else None,
        "content_hash": rs.content_hash,
        "owner": owner,
    }


def ruleset_detail(rs: RuleSet, owner: str | None = None) -> dict[str, Any]:
    """``GET /v1/rulesets/{id}``: the scheme (``[scheme]``), the chain, and per tier its sections,
    items (number, maximum, rule kind, label, clause), eligibility conditions and vetoes."""
    scheme = rs.meta.model_dump(mode="json", exclude_none=True)
    tiers = []
    for tier in rs.tiers:
        plan = rs.plan(tier)
        tiers.append({
            "tier": tier,
            "total": _num(plan.total),
            "sections": [
                {"id": sec.id, "number": sec.number, "title": _text(sec.title), "max": _num(sec.max),
                 "scoring": sec.scoring, "items": [_item(it) for it in sec.items]}
                for sec in plan.sections
            ],
            "eligibility": [_condition(c.cond) for c in plan.eligibility],
            "vetoes": [_condition(c.cond) for c in plan.vetoes],
        })
    return {**ruleset_summary(rs, owner), "scheme": scheme, "chain": [dict(x) for x in rs.chain], "plans": tiers}


def _item(it: Any) -> dict[str, Any]:
    return {
        "id": it.id, "number": it.number, "label": _text(it.label), "max": _num(it.max),
        "kind": "parts" if it.parts else (it.rule.kind if it.rule else None), "bonus": it.bonus,
        "clause": it.clause, "method": it.method,
        "parts": [{"id": p.id, "key": p.key, "label": _text(p.label), "max": _num(p.max), "kind": p.rule.kind,
                   "clause": p.clause} for p in it.parts or []],
    }


def _condition(c: Any) -> dict[str, Any]:
    return {"id": c.id, "label": _text(c.label), "scope": c.scope, "clause": c.clause,
            "consequence": _text(c.consequence)}


def _text(t: Any) -> dict[str, str] | None:
    return None if t is None else {"zh": t.zh, "en": t.en}


def _num(d: Any) -> str | None:
    from ..language.words import fmt_number

    return None if d is None else fmt_number(d)


def applicable(found: list[Any]) -> list[dict[str, Any]]:
    """``GET /v1/applicable``: each rule set (and tier) ``fuac.rulesets_for`` found."""
    return [{"id": a.id, "tier": a.tier, "version": a.ruleset.version, "content_hash": a.ruleset.content_hash,
             "title": _text(a.ruleset.title)} for a in found]


def diff(a: RuleSet, b: RuleSet, changes: list[Any]) -> dict[str, Any]:
    """``GET /v1/diff``: the two rule sets and each change from A to B (``RuleChange.to_dict()``, as
    ``fuac diff --json`` gives them), with its description in words."""
    def ref(rs: RuleSet) -> dict[str, Any]:
        return {"id": rs.id, "version": rs.version, "content_hash": rs.content_hash}

    return {"a": ref(a), "b": ref(b), "changes": [{**c.to_dict(), "description": c.describe()} for c in changes]}
