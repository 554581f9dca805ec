"""Every refusal a built-in rule kind raises, with its exact words and where it points.

One row per ``raise`` of ``fuac/kinds/{all_or_nothing,bands,base,deduction,discretionary,formula,
shortfall,veto}.py`` (``target.py`` and ``requirement.py`` raise nothing of their own): the
smallest input that reaches it, and the message a user reads, copied from the source. A check of a
rule file is reported by the loader as ``<string>:LINE: [KEY] MESSAGE``; a kind's ``RuleError``
names the key it is about, which the loader turns into that key's line: the line marked ``# <-``
in each rule below. A refusal at scoring time is read where the user meets it: an assessor's entry
refused (a problem of the evaluation), a rule that cannot score (its item's reason), a rule the
batch hands back to the single-unit path (``backend_report["fallback"]``).
"""

from __future__ import annotations

import datetime as dt
import types
from decimal import Decimal
from typing import Any

import pytest

import fuac
from fuac.errors import EvaluationError, ExpressionError, RulesetCheckError, RulesetError, RulesetSchemaError

ON = dt.date(2023, 10, 1)
MARK = "# <-"

#: a rule file with one section; each case adds its item (and marks the line the error must name)
HEAD = """
[scheme]
id = "kind-errors"
version = "1"
kind = "points"
title = { zh = "规则错误", en = "Rule errors" }
issuer = { zh = "测试", en = "Test" }
issued = 2023-01-01
valid_from = 2023-01-01
total = 2
precision = 0.1
jurisdiction = [{ code = "45", level = "province" }]

[indicators.x]
type = "decimal"
unit = "percent"
label = { zh = "值", en = "Value" }

[indicators.n]
type = "integer"
unit = "cases"
label = { zh = "件数", en = "Cases" }

[indicators.b]
type = "boolean"
label = { zh = "是否", en = "Flag" }

[indicators.c]
type = "choice"
choices = ["A", "B"]
label = { zh = "等级", en = "Level" }

[indicators.r]
type = "decimal"
unit = "percent"
reference = true
label = { zh = "平均值", en = "Average" }

[indicators.rm]
type = "decimal"
unit = "permille"
reference = true
label = { zh = "千分平均", en = "Average per mille" }

[indicators.xm]
type = "decimal"
unit = "permille"
label = { zh = "千分值", en = "Value per mille" }

[parameters.p]
label = { zh = "目标", en = "Target" }
reference = "test"
unit = "percent"
values = { 2023-01-01 = 90 }

[parameters.pm]
label = { zh = "千分目标", en = "Target per mille" }
reference = "test"
unit = "permille"
values = { 2023-01-01 = 9 }

[[sections]]
id = "A"
title = { zh = "甲", en = "A" }
max = 2
"""

#: the loader's key of a schema problem of item 1 (the item's id, then the path from the file's top)
ITEM = "1: sections[0].items[0]"


def _item(kind: str, body: str, *, mark_item: bool = False) -> str:
    """Item 1, worth 2 points, of ``kind``; ``mark_item``: the error names the item itself."""
    return f'\n[[sections.items]]{"  " + MARK if mark_item else ""}\nid = "1"\nmax = 2\nkind = "{kind}"\n{body}\n'


def _veto(body: str, *, mark_item: bool = False) -> str:
    # a veto gives no points: a second item fills the section
    return (f'\n[[sections.items]]{"  " + MARK if mark_item else ""}\nid = "1"\nkind = "veto"\nscope = "outcome"\n'
            f'label = {{ zh = "否决", en = "Veto" }}\n{body}\n'
            '\n[[sections.items]]\nid = "2"\nmax = 2\nkind = "all_or_nothing"\npoints = 2\ncondition = "x > 1"\n')


THRESHOLD_TEST = 'indicator = "x"\ncomparator = ">="\nthreshold = 1\nunit = "percent"\n'


def _tests(second: str, *, mark_test: bool = False, mark_item: bool = False) -> str:
    """An all_or_nothing item whose second test is ``second`` (the error says ``tests[1]``);
    ``mark_test``: the error names that test's table, ``mark_item``: the item."""
    return _item("all_or_nothing", "points = 2\n"
                 f"[[sections.items.tests]]\n{THRESHOLD_TEST}"
                 f'[[sections.items.tests]]{"  " + MARK if mark_test else ""}\n{second}', mark_item=mark_item)


# (rule file item, error class, key the loader names, message as written in the kind)
LOAD_CASES: dict[str, tuple[str, type[RulesetError], str, str]] = {
    # -- all_or_nothing.py
    "all_or_nothing-neither-condition-nor-tests": (
        _item("all_or_nothing", "points = 2", mark_item=True), RulesetSchemaError, ITEM,
        "give exactly one of 'condition' (an expression) or 'tests'"),
    "threshold-both-threshold-and-parameter": (
        _item("threshold", f'points = 2\nindicator = "x"\ncomparator = ">="\nthreshold = 1  {MARK}\n'
              'parameter = "zz"\nunit = "percent"'),
        RulesetCheckError, "1", "give exactly one of 'threshold' or 'parameter'"),
    "threshold-neither-threshold-nor-parameter": (
        _item("threshold", 'points = 2\nindicator = "x"\ncomparator = ">="\nunit = "percent"', mark_item=True),
        RulesetCheckError, "1", "give exactly one of 'threshold' or 'parameter'"),
    # -- bands.py
    "bands-unknown-indicator": (
        _item("bands", f'indicator = "zz"  {MARK}\nunit = "percent"\notherwise = 0\n'
              '[[sections.items.bands]]\ncomparator = ">="\nthreshold = 1\npoints = 2'),
        RulesetCheckError, "1", "unknown indicator 'zz': declare it under [indicators]"),
    "bands-unit-differs-from-indicator": (
        _item("bands", f'indicator = "x"\nunit = "permille"  {MARK}\notherwise = 0\n'
              '[[sections.items.bands]]\ncomparator = ">="\nthreshold = 1\npoints = 2'),
        RulesetCheckError, "1", "'x' is in 'percent', the bands in 'permille'"),
    "bands-no-band": (
        _item("bands", 'indicator = "x"\nunit = "percent"\notherwise = 0\nbands = []', mark_item=True),
        RulesetCheckError, "1", "'bands' needs at least one band"),
    # -- base.py: a test (indicator comparator threshold | parameter | reference), here the second one
    "base-test-neither-threshold-parameter-nor-reference": (
        _tests('indicator = "x"\ncomparator = ">="\nunit = "percent"', mark_test=True),
        RulesetSchemaError, f"{ITEM}.tests[1]", "give exactly one of 'threshold', 'parameter' or 'reference'"),
    "base-test-unknown-indicator": (
        _tests(f'indicator = "zz"  {MARK}\ncomparator = ">="\nthreshold = 1\nunit = "percent"'),
        RulesetCheckError, "1", "unknown indicator 'zz': declare it under [indicators]"),
    "base-test-unit-differs-from-indicator": (
        _tests(f'indicator = "x"\ncomparator = ">="\nthreshold = 1\nunit = "permille"  {MARK}'),
        RulesetCheckError, "1", "test on 'x' is in unit 'permille' but the indicator is in 'percent'"),
    # the key 'unit' is not written: the loader names the test's table
    "base-test-number-threshold-without-unit": (
        _tests('indicator = "x"\ncomparator = ">="\nthreshold = 1', mark_test=True),
        RulesetCheckError, "1", "test on 'x': give 'unit' (the unit the threshold is written in)"),
    "base-test-boolean-threshold-not-true-or-false": (
        _tests(f'indicator = "b"\ncomparator = "=="\nthreshold = "yes"  {MARK}'),
        RulesetCheckError, "1", "'b' is boolean: its threshold must be true or false"),
    "base-test-number-threshold-not-a-number": (
        _tests(f'indicator = "x"\ncomparator = ">="\nthreshold = "high"  {MARK}\nunit = "percent"'),
        RulesetCheckError, "1",
        "'x' is a number: its threshold must be a number (use 'parameter' to name a parameter)"),
    "base-test-threshold-not-a-choice": (
        _tests(f'indicator = "c"\ncomparator = "=="\nthreshold = "Z"  {MARK}'),
        RulesetCheckError, "1", "'Z' is not one of the choices of 'c'"),
    "base-test-unknown-parameter": (
        _tests(f'indicator = "x"\ncomparator = ">="\nparameter = "zz"  {MARK}\nunit = "percent"'),
        RulesetCheckError, "1", "unknown parameter 'zz'"),
    "base-test-parameter-unit-differs": (
        _tests(f'indicator = "x"\ncomparator = ">="\nparameter = "pm"  {MARK}'),
        RulesetCheckError, "1", "parameter 'pm' is in unit 'permille' but 'x' in 'percent'"),
    "base-test-unknown-reference": (
        _tests(f'indicator = "x"\ncomparator = ">="\nreference = "zz"  {MARK}'),
        RulesetCheckError, "1", "unknown indicator 'zz': declare it under [indicators]"),
    "base-test-reference-not-declared-reference": (
        _tests(f'indicator = "x"\ncomparator = ">="\nreference = "n"  {MARK}'),
        RulesetCheckError, "1", "'n' is not declared as a reference value (reference = true)"),
    "base-test-reference-unit-differs": (
        _tests(f'indicator = "x"\ncomparator = ">="\nreference = "rm"  {MARK}'),
        RulesetCheckError, "1", "'rm' is in 'permille' but 'x' in 'percent'"),
    # a kind that builds its one test from its own keys: the error names the key itself, not tests[i]
    "base-test-of-threshold-names-its-own-key": (
        _item("threshold", f'points = 2\nindicator = "x"\ncomparator = ">="\nthreshold = 1\nunit = "permille"  {MARK}'),
        RulesetCheckError, "1", "test on 'x' is in unit 'permille' but the indicator is in 'percent'"),
    # the context marks the expression it refused, so that the loader names the key that holds it
    "base-context-expression-names-its-key": (
        _item("all_or_nothing", f'points = 2\ncondition = "zz > 1"  {MARK}'),
        ExpressionError, f"{ITEM}.condition",
        "unknown name 'zz': not a declared indicator, parameter or function in 'zz > 1'"),
    # -- deduction.py
    "deduction-no-cost": (
        _item("deduction", 'points = 2\nfloor = "part"\ncosts = []', mark_item=True),
        RulesetCheckError, "1", "'costs' needs at least one entry"),
    "deduction-unknown-indicator": (
        _item("deduction", 'points = 2\nfloor = "part"\n[[sections.items.costs]]\nindicator = "n"\ncost = 1\n'
              f'[[sections.items.costs]]\nindicator = "zz"  {MARK}\ncost = 1'),
        RulesetCheckError, "1", "unknown indicator 'zz': declare it under [indicators]"),
    "deduction-indicator-not-a-number": (
        _item("deduction", 'points = 2\nfloor = "part"\n[[sections.items.costs]]\nindicator = "n"\ncost = 1\n'
              f'[[sections.items.costs]]\nindicator = "b"  {MARK}\ncost = 1'),
        RulesetCheckError, "1", "'b' counts occurrences: it must be an integer or decimal indicator"),
    "deduction-negative-cost": (
        _item("deduction", 'points = 2\nfloor = "part"\n[[sections.items.costs]]\nindicator = "n"\ncost = 1\n'
              f'[[sections.items.costs]]\nindicator = "n"\ncost = -1  {MARK}'),
        RulesetCheckError, "1", "a cost is the points taken per occurrence: it must not be negative"),
    # -- discretionary.py
    "discretionary-min-above-points": (
        _item("discretionary", "points = 2\nmin = 3", mark_item=True),
        RulesetCheckError, "1", "'min' is greater than 'points'"),
    # -- formula.py
    "formula-min-points-above-max-points": (
        _item("formula", 'expression = "x"\nmax_points = 2\nmin_points = 3', mark_item=True),
        RulesetCheckError, "1", "'min_points' is greater than 'max_points'"),
    # -- shortfall.py
    "shortfall-both-target-and-parameter": (
        _item("shortfall", 'points = 2\nindicators = ["x"]\ncomparator = ">="\ntarget = 90\nparameter = "p"\n'
              'unit = "percent"\nstep = 1\ncost = 1\npartial = "floor"\nfloor = "part"', mark_item=True),
        RulesetSchemaError, ITEM, "give exactly one of 'target' (a number), 'parameter' or 'reference' (an indicator)"),
    "shortfall-comparator-without-direction": (
        _item("shortfall", 'points = 2\nindicators = ["x"]\ncomparator = "=="\ntarget = 90\n'
              'unit = "percent"\nstep = 1\ncost = 1\npartial = "floor"\nfloor = "part"', mark_item=True),
        RulesetSchemaError, ITEM, "a shortfall needs a direction: comparator must be one of >=, >, <=, <"),
    "shortfall-step-not-positive": (
        _item("shortfall", 'points = 2\nindicators = ["x"]\ncomparator = ">="\ntarget = 90\n'
              'unit = "percent"\nstep = 0\ncost = 1\npartial = "floor"\nfloor = "part"', mark_item=True),
        RulesetSchemaError, ITEM, "'step' must be positive"),
    "shortfall-no-indicator": (
        _item("shortfall", 'points = 2\nindicators = []\ncomparator = ">="\ntarget = 90\n'
              'unit = "percent"\nstep = 1\ncost = 1\npartial = "floor"\nfloor = "part"', mark_item=True),
        RulesetCheckError, "1", "'indicators' needs at least one indicator"),
    "shortfall-unknown-indicator": (
        _item("shortfall", f'points = 2\nindicators = ["x", "zz"]  {MARK}\ncomparator = ">="\ntarget = 90\n'
              'unit = "percent"\nstep = 1\ncost = 1\npartial = "floor"\nfloor = "part"'),
        RulesetCheckError, "1", "unknown indicator 'zz': declare it under [indicators]"),
    "shortfall-indicator-not-a-number": (
        _item("shortfall", f'points = 2\nindicators = ["x", "b"]  {MARK}\ncomparator = ">="\ntarget = 90\n'
              'unit = "percent"\nstep = 1\ncost = 1\npartial = "floor"\nfloor = "part"'),
        RulesetCheckError, "1", "'b' must be a number indicator"),
    "shortfall-indicator-unit-differs": (
        _item("shortfall", 'points = 2\nindicators = ["x", "xm"]\ncomparator = ">="\ntarget = 90\n'
              f'unit = "percent"  {MARK}\nstep = 1\ncost = 1\npartial = "floor"\nfloor = "part"'),
        RulesetCheckError, "1", "'xm' is in unit 'permille' but the target is written in 'percent'"),
    "shortfall-unknown-parameter": (
        _item("shortfall", 'points = 2\nindicators = ["x"]\ncomparator = ">="\n'
              f'parameter = "zz"  {MARK}\nunit = "percent"\nstep = 1\ncost = 1\npartial = "floor"\nfloor = "part"'),
        RulesetCheckError, "1", "unknown parameter 'zz'"),
    "shortfall-parameter-unit-differs": (
        _item("shortfall", 'points = 2\nindicators = ["x"]\ncomparator = ">="\n'
              f'parameter = "pm"  {MARK}\nunit = "percent"\nstep = 1\ncost = 1\npartial = "floor"\nfloor = "part"'),
        RulesetCheckError, "1", "parameter 'pm' is in unit 'permille' but the target is written in 'percent'"),
    # -- veto.py
    "veto-neither-condition-nor-tests": (
        _veto("", mark_item=True), RulesetSchemaError, ITEM,
        "give exactly one of 'condition' (an expression) or 'tests'"),
    "veto-test-error-names-its-test": (
        _veto(f"[[sections.items.tests]]\n{THRESHOLD_TEST}"
              f'[[sections.items.tests]]\nindicator = "x"\ncomparator = ">="\nthreshold = 1\nunit = "cases"  {MARK}'),
        RulesetCheckError, "1", "test on 'x' is in unit 'cases' but the indicator is in 'percent'"),
}


def _marked_line(text: str) -> int:
    marked = [i for i, line in enumerate(text.split("\n"), start=1) if MARK in line]
    assert len(marked) == 1, f"mark exactly one line: {marked}"
    return marked[0]


@pytest.mark.parametrize(("item", "cls", "key", "message"), list(LOAD_CASES.values()), ids=list(LOAD_CASES))
def test_a_rule_file_the_kind_refuses(item: str, cls: type[RulesetError], key: str, message: str) -> None:
    text = HEAD + item
    line = _marked_line(text)
    with pytest.raises(RulesetError) as info:
        fuac.loads(text)
    err = info.value
    assert type(err) is cls, f"{type(err).__name__}: {err}"
    assert err.problems == [], f"more than one problem:\n{err}"
    assert (err.message, err.key, err.line) == (message, key, line)
    assert str(err) == f"<string>:{line}: [{key}] {message}"


# ---------------------------------------------------------------------------
# at scoring time


def _loads(item: str) -> fuac.RuleSet:
    return fuac.loads(HEAD + item)


DISCRETIONARY = _item("discretionary", "points = 2")
REQUIREMENT = _item("requirement", "points = 2")

# (item, the assessor's entry, the refusal in English and in Chinese)
ENTRY_CASES: dict[str, tuple[str, Any, str, str]] = {
    "base-entry-met-not-true-or-false": (
        REQUIREMENT, "基本落实", "expected true (met) or false (not met), got '基本落实'",
        "应为 true（已落实）或 false（未落实），实际为 '基本落实'"),
    "base-entry-met-not-a-bool": (
        REQUIREMENT, 1, "expected true (met) or false (not met), got 1",
        "应为 true（已落实）或 false（未落实），实际为 1"),
    "base-entry-points-not-a-number": (
        DISCRETIONARY, "两分", "expected points between 0 and 2, got '两分'", "应为0至2之间的分数，实际为 '两分'"),
    "base-entry-points-outside-bounds": (
        DISCRETIONARY, 3, "3 is outside the allowed 0..2", "3 超出允许范围 0至2"),
    # text is read as every input path reads it: "3" is the number 3
    "base-entry-points-text-outside-bounds": (
        DISCRETIONARY, " 3 ", "3 is outside the allowed 0..2", "3 超出允许范围 0至2"),
}


@pytest.mark.parametrize(("item", "value", "points"), [(REQUIREMENT, "是", 2), (REQUIREMENT, "否", 0),
                                                      (DISCRETIONARY, "1.5", Decimal("1.5"))])
def test_an_assessors_entry_as_text_is_read_by_its_form(item: str, value: str, points: Any) -> None:
    ev = fuac.evaluate(_loads(item), {"x": 2}, assessments={"1": value}, on=ON)
    assert (ev.problems, ev.item("1").points) == ([], points)


@pytest.mark.parametrize(("item", "value", "en", "zh"), list(ENTRY_CASES.values()), ids=list(ENTRY_CASES))
def test_an_assessors_entry_the_kind_refuses(item: str, value: Any, en: str, zh: str) -> None:
    ev = fuac.evaluate(_loads(item), {"x": 2}, assessments={"1": value}, on=ON)
    assert [(p.field, p.code, p.message, p.message_zh, p.rules) for p in ev.problems] == [
        ("assessments.1", "invalid_assessment", en, zh, ["1"])]
    assert ev.item("1").status == "awaiting_assessor"  # the refused entry is not read


def test_formula_that_gives_no_number_cannot_score() -> None:
    # formula.py: "formula gave {v!r}, not a number", read in the item's reason
    ev = fuac.evaluate(_loads(_item("formula", 'expression = "x > 1"\nmax_points = 2\nmin_points = 0')),
                       {"x": 2}, on=ON)
    it = ev.item("1")
    assert (it.status, it.points) == ("invalid_input", None)
    assert it.reason_en == "cannot score from these inputs: formula gave True, not a number."
    assert it.reason_zh == "由输入计算失败：formula gave True, not a number。"


SHORTFALL = ('points = 2\nindicators = ["x"]\ncomparator = ">="\n{target}\nunit = "percent"\nstep = {step}\n'
             'cost = {cost}\npartial = "{partial}"\nfloor = "part"')


def _shortfall(target: str = "target = 90", step: str = "1", cost: str = "1", partial: str = "floor") -> str:
    return _item("shortfall", SHORTFALL.format(target=target, step=step, cost=cost, partial=partial))


#: 19 decimals: one more than the batch's fixed point holds (fuac.run.vector.MAX_SCALE = 18)
TINY = "0.0000000000000000001"

# (rule file text, why the batch hands the rule back to the single-unit path)
FALLBACK_CASES: dict[str, tuple[str, str]] = {
    "formula-not-always-a-decimal-number": (
        HEAD + _item("formula", 'expression = "x > 1"\nmax_points = 2\nmin_points = 0'),
        "the formula does not always give a decimal number"),
    "shortfall-parameter-not-in-force": (
        HEAD.replace("values = { 2023-01-01 = 90 }", "values = { 2024-01-01 = 90 }")
        + _shortfall(target='parameter = "p"'),
        "parameter 'p' has no value on this date"),
    "shortfall-target-not-a-number": (
        HEAD.replace("values = { 2023-01-01 = 90 }", "values = { 2023-01-01 = true }")
        + _shortfall(target='parameter = "p"'),
        "the target is not a number"),
    "shortfall-gap-too-fine": (
        HEAD + _shortfall(target=f"target = {90 + Decimal(TINY)}"), "more than 18 decimals"),
    "shortfall-prorata-step-not-a-finite-quotient": (
        HEAD + _shortfall(step="3", partial="prorata"),
        "prorata steps of 3: the quotient is not a finite decimal"),
    "shortfall-cost-too-fine": (
        HEAD + _shortfall(cost=TINY), "more than 18 decimals"),
}


@pytest.mark.parametrize(("text", "why"), list(FALLBACK_CASES.values()), ids=list(FALLBACK_CASES))
def test_a_rule_the_batch_does_not_compile_says_why(text: str, why: str) -> None:
    res = fuac.evaluate_many(fuac.loads(text), [{"x": 2}], on=ON)
    assert res.backend_report["fallback"] == {"1": why}


# ---------------------------------------------------------------------------
# what only a plugin (or the public API) reaches


class _NoScore(fuac.Rule):
    """A plugin kind that forgot its score."""

    kind = "no_score"

    class Params(fuac.Model):
        pass

    def __init__(self, rule_id: str, params: Any, ctx: Any) -> None:
        super().__init__(rule_id, params, ctx)
        self.max_points = Decimal(2)


class _OnlyScore(_NoScore):
    """A plugin kind that writes its score and nothing else (no column form)."""

    kind = "only_score"

    def score(self, inputs: Any) -> fuac.Outcome:
        return fuac.Outcome(Decimal(2), "scored", "满分。", "full points.", met=True)


def _leak() -> Any:
    return eval  # a function the expression evaluator refuses to hand to an expression


def _engine() -> fuac.Engine:
    mod = types.ModuleType("kind_errors_plugin")
    kinds, functions = [_NoScore, _OnlyScore], {"leak": _leak}

    def fuac_rule_kinds() -> Any:
        return kinds

    def fuac_functions() -> Any:
        return functions

    mod.fuac_rule_kinds = fuac.hookimpl(fuac_rule_kinds)  # type: ignore[attr-defined]
    mod.fuac_functions = fuac.hookimpl(fuac_functions)  # type: ignore[attr-defined]
    return fuac.Engine(plugins=[mod], load_entry_points=False)


def test_plugin_refusals() -> None:
    eng = _engine()
    # base.py, Rule.score: a kind without a score fails by name
    rs = eng.load_text(HEAD + _item("no_score", ""))
    with pytest.raises(EvaluationError) as info:
        fuac.evaluate(rs, {"x": 2}, on=ON)
    assert str(info.value) == "rule '1' (kind 'no_score') failed: NotImplementedError: "
    # base.py, Rule.columns: a kind without a column form is handed back, saying so
    res = fuac.evaluate_many(eng.load_text(HEAD + _item("only_score", "")), [{"x": 2}], on=ON)
    assert res.backend_report["fallback"] == {"1": "rule kind 'only_score' (_OnlyScore) is not compiled"}
    # base.py, Inputs.eval: what the expression evaluator refuses is a ValueError with its words
    rs = eng.load_text(HEAD + _item("all_or_nothing", 'points = 2\ncondition = "leak() == 1"'))
    it = fuac.evaluate(rs, {"x": 2}, on=ON).item("1")
    assert (it.status, it.reason_en) == ("invalid_input", "cannot score from these inputs: This function is forbidden.")


@pytest.mark.parametrize(("make", "message"), [
    (lambda: fuac.Entry("score"), "an entry is points, met or value, not 'score'"),
    (lambda: fuac.Entry("points", lo=Decimal(0)), "an entry of points has both bounds"),
    (lambda: fuac.Entry("met").bounds, "an entry of met has no bounds"),
], ids=["base-entry-unknown-form", "base-entry-points-without-bounds", "base-entry-met-has-no-bounds"])
def test_an_entry_a_plugin_kind_cannot_declare(make: Any, message: str) -> None:
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value) == message
