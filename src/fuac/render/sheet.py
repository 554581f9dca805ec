"""The contents of a score sheet, in both languages and no format: its rows, section scores,
total and verdict. The HTML sheet (``render.report``) and the xlsx sheet (``render.workbook``) both lay
these out."""

from __future__ import annotations

from dataclasses import dataclass

from ..language.statuses import BLOCKED, PENDING, STATUS_WORDS
from ..language.words import fmt_number
from ..run.results import ConditionResult, Evaluation, ItemResult, SectionResult


@dataclass(slots=True)
class Cells:
    """One row of the score sheet, as text in both languages."""

    number: str
    max: str
    criteria_zh: str
    criteria_en: str
    method: str
    found_zh: str
    found_en: str
    score_zh: str
    score_en: str
    status: str
    judgement: bool


def is_points(ev: Evaluation) -> bool:
    return ev.scheme_kind == "points"


def score_text(ev: Evaluation, it: ItemResult) -> tuple[str, str]:
    """The 得分 (or 落实情况) cell of an item."""
    if it.is_veto:
        if it.status == "vetoed":
            return "否决", "veto"
        if it.status in BLOCKED:
            return "待定", "undecided"
        return "不否决", "no veto"
    if not is_points(ev) or (it.max is None and not it.bonus):  # a bonus item may have points and no cap
        if it.status in PENDING:
            zh, en = STATUS_WORDS[it.status]
            return f"? {zh}", f"? {en}"
        done, undone = met_words(ev)
        if it.met:
            return f"✓ {done[0]}", f"✓ {done[1]}"
        if it.met is False:
            return f"✗ {undone[0]}", f"✗ {undone[1]}"
        return "? 待定", "? undecided"
    if it.points is None:
        zh, en = STATUS_WORDS.get(it.status, (it.status, it.status))
        return f"—（{zh}）", f"— ({en})"
    pts = fmt_number(ev.reported(it.points))
    if it.status == "voided":
        return f"{pts}（作废）", f"{pts} (voided)"
    if it.judgement_points is not None:
        return f"{pts}*", f"{pts}*"
    return pts, pts


def mark_text(ev: Evaluation, it: ItemResult) -> tuple[str, str]:
    """The 备注 (note) cell beside an item's points in a spreadsheet, where the points are a number:
    ``*`` for points given by an assessor's judgement, the status when the item has no points or lost
    them all to a void (作废, 缺少输入, 不适用 …), 否决 / 不否决 for a veto item; empty for an item
    scored by its rule."""
    if it.is_veto:
        return score_text(ev, it)
    if it.judgement_points is not None and it.status == "scored":
        return "*", "*"
    if it.status == "scored":
        return "", ""
    return STATUS_WORDS.get(it.status, (it.status, it.status))


def met_value(it: ItemResult) -> int | None:
    """An item of a checklist or targets as a number a spreadsheet can add up: 1 met, 0 not met; None
    when it is not decided (or is a veto item, which is not counted)."""
    if it.is_veto or it.met is None or it.status in PENDING:
        return None
    return 1 if it.met else 0


def met_words(ev: Evaluation) -> tuple[tuple[str, str], tuple[str, str]]:
    """What a met and an unmet item are called: (已落实, met), (未落实, not met); for targets 已完成 …"""
    if ev.scheme_kind == "targets":
        return ("已完成", "achieved"), ("未完成", "not achieved")
    return ("已落实", "met"), ("未落实", "not met")


def criteria(it: ItemResult) -> tuple[str, str]:
    zh = it.clause or ""
    if not zh and it.parts:
        zh = "；".join(p.clause for p in it.parts if p.clause)
    label_zh = it.label.zh if it.label else ""
    label_en = it.label.en if it.label else ""
    if not zh:
        zh = label_zh
    num = it.number or ""
    if num and not zh.startswith(num):
        zh = f"{num} {zh}"
        label_en = f"{num} {label_en}" if label_en else label_en
    return zh, label_en or zh


def row_cells(ev: Evaluation, it: ItemResult) -> Cells:
    cz, ce = criteria(it)
    sz, se = score_text(ev, it)
    return Cells(
        number=it.number or it.id,
        max="" if it.max is None or it.is_veto else fmt_number(it.max),
        criteria_zh=cz,
        criteria_en=ce,
        method=it.method or "",
        found_zh=it.reason_zh,
        found_en=it.reason_en,
        score_zh=sz,
        score_en=se,
        status=it.status,
        judgement=it.judgement_points is not None,
    )


def met_count(sec: SectionResult) -> int:
    """How many of a section's items that count are met (a veto item, met when it is not triggered, does
    not count: ``SectionResult.met`` counts it)."""
    return sum(1 for i in sec.counted if i.met)


def section_score(ev: Evaluation, sec: SectionResult) -> tuple[str, str]:
    if is_points(ev):
        pts = "—" if sec.points is None else fmt_number(ev.reported(sec.points))
        return pts, pts
    counted = sec.counted
    met = met_count(sec)
    return f"{met}/{len(counted)} 项已落实", f"{met} of {len(counted)} met"


def total_text(ev: Evaluation) -> tuple[str, str]:
    if is_points(ev):
        t = "—" if ev.reported_total is None else fmt_number(ev.reported_total)
        m = fmt_number(ev.max_total) if ev.max_total is not None else "—"
        return f"{t} / {m}", f"{t} / {m}"
    counted = ev.counted
    done = sum(1 for i in counted if i.met)
    return f"{done}/{len(counted)} 项已落实", f"{done} of {len(counted)} met"


def verdict(ev: Evaluation) -> list[tuple[str, str, str]]:
    """(css class, zh, en) lines: eligibility, vetoes, grade, completeness."""
    out: list[tuple[str, str, str]] = []
    if ev.eligibility or any(v.scope == "eligibility" for v in ev.vetoes):
        out.append(
            {
                True: ("ok", "具备申报资格", "eligible to apply"),
                False: ("bad", "不具备申报资格", "not eligible to apply"),
                None: ("warn", "申报资格待定", "eligibility undecided"),
            }[ev.eligible]
        )
    if ev.vetoed:
        out.append(
            ("bad", "一票否决：不能命名（得分照常计算）", "vetoed: no title (the score still stands)")
            if is_points(ev)
            else ("bad", "一票否决：不能命名", "vetoed: the title cannot be awarded")
        )
    elif any(v.holds is None for v in ev.vetoes):
        out.append(("warn", "否决事项待定（缺少输入）", "a veto is undecided (missing input)"))
    elif ev.vetoes:
        out.append(("ok", "无一票否决事项", "no veto"))
    if ev.grade is not None:
        out.append(("ok", f"等次：{ev.grade.zh}", f"grade: {ev.grade.en}"))
    if not ev.complete:
        out.append(
            ("warn", "评分未完成：部分项目缺少输入或待评估", "incomplete: some items lack input or await an assessor")
        )
    return out


def condition_state(c: ConditionResult, veto: bool) -> tuple[str, str, str]:
    if c.holds is None:
        return "warn", "待定", "undecided"
    if veto:
        return ("bad", "已发生", "triggered") if c.holds else ("ok", "未发生", "not triggered")
    return ("ok", "符合", "met") if c.holds else ("bad", "不符合", "not met")


def unit_name(ev: Evaluation) -> str | None:
    name = ev.context.get("name")
    return None if name is None else str(name)
