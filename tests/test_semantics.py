"""applies_when / not_applicable, pass_mark, grades only when complete, tier_cap, targets on
booleans, parameter units, eligibility checks, clamp bounds, long sums, hook arguments,
and `fuac test` going on past an unreadable case file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import fuac
from fuac.cli import main
from fuac.errors import RulesetCheckError, RulesetError

HEAD = """
[scheme]
id = "sem"
version = "1"
kind = "points"
title = { zh = "语义", en = "Semantics" }
issuer = { zh = "测试", en = "Test" }
issued = 2024-01-01
valid_from = 2024-01-01
total = 10
precision = 0.1
pass_mark = 6
jurisdiction = [{ code = "450204", level = "county" }]

[indicators.rural]
type = "boolean"
label = { zh = "有农村", en = "Has villages" }
[indicators.ok_a]
type = "boolean"
label = { zh = "甲", en = "A" }
[indicators.ok_b]
type = "boolean"
label = { zh = "乙", en = "B" }
[indicators.violation]
type = "boolean"
label = { zh = "违规", en = "Violation" }

[[grades]]
id = "excellent"
label = { zh = "优秀", en = "Excellent" }
min = 9
[[grades]]
id = "qualified"
label = { zh = "合格", en = "Qualified" }
min = 6

[[vetoes]]
id = "cap"
label = { zh = "违规降级", en = "Violation caps the grade" }
clause = "有违规的，最高评为合格"
scope = "tier_cap"
cap_tier = "qualified"
condition = "violation"

[[sections]]
id = "S"
title = { zh = "节", en = "Section" }
max = 10

[[sections.items]]
id = "1"
max = 4
kind = "all_or_nothing"
points = 4
condition = "ok_a"
applies_when = "rural"

[[sections.items]]
id = "2"
max = 6
kind = "discretionary"
points = 6
condition = "ok_b"
"""
ON = dt.date(2024, 6, 1)


@pytest.fixture(scope="module")
def rs() -> fuac.RuleSet:
    return fuac.loads(HEAD, name="sem.toml")


def test_not_applicable_leaves_the_maximum(rs: fuac.RuleSet) -> None:
    ev = fuac.evaluate(rs, {"rural": False, "ok_a": True, "ok_b": True, "violation": False}, on=ON)
    item = ev.item("1")
    assert (item.status, item.points, item.met) == ("not_applicable", None, None)
    assert "不适用" in item.reason_zh and "not applicable" in item.reason_en
    # item 2 gives 6 of the 6 that apply; item 1's 4 are out of the maximum
    assert ev.total == 6 and ev.max_total == 10 and ev.max_applicable == 6
    assert ev.complete
    # the guard's input is required: without it, the item cannot be judged
    ev = fuac.evaluate(rs, {"ok_a": True, "ok_b": True, "violation": False}, on=ON)
    assert ev.item("1").status == "missing_input"
    assert any(p.field == "rural" and "1" in p.rules for p in ev.problems)


def test_pass_mark_and_grades_need_a_complete_evaluation(rs: fuac.RuleSet) -> None:
    full = {"rural": True, "ok_a": True, "ok_b": True, "violation": False}
    ev = fuac.evaluate(rs, full, on=ON)
    assert (ev.total, ev.passed, ev.grade.zh if ev.grade else None) == (10, True, "优秀")
    # 4 + 0 awaited: not complete → no grade, no pass/fail, even though 4 < 6
    ev = fuac.evaluate(rs, dict(full, ok_b=False), on=ON)
    assert ev.item("2").status == "awaiting_assessor"
    assert (ev.passed, ev.grade) == (None, None)
    # the assessor gives 1: 5 < 6 → not passed, no grade band reached
    ev = fuac.evaluate(rs, dict(full, ok_b=False), assessments={"2": 1}, on=ON)
    assert (ev.total, ev.passed, ev.grade) == (5, False, None)


def test_tier_cap_lowers_the_grade(rs: fuac.RuleSet) -> None:
    ev = fuac.evaluate(rs, {"rural": True, "ok_a": True, "ok_b": True, "violation": True}, on=ON)
    assert ev.total == 10  # the score stands
    assert ev.grade is not None and ev.grade.zh == "合格"  # 优秀 capped at 合格
    assert [v.cap_tier for v in ev.vetoes if v.holds] == ["qualified"]


def test_cap_tier_must_be_a_grade() -> None:
    with pytest.raises(RulesetCheckError, match="cap_tier 'city' is not a grade id"):
        fuac.loads(HEAD.replace('cap_tier = "qualified"', 'cap_tier = "city"'), name="bad.toml")


def test_eligibility_refuses_a_plugin_check() -> None:
    text = (
        HEAD
        + """
[[eligibility]]
id = "e"
label = { zh = "条件", en = "Condition" }
clause = "…"
check = "whatever"
"""
    )
    with pytest.raises(RulesetError, match="a plugin 'check' is a veto check"):
        fuac.loads(text, name="elig.toml")


def test_target_on_a_boolean_indicator() -> None:
    text = (
        HEAD.replace('kind = "points"', 'kind = "targets"')
        .replace("total = 10\n", "")
        .replace("precision = 0.1\npass_mark = 6\n", "")
    )
    text = (
        text[: text.index("[[grades]]")]
        + """
[[sections]]
id = "T"
title = { zh = "目标", en = "Targets" }
[[sections.items]]
id = "t1"
kind = "target"
indicator = "ok_a"
comparator = "=="
value = true
year = 2024
"""
    )
    rs = fuac.loads(text, name="targets.toml")
    assert fuac.evaluate(rs, {"ok_a": True}, on=ON).item("t1").met is True
    assert fuac.evaluate(rs, {"ok_a": False}, on=ON).item("t1").met is False


def test_parameter_unit_must_match() -> None:
    mini = (Path(__file__).parent / "data" / "mini.toml").read_text(encoding="utf-8")
    bad = mini.replace('unit = "institutions"\nvalues', 'unit = "persons"\nvalues')
    assert bad != mini
    with pytest.raises(RulesetCheckError, match="parameter 'institutions_target' is in unit 'persons'"):
        fuac.loads(bad, name="mini-bad.toml")


def test_clamp_with_crossed_bounds_is_invalid_input_and_long_sums_are_fine() -> None:
    mini = (Path(__file__).parent / "data" / "mini.toml").read_text(encoding="utf-8")
    long_sum = " + ".join(["meetings"] * 60)
    text = mini.replace('condition = "has_doc and meetings >= 2"', f'condition = "clamp({long_sum}, 5, 1) > 0"')
    rs = fuac.loads(text, name="clamp.toml")
    ev = fuac.evaluate(rs, {"has_doc": True, "meetings": 1}, on=dt.date(2023, 6, 1))
    item = ev.item("7")
    assert item.status == "invalid_input" and "lower bound 5 is above the upper bound 1" in item.reason_en


def test_hook_implementations_receive_the_arguments_they_name() -> None:
    seen = {}

    class Plugin:
        @fuac.hookimpl
        def fuac_functions(self):  # names no argument: called with none
            return {"twice": lambda x: x * 2}

    eng = fuac.Engine(plugins=[Plugin()], load_entry_points=False)
    assert "twice" in eng.functions
    # a future argument reaches only the implementations that name it
    impls = eng._impls("fuac_functions", unused_future_argument=1)
    seen.update(dict(impls))
    assert any("twice" in r for r in seen.values())


def test_fuac_test_goes_on_past_an_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = Path(__file__).parent / "data" / "mini.test.toml"
    broken = tmp_path / "broken.test.toml"
    broken.write_text("ruleset = \n", encoding="utf-8")
    code = main(["test", str(broken), str(good)])
    out = capsys.readouterr()
    assert code == 1
    assert "ERROR" in out.err and "broken.test.toml" in out.err
    assert "1 file(s) unreadable" in out.out and " passed, 0 failed" in out.out


# ---------------------------------------------------------------------------
# what a veto does: passed, the grade it names, the grade it caps (issue #13, 9)

VETO_GRADES = HEAD.replace("[[sections]]", """
[indicators.fraud]
type = "boolean"
label = { zh = "弄虚作假", en = "Fraud" }
[indicators.accident]
type = "boolean"
label = { zh = "重大事故", en = "Major accident" }
[[grades]]
id = "failed"
label = { zh = "不合格", en = "Failed" }
min = 0

[[vetoes]]
id = "fraud"
label = { zh = "弄虚作假", en = "Fraud" }
clause = "弄虚作假的，直接定为不合格"
scope = "outcome"
grade = "failed"
condition = "fraud"

[[vetoes]]
id = "accident"
label = { zh = "重大事故", en = "Major accident" }
clause = "发生重大事故的，实行一票否决"
scope = "outcome"
condition = "accident"

[[sections]]""", 1)
FULL = {"rural": True, "ok_a": True, "ok_b": True, "violation": False, "fraud": False, "accident": False}
FULL_ENTRY = {"2": 6}


@pytest.mark.parametrize(("change", "grade", "passed", "vetoed"), [
    ({}, "excellent", True, False),  # 4 + 6 = 10: excellent, passed
    ({"violation": True}, "qualified", True, False),  # tier_cap: at most qualified; it does not veto
    ({"fraud": True}, "failed", False, True),  # 10 points, but 直接定为不合格: failed, not passed
    ({"accident": True}, None, False, True),  # vetoed, no grade named: none
    ({"fraud": True, "accident": True}, None, False, True),  # one of the two names none: none
    ({"accident": None}, None, None, False),  # the veto cannot be told: neither grade nor passed yet
    ({"fraud": True, "ok_b": None}, "failed", False, True),  # a veto decides even before every item is scored
])
def test_a_veto_decides_passed_and_the_grade(change: dict, grade: str | None, passed: bool | None,
                                             vetoed: bool) -> None:
    rs = fuac.loads(VETO_GRADES, name="veto-grades.toml")
    data = {k: v for k, v in {**FULL, **change}.items() if v is not None}
    ev = fuac.evaluate(rs, data, on=ON, assessments=FULL_ENTRY)
    assert ev.total == 10 or "ok_b" in change
    assert (None if ev.grade is None else ev.grade.en.lower()) == grade
    assert (ev.passed, ev.vetoed) == (passed, vetoed)
    res = fuac.evaluate_many(rs, [data], on=ON, assessments={"2": [6]})
    assert res.column("passed").tolist() == [passed]
    assert res.column("grade").tolist() == [None if grade is None else next(
        g.id for g in rs.doc.grades if g.label.en.lower() == grade)]


def test_a_vetos_reason_says_what_it_does() -> None:
    rs = fuac.loads(VETO_GRADES, name="veto-grades.toml")
    ev = fuac.evaluate(rs, {**FULL, "violation": True, "fraud": True, "accident": True}, on=ON,
                       assessments=FULL_ENTRY)
    said = {v.id: (v.reason_zh, v.reason_en) for v in ev.vetoes}
    assert said == {
        "cap": ("违规降级：已发生，等次最高为合格。",
                "Violation caps the grade: occurred; the grade is at most Qualified."),
        "fraud": ("弄虚作假：已发生，一票否决，定为不合格。", "Fraud: occurred, veto; graded Failed."),
        "accident": ("重大事故：已发生，一票否决。", "Major accident: occurred, veto."),
    }


@pytest.mark.parametrize(("veto", "said"), [
    ('scope = "tier_cap"\ncap_tier = "qualified"\ngrade = "failed"',
     "veto 'x' of scope 'tier_cap': 'grade' is the grade a vetoed unit gets; it belongs to a veto with scope "
     '"outcome", "eligibility" or "cascade" (a tier_cap veto has \'cap_tier\')'),
    ('scope = "outcome"\ngrade = "best"', "grade 'best' is not a grade id (grades: excellent, qualified, failed)"),
])
def test_a_vetos_grade_is_checked_at_load(veto: str, said: str) -> None:
    text = VETO_GRADES.replace("[[sections]]", f"""
[[vetoes]]
id = "x"
label = {{ zh = "某", en = "X" }}
clause = "某"
condition = "fraud"
{veto}

[[sections]]""", 1)
    lines = text.splitlines()
    start = lines.index('id = "x"')
    line = next(k for k in range(start, len(lines)) if lines[k].startswith("grade = ")) + 1
    with pytest.raises(RulesetError) as info:
        fuac.loads(text, name="veto-grades.toml")
    assert str(info.value).startswith(f"veto-grades.toml:{line}: [x] {said}")
