"""Markdown pages for rule sets, generated from the loaded rule set.

``ruleset_page(rs)`` gives one page: metadata, jurisdiction, validity, tiers,
notes, the inputs it reads, then for every tier each section and item (number,
label, maximum, rule kind and its parameters in plain words, clause, assessment
method), then vetoes, eligibility, grades, quotas, cycle, procedure, calendar and
incentives. ``index_page(rulesets)`` lists pages. Output depends only on the rule
file: no dates, paths or hashes, so a page can be compared with a fresh one in
tests (``fuac docs --all -o docs/schemes``). A rule file's text is escaped (:func:`_md`): a third
party's ``<script>``, entity or link shows as text, never as HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from ..kinds.base import Rule
from ..language.models import Condition, Event, Quota, Text
from ..language.words import SCOPE_WORDS, UNITS, fmt_number, with_unit
from ..plan.loader import PreparedItem, PreparedPart, RuleSet

KIND_WORDS: dict[str, tuple[str, str]] = {
    "points": ("评分表", "points table"),
    "checklist": ("要求清单", "checklist of requirements"),
    "targets": ("工作目标", "work targets"),
}

LEVEL_WORDS: dict[str, tuple[str, str]] = {
    "province": ("省级", "province"),
    "city": ("市级", "city"),
    "county": ("县（市、区）", "county-level unit"),
    "township": ("街（乡、镇）", "township-level unit"),
    "village": ("村（社区）", "village-level unit"),
}

QUOTA_OF: dict[str, tuple[str, str]] = {
    "eligible": ("符合条件的单位", "eligible units"),
    "all": ("全部单位", "all units"),
    "applicants": ("申报单位", "applicants"),
}

ROUNDING_WORDS: dict[str, tuple[str, str]] = {
    "floor": ("向下取整", "rounded down"),
    "ceil": ("向上取整", "rounded up"),
    "half_up": ("四舍五入", "rounded half up"),
}

PER_WORDS: dict[str, tuple[str, str]] = {"cycle": ("每周期", "per cycle"), "year": ("每年", "per year")}


# ---------------------------------------------------------------------------
# small helpers


def _n(value: Any) -> str:
    return fmt_number(value)


_BACKTICKS = re.compile(r"`+")
#: what a rule file's text may not carry into a page as Markdown: HTML (``<``), entities (``&``),
#: links and images (``[``, ``]``), and the backslash that would undo the escapes
_MD_ESCAPES = {"\\": "\\\\", "`": "\\`", "<": "&lt;", "&": "&amp;", "[": "\\[", "]": "\\]"}
_MD_SPECIAL = re.compile(r"[\\`<&\[\]]")


def _md_plain(text: str) -> str:
    return _MD_SPECIAL.sub(lambda m: _MD_ESCAPES[m.group()], text)


def _md(text: Any) -> str:
    """Rule-file text for a Markdown page: what it says, and nothing more. No raw HTML (``<script>``,
    ``<img onerror=…>``), entity, link or image survives; a code span (`` `x >= 1` ``, matched as
    CommonMark matches it) is kept as written, and a backtick without its match is escaped."""
    s = str(text)
    out: list[str] = []
    done = 0  # s[:done] is in out
    at = 0
    while (m := _BACKTICKS.search(s, at)) is not None:
        run = m.group()
        close = re.compile(rf"(?<!`){run}(?!`)").search(s, m.end())
        if close is None:  # no closing run of the same length: literal backticks
            at = m.end()
            continue
        out += [_md_plain(s[done : m.start()]), s[m.start() : close.end()]]
        done = at = close.end()
    out.append(_md_plain(s[done:]))
    return "".join(out)


def _esc(text: Any) -> str:
    """Rule-file text for one line of a page, a heading or a Markdown table cell: escaped as
    :func:`_md` escapes it, no pipes, no line breaks."""
    return " ".join(_md(text).replace("|", "\\|").split())


def _code(text: Any) -> str:
    """A code span of any text: fenced with more backticks than any run in it."""
    s = " ".join(str(text).split())
    fence = "`" * (max((len(r) for r in _BACKTICKS.findall(s)), default=0) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _both(t: Text | None) -> str:
    if t is None:
        return ""
    return t.zh if t.zh == t.en else f"{t.zh} / {t.en}"


def _pts_zh(p: Any) -> str:
    return f"{_n(p)}分"


def _pts_en(p: Any) -> str:
    return f"{_n(p)} point{'' if p == 1 else 's'}"


def _val(value: Any, unit: str | None) -> tuple[str, str]:
    return with_unit(value, unit)


def _quote(text: str) -> list[str]:
    return [f"> {_md(line)}" if line.strip() else ">" for line in text.strip().splitlines()]


def describe_rule(rule: Rule, rs: RuleSet) -> tuple[str, str]:
    """The rule in plain words: (Chinese, English), as its kind describes itself (``Rule.describe``;
    a plugin rule that set ``describe`` to something else is described by its parameters)."""
    if callable(rule.describe):
        return rule.describe()
    return Rule.describe(rule)


# ---------------------------------------------------------------------------
# the page


def _meta(rs: RuleSet) -> list[str]:
    m = rs.meta
    kz, ke = KIND_WORDS[m.kind]
    rows: list[tuple[str, str]] = [
        ("编号 id", f"`{m.id}`"),
        ("版本 version", m.version),
        ("类型 kind", f"{kz} / {ke} (`{m.kind}`)"),
        ("发文单位 issuer", _both(m.issuer)),
    ]
    if m.document_number:
        rows.append(("文号 document number", m.document_number))
    if len(rs.chain) > 1:
        based = " ← ".join(f"`{link['id']}` {link['version']}" for link in reversed(rs.chain[:-1]))
        rows.append(("基于 extends", based))
    rows.append(("印发日期 issued", m.issued.isoformat()))
    until = m.valid_until.isoformat() if m.valid_until else "（未定）open"
    rows.append(("有效期 validity", f"{m.valid_from.isoformat()} – {until}"))
    if m.source:
        rows.append(("来源 source", m.source))
    if m.total is not None:
        rows.append(("总分 total", _pts_zh(m.total)))
    if m.precision is not None:
        rows.append(("报告精度 reported to", f"{_n(m.precision)}（四舍五入 half up, only when reported）"))
    if m.pass_mark is not None:
        rows.append(("合格分 pass mark", _pts_zh(m.pass_mark)))
    if m.bonus_cap is not None:
        rows.append(("加分上限 bonus cap", _pts_zh(m.bonus_cap)))
    out = ["| | |", "|---|---|"]
    out += [f"| {k} | {_esc(v)} |" for k, v in rows]
    return out


def _jurisdiction(rs: RuleSet) -> list[str]:
    out = ["## 适用地区 Jurisdiction", "", "| 区划代码 code | 层级 level | 名称 name |", "|---|---|---|"]
    for j in rs.meta.jurisdiction:
        lz, le = LEVEL_WORDS[j.level]
        out.append(f"| {j.code} | {lz} / {le} | {_esc(_both(j.name))} |")
    return out


def _tiers(rs: RuleSet) -> list[str]:
    if not rs.doc.tiers:
        return []
    regions = any(t.regions for t in rs.doc.tiers)
    head = "| id | 名称 label | 层级 level | 总分 total |" + (" 限于地区 only regions |" if regions else "")
    out = ["## 层级 Tiers", "", head, "|---|---|---|---|" + ("---|" if regions else "")]
    for t in rs.doc.tiers:
        lz, le = LEVEL_WORDS[t.level]
        total = _n(t.total) if t.total is not None else "—"
        row = f"| `{t.id}` | {_esc(_both(t.label))} | {lz} / {le} | {total} |"
        if regions:
            row += f" {', '.join(t.regions or []) or '—'} |"
        out.append(row)
    return out


def _notes(rs: RuleSet) -> list[str]:
    if not rs.doc.notes:
        return []
    out = ["## 说明 Notes", ""]
    for n in rs.doc.notes:
        out.append(f"- {_esc(n.zh)}")
        if n.en != n.zh:
            out.append(f"  <br>*{_esc(n.en)}*")
    return out


def _indicators(rs: RuleSet) -> list[str]:
    doc = rs.doc
    if not doc.indicators and not doc.parameters:
        return []
    out = ["## 输入指标 Inputs", ""]
    if doc.indicators:
        out += [
            "| 名称 name | 指标 label | 类型 type | 单位 unit | 范围 range | 备注 notes |",
            "|---|---|---|---|---|---|",
        ]
        for name, ind in doc.indicators.items():
            unit = ind.unit or ""
            if ind.unit in UNITS:
                zh, en = UNITS[ind.unit]
                shown = zh if zh == en.strip() else f"{zh}{en}".strip()
                unit = f"{_code(ind.unit)} ({shown})" if shown else _code(ind.unit)
            elif ind.unit:
                unit = _code(ind.unit)
            rng = ""
            if ind.choices:
                rng = "、".join(ind.choices)
            elif ind.min is not None or ind.max is not None:
                rng = f"{_n(ind.min) if ind.min is not None else ''}..{_n(ind.max) if ind.max is not None else ''}"
            notes = []
            if ind.reference:
                notes.append("参考值（如全区平均水平）reference value")
            if ind.tiers:
                notes.append("层级 tiers: " + ", ".join(f"`{t}`" for t in ind.tiers))
            if ind.clause:
                notes.append(ind.clause)
            cells = [f"`{name}`", _esc(_both(ind.label)), ind.type, _esc(unit), _esc(rng), _esc("; ".join(notes))]
            out.append(f"| {' | '.join(cells)} |")
    if doc.parameters:
        if doc.indicators:
            out.append("")
        out += ["| 参数 parameter | 名称 label | 取值（生效日期）values (from) | 依据 reference |", "|---|---|---|---|"]
        for name, par in doc.parameters.items():
            vals = "; ".join(f"{k}: {_val(v, par.unit)[0]}" for k, v in sorted(par.values.items()))
            out.append(f"| `{name}` | {_esc(_both(par.label))} | {_esc(vals)} | {_esc(par.reference)} |")
    return out


def _rule_lines(rule: Rule, rs: RuleSet, indent: str = "") -> list[str]:
    zh, en = describe_rule(rule, rs)
    return [f"{indent}- 规则 rule: {_code(rule.kind)}", f"{indent}  - {_esc(zh)}", f"{indent}  - {_esc(en)}"]


def _part_lines(part: PreparedPart, rs: RuleSet, points: bool) -> list[str]:
    head = f"- 第 {_code(part.id)} 部分 part {_code(part.id)}"
    if part.label is not None:
        head += f"：{_esc(part.label.zh)}"
    if points and part.max is not None:
        head += f"（{_pts_zh(part.max)}）"
    out = [head]
    out += _rule_lines(part.rule, rs, indent="  ")
    if part.clause:
        out.append(f"  - 条款 clause: {_esc(part.clause)}")
    return out


def _item_lines(it: PreparedItem, rs: RuleSet, points: bool) -> list[str]:
    num = it.number or it.id
    title = f"#### {_esc(num)}"
    if it.label is not None:
        title += f" {_esc(it.label.zh)}"
    out = [title, ""]
    if it.label is not None and it.label.en != it.label.zh:
        out += [f"*{_esc(it.label.en)}*", ""]
    facts = [f"- 编号 id: `{it.id}`"]
    if points and it.max is not None and not it.is_veto:
        facts.append(f"- 分值 max: {_pts_zh(it.max)}")
    if it.bonus:
        facts.append("- 加分项 bonus item: 不计入大项分值 not counted in the section's maximum")
    out += facts
    if it.parts is not None:
        out.append("- 分项 parts:")
        for p in it.parts:
            out += ["  " + line for line in _part_lines(p, rs, points)]
    else:
        assert it.rule is not None
        out += _rule_lines(it.rule, rs)
    if it.void is not None:
        why = f"（{_esc(it.void_clause)}）" if it.void_clause else ""
        out.append(
            f"- 作废 void: {_code(it.void.source)} 成立时此项不得分{why} / "
            "no points when it holds, whatever else is met"
        )
    if it.method:
        out.append(f"- 评估方法 assessment method: {_esc(it.method)}")
    if it.note:
        out.append(f"- 注 note: {_esc(it.note)}")
    if it.clause:
        out += ["", *_quote(it.clause)]
    return out


def _plan(rs: RuleSet, tier: str | None) -> list[str]:
    plan = rs.plan(tier)
    points = rs.scheme_kind == "points"
    out: list[str] = []
    if tier is not None:
        t = rs.tier(tier)
        label = f" {_esc(_both(t.label))}" if t is not None else ""
        total = f"（总分 total {_n(plan.total)}）" if points and plan.total is not None else ""
        out += [f"## 层级 Tier `{tier}`{label}{total}", ""]
    else:
        if points:
            heading = "评分细则 Points table"
        else:
            heading = "要求 Requirements" if rs.scheme_kind == "checklist" else "目标 Targets"
        total = f"（总分 total {_n(plan.total)}）" if points and plan.total is not None else ""
        out += [f"## {heading}{total}", ""]
    if not plan.sections:
        out += ["（无评分项目 no items）", ""]
    for sec in plan.sections:
        num = f"{_esc(sec.number)} " if sec.number else ""
        smax = f"（{_pts_zh(sec.max)}）" if points and sec.max is not None else ""
        out += [f"### {num}{_esc(sec.title.zh)}{smax}", ""]
        if sec.title.en != sec.title.zh:
            out += [f"*{_esc(sec.title.en)}*", ""]
        if sec.clause:
            out += [*_quote(sec.clause), ""]
        for it in sec.items:
            out += [*_item_lines(it, rs, points), ""]
    conds = _conditions(plan.eligibility, "申报条件 Eligibility", veto=False)
    conds += _conditions(plan.vetoes, "否决事项 Vetoes", veto=True)
    return out + conds


def _conditions(conds: Sequence[Any], heading: str, *, veto: bool) -> list[str]:
    if not conds:
        return []
    out = [f"### {heading}", ""]
    for pc in conds:
        c: Condition = pc.cond
        out.append(f"- **{_esc(c.label.zh)}** (`{c.id}`)")
        if c.label.en != c.label.zh:
            out.append(f"  - *{_esc(c.label.en)}*")
        if c.condition is not None:
            test = _code(c.condition)
        else:
            test = f"插件检查 plugin check {_code(c.check)}"
        if veto:
            scope = c.scope or "outcome"
            sz, se = SCOPE_WORDS[scope].drafting if scope in SCOPE_WORDS else (scope, scope)
            out.append(f"  - {test} 成立时否决 vetoes when it holds: {sz} / {se}")
        else:
            out.append(f"  - {test} 成立即符合 met when it holds")
        if c.window_years is not None:
            out.append(f"  - 时间范围 window: 近{c.window_years}年 the last {c.window_years} years")
        if c.cap_tier is not None:
            out.append(f"  - 最高层级 capped at tier: `{c.cap_tier}`")
        if c.consequence is not None:
            out.append(f"  - 后果 consequence: {_esc(_both(c.consequence))}")
        out.append(f"  - 条款 clause: {_esc(c.clause)}")
    out.append("")
    return out


def _grades(rs: RuleSet) -> list[str]:
    if not rs.doc.grades:
        return []
    out = ["## 等次 Grades", "", "| id | 等次 grade | 最低分 from (inclusive) |", "|---|---|---|"]
    for g in sorted(rs.doc.grades, key=lambda g: g.rank, reverse=True):
        out.append(f"| `{g.id}` | {_esc(_both(g.label))} | {'—' if g.min is None else _n(g.min)} |")
    return out


def quota_words(q: Quota) -> tuple[str, str]:
    """A quota in plain words: (Chinese, English)."""
    pz, pe = PER_WORDS[q.per]
    of_z, of_e = QUOTA_OF.get(q.of or "", ("", ""))
    rz, re_ = ROUNDING_WORDS.get(q.rounding or "", ("", ""))
    if q.kind in ("share", "share_per_parent"):
        assert q.share is not None
        pct = _n(q.share * 100)
        scope_z = "每个上级单位" if q.kind == "share_per_parent" else ""
        scope_e = " within each parent unit" if q.kind == "share_per_parent" else ""
        return (
            f"{pz}{scope_z}不超过{of_z}的{pct}%（{rz}）。",
            f"At most {pct} % ({_n(q.share)}) of {of_e}{scope_e} {pe}, {re_}.",
        )
    if q.kind in ("count", "count_per_parent"):
        scope_z = "每个上级单位" if q.kind == "count_per_parent" else ""
        scope_e = " by each parent unit" if q.kind == "count_per_parent" else ""
        return f"{pz}{scope_z}不超过{q.count}个。", f"At most {q.count}{scope_e} {pe}."
    if q.kind == "range":
        return f"{pz}{q.min_count}至{q.count}个。", f"From {q.min_count} to {q.count} {pe}."
    # by_parent_count
    zh, en = [], []
    for b in q.bands or []:
        if b.max_units is None:
            zh.append(f"其余{b.count}个")
            en.append(f"more: {b.count}")
        else:
            zh.append(f"下辖不超过{b.max_units}个的{b.count}个")
            en.append(f"up to {b.max_units} units: {b.count}")
    return (
        f"{pz}按上级单位下辖单位数确定名额：{'；'.join(zh)}。",
        f"{pe.capitalize()}, by how many units the parent has: {'; '.join(en)}.",
    )


def _quotas(rs: RuleSet) -> list[str]:
    if not rs.doc.quotas:
        return []
    out = ["## 名额 Quotas", ""]
    for q in rs.doc.quotas:
        zh, en = quota_words(q)
        tiers = f"（层级 tiers: {', '.join(f'`{t}`' for t in q.tiers)}）" if q.tiers else ""
        out += [
            f"- **{_esc(q.label.zh)}** (`{q.id}`, `{q.kind}`){tiers}",
            f"  - {zh}",
            f"  - {en}",
            f"  - 条款 clause: {_esc(q.clause)}",
        ]
    return out


def _cycle(rs: RuleSet) -> list[str]:
    c = rs.doc.cycle
    if c is None:
        return []
    out = [
        "## 周期 Cycle",
        "",
        f"- 自{c.first_year}年起每{c.length_years}年为一个周期 / cycles of {c.length_years} years from {c.first_year}",
    ]
    if c.title_lapses:
        out.append("- 称号于周期结束时失效 / the title lapses at the end of its cycle")
    else:
        out.append("- 称号不随周期结束失效 / the title does not lapse at the end of its cycle")
    if c.extension_after is not None:
        n = c.extension_cycles if c.extension_cycles is not None else 1
        out.append(
            f"- 连续{c.extension_after}个周期获得称号的，顺延{n}个周期 / "
            f"after {c.extension_after} consecutive cycles the title is extended by {n} cycle(s)"
        )
    if c.revoked_bars_next:
        rc = f"（{_esc(c.revocation_clause)}）" if c.revocation_clause else ""
        out.append(f"- 被撤销称号的，下一周期不得申报{rc} / a revoked unit may not apply in the next cycle")
    out.append(f"- 条款 clause: {_esc(c.clause)}")
    return out


def _when(e: Event) -> str:
    parts = []
    if e.month is not None and e.day is not None:
        parts.append(f"{e.month}月{e.day}日前 by {e.month:02d}-{e.day:02d}")
    elif e.month is not None:
        parts.append(f"{e.month}月 in month {e.month}")
    if e.per is not None:
        parts.append(PER_WORDS[e.per][0] + " " + PER_WORDS[e.per][1])
    if e.working_days is not None:
        parts.append(f"{e.working_days}个工作日 {e.working_days} working days")
    return "; ".join(parts)


def _events(events: Iterable[Event], heading: str) -> list[str]:
    events = list(events)
    if not events:
        return []
    out = [f"## {heading}", "", "| # | 事项 step | 责任方 actor | 时间 when | 条款 clause |", "|---|---|---|---|---|"]
    for i, e in enumerate(events, start=1):
        cells = [str(i), f"{_esc(_both(e.label))} (`{e.id}`)", _esc(_both(e.actor)), _esc(_when(e)), _esc(e.clause)]
        out.append(f"| {' | '.join(cells)} |")
    return out


def _incentives(rs: RuleSet) -> list[str]:
    if not rs.doc.incentives:
        return []
    out = [
        "## 激励 Incentives",
        "",
        "| id | 事项 label | 加分 points | 称号 award | 层级 tier | 条款 clause |",
        "|---|---|---|---|---|---|",
    ]
    for inc in rs.doc.incentives:
        per = "（每个单位 per unit）" if inc.per_unit else ""
        tier = f"`{inc.tier}`" if inc.tier else ""
        out.append(
            f"| `{inc.id}` | {_esc(_both(inc.label))} | +{_n(inc.points)}{per} | {_esc(inc.award)} | {tier} | "
            f"{_esc(inc.clause)} |"
        )
    return out


def ruleset_page(rs: RuleSet) -> str:
    """The Markdown page of one rule set. Deterministic: the same rule file gives the same text."""
    m = rs.meta
    out: list[str] = [
        f"<!-- Generated by `fuac docs {m.id}` from the rule file. Do not edit by hand: "
        "run `fuac docs --all -o docs/schemes`. -->",
        "",
        f"# {_esc(m.title.zh)}",
        "",
        f"*{_esc(m.title.en)}*",
        "",
    ]
    if m.description is not None:
        out += [_esc(m.description.zh), "", f"*{_esc(m.description.en)}*", ""]
    out += [*_meta(rs), ""]
    out += [*_jurisdiction(rs), ""]
    for block in (_tiers(rs), _notes(rs), _indicators(rs)):
        if block:
            out += [*block, ""]
    for tier in rs.tiers:
        out += _plan(rs, tier)
    for block in (
        _grades(rs),
        _quotas(rs),
        _cycle(rs),
        _events(rs.doc.procedure, "程序 Procedure"),
        _events(rs.doc.calendar, "年度日程 Calendar"),
        _incentives(rs),
    ):
        if block:
            out += [*block, ""]
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def index_page(rulesets: Sequence[RuleSet]) -> str:
    """A Markdown list of rule-set pages, in id order."""
    out = [
        "<!-- Generated by `fuac docs --all -o docs/schemes`. Do not edit by hand. -->",
        "",
        "# 规则集 Rule sets",
        "",
        "| id | 版本 version | 类型 kind | 名称 title | 层级 tiers |",
        "|---|---|---|---|---|",
    ]
    for rs in sorted(rulesets, key=lambda r: r.id):
        tiers = ", ".join(f"`{t}`" for t in rs.tiers if t) or "—"
        title = f"{_esc(rs.title.zh)}<br>*{_esc(rs.title.en)}*"
        out.append(f"| [`{rs.id}`]({rs.id}.md) | {_esc(rs.version)} | {rs.scheme_kind} | {title} | {tiers} |")
    return "\n".join(out) + "\n"
