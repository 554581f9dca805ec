"""The mechanics real points tables use (issue #13), each written once, in its kind: computed by hand
from the rule text, the batch equal to the single-unit evaluation, in plain words, with gaps advice."""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal as D
from typing import Any

import pytest

import fuac
from fuac.errors import RulesetCheckError, RulesetError

ON = dt.date(2024, 6, 1)

HEAD = """
[scheme]
id = "village"
version = "1"
kind = "points"
title = { zh = "村级评分表", en = "Village table" }
issuer = { zh = "测试", en = "Test" }
issued = 2024-01-01
valid_from = 2024-01-01
total = 5
precision = 0.1
jurisdiction = [{ code = "450204", level = "county" }]

[indicators.village_type]
type = "choice"
choices = ["自治村", "合格村", "一般村", "后进村"]
label = { zh = "村民自治类型", en = "Village self-governance" }

[[sections]]
id = "A"
title = { zh = "村民自治", en = "Self-governance" }
max = 5
"""


def ruleset(rule: str) -> fuac.RuleSet:
    return fuac.loads(HEAD + f"""
[[sections.items]]
id = "1"
max = 2
{rule}
""" + """
[[sections.items]]
id = "2"
max = 3
kind = "choice_points"
indicator = "village_type"
points = { "自治村" = 3, "合格村" = 3, "一般村" = 1, "后进村" = 0 }
""", name="village.toml")


CHOICE = 'kind = "choice_points"\nindicator = "village_type"\npoints = { "自治村" = 2, "合格村" = 1 }\notherwise = 0'


def agree(rs: fuac.RuleSet, units: list[dict[str, Any]]) -> list[fuac.Evaluation]:
    """Each unit scored alone, and the batch (both backends) equal to it, item by item."""
    singles = [fuac.evaluate(rs, u, on=ON) for u in units]
    for backend in ("vector", "python"):
        res = fuac.evaluate_many(rs, units, on=ON, backend=backend)
        for it in rs.plan(None).items:
            assert res.column(f"item.{it}", exact=True).tolist() == [ev.item(it).points for ev in singles]
            assert res.column(f"item.{it}.status").tolist() == [ev.item(it).status for ev in singles]
        assert res.column("total_exact", exact=True).tolist() == [ev.total for ev in singles]
        assert [res.evaluation(i).to_dict() for i in range(len(units))] == [ev.to_dict() for ev in singles]
        if backend == "vector":
            assert "1" in res.backend_report["compiled"] and res.backend_report["rows_single_unit"] == 0
    return singles


# ---------------------------------------------------------------------------
# 6. choices to points


def test_choice_points_by_hand() -> None:
    rs = ruleset(CHOICE)
    evs = agree(rs, [{"village_type": t} for t in ("自治村", "合格村", "一般村", "后进村")] + [{}])
    # item 1: 自治村 2, 合格村 1, any other 0; item 2: 3, 3, 1, 0 (every category listed)
    assert [ev.item("1").points for ev in evs] == [D(2), D(1), D(0), D(0), None]
    assert [ev.total for ev in evs[:4]] == [D(5), D(4), D(1), D(0)]
    assert [ev.item("1").met for ev in evs[:4]] == [True, False, False, False]
    assert evs[4].item("1").status == "missing_input"
    assert (evs[1].item("1").reason_zh, evs[1].item("1").reason_en) == (
        "村民自治类型为「合格村」，得1分。", "Village self-governance is “合格村”: 1 point.")
    assert (evs[2].item("1").reason_zh, evs[2].item("1").reason_en) == (
        "村民自治类型为「一般村」（其他类别），不得分。",
        "Village self-governance is “一般村” (another category): 0 points.")


def test_choice_points_describes_itself_and_advises_the_better_categories() -> None:
    rs = ruleset(CHOICE)
    rule = rs.plan(None).items["1"].rule
    zh, en = rule.describe()
    assert zh == "按村民自治类型（`village_type`）计分：自治村得2分；合格村得1分；其他得0分。"
    assert en.startswith("By Village self-governance") and en.endswith(
        ": 自治村: 2 points; 合格村: 1 point; any other: 0 points.")
    ev = fuac.evaluate(rs, {"village_type": "一般村"}, on=ON)
    gs = ev.gaps(rs)
    # 一般村 → 自治村 recovers item 1's 2 points and item 2's 2: one change, 4 points, each item naming the other
    g = gs["1"]
    assert [(c.field, c.before, c.after) for c in g.changes] == [("village_type", "一般村", "自治村")]
    assert (g.recoverable, g.also, g.verified) == (D(4), {"2": D(2)}, True)
    assert (g.action_zh, g.action_en) == ("村民自治类型：一般村 → 自治村", "Village self-governance: 一般村 → 自治村")
    assert (gs["2"].recoverable, gs["2"].also) == (D(4), {"1": D(2)})
    assert fuac.evaluate(rs, {"village_type": "自治村"}, on=ON).gaps(rs).changes == []


@pytest.mark.parametrize(("rule", "said"), [
    ('kind = "choice_points"\nindicator = "village_type"\npoints = { "自治村" = 2, "模范村" = 3 }\notherwise = 0',
     "'模范村' is not a choice of 'village_type' (choices: 自治村, 合格村, 一般村, 后进村)"),
    ('kind = "choice_points"\nindicator = "village_type"\npoints = { "自治村" = 2, "合格村" = 1 }',
     "the choice(s) '一般村', '后进村' of 'village_type' have no points: list them, or give 'otherwise'"),
    ('kind = "choice_points"\nindicator = "nope"\npoints = { "自治村" = 2 }\notherwise = 0',
     "unknown indicator 'nope'"),
])
def test_choice_points_refuses_a_table_that_does_not_fit_its_indicator(rule: str, said: str) -> None:
    with pytest.raises(RulesetError) as info:
        ruleset(rule)
    assert str(info.value).startswith("village.toml:") and said in str(info.value)


def test_choice_points_refuses_an_indicator_that_is_not_a_choice() -> None:
    declared = '[indicators.n]\ntype = "integer"\nunit = "cases"\nlabel = { zh = "件数", en = "Cases" }\n'
    rule = 'kind = "choice_points"\nindicator = "n"\npoints = { "1" = 2 }\notherwise = 0'
    with pytest.raises(RulesetError) as info:
        one_item(declared, rule, 2, "village.toml")
    assert "'n' is not a choice indicator (its type is 'integer'); choice_points reads one" in str(info.value)


# ---------------------------------------------------------------------------
# 15. proportional points (按完成比例计分), and 3. a target of the unit's own

RATE = """
[indicators.collection_rate]
type = "decimal"
unit = "percent"
min = 0
max = 100
label = { zh = "征收率", en = "Collection rate" }
[indicators.own_target]
type = "decimal"
unit = "percent"
min = 0
max = 100
label = { zh = "下达目标", en = "Target set" }
"""


def one_item_text(declared: str, rule: str, most: int) -> str:
    """HEAD with ``declared`` (indicators, derived values, vetoes) and one item of ``most`` points: ``rule``."""
    return (HEAD.replace("[[sections]]", declared + "\n[[sections]]", 1) + f"""
[[sections.items]]
id = "1"
max = {most}
{rule}
""").replace("total = 5", f"total = {most}").replace("max = 5", f"max = {most}")


def one_item(declared: str, rule: str, most: int, name: str) -> fuac.RuleSet:
    return fuac.loads(one_item_text(declared, rule, most), name=name)


def proportional(rule: str) -> fuac.RuleSet:
    return one_item(RATE, rule, 2, "rates.toml")


PROP = ('kind = "proportional"\nindicator = "collection_rate"\nunit = "percent"\ntarget = 95\npoints = 2\n'
        'round = 0.01')


@pytest.mark.parametrize(("rate", "points", "met"), [
    ("95", "2", True),  # at the target: full points
    ("99.9", "2", True),  # above it: still 2, never more
    ("90", "1.89", False),  # 2 × 90 ÷ 95 = 1.894736…: 1.89
    ("94.525", "1.99", False),  # 2 × 94.525 ÷ 95 = 1.99 exactly
    ("47.5", "1", False),  # half the target: half the points
    ("0.2375", "0.01", False),  # 2 × 0.2375 ÷ 95 = 0.005: half a step, up
    ("0.2374", "0", False),  # 0.0049978…: down
    ("0", "0", False),
])
def test_proportional_by_hand(rate: str, points: str, met: bool) -> None:
    rs = proportional(PROP)
    (ev,) = agree(rs, [{"collection_rate": D(rate)}])
    it = ev.item("1")
    assert (it.points, it.met, it.status) == (D(points), met, "scored")


def test_proportional_rounding_and_reasons() -> None:
    down = proportional(PROP + '\nrounding = "down"')
    up = proportional(PROP + '\nrounding = "up"')
    units = [{"collection_rate": D(r)} for r in ("90", "94.999", "0.0001")]
    # 1.894736…, 1.999978…, 0.0000021…
    assert [ev.item("1").points for ev in agree(down, units)] == [D("1.89"), D("1.99"), D(0)]
    assert [ev.item("1").points for ev in agree(up, units)] == [D("1.9"), D(2), D("0.01")]
    ev = fuac.evaluate(proportional(PROP), {"collection_rate": D(90)}, on=ON)
    assert (ev.item("1").reason_zh, ev.item("1").reason_en) == (
        "征收率 90%，未达到目标 95%，按比例 2分 × 90% ÷ 95%（按0.01分四舍五入），得1.89分。",
        "Collection rate 90% is short of the target 95%: in proportion, 2 × 90% ÷ 95% (rounded half up to 0.01): "
        "1.89 points.")
    ev = fuac.evaluate(proportional(PROP), {"collection_rate": D(96)}, on=ON)
    assert ev.item("1").reason_zh == "征收率 96%，达到目标 95%，得2分。"


def test_proportional_to_a_target_of_the_units_own() -> None:
    rs = proportional(PROP.replace("target = 95", 'reference = "own_target"'))
    units = [{"collection_rate": D(90), "own_target": D(90)}, {"collection_rate": D(90), "own_target": D(120) / 2},
             {"collection_rate": D(45), "own_target": D(60)}, {"collection_rate": D(90)},
             {"collection_rate": D(90), "own_target": D(0)}]
    evs = agree(rs, units)
    # 90 of 90: 2; 90 of 60: 2; 45 of 60: 2 × 0.75 = 1.5; no target: missing; a target of 0: cannot be scored
    assert [ev.item("1").points for ev in evs] == [D(2), D(2), D("1.5"), None, None]
    assert [ev.item("1").status for ev in evs][3:] == ["missing_input", "invalid_input"]
    res = fuac.evaluate_many(rs, units, on=ON)
    assert res.backend_report["runtime_fallback"] == {"1": {"chunks": 1, "why": "a target of 0 or below"}}


def test_proportional_describes_itself_and_advises_the_target() -> None:
    rs = proportional(PROP)
    zh, en = rs.plan(None).items["1"].rule.describe()
    assert zh == ("征收率（`collection_rate`）达到95%得2分；"
                  "未达到的按完成比例计分（2分 × 实际值 ÷ 95%，按0.01分四舍五入）。")
    assert en.endswith("otherwise in proportion (2 points × value ÷ 95%, rounded half up to 0.01).")
    g = fuac.evaluate(rs, {"collection_rate": D(90)}, on=ON).gaps(rs)["1"]
    assert [(c.field, c.before, c.after) for c in g.changes] == [("collection_rate", D(90), D(95))]
    assert (g.recoverable, g.verified) == (D("0.11"), True)


@pytest.mark.parametrize(("change", "said"), [
    ("target = 95", "give exactly one of 'target' (a number), 'parameter' or 'reference'"),  # and reference
    ("round = 0.01", "'round' must be positive"),
    ('unit = "percent"', "'collection_rate' is in unit 'percent' but the rule is written in 'cases'"),
])
def test_proportional_is_checked_at_load(change: str, said: str) -> None:
    rule = {"target = 95": PROP + '\nreference = "own_target"', "round = 0.01": PROP.replace("0.01", "0"),
            'unit = "percent"': PROP.replace('unit = "percent"', 'unit = "cases"')}[change]
    with pytest.raises(RulesetError) as info:
        proportional(rule)
    assert said in str(info.value)


# ---------------------------------------------------------------------------
# 16. fixed deductions on facts: 未落实的扣2分, 一个部门不落实扣2分, three-way outcomes

FACTS = """
[indicators.plan_done]
type = "boolean"
label = { zh = "工作方案落实", en = "Work plan carried out" }
[indicators.health_done]
type = "boolean"
label = { zh = "卫健部门落实", en = "Health office done" }
[indicators.civil_done]
type = "boolean"
label = { zh = "民政部门落实", en = "Civil affairs done" }
[indicators.edu_done]
type = "boolean"
label = { zh = "教育部门落实", en = "Education office done" }
[indicators.filing]
type = "choice"
choices = ["按时", "逾期", "未报"]
label = { zh = "报表报送", en = "Report filing" }
"""

DEDUCT = """kind = "deduction"
points = 10
floor = "item"
costs = [
  { when = "not plan_done", cost = 2, label = { zh = "工作方案未落实", en = "Work plan not carried out" } },
  { count = "count_true(not health_done, not civil_done, not edu_done)", cost = 2, \
label = { zh = "未落实部门", en = "Offices not done" } },
  { when = "filing == '未报'", cost = 5, label = { zh = "报表未报", en = "Report not filed" } },
  { when = "filing == '逾期'", cost = 2, label = { zh = "报表逾期", en = "Report late" } },
]"""


def facts_rs() -> fuac.RuleSet:
    return one_item(FACTS, DEDUCT, 10, "facts.toml")


GOOD = {"plan_done": True, "health_done": True, "civil_done": True, "edu_done": True, "filing": "按时"}


@pytest.mark.parametrize(("change", "points"), [
    ({}, "10"),
    ({"plan_done": False}, "8"),  # 未落实的扣2分
    ({"civil_done": False}, "8"),  # one office: 2
    ({"civil_done": False, "edu_done": False}, "6"),  # two offices: 4
    ({"filing": "逾期"}, "8"),  # late: 2
    ({"filing": "未报"}, "5"),  # not filed: 5 (the three-way −5 / −2 / 0)
    ({"plan_done": False, "health_done": False, "civil_done": False, "edu_done": False, "filing": "未报"}, "0"),
])
def test_deductions_on_facts_by_hand(change: dict, points: str) -> None:
    rs = facts_rs()
    (ev,) = agree(rs, [{**GOOD, **change}])
    assert ev.item("1").points == D(points)  # the last: 2 + 8 + 5 = 15 > 10, down to 0


def test_deductions_on_facts_say_what_was_found() -> None:
    rs = facts_rs()
    ev = fuac.evaluate(rs, {**GOOD, "plan_done": False, "civil_done": False, "edu_done": False, "filing": "逾期"},
                       on=ON)
    assert (ev.item("1").reason_zh, ev.item("1").reason_en) == (
        "工作方案未落实，扣2分；未落实部门2，每个扣2分；报表逾期，扣2分，共扣8分，得2分。",
        "Work plan not carried out: 2 taken; Offices not done: 2, 2 each; Report late: 2 taken: 8 taken, 2 points.")
    assert rs.plan(None).items["1"].rule.describe() == (
        "基础分10分；工作方案未落实的扣2分；未落实部门每1个扣2分；报表未报的扣5分；报表逾期的扣2分；本项扣完为止。",
        "Starts from 10 points; takes 2 when Work plan not carried out; 2 each for Offices not done; 5 when Report "
        "not filed; 2 when Report late; deductions stop at zero for the item as a whole.")
    # gaps: every fact set right at once: the plan carried out, both offices done, the report on time
    g = ev.gaps(rs)["1"]
    assert [(c.field, c.before, c.after) for c in g.changes] == [
        ("plan_done", False, True), ("civil_done", False, True), ("edu_done", False, True), ("filing", "逾期", "按时")]
    assert (g.recoverable, g.verified) == (D(8), True)
    assert g.action_zh == "工作方案落实：否 → 是；民政部门落实：否 → 是；教育部门落实：否 → 是；报表报送：逾期 → 按时"


def test_a_cost_names_exactly_one_kind_of_occurrence() -> None:
    bad = DEDUCT.replace('{ when = "not plan_done", cost = 2,', '{ when = "not plan_done", indicator = "x", cost = 2,')
    with pytest.raises(RulesetError) as info:
        one_item(FACTS, bad, 10, "facts.toml")
    assert "give exactly one of 'indicator' (a count), 'when' (a fact" in str(info.value)


# ---------------------------------------------------------------------------
# 1. named derived values

DERIVED = """
[indicators.collected]
type = "integer"
unit = "persons"
min = 0
label = { zh = "已征收人数", en = "Persons collected" }
[indicators.due]
type = "integer"
unit = "persons"
min = 0
label = { zh = "应征收人数", en = "Persons due" }

[derived.collection_rate]
expression = "collected / due * 100"
label = { zh = "征收率", en = "Collection rate" }
unit = "percent"
precision = 0.1

[derived.rate_short]
expression = "collection_rate < 80"
type = "boolean"
label = { zh = "征收率低于80%", en = "Collection rate below 80%" }
"""


def derived_rs(rule: str, extra: str = "") -> fuac.RuleSet:
    return one_item(DERIVED + extra, rule, 2, "derived.toml")


THRESHOLD = ('kind = "threshold"\nindicator = "collection_rate"\ncomparator = ">="\nthreshold = 95\nunit = "percent"\n'
             'points = 2')


@pytest.mark.parametrize(("collected", "due", "rate", "points"), [
    (95, 100, "95", 2),
    (949, 1000, "94.9", 0),
    (9496, 10000, "95.0", 2),  # 94.96 rounded half up to 0.1: 95.0, as the document's 保留一位小数 says
    (2, 3, "66.7", 0),  # 66.666…: 66.7
])
def test_a_derived_value_is_read_as_an_indicator(collected: int, due: int, rate: str, points: int) -> None:
    rs = derived_rs(THRESHOLD)
    (ev,) = agree(rs, [{"collected": collected, "due": due}])
    it = ev.item("1")
    assert it.points == points
    # the derived value and what it was computed from, among the inputs and in the reason
    assert it.inputs == {"collection_rate": D(rate), "collected": collected, "due": due}
    shown = rate.removesuffix(".0")
    assert it.reason_zh.startswith(f"征收率 {shown}% ")
    assert it.reason_zh.endswith(f"（征收率 {shown}%，由已征收人数 {collected}人、应征收人数 {due}人算得）")
    assert it.reason_en.endswith(f"(Collection rate {shown}%, from Persons collected {collected} persons, "
                                 f"Persons due {due} persons)")


def test_a_derived_value_missing_or_not_computable_names_the_inputs() -> None:
    rs = derived_rs(THRESHOLD)
    evs = agree(rs, [{"collected": 5}, {"collected": 5, "due": 0}, {"collected": -1, "due": 10}])
    # due not given: the item is missing due (not the derived value), and the problem names the item
    assert evs[0].item("1").status == "missing_input"
    assert [(p.field, p.code, p.rules) for p in evs[0].problems] == [("due", "missing", ["1"])]
    # due = 0: the rate cannot be computed (division by zero): the item cannot be scored
    assert evs[1].item("1").status == "invalid_input"
    # collected = -1 is out of range: invalid, and so is what rests on it
    assert evs[2].item("1").status == "invalid_input"
    assert [(p.field, p.code) for p in evs[2].problems] == [("collected", "out_of_range")]


def test_derived_values_feed_conditions_vetoes_and_other_derived_values() -> None:
    veto = """
[[vetoes]]
id = "low"
label = { zh = "征收率过低", en = "Collection rate too low" }
clause = "征收率低于80%的，一票否决"
scope = "outcome"
condition = "rate_short"
"""
    rs = derived_rs(THRESHOLD, veto)
    evs = agree(rs, [{"collected": 79, "due": 100}, {"collected": 80, "due": 100}, {"collected": 7999, "due": 10000}])
    # 79 % < 80: vetoed; 80 %: not; 79.99 % is 80.0 once rounded to 0.1: not
    assert [ev.vetoed for ev in evs] == [True, False, False]


@pytest.mark.parametrize(("derived", "said"), [
    ('[derived.a]\nexpression = "b + 1"\nlabel = { zh = "甲", en = "A" }\nunit = "persons"\n'
     '[derived.b]\nexpression = "a + 1"\nlabel = { zh = "乙", en = "B" }\nunit = "persons"\n',
     "derived value 'a' reads itself: a → b → a"),
    ('[derived.due]\nexpression = "collected"\nlabel = { zh = "甲", en = "A" }\nunit = "persons"\n',
     "'due' is both a derived value and indicator"),
    ('[derived.c]\nexpression = "collected +"\nlabel = { zh = "甲", en = "A" }\nunit = "persons"\n', "collected +"),
])
def test_a_derived_value_is_checked_at_load(derived: str, said: str) -> None:
    with pytest.raises(RulesetError) as info:
        derived_rs(THRESHOLD, derived)
    assert said in str(info.value)


def test_gaps_advise_the_inputs_a_derived_value_is_computed_from() -> None:
    rs = derived_rs(THRESHOLD)
    ev = fuac.evaluate(rs, {"collected": 949, "due": 1000}, on=ON)
    g = ev.gaps(rs)["1"]
    # 94.9 % needs 95 %: one input moved, searched between its value and its bound: collected up to 950
    # (950 / 1000 = 95.0 %); due searched down to its bound 0 reaches nothing there (a division by zero),
    # so it is not proposed — gaps never proposes a value it has not seen work
    assert [(c.field, c.before, c.after) for c in g.changes] == [("collected", D(949), D(950))]
    assert (g.recoverable, g.verified) == (D(2), True)


# ---------------------------------------------------------------------------
# 2. only what is needed is required

LAZY = """
[indicators.cases]
type = "integer"
unit = "cases"
min = 0
label = { zh = "案件数", en = "Cases" }
[indicators.rate]
type = "decimal"
unit = "percent"
min = 0
max = 100
label = { zh = "结案率", en = "Closure rate" }
"""


@pytest.mark.parametrize("rule", [
    'kind = "all_or_nothing"\npoints = 2\ncondition = "cases == 0 or rate >= 95"',
    'kind = "formula"\nexpression = "2 if cases == 0 else (2 if rate >= 95 else 0)"\nmax_points = 2\nmin_points = 0',
])
def test_a_value_read_only_in_a_branch_not_taken_is_not_required(rule: str) -> None:
    rs = one_item(LAZY, rule, 2, "lazy.toml")
    units = [{"cases": 0}, {"cases": 3}, {"cases": 3, "rate": D(96)}, {"cases": 3, "rate": D(90)}, {"rate": D(96)},
             {"cases": 0, "rate": D(101)}]
    evs = agree(rs, units)
    # no cases: full marks without a rate; cases and no rate: the rate is needed, and missing
    assert [ev.item("1").points for ev in evs[:4]] == [D(2), None, D(2), D(0)]
    assert [ev.item("1").status for ev in evs] == ["scored", "missing_input", "scored", "scored",
                                                  "missing_input", "invalid_input"]
    assert evs[0].problems == [] and evs[0].complete
    assert [(p.field, p.code, p.rules) for p in evs[1].problems] == [("rate", "missing", ["1"])]
    # no count of cases: it is needed first, whatever the rate; an invalid rate is never passed over
    assert [(p.field, p.code) for p in evs[4].problems] == [("cases", "missing")]
    assert [(p.field, p.code) for p in evs[5].problems] == [("rate", "out_of_range")]
    res = fuac.evaluate_many(rs, units, on=ON)
    assert res.column("status").tolist() == ["scored", "missing_input", "scored", "scored", "missing_input",
                                             "invalid_input"]


def test_conditions_and_guards_read_only_what_they_need() -> None:
    veto = """
[[vetoes]]
id = "low"
label = { zh = "结案率过低", en = "Closure rate too low" }
clause = "有案件且结案率低于80%的，一票否决"
scope = "outcome"
condition = "cases > 0 and rate < 80"
"""
    rule = 'kind = "all_or_nothing"\npoints = 2\ncondition = "cases == 0"\nvoid_when = "cases > 5 and rate < 50"'
    rs = one_item(LAZY + veto, rule, 2, "lazy.toml")
    units = [{"cases": 0}, {"cases": 3}, {"cases": 3, "rate": D(70)}, {"cases": 6, "rate": D(40)}]
    evs = agree(rs, units)
    # no cases: neither the veto nor the void needs a rate: decided; 3 cases: the veto needs it
    assert [ev.vetoed for ev in evs] == [False, False, True, True]
    assert [v.holds for ev in evs for v in ev.vetoes] == [False, None, True, True]
    assert [ev.item("1").status for ev in evs] == ["scored", "scored", "scored", "voided"]
    assert evs[0].problems == [] and [(p.field, p.rules) for p in evs[1].problems] == [("rate", ["low"])]
    res = fuac.evaluate_many(rs, units, on=ON)
    assert res.column("vetoed").tolist() == [False, False, True, True]
    assert res.column("item.1.status").tolist() == ["scored", "scored", "scored", "voided"]


# ---------------------------------------------------------------------------
# 7. open-ended: an uncapped bonus, points below zero, a lowest grade with no lower bound

OPEN = """
[indicators.beyond]
type = "integer"
unit = "cases"
min = 0
label = { zh = "超额完成例数", en = "Cases beyond the target" }
[indicators.late]
type = "integer"
unit = "cases"
min = 0
label = { zh = "逾期上报例数", en = "Reports late" }
"""


#: item 1 may go below zero (倒扣: a formula with no lower bound), item 2 is a bonus with no cap
OPEN_TABLE = one_item_text(OPEN, 'kind = "formula"\nexpression = "2 - late"\nmax_points = 2', 2) + """
[[sections.items]]
id = "2"
bonus = true
kind = "formula"
expression = "beyond"
min_points = 0
label = { zh = "超额完成每例加1分，不设上限", en = "1 point per case beyond the target, no cap" }
"""


def test_an_uncapped_bonus_and_points_below_zero() -> None:
    rs = fuac.loads(OPEN_TABLE, name="open.toml")
    assert rs.plan(None).items["2"].max is None  # no placeholder maximum
    evs = agree(rs, [{"beyond": 0, "late": 0}, {"beyond": 37, "late": 5}, {"beyond": 3, "late": 1}])
    # 2 − 0 = 2 and no bonus; 2 − 5 = −3 (it may go below zero) and 37 bonus points: 34; 1 + 3 = 4
    assert [ev.item("1").points for ev in evs] == [D(2), D(-3), D(1)]
    assert [ev.item("2").points for ev in evs] == [D(0), D(37), D(3)]
    assert [ev.total for ev in evs] == [D(2), D(34), D(4)]
    assert (evs[1].item("1").reason_zh, evs[1].item("1").reason_en) == (
        "按公式 2 - late（2 - 5）计算，得-3分。", "by the formula 2 - late (2 - 5): -3 points.")
    zh, en = rs.plan(None).items["2"].rule.describe()
    assert zh == "按公式 `beyond` 计分，最低0分。" and en == "Points = `beyond`, at least 0."
    zh, _ = rs.plan(None).items["1"].rule.describe()
    assert zh == "按公式 `2 - late` 计分，最高2分。"


def test_a_lowest_grade_with_no_lower_bound() -> None:
    grades = """
[[grades]]
id = "good"
label = { zh = "合格", en = "Pass" }
min = 1
[[grades]]
id = "fail"
label = { zh = "不合格", en = "Fail" }
"""
    rule = 'kind = "formula"\nexpression = "2 - late"\nmax_points = 2'
    rs = one_item(OPEN + grades, rule, 2, "grades.toml")
    evs = agree(rs, [{"late": 0, "beyond": 0}, {"late": 1, "beyond": 0}, {"late": 2}, {"late": 9}])
    # 2 and 1 pass; 0 and −7 (below any number the document could name) fail
    assert [ev.grade.zh if ev.grade else None for ev in evs] == ["合格", "合格", "不合格", "不合格"]
    res = fuac.evaluate_many(rs, [{"late": 9}], on=ON)
    assert res.column("grade").tolist() == ["fail"]
    with pytest.raises(RulesetError) as info:
        one_item(OPEN + grades + grades.replace("good", "g2").replace("fail", "f2").replace("min = 1", ""),
                 rule, 2, "grades.toml")
    assert "only one grade, the lowest, may leave out 'min'" in str(info.value)


def test_fuac_evaluate_prints_an_uncapped_bonus_without_a_maximum(tmp_path, capsys) -> None:
    from fuac.cli import main

    (tmp_path / "open.toml").write_text(OPEN_TABLE, encoding="utf-8")
    (tmp_path / "u.json").write_text('{"beyond": 37, "late": 5}', encoding="utf-8")
    assert main(["evaluate", str(tmp_path / "open.toml"), str(tmp_path / "u.json"), "--on", "2024-06-01"]) == 0
    out = capsys.readouterr().out
    assert "None" not in out and "  2     37 " in out and "合计: 34/2" in out


# ---------------------------------------------------------------------------
# 3. a target of the unit's own (a village's due count is its own)

OWN = """
[indicators.visits]
type = "integer"
unit = "households"
min = 0
label = { zh = "已随访户数", en = "Households visited" }
[indicators.due_visits]
type = "integer"
unit = "households"
min = 0
label = { zh = "应随访户数", en = "Households due a visit" }
"""
OWN_RULE = ('kind = "shortfall"\nindicators = ["visits"]\ncomparator = ">="\nreference = "due_visits"\n'
            'unit = "households"\nstep = 1\ncost = 0.5\npartial = "floor"\nfloor = "item"\npoints = 2')


def test_a_shortfall_against_the_units_own_target() -> None:
    rs = one_item(OWN, OWN_RULE, 2, "own.toml")
    units = [{"visits": 20, "due_visits": 20}, {"visits": 18, "due_visits": 20}, {"visits": 18, "due_visits": 19},
             {"visits": 3, "due_visits": 30}, {"visits": 18}]
    evs = agree(rs, units)
    # 20 of 20: 2; 2 short: 2 − 1 = 1; 1 short: 1.5; 27 short: 13.5 taken, down to 0; no target: missing
    assert [ev.item("1").points for ev in evs] == [D(2), D(1), D("1.5"), D(0), None]
    assert [(p.field, p.code) for p in evs[4].problems] == [("due_visits", "missing")]
    assert evs[1].item("1").reason_zh == "已随访户数 18户，低于 20户 2户，计2档，扣1分，得1分。"
    zh, _ = rs.plan(None).items["1"].rule.describe()
    assert "本单位的应随访户数（`due_visits`）" in zh
    g = evs[1].gaps(rs)["1"]
    assert [(c.field, c.before, c.after) for c in g.changes] == [("visits", D(18), D(20))]
    assert (g.recoverable, g.verified) == (D(1), True)


def test_conditions_explain_themselves_with_the_values_read() -> None:
    # (issue #14, 2) never the source text: each indicator's label, the unit's value, the comparison
    veto = """
[[vetoes]]
id = "low"
label = { zh = "结案率过低", en = "Closure rate too low" }
clause = "有案件且结案率低于80%的，一票否决"
scope = "outcome"
condition = "cases > 0 and rate < 80"
"""
    rule = 'kind = "all_or_nothing"\npoints = 2\ncondition = "cases == 0 or rate >= 95"'
    rs = one_item(LAZY + veto, rule, 2, "lazy.toml")
    ev = fuac.evaluate(rs, {"cases": 3, "rate": D("70.0")}, on=ON)
    assert (ev.item("1").reason_zh, ev.item("1").reason_en) == (
        "案件数 3件 = 0件，或结案率 70% ≥ 95%，不成立，不得分。",
        "Cases 3 cases = 0 cases or Closure rate 70% ≥ 95%: does not hold, 0 points.")
    (v,) = ev.vetoes
    assert (v.reason_zh, v.reason_en) == (
        "结案率过低（案件数 3件 > 0件，且结案率 70% < 80%）：已发生，一票否决。",
        "Closure rate too low (Cases 3 cases > 0 cases and Closure rate 70% < 80%): occurred, veto.")


# ---------------------------------------------------------------------------
# (issue #14, 1) item identity: numbers that restart in each section are qualified by the section's

TWO_SECTIONS = HEAD.replace("total = 5", "total = 4").replace('''[[sections]]
id = "A"
title = { zh = "村民自治", en = "Self-governance" }
max = 5''', '''[indicators.ok]
type = "boolean"
label = { zh = "已落实", en = "Done" }

[[sections]]
id = "A"
number = "一、"
title = { zh = "村民自治", en = "Self-governance" }
max = 2

[[sections.items]]
id = "a1"
number = "1"
max = 2
kind = "all_or_nothing"
points = 2
condition = "ok"

[[sections]]
id = "B"
number = "二"
title = { zh = "统筹管理", en = "Co-ordination" }
max = 2

[[sections.items]]
id = "b1"
number = "1"
max = 2
kind = "all_or_nothing"
points = 2
condition = "not ok"
''')


def test_items_numbered_afresh_in_each_section_are_told_apart(tmp_path, capsys) -> None:
    from fuac.cli import main

    rs = fuac.loads(TWO_SECTIONS, name="two.toml")
    assert [it.number for it in rs.plan(None).items.values()] == ["一.1", "二.1"]
    ev = fuac.evaluate(rs, {"ok": True, "village_type": "自治村"}, on=ON)
    assert [it.number for it in ev.items] == ["一.1", "二.1"]
    assert ev.gaps(rs)["b1"].number == "二.1"
    path = tmp_path / "two.toml"
    path.write_text(TWO_SECTIONS, encoding="utf-8")
    (tmp_path / "u.json").write_text('{"ok": true}', encoding="utf-8")
    main(["evaluate", str(path), str(tmp_path / "u.json"), "--on", "2024-06-01"])
    out = capsys.readouterr().out
    # a number without punctuation of its own does not run into its title: 二 统筹管理, not 二统筹管理
    assert "一、村民自治" in out and "二 统筹管理" in out and "二统筹管理" not in out
    assert "  一.1 " in out and "  二.1 " in out
    # numbers that are unique stay as the document writes them
    assert [it.number for it in fuac.load("liunan-2023").plan(None).items.values()][:3] == ["1", "2", "3"]


def test_lang_both_says_the_conditions_and_the_verdict_in_both_languages(tmp_path, capsys) -> None:
    # (issue #14) the eligibility and veto lines were Chinese only under --lang both
    from fuac.cli import main

    (tmp_path / "w.json").write_text('{"street_district_target_advanced_3y": true, "one_vote_veto_3y": true}',
                                     encoding="utf-8")
    main(["evaluate", "wuhan-2017", str(tmp_path / "w.json"), "--tier", "street", "--on", "2023-06-01",
          "--lang", "both"])
    lines = capsys.readouterr().out.splitlines()
    at = lines.index("✗ 近三年没有“一票否决”事项：不符合。")
    assert lines[at + 1] == "    No one-vote-veto matter in the last three years: not met."
    assert "不具备申报资格 / not eligible" in lines
    assert any(line.startswith("输入问题 / Input problems") for line in lines)


# ---------------------------------------------------------------------------
# 8. vetoes and eligibility that read the result: the total, a section's subtotal

RESULT_CONDS = """
[[vetoes]]
id = "low_total"
label = { zh = "总分低于3分", en = "Total below 3" }
clause = "总分低于3分的，实行一票否决"
scope = "outcome"
condition = "total < 3"

[[eligibility]]
id = "section_a"
label = { zh = "村民自治小计不低于2分", en = "Self-governance subtotal at least 2" }
clause = "村民自治得分不低于2分的方可推荐"
condition = "subtotal_A >= 2"
"""

#: two items: 2 points when there are no cases or the rate is at least 95; the rate's share of 3 points
RESULT_ITEMS = """[[sections.items]]
id = "1"
max = 2
kind = "all_or_nothing"
points = 2
condition = "cases == 0 or rate >= 95"

[[sections.items]]
id = "2"
max = 3
kind = "formula"
expression = "rate / 100 * 3"
max_points = 3
min_points = 0
"""


def test_conditions_that_read_the_total_and_a_subtotal() -> None:
    text = HEAD.replace("[[sections]]", LAZY + RESULT_CONDS + "\n[[sections]]", 1) + RESULT_ITEMS
    rs = fuac.loads(text, name="results.toml")
    units = [{"cases": 0, "rate": D(100)}, {"cases": 3, "rate": D(50)}, {"cases": 0, "rate": D(10)},
             {"cases": 3}]
    evs = agree(rs, units)
    # 2 + 3 = 5: no veto, eligible; 0 + 1.5 = 1.5 < 3: vetoed, subtotal 1.5 < 2: not eligible;
    # 2 + 0.3 = 2.3 < 3: vetoed, but eligible (2.3 ≥ 2); no rate: the total is not settled, neither told
    assert [ev.total for ev in evs[:3]] == [D(5), D("1.5"), D("2.3")]
    assert [ev.vetoed for ev in evs] == [False, True, True, False]
    assert [ev.eligible for ev in evs] == [True, False, True, None]
    low = evs[1].vetoes[0]
    assert (low.reason_zh, low.reason_en) == ("总分低于3分（总分 1.5分 < 3分）：已发生，一票否决。",
                                              "Total below 3 (Total 1.5 points < 3 points): occurred, veto.")
    assert evs[3].vetoes[0].holds is None and "总分尚未确定" in evs[3].vetoes[0].reason_zh
    res = fuac.evaluate_many(rs, units, on=ON)
    assert res.column("vetoed").tolist() == [False, True, True, False]
    assert res.column("eligible").tolist() == [True, False, True, None]
    assert "low_total" in res.backend_report["fallback"]


ITEMS_AND_GRADE = """
[[vetoes]]
id = "item_two_empty"
label = { zh = "第2项不得分", en = "Nothing on item 2" }
clause = "第2项不得分的，实行一票否决"
scope = "outcome"
condition = "points_2 == 0"

[[eligibility]]
id = "good_grade"
label = { zh = "等次为良好以上", en = "Graded good or better" }
clause = "评为良好以上等次的方可推荐"
condition = "grade == 'good' or grade == 'excellent'"

[[grades]]
id = "excellent"
label = { zh = "优秀", en = "Excellent" }
min = 4.5

[[grades]]
id = "good"
label = { zh = "良好", en = "Good" }
min = 3

[[grades]]
id = "fail"
label = { zh = "不合格", en = "Fail" }
"""


def test_conditions_that_read_an_items_points_and_the_grade() -> None:
    text = HEAD.replace("[[sections]]", LAZY + ITEMS_AND_GRADE + "\n[[sections]]", 1) + RESULT_ITEMS
    rs = fuac.loads(text, name="grade.toml")
    units = [{"cases": 0, "rate": D(100)}, {"cases": 3, "rate": D(80)}, {"cases": 0, "rate": D(0)},
             {"cases": 3, "rate": D(20)}, {"cases": 3}]
    evs = agree(rs, units)
    # item 2 = rate × 3 %: 3, 2.4, 0, 0.6; totals 5, 2.4, 2, 0.6. Item 2 at 0 (unit 3) is vetoed, graded none;
    # grades: 5 excellent, 2.4 and 0.6 fail; eligible only when good or better; no rate: nothing settled
    assert [ev.total for ev in evs[:4]] == [D(5), D("2.4"), D(2), D("0.6")]
    assert [ev.vetoed for ev in evs] == [False, False, True, False, False]
    assert [ev.grade.zh if ev.grade else None for ev in evs] == ["优秀", "不合格", None, "不合格", None]
    assert [ev.eligible for ev in evs] == [True, False, None, False, None]
    veto = evs[2].vetoes[0]
    assert (veto.reason_zh, veto.reason_en) == (
        "第2项不得分（第2项得分 0分 = 0分）：已发生，一票否决。",
        "Nothing on item 2 (Item 2 points 0 points = 0 points): occurred, veto.")
    ok = evs[0].eligibility[0]  # the grade by its label, never its id
    assert (ok.holds, ok.reason_zh, ok.reason_en) == (
        True, "等次为良好以上（等次“优秀” = “良好”，或等次“优秀” = “优秀”）：符合。",
        "Graded good or better (Grade “Excellent” = “Good” or Grade “Excellent” = “Excellent”): met.")
    assert evs[3].eligibility[0].holds is False
    assert evs[2].eligibility[0].reason_zh == "等次为良好以上：未评定等次，无法判断。"  # vetoed, no grade named
    assert "总分尚未确定" in evs[4].eligibility[0].reason_zh
    res = fuac.evaluate_many(rs, units, on=ON)
    assert res.column("eligible").tolist() == [True, False, None, False, None]


def test_a_veto_cannot_read_the_grade_it_decides() -> None:
    declared = ITEMS_AND_GRADE.replace('condition = "points_2 == 0"', 'condition = "grade == \'fail\'"')
    with pytest.raises(RulesetCheckError, match=r"veto 'item_two_empty' reads 'grade', which the vetoes decide"):
        one_item(LAZY + declared, 'kind = "all_or_nothing"\npoints = 2\ncondition = "cases == 0"', 2, "cycle.toml")


# ---------------------------------------------------------------------------
# 11. a pool of deductions (扣分制): the section starts from its points, its items deduct from it

POOL = HEAD.replace("total = 5", "total = 10").replace('''[[sections]]
id = "A"
title = { zh = "村民自治", en = "Self-governance" }
max = 5''', '''[indicators.files_missing]
type = "integer"
unit = "records"
min = 0
label = { zh = "档案缺失份数", en = "Records missing" }
[indicators.late_reports]
type = "integer"
unit = "cases"
min = 0
label = { zh = "逾期上报例数", en = "Reports late" }
[indicators.plan_done]
type = "boolean"
label = { zh = "工作方案已落实", en = "Plan carried out" }

[[sections]]
id = "A"
title = { zh = "基础管理", en = "Groundwork" }
max = 10
pool = true
clause = "本项10分，发现以下问题扣分，扣完为止。"

[[sections.items]]
id = "1"
max = 0
kind = "deduction"
points = 0
floor = "section"
costs = [{ indicator = "files_missing", cost = 1 }]

[[sections.items]]
id = "2"
max = 0
kind = "deduction"
points = 0
floor = "section"
costs = [{ indicator = "late_reports", cost = 2 }, { when = "not plan_done", cost = 3 }]''')


def test_a_pool_of_deductions_starts_from_the_sections_points() -> None:
    rs = fuac.loads(POOL, name="pool.toml")
    units = [{"files_missing": 0, "late_reports": 0, "plan_done": True},
             {"files_missing": 2, "late_reports": 1, "plan_done": True},
             {"files_missing": 4, "late_reports": 2, "plan_done": False},
             {"files_missing": 1, "late_reports": 0, "plan_done": False}]
    evs = agree(rs, units)
    # 10; 10 − 2 − 2 = 6; 10 − 4 − 4 − 3 = −1: down to 0 (扣完为止); 10 − 1 − 3 = 6
    assert [ev.total for ev in evs] == [D(10), D(6), D(0), D(6)]
    assert [ev.item("1").points for ev in evs] == [D(0), D(-2), D(-4), D(-1)]
    assert evs[2].sections[0].floored
    gs = evs[1].gaps(rs)
    assert {g.key: g.recoverable for g in gs.changes} == {"1": D(2), "2": D(2)}


def test_a_pool_whose_items_are_worth_points_of_their_own_is_refused() -> None:
    with pytest.raises(RulesetError) as info:
        fuac.loads(POOL.replace('id = "1"\nmax = 0\nkind = "deduction"\npoints = 0',
                                'id = "1"\nmax = 2\nkind = "deduction"\npoints = 2'), name="pool.toml")
    assert "section 'A' is a pool of deductions (pool = true): its items deduct from its 10 and are worth 0 " \
        "of their own, but they add up to 2" in str(info.value)


def test_an_assessors_lower_score_on_a_met_item_is_never_dropped_silently() -> None:
    # (issue #14) mini item 7: 有文件且每年开会2次以上得4分，否则酌情评分; met, with an assessor's 3 entered
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from test_gaps import unit

    rs = fuac.load(Path(__file__).parent / "data" / "mini.toml")
    ev = fuac.evaluate(rs, unit(meetings=2), assessments={"7": {"points": 3, "assessor": "王"}},
                       on=dt.date(2023, 6, 1))
    it = ev.item("7")
    assert (it.points, it.status) == (D(4), "scored")
    assert it.reason_zh == ("条件已满足，得4分。评估人（王）录入的3分未采用：条件满足时按规则得满分，"
                            "酌情评分只用于条件未满足时。")
    assert it.reason_en.endswith("The assessor's (王) score of 3 was not used: the rule gives full points when "
                                 "the condition is met; a discretionary score applies only when it is not.")
    # the entry that equals the full points, or none, reads as before
    same = fuac.evaluate(rs, unit(meetings=2), assessments={"7": {"points": 4}}, on=dt.date(2023, 6, 1))
    assert same.item("7").reason_zh == "条件已满足，得4分。"


# ---------------------------------------------------------------------------
# 17. weighted composites in checklists: 加权综合带*的指标

WEIGHTED = """
[scheme]
id = "targets"
version = "1"
kind = "targets"
title = { zh = "人口监测工作目标", en = "Monitoring targets" }
issuer = { zh = "测试", en = "Test" }
issued = 2024-01-01
valid_from = 2024-01-01
jurisdiction = [{ code = "450204", level = "county" }]

[indicators.report_rate]
type = "decimal"
unit = "percent"
min = 0
max = 100
label = { zh = "出生上报率", en = "Birth reporting rate" }
[indicators.plan_done]
type = "boolean"
label = { zh = "工作计划已制定", en = "Work plan made" }
[indicators.trained]
type = "boolean"
label = { zh = "已培训", en = "Staff trained" }

[selection]
order = ["weighted_completion desc"]

[[sections]]
id = "A"
title = { zh = "工作目标", en = "Targets" }

[[sections.items]]
id = "1"
number = "1*"
weight = 3
kind = "requirement"
condition = "report_rate >= 95"

[[sections.items]]
id = "2"
number = "2*"
weight = 1.5
kind = "requirement"
condition = "plan_done"

[[sections.items]]
id = "3"
kind = "requirement"
condition = "trained"
"""


def test_a_weighted_share_of_requirements_met() -> None:
    rs = fuac.loads(WEIGHTED, name="targets.toml")
    units = [{"report_rate": D(96), "plan_done": True, "trained": True},
             {"report_rate": D(96), "plan_done": False, "trained": False},
             {"report_rate": D(90), "plan_done": True, "trained": True},
             {"report_rate": D(90), "plan_done": False, "trained": True}]
    evs = agree(rs, units)
    # weights 3, 1.5 and 1 (none given) = 5.5: all met 5.5/5.5; only item 1 3/5.5; items 2 and 3 2.5/5.5; only 3 1/5.5
    ctx = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_UP)  # how fuac states a share
    whole = D("5.5")
    shares = [D(1), ctx.divide(D(3), whole), ctx.divide(D("2.5"), whole), ctx.divide(D(1), whole)]
    assert [ev.weighted_completion for ev in evs] == shares
    assert [ev.completion for ev in evs] == [D(1), ctx.divide(1, 3), ctx.divide(2, 3), ctx.divide(1, 3)]  # as before
    assert evs[1].to_dict()["weighted_completion"] == str(shares[1])
    assert evs[1].sections[0].weighted_completion == shares[1]
    res = fuac.evaluate_many(rs, units, on=ON)
    assert res.column("weighted_completion", exact=True).tolist() == [ev.weighted_completion for ev in evs]
    assert res.column("weighted_completion").tolist() == pytest.approx([1, 3 / 5.5, 2.5 / 5.5, 1 / 5.5])
    # ranked by the weighted share: unit 2 (item 1, weight 3) above unit 3 (two items met, weight 2.5)
    assert [r.index for r in res.select().ranked][:4] == [0, 1, 2, 3]


def test_weights_only_where_requirements_are_counted() -> None:
    rs = fuac.load("liunan-2023")
    assert fuac.evaluate(rs, {}).weighted_completion is None  # no weights given: none
    with pytest.raises(RulesetError, match=r"village.toml:31: \[1\] item '1': 'weight' is for a checklist's"):
        ruleset(CHOICE + "\nweight = 2")
    with pytest.raises(RulesetError, match=r"targets.toml:\d+: .*weight.* greater than 0"):
        fuac.loads(WEIGHTED.replace("weight = 3", "weight = 0"), name="targets.toml")
