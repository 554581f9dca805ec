"""The JSON Schema of what ``POST /v1/rulesets/{id}/evaluate`` answers: ``Evaluation.to_dict()``
(or its compact view, :data:`.views.COMPACT_KEYS`), with the service's keys ``assessment`` and
``filled``, in one language or both.

It is built here from the library's own tables — the item statuses (``language.statuses``), the
veto scopes and scheme kinds (``language.models``), the compact view's keys — so that a status or a
scope added there is in the schema too; ``tests/test_serve_api.py`` validates real answers of every
built-in rule set, full and compact, in each language, against it.
"""

from __future__ import annotations

from typing import Any, get_args

from ..language.models import Scheme, VetoScope
from ..language.statuses import STATUSES
from .views import COMPACT_KEYS

DRAFT = "https://json-schema.org/draft/2020-12/schema"

#: exact decimal text, as ``Evaluation.to_dict()`` writes points (no exponent, no trailing zeros)
DECIMAL = {"type": "string", "pattern": r"^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$",
           "description": "an exact decimal, as text: read it with a decimal type"}
ANY_OBJECT = {"type": "object"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _obj(props: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props, "required": list(props),
                           "additionalProperties": False}
    if description:
        out["description"] = description
    return out


def _text(lang: str) -> dict[str, Any]:
    """A text in both languages ``{"zh", "en"}``, or in the one ``lang`` asked for."""
    if lang == "both":
        return _obj({"zh": {"type": "string"}, "en": {"type": "string"}}, "Chinese and English")
    return {"type": "string", "description": f"in {'Chinese' if lang == 'zh' else 'English'}"}


def _problem(lang: str) -> dict[str, Any]:
    return _obj({
        "field": {"type": "string"}, "code": {"type": "string"},
        "severity": {"type": "string", "enum": ["error", "warning"]}, "message": _text(lang),
        "rules": {"type": "array", "items": {"type": "string"}},
        "value": {"description": "the value at fault (decimals as text), or its repr", "type": [
            "string", "integer", "boolean", "null"]},
    }, "a problem with one input (fuac.Problem)")


def _condition(lang: str) -> dict[str, Any]:
    return _obj({
        "id": {"type": "string"},
        "scope": {"type": "string", "enum": list(dict.fromkeys([*get_args(VetoScope), "eligibility"]))},
        "holds": {"type": ["boolean", "null"], "description": "a veto: triggered; an eligibility condition: met; "
                                                              "null: cannot tell"},
        "label": _text(lang), "reason": _text(lang), "clause": {"type": ["string", "null"]},
        "inputs": ANY_OBJECT, "missing": {"type": "array", "items": {"type": "string"}},
        "consequence": _nullable(_text(lang)),
    }, "a veto or an eligibility condition (fuac.ConditionResult)")


def _scored(lang: str) -> dict[str, Any]:
    """The fields an item and a part of an item share."""
    return {
        "id": {"type": "string"}, "label": _nullable(_text(lang)), "points": _nullable(DECIMAL),
        "max": _nullable(DECIMAL), "status": {"type": "string", "enum": list(STATUSES)},
        "met": {"type": ["boolean", "null"]}, "reason": _text(lang), "inputs": ANY_OBJECT,
        "clause": {"type": ["string", "null"]}, "details": ANY_OBJECT,
    }


def _item(lang: str) -> dict[str, Any]:
    part = _obj({**_scored(lang), "judgement": {"type": "boolean"}, "rationale": {"type": ["string", "null"]}},
                "a part of an item (fuac.PartResult)")
    return _obj({
        **_scored(lang), "number": {"type": ["string", "null"]}, "section": {"type": "string"},
        "kind": {"type": "string", "description": "the rule kind (threshold, shortfall …; parts for an item of parts)"},
        "method": {"type": ["string", "null"]}, "judgement_points": _nullable(DECIMAL),
        "bonus": {"type": "boolean"}, "weight": _nullable(DECIMAL), "parts": {"type": "array", "items": part},
        "problems": {"type": "array", "items": {"type": "string"}},
    }, "one item (fuac.ItemResult)")


def _section(lang: str) -> dict[str, Any]:
    return _obj({
        "id": {"type": "string"}, "number": {"type": ["string", "null"]}, "title": _text(lang),
        "points": _nullable(DECIMAL), "points_exact": _nullable(DECIMAL), "max": _nullable(DECIMAL),
        "floored": {"type": "boolean"}, "scoring": {"type": "string", "enum": ["points", "checklist"]},
        "met": {"type": "integer", "minimum": 0}, "count": {"type": "integer", "minimum": 0},
        "items": {"type": "array", "items": {"type": "string"}},
    }, "one section: points reported (rounded as the scheme says) and exact")


def _link() -> dict[str, Any]:
    return _obj({"id": {"type": "string"}, "version": {"type": "string"}, "content_hash": {"type": "string"}})


def _evaluation_properties(lang: str) -> dict[str, Any]:
    """Every key of ``Evaluation.to_dict()``, in its order."""
    link = _link()
    return {
        "ruleset": _obj({**link["properties"], "chain": {"type": "array", "items": link}},
                        "the rule set scored against, and those it is composed of (base first)"),
        "scheme_kind": {"type": "string", "enum": list(get_args(Scheme.model_fields["kind"].annotation))},
        "title": _nullable(_text(lang)), "tier": {"type": ["string", "null"]},
        "on": {"type": "string", "format": "date", "description": "the date whose parameters applied"},
        "context": ANY_OBJECT,
        "total": _nullable(DECIMAL), "total_exact": _nullable(DECIMAL), "max_total": _nullable(DECIMAL),
        "max_applicable": _nullable(DECIMAL), "passed": {"type": ["boolean", "null"]},
        "precision": _nullable(DECIMAL), "complete": {"type": "boolean"},
        "judgement_points": _nullable(DECIMAL), "completion": _nullable(DECIMAL),
        "weighted_completion": _nullable(DECIMAL),
        "eligible": {"type": ["boolean", "null"]}, "vetoed": {"type": "boolean"}, "grade": _nullable(_text(lang)),
        "sections": {"type": "array", "items": _section(lang)},
        "items": {"type": "array", "items": _item(lang)},
        "vetoes": {"type": "array", "items": _condition(lang)},
        "eligibility": {"type": "array", "items": _condition(lang)},
        "problems": {"type": "array", "items": _problem(lang)},
    }


def _assessment() -> dict[str, Any]:
    return _nullable(_obj({
        "id": {"type": "integer"}, "recorded_at": {"type": "string", "format": "date-time"},
        "submitted_by": {"type": "string"}, "revises": {"type": ["integer", "null"]}, "url": {"type": "string"},
    }, "the record made of this assessment (null with record=false)"))


def _filled(lang: str) -> dict[str, Any]:
    one = _obj({
        "value": {"type": "boolean"}, "source": {"const": "titles"}, "unit": {"type": "string"},
        "year": {"type": "integer"},
        "previous_cycle": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
        "titles": {"type": "array", "items": {"type": "integer"}, "description": "the unit's title events read"},
        "revoked": {"type": "array", "items": {"type": "integer"},
                    "description": "the awards revoked in the previous cycle"},
        "reason": _text(lang),
    })
    return {"type": "object", "additionalProperties": one,
            "description": "present when the service filled in inputs the unit did not give, by indicator: "
                           "where each value came from"}


def evaluation_schema(view: str = "full", lang: str = "both") -> dict[str, Any]:
    """The JSON Schema of an evaluation's answer: ``view`` ``full`` or ``compact``, texts in
    ``lang`` (``zh``, ``en`` or ``both``)."""
    props = _evaluation_properties(lang)
    if view == "compact":
        props = {k: props[k] for k in COMPACT_KEYS}
    schema = _obj({**props, "assessment": _assessment()})
    schema["properties"]["filled"] = _filled(lang)
    return {"$schema": DRAFT, "title": f"fuac evaluation ({view}, {lang})",
            "description": "what POST /v1/rulesets/{id}/evaluate answers: Evaluation.to_dict()"
                           + (" in its compact view (no items)" if view == "compact" else "")
                           + ", the record made of it, and the inputs the service filled in",
            **schema}
