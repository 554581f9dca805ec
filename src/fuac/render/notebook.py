"""What Jupyter shows for fuac's results other than one evaluation (``report.evaluation_fragment``).

Each ``*_html`` function gives a self-contained HTML fragment (its own ``<style>``, no script):
a rectification list (:class:`~fuac.Gaps`), a batch (:class:`~fuac.BatchResults`: counts by
status, grade and pass mark, each section's mean, lowest and highest points with its number,
title and maximum, the first rows), a ranking (:class:`~fuac.Selection`), the sums behind
reference values computed over a cohort (:class:`~fuac.CohortTable`), and what changed between
two rule sets (``fuac.explain.diff``). The results themselves import nothing from here: they
find these functions in ``fuac.run.results.VIEWS`` under the names of :data:`VIEWS`, set when
``fuac`` is imported.

Every text is escaped. Jupyter's own style sheet right-aligns table cells and stripes and
centres tables (with selectors more specific than a fragment's own), so the style here, scoped to
``.fuac-nb``, says ``!important`` where it must: text is left-aligned, numbers right-aligned,
dark text on a white ground whatever the notebook's theme. Chinese first, English beside it in
grey, as the evaluation's table shows them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..explain.gaps import _GROUP_ATTRS, _HEADS, Gap, Gaps, _action, _stake
from ..language.statuses import STATUS_WORDS, STATUSES
from ..language.words import fmt_number
from .report import esc

if TYPE_CHECKING:
    from ..decide.select import Pick, QuotaUse, Selection
    from ..explain.diff import Replay, RuleChange
    from ..run.batch.cohort import CohortTable
    from ..run.batch.results import BatchResults

#: the class of every fragment's outer ``<div>``; the style below applies inside it only
CLASS = "fuac-nb"

CSS = (
    ".fuac-nb{color:#1f2328 !important;background:#fff !important;font-size:12px;line-height:1.45;"
    "text-align:left !important;padding:4px 6px}"
    ".fuac-nb p,.fuac-nb h4,.fuac-nb ul{text-align:left !important;margin:4px 0}"
    ".fuac-nb h4{font-size:13px;margin-top:10px}"
    ".fuac-nb table{border-collapse:collapse;font-size:12px;margin:2px 0 8px 0 !important;"
    "table-layout:auto !important;width:auto}"
    ".fuac-nb tbody tr,.fuac-nb thead tr{background:transparent !important}"
    ".fuac-nb th,.fuac-nb td{border:1px solid #c9ced6 !important;padding:2px 6px !important;"
    "text-align:left !important;vertical-align:top !important;white-space:normal;color:#1f2328 !important}"
    ".fuac-nb th{background:#eef1f4 !important;font-weight:bold}"
    ".fuac-nb td.n,.fuac-nb th.n{text-align:right !important;white-space:nowrap}"
    ".fuac-nb td.k{white-space:nowrap}"
    ".fuac-nb .en{color:#5b6470 !important;font-size:11px}"
    ".fuac-nb .bad{color:#b83232 !important;font-weight:bold}.fuac-nb .warn{color:#8a5a00 !important}"
    ".fuac-nb .ok{color:#2f6f3e !important}"
    ".fuac-nb tr.sel td{background:#edf7ef !important}.fuac-nb tr.res td{background:#fdf6e3 !important}"
)

#: how many rows a table shows before it says how many more there are
ROWS = 10


# ---------------------------------------------------------------------------
# pieces


def _wrap(kind: str, body: Iterable[str]) -> str:
    return f'<div class="{CLASS}" data-fuac="{kind}"><style>{CSS}</style>{"".join(body)}</div>'


def _bi(zh: Any, en: Any) -> str:
    """Both texts: the Chinese, then the English in grey (once when they are the same)."""
    zh, en = "" if zh is None else str(zh), "" if en is None else str(en)
    if zh == en or not en:
        return esc(zh)
    if not zh:
        return f'<span class="en">{esc(en)}</span>'
    return f'{esc(zh)} <span class="en">{esc(en)}</span>'


def _table(head: Sequence[tuple[str, str]], rows: Iterable[Sequence[str]], numeric: Iterable[int] = (),
           attrs: Sequence[str] | None = None, keep: Iterable[int] = ()) -> str:
    """A table: ``head`` is (zh, en) per column, each row's cells are HTML already; the columns in
    ``numeric`` are right-aligned, those in ``keep`` not broken across lines (names, statuses);
    ``attrs`` gives each row's attributes (``class="sel"``), already escaped."""
    num, whole = set(numeric), set(keep)
    out = ["<table><thead><tr>"]
    out += [f'<th{" class=n" if k in num else ""}>{_bi(zh, en)}</th>' for k, (zh, en) in enumerate(head)]
    out.append("</tr></thead><tbody>")
    for r, row in enumerate(rows):
        extra = attrs[r] if attrs is not None else ""
        out.append(f"<tr {extra}>" if extra else "<tr>")
        out += [f'<td class="{"n" if k in num else "k"}">{c}</td>' if k in num or k in whole else f"<td>{c}</td>"
                for k, c in enumerate(row)]
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _more(shown: int, total: int) -> str:
    if total <= shown:
        return ""
    return f'<p>…… 另有 {total - shown} 行 <span class="en">{total - shown} more rows</span></p>'


def _num(v: Any, places: int | None = None) -> str:
    """A number as shown: exact decimals as written, floats to ``places`` decimals; "—" for none."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, Decimal):
        return esc(fmt_number(v))
    if isinstance(v, float) and places is not None:
        return esc(f"{v:.{places}f}")
    if isinstance(v, float):
        return esc(fmt_number(Decimal(repr(v))))
    return esc(v)


def _places(precision: Decimal | None) -> int:
    if precision is None:
        return 2
    exp = precision.normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 2


# ---------------------------------------------------------------------------
# a rectification list


def gaps_html(gs: Gaps) -> str:
    """The rectification list (整改清单): each group, and in it each item with the points at stake,
    its points now, and what to change."""
    ev = gs.evaluation
    points = ev.scheme_kind == "points"
    name = ev.context.get("name")
    title = f"{esc(name)} · " if name else ""
    out = [f"<p><b>{title}{esc(ev.ruleset_id)} {esc(ev.ruleset_version)} — 整改清单 "
           f'<span class="en">Rectification list</span></b></p>']
    if points:
        score, rec = f"{fmt_number(ev.reported_total)} / {fmt_number(ev.max_total)}", fmt_number(gs.recoverable)
        zh = f"得分 {score}；逐项整改可挽回 {rec} 分（每项单独计，不含酌情评分）"
        en = f"score {score}; the changes below recover {rec} points (each on its own, judgement excluded)"
        out.append(f"<p>{_bi(zh, en)}</p>")
    if not len(gs):
        out.append(f"<p>{_bi('没有失分项目。', 'No points lost.')}</p>")
    for attr in _GROUP_ATTRS:
        group: list[Gap] = getattr(gs, attr)
        if group:
            out.append(_gap_group(attr, group, points))
    return _wrap("gaps", out)


def _gap_group(attr: str, group: list[Gap], points: bool) -> str:
    hz, he = _HEADS[attr]
    if attr == "judgement" and not points:
        hz, he = "评估人判断", "Assessor's judgement"
    head = [("可挽回", "recovers"), ("项目", "item"), ("得分", "points"), ("怎么改", "what to change")]
    rows = [_gap_row(g, attr, points) for g in group]
    return f'<h4 data-group="{esc(attr)}">{_bi(hz, he)}</h4>' + _table(head, rows, numeric=(0, 2))


def _gap_row(g: Gap, attr: str, points: bool) -> list[str]:
    key = g.number or g.item
    if g.part:
        key = f"{key}({g.part})"
    label = _bi(g.label.zh, g.label.en) if g.label else esc(g.clause or "")
    now = "—" if g.points is None else fmt_number(g.points)
    if g.max is not None:
        now = f"{now} / {fmt_number(g.max)}"
    todo = [_bi(g.action_zh, g.action_en)]
    if g.first is not None:
        fz, fe = _action(g.first[0])
        step = fmt_number(g.first[1])
        todo.append(_bi(f"先做到：{fz}：+{step}", f"a first step: {fe}: +{step}"))
    if g.also:
        other = ", ".join(f"{k} {'+' if v > 0 else ''}{fmt_number(v)}" for k, v in g.also.items())
        todo.append(_bi(f"（同一调整也影响：{other}）", f"(the same change also moves: {other})"))
    if attr in ("changes", "blockers", "voided") and g.changes and not g.verified:
        todo.append(f'<span class="warn">{_bi("复核未通过：请人工核对", "not confirmed by re-evaluation")}</span>')
    return [esc(_stake(g, attr, points)), f"{esc(key)} {label}", esc(now) if points else "", "<br>".join(todo)]


# ---------------------------------------------------------------------------
# a batch


def batch_html(res: BatchResults, rows: int = ROWS) -> str:
    """A batch: how many rows, counts by status, grade and pass mark, each section's points over the
    batch (with its number, title and maximum), and the first ``rows`` rows."""
    rs = res.ruleset
    tier = f" [{esc(res.tier)}]" if res.tier else ""
    out = [f"<p><b>{esc(rs.id)} {esc(rs.version)}{tier}</b> — "
           f'<span data-rows="{res.n}">{_bi(f"{res.n} 个单位", f"{res.n} units")}</span> · '
           f"{esc(res.on.isoformat())} · {esc(res.backend)}</p>"]
    out.append(f"<h4>{_bi('统计', 'Counts')}</h4>{_counts(res)}")
    out.append(f"<h4>{_bi('各部分得分', 'Sections over the batch')}</h4>{_sections(res)}")
    shown = min(rows, res.n)
    out.append(f"<h4>{_bi(f'前{shown}行', f'First {shown} rows')}</h4>{_first_rows(res, shown)}")
    out.append(_more(shown, res.n))
    return _wrap("batch", out)


_PASSED = {True: ("达标", "passed"), False: ("未达标", "not passed"), None: ("无法判断", "cannot tell")}


def _counts(res: BatchResults) -> str:
    """Counts by status (every status the batch has), by grade and by pass mark (when the rule set has them)."""
    n = res.n or 1
    rows: list[list[str]] = []
    marks: list[str] = []
    by_status = res.status_counts()
    for st in STATUSES:
        if st in by_status:
            zh, en = STATUS_WORDS[st]
            rows.append([_bi("状态", "status"), _bi(zh, en), str(by_status[st]), f"{100 * by_status[st] / n:.1f}%"])
            marks.append(f"status-{st}")
    grades = res.ruleset.doc.grades
    if grades:
        got = Counter(res.column("grade").tolist())
        for g in [*grades, None]:
            k = got.get(None if g is None else g.id, 0)
            if k:
                word = _bi(g.label.zh, g.label.en) if g is not None else _bi("无等级", "no grade")
                rows.append([_bi("等级", "grade"), word, str(k), f"{100 * k / n:.1f}%"])
                marks.append(f"grade-{'none' if g is None else g.id}")
    if res.ruleset.meta.pass_mark is not None:
        passed = Counter(res.column("passed").tolist())
        for value in (True, False, None):
            if passed.get(value):
                rows.append([_bi("达标线", "pass mark"), _bi(*_PASSED[value]), str(passed[value]),
                             f"{100 * passed[value] / n:.1f}%"])
                marks.append(f"passed-{str(value).lower()}")
    # each row says what it counts (data-count="status-scored"), for a program reading the HTML
    return _table([("", ""), ("", ""), ("单位数", "units"), ("占比", "share")], rows, numeric=(2, 3),
                  attrs=[f'data-count="{esc(m)}"' for m in marks])


def _stats(values: Any) -> tuple[float | None, float | None, float | None, int]:
    """(mean, lowest, highest, how many) of the values that are not NaN."""
    import numpy as np

    arr = np.asarray(values, dtype=float)
    ok = arr[~np.isnan(arr)]
    if not ok.size:
        return None, None, None, 0
    return float(ok.mean()), float(ok.min()), float(ok.max()), int(ok.size)


def _sections(res: BatchResults) -> str:
    places = _places(res.ruleset.meta.precision)
    rows = []
    for col, lab in res.section_labels().items():
        mean, lo, hi, k = _stats(res.column(col))
        top = lab["max"]
        share = "—" if mean is None or not top else f"{100 * mean / float(top):.1f}%"
        rows.append([esc(lab["number"] or ""), _bi(lab["title_zh"], lab["title_en"]), _num(top),
                     _num(mean, places + 1), _num(lo, places), _num(hi, places), share, str(k), esc(col)])
    rows.append(_whole_row(res, places))
    head = [("序号", "no."), ("部分", "section"), ("分值", "max"), ("平均", "mean"), ("最低", "lowest"),
            ("最高", "highest"), ("平均得分率", "mean share"), ("有得分", "scored"), ("列", "column")]
    return _table(head, rows, numeric=(2, 3, 4, 5, 6, 7), keep=(0,))


def _whole_row(res: BatchResults, places: int) -> list[str]:
    """The last row: the total against the tier's total, or (a checklist) the share of requirements met."""
    if res.plan.total is not None:
        mean, lo, hi, k = _stats(res.column("total"))
        share = "—" if mean is None else f"{100 * mean / float(res.plan.total):.1f}%"
        return ["", _bi("合计", "total"), _num(res.plan.total), _num(mean, places + 1), _num(lo, places),
                _num(hi, places), share, str(k), "total"]
    mean, lo, hi, k = _stats(res.column("completion"))
    pct = [None if v is None else 100 * v for v in (mean, lo, hi)]
    return ["", _bi("落实比例", "completion"), "100%", *(_num(v, 1) + ("%" if v is not None else "") for v in pct),
            "—" if mean is None else f"{100 * mean:.1f}%", str(k), "completion"]


def _first_rows(res: BatchResults, k: int) -> str:
    labels = res.section_labels()
    ctx = [c for c in ("id", "code", "name") if c in res.columns]
    cols = [*ctx, "status", "total", *labels]
    head: list[tuple[str, str]] = [(c, c) for c in ctx] + [("状态", "status"), ("总分", "total")]
    head += [(f"{lab['number'] or col}（{_num(lab['max'])}）", col) for col, lab in labels.items()]
    values = {c: res.column(c)[:k].tolist() for c in cols}
    places = _places(res.ruleset.meta.precision)
    rows = []
    for i in range(k):
        row = [esc(values[c][i]) for c in ctx]
        st = values["status"][i]
        row.append(_bi(*STATUS_WORDS.get(st, (st, st))))
        row += [_num(values[c][i], places) for c in ["total", *labels]]
        rows.append(row)
    return _table(head, rows, numeric=range(len(ctx) + 1, len(cols)), keep=range(len(ctx) + 1))


# ---------------------------------------------------------------------------
# a ranking


def selection_html(sel: Selection, rows: int = 30) -> str:
    """A ranking: how many were ranked, selected, kept as reserves, set aside; the quotas with their
    caps and use; then the ranked units, best first, each selected or not and why, and the units set
    aside with their reason."""
    ranked = sel.ranked
    aside = [p for p in sel.picks if p.rank is None]
    order = ", ".join(f"{k} {'desc' if d else 'asc'}" for k, d in sel.order)
    tier = f" [{esc(sel.tier)}]" if sel.tier else ""
    summary = (f"{len(sel.picks)} 个单位，排名 {len(ranked)} 个，入选 {len(sel.recommended)} 个，"
               f"备选 {len(sel.reserves)} 个，未排名 {len(aside)} 个",
               f"{len(sel.picks)} units: {len(ranked)} ranked, {len(sel.recommended)} selected, "
               f"{len(sel.reserves)} reserves, {len(aside)} set aside")
    out = [f"<p><b>{esc(sel.ruleset_id)}{tier} — 排名与名额 <span class=\"en\">ranking and quotas</span></b>"
           f" · {_bi('排序', 'order')}: {esc(order)}</p>", f"<p>{_bi(*summary)}</p>"]
    if sel.quotas:
        out.append(f"<h4>{_bi('名额', 'Quotas')}</h4>{_quotas(sel.quotas)}")
    if sel.notes:
        out.append("<ul>" + "".join(f"<li>{_bi(n.zh, n.en)}</li>" for n in sel.notes) + "</ul>")
    shown = ranked[:rows]
    out.append(f"<h4>{_bi('排名', 'Ranked')}</h4>" + _table(
        [("名次", "rank"), ("单位", "unit"), ("地区", "region"), ("结果", "result"), ("理由", "reason")],
        [_pick_row(p) for p in shown], numeric=(0,), keep=(1, 2, 3),
        attrs=['class="sel"' if p.selected else ('class="res"' if p.reserve else "") for p in shown]))
    out.append(_more(len(shown), len(ranked)))
    if aside:
        some = aside[:rows]
        out.append(f"<h4>{_bi('未排名', 'Set aside')}</h4>" + _table(
            [("单位", "unit"), ("地区", "region"), ("理由", "reason")],
            [[esc(p.unit), esc(p.region or "—"), _bi(p.reason.zh, p.reason.en)] for p in some], keep=(0, 1)))
        out.append(_more(len(some), len(aside)))
    return _wrap("selection", out)


def _pick_row(p: Pick) -> list[str]:
    if p.selected:
        result = f'<span class="ok">{_bi("入选", "selected")}</span>'
    elif p.reserve:
        result = f'<span class="warn">{_bi("备选", "reserve")}</span>'
    else:
        result = _bi("未入选", "not selected")
    if p.quota:
        result += f" <code>{esc(p.quota)}</code>"
    return [esc(p.rank), esc(p.unit), esc(p.region or "—"), result, _bi(p.reason.zh, p.reason.en)]


def _per_region(values: dict[str, int], limit: int = 8) -> str:
    items = sorted(values.items())
    text = "; ".join(f"{r}: {k}" for r, k in items[:limit])
    return text + (f"; … ({len(items) - limit})" if len(items) > limit else "")


def _quotas(quotas: list[QuotaUse]) -> str:
    rows = []
    for q in quotas:
        cap = str(q.cap) if q.cap is not None else _per_region(q.caps)
        used = str(q.used) if q.cap is not None else _per_region(q.usage)
        words = [_bi(q.explanation.zh, q.explanation.en)] if q.explanation is not None else []
        if q.history is not None:
            words.append(_bi(q.history.zh, q.history.en))
        rows.append([f"{_bi(q.label.zh, q.label.en)} <code>{esc(q.id)}</code>", esc(f"{q.quota_kind}, {q.per}"),
                     esc(cap), esc(used), "<br>".join(words)])
    return _table([("名额", "quota"), ("类型", "kind"), ("上限", "cap"), ("已用", "used"), ("说明", "how")], rows)


# ---------------------------------------------------------------------------
# the cohort sums


def cohort_html(table: CohortTable, rows: int = 20) -> str:
    """For each reference value computed over a cohort: what it is the mean of, and per region the
    number of units and the mean they give (or the value given for the region)."""
    out = [f"<p><b>{_bi('队列统计', 'Cohort statistics')}</b> — "
           f"{_bi(f'{len(table.specs)} 个参考值', f'{len(table.specs)} reference value(s)')}</p>"]
    if not table.specs:
        none = _bi("该规则集没有按队列计算的参考值。", "The rule set computes no reference value over a cohort.")
        out.append(f"<p>{none}</p>")
    for spec in table.specs:
        of = spec.of + (f" × {spec.weight}" if spec.weight else "")
        prec = f", {fmt_number(spec.precision)}" if spec.precision is not None else ""
        out.append(f"<h4><code>{esc(spec.ref)}</code> = {_bi('均值', 'mean of')} <code>{esc(of)}</code>"
                   f" ({_bi('按', 'by')} {esc(spec.parent_level)}{esc(prec)})</h4>")
        regions = sorted(set(table.sums.get(spec.ref, {})) | set(table.given.get(spec.ref, {})))
        body = []
        for region in regions[:rows]:
            value, n = table.value(spec.ref, region)
            how = _bi("给定", "given") if region in table.given.get(spec.ref, {}) else _bi("计算", "computed")
            body.append([esc(region), str(n), _num(value), how])
        out.append(_table([("地区", "region"), ("单位数", "units"), ("均值", "mean"), ("来源", "from")], body,
                          numeric=(1, 2)))
        out.append(_more(min(rows, len(regions)), len(regions)))
    return _wrap("cohort", out)


# ---------------------------------------------------------------------------
# what changed between two rule sets


_ACTIONS = {"added": ("新增", "added"), "removed": ("删除", "removed"), "replaced": ("替换", "replaced"),
            "changed": ("修改", "changed")}
_WHAT = {"item": ("项目", "item"), "section": ("部分", "section"), "veto": ("否决", "veto"),
         "eligibility": ("申报条件", "eligibility"), "indicator": ("指标", "indicator"),
         "parameter": ("参数", "parameter"), "scheme": ("方案", "scheme")}


def _shown(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, Decimal):
        return fmt_number(v)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_shown(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_shown(x) for x in v) + "]"
    return str(v)


def changes_html(changes: Sequence[RuleChange], rows: int = 200) -> str:
    """The changes from rule set A to B (``fuac.explain.diff.diff``): one row each."""
    shown = list(changes)[:rows]
    out = [f"<p><b>{_bi('规则变化', 'Rule changes')}</b>: {len(changes)}</p>"]
    if not changes:
        out.append(f"<p>{_bi('两个规则集的评分规则相同。', 'The two rule sets score alike.')}</p>")
    else:
        out.append(_table([("变化", "change"), ("对象", "what"), ("编号", "id"), ("部分", "section"),
                           ("内容 A → B", "fields A → B"), ("依据", "clause"), ("新读取的指标", "new inputs")],
                          [_change_row(c) for c in shown]))
        out.append(_more(len(shown), len(changes)))
    return _wrap("changes", out)


def _change_row(c: RuleChange) -> list[str]:
    ident = esc(c.id) + (f" → {esc(c.new_id)}" if c.new_id else "")
    fields = "<br>".join(f"<code>{esc(k)}</code>: {esc(_shown(a))} → {esc(_shown(b))}"
                         for k, (a, b) in c.fields.items() if k != "clause")
    clause = "<br>".join(esc(f"{side}: {text}") for side, text in (("A", c.clause_a), ("B", c.clause_b)) if text)
    return [_bi(*_ACTIONS.get(c.action, (c.action, c.action))), _bi(*_WHAT.get(c.what, (c.what, c.what))), ident,
            esc(c.section or ""), fields, clause, esc(", ".join(c.new_inputs))]


def replay_html(rows: Sequence[Replay], limit: int = 200) -> str:
    """How each unit's total and rank move from rule set A to B (``fuac.explain.diff.replay``)."""
    shown = list(rows)[:limit]
    body = [[esc(r.name), _num(r.total_a), _num(r.total_b),
             "—" if r.delta is None else esc(("+" if r.delta > 0 else "") + fmt_number(r.delta)),
             _num(r.rank_a), _num(r.rank_b)] for r in shown]
    head = [("单位", "unit"), ("A 总分", "total A"), ("B 总分", "total B"), ("变化", "change"), ("A 名次", "rank A"),
            ("B 名次", "rank B")]
    return _wrap("replay", [f"<p><b>{_bi('重算', 'Replay')}</b>: {len(rows)}</p>",
                            _table(head, body, numeric=(1, 2, 3, 4, 5)), _more(len(shown), len(rows))])


def change_html(c: RuleChange) -> str:
    return changes_html([c])


#: what the results below the renderers display with (``fuac.run.results.VIEWS``, set by ``import fuac``)
VIEWS: dict[str, Callable[..., str]] = {
    "html.gaps": gaps_html,
    "html.batch": batch_html,
    "html.selection": selection_html,
    "html.cohort": cohort_html,
    "html.changes": changes_html,
    "html.change": change_html,
    "html.replay": replay_html,
}
