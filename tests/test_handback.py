"""Every reason the vector backend gives for handing an expression or a rule back to the single-unit path.

Each ``raise Unvectorizable(reason)`` of ``fuac.run.vector`` and of the column forms of
``fuac.language.functions`` that a rule file (or a plugin's kind or function) can reach is reached
here once, and its reason is read back, whole, from ``backend_report`` (``fallback`` when the plan is
compiled, ``runtime_fallback`` when a chunk is run). Each case also scores every unit as
``fuac.evaluate`` does: what is handed back must still score right. The reasons are written as the
source writes them.

Not reached, because nothing can reach them: ``"cannot scale down"`` (callers only scale up),
``"power with a variable exponent"`` (the loader allows only a literal exponent), ``"… is not compiled"``
for a node type (the loader allows only the node types the compiler compiles), ``"this operator"`` (every
binary operator the loader allows has its word), ``"min()/max() of nothing"`` (a call without arguments
is a call of constants, folded before the column form is asked), and ``_code``'s unknown status (its
reason is caught where it is raised: the row goes to the single-unit path whole, which names the status).
"""

from __future__ import annotations

import ast
import types
from decimal import Decimal
from typing import Any

import pytest

import fuac
from fuac.kinds import AllOrNothing
from fuac.language.functions import column_form
from fuac.run.inputs import as_date

ON = "2023-10-01"

RULES = """
[scheme]
id = "handback"
version = "1"
kind = "points"
title = {{ zh = "交回", en = "Handed back" }}
issuer = {{ zh = "测试", en = "Test" }}
issued = 2023-01-01
valid_from = 2023-01-01
total = 1
precision = 0.1
jurisdiction = [{{ code = "45", level = "province" }}]

[indicators.x]
type = "decimal"
unit = "percent"
label = {{ zh = "值", en = "Value" }}

[indicators.level]
type = "choice"
choices = ["A", "B"]
label = {{ zh = "等级", en = "Level" }}

[indicators.grade]
type = "choice"
choices = ["A", "C"]
label = {{ zh = "评级", en = "Grade" }}

[parameters.later]
label = {{ zh = "后定", en = "Set later" }}
reference = "test"
unit = "percent"
values = {{ 2024-01-01 = 2 }}

[[sections]]
id = "A"
title = {{ zh = "甲", en = "A" }}
max = 1

[[sections.items]]
id = "1"
max = 1
{rule}
"""

#: units around the rules' numbers; one whose x cubed passes the fixed-point limit; one with nothing given
RECORDS: list[dict[str, Any]] = [
    {"x": 0.5, "level": "A", "grade": "A"},
    {"x": 1.5, "level": "B", "grade": "C"},
    {"x": 2.5, "level": "A", "grade": "C"},
    {"x": 3, "level": "B", "grade": "A"},
    {"x": 100000, "level": "A", "grade": "A"},
    {},
]


# ---------------------------------------------------------------------------
# a plugin: functions and rule kinds that reach what a rule file alone cannot


def _limit(x: Any) -> Decimal:
    """No limit (infinity) for 0, else ``x``."""
    return Decimal("Infinity") if x == 0 else Decimal(x)


@column_form(_limit)
def _limit_columns(args: list[Any], fc: Any) -> Any:
    raise fc.Unvectorizable("limit() of a column")


def _as_float(x: Any) -> float:
    """``x`` as a Python float (not a Decimal)."""
    return float(x)


@column_form(_as_float)
def _as_float_columns(args: list[Any], fc: Any) -> Any:
    raise fc.Unvectorizable("as_float() of a column")


def _per_mille(x: Any) -> Decimal:
    """``x`` per thousand, without a column form."""
    return Decimal(x) / 1000


class HalfPoints(AllOrNothing):
    """All or nothing at half the points: it scores differently from the columns it inherits."""

    kind = "half_points"

    def score(self, inputs: fuac.Inputs) -> fuac.Outcome:
        out = super().score(inputs)
        if out.points:
            out.points = out.points / 2
        return out


class _NoParams(fuac.Model):
    pass


class LevelPoints(fuac.Rule):
    """1 point for level A; its column form reads the choice column as a number."""

    kind = "level_points"
    Params = _NoParams

    def __init__(self, rule_id: str, params: Any, ctx: Any) -> None:
        super().__init__(rule_id, params, ctx)
        self.max_points = Decimal(1)
        self.reads = frozenset({"level"})

    def score(self, inputs: Any) -> fuac.Outcome:
        ok = inputs.values["level"] == "A"
        return fuac.Outcome(Decimal(ok), "scored", "甲", "A" if ok else "not A", met=ok)

    def columns(self, cols: Any) -> Any:
        cols.numeric(cols.ec.node(ast.Name(id="level")))
        raise AssertionError("not reached")


class Steps(fuac.Rule):
    """1 point above x = 2, 0.5 above 1; its column form keeps the half point at no decimals."""

    kind = "steps"
    Params = _NoParams

    def __init__(self, rule_id: str, params: Any, ctx: Any) -> None:
        super().__init__(rule_id, params, ctx)
        self.max_points = Decimal(1)
        self.reads = frozenset({"x"})

    def score(self, inputs: Any) -> fuac.Outcome:
        x = inputs.values["x"]
        pts = Decimal(1) if x > 2 else Decimal("0.5") if x > 1 else Decimal(0)
        return fuac.Outcome(pts, "scored", "阶", "steps", met=x > 2)

    def columns(self, cols: Any) -> Any:
        cols.to_scaled(Decimal("0.5"), 0)
        raise AssertionError("not reached")


class Broken(fuac.Rule):
    """1 point up to x = 2; beyond it, a bug."""

    kind = "broken"
    Params = _NoParams

    def __init__(self, rule_id: str, params: Any, ctx: Any) -> None:
        super().__init__(rule_id, params, ctx)
        self.max_points = Decimal(1)
        self.reads = frozenset({"x"})

    def score(self, inputs: Any) -> fuac.Outcome:
        if inputs.values["x"] > 2:
            raise RuntimeError("boom")
        return fuac.Outcome(Decimal(1), "scored", "好", "fine", met=True)


def _plugin() -> types.ModuleType:
    mod = types.ModuleType("handback_pkg")
    hooks = {
        "fuac_functions": {"limit": _limit, "as_float": _as_float, "per_mille": _per_mille},
        "fuac_rule_kinds": [HalfPoints, LevelPoints, Steps, Broken],
    }
    for hook, value in hooks.items():

        def impl(value: Any = value) -> Any:
            return value

        impl.__name__ = hook
        setattr(mod, hook, fuac.hookimpl(impl))
    return mod


ENGINE = fuac.Engine(plugins=[_plugin()], load_entry_points=False)


def load(rule: str) -> fuac.RuleSet:
    return ENGINE.load_text(RULES.format(rule=rule), name="handback.toml")


def condition(expr: str) -> str:
    return f'kind = "all_or_nothing"\npoints = 1\ncondition = "{expr}"'


ELIGIBILITY = '\n\n[[eligibility]]\nid = "E1"\nlabel = {{ zh = "整", en = "Whole" }}\nclause = "一"\ncondition = "{}"'


def fallback(key: str, why: str) -> dict[str, Any]:
    return {"fallback": {key: why}, "runtime_fallback": {}}


def compiled(key: str, why: str) -> dict[str, Any]:
    return {"fallback": {}, "runtime_fallback": {key: {"chunks": 1, "why": why}}}


CASES = [
    # --- fuac.run.vector
    pytest.param(condition("x > 1 and x <= limit(0)"), fallback("1", "not a finite number"),
                 id="decimals-a-plugin-function-of-constants-gives-infinity"),
    pytest.param('kind = "steps"', fallback("1", "0.5 has more than 0 decimals"),
                 id="to_scaled-a-kind-scales-its-points-too-coarsely"),
    pytest.param(condition("x > as_float(2)"), fallback("1", "a value of type float"),
                 id="const-a-plugin-function-of-constants-gives-a-float"),
    pytest.param(condition("x * x * x > 1"), compiled("1", "numbers too large for exact fixed point"),
                 id="check-a-cube-passes-the-limit-in-a-chunk"),
    pytest.param('kind = "level_points"', fallback("1", "text used as a number"),
                 id="numeric-a-kind-reads-a-choice-as-a-number"),
    pytest.param(condition("x > 1.5000000000000000001"), fallback("1", "more than 18 decimals"),
                 id="numeric-a-literal-of-nineteen-decimals-compared"),
    pytest.param(condition("x > 2 or 1 / 0 > 1"),
                 fallback("1", "a constant part fails: [<class 'decimal.DivisionByZero'>]"),
                 id="fold-a-constant-division-by-zero"),
    pytest.param(condition("'A' in level"), fallback("1", "'in' is not compiled"),
                 id="compare-in-a-choice"),
    pytest.param(condition("x > 2 or level > 1"), fallback("1", "text compared with a number"),
                 id="compare-a-choice-ordered-against-a-number"),
    pytest.param(condition("x > 1") + '\napplies_when = "level == grade"',
                 fallback("1 (applies_when)", "two text columns compared"),
                 id="compare-two-choices-in-applies_when"),
    pytest.param(condition("x > 2 or x * level > 1"), fallback("1", "arithmetic on text"),
                 id="arith-a-number-times-a-choice"),
    pytest.param(condition("(x - 2) * 0.0000000001 * 0.00000001 > 0"), fallback("1", "more than 18 decimals"),
                 id="arith-a-product-of-twenty-decimals"),
    pytest.param(condition("x > 1") + '\nvoid_when = "x % 1 == 0.5"', fallback("1 (void_when)", "'%' is not compiled"),
                 id="arith-remainder-in-void_when"),
    pytest.param(condition("x > 1") + ELIGIBILITY.format("x // 1 >= 1"), fallback("E1", "'//' is not compiled"),
                 id="arith-floor-division-in-eligibility"),
    pytest.param(condition("x > 1") + ELIGIBILITY.format("x / 4 < 1"), fallback("E1", "division is not compiled"),
                 id="arith-division-in-eligibility"),
    pytest.param(condition("(level if x > 1 else grade) == 'A'"),
                 fallback("1", "a choice between values of different kinds"),
                 id="select-between-two-choices"),
    pytest.param(condition("x > 2 or later > x"), fallback("1", "name 'later' has no value"),
                 id="name-a-parameter-not-yet-in-force"),
    pytest.param(condition("x > 2 or -level == 1"), fallback("1", "sign of a text"), id="unary-minus-a-choice"),
    pytest.param(condition("x > 2 or level ** 2 > 1"), fallback("1", "'** 0' is not compiled"), id="power-of-a-choice"),
    pytest.param(condition("per_mille(x) > 0.002"), fallback("1", "function 'per_mille' is not compiled"),
                 id="call-a-plugin-function-without-a-column-form"),
    pytest.param(condition("x > 2 or abs(level) > 1"), fallback("1", "abs() of a text"), id="call-abs-of-a-choice"),
    pytest.param('kind = "half_points"\npoints = 1\ncondition = "x > 1"',
                 fallback("1", "rule kind 'half_points' (HalfPoints) scores differently from the columns it "
                               "inherits (AllOrNothing)"),
                 id="rule-a-subclass-scores-differently"),
    pytest.param('kind = "threshold"\npoints = 1\nindicator = "x"\ncomparator = ">="\nparameter = "later"',
                 fallback("1", "parameter 'later' has no value on this date"),
                 id="test-a-threshold-parameter-not-yet-in-force"),
    # --- fuac.language.functions (a call of constants is folded by the exact form: its error is the reason)
    pytest.param(condition("x > 2 or abs('a') > 1"), fallback("1", "a constant part fails: expected a number, got str"),
                 id="d-abs-of-a-text-literal"),
    pytest.param(condition("x > 2 or floor(x, 1) > 1"), fallback("1", "floor() takes one argument"),
                 id="one-floor-of-two-arguments"),
    pytest.param(condition("x > 2 or round(1, 99) > 1"),
                 fallback("1", "a constant part fails: round(): places must be between 0 and 10"),
                 id="round-of-constants-places-out-of-range"),
    pytest.param(condition("round(x, x > 2) >= 1.5"), fallback("1", "round() with a variable number of places"),
                 id="round-places-from-a-condition"),
    pytest.param(condition("x > 2 or round(x, -1) > 1"), fallback("1", "round(): places out of range"),
                 id="round-negative-places"),
    pytest.param(condition("x > 2 or clamp(5, 3, 1) > 1"),
                 fallback("1", "a constant part fails: clamp(): the lower bound 3 is above the upper bound 1"),
                 id="clamp-of-constants-bounds-out-of-order"),
    pytest.param(condition("x > 2 or clamp(x, 1, 2, 3) > 1"), fallback("1", "clamp() takes three arguments"),
                 id="clamp-of-four-arguments"),
    pytest.param(condition("clamp(x, 1, x > 2) >= 1"),
                 fallback("1", "clamp() with bounds that are not constants in order"),
                 id="clamp-upper-bound-a-condition"),
    pytest.param(condition("x > 2 or min() > 1"),
                 fallback("1", "a constant part fails: min() needs at least one argument"), id="min-of-nothing"),
    pytest.param(condition("x > 2 or max() > 1"),
                 fallback("1", "a constant part fails: max() needs at least one argument"), id="max-of-nothing"),
    pytest.param(condition("max(x, x > 1) >= 1"), fallback("1", "max() of values of different kinds"),
                 id="extreme-of-a-number-and-a-condition"),
]


@pytest.mark.parametrize(("rule", "report"), CASES)
def test_what_is_handed_back_says_why_and_scores_as_one_unit(rule: str, report: dict[str, Any]) -> None:
    rs = load(rule)
    res = fuac.evaluate_many(rs, RECORDS, on=ON)
    assert res.backend == "vector"
    assert {k: res.backend_report[k] for k in report} == report
    # unit by unit, what fuac.evaluate gives
    got = {c: res.column(c, exact=True).tolist()
           for c in ("total_exact", "eligible", "item.1", "item.1.status", "item.1.met")}
    want: dict[str, list[Any]] = {c: [] for c in got}
    for rec in RECORDS:
        ev = fuac.evaluate(rs, rec, on=as_date(ON))
        it = ev.item("1")
        for c, v in zip(want, (ev.total, ev.eligible, it.points, it.status, it.met), strict=True):
            want[c].append(v)
    assert got == want


def test_a_kind_that_breaks_when_handed_back_costs_only_its_record() -> None:
    # the rule is handed back (its kind is not compiled); its score fails on the third unit (x = 2.5):
    # that unit's rule cannot be scored, named, and the batch goes on (tests/test_hostile_plugins.py)
    rs = load('kind = "broken"')
    broken = fuac.evaluate_many(rs, RECORDS[:3], on=ON)
    assert broken.column("item.1.status").tolist() == ["scored", "scored", "invalid_input"]
    one = fuac.evaluate(rs, RECORDS[2], on=as_date(ON)).item("1")
    assert one.reason_en == ("cannot score rule '1': plugin handback_pkg failed: rule kind 'broken' (score) raised "
                             "RuntimeError: boom.")
    assert broken.evaluation(2).to_dict() == fuac.evaluate(rs, RECORDS[2], on=as_date(ON)).to_dict()
    res = fuac.evaluate_many(rs, RECORDS[:2], on=ON)
    assert res.backend_report["fallback"] == {"1": "rule kind 'broken' (Broken) is not compiled"}
    assert res.column("item.1", exact=True).tolist() == [
        fuac.evaluate(rs, r, on=as_date(ON)).item("1").points for r in RECORDS[:2]]
