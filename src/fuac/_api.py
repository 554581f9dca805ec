"""The public functions: thin keyword-only wrappers over the process-wide engine."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .plan.engine import get_engine
from .plan.loader import RuleSet
from .run.evaluate import evaluate as evaluate  # the public function lives with the evaluator
from .run.inputs import as_date

RulesetRef = "str | os.PathLike[str] | RuleSet"


def load(ref: str | os.PathLike[str] | RuleSet) -> RuleSet:
    """A rule set by id (``"liunan-2023"``), by path to a rule file, or as given if already loaded."""
    return get_engine().resolve(ref)


def loads(text: str, *, name: str = "<string>") -> RuleSet:
    """A rule set from TOML text; ``name`` is used in error messages."""
    return get_engine().load_text(text, name=name)


def compose(
    base: str | os.PathLike[str] | RuleSet, *overlays: str | os.PathLike[str] | Mapping[str, Any]
) -> RuleSet:
    """``base`` with each overlay applied in turn, checked again after each step.

    An overlay is a rule file (path), TOML text, or a mapping with the same shape;
    its own ``extends`` is ignored: the base is the one given here. The result's
    ``chain`` lists every rule set it was composed of.
    """
    eng = get_engine()
    rs = load(base)
    for i, ov in enumerate(overlays):
        if isinstance(ov, Mapping):
            rs = eng.load_mapping(ov, name=f"<overlay {i + 1}>", base=rs)
        elif isinstance(ov, str) and "\n" in ov:
            rs = eng.load_text(ov, name=f"<overlay {i + 1}>", base=rs)
        else:
            rs = eng.load_path(ov, base=rs)
    return rs


def rulesets() -> list[str]:
    """The ids of every registered rule set, sorted."""
    return get_engine().ids()


_JSON_TYPES = {"boolean": "boolean", "integer": "integer", "decimal": "number", "choice": "string"}


def input_schema(ruleset: str | os.PathLike[str] | RuleSet, *, tier: str | None = None) -> dict[str, Any]:
    """JSON Schema of the input ``ruleset`` reads: types, units, bounds and labels of every indicator."""
    rs = load(ruleset)
    props: dict[str, Any] = {}
    for name, ind in rs.doc.indicators.items():
        if tier is not None and ind.tiers is not None and tier not in ind.tiers:
            continue
        p: dict[str, Any] = {"type": _JSON_TYPES[ind.type], "title": ind.label.zh, "x-label-en": ind.label.en}
        if ind.description is not None:
            p["description"] = ind.description.en
            p["x-description-zh"] = ind.description.zh
        if ind.unit is not None:
            p["x-unit"] = ind.unit
        if ind.min is not None:
            p["minimum"] = _num(ind.min)
        if ind.max is not None:
            p["maximum"] = _num(ind.max)
        if ind.choices is not None:
            p["enum"] = list(ind.choices)
        if ind.tiers is not None:
            p["x-tiers"] = list(ind.tiers)
        if ind.reference:
            p = {
                "title": ind.label.zh,
                "x-label-en": ind.label.en,
                "x-reference": True,
                "anyOf": [
                    p,
                    {
                        "type": "object",
                        "properties": {"value": p, "source": {"type": "string"}},
                        "required": ["value"],
                        "additionalProperties": False,
                    },
                ],
            }
        props[name] = p
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{rs.id} {rs.version}" + (f" ({tier})" if tier else ""),
        "description": rs.title.zh,
        "type": "object",
        "properties": props,
        "additionalProperties": False,
    }


def _num(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


@dataclass(frozen=True, slots=True)
class Applicable:
    """A rule set (and tier) that applies to a place."""

    ruleset: RuleSet
    tier: str | None

    @property
    def id(self) -> str:
        return self.ruleset.id


def rulesets_for(region_code: str, level: str | None = None, on: dt.date | str | None = None) -> list[Applicable]:
    """The rule sets (with their tier) that apply to the region ``region_code`` at ``level`` on ``on``.

    ``region_code`` is an administrative-division code (6 digits for a county,
    9 for a township, 12 for a village); a rule set applies when one of its
    jurisdictions contains the region, its validity period covers ``on`` (a date, a datetime's
    date or a text ``YYYY-MM-DD``, as :func:`evaluate` reads it; None: any date), and it
    has a tier at ``level`` (any tier when ``level`` is None).
    """
    code = str(region_code).strip()
    when = as_date(on, "on")
    out: list[Applicable] = []
    for rid in rulesets():
        rs = load(rid)
        for tier in rs.applies_to(code, level, when):
            out.append(Applicable(rs, tier))
    # a rule set that another applicable one extends is superseded by it (the composed one applies)
    extended = {link["id"] for a in out for link in a.ruleset.chain[:-1]}
    return [a for a in out if a.ruleset.id not in extended]
