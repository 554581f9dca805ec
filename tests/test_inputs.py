"""Input validation against tests/data/mini.toml: every bad field is reported with the
rules that needed it, those rules give no points, everything else is scored, nothing raises.

mini.toml, a unit meeting everything except two items, on 2023-06-01 (GOOD below):
  1  parts: a has_doc → 2, b meetings 2 ≥ 1 → 2                         4
  2  deduction: 2 − 1 complaint × 0.4                                   1.6
  3  shortfall: awareness 88.5 < 90, gap 1.5 → ceil 2 steps × 0.5 = 1;
     satisfaction 95 ≥ 90 → 2 − 1                                       1
  4  institutions 8 ≥ target 8 (2023 value)                             4
  5  places 3 > regional average 2.5                                    2
  6  mmr 16.5 ≤ 16.5                                                    2
  7  has_doc and meetings ≥ 2 → full                                    4
  8  veto: no accident                                                  0
                                                                total  18.6
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import fuac
from fuac.errors import InputError
from test_evaluate import GOOD  # the complete unit of mini.toml whose points are POINTS

MINI = Path(__file__).parent / "data" / "mini.toml"
ON = dt.date(2023, 6, 1)

POINTS = {k: Decimal(v) for k, v in {"1": 4, "2": "1.6", "3": 1, "4": 4, "5": 2, "6": 2, "7": 4, "8": 0}.items()}


@pytest.fixture(scope="module")
def mini() -> fuac.RuleSet:
    return fuac.load(MINI)


def run(rs: fuac.RuleSet, assessor: str | None = None, assessments: Any = None, **changes: Any) -> fuac.Evaluation:
    data = {**GOOD, **changes}
    return fuac.evaluate(rs, data, on=ON, assessments=assessments, assessor=assessor)


def errors(ev: fuac.Evaluation) -> dict[str, fuac.Problem]:
    return {p.field: p for p in ev.problems if p.severity == "error"}


def test_good_unit(mini: fuac.RuleSet) -> None:
    ev = run(mini)
    assert ev.problems == []
    assert {i.id: i.points for i in ev.items} == POINTS
    assert ev.total == Decimal("18.6")
    assert ev.complete


# field, bad value, problem code, rules that read the field, items left unscored, points lost
BAD_FIELDS = [
    ("meetings", "two", "invalid_type", ["1.b", "7"], ["7"], "6"),  # 1.b's 2 and 7's 4
    ("meetings", True, "invalid_type", ["1.b", "7"], ["7"], "6"),  # bool is not a number
    ("meetings", 1.5, "not_integer", ["1.b", "7"], ["7"], "6"),
    ("meetings", Decimal("2.5"), "not_integer", ["1.b", "7"], ["7"], "6"),
    ("meetings", -1, "out_of_range", ["1.b", "7"], ["7"], "6"),
    ("has_doc", "maybe", "invalid_type", ["1.a", "7"], ["7"], "6"),  # 1.a's 2 and 7's 4
    ("has_doc", 1, "invalid_type", ["1.a", "7"], ["7"], "6"),  # 1 is not true
    ("awareness", 101, "out_of_range", ["3"], ["3"], "1"),
    ("awareness", -0.1, "out_of_range", ["3"], ["3"], "1"),
    ("awareness", math.nan, "not_finite", ["3"], ["3"], "1"),
    ("awareness", math.inf, "not_finite", ["3"], ["3"], "1"),
    ("awareness", -math.inf, "not_finite", ["3"], ["3"], "1"),
    ("awareness", Decimal("NaN"), "not_finite", ["3"], ["3"], "1"),
    ("awareness", Decimal("-Infinity"), "not_finite", ["3"], ["3"], "1"),
    ("awareness", [88.5], "invalid_type", ["3"], ["3"], "1"),
    ("awareness", "八十八点五", "invalid_type", ["3"], ["3"], "1"),
    ("complaints", 0.5, "not_integer", ["2"], ["2"], "1.6"),
    ("mmr", {"value": 12}, "invalid_type", ["6"], ["6"], "2"),  # not a reference value
    ("accidents", "none", "invalid_type", ["8"], ["8"], "0"),
    ("falsified", "unknown", "invalid_type", ["5"], ["5"], "2"),  # the void condition cannot be read
]


@pytest.mark.parametrize(("field", "value", "code", "rules", "unscored", "lost"), BAD_FIELDS,
                         ids=[f"{b[0]}={b[1]!r}" for b in BAD_FIELDS])
def test_bad_field(mini: fuac.RuleSet, field: str, value: Any, code: str, rules: list[str], unscored: list[str],
                   lost: str) -> None:
    ev = run(mini, **{field: value})
    probs = errors(ev)
    assert list(probs) == [field]
    p = probs[field]
    assert p.code == code
    assert p.rules == rules
    assert p.message and p.message_zh
    assert str(p).startswith(f"{field}: ")
    for item_id in unscored:
        item = ev.item(item_id)
        assert item.status == "invalid_input"
        assert item.points is None
        lab = mini.doc.indicators[field].label  # named by its label, as on the sheet; the problem names the key
        assert lab.en in item.reason_en and lab.zh in item.reason_zh and field not in item.reason_zh
    assert ev.total == Decimal("18.6") - Decimal(lost)
    others = {i.id for i in ev.items} - set(unscored) - {r.split(".")[0] for r in rules}
    for item_id in others:
        assert ev.item(item_id).points == POINTS[item_id]
        assert ev.item(item_id).status == "scored"
    assert not ev.complete


def test_a_bad_field_in_one_part_leaves_the_other_part_scored(mini: fuac.RuleSet) -> None:
    ev = run(mini, meetings="two")
    item = ev.item("1")
    a, b = item.parts
    assert (a.status, a.points) == ("scored", Decimal(2))
    assert (b.status, b.points) == ("invalid_input", None)
    assert item.status == "invalid_input"
    assert item.points == Decimal(2)  # the independent part a still counts
    assert ev.total == Decimal("12.6")  # 18.6 − 2 (1.b) − 4 (7)


def test_missing_and_null_fields(mini: fuac.RuleSet) -> None:
    data = {k: v for k, v in GOOD.items() if k != "institutions"}
    data["mmr"] = None  # null is the same as not given
    ev = fuac.evaluate(mini, data, on=ON)
    missing = {p.field: p for p in ev.problems}
    assert set(missing) == {"institutions", "mmr"}
    assert missing["institutions"].code == "missing"
    assert missing["institutions"].rules == ["4"]
    assert missing["mmr"].rules == ["6"]
    for item_id in ("4", "6"):
        assert ev.item(item_id).status == "missing_input"
        assert ev.item(item_id).points is None
    assert ev.total == Decimal("12.6")  # 18.6 − 4 (item 4) − 2 (item 6)
    assert ev.grade is None


def test_several_bad_fields_at_once(mini: fuac.RuleSet) -> None:
    ev = run(mini, awareness=math.nan, mmr="low", complaints=-3, colour="red")
    assert {p.field: p.code for p in ev.problems} == {
        "awareness": "not_finite",
        "mmr": "invalid_type",
        "complaints": "out_of_range",
        "colour": "unknown_field",
    }
    assert ev.total == Decimal("18.6") - Decimal("1") - Decimal("2") - Decimal("1.6")


def test_unknown_field_is_a_warning(mini: fuac.RuleSet) -> None:
    ev = run(mini, colour="red")
    (p,) = ev.problems
    assert (p.field, p.code, p.severity) == ("colour", "unknown_field", "warning")
    assert ev.total == Decimal("18.6")
    assert ev.complete


def test_whole_numbers_in_other_forms_are_accepted(mini: fuac.RuleSet) -> None:
    ev = run(mini, institutions=8.0, meetings=Decimal("2.00"), awareness=Decimal("88.50"))
    assert ev.problems == []
    assert ev.total == Decimal("18.6")


def test_reference_value_with_its_source(mini: fuac.RuleSet) -> None:
    ev = run(mini, places_avg={"value": 2.5, "source": "自治区2022年统计公报"})
    assert ev.problems == []
    item = ev.item("5")
    assert item.points == Decimal(2)
    assert item.inputs == {"falsified": False, "places": Decimal(3), "places_avg": Decimal("2.5")}
    # the regional average is recorded in the result with its source
    assert item.details["reference"] == {
        "name": "places_avg", "value": Decimal("2.5"), "source": "自治区2022年统计公报"
    }
    ref = ev.to_dict()["items"][4]["details"]["reference"]
    assert ref == {"name": "places_avg", "value": "2.5", "source": "自治区2022年统计公报"}


def test_reference_value_as_bare_number(mini: fuac.RuleSet) -> None:
    ev = run(mini, places_avg=3.5)
    assert ev.problems == []
    assert ev.item("5").points == 0  # 3 > 3.5 is false
    assert ev.item("5").details["reference"] == {"name": "places_avg", "value": Decimal("3.5"), "source": None}
    assert ev.total == Decimal("16.6")


@pytest.mark.parametrize(
    "value",
    [
        {"val": 2.5},  # no value
        {"source": "统计公报"},  # no value
        {"value": 2.5, "source": "x", "year": 2022},  # unknown key
        {"value": "2.5 左右", "source": "x"},  # value not a number
        {"value": math.nan},
        [2.5, "x"],
    ],
)
def test_malformed_reference_value(mini: fuac.RuleSet, value: Any) -> None:
    ev = run(mini, places_avg=value)
    probs = errors(ev)
    assert list(probs) == ["places_avg"]
    assert probs["places_avg"].rules == ["5"]
    assert ev.item("5").status == "invalid_input"
    assert ev.item("5").points is None
    assert ev.total == Decimal("16.6")


def test_missing_reference_value_is_cannot_score(mini: fuac.RuleSet) -> None:
    data = {k: v for k, v in GOOD.items() if k != "places_avg"}
    ev = fuac.evaluate(mini, data, on=ON)
    assert ev.item("5").status == "missing_input"
    assert ev.item("5").points is None
    assert ev.item("5").reason_en == "cannot score: missing Regional average childcare places per 1,000 people."


def test_reference_value_given_as_null_value(mini: fuac.RuleSet) -> None:
    ev = run(mini, places_avg={"value": None, "source": "not yet published"})
    assert ev.item("5").status == "missing_input"


def test_data_that_is_not_a_mapping_raises_input_error(mini: fuac.RuleSet) -> None:
    with pytest.raises(InputError, match="mapping"):
        fuac.evaluate(mini, [("meetings", 2)], on=ON)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="assessments"):
        fuac.evaluate(mini, GOOD, on=ON, assessments=[1])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# assessments (item 7: discretionary, 0 to 4 points, full when has_doc and meetings ≥ 2)

NEEDS_ASSESSOR = {"meetings": 1}  # 7's condition fails: an assessor decides; 1.b still met (1 ≥ 1)


def test_assessment_used(mini: fuac.RuleSet) -> None:
    ev = run(mini, assessments={"7": {"points": 2.5, "rationale": "有方案，落实一般"}}, **NEEDS_ASSESSOR)
    item = ev.item("7")
    assert (item.status, item.points, item.judgement_points) == ("scored", Decimal("2.5"), Decimal("2.5"))
    assert "有方案，落实一般" in item.reason_zh
    assert ev.judgement_points == Decimal("2.5")
    assert ev.total == Decimal("17.1")  # 18.6 − 4 + 2.5


def test_no_assessment_awaits_assessor(mini: fuac.RuleSet) -> None:
    ev = run(mini, **NEEDS_ASSESSOR)
    assert ev.item("7").status == "awaiting_assessor"
    assert ev.item("7").points is None
    assert ev.total == Decimal("14.6")
    assert not ev.complete


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        (4.5, "invalid_assessment"),  # above the item's 4 points
        (-0.5, "invalid_assessment"),  # below its minimum 0
        ("three", "invalid_assessment"),
        (True, "invalid_assessment"),
        (math.nan, "invalid_assessment"),
        ({"points": 2, "value": 2}, "invalid_type"),  # two values
        ({"score": 2}, "invalid_type"),  # no value
        ({"points": 2, "comment": "x"}, "invalid_type"),  # unknown key
    ],
)
def test_bad_assessment(mini: fuac.RuleSet, entry: Any, code: str) -> None:
    ev = run(mini, assessments={"7": entry}, **NEEDS_ASSESSOR)
    probs = errors(ev)
    assert list(probs) == ["assessments.7"]
    assert probs["assessments.7"].code == code
    assert probs["assessments.7"].rules == ["7"]
    assert ev.item("7").status == "awaiting_assessor"
    assert ev.item("7").points is None
    assert ev.total == Decimal("14.6")


@pytest.mark.parametrize("key", ["99", "1.a", "6"])
def test_assessment_for_something_not_assessed_is_a_warning(mini: fuac.RuleSet, key: str) -> None:
    ev = run(mini, assessments={key: 1})
    (p,) = ev.problems
    assert (p.field, p.code, p.severity) == (f"assessments.{key}", "unknown_field", "warning")
    assert ev.total == Decimal("18.6")


SEVERAL = {
    "7": [
        {"points": 3, "assessor": "self", "rationale": "自评：制度健全"},
        {"points": 1.5, "assessor": "verification", "rationale": "核查：部分会议无记录"},
    ]
}


@pytest.mark.parametrize(
    ("assessor", "points", "status"),
    [("self", "3", "scored"), ("verification", "1.5", "scored"), (None, "1.5", "scored"),
     ("nobody", None, "awaiting_assessor")],
)
def test_several_assessors(mini: fuac.RuleSet, assessor: str | None, points: str | None, status: str) -> None:
    ev = run(mini, assessor=assessor, assessments=SEVERAL, **NEEDS_ASSESSOR)
    item = ev.item("7")
    assert item.status == status
    assert item.points == (None if points is None else Decimal(points))
    if points is not None:
        who = assessor or "verification"
        assert who in item.reason_zh and who in item.reason_en
        # 14.6 without item 7, plus the chosen assessor's points
        assert ev.total == Decimal("14.6") + Decimal(points)
