"""Every error message of ranking and quotas (``fuac.decide.select``), titles across cycles
(``fuac.decide.lifecycle``) and cohort values given by region (``fuac.run.batch.cohort``),
word for word, through the public API.

One row per ``raise`` (and per wording a raise can take: which argument, which
kind of value). Each expected text is copied from the ``raise`` in the source, with
its placeholders filled in by hand, so a changed message (a mutated argument name,
a lost quote, a dropped clause) fails here.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import fuac
from fuac import lifecycle as lc
from fuac.errors import InputError
from fuac.lifecycle import Award, Win
from test_select import unit

DATA = Path(__file__).parent / "data"
ON = "2023-10-01"
GD = "guangdong-2020"
WH = "wuhan-2017"


def message(exc: BaseException) -> str:
    """The text an exception was raised with (a KeyError's ``str`` is the repr of its text)."""
    return exc.args[0] if isinstance(exc, KeyError) else str(exc)


# ---------------------------------------------------------------------------
# batches to select from (built once)


@functools.cache
def batch(name: str) -> fuac.BatchResults:
    if name == "gd":  # three eligible Guangdong counties of city 4401 (city_recommendation: per city, sized)
        return fuac.evaluate_many(GD, [unit(GD, "county", f"44010{j}", 20 - j) for j in range(1, 4)],
                                  tier="county", on=ON)
    if name == "gd-two-levels":  # a second per-parent quota of the county tier, per province
        rs = fuac.compose(GD, {"scheme": {"id": "gd-two-levels"}, "quotas": [{
            "id": "province_counties", "label": {"zh": "每省县数", "en": "Counties per province"},
            "clause": "每省不超过1个。", "kind": "count_per_parent", "per": "cycle", "tiers": ["county"],
            "count": 1, "parent_level": "province"}]})
        return fuac.evaluate_many(rs, [unit(rs, "county", "440101", 20)], tier="county", on=ON)
    if name == "wh":  # two eligible streets of district 420101 (city_streets: count, district_streets: per county)
        return fuac.evaluate_many(WH, [unit(WH, "street", f"420101{j:03d}", 33 - j) for j in (1, 2)],
                                  tier="street", on=ON)
    if name == "mini":  # a points scheme without quotas
        base = {"has_doc": True, "meetings": 3, "institutions": 9, "complaints": 0, "awareness": 95,
                "satisfaction": 95, "mmr": 10, "places": 5, "places_avg": 3, "falsified": False, "accidents": 0}
        return fuac.evaluate_many(DATA / "mini.toml", [dict(base, id=1)], on=ON)
    raise AssertionError(name)


NOT_A_COUNT = "is not a count (a whole number, 0 or more)"

SELECT_CASES: list[Any] = [
    # _parse_order
    pytest.param("gd", {"order": ["total sideways"]}, ValueError,
                 "sort key 'total sideways': write '<key>', '<key> desc' or '<key> asc'", id="order-bad-direction"),
    pytest.param("gd", {"order": [""]}, ValueError,
                 "sort key '': write '<key>', '<key> desc' or '<key> asc'", id="order-empty-key"),
    # select: quotas=
    pytest.param("gd", {"quotas": ["nope"]}, KeyError,
                 "rule set 'guangdong-2020' has no quota ['nope']", id="quotas-unknown-id"),
    # select: universe=
    pytest.param("gd", {"universe": 2}, ValueError,
                 "universe: 2 units in all, but the batch alone has 3", id="universe-smaller-than-batch"),
    pytest.param("gd", {"universe": -5}, ValueError, f"universe: -5 {NOT_A_COUNT}", id="universe-negative"),
    # check_used
    pytest.param("wh", {"used": {"city_street": 1}}, KeyError,
                 "used: rule set 'wuhan-2017' has no quota ['city_street']", id="used-unknown-quota"),
    pytest.param("wh", {"used": {"city_streets": {"420101": 1}}}, ValueError,
                 "used['city_streets']: quota 'city_streets' (count) is over the whole batch: give one count, "
                 "not counts by region", id="used-mapping-for-batch-wide-quota"),
    pytest.param("wh", {"used": {"district_streets": 1}}, ValueError,
                 "used['district_streets']: quota 'district_streets' (count_per_parent) counts per county: "
                 "give a mapping of county code → count", id="used-count-for-per-parent-quota"),
    pytest.param("wh", {"used": {"city_streets": "3"}}, ValueError,
                 f"used['city_streets']: '3' {NOT_A_COUNT}", id="used-count-is-text"),
    pytest.param("wh", {"used": {"city_streets": True}}, ValueError,
                 f"used['city_streets']: True {NOT_A_COUNT}", id="used-count-is-bool"),
    pytest.param("wh", {"used": {"city_streets": Decimal("1.50")}}, ValueError,
                 f"used['city_streets']: 1.50 {NOT_A_COUNT}", id="used-count-is-decimal-shown-plain"),
    pytest.param("wh", {"used": {"district_streets": {"420101": -2}}}, ValueError,
                 f"used['district_streets']['420101']: -2 {NOT_A_COUNT}", id="used-region-count-negative"),
    # _by_region (through used=)
    pytest.param("wh", {"used": {"district_streets": {"4201": 1}}}, ValueError,
                 "used['district_streets']: '4201' is not the code of a county (6 digits)",
                 id="used-code-of-wrong-level"),
    pytest.param("wh", {"used": {"district_villages": {"x": 1}}}, ValueError,
                 "used['district_villages']: 'x' is not the code of a county (6 digits)",
                 id="used-not-a-code-for-quota-of-another-tier"),
    pytest.param("wh", {"used": {"district_streets": {"420101": 1, 420101: 1}}}, ValueError,
                 "used['district_streets']: region 420101 is given twice", id="used-region-twice"),
    # check_parent_sizes and _by_region (through parent_sizes=)
    pytest.param("gd", {"parent_sizes": [("4401", 3)]}, ValueError,
                 "parent_sizes: give a mapping of parent-region code → number of units", id="parent-sizes-not-mapping"),
    pytest.param("gd", {"parent_sizes": {"44011": 9}}, ValueError,
                 "parent_sizes: '44011' is not the code of a city (4 digits)", id="parent-sizes-code-of-wrong-level"),
    pytest.param("gd-two-levels", {"parent_sizes": {"440": 9}}, ValueError,
                 "parent_sizes: '440' is not the code of a city (4 digits) or a province (2 digits)",
                 id="parent-sizes-code-of-neither-level"),
    pytest.param("mini", {"parent_sizes": {"x": 1}}, ValueError,
                 "parent_sizes: 'x' is not the code of a region", id="parent-sizes-not-a-code-no-per-parent-quota"),
    pytest.param("gd", {"parent_sizes": {"4401": 9, 4401: 9}}, ValueError,
                 "parent_sizes: region 4401 is given twice", id="parent-sizes-region-twice"),
    pytest.param("gd", {"parent_sizes": {"4401": -1}}, ValueError,
                 f"parent_sizes['4401']: -1 {NOT_A_COUNT}", id="parent-sizes-size-negative"),
    pytest.param("gd", {"parent_sizes": {"4401": 2.5}}, ValueError,
                 f"parent_sizes['4401']: 2.5 {NOT_A_COUNT}", id="parent-sizes-size-float"),
    # _per_parent_caps
    pytest.param("gd", {"parent_sizes": {"4401": 2}}, ValueError,
                 "parent_sizes['4401']: 2 units in all, but the batch alone has 3 of 4401",
                 id="parent-sizes-smaller-than-batch"),
]


@pytest.mark.parametrize(("name", "kwargs", "error", "text"), SELECT_CASES)
def test_select_errors(name: str, kwargs: dict[str, Any], error: type[Exception], text: str) -> None:
    res = batch(name)
    with pytest.raises(error) as info:
        res.select(**kwargs)
    assert type(info.value) is error
    assert message(info.value) == text


# ---------------------------------------------------------------------------
# titles across cycles, quotas and incentives


@functools.cache
def bounded_bands() -> fuac.RuleSet:
    """Guangdong with city bands that all end (no band for a city of more than 4 counties)."""
    return fuac.compose(GD, {"scheme": {"id": "gd-bounded"},
                             "quotas": [{"id": "city_recommendation", "bands": [{"max_units": 4, "count": 1}]}]})


def _to_pandas_without_pandas() -> Any:
    table = lc.title_table(WH, [{"unit": "A", "year": 2018, "level": "municipal"}], 2018)
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "pandas", None)  # import pandas fails
        return table.to_pandas()


WH_INCENTIVES = "national/district, provincial/district, provincial/street, municipal/street"

LIFECYCLE_CASES: list[Any] = [
    # _cycle
    pytest.param(lambda: lc.cycle_of("longnan-2021", 2021), ValueError,
                 "rule set 'longnan-2021' declares no [cycle]", id="cycle-of-rule-set-without-cycle"),
    # _index
    pytest.param(lambda: lc.cycle_of(WH, 2016), ValueError,
                 "2016 is before the first cycle, which starts in 2017", id="cycle-of-year-before-first-cycle"),
    pytest.param(lambda: lc.title_table(WH, [], 2016), ValueError,
                 "2016 is before the first cycle, which starts in 2017", id="title-table-year-before-first-cycle"),
    # _award
    pytest.param(lambda: lc.title_status(WH, [2018], 2019), TypeError,
                 "a history entry is an Award, a mapping or a tuple (year, level[, revoked]), not 2018",
                 id="title-status-history-entry-not-an-award"),
    # title_status
    pytest.param(lambda: lc.title_status(WH, [Award(2018, "municipal"), Award(2018, "provincial")], 2019),
                 ValueError, "the history holds titles at several levels (municipal, provincial): pass level=",
                 id="title-status-several-levels-no-level"),
    # TitleTable.to_pandas
    pytest.param(_to_pandas_without_pandas, ModuleNotFoundError,
                 "TitleTable.to_pandas() needs pandas: pip install 'fuac[pandas]'",
                 id="title-table-to-pandas-no-pandas"),
    # _history_records
    pytest.param(lambda: lc.title_table(WH, [{"unit": "A", "year": 2018, "grade": "municipal"}], 2020), InputError,
                 "the history has no column 'level' (columns: grade, unit, year); it needs unit, year and level",
                 id="title-table-history-without-level-column"),
    pytest.param(lambda: lc.title_table(WH, [{"unit": "A"}], 2020), InputError,
                 "the history has no column 'year', 'level' (columns: unit); it needs unit, year and level",
                 id="title-table-history-without-year-and-level-columns"),
    # title_table
    pytest.param(lambda: lc.title_table(WH, [], 2018, level="city"), ValueError,
                 "unknown level 'city' (the rule set's levels: national, provincial, municipal)",
                 id="title-table-unknown-level"),
    # _quota
    pytest.param(lambda: lc.quota_count(WH, "nope", 3), KeyError,
                 "rule set 'wuhan-2017' has no quota 'nope' (quotas: city_streets, city_villages, province_districts, "
                 "district_streets, district_villages)", id="quota-count-unknown-quota"),
    pytest.param(lambda: lc.recommendation_cap("longnan-2021", "nope", 3), KeyError,
                 "rule set 'longnan-2021' has no quota 'nope' (quotas: none)",
                 id="recommendation-cap-no-quotas-at-all"),
    # _whole, at each of its three callers
    pytest.param(lambda: lc.recommendation_cap(GD, "city_recommendation", -1), ValueError,
                 "n_units must be a whole number ≥ 0, not -1", id="recommendation-cap-n-units-negative"),
    pytest.param(lambda: lc.quota_count(GD, "city_recommendation", True), ValueError,
                 "n_units must be a whole number ≥ 0, not True", id="quota-count-banded-n-is-bool"),
    pytest.param(lambda: lc.quota_count(GD, "named_share", 2.5), ValueError,
                 "n must be a whole number ≥ 0, not 2.5", id="quota-count-share-n-float"),
    pytest.param(lambda: lc.bonus_points(WH, [Win("provincial", "street", -1)]), ValueError,
                 "units must be a whole number ≥ 0, not -1", id="bonus-points-units-negative"),
    # recommendation_cap
    pytest.param(lambda: lc.recommendation_cap(WH, "city_villages", 3), ValueError,
                 "quota 'city_villages' is 'share', not 'by_parent_count'", id="recommendation-cap-of-a-share"),
    pytest.param(lambda: lc.recommendation_cap(bounded_bands(), "city_recommendation", 5), ValueError,
                 "quota 'city_recommendation': no band covers 5 units (add a last band without 'max_units')",
                 id="recommendation-cap-beyond-the-last-band"),
    # quota_count
    pytest.param(lambda: lc.quota_count(GD, "city_recommendation"), ValueError,
                 "quota 'city_recommendation' depends on the number of units: pass n",
                 id="quota-count-banded-without-n"),
    pytest.param(lambda: lc.quota_count(WH, "city_villages"), ValueError,
                 "quota 'city_villages' is a share: pass n, the number it is a share of (all)",
                 id="quota-count-share-without-n"),
    # _win
    pytest.param(lambda: lc.bonus_points(WH, [3]), TypeError,
                 "an award won is a Win, a mapping, a tuple (award, tier[, units]) or a string, not 3",
                 id="bonus-points-award-not-a-win"),
    # _incentive
    pytest.param(lambda: lc.bonus_points(WH, [Win("national", "street")]), ValueError,
                 "rule set 'wuhan-2017' has no incentive for 'national' for tier 'street' "
                 f"(incentives: {WH_INCENTIVES})",
                 id="bonus-points-no-incentive-for-award-and-tier"),
    pytest.param(lambda: lc.bonus_points(GD, ["national"]), ValueError,
                 "rule set 'guangdong-2020' has no incentive for 'national' (incentives: none)",
                 id="bonus-points-rule-set-without-incentives"),
    pytest.param(lambda: lc.bonus_points(WH, [Win("provincial")]), ValueError,
                 f"several incentives match 'provincial': pass the tier (incentives: {WH_INCENTIVES})",
                 id="bonus-points-several-incentives-no-tier"),
    # bonus_points
    pytest.param(lambda: lc.bonus_points(WH, [Win("national", "district", 2)]), ValueError,
                 "incentive 'district_national' is not per unit: units must be 1, not 2",
                 id="bonus-points-units-for-incentive-not-per-unit"),
]


@pytest.mark.parametrize(("call", "error", "text"), LIFECYCLE_CASES)
def test_lifecycle_errors(call: Callable[[], Any], error: type[Exception], text: str) -> None:
    with pytest.raises(error) as info:
        call()
    assert type(info.value) is error
    assert message(info.value) == text


def test_to_pandas_error_names_the_missing_module() -> None:
    with pytest.raises(ModuleNotFoundError) as info:
        _to_pandas_without_pandas()
    assert info.value.name == "pandas"


# ---------------------------------------------------------------------------
# cohort values given by region


@pytest.mark.parametrize(("cohorts", "text"), [
    pytest.param({"places": {"4501": 2}},
                 "'places' is not a reference value computed over a cohort in cohort", id="given-for-a-unit-indicator"),
    pytest.param({"places_avg": {"4501": 2}, "nothing": {}},
                 "'nothing' is not a reference value computed over a cohort in cohort", id="given-for-an-unknown-name"),
])
def test_cohort_errors(cohorts: dict[str, Any], text: str) -> None:
    with pytest.raises(ValueError) as info:
        fuac.evaluate_many(DATA / "cohort.toml", [{"code": "450102", "population": 100, "places": 2}],
                           tier="county", on="2023-05-01", cohorts=cohorts)
    assert type(info.value) is ValueError
    assert str(info.value) == text
