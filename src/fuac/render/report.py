"""The official score sheet as one self-contained HTML file, the notebook view, and ``to_pandas``.

The score sheet reproduces the source table's columns — 项目 / 分值 / 评选标准及评分细则 /
评估方法 / 评估情况 / 得分 — with 评估情况 (what was found: the item's reason) and 得分
filled in, section subtotals, the total, vetoes and eligibility. Checklist and
target schemes have no points: their last column is 落实情况 (met / not met).

The HTML file has everything inline (CSS, SVG, a few lines of script): no network,
no external fonts. It prints on A4 (``@page``), the table fits the page width, and
both languages are in the file; a button switches between them (Chinese first).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ..language.statuses import STATUS_WORDS
from ..language.words import SCOPE_WORDS, fmt_number, section_heading
from ..run.results import Evaluation
from .sheet import (
    condition_state,
    is_points,
    row_cells,
    score_text,
    section_score,
    total_text,
    unit_name,
    verdict,
)

ZERO = Decimal(0)




def esc(s: Any) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def bi(zh: str, en: str, tag: str = "span") -> str:
    """Both texts; CSS shows the one of the current language."""
    if zh == en:
        return esc(zh)
    return f'<{tag} class="zh" lang="zh-CN">{esc(zh)}</{tag}><{tag} class="en" lang="en">{esc(en)}</{tag}>'


# ---------------------------------------------------------------------------
# the chart


def chart_svg(ev: Evaluation) -> str:
    """Horizontal bars: points earned against the maximum, one per section (inline SVG)."""
    rows = []
    for sec in ev.sections:
        if is_points(ev):
            got = sec.points if sec.points is not None else ZERO
            mx = sec.max if sec.max is not None else sum((i.max or ZERO for i in sec.items), ZERO)
        else:
            counted = sec.counted
            got, mx = Decimal(sec.met), Decimal(len(counted))
        if mx <= 0:
            continue
        rows.append((sec, got, mx))
    if not rows:
        return ""
    w, label_w, bar_w, row_h = 700, 250, 360, 24
    h = row_h * len(rows) + 8
    biggest = max(mx for _, _, mx in rows)
    aria = "各部分得分与分值 / points against the maximum" if is_points(ev) else "各部分落实情况 / requirements met"
    parts = [
        f'<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'aria-label="{esc(aria)}">'
    ]
    for n, (sec, got, mx) in enumerate(rows):
        y = 4 + n * row_h
        full = float(mx / biggest) * bar_w
        earned = max(0.0, min(float(got / biggest) * bar_w, full))
        ratio = float(got / mx) if mx else 0.0
        colour = "#2f6f3e" if ratio >= 0.9 else ("#b7791f" if ratio >= 0.6 else "#b83232")
        title_zh = section_heading(sec.number, sec.title.zh)
        title_en = sec.title.en
        if is_points(ev):
            val = f"{fmt_number(ev.reported(got))} / {fmt_number(mx)}"
        else:
            val = f"{fmt_number(got)} / {fmt_number(mx)}"
        parts.append(
            f'<g data-chart-section="{esc(sec.id)}"><title>{esc(title_zh)} / {esc(title_en)}: {esc(val)}</title>'
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" font-size="12">'
            f'<tspan class="zh">{esc(_clip(title_zh, 18))}</tspan>'
            f'<tspan class="en">{esc(_clip(title_en, 34))}</tspan></text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{full:.1f}" height="15" fill="#e4e7eb" '
            f'stroke="#b8bec6" stroke-width="0.5"/>'
            f'<rect x="{label_w}" y="{y + 4}" width="{earned:.1f}" height="15" fill="{colour}"/>'
            f'<text x="{label_w + bar_w + 8}" y="{y + 16}" font-size="12">{esc(val)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


# ---------------------------------------------------------------------------
# the full report

_CSS = """
@page { size: A4 portrait; margin: 12mm 10mm 14mm 10mm;
  @bottom-center { content: "第 " counter(page) " 页 共 " counter(pages) " 页"; font-size: 9px; color: #4a5360;
    font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimSun",
    sans-serif; } }
@page en { @bottom-center { content: "page " counter(page) " of " counter(pages); } }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0 auto; max-width: 794px; padding: 12px; color: #1b1f24; background: #fff;
  font: 12px/1.45 "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei",
  "SimSun", "Helvetica Neue", Arial, sans-serif; }
html[lang="en"] body { page: en; }
html:not([lang="en"]) .en { display: none !important; }
html[lang="en"] .zh { display: none !important; }
h1 { font-size: 17px; margin: 4px 0 2px; text-align: center; }
h2 { font-size: 14px; margin: 14px 0 6px; }
.sub { text-align: center; color: #4a5360; margin: 0 0 8px; }
.toolbar { text-align: right; margin-bottom: 4px; }
.toolbar button { font: inherit; padding: 2px 10px; border: 1px solid #8a94a3; background: #f4f6f8;
  border-radius: 3px; cursor: pointer; }
.summary { display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: baseline; border: 1px solid #c9ced6;
  padding: 6px 10px; margin: 6px 0 8px; background: #f7f9fb; }
.summary .total { font-size: 18px; font-weight: bold; }
.summary .ok { color: #2f6f3e; } .summary .bad { color: #b83232; font-weight: bold; } .summary .warn { color: #8a5a00; }
.chart { display: block; max-width: 100%; height: auto; margin: 4px 0 10px; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td { border: 1px solid #6b7480; padding: 3px 4px; vertical-align: top; overflow-wrap: anywhere; }
thead th { background: #e9edf2; text-align: center; font-weight: bold; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
/* a section's first row holds the section's cell, which spans all its rows: kept whole, it would keep the whole
   section on one page (Chromium); its other cells are kept whole instead */
tr:has(> td.sec) { break-inside: auto; page-break-inside: auto; }
tr:has(> td.sec) > td:not(.sec) { break-inside: avoid; }
td.sec { text-align: center; vertical-align: middle; font-weight: bold; background: #fafbfc; }
td.num, td.pts { text-align: center; }
td.pts { font-weight: bold; word-break: keep-all; }
td.method { color: #39414c; }
td.found { color: #1f2a36; }
.src { display: block; color: #5b6470; font-size: 10.5px; margin-top: 2px; }
tr.subtotal td { background: #f1f4f7; font-weight: bold; }
tr.grand td { background: #e2e8ef; font-weight: bold; font-size: 13px; }
tr.voided td.pts, tr.vetoed td.pts { color: #b83232; }
tr.missing_input td.pts, tr.invalid_input td.pts, tr.awaiting_assessor td.pts { color: #8a5a00; }
.conds td.state { text-align: center; word-break: keep-all; font-weight: bold; }
.conds td.state.bad { color: #b83232; } .conds td.state.ok { color: #2f6f3e; } .conds td.state.warn { color: #8a5a00; }
.note { color: #4a5360; font-size: 11px; margin: 4px 0; }
.problems li { margin: 2px 0; }
.sign { display: flex; justify-content: space-between; margin-top: 18px; gap: 12px; break-inside: avoid; }
.sign > span { flex: 1; border-bottom: 1px solid #6b7480; padding-bottom: 14px; }
footer { margin-top: 14px; color: #6b7480; font-size: 10px; border-top: 1px solid #c9ced6; padding-top: 4px; }
section.unit + section.unit { break-before: page; page-break-before: always; margin-top: 24px; }
@media print {
  body { max-width: none; padding: 0 3px; font-size: 10.5px; }
  .toolbar { display: none; }
  .summary, thead th, tr.subtotal td, tr.grand td, .chart rect {
    -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  tr.grand td { font-size: 12px; }
  /* a section's cell split over two pages runs on below the table's last row (Chromium): no shade to show it */
  td.sec { background: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
}
"""

_SCRIPT = """
(function () {
  var root = document.documentElement;
  function show(lang) {
    root.setAttribute('lang', lang);
    var t = document.querySelector('title');
    if (t) { t.textContent = t.getAttribute(lang === 'en' ? 'data-en' : 'data-zh'); }
  }
  var b = document.getElementById('lang-toggle');
  if (b) { b.addEventListener('click', function () { show(root.getAttribute('lang') === 'en' ? 'zh-CN' : 'en'); }); }
  if (location.hash === '#en') { show('en'); }
})();
"""


def _colgroup(points: bool) -> str:
    if points:
        widths = (12, 6, 29, 12, 29, 12)
    else:
        widths = (12, 0, 32, 12, 30, 14)
    return "<colgroup>" + "".join(f'<col style="width:{w}%">' for w in widths if w) + "</colgroup>"


def _table(ev: Evaluation) -> str:
    points = is_points(ev)
    last = (
        ("得分", "Score")
        if points
        else (("完成情况", "Achieved") if ev.scheme_kind == "targets" else ("落实情况", "Met"))
    )
    heads = [
        ("项目", "Section"),
        ("分值", "Points"),
        ("评选标准及评分细则", "Standard and scoring rule"),
        ("评估方法", "Assessment method"),
        ("评估情况", "Findings"),
        last,
    ]
    if not points:
        heads = [h for h in heads if h[0] != "分值"]
    ncols = len(heads)
    out = [f'<table class="sheet">{_colgroup(points)}<thead><tr>']
    out += [f"<th>{bi(z, e)}</th>" for z, e in heads]
    out.append("</tr></thead><tbody>")
    for sec in ev.sections:
        rows = [row_cells(ev, it) for it in sec.items]
        span = len(rows) + 1
        sec_max = f"（{fmt_number(sec.max)}分）" if points and sec.max is not None else ""
        sec_max_en = f" ({fmt_number(sec.max)} points)" if points and sec.max is not None else ""
        sec_cell = (
            f'<td class="sec" rowspan="{span}">{esc(sec.number or "")}'
            f"{bi(sec.title.zh + sec_max, sec.title.en + sec_max_en)}</td>"
        )
        # merge identical consecutive 评估方法 cells, as the source table does
        spans: list[int] = []
        for n, r in enumerate(rows):
            if n > 0 and r.method and r.method == rows[n - 1].method:
                spans.append(0)
                k = n - 1
                while spans[k] == 0:
                    k -= 1
                spans[k] += 1
            else:
                spans.append(1)
        for n, (it, r) in enumerate(zip(sec.items, rows, strict=False)):
            cls = f"item {r.status}"
            out.append(f'<tr class="{cls}" data-item="{esc(it.id)}">')
            if n == 0:
                out.append(sec_cell)
            if points:
                out.append(f'<td class="num">{esc(r.max)}</td>')
            crit = esc(r.criteria_zh)
            crit_en = f"<b>{esc(r.criteria_en)}</b>"
            if r.criteria_en != r.criteria_zh and r.criteria_zh:
                crit_en += f'<span class="src">{esc(r.criteria_zh)}</span>'
            out.append(
                f'<td class="crit"><span class="zh" lang="zh-CN">{crit}</span>'
                f'<span class="en" lang="en">{crit_en}</span></td>'
            )
            if spans[n]:
                rs = f' rowspan="{spans[n]}"' if spans[n] > 1 else ""
                out.append(f'<td class="method"{rs}>{esc(r.method)}</td>')
            out.append(f'<td class="found">{bi(r.found_zh, r.found_en)}</td>')
            out.append(f'<td class="pts">{bi(r.score_zh, r.score_en)}</td></tr>')
        sz, se = section_score(ev, sec)
        out.append(f'<tr class="subtotal" data-section="{esc(sec.id)}">')
        if not rows:
            out.append(sec_cell)
        if points:
            out.append(f'<td class="num">{esc(fmt_number(sec.max) if sec.max is not None else "")}</td>')
        out.append(
            f'<td colspan="3">{bi("小计", "Subtotal")}'
            f"{bi('（分数不足零按零计）', ' (floored at zero)') if sec.floored else ''}</td>"
        )
        out.append(f'<td class="pts">{bi(sz, se)}</td></tr>')
    tz, te = total_text(ev)
    out.append('<tr class="grand" data-role="total">')
    out.append(f'<td colspan="{ncols - 1}">{bi("合计", "Total")}</td><td class="pts">{bi(tz, te)}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


def _conditions(ev: Evaluation) -> str:
    rows = []
    for c in ev.eligibility:
        cls, z, e = condition_state(c, veto=False)
        rows.append((c, ("申报条件", "eligibility"), cls, z, e))
    for v in ev.vetoes:
        cls, z, e = condition_state(v, veto=True)
        rows.append((v, SCOPE_WORDS[v.scope].short if v.scope in SCOPE_WORDS else (v.scope, v.scope), cls, z, e))
    if not rows:
        return ""
    out = [
        f"<h2>{bi('申报条件与一票否决事项', 'Eligibility and vetoes')}</h2>",
        '<table class="conds"><colgroup><col style="width:16%"><col style="width:34%"><col style="width:38%">'
        '<col style="width:12%"></colgroup><thead><tr>',
        f"<th>{bi('类别', 'Kind')}</th><th>{bi('事项', 'Condition')}</th><th>{bi('情况', 'Finding')}</th>"
        f"<th>{bi('结论', 'Result')}</th></tr></thead><tbody>",
    ]
    for c, (kz, ke), cls, z, e in rows:
        clause = f'<span class="src">{esc(c.clause)}</span>' if c.clause else ""
        out.append(
            f'<tr data-condition="{esc(c.id)}"><td>{bi(kz, ke)}</td><td>{bi(c.label.zh, c.label.en)}{clause}</td>'
            f'<td>{bi(c.reason_zh, c.reason_en)}</td><td class="state {cls}">{bi(z, e)}</td></tr>'
        )
    out.append("</tbody></table>")
    return "".join(out)


def _problems(ev: Evaluation) -> str:
    if not ev.problems:
        return ""
    items = []
    for p in ev.problems:
        sev = ("错误", "error") if p.severity == "error" else ("提示", "warning")
        items.append(f"<li>[{bi(*sev)}] <code>{esc(p.field)}</code>: {bi(p.message_zh, p.message)}</li>")
    return f'<h2>{bi("输入问题", "Input problems")}</h2><ul class="problems">{"".join(items)}</ul>'


def _unit(ev: Evaluation) -> str:
    name = unit_name(ev)
    title = ev.title
    tz, te = total_text(ev)
    head_zh = title.zh if title else ev.ruleset_id
    head_en = title.en if title else ev.ruleset_id
    out = [f'<section class="unit" data-unit="{esc(name or "")}">']
    out.append(f"<h1>{bi(head_zh, head_en)}</h1>")
    sub_zh = f"{('评估单位：' + name + '　') if name else ''}评估日期：{ev.on.isoformat()}"
    sub_en = f"{('Unit: ' + name + ' · ') if name else ''}assessed on {ev.on.isoformat()}"
    if ev.tier:
        sub_zh += f"　层级：{ev.tier}"
        sub_en += f" · tier: {ev.tier}"
    out.append(f'<p class="sub">{bi(sub_zh, sub_en)}</p>')
    out.append('<div class="summary">')
    label = ("总分", "Total") if is_points(ev) else ("完成情况", "Completed")
    out.append(f'<span class="total" data-role="summary-total">{bi(label[0] + "：" + tz, label[1] + ": " + te)}</span>')
    if is_points(ev) and ev.judgement_points:
        j = fmt_number(ev.judgement_points)
        out.append(f"<span>{bi(f'其中酌情评分 {j} 分（*）', f'of which {j} by assessors’ judgement (*)')}</span>")
    for cls, z, e in verdict(ev):
        out.append(f'<span class="{cls}">{bi(z, e)}</span>')
    out.append("</div>")
    out.append(chart_svg(ev))
    out.append(_table(ev))
    if is_points(ev) and ev.judgement_points:
        out.append(
            f'<p class="note">{bi("* 含评估人酌情评分。", "* includes points given by an assessor’s judgement.")}</p>'
        )
    out.append(_conditions(ev))
    out.append(_problems(ev))
    out.append(
        f'<div class="sign"><span>{bi("评估人：", "Assessor:")}</span><span>{bi("复核人：", "Reviewed by:")}</span>'
        f"<span>{bi('日期：', 'Date:')}</span></div>"
    )
    out.append(
        f"<footer>fuac · {esc(ev.ruleset_id)} {esc(ev.ruleset_version)} · {esc(ev.content_hash[:23])}… · "
        f"{bi('评估日期', 'assessed on')} {ev.on.isoformat()}</footer>"
    )
    out.append("</section>")
    return "".join(out)


def report_html(evaluations: Evaluation | Sequence[Evaluation], *, lang: str = "zh") -> str:
    """The score sheet of one or several units as one self-contained HTML document."""
    evs = [evaluations] if isinstance(evaluations, Evaluation) else list(evaluations)
    if not evs:
        raise ValueError("no evaluation to report")
    first = evs[0]
    t = first.title
    names = [n for n in (unit_name(e) for e in evs) if n]
    who = "、".join(names[:3]) + ("…" if len(names) > 3 else "")
    title_zh = f"{who + ' ' if who else ''}{t.zh if t else first.ruleset_id} 评分表"
    title_en = f"{', '.join(names[:3]) + ' ' if names else ''}{t.en if t else first.ruleset_id}: score sheet"
    start = "en" if lang == "en" else "zh-CN"
    return (
        f'<!DOCTYPE html>\n<html lang="{start}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title data-zh="{esc(title_zh)}" data-en="{esc(title_en)}">'
        f"{esc(title_en if lang == 'en' else title_zh)}</title>"
        f"<style>{_CSS}</style></head><body>"
        f'<div class="toolbar"><button type="button" id="lang-toggle">{bi("English", "中文")}</button></div>'
        + "".join(_unit(ev) for ev in evs)
        + f"<script>{_SCRIPT}</script></body></html>\n"
    )


def write_report(evaluations: Sequence[Evaluation], path: str, *, lang: str = "zh", ruleset: Any = None) -> None:
    """Write the score sheet to ``path``: ``.html`` here, ``.xlsx`` through openpyxl (``ruleset``: the
    evaluations' rule set, whose floors and bonus cap the workbook's formulas reproduce), ``.pdf``
    through WeasyPrint (the HTML sheet's pages)."""
    low = path.lower()
    if low.endswith((".html", ".htm")):
        with open(path, "w", encoding="utf-8") as f:
            f.write(report_html(evaluations, lang=lang))
    elif low.endswith(".xlsx"):
        from .sheet_xlsx import write_report_xlsx

        write_report_xlsx(evaluations, path, lang=lang, ruleset=ruleset)
    elif low.endswith(".pdf"):
        write_report_pdf(evaluations, path, lang=lang)
    else:
        from ..errors import InputError

        raise InputError(f"--report: {path!r} must end in .html, .xlsx or .pdf")


def write_report_pdf(evaluations: Evaluation | Sequence[Evaluation], path: str, *, lang: str = "zh") -> None:
    """Write the score sheet of one or several units to ``path`` as PDF (``lang``: the language shown,
    ``"zh"`` or ``"en"``), one unit after another, each starting on a new page: the HTML sheet's A4 pages,
    laid out by WeasyPrint (the ``pdf`` extra)."""
    from .pdf import html_to_pdf

    html_to_pdf(report_html(evaluations, lang=lang), path, lang=lang)


# ---------------------------------------------------------------------------
# notebooks

# Jupyter's style sheet right-aligns, centres and stripes tables with more specific selectors
# (`:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td`): what must hold says !important.
_FRAGMENT_CSS = (
    ".fuac-ev{color:#1f2328 !important;background:#fff !important;text-align:left !important;padding:4px 6px}"
    ".fuac-ev p{text-align:left !important}"
    ".fuac-ev table{border-collapse:collapse;font-size:12px;margin:2px 0 8px 0 !important;table-layout:auto !important}"
    ".fuac-ev tbody tr,.fuac-ev thead tr{background:transparent !important}"
    ".fuac-ev th,.fuac-ev td{border:1px solid #c9ced6 !important;padding:2px 6px !important;"
    "text-align:left !important;vertical-align:top !important;color:#1f2328 !important}"
    ".fuac-ev th{background:#eef1f4 !important}.fuac-ev tr.sec td{background:#f4f6f8 !important;font-weight:bold}"
    ".fuac-ev td.p{text-align:right !important;white-space:nowrap}.fuac-ev .en{color:#5b6470 !important;font-size:11px}"
    ".fuac-ev .bad{color:#b83232 !important;font-weight:bold}.fuac-ev .warn{color:#8a5a00 !important}"
    ".fuac-ev .ok{color:#2f6f3e !important}"
)


def evaluation_fragment(ev: Evaluation) -> str:
    """An HTML table for Jupyter: sections, items, points, status and reason."""
    points = is_points(ev)
    tz, _te = total_text(ev)
    name = unit_name(ev)
    head = f"{esc(name) + ' · ' if name else ''}{esc(ev.ruleset_id)} {esc(ev.ruleset_version)}"
    if ev.tier:
        head += f" [{esc(ev.tier)}]"
    flags = " ".join(f'<span class="{c}">{esc(z)} / {esc(e)}</span>' for c, z, e in verdict(ev))
    out = [
        f'<div class="fuac-ev"><style>{_FRAGMENT_CSS}</style>',
        f"<p><b>{head}</b> — {esc(tz)} {flags}</p><table><thead><tr>"
        f"<th>项目 Item</th><th>{'得分 Points' if points else '落实 Met'}</th><th>状态 Status</th>"
        "<th>评估情况 Reason</th></tr></thead><tbody>",
    ]
    for sec in ev.sections:
        sz, _ = section_score(ev, sec)
        right = f"{sz} / {fmt_number(sec.max)}" if points and sec.max is not None else sz
        out.append(
            f'<tr class="sec"><td colspan="3">{esc(section_heading(sec.number, sec.title.zh))} '
            f'<span class="en">{esc(sec.title.en)}</span></td><td class="p">{esc(right)}</td></tr>'
        )
        for it in sec.items:
            z, _ = score_text(ev, it)
            if points and it.max is not None and it.counts:
                z = f"{z} / {fmt_number(it.max)}"
            st = STATUS_WORDS.get(it.status, (it.status, it.status))
            cls = {
                "voided": "bad",
                "vetoed": "bad",
                "missing_input": "warn",
                "invalid_input": "warn",
                "awaiting_assessor": "warn",
            }.get(it.status, "")
            label = f"{esc(it.label.zh)} " if it.label else ""
            out.append(
                f'<tr><td>{esc(it.number or it.id)} {label}</td><td class="p">{esc(z)}</td>'
                f'<td class="{cls}">{esc(st[0])} <span class="en">{esc(st[1])}</span></td>'
                f'<td>{esc(it.reason_zh)}<br><span class="en">{esc(it.reason_en)}</span></td></tr>'
            )
    out.append(f'<tr class="sec"><td colspan="3">合计 Total</td><td class="p">{esc(tz)}</td></tr>')
    out.append("</tbody></table></div>")
    return "".join(out)


def to_pandas(ev: Evaluation, *, exact: bool = False) -> Any:
    """One row per item, indexed by item id."""
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - exercised with a simulated import failure
        raise ModuleNotFoundError(
            "Evaluation.to_pandas() needs pandas: pip install 'fuac[pandas]'", name="pandas"
        ) from exc

    def num(v: Decimal | None) -> Any:
        if v is None:
            return None if exact else float("nan")
        return v if exact else float(v)

    titles = {s.id: s.title for s in ev.sections}
    rows = []
    for it in ev.items:
        rows.append(
            {
                "item": it.id,
                "number": it.number,
                "section": it.section,
                "section_title": titles[it.section].zh if it.section in titles else None,
                "label": it.label.zh if it.label else None,
                "label_en": it.label.en if it.label else None,
                "kind": it.rule_kind,
                "points": num(it.points),
                "max": num(it.max),
                "lost": num(it.lost),
                "status": it.status,
                "met": it.met,
                "judgement_points": num(it.judgement_points),
                "bonus": it.bonus,
                "reason": it.reason_zh,
                "reason_en": it.reason_en,
            }
        )
    df = pd.DataFrame(rows).set_index("item")
    df.attrs["ruleset"] = ev.ruleset_id
    df.attrs["total"] = ev.reported_total
    return df
