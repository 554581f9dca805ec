"""The score sheet (评分表) as ``.xlsx``: one worksheet per unit, laid out like the source table, that
sums in a spreadsheet and prints on A4.

Every score is a number cell, shown to the rule set's precision (``0.0`` for 0.1) and holding fuac's
exact points; what is not a number stands in the 备注 (note) column beside it: ``*`` for points an
assessor gave by judgement, 作废, 缺少输入, 否决 … A section's subtotal and the total are formulas over
the item cells that reproduce how fuac makes them (:func:`section_formula`, :func:`total_formula`):

* a section: ``SUM`` of its items, bonus items (加分项) apart; ``MAX(0,…)`` around the items that are
  not bonus when the section is floored at zero (扣完为止, ``floor = "section"``); the bonus items
  added after the floor;
* the total: the sum of the sections' subtotals, less the bonus points above the rule set's
  ``bonus_cap`` (``-MAX(0,SUM(bonus cells)-cap)``), rounded half up to the precision as fuac reports it.

Each formula is wrapped in ``ROUND(…, d)`` with ``d`` the decimal places of the exact result, so that
a spreadsheet's binary arithmetic gives exactly fuac's decimal: ``0.1+0.2`` is ``0.3``, not
``0.30000000000000004``. Where the points have more digits than a spreadsheet's 15, no formula can
give fuac's value: the cell holds the number fuac computed, with a comment saying so. The value of
each formula is also written beside it (:func:`.cells.save_workbook`).

A checklist or targets sheet has no points: its 落实情况 cells hold 1 (met) or 0 (not met), shown
as ✓ 已落实 / ✗ 未落实 by their number format, and each subtotal counts them (``SUM``), shown as
``3/5 项已落实``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..language.words import fmt_number, section_heading
from ..run.results import Evaluation, ItemResult, SectionResult
from .cells import new_workbook, own_formula, save_workbook
from .sheet import (
    condition_state,
    is_points,
    mark_text,
    met_count,
    met_value,
    met_words,
    row_cells,
    score_text,
    unit_name,
    verdict,
)
from .xlsxkit import cell_number, lay_out, number_format, require_openpyxl, styles

#: The most decimal places and significant digits a formula of binary numbers gives exactly.
MAX_PLACES = 9
MAX_DIGITS = 15
#: The header row of the table.
HEADER_ROW = 5


# ---------------------------------------------------------------------------
# how the totals are made


@dataclass(slots=True)
class TotalRules:
    """What a formula needs beyond a sum: the sections floored at zero and the cap on bonus points.
    ``known`` is False when the rule set was not at hand: the floors and the cap are then what this
    result shows (a section that was floored, a cap that was reached)."""

    floored: frozenset[str]
    bonus_cap: Decimal | None
    known: bool = True


def total_rules(ev: Evaluation, ruleset: Any = None) -> TotalRules:
    """The floors and bonus cap of ``ev``'s rule set: ``ruleset`` (a loaded rule set, an id or a path),
    else the registered rule set of ``ev``'s id when its content hash is the same; else worked out from
    ``ev`` alone (``known`` False)."""
    from ..plan.engine import get_engine

    rs = None
    try:
        if ruleset is not None:
            rs = get_engine().resolve(ruleset)
        elif ev.ruleset_id in get_engine().ids():
            rs = get_engine().resolve(ev.ruleset_id)
    except Exception:  # not loadable here: the result alone says what it can
        rs = None
    if rs is not None and rs.content_hash == ev.content_hash:
        floored = frozenset(s.id for s in rs.plan(ev.tier).sections if s.floor_at_zero)
        return TotalRules(floored, rs.meta.bonus_cap)
    return _rules_from_result(ev)


def _rules_from_result(ev: Evaluation) -> TotalRules:
    """The floors and cap a result shows: the sections it floored; a cap when the total is less than the
    sections' sum (then bonus points were taken off)."""
    floored = frozenset(s.id for s in ev.sections if s.floored)
    subtotal = sum((s.points for s in ev.sections if s.points is not None), Decimal(0))
    bonus = sum((i.points for i in ev.items if i.bonus and i.points is not None), Decimal(0))
    cap = None
    if ev.total is not None and ev.total < subtotal:
        cap = bonus - (subtotal - ev.total)
    return TotalRules(floored, cap, known=False)


def places(values: Sequence[Decimal | None]) -> int | None:
    """The decimal places of the finest of ``values``, or None when one of them has more places or
    digits than a spreadsheet's arithmetic keeps exactly (:data:`MAX_PLACES`, :data:`MAX_DIGITS`)."""
    most = 0
    for v in values:
        if v is None:
            continue
        t = v.normalize().as_tuple()
        exp = int(t.exponent)
        if len(t.digits) > MAX_DIGITS or -exp > MAX_PLACES:
            return None
        most = max(most, -exp)
    return most


def refs(col: str, rows: Sequence[int]) -> str:
    """Cell references of ``rows`` in column ``col``, runs as ranges: ``F6:F9,F11``."""
    out: list[str] = []
    start = prev = None
    for r in [*sorted(rows), None]:
        if r is not None and prev is not None and r == prev + 1:
            prev = r
            continue
        if start is not None:
            out.append(f"{col}{start}" if start == prev else f"{col}{start}:{col}{prev}")
        start = prev = r
    return ",".join(out)


def section_formula(col: str, normal: Sequence[int], bonus: Sequence[int], floor: bool, digits: int) -> str:
    """A section's subtotal: the items that are not bonus (floored at zero when ``floor``), plus the bonus
    items, rounded to ``digits`` places."""
    inner = f"SUM({refs(col, normal)})" if normal else "0"
    if floor:
        inner = f"MAX(0,{inner})"
    if bonus:
        inner += f"+SUM({refs(col, bonus)})"
    return f"=ROUND({inner},{digits})"


def total_formula(col: str, subtotals: Sequence[int], bonus: Sequence[int], cap: Decimal | None,
                  digits: int, shown: int) -> str:
    """The total: the subtotals, less the bonus points above ``cap``, exact to ``digits`` places and
    rounded half up to the ``shown`` places of the precision."""
    inner = "+".join(f"{col}{r}" for r in subtotals) or "0"
    if cap is not None and bonus:
        inner += f"-MAX(0,SUM({refs(col, bonus)})-{fmt_number(cap)})"
    if digits > shown:
        inner = f"ROUND({inner},{digits})"
    return f"=ROUND({inner},{shown})"


# ---------------------------------------------------------------------------
# the sheet


@dataclass
class _Sheet:
    """One unit's worksheet as it is written: where things are, and what its formulas add up."""

    ws: Any
    ev: Evaluation
    en: bool
    st: dict[str, Any]
    rules: TotalRules
    points: bool
    heads: list[str]
    widths: list[float]
    #: the score column (得分 or 落实情况), 1-based
    sc: int
    #: rows of the numeric items that are bonus items, over the whole sheet
    bonus_rows: list[int]
    #: the subtotal rows of the sections that add to the total, and their count format
    subtotal_rows: list[int]
    #: every item's exact points, for the places of the total
    values: list[Decimal | None]
    #: False once a subtotal is a number rather than a formula (its points too fine for one)
    exact: bool = True

    @property
    def ncol(self) -> int:
        return len(self.heads)

    @property
    def col(self) -> str:
        from openpyxl.utils import get_column_letter

        return str(get_column_letter(self.sc))

    def say(self, zh: str, en: str) -> str:
        return en if self.en else zh


def _columns(ev: Evaluation, en: bool, points: bool) -> tuple[list[str], list[float]]:
    """The column headings and widths: no points column and no note column for a checklist or targets."""
    if points:
        heads = (["Section", "Points", "Standard and scoring rule", "Assessment method", "Findings", "Score", "Note"]
                 if en else ["项目", "分值", "评选标准及评分细则", "评估方法", "评估情况", "得分", "备注"])
        return heads, [10, 6, 29, 12, 30, 7, 6]
    last = ("Achieved" if en else "完成情况") if ev.scheme_kind == "targets" else ("Met" if en else "落实情况")
    heads = (["Section", "Standard", "Assessment method", "Findings", last] if en
             else ["项目", "评选标准", "评估方法", "评估情况", last])
    return heads, [12, 34, 14, 30, 10]


def met_format(ev: Evaluation, en: bool) -> str:
    """The number format that shows 1 as ✓ 已落实 and 0 as ✗ 未落实 (or achieved, for targets)."""
    done, undone = met_words(ev)
    return f'[=1]"✓ {done[1] if en else done[0]}";[=0]"✗ {undone[1] if en else undone[0]}";General'


def count_format(ev: Evaluation, n: int, en: bool) -> str:
    """The number format of a count of items met out of ``n``: ``3/5 项已落实``, ``3 of 5 met``."""
    done, _ = met_words(ev)
    return f'0" of {n} {done[1]}"' if en else f'0"/{n} 项{done[0]}"'


def _put(sh: _Sheet, r: int, c: int, value: Any, *style: str) -> Any:
    cell = sh.ws.cell(r, c, value)
    for name in style:
        if name == "border":
            cell.border = sh.st["border"]
        elif name in ("bold", "title"):
            cell.font = sh.st[name]
        elif name.endswith("_fill"):
            cell.fill = sh.st[name]
        else:
            cell.alignment = sh.st[name]
    return cell


def _merge(sh: _Sheet, r: int, c0: int, c1: int) -> None:
    """Row ``r``'s cells from column ``c0`` to ``c1`` merged (nothing when they are one)."""
    if c1 > c0:
        sh.ws.merge_cells(start_row=r, start_column=c0, end_row=r, end_column=c1)


def _title_rows(sh: _Sheet, total_row: int) -> None:
    """The rows above the table: the title, the unit and date, and the total (a reference to the total
    cell) with the verdict."""
    ev = sh.ev
    title = ev.title.en if (sh.en and ev.title) else (ev.title.zh if ev.title else ev.ruleset_id)
    _put(sh, 1, 1, title, "title", "center")
    _merge(sh, 1, 1, sh.ncol)
    name = unit_name(ev)
    sub = (f"Unit: {name} · " if sh.en else f"评估单位：{name}　") if name else ""
    sub += f"assessed on {ev.on.isoformat()}" if sh.en else f"评估日期：{ev.on.isoformat()}"
    _put(sh, 2, 1, sub, "center")
    _merge(sh, 2, 1, sh.ncol)
    label = sh.say("总分", "Total") if sh.points else sh.say("完成情况", "Completed")
    _put(sh, 3, 1, label, "bold", "center")
    total_cell = sh.ws.cell(total_row, sh.sc)
    ref = own_formula(sh.ws, 3, 2, f"={sh.col}{total_row}", _own_value(sh.ws, total_cell))
    ref.number_format, ref.font, ref.alignment = total_cell.number_format, sh.st["bold"], sh.st["center"]
    lines = [(e if sh.en else z) for _, z, e in verdict(ev)]
    if sh.points and ev.max_total is not None:
        lines.insert(0, sh.say(f"满分 {fmt_number(ev.max_total)} 分", f"out of {fmt_number(ev.max_total)}"))
    _put(sh, 3, 3, ("; " if sh.en else "；").join(lines), "bold", "wrap")
    _merge(sh, 3, 3, sh.ncol)


def _own_value(ws: Any, cell: Any) -> Any:
    """The value of a cell fuac wrote: an own formula's value, or the cell's."""
    mine = getattr(ws, "fuac_formulas", {}).get(cell.coordinate)
    return mine[1] if mine is not None else cell.value


def _header_row(sh: _Sheet) -> None:
    for c, h in enumerate(sh.heads, start=1):
        _put(sh, HEADER_ROW, c, h, "bold", "head_fill", "center", "border")


def _numeric(sh: _Sheet, sec: SectionResult, it: ItemResult) -> bool:
    """Whether an item's points are a number of its section's sum (a bonus item's even without a cap)."""
    return sh.points and sec.scoring == "points" and (it.max is not None or it.bonus) and not it.is_veto


def _item_row(sh: _Sheet, sec: SectionResult, it: ItemResult, r: int) -> None:
    """One item's row: maximum, criteria, method, findings, and its points (or met) with the note."""
    ev = sh.ev
    cells = row_cells(ev, it)
    texts = [cells.criteria_en if sh.en else cells.criteria_zh, cells.method,
             cells.found_en if sh.en else cells.found_zh]
    first = 3 if sh.points else 2
    for k, text in enumerate(texts):
        _put(sh, r, first + k, text, "wrap", "border")
    if sh.points:
        _put(sh, r, 2, cell_number(it.max) if it.max is not None and not it.is_veto else None, "center", "border")
        z, e = mark_text(ev, it)
        _put(sh, r, sh.sc + 1, e if sh.en else z, "center", "border")
    score = _put(sh, r, sh.sc, None, "center", "border")
    if _numeric(sh, sec, it):
        score.value = cell_number(it.points)
        score.number_format = number_format(ev.precision)
        sh.values.append(it.points)
    elif not it.is_veto and met_value(it) is not None and not (sh.points and sec.scoring == "points"):
        score.value = met_value(it)
        score.number_format = met_format(ev, sh.en)
    elif not sh.points or not it.is_veto:
        z, e = score_text(ev, it)
        score.value = e if sh.en else z


def _subtotal(sh: _Sheet, sec: SectionResult, r: int, items: list[tuple[ItemResult, int]]) -> None:
    """A section's subtotal row: its maximum, 小计, and the formula over its items."""
    ev = sh.ev
    if sh.points:
        _put(sh, r, 2, cell_number(sec.max), "bold", "meta_fill", "center", "border")
    words = sh.say("小计", "Subtotal")
    if sec.floored:
        words += sh.say("（分数不足零按零计）", " (floored at zero)")
    first = 3 if sh.points else 2
    for c in range(first, sh.ncol + 1):
        _put(sh, r, c, None, "bold", "meta_fill", "border")
    _put(sh, r, first, words, "center")
    _merge(sh, r, first, sh.sc - 1)
    if sh.points and sec.scoring == "points":
        _points_subtotal(sh, sec, r, items)
    else:
        rows = [row for it, row in items if met_value(it) is not None]
        cell = own_formula(sh.ws, r, sh.sc, f"=SUM({refs(sh.col, rows)})" if rows else "=0", met_count(sec))
        cell.number_format = count_format(ev, len(sec.counted), sh.en)
        if not sh.points:
            sh.subtotal_rows.append(r)
    sh.ws.cell(r, sh.sc).alignment = sh.st["center"]


def _points_subtotal(sh: _Sheet, sec: SectionResult, r: int, items: list[tuple[ItemResult, int]]) -> None:
    """A points section's subtotal: a formula when it gives fuac's points exactly, else the number."""
    numeric = [(it, row) for it, row in items if _numeric(sh, sec, it)]
    digits = places([it.points for it, _ in numeric] + [sec.points])
    if digits is None:
        cell = _put(sh, r, sh.sc, cell_number(sec.points))
        _note(sh, cell)
        sh.exact = False
    else:
        normal = [row for it, row in numeric if not it.bonus]
        bonus = [row for it, row in numeric if it.bonus]
        formula = section_formula(sh.col, normal, bonus, sec.id in sh.rules.floored, digits)
        cell = own_formula(sh.ws, r, sh.sc, formula, sec.points)
        sh.bonus_rows += bonus
    cell.number_format = number_format(sh.ev.precision)
    sh.subtotal_rows.append(r)


def _note(sh: _Sheet, cell: Any) -> None:
    """A comment on a cell that holds fuac's number where a formula could not give it exactly."""
    from openpyxl.comments import Comment

    text = sh.say("此处为 fuac 计算的精确值：分数位数超出电子表格公式的精度，未用公式。",
                  "fuac's exact value: the points have more digits than a spreadsheet formula keeps, "
                  "so no formula is written here.")
    cell.comment = Comment(text, "fuac")


def _section(sh: _Sheet, sec: SectionResult, r: int) -> int:
    """One section from row ``r``: its items, its subtotal, its label in the first column; returns the row
    after it."""
    start = r
    items = []
    for it in sec.items:
        _item_row(sh, sec, it, r)
        items.append((it, r))
        r += 1
    _subtotal(sh, sec, r, items)
    sec_max = ""
    if sh.points and sec.max is not None:
        sec_max = sh.say(f"（{fmt_number(sec.max)}分）", f" ({fmt_number(sec.max)} points)")
    label = f"{section_heading(sec.number, sec.title.en if sh.en else sec.title.zh)}{sec_max}"
    # in the section's first row, its rows framed as one cell: a cell merged down across a page break
    # would be printed on the next page too, over the repeated header
    _put(sh, start, 1, label, "bold", "top")
    _frame(sh, start, r)
    return r + 1


def _frame(sh: _Sheet, start: int, end: int) -> None:
    """The first column's cells of rows ``start`` to ``end`` bordered as one cell."""
    from openpyxl.styles import Border

    side = sh.st["border"].left
    for r in range(start, end + 1):
        sh.ws.cell(r, 1).border = Border(left=side, right=side, top=side if r == start else None,
                                         bottom=side if r == end else None)


def _total_row(sh: _Sheet, r: int) -> None:
    """The total: the maximum and the formula over the subtotals (points), or the items met."""
    ev = sh.ev
    for c in range(1, sh.ncol + 1):
        _put(sh, r, c, None, "bold", "head_fill", "border")
    _put(sh, r, 1, sh.say("合计", "Total"), "bold", "head_fill", "center", "border")
    if sh.points:
        _put(sh, r, 2, cell_number(ev.max_total), "center")
        _merge(sh, r, 3, sh.sc - 1)
        _points_total(sh, r)
    else:
        _merge(sh, r, 1, sh.sc - 1)
        done = sum(1 for i in ev.counted if i.met)
        cell = own_formula(sh.ws, r, sh.sc, "=" + ("+".join(f"{sh.col}{x}" for x in sh.subtotal_rows) or "0"), done)
        cell.number_format = count_format(ev, len(ev.counted), sh.en)
    sh.ws.cell(r, sh.sc).alignment = sh.st["center"]


def _points_total(sh: _Sheet, r: int) -> None:
    """The total of a points sheet: a formula when it gives fuac's reported total exactly, else the number."""
    ev = sh.ev
    shown = places([ev.precision]) if ev.precision is not None else None
    digits = places([*sh.values, ev.total])
    if digits is not None and shown is not None and sh.exact:
        cap = sh.rules.bonus_cap
        formula = total_formula(sh.col, sh.subtotal_rows, sh.bonus_rows, cap, max(digits, shown), shown)
        cell = own_formula(sh.ws, r, sh.sc, formula, ev.reported_total)
        if not sh.rules.known:
            _rules_note(sh, cell)
    else:
        cell = _put(sh, r, sh.sc, cell_number(ev.reported_total))
        _note(sh, cell)
    cell.number_format = number_format(ev.precision)


def _rules_note(sh: _Sheet, cell: Any) -> None:
    """A comment on the total when the rule set was not at hand: the floors and cap are this result's."""
    from openpyxl.comments import Comment

    text = sh.say("未能读取规则集：分数不足零按零计与加分上限按本次评分结果写入公式。",
                  "The rule set was not at hand: the floors at zero and the bonus cap in the formulas are "
                  "those this result shows.")
    cell.comment = Comment(text, "fuac")


def _judgement_row(sh: _Sheet, r: int) -> int:
    """Below the total, the part of it an assessor gave by judgement (``*``), if any."""
    ev = sh.ev
    if not (sh.points and ev.judgement_points):
        return r
    _put(sh, r, 1, sh.say("其中酌情评分（备注 *：评估人酌情评分）", "of which by an assessor's judgement (note *)"),
         "wrap")
    _merge(sh, r, 1, sh.sc - 1)
    cell = _put(sh, r, sh.sc, cell_number(ev.judgement_points), "center")
    cell.number_format = number_format(ev.precision)
    return r + 1


def _conditions(sh: _Sheet, r: int) -> int:
    """The eligibility conditions and vetoes from row ``r``, if any; returns the row after them."""
    ev = sh.ev
    conds = [(c, False) for c in ev.eligibility] + [(v, True) for v in ev.vetoes]
    if not conds:
        return r
    _put(sh, r, 1, sh.say("申报条件与一票否决事项", "Eligibility and vetoes"), "bold")
    _merge(sh, r, 1, sh.ncol)
    r += 1
    for c, veto in conds:
        _, z, e = condition_state(c, veto)
        _put(sh, r, 1, c.label.en if sh.en else c.label.zh, "wrap", "border")
        _merge(sh, r, 1, sh.sc - 3)
        _put(sh, r, sh.sc - 2, c.reason_en if sh.en else c.reason_zh, "wrap", "border")
        _merge(sh, r, sh.sc - 2, sh.sc - 1)
        _put(sh, r, sh.sc, e if sh.en else z, "bold", "center", "border")
        _merge(sh, r, sh.sc, sh.ncol)
        r += 1
    return r


def _problems(sh: _Sheet, r: int) -> int:
    """The input problems from row ``r``, if any; returns the row after them."""
    ev = sh.ev
    if not ev.problems:
        return r
    _put(sh, r, 1, sh.say("输入问题", "Input problems"), "bold")
    r += 1
    for p in ev.problems:
        sev = sh.say("错误", "error") if p.severity == "error" else sh.say("提示", "warning")
        _put(sh, r, 1, f"[{sev}] {p.field}: {p.message if sh.en else p.message_zh}", "wrap")
        _merge(sh, r, 1, sh.ncol)
        r += 1
    return r


def _signatures(sh: _Sheet, r: int) -> None:
    """The row where the assessor and the reviewer sign and date the sheet."""
    _put(sh, r, 1, sh.say("评估人：", "Assessor:"))
    _put(sh, r, 3, sh.say("复核人：", "Reviewed by:"))
    _put(sh, r, sh.sc - 1, sh.say("日期：", "Date:"))


def _sheet(ws: Any, ev: Evaluation, en: bool, st: dict[str, Any], rules: TotalRules) -> None:
    """One unit's score sheet: the table section by section and its total, then the rows above it (which
    refer to the total), the conditions, problems and signatures, widths, heights and print setup."""
    from openpyxl.utils import get_column_letter

    points = is_points(ev)
    heads, widths = _columns(ev, en, points)
    sh = _Sheet(ws, ev, en, st, rules, points, heads, widths, len(heads) - (1 if points else 0), [], [], [])
    for c, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = w
    _header_row(sh)
    r = HEADER_ROW + 1
    for sec in ev.sections:
        r = _section(sh, sec, r)
    _total_row(sh, r)
    _title_rows(sh, r)
    r = _judgement_row(sh, r + 1) + 1
    r = _conditions(sh, r)
    r = _problems(sh, r)
    _signatures(sh, r + 1)
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 1)
    lay_out(ws, last_col=sh.ncol, last_row=r + 1, title_rows=f"{HEADER_ROW}:{HEADER_ROW}", landscape=False)


_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_title(name: str, used: set[str]) -> str:
    """A worksheet's title from a unit's name: without the characters a title cannot hold, at most 28
    characters, unique in the workbook."""
    base = _BAD_SHEET_CHARS.sub("_", name)[:28] or "评分表"
    title, n = base, 2
    while title in used:
        title = f"{base[:26]}_{n}"
        n += 1
    used.add(title)
    return title


def write_report_xlsx(evaluations: Sequence[Evaluation], path: str | os.PathLike[str], *, lang: str = "zh",
                      ruleset: Any = None) -> None:
    """The score sheet of each unit on its own sheet, laid out like the source table, its totals formulas
    over its scores, ready to print on A4. ``ruleset`` (the evaluations' rule set: loaded, an id or a
    path) gives the floors and the bonus cap the formulas reproduce; without it, the registered rule
    set of the same id and content hash, else what each result shows (:func:`total_rules`)."""
    require_openpyxl("an .xlsx report")
    en = lang == "en"
    st = styles()
    wb = new_workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for ev in evaluations:
        ws = wb.create_sheet(sheet_title(unit_name(ev) or ev.ruleset_id, used))
        _sheet(ws, ev, en, st, total_rules(ev, ruleset))
    save_workbook(wb, path)
