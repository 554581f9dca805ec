"""The rectification list (整改清单, ``fuac gaps -o``) and the recommended list (推荐名单, ``fuac rank -o``)
as a workbook (``.xlsx``) or a printable HTML page (``.html``).

Both are made of :class:`Table`\\ s: a title, lines under it, and columns of text and numbers. The
same tables give both files, so the workbook and the page say the same thing:

* a rectification list has one table per unit: 序号, 类别 (what blocks the title, points a change
  recovers, discretionary points, voided, cannot tell), 所属部分, 项目, 存在问题 (what was found),
  涉及分值 (the points at stake: what the change recovers, or for an item that cannot be scored, its
  maximum), 整改措施 (fuac's advice), and 责任部门 and 完成时限 left empty to fill in; its sum row adds up
  the points the changes recover (a formula in the workbook);
* a recommended list has the recommended units and the reserves: 名次, 单位, 代码, 总分, 完成情况
  (items met of the items counted, ``17 / 20``), 结果 and the reason; then the quotas; and (always in
  the workbook, with ``--all`` on the page) every unit with why it is in or out.

Every text goes through :mod:`.cells` in the workbook and is HTML-escaped on the page.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..language.words import fmt_number
from .cells import new_workbook, own_formula, save_workbook
from .sheet_xlsx import places, refs, sheet_title
from .tables import check_output_file
from .xlsxkit import cell_number, fit_columns, lay_out, number_format, require_openpyxl, styles

LIST_OUTPUTS = (".xlsx", ".html", ".htm")


@dataclass
class Column:
    """A column of a table: its heading, its width limits in the workbook (min, cap; the cap also sets its
    share of the page's width), the number format of its numbers, whether it is left for the user to
    fill in, and whether it is centred."""

    head: str
    limits: tuple[float, float]
    fmt: str | None = None
    fill: bool = False
    centre: bool = False


@dataclass
class SumRow:
    """A row under a table adding up one column over some of its rows: a formula in the workbook."""

    label: str
    column: int
    rows: list[int]
    value: Decimal


@dataclass
class Table:
    """One table of a list: the sheet's name, its title and the lines under it, its columns and rows."""

    name: str
    title: str
    lines: list[str]
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    sums: list[SumRow] = field(default_factory=list)
    landscape: bool = False
    #: a line printed under the table (signatures)
    foot: str = ""


class Words:
    """Texts in the language asked for: ``zh``, ``en``, or ``both`` (Chinese, then English on a new line)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, zh: str, en: str) -> str:
        if self.lang == "en":
            return en
        if self.lang == "both" and en and en != zh:
            return f"{zh}\n{en}"
        return zh

    def text(self, t: Any) -> str:
        """A rule set's text (``Text``), or ``""``."""
        return "" if t is None else self(t.zh, t.en)


def check_list_output(path: str, what: str) -> None:
    """Refuse, before anything is scored, a file a list cannot be written to: another suffix than
    ``.xlsx`` or ``.html``, a folder, or a folder that does not exist."""
    if Path(path).suffix.lower() not in LIST_OUTPUTS:
        raise InputError(f"{path}: write {what} to .xlsx or .html")
    check_output_file(path, what)


def write_tables(tables: Sequence[Table], path: str, *, doc_title: str) -> None:
    """The tables to ``path``: one worksheet each in an ``.xlsx``, one after the other on an HTML page."""
    if Path(path).suffix.lower() == ".xlsx":
        _write_xlsx(tables, path)
    else:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(tables_html(tables, doc_title))


# ---------------------------------------------------------------------------
# the workbook


def _write_xlsx(tables: Sequence[Table], path: str | os.PathLike[str]) -> None:
    require_openpyxl("an .xlsx list")
    st = styles()
    wb = new_workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for t in tables:
        _sheet(wb.create_sheet(sheet_title(t.name, used)), t, st)
    save_workbook(wb, path)


def _sheet(ws: Any, t: Table, st: dict[str, Any]) -> None:
    """One table on one sheet: the title and its lines merged across, the header row, the rows (numbers
    as numbers), the sum rows (formulas), widths, heights and print setup."""
    ncol = len(t.columns)
    r = 1
    for line in [t.title, *t.lines]:
        ws.cell(r, 1, line).alignment = st["wrap"]
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncol)
        r += 1
    ws.cell(1, 1).font = st["title"]
    head = r + 1
    for c, col in enumerate(t.columns, start=1):
        cell = ws.cell(head, c, col.head)
        cell.font, cell.fill, cell.alignment, cell.border = st["bold"], st["head_fill"], st["center"], st["border"]
    for k, row in enumerate(t.rows):
        for c, (col, v) in enumerate(zip(t.columns, row, strict=True), start=1):
            _cell(ws, head + 1 + k, c, col, v, st)
    r = head + 1 + len(t.rows)
    for s in t.sums:
        _sum_row(ws, t, s, r, head + 1, st)
        r += 1
    if t.foot:
        r += 1
        ws.cell(r, 1, t.foot)
    fit_columns(ws, {c: col.limits for c, col in enumerate(t.columns, start=1)}, first_row=head)
    ws.freeze_panes = ws.cell(head + 1, 1)
    lay_out(ws, last_col=ncol, last_row=r, title_rows=f"{head}:{head}", landscape=t.landscape)


def _cell(ws: Any, r: int, c: int, col: Column, v: Any, st: dict[str, Any]) -> None:
    cell = ws.cell(r, c, cell_number(v) if isinstance(v, Decimal) else v)
    cell.border = st["border"]
    cell.alignment = st["center"] if col.centre else st["wrap"]
    if col.fill:
        cell.fill = st["input_fill"]
    if col.fmt and isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
        cell.number_format = col.fmt


def _sum_row(ws: Any, t: Table, s: SumRow, r: int, first: int, st: dict[str, Any]) -> None:
    """A sum row: its label across the columns before the sum, the sum a formula over the rows given
    (exact to their places), or the number when they have more digits than a spreadsheet keeps."""
    from openpyxl.utils import get_column_letter

    ws.cell(r, 1, s.label).alignment = st["wrap"]
    if s.column > 2:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=s.column - 1)
    for c in range(1, len(t.columns) + 1):
        ws.cell(r, c).font, ws.cell(r, c).fill, ws.cell(r, c).border = st["bold"], st["meta_fill"], st["border"]
    col = t.columns[s.column - 1]
    values = [t.rows[k][s.column - 1] for k in s.rows]
    digits = places([*values, s.value])
    letter = get_column_letter(s.column)
    if digits is None:
        cell = ws.cell(r, s.column, cell_number(s.value))
    else:
        rows = [first + k for k in s.rows]
        formula = f"=ROUND(SUM({refs(letter, rows)}),{digits})" if rows else "=0"
        cell = own_formula(ws, r, s.column, formula, s.value)
    cell.number_format = col.fmt or "General"
    cell.alignment = st["center"]


# ---------------------------------------------------------------------------
# the page

_CSS = """
@page { size: A4 %s; margin: 12mm 10mm 14mm 10mm; }
* { box-sizing: border-box; }
body { margin: 0 auto; padding: 12px; color: #1b1f24; background: #fff;
  font: 12px/1.45 "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei",
  "SimSun", "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 16px; margin: 4px 0 2px; text-align: center; }
p.line { margin: 2px 0; text-align: center; color: #39414c; white-space: pre-line; }
table { width: 100%%; border-collapse: collapse; table-layout: fixed; margin-top: 8px; }
th, td { border: 1px solid #6b7480; padding: 3px 4px; vertical-align: top; overflow-wrap: anywhere;
  word-break: break-word; white-space: pre-line; text-align: left; }
thead th { background: #e9edf2; text-align: center; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
td.c { text-align: center; white-space: nowrap; }
td.fill { background: #fffbe6; }
tr.sum td { background: #f1f4f7; font-weight: bold; }
p.foot { margin-top: 18px; }
section + section { break-before: page; page-break-before: always; }
@media print { body { padding: 0; font-size: 10.5px; } thead th, td.fill, tr.sum td {
  -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
"""


def esc(v: Any) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def _shown(v: Any, col: Column) -> str:
    """A cell's value as the page shows it: a number as the workbook's format shows it."""
    if isinstance(v, Decimal):
        if col.fmt and col.fmt.startswith('0" / '):
            return f"{fmt_number(v)} / {col.fmt[5:-1]}"
        return fmt_number(v)
    return "" if v is None else str(v)


def _table_html(t: Table) -> str:
    width = sum(c.limits[1] for c in t.columns) or 1
    out = [f"<section><h1>{esc(t.title)}</h1>"]
    out += [f'<p class="line">{esc(line)}</p>' for line in t.lines]
    out.append("<table><colgroup>")
    out += [f'<col style="width:{100 * c.limits[1] / width:.1f}%">' for c in t.columns]
    out.append("</colgroup><thead><tr>")
    out += [f"<th>{esc(c.head)}</th>" for c in t.columns]
    out.append("</tr></thead><tbody>")
    for row in t.rows:
        cells = [(f' class="{"c" if c.centre else ""}{" fill" if c.fill else ""}"', _shown(v, c))
                 for c, v in zip(t.columns, row, strict=True)]
        out.append("<tr>" + "".join(f"<td{cls}>{esc(v)}</td>" for cls, v in cells) + "</tr>")
    for s in t.sums:
        before = s.column - 1
        after = len(t.columns) - s.column
        out.append(f'<tr class="sum"><td colspan="{max(1, before)}">{esc(s.label)}</td>'
                   f'<td class="c">{esc(fmt_number(s.value))}</td>'
                   + (f'<td colspan="{after}"></td>' if after else "") + "</tr>")
    out.append("</tbody></table>")
    if t.foot:
        out.append(f'<p class="foot">{esc(t.foot)}</p>')
    out.append("</section>")
    return "".join(out)


def tables_html(tables: Sequence[Table], doc_title: str) -> str:
    """The tables as one self-contained, printable HTML page (A4; landscape when the first table is)."""
    landscape = bool(tables) and tables[0].landscape
    css = _CSS % ("landscape" if landscape else "portrait")
    body = "".join(_table_html(t) for t in tables)
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(doc_title)}</title><style>{css}</style></head><body>{body}</body></html>\n")


# ---------------------------------------------------------------------------
# the rectification list

_CATEGORIES = {
    "blockers": ("影响命名", "blocks the title"),
    "changes": ("可挽回", "recoverable"),
    "judgement": ("酌情评分", "judgement"),
    "voided": ("作废", "voided"),
    "unresolved": ("无法判断", "cannot tell"),
}


def _advice(g: Any, w: Words) -> str:
    """What to change: fuac's advice, a first step, what else the change moves, a failed check."""
    lines = [w(g.action_zh, g.action_en)]
    if g.first is not None:
        zh = "；".join(c.text()[0] for c in g.first[0])
        en = "; ".join(c.text()[1] for c in g.first[0])
        step = fmt_number(g.first[1])
        lines.append(w(f"先做到：{zh}：+{step}", f"a first step: {en}: +{step}"))
    if g.also:
        other = ", ".join(f"{k} {'+' if v > 0 else ''}{fmt_number(v)}" for k, v in g.also.items())
        lines.append(w(f"（同一调整也影响：{other}）", f"(the same change also moves: {other})"))
    if g.category in ("change", "blocker", "voided") and g.changes and not g.verified:
        lines.append(w("（复核未通过：请人工核对）", "(not confirmed by re-evaluation: check by hand)"))
    return "\n".join(lines)


def _stake(g: Any) -> Decimal | None:
    """The points at stake: what the change recovers; for an item that cannot be scored, what it lost."""
    return g.recoverable if g.recoverable is not None else g.lost


def gaps_table(gs: Any, lang: str = "zh") -> Table:
    """A unit's rectification list as a table (see the module's docstring)."""
    w = Words(lang)
    ev = gs.evaluation
    points = ev.scheme_kind == "points"
    fmt = number_format(ev.precision) if points else None
    sections = {s.id: s for s in ev.sections}
    cols = [Column(w("序号", "No."), (4, 5), centre=True), Column(w("类别", "Kind"), (6, 10)),
            Column(w("所属部分", "Section"), (8, 16)), Column(w("项目", "Item"), (10, 22)),
            Column(w("存在问题", "Found"), (14, 30)),
            Column(w("涉及分值", "Points at stake"), (6, 8), fmt, centre=True),
            Column(w("整改措施", "What to change"), (16, 36)),
            Column(w("责任部门", "Responsible"), (10, 12), fill=True),
            Column(w("完成时限", "Deadline"), (8, 10), fill=True)]
    if not points:
        del cols[5]
    name = ev.context.get("name")
    title = (f"{name}：" if name is not None else "") + w("整改清单", "rectification list")
    t = Table(str(name) if name is not None else ev.ruleset_id, title, _gaps_lines(gs, w), cols, landscape=True)
    changes = []
    for attr, (cz, ce) in _CATEGORIES.items():
        for g in getattr(gs, attr):
            sec = sections.get(g.section)
            num = (g.number or g.item) + (f"({g.part})" if g.part else "")
            label = w.text(g.label) if g.label is not None else (g.clause or "")
            row = [len(t.rows) + 1, w(cz, ce), w.text(sec.title) if sec is not None else "",
                   f"{num} {label}".strip(), w(g.reason_zh, g.reason_en), _stake(g), _advice(g, w), None, None]
            if sec is not None and sec.number:
                row[2] = f"{sec.number}{row[2]}"
            if not points:
                del row[5]
            elif attr == "changes":
                changes.append(len(t.rows))
            t.rows.append(row)
    if points:
        t.sums.append(SumRow(w("逐项整改可挽回（每项单独计，不含酌情评分）", "The changes recover (each on its own, "
                                                                 "judgement excluded)"), 6, changes, gs.recoverable))
    t.foot = w("制表：　　　　　　审核：　　　　　　日期：", "Prepared by:            Checked by:            Date:")
    return t


def _gaps_lines(gs: Any, w: Words) -> list[str]:
    """The lines under a rectification list's title: the rule set, the date, the score."""
    ev = gs.evaluation
    title = w.text(ev.title) if ev.title is not None else ev.ruleset_id
    lines = [title, w(f"规则集 {ev.ruleset_id} {ev.ruleset_version}　评估日期 {ev.on.isoformat()}",
                      f"rule set {ev.ruleset_id} {ev.ruleset_version} · assessed on {ev.on.isoformat()}")]
    if ev.scheme_kind == "points":
        score = f"{fmt_number(ev.reported_total)}/{fmt_number(ev.max_total)}"
        rec = fmt_number(gs.recoverable)
        lines.append(w(f"得分 {score}；逐项整改可挽回 {rec} 分（每项单独计，不含酌情评分）",
                       f"Score {score}; the changes recover {rec} points (each on its own, judgement excluded)"))
    return lines


def write_gaps(results: Sequence[Any], path: str, *, lang: str = "zh") -> None:
    """Each unit's rectification list (``Gaps``) to ``path``: ``.xlsx`` (a sheet per unit) or ``.html``."""
    check_list_output(path, "the rectification list")
    tables = [gaps_table(gs, lang) for gs in results]
    write_tables(tables, path, doc_title=" / ".join(t.title for t in tables[:3]) or "整改清单")


# ---------------------------------------------------------------------------
# the recommended list


def _pick_row(p: Any, cols: dict[str, Any], w: Words, points: bool) -> list[Any]:
    """One unit of a selection: rank, unit, code, total, items met, the outcome and why."""
    i = p.index
    if p.selected:
        outcome = w("推荐", "recommended")
    elif p.reserve:
        outcome = w("备选", "reserve")
    else:
        outcome = w("未推荐", "not recommended") if p.rank is not None else w("未排名", "not ranked")
    code = cols["code"][i] if cols.get("code") is not None else None
    total = cols["total"][i] if points else None
    row = [p.rank, p.unit, None if code is None else str(code), total, Decimal(int(cols["met"][i])),
           outcome, w(p.reason.zh, p.reason.en)]
    if not points:
        del row[3]
    return row


def selection_tables(sel: Any, res: Any, lang: str = "zh", *, every: bool = True) -> list[Table]:
    """A selection as tables: the recommended units and reserves, the quotas, and (``every``) every unit."""
    w = Words(lang)
    rs = res.ruleset
    points = rs.scheme_kind == "points"
    counted = int(res.column("counted")[0]) if len(res) else 0
    cols: dict[str, Any] = {"total": res.column("total", exact=True) if points else None, "met": res.column("met"),
                            "code": res.column("code") if "code" in res.columns else None}
    columns = [Column(w("名次", "Rank"), (4, 6), centre=True), Column(w("单位", "Unit"), (10, 24)),
               Column(w("代码", "Code"), (6, 14)),
               Column(w("总分", "Total"), (6, 8), number_format(rs.meta.precision), centre=True),
               Column(w("完成情况（已落实 / 应落实）", "Items met (met / counted)"), (10, 12),
                      f'0" / {counted}"', centre=True),
               Column(w("结果", "Outcome"), (6, 10), centre=True), Column(w("名额说明", "Reason"), (20, 40))]
    if not points:
        del columns[3]
    lines = _selection_lines(sel, res, w)
    title = w.text(rs.title) if rs.title is not None else rs.id
    listed = [*sel.recommended, *sel.reserves]
    tables = [Table(w("推荐名单", "Recommended"), f"{title} — {w('推荐名单', 'recommended list')}", lines, columns,
                    [_pick_row(p, cols, w, points) for p in listed],
                    foot=w("填表人：　　　　　　审核人：　　　　　　日期：",
                           "Prepared by:            Checked by:            Date:"))]
    tables.append(_quota_table(sel, w, title))
    if every:
        ranked = sorted(sel.picks, key=lambda p: (p.rank is None, p.rank or 0, p.index))
        tables.append(Table(w("全部单位", "Every unit"), f"{title} — {w('全部单位', 'every unit')}", lines, columns,
                            [_pick_row(p, cols, w, points) for p in ranked]))
    return tables


def _selection_lines(sel: Any, res: Any, w: Words) -> list[str]:
    """The lines under a selection's title: rule set, tier, date, order, notes."""
    rs = res.ruleset
    tier = next((t for t in rs.doc.tiers if t.id == res.tier), None)
    tier_words = f"　{w('层级', 'tier')} {w.text(tier.label)}" if tier is not None else ""
    order = ", ".join(f"{k} {'desc' if d else 'asc'}" for k, d in sel.order)
    lines = [w(f"规则集 {rs.id} {rs.version}{tier_words}　评估日期 {res.on.isoformat()}　排序 {order}",
               f"rule set {rs.id} {rs.version}{tier_words} · assessed on {res.on.isoformat()} · order {order}")]
    lines += [w.text(n) for n in sel.notes]
    return lines


def _quota_table(sel: Any, w: Words, title: str) -> Table:
    """The quotas as applied: each one's words, cap (overall, or per region), places used, and how."""
    columns = [Column(w("名额", "Quota"), (14, 36)), Column(w("上限", "Cap"), (6, 16), centre=True),
               Column(w("已用", "Used"), (4, 6), centre=True), Column(w("计算", "How"), (20, 44))]
    rows = []
    for q in sel.quotas:
        cap: Any = q.cap if q.cap is not None else "；".join(f"{r}: {c}" for r, c in sorted(q.caps.items()))
        how = "\n".join(w.text(t) for t in (q.explanation, q.history) if t is not None)
        rows.append([w.text(q.label), cap, q.used, how])
    return Table(w("名额", "Quotas"), f"{title} — {w('名额', 'quotas')}", [], columns, rows)


def write_selection(sel: Any, res: Any, path: str, *, lang: str = "zh", every: bool = False) -> None:
    """A selection to ``path``: ``.xlsx`` (the recommended list, the quotas and every unit, a sheet each)
    or ``.html`` (the recommended list and the quotas, and every unit with ``every``)."""
    check_list_output(path, "the recommended list")
    xlsx = Path(path).suffix.lower() == ".xlsx"
    tables = selection_tables(sel, res, lang, every=every or xlsx)
    write_tables(tables, path, doc_title=tables[0].title)
