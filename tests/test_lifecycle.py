"""fuac.lifecycle over the built-in rule sets, with hand-computed values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fuac import lifecycle as lc
from fuac.lifecycle import Award, Win

GD = "guangdong-2020"
WH = "wuhan-2017"


# -- cycles


@pytest.mark.parametrize(
    ("year", "span"),
    [(2017, (2017, 2019)), (2019, (2017, 2019)), (2020, (2020, 2022)), (2022, (2020, 2022)), (2025, (2023, 2025))],
)
def test_wuhan_cycles_of_three_years_from_2017(year, span):
    c = lc.cycle_of(WH, year)
    assert c == span
    assert (c.first_year, c.last_year) == span
    assert "每3年为一个创建周期" in c.clause


def test_guangdong_cycles_from_2018():
    # first_year 2018 (see the rule set's notes): 2018-2020, 2021-2023
    assert lc.cycle_of(GD, 2020) == (2018, 2020)
    assert lc.cycle_of(GD, 2021) == (2021, 2023)
    assert lc.cycle_of(GD, 2021).clause == "3年为一评选周期，期满后荣誉称号自动终止。"


def test_year_before_the_first_cycle_is_an_error():
    with pytest.raises(ValueError, match="before the first cycle"):
        lc.cycle_of(WH, 2016)


def test_rule_set_without_cycle_is_an_error():
    with pytest.raises(ValueError, match="no \\[cycle\\]"):
        lc.cycle_of("longnan-2021", 2021)


# -- title status (Wuhan: lapses at cycle end, 2 consecutive cycles → +1 cycle, revoked → barred next cycle)


def test_title_held_in_its_cycle():
    st = lc.title_status(WH, [Award(2018, "municipal")], 2019)
    assert st.state == "held" and st.held and st.held_until == 2019 and st.may_apply


def test_title_won_2017_2019_lapses_in_2020():
    st = lc.title_status(WH, [Award(2018, "municipal")], 2020)
    assert st.state == "lapsed" and not st.held
    assert st.cycle == (2020, 2022)
    assert "期满后荣誉称号自动取消" in st.clauses[0]


def test_title_won_again_is_held_in_the_new_cycle():
    st = lc.title_status(WH, [Award(2018, "municipal"), Award(2021, "municipal")], 2020)
    # held for 2020-2022, and as the second consecutive cycle, extended through 2025
    assert st.state == "held" and st.held_until == 2025
    st = lc.title_status(WH, [Award(2018, "municipal"), Award(2024, "municipal")], 2024)
    assert st.state == "held" and st.held_until == 2025


def test_two_consecutive_cycles_extend_the_title_through_2025():
    history = [Award(2019, "provincial"), Award(2022, "provincial")]
    for year in (2023, 2024, 2025):
        st = lc.title_status(WH, history, year)
        assert st.state == "extended", year
        assert st.held_until == 2025
    assert lc.title_status(WH, history, 2026).state == "lapsed"
    # in the second cycle itself the title is held, and runs on through the extension
    st = lc.title_status(WH, history, 2021)
    assert st.state == "held" and st.held_until == 2025


def test_cycles_not_consecutive_are_not_extended():
    history = [Award(2017, "municipal"), Award(2023, "municipal")]
    assert lc.title_status(WH, history, 2026).state == "lapsed"


def test_extension_is_per_level():
    history = [Award(2018, "municipal"), Award(2021, "provincial")]
    assert lc.title_status(WH, history, 2024, level="provincial").state == "lapsed"
    assert lc.title_status(WH, history, 2024, level="municipal").state == "lapsed"
    with pytest.raises(ValueError, match="several levels"):
        lc.title_status(WH, history, 2024)


def test_revoked_in_2019_may_not_apply_in_2020_to_2022():
    history = [Award(2017, "municipal", revoked=True, revoked_year=2019)]
    for year in (2020, 2021, 2022):
        st = lc.title_status(WH, history, year)
        assert st.may_apply is False, year
        assert "被撤销称号的,不得参加下一周期申报和评选。" in st.clauses
    assert lc.title_status(WH, history, 2019).state == "revoked"
    assert lc.title_status(WH, history, 2023).may_apply is True


def test_revoked_title_does_not_count_toward_an_extension():
    history = [Award(2017, "municipal", revoked=True, revoked_year=2018), Award(2021, "municipal")]
    assert lc.title_status(WH, history, 2022).state == "held"
    assert lc.title_status(WH, history, 2023).state == "lapsed"


def test_guangdong_revocation_does_not_bar_the_next_cycle():
    # Guangdong's plan revokes after the look-back but says nothing of the next cycle
    history = [Award(2019, "national", revoked=True, revoked_year=2020)]
    st = lc.title_status(GD, history, 2021)
    assert st.may_apply is True
    assert lc.title_status(GD, history, 2020).state == "revoked"


def test_history_may_be_plain_tuples_and_mappings():
    st = lc.title_status(WH, [(2018, "municipal"), {"year": 2021, "level": "municipal"}], 2024)
    assert st.state == "extended"


def test_no_history_no_title():
    st = lc.title_status(WH, [], 2020)
    assert st.state == "none" and st.may_apply


# -- quotas


@pytest.mark.parametrize(("counties", "cap"), [(1, 1), (4, 1), (5, 2), (8, 2), (9, 3), (20, 3)])
def test_guangdong_city_recommendation_caps(counties, cap):
    r = lc.recommendation_cap(GD, "city_recommendation", counties)
    assert r.count == cap
    assert r.clause.startswith("所辖县（市、区）数量不超过4个的市，可推荐1个县（市、区）")


def test_guangdong_fifteen_percent_rounds_down():
    # 7 × 0.15 = 1.05 → floor → 1
    r = lc.quota_count(GD, "named_share", 7)
    assert (r.count, r.exact, r.rounding) == (1, Decimal("1.05"), "floor")
    # 120 × 0.15 = 18 exactly; 6 × 0.15 = 0.9 → 0
    assert lc.quota_count(GD, "named_share", 120).count == 18
    assert lc.quota_count(GD, "named_share", 6).count == 0
    assert "不超过应参评单位总数的15%" in r.clause


def test_wuhan_villages_five_percent_of_all():
    # 1234 × 0.05 = 61.7 → floor → 61
    r = lc.quota_count(WH, "city_villages", 1234)
    assert (r.count, r.exact, r.per) == (61, Decimal("61.7"), "cycle")


def test_wuhan_district_villages_two_percent():
    # 80 × 0.02 = 1.6 → 1; 49 × 0.02 = 0.98 → 0; 150 × 0.02 = 3
    assert lc.quota_count(WH, "district_villages", 80).count == 1
    assert lc.quota_count(WH, "district_villages", 49).count == 0
    assert lc.quota_count(WH, "district_villages", 150).count == 3


def test_wuhan_fixed_counts_and_range():
    assert lc.quota_count(WH, "city_streets").count == 20
    assert lc.quota_count(WH, "district_streets").count == 2
    r = lc.quota_count(WH, "province_districts")
    assert (r.min_count, r.count, r.per) == (1, 2, "year")


def test_quota_errors():
    with pytest.raises(KeyError):
        lc.quota_count(WH, "nope", 3)
    with pytest.raises(ValueError, match="pass n"):
        lc.quota_count(WH, "city_villages")
    with pytest.raises(ValueError, match="not 'by_parent_count'"):
        lc.recommendation_cap(WH, "city_villages", 3)
    with pytest.raises(ValueError, match="whole number"):
        lc.quota_count(GD, "named_share", -1)


def test_quota_count_delegates_banded_quotas():
    assert lc.quota_count(GD, "city_recommendation", 9).count == 3


# -- incentives (Wuhan: district +3 national / +2 provincial; per street +1 provincial / +0.5 municipal)


def test_district_bonus():
    assert lc.bonus_points(WH, [Win("national", "district")]).total == 3
    assert lc.bonus_points(WH, [Win("provincial", "district")]).total == 2


def test_street_bonus_per_street():
    # 2 provincial streets (2 × 1) + 3 municipal streets (3 × 0.5) = 3.5
    r = lc.bonus_points(WH, [Win("provincial", "street", 2), Win("municipal", "street", 3)])
    assert r.total == Decimal("3.5")
    assert [(x.incentive_id, x.units, x.points) for x in r.lines] == [
        ("street_provincial", 2, Decimal("2")),
        ("street_municipal", 3, Decimal("1.5")),
    ]
    assert r.clauses == ("街(乡)获省优、市优的,所在区在市级年度目标考评中每个街(乡)分别加1分和0.5分。",)


def test_bonus_errors():
    with pytest.raises(ValueError, match="several incentives"):
        lc.bonus_points(WH, [Win("provincial")])
    with pytest.raises(ValueError, match="no incentive"):
        lc.bonus_points(WH, [Win("national", "street")])
    with pytest.raises(ValueError, match="not per unit"):
        lc.bonus_points(WH, [Win("national", "district", 2)])
    assert lc.bonus_points(WH, [("municipal", "street", 1)]).total == Decimal("0.5")
    assert lc.bonus_points(GD, []).total == 0
