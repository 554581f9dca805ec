"""The rectification list (整改清单): hand-computed recoverable points, and the property that
every suggested change recovers exactly what re-evaluating with it applied gives."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuac
from batchgen import examples
from fuac.cli import main, read_input
from fuac.errors import InputError

DATA = Path(__file__).parent / "data"
MINI = DATA / "mini.toml"
ON = dt.date(2023, 6, 1)
D = Decimal


@pytest.fixture(scope="module")
def mini() -> fuac.RuleSet:
    return fuac.load(MINI)


def unit(**over: object) -> dict[str, object]:
    """A unit of the mini table that loses points almost everywhere (worked out by hand below)."""
    data: dict[str, object] = {
        "has_doc": True,
        "meetings": 1,
        "institutions": 6,  # target 8, cost 2 per institution, floor at item: 4 - 4 = 0
        "complaints": 2,  # 0.4 each: 2 - 0.8 = 1.2
        "awareness": D("88.5"),  # 1.5 below 90, ceil → 2 steps of 0.5: 2 - 1 = 1
        "satisfaction": 91,
        "mmr": 17,  # ≤ 16.5 fails: 0 of 2
        "places": 3,  # > regional average 3.2 fails: 0 of 2
        "places_avg": {"value": D("3.2"), "source": "自治区统计 2022"},
        "falsified": False,
        "accidents": 0,
    }
    data.update(over)
    return data


def evaluate(rs: fuac.RuleSet, data: dict[str, object], **kw: object) -> fuac.Evaluation:
    return fuac.evaluate(rs, data, on=ON, **kw)  # type: ignore[arg-type]


def apply(data: dict[str, object], gap: object) -> dict[str, object]:
    return {**data, **{c.field: c.after for c in gap.changes}}  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------
# hand-computed


def test_recoverable_points_by_hand(mini: fuac.RuleSet) -> None:
    ev = evaluate(mini, unit(), assessments={"7": {"points": 3, "rationale": "部分到位"}})
    assert ev.total == D("9.2")
    gs = ev.gaps(mini)
    got = {g.key: g.recoverable for g in gs.changes}
    assert got == {"4": D(4), "5": D(2), "6": D(2), "3": D(1), "2": D("0.8")}
    # most points first, then table order
    assert [g.key for g in gs.changes] == ["4", "5", "6", "3", "2"]
    assert not gs.blockers and not gs.voided and not gs.unresolved
    # the smallest changes, from each kind's parameters
    after = {g.key: {c.field: c.after for c in g.changes} for g in gs.changes}
    assert after["4"] == {"institutions": D(8)}  # shortfall, target 8 (parameter on 2023-06-01)
    assert after["5"] == {"places": D("3.3")}  # strictly above the regional average 3.2
    assert after["6"] == {"mmr": D("16.5")}  # ≤ 16.5 is inclusive
    assert after["3"] == {"awareness": D(90)}  # partial = ceil: a started step costs, reach 90 exactly
    assert after["2"] == {"complaints": D(0)}
    assert all(g.verified and g.minimal for g in gs.changes)
    # in words
    g4 = gs["4"]
    assert "6家 → 8家" in g4.action_zh and "增加2家" in g4.action_zh and "每增加1家 +2分" in g4.action_zh
    assert "(2 more)" in g4.action_en
    assert "须高于全区平均千人口托位数 3.2个/千人" in gs["5"].action_zh
    assert "above Regional average childcare places per 1,000 people 3.2" in gs["5"].action_en
    assert "每减少1人 +0.4分" in gs["2"].action_zh
    # discretionary points apart: the assessor gave 3 of 4; meeting its condition (2 meetings) gives 4
    (j,) = gs.judgement
    assert j.key == "7" and j.recoverable == D(1) and j.category == "judgement"
    assert "评估人酌情评分3/4分" in j.action_zh
    assert [(c.field, c.after) for c in j.changes] == [("meetings", D(2))]
    assert gs.recoverable == D("9.8")


def test_deduction_floor_first_step(mini: fuac.RuleSet) -> None:
    # 7 complaints × 0.4 = 2.8 > 2: floored at 0. Resolving 3 (down to 4) is the first that scores: 2 - 1.6 = 0.4
    ev = evaluate(mini, unit(complaints=7))
    g = ev.gaps(mini)["2"]
    assert g.recoverable == D(2)
    assert [(c.field, c.after) for c in g.changes] == [("complaints", D(0))]
    assert g.first is not None
    first_changes, first_points = g.first
    assert [(c.field, c.after) for c in first_changes] == [("complaints", D(4))]
    assert first_points == D("0.4")
    assert evaluate(mini, unit(complaints=4)).total - ev.total == D("0.4")
    assert evaluate(mini, unit(complaints=5)).total == ev.total  # one fewer than that recovers nothing


def test_shortfall_floor_institutions(mini: fuac.RuleSet) -> None:
    # 3 institutions: 5 short × 2 = 10 → floored at 0 (floor = item). 8 recovers all 4; 7 only 2.
    ev = evaluate(mini, unit(institutions=3))
    g = ev.gaps(mini)["4"]
    assert g.recoverable == D(4)
    assert [(c.field, c.before, c.after) for c in g.changes] == [("institutions", D(3), D(8))]
    assert g.minimal is True
    assert evaluate(mini, unit(institutions=7)).total - ev.total == D(2)


def test_a_started_step_costs_a_full_one_and_the_rate_says_no_more(mini: fuac.RuleSet) -> None:
    # item 3 (partial = "ceil", step 1 point, 0.5 each): awareness 88.5 is 1.5 short → 2 steps, −1;
    # reaching 90 recovers 1; a started step counts, so the rate carries no "partial step" note
    ev = evaluate(mini, unit(awareness=D("88.5"), satisfaction=95))
    g = ev.gaps(mini)["3"]
    assert g.recoverable == D(1)
    assert [(c.field, c.before, c.after) for c in g.changes] == [("awareness", D("88.5"), D(90))]
    assert (g.action_zh, g.action_en) == (
        "知晓率 88.5% → 90%（提高1.5个百分点）；每提高1个百分点 +0.5分",
        "Awareness rate: 88.5% → 90% (+1.5 percentage points); +0.5 for each 1 percentage point more")


def test_vetoed_unit_blocker_first(mini: fuac.RuleSet) -> None:
    ev = evaluate(mini, unit(accidents=2))
    assert ev.vetoed
    gs = ev.gaps(mini)
    assert next(iter(gs)).category == "blocker"
    (b,) = gs.blockers
    assert b.key == "8" and b.verified
    assert [(c.field, c.after) for c in b.changes] == [("accidents", D(0))]
    assert "一票否决" in b.action_zh and "lift it" in b.action_en
    assert not evaluate(mini, apply(unit(accidents=2), b)).vetoed
    # the score is still computed, and the other gaps are still listed
    assert {g.key for g in gs.changes} == {"2", "3", "4", "5", "6"}


def test_voided_item_says_what_voided_it(mini: fuac.RuleSet) -> None:
    ev = evaluate(mini, unit(falsified=True, places=D("3.5")))
    assert ev.item("5").status == "voided"
    gs = ev.gaps(mini)
    (v,) = gs.voided
    assert v.key == "5"
    assert "若发现数据弄虚作假的，此项不得分" in v.action_zh and "发现数据弄虚作假：是" in v.action_zh
    assert v.recoverable == D(2)  # 3.5 > 3.2: the item would score its 2 points
    assert [(c.field, c.after) for c in v.changes] == [("falsified", False)]
    assert "5" not in {g.key for g in gs.changes}


def test_missing_input_unresolved(mini: fuac.RuleSet) -> None:
    data = unit()
    del data["mmr"]
    gs = evaluate(mini, data).gaps(mini)
    (u,) = [g for g in gs.unresolved if g.key == "6"]
    assert "孕产妇死亡率" in u.action_zh and u.recoverable is None
    # awaiting an assessor: the whole discretionary item is the assessor's call
    (j,) = gs.judgement
    assert j.key == "7" and j.recoverable == D(4) and "尚未评分" in j.action_zh


def test_parts_each_get_their_own_line(mini: fuac.RuleSet) -> None:
    gs = evaluate(mini, unit(has_doc=False, meetings=0)).gaps(mini)
    assert gs["1.a"].part == "a" and gs["1.a"].recoverable == D(2)
    assert [(c.field, c.after) for c in gs["1.a"].changes] == [("has_doc", True)]
    assert "有相关文件：否 → 是" in gs["1.a"].action_zh
    assert [(c.field, c.after) for c in gs["1.b"].changes] == [("meetings", D(1))]


INLINE = """
[scheme]
id = "gaps-inline"
version = "1"
kind = "points"
title = { zh = "测试", en = "Test" }
issuer = { zh = "测试", en = "Test" }
issued = 2023-01-01
valid_from = 2023-01-01
total = 8
precision = 0.1
jurisdiction = [{ code = "450204", level = "county" }]

[indicators.rate]
type = "decimal"
unit = "percent"
min = 0
max = 100
label = { zh = "覆盖率", en = "Coverage" }

[indicators.years]
type = "integer"
unit = "years"
min = 0
label = { zh = "开展年数", en = "Years running" }

[indicators.score]
type = "decimal"
unit = "points"
min = 0
max = 100
label = { zh = "考核得分", en = "Appraisal score" }

[indicators.plan]
type = "boolean"
label = { zh = "有工作方案", en = "Work plan issued" }

[indicators.meetings]
type = "integer"
unit = "meetings"
min = 0
label = { zh = "会议次数", en = "Meetings" }

[[eligibility]]
id = "running"
label = { zh = "开展三年以上", en = "Running for three years or more" }
clause = "连续开展三年以上"
condition = "years >= 3"

[[sections]]
id = "A"
title = { zh = "甲", en = "A" }
max = 8

[[sections.items]]
id = "1"
max = 2
kind = "shortfall"
points = 2
indicators = ["rate"]
comparator = ">="
target = 90
unit = "percent"
step = 1
cost = 0.5
partial = "floor"
floor = "part"

[[sections.items]]
id = "2"
max = 4
kind = "bands"
indicator = "score"
unit = "points"
bands = [
  { comparator = ">=", threshold = 90, points = 4 },
  { comparator = ">=", threshold = 80, points = 2 },
]
otherwise = 0

[[sections.items]]
id = "3"
max = 2
kind = "all_or_nothing"
points = 2
condition = "plan and meetings >= 2"
"""


def test_inline_kinds() -> None:
    rs = fuac.loads(INLINE)
    data = {"rate": D("87.5"), "years": 2, "score": 75, "plan": False, "meetings": 1}
    ev = fuac.evaluate(rs, data, on=ON)
    # 87.5: 2.5 below 90, floor → 2 steps → 2 - 1 = 1; bands: 0; condition fails: 0
    assert ev.total == D(1)
    gs = ev.gaps(rs, data=data)
    # ineligible: what blocks the unit comes first
    (b,) = gs.blockers
    assert b.rule_kind == "eligibility" and b.verified
    assert [(c.field, c.after) for c in b.changes] == [("years", D(3))]
    # partial = floor: any value less than one step short recovers everything: 89.1 (not 90)
    assert [(c.field, c.after) for c in gs["1"].changes] == [("rate", D("89.1"))]
    assert gs["1"].recoverable == D(1) and gs["1"].minimal
    # no "must be at least 90 %" beside 89.1: the rate says why less than 90 will do
    assert (gs["1"].action_zh, gs["1"].action_en) == (
        "覆盖率 87.5% → 89.1%（提高1.6个百分点）；每提高1个百分点 +0.5分，距90%不足一档不计",
        "Coverage: 87.5% → 89.1% (+1.6 percentage points); +0.5 for each 1 percentage point more; "
        "less than one step short of 90% counts nothing")
    # bands: the top band
    assert [(c.field, c.after) for c in gs["2"].changes] == [("score", D(90))]
    assert gs["2"].recoverable == D(4)
    # a condition with a comparison: the fewest, smallest changes that make it hold
    assert sorted((c.field, c.after) for c in gs["3"].changes) == [("meetings", D(2)), ("plan", True)]
    assert gs["3"].recoverable == D(2)


def test_a_shortfall_above_a_ceiling_of_counts_asks_for_fewer() -> None:
    # item 1 rewritten: meetings ≤ 2, 0.5 per meeting over, floor: 5 meetings is 3 over → −1.5
    rs = fuac.loads(INLINE.replace(
        'indicators = ["rate"]\ncomparator = ">="\ntarget = 90\nunit = "percent"',
        'indicators = ["meetings"]\ncomparator = "<="\ntarget = 2\nunit = "meetings"'))
    data = {"rate": D(95), "years": 3, "score": 95, "plan": True, "meetings": 5}
    ev = fuac.evaluate(rs, data, on=ON)
    assert ev.item("1").points == D("0.5") and ev.item("3").points == D(2)
    g = ev.gaps(rs, data=data)["1"]
    assert [(c.field, c.after) for c in g.changes] == [("meetings", D(2))]
    assert g.recoverable == D("1.5")
    assert (g.action_zh, g.action_en) == (
        "会议次数 5次 → 2次（减少3次）；每减少1次 +0.5分",
        "Meetings: 5 meetings → 2 meetings (3 fewer); +0.5 for each one fewer")


def test_rebuilt_inputs_give_the_same_list() -> None:
    doc = read_input(str(Path(__file__).parents[1] / "examples" / "data" / "liunan-2023-liunan.toml"))
    on = dt.date.fromisoformat(str(doc["on"]))
    ev = fuac.evaluate("liunan-2023", doc["data"], context=doc["context"], assessments=doc["assessments"], on=on)
    explicit = ev.gaps("liunan-2023", data=doc["data"], assessments=doc["assessments"]).to_dict()
    rebuilt = ev.gaps().to_dict()  # from what the result recorded
    assert rebuilt == explicit
    assert explicit["changes"] and explicit["recoverable"] == "10.4"


def test_unregistered_rule_set_needs_passing(mini: fuac.RuleSet) -> None:
    ev = evaluate(mini, unit())
    with pytest.raises(InputError, match="pass the rule set"):
        ev.gaps()


def test_wrong_data_is_refused(mini: fuac.RuleSet) -> None:
    ev = evaluate(mini, unit())
    with pytest.raises(InputError, match="does not give the same result"):
        ev.gaps(mini, data=unit(institutions=8))


def test_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "u.json"
    data = unit()
    data["places_avg"] = {"value": 3.2, "source": "x"}
    doc = {"data": data, "on": "2023-06-01", "context": {"name": "测试县"}}
    path.write_text(json.dumps(doc, default=float), encoding="utf-8")
    assert main(["gaps", str(MINI), str(path)]) == 0
    out = capsys.readouterr().out
    assert "测试县" in out and "整改清单" in out and "+4" in out and "备案托育机构数 6家 → 8家" in out
    assert main(["gaps", str(MINI), str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [g["key"] for g in doc["changes"]][:1] == ["4"] and doc["changes"][0]["recoverable"] == "4"


# ---------------------------------------------------------------------------
# the property: every suggestion is what re-evaluation gives, and nothing smaller does it

values = st.fixed_dictionaries(
    {
        "has_doc": st.booleans(),
        "meetings": st.integers(0, 4),
        "institutions": st.integers(0, 12),
        "complaints": st.integers(0, 9),
        "awareness": st.decimals(60, 100, places=1),
        "satisfaction": st.decimals(60, 100, places=1),
        "mmr": st.decimals(0, 40, places=1),
        "places": st.decimals(0, 6, places=1),
        "places_avg": st.decimals(0, 6, places=1),
        "falsified": st.booleans(),
        "accidents": st.integers(0, 2),
    }
)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=values, judged=st.sampled_from([None, 0, 2, 4]))
def test_every_change_recovers_what_reevaluation_gives(mini: fuac.RuleSet, data: dict, judged: int | None) -> None:
    assessments = {"7": judged} if judged is not None else None
    ev = evaluate(mini, data, assessments=assessments)
    gs = ev.gaps(mini, data=data, assessments=assessments)
    for g in gs:
        if g.category == "judgement":
            full = {**(assessments or {}), g.key: 4}
            assert evaluate(mini, data, assessments=full).total - ev.total == g.recoverable
            continue
        if not g.changes:
            continue
        after = evaluate(mini, apply(data, g), assessments=assessments)
        if g.category == "blocker":
            assert g.verified and not after.vetoed
            continue
        assert after.total - ev.total == g.recoverable, g.key
        if g.category == "change":
            assert g.verified  # the item (or part) gets its full points
            res = after.item(g.item)
            if g.part:
                res = next(p for p in res.parts if p.id == g.part)  # type: ignore[assignment]
            assert res.points == res.max
            # smallest: one step less on any numeric change recovers less
            assert g.minimal
            for c in g.changes:
                if isinstance(c.after, Decimal) and isinstance(c.before, Decimal):
                    step = D(1) if c.field in ("meetings", "institutions", "complaints", "accidents") else D("0.1")
                    back = c.after - step if c.after > c.before else c.after + step
                    if (back - c.before) * (c.after - c.before) <= 0:
                        continue
                    short = evaluate(mini, {**apply(data, g), c.field: back}, assessments=assessments)
                    assert short.total - ev.total < g.recoverable
    # nothing that lost points is left out
    listed = {g.item for g in gs}
    for it in ev.items:
        if it.rule_kind != "veto" and it.points is not None and it.max is not None and it.points < it.max:
            assert it.id in listed
