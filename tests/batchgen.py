"""Random records for a rule set: values at and around every number the rule set writes,
at regional averages, missing, invalid. Shared by the batch tests (hypothesis strategies).

The values hunt for the records that separate a right scorer from a wrong one: every
literal of the rule set exactly, one step either side (1, 0.1, 0.01, 0.5), one unit of
the batch's fixed point either side (0.0001) and one beyond it (0.00001), and one float
ulp either side; complete units (every value valid, every assessor entry given, so that
totals, pass marks and grades are reached) as often as incomplete ones; assessor entries
at their bounds and just beyond them.
"""

from __future__ import annotations

import ast
import functools
import math
from decimal import Decimal
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

import fuac
from fuac.kinds import Discretionary, Requirement, VersusReference
from fuac.kinds.base import Test


def examples(n: int) -> int:
    """``n`` examples at the pace of 50 a profile: half under ``dev`` (25), four times under ``ci`` (200)."""
    return max(1, n * settings.default.max_examples // 50)


BAD_VALUES = ["x", float("nan"), float("inf"), -float("inf"), [1], {"a": 1}]


def constants(rs: fuac.RuleSet) -> list[Decimal]:
    """Every number written in the rule set (thresholds, targets, bounds, literals, parameters)."""
    out: set[Decimal] = set()

    def see(v: Any) -> None:
        if isinstance(v, bool):
            return
        if isinstance(v, Decimal) and v.is_finite():
            out.add(v)
        elif isinstance(v, dict):
            for x in v.values():
                see(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                see(x)
        elif hasattr(type(v), "model_fields"):
            for name in type(v).model_fields:
                see(getattr(v, name))

    see(rs.doc)
    for plan in rs.plans.values():
        for it in plan.items.values():
            for _, rule in it.rules:
                see(rule.params)
                e = getattr(rule, "expr", None)
                if e is not None:
                    for node in ast.walk(e.tree):
                        if isinstance(node, ast.Constant):
                            see(node.value)
    return sorted(out)


def references(rs: fuac.RuleSet) -> list[tuple[str, str]]:
    """(indicator, reference) pairs compared by the rule set."""
    pairs = []
    for plan in rs.plans.values():
        for it in plan.items.values():
            for _, rule in it.rules:
                if isinstance(rule, VersusReference):
                    pairs.append((rule.params.indicator, rule.params.reference))
                for t in getattr(rule, "tests", []) or []:
                    test: Test = t.test
                    if test.reference:
                        pairs.append((test.indicator, test.reference))
    return sorted(set(pairs))


#: one step either side of a literal: a whole unit, the usual precisions of a rate, half a step,
#: one unit of the batch backend's fixed point (4 decimals)
STEPS = (Decimal(0), Decimal(1), Decimal("0.1"), Decimal("0.01"), Decimal("0.5"), Decimal("0.0001"))
#: and, in a "fine" record, one step beyond that fixed point (such rows leave the vector form)
FINE_STEPS = (*STEPS, Decimal("0.00001"))


def ulps(values: list[Decimal]) -> list[float]:
    """The floats one ulp either side of each value."""
    out = []
    for v in values:
        f = float(v)
        out += [math.nextafter(f, math.inf), math.nextafter(f, -math.inf)]
    return out


@functools.cache
def _pools(rs: fuac.RuleSet, fine: bool) -> tuple[list[Decimal], list[Decimal], list[int]]:
    """The rule set's literals (and 0, 1, 2, 3, 100), the values around them, the whole ones among
    those: found once per rule set, not once per value drawn."""
    base = [*constants(rs), Decimal(0), Decimal(1), Decimal(2), Decimal(3), Decimal(100)]
    pool = sorted({c + sign * d for c in base for d in (FINE_STEPS if fine else STEPS) for sign in (1, -1)})
    return base, pool, sorted({int(v) for v in pool if v == v.to_integral_value()})


def number_values(rs: fuac.RuleSet, integer: bool, *, valid_only: bool = False, fine: bool = True,
                  lo: Decimal | None = None, hi: Decimal | None = None) -> st.SearchStrategy[Any]:
    """Numbers at and around every literal; ``fine``: also one ulp away and finer than 4 decimals."""
    base, pool, ints = _pools(rs, fine)
    if valid_only:  # within the indicator's bounds, so that the unit is complete
        pool = [v for v in pool if (lo is None or v >= lo) and (hi is None or v <= hi)] or [lo or hi or Decimal(0)]
        ints = [v for v in ints if (lo is None or v >= lo) and (hi is None or v <= hi)]
        if integer:
            return st.sampled_from(ints or [int(lo or 0)])
        return st.one_of(st.sampled_from(pool), st.sampled_from(pool).map(float))
    if integer:
        exact = st.sampled_from(ints)
        return st.one_of(exact, exact.map(float), exact.map(Decimal), st.integers(-3, 12),
                         st.sampled_from(pool).map(float))
    dec = st.sampled_from(pool)
    three = st.decimals(min_value=-5, max_value=120, places=3, allow_nan=False)
    if not fine:
        return st.one_of(dec, dec.map(float), st.sampled_from(ints), three)
    return st.one_of(dec, dec.map(float), st.sampled_from(ints), st.sampled_from(ulps(base)), three,
                     st.floats(min_value=-5, max_value=120, allow_nan=False, width=64))


def good_value(rs: fuac.RuleSet, name: str, fine: bool = True) -> st.SearchStrategy[Any]:
    """A valid value of the indicator: what a complete unit has."""
    ind = rs.doc.indicators[name]
    if ind.type == "boolean":
        return st.booleans()
    if ind.type == "choice":
        return st.sampled_from(list(ind.choices or []))
    return number_values(rs, ind.type == "integer", valid_only=True, fine=fine, lo=ind.min, hi=ind.max)


def value_for(rs: fuac.RuleSet, name: str, fine: bool = True) -> st.SearchStrategy[Any]:
    """A value of the indicator: valid (any number, not only one within its bounds), missing, or bad."""
    ind = rs.doc.indicators[name]
    missing = st.none()
    if ind.type in ("boolean", "choice"):
        good = good_value(rs, name)
    else:
        good = number_values(rs, ind.type == "integer", fine=fine)
    bad = st.sampled_from([*BAD_VALUES, *{"boolean": [0, 1], "choice": ["not-a-choice", 1]}.get(ind.type, [True])])
    return st.one_of(good, good, good, good, good, good, missing, bad)


def assessment_keys(rs: fuac.RuleSet, tier: str | None) -> dict[str, Any]:
    out = {}
    for it in rs.plan(tier).items.values():
        for key, rule in it.rules:
            if rule.assessable:
                out[key] = rule
    return out


def assessment_value(rule: Any, *, valid_only: bool = False) -> st.SearchStrategy[Any]:
    """An assessor's entry: within the bounds, at them, just beyond them, or not an entry."""
    if isinstance(rule, Discretionary):
        lo, hi = rule.params.min, rule.params.points
        inside = st.decimals(min_value=lo, max_value=hi, places=2)
        at = st.sampled_from([lo, hi, hi - Decimal("0.01"), lo + Decimal("0.01")])
        if valid_only:
            return st.one_of(inside, inside.map(float), at)
        beyond = [hi + 1, lo - 1, hi + Decimal("0.01"), lo - Decimal("0.01"), *ulps([hi])[:1], *ulps([lo])[1:]]
        return st.one_of(st.none(), inside, inside.map(float), at, st.sampled_from(beyond),
                         st.sampled_from(["x", True, float("nan")]))
    if isinstance(rule, Requirement):
        if valid_only:
            return st.booleans()
        return st.one_of(st.none(), st.booleans(), st.booleans(), st.sampled_from(["yes", 1]))
    return st.none()


@st.composite
def records(draw: Any, rs: fuac.RuleSet, tier: str | None, flat_assessments: bool = True) -> dict[str, Any]:
    """A unit's record: complete (every value valid, every entry given) half of the time;
    with values finer than the batch's fixed point, or a float ulp off a literal, half of the time."""
    complete = draw(st.sampled_from([True, False]))
    fine = draw(st.sampled_from([False, True]))
    rec: dict[str, Any] = {}
    for name in rs.doc.indicators:
        if complete:
            rec[name] = draw(good_value(rs, name, fine))
            continue
        v = draw(value_for(rs, name, fine))
        if v is not None or draw(st.booleans()):
            rec[name] = v
    for ind, ref in references(rs):
        if ind in rec and draw(st.integers(0, 2)) == 0:
            rec[ref] = rec[ind]  # exactly at the regional average
    for key, rule in assessment_keys(rs, tier).items():
        v = draw(assessment_value(rule, valid_only=complete))
        if v is not None:
            rec[f"assessments.{key}"] = v
    if any(ind.cohort is not None for ind in rs.doc.indicators.values()):
        # a few regions, so that cohort averages are computed (and some units sit exactly on them)
        code = draw(st.sampled_from(["450102", "450103", "450104", "450201", "450202", 450102, "45", None, "x"]))
        if code is not None:
            rec["code"] = code
        for _, ref in references(rs):
            if ref in rec and draw(st.booleans()):
                del rec[ref]  # mostly computed over the cohort
    return rec


def plans(rs: fuac.RuleSet) -> list[str | None]:
    return list(rs.plans)
