"""fuac.lifecycle over the built-in rule sets, with hand-computed values."""

from __future__ import annotations

import csv
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from fuac import lifecycle as lc
from fuac.errors import InputError
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
    # the words name the previous cycle (Wuhan's cycles run 2017–2019, 2020–2022)
    st = lc.title_status(WH, history, 2021)
    assert "上一周期（2017—2019）被撤销称号，不得参加本周期申报和评选。" in st.reason.zh
    assert st.reason.en.endswith(" A title was revoked in the previous cycle (2017–2019): may not apply in this cycle.")


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


def test_quota_explanations_word_for_word():
    r = lc.quota_count(WH, "city_villages", 1234)
    assert (r.reason.zh, r.reason.en) == ("1234×5%=61.7，向下取整为61个。", "1234 × 5 % = 61.7, rounded floor: 61.")
    r = lc.quota_count(WH, "city_streets")
    assert (r.reason.zh, r.reason.en, r.base, r.exact, r.rounding) == ("20个。", "20.", None, None, None)
    r = lc.quota_count(WH, "province_districts")
    assert (r.reason.zh, r.reason.en) == ("1至2个。", "from 1 to 2.")
    with pytest.raises(ValueError, match=r"^n must be a whole number ≥ 0, not -1$"):
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
    with pytest.raises(ValueError) as info:
        lc.bonus_points(WH, [Win("national", "street")])
    assert str(info.value) == ("rule set 'wuhan-2017' has no incentive for 'national' for tier 'street' (incentives: "
                               "national/district, provincial/district, provincial/street, municipal/street)")
    with pytest.raises(ValueError) as info:
        lc.bonus_points(GD, [Win("national")])
    assert str(info.value) == "rule set 'guangdong-2020' has no incentive for 'national' (incentives: none)"
    with pytest.raises(ValueError, match="not per unit"):
        lc.bonus_points(WH, [Win("national", "district", 2)])
    assert lc.bonus_points(WH, [("municipal", "street", 1)]).total == Decimal("0.5")
    assert lc.bonus_points(GD, []).total == 0


# -- title table: every unit of a history (examples/data/wuhan-2017-titles.csv)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"
TITLES = EXAMPLES / "wuhan-2017-titles.csv"

# (unit, level, state, held_until, may_apply, revoked_previous_cycle), computed by hand from wuhan-2017's
# [cycle]: cycles of 3 years from 2017 (2017-19, 2020-22, 2023-25, 2026-28), a title lapses at the end of its
# cycle, won in 2 consecutive cycles at a level it runs 1 more cycle, revoked → barred the next cycle.
TITLES_2023 = [
    ("420103001", "municipal", "lapsed", None, True, False),  # 2018 → cycle 2017-19, over
    ("420102002", "municipal", "extended", 2025, True, False),  # 2018, 2021: two cycles → through 2023-25
    ("420106003", "municipal", "revoked", None, False, True),  # revoked 2021, in 2020-22: barred in 2023-25
    ("420111004", "municipal", "held", 2028, True, False),  # 2020, 2023: held, and extended through 2026-28
    ("420111004", "provincial", "held", 2025, True, False),  # 2023 only
    ("420115", "provincial", "revoked", None, True, False),  # revoked 2017, two cycles ago: may apply
    ("420116005001", "municipal", "held", 2025, True, False),
]
TITLES_2020 = [
    ("420103001", "municipal", "lapsed", None, True, False),
    ("420102002", "municipal", "held", 2025, True, False),  # 2021 is of this cycle, the second in a row
    ("420106003", "municipal", "held", 2022, True, False),  # not yet revoked in 2020
    ("420111004", "municipal", "held", 2022, True, False),  # 2023 is not yet won: no extension
    ("420111004", "provincial", "none", None, True, False),
    ("420115", "provincial", "revoked", None, False, True),  # revoked 2017, in 2017-19: barred in 2020-22
    ("420116005001", "municipal", "none", None, True, False),
]


def _lines(table):
    return [(r.unit, r.level, r.state, r.held_until, r.may_apply, r.revoked_previous_cycle) for r in table]


@pytest.mark.parametrize(("year", "expected"), [(2023, TITLES_2023), (2020, TITLES_2020)])
def test_title_table_of_the_example_history(year, expected):
    table = lc.title_table(WH, TITLES, year)
    assert _lines(table) == expected
    assert table.cycle == ((2023, 2025) if year == 2023 else (2020, 2022))
    assert not table.errors


def test_title_table_lines_carry_the_status_of_title_status():
    table = lc.title_table(WH, TITLES, 2023)
    barred = table.unit("420106003")[0]
    assert barred.rows == (4,)  # line 4 of the CSV file, under its header
    assert lc.title_table(WH, _example_rows(), 2023).unit("420106003")[0].rows == (3,)  # the 3rd record
    st = lc.title_status(WH, [Award(2021, "municipal", revoked=True)], 2023)
    assert (barred.reason, barred.clauses, barred.cycle) == (st.reason, st.clauses, st.cycle)
    assert "被撤销称号的,不得参加下一周期申报和评选。" in barred.clauses
    assert "上一周期（2020—2022）被撤销称号" in barred.reason.zh
    assert [r.rows for r in table.unit("420111004")] == [(6, 8, 9), (6, 8, 9)]  # lines of the file


def test_title_table_street_named_2018_lapsed_in_2020():
    table = lc.title_table(WH, [{"unit": "420103001", "year": 2018, "level": "municipal"}], 2020)
    assert _lines(table) == [("420103001", "municipal", "lapsed", None, True, False)]


def test_title_table_one_level_and_revocations_at_any_level():
    rows = [
        {"unit": "A", "year": 2021, "level": "provincial", "revoked": True, "revoked_year": 2022},
        {"unit": "A", "year": 2021, "level": "municipal"},
        {"unit": "B", "year": 2024, "level": "provincial"},
    ]
    table = lc.title_table(WH, rows, 2023, level="municipal")
    # A's municipal title lapsed, but its provincial one was revoked in 2022 (2020-22): barred in 2023-25
    assert _lines(table) == [
        ("A", "municipal", "lapsed", None, False, True),
        ("B", "municipal", "none", None, True, False),
    ]
    with pytest.raises(ValueError, match="unknown level 'city'"):
        lc.title_table(WH, rows, 2023, level="city")


def test_title_table_guangdong_revocation_recorded_but_not_barring():
    # guangdong-2020: cycles 2018-20, 2021-23, 2024-26; no extension; revoked_bars_next = false
    rows = [
        {"unit": "440103", "year": 2019, "level": "national", "revoked": "true", "revoked_year": 2020},
        {"unit": "441900", "year": 2019, "level": "national"},
        {"unit": "441900", "year": 2021, "level": "national"},
    ]
    assert _lines(lc.title_table(GD, rows, 2021)) == [
        ("440103", "national", "revoked", None, True, True),
        ("441900", "national", "held", 2023, True, False),
    ]
    assert _lines(lc.title_table(GD, rows, 2024)) == [
        ("440103", "national", "revoked", None, True, False),
        ("441900", "national", "lapsed", None, True, False),  # two cycles, but Guangdong does not extend
    ]


BAD_ROWS = [
    ({"year": None}, "year", "missing"),
    ({"year": "2018.5"}, "year", "not a whole year: '2018.5'"),
    ({"year": 2018.5}, "year", "not a whole year: 2018.5"),
    ({"year": True}, "year", "not a whole year: True"),
    ({"year": 2016}, "year", "2016 is before the first cycle, which starts in 2017"),
    ({"level": "city"}, "level", "unknown level 'city' (the rule set's levels: national, provincial, municipal)"),
    ({"level": None}, "level", "missing"),
    ({"revoked": "maybe"}, "revoked", "not true or false: 'maybe'"),
    ({"revoked_year": 2017}, "revoked_year", "2017 is before the year the title was awarded, 2018"),
    ({"revoked_year": "soon"}, "revoked_year", "not a whole year: 'soon'"),
    ({"revoked": False, "revoked_year": 2019}, "revoked_year", "2019 is given, but revoked is false"),
]


@pytest.mark.parametrize(("change", "column", "message"), BAD_ROWS, ids=[f"{c}-{m[:20]}" for _, c, m in BAD_ROWS])
def test_a_bad_row_names_row_and_column_and_the_other_units_are_computed(change, column, message):
    rows = [
        {"unit": "420103001", "year": 2018, "level": "municipal"},
        {"unit": "420102002", "year": 2018, "level": "municipal"},
        {"unit": "420102002", "year": 2021, "level": "municipal"},
        {"unit": "420102002", "year": 2018, "level": "municipal", **change},
    ]
    table = lc.title_table(WH, rows, 2023)
    assert _lines(table) == [
        ("420103001", "municipal", "lapsed", None, True, False),
        ("420102002", None, "error", None, None, None),
    ]
    bad = table[1]
    assert table.errors == [bad]
    assert bad.errors == (lc.RowError(4, column, message),)
    assert bad.error == f"row 4, column {column!r}: {message}"
    assert bad.rows == (2, 3, 4)
    assert bad.error in bad.reason.en and bad.error in bad.reason.zh


def test_every_bad_row_of_a_unit_is_named_and_rows_without_a_unit_too():
    rows = [
        {"unit": "A", "year": "twenty", "level": "municipal"},
        {"unit": "", "year": 2018, "level": "municipal"},
        {"unit": "A", "year": 2018, "level": "county"},
        {"unit": "B", "year": 2020, "level": "municipal"},
    ]
    table = lc.title_table(WH, rows, 2021)
    assert [(r.unit, r.state) for r in table] == [("A", "error"), (None, "error"), ("B", "held")]
    assert [str(e) for e in table[0].errors] == [
        "row 1, column 'year': not a whole year: 'twenty'",
        "row 3, column 'level': unknown level 'county' (the rule set's levels: national, provincial, municipal)",
    ]
    assert [str(e) for e in table[1].errors] == ["row 2, column 'unit': missing"]


def test_a_history_without_a_required_column_is_an_input_error():
    with pytest.raises(InputError, match=r"no column 'level'"):
        lc.title_table(WH, [{"unit": "A", "year": 2018, "grade": "municipal"}], 2020)
    with pytest.raises(ValueError, match="before the first cycle"):
        lc.title_table(WH, TITLES, 2016)
    assert len(lc.title_table(WH, [], 2020)) == 0


def test_codes_are_read_as_written(tmp_path):
    pd = pytest.importorskip("pandas")
    history = tmp_path / "h.csv"
    history.write_text("unit,year,level\n007,2018,municipal\n420103001,2018.0,municipal\n", encoding="utf-8")
    assert [(r.unit, r.state) for r in lc.title_table(WH, history, 2018)] == [("007", "held"), ("420103001", "held")]
    # a code column with a missing cell is read by pandas as floats: 420103001.0 is unit 420103001
    frame = pd.DataFrame({"unit": [420103001, None], "year": [2018, 2018], "level": ["municipal"] * 2})
    assert frame["unit"].dtype == "float64"
    table = lc.title_table(WH, frame, 2018)
    assert [(r.unit, r.state) for r in table] == [("420103001", "held"), (None, "error")]
    assert table[1].error == "row 2, column 'unit': missing"


def _example_rows():
    with open(TITLES, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_history_from_every_input_kind(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("openpyxl")
    pytest.importorskip("pyarrow")
    as_sheet = lc.title_table(WH, TITLES, 2023).to_dicts()  # rows as the sheet shows them: header row 1
    expected = [dict(d, rows=[r - 1 for r in d["rows"]]) for d in as_sheet]  # records counted from 1
    frame = pd.read_csv(TITLES)  # codes as int64, an empty revoked_year as NaN
    frame.to_json(tmp_path / "h.jsonl", orient="records", lines=True)
    frame.to_excel(tmp_path / "h.xlsx", index=False)
    frame.to_parquet(tmp_path / "h.parquet")
    for given in (frame, _example_rows(), tmp_path / "h.jsonl", str(tmp_path / "h.parquet")):
        assert lc.title_table(WH, given, 2023).to_dicts() == expected, given
    assert lc.title_table(WH, tmp_path / "h.xlsx", 2023).to_dicts() == as_sheet


def test_to_pandas_and_without_pandas(monkeypatch):
    pd = pytest.importorskip("pandas")
    rows = [{"unit": "A", "year": 2018, "level": "municipal"}, {"unit": "B", "year": None, "level": "municipal"}]
    frame = lc.title_table(WH, rows, 2018).to_pandas()
    assert list(frame.columns) == list(lc.TABLE_COLUMNS)
    assert frame["held_until"].tolist() == [2019, pd.NA]
    assert str(frame["may_apply"].dtype) == "boolean"
    assert frame["state"].tolist() == ["held", "error"]
    assert frame["error"].isna().tolist() == [True, False]
    assert frame["error"][1] == "row 2, column 'year': missing"
    assert list(lc.title_table(WH, [], 2018).to_pandas().columns) == list(lc.TABLE_COLUMNS)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'fuac\[pandas\]'"):
        lc.title_table(WH, rows, 2018).to_pandas()


def test_revoked_previous_cycle_feeds_a_wuhan_batch(recwarn):
    """The example of docs/evaluation.md: the merge gives title_revoked_previous_cycle, whose veto bars 420106003."""
    pd = pytest.importorskip("pandas")
    import fuac
    from fuac.language.toml import read_toml

    data = read_toml(EXAMPLES / "wuhan-2017-street.toml")[0]["data"]
    del data["title_revoked_previous_cycle"]
    streets = pd.DataFrame([{"code": code, **data} for code in ("420106003", "420103001", "420104009")])
    table = lc.title_table(WH, TITLES, 2023)
    assert not table.errors
    titles = table.to_pandas().drop_duplicates("unit")[["unit", "revoked_previous_cycle"]]
    streets = streets.merge(titles, how="left", left_on="code", right_on="unit").drop(columns="unit")
    streets["title_revoked_previous_cycle"] = streets.pop("revoked_previous_cycle").fillna(False).astype(bool)
    assert streets["title_revoked_previous_cycle"].tolist() == [True, False, False]
    res = fuac.evaluate_many(WH, streets, tier="street", on="2023-08-31").to_pandas()
    assert res["veto.revoked_previous_cycle"].tolist() == [True, False, False]
    assert res["eligible"].tolist() == [False, True, True]
    assert not [w for w in recwarn if issubclass(w.category, (FutureWarning, DeprecationWarning))]


def test_the_examples_of_the_lifecycle_docs_run():
    """The ``>>>`` examples of docs/evaluation.md's part on fuac.lifecycle give what they show."""
    import doctest

    text = (Path(__file__).resolve().parents[1] / "docs" / "evaluation.md").read_text(encoding="utf-8")
    start = text.index("## Cycles, titles, quotas and bonus points")
    end = text.find("\n## ", start + 1)
    part = re.sub(r"^```.*$", "", text[start:end if end != -1 else None], flags=re.M)  # a fence ends an output
    test = doctest.DocTestParser().get_doctest(part, {}, "evaluation.md lifecycle", None, 0)
    assert len(test.examples) >= 5
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_a_title_won_again_after_consecutive_cycles_says_why_it_runs_longer():
    # municipal 2020 (cycle 2020–22) and 2023 (2023–25): two consecutive cycles, extended by one → 2028
    st = lc.title_status(WH, [Award(2020, "municipal"), Award(2023, "municipal")], 2023)
    assert (st.state, st.held_until) == ("held", 2028)
    assert st.reason.zh == "持有本周期（2023—2025）市级称号，连续2个周期获得，顺延1个周期，至2028年底。"
    assert st.reason.en == ("holds the municipal title of this cycle (2023–2025), won in 2 consecutive cycles, "
                            "extended by 1 cycle(s), until the end of 2028.")
    # won once: no extension said
    once = lc.title_status(WH, [Award(2023, "municipal")], 2023)
    assert once.reason.zh == "持有本周期（2023—2025）市级称号，至2025年底。"


def test_a_title_table_without_pandas_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    table = lc.title_table(WH, [{"unit": "420101001", "year": 2018, "level": "municipal"}], 2019)
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas fails
    with pytest.raises(ModuleNotFoundError) as info:
        table.to_pandas()
    assert (info.value.name, str(info.value)) == (
        "pandas", "TitleTable.to_pandas() needs pandas: pip install 'fuac[pandas]'")


def test_a_title_that_does_not_lapse_is_held_with_no_end():
    # a scheme whose titles never lapse (Wuhan's table with title_lapses = false): won in 2018, the title
    # is held in its own cycle and in every later one, "with no end" — not "extended" after two
    # consecutive cycles, which the unit never won
    import fuac

    text = (Path(fuac.__file__).parent / "rulesets" / "wuhan-2017.toml").read_text(encoding="utf-8")
    rs = fuac.loads(text.replace('id = "wuhan-2017"', 'id = "wuhan-forever"', 1)
                    .replace("title_lapses = true", "title_lapses = false"))
    st = lc.title_status(rs, [Award(2018, "municipal")], 2019)
    assert (st.state, st.held_until) == ("held", None)
    assert (st.reason.zh, st.reason.en) == ("持有本周期（2017—2019）市级称号，长期有效。",
                                            "holds the municipal title of this cycle (2017–2019), with no end.")
    st = lc.title_status(rs, [Award(2018, "municipal")], 2025)
    assert (st.state, st.held, st.held_until) == ("held", True, None)
    assert (st.reason.zh, st.reason.en) == ("持有2018年获得的市级称号，长期有效。",
                                            "holds the municipal title won in 2018, with no end.")


@pytest.mark.parametrize("word, revoked", [("是", True), (" √ ", True), ("有", True), ("Yes", True),
                                           ("否", False), ("无", False), ("×", False), ("0", False)])
def test_a_history_reads_revoked_as_every_input_path_reads_yes_and_no(word, revoked):
    # the yes/no words of fuac.language.cells, not a list of the title table's own
    rows = [{"unit": "420106003", "year": 2017, "level": "municipal", "revoked": word,
             "revoked_year": 2019 if revoked else None}]
    (line,) = lc.title_table(WH, rows, 2020).unit("420106003")
    assert line.state == ("revoked" if revoked else "lapsed")
    assert line.may_apply is (not revoked)
