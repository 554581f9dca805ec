"""The evaluator, with every number worked out by hand in the comments.

Rule files: tests/data/mini.toml (every built-in kind), floors.toml (where deductions
stop), bonus.toml (bonus items, cap, grades), tiers.toml (two tiers, overrides).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import fuac
from fuac.errors import RulesetCheckError, TierNotFound

DATA = Path(__file__).parent / "data"
ON = dt.date(2023, 6, 1)
D = Decimal

GOOD: dict[str, Any] = {
    "has_doc": True,
    "meetings": 2,
    "institutions": 8,
    "complaints": 1,
    "awareness": 88.5,
    "satisfaction": 95,
    "mmr": 16.5,
    "places": 3,
    "places_avg": 2.5,
    "falsified": False,
    "accidents": 0,
}


@pytest.fixture(scope="module")
def mini() -> fuac.RuleSet:
    return fuac.load(DATA / "mini.toml")


def mini_eval(rs: fuac.RuleSet, *, on: dt.date = ON, assessments: Any = None, **changes: Any) -> fuac.Evaluation:
    return fuac.evaluate(rs, {**GOOD, **changes}, on=on, assessments=assessments)


def points(ev: fuac.Evaluation) -> dict[str, Decimal | None]:
    return {i.id: i.points for i in ev.items}


# ---------------------------------------------------------------------------
# mini.toml: three units worked out by hand


def test_good_unit(mini: fuac.RuleSet) -> None:
    ev = mini_eval(mini)
    assert points(ev) == {
        "1": D(4),  # a: has_doc → 2; b: 2 meetings ≥ 1 → 2
        "2": D("1.6"),  # 2 − 1 × 0.4
        "3": D(1),  # awareness 90 − 88.5 = 1.5 → ceil 2 steps × 0.5 = 1; satisfaction 95 ≥ 90; 2 − 1
        "4": D(4),  # 8 institutions ≥ 8 (target in force on 2023-06-01)
        "5": D(2),  # 3 > 2.5
        "6": D(2),  # 16.5 ≤ 16.5 (以下: inclusive)
        "7": D(4),  # has_doc and 2 ≥ 2 → full, no assessor needed
        "8": D(0),  # veto item, no accident
    }
    assert [(s.id, s.points, s.max) for s in ev.sections] == [("A", D("6.6"), D(8)), ("B", D(12), D(12))]
    assert ev.total == D("18.6")  # 6.6 + 12
    assert ev.max_total == D(20)
    assert ev.complete and not ev.vetoed
    assert ev.judgement_points == 0
    assert ev.item("3").status == "scored" and ev.item("3").met is False


def test_weak_unit(mini: fuac.RuleSet) -> None:
    ev = mini_eval(
        mini,
        has_doc=False,
        meetings=0,
        institutions=5,
        complaints=6,
        awareness=87.2,
        satisfaction=89.99,
        mmr=16.6,
        places=2.5,
        assessments={"7": {"points": 2.5, "rationale": "有部署，落实不够"}},
    )
    assert points(ev) == {
        "1": D(0),  # no document, 0 meetings < 1
        "2": D(0),  # 2 − 6 × 0.4 = −0.4, floor at the part → 0
        "3": D(0),  # 2.8 short → 3 steps, 0.01 short → 1 step: 4 × 0.5 = 2 taken; 2 − 2 = 0
        "4": D(0),  # 8 − 5 = 3 steps × 2 = 6 taken; 4 − 6 = −2, floor at the item → 0
        "5": D(0),  # 2.5 > 2.5 is false
        "6": D(0),  # 16.6 ≤ 16.5 is false
        "7": D("2.5"),  # condition fails; the assessor's 2.5
        "8": D(0),
    }
    assert ev.total == D("2.5")
    assert ev.judgement_points == D("2.5")
    assert ev.item("2").details == {"deducted": D("2.4"), "raw": D("-0.4")}
    assert ev.item("4").details == {"deducted": D(6), "raw": D(-2)}
    assert ev.item("7").reason_zh.count("有部署，落实不够") == 1


def test_two_minus_five_times_point_four_is_exactly_zero(mini: fuac.RuleSet) -> None:
    ev = mini_eval(mini, complaints=5)
    item = ev.item("2")
    assert item.points == 0  # 2 − 5 × 0.4
    assert item.details["raw"] == 0
    assert item.details["raw"].is_zero() and not item.details["raw"].is_signed()
    assert ev.total == D(17)  # 18.6 − 1.6


@pytest.mark.parametrize(
    ("awareness", "expected"),
    [
        (90, "2"),  # met
        (89.99, "1.5"),  # 0.01 short: a started step costs a full one (partial = "ceil")
        (89, "1.5"),  # 1 short: 1 step
        (88.99, "1"),  # 1.01 short: 2 steps
        (86, "0"),  # 4 steps: 2 − 2
        (80, "0"),  # 10 steps: 2 − 5 = −3, floor at the part
    ],
)
def test_shortfall_ceil_steps(mini: fuac.RuleSet, awareness: float, expected: str) -> None:
    assert mini_eval(mini, awareness=awareness).item("3").points == D(expected)


@pytest.mark.parametrize(
    ("institutions", "expected"),
    [(9, "4"), (8, "4"), (7, "2"), (6, "0"), (5, "0"), (0, "0")],  # 1 step short costs 2 (partial = "floor")
)
def test_shortfall_against_a_parameter(mini: fuac.RuleSet, institutions: int, expected: str) -> None:
    assert mini_eval(mini, institutions=institutions).item("4").points == D(expected)


@pytest.mark.parametrize(("mmr", "expected"), [(16.5, "2"), (16.49, "2"), (16.51, "0"), (0, "2")])
def test_threshold_compares_exactly(mini: fuac.RuleSet, mmr: float, expected: str) -> None:
    assert mini_eval(mini, mmr=mmr).item("6").points == D(expected)


# ---------------------------------------------------------------------------
# void and veto


def test_void_overrides_the_item(mini: fuac.RuleSet) -> None:
    ev = mini_eval(mini, falsified=True)
    item = ev.item("5")
    assert (item.status, item.points, item.met) == ("voided", D(0), False)  # 3 > 2.5 would give 2
    assert item.reason_zh and item.reason_en
    assert ev.total == D("16.6")  # 18.6 − 2
    assert ev.complete


def test_void_applies_even_when_the_item_could_not_be_scored(mini: fuac.RuleSet) -> None:
    data = {k: v for k, v in GOOD.items() if k not in ("places", "places_avg")}
    ev = fuac.evaluate(mini, {**data, "falsified": True}, on=ON)
    assert (ev.item("5").status, ev.item("5").points) == ("voided", D(0))


def test_void_condition_missing_means_cannot_score(mini: fuac.RuleSet) -> None:
    data = {k: v for k, v in GOOD.items() if k != "falsified"}
    ev = fuac.evaluate(mini, data, on=ON)
    assert (ev.item("5").status, ev.item("5").points) == ("missing_input", None)
    assert ev.total == D("16.6")


def test_outcome_veto_keeps_the_score(mini: fuac.RuleSet) -> None:
    ev = mini_eval(mini, accidents=1)
    assert ev.vetoed
    assert ev.item("8").status == "vetoed"
    assert ev.total == D("18.6")  # the underlying score is still computed
    (veto,) = ev.vetoes
    assert (veto.id, veto.scope, veto.holds) == ("8", "outcome", True)
    assert veto.inputs == {"accidents": D(1)}
    assert veto.reason_zh and veto.reason_en
    assert ev.to_dict()["vetoed"] is True


def test_veto_that_cannot_be_checked_is_undecided(mini: fuac.RuleSet) -> None:
    data = {k: v for k, v in GOOD.items() if k != "accidents"}
    ev = fuac.evaluate(mini, data, on=ON)
    (veto,) = ev.vetoes
    assert veto.holds is None
    assert veto.missing == ["accidents"]
    assert not ev.vetoed
    assert ev.item("8").status == "missing_input"


# ---------------------------------------------------------------------------
# parameters keyed by the date they take effect: item 4's target is 8, then 10 from 2024-01-01


@pytest.mark.parametrize(
    ("on", "institutions", "expected"),
    [
        (dt.date(2023, 12, 31), 8, "4"),  # target 8: met
        (dt.date(2024, 1, 1), 8, "0"),  # target 10: 2 steps × 2 = 4 taken
        (dt.date(2023, 12, 31), 9, "4"),
        (dt.date(2024, 1, 1), 9, "2"),  # target 10: 1 step
        (dt.date(2030, 1, 1), 10, "4"),  # the latest value stays in force
    ],
)
def test_parameter_by_date(mini: fuac.RuleSet, on: dt.date, institutions: int, expected: str) -> None:
    ev = mini_eval(mini, on=on, institutions=institutions)
    assert ev.item("4").points == D(expected)
    assert ev.on == on


def test_date_from_context(mini: fuac.RuleSet) -> None:
    ev = fuac.evaluate(mini, GOOD, context={"on": "2024-03-01", "name": "柳南区"})
    assert ev.on == dt.date(2024, 3, 1)
    assert ev.item("4").points == 0  # target 10
    assert ev.to_dict()["context"] == {"on": "2024-03-01", "name": "柳南区"}


def test_parameter_not_yet_in_force(mini: fuac.RuleSet) -> None:
    ev = mini_eval(mini, on=dt.date(2022, 6, 1))  # before the first value (2023-01-01)
    item = ev.item("4")
    assert (item.status, item.points) == ("invalid_input", None)
    assert "institutions_target" in item.reason_en and "2022-06-01" in item.reason_en
    assert ev.total == D("14.6")  # 18.6 − 4; everything else scored


# ---------------------------------------------------------------------------
# rounding happens only when reporting


def test_reported_total_rounds_half_up(mini: fuac.RuleSet) -> None:
    # meetings 1: item 7's condition (≥ 2) fails, the assessor gives 1.25; 1.b still met (1 ≥ 1)
    ev = mini_eval(mini, meetings=1, assessments={"7": 1.25})
    assert ev.item("7").points == D("1.25")
    assert ev.total == D("15.85")  # 4 + 1.6 + 1 + 4 + 2 + 2 + 1.25, exact
    assert ev.reported_total == D("15.9")  # half-up at precision 0.1 (half-even would give 15.8)
    d = ev.to_dict()
    assert (d["total"], d["total_exact"]) == ("15.9", "15.85")
    assert [(s["points"], s["points_exact"]) for s in d["sections"]] == [("6.6", "6.6"), ("9.3", "9.25")]


# ---------------------------------------------------------------------------
# floors: floors.toml, every section holds deductions of 1 point per case from 2


def test_floors_small_deductions() -> None:
    ev = fuac.evaluate(DATA / "floors.toml", {"a": 3, "b": 0, "ok": True}, on=ON)
    assert [(i.id, i.points) for i in ev.items] == [
        ("p1", D(2)),  # part a: 2 − 3 = −1 → 0 (floor at the part); part b: 2
        ("i1", D(1)),  # part a: −1 kept; part b: 2; item −1 + 2 = 1 ≥ 0
        ("s1", D(-1)),  # 2 − 3, floor at the section: the item may be negative
        ("s2", D(2)),
        ("n1", D(-1)),  # no floor
        ("n2", D(2)),
    ]
    assert [p.points for p in ev.item("p1").parts] == [D(0), D(2)]
    assert [p.points for p in ev.item("i1").parts] == [D(-1), D(2)]
    assert [(s.points, s.floored) for s in ev.sections] == [(D(2), False), (D(1), False), (D(1), False),
                                                            (D(1), False)]
    assert ev.total == D(5)


def test_floors_large_deductions() -> None:
    ev = fuac.evaluate(DATA / "floors.toml", {"a": 5, "b": 1, "ok": False}, on=ON)
    assert [(i.id, i.points) for i in ev.items] == [
        ("p1", D(1)),  # a: 2 − 5 → 0; b: 2 − 1 = 1
        ("i1", D(0)),  # a: −3, b: 1 → −2 → 0 (floor at the item)
        ("s1", D(-3)),
        ("s2", D(0)),
        ("n1", D(-3)),
        ("n2", D(0)),
    ]
    assert [(s.id, s.points, s.floored) for s in ev.sections] == [
        ("P", D(1), False),
        ("I", D(0), False),
        ("S", D(0), True),  # −3 + 0 → 0 (floor at the section)
        ("N", D(-3), False),  # no floor anywhere: the section is negative
    ]
    assert ev.total == D(-2)  # 1 + 0 + 0 − 3
    assert ev.reported_total == D("-2.0")


# ---------------------------------------------------------------------------
# bonus items and bonus_cap (bonus.toml: base 10, bonus cap 3, grades 11 / 8 / 6)


def test_bonus_capped() -> None:
    ev = fuac.evaluate(
        DATA / "bonus.toml",
        {"rate": 85, "complaints": 0, "national": True, "provincial": True, "reported": True},
        on=ON,
    )
    assert [(i.id, i.points, i.bonus) for i in ev.items] == [
        ("1", D(8), False),
        ("b1", D(2), True),
        ("b2", D("1.5"), True),
        ("2", D(2), False),
        ("b3", D(1), True),
    ]
    assert [s.points for s in ev.sections] == [D("11.5"), D(3)]  # 8 + 2 + 1.5; 2 + 1
    assert ev.total == D(13)  # base 10 + bonus 4.5 capped at 3
    assert ev.grade is not None and ev.grade.en == "Excellent"  # ≥ 11


def test_bonus_under_the_cap() -> None:
    ev = fuac.evaluate(
        DATA / "bonus.toml",
        {"rate": 85, "complaints": 0, "national": False, "provincial": True, "reported": False},
        on=ON,
    )
    assert ev.total == D("11.5")  # 10 + 1.5
    assert ev.grade is not None and ev.grade.zh == "优秀"


def test_bonus_is_added_after_the_section_floor() -> None:
    ev = fuac.evaluate(
        DATA / "bonus.toml",
        {"rate": 70, "complaints": 5, "national": False, "provincial": False, "reported": True},
        on=ON,
    )
    assert ev.item("2").points == D(-3)  # 2 − 5, floor at the section
    section_b = ev.section("B")
    assert section_b.floored
    assert section_b.points == D(1)  # −3 → 0, then + 1 bonus (not −3 + 1 → 0)
    assert ev.total == D(1)  # 0 (rate 70 < 80) + 1
    assert ev.grade is None  # below the lowest grade (6)


@pytest.mark.parametrize(
    ("complaints", "rate", "total", "grade"),
    [(3, 85, "8", "Good"), (1, 85, "9", "Good"), (0, 79, "2", None)],
)
def test_grades(complaints: int, rate: int, total: str, grade: str | None) -> None:
    data = {"rate": rate, "complaints": complaints, "national": False, "provincial": False, "reported": False}
    ev = fuac.evaluate(DATA / "bonus.toml", data, on=ON)
    assert ev.total == D(total)  # (8 if rate ≥ 80) + max(0, 2 − complaints)
    assert (ev.grade.en if ev.grade else None) == grade


def test_a_bonus_item_that_does_not_apply_stays_a_bonus_item() -> None:
    """b1 (bonus, 2 points) made to apply only to provincially named units: for a unit that is
    not, it is not applicable; the maximum that applies stays 10, since bonus points are
    outside the 10-point total (before, the guard's result lost the bonus flag: 10 − 2 = 8)."""
    text = (DATA / "bonus.toml").read_text(encoding="utf-8").replace(
        'condition = "national"\nclause', 'condition = "national"\napplies_when = "provincial"\nclause')
    rs = fuac.loads(text, name="bonus-applies.toml")
    data = {"rate": 85, "complaints": 0, "national": False, "provincial": False, "reported": False}
    ev = fuac.evaluate(rs, data, on=ON)
    b1 = ev.item("b1")
    assert (b1.status, b1.bonus, b1.points) == ("not_applicable", True, None)
    assert (ev.max_total, ev.max_applicable, ev.total) == (D(10), D(10), D(10))  # 8 + 2, no bonus


def test_no_grade_while_input_is_missing() -> None:
    ev = fuac.evaluate(DATA / "bonus.toml", {"rate": 85, "national": True, "provincial": False, "reported": False},
                       on=ON)
    assert ev.item("2").status == "missing_input"
    assert ev.total == D(10)  # 8 + 2 bonus
    assert ev.grade is None


# ---------------------------------------------------------------------------
# tiers: per-tier maxima and overrides (tiers.toml)


def test_district_tier() -> None:
    ev = fuac.evaluate(DATA / "tiers.toml", {"rate": 75, "complaints": 1, "centres": 2}, tier="district", on=ON)
    assert [(i.id, i.points, i.max) for i in ev.items] == [
        ("1", D(0), D(4)),  # 75 ≥ 80 fails
        ("2", D("1.5"), D(2)),  # 2 − 0.5
        ("3", D(4), D(4)),  # 2 centres ≥ 2; district only
    ]
    assert [(s.id, s.points, s.max) for s in ev.sections] == [("A", D("1.5"), D(6)), ("B", D(4), D(4))]
    assert (ev.tier, ev.total, ev.max_total) == ("district", D("5.5"), D(10))


def test_street_tier_uses_its_overrides() -> None:
    ev = fuac.evaluate(DATA / "tiers.toml", {"rate": 75, "complaints": 1, "home_visits": True}, tier="street", on=ON)
    assert [(i.id, i.points, i.max) for i in ev.items] == [
        ("1", D(2), D(2)),  # override: 75 ≥ 70 gives 2
        ("2", D("1.5"), D(2)),
        ("4", D(4), D(4)),  # street only
    ]
    assert [(s.id, s.points, s.max) for s in ev.sections] == [("A", D("3.5"), D(4)), ("B", D(4), D(4))]
    assert (ev.tier, ev.total, ev.max_total) == ("street", D("7.5"), D(8))


def test_tier_must_be_given_and_known() -> None:
    rs = fuac.load(DATA / "tiers.toml")
    assert rs.tiers == ["district", "street"]
    with pytest.raises(TierNotFound, match="district, street"):
        fuac.evaluate(rs, {"rate": 75}, on=ON)
    with pytest.raises(TierNotFound, match="'village'"):
        fuac.evaluate(rs, {"rate": 75}, tier="village", on=ON)


def test_tier_maxima_must_add_up() -> None:
    text = (DATA / "tiers.toml").read_text(encoding="utf-8")
    broken = text.replace("total = 8\n", "total = 9\n")
    assert broken.count("total = 9") == 1
    with pytest.raises(RulesetCheckError) as info:
        fuac.loads(broken, name="tiers.toml")
    assert str(info.value) == (
        "tiers.toml:26: [tiers[1].total] sections add up to 8 for tier 'street', but the total is 9"
    )


# ---------------------------------------------------------------------------
# the result as data


def all_evaluations() -> list[fuac.Evaluation]:
    mini = fuac.load(DATA / "mini.toml")
    out = [
        mini_eval(mini),
        mini_eval(mini, falsified=True, accidents=2, meetings=1, assessments={"7": {"points": 3, "rationale": "x"}}),
        mini_eval(mini, awareness=float("nan"), meetings="two", colour=1),
        fuac.evaluate(mini, {}, on=ON),
        fuac.evaluate(DATA / "floors.toml", {"a": 5, "b": 1, "ok": False}, on=ON),
        fuac.evaluate(DATA / "bonus.toml", {"rate": 85, "complaints": 0, "national": True}, on=ON),
        fuac.evaluate(DATA / "tiers.toml", {"rate": 75, "complaints": 1}, tier="street", on=ON),
    ]
    return out


def test_to_dict_is_json() -> None:
    mini_hash = "sha256:" + hashlib.sha256((DATA / "mini.toml").read_bytes()).hexdigest()
    for ev in all_evaluations():
        d = ev.to_dict()
        back = json.loads(json.dumps(d, ensure_ascii=False))
        assert back == d
        assert {"id", "version", "content_hash"} <= set(d["ruleset"])
        assert d["ruleset"]["version"] == "1.0"
        assert d["ruleset"]["content_hash"].startswith("sha256:") and len(d["ruleset"]["content_hash"]) == 71
        if d["ruleset"]["id"] == "mini":
            assert d["ruleset"]["content_hash"] == mini_hash
        assert [i["id"] for i in d["items"]] == [i.id for i in ev.items]


def test_to_dict_of_the_good_unit() -> None:
    d = mini_eval(fuac.load(DATA / "mini.toml")).to_dict()
    assert d["ruleset"]["id"] == "mini"
    assert (d["total"], d["total_exact"], d["max_total"], d["precision"]) == ("18.6", "18.6", "20", "0.1")
    assert d["on"] == "2023-06-01"
    item2 = d["items"][1]
    assert (item2["id"], item2["points"], item2["max"], item2["status"]) == ("2", "1.6", "2", "scored")
    assert item2["inputs"] == {"complaints": "1"}


def test_every_item_and_part_has_reasons_in_both_languages() -> None:
    for ev in all_evaluations():
        for item in ev.items:
            assert item.reason_zh.strip() and item.reason_en.strip(), (ev.ruleset_id, item.id, item.status)
            assert item.reason_zh != item.reason_en
            for part in item.parts:
                assert part.reason_zh.strip() and part.reason_en.strip()
        for c in ev.vetoes + ev.eligibility:
            assert c.reason_zh.strip() and c.reason_en.strip()


def test_statuses_of_the_mixed_unit() -> None:
    ev = all_evaluations()[1]
    assert {i.id: i.status for i in ev.items} == {
        "1": "scored", "2": "scored", "3": "scored", "4": "scored",
        "5": "voided", "6": "scored", "7": "scored", "8": "vetoed",
    }
    assert ev.total == D("15.6")  # 4 + 1.6 + 1 + 4 + 0 (voided) + 2 + 3 (assessor)
    assert ev.vetoed


# ---------------------------------------------------------------------------
# input schema


def test_input_schema(mini: fuac.RuleSet) -> None:
    schema = fuac.input_schema(mini)
    json.dumps(schema)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    props = schema["properties"]
    assert set(props) == set(GOOD)
    assert props["has_doc"] == {"type": "boolean", "title": "有相关文件", "x-label-en": "Document issued"}
    assert props["meetings"] == {
        "type": "integer", "title": "每年会议次数", "x-label-en": "Meetings a year", "x-unit": "meetings", "minimum": 0,
    }
    assert props["awareness"]["type"] == "number"
    assert (props["awareness"]["minimum"], props["awareness"]["maximum"]) == (0, 100)
    assert props["awareness"]["x-unit"] == "percent"
    assert props["mmr"]["x-unit"] == "per_100k"
    ref = props["places_avg"]
    assert ref["x-reference"] is True
    number, with_source = ref["anyOf"]
    assert number["type"] == "number" and number["x-unit"] == "per_1000_people"
    assert with_source["required"] == ["value"]
    assert set(with_source["properties"]) == {"value", "source"}


def test_input_schema_per_tier() -> None:
    district = fuac.input_schema(DATA / "tiers.toml", tier="district")["properties"]
    street = fuac.input_schema(DATA / "tiers.toml", tier="street")["properties"]
    assert set(district) == {"rate", "complaints", "centres"}
    assert set(street) == {"rate", "complaints", "home_visits"}


@pytest.mark.parametrize(("data", "assessments", "words"), [
    ([("has_doc", True)], None, "data must be a mapping of indicator names to values, not list"),
    ({}, [("7", 3)], "assessments must be a mapping, not list"),
    ({}, "7=3", "assessments must be a mapping, not str"),
])
def test_data_and_assessments_that_are_not_mappings_are_refused_by_name(mini: fuac.RuleSet, data: Any,
                                                                         assessments: Any, words: str) -> None:
    from fuac.errors import InputError

    with pytest.raises(InputError) as info:
        fuac.evaluate(mini, data, assessments=assessments)
    assert str(info.value) == words


def test_missing_fields_are_listed_in_the_rule_sets_order(mini: fuac.RuleSet) -> None:
    # mini declares has_doc, meetings, institutions, complaints, awareness, satisfaction, mmr, places,
    # places_avg, falsified, accidents; with nothing given, item 5 stops at its guard (falsified) before
    # its rule reads places; 7 reads has_doc and meetings after 1.a and 1.b
    ev = fuac.evaluate(mini, {})
    assert [(p.field, p.rules) for p in ev.problems] == [
        ("has_doc", ["1.a", "7"]), ("meetings", ["1.b", "7"]), ("institutions", ["4"]), ("complaints", ["2"]),
        ("awareness", ["3"]), ("satisfaction", ["3"]), ("mmr", ["6"]), ("falsified", ["5"]), ("accidents", ["8"])]
    first = ev.problems[0]
    assert (first.code, first.message, first.message_zh) == ("missing", "Document issued: no value given",
                                                            "有相关文件：未提供数值")
    # an item of parts keeps its own label
    liunan = fuac.evaluate("liunan-2023", {}).item("2")
    assert liunan.label is not None and (liunan.label.zh, liunan.label.en) == (
        "一把手负总责，领导小组（联席会议）", "Top leader in charge; leading group (joint meeting)")
