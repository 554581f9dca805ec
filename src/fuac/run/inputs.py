"""Validating input data against a rule set's indicators, field by field.

Nothing raises on a bad field: each problem is reported with the field name, and
the field is left out, so the rules that read it report ``missing_input`` or
``invalid_input`` instead of scoring from a bad value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..errors import InputError
from ..kinds.base import Assessment, Inputs
from ..language.cells import Unreadable, from_text, strip
from ..language.expressions import exact_number as _number
from ..language.expressions import quantize
from ..language.models import Indicator
from ..language.words import close_names, did_you_mean, fmt_number
from ..plan.loader import PreparedDerived
from .results import Problem

#: the most names one unit's data may have (a rule set has a few hundred indicators): more is refused
MAX_FIELDS = 10_000

#: Keys of a reference value given with its source: ``{"value": 3.2, "source": "…"}``.
REFERENCE_KEYS = frozenset({"value", "source"})


def check_value(name: str, ind: Indicator, raw: Any) -> tuple[Any, Problem | None]:
    """Validate one value. Returns (value, None) or (None, problem)."""
    label = ind.label
    if isinstance(raw, Unreadable):
        return None, Problem(name, "unreadable", f"{label.en}: {raw.en}", f"{label.zh}：{raw.zh}")
    if ind.type == "boolean":
        if isinstance(raw, bool):
            return raw, None
        return None, Problem(
            name,
            "invalid_type",
            f"{label.en}: expected true or false, got {_show(raw)}",
            f"{label.zh}：应为是/否（true/false），实际为 {_show(raw)}",
            value=raw,
        )
    if ind.type == "choice":
        if isinstance(raw, str) and raw in (ind.choices or []):
            return raw, None
        return None, Problem(
            name,
            "invalid_choice",
            f"{label.en}: expected one of {', '.join(ind.choices or [])}, got {_show(raw)}",
            f"{label.zh}：应为 {'、'.join(ind.choices or [])} 之一，实际为 {_show(raw)}",
            value=raw,
        )
    try:
        d = _number(raw)
    except OverflowError:
        return None, Problem(
            name,
            "not_finite",
            f"{label.en}: {_show(raw)} is not a finite number",
            f"{label.zh}：{_show(raw)} 不是有限数值",
            value=str(raw),
        )
    if d is None:
        return None, Problem(
            name,
            "invalid_type",
            f"{label.en}: expected a number, got {_show(raw)}",
            f"{label.zh}：应为数值，实际为 {_show(raw)}",
            value=raw,
        )
    if ind.type == "integer" and d != d.to_integral_value():
        return None, Problem(
            name,
            "not_integer",
            f"{label.en}: expected a whole number, got {_show(raw)}",
            f"{label.zh}：应为整数，实际为 {_show(raw)}",
            value=d,
        )
    if ind.min is not None and d < ind.min:
        return None, Problem(
            name,
            "out_of_range",
            f"{label.en}: {d} is below the minimum {ind.min}",
            f"{label.zh}：{d} 低于下限 {ind.min}",
            value=d,
        )
    if ind.max is not None and d > ind.max:
        return None, Problem(
            name,
            "out_of_range",
            f"{label.en}: {d} is above the maximum {ind.max}",
            f"{label.zh}：{d} 高于上限 {ind.max}",
            value=d,
        )
    return d, None


def _show(v: Any) -> str:
    """A value as a message shows it: a text in quotes, a number as written (never ``Decimal('2.5')``),
    a date as ``YYYY-MM-DD`` (never ``datetime.datetime(…)``)."""
    if isinstance(v, Decimal):
        r = fmt_number(v)
    elif isinstance(v, dt.datetime):
        r = v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    elif isinstance(v, dt.date):
        r = v.isoformat()
    else:
        r = repr(v)
    return r if len(r) <= 40 else r[:37] + "..."


_BOOL, _NUMBER, _INT = "boolean", "number", "integer"

#: fast-path specs by indicator mapping: id → (the mapping, {name: (kind, min, max)})
_SPECS: dict[int, tuple[Mapping[str, Indicator], dict[str, tuple[str, Any, Any]]]] = {}


def _fast_specs(indicators: Mapping[str, Indicator]) -> dict[str, tuple[str, Any, Any]]:
    """What the fast path of :func:`validate` checks, per plain indicator (not reference values,
    which may come with their source, nor choices)."""
    hit = _SPECS.get(id(indicators))
    if hit is not None and hit[0] is indicators:
        return hit[1]
    specs: dict[str, tuple[str, Any, Any]] = {}
    for name, ind in indicators.items():
        if ind.reference or ind.type == "choice":
            continue
        kind = _BOOL if ind.type == "boolean" else _INT if ind.type == "integer" else _NUMBER
        specs[name] = (kind, ind.min, ind.max)
    if len(_SPECS) >= 256:
        _SPECS.clear()
    _SPECS[id(indicators)] = (indicators, specs)
    return specs


def validate(
    indicators: Mapping[str, Indicator], data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str], list[Problem]]:
    """Validate ``data``: (valid values, sources of reference values, problems)."""
    if len(data) > MAX_FIELDS:
        raise InputError(f"the data has {len(data):,} names, more than {MAX_FIELDS:,} (it holds one unit's values): "
                         "refused")
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    problems: list[Problem] = []
    fast = _fast_specs(indicators)
    for key, raw in data.items():
        name = key if type(key) is str else str(key)
        spec = fast.get(name)
        if spec is not None:  # the usual values, checked without building anything
            kind, lo, hi = spec
            t = type(raw)
            if kind is _BOOL:
                if t is bool:
                    values[name] = raw
                    continue
            elif t is int or t is float:
                d = None
                if t is int:
                    d = Decimal(raw)
                elif raw - raw == 0.0:  # finite
                    d = Decimal(repr(raw))
                    if kind is _INT and d != d.to_integral_value():
                        d = None
                if d is not None and (lo is None or d >= lo) and (hi is None or d <= hi):
                    values[name] = d
                    continue
            # anything else takes the full path below, which says what is wrong
        ind = indicators.get(name)
        if ind is None:
            problems.append(_unknown_field(name, indicators))
            continue
        if isinstance(raw, str):
            raw = from_text(raw, ind)  # a text cell read by the rules every input path shares
        if raw is None:
            continue  # an explicit null is the same as a missing value
        if ind.reference and isinstance(raw, Mapping):
            extra = set(raw) - REFERENCE_KEYS
            if extra or "value" not in raw:
                problems.append(
                    Problem(
                        name,
                        "invalid_type",
                        f"a reference value is a number or {{value, source}}; got keys {sorted(map(str, raw))}",
                        f"参考值应为数值或 {{value, source}}，实际键为 {sorted(map(str, raw))}",
                    )
                )
                continue
            src = raw.get("source")
            if src is not None:
                sources[name] = str(src)
            raw = raw["value"]
            if isinstance(raw, str):
                raw = from_text(raw, ind)
            if raw is None:
                continue
        value, problem = check_value(name, ind, raw)
        if problem is not None:
            problems.append(problem)
        else:
            values[name] = value
    return values, sources, problems


#: what an unknown name may have been meant to be, by indicator mapping: id → (the mapping, {name: words})
_MEANT: dict[int, tuple[Mapping[str, Indicator], dict[str, tuple[str, str]]]] = {}


def _unknown_field(name: str, indicators: Mapping[str, Indicator]) -> Problem:
    """A name that is no indicator: a warning, with the indicator it may be a misspelling of (its name,
    which the file must use, and its label)."""
    hit = _MEANT.get(id(indicators))
    if hit is None or hit[0] is not indicators:
        if len(_MEANT) >= 64:
            _MEANT.clear()
        hit = _MEANT[id(indicators)] = (indicators, {})
    words = hit[1].get(name)
    if words is None:
        close = close_names(name, indicators, 1)
        zh = did_you_mean(f"{c}（{indicators[c].label.zh}）" for c in close)[0]
        en = did_you_mean(f"{c} ({indicators[c].label.en})" for c in close)[1]
        words = (f"not an indicator of this rule set; ignored{'; ' + en if en else ''}",
                 f"不是本规则集的指标，已忽略{'。' + zh if zh else ''}")
        if len(hit[1]) < 1024:
            hit[1][name] = words
    return Problem(name, "unknown_field", words[0], words[1], severity="warning")


#: types of a bare assessor's entry (a value, no rationale or assessor)
_PLAIN = frozenset({int, float, bool, Decimal, str})


def read_assessments(
    raw: Mapping[str, Any] | None, assessor: str | None
) -> tuple[dict[str, Assessment], list[Problem]]:
    """Normalise assessor entries. Each is a value, ``{value|points|met, rationale, assessor}``
    or a list of those (several assessors); ``assessor`` picks one, else the last is used."""
    out: dict[str, Assessment] = {}
    problems: list[Problem] = []
    for key, entry in (raw or {}).items():
        if isinstance(entry, str) and not strip(entry):
            continue  # an empty text is no entry, as an empty cell is
        if type(entry) in _PLAIN and assessor is None:  # the usual entry: a bare value
            out[key if type(key) is str else str(key)] = Assessment(entry)
            continue
        entries = entry if isinstance(entry, list) else [entry]
        parsed: list[Assessment] = []
        for e in entries:
            if isinstance(e, Mapping):
                vkeys = [k for k in ("value", "points", "met") if k in e]
                extra = set(e) - {"value", "points", "met", "rationale", "assessor"}
                if len(vkeys) != 1 or extra:
                    problems.append(
                        Problem(
                            f"assessments.{key}",
                            "invalid_type",
                            "an assessment is a value or a table with one of value/points/met, and rationale, assessor",
                            "评估记录应为数值，或含 value/points/met 之一及 rationale、assessor 的表",
                            rules=[str(key)],
                        )
                    )
                    continue
                rationale = e.get("rationale")
                who = e.get("assessor")
                parsed.append(
                    Assessment(
                        e[vkeys[0]],
                        None if rationale is None else str(rationale),
                        None if who is None else str(who),
                    )
                )
            else:
                parsed.append(Assessment(e))
        if assessor is not None:
            parsed = [a for a in parsed if a.assessor == assessor]
        if parsed:
            out[str(key)] = parsed[-1]
    return out, problems


def as_date(v: Any, name: str = "on") -> dt.date | None:
    """An evaluation date, the one way every entry point reads it (``on`` of ``evaluate``,
    ``evaluate_many`` and the functions built on them, ``rulesets_for``, ``--on``, ``context["on"]``):
    a ``datetime.date``; a ``datetime.datetime``, of which the calendar date as written is taken (no
    time zone is converted); or a text ``YYYY-MM-DD`` (spaces around it ignored). None stays None.
    Anything else is an :class:`InputError` naming the argument (``name``) and the value."""
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    want = f"{name} must be a date (a datetime.date or a text YYYY-MM-DD)"
    shown = repr(v) if len(repr(v)) <= 80 else repr(v)[:79] + "…"
    if not isinstance(v, str):
        raise InputError(f"{want}, not {shown} ({type(v).__name__})")
    text = v.strip()
    digits = text[:4] + text[5:7] + text[8:]
    if len(text) != 10 or text[4] != "-" or text[7] != "-" or not (digits.isascii() and digits.isdigit()):
        raise InputError(f"{want}, not {shown}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:  # 2023-02-30
        raise InputError(f"{want}, not {shown}: {exc}") from None


# ---------------------------------------------------------------------------
# derived values ([derived.NAME]), computed from a unit's valid inputs before any rule reads them


def derive(derived: Sequence[PreparedDerived], values: dict[str, Any], parameters: Mapping[str, Any],
           functions: Mapping[str, Any], invalid: set[str]) -> None:
    """Each derived value added to ``values``, in order, from the values it reads. One that reads a missing
    value is left out (missing too: the inputs it rests on are what is reported); one that reads an invalid
    value, or whose expression fails on these values (a division by zero), is added to ``invalid``."""
    if not derived:
        return
    inputs = Inputs(values, parameters, {}, functions)
    for d in derived:
        if any(r in invalid for r in d.reads):
            invalid.add(d.name)
            continue
        if not values.keys() >= d.reads:
            continue
        try:
            v = derived_value(d, inputs.eval(d.expr))
        except (ArithmeticError, TypeError, ValueError):
            invalid.add(d.name)
            continue
        values[d.name] = inputs.env[d.name] = v


def derived_value(d: PreparedDerived, v: Any) -> Any:
    """What an expression gave, as the derived value's type (a number rounded half up to its precision)."""
    t = d.doc.type
    if t == "boolean":
        if not isinstance(v, bool):
            raise TypeError(f"{d.name}: expected true or false, got {v!r}")
        return v
    if isinstance(v, bool) or not isinstance(v, (int, Decimal)):
        raise TypeError(f"{d.name}: expected a number, got {v!r}")
    v = Decimal(v)
    if not v.is_finite():
        raise ValueError(f"{d.name}: not a finite number")
    if d.doc.precision is not None:
        v = quantize(v, d.doc.precision)
    if t == "integer" and v != v.to_integral_value():
        raise ValueError(f"{d.name}: {v} is not a whole number")
    return v
