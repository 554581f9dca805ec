"""Limits on the files fuac reads (issue #12): a sheet longer than Excel allows, a workbook with merged
title cells, a CSV whose header is all there is past a title line — each read or refused in one line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest

import fuac
from fuac.errors import InputError
from test_files import TABLE, workbook

MINI = Path(__file__).parent / "data" / "mini.toml"
ON = dt.date(2023, 6, 1)


def test_a_sheet_longer_than_excel_allows_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the limit is Excel's 1,048,576 rows; made 3 here so that a small sheet passes it: the header is
    # row 1, units on rows 2 and 3 are read, a fourth row is refused, naming the sheet
    import fuac.run.batch.sources as sources

    monkeypatch.setattr(sources, "MAX_SHEET_ROWS", 3)
    path = workbook(tmp_path / "u.xlsx", {"数据": [*TABLE, TABLE[1]]})
    with pytest.raises(InputError) as info:
        fuac.evaluate_many(MINI, path, on=ON)
    assert str(info.value) == f"{path}: sheet '数据' has more than 3 rows"
    ok = workbook(tmp_path / "ok.xlsx", {"数据": TABLE})
    assert len(fuac.evaluate_many(MINI, ok, on=ON)) == 2


def test_a_title_merged_across_the_header_is_passed_over(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["XX县2023年度生育友好工作评估汇总表"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(TABLE[0]))
    for row in TABLE:
        ws.append(row)
    wb.save(tmp_path / "u.xlsx")
    res = fuac.evaluate_many(MINI, tmp_path / "u.xlsx", on=ON)
    assert res.column("id").tolist() == ["u1", "u2"]
    assert res.column("total_exact", exact=True).tolist()[0] == fuac.evaluate(
        MINI, {k: v for k, v in zip(TABLE[0], TABLE[1], strict=True) if k != "id"}, on=ON).total


def test_an_indicators_values_from_a_csv_are_read_from_their_text(tmp_path: Path) -> None:
    # res.indicator reads each row's text as evaluate does: 是 is True, 88.5% is 88.5, abc is invalid
    from decimal import Decimal

    from test_files import TYPED, units_csv

    units = [TYPED, dict(TYPED, id="u2", awareness="abc", has_doc="否")]
    res = fuac.evaluate_many(MINI, units_csv(tmp_path / "u.csv", units), on=ON)
    assert res.indicator("awareness") == [Decimal("88.5"), None]
    assert res.indicator("has_doc") == [True, False]


def test_an_empty_text_entry_is_no_entry_on_every_path(tmp_path: Path) -> None:
    # an assessor's entry given as empty text is not entered, as an empty cell is: the item awaits its
    # assessor, no problem is reported (mini has no assessed item: batch-kinds' item 4 is discretionary)
    rs = fuac.load(Path(__file__).parent / "data" / "batch-kinds.toml")
    key = next(k for k, r in rs.plan(None).rules.items() if r.assessable)
    ev = fuac.evaluate(rs, {}, assessments={key: "  "})
    assert [p for p in ev.problems if p.field == f"assessments.{key}"] == []
    assert fuac.evaluate(rs, {}, assessments={key: "  "}).to_dict() == fuac.evaluate(rs, {}).to_dict()


def test_a_record_of_too_many_names_is_refused_in_one_line(tmp_path: Path) -> None:
    # one unit's values are a few hundred names at most; a record of 10,001 is refused, not made columns
    from fuac.errors import InputError as _InputError

    wide = {f"k{i}": 1 for i in range(10_001)}
    with pytest.raises(_InputError) as info:
        fuac.evaluate(MINI, wide, on=ON)
    assert str(info.value) == "the data has 10,001 names, more than 10,000 (it holds one unit's values): refused"
    rows = [{"id": "u1"}, {f"k{i}": 1 for i in range(10_000)}]
    with pytest.raises(_InputError) as info:
        fuac.evaluate_many(MINI, rows, on=ON)
    assert str(info.value) == ("record 1: the records so far use more than 10,000 names (a record holds one "
                               "unit's values): refused")
    assert len(fuac.evaluate_many(MINI, [{"id": "u1", **{f"k{i}": 1 for i in range(9_998)}}], on=ON)) == 1


def test_a_csv_of_too_many_columns_is_refused_before_scoring(tmp_path: Path) -> None:
    from fuac.errors import InputError as _InputError

    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"k{i}" for i in range(10_001)) + "\n" + ",".join("1" * 10_001) + "\n",
                    encoding="utf-8")
    with pytest.raises(_InputError) as info:
        fuac.evaluate_many(MINI, path, on=ON)
    assert str(info.value) == f"{path}: 10,001 columns, more than 10,000 (a row holds one unit's values): refused"


def test_a_cell_merged_down_over_rows_gives_its_value_to_each(tmp_path: Path) -> None:
    # "county" (a context column) merged over two towns, and places_avg (the same regional average for
    # both) merged likewise: each town reads them; a title merged across the columns above the header is
    # passed over; a value merged across two columns gives it to the first column only (complaints),
    # the other (awareness) stays empty, as written
    openpyxl = pytest.importorskip("openpyxl")
    header = ["context.county", *TABLE[0]]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["XX市汇总表"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    ws.append(["甲县", *TABLE[1]])
    ws.append([None, *TABLE[2]])
    u3 = dict(zip(TABLE[0], TABLE[1], strict=True), id="u3")
    ws.append(["乙县", *u3.values()])
    avg, comp, aware = (header.index(k) + 1 for k in ("places_avg", "complaints", "awareness"))
    ws.merge_cells(start_row=3, start_column=1, end_row=4, end_column=1)
    ws.cell(4, avg).value = None
    ws.merge_cells(start_row=3, start_column=avg, end_row=4, end_column=avg)
    assert aware == comp + 1
    ws.cell(5, aware).value = None
    ws.merge_cells(start_row=5, start_column=comp, end_row=5, end_column=aware)
    wb.save(tmp_path / "u.xlsx")
    res = fuac.evaluate_many(MINI, tmp_path / "u.xlsx", on=ON)
    assert res.column("id").tolist() == ["u1", "u2", "u3"]
    assert res.column("county").tolist() == ["甲县", "甲县", "乙县"]
    assert res.indicator("places_avg") == [D("2.5"), D("2.5"), D("2.5")]
    assert res.indicator("awareness")[2] is None and res.indicator("complaints")[2] == 1
    # u2 as if its places_avg cell were written out: the same total as the typed table gives
    assert res.column("total_exact", exact=True).tolist()[:2] == [D("18.6"), D("12.6")]
    assert res.column("status").tolist()[2] == "missing_input"
