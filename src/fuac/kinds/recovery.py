"""What a rule kind proposes to recover its lost points: the changes of the rectification list (整改清单).

Each kind knows how its own points are recovered (:meth:`fuac.kinds.base.Rule.recovery`):
it proposes :class:`Plan` s, new values for some of the unit's inputs, from its own
parameters and the :class:`Facts` of the unit. The rectification list
(:mod:`fuac.explain.gaps`) then checks each plan by evaluating the unit again with it
applied: a plan is a proposal, never a result. This module holds the plan, the facts
and the helpers the built-in kinds share.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Protocol

from ..language.expressions import DECIMAL_CONTEXT, Expression
from ..language.models import Indicator, Text

#: Units that count things: a change is "2 more", not "+2".
COUNT_UNITS = frozenset(
    {
        "count",
        "institutions",
        "units",
        "households",
        "persons",
        "cases",
        "records",
        "places",
        "times",
        "meetings",
        "days",
    }
)


@dataclass(slots=True)
class Plan:
    """A proposed change before it is checked: new values, their goals, a note on the rate.

    ``values``: the new value of each input changed, by indicator name. ``goals``: for
    a value the rule compares, what it asks (comparator, value, and the reference's
    label when the value is a regional average), shown beside the new value.
    ``rate_zh``/``rate_en``: the points per step, when the rule has one. ``first``: a
    smaller change that already recovers some points (shown when it does).
    """

    values: dict[str, Any]
    goals: dict[str, tuple[str, Any, Text | None]] = field(default_factory=dict)
    rate_zh: str = ""
    rate_en: str = ""
    first: dict[str, Any] | None = None


class Facts(Protocol):
    """What a rule kind may consult when it proposes a change (:meth:`Rule.recovery`)."""

    @property
    def values(self) -> Mapping[str, Any]:
        """The unit's validated input values by indicator name (numbers as ``Decimal``)."""
        ...

    @property
    def params(self) -> Mapping[str, Any]:
        """The parameter values in force on the evaluation date."""
        ...

    @property
    def indicators(self) -> Mapping[str, Indicator]:
        """The rule set's declared indicators."""
        ...

    def solve(self, expr: Expression, want: bool) -> dict[str, Any] | None:
        """The fewest changes of the unit's own indicators that make ``expr`` evaluate to ``want``
        (None: none found)."""
        ...


# ---------------------------------------------------------------------------
# the smallest value that satisfies a comparison


def resolution(ind: Indicator, *numbers: Any) -> Decimal:
    """The step between two values people would enter: 1 for counts, else the finest decimal seen (≤ 0.1)."""
    if ind.type == "integer":
        return Decimal(1)
    exps = [-1]
    for n in numbers:
        if isinstance(n, Decimal) and n.is_finite():
            exp = n.normalize().as_tuple().exponent
            if isinstance(exp, int):
                exps.append(exp)
    return Decimal(1).scaleb(max(min(exps), -6))


def within(ind: Indicator, v: Decimal) -> bool:
    return (ind.min is None or v >= ind.min) and (ind.max is None or v <= ind.max)


def satisfy(cmp: str, target: Any, ind: Indicator, before: Any, res: Decimal) -> Any:
    """The value closest to the target that makes ``value cmp target`` hold (None: no such value)."""
    if ind.type == "boolean":
        if not isinstance(target, bool):
            return None
        return target if cmp == "==" else (not target if cmp == "!=" else None)
    if ind.type == "choice":
        if cmp == "==":
            return target
        if cmp == "!=":
            return next((c for c in ind.choices or [] if c != target), None)
        return None
    if isinstance(target, bool) or not isinstance(target, (int, Decimal)):
        return None
    t = Decimal(target)
    v: Decimal | None
    if ind.type == "integer":
        up, down = t.to_integral_value(ROUND_CEILING), t.to_integral_value(ROUND_FLOOR)
        v = {">=": up, ">": down + 1, "<=": down, "<": up - 1, "==": t if t == down else None}.get(cmp)
    else:
        v = {">=": t, ">": t + res, "<=": t, "<": t - res, "==": t}.get(cmp)
    if cmp == "!=":
        if before is None or before != t:
            return None
        v = t + res if ind.max is None or t + res <= ind.max else t - res
    if v is None or not within(ind, v):
        return None
    return v


def distance(before: Any, after: Any) -> Decimal:
    """How far a change moves a value: relative to the value (at least 1) for numbers, else 1."""
    if isinstance(after, Decimal) and isinstance(before, Decimal):
        scale = max(abs(before), Decimal(1))
        with decimal.localcontext(DECIMAL_CONTEXT):
            return abs(after - before) / scale
    return Decimal(1)


# ---------------------------------------------------------------------------
# plans the built-in kinds share


def test_goal(t: Any, facts: Facts) -> tuple[Any, Text | None]:
    """What a prepared test compares its indicator with, and the reference's label when it is one."""
    test = t.test
    if test.threshold is not None:
        return test.threshold, None
    if test.parameter is not None:
        return facts.params.get(test.parameter), None
    return facts.values.get(test.reference), t.ref_label


def tests_plan(tests: list[Any], facts: Facts) -> Plan | None:
    """Every prepared test that fails made to hold, each with the value closest to its goal."""
    out = Plan({})
    for t in tests:
        name = t.test.indicator
        before = facts.values.get(name)
        goal, ref = test_goal(t, facts)
        if before is None or goal is None:
            return None
        if t.cmp(before, goal):
            continue
        res = resolution(t.ind, before, goal if isinstance(goal, Decimal) else None)
        v = satisfy(t.test.comparator, goal, t.ind, before, res)
        if v is None:
            return None
        out.values[name] = v
        out.goals[name] = (t.test.comparator, goal, ref)
    return out if out.values else None


def condition_plan(expr: Expression | None, want: bool, facts: Facts) -> Plan | None:
    """The fewest changes that make a condition evaluate to ``want`` (None: no condition, or none found)."""
    if expr is None:
        return None
    vals = facts.solve(expr, want)
    if not vals:
        return None
    return Plan(vals)
