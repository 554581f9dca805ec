"""Each rule kind is the one place that knows how to recover its lost points (``Rule.recovery``):
the rectification list lists the changes a kind proposes, checked by re-evaluating the unit,
for a plugin's kind exactly as for a built-in one."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import fuac
from fuac.kinds.recovery import Facts, Plan
from test_plugins import engine, plugin

FIVE = Decimal(5)


class AtLeastFive(fuac.Rule):
    """3 points when indicator ``n`` is at least 5, else none."""

    kind = "at_least_five"

    class Params(fuac.Model):
        pass

    def __init__(self, rule_id: str, params: Any, ctx: Any) -> None:
        super().__init__(rule_id, params, ctx)
        self.max_points = Decimal(3)
        self.reads = frozenset({"n"})

    def score(self, inputs: Any) -> fuac.Outcome:
        ok = inputs.values["n"] >= FIVE
        return fuac.Outcome(Decimal(3) if ok else Decimal(0), "scored", "n≥5", "n≥5", met=ok)

    def recovery(self, facts: Facts) -> list[Plan]:
        if facts.values.get("n") is None or facts.values["n"] >= FIVE:
            return []
        return [Plan({"n": FIVE}, {"n": (">=", FIVE, None)})]


class Silent(AtLeastFive):
    """The same scoring, proposing nothing (the default ``recovery``)."""

    kind = "at_least_five_silent"
    recovery = fuac.Rule.recovery


def rules(kind: str) -> str:
    return f"""
[scheme]
id = "five"
version = "1"
kind = "points"
title = {{ zh = "五", en = "Five" }}
issuer = {{ zh = "测试", en = "Test" }}
issued = 2024-01-01
valid_from = 2024-01-01
total = 3
precision = 1
jurisdiction = [{{ code = "450204", level = "county" }}]

[indicators.n]
type = "integer"
unit = "count"
min = 0
label = {{ zh = "数量", en = "Number" }}

[[sections]]
id = "s"
title = {{ zh = "一", en = "One" }}
max = 3

[[sections.items]]
id = "1"
label = {{ zh = "至少五个", en = "At least five" }}
max = 3
kind = "{kind}"
"""


def test_a_plugin_kinds_recovery_is_the_change_listed() -> None:
    rs = engine(plugin("five_pkg", fuac_rule_kinds=[AtLeastFive])).load_text(rules("at_least_five"), name="five.toml")
    ev = fuac.evaluate(rs, {"n": 2})
    # by hand: n = 2 < 5 gives 0 of 3. The kind proposes n = 5; re-evaluated, 5 >= 5 gives 3,
    # so the total goes from 0 to 3: the gap recovers 3 points, and the item gets its full 3
    # (verified). One step back (a count: step 1) is n = 4, which gives 0: the change is minimal.
    # The words: 2 → 5 is 3 more of a counted unit ("增加3" / "3 more"); the goal (>= 5) is met
    # exactly by the new value, so no "must be" note is added.
    assert ev.total == Decimal(0)
    gaps = ev.gaps(rs)
    assert [(g.item, g.rule_kind, g.points, g.max, g.recoverable, g.verified, g.minimal) for g in gaps.changes] == [
        ("1", "at_least_five", Decimal(0), Decimal(3), Decimal(3), True, True)
    ]
    (gap,) = gaps.changes
    assert [(c.field, c.before, c.after, c.goal) for c in gap.changes] == [("n", Decimal(2), FIVE, (">=", FIVE, None))]
    assert (gap.action_zh, gap.action_en) == ("数量 2 → 5（增加3）", "Number: 2 → 5 (3 more)")
    assert gaps.recoverable == Decimal(3)
    assert not gaps.unresolved


def test_a_kind_that_proposes_nothing_has_no_automatic_suggestion() -> None:
    rs = engine(plugin("silent_pkg", fuac_rule_kinds=[Silent])).load_text(rules("at_least_five_silent"),
                                                                            name="five.toml")
    gaps = fuac.evaluate(rs, {"n": 2}).gaps(rs)
    # the default recovery proposes nothing: the lost 3 points are unresolved, not a change
    assert not gaps.changes
    assert [(g.item, g.rule_kind, g.recoverable, g.changes) for g in gaps.unresolved] == [
        ("1", "at_least_five_silent", None, [])
    ]
    assert gaps.unresolved[0].action_en.startswith("no automatic suggestion for this at_least_five_silent rule")


def test_a_veto_written_as_tests_is_lifted_by_its_cheapest_test() -> None:
    # vetoed when x > 3 and y < 5: with x = 4, y = 2, making x ≤ 3 moves x by 1 of 4 (a quarter),
    # making y ≥ 5 moves y by 3 of 2: the list asks for x 4 → 3
    from test_vector import ONE_RULE

    text = ONE_RULE.replace("[[sections]]", '[indicators.y]\ntype = "decimal"\nunit = "percent"\n'
                                            'label = {{ zh = "比", en = "Ratio" }}\n\n[[sections]]') + """
[[sections.items]]
id = "2"
kind = "veto"
scope = "outcome"
label = {{ zh = "双高", en = "Both high" }}
tests = [{{ indicator = "x", comparator = ">", threshold = 3, unit = "percent" }},
         {{ indicator = "y", comparator = "<", threshold = 5, unit = "percent" }}]
"""
    rs = fuac.loads(text.format(rule='kind = "all_or_nothing"\npoints = 1\ncondition = "x > 1"'))
    ev = fuac.evaluate(rs, {"x": 4, "y": 2})
    assert ev.vetoed is True
    (gap,) = ev.gaps(rs).blockers
    assert (gap.item, [(c.field, c.before, c.after) for c in gap.changes]) == ("2", [("x", 4, 3)])
    assert (gap.action_zh, gap.action_en) == (
        "［一票否决］双高：须消除（值 4% → 3%（降低1个百分点））",
        "[outcome] Both high: lift it (Value: 4% → 3% (−1 percentage points))")


def test_bands_describe_themselves_band_by_band() -> None:
    # batch-kinds item 2: ≥ 95 → 3, ≥ 90.5 → 2, > 80 → 1.5, else 0 (as the scheme page prints it)
    from pathlib import Path

    rs = fuac.load(Path(__file__).parent / "data" / "batch-kinds.toml")
    rule = rs.plan(None).items["2"].rule
    assert rule is not None and rule.describe() == (
        "按比率（`rate`）分档（取第一个满足的档次）：≥ 95% 得3分；≥ 90.5% 得2分；> 80% 得1.5分；其余得0分。",
        "Banded on Rate (`rate`) (the first band that holds): ≥ 95%: 3 points; ≥ 90.5%: 2 points; > 80%: "
        "1.5 points; otherwise 0 points.")


def test_lifting_a_strict_test_steps_by_the_thresholds_own_decimals() -> None:
    # vetoed when x ≥ 3.25: lifting it needs x < 3.25, one step of the threshold's finest decimal below: 3.24
    from test_vector import ONE_RULE

    text = ONE_RULE + """
[[sections.items]]
id = "2"
kind = "veto"
scope = "outcome"
label = {{ zh = "过高", en = "Too high" }}
tests = [{{ indicator = "x", comparator = ">=", threshold = 3.25, unit = "percent" }}]
"""
    rs = fuac.loads(text.format(rule='kind = "all_or_nothing"\npoints = 1\ncondition = "x > 1"'))
    ev = fuac.evaluate(rs, {"x": 4})
    (gap,) = ev.gaps(rs).blockers
    assert [(c.field, c.before, c.after) for c in gap.changes] == [("x", 4, Decimal("3.24"))]


def test_a_band_written_with_not_equal_is_reached_one_step_away() -> None:
    # 1 point when x ≠ 0: at x = 0 the list asks for one step of x's resolution (0.1) away
    from test_vector import ONE_RULE

    rule = ('kind = "bands"\nindicator = "x"\nunit = "percent"\n'
            'bands = [{ comparator = "!=", threshold = 0, points = 1 }]\notherwise = 0')
    rs = fuac.loads(ONE_RULE.format(rule=rule))
    ev = fuac.evaluate(rs, {"x": 0})
    (gap,) = ev.gaps(rs)
    assert (gap.item, gap.recoverable, [(c.field, c.before, c.after) for c in gap.changes]) == (
        "1", 1, [("x", 0, Decimal("0.1"))])


def test_a_target_no_value_in_range_meets_is_listed_with_no_suggestion() -> None:
    from test_modes import THIRDS

    # targets x ≥ 10, ≥ 20 and (rewritten) > 100 on a rate of at most 100 %: at 15 the second is
    # met at 20; no rate meets the third, so it is listed with no change rather than a wrong one
    rs = fuac.loads(THIRDS.replace('comparator = ">="\nvalue = 30', 'comparator = ">"\nvalue = 100'))
    gs = fuac.evaluate(rs, {"x": 15}).gaps(rs)
    assert [(g.item, [(c.field, c.after) for c in g.changes], g.verified) for g in gs] == [
        ("g2", [("x", Decimal(20))], True), ("g3", [], False)]


def test_a_veto_on_a_grade_is_lifted_by_the_first_other_grade() -> None:
    # vetoed when the appraisal grade is 不合格: lifting it needs any other grade; the list proposes the
    # first of the choices that is not 不合格 (合格), and re-evaluating with it lifts the veto
    from test_vector import ONE_RULE

    grade = ('[indicators.grade]\ntype = "choice"\nchoices = ["合格", "基本合格", "不合格"]\n'
             'label = {{ zh = "考核等次", en = "Appraisal grade" }}\n\n[[sections]]')
    text = ONE_RULE.replace("[[sections]]", grade) + """
[[sections.items]]
id = "2"
kind = "veto"
scope = "outcome"
label = {{ zh = "考核不合格", en = "Appraisal failed" }}
tests = [{{ indicator = "grade", comparator = "==", threshold = "不合格" }}]
"""
    rs = fuac.loads(text.format(rule='kind = "all_or_nothing"\npoints = 1\ncondition = "x > 1"'))
    ev = fuac.evaluate(rs, {"x": 4, "grade": "不合格"})
    assert ev.vetoed is True
    (gap,) = ev.gaps(rs).blockers
    assert ([(c.field, c.before, c.after) for c in gap.changes], gap.verified) == ([("grade", "不合格", "合格")], True)
    assert (gap.action_zh, gap.action_en) == (
        "［一票否决］考核不合格：须消除（考核等次：不合格 → 合格）",
        "[outcome] Appraisal failed: lift it (Appraisal grade: 不合格 → 合格)")
    assert fuac.evaluate(rs, {"x": 4, "grade": "合格"}).vetoed is False
