"""Files as people send them (issue #12): every input path reads a cell's text by the same rules,
whatever its neighbours, the chunk or the file type; encodings Excel saves on Chinese Windows;
cover sheets and title rows; rows that do not fit their header; and hostile workbooks — each
either scored row by row, exactly, or refused in one line naming the file.

The unit is tests/data/mini.toml's GOOD unit (tests/test_inputs.py): 18.6 points on 2023-06-01.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import fuac
from fuac.cli import main
from fuac.errors import InputError
from fuac.language.cells import from_text, read_text
from fuac.language.models import Indicator
from fuac.run.batch.sources import InputFile
from test_evaluate import GOOD

MINI = Path(__file__).parent / "data" / "mini.toml"
ON = dt.date(2023, 6, 1)
D = Decimal

#: GOOD as a county's staff type it: 是/否, percentages with their sign, counts as text
TYPED = {"id": "u1", "has_doc": "是", "meetings": "2", "institutions": "8", "complaints": "1", "awareness": "88.5%",
         "satisfaction": "95", "mmr": "16.5", "places": "3", "places_avg": "2.5", "falsified": "否", "accidents": "0"}


@pytest.fixture(scope="module")
def mini() -> fuac.RuleSet:
    return fuac.load(MINI)


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, encoding: str = "utf-8",
              newline: str = "\n") -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def units_csv(path: Path, units: list[dict[str, str]], **kw: Any) -> Path:
    header = list(units[0])
    return write_csv(path, header, [[u[h] for h in header] for u in units], **kw)


# ---------------------------------------------------------------------------
# one set of rules for a cell's text


PCT = Indicator(type="decimal", unit="percent", label={"zh": "率", "en": "Rate"})
COUNT = Indicator(type="integer", unit="cases", label={"zh": "数", "en": "Count"})
YESNO = Indicator(type="boolean", label={"zh": "是否", "en": "Yes/no"})


@pytest.mark.parametrize(("text", "ind", "value"), [
    ("是", YESNO, True), (" 否 ", YESNO, False), ("TRUE", YESNO, True), ("n", YESNO, False), ("1", YESNO, True),
    ("0", YESNO, False), ("√", YESNO, True), ("也许", YESNO, "也许"),
    ("95%", PCT, D(95)), ("95 %", PCT, D(95)), ("９５．５％", PCT, D("95.5")), ("95%", COUNT, "95%"),
    ("1,234", COUNT, D(1234)), ("1,234.5", PCT, D("1234.5")), ("1,23", COUNT, "1,23"), ("12,3456", COUNT, "12,3456"),
    ("94.99999999999999999", PCT, D("94.99999999999999999")), ("1e3", COUNT, D("1E+3")),
    ("", PCT, None), ("\u3000 ", COUNT, None), ("NaN", PCT, "NaN"), ("inf", PCT, "inf"), ("1_000", COUNT, "1_000"),
    ("-0.5", PCT, D("-0.5")), ("+7", COUNT, D(7)), (".5", PCT, D("0.5")),
])
def test_a_cells_text_means_one_thing(text: str, ind: Indicator, value: Any) -> None:
    got = from_text(text, ind)
    assert got == value and type(got) is type(value)


def test_an_assessors_entry_as_text_is_read_by_its_form() -> None:
    assert (read_text("是", "boolean"), read_text("2.5", "decimal"), read_text("2.5%", "decimal")) == (
        True, D("2.5"), "2.5%")


@pytest.mark.parametrize("path", ["records", "json", "csv", "xlsx"])
def test_typed_text_scores_as_the_values_it_means(mini: fuac.RuleSet, tmp_path: Path, path: str) -> None:
    # the same unit typed as text, through each input path: 18.6 as GOOD
    if path == "records":
        res = fuac.evaluate_many(mini, [TYPED], on=ON)
    elif path == "json":
        import json

        (tmp_path / "u.json").write_text(json.dumps([TYPED], ensure_ascii=False), encoding="utf-8")
        res = fuac.evaluate_many(mini, tmp_path / "u.json", on=ON)
    elif path == "csv":
        res = fuac.evaluate_many(mini, units_csv(tmp_path / "u.csv", [TYPED]), on=ON)
    else:
        openpyxl = pytest.importorskip("openpyxl")
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(list(TYPED))
        ws.append(list(TYPED.values()))
        wb.save(tmp_path / "u.xlsx")
        res = fuac.evaluate_many(mini, tmp_path / "u.xlsx", on=ON)
    assert res.column("status").tolist() == ["scored"]
    assert res.column("total_exact", exact=True).tolist() == [D("18.6")]
    assert fuac.evaluate(mini, {k: v for k, v in TYPED.items() if k != "id"}, on=ON).total == D("18.6")


def test_a_csv_number_is_read_from_its_text_not_through_a_float(mini: fuac.RuleSet, tmp_path: Path) -> None:
    # mmr ≤ 16.5 gives item 6 its 2 points; 16.50000000000000001 (a float would make it 16.5) is above
    over = dict(TYPED, mmr="16.50000000000000001")
    res = fuac.evaluate_many(mini, units_csv(tmp_path / "u.csv", [TYPED, over]), on=ON)
    assert res.column("item.6", exact=True).tolist() == [2, 0]
    assert res.column("total_exact", exact=True).tolist() == [D("18.6"), D("16.6")]
    single = fuac.evaluate(mini, {**GOOD, "mmr": D("16.50000000000000001")}, context={"id": "u1"}, on=ON)
    assert res.evaluation(1).to_dict() == single.to_dict()


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 1000])
def test_one_bad_cell_costs_its_own_row_only(mini: fuac.RuleSet, tmp_path: Path, chunk_size: int) -> None:
    # four units; the third's awareness is "abc": only it is invalid, whatever the chunk size
    units = [dict(TYPED, id=f"u{k}") for k in range(4)]
    units[2]["awareness"] = "abc"
    res = fuac.evaluate_many(mini, units_csv(tmp_path / "u.csv", units), on=ON, chunk_size=chunk_size)
    assert res.column("status").tolist() == ["scored", "scored", "invalid_input", "scored"]
    assert res.column("item.3", exact=True).tolist() == [1, 1, None, 1]
    assert res.column("errors").tolist()[2] == "awareness: invalid_type"
    assert res.column("total_exact", exact=True).tolist() == [D("18.6"), D("18.6"), D("17.6"), D("18.6")]


def test_a_trailing_comma_on_every_row_shifts_nothing(mini: fuac.RuleSet, tmp_path: Path) -> None:
    # Excel leaves an empty value after the last column: the values stay under their own names
    header = list(TYPED)
    path = tmp_path / "u.csv"
    path.write_text(",".join(header) + "\n" + ",".join(TYPED.values()) + ",\n" + ",".join(TYPED.values()) + ",,\n",
                    encoding="utf-8")
    res = fuac.evaluate_many(mini, path, on=ON)
    assert res.column("id").tolist() == ["u1", "u1"]
    assert res.column("total_exact", exact=True).tolist() == [D("18.6"), D("18.6")]


@pytest.mark.parametrize("chunk_size", [1, 2, 1000])
def test_a_row_that_does_not_fit_its_header_is_unreadable_and_named(mini: fuac.RuleSet, tmp_path: Path,
                                                                     chunk_size: int) -> None:
    # line 3 has a value past the last column, line 4 one value short: each row is kept, unreadable,
    # naming its line; the rows around them are scored
    values = list(TYPED.values())
    lines = [",".join(TYPED), ",".join(values), ",".join(values) + ",x", ",".join(values[:-1]), ",".join(values)]
    path = tmp_path / "u.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = fuac.evaluate_many(mini, path, on=ON, chunk_size=chunk_size)
    assert res.column("status").tolist() == ["scored", "invalid_input", "invalid_input", "scored"]
    assert res.column("total_exact", exact=True).tolist()[::3] == [D("18.6"), D("18.6")]
    bad = {p.field: p for p in res.evaluation(1).problems}
    assert bad["awareness"].code == "unreadable"
    assert bad["awareness"].message == "Awareness rate: line 3 has 13 values for the 12 columns of the header: " \
                                       "the row is not read"
    assert bad["awareness"].message_zh == "知晓率：第3行有13个值，表头有12列，无法对应，整行未读"
    assert {p.field for p in res.evaluation(2).problems if p.code == "unreadable"} >= {"has_doc", "awareness"}
    assert "line 4 has 11 values" in {p.field: p for p in res.evaluation(2).problems}["has_doc"].message


@pytest.mark.parametrize(("encoding", "newline"), [
    ("gbk", "\r\n"), ("gb18030", "\r\n"), ("utf-8-sig", "\r\n"), ("utf-8", "\n"), ("utf-16", "\r\n")])
def test_the_encodings_excel_saves_are_read(mini: fuac.RuleSet, tmp_path: Path, encoding: str, newline: str) -> None:
    unit = dict(TYPED, id="柳南区")
    path = units_csv(tmp_path / "u.csv", [unit], encoding=encoding, newline=newline)
    res = fuac.evaluate_many(mini, path, on=ON)
    assert res.column("id").tolist() == ["柳南区"]
    assert res.column("total_exact", exact=True).tolist() == [D("18.6")]


def test_an_encoding_can_be_named_and_a_wrong_one_is_refused(mini: fuac.RuleSet, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = units_csv(tmp_path / "u.csv", [dict(TYPED, id="柳南区")], encoding="gbk")
    res = fuac.evaluate_many(mini, InputFile(path, encoding="gbk"), on=ON)
    assert res.column("id").tolist() == ["柳南区"]
    with pytest.raises(InputError, match=r"--encoding: unknown text encoding 'klingon'"):
        fuac.evaluate_many(mini, InputFile(path, encoding="klingon"), on=ON)
    with pytest.raises(InputError, match=r"u\.csv: byte \d+ is not utf-8 text; save the file as CSV UTF-8"):
        fuac.evaluate_many(mini, InputFile(path, encoding="utf-8"), on=ON)
    # the command: one line, exit 2
    assert main(["batch", str(MINI), str(path), "--encoding", "utf-8", "--on", "2023-06-01"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not utf-8 text" in err[0]


def test_text_in_no_known_encoding_is_refused_in_one_line(mini: fuac.RuleSet, tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_bytes(b"id,has_doc\n\xff\xfe\xfd\x80,1\n")
    with pytest.raises(InputError) as info:
        fuac.evaluate_many(mini, path, on=ON)
    assert str(info.value) == (f"{path}: cannot tell the text encoding (not UTF-8, UTF-16 or GB18030/GBK); save it "
                               "as CSV UTF-8, or name it with --encoding")


def test_an_empty_file_a_header_alone_and_duplicate_columns(mini: fuac.RuleSet, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="the file is empty: a CSV input starts with a header row"):
        fuac.evaluate_many(mini, empty, on=ON)
    header = write_csv(tmp_path / "header.csv", list(TYPED), [])
    assert len(fuac.evaluate_many(mini, header, on=ON)) == 0
    dup = write_csv(tmp_path / "dup.csv", ["id", "meetings", "awareness", "meetings"], [["u", "1", "2", "3"]])
    with pytest.raises(InputError) as info:
        fuac.evaluate_many(mini, dup, on=ON)
    assert str(info.value) == f"{dup}: the column 'meetings' appears twice (columns 2 and 4); keep one"


# ---------------------------------------------------------------------------
# workbooks


def workbook(path: Path, sheets: dict[str, list[list[Any]]], active: str | None = None) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    if active is not None:
        wb.active = wb.sheetnames.index(active)
    wb.save(path)
    return path


TABLE = [list(TYPED), list(TYPED.values()), list(dict(TYPED, id="u2", meetings="0").values())]


def test_a_cover_sheet_and_title_rows_are_passed_over(mini: fuac.RuleSet, tmp_path: Path) -> None:
    # 封面 first (and active); the data sheet has two title rows above its header
    path = workbook(tmp_path / "u.xlsx", {"封面": [["XX县人口监测先进单位申报表"], ["填报单位：XX县卫健局"]],
                                          "数据": [["XX县评估数据"], [], *TABLE]})
    res = fuac.evaluate_many(mini, path, on=ON)
    # u2 has no meeting: 1.b and 7 lose 2 and 4
    assert res.column("id").tolist() == ["u1", "u2"]
    assert res.column("total_exact", exact=True).tolist() == [D("18.6"), D("12.6")]


def test_a_named_sheet_and_a_sheet_without_known_columns(mini: fuac.RuleSet, tmp_path: Path) -> None:
    path = workbook(tmp_path / "u.xlsx", {"封面": [["申报表"]], "数据": TABLE, "备注": [["说明", "无"]]})
    assert len(fuac.evaluate_many(mini, InputFile(path, sheet="数据"), on=ON)) == 2
    with pytest.raises(InputError) as info:
        fuac.evaluate_many(mini, InputFile(path, sheet="备注"), on=ON)
    assert str(info.value) == (f"{path}: sheet '备注' has no column fuac knows (an indicator of the rule set, id, "
                               "name, code, assessments.…) in its first 20 rows")
    with pytest.raises(InputError, match=r"no sheet 'Sheet9'; its sheets: 封面, 数据, 备注"):
        fuac.evaluate_many(mini, InputFile(path, sheet="Sheet9"), on=ON)
    nothing = workbook(tmp_path / "n.xlsx", {"封面": [["申报表"]], "备注": [["说明"]]})
    with pytest.raises(InputError) as info:
        fuac.evaluate_many(mini, nothing, on=ON)
    assert str(info.value) == (f"{nothing}: none of its sheets (封面, 备注) has a column fuac knows (an indicator of "
                               "the rule set, id, name, code, assessments.…) in its first 20 rows; name the sheet "
                               "with --sheet")


def test_a_note_beside_the_table_is_not_a_unit(mini: fuac.RuleSet, tmp_path: Path) -> None:
    rows = [[*row, None, None] for row in TABLE] + [[None] * 12 + [None, "填表人：张三"], [], [None] * 14 + ["备注"]]
    rows[0][13] = "说明"  # a column fuac does not know
    path = workbook(tmp_path / "u.xlsx", {"数据": rows})
    res = fuac.evaluate_many(mini, path, on=ON)
    assert res.column("id").tolist() == ["u1", "u2"]


def test_a_formula_with_no_saved_value_is_named(mini: fuac.RuleSet, tmp_path: Path) -> None:
    # openpyxl writes formulas without a computed value, as a program would: fuac cannot read them
    rows = [list(TYPED), list(dict(TYPED, meetings="=1+1").values())]
    path = workbook(tmp_path / "u.xlsx", {"数据": rows})
    res = fuac.evaluate_many(mini, path, on=ON)
    assert res.column("status").tolist() == ["invalid_input"]
    (p,) = [p for p in res.evaluation(0).problems if p.field == "meetings"]
    assert (p.code, p.message) == ("unreadable", "Meetings a year: cell 数据!C2 is a formula the file holds no "
                                                 "computed value for (open and save it in Excel)")


def _zip_with(path: Path, source: Path, replace: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, replace.get(item.filename, zin.read(item.filename)))
    return path


XXE = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>"""

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>"""


@pytest.mark.parametrize("payload", [XXE, BOMB], ids=["external entity", "entity bomb"])
def test_xml_entities_in_a_workbook_are_refused(mini: fuac.RuleSet, tmp_path: Path, payload: bytes) -> None:
    plain = workbook(tmp_path / "plain.xlsx", {"Sheet": [["id"], ["u1"]]})
    path = _zip_with(tmp_path / "u.xlsx", plain, {"xl/worksheets/sheet1.xml": payload})
    with pytest.raises(InputError) as info:
        fuac.evaluate_many(mini, path, on=ON)
    assert str(info.value) == (f"{path}: not a readable .xlsx workbook: it declares XML entities, which fuac does "
                               "not read")


def test_a_zip_bomb_is_refused_before_it_is_unpacked(mini: fuac.RuleSet, tmp_path: Path) -> None:
    # a sheet of 200 MB of spaces packs to about 200 kB: refused from the zip's directory alone
    plain = workbook(tmp_path / "plain.xlsx", {"Sheet": [["id"], ["u1"]]})
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        with zout.open("xl/media/pad.bin", "w") as fh:
            block = b" " * (1 << 20)
            for _ in range(200):
                fh.write(block)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(InputError) as info:
        fuac.evaluate_many(mini, path, on=ON)
    assert str(info.value).startswith(f"{path}: refused: its part 'xl/media/pad.bin' unpacks to 209,715,200 bytes")


def test_a_file_that_is_not_a_workbook(mini: fuac.RuleSet, tmp_path: Path) -> None:
    path = tmp_path / "u.xlsx"
    path.write_text("id,has_doc\nu1,是\n", encoding="utf-8")  # a CSV renamed
    with pytest.raises(InputError, match=r"u\.xlsx: not an \.xlsx workbook \(File is not a zip file\); save it"):
        fuac.evaluate_many(mini, path, on=ON)


# ---------------------------------------------------------------------------
# the column-by-column reading of a CSV file gives what the cell-by-cell one gives

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

CELLS = {
    "has_doc": st.sampled_from(["是", "否", "TRUE", "false", "1", "0", " y ", "也许", "", "√"]),
    "meetings": st.one_of(st.integers(-3, 10**19).map(str), st.sampled_from(["2.0", "1,000", "+3", "２", "", "x"])),
    "awareness": st.one_of(
        st.decimals(-1, 120, allow_nan=False, allow_infinity=False, places=3).map(str),
        st.decimals(0, 100, allow_nan=False, allow_infinity=False).map(lambda d: f"{d}%"),
        st.sampled_from(["88.50000000000000001", "88.5%", "88.5 %", ".5", "5.", "1e2", "", "abc", "９０"])),
}


@given(st.lists(st.fixed_dictionaries(CELLS), min_size=1, max_size=6), st.booleans())
def test_a_csv_read_column_by_column_gives_what_cell_by_cell_gives(tmp_path_factory: Any, rows: list[dict[str, str]],
                                                                   uniform: bool) -> None:
    # uniform: every row alike, so that each column is plain or not as a whole (the column path)
    if uniform:
        rows = [rows[0]] * len(rows)
    mini = fuac.load(MINI)
    units = [dict(TYPED, id=f"u{k}", **r) for k, r in enumerate(rows)]
    path = units_csv(tmp_path_factory.mktemp("csv") / "u.csv", units)
    by_column = fuac.evaluate_many(mini, path, on=ON)
    by_cell = fuac.evaluate_many(mini, units, on=ON, backend="python")
    for name in ("status", "errors", "item.1", "item.3", "item.7", "total_exact"):
        assert by_column.column(name, exact=True).tolist() == by_cell.column(name, exact=True).tolist(), name
    for k in range(len(units)):
        assert by_column.evaluation(k).to_dict() == by_cell.evaluation(k).to_dict()


# ---------------------------------------------------------------------------
# JSON


def test_json_nested_too_deeply_or_broken_is_one_line(mini: fuac.RuleSet, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    with pytest.raises(InputError) as info:
        fuac.evaluate_many(mini, deep, on=ON)
    assert str(info.value) == f"{deep}: not read: the JSON is nested too deeply"
    assert main(["evaluate", str(MINI), str(deep)]) == 2
    assert capsys.readouterr().err.strip() == f"fuac: {deep}: not read: the JSON is nested too deeply"
    lines = tmp_path / "u.jsonl"
    lines.write_text('{"id": "u1"}\n\n{"id": "u2",}\n', encoding="utf-8")
    with pytest.raises(InputError, match=rf"^{lines}:3: not valid JSON: Expecting property name"):
        fuac.evaluate_many(mini, lines, on=ON)
    gbk = tmp_path / "g.jsonl"
    gbk.write_bytes('{"id": "柳南区"}\n'.encode("gbk"))
    with pytest.raises(InputError, match=r"g\.jsonl: byte \d+ is not utf-8 text"):
        fuac.evaluate_many(mini, gbk, on=ON)


# ---------------------------------------------------------------------------
# a CSV column with a few odd cells: the plain ones typed at once, the odd ones read one by one

import re  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from fuac.run.batch.columns import PROBLEM_CODES, RawCol, check_column  # noqa: E402
from fuac.run.batch.sources import ARROW_DEC, ARROW_INT, arrow_text_column, number_shapes  # noqa: E402


def test_a_column_with_a_few_odd_cells_stays_typed_but_for_them() -> None:
    col = arrow_text_column(pa.array(["96.8", " 1,234.5", "", "95%", "90", "７"]), "decimal", False)
    assert col.values.dtype == np.float64 and col.values[[0, 4]].tolist() == [96.8, 90.0]
    assert col.null is not None and col.null.tolist() == [False, False, True, False, False, False]
    assert col.odd is not None and col.odd.tolist() == [1, 3, 5]
    assert col.odd_cells is not None and col.odd_cells.tolist() == [" 1,234.5", "95%", "７"]
    assert [col.py(i) for i in range(6)] == ["96.8", " 1,234.5", None, "95%", "90", "７"]  # the text, for one unit
    # on a percentage 95% and 95 % are plain; whole numbers with a decimal or two among them are decimals
    col = arrow_text_column(pa.array(["95%", "95 %", "8", "1e2", "7.5"]), "decimal", True)
    assert col.values.dtype == np.float64 and col.values.tolist()[:3] == [95.0, 95.0, 8.0]
    assert col.odd is not None and col.odd.tolist() == [3]
    # counts: int64, a count of 19 digits odd (it is no int64); a long one, none
    col = arrow_text_column(pa.array(["1", "-2", "1,000", "x", "1234567890123456789", "123456789012345678"]),
                            "integer", False)
    assert col.values.dtype == np.int64 and col.values[[0, 1, 5]].tolist() == [1, -2, 123456789012345678]
    assert col.odd is not None and col.odd.tolist() == [2, 3, 4]
    col = arrow_text_column(pa.array(["是", "否", "也许", " TRUE ", "√", "False", "tRuE", "N"]), "boolean", False)
    assert col.values.tolist() == [True, False, False, True, True, False, False, False]
    assert col.odd is not None and col.odd.tolist() == [2, 6]  # 也许 is no answer; tRuE is read by itself
    # the spaces around a cell: ASCII, no-break, ideographic, before or after
    for cell in ["\t1", "1\t", "\n1", "1\n", "\r1", "1\r", " 1", "1 ", "\u00a01", "1\u00a0", "\u30001", "1\u3000"]:
        col = arrow_text_column(pa.array([cell, "22"]), "integer", False)
        assert col.odd is None and col.values.tolist() == [1, 22], repr(cell)
    col = arrow_text_column(pa.array(["1", " \u3000", "\u00a0"]), "integer", False)  # spaces alone: nothing given
    assert col.odd is None and col.null is not None and col.null.tolist() == [False, True, True]
    # checked: the plain cells at once, each odd one as a cell by itself, merged in its row
    raw = arrow_text_column(pa.array(["2", "1,234.5", "abc", "96.80000000000001", "", "-1"]), "decimal", False)
    checked, codes, full = check_column("places", fuac.load(MINI).doc.indicators["places"], raw, 6, "dec", 4, None,
                                        False)
    assert checked.values.tolist()[:3] == [20000, 12345000, 0] and checked.bound == 12345000
    assert codes is not None and [PROBLEM_CODES[c - 1] if c else "" for c in codes.tolist()] == [
        "", "", "invalid_type", "", "", "out_of_range"]
    assert checked.invalid is not None and checked.invalid.tolist() == [False, False, True, False, False, True]
    assert full is not None and full.tolist() == [False, False, False, True, False, False]  # beyond fixed point
    assert checked.missing is not None and checked.missing.tolist() == [False] * 4 + [True, False]
    # odd cells all valid and within fixed point: no problem, nothing one by one
    raw = arrow_text_column(pa.array(["2", "1,234.5", "３"]), "decimal", False)
    checked, codes, full = check_column("places", fuac.load(MINI).doc.indicators["places"], raw, 3, "dec", 4, None,
                                        False)
    assert checked.values.tolist() == [20000, 12345000, 30000] and (codes, full, checked.invalid) == (None, None, None)
    at_least_1 = fuac.load(MINI).doc.indicators["places"].model_copy(update={"min": D(1)})
    checked, codes, full = check_column("places", at_least_1, raw, 3, "dec", 4, None, False)
    assert checked.values.tolist() == [20000, 12345000, 30000] and (codes, full, checked.invalid) == (None, None, None)
    # a plain column has none; a slice keeps its own odd cells, counted from its first row
    plain = arrow_text_column(pa.array(["1", "", "3"]), "integer", False)
    assert plain.odd is None and plain.values.dtype == np.int64 and plain.values.tolist() == [1, 0, 3]
    assert [plain.py(i) for i in range(3)] == ["1", None, "3"]
    part = RawCol(np.zeros(6), None, None, np.array([1, 3, 5]), np.array(["a", "b", "c"], dtype=object)).slice(2, 5)
    assert part.odd is not None and part.odd.tolist() == [1] and part.odd_cells is not None
    assert part.odd_cells.tolist() == ["b"]
    assert RawCol(np.zeros(6), None, None, np.array([1]), np.array(["a"], dtype=object)).slice(2, 5).odd is None


EDGES = ["", "5", "-5", "+5", "--5", "5-", "-", "+", ".", "-.5", "+.5", "5.", ".5", "1.2.3", "1..2", " 5", "5 ",
         "5%", "1,000", "1e5", "１", "123456789012345", "1234567890123456", "12345678901234.5", "-12345678901234.",
         "123456789012345678", "-123456789012345678", "1234567890123456789", "007", "-0"]


def test_number_shapes_of_edge_cells_are_the_regular_expressions() -> None:
    shapes_are_the_regular_expressions(EDGES)


@given(st.lists(st.text(alphabet="0123456789.+-%, e１\u3000", max_size=20), max_size=30))
def test_number_shapes_are_the_regular_expressions(cells: list[str]) -> None:
    shapes_are_the_regular_expressions(cells)


def shapes_are_the_regular_expressions(cells: list[str]) -> None:
    for kind in (pa.string(), pa.large_string()):
        arr = pa.array(["pad", *cells], kind).slice(1)  # an array that does not start at its buffers' start
        whole, short = number_shapes(arr)
        assert whole.tolist() == [re.fullmatch(ARROW_INT[1:-1], c, re.ASCII) is not None for c in cells]
        assert short.tolist() == [re.fullmatch(ARROW_DEC[1:-1], c, re.ASCII) is not None and len(c) <= 15
                                  for c in cells]


#: cells of each column, plain (the most) and odd (a few), drawn row by row
MIXED = {
    "has_doc": st.sampled_from(["是", "否", "TRUE", "false", "1", "0", " y ", "√", "也许", "", "\u3000", "yes!",
                                "tRUE"]),
    "meetings": st.one_of(st.integers(-3, 10**6).map(str), st.integers(10**17, 10**19).map(str),
                          st.sampled_from(["2.0", "2.5", "1,000", "+3", "２", "", "x", "3%"])),
    "awareness": st.one_of(
        st.decimals(-1, 120, allow_nan=False, allow_infinity=False, places=3).map(str),
        st.decimals(0, 100, allow_nan=False, allow_infinity=False, places=2).map(lambda d: f"{d}%"),
        st.sampled_from(["88.50000000000000001", "96.80000000000001", "88.5 %", ".5", "5.", "1e2", "", "abc",
                         "９０", "1,000.5", "95%%"])),
    "places": st.one_of(st.decimals(0, 10, allow_nan=False, allow_infinity=False, places=2).map(str),
                        st.sampled_from(["3%", "1,234.5", "2.00000000000000001", "", " ", "-1", "３", "4"])),
    "places_avg": st.one_of(st.decimals(0, 10, allow_nan=False, allow_infinity=False, places=1).map(str),
                            st.sampled_from(["２.5", "", "n/a", "2.50000000000000001"])),
    "assessments.7": st.one_of(st.decimals(0, 4, allow_nan=False, allow_infinity=False, places=1).map(str),
                               st.sampled_from(["5", "abc", "２", "4.0000000000000001", "1,0"])),
}


@given(st.lists(st.fixed_dictionaries(MIXED), min_size=2, max_size=8), st.sampled_from([1, 2, 3, 1000]))
def test_a_csv_column_mixing_plain_and_odd_cells_reads_as_cell_by_cell(tmp_path_factory: Any,
                                                                        rows: list[dict[str, str]],
                                                                        chunk_size: int) -> None:
    mini = fuac.load(MINI)
    units = [dict(TYPED, id=f"u{k}", **r) for k, r in enumerate(rows)]
    path = units_csv(tmp_path_factory.mktemp("csv") / "u.csv", units)
    by_column = fuac.evaluate_many(mini, path, on=ON, chunk_size=chunk_size)
    by_cell = fuac.evaluate_many(mini, units, on=ON, backend="python")
    assert by_column.columns == by_cell.columns
    for name in by_cell.columns:
        assert by_column.column(name, exact=True).tolist() == by_cell.column(name, exact=True).tolist(), name
    for k in range(len(units)):
        assert by_column.evaluation(k).to_dict() == by_cell.evaluation(k).to_dict()


COHORT = Path(__file__).parent / "data" / "cohort.toml"


@pytest.mark.parametrize("chunk_size", [1, 2, 5])
def test_odd_cells_count_in_a_cohorts_mean_as_they_mean(tmp_path: Path, chunk_size: int) -> None:
    # places: population-weighted, over the units of city 4501 with a valid places and population:
    # (2 × 1,000 + 4 × 998 + 1.0000000001 × 2 + ５ × 500) / (1,000 + 998 + 2 + 500) = 8494.0000000002 / 2500
    # (the 1.0000000001 beyond fixed point, summed exactly; abc is no population: its unit is left out);
    # enrolment, unweighted: (10 + 10% + 11 + 12) / 4 = 10.75 (a percentage: 10% is 10)
    header = ["code", "population", "places", "enrolment"]
    rows = [["450102", "1,000", "2", "10"], ["450103", "998", "4", "10%"], ["450104", "2", "1.0000000001", "11"],
            ["450105", "abc", "3", "12"], ["450106", "500", "５", ""]]
    path = write_csv(tmp_path / "u.csv", header, rows)
    records = [dict(zip(header, r, strict=True)) for r in rows]
    for records_or_path, backend in ((path, "vector"), (records, "python")):
        res = fuac.evaluate_many(COHORT, records_or_path, tier="county", on="2023-05-01", chunk_size=chunk_size,
                                 backend=backend)
        assert res.column("cohort.places_avg", exact=True).tolist() == [D("3.39760000000008")] * 5
        assert res.column("cohort.places_avg.size").tolist() == [4] * 5
        assert res.column("cohort.enrolment_avg", exact=True).tolist() == [D("10.75")] * 5
        assert res.column("errors").tolist()[3] == "population: invalid_type"


def test_a_count_out_of_range_and_beyond_fixed_point_is_not_scored_one_by_one(mini: fuac.RuleSet) -> None:
    # -12345678901234567 meetings: below the minimum 0, so rejected; nothing left to score exactly
    res = fuac.evaluate_many(mini, [dict(GOOD, meetings=-12345678901234567), GOOD], on=ON)
    assert res.column("errors").tolist()[0] == "meetings: out_of_range"
    assert res.column("status").tolist() == ["invalid_input", "scored"]
    assert res.backend_report["rows_single_unit"] == 0
