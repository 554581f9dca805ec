"""Ranking and quotas (``BatchResults.select``), with hand-computed cases from the sources:
Guangdong's 15 % of eligible units and city caps by number of counties, Wuhan's 20 streets
per cycle, ≤ 2 streets and ≤ 2 % of villages per district a year, 1–2 districts a year."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

import fuac
from fuac.cli import Progress, main

ON = "2023-10-01"
POSITIVE = {  # the facts an eligible unit has (every other boolean is false)
    "street_multi_birth_not_up", "street_sex_ratio_governance_effective", "street_district_target_advanced_3y",
    "district_multi_birth_rate_not_up", "district_sex_ratio_normal_or_falling", "district_target_excellent_3y",
}


def unit(rid: str | fuac.RuleSet, tier: str, code: str, met: int, **facts: object) -> dict[str, object]:
    """A complete, eligible unit whose first ``met`` assessed requirements are met (the rest not)."""
    rs = rid if isinstance(rid, fuac.RuleSet) else fuac.load(rid)
    rec: dict[str, object] = {"code": code, "name": f"u{code}"}
    for name, ind in rs.doc.indicators.items():
        if ind.tiers is not None and tier not in ind.tiers:
            continue
        if ind.type == "boolean":
            rec[name] = name in POSITIVE
        elif name == "agreement_hospitals":
            rec[name] = 1
        else:
            rec[name] = 100
    k = 0
    for it in rs.plan(tier).items.values():
        for key, rule in it.rules:
            if rule.assessable:
                rec[f"assessments.{key}"] = k < met
                k += 1
    rec.update(facts)
    return rec


def counties(city: str, n: int, start_met: int = 20) -> list[dict[str, object]]:
    return [unit("guangdong-2020", "county", f"{city}{j + 1:02d}", start_met - j) for j in range(n)]


def picked(sel: fuac.Selection) -> list[str]:
    return [p.unit for p in sel.recommended]


# ---------------------------------------------------------------------------
# Guangdong: ≤ 15 % of eligible units per cycle, floor; cities ≤ 4 → 1, 5–8 → 2, > 8 → 3


def test_fifteen_percent_of_seven_is_one() -> None:
    res = fuac.evaluate_many("guangdong-2020", counties("4401", 7), tier="county", on=ON)
    assert res.column("eligible").tolist() == [True] * 7
    sel = res.select()
    share = next(q for q in sel.quotas if q.id == "named_share")
    assert (share.cap, share.used) == (1, 1)  # 7 × 15 % = 1.05 → 1
    assert "7×15%=1.05" in share.explanation.zh
    assert picked(sel) == ["u440101"]  # the most requirements met
    city = next(q for q in sel.quotas if q.id == "city_recommendation")
    assert city.caps == {"4401": 2}  # a city of 7 counties may recommend 2
    second = sel.picks[1]
    assert not second.selected and second.quota == "named_share" and "已满" in second.reason.zh


@pytest.mark.parametrize(("n", "cap"), [(1, 1), (4, 1), (5, 2), (8, 2), (9, 3), (12, 3)])
def test_city_caps_by_number_of_counties(n: int, cap: int) -> None:
    res = fuac.evaluate_many("guangdong-2020", counties("4402", n), tier="county", on=ON)
    sel = res.select(quotas=["city_recommendation"])
    assert len(sel.recommended) == cap
    assert [p.rank for p in sel.recommended] == list(range(1, cap + 1))


def test_city_size_given_rather_than_counted() -> None:
    # only 3 of the city's 9 counties applied: the city still may recommend 3
    res = fuac.evaluate_many("guangdong-2020", counties("4403", 3), tier="county", on=ON)
    assert len(res.select(quotas=["city_recommendation"]).recommended) == 1
    assert len(res.select(quotas=["city_recommendation"], parent_sizes={"4403": 9}).recommended) == 3


def test_sizes_given_for_some_cities_the_others_counted_and_said() -> None:
    # 3 of 广州's 11 counties applied (> 8 → 3 may be recommended); 韶关 not given: its 2 in the batch → 1
    units = counties("4401", 3, start_met=30) + counties("4402", 2, start_met=27)
    res = fuac.evaluate_many("guangdong-2020", units, tier="county", on=ON)
    sel = res.select(quotas=["city_recommendation"], parent_sizes={"4401": 11})
    assert picked(sel) == ["u440101", "u440102", "u440103", "u440201"]
    city = next(q for q in sel.quotas if q.id == "city_recommendation")
    assert city.caps == {"4401": 3, "4402": 1}
    (note,) = sel.notes
    assert "未给出4402的单位数，按本批计" in note.zh
    assert "the number of units of 4402 was not given; the batch's are counted" in note.en
    # codes as numbers are codes; every size given: no note
    both = res.select(quotas=["city_recommendation"], parent_sizes={4401: 11, 4402: 10})
    assert picked(both) == ["u440101", "u440102", "u440103", "u440201", "u440202"] and both.notes == []
    # a whole float is a code too (a spreadsheet's numbers are floats)
    floats = res.select(quotas=["city_recommendation"], parent_sizes={4401.0: 11, 4402.0: 10})
    assert picked(floats) == picked(both) and floats.notes == []


@pytest.mark.parametrize(("sizes", "words"), [
    ({"4401": 2}, "parent_sizes['4401']: 2 units in all, but the batch alone has 3 of 4401"),
    ({"44011": 9}, "parent_sizes: '44011' is not the code of a city (4 digits)"),
    ({"4401": -1}, "parent_sizes['4401']: -1 is not a count"),
    ({"4401": 2.5}, "parent_sizes['4401']: 2.5 is not a count"),
    ({"4401": True}, "parent_sizes['4401']: True is not a count"),
    ({"4401": 9, 4401: 9}, "parent_sizes: region 4401 is given twice"),
])
def test_parent_sizes_are_checked(sizes: dict[Any, Any], words: str) -> None:
    res = fuac.evaluate_many("guangdong-2020", counties("4401", 3), tier="county", on=ON)
    with pytest.raises(ValueError) as info:
        res.select(parent_sizes=sizes)
    assert words in str(info.value)


def test_universe_smaller_than_the_batch_is_refused() -> None:
    res = fuac.evaluate_many("guangdong-2020", counties("4401", 3), tier="county", on=ON)
    with pytest.raises(ValueError, match="universe: 2 units in all, but the batch alone has 3"):
        res.select(universe=2)
    with pytest.raises(ValueError, match=r"universe: -5 is not a count"):
        res.select(universe=-5)


def test_share_and_city_caps_together() -> None:
    # 40 eligible counties: 6 named (40 × 15 % = 6); city 4401 (9 counties) ≤ 3, 4402 (31) ≤ 3
    units = counties("4401", 9, start_met=30) + counties("4402", 31, start_met=29)
    res = fuac.evaluate_many("guangdong-2020", units, tier="county", on=ON)
    sel = res.select(reserves=2)
    got = picked(sel)
    assert len(got) == 6
    assert sum(1 for u in got if u.startswith("u4401")) == 3
    assert sum(1 for u in got if u.startswith("u4402")) == 3
    # the 4th best of city 4401 is left out by the city's cap, naming it
    fourth = next(p for p in sel.picks if p.unit == "u440104")
    assert fourth.quota == "city_recommendation" and "4401" in fourth.reason.zh
    assert [p.rank for p in sel.reserves] == sorted(p.rank for p in sel.reserves) and len(sel.reserves) == 2
    assert all("备选" in p.reason.zh and "reserve no." in p.reason.en for p in sel.reserves)


def test_vetoed_and_ineligible_units_are_never_selected() -> None:
    units = counties("4401", 3, start_met=33)
    units[0]["major_violation_3y"] = True  # the best unit, vetoed before application
    units[1]["falsified_3y"] = None  # cannot tell
    res = fuac.evaluate_many("guangdong-2020", units, tier="county", on=ON)
    sel = res.select(quotas=["city_recommendation"], parent_sizes={"4401": 20})
    assert picked(sel) == ["u440103"]
    assert sel.picks[0].rank is None and "一票否决" in sel.picks[0].reason.zh and "vetoed" in sel.picks[0].reason.en
    # units set aside are named and placed like the ranked ones
    assert [(p.unit, p.region) for p in sel.picks] == [("u440101", "4401"), ("u440102", "4401"), ("u440103", "4401")]
    assert (sel.picks[1].reason.zh, sel.picks[1].reason.en) == (
        "申报资格待定（缺少输入），不予推荐。", "eligibility undecided (missing input): not recommended.")


def test_set_aside_reasons_name_every_condition_word_for_word() -> None:
    # Guangdong: two vetoes at once; Wuhan streets: two eligibility conditions failed at once
    gd = counties("4401", 2)
    gd[0].update(major_violation_3y=True, falsified_3y=True)
    (p, _) = fuac.evaluate_many("guangdong-2020", gd, tier="county", on=ON).select().picks
    assert (p.rank, p.selected, p.reserve) == (None, False, False)
    assert (p.reason.zh, p.reason.en) == (
        "一票否决（近三年发生重大违法违规案件、近三年弄虚作假、统计数据严重失实），不予推荐。",
        "vetoed (Major case of violating laws or regulations in the last three years; Falsification or seriously "
        "untrue statistics in the last three years): never recommended.")
    wh = [unit("wuhan-2017", "street", "420101001", 30, street_district_target_advanced_3y=False,
               street_sex_ratio_governance_effective=False)]
    (p,) = fuac.evaluate_many("wuhan-2017", wh, tier="street", on=ON).select().picks
    assert (p.rank, p.selected, p.reserve, p.reason.zh, p.reason.en) == (
        None, False, False,
        "不符合申报条件（近三年政策外多孩无明显增加、出生人口性别比综合治理工作有明显成效、"
        "近三年内获得过所在区党政线计划生育目标管理先进单位），不予推荐。",
        "not eligible (Multiple births outside the policy not markedly up, sex-ratio work clearly effective (last "
        "three years); Advanced unit of the district's family-planning target management in the last three years): "
        "never recommended.")


def test_a_selection_as_a_dict_and_a_table() -> None:
    # Wuhan: each district names at most 2 streets a year; 420102 named one earlier this year
    units = [unit("wuhan-2017", "street", c, m)
             for c, m in (("420101001", 32), ("420101002", 31), ("420101003", 30), ("420102001", 29))]
    res = fuac.evaluate_many("wuhan-2017", units, tier="street", on=ON)
    sel = res.select(quotas=["district_streets"], reserves=1, used={"district_streets": {"420102": 1}})
    d = sel.to_dict()
    # ranks 1, 2 fill 420101's two; rank 3 is left out and the one reserve; 420102 has one place left for rank 4
    assert (d["ruleset"], d["tier"], d["order"], d["recommended"], d["reserves"], d["notes"]) == (
        "wuhan-2017", "street", ["completion desc"], [0, 1, 3], [2], [])
    (q,) = d["quotas"]
    assert set(q) == {"id", "kind", "per", "label", "clause", "cap", "used", "before", "min_count", "caps", "usage",
                      "usage_before", "explanation"}
    assert (q["id"], q["kind"], q["per"], q["cap"], q["caps"], q["usage"], q["usage_before"], q["explanation"]) == (
        "district_streets", "count_per_parent", "year", None, {"420101": 2, "420102": 2},
        {"420101": 2, "420102": 2}, {"420102": 1}, None)
    assert q["label"] == {"zh": "每个区每年推荐街(乡)不超过2个",
                          "en": "Each district recommends at most 2 streets/townships a year"}
    third = d["units"][2]
    assert third == {"index": 2, "unit": "u420101003", "region": "420101", "rank": 3, "selected": False,
                     "reserve": True, "quota": "district_streets", "key": [0, "-30"], "reason": {
                         "zh": "第3名，“每个区每年推荐街(乡)不超过2个”在420101的名额（2个）已满，未入选；"
                               "列为备选第1位。",
                         "en": "ranked 3: “Each district recommends at most 2 streets/townships a year” is full in "
                               "420101 (2): not selected; reserve no. 1."}}
    table = sel.to_pandas()
    assert table.columns.tolist() == ["index", "unit", "region", "rank", "selected", "reserve", "quota", "reason_zh",
                                      "reason_en"]
    assert table["reason_en"].tolist()[0] == "ranked 1, within the quotas: selected."
    # a share's explanation, as a dict: 3 × 15 % = 0.45, floor → 0
    gd = fuac.evaluate_many("guangdong-2020", counties("4401", 3), tier="county", on=ON)
    (share,) = gd.select(quotas=["named_share"]).to_dict()["quotas"]
    assert share["explanation"] == {"zh": "3×15%=0.45，向下取整为0个。", "en": "3 × 15 % = 0.45, rounded floor: 0."}
    # none named earlier is a count too (0)
    assert res.select(quotas=["district_streets"], used={"district_streets": {"420102": 0}}).to_dict()[
        "recommended"] == [0, 1, 3]


def test_incomplete_units_are_not_ranked() -> None:
    units = counties("4401", 2)
    del units[0]["assessments.1.1"]
    res = fuac.evaluate_many("guangdong-2020", units, tier="county", on=ON)
    sel = res.select()
    assert sel.picks[0].rank is None and "评分未完成" in sel.picks[0].reason.zh
    ranked = res.select(require_complete=False)
    assert ranked.picks[0].rank is not None
    # a unit missing an indicator's value is not ranked either, saying what it lacks
    units[0]["assessments.1.1"] = units[1]["assessments.1.1"]
    del units[1]["dual_contact_coverage"]
    (_, lacking) = fuac.evaluate_many("guangdong-2020", units, tier="county", on=ON).select().picks
    assert (lacking.rank, lacking.reason.zh, lacking.reason.en) == (
        None, "评分未完成（缺少输入），不能排名。", "score not complete (missing input): cannot be ranked.")


# ---------------------------------------------------------------------------
# Wuhan: 20 streets per cycle, each district ≤ 2 streets a year; villages ≤ 5 % of all
# per cycle, each district ≤ 2 % of its villages a year; 1–2 districts a year


def test_twenty_streets_and_two_per_district() -> None:
    units = [unit("wuhan-2017", "street", f"420{d:03d}{s:03d}", 32 - s) for d in range(101, 113) for s in range(5)]
    res = fuac.evaluate_many("wuhan-2017", units, tier="street", on=ON)
    assert res.column("eligible").tolist() == [True] * 60
    sel = res.select()
    per_district = next(q for q in sel.quotas if q.id == "district_streets")
    assert set(per_district.caps.values()) == {2} and len(per_district.caps) == 12  # districts: 6-digit codes
    got = picked(sel)
    assert len(got) == 20  # 12 districts × 2 = 24 possible; 20 per cycle
    assert next(p for p in sel.picks if p.unit == "u420112001").quota == "city_streets"  # 12 + 8 = 20
    alone = res.select(quotas=["district_streets"])
    assert len(alone.recommended) == 24
    third = next(p for p in alone.picks if p.unit == "u420101002")
    assert third.quota == "district_streets" and "420101" in third.reason.zh


def test_villages_share_of_all_and_of_each_district() -> None:
    units = [unit("wuhan-2017", "village", f"420{d:03d}{t:03d}{v:03d}", 32 - v)
             for d in (101, 102) for t in (1, 2) for v in range(10)]
    res = fuac.evaluate_many("wuhan-2017", units, tier="village", on=ON)
    # 5 % of 1,000 villages in the city = 50 a cycle; 2 % of each district's 300 = 6 a year
    sel = res.select(universe=1000, parent_sizes={"420101": 300, "420102": 300})
    assert next(q for q in sel.quotas if q.id == "city_villages").cap == 50
    assert next(q for q in sel.quotas if q.id == "district_villages").caps == {"420101": 6, "420102": 6}
    assert len(sel.recommended) == 12
    # counted in the batch instead: 20 villages a district → 2 % of 20 = 0.4 → 0
    assert len(res.select(universe=1000).recommended) == 0
    assert any("本批" in n.zh for n in res.select().notes)


def test_one_to_two_districts_a_year() -> None:
    units = [unit("wuhan-2017", "district", f"420{d:03d}", 30 - d % 100) for d in (101, 102, 103)]
    res = fuac.evaluate_many("wuhan-2017", units, tier="district", on=ON)
    sel = res.select()
    assert picked(sel) == ["u420101", "u420102"]
    units[0]["one_vote_veto_3y"] = True
    units[1]["one_vote_veto_3y"] = True
    units[2]["one_vote_veto_3y"] = True
    sel = fuac.evaluate_many("wuhan-2017", units, tier="district", on=ON).select()
    assert picked(sel) == [] and any("少于下限1个" in n.zh for n in sel.notes)


def test_a_unit_without_a_region_code_cannot_count_under_a_district_quota() -> None:
    units = [unit("wuhan-2017", "street", "420101001", 30), unit("wuhan-2017", "street", "x", 31)]
    units[1].pop("code")
    sel = fuac.evaluate_many("wuhan-2017", units, tier="street", on=ON).select()
    assert picked(sel) == ["u420101001"]
    assert "没有地区代码" in sel.picks[1].reason.zh


# ---------------------------------------------------------------------------
# used=: what earlier rounds of the cycle or year already took


def streets(n: int) -> list[dict[str, object]]:
    """``n`` eligible Wuhan streets, two to a district (420101001, 420101002, 420102001, …), each
    meeting fewer requirements than the one before: ranked in input order. 21 and 22 requirements
    met both count 22 (an item of two parts), so 22 is skipped."""
    mets = [m for m in range(32, 0, -1) if m != 22]
    return [unit("wuhan-2017", "street", f"420{101 + k // 2:03d}{k % 2 + 1:03d}", mets[k]) for k in range(n)]


def street_batch(n: int) -> fuac.BatchResults:
    res = fuac.evaluate_many("wuhan-2017", streets(n), tier="street", on=ON)
    assert res.column("eligible").tolist() == [True] * n
    return res


def quota(sel: fuac.Selection, qid: str) -> fuac.QuotaUse:
    return next(q for q in sel.quotas if q.id == qid)


def test_second_year_of_a_cycle_counts_the_streets_named_in_the_first() -> None:
    res = street_batch(25)  # 13 districts, ≤ 2 streets each: the district caps never bind
    first = res.select()
    assert [p.rank for p in first.ranked] == list(range(1, 26)) and len({p.key for p in first.ranked}) == 25
    assert len(first.recommended) == 20
    sel = res.select(used={"city_streets": 12})  # 20 − 12 = 8 places left this cycle
    assert [p.rank for p in sel.recommended] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert picked(sel) == ["u420101001", "u420101002", "u420102001", "u420102002",
                           "u420103001", "u420103002", "u420104001", "u420104002"]
    ninth = sel.ranked[8]
    assert (ninth.unit, ninth.selected, ninth.reserve, ninth.quota) == ("u420105001", False, False, "city_streets")
    assert ninth.reason.zh == ("第9名，“每周期市级优质服务先进街(乡)20个”名额（20个）已满"
                               "（本周期已命名12个，剩余名额8个已用完），未入选。")
    assert ninth.reason.en == ("ranked 9: “20 city-level advanced streets/townships per cycle” is full "
                               "(20; 12 already named this cycle, 8 places left, now taken): not selected.")
    city = quota(sel, "city_streets")
    assert (city.cap, city.before, city.used) == (20, 12, 20)
    assert city.history == fuac.Text(zh="本周期已命名12个，剩余名额8个。",
                                     en="12 already named this cycle, 8 places left.")
    assert city.to_dict()["before"] == 12 and city.to_dict()["used"] == 20
    assert quota(first, "city_streets").history is None and quota(first, "city_streets").before == 0


def test_a_full_cycle_names_no_more_and_an_overfull_one_is_noted() -> None:
    res = street_batch(3)
    full = res.select(used={"city_streets": 20})
    assert picked(full) == [] and full.notes == []
    assert "（本周期已命名20个，没有剩余名额）" in full.picks[0].reason.zh
    assert "(20; 20 already named this cycle, no places left)" in full.picks[0].reason.en
    over = res.select(used={"city_streets": 23})
    assert picked(over) == [] and quota(over, "city_streets").used == 23
    assert [n.zh for n in over.notes] == ["每周期市级优质服务先进街(乡)20个：本周期已命名23个，超过名额20个。"]


def test_a_district_that_recommended_earlier_this_year_has_the_rest_of_its_two() -> None:
    res = street_batch(8)  # districts 420101–420104, two streets each
    sel = res.select(used={"district_streets": {"420102": 1}})
    assert picked(sel) == ["u420101001", "u420101002", "u420102001",
                           "u420103001", "u420103002", "u420104001", "u420104002"]
    fourth = sel.ranked[3]
    assert (fourth.unit, fourth.quota, fourth.region) == ("u420102002", "district_streets", "420102")
    assert fourth.reason.zh == ("第4名，“每个区每年推荐街(乡)不超过2个”在420102的名额（2个）已满"
                                "（本年已推荐1个，剩余名额1个已用完），未入选。")
    assert "is full in 420102 (2; 1 already recommended this year, 1 place left, now taken)" in fourth.reason.en
    per = quota(sel, "district_streets")
    assert per.usage_before == {"420102": 1}
    assert per.usage == {"420101": 2, "420102": 2, "420103": 2, "420104": 2}
    assert per.to_dict()["usage_before"] == {"420102": 1}
    assert per.history is not None and per.history.zh == "本年已推荐：420102 1个。"
    # 420102 has used both, 420103 one: 2 + 0 + 1 + 2
    sel = res.select(used={"district_streets": {"420102": 2, "420103": 1}})
    assert picked(sel) == ["u420101001", "u420101002", "u420103001", "u420104001", "u420104002"]
    assert "（本年已推荐2个，没有剩余名额）" in sel.ranked[2].reason.zh
    # codes may be given as numbers; a quota of another tier is accepted and does not apply
    assert picked(res.select(used={"district_streets": {420102: 2, 420103: 1}, "city_villages": 7})) == picked(sel)


def test_cycle_and_district_rooms_together() -> None:
    # one place left this cycle; 420101 has used its two this year
    sel = street_batch(8).select(used={"city_streets": 19, "district_streets": {"420101": 2}}, reserves=2)
    assert picked(sel) == ["u420102001"]
    assert [(p.rank, p.quota) for p in sel.ranked[:4]] == [
        (1, "district_streets"), (2, "district_streets"), (3, None), (4, "city_streets")]
    assert [p.unit for p in sel.reserves] == ["u420101001", "u420101002"]


def test_guangdong_share_and_city_caps_with_earlier_rounds() -> None:
    # 40 eligible counties: 6 per cycle (40 × 15 %), 4 named already → 2; city 4401 (9 counties) ≤ 3, 2 used → 1
    units = counties("4401", 9, start_met=30) + counties("4402", 31, start_met=29)
    res = fuac.evaluate_many("guangdong-2020", units, tier="county", on=ON)
    sel = res.select(used={"named_share": 4, "city_recommendation": {"4401": 2}})
    assert picked(sel) == ["u440101", "u440201"]
    assert [(p.unit, p.quota) for p in sel.ranked[:4]] == [
        ("u440101", None), ("u440102", "city_recommendation"), ("u440201", None), ("u440103", "named_share")]
    assert "（本周期已推荐2个，剩余名额1个已用完）" in sel.ranked[1].reason.zh
    assert "（本周期已命名4个，剩余名额2个已用完）" in sel.ranked[3].reason.zh
    share = quota(sel, "named_share")
    assert (share.cap, share.before, share.used) == (6, 4, 6)


def test_villages_in_the_second_year_the_worked_example_of_batch_md() -> None:
    # city: 3,000 × 5 % = 150 a cycle, 143 named → 7 left; 420102: 400 × 2 % = 8 a year, 6 used → 2;
    # 420103: 300 × 2 % = 6 a year, none used
    units = ([unit("wuhan-2017", "village", f"420102001{v:03d}", 33 - v) for v in range(1, 11)]
             + [unit("wuhan-2017", "village", f"420103001{v:03d}", 22 - v) for v in range(1, 11)])
    res = fuac.evaluate_many("wuhan-2017", units, tier="village", on=ON)
    sel = res.select(universe=3000, parent_sizes={"420102": 400, "420103": 300},
                     used={"city_villages": 143, "district_villages": {"420102": 6}})
    assert [p.rank for p in sel.ranked] == list(range(1, 21)) and len({p.key for p in sel.ranked}) == 20
    assert [p.rank for p in sel.recommended] == [1, 2, 11, 12, 13, 14, 15]
    assert [p.quota for p in sel.ranked[2:10]] == ["district_villages"] * 8
    assert [p.quota for p in sel.ranked[15:]] == ["city_villages"] * 5
    assert "在420102的名额（8个）已满（本年已推荐6个，剩余名额2个已用完）" in sel.ranked[2].reason.zh
    assert "名额（150个）已满（本周期已命名143个，剩余名额7个已用完）" in sel.ranked[15].reason.zh
    city, district = quota(sel, "city_villages"), quota(sel, "district_villages")
    assert (city.cap, city.before, city.used) == (150, 143, 150)
    assert district.caps == {"420102": 8, "420103": 6}
    assert (district.usage_before, district.usage) == ({"420102": 6}, {"420102": 8, "420103": 5})


def test_range_minimum_counts_what_was_recommended_earlier_in_the_year() -> None:
    units = [unit("wuhan-2017", "district", f"420{d:03d}", 30 - d % 100) for d in (101, 102, 103)]
    sel = fuac.evaluate_many("wuhan-2017", units, tier="district", on=ON).select(used={"province_districts": 1})
    assert picked(sel) == ["u420101"]  # 1–2 a year, 1 recommended already
    assert "（本年已推荐1个，剩余名额1个已用完）" in sel.picks[1].reason.zh
    for u in units:
        u["one_vote_veto_3y"] = True
    vetoed = fuac.evaluate_many("wuhan-2017", units, tier="district", on=ON)
    assert any("少于下限1个" in n.zh for n in vetoed.select().notes)
    sel = vetoed.select(used={"province_districts": 1})  # 1 + 0 reaches the minimum of 1
    assert picked(sel) == [] and quota(sel, "province_districts").used == 1 and sel.notes == []


def test_range_minimum_short_after_earlier_recommendations() -> None:
    rs = fuac.compose("wuhan-2017", {"scheme": {"id": "wuhan-3-4"},
                                     "quotas": [{"id": "province_districts", "min_count": 3, "count": 4}]})
    units = [unit("wuhan-2017", "district", f"420{d:03d}", 30 - d % 100) for d in (101, 102, 103)]
    res = fuac.evaluate_many(rs, units, tier="district", on=ON)
    assert len(res.select(used={"province_districts": 1}).recommended) == 3  # 1 + 3 = 4
    units[1]["one_vote_veto_3y"] = True
    units[2]["one_vote_veto_3y"] = True
    sel = fuac.evaluate_many(rs, units, tier="district", on=ON).select(used={"province_districts": 1})
    assert picked(sel) == ["u420101"]
    assert [n.zh for n in sel.notes] == ["每年向省级推荐1-2个区：本年已推荐1个，本批可推荐1个，合计2个，少于下限3个。"]
    assert sel.notes[0].en.endswith("1 already recommended this year and 1 can be recommended from the batch, "
                                    "2 in all, fewer than the minimum 3.")


@pytest.mark.parametrize(("used", "error", "words"), [
    ({"city_street": 1}, KeyError, "no quota ['city_street']"),
    ({"city_streets": -1}, ValueError, "used['city_streets']: -1 is not a count"),
    ({"city_streets": 2.5}, ValueError, "used['city_streets']: 2.5 is not a count"),
    ({"city_streets": True}, ValueError, "used['city_streets']: True is not a count"),
    ({"city_streets": "3"}, ValueError, "used['city_streets']: '3' is not a count"),
    ({"city_streets": {"420101": 1}}, ValueError, "quota 'city_streets' (count) is over the whole batch"),
    ({"district_streets": 1}, ValueError, "quota 'district_streets' (count_per_parent) counts per county"),
    ({"district_streets": {"4201": 1}}, ValueError, "used['district_streets']: '4201' is not the code of a county"),
    ({"district_streets": {"420101": -2}}, ValueError, "used['district_streets']['420101']: -2 is not a count"),
    ({"district_streets": {"420101": 1, 420101: 1}}, ValueError, "region 420101 is given twice"),
])
def test_used_is_checked(used: Any, error: type[Exception], words: str) -> None:
    res = street_batch(2)
    with pytest.raises(error) as info:
        res.select(used=used)
    assert words in str(info.value)


# ---------------------------------------------------------------------------
# order and ties


def test_declared_order_breaks_ties() -> None:
    overlay = {
        "extends": "guangdong-2020",
        "scheme": {"id": "gd-ranked"},
        "selection": {"order": ["completion desc", "dual_contact_coverage desc"], "reserves": 1},
    }
    rs = fuac.compose("guangdong-2020", overlay)
    units = counties("4401", 3, start_met=20)
    for u in units:
        u["assessments.1.1"] = True
        u["assessments.1.2"] = True
    units[0]["dual_contact_coverage"] = 99.5
    units[1]["dual_contact_coverage"] = 99.9
    units[2]["dual_contact_coverage"] = 99.9
    for u in units:
        for k in [k for k in u if k.startswith("assessments.")]:
            u[k] = True
    res = fuac.evaluate_many(rs, units, tier="county", on=ON)
    sel = res.select(quotas=["city_recommendation"])
    assert [p.unit for p in sel.ranked] == ["u440102", "u440103", "u440101"]
    assert "与第1名各项排序依据均相同" in sel.picks[2].reason.zh
    assert [p.unit for p in sel.reserves] == ["u440103"]  # the rule set's reserves = 1


def test_points_scheme_ranks_by_total(tmp_path: Path) -> None:
    mini = Path(__file__).parent / "data" / "mini.toml"
    base = {"has_doc": True, "meetings": 3, "institutions": 9, "complaints": 0, "awareness": 95,
            "satisfaction": 95, "mmr": 10, "places": 5, "places_avg": 3, "falsified": False, "accidents": 0}
    units = [dict(base, id=k, complaints=k) for k in range(4)]
    units[0]["accidents"] = 1  # vetoed: best score, never selected
    sel = fuac.evaluate_many(mini, units, on=ON).select()
    assert [p.unit for p in sel.recommended] == ["1", "2", "3"]
    assert "本规则集未规定名额" in sel.recommended[0].reason.zh
    assert sel.recommended[0].reason.en.endswith(" (the rule set sets no quota): selected.")
    assert sel.to_dict()["recommended"] == [1, 2, 3]
    frame = sel.to_pandas()
    assert list(frame["selected"]) == [False, True, True, True]
    # ranked by one item's points first: item 2 gives 2 − complaints × 0.4 (2, 1.6, 1.2, 0.8), ascending
    # puts the most complaints first; the total breaks no tie here
    res = fuac.evaluate_many(mini, units, on=ON)
    by_item = res.select(order=["item.2 asc", "total desc"])
    assert [p.unit for p in by_item.recommended] == ["3", "2", "1"]
    assert by_item.to_dict()["order"] == ["item.2 asc", "total desc"]
    # a unit whose input is invalid is set aside, naming the value rejected by its label
    bad_unit = fuac.evaluate_many(mini, [base, dict(base, awareness="x")], on=ON).select().picks[1]
    assert (bad_unit.rank, bad_unit.reason.zh, bad_unit.reason.en) == (
        None, "输入无效（知晓率），不能排名，不予推荐。",
        "invalid input (Awareness rate): cannot be ranked; not recommended.")
    for bad in ("total sideways", "total desc now", ""):
        with pytest.raises(ValueError) as info:
            res.select(order=[bad])
        assert str(info.value) == f"sort key {bad!r}: write '<key>', '<key> desc' or '<key> asc'"


# ---------------------------------------------------------------------------
# the command


def test_cli_rank(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pd = pytest.importorskip("pandas")
    path = tmp_path / "units.csv"
    pd.DataFrame(counties("4401", 7)).to_csv(path, index=False)
    assert main(["rank", "guangdong-2020", str(path), "--tier", "county", "--on", ON, "--all"]) == 0
    out = capsys.readouterr().out
    assert "推荐名单 (1)" in out and "7×15%=1.05" in out and "u440101" in out
    assert main(["rank", "guangdong-2020", str(path), "--tier", "county", "--on", ON, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["recommended"] == [0] and doc["quotas"][0]["cap"] == 1


def test_cli_rank_used(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "streets.json"
    path.write_text(json.dumps(streets(25)), encoding="utf-8")
    used = tmp_path / "used.toml"
    used.write_text('city_streets = 12\n\n[district_streets]\n"420101" = 1\n', encoding="utf-8")
    args = ["rank", "wuhan-2017", str(path), "--tier", "street", "--on", ON, "--used", str(used)]
    assert main([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # 8 places left this cycle; 420101 has room for 1 more: ranks 1, 3–9
    assert doc["recommended"] == [0, 2, 3, 4, 5, 6, 7, 8]
    assert [(q["id"], q["before"], q["used"], q["usage_before"]) for q in doc["quotas"]] == [
        ("city_streets", 12, 20, {}), ("district_streets", 0, 0, {"420101": 1})]
    assert main([*args, "--lang", "both", "--all"]) == 0
    out = capsys.readouterr().out
    assert "推荐名单 (8)" in out and "    本周期已命名12个，剩余名额8个。" in out
    assert "    本年已推荐：420101 1个。" in out
    assert "12 already named this cycle, 8 places left, now taken" in out
    as_json = tmp_path / "used.json"
    as_json.write_text(json.dumps({"city_streets": 12, "district_streets": {"420101": 1}}), encoding="utf-8")
    assert main([*args[:-1], str(as_json), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["recommended"] == [0, 2, 3, 4, 5, 6, 7, 8]


@pytest.mark.parametrize(("name", "text", "words"), [
    ("used.toml", "city_street = 12\n", "has no quota ['city_street']"),
    ("used.json", '{"city_streets": 2.5}', "used['city_streets']: 2.5 is not a count"),
    ("used.json", '{"district_streets": 1}', "quota 'district_streets' (count_per_parent) counts per county"),
    ("used.json", "[12]", "must be an object/table"),
    ("used.json", "{city_streets: 12}", "not valid JSON"),
    ("used.toml", "city_streets =\n", "invalid TOML"),
])
def test_cli_rank_used_errors_name_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
                                             text: str, words: str) -> None:
    used = tmp_path / name
    used.write_text(text, encoding="utf-8")
    # checked before the units are read: the input need not exist
    code = main(["rank", "wuhan-2017", str(tmp_path / "none.json"), "--tier", "street", "--used", str(used)])
    err = capsys.readouterr().err
    assert code == 2 and str(used) in err and words in err
    assert main(["rank", "wuhan-2017", "x.json", "--tier", "street", "--used", str(tmp_path / "no.toml")]) == 2
    assert "no.toml" in capsys.readouterr().err


def test_cli_rank_parent_sizes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 20 eligible counties: 15 % → 3 named. 广州 (4401) has 11 counties, 3 applied and rank 1–3;
    # 韶关 (4402) 17 here. Counted in the batch 广州 may recommend 1 (3 ≤ 4); given 11, 3.
    path = tmp_path / "counties.json"
    path.write_text(json.dumps(counties("4401", 3, start_met=30) + counties("4402", 17, start_met=27)),
                    encoding="utf-8")
    args = ["rank", "guangdong-2020", str(path), "--tier", "county", "--on", ON, "--json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["recommended"] == [0, 3, 4]
    sizes = tmp_path / "sizes.toml"
    sizes.write_text('"4401" = 11\n"4402" = 17\n', encoding="utf-8")
    assert main([*args, "--parent-sizes", str(sizes)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["recommended"] == [0, 1, 2]
    assert next(q for q in doc["quotas"] if q["id"] == "city_recommendation")["caps"] == {"4401": 3, "4402": 3}
    # a bad file names itself, before anything is scored; a size below the batch's count too
    bad = tmp_path / "bad.toml"
    bad.write_text('"44011" = 11\n', encoding="utf-8")
    assert main(["rank", "guangdong-2020", "none.json", "--tier", "county", "--parent-sizes", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "'44011' is not the code of a city" in err
    small = tmp_path / "small.json"
    small.write_text('{"4402": 5}', encoding="utf-8")
    assert main([*args, "--parent-sizes", str(small)]) == 2
    assert "parent_sizes['4402']: 5 units in all, but the batch alone has 17 of 4402" in capsys.readouterr().err


def test_cli_batch_writes_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pd = pytest.importorskip("pandas")
    path = tmp_path / "units.csv"
    pd.DataFrame(counties("4401", 5)).to_csv(path, index=False)
    out = tmp_path / "out.csv"
    assert main(["batch", "guangdong-2020", str(path), "--tier", "county", "--on", ON, "-o", str(out),
                 "--chunk-size", "2"]) == 0
    frame = pd.read_csv(out)
    assert len(frame) == 5 and list(frame["status"]) == ["scored"] * 5
    assert "5 rows" in capsys.readouterr().out


def test_progress_bar_only_after_a_second() -> None:
    now = [0.0]
    stream = io.StringIO()
    bar = Progress(stream, clock=lambda: now[0])
    bar(10, 100)
    assert stream.getvalue() == ""
    now[0] = 1.5
    bar(50, 100)
    assert "50% 50/100 rows" in stream.getvalue() and "#" in stream.getvalue()
    now[0] = 2.0
    bar(100, 100)
    assert "100% 100/100 rows" in stream.getvalue()
