"""fuac.rulesets_for: which built-in rule set (and tier) applies to a place on a date."""

from __future__ import annotations

import datetime as dt

import pytest

import fuac


def found(code: str, level: str | None = None, on: dt.date | None = None) -> list[tuple[str, str | None]]:
    return [(a.id, a.tier) for a in fuac.rulesets_for(code, level, on)]


D2021 = dt.date(2021, 6, 1)


def test_guangdong_county_in_2021() -> None:
    # 广州市海珠区
    assert found("440106", "county", D2021) == [("guangdong-2020", "county")]


@pytest.mark.parametrize("code", ["441900", "442000"])
def test_dongguan_and_zhongshan_apply_as_whole_cities(code: str) -> None:
    assert found(code, "city", D2021) == [("guangdong-2020", "whole_city")]


def test_other_guangdong_cities_have_no_whole_city_tier() -> None:
    # 广州市 as a city is not a unit of the campaign: only Dongguan and Zhongshan are
    assert found("440100", "city", D2021) == []


def test_guangdong_township_has_no_tier() -> None:
    assert found("440106001", "township", D2021) == []


def test_guangdong_before_the_plan() -> None:
    assert found("440106", "county", dt.date(2019, 12, 31)) == []


def test_wuhan_street() -> None:
    assert found("420106001", "township", dt.date(2018, 1, 1)) == [("wuhan-2017", "street")]


def test_wuhan_village() -> None:
    assert found("420106001001", "village", dt.date(2018, 1, 1)) == [("wuhan-2017", "village")]


def test_wuhan_district() -> None:
    assert found("420106", "county", dt.date(2018, 1, 1)) == [("wuhan-2017", "district")]


def test_wuhan_validity_starts_on_publication() -> None:
    assert found("420106001", "township", dt.date(2017, 8, 25)) == []
    assert found("420106001", "township", dt.date(2017, 8, 26)) == [("wuhan-2017", "street")]


def test_hubei_outside_wuhan() -> None:
    # 宜昌市西陵区
    assert found("420502", "county", dt.date(2018, 1, 1)) == []


def test_longnan() -> None:
    assert found("360783", "county", D2021) == [("longnan-2021", None)]


def test_longnan_only_in_2021() -> None:
    assert found("360783", "county", dt.date(2020, 12, 31)) == []
    assert found("360783", "county", dt.date(2022, 1, 1)) == []
    assert found("360783", "county", dt.date(2021, 12, 31)) == [("longnan-2021", None)]


def test_longnan_old_county_code_does_not_match() -> None:
    # 龙南县 360727 became 龙南市 360783 in 2020; the rule set registers the new code only
    assert found("360727", "county", D2021) == []


def test_liunan() -> None:
    assert [a.id for a in fuac.rulesets_for("450204", "county")] == ["liunan-2023"]


def test_beijing_county_has_nothing() -> None:
    # 北京市朝阳区
    assert found("110105", "county", D2021) == []
    assert found("110105", None, None) == []


def test_without_level_every_tier_of_the_region_is_returned() -> None:
    assert found("441900", None, D2021) == [("guangdong-2020", "county"), ("guangdong-2020", "whole_city")]
    assert sorted(found("420106", None, dt.date(2018, 1, 1))) == [
        ("wuhan-2017", "district"),
        ("wuhan-2017", "street"),
        ("wuhan-2017", "village"),
    ]
