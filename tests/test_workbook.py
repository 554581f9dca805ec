"""Fill-in workbooks: written by `fuac template`, filled through openpyxl, read back by `fuac evaluate`."""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import fuac
from fuac.cli import main
from fuac.render.workbook import (
    SHEET_INDICATORS,
    SHEET_REFERENCES,
    SHEET_SCORES,
    annotate,
    read_workbook,
    write_template,
)

openpyxl = pytest.importorskip("openpyxl")

DATA = Path(__file__).parent / "data"
MINI = DATA / "mini.toml"
ON = dt.date(2023, 6, 1)
D = Decimal

UNITS: dict[str, dict[str, Any]] = {
    "甲县": {
        "has_doc": True,
        "meetings": 1,
        "institutions": 6,
        "complaints": 2,
        "awareness": D("88.5"),
        "satisfaction": 91,
        "mmr": 17,
        "places": 3,
        "falsified": False,
        "accidents": 0,
    },
    "乙县": {
        "has_doc": False,
        "meetings": 3,
        "institutions": 9,
        "complaints": 0,
        "awareness": 95,
        "satisfaction": D("89.9"),
        "mmr": D("12.5"),
        "places": D("3.6"),
        "falsified": True,
        "accidents": 0,
    },
    "丙县": {
        "has_doc": True,
        "meetings": 2,
        "institutions": 8,
        "complaints": 7,
        "awareness": 90,
        "satisfaction": 90,
        "mmr": D("16.5"),
        "places": D("3.2"),
        "falsified": False,
        "accidents": 1,
    },
}
ASSESSMENTS = {
    "甲县": {"7": {"value": D(3), "rationale": "部分到位", "assessor": "self"}},
    "乙县": {"7": {"value": D("2.5"), "rationale": "文件未出台", "assessor": "self"}},
    "丙县": {},
}
REFERENCE = {"places_avg": {"value": D("3.2"), "source": "自治区卫生健康委 2022"}}


def rows_by_key(ws: Any, first_row: int = 2) -> dict[str, int]:
    return {ws.cell(r, 1).value: r for r in range(first_row, ws.max_row + 1) if ws.cell(r, 1).value}


def unit_column(ws: Any, name: str, row: int = 1) -> int:
    for cell in ws[row]:
        if cell.value == name:
            return int(cell.column)
    raise KeyError(name)


def excel_value(v: Any) -> Any:
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, Decimal):
        return float(v)
    return v


def fill(path: Path, units: dict[str, dict[str, Any]], assessments: dict[str, dict[str, Any]]) -> None:
    """Fill a template as an assessor would, through openpyxl."""
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_INDICATORS]
    rows = rows_by_key(ws)
    for name, data in units.items():
        col = unit_column(ws, name)
        for key, value in data.items():
            ws.cell(rows[key], col, excel_value(value))
    ws = wb[SHEET_REFERENCES]
    for key, ref in REFERENCE.items():
        r = rows_by_key(ws)[key]
        ws.cell(r, 5, float(ref["value"]))
        ws.cell(r, 6, ref["source"])
    ws = wb[SHEET_SCORES]
    rows = rows_by_key(ws, 3)
    for name, entries in assessments.items():
        col = unit_column(ws, name)
        for key, e in entries.items():
            ws.cell(rows[key], col, float(e["value"]))
            ws.cell(rows[key], col + 1, e.get("rationale"))
            ws.cell(rows[key], col + 2, e.get("assessor"))
    wb.save(path)


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "填报表.xlsx"
    write_template(MINI, path, units=list(UNITS))
    return path


def test_template_layout(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames[:4] == ["说明", SHEET_INDICATORS, SHEET_SCORES, SHEET_REFERENCES]
    ws = wb[SHEET_INDICATORS]
    head = [c.value for c in ws[1]]
    assert head[:7] == ["指标键 key", "名称", "Name", "单位 Unit", "范围/选项 Allowed", "说明 Help", "用于项目 Items"]
    assert head[7:] == list(UNITS)
    rows = rows_by_key(ws)
    rs = fuac.load(MINI)
    assert set(rows) == {n for n, i in rs.doc.indicators.items() if not i.reference}
    r = rows["awareness"]
    assert ws.cell(r, 2).value == "知晓率" and ws.cell(r, 3).value == "Awareness rate"
    assert ws.cell(r, 4).value == "%" and "0–100" in ws.cell(r, 5).value and ws.cell(r, 7).value == "3"
    # data validation: bounds, whole numbers, and booleans as a 是/否 list, over every unit's column
    dvs = ws.data_validations.dataValidation
    by_cell = {}
    for dv in dvs:
        for rng in dv.sqref.ranges:
            by_cell[rng.coord.split(":")[0]] = dv
    bool_dv = by_cell[f"H{rows['has_doc']}"]
    assert bool_dv.type == "list" and bool_dv.formula1 == '"是,否"'
    rate_dv = by_cell[f"H{rows['awareness']}"]
    assert (rate_dv.type, rate_dv.operator, rate_dv.formula1, rate_dv.formula2) == ("decimal", "between", "0", "100")
    count_dv = by_cell[f"H{rows['institutions']}"]
    assert (count_dv.type, count_dv.operator, count_dv.formula1) == ("whole", "greaterThanOrEqual", "0")
    assert all(dv.showErrorMessage for dv in dvs)
    # assessor scores: every assessable item or part, bounds, three columns per unit
    ws = wb[SHEET_SCORES]
    assert rows_by_key(ws, 3) == {"7": 3}
    assert (ws.cell(3, 4).value, ws.cell(3, 5).value) == (0, 4)
    assert [ws.cell(1, 6 + 3 * n).value for n in range(3)] == list(UNITS)
    assert [ws.cell(2, c).value for c in (6, 7, 8)] == ["得分 Score", "理由 Rationale", "评估人 Assessor"]
    # reference values: value and source
    ws = wb[SHEET_REFERENCES]
    assert rows_by_key(ws) == {"places_avg": 2}
    assert [c.value for c in ws[1]][4:6] == ["值 Value", "来源 Source"]


def test_one_bad_cell_is_named_and_the_rest_is_scored(template: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = {"甲县": UNITS["甲县"]}
    path = template.with_name("one.xlsx")
    write_template(MINI, path, units=["甲县"])
    fill(path, one, {"甲县": ASSESSMENTS["甲县"]})
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_INDICATORS]
    row = rows_by_key(ws)["complaints"]
    ws.cell(row, 8, "两人")  # not a number
    wb.save(path)
    address = f"指标!H{row}"

    wbi = read_workbook(path)
    (u,) = wbi.units
    assert u.name == "甲县" and u.cells["complaints"] == address
    ev = annotate(fuac.evaluate(MINI, u.data, assessments=u.assessments, context={"name": u.name}, on=ON), u.cells)
    (p,) = [p for p in ev.problems if p.severity == "error"]
    assert p.field == "complaints" and p.message.startswith(address) and p.message_zh.startswith(address)
    # that item cannot be scored; every other item is scored from its cells as if typed in a TOML file
    assert ev.item("2").status == "invalid_input"
    good = fuac.evaluate(
        MINI, {**UNITS["甲县"], **REFERENCE}, assessments=ASSESSMENTS["甲县"], context={"name": "甲县"}, on=ON
    )
    for a, b in zip(ev.items, good.items, strict=True):
        if a.id != "2":
            assert (a.id, a.points, a.status) == (b.id, b.points, b.status)
    assert ev.total == good.total - good.item("2").points == D(8)

    # the same through the command line: the cell is named, the unit is scored, exit 1 (an input error)
    assert main(["evaluate", str(MINI), str(path), "--on", "2023-06-01"]) == 1
    out = capsys.readouterr().out
    assert address in out and "甲县" in out and "合计: 8/20" in out


def test_several_units_round_trip(template: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fill(template, UNITS, ASSESSMENTS)
    wbi = read_workbook(template)
    assert [u.name for u in wbi.units] == list(UNITS)
    assert wbi.meta["ruleset"] == "mini" and not wbi.problems
    for u in wbi.units:
        direct = fuac.evaluate(
            MINI,
            {**UNITS[u.name], **REFERENCE},
            assessments=ASSESSMENTS[u.name] or None,
            context={"name": u.name},
            on=ON,
        )
        read = fuac.evaluate(MINI, u.data, assessments=u.assessments or None, context={"name": u.name}, on=ON)
        assert read.to_dict() == direct.to_dict()
        assert u.data["places_avg"] == {"value": D("3.2"), "source": "自治区卫生健康委 2022"}
    # one table per unit on the command line; a list in JSON
    assert main(["evaluate", str(MINI), str(template), "--on", "2023-06-01"]) == 0
    out = capsys.readouterr().out
    assert [line.split(":")[0] for line in out.splitlines() if line.startswith(tuple(UNITS))] == list(UNITS)
    assert main(["evaluate", str(MINI), str(template), "--on", "2023-06-01", "--json"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert [d["context"]["name"] for d in docs] == list(UNITS)
    assert docs[0]["total"] == "9.2"
    # the rectification list of each unit
    assert main(["gaps", str(MINI), str(template), "--on", "2023-06-01"]) == 0
    out = capsys.readouterr().out
    assert out.count("整改清单") == 3


def test_cells_as_people_type_them(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_template(MINI, path)  # one unit column, "本单位"
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_INDICATORS]
    rows = rows_by_key(ws)
    ws.cell(rows["awareness"], 8, 0.885).number_format = "0.0%"  # typed as 88.5%
    ws.cell(rows["satisfaction"], 8, "91.5%")
    ws.cell(rows["has_doc"], 8, True)
    ws.cell(rows["falsified"], 8, "否")
    ws.cell(rows["meetings"], 8, "2")
    ws.cell(rows["mmr"], 8, "  ")  # blank: not given
    wb.save(path)
    (u,) = read_workbook(path).units
    assert u.name is None
    # numbers as the cells show them; text kept, to be read with its indicator as every input path reads it
    assert u.data == {
        "awareness": D("88.5"),
        "satisfaction": "91.5%",
        "has_doc": True,
        "falsified": "否",
        "meetings": "2",
    }
    ev = fuac.evaluate(MINI, u.data, on="2023-06-01")
    read = {k: v for it in ev.items for k, v in it.inputs.items()}
    assert {k: read[k] for k in ("satisfaction", "falsified", "meetings")} == {
        "satisfaction": D("91.5"), "falsified": False, "meetings": 2}
    assert not [p for p in ev.problems if p.code != "missing"]


def test_workbook_text_cells_mean_what_they_mean_in_a_csv(tmp_path: Path) -> None:
    # "1,5" is not 15, and "95%" is 95 only where the indicator is a percentage (meetings is a count)
    path = tmp_path / "t.xlsx"
    write_template(MINI, path)
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_INDICATORS]
    rows = rows_by_key(ws)
    ws.cell(rows["meetings"], 8, "1,5")
    ws.cell(rows["awareness"], 8, "1,234.5")
    wb.save(path)
    (u,) = read_workbook(path).units
    ev = fuac.evaluate(MINI, u.data, on="2023-06-01")
    errors = {(p.field, p.code) for p in ev.problems if p.severity == "error"}
    assert ("meetings", "invalid_type") in errors
    assert ("awareness", "out_of_range") in errors  # 1234.5 %, read as the number it is
    wb = openpyxl.load_workbook(path)
    wb[SHEET_INDICATORS].cell(rows["meetings"], 8, "95%")
    wb.save(path)
    (u,) = read_workbook(path).units
    ev = fuac.evaluate(MINI, u.data, on="2023-06-01")
    assert ("meetings", "invalid_type") in {(p.field, p.code) for p in ev.problems if p.severity == "error"}


def test_template_cli_and_tier(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "wuhan.xlsx"
    assert main(["template", "wuhan-2017", "--tier", "street", "-o", str(out), "--unit", "某街道"]) == 0
    assert str(out) in capsys.readouterr().out
    wb = openpyxl.load_workbook(out)
    about = {wb["说明"].cell(r, 1).value: wb["说明"].cell(r, 2).value for r in range(1, 20)}
    assert about["ruleset"] == "wuhan-2017" and about["tier"] == "street"
    rs = fuac.load("wuhan-2017")
    keys = set(rows_by_key(wb[SHEET_INDICATORS]))
    assert keys and all(rs.doc.indicators[k].tiers in (None,) or "street" in rs.doc.indicators[k].tiers for k in keys)
    # the tier written in the workbook is used when --tier is not given
    assert main(["evaluate", "wuhan-2017", str(out)]) == 1  # nothing filled in: missing inputs
    assert "[street]" in capsys.readouterr().out
    assert main(["template", "mini", "-o", str(tmp_path / "x.csv")]) == 2


def test_liunan_template() -> None:
    rs = fuac.load("liunan-2023")
    from fuac.render.workbook import assessable_rows

    keys = [k for k, *_ in assessable_rows(rs, None)]
    assert "1" in keys and "5.b" in keys and "12.a" in keys


def test_report_xlsx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).parents[1] / "examples" / "data" / "liunan-2023-liunan.toml"
    out = tmp_path / "评分表.xlsx"
    assert main(["evaluate", "liunan-2023", str(example), "--report", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    assert ws.title == "柳州市柳南区"
    assert [c.value for c in ws[5]] == ["项目", "分值", "评选标准及评分细则", "评估方法", "评估情况", "得分", "备注"]
    col_a = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    assert "（一）组织领导保障有力（17分）" in col_a and "合计" in col_a
    total_row = col_a.index("合计") + 1
    # the total is a formula over the subtotals (its value: tests/test_xlsx_outputs.py), the maximum a number
    assert ws.cell(total_row, 6).data_type == "f" and ws.cell(total_row, 2).value == 100
    subtotals = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 3).value == "小计"]
    assert len(subtotals) == 7
    assert int(ws.page_setup.paperSize) == 9 and int(ws.page_setup.fitToWidth) == 1  # A4, one page wide
    cached = openpyxl.load_workbook(out, data_only=True).worksheets[0]
    assert cached.cell(total_row, 6).value == 86.1 and cached.cell(total_row, 6).number_format == "0.0"


# ---------------------------------------------------------------------------
# without the extras


def test_without_openpyxl(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).parents[1] / "examples" / "data" / "liunan-2023-liunan.toml"
    xlsx = tmp_path / "in.xlsx"
    write_template(MINI, xlsx)
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl now raises ImportError
    for argv in (
        ["template", "mini", "-o", str(tmp_path / "t.xlsx")],
        ["evaluate", str(MINI), str(xlsx)],
        ["evaluate", "liunan-2023", str(example), "--report", str(tmp_path / "r.xlsx")],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "pip install 'fuac[xlsx]'" in err, argv
    # the HTML report needs nothing extra
    assert main(["evaluate", "liunan-2023", str(example), "--report", str(tmp_path / "r.html")]) == 0


def test_without_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    ev = fuac.evaluate(MINI, {**UNITS["甲县"], **REFERENCE}, on=ON)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'fuac\[pandas\]'"):
        ev.to_pandas()


CHOICES = """
[scheme]
id = "choice-test"
version = "1"
kind = "checklist"
title = { zh = "选项", en = "Choices" }
issuer = { zh = "测试", en = "Test" }
issued = 2023-01-01
valid_from = 2023-01-01
jurisdiction = [{ code = "450204", level = "county" }]

[indicators.grade]
type = "choice"
choices = ["优秀", "良好, 较好", "一般"]
label = { zh = "等级", en = "Grade" }

[indicators.kind]
type = "choice"
choices = ["a", "b"]
label = { zh = "类型", en = "Kind" }

[[sections]]
id = "A"
title = { zh = "甲", en = "A" }

[[sections.items]]
id = "1"
kind = "requirement"
condition = "grade == '优秀'"

[[sections.items]]
id = "2"
kind = "requirement"
"""


def test_choices_and_judged_requirements(tmp_path: Path) -> None:
    rs = fuac.loads(CHOICES)
    path = tmp_path / "c.xlsx"
    write_template(rs, path)
    wb = openpyxl.load_workbook(path)
    # a choice with a comma cannot be an inline list: it goes to a hidden sheet, placed last
    assert wb.sheetnames[-1] == "_lists" and wb["_lists"].sheet_state == "hidden"
    formulas = sorted(dv.formula1 for dv in wb[SHEET_INDICATORS].data_validations.dataValidation)
    assert formulas == ['"a,b"', "'_lists'!$A$1:$A$3"]
    ws = wb[SHEET_INDICATORS]
    rows = rows_by_key(ws)
    ws.cell(rows["grade"], 8, "良好, 较好")
    ws.cell(rows["kind"], 8, "c")  # not a choice
    scores = wb[SHEET_SCORES]
    assert rows_by_key(scores, 3) == {"2": 3}  # item 1 is decided by its condition: no assessor row
    scores.cell(3, 6, "是")
    wb.save(path)
    (u,) = read_workbook(path).units
    # the entry's text is read by its form (met: yes/no) when scored
    assert u.data == {"grade": "良好, 较好", "kind": "c"} and u.assessments == {"2": {"value": "是"}}
    ev = annotate(fuac.evaluate(rs, u.data, assessments=u.assessments), u.cells)
    assert ev.item("2").met is True and ev.item("1").met is False
    (p,) = ev.problems
    assert p.field == "kind" and p.message.startswith(f"指标!H{rows['kind']}: ")
