"""Reasons written on first read (``fuac.Reason``), and the shortcuts the evaluator takes on
the usual inputs: each must give exactly what the long way gives."""

from __future__ import annotations

import datetime as dt
import decimal
import pickle
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fuac
from batchgen import examples
from fuac.language.cells import from_text
from fuac.run.inputs import check_value, validate
from test_expressions import MINI_FORMULA
from test_plugins import plugin

ON = dt.date(2023, 10, 1)


def test_a_reason_is_rendered_once_from_its_facts() -> None:
    calls: list[tuple[Any, ...]] = []

    def render(n: Decimal, unit: str) -> tuple[str, str]:
        calls.append((n, unit))
        return f"共{n}{unit}", f"{n} in all"

    r = fuac.Reason.later(render, Decimal("2.50"), "个")
    assert calls == []  # nothing written yet
    assert (r.zh, r.en) == ("共2.50个", "2.50 in all")
    assert r.text() == ("共2.50个", "2.50 in all")
    assert calls == [(Decimal("2.50"), "个")]  # written once, kept
    assert r == fuac.Reason("共2.50个", "2.50 in all")
    assert r != fuac.Reason("共2.50个", "2.5 in all")


def test_a_reason_written_in_one_language_has_the_other_empty() -> None:
    assert (fuac.Reason("只有中文").zh, fuac.Reason("只有中文").en) == ("只有中文", "")
    assert (fuac.Reason(en="English only").zh, fuac.Reason(en="English only").en) == ("", "English only")


def test_a_failing_renderer_gives_a_reason_saying_so() -> None:
    def render() -> tuple[str, str]:
        raise KeyError("label")

    r = fuac.Reason.later(render)
    assert r.zh == "（无法生成说明：KeyError: 'label'）"
    assert r.en == "(the reason could not be written: KeyError: 'label')"


def test_rendering_uses_fuacs_decimal_context_not_the_callers() -> None:
    """A reason read later, under a caller's 3-digit context, says what it said at once."""
    rs = fuac.load("liunan-2023")
    data, assessments = _liunan_unit()
    data.update(resident_coverage_rate=96.8125, key_data_accuracy_rate=94.9)
    first = fuac.evaluate(rs, data, assessments=assessments, on=ON)
    expected = [(i.reason_zh, i.reason_en) for i in first.items]
    later = fuac.evaluate(rs, data, assessments=assessments, on=ON)
    with decimal.localcontext(decimal.Context(prec=3, rounding=decimal.ROUND_DOWN)):
        got = [(i.reason_zh, i.reason_en) for i in later.items]
    assert got == expected
    # item 8 (a): both rates must reach 95 %; 94.9 % does not, so a) gives 0 and b) (91.2 % ≥ 90 %) 2
    it8 = later.item("8")
    assert it8.points == Decimal(2)
    assert it8.reason_zh == (
        "a）全员人口库常住人口覆盖率 96.8125% ≥ 95%，全员人口库主要数据项准确率 94.9% 未满足 ≥ 95%，不得分；"
        "b）实时上报率（最低一项） 91.2% ≥ 90%，得2分。本项合计2分。"
    )
    # in English: each part's reason after its letter, then the item's total out of its maximum (6)
    a, b = (p.reason_en for p in it8.parts)
    assert it8.reason_en == f"(a) {a} (b) {b} Item total: 2 of 6."


def test_reasons_of_the_example_unit() -> None:
    """The example 柳南区 unit: reasons written from the inputs, checked by hand."""
    data, assessments = _liunan_unit()
    ev = fuac.evaluate("liunan-2023", data, assessments=assessments, on=ON)
    # 17: 2 points, 0.4 per complaint; one complaint → 1.6
    assert ev.item("17").points == Decimal("1.6")
    assert ev.item("17").reason_zh == "休假制度投诉人数1，每个扣0.4分，共扣0.4分，得1.6分。"
    assert ev.item("17").reason_en == (
        "Persons complaining about leave entitlements: 1, 0.4 each: 0.4 taken, 1.6 points."
    )
    # 35: satisfaction 89.6 % is 0.4 points under 90 %: one started step of 1 point, 0.5 taken → 1.5
    assert ev.item("35").points == Decimal("1.5")
    assert ev.item("35").reason_en == (
        "Public awareness rate 92.4% ≥ 90%; Public satisfaction rate 89.6%, 0.4 percentage points below 90%: "
        "1 step, 0.5 taken: 1.5 points."
    )
    # 5: a) met (2), b) by the assessor (1.5) → 3.5 of 4, each part's reason then the total
    it5 = ev.item("5")
    assert it5.points == Decimal("3.5")
    assert it5.parts[1].reason_zh == (
        "条件未满足，评估人（self）酌情评分得1.5分，理由：工作机制和职责分工已明确，个别社区工作经费未单列。"
    )
    assert it5.reason_zh.startswith("a）乡村两级有机构人员或专人负责已满足，得2分；b）条件未满足")
    assert it5.reason_zh.endswith("本项合计3.5分。")
    assert it5.reason_en.endswith("Item total: 3.5 of 4.")
    assert it5.reason.zh == it5.reason_zh  # the Text form


def test_an_evaluation_pickles_with_its_reasons_written_out() -> None:
    data, assessments = _liunan_unit()
    ev = fuac.evaluate("liunan-2023", data, assessments=assessments, on=ON)
    back = pickle.loads(pickle.dumps(ev))
    assert [(i.id, i.points, i.reason_zh, i.reason_en) for i in back.items] == [
        (i.id, i.points, i.reason_zh, i.reason_en) for i in ev.items
    ]
    assert back.to_dict() == ev.to_dict()


def test_reasons_read_from_many_threads_agree() -> None:
    data, assessments = _liunan_unit()
    ev = fuac.evaluate("liunan-2023", data, assessments=assessments, on=ON)
    seen: list[list[str]] = []

    def read() -> None:
        seen.append([i.reason_en for i in ev.items])

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8 and all(s == seen[0] for s in seen)


NESTED = MINI_FORMULA.replace('expression = "done / planned * 4"',
                             'expression = "peek(done) + done / planned * 4"')


def test_a_function_that_scores_another_unit_does_not_disturb_the_outer_expression() -> None:
    """Expression evaluators are kept per thread; a plugin function evaluating another unit of
    the same rule set in the middle of an expression must leave the outer names in place."""
    held: list[fuac.RuleSet] = []

    def peek(x: Decimal) -> Decimal:
        if x > 0:  # the inner unit: done 0 of 1
            inner = fuac.evaluate(held[0], {"done": 0, "planned": 1}, on=ON)  # 0 / 1 × 4
            assert inner.item("1").points == 0
        return Decimal(0)

    mod = plugin("peeker", fuac_functions={"peek": peek})
    eng = fuac.Engine(plugins=[mod], load_entry_points=False)
    held.append(eng.load_text(NESTED, name="nested.toml"))
    ev = fuac.evaluate(held[0], {"done": 3, "planned": 4}, on=ON)
    assert ev.item("1").points == Decimal(3)  # 0 + 3 / 4 × 4, read from the outer unit


# -- validation's shortcut for plain ints, floats and booleans gives what the full check gives

_RAW = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 100, 0.0, 100.0, 99.99, 100.01, -0.0, 2.5, 3.0, 1e-7, 1e22]),
    st.decimals(allow_nan=True, allow_infinity=True, places=3),
    st.text(max_size=3),
)


@settings(max_examples=examples(300), deadline=None)
@given(data=st.fixed_dictionaries({}, optional={name: _RAW for name in (
    "leading_group_meetings_per_year", "resident_coverage_rate", "leading_group_established",
    "sampled_employers_noncompliant", "childcare_places_per_1000_regional_avg", "other")}))
def test_validation_shortcut_equals_the_full_check(data: dict[str, Any]) -> None:
    rs = fuac.load("liunan-2023")
    inds = rs.doc.indicators
    values, _, problems = validate(inds, data)
    for name, raw in data.items():
        if name not in inds:
            assert any(p.field == name and p.code == "unknown_field" for p in problems)
            continue
        if isinstance(raw, str):
            raw = from_text(raw, inds[name])  # text is read first, as every input path reads it
        if raw is None:
            assert name not in values and not [p for p in problems if p.field == name]
            continue
        value, problem = check_value(name, inds[name], raw)
        if problem is None:
            assert values[name] == value and type(values[name]) is type(value), name
            assert str(values[name]) == str(value)  # same digits, not just an equal number
        else:
            assert name not in values
            (got,) = [p for p in problems if p.field == name]
            assert (got.code, got.message, got.message_zh) == (problem.code, problem.message, problem.message_zh)


def test_the_indicators_the_shortcut_property_reads_are_of_each_kind() -> None:
    inds = fuac.load("liunan-2023").doc.indicators
    kinds = {n: (inds[n].type, inds[n].min, inds[n].max, inds[n].reference) for n in (
        "leading_group_meetings_per_year", "resident_coverage_rate", "leading_group_established",
        "sampled_employers_noncompliant", "childcare_places_per_1000_regional_avg")}
    assert kinds == {
        "leading_group_meetings_per_year": ("integer", 0, None, False),
        "resident_coverage_rate": ("decimal", 0, 100, False),
        "leading_group_established": ("boolean", None, None, False),
        "sampled_employers_noncompliant": ("integer", 0, 3, False),
        "childcare_places_per_1000_regional_avg": ("decimal", 0, None, True),
    }


# -- helpers


def _n(d: Decimal | None) -> str:
    from fuac.language.words import fmt_number

    return fmt_number(d)


def _liunan_unit() -> tuple[dict[str, Any], dict[str, Any]]:
    """The bundled example unit (柳南区): its data and assessors' entries."""
    from pathlib import Path

    from fuac.language.toml import read_toml

    doc, _, _ = read_toml(Path(__file__).parents[1] / "examples" / "data" / "liunan-2023-liunan.toml")
    return dict(doc["data"]), dict(doc["assessments"])


@pytest.mark.parametrize(("value", "text"), [
    ("96.8125", "96.8125"), ("1.500", "1.5"), ("-0.0", "-0"), ("2E+3", "2000"),
    ("1E+40", "1" + "0" * 40), ("1E-40", "0." + "0" * 39 + "1"),  # written out up to 10**±40
    ("1E+41", "1E+41"), ("1.500E+50", "1.5E+50"), ("-2.5E-60", "-2.5E-60"), ("1E+999999", "1E+999999"),
])
def test_numbers_are_written_exactly_and_huge_ones_with_an_exponent(value: str, text: str) -> None:
    from fuac.language.words import fmt_number

    assert fmt_number(Decimal(value)) == text


def test_a_hostile_number_does_not_make_a_reason_a_million_digits_long() -> None:
    """maternal_mortality_ratio has no declared maximum; 1E+999999 is a valid, absurd input."""
    data, assessments = _liunan_unit()
    ev = fuac.evaluate("liunan-2023", dict(data, maternal_mortality_ratio=Decimal("1E+999999")),
                       assessments=assessments, on=ON)
    it23 = ev.item("23")  # 孕产妇死亡率控制在16.5/10万以下
    assert it23.points == 0
    assert it23.reason_zh == "孕产妇死亡率 1E+999999/10万 未满足 ≤ 16.5/10万，不得分。"
    assert len(ev.to_dict()["items"][22]["reason"]["en"]) < 200


# ---------------------------------------------------------------------------
# reasons of the kinds the scoring tests read only as points: bands and targets, word for word

BANDS = Path(__file__).parent / "data" / "batch-kinds.toml"


@pytest.mark.parametrize(("rate", "points", "met", "zh", "en"), [
    # item 2: ≥ 95 → 3, ≥ 90.5 → 2, > 80 → 1.5, otherwise 0; only the top band is the item's maximum
    (96, 3, True, "比率 96% ≥ 95%，得3分。", "Rate 96% ≥ 95%: 3 points."),
    (95, 3, True, "比率 95% ≥ 95%，得3分。", "Rate 95% ≥ 95%: 3 points."),
    (94.9, 2, False, "比率 94.9% ≥ 90.5%，得2分。", "Rate 94.9% ≥ 90.5%: 2 points."),
    (80.1, "1.5", False, "比率 80.1% > 80%，得1.5分。", "Rate 80.1% > 80%: 1.5 points."),
    (80, 0, False, "比率 80%，未进入任何档次，不得分。", "Rate 80% is in no band: 0 points."),
])
def test_a_band_says_which_band_the_value_is_in(rate: float, points: Any, met: bool, zh: str, en: str) -> None:
    it = fuac.evaluate(BANDS, {"rate": rate, "count": 1, "rate2": 1}).item("2")
    assert (it.points, it.met, it.reason_zh, it.reason_en) == (Decimal(str(points)), met, zh, en)


@pytest.mark.parametrize(("coverage", "met", "zh", "en"), [
    # longnan 4.1.1: 联系人制度全覆盖 in 2021 (≥ 100 %)
    (100, True, "2021年目标：联系人制度覆盖率 100% ≥ 100%，已完成。",
     "2021 target: Coverage of the contact-person system 100% ≥ 100%: achieved."),
    (99.9, False, "2021年目标：联系人制度覆盖率 99.9% 未满足 ≥ 100%，未完成。",
     "2021 target: Coverage of the contact-person system 99.9% is not ≥ 100%: not achieved."),
])
def test_a_target_says_its_year_value_and_whether_it_was_reached(coverage: float, met: bool, zh: str,
                                                                  en: str) -> None:
    it = fuac.evaluate("longnan-2021", {"contact_person_coverage": coverage}).item("4.1.1")
    assert (it.met, it.reason_zh, it.reason_en) == (met, zh, en)


@pytest.mark.parametrize(("key", "data", "entry", "zh", "en"), [
    # liunan item 1 (酌情评分最多得8分, no condition): the assessor's points, with whose and why when given
    ("1", {}, 6, "评估人酌情评分得6分。", "assessor gave 6 points."),
    ("1", {}, {"points": 6.5, "rationale": "措施已出台，尚缺配套细则", "assessor": "self"},
     "评估人（self）酌情评分得6.5分，理由：措施已出台，尚缺配套细则。",
     "assessor (self) gave 6.5 points; rationale: 措施已出台，尚缺配套细则."),
    # item 5.a (有…得2分，否则酌情扣分): the condition is not met, so the assessor's 1 point stands
    ("5.a", {"grassroots_staffing": False}, 1, "条件未满足，评估人酌情评分得1分。",
     "condition not met; assessor gave 1 point."),
])
def test_an_assessors_points_say_who_gave_them_and_why(key: str, data: dict, entry: Any, zh: str, en: str) -> None:
    ev = fuac.evaluate("liunan-2023", data, assessments={key: entry})
    item, _, part = key.partition(".")
    res = ev.item(item) if not part else next(p for p in ev.item(item).parts if p.id == part)
    assert (res.reason_zh, res.reason_en) == (zh, en)


FORMULA = """
[scheme]
id = "formula-words"
version = "1"
kind = "points"
title = { zh = "公式", en = "Formula" }
issuer = { zh = "测试", en = "Test" }
issued = 2023-01-01
valid_from = 2023-01-01
total = 4
precision = 0.1
jurisdiction = [{ code = "45", level = "province" }]

[indicators.x]
type = "decimal"
unit = "percent"
label = { zh = "率", en = "Rate" }

[[sections]]
id = "A"
title = { zh = "甲", en = "A" }
max = 4

[[sections.items]]
id = "1"
max = 4
kind = "formula"
expression = "x * 2"
max_points = 4
min_points = -1

[[sections.items]]
id = "2"
max = 0
kind = "formula"
expression = "x > 1"
max_points = 0
min_points = 0
"""


@pytest.mark.parametrize(("x", "points", "zh", "en"), [
    (1.5, 3, "按公式 x * 2（1.5 * 2）计算，得3分。", "by the formula x * 2 (1.5 * 2): 3 points."),
    # 3 × 2 = 6 is kept at the maximum 4; −1 × 2 = −2 at the minimum −1
    (3, 4, "按公式 x * 2（3 * 2）计算（计算值6，限定在-1至4分），得4分。",
     "by the formula x * 2 (3 * 2) (computed 6, kept within -1..4): 4 points."),
    # (negative points are written 得-1分 / -1 points today; how they should read is the wording issue's)
    (-1, -1, "按公式 x * 2（-1 * 2）计算（计算值-2，限定在-1至4分），得-1分。",
     "by the formula x * 2 (-1 * 2) (computed -2, kept within -1..4): -1 points."),
])
def test_a_formula_says_its_expression_and_when_its_value_was_kept_in_bounds(x: float, points: int, zh: str,
                                                                             en: str) -> None:
    it = fuac.evaluate(fuac.loads(FORMULA), {"x": x}).item("1")
    assert (it.points, it.reason_zh, it.reason_en) == (Decimal(points), zh, en)


@pytest.mark.parametrize(("expression", "gave"), [("x > 1", "True"), ("'a' if x > 1 else 'b'", "'a'")])
def test_a_formula_that_gives_no_number_cannot_score(expression: str, gave: str) -> None:
    rs = fuac.loads(FORMULA.replace('expression = "x > 1"', f'expression = "{expression}"'))
    it = fuac.evaluate(rs, {"x": 2}).item("2")
    assert (it.points, it.status) == (None, "invalid_input")
    assert it.reason_en == f"cannot score from these inputs: formula gave {gave}, not a number."


@pytest.mark.parametrize(("expression", "zh", "en"), [
    # 1 / (x − 2) at x = 2: decimal's DivisionByZero, named in words (it prints as a class list)
    ("1 / (x - 2)", "除数为零", "division by zero"),
    ("0 / (x - 2)", "零除以零", "zero divided by zero"),
])
def test_a_failed_computation_says_why_in_words(expression: str, zh: str, en: str) -> None:
    rs = fuac.loads(FORMULA.replace('expression = "x > 1"', f'expression = "{expression}"'))
    it = fuac.evaluate(rs, {"x": 2}).item("2")
    assert (it.points, it.status, it.reason_zh, it.reason_en) == (
        None, "invalid_input", f"由输入计算失败：{zh}。", f"cannot score from these inputs: {en}.")
    # the same failure in a guard (void_when) and in an eligibility condition
    guarded = FORMULA.replace('expression = "x > 1"', 'expression = "x > 1"\nvoid_when = "' + expression + ' > 0"')
    guarded += f"""
[[eligibility]]
id = "e"
label = {{ zh = "条件", en = "Condition" }}
clause = "条件"
condition = "{expression} > 0"
consequence = {{ zh = "不符合的，不得申报。", en = "A unit that does not meet it may not apply." }}
"""
    ev = fuac.evaluate(fuac.loads(guarded), {"x": 2})
    it = ev.item("2")
    assert (it.status, it.reason_zh, it.reason_en) == (
        "invalid_input", f"由输入计算失败：{zh}。", f"cannot score from these inputs: {en}.")
    (c,) = ev.eligibility
    assert (c.holds, c.reason_zh, c.reason_en) == (
        None, f"条件：计算失败（{zh}）。", f"Condition: could not be checked ({en}).")
    # what follows from the condition is still said beside it
    assert c.to_dict()["consequence"] == {"zh": "不符合的，不得申报。",
                                          "en": "A unit that does not meet it may not apply."}


def test_conditions_say_whether_they_hold_word_for_word() -> None:
    ev = fuac.evaluate("guangdong-2020", {"major_violation_3y": True, "falsified_3y": False}, tier="county", on=ON)
    said = {v.id: (v.holds, v.reason_zh, v.reason_en) for v in ev.vetoes}
    assert said["major_violation"] == (True, "近三年发生重大违法违规案件：已发生，一票否决。",
                                       "Major case of violating laws or regulations in the last three years: "
                                       "occurred, veto.")
    assert said["falsified"] == (False, "近三年弄虚作假、统计数据严重失实：未发生。",
                                 "Falsification or seriously untrue statistics in the last three years: did not occur.")
    assert said["severe_decline"] == (None, "近三年工作水平严重滑坡：缺少或无效输入（severe_decline_3y），无法判断。",
                                      "Severe decline in the level of work in the last three years: cannot tell, "
                                      "missing or invalid severe_decline_3y.")
    ev = fuac.evaluate("wuhan-2017", {"street_district_target_advanced_3y": True, "one_vote_veto_3y": True},
                       tier="street", on=ON)
    said = {c.id: (c.holds, c.reason_zh, c.reason_en) for c in ev.eligibility}
    assert said["street_target_advanced"] == (
        True, "近三年内获得过所在区党政线计划生育目标管理先进单位：符合。",
        "Advanced unit of the district's family-planning target management in the last three years: met.")
    assert said["street_no_veto"] == (False, "近三年没有“一票否决”事项：不符合。",
                                      "No one-vote-veto matter in the last three years: not met.")


ASSESSED = FORMULA.replace('id = "formula-words"', 'id = "assessed-words"').replace("total = 4", "total = 2").replace(
    "max = 4", "max = 2").split("[[sections.items]]")[0] + """
[[sections.items]]
id = "1"
max = 2
kind = "requirement"
points = 2
"""


@pytest.mark.parametrize(("entry", "points", "met", "zh", "en"), [
    ({"met": True, "rationale": "有文件"}, 2, True, "评估人判断已落实，理由：有文件。",
     "assessor judged it met; rationale: 有文件."),
    (False, 0, False, "评估人判断未落实。", "assessor judged it not met."),
])
def test_an_assessed_requirement_is_the_assessors_judgement(tmp_path: Path, entry: Any, points: int, met: bool,
                                                           zh: str, en: str) -> None:
    path = tmp_path / "assessed.toml"
    path.write_text(ASSESSED, encoding="utf-8")
    rs = fuac.load(path)
    ev = fuac.evaluate(rs, {}, assessments={"1": entry})
    it = ev.item("1")
    assert (it.points, it.met, it.judgement_points, it.reason_zh, it.reason_en) == (points, met, points, zh, en)
    assert ev.judgement_points == points
    for backend in ("vector", "python"):
        res = fuac.evaluate_many(rs, [{"data": {}, "assessments": {"1": entry}}], backend=backend)
        assert res.evaluation(0).to_dict() == ev.to_dict(), backend


def test_discretionary_points_given_by_the_condition_name_it() -> None:
    # liunan 5.a (有机构和人员…得2分，否则酌情扣分): its label names what was met; item 7 of mini has no label
    (a, _) = fuac.evaluate("liunan-2023", {"grassroots_staffing": True}).item("5").parts
    assert (a.points, a.reason_zh, a.reason_en) == (
        2, "乡村两级有机构人员或专人负责已满足，得2分。",
        "Offices and staff in townships, a designated person in villages met: 2 points.")
    mini = fuac.load(Path(__file__).parent / "data" / "mini.toml")
    it = fuac.evaluate(mini, {"has_doc": True, "meetings": 2}, on=ON).item("7")
    assert (it.points, it.reason_zh, it.reason_en) == (4, "条件已满足，得4分。", "condition met: 4 points.")


def test_a_condition_says_whether_it_holds_and_what_it_gives() -> None:
    # mini item 1.a: "有相关文件得2分" as the condition has_doc
    mini = fuac.load(Path(__file__).parent / "data" / "mini.toml")
    said = [(p.points, p.reason_zh, p.reason_en) for p in (
        fuac.evaluate(mini, {"has_doc": doc}, on=ON).item("1").parts[0] for doc in (True, False))]
    # one yes/no value: its label and the value read say whether it holds (not the name has_doc)
    assert said == [(2, "有相关文件为“是”，得2分。", "Document issued: yes, 2 points."),
                    (0, "有相关文件为“否”，不得分。", "Document issued: no, 0 points.")]


def test_a_test_on_a_choice_compares_the_choice_and_refuses_one_not_listed() -> None:
    from test_vector import ONE_RULE

    text = ONE_RULE.replace("[[sections]]", '[indicators.level]\ntype = "choice"\nchoices = ["A", "B"]\n'
                                            'label = {{ zh = "等级", en = "Level" }}\n\n[[sections]]')
    rule = ('kind = "all_or_nothing"\npoints = 1\n'
            'tests = [{{ indicator = "level", comparator = "==", threshold = "{}" }}]')
    rs = fuac.loads(text.format(rule=rule.format("A")))
    assert [fuac.evaluate(rs, {"level": v}).item("1").points for v in ("A", "B")] == [1, 0]
    with pytest.raises(fuac.errors.RulesetError, match="'C' is not one of the choices of 'level'"):
        fuac.loads(text.format(rule=rule.format("C")))


def test_a_voided_item_without_a_clause_names_what_voided_it() -> None:
    from test_vector import ONE_RULE

    rs = fuac.loads(ONE_RULE.format(rule='kind = "all_or_nothing"\npoints = 1\ncondition = "x > 1"\n'
                                         'void_when = "x > 3"'))
    it = fuac.evaluate(rs, {"x": 3.5}).item("1")
    assert (it.status, it.points, it.reason_zh, it.reason_en) == (
        "voided", 0, "本项作废：值，不论其他情况均记0分。",
        "item voided: Value; it gets no points, whatever else it meets.")


@pytest.mark.parametrize("rule", [
    'kind = "all_or_nothing"\npoints = 1\ncondition = "x > t"',  # through an expression
    'kind = "threshold"\npoints = 1\nindicator = "x"\ncomparator = ">"\nparameter = "t"',  # through a test
])
def test_a_parameter_not_yet_in_force_is_said_in_both_languages(rule: str) -> None:
    # t's first value is in force from 2023-01-01: on 2022-06-01 the item cannot be scored
    from test_vector import ONE_RULE

    text = ONE_RULE.replace("[[sections]]", '[parameters.t]\nlabel = {{ zh = "目标", en = "Target" }}\n'
                                            'reference = "文件"\nunit = "percent"\nvalues = {{ 2023-01-01 = 2 }}\n\n'
                                            "[[sections]]")
    rs = fuac.loads(text.format(rule=rule))
    it = fuac.evaluate(rs, {"x": 3}, on=dt.date(2022, 6, 1)).item("1")
    assert (it.status, it.reason_zh, it.reason_en) == (
        "invalid_input", "由输入计算失败：参数 t 在 2022-06-01 尚无生效的取值。",
        "cannot score from these inputs: parameter 't' has no value in force on 2022-06-01.")
    assert fuac.evaluate(rs, {"x": 3}, on=dt.date(2023, 1, 1)).item("1").points == 1  # 3 > 2 once in force


def test_a_requirement_decided_by_its_condition_names_it() -> None:
    # batch-kinds item 12: met when "ok and not fake" (2 points)
    rs = fuac.load(Path(__file__).parent / "data" / "batch-kinds.toml")
    said = [(it.points, it.reason_zh, it.reason_en) for it in (
        fuac.evaluate(rs, {"ok": ok, "fake": False, "level": "A"}, on=dt.date(2023, 5, 1)).item("12")
        for ok in (True, False))]
    assert said == [
        (2, "达标为“是”，且造假为“否”（须为“否”）：已落实，得2分。",
         "Up to standard: yes and Falsified: no (must be no): met, 2 points."),
        (0, "达标为“否”，且造假为“否”（须为“否”）：未落实，不得分。",
         "Up to standard: no and Falsified: no (must be no): not met, 0 points.")]


def test_a_checklist_requirement_says_the_value_it_read() -> None:
    # wuhan-2017 village 6.2: 独生子女父母奖励 coverage must be 100 %; 98.5 % is not met (never its source text)
    it = fuac.evaluate("wuhan-2017", {"only_child_parents_reward_coverage": 98.5}, tier="village").item("6.2")
    assert it.met is False
    assert "98.5%" in it.reason_zh and "100%" in it.reason_zh and it.reason_zh.endswith("未落实。")
    assert "only_child_parents_reward_coverage" not in it.reason_zh + it.reason_en


def test_a_shortfall_floored_says_so() -> None:
    # mini item 4: 3 institutions, 5 short of 8 → 5 steps × 2 = 10 taken from 4: floored at 0
    mini = fuac.load(Path(__file__).parent / "data" / "mini.toml")
    it = fuac.evaluate(mini, {"institutions": 3}, on=ON).item("4")
    assert (it.points, it.reason_zh, it.reason_en) == (
        0, "备案托育机构数 3家，低于 8家 5家，计5档，扣10分，扣完为止，不得分。",
        "Registered childcare institutions 3 institutions, 5 institutions below 8: 5 steps, "
        "10 taken (down to zero): 0 points.")


def test_text_arithmetic_is_refused_as_the_language_says() -> None:
    # fuac's operators refuse arithmetic on text (simpleeval's own would give 'AA' == 'AA')
    from test_vector import CHOICE_RULE

    rs = fuac.loads(CHOICE_RULE.format(rule='kind = "all_or_nothing"\npoints = 1\ncondition = "level * 2 == \'AA\'"'))
    it = fuac.evaluate(rs, {"x": 1, "level": "A"}).item("1")
    assert (it.status, it.points, it.reason_en) == (
        "invalid_input", None, "cannot score from these inputs: arithmetic on strings is not allowed.")


def test_discretionary_points_awaited_say_the_range() -> None:
    # liunan item 1 (酌情评分, up to 8, no condition): nothing entered yet. A rule set loaded afresh: a
    # rule's reasons are written once and kept, so this test is the one that writes them (as mutation
    # testing maps a function to the tests that call it)
    rs = fuac.Engine(load_entry_points=False).load_id("liunan-2023")
    it = fuac.evaluate(rs, {}).item("1")
    assert (it.status, it.reason_zh, it.reason_en) == (
        "awaiting_assessor", "需评估人在0至8分之间酌情评分。", "an assessor's score between 0 and 8 is needed.")


def test_a_shortfall_on_an_undeclared_indicator_is_refused_by_name() -> None:
    from test_vector import ONE_RULE

    rule = ('kind = "shortfall"\npoints = 1\nindicators = ["x", "nope"]\ncomparator = ">="\ntarget = 90\n'
            'unit = "percent"\nstep = 1\ncost = 0.5\npartial = "ceil"\nfloor = "part"')
    with pytest.raises(fuac.errors.RulesetError) as info:
        fuac.loads(ONE_RULE.format(rule=rule))
    assert str(info.value) == "<string>:29: [1] unknown indicator 'nope': declare it under [indicators]"


def test_a_choice_not_listed_is_refused_at_the_line_of_its_threshold() -> None:
    # the test written as a table over several lines: the error names the threshold's own line
    from test_vector import ONE_RULE

    text = ONE_RULE.replace("[[sections]]", '[indicators.level]\ntype = "choice"\nchoices = ["A", "B"]\n'
                                            'label = {{ zh = "等级", en = "Level" }}\n\n[[sections]]')
    text = text.format(rule='kind = "all_or_nothing"\npoints = 1\n[[sections.items.tests]]\nindicator = "level"\n'
                            'comparator = "=="\nthreshold = "C"\n')
    line = text.splitlines().index('threshold = "C"') + 1
    with pytest.raises(fuac.errors.RulesetError) as info:
        fuac.loads(text)
    assert str(info.value) == f"<string>:{line}: [1] 'C' is not one of the choices of 'level'"


@pytest.mark.parametrize(("table", "scope", "what"), [
    ("eligibility", "", "eligibility condition"),
    ("vetoes", 'scope = "outcome"\n', "veto"),
])
def test_a_cap_tier_where_it_would_do_nothing_is_refused(table: str, scope: str, what: str) -> None:
    from test_vector import ONE_RULE

    text = ONE_RULE.format(rule='kind = "all_or_nothing"\npoints = 1\ncondition = "x > 1"') + (
        f'\n[[grades]]\nid = "good"\nlabel = {{ zh = "好", en = "Good" }}\nmin = 1\n\n[[{table}]]\nid = "c"\n'
        f'label = {{ zh = "条件", en = "Condition" }}\nclause = "条件"\ncondition = "x > 0"\n'
        f'{scope}cap_tier = "good"\n')
    with pytest.raises(fuac.errors.RulesetError) as info:
        fuac.loads(text)
    assert f"{what} 'c': 'cap_tier' belongs to a veto with scope = \"tier_cap\"" in str(info.value)


def test_an_item_of_assessed_parts_counts_their_judgement() -> None:
    # liunan item 5: both conditions unmet, the assessor gives 1 (5.a) and 1.5 (5.b): 2.5, all of it judgement
    ev = fuac.evaluate("liunan-2023", {"grassroots_staffing": False, "grassroots_funding_mechanism": False},
                       assessments={"5.a": 1, "5.b": 1.5})
    assert (ev.item("5").points, ev.item("5").judgement_points) == (Decimal("2.5"), Decimal("2.5"))
