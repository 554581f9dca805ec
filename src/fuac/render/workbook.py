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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..language.cells import from_cell, strip
from ..language.words import UNITS, fmt_number
from ..run.results import Evaluation, Problem
from .cells import new_workbook, save_workbook
from .sheet_xlsx import write_report_xlsx
from .xlsxkit import MissingExtra, cell_number, fit_columns, lay_out, require_openpyxl, styles

__all__ = ["MissingExtra", "read_workbook", "require_openpyxl", "write_report_xlsx", "write_template"]

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


def _jurisdiction(rs: RuleSet) -> tuple[str, str]:
    """The places a rule set is for, by name (its code when it has no name)."""
    places = [(j.name.zh, j.name.en) if j.name is not None else (j.code, j.code) for j in rs.meta.jurisdiction]
    return "、".join(z for z, _ in places), ", ".join(e for _, e in places)


def _source_line(rs: RuleSet) -> tuple[str, str]:
    """Who issued the rule set, its document number and the places it is for, in the rule set's words."""
    meta = rs.meta
    zh = [f"发文机关：{meta.issuer.zh}"] if meta.issuer is not None else []
    en = [f"issued by {meta.issuer.en}"] if meta.issuer is not None else []
    if meta.document_number:
        zh.append(f"文号：{meta.document_number}")
        en.append(f"document {meta.document_number}")
    jz, je = _jurisdiction(rs)
    if jz:
        zh.append(f"适用地区：{jz}")
        en.append(f"for {je}")
    return "　".join(zh), "; ".join(en)


def _indicators(rs: RuleSet, tier: str | None, *, reference: bool) -> list[tuple[str, Any]]:
    """(name, indicator) of the tier's reference values, or of its other indicators."""
    return [(n, i) for n, i in rs.doc.indicators.items()
            if bool(i.reference) == reference and (tier is None or i.tiers is None or tier in i.tiers)]


def _reference_lines(rs: RuleSet, tier: str | None) -> tuple[str, str]:
    """How to fill in the reference values, naming them as the rule set does (全区（自治区）……平均水平)."""
    refs = [i for _, i in _indicators(rs, tier, reference=True)]
    if not refs:
        return f"3. 「{SHEET_REFERENCES}」：本规则集没有参考值。", "   Reference values: this rule set has none."
    return (
        f"3. 「{SHEET_REFERENCES}」：{'、'.join(i.label.zh for i in refs)}，及其来源；所有单位共用。",
        f"   Reference values: {'; '.join(i.label.en for i in refs)}, with their source; shared by every unit.",
    )


def _help_lines(rs: RuleSet, tier: str | None, assessed: bool) -> list[str]:
    """How to fill the workbook in, in Chinese and English."""
    ref_zh, ref_en = _reference_lines(rs, tier)
    scores = (
        [f"2. 「{SHEET_SCORES}」：需评估人酌情评分或判断的项目；每个单位三列（得分、理由、评估人）。",
         "   Assessor scores: items scored by judgement; three columns per unit (score, rationale, assessor)."]
        if assessed
        else [f"2. 「{SHEET_SCORES}」：本规则集没有需评估人评分的项目。",
              "   Assessor scores: no item of this rule set is scored by an assessor."]
    )
    return [
        "填写方法 / How to fill it in",
        f"1. 「{SHEET_INDICATORS}」：每个单位一列，第1行写单位名称；在黄色单元格中填写指标数值。"
        "百分比填数字（如 96.5 表示 96.5%）；是/否 指标从下拉列表选择。",
        "   Indicators: one column per unit, its name in row 1; fill in the yellow cells. "
        "Percentages as numbers (96.5 means 96.5 %); yes/no from the drop-down list (是 = yes, 否 = no).",
        *scores,
        ref_zh,
        ref_en,
        "4. 留空表示未提供：相关项目显示“缺少输入”。 A blank cell means no value: its items show 'missing input'.",
        f"5. 评分：fuac evaluate {rs.id} 本文件.xlsx [--report 评分表.html]",
    ]


def _tier_note(rs: RuleSet, tier: str | None) -> str:
    found = next((t for t in rs.doc.tiers if t.id == tier), None) if tier else None
    words = f"：{found.label.zh} / {found.label.en}" if found is not None else ""
    return f"层级 / tier{words}"


def _about_sheet(ws: Any, rs: RuleSet, tier: str | None, st: dict[str, Any], assessed: bool) -> None:
    """The template's first sheet (说明): which rule set, version and tier it is for, who issued it and for
    where, and how to fill it in, in the rule set's own words."""
    ws.title = SHEET_ABOUT
    for c, w in enumerate((16, 40, 44), start=1):
        ws.column_dimensions[get_letter(c)].width = w
    src_zh, src_en = _source_line(rs)
    for r, (text, font) in enumerate(
        [(f"{rs.title.zh} — 填报表", "title"), (f"{rs.title.en} — fill-in workbook", None),
         (f"{src_zh}\n{src_en}" if src_zh else "", None)], start=1):
        cell = ws.cell(r, 1, text or None)
        cell.alignment = st["wrap"]
        if font:
            cell.font = st[font]
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=3)
    rows = [
        ("ruleset", rs.id, "规则集 / rule set"),
        ("version", rs.version, "版本 / version"),
        ("content_hash", rs.content_hash, "内容校验 / content hash"),
        ("tier", tier or "", _tier_note(rs, tier)),
        ("on", "", "评估日期（可选，YYYY-MM-DD）/ assessment date (optional)"),
        ("created", dt.date.today().isoformat(), "生成日期 / created"),
    ]
    for c, h in enumerate(("键 key", "值 value", "说明 note"), start=1):
        _head(ws, 4, c, h, st)
    for n, row in enumerate(rows, start=5):
        for c, v in enumerate(row, start=1):
            cell = ws.cell(n, c, v)
            cell.alignment, cell.border = st["wrap"], st["border"]
    lines = _help_lines(rs, tier, assessed)
    for n, line in enumerate(lines, start=13):
        ws.cell(n, 1, line).alignment = st["wrap"]
        ws.merge_cells(start_row=n, start_column=1, end_row=n, end_column=3)
    ws.cell(13, 1).font = st["bold"]
    lay_out(ws, last_col=3, last_row=12 + len(lines), landscape=False)


def get_letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(col))


def _head(ws: Any, r: int, c: int, text: str, st: dict[str, Any]) -> Any:
    """A header cell: bold, shaded, centred, wrapped, bordered."""
    cell = ws.cell(r, c, text)
    cell.font, cell.fill, cell.alignment, cell.border = st["bold"], st["head_fill"], st["center"], st["border"]
    return cell


def _meta_cells(ws: Any, r: int, values: Sequence[Any], st: dict[str, Any]) -> None:
    """A row's description cells (what the user reads, not fills): shaded, wrapped, bordered."""
    for c, v in enumerate(values, start=1):
        cell = ws.cell(r, c, v)
        cell.fill, cell.alignment, cell.border = st["meta_fill"], st["wrap"], st["border"]


def _input_cells(ws: Any, r: int, first: int, count: int, st: dict[str, Any]) -> None:
    """A row's cells to fill in: yellow, wrapped, bordered."""
    for c in range(first, first + count):
        cell = ws.cell(r, c)
        cell.fill, cell.alignment, cell.border = st["input_fill"], st["wrap"], st["border"]


def _readers(plan: Any) -> dict[str, list[str]]:
    """Indicator → the items (and conditions) that read it."""
    readers: dict[str, list[str]] = {}
    for pitem in plan.items.values():
        for rname in sorted(pitem.reads | pitem.void_reads):
            readers.setdefault(rname, []).append(pitem.number or pitem.id)
    for pcond in [*plan.vetoes, *plan.eligibility]:
        for rname in sorted(pcond.reads):
            readers.setdefault(rname, []).append(pcond.cond.id)
    return readers


def _indicators_sheet(wb: Any, rs: RuleSet, plan: Any, names: list[str], st: dict[str, Any]) -> None:
    """The indicators' sheet (指标): one row per indicator of the tier, one value column per unit, each
    value validated by the indicator's type, bounds and choices."""
    tier = plan.tier
    readers = _readers(plan)
    ws = wb.create_sheet(SHEET_INDICATORS)
    for c, h in enumerate([*INDICATOR_HEADERS, *names], start=1):
        _head(ws, 1, c, h, st)
    shown = _indicators(rs, tier, reference=False)
    first_value = len(INDICATOR_HEADERS) + 1
    groups: dict[tuple[Any, ...], list[int]] = {}
    for r, (name, ind) in enumerate(shown, start=2):
        help_text = f"{ind.description.zh}\n{ind.description.en}" if ind.description is not None else ""
        _meta_cells(ws, r, [name, ind.label.zh, ind.label.en, unit_text(ind.unit), allowed_text(ind), help_text,
                            ", ".join(readers.get(name, []))], st)
        _input_cells(ws, r, first_value, len(names), st)
        val = _validation(ind)
        if val is not None:
            groups.setdefault(val, []).append(r)
    last_col, first_col = get_letter(first_value + max(len(names), VALIDATED_UNITS) - 1), get_letter(first_value)
    for val, rws in groups.items():
        dv = _indicator_validation(wb, val)
        dv.errorTitle = "输入无效 / invalid value"
        dv.showErrorMessage = True
        for r in rws:
            dv.add(f"{first_col}{r}:{last_col}{r}")
        ws.add_data_validation(dv)
    limits = {1: (12, 34), 2: (10, 20), 3: (10, 22), 4: (6, 10), 5: (8, 16), 6: (10, 32), 7: (6, 10)}
    fit_columns(ws, {**limits, **{c: (10, 16) for c in range(first_value, first_value + len(names))}})
    ws.freeze_panes = ws.cell(2, first_value)
    lay_out(ws, last_col=first_value + len(names) - 1, last_row=len(shown) + 1, title_rows="1:1")


def _score_bounds(rule: Any, clause: str, r: int, groups: dict[tuple[Any, ...], list[int]]) -> tuple[Any, Any, str]:
    """An assessor's row: the bounds shown (and the validation group of its cells) by the entry's form."""
    entry = rule.entry
    if entry.form == "points":
        lo, hi = entry.bounds
        if getattr(rule, "expr", None) is not None:
            clause += f"\n（条件满足时自动得满分，无需评分：{rule.expr.source}）"
        groups.setdefault(("decimal", lo, hi), []).append(r)
        return cell_number(lo), cell_number(hi), clause
    if entry.form == "met":
        groups.setdefault(("list", '"是,否"', None), []).append(r)
        return "否", "是", clause
    return "", "", clause  # a plugin kind's own entry: written as given, checked when the workbook is read


def _score_validation(val: tuple[Any, ...]) -> Any:
    """The data validation of an assessor's score cells: 是/否, or points within the entry's bounds."""
    from openpyxl.worksheet.datavalidation import DataValidation

    if val[0] == "list":
        dv = DataValidation(type="list", formula1=val[1], allow_blank=True)
        dv.error = "请选择 是（已落实）或 否（未落实） / choose 是 (met) or 否 (not met)"
    else:
        lo, hi = fmt_number(val[1]), fmt_number(val[2])
        dv = DataValidation(type="decimal", operator="between", formula1=lo, formula2=hi, allow_blank=True)
        dv.error = f"应为{lo}至{hi}分 / points from {lo} to {hi}"
    dv.errorTitle = "输入无效 / invalid value"
    dv.showErrorMessage = True
    return dv


def _scores_header(ws: Any, names: list[str], st: dict[str, Any]) -> None:
    """The two header rows of the assessors' sheet: the columns, each unit's name over its three columns."""
    base = len(SCORE_HEADERS)
    for col, h in enumerate(SCORE_HEADERS, start=1):
        ws.merge_cells(start_row=1, start_column=col, end_row=2, end_column=col)
        _head(ws, 1, col, h, st)
    for u, name in enumerate(names):
        c0 = base + 1 + 3 * u
        ws.merge_cells(start_row=1, start_column=c0, end_row=1, end_column=c0 + 2)
        _head(ws, 1, c0, name, st)
        for j, sub in enumerate(SCORE_SUBHEADERS):
            _head(ws, 2, c0 + j, sub, st)


def _scores_sheet(ws: Any, rs: RuleSet, tier: str | None, names: list[str], st: dict[str, Any]) -> None:
    """The assessors' sheet (评估打分): one row per item or part an entry is read for, three columns
    (score, rationale, assessor) per unit, each entry validated by its form."""
    base = len(SCORE_HEADERS)
    _scores_header(ws, names, st)
    groups: dict[tuple[Any, ...], list[int]] = {}
    rows = assessable_rows(rs, tier)
    for r, (key, it, part, rule) in enumerate(rows, start=3):
        label = part.label if part is not None and part.label is not None else it.label
        item_text = f"{it.number or it.id}{'(' + part.id + ')' if part is not None else ''} "
        item_text += f"{label.zh}\n{label.en}" if label is not None else ""
        clause = (part.clause if part is not None else None) or it.clause or ""
        lo, hi, clause = _score_bounds(rule, clause, r, groups)
        _meta_cells(ws, r, [key, item_text, clause, lo, hi], st)
        _input_cells(ws, r, base + 1, 3 * len(names), st)
    score_cols = [get_letter(base + 1 + 3 * u) for u in range(max(len(names), VALIDATED_UNITS))]
    for val, rws in groups.items():
        dv = _score_validation(val)
        for r in rws:
            for c in score_cols:
                dv.add(f"{c}{r}")
        ws.add_data_validation(dv)
    limits = {1: (6, 10), 2: (12, 26), 3: (20, 44), 4: (5, 6), 5: (5, 6)}
    for u in range(len(names)):
        for j, width in enumerate(((8, 10), (20, 24), (8, 10))):
            limits[base + 1 + 3 * u + j] = width
    fit_columns(ws, limits)
    ws.freeze_panes = ws.cell(3, base + 1)
    lay_out(ws, last_col=base + 3 * len(names), last_row=len(rows) + 2, title_rows="1:2")


def _reference_validation(val: tuple[Any, ...] | None) -> Any:
    """The data validation of a reference value's cell: a number within the indicator's bounds."""
    from openpyxl.worksheet.datavalidation import DataValidation

    if val is None or val[0] not in ("whole", "decimal"):
        return None
    kind, lo, hi = val
    if lo is not None and hi is not None:
        dv = DataValidation(type=kind, operator="between", formula1=fmt_number(lo), formula2=fmt_number(hi),
                            allow_blank=True)
    elif lo is not None:
        dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=fmt_number(lo), allow_blank=True)
    else:
        dv = DataValidation(type=kind, operator="between", formula1="-1E+15", formula2="1E+15", allow_blank=True)
    dv.error = "应为数值 / a number"
    dv.showErrorMessage = True
    return dv


def _references_sheet(ws: Any, rs: RuleSet, tier: str | None, st: dict[str, Any]) -> None:
    """The reference values' sheet (参考值): regional averages and their source, shared by every unit."""
    for col, h in enumerate(REFERENCE_HEADERS, start=1):
        _head(ws, 1, col, h, st)
    refs = _indicators(rs, tier, reference=True)
    for r, (name, ind) in enumerate(refs, start=2):
        _meta_cells(ws, r, [name, ind.label.zh, ind.label.en, unit_text(ind.unit)], st)
        _input_cells(ws, r, 5, 2, st)
        dv = _reference_validation(_validation(ind))
        if dv is not None:
            dv.add(f"E{r}")
            ws.add_data_validation(dv)
    fit_columns(ws, {1: (12, 30), 2: (10, 24), 3: (10, 26), 4: (6, 10), 5: (10, 12), 6: (24, 36)})
    ws.freeze_panes = "E2"
    lay_out(ws, last_col=len(REFERENCE_HEADERS), last_row=len(refs) + 1, title_rows="1:1")


def write_template(
    ruleset: RuleSet | str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    tier: str | None = None,
    units: Sequence[str] = (),
) -> None:
    """Write a fill-in workbook for ``ruleset`` (and ``tier``) with one value column per unit, each sheet
    with its column widths, row heights and print setup."""
    require_openpyxl("fuac template")
    from ..plan.engine import get_engine

    rs = get_engine().resolve(ruleset)
    plan = rs.plan(tier)
    tier = plan.tier
    names = list(units) or [DEFAULT_UNIT]
    st = styles()
    wb = new_workbook()
    _about_sheet(wb.active, rs, tier, st, bool(assessable_rows(rs, tier)))
    _indicators_sheet(wb, rs, plan, names, st)
    _scores_sheet(wb.create_sheet(SHEET_SCORES), rs, tier, names, st)
    _references_sheet(wb.create_sheet(SHEET_REFERENCES), rs, tier, st)
    if SHEET_LISTS in wb.sheetnames:  # the hidden sheet of long choice lists goes last
        wb.move_sheet(wb[SHEET_LISTS], offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(SHEET_LISTS))
    wb.active = 1
    save_workbook(wb, path)

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
