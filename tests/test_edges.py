"""Edges that the hand cases of the built-in rule sets do not reach, each worked out by hand: a region
code exactly as long as its region's, units at the top level of the country's divisions, a count
against a fractional target, and advice as fine as the value a unit reported."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import fuac

DATA = Path(__file__).parent / "data"
ON = "2023-05-01"


def test_a_unit_coded_as_its_city_counts_in_that_citys_mean() -> None:
    # cohort.toml averages places over each city (the code's first 4 digits), weighted by population.
    # A unit coded "4501" (the city's own code, 4 digits) is in city 4501; a unit coded "450" is in none
    units = [{"code": "450102", "population": 100, "places": 2, "enrolment": 10},
             {"code": "4501", "population": 300, "places": 4, "enrolment": 10},
             {"code": "450", "population": 50, "places": 9, "enrolment": 10}]
    res = fuac.evaluate_many(DATA / "cohort.toml", units, tier="county", on=ON)
    # (2 × 100 + 4 × 300) / 400 = 3.5, over the two units of 4501
    assert res.column("cohort.places_avg", exact=True).tolist() == [Decimal("3.5"), Decimal("3.5"), None]
    assert res.column("cohort.places_avg.region").tolist() == ["4501", "4501", None]
    assert res.column("cohort.places_avg.size").tolist() == [2, 2, 0]  # the third is in no cohort


def test_a_unit_in_no_cohort_scored_one_by_one_misses_its_cohort_values() -> None:
    # the unit coded "450" is in no city; a value finer than fixed point sends the rules that read it
    # to the single-unit path, where its cohort values are missing exactly as in the batch: items 1
    # and 2 cannot be scored
    units = [{"code": "450102", "population": 100, "places": 2, "enrolment": 10},
             {"code": "450", "population": 50, "places": Decimal("9.0000000000000000001"), "enrolment": 10}]
    res = fuac.evaluate_many(DATA / "cohort.toml", units, tier="county", on=ON)
    assert res.backend_report["rows_single_unit"] == 0
    ev = res.evaluation(1)
    assert [(p.field, p.code) for p in ev.problems] == [("places_avg", "missing"), ("enrolment_avg", "missing")]
    assert res.column("item.1.status").tolist() == ["scored", "missing_input"]
    assert res.column("item.2.status").tolist() == ["scored", "missing_input"]


PROVINCES = """
[scheme]
id = "provinces"
version = "1"
kind = "points"
title = { zh = "各省", en = "Provinces" }
issuer = { zh = "测试", en = "Test" }
issued = 2023-01-01
valid_from = 2023-01-01
total = 10
precision = 0.1
jurisdiction = [{ code = "45", level = "province" }]

[indicators.score]
type = "decimal"
unit = "points"
min = 0
max = 10
label = { zh = "得分", en = "Score" }

[[sections]]
id = "S"
title = { zh = "得分", en = "Score" }
max = 10

[[sections.items]]
id = "pts"
max = 10
kind = "formula"
expression = "score"
max_points = 10
min_points = 0

[[quotas]]
id = "one_each"
label = { zh = "每个1个", en = "One each" }
clause = "每个推荐1个"
kind = "count_per_parent"
per = "year"
count = 1
"""


def test_units_at_the_top_level_are_each_their_own_parent() -> None:
    # the rule set has no tiers: its units are at its jurisdiction's level, provinces. A per-parent
    # quota without a parent level counts within the level above the units', and there is none above
    # a province: each province is its own parent, and may name one (its best)
    rs = fuac.loads(PROVINCES)
    units = [{"code": "450000", "name": "a", "score": 9}, {"code": "450000", "name": "b", "score": 8},
             {"code": "440000", "name": "c", "score": 7}]
    sel = fuac.evaluate_many(rs, units, on=ON).select(quotas=["one_each"])
    assert [(p.unit, p.region, p.selected) for p in sorted(sel.picks, key=lambda p: p.unit)] == [
        ("a", "45", True), ("b", "45", False), ("c", "44", True)]
    assert sel.quotas[0].caps == {"45": 1, "44": 1}


def test_a_count_short_of_a_fractional_target_is_advised_the_next_whole_number() -> None:
    # mini.toml's item 4, made a threshold: 4 points for at least 2.5 registered institutions. A count
    # cannot meet a target between two whole numbers exactly: from 2 the advice is 3, not 2.5
    text = (DATA / "mini.toml").read_text(encoding="utf-8")
    start = text.index('[[sections.items]]\nid = "4"')
    end = text.index("[[sections.items]]", start + 10)
    item = text[start:end]
    threshold = ('[[sections.items]]\nid = "4"\nmax = 4\nkind = "threshold"\npoints = 4\nindicator = "institutions"\n'
                 'comparator = ">="\nthreshold = 2.5\nunit = "institutions"\n\n')
    rs = fuac.loads(text.replace(item, threshold).replace('id = "mini"', 'id = "mini-fraction"'))
    ev = fuac.evaluate(rs, {"institutions": 2}, on=fuac.run.inputs.as_date(ON))
    (gap,) = [g for g in ev.gaps(rs).changes if g.item == "4"]
    assert [(c.field, c.before, c.after) for c in gap.changes] == [("institutions", 2, 3)]


class _Facts:
    def __init__(self, rs: fuac.RuleSet, values: dict) -> None:
        self.values, self.params, self.indicators = values, {}, rs.doc.indicators

    def solve(self, expr: object, want: bool) -> None:
        return None


def test_a_band_above_a_value_is_reached_at_the_finest_step_the_unit_wrote() -> None:
    # batch-kinds' item 2: ≥ 95 gives 3 points, ≥ 90.5 gives 2, > 80 gives 1.5. From 79.95 (two
    # decimals) the bands are reached at 95, at 90.5, and one step of 0.01 past 80: 80.01 (not 80.1,
    # the step of the thresholds alone)
    rs = fuac.load(DATA / "batch-kinds.toml")
    rule = rs.plan(None).items["2"].rule
    plans = rule.recovery(_Facts(rs, {"rate": Decimal("79.95")}))
    assert [p.values for p in plans] == [{"rate": 95}, {"rate": Decimal("90.5")}, {"rate": Decimal("80.01")}]
    # from 79.9, the step is 0.1: 80.1
    assert rule.recovery(_Facts(rs, {"rate": Decimal("79.9")}))[-1].values == {"rate": Decimal("80.1")}


def test_a_bonus_item_of_parts_is_capped_as_bonus() -> None:
    # bonus.toml with its two honours as the parts of one bonus item (national 2, provincial 1.5).
    # By hand: rate 80 gives 8, no complaint 2: 10 of base; the bonus is 2 + 1.5 + 1 (practice
    # promoted) = 4.5, capped at the scheme's 3: total 13
    text = (DATA / "bonus.toml").read_text(encoding="utf-8")
    start = text.index('[[sections.items]]\nid = "b1"')
    end = text.index("[[sections]]", start)
    parts = ('[[sections.items]]\nid = "b1"\nbonus = true\nmax = 3.5\n\n'
             '[[sections.items.parts]]\nid = "a"\nkind = "all_or_nothing"\npoints = 2\ncondition = "national"\n\n'
             '[[sections.items.parts]]\nid = "b"\nkind = "all_or_nothing"\npoints = 1.5\ncondition = "provincial"\n\n')
    rs = fuac.loads(text[:start] + parts + text[end:])
    unit = {"rate": 80, "complaints": 0, "national": True, "provincial": True, "reported": True}
    ev = fuac.evaluate(rs, unit, on=fuac.run.inputs.as_date(ON))
    assert (ev.item("b1").bonus, ev.item("b1").points, ev.total) == (True, Decimal("3.5"), 13)
    for backend in ("python", "vector"):
        res = fuac.evaluate_many(rs, [unit], on=ON, backend=backend)
        assert res.column("total_exact", exact=True).tolist() == [13]


CEILING = """
[scheme]
id = "ceiling"
version = "1"
kind = "points"
title = { zh = "上限", en = "Ceiling" }
issuer = { zh = "测试", en = "Test" }
issued = 2023-01-01
valid_from = 2023-01-01
total = 2
precision = 0.1
jurisdiction = [{ code = "45", level = "province" }]

[indicators.a]
type = "decimal"
unit = "per_100k"
label = { zh = "甲率", en = "Rate A" }

[indicators.b]
type = "decimal"
unit = "per_100k"
label = { zh = "乙率", en = "Rate B" }

[[sections]]
id = "S"
title = { zh = "控制", en = "Control" }
max = 2

[[sections.items]]
id = "1"
max = 2
kind = "shortfall"
points = 2
indicators = ["a", "b"]
comparator = "<="
target = 10
unit = "per_100k"
step = 0.5
cost = 0.4
partial = "floor"
floor = "part"
"""


def test_advice_above_a_ceiling_moves_only_the_values_that_cost_points() -> None:
    # ≤ 10, 0.4 taken per full 0.5 above it. a = 11.2 is 1.2 above: 2 full steps, 0.8 taken. b = 10.3
    # is less than one step above: it costs nothing. The advice moves a to just under one step above
    # (10 + 0.5 − 0.1, at a's own step of 0.1): 10.4, where it costs nothing either; b is left alone
    rs = fuac.loads(CEILING)
    ev = fuac.evaluate(rs, {"a": Decimal("11.2"), "b": Decimal("10.3")}, on=fuac.run.inputs.as_date(ON))
    assert ev.item("1").points == Decimal("1.2")
    assert ev.item("1").reason_zh == ("甲率 11.2/10万，高于 10/10万 1.2/10万，计2档，扣0.8分；"
                                      "乙率 10.3/10万，高于 10/10万 0.3/10万，计0档，扣0分，得1.2分。")
    assert ev.item("1").reason_en == ("Rate A 11.2 per 100,000, 1.2 per 100,000 above 10 per 100,000: 2 steps, 0.8 "
                                      "taken; Rate B 10.3 per 100,000, 0.3 per 100,000 above 10 per 100,000: 0 steps, "
                                      "0 taken: 1.2 points.")
    plans = rs.plan(None).items["1"].rule.recovery(_Facts(rs, {"a": Decimal("11.2"), "b": Decimal("10.3")}))
    assert [p.values for p in plans] == [{"a": Decimal("10.4")}]


def test_a_dated_parameter_is_described_with_each_of_its_values() -> None:
    # mini.toml's item 4 reads its target from a parameter: 8 from 2023-01-01, 10 from 2024-01-01
    rule = fuac.load(DATA / "mini.toml").plan(None).items["4"].rule
    zh, en = rule.describe()
    assert "参数 备案托育机构目标数（`institutions_target`：2023-01-01起 8家；2024-01-01起 10家）" in zh
    assert ("parameter Target number of registered institutions (`institutions_target`: 8 institutions from "
            "2023-01-01; 10 institutions from 2024-01-01)") in en


def test_a_count_quota_keeps_its_clause() -> None:
    from fuac.lifecycle import quota_count

    q = quota_count("wuhan-2017", "district_streets")
    (doc,) = [x for x in fuac.load("wuhan-2017").doc.quotas if x.id == "district_streets"]
    assert (q.quota_kind, q.count, q.clause) == ("count_per_parent", 2, doc.clause)
    assert q.clause.startswith("每个区")  # the clause the count comes from, as the document writes it


def test_a_weighted_mean_past_a_floats_53_bits_is_exact() -> None:
    # 1234.5678 × 10^9 is 1.2 × 10^16 at 4 decimals: more than a float's 53 bits hold. By hand:
    # (1234.5678 × 1,000,000,000 + 1.0001 × 3) / 1,000,000,003, to 34 digits
    units = [{"code": "450102", "population": 10**9, "places": Decimal("1234.5678"), "enrolment": 10},
             {"code": "450103", "population": 3, "places": Decimal("1.0001"), "enrolment": 10}]
    res = fuac.evaluate_many(DATA / "cohort.toml", units, tier="county", on=ON)
    want = Decimal("1234.567796299296911102109266693672")
    assert res.column("cohort.places_avg", exact=True).tolist() == [want, want]


def test_values_written_with_an_exponent_are_averaged_as_written() -> None:
    # 1E+1 is 10 and 2E+1 is 20: the weighted mean of 10 and 3 (weights 2, 2) is 6.5; the mean of
    # the enrolment rates 10 and 20 is 15, kept to its precision of 0.01
    units = [{"code": "450102", "population": 2, "places": Decimal("1E+1"), "enrolment": Decimal("1E+1")},
             {"code": "450103", "population": 2, "places": Decimal(3), "enrolment": Decimal("2E+1")}]
    res = fuac.evaluate_many(DATA / "cohort.toml", units, tier="county", on=ON)
    assert res.column("cohort.places_avg", exact=True).tolist() == [Decimal("6.5")] * 2
    assert res.column("cohort.enrolment_avg", exact=True).tolist() == [Decimal("15.00")] * 2


def test_advice_against_a_reference_that_is_missing_is_none() -> None:
    # mini.toml's item 5: places above the regional average. Without the average there is no value
    # to reach: no advice (and no guess); with it, one step of 0.1 above it
    rule = fuac.load(DATA / "mini.toml").plan(None).items["5"].rule
    rs = fuac.load(DATA / "mini.toml")
    assert rule.recovery(_Facts(rs, {"places": Decimal("2.5")})) == []
    (plan,) = rule.recovery(_Facts(rs, {"places": Decimal("2.5"), "places_avg": Decimal("3.0")}))
    assert plan.values == {"places": Decimal("3.1")}


def test_a_deduction_points_out_the_first_step_that_recovers_something() -> None:
    # bonus.toml's item 2: 2 points less 1 per complaint, stopping at zero. With 3 complaints it gives
    # 0: all 3 removed recover 2 points, and already down to 1 complaint recovers 1 (2 − 1). With 2
    # complaints, 1 is one step away from 2, so no smaller first step is named
    rs = fuac.load(DATA / "bonus.toml")
    rule = rs.plan(None).items["2"].rule
    (plan,) = rule.recovery(_Facts(rs, {"complaints": 3}))
    assert (plan.values, plan.first) == ({"complaints": 0}, {"complaints": 1})
    (plan,) = rule.recovery(_Facts(rs, {"complaints": 2}))
    assert (plan.values, plan.first) == ({"complaints": 0}, None)


def test_a_cap_by_the_number_of_units_names_its_quota_and_clause() -> None:
    from fuac.lifecycle import recommendation_cap

    # Guangdong: a city of 5 counties (more than 4, at most 8) may recommend 2
    q = recommendation_cap("guangdong-2020", "city_recommendation", 5)
    (doc,) = [x for x in fuac.load("guangdong-2020").doc.quotas if x.id == "city_recommendation"]
    assert (q.quota_id, q.quota_kind, q.count, q.clause) == ("city_recommendation", "by_parent_count", 2, doc.clause)


def test_an_entry_under_a_key_no_item_takes_is_a_warning_in_both_languages() -> None:
    ev = fuac.evaluate(DATA / "mini.toml", {}, assessments={"99": 3}, on=fuac.run.inputs.as_date(ON))
    (p,) = [p for p in ev.problems if p.field == "assessments.99"]
    assert (p.code, p.severity, p.message, p.message_zh) == (
        "unknown_field", "warning", "no item or part of this tier takes an assessor's entry under this key; ignored",
        "本层级没有以此为键、需评估人评分的项目；已忽略")


def test_a_conditions_result_carries_its_clause_decided_or_not() -> None:
    # Wuhan's vetoes and a street's eligibility conditions, each with the clause the document writes
    rs = fuac.load("wuhan-2017")
    clauses = {c.id: c.clause for c in [*rs.doc.vetoes, *rs.doc.eligibility]}
    no = {n: False for n, ind in rs.doc.indicators.items() if ind.type == "boolean"}
    for data in ({}, no):  # every input missing (undecided), every yes/no answer no (decided)
        ev = fuac.evaluate(rs, data, tier="street", on=fuac.run.inputs.as_date("2017-06-01"))
        results = [*ev.vetoes, *ev.eligibility]
        assert ev.vetoes and ev.eligibility and all(c.clause for c in results)
        assert all(c.clause == clauses[c.id] for c in results)


def test_a_yes_no_test_is_described_as_yes_or_no() -> None:
    boolean = '[indicators.f]\ntype = "boolean"\nlabel = { zh = "有方案", en = "Plan" }\n\n'
    text = CEILING.replace("[[sections]]", boolean + "[[sections]]", 1)
    item = text[text.index("[[sections.items]]"):]
    for threshold, comparator, zh, en in ((True, "==", "有方案（`f`）为“是”", "Plan (`f`) is yes"),
                                          (False, "==", "有方案（`f`）为“否”", "Plan (`f`) is no"),
                                          (True, "!=", "有方案（`f`）为“否”", "Plan (`f`) is no")):
        rule = ('[[sections.items]]\nid = "1"\nmax = 2\nkind = "all_or_nothing"\npoints = 2\n'
                f'[[sections.items.tests]]\nindicator = "f"\ncomparator = "{comparator}"\n'
                f"threshold = {str(threshold).lower()}\n")
        rs = fuac.loads(text.replace(item, rule))
        dz, de = rs.plan(None).items["1"].rule.describe()
        assert zh in dz and en in de, (dz, de)


CHECKLIST_PARTS = """[scheme]
id = "cl"
version = "1"
kind = "checklist"
title = { zh = "清单", en = "Checklist" }
issuer = { zh = "测试", en = "Test" }
issued = 2023-01-01
valid_from = 2023-01-01
jurisdiction = [{ code = "45", level = "province" }]

[indicators.x]
type = "decimal"
unit = "percent"
label = { zh = "值", en = "Value" }

[[sections]]
id = "A"
title = { zh = "甲", en = "A" }

[[sections.items]]
id = "1"
label = { zh = "两部分", en = "Two parts" }

[[sections.items.parts]]
id = "a"
kind = "discretionary"
points = 2
min = 0

[[sections.items.parts]]
id = "b"
kind = "discretionary"
points = 3
min = 0
"""


def test_an_item_without_a_maximum_counts_whichever_parts_are_scored() -> None:
    # a checklist's item of two parts an assessor scores (up to 2 and up to 3): with only the first
    # entered it has 2, with only the second 1, with neither no points; in both backends
    rs = fuac.loads(CHECKLIST_PARTS)
    recs = [{"x": 1, "assessments.1.a": 2}, {"x": 1, "assessments.1.b": 1}, {"x": 1}]
    for backend in ("python", "vector"):
        res = fuac.evaluate_many(rs, recs, on=ON, backend=backend)
        assert res.column("item.1", exact=True).tolist() == [2, 1, None], backend
        assert res.column("item.1.status").tolist() == ["awaiting_assessor"] * 3


def test_a_part_without_points_before_scored_parts_counts_nothing() -> None:
    # the same item with a requirement (x ≥ 1, no points) as its first part: the parts after it
    # still count, whether the requirement holds or not
    rs = fuac.loads(CHECKLIST_PARTS.replace('[[sections.items.parts]]\nid = "a"',
                                            '[[sections.items.parts]]\nid = "r"\nkind = "requirement"\n'
                                            'condition = "x >= 1"\n\n[[sections.items.parts]]\nid = "a"'))
    recs = [{"x": 1, "assessments.1.a": 2}, {"x": 0, "assessments.1.b": 1}, {"x": 1}]
    for backend in ("python", "vector"):
        res = fuac.evaluate_many(rs, recs, on=ON, backend=backend)
        assert res.column("item.1", exact=True).tolist() == [2, 1, None], backend
        assert res.backend_report["fallback"] == {}


def test_a_voided_item_without_a_maximum_leaves_unscored_rows_without_points() -> None:
    # the same item, void when x = 0: a voided unit has no points (no maximum to score 0 of); a unit
    # not yet scored by the assessor has none either; a scored one has its 2
    rs = fuac.loads(CHECKLIST_PARTS.replace('label = { zh = "两部分", en = "Two parts" }',
                                            'label = { zh = "两部分", en = "Two parts" }\nnumber = "①"\n'
                                            'void_when = "x == 0"'))
    recs = [{"x": 0, "assessments.1.a": 2}, {"x": 1}, {"x": 1, "assessments.1.a": 2}]
    voided = fuac.evaluate(rs, recs[0], on=ON).item("1")
    assert (voided.number, voided.status, voided.points) == ("①", "voided", None)  # still numbered as printed
    for backend in ("python", "vector"):
        res = fuac.evaluate_many(rs, recs, on=ON, backend=backend)
        assert res.column("item.1", exact=True).tolist() == [None, None, 2], backend
        assert res.column("item.1.status").tolist() == ["voided", "awaiting_assessor", "awaiting_assessor"]


def test_an_assessors_entry_is_rescaled_to_points_finer_than_the_batch_input() -> None:
    # a discretionary item worth 2.00005 points (5 decimals, finer than the batch's 4 for inputs): an
    # entry of 1.5 and one of 2.00005 are kept exactly, in one unit and both backends
    from test_vector import ONE_RULE

    rule = 'kind = "discretionary"\npoints = 2.00005\nmin = 0'
    text = ONE_RULE.replace("total = 1\n", "total = 2.00005\n").replace("max = 1\n", "max = 2.00005\n")
    text = text.replace("precision = 0.1", "precision = 0.00001")
    rs = fuac.loads(text.format(rule=rule))
    recs = [{"x": 1, "assessments.1": Decimal("1.5")}, {"x": 1, "assessments.1": Decimal("2.00005")}, {"x": 1}]
    for backend in ("python", "vector"):
        res = fuac.evaluate_many(rs, recs, on=ON, backend=backend)
        assert res.column("item.1", exact=True).tolist() == [Decimal("1.5"), Decimal("2.00005"), None], backend
        assert res.column("item.1.met").tolist() == [False, True, None], backend


def test_a_shortfalls_worst_loss_is_bounded_exactly_at_the_fixed_point_limit() -> None:
    # One shortfall, x ≥ 0, 1 point per whole step below, floor: at most (bound of x ÷ 1 + 1) steps
    # are taken, each costing 1. Points are kept in tenths (precision 0.1), so the batch computes in
    # fixed point while (P + x + 1) × 10 < 2^62: with x = 1, P = ⌊(2^62 − 1) / 10⌋ − 2 is the largest
    # such P, and one point more sends the rows to the exact path (the same scores, a note in the report).
    from test_vector import ONE_RULE
    largest = ((1 << 62) - 1) // 10 - 2
    assert largest == 461168601842738788
    for p, fixed in ((largest, True), (largest + 1, False)):
        rule = (f'kind = "shortfall"\nindicators = ["x"]\nunit = "percent"\nfloor = "part"\ncomparator = ">="\n'
                f'target = 0\nstep = 1\ncost = 1\npoints = {p}\npartial = "floor"')
        text = ONE_RULE.format(rule=rule)
        rs = fuac.loads(text.replace("total = 1", f"total = {p}").replace("max = 1", f"max = {p}"))
        res = fuac.evaluate_many(rs, [{"x": 1}], on=ON)
        assert res.column("item.1", exact=True).tolist() == [Decimal(p)]  # x = 1 is not below 0: nothing taken
        assert res.backend_report["runtime_fallback"] == (
            {} if fixed else {"1": {"chunks": 1, "why": "numbers too large for exact fixed point"}})


def test_a_cap_of_one_band_for_any_number_of_units_says_so() -> None:
    from fuac.lifecycle import quota_count, recommendation_cap

    # Guangdong's city quota rewritten as one band without a bound: a city of 7 counties may recommend 2
    rs = fuac.compose("guangdong-2020", {"scheme": {"id": "gd-any"},
                                          "quotas": [{"id": "city_recommendation", "bands": [{"count": 2}]}]})
    q = recommendation_cap(rs, "city_recommendation", 7)
    assert (q.quota_kind, q.count, q.reason.zh, q.reason.en) == (
        "by_parent_count", 2, "所辖7个，属“任意数量”档，可推荐2个。",
        "7 units, in the band for any number of units: may recommend 2.")
    # a share's kind is named as the rule set writes it: 15 % of 114 units, floored, is 17
    share = quota_count("guangdong-2020", "named_share", 114)
    assert (share.quota_kind, share.count) == ("share", 17)


def test_the_points_of_a_rule_set_are_kept_in_32_bits_up_to_the_last_value_that_fits() -> None:
    # points are kept in tenths (precision 0.1), in int32 while every magnitude a unit can reach is
    # below 2^31 − 2 tenths (the values beyond are kept for the null marker): 214,748,364.5 points
    # (2^31 − 3 tenths) fit, one tenth more needs int64; the scores are the same either way
    from test_vector import ONE_RULE

    for top, dtype in (("214748364.5", "int32"), ("214748364.6", "int64")):
        text = ONE_RULE.replace("total = 1\n", f"total = {top}\n").replace("max = 1\n", f"max = {top}\n")
        rs = fuac.loads(text.format(rule=f'kind = "all_or_nothing"\npoints = {top}\ncondition = "x > 1"'))
        res = fuac.evaluate_many(rs, [{"x": 2}, {"x": 1}], on=ON)
        assert res.backend_report["points_dtype"] == dtype
        assert res.column("total_exact", exact=True).tolist() == [Decimal(top), 0]


def test_a_threshold_is_described_with_its_unit() -> None:
    # liunan-2023 item 23: maternal mortality at most 16.5 per 100,000 gives 2 points
    rule = fuac.load("liunan-2023").plan(None).items["23"].rule
    assert rule is not None and rule.describe() == (
        "孕产妇死亡率（`maternal_mortality_ratio`） ≤ 16.5/10万得2分，否则不得分。",
        "2 points when Maternal mortality ratio (`maternal_mortality_ratio`) is at most 16.5 per 100,000; otherwise 0.")


def test_a_deduction_on_a_plain_count_counts_each_one() -> None:
    # 2 points, 0.5 off per case of n (a plain count: no counter word of its own): 3 cases leave 0.5;
    # the list asks for none, each one fewer giving back 0.5 (the counter word 个 when the unit has none)
    from test_vector import ONE_RULE

    n = '[indicators.n]\ntype = "integer"\nunit = "count"\nmin = 0\nlabel = {{ zh = "违规件数", en = "Breaches" }}'
    text = ONE_RULE.replace("total = 1\n", "total = 2\n").replace("max = 1\n", "max = 2\n").replace(
        "[[sections]]", n + "\n\n[[sections]]")
    rs = fuac.loads(text.format(rule='kind = "deduction"\npoints = 2\nfloor = "item"\n'
                                     '[[sections.items.costs]]\nindicator = "n"\ncost = 0.5'))
    ev = fuac.evaluate(rs, {"x": 1, "n": 3}, on=fuac.run.inputs.as_date(ON))
    assert ev.total == Decimal("0.5")
    (gap,) = ev.gaps(rs)
    assert (gap.recoverable, gap.action_zh, gap.action_en) == (
        Decimal("1.5"), "违规件数 3 → 0（减少3）；每减少1个 +0.5分",
        "Breaches: 3 → 0 (3 fewer); +0.5 for each one fewer")


def test_a_reference_given_as_a_mapping_without_a_value_is_refused_not_filled_from_the_cohort() -> None:
    # found by the deep property run: {"a": 1} for a cohort reference is a malformed value (evaluate says
    # invalid_type); the single-unit backend took it for "not given" and filled it from the cohort
    units = [{"code": "450102", "population": 5, "places": 2, "enrolment": 3, "enrolment_avg": {"a": 1}},
             {"code": "450102", "population": 5, "places": 2, "enrolment": 3, "enrolment_avg": {"value": None}}]
    got = {be: fuac.evaluate_many(DATA / "cohort.toml", units, tier="county", on=ON, backend=be)
           for be in ("python", "vector")}
    for res in got.values():
        assert res.column("errors").tolist() == ["enrolment_avg: invalid_type", None]
    assert got["python"].column("total_exact", exact=True).tolist() == got["vector"].column(
        "total_exact", exact=True).tolist()
