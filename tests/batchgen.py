"""Random records for a rule set: values at and around every number the rule set writes,
at regional averages, missing, invalid. Shared by the batch tests (hypothesis strategies)."""

from __future__ import annotations

import ast
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

import fuac
from fuac._kinds import Discretionary, Requirement, Test, VersusReference

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


def number_values(rs: fuac.RuleSet, integer: bool) -> st.SearchStrategy[Any]:
    base = [*constants(rs), Decimal(0), Decimal(1), Decimal(2), Decimal(3), Decimal(100)]
    near = set()
    for c in base:
        for d in (Decimal(0), Decimal(1), Decimal("0.1"), Decimal("0.01"), Decimal("0.5")):
            near.add(c + d)
            near.add(c - d)
    pool = sorted(near)
    ints = sorted({int(v) for v in pool if v == v.to_integral_value()})
    if integer:
        exact = st.sampled_from(ints)
        return st.one_of(exact, exact.map(float), exact.map(Decimal), st.integers(-3, 12),
                         st.sampled_from(pool).map(float))
    dec = st.sampled_from(pool)
    return st.one_of(dec, dec.map(float), st.sampled_from(ints),
                     st.decimals(min_value=-5, max_value=120, places=3, allow_nan=False),
                     st.floats(min_value=-5, max_value=120, allow_nan=False, width=64))


def value_for(rs: fuac.RuleSet, name: str) -> st.SearchStrategy[Any]:
    ind = rs.doc.indicators[name]
    missing = st.none()
    bad = st.sampled_from(BAD_VALUES)
    if ind.type == "boolean":
        good: st.SearchStrategy[Any] = st.booleans()
        bad = st.sampled_from([*BAD_VALUES, 0, 1])
    elif ind.type == "choice":
        good = st.sampled_from(list(ind.choices or []))
        bad = st.sampled_from([*BAD_VALUES, "not-a-choice", 1])
    else:
        good = number_values(rs, ind.type == "integer")
        bad = st.sampled_from([*BAD_VALUES, True])
    return st.one_of(good, good, good, good, good, good, missing, bad)


def assessment_keys(rs: fuac.RuleSet, tier: str | None) -> dict[str, Any]:
    out = {}
    for it in rs.plan(tier).items.values():
        for key, rule in it.rules:
            if rule.assessable:
                out[key] = rule
    return out


def assessment_value(rule: Any) -> st.SearchStrategy[Any]:
    if isinstance(rule, Discretionary):
        lo, hi = rule.params.min, rule.params.points
        inside = st.decimals(min_value=lo, max_value=hi, places=2)
        return st.one_of(st.none(), inside, inside.map(float), st.sampled_from([lo, hi, hi + 1, lo - 1]),
                         st.sampled_from(["x", True, float("nan")]))
    if isinstance(rule, Requirement):
        return st.one_of(st.none(), st.booleans(), st.booleans(), st.sampled_from(["yes", 1]))
    return st.none()


@st.composite
def records(draw: Any, rs: fuac.RuleSet, tier: str | None, flat_assessments: bool = True) -> dict[str, Any]:
    rec: dict[str, Any] = {}
    for name in rs.doc.indicators:
        v = draw(value_for(rs, name))
        if v is not None or draw(st.booleans()):
            rec[name] = v
    for ind, ref in references(rs):
        if ind in rec and draw(st.integers(0, 2)) == 0:
            rec[ref] = rec[ind]  # exactly at the regional average
    for key, rule in assessment_keys(rs, tier).items():
        v = draw(assessment_value(rule))
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
