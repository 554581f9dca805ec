"""Reference values computed over a cohort of the batch (``[indicators.X] cohort = {…}``)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import fuac
from fuac.errors import RulesetError
from fuac.run.batch.cohort import CohortTable
from fuac.run.batch.runner import cohort_table
from fuac.run.inputs import as_date

DATA = Path(__file__).parent / "data"
RULES = DATA / "cohort.toml"
ON = "2023-05-01"

UNITS = [
    {"code": "450102", "population": 100, "places": 2, "enrolment": 10},
    {"code": "450103", "population": 300, "places": 4, "enrolment": 10},
    {"code": "450104", "population": 0, "places": 9, "enrolment": 11},  # weighs nothing, still counted
    {"code": "450201", "population": 50, "places": 3, "enrolment": 40},
    {"code": "450202", "population": 50, "places": 3.5, "enrolment": None},  # no enrolment: left out of it
    {"code": "450203", "places": 1, "enrolment": 41, "places_avg": 0.5},  # gives its own average
    {"places": 1, "enrolment": 41},  # no region code: no cohort
    {"code": "450301", "population": 10, "places": "x", "enrolment": 50},  # invalid places: left out
]


@pytest.fixture(scope="module")
def res() -> fuac.BatchResults:
    return fuac.evaluate_many(RULES, UNITS, tier="county", on=ON)


def test_weighted_mean_by_city(res: fuac.BatchResults) -> None:
    # city 4501: (2×100 + 4×300 + 9×0) / 400 = 3.5; city 4502: (3×50 + 3.5×50) / 100 = 3.25
    # (450203 has no population: it is left out of the weighted mean, and gives its own value)
    values = res.column("cohort.places_avg", exact=True).tolist()
    assert values[:5] == [Decimal("3.5"), Decimal("3.5"), Decimal("3.5"), Decimal("3.25"), Decimal("3.25")]
    assert values[5] is None  # supplied: the given 0.5 is used
    assert values[6] is None  # no code
    assert res.column("cohort.places_avg.size").tolist()[:5] == [3, 3, 3, 2, 2]
    assert res.column("cohort.places_avg.region").tolist()[:5] == ["4501", "4501", "4501", "4502", "4502"]
    # exactly at the average is not above it
    assert res.column("item.1", exact=True).tolist()[:6] == [0, 2, 2, 0, 2, 2]
    assert res.column("item.1.status").tolist()[6] == "missing_input"


def test_unweighted_mean_rounded_to_its_precision(res: fuac.BatchResults) -> None:
    # city 4501: (10 + 10 + 11) / 3 = 10.333… → 10.33; city 4502: (40 + 41) / 2 = 40.5
    values = res.column("cohort.enrolment_avg", exact=True).tolist()
    assert values[:3] == [Decimal("10.33")] * 3
    assert values[3] == Decimal("40.50")
    # 4503 has one valid unit: its own value is the average (≥: 2 points)
    assert values[7] == Decimal("50.00") and res.column("item.2", exact=True)[7] == 2
    assert res.column("item.2", exact=True).tolist()[:4] == [0, 0, 2, 0]


def test_the_value_used_is_in_the_evaluation(res: fuac.BatchResults) -> None:
    ev = res.evaluation(0)
    ref = ev.item("1").to_dict()["details"]["reference"] if "details" in ev.item("1").to_dict() else None
    rec = res.record(0)
    assert rec["data"]["places_avg"]["value"] == Decimal("3.5")
    assert "over 3 unit(s) of the batch in region 4501" in rec["data"]["places_avg"]["source"]
    direct = fuac.evaluate(RULES, rec["data"], tier="county", context=rec["context"], on=as_date(ON))
    assert direct.to_dict() == ev.to_dict()
    if ref is not None:
        assert ref["source"].startswith("cohort:")
    # a unit that gives its own average keeps it, with its own source
    assert res.record(5)["data"]["places_avg"] == 0.5


def test_chunks_iterators_and_frames_give_the_same(res: fuac.BatchResults) -> None:
    cols = ["item.1", "item.2", "cohort.places_avg", "cohort.enrolment_avg", "status"]
    for other in (
        fuac.evaluate_many(RULES, UNITS, tier="county", on=ON, chunk_size=2),
        fuac.evaluate_many(RULES, iter(UNITS), tier="county", on=ON, chunk_size=3),
        fuac.evaluate_many(RULES, UNITS, tier="county", on=ON, backend="python"),
    ):
        for c in cols:
            assert other.column(c, exact=True).tolist() == res.column(c, exact=True).tolist(), c


def test_a_table_computed_first(res: fuac.BatchResults) -> None:
    table = cohort_table(RULES, UNITS, tier="county", on=ON)
    assert table.value("places_avg", "4501") == (Decimal("3.5"), 3)
    parts = [fuac.evaluate_many(RULES, UNITS[a:a + 3], tier="county", on=ON, cohorts=table) for a in (0, 3, 6)]
    got = [v for p in parts for v in p.column("cohort.places_avg", exact=True).tolist()]
    assert got == res.column("cohort.places_avg", exact=True).tolist()
    # merged from parts, it is the same table
    a = cohort_table(RULES, UNITS[:4], tier="county", on=ON)
    b = cohort_table(RULES, UNITS[4:], tier="county", on=ON)
    merged = a.merge(b)
    assert merged.value("places_avg", "4502") == table.value("places_avg", "4502")
    assert CohortTable.from_rows(fuac.load(RULES), merged.to_rows()).value("enrolment_avg", "4501") == (
        Decimal("10.33"), 3)


def test_values_given_by_region() -> None:
    res = fuac.evaluate_many(RULES, UNITS[:2], tier="county", on=ON,
                             cohorts={"places_avg": {"4501": "2.5"}, "enrolment_avg": {}})
    assert res.column("cohort.places_avg", exact=True).tolist() == [Decimal("2.5"), Decimal("2.5")]
    assert res.column("item.1", exact=True).tolist() == [0, 2]
    assert res.column("item.2.status").tolist() == ["missing_input", "missing_input"]
    # the value's source says it was given, not computed from the batch (over no unit of it)
    assert res.record(0)["data"]["places_avg"] == {"value": Decimal("2.5"), "source": "cohort: given for region 4501"}
    assert res.column("cohort.places_avg.size").tolist() == [0, 0]


def test_evaluate_alone_does_not_compute_it() -> None:
    ev = fuac.evaluate(RULES, {"places": 2, "population": 5}, tier="county", on=as_date(ON))
    assert ev.item("1").status == "missing_input"


BASE = (RULES).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('reference = true\ncohort = { of = "places"', 'cohort = { of = "places"', "reference"),
        ('of = "places", parent_level = "city", weight = "population"', 'of = "nothing", parent_level = "city"',
         "unknown indicator 'nothing'"),
        ('of = "places", parent_level = "city", weight = "population"', 'of = "enrolment", parent_level = "city"',
         "is in 'percent'"),
        ('of = "places", parent_level = "city", weight = "population"', 'of = "places", parent_level = "county"',
         "not above the units' level"),
        ('of = "places", parent_level = "city", weight = "population"',
         'of = "places", parent_level = "city", weight = "places_avg"', "not a reference value"),
        ('of = "places", parent_level = "city", weight = "population"',
         'of = "places", parent_level = "town"', "parent_level"),
        ('parent_level = "city", precision = 0.01', 'parent_level = "city", precision = 0.02', "power of ten"),
    ],
)
def test_static_checks(old: str, new: str, message: str) -> None:
    assert old in BASE
    text = BASE.replace(old, new, 1)
    with pytest.raises(RulesetError) as exc:
        fuac.loads(text)
    assert message in str(exc.value)


def test_a_frame_that_gives_every_value_keeps_them() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"code": ["450102", "450103"], "population": [1, 2], "places": [2.0, 5.0],
                          "places_avg": [2.0, 1.0], "enrolment": [0.0, 5.0], "enrolment_avg": [0.0, 1.0]})
    for backend in ("vector", "python"):
        res = fuac.evaluate_many(RULES, frame, tier="county", on=ON, backend=backend)
        assert res.column("item.1", exact=True).tolist() == [0, 2]
        assert res.column("item.2", exact=True).tolist() == [2, 2]
        assert res.column("cohort.places_avg", exact=True).tolist() == [None, None]


@pytest.mark.parametrize("people", [1, 10**14], ids=["small", "beyond-int64-products"])
def test_weighted_mean_the_same_when_products_leave_int64(people: int) -> None:
    # city 4501: places 2 weighing 1 share, 3.5 weighing 3 shares: (2×1 + 3.5×3) / 4 = 12.5 / 4 = 3.125;
    # with 10^14 people a share, 3.5 (35000 at 4 decimals) × 3×10^14 × 2 rows passes 2^62: summed as Python ints
    units = [{"code": "450102", "population": people, "places": 2, "enrolment": 10},
             {"code": "450103", "population": 3 * people, "places": 3.5, "enrolment": 10}]
    for backend in ("vector", "python"):
        res = fuac.evaluate_many(RULES, units, tier="county", on=ON, backend=backend)
        assert res.column("cohort.places_avg", exact=True).tolist() == [Decimal("3.125")] * 2
        assert res.column("cohort.places_avg.size").tolist() == [2, 2]
        # 2 is not above 3.125; 3.5 is
        assert res.column("item.1", exact=True).tolist() == [0, 2]


def test_values_given_for_a_name_that_is_not_a_cohort_value_are_refused() -> None:
    # places is an indicator of the units, not a reference value computed over a cohort
    with pytest.raises(ValueError, match=r"^'places' is not a reference value computed over a cohort in cohort$"):
        fuac.evaluate_many(RULES, UNITS[:1], tier="county", on=ON, cohorts={"places": {"4501": 2}})


def test_weighted_mean_with_decimal_weights_and_a_value_beyond_fixed_point() -> None:
    # weights with decimals (population as a decimal), and one value with more decimals than the batch's
    # fixed point keeps (summed exactly, row by row, beside the others):
    # (2 × 1.5 + 4 × 0.5 + 1.0000000001 × 2) / (1.5 + 0.5 + 2) = 7.0000000002 / 4 = 1.75000000005
    text = RULES.read_text(encoding="utf-8").replace('[indicators.population]\ntype = "integer"',
                                                      '[indicators.population]\ntype = "decimal"')
    rs = fuac.loads(text)
    # (the exact row first: the sums start at its scales, and the others' finer weights rescale them)
    units = [{"code": "450104", "population": 2, "places": Decimal("1.0000000001"), "enrolment": 10},
             {"code": "450102", "population": 1.5, "places": 2, "enrolment": 10},
             {"code": "450103", "population": 0.5, "places": 4, "enrolment": 10}]
    for backend in ("vector", "python"):
        for chunk_size in (3, 1):  # one table, and tables of one row each merged
            res = fuac.evaluate_many(rs, units, tier="county", on=ON, backend=backend, chunk_size=chunk_size)
            assert res.column("cohort.places_avg", exact=True).tolist() == [Decimal("1.75000000005")] * 3
            assert res.column("cohort.places_avg.size").tolist() == [3, 3, 3]
            # 1.0000000001 is not above the mean; 2 and 4 are
            assert res.column("item.1", exact=True).tolist() == [0, 2, 2]
