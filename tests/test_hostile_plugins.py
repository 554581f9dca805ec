"""A hostile plugin: functions, rule kinds and veto checks that raise (ValueError, KeyError, division by
zero, an exception that cannot say itself) or recurse forever on some units.

Whatever a plugin's code raises on a unit costs that unit's rule (guard, condition), ``invalid_input``
or "cannot tell", in words naming the plugin, its code and the rule; the other rules and the other
units are scored; a batch, by either backend, loses no row and gives what ``fuac.evaluate`` gives,
row by row (docs/plugin_hooks.md, "When a plugin's code fails"). fuac's own code that breaks is
still an ``EvaluationError`` naming the rule and, in a batch, the record.

The units: x = 1 (every plugin's code works), x = 3 and x = 2.5 (above 2, where it fails), and a
unit without x (nothing is called: missing input).
"""

from __future__ import annotations

import pickle
from decimal import Decimal
from typing import Any

import pytest

import fuac
from fuac.run.batch.results import row_status
from test_plugins import engine, plugin
from test_vector import ONE_RULE

ON = "2023-10-01"
RECORDS: list[dict[str, Any]] = [{"x": 1}, {"x": 3}, {"x": Decimal("2.5")}, {}]
STATUSES = ["scored", "invalid_input", "invalid_input", "missing_input"]


# ---------------------------------------------------------------------------
# the hostile plugin


def raises_value(x: Any) -> Any:
    if x > 2:
        raise ValueError("no value above 2")
    return x


def raises_key(x: Any) -> Any:
    return {1: x}[1 if x <= 2 else "x"]  # KeyError: 'x' above 2


def divides(x: Any) -> Any:
    return x / (x - x) if x > 2 else x  # decimal's DivisionByZero (a ZeroDivisionError) above 2


def divides_int(x: Any) -> Any:
    return int(x) // 0 if x > 2 else x  # Python's ZeroDivisionError above 2


def recurses(x: Any) -> Any:
    return recurses(x) if x > 2 else x


def long_winded(x: Any) -> Any:
    if x > 2:
        raise ValueError("line one\nline two " + "x" * 300)
    return x


class Unsayable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("cannot say")


def unsayable(x: Any) -> Any:
    if x > 2:
        raise Unsayable
    return x


def check_key(values: Any, params: Any) -> bool:
    """A veto check that fails (KeyError) above 2."""
    if values["x"] > 2:
        raise KeyError("x")
    return False


check_key.reads = ("x",)  # type: ignore[attr-defined]


class Raising(fuac.Rule):
    """1 point up to x = 2; above it, score raises KeyError."""

    kind = "raising"

    class Params(fuac.Model):
        pass

    def __init__(self, rule_id: str, params: Any, ctx: Any) -> None:
        super().__init__(rule_id, params, ctx)
        self.max_points = Decimal(1)
        self.reads = frozenset({"x"})

    def score(self, inputs: Any) -> fuac.Outcome:
        if inputs.values["x"] > 2:
            raise KeyError("x")
        return fuac.Outcome(Decimal(1), "scored", "满分。", "full points.", met=True)


class Recursing(Raising):
    """1 point up to x = 2; above it, score calls itself forever."""

    kind = "recursing"

    def score(self, inputs: Any) -> fuac.Outcome:
        if inputs.values["x"] > 2:
            return self.score(inputs)
        return super().score(inputs)


class Graded(fuac.Rule):
    """An assessor's letter, A (1 point) or B (0); its check of an entry breaks on "boom"."""

    kind = "graded"
    assessable = True

    class Params(fuac.Model):
        pass

    def __init__(self, rule_id: str, params: Any, ctx: Any) -> None:
        super().__init__(rule_id, params, ctx)
        self.max_points = Decimal(1)

    def check_entry(self, value: Any) -> Any:
        if value == "boom":
            return {}[value]
        if value not in ("A", "B"):
            raise fuac.EntryError(f"expected A or B, got {value!r}", f"应为 A 或 B，实际为 {value!r}")
        return value

    def score(self, inputs: Any) -> fuac.Outcome:
        a = inputs.assessments.get(self.id)
        if a is None:
            return fuac.Outcome(None, "awaiting_assessor", "待评定。", "awaiting a letter.")
        return fuac.Outcome(Decimal(a.value == "A"), "scored", f"评定为{a.value}。", f"graded {a.value}.",
                            judgement=True)


FUNCTIONS = {f.__name__: f for f in (raises_value, raises_key, divides, divides_int, recurses, long_winded,
                                     unsayable)}
ENGINE = engine(plugin("hostile_pkg", fuac_functions=FUNCTIONS, fuac_rule_kinds=[Raising, Recursing, Graded],
                       fuac_vetoes={"check_key": check_key}))


def one_rule(rule: str, after: str = "") -> fuac.RuleSet:
    return ENGINE.load_text(ONE_RULE.format(rule=rule) + after, name="hostile.toml")


def formula(expression: str) -> str:
    return f'kind = "formula"\nexpression = "{expression}"\nmax_points = 1\nmin_points = 0'


def agree(rs: fuac.RuleSet, units: list[Any], singles: list[fuac.Evaluation], columns: list[str]) -> None:
    """Both backends score every unit, in two chunks, as fuac.evaluate does: the columns, and each row's
    evaluation with its reasons."""
    for backend in ("vector", "python"):
        res = fuac.evaluate_many(rs, units, on=ON, backend=backend, chunk_size=2)
        assert len(res) == len(units), backend
        assert res.column("status").tolist() == [row_status(ev) for ev in singles], backend
        for c in columns:
            want = [_column_of(ev, c) for ev in singles]
            assert res.column(c, exact=True).tolist() == want, (backend, c)
        assert [res.evaluation(i).to_dict() for i in range(len(units))] == [ev.to_dict() for ev in singles], backend


def _column_of(ev: fuac.Evaluation, column: str) -> Any:
    kind, _, rest = column.partition(".")
    if kind == "item":
        iid, _, attr = rest.partition(".")
        return getattr(ev.item(iid), attr or "points")
    if kind in ("eligibility", "veto"):
        return next(c.holds for c in [*ev.eligibility, *ev.vetoes] if c.id == rest)
    return ev.total if column == "total_exact" else getattr(ev, column)


# ---------------------------------------------------------------------------
# a plugin's function


@pytest.mark.parametrize(("function", "raised"), [
    ("raises_value", "ValueError: no value above 2"),
    ("raises_key", "KeyError: 'x'"),
    ("divides", "DivisionByZero"),  # decimal's signal: named by its class, not printed as a list of classes
    ("divides_int", "ZeroDivisionError: integer division or modulo by zero"),
    ("recurses", "RecursionError: maximum recursion depth exceeded"),
    ("long_winded", "ValueError: " + ("line one line two " + "x" * 300)[:200] + "…"),  # one line, cut
    ("unsayable", "Unsayable: (its message cannot be read)"),
])
def test_a_plugin_function_that_fails_costs_that_units_rule_only(function: str, raised: str) -> None:
    rs = one_rule(formula(f"min({function}(x), 1)"))
    singles = [fuac.evaluate(rs, r, on=ON) for r in RECORDS]
    assert [ev.item("1").status for ev in singles] == STATUSES
    assert [ev.item("1").points for ev in singles] == [1, None, None, None]
    for ev in singles[1:3]:
        it = ev.item("1")
        assert (it.reason_zh, it.reason_en) == (
            f"无法评分（规则 1）：插件 hostile_pkg 出错：函数 {function} 引发 {raised}。",
            f"cannot score rule '1': plugin hostile_pkg failed: function '{function}' raised {raised}.")
    agree(rs, RECORDS, singles, ["item.1", "item.1.status", "total_exact"])
    # the vector backend handed the rule back to the single-unit path, unit by unit
    res = fuac.evaluate_many(rs, RECORDS, on=ON)
    assert res.backend_report["fallback"] == {"1": f"function {function!r} is not compiled"}


# ---------------------------------------------------------------------------
# a plugin's rule kind


@pytest.mark.parametrize(("kind", "raised"), [
    ("raising", "KeyError: 'x'"),
    ("recursing", "RecursionError: maximum recursion depth exceeded"),
])
def test_a_plugin_kind_whose_score_fails_costs_that_units_rule_only(kind: str, raised: str) -> None:
    rs = one_rule(f'kind = "{kind}"')
    singles = [fuac.evaluate(rs, r, on=ON) for r in RECORDS]
    assert [ev.item("1").status for ev in singles] == STATUSES
    it = singles[1].item("1")
    assert (it.reason_zh, it.reason_en) == (
        f"无法评分（规则 1）：插件 hostile_pkg 出错：规则类型 {kind} 的 score 方法引发 {raised}。",
        f"cannot score rule '1': plugin hostile_pkg failed: rule kind '{kind}' (score) raised {raised}.")
    agree(rs, RECORDS, singles, ["item.1", "item.1.status", "item.1.met", "total_exact"])


PARTS = """
[[sections.items.parts]]
id = "a"
kind = "all_or_nothing"
points = 0.5
condition = "x > 0"

[[sections.items.parts]]
id = "b"
kind = "raising"
"""


def test_a_part_of_a_plugin_kind_that_fails_is_named_by_its_key() -> None:
    # part a: 0.5 when x > 0; part b: 1 point up to x = 2, and above it its score raises
    text = ONE_RULE.format(rule="").replace("total = 1", "total = 1.5").replace("max = 1\n", "max = 1.5\n")
    rs = ENGINE.load_text(text + PARTS, name="parts.toml")
    singles = [fuac.evaluate(rs, r, on=ON) for r in RECORDS]
    # x = 1: 0.5 + 1; above 2: part a scores 0.5, part b cannot: the item is invalid, its points part a's
    assert [(ev.item("1").status, ev.item("1").points) for ev in singles] == [
        ("scored", Decimal("1.5")), ("invalid_input", Decimal("0.5")), ("invalid_input", Decimal("0.5")),
        ("missing_input", Decimal(0))]
    part = singles[1].item("1").parts[1]
    assert (part.status, part.reason_en) == (
        "invalid_input", "cannot score rule '1.b': plugin hostile_pkg failed: rule kind 'raising' (score) raised "
                         "KeyError: 'x'.")
    agree(rs, RECORDS, singles, ["item.1", "item.1.status", "total_exact"])


class Targeted(Raising):
    """1 point when x reaches the parameter t (a parameter not yet in force is not the plugin's fault)."""

    kind = "targeted"

    def score(self, inputs: Any) -> fuac.Outcome:
        met = inputs.values["x"] >= inputs.parameters["t"]
        return fuac.Outcome(Decimal(met), "scored", "", "", met=met)


def test_a_parameter_not_in_force_is_said_as_such_not_blamed_on_the_plugin() -> None:
    text = ONE_RULE.replace("[[sections]]", '[parameters.t]\nlabel = {{ zh = "目标", en = "Target" }}\n'
                                            'reference = "文件"\nunit = "percent"\nvalues = {{ 2023-01-01 = 2 }}\n\n'
                                            "[[sections]]").format(rule='kind = "targeted"')
    rs = engine(plugin("targeted_pkg", fuac_rule_kinds=[Targeted])).load_text(text)
    it = fuac.evaluate(rs, {"x": 3}, on="2022-06-01").item("1")
    assert (it.status, it.reason_zh, it.reason_en) == (
        "invalid_input", "由输入计算失败：参数 t 在 2022-06-01 尚无生效的取值。",
        "cannot score from these inputs: parameter 't' has no value in force on 2022-06-01.")
    assert fuac.evaluate(rs, {"x": 3}, on="2023-01-01").item("1").points == 1


# ---------------------------------------------------------------------------
# guards and conditions: a plugin's function in applies_when and in a condition, a plugin's veto check

CONDITIONS = """
[[eligibility]]
id = "e"
label = { zh = "条件", en = "Condition" }
clause = "条件"
condition = "recurses(x) > 0"

[[vetoes]]
id = "v"
label = { zh = "检查", en = "Check" }
clause = "检查"
check = "check_key"
scope = "outcome"
"""


def guarded() -> fuac.RuleSet:
    return one_rule('kind = "all_or_nothing"\npoints = 1\ncondition = "x > 1"\napplies_when = "raises_key(x) > 0"',
                    CONDITIONS)


def test_plugin_code_failing_in_a_guard_or_a_condition_costs_that_unit_only() -> None:
    rs = guarded()
    singles = [fuac.evaluate(rs, r, on=ON) for r in RECORDS]
    # x = 1: the item applies, 1 > 1 does not hold: 0 points; the condition holds; the check says no veto
    assert [(ev.item("1").status, ev.eligible, [c.holds for c in [*ev.eligibility, *ev.vetoes]])
            for ev in singles] == [("scored", True, [True, False]), ("invalid_input", None, [None, None]),
                                   ("invalid_input", None, [None, None]), ("missing_input", None, [None, None])]
    ev = singles[1]
    assert ev.item("1").reason_en == ("cannot score rule '1': plugin hostile_pkg failed: function 'raises_key' "
                                      "raised KeyError: 'x'.")
    (e,), (v,) = ev.eligibility, ev.vetoes
    assert (e.reason_zh, e.reason_en) == (
        "条件（e）：无法判断，插件 hostile_pkg 出错：函数 recurses 引发 RecursionError: maximum recursion depth "
        "exceeded。",
        "Condition (e): cannot tell: plugin hostile_pkg failed: function 'recurses' raised RecursionError: maximum "
        "recursion depth exceeded.")
    assert (v.reason_zh, v.reason_en) == (
        "检查（v）：无法判断，插件 hostile_pkg 出错：否决检查 check_key 引发 KeyError: 'x'。",
        "Check (v): cannot tell: plugin hostile_pkg failed: veto check 'check_key' raised KeyError: 'x'.")
    agree(rs, RECORDS, singles, ["item.1", "item.1.status", "eligibility.e", "veto.v", "eligible", "vetoed"])


def test_a_rule_set_with_a_plugins_check_still_pickles_and_scores_alike() -> None:
    rs = guarded()
    back = pickle.loads(pickle.dumps(rs))
    assert [fuac.evaluate(back, r, on=ON).to_dict() for r in RECORDS] == [
        fuac.evaluate(rs, r, on=ON).to_dict() for r in RECORDS]


# ---------------------------------------------------------------------------
# an assessor's entry a plugin's kind fails to check


def test_a_plugin_kinds_check_of_an_entry_that_fails_refuses_that_entry_only() -> None:
    rs = one_rule('kind = "graded"')
    units = [{"data": {}, "assessments": {"1": letter}} for letter in ("A", "boom", "Z", "B")]
    singles = [fuac.evaluate(rs, u["data"], assessments=u["assessments"], on=ON) for u in units]
    assert [(ev.item("1").status, ev.item("1").points) for ev in singles] == [
        ("scored", 1), ("awaiting_assessor", None), ("awaiting_assessor", None), ("scored", 0)]
    assert [[(p.field, p.code, p.message, p.message_zh) for p in ev.problems] for ev in singles[1:3]] == [
        [("assessments.1", "invalid_assessment",
          "the entry could not be checked: plugin hostile_pkg failed: rule kind 'graded' (check_entry) raised "
          "KeyError: 'boom'",
          "无法检查该评分：插件 hostile_pkg 出错：规则类型 graded 的 check_entry 方法引发 KeyError: 'boom'")],
        # the kind's own refusal, in its words, as before
        [("assessments.1", "invalid_assessment", "expected A or B, got 'Z'", "应为 A 或 B，实际为 'Z'")]]
    agree(rs, units, singles, ["item.1", "item.1.status", "total_exact"])


# ---------------------------------------------------------------------------
# fuac's own code is not excused


def test_fuacs_own_kind_that_breaks_is_still_an_error_naming_the_rule_and_the_record(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a plugin's code is caught: a bug in a built-in kind stops the evaluation, named."""
    from fuac.kinds.formula import Formula

    real = Formula.score

    def broken(self: Any, inputs: Any) -> Any:
        if inputs.values["x"] > 2:
            raise RuntimeError("bug")
        return real(self, inputs)

    rs = one_rule(formula("x"))
    monkeypatch.setattr(Formula, "score", broken)
    assert fuac.evaluate(rs, RECORDS[0], on=ON).item("1").points == 1
    with pytest.raises(fuac.errors.EvaluationError) as one:
        fuac.evaluate(rs, RECORDS[1], on=ON)
    assert str(one.value) == "rule '1' (kind 'formula') failed: RuntimeError: bug"
    with pytest.raises(fuac.errors.EvaluationError) as batch:
        fuac.evaluate_many(rs, RECORDS, on=ON, backend="python", chunk_size=2)
    assert str(batch.value) == "record 1: rule '1' (kind 'formula') failed: RuntimeError: bug"


def test_a_plugin_kind_inventing_a_status_names_its_record() -> None:
    """A kind that gives a status fuac does not know breaks the contract of every unit it scores: an
    error naming the rule and, in a batch, the first record, by either backend."""

    class Inventive(Raising):
        kind = "inventive_hostile"

        def score(self, inputs: Any) -> fuac.Outcome:
            if inputs.values["x"] > 2:
                return fuac.Outcome(Decimal(1), "excellent", "优", "excellent")
            return super().score(inputs)

    rs = engine(plugin("inventive_pkg", fuac_rule_kinds=[Inventive])).load_text(
        ONE_RULE.format(rule='kind = "inventive_hostile"'))
    for backend in ("vector", "python"):
        with pytest.raises(fuac.errors.EvaluationError) as info:
            fuac.evaluate_many(rs, RECORDS, on=ON, backend=backend, chunk_size=2)
        assert str(info.value).startswith("record 1: rule '1' (kind 'inventive_hostile') gave the status "
                                          "'excellent'"), backend
