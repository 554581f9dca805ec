"""Fill-in workbooks (``fuac template``), reading them back, and the score sheet as ``.xlsx``.

A template has four sheets:

* ``说明`` — what the workbook is for: rule set, version, content hash, tier, how to fill it in;
* ``指标`` — one row per indicator (key, Chinese and English label, unit, allowed range or
  choices, help, items that read it) and one value column per unit, the unit's name in
  the header row; Excel data validation keeps values within bounds and choices
  (booleans as a 是/否 list). Add a unit by adding a column with its name on top;
* ``评估打分`` — every item or part an assessor scores: key, item, rule, bounds, and per unit
  three columns (score, rationale, assessor) under the unit's name;
* ``参考值`` — the regional reference values (``reference = true`` indicators): value and source,
  shared by every unit of the workbook.

Reading gives one input per unit. A cell that cannot be used is reported by sheet and
cell address (``指标!H7``) and only that value is left out: the core validation reports
it, the items that need it say so, and every other cell is still used.

Every workbook fuac writes goes through :func:`.cells.guard_workbook` before it is saved: a text
that a spreadsheet would take for a formula (a unit named ``=HYPERLINK(…)``, a rule file's label
starting with ``+``) is a string cell with the quote prefix, never a formula.

openpyxl is an optional dependency: ``pip install 'fuac[xlsx]'``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import FuacError, InputError
from ..language.cells import from_cell, strip
from ..language.words import UNITS, fmt_number
from ..run.results import Evaluation, Problem
from .cells import guard_workbook, new_workbook
from .sheet import condition_state, is_points, row_cells, section_score, total_text, unit_name, verdict

if TYPE_CHECKING:
    from ..plan.loader import RuleSet

SHEET_ABOUT = "说明"
SHEET_INDICATORS = "指标"
SHEET_SCORES = "评估打分"
SHEET_REFERENCES = "参考值"
SHEET_LISTS = "_lists"

#: The columns of the indicators sheet before the units' value columns.
INDICATOR_HEADERS = (
    "指标键 key",
    "名称",
    "Name",
    "单位 Unit",
    "范围/选项 Allowed",
    "说明 Help",
    "用于项目 Items",
)
SCORE_HEADERS = ("键 key", "项目 Item", "评分细则 Rule", "下限 Min", "上限 Max")
SCORE_SUBHEADERS = ("得分 Score", "理由 Rationale", "评估人 Assessor")
REFERENCE_HEADERS = ("指标键 key", "名称", "Name", "单位 Unit", "值 Value", "来源 Source")
DEFAULT_UNIT = "本单位"
#: Value columns that get data validation in a template (units added beyond them are still read).
VALIDATED_UNITS = 20

class MissingExtra(FuacError, ModuleNotFoundError):
    """An optional dependency is not installed; the message says which extra to install."""


def require_openpyxl(what: str = "reading and writing .xlsx files") -> Any:
    try:
        import openpyxl
    except ImportError as exc:
        raise MissingExtra(f"{what} needs openpyxl: pip install 'fuac[xlsx]'", name="openpyxl") from exc
    return openpyxl


# ---------------------------------------------------------------------------
# describing an indicator


def unit_text(unit: str | None) -> str:
    if not unit:
        return ""
    zh, en = UNITS.get(unit, (unit, unit))
    zh, en = zh.strip(), en.strip()
    if not zh:
        return en or unit
    return zh if zh == en else f"{zh} ({en})"


def allowed_text(ind: Any) -> str:
    if ind.type == "boolean":
        return "是 / 否"
    if ind.type == "choice":
        return " / ".join(ind.choices or [])
    kind = "整数" if ind.type == "integer" else "数值"
    kind_en = "whole number" if ind.type == "integer" else "number"
    lo = None if ind.min is None else fmt_number(ind.min)
    hi = None if ind.max is None else fmt_number(ind.max)
    if lo is not None and hi is not None:
        return f"{kind} {lo}–{hi} ({kind_en})"
    if lo is not None:
        return f"{kind} ≥ {lo} ({kind_en})"
    if hi is not None:
        return f"{kind} ≤ {hi} ({kind_en})"
    return f"{kind} ({kind_en})"


def _validation(ind: Any) -> tuple[Any, ...] | None:
    """A hashable description of the Excel validation an indicator's cells need."""
    if ind.type == "boolean":
        return ("list", '"是,否"', None)
    if ind.type == "choice":
        return ("choice", tuple(ind.choices or []), None)
    return (
        "whole" if ind.type == "integer" else "decimal",
        None if ind.min is None else ind.min,
        None if ind.max is None else ind.max,
    )


# ---------------------------------------------------------------------------
# writing a template


def _styles(openpyxl: Any) -> dict[str, Any]:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="8A94A3")
    return {
        "head_fill": PatternFill("solid", fgColor="DCE3EA"),
        "meta_fill": PatternFill("solid", fgColor="F3F5F7"),
        "input_fill": PatternFill("solid", fgColor="FFFBE6"),
        "bold": Font(bold=True),
        "title": Font(bold=True, size=14),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
    }


def assessable_rows(rs: RuleSet, tier: str | None) -> list[tuple[str, Any, Any, Any]]:
    """(key, item, part or None, rule) for every item or part an assessor's entry is read for."""
    plan = rs.plan(tier)
    out = []
    for sec in plan.sections:
        for it in sec.items:
            parts = it.parts if it.parts is not None else [None]
            for part in parts:
                rule = part.rule if part is not None else it.rule
                entry = rule.entry if rule is not None else None
                if entry is None or not entry.read:
                    continue  # no entry, or decided by its condition: an entry would never be read
                key = part.key if part is not None else it.id
                out.append((key, it, part, rule))
    return out


def _indicator_validation(wb: Any, val: tuple[Any, ...]) -> Any:
    """The data validation of an indicator's value cells: yes/no, a choice (inline, or from the
    hidden list sheet when the list is long or has commas or quotes), or a number within bounds."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    kind = val[0]
    if kind == "list":
        dv = DataValidation(type="list", formula1=val[1], allow_blank=True)
        dv.error = "请从列表中选择 是 或 否 / choose 是 (yes) or 否 (no)"
    elif kind == "choice":
        choices = list(val[1])
        inline = '"' + ",".join(choices) + '"'
        if len(inline) <= 250 and not any("," in c or '"' in c for c in choices):
            formula = inline
        else:
            if SHEET_LISTS in wb.sheetnames:
                lists = wb[SHEET_LISTS]
            else:
                lists = wb.create_sheet(SHEET_LISTS)
                lists.sheet_state = "hidden"
            col = lists.max_column + 1 if lists.max_row > 1 or lists["A1"].value else 1
            for i, c in enumerate(choices, start=1):
                lists.cell(i, col, c)
            letter = get_column_letter(col)
            formula = f"'{SHEET_LISTS}'!${letter}$1:${letter}${len(choices)}"
        dv = DataValidation(type="list", formula1=formula, allow_blank=True)
        dv.error = "请从列表中选择 / choose from the list"
    else:
        lo, hi = val[1], val[2]
        what = "整数" if kind == "whole" else "数值"
        what_en = "a whole number" if kind == "whole" else "a number"
        if lo is not None and hi is not None:
            dv = DataValidation(
                type=kind, operator="between", formula1=fmt_number(lo), formula2=fmt_number(hi), allow_blank=True
            )
            lz, hz = fmt_number(lo), fmt_number(hi)
            dv.error = f"应为{lz}至{hz}之间的{what} / {what_en} from {lz} to {hz}"
        elif lo is not None:
            dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=fmt_number(lo), allow_blank=True)
            dv.error = f"应为不小于{fmt_number(lo)}的{what} / {what_en} of at least {fmt_number(lo)}"
        elif hi is not None:
            dv = DataValidation(type=kind, operator="lessThanOrEqual", formula1=fmt_number(hi), allow_blank=True)
            dv.error = f"应为不大于{fmt_number(hi)}的{what} / {what_en} of at most {fmt_number(hi)}"
        else:
            dv = DataValidation(
                type=kind, operator="between", formula1="-1E+15", formula2="1E+15", allow_blank=True
            )
            dv.error = f"应为{what} / {what_en}"
    return dv


def _about_sheet(ws: Any, rs: RuleSet, tier: str | None, st: dict[str, Any]) -> None:
    """The template's first sheet (说明): which rule set, version and tier it is for, and how to fill it in."""
    ws.title = SHEET_ABOUT
    ws["A1"] = f"{rs.title.zh} — 填报表"
    ws["A1"].font = st["title"]
    ws["A2"] = f"{rs.title.en} — fill-in workbook"
    rows = [
        ("ruleset", rs.id, "规则集 / rule set"),
        ("version", rs.version, "版本 / version"),
        ("content_hash", rs.content_hash, "内容校验 / content hash"),
        ("tier", tier or "", "层级 / tier"),
        ("on", "", "评估日期（可选，YYYY-MM-DD）/ assessment date (optional)"),
        ("created", dt.date.today().isoformat(), "生成日期 / created"),
    ]
    ws["A4"], ws["B4"], ws["C4"] = "键 key", "值 value", "说明 note"
    for c in ("A4", "B4", "C4"):
        ws[c].font = st["bold"]
        ws[c].fill = st["head_fill"]
    for n, (k, v, note) in enumerate(rows, start=5):
        ws.cell(n, 1, k)
        ws.cell(n, 2, v)
        ws.cell(n, 3, note)
    help_lines = [
        "填写方法 / How to fill it in",
        f"1. 「{SHEET_INDICATORS}」：每个单位一列，第1行写单位名称；在黄色单元格中填写指标数值。"
        "百分比填数字（如 96.5 表示 96.5%）；是/否 指标从下拉列表选择。",
        "   Indicators: one column per unit, its name in row 1; fill in the yellow cells. "
        "Percentages as numbers (96.5 means 96.5 %); yes/no from the drop-down list (是 = yes, 否 = no).",
        f"2. 「{SHEET_SCORES}」：需评估人酌情评分或判断的项目；每个单位三列（得分、理由、评估人）。",
        "   Assessor scores: items scored by judgement; three columns per unit (score, rationale, assessor).",
        f"3. 「{SHEET_REFERENCES}」：全区（自治区）平均水平等参考值及其来源，所有单位共用。",
        "   Reference values: regional averages and their source, shared by every unit.",
        "4. 留空表示未提供：相关项目显示“缺少输入”。 A blank cell means no value: its items show 'missing input'.",
        f"5. 评分：fuac evaluate {rs.id} 本文件.xlsx [--report 评分表.html]",
    ]
    for n, line in enumerate(help_lines, start=13):
        ws.cell(n, 1, line)
    ws.cell(13, 1).font = st["bold"]
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 34
    ws.column_dimensions["C"].width = 50


def _scores_sheet(ws: Any, rs: RuleSet, tier: str | None, names: list[str], st: dict[str, Any]) -> None:
    """The assessors' sheet (评估打分): one row per item or part an entry is read for, three columns
    (score, rationale, assessor) per unit, each entry validated by its form."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    base = len(SCORE_HEADERS)
    for col, h in enumerate(SCORE_HEADERS, start=1):
        ws.merge_cells(start_row=1, start_column=col, end_row=2, end_column=col)
        cell = ws.cell(1, col, h)
        cell.font, cell.fill, cell.alignment = st["bold"], st["head_fill"], st["center"]
    for u, name in enumerate(names):
        c0 = base + 1 + 3 * u
        ws.merge_cells(start_row=1, start_column=c0, end_row=1, end_column=c0 + 2)
        cell = ws.cell(1, c0, name)
        cell.font, cell.fill, cell.alignment = st["bold"], st["head_fill"], st["center"]
        for j, sub in enumerate(SCORE_SUBHEADERS):
            cell = ws.cell(2, c0 + j, sub)
            cell.font, cell.fill, cell.alignment = st["bold"], st["head_fill"], st["center"]
    score_groups: dict[tuple[Any, ...], list[int]] = {}
    for r, (key, it, part, rule) in enumerate(assessable_rows(rs, tier), start=3):
        label = part.label if part is not None and part.label is not None else it.label
        item_text = f"{it.number or it.id}{'(' + part.id + ')' if part is not None else ''} "
        item_text += f"{label.zh}\n{label.en}" if label is not None else ""
        clause = (part.clause if part is not None else None) or it.clause or ""
        entry = rule.entry
        if entry.form == "points":
            lo, hi = entry.bounds
            if getattr(rule, "expr", None) is not None:
                clause += f"\n（条件满足时自动得满分，无需评分：{rule.expr.source}）"
            bounds: tuple[Any, Any] = (
                float(lo) if lo != lo.to_integral_value() else int(lo),
                float(hi) if hi != hi.to_integral_value() else int(hi),
            )
            score_groups.setdefault(("decimal", lo, hi), []).append(r)
        elif entry.form == "met":
            bounds = ("否", "是")
            score_groups.setdefault(("list", '"是,否"', None), []).append(r)
        else:  # a plugin kind's own entry: written as given, checked when the workbook is read
            bounds = ("", "")
        for col, v in enumerate([key, item_text, clause, bounds[0], bounds[1]], start=1):
            cell = ws.cell(r, col, v)
            cell.fill, cell.alignment, cell.border = st["meta_fill"], st["wrap"], st["border"]
        for col in range(base + 1, base + 1 + 3 * len(names)):
            cell = ws.cell(r, col)
            cell.fill, cell.border = st["input_fill"], st["border"]
            cell.alignment = st["wrap"]
    score_cols = [get_column_letter(base + 1 + 3 * u) for u in range(max(len(names), VALIDATED_UNITS))]
    for val, rws in score_groups.items():
        if val[0] == "list":
            dv = DataValidation(type="list", formula1=val[1], allow_blank=True)
            dv.error = "请选择 是（已落实）或 否（未落实） / choose 是 (met) or 否 (not met)"
        else:
            lo, hi = val[1], val[2]
            dv = DataValidation(
                type="decimal", operator="between", formula1=fmt_number(lo), formula2=fmt_number(hi), allow_blank=True
            )
            dv.error = f"应为{fmt_number(lo)}至{fmt_number(hi)}分 / points from {fmt_number(lo)} to {fmt_number(hi)}"
        dv.errorTitle = "输入无效 / invalid value"
        dv.showErrorMessage = True
        for r in rws:
            for c in score_cols:
                dv.add(f"{c}{r}")
        ws.add_data_validation(dv)
    for col, w in enumerate((10, 30, 50, 8, 8), start=1):
        ws.column_dimensions[get_column_letter(col)].width = w
    for u in range(len(names)):
        for j, width in enumerate((10, 30, 12)):
            ws.column_dimensions[get_column_letter(base + 1 + 3 * u + j)].width = width
    ws.freeze_panes = ws.cell(3, base + 1)


def _references_sheet(ws: Any, rs: RuleSet, tier: str | None, st: dict[str, Any]) -> None:
    """The reference values' sheet (参考值): regional averages and their source, shared by every unit."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    for col, h in enumerate(REFERENCE_HEADERS, start=1):
        cell = ws.cell(1, col, h)
        cell.font, cell.fill, cell.alignment, cell.border = st["bold"], st["head_fill"], st["center"], st["border"]
    refs = [
        (n, i)
        for n, i in rs.doc.indicators.items()
        if i.reference and (tier is None or i.tiers is None or tier in i.tiers)
    ]
    for r, (name, ind) in enumerate(refs, start=2):
        for col, v in enumerate([name, ind.label.zh, ind.label.en, unit_text(ind.unit)], start=1):
            cell = ws.cell(r, col, v)
            cell.fill, cell.alignment, cell.border = st["meta_fill"], st["wrap"], st["border"]
        for col in (5, 6):
            cell = ws.cell(r, col)
            cell.fill, cell.border = st["input_fill"], st["border"]
        val = _validation(ind)
        if val is not None and val[0] in ("whole", "decimal"):
            lo, hi = val[1], val[2]
            if lo is not None and hi is not None:
                dv = DataValidation(
                    type=val[0], operator="between", formula1=fmt_number(lo), formula2=fmt_number(hi), allow_blank=True
                )
            elif lo is not None:
                dv = DataValidation(
                    type=val[0], operator="greaterThanOrEqual", formula1=fmt_number(lo), allow_blank=True
                )
            else:
                dv = DataValidation(
                    type=val[0], operator="between", formula1="-1E+15", formula2="1E+15", allow_blank=True
                )
            dv.error = "应为数值 / a number"
            dv.showErrorMessage = True
            dv.add(f"E{r}")
            ws.add_data_validation(dv)
    for col, w in enumerate((36, 34, 40, 14, 12, 44), start=1):
        ws.column_dimensions[get_column_letter(col)].width = w
    ws.freeze_panes = "E2"


def write_template(
    ruleset: RuleSet | str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    tier: str | None = None,
    units: Sequence[str] = (),
) -> None:
    """Write a fill-in workbook for ``ruleset`` (and ``tier``) with one value column per unit."""
    openpyxl = require_openpyxl("fuac template")
    from openpyxl.utils import get_column_letter

    from ..plan.engine import get_engine

    rs = get_engine().resolve(ruleset)
    plan = rs.plan(tier)
    tier = plan.tier
    names = list(units) or [DEFAULT_UNIT]
    st = _styles(openpyxl)
    wb = new_workbook()

    _about_sheet(wb.active, rs, tier, st)

    # -- 指标
    readers: dict[str, list[str]] = {}
    for pitem in plan.items.values():
        for rname in sorted(pitem.reads | pitem.void_reads):
            readers.setdefault(rname, []).append(pitem.number or pitem.id)
    for pcond in [*plan.vetoes, *plan.eligibility]:
        for rname in sorted(pcond.reads):
            readers.setdefault(rname, []).append(pcond.cond.id)
    ws = wb.create_sheet(SHEET_INDICATORS)
    headers = [*INDICATOR_HEADERS, *names]
    first_value = len(INDICATOR_HEADERS) + 1
    for col, h in enumerate(headers, start=1):
        cell = ws.cell(1, col, h)
        cell.font = st["bold"]
        cell.fill = st["head_fill"]
        cell.alignment = st["center"]
        cell.border = st["border"]
    shown = [
        (name, ind)
        for name, ind in rs.doc.indicators.items()
        if not ind.reference and (tier is None or ind.tiers is None or tier in ind.tiers)
    ]
    groups: dict[tuple[Any, ...], list[int]] = {}
    for r, (name, ind) in enumerate(shown, start=2):
        help_text = ""
        if ind.description is not None:
            help_text = f"{ind.description.zh}\n{ind.description.en}"
        values = [
            name,
            ind.label.zh,
            ind.label.en,
            unit_text(ind.unit),
            allowed_text(ind),
            help_text,
            ", ".join(readers.get(name, [])),
        ]
        for col, v in enumerate(values, start=1):
            cell = ws.cell(r, col, v)
            cell.fill = st["meta_fill"]
            cell.alignment = st["wrap"]
            cell.border = st["border"]
        for col in range(first_value, first_value + len(names)):
            cell = ws.cell(r, col)
            cell.fill = st["input_fill"]
            cell.border = st["border"]
        val = _validation(ind)
        if val is not None:
            groups.setdefault(val, []).append(r)
    last_col = get_column_letter(first_value + max(len(names), VALIDATED_UNITS) - 1)
    first_col = get_column_letter(first_value)
    for val, rws in groups.items():
        dv = _indicator_validation(wb, val)
        dv.errorTitle = "输入无效 / invalid value"
        dv.showErrorMessage = True
        for r in rws:
            dv.add(f"{first_col}{r}:{last_col}{r}")
        ws.add_data_validation(dv)
    widths = (30, 30, 34, 12, 18, 40, 12)
    for col, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = w
    for col in range(first_value, first_value + len(names)):
        ws.column_dimensions[get_column_letter(col)].width = 16
    ws.freeze_panes = ws.cell(2, first_value)

    _scores_sheet(wb.create_sheet(SHEET_SCORES), rs, tier, names, st)
    _references_sheet(wb.create_sheet(SHEET_REFERENCES), rs, tier, st)
    if SHEET_LISTS in wb.sheetnames:  # the hidden sheet of long choice lists goes last
        wb.move_sheet(wb[SHEET_LISTS], offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(SHEET_LISTS))
    wb.active = 1
    guard_workbook(wb)
    wb.save(os.fspath(path))


# ---------------------------------------------------------------------------
# reading a filled-in workbook


@dataclass(slots=True)
class UnitInput:
    """One unit's input read from a workbook, with where each value came from."""

    name: str | None
    data: dict[str, Any] = field(default_factory=dict)
    assessments: dict[str, Any] = field(default_factory=dict)
    #: input field (indicator name, or ``assessments.KEY``) → "sheet!cell"
    cells: dict[str, str] = field(default_factory=dict)

    def doc(self, meta: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"data": dict(self.data), "context": {}, "_cells": dict(self.cells)}
        if self.name:
            out["context"]["name"] = self.name
        if self.assessments:
            out["assessments"] = dict(self.assessments)
        for k in ("tier", "on"):
            if meta.get(k):
                out[k] = meta[k]
        return out


@dataclass(slots=True)
class WorkbookInput:
    path: str
    meta: dict[str, Any]
    units: list[UnitInput]
    problems: list[Problem] = field(default_factory=list)

    def docs(self) -> list[dict[str, Any]]:
        return [u.doc(self.meta) for u in self.units]


def _text(v: Any) -> str:
    if v is None:
        return ""
    return str(v).strip()


def cell_value(cell: Any) -> Any:
    """A cell's value as fuac reads it (:func:`fuac.language.cells.from_cell`): a number exactly as the
    cell shows it, a percentage-formatted number as the percentage it shows; text stripped, to be read
    with its indicator by the rules every input path shares (是/否, ``95%``, ``1,234``), empty as None.

    A value that cannot be read as what its indicator expects is kept as it is, so the core
    validation reports it (with the cell's address) instead of guessing.
    """
    v = from_cell(cell.value, str(getattr(cell, "number_format", "") or ""))
    if isinstance(v, str):
        return strip(v) or None
    return v  # numbers, booleans, dates and the like: the core says what it expected


def _address(ws: Any, row: int, col: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{ws.title}!{get_column_letter(col)}{row}"


def _meta_value(v: Any) -> str:
    """A value of the about sheet as text, a date as ``YYYY-MM-DD``."""
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v).strip()


def _read_about(wb: Any) -> dict[str, Any]:
    """What the about sheet (说明) says the workbook is for: rule set, version, content hash, tier, date."""
    meta: dict[str, Any] = {}
    if SHEET_ABOUT not in wb.sheetnames:
        return meta
    for row in wb[SHEET_ABOUT].iter_rows(min_row=1, max_col=2):
        k, v = _text(row[0].value), row[1].value
        if k in ("ruleset", "version", "content_hash", "tier", "on") and v not in (None, ""):
            meta[k] = _meta_value(v)
    return meta


def _unit_columns(ws: Any) -> tuple[int, list[tuple[int, str | None]]]:
    """The indicators sheet's header row: the key column, and (column, name) of each unit's value column."""
    known = set(INDICATOR_HEADERS)
    unit_cols: list[tuple[int, str | None]] = []
    key_col = 1
    for cell in ws[1]:
        h = _text(cell.value)
        if h == INDICATOR_HEADERS[0]:
            key_col = cell.column
        elif h and h not in known:
            unit_cols.append((cell.column, h))
    return key_col, unit_cols


def _duplicate_row(ws: Any, key: str, r: int, first: int) -> Problem:
    """The warning for an indicator on a second row: the later row is used."""
    return Problem(
        key,
        "duplicate",
        f"{ws.title}!A{r}: {key!r} is also on row {first}; this row is used",
        f"{ws.title}!A{r}：{key} 与第{first}行重复，使用本行",
        severity="warning",
    )


def _read_indicators(
    ws: Any, key_col: int, unit_cols: list[tuple[int, str | None]], units: list[UnitInput], problems: list[Problem]
) -> None:
    """Each unit's indicator values from the indicators sheet (指标), with the cell each came from."""
    seen: dict[str, int] = {}
    for row in ws.iter_rows(min_row=2):
        key = _text(row[key_col - 1].value) if len(row) >= key_col else ""
        if not key:
            continue
        r = row[0].row
        if key in seen:
            problems.append(_duplicate_row(ws, key, r, seen[key]))
        seen[key] = r
        for (col, _), unit in zip(unit_cols, units, strict=False):
            cell = ws.cell(r, col)
            value = cell_value(cell)
            if value is None:
                continue
            unit.data[key] = value
            unit.cells[key] = _address(ws, r, col)


def _read_references(ws: Any, units: list[UnitInput]) -> None:
    """The reference values (参考值), with their source, given to every unit."""
    for row in ws.iter_rows(min_row=2):
        key = _text(row[0].value)
        if not key or len(row) < 5:
            continue
        value = cell_value(row[4])
        source = _text(row[5].value) if len(row) > 5 else ""
        if value is None:
            continue
        entry: Any = {"value": value, "source": source} if source else value
        for unit in units:
            unit.data[key] = entry
            unit.cells[key] = _address(ws, row[4].row, 5)


def read_workbook(path: str | os.PathLike[str]) -> WorkbookInput:
    """Read a filled-in workbook: one :class:`UnitInput` per value column of the indicators sheet."""
    openpyxl = require_openpyxl("reading an .xlsx input")
    p = os.fspath(path)
    try:
        wb = openpyxl.load_workbook(p, data_only=True)
    except Exception as exc:  # zip errors, invalid file
        raise InputError(f"{p}: not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from exc
    meta = _read_about(wb)
    problems: list[Problem] = []
    if SHEET_INDICATORS not in wb.sheetnames:
        raise InputError(f"{p}: no sheet named {SHEET_INDICATORS!r}: is this a workbook made by 'fuac template'?")
    ws = wb[SHEET_INDICATORS]
    key_col, unit_cols = _unit_columns(ws)
    if not unit_cols:
        raise InputError(f"{p}: sheet {SHEET_INDICATORS!r} has no unit column (a column with the unit's name in row 1)")
    units = [UnitInput(None if name == DEFAULT_UNIT else name) for _, name in unit_cols]
    _read_indicators(ws, key_col, unit_cols, units, problems)
    if SHEET_REFERENCES in wb.sheetnames:
        _read_references(wb[SHEET_REFERENCES], units)
    if SHEET_SCORES in wb.sheetnames:
        _read_scores(wb[SHEET_SCORES], units, problems)
    return WorkbookInput(p, meta, units, problems)


def _read_scores(ws: Any, units: list[UnitInput], problems: list[Problem]) -> None:
    base = len(SCORE_HEADERS)
    by_name: dict[str | None, UnitInput] = {u.name: u for u in units}
    groups: list[tuple[int, UnitInput]] = []
    for cell in ws[1][base:]:
        name = _text(cell.value)
        if not name:
            continue
        unit = by_name.get(None if name == DEFAULT_UNIT else name)
        if unit is None and len(units) == 1 and units[0].name is None:
            unit = units[0]
        if unit is None:
            problems.append(
                Problem(
                    f"{ws.title}!{cell.coordinate}",
                    "unknown_unit",
                    f"{ws.title}!{cell.coordinate}: no unit {name!r} in sheet {SHEET_INDICATORS}; "
                    "its scores are ignored",
                    f"{ws.title}!{cell.coordinate}：「{SHEET_INDICATORS}」中没有单位「{name}」，其评分已忽略",
                    severity="warning",
                )
            )
            continue
        groups.append((cell.column, unit))
    for row in ws.iter_rows(min_row=3):
        key = _text(row[0].value)
        if not key:
            continue
        r = row[0].row
        for col, unit in groups:
            score = cell_value(ws.cell(r, col))
            if score is None:
                continue
            entry: dict[str, Any] = {"value": score}
            rationale = _text(ws.cell(r, col + 1).value)
            who = _text(ws.cell(r, col + 2).value)
            if rationale:
                entry["rationale"] = rationale
            if who:
                entry["assessor"] = who
            prev = unit.assessments.get(key)
            if prev is None:
                unit.assessments[key] = entry
            else:  # the same unit twice: several assessors' entries
                unit.assessments[key] = [*(prev if isinstance(prev, list) else [prev]), entry]
            unit.cells[f"assessments.{key}"] = _address(ws, r, col)


def read_workbook_input(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The CLI's view of a workbook: the first unit as an ordinary input document, with
    ``units`` (every unit's document) and ``_problems`` (problems of the workbook itself)."""
    wbi = read_workbook(path)
    docs = wbi.docs()
    first = dict(docs[0])
    first["units"] = docs
    first["_problems"] = wbi.problems
    first["_meta"] = wbi.meta
    return first


def annotate(ev: Evaluation, cells: Mapping[str, str], extra: Sequence[Problem] = ()) -> Evaluation:
    """Name the sheet and cell of every problem that comes from a workbook cell."""
    for p in ev.problems:
        addr = cells.get(p.field)
        if addr and not p.message.startswith(addr):
            p.message = f"{addr}: {p.message}"
            p.message_zh = f"{addr}：{p.message_zh}"
    ev.problems.extend(extra)
    return ev


# ---------------------------------------------------------------------------
# the score sheet as .xlsx

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(name: str, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", name)[:28] or "评分表"
    title, n = base, 2
    while title in used:
        title = f"{base[:26]}_{n}"
        n += 1
    used.add(title)
    return title


def _report_columns(ev: Evaluation, en: bool, points: bool) -> tuple[list[str], list[int]]:
    """The score sheet's column headings and widths: no points column for a checklist or targets."""
    last = (
        ("Score" if en else "得分")
        if points
        else (("Achieved" if en else "完成情况") if ev.scheme_kind == "targets" else ("Met" if en else "落实情况"))
    )
    heads = (
        ["Section", "Points", "Standard and scoring rule", "Assessment method", "Findings", last]
        if en
        else ["项目", "分值", "评选标准及评分细则", "评估方法", "评估情况", last]
    )
    widths = [14, 6, 46, 16, 42, 9]
    if not points:
        del heads[1], widths[1]
    return heads, widths


def _report_title_rows(ws: Any, ev: Evaluation, en: bool, points: bool, ncol: int, st: dict[str, Any]) -> None:
    """The three rows above the table: the title, the unit and date, and the total with the verdict."""
    title = ev.title.en if (en and ev.title) else (ev.title.zh if ev.title else ev.ruleset_id)
    ws.cell(1, 1, title).font = st["title"]
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.cell(1, 1).alignment = st["center"]
    ws.row_dimensions[1].height = 36
    name = unit_name(ev)
    sub = (f"Unit: {name} · " if en else f"评估单位：{name}　") if name else ""
    sub += f"assessed on {ev.on.isoformat()}" if en else f"评估日期：{ev.on.isoformat()}"
    ws.cell(2, 1, sub).alignment = st["center"]
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncol)
    tz, te = total_text(ev)
    summary = [("Total: " if en else "总分：") + (te if en else tz)]
    if points and ev.judgement_points:
        j = fmt_number(ev.judgement_points)
        summary.append(f"of which {j} by judgement (*)" if en else f"其中酌情评分 {j} 分（*）")
    summary += [(e if en else z) for _, z, e in verdict(ev)]
    ws.cell(3, 1, "；".join(summary) if not en else "; ".join(summary)).font = st["bold"]
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=ncol)


def _report_header_row(ws: Any, heads: list[str], hr: int, st: dict[str, Any]) -> None:
    """The table's header row."""
    for col, h in enumerate(heads, start=1):
        c = ws.cell(hr, col, h)
        c.font, c.fill, c.alignment, c.border = st["bold"], st["head_fill"], st["center"], st["border"]


def _report_item_row(
    ws: Any, ev: Evaluation, it: Any, r: int, en: bool, points: bool, ncol: int, st: dict[str, Any]
) -> None:
    """One item's row: points, criteria, method, findings and score (or met)."""
    cells = row_cells(ev, it)
    crit = cells.criteria_en if en else cells.criteria_zh
    vals = [
        None,
        cells.max,
        crit,
        cells.method,
        cells.found_en if en else cells.found_zh,
        cells.score_en if en else cells.score_zh,
    ]
    if not points:
        del vals[1]
    for col, v in enumerate(vals, start=1):
        c = ws.cell(r, col, v)
        c.alignment, c.border = st["wrap"], st["border"]
    for col in (2, ncol) if points else (ncol,):
        ws.cell(r, col).alignment = st["center"]


def _report_subtotal_row(
    ws: Any, ev: Evaluation, sec: Any, r: int, en: bool, points: bool, ncol: int, st: dict[str, Any]
) -> None:
    """A section's subtotal row."""
    sz, se = section_score(ev, sec)
    sub_vals = [
        None,
        fmt_number(sec.max) if sec.max is not None else "",
        "Subtotal" if en else "小计",
        None,
        None,
        se if en else sz,
    ]
    if not points:
        del sub_vals[1]
    for col, v in enumerate(sub_vals, start=1):
        c = ws.cell(r, col, v)
        c.font, c.fill, c.border = st["bold"], st["meta_fill"], st["border"]
    ws.merge_cells(start_row=r, start_column=ncol - 3, end_row=r, end_column=ncol - 1)


def _report_section(
    ws: Any, ev: Evaluation, sec: Any, r: int, en: bool, points: bool, ncol: int, st: dict[str, Any]
) -> int:
    """One section from row ``r``: its items, its subtotal, and its label merged down the first column;
    returns the row after it."""
    start = r
    for it in sec.items:
        _report_item_row(ws, ev, it, r, en, points, ncol, st)
        r += 1
    _report_subtotal_row(ws, ev, sec, r, en, points, ncol, st)
    sec_max = (
        (f" ({fmt_number(sec.max)} points)" if en else f"（{fmt_number(sec.max)}分）")
        if points and sec.max is not None
        else ""
    )
    label = f"{sec.number or ''}{sec.title.en if en else sec.title.zh}{sec_max}"
    ws.cell(start, 1, label)
    ws.merge_cells(start_row=start, start_column=1, end_row=r, end_column=1)
    ws.cell(start, 1).alignment = st["center"]
    ws.cell(start, 1).font = st["bold"]
    return r + 1


def _report_total_row(ws: Any, ev: Evaluation, r: int, en: bool, ncol: int, st: dict[str, Any]) -> None:
    """The row of the total."""
    tz, te = total_text(ev)
    ws.cell(r, 1, "Total" if en else "合计")
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncol - 1)
    ws.cell(r, ncol, te if en else tz)
    for col in range(1, ncol + 1):
        c = ws.cell(r, col)
        c.font, c.fill, c.border = st["bold"], st["head_fill"], st["border"]


def _report_conditions(ws: Any, ev: Evaluation, r: int, en: bool, ncol: int, st: dict[str, Any]) -> int:
    """The eligibility conditions and vetoes from row ``r``, if any; returns the row after them."""
    conds = [(c, False) for c in ev.eligibility] + [(v, True) for v in ev.vetoes]
    if conds:
        ws.cell(r, 1, "Eligibility and vetoes" if en else "申报条件与一票否决事项").font = st["bold"]
        r += 1
        for c, veto in conds:
            _, z, e = condition_state(c, veto)
            ws.cell(r, 1, (c.label.en if en else c.label.zh)).alignment = st["wrap"]
            ws.cell(r, ncol - 3, c.reason_en if en else c.reason_zh).alignment = st["wrap"]
            ws.merge_cells(start_row=r, start_column=ncol - 3, end_row=r, end_column=ncol - 1)
            ws.cell(r, ncol, e if en else z).font = st["bold"]
            r += 1
    return r


def _report_problems(ws: Any, ev: Evaluation, r: int, en: bool, st: dict[str, Any]) -> int:
    """The input problems after row ``r``, if any; returns the row after them."""
    if ev.problems:
        r += 1
        ws.cell(r, 1, "Input problems" if en else "输入问题").font = st["bold"]
        r += 1
        for p in ev.problems:
            ws.cell(r, 1, f"[{p.severity}] {p.field}: {p.message if en else p.message_zh}")
            r += 1
    return r


def _report_signatures(ws: Any, r: int, en: bool, ncol: int) -> None:
    """The row where the assessor and the reviewer sign and date the sheet."""
    ws.cell(r, 1, "Assessor:" if en else "评估人：")
    ws.cell(r, 3, "Reviewed by:" if en else "复核人：")
    ws.cell(r, ncol - 1, "Date:" if en else "日期：")


def _report_page_setup(ws: Any, widths: list[int], hr: int) -> None:
    """Column widths, the header row repeated on every page, A4 portrait one page wide, frozen header."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.page import PageMargins

    for col, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = w
    ws.print_title_rows = f"{hr}:{hr}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.freeze_panes = ws.cell(hr + 1, 1)


def _report_sheet(ws: Any, ev: Evaluation, en: bool, st: dict[str, Any]) -> None:
    """One unit's score sheet: title rows, the table section by section, total, conditions, problems,
    signatures, page setup."""
    points = is_points(ev)
    heads, widths = _report_columns(ev, en, points)
    ncol = len(heads)
    _report_title_rows(ws, ev, en, points, ncol, st)
    hr = 5
    _report_header_row(ws, heads, hr, st)
    r = hr + 1
    for sec in ev.sections:
        r = _report_section(ws, ev, sec, r, en, points, ncol, st)
    _report_total_row(ws, ev, r, en, ncol, st)
    r += 2
    r = _report_conditions(ws, ev, r, en, ncol, st)
    r = _report_problems(ws, ev, r, en, st)
    _report_signatures(ws, r + 1, en, ncol)
    _report_page_setup(ws, widths, hr)


def write_report_xlsx(evaluations: Sequence[Evaluation], path: str | os.PathLike[str], *, lang: str = "zh") -> None:
    """The score sheet of each unit on its own sheet, laid out like the source table, ready to print on A4."""
    openpyxl = require_openpyxl("an .xlsx report")
    en = lang == "en"
    st = _styles(openpyxl)
    wb = new_workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for ev in evaluations:
        ws = wb.create_sheet(_sheet_title(unit_name(ev) or ev.ruleset_id, used))
        _report_sheet(ws, ev, en, st)
    guard_workbook(wb)
    wb.save(os.fspath(path))
