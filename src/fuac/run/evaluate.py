"""Scoring one unit against a compiled plan.

Order (DOMAIN.md "One evaluation, in order"): validate input → eligibility →
item scores → section subtotals and bonuses → total → outcome vetoes → grade.
No step raises on bad input: every problem is reported by field and rule. Nor does a plugin's
code that fails: what a plugin's function, kind or veto check raises on a unit
(:class:`~fuac.errors.PluginCodeError`) makes the rule, guard or condition it served
``invalid_input`` (cannot tell) for that unit, naming the plugin, its code and the rule. What
fuac's own code raises, but for a failed computation on the unit's inputs, is a bug: an
:class:`~fuac.errors.EvaluationError` naming the rule.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import weakref
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..errors import EvaluationError, InputError, PluginCodeError
from ..kinds import VetoRule
from ..kinds.base import Assessment, EntryError, Inputs, MissingValue, Outcome, Reason, Rule
from ..language.explaining import explain, plain
from ..language.expressions import DECIMAL_CONTEXT, Expression
from ..language.models import VETOING, Grade, Text
from ..language.statuses import BLOCKED, BY_NAME, SETTLED
from ..language.words import failure_words, fmt_points, with_unit
from ..plan.engine import get_engine
from ..plan.loader import Plan, PreparedCondition, PreparedItem, PreparedSection, RuleSet, result_names, result_values
from .inputs import as_date, derive, read_assessments, validate
from .results import ConditionResult, Evaluation, ItemResult, PartResult, Problem, SectionResult

ZERO = Decimal(0)

def evaluate(
    ruleset: str | os.PathLike[str] | RuleSet,
    data: Mapping[str, Any],
    *,
    tier: str | None = None,
    context: Mapping[str, Any] | None = None,
    assessments: Mapping[str, Any] | None = None,
    assessor: str | None = None,
    on: dt.date | str | None = None,
) -> Evaluation:
    """Score one unit.

    :param ruleset: a rule-set id, a path to a rule file, or a loaded :class:`RuleSet`.
    :param data: indicator values by name. A reference value (a regional average)
        may be given with its source: ``{"value": 3.2, "source": "…"}``.
    :param tier: which tier to score (district / street / village …) when the rule set has several.
    :param context: facts about the unit recorded in the result (name, region code, …);
        ``context["on"]`` is the date parameters are taken at, if ``on`` is not given.
    :param assessments: assessors' entries by item id (or ``item.part``): a value, or
        ``{points|met|value, rationale, assessor}``, or a list of those.
    :param assessor: use the entries of this assessor (e.g. ``"self"`` or ``"verification"``).
    :param on: the date whose parameter values apply: a date, a datetime (its date) or a text
        ``YYYY-MM-DD``; default: ``context["on"]`` (the same) or today. Anything else is an
        :class:`~fuac.errors.InputError` naming it (:func:`evaluation_date`).
    """
    rs = get_engine().resolve(ruleset)
    if not isinstance(data, Mapping):
        raise InputError(f"data must be a mapping of indicator names to values, not {type(data).__name__}")
    if assessments is not None and not isinstance(assessments, Mapping):
        raise InputError(f"assessments must be a mapping, not {type(assessments).__name__}")
    if context is not None and not isinstance(context, Mapping):
        raise InputError(f"context must be a mapping, not {type(context).__name__}")
    when = evaluation_date(on, context)
    return evaluate_plan(
        rs, rs.plan(tier), data, on=when, context=context, assessments=assessments, assessor=assessor
    )


def evaluation_date(on: Any, context: Mapping[str, Any] | None = None) -> dt.date:
    """The date an evaluation takes its parameters at: ``on``, else ``context["on"]``, else today.
    Each is read by :func:`fuac.run.inputs.as_date` (a date, a datetime's date, a text ``YYYY-MM-DD``);
    anything else is an :class:`~fuac.errors.InputError` naming ``on`` or ``context['on']`` and the
    value. What :func:`evaluate`, :func:`fuac.evaluate_many` and the functions built on them use."""
    when = as_date(on, "on")
    if when is None and context:
        when = as_date(context.get("on"), "context['on']")
    return when or dt.date.today()


def evaluate_plan(
    ruleset: RuleSet,
    plan: Plan,
    data: Mapping[str, Any],
    *,
    on: dt.date,
    context: Mapping[str, Any] | None = None,
    assessments: Mapping[str, Any] | None = None,
    assessor: str | None = None,
) -> Evaluation:
    """Score one unit against one plan (one tier) of ``ruleset``, in the order of this module's docstring."""
    indicators = ruleset.doc.indicators
    values, sources, problems = validate(indicators, data)
    invalid = {p.field for p in problems if p.severity == "error"}
    params = ruleset.parameters_on(on)
    derive(ruleset.derived, values, params, ruleset.functions, invalid)
    entries, a_problems = read_assessments(assessments, assessor)
    problems.extend(a_problems)
    entries = _check_assessments(plan, entries, problems)
    inputs = Inputs(values, params, entries, ruleset.functions, sources)
    inputs.labels = ruleset.labels
    inputs.derived, inputs.units = _RULESET_MAPS.get(ruleset) or _ruleset_maps(ruleset)
    needed = _Needs()

    # conditions that read the unit's result (total, subtotals, points, grade) wait for the items (and the
    # grade): placeholders until then
    eligibility: list[Any] = [None if c.results else _condition(c, inputs, invalid, needed, veto=False)
                              for c in plan.eligibility]
    vetoes: list[Any] = [None if c.results else _condition(c, inputs, invalid, needed, veto=True)
                         for c in plan.vetoes]
    items, sections, total = _score_sections(ruleset, plan, inputs, invalid, needed, vetoes)
    complete = all(i.status in SETTLED for i in items)
    late = (_LateInputs(ruleset, inputs, sections, items, total, complete)
            if any(c.results for c in [*plan.eligibility, *plan.vetoes]) else None)
    if late is not None:
        for group, conds, veto in ((eligibility, plan.eligibility, False), (vetoes, plan.vetoes, True)):
            for k, c in enumerate(conds):
                if c.results and "grade" not in c.results:
                    group[k] = late.condition(c, invalid, needed, veto)
    grade, passed = _outcome(ruleset, total, complete, vetoes)
    if late is not None and any("grade" in c.results for c in plan.eligibility):
        late.graded(grade)
        for k, c in enumerate(plan.eligibility):
            if "grade" in c.results:
                eligibility[k] = late.condition(c, invalid, needed, False)
    _name_rules(problems, needed, ruleset, values, invalid)

    eligible = _eligible(eligibility, vetoes)
    if problems:
        for it_res in items:
            it_res.problems = [str(p) for p in problems if it_res.id in p.rules or p.field in it_res.inputs]
    return Evaluation(
        ruleset_id=ruleset.id,
        ruleset_version=ruleset.version,
        content_hash=ruleset.content_hash,
        scheme_kind=ruleset.scheme_kind,
        tier=plan.tier,
        on=on,
        precision=ruleset.meta.precision,
        total=total,
        max_total=plan.total,
        items=items,
        sections=sections,
        vetoes=vetoes,
        eligibility=eligibility,
        eligible=eligible,
        grade=grade.label if grade is not None else None,
        problems=problems,
        context=dict(context or {}),
        title=ruleset.title,
        chain=ruleset.chain,
        passed=passed,
    )


def _score_sections(
    ruleset: RuleSet, plan: Plan, inputs: Inputs, invalid: set[str], needed: _Needs, vetoes: list[ConditionResult]
) -> tuple[list[ItemResult], list[SectionResult], Decimal | None]:
    """Every section's items scored and subtotalled, the vetoes its items hold added to ``vetoes``: the items,
    the sections and the total (bonus points capped; None for a checklist), in fuac's decimal context."""
    items: list[ItemResult] = []
    sections: list[SectionResult] = []
    total: Decimal | None = ZERO if ruleset.scheme_kind == "points" else None
    bonus_total = ZERO
    with decimal.localcontext(DECIMAL_CONTEXT):
        for sec in plan.sections:
            sec_items = [_item(it, inputs, invalid, needed) for it in sec.items]
            items.extend(sec_items)
            sub: Decimal | None = None
            floored = False
            if sec.scoring == "points":
                sub, bonus, floored = _subtotal(sec, sec_items)
                bonus_total += bonus
                assert total is not None
                total += sub
            sections.append(SectionResult(sec.id, sec.number, sec.title, sub, sec.max, sec_items, floored, sec.scoring))
            for k in sec.veto_at:
                vetoes.append(_item_veto(sec.items[k], sec_items[k], inputs.values))
        cap = ruleset.meta.bonus_cap
        if total is not None and cap is not None and bonus_total > cap:
            total -= bonus_total - cap
    return items, sections, total


def _subtotal(sec: PreparedSection, sec_items: list[ItemResult]) -> tuple[Decimal, Decimal, bool]:
    """A section's subtotal (its bonus points included, after the floor at zero), its bonus points, whether floored.
    A pool of deductions starts from the section's maximum."""
    sub, bonus = (sec.max or ZERO) if sec.pool else ZERO, ZERO
    for i in sec_items:
        if i.points is not None:
            if i.bonus:
                bonus += i.points
            else:
                sub += i.points
    floored = False
    if sub < 0 and sec.floor_at_zero:
        sub, floored = ZERO, True
    return sub + bonus, bonus, floored


def _item_veto(it: PreparedItem, res: ItemResult, values: Mapping[str, Any]) -> ConditionResult:
    """A veto item's result as a veto: triggered when the item is vetoed, undecided when it is blocked."""
    rule = it.rule
    assert isinstance(rule, VetoRule)
    return ConditionResult(
        it.id,
        rule.scope,
        None if res.status in BLOCKED else res.status == "vetoed",
        rule.params.label,
        res.why,
        it.clause,
        res.inputs,
        missing=sorted(it.reads - set(values)),
    )


def _name_rules(
    problems: list[Problem], needed: _Needs, ruleset: RuleSet, values: Mapping[str, Any], invalid: set[str]
) -> None:
    """Each problem given the rules that needed its field, and a problem added for each field missing that a
    rule needed."""
    indicators = ruleset.doc.indicators
    by_name = needed.by_name() if problems or needed.blocked else {}
    for d in ruleset.derived:  # who reads a derived value needs the inputs it rests on
        if d.name in by_name:
            for b in d.inputs:
                by_name.setdefault(b, []).extend(by_name[d.name])
            del by_name[d.name]
    for p in problems:
        p.rules = sorted(set(p.rules) | set(by_name.get(p.field, [])))
    declared = {name: k for k, name in enumerate(indicators)}
    # the fields missing, in the rule set's order of indicators (as a batch lists its errors)
    for name, rules in sorted(by_name.items(), key=lambda kv: declared.get(kv[0], len(declared))):
        if name not in values and name not in invalid:
            problems.append(
                Problem(
                    name,
                    "missing",
                    f"{indicators[name].label.en}: no value given",
                    f"{indicators[name].label.zh}：未提供数值",
                    rules=sorted(set(rules)),
                )
            )


class _LateInputs:
    """What a condition reading the unit's result sees once the items are scored: the inputs, and
    ``total``, each ``subtotal_<section>`` and ``points_<item>`` (labelled 总分, ……小计, ……得分, in points),
    then ``grade`` once it is decided (:meth:`graded`)."""

    def __init__(self, ruleset: RuleSet, inputs: Inputs, sections: list[SectionResult], items: list[ItemResult],
                 total: Decimal | None, complete: bool) -> None:
        self.ready = self.complete = complete and total is not None
        self.names = names = result_names(ruleset.doc)
        results = result_values(names, total, {sec.id: sec.points for sec in sections},
                                {it.id: it.points for it in items})
        labels = dict(inputs.labels)
        said = {sec.id: Text(zh=f"{sec.title.zh}小计", en=f"{sec.title.en} subtotal") for sec in sections}
        said.update((it.id, Text(zh=f"{it.label.zh}得分", en=f"{it.label.en}: points") if it.label else
                     Text(zh=f"第{it.number or it.id}项得分", en=f"Item {it.number or it.id} points")) for it in items)
        for name in results:
            what, of = names[name]
            labels[name] = said.get(of or "", Text(zh="总分", en="Total")) if what != "total" else Text(zh="总分",
                                                                                                    en="Total")
        labels["grade"] = Text(zh="等次", en="Grade")
        self.inputs = Inputs({**inputs.values, **results}, inputs.parameters, inputs.assessments,
                             inputs.functions, inputs.sources)
        self.inputs.labels = labels
        self.inputs.derived = inputs.derived
        self.inputs.units = {**inputs.units, **{n: "points" for n in results if n != "grade"}}
        self.inputs.texts = {g.id: g.label for g in ruleset.doc.grades}

    def graded(self, grade: Grade | None) -> None:
        """The grade decided: ``grade`` readable (its id) by the conditions that read it; none decided, they
        cannot be told."""
        self.ready = self.ready and grade is not None
        if grade is not None:
            self.inputs.values = {**self.inputs.values, "grade": grade.id}
            self.inputs.env = {**self.inputs.env, "grade": grade.id}

    def condition(self, pc: PreparedCondition, invalid: set[str], needed: _Needs, veto: bool) -> ConditionResult:
        """A condition on the result: decided when every item is settled, else it cannot be told yet."""
        if self.ready:
            return _condition(pc, self.inputs, invalid, needed, veto=veto)
        c = pc.cond
        why = (Reason(f"{c.label.zh}：未评定等次，无法判断。", f"{c.label.en}: no grade was given, cannot tell.")
               if "grade" in pc.results and self.complete else
               Reason(f"{c.label.zh}：总分尚未确定（有项目缺少输入或待评估），无法判断。",
                      f"{c.label.en}: cannot tell before the total is settled (items missing input or awaiting "
                      "an assessor)."))
        return ConditionResult(
            c.id, c.scope or "eligibility", None, c.label, why,
            c.clause, {}, consequence=c.consequence, cap_tier=c.cap_tier, grade=c.grade)


def _veto_words(label: Text, scope: str, grade: Text | None, hit: bool) -> tuple[str, str]:
    """A veto's reason: whether it occurred and, when it did, what it does — vetoes the unit (and gives
    the grade it names), or caps the grade (tier_cap)."""
    if not hit:
        return f"{label.zh}：未发生。", f"{label.en}: did not occur."
    if scope == "tier_cap":
        if grade is None:  # a tier_cap veto item: no cap_tier, recorded only
            return f"{label.zh}：已发生。", f"{label.en}: occurred."
        return (f"{label.zh}：已发生，等次最高为{grade.zh}。",
                f"{label.en}: occurred; the grade is at most {grade.en}.")
    if grade is not None:
        return f"{label.zh}：已发生，一票否决，定为{grade.zh}。", f"{label.en}: occurred, veto; graded {grade.en}."
    return f"{label.zh}：已发生，一票否决。", f"{label.en}: occurred, veto."


def _outcome(ruleset: RuleSet, total: Decimal | None, complete: bool,
             vetoes: list[ConditionResult]) -> tuple[Grade | None, bool | None]:
    """The grade and ``passed`` (each None where the rule set has none, or it cannot be told yet).

    A triggered veto of a vetoing scope (:data:`~fuac.language.models.VETOING`) decides both, whatever
    the total and however complete: ``passed`` is false, and the grade is the one the veto names
    (the lowest, when several do), or none when a triggered veto names none. Otherwise both wait for
    every item to be settled and every such veto to be decided; then the total decides them, a
    triggered tier_cap veto lowering the grade to its cap."""
    if total is None:
        return None, None
    vetoing = [v for v in vetoes if v.scope in VETOING]
    hit = [v for v in vetoing if v.holds]
    grades, mark = ruleset.doc.grades, ruleset.meta.pass_mark
    if hit:
        return (_veto_grade(ruleset, hit) if grades else None), (False if mark is not None else None)
    if not complete or any(v.holds is None for v in vetoing):
        return None, None
    return (_grade(ruleset, total, vetoes) if grades else None), (total >= mark if mark is not None else None)


def _veto_grade(ruleset: RuleSet, hit: list[ConditionResult]) -> Grade | None:
    """The grade of a vetoed unit: the lowest its triggered vetoes name; none when one names none."""
    if any(v.grade is None for v in hit):
        return None
    return min((g for g in ruleset.doc.grades if g.id in {v.grade for v in hit}), key=lambda g: g.rank)


def _grade(ruleset: RuleSet, total: Decimal, vetoes: list[ConditionResult]) -> Grade | None:
    """The grade of ``total``: the highest band it reaches, lowered by a triggered tier_cap veto."""
    bands = sorted(ruleset.doc.grades, key=lambda g: g.rank, reverse=True)
    caps = {v.cap_tier for v in vetoes if v.holds and v.scope == "tier_cap" and v.cap_tier}
    for k, g in enumerate(bands):
        if g.reached(total):
            # a triggered tier_cap veto lowers the grade to at most its cap_tier
            capped = [bands.index(b) for b in bands if b.id in caps]
            return bands[max([k, *capped])]
    return None


class _Needs:
    """Which rule read which indicator, as the evaluation goes (made into a map only when
    a problem has to name the rules that needed its field)."""

    __slots__ = ("blocked", "pairs", "rules")

    def __init__(self) -> None:
        #: conditions and guards: (id, names read)
        self.pairs: list[tuple[str, frozenset[str]]] = []
        #: the rules run, in order (each reads ``rule.reads`` under ``rule.id``)
        self.rules: list[Rule] = []
        #: True once a rule could not run for want of a valid value
        self.blocked = False

    def by_name(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for rule_id, names in [*self.pairs, *((r.id, r.reads) for r in self.rules)]:
            for n in sorted(names):
                out.setdefault(n, []).append(rule_id)
        return out


def _eligible(eligibility: list[ConditionResult], vetoes: list[ConditionResult]) -> bool | None:
    blocking = [v for v in vetoes if v.scope == "eligibility"]
    if any(c.holds is False for c in eligibility) or any(v.holds for v in blocking):
        return False
    if any(c.holds is None for c in eligibility) or any(v.holds is None for v in blocking):
        return None
    return True


def _check_assessments(plan: Plan, entries: dict[str, Assessment], problems: list[Problem]) -> dict[str, Assessment]:
    rules = plan.rules
    out: dict[str, Assessment] = {}
    for key, a in entries.items():
        found = rules.get(key)
        if found is None or not found.assessable:
            problems.append(
                Problem(
                    f"assessments.{key}",
                    "unknown_field",
                    "no item or part of this tier takes an assessor's entry under this key; ignored",
                    "本层级没有以此为键、需评估人评分的项目；已忽略",
                    severity="warning",
                )
            )
            continue
        try:
            value = found.check_entry(a.value)
        except EntryError as exc:
            problems.append(_bad_assessment(key, exc.en, exc.zh))
            continue
        except PluginCodeError as exc:  # the plugin's check of the entry failed: the entry cannot be taken
            problems.append(_bad_assessment(key, f"the entry could not be checked: {exc.en}",
                                            f"无法检查该评分：{exc.zh}"))
            continue
        if value is not a.value:
            a = Assessment(value, a.rationale, a.assessor)
        out[key] = a
    return out


def _bad_assessment(key: str, en: str, zh: str) -> Problem:
    return Problem(f"assessments.{key}", "invalid_assessment", en, zh, rules=[key])


def _blocked(reads: frozenset[str], inputs: Inputs, invalid: set[str]) -> tuple[list[str], list[str]]:
    """The inputs ``reads`` needs that are missing, and those that are invalid (a derived value stands
    for the inputs it rests on; one that could not be computed from valid inputs, for itself)."""
    values = inputs.values
    if values.keys() >= reads:  # the usual case: every value is there
        return [], []
    missing = {n for n in reads if n not in values}
    rests = inputs.derived
    for n in [n for n in missing if n in rests]:
        missing.discard(n)
        under = {b for b in rests[n] if b not in values}
        missing |= under or {n}  # nothing under it missing: it failed itself
    bad = [n for n in missing if n in invalid]
    return sorted(n for n in missing if n not in invalid), sorted(bad)


#: each rule set's derived values and the inputs each rests on, and every value's unit (once per rule set)
_RULESET_MAPS: weakref.WeakKeyDictionary[RuleSet, tuple[dict[str, frozenset[str]], dict[str, str | None]]] = (
    weakref.WeakKeyDictionary())


def _ruleset_maps(ruleset: RuleSet) -> tuple[dict[str, frozenset[str]], dict[str, str | None]]:
    units = {n: ind.unit for n, ind in ruleset.doc.indicators.items()}
    units.update((d.name, d.doc.unit) for d in ruleset.derived)
    found = ({d.name: d.inputs for d in ruleset.derived}, units)
    _RULESET_MAPS[ruleset] = found
    return found


def _decides(expr: Expression, inputs: Inputs) -> bool:
    """Whether ``expr`` can be evaluated with the values the unit has (those it does not read may be
    missing: ``no_cases or rate >= 95``); an evaluation that fails otherwise is left to the caller to say."""
    try:
        inputs.eval(expr)
    except MissingValue:
        return False
    except (ArithmeticError, TypeError, ValueError):
        pass
    return True


def _lazily(rule: Rule, inputs: Inputs, bad: list[str]) -> Outcome | None:
    """A lazy rule (``Rule.lazy``) scored with values missing, when it did not need them (None when it did,
    or when a value it reads is invalid: an invalid value is never passed over)."""
    if bad or not rule.lazy:
        return None
    try:
        return rule.score(inputs)
    except MissingValue:
        return None
    except (ArithmeticError, TypeError, ValueError) as exc:
        return _failed(exc, rule.id)


def _blocked_outcome(missing: list[str], bad: list[str], labels: Mapping[str, Text]) -> Outcome:
    """Why a rule cannot be scored: the values it lacks (or that are invalid), by their labels."""
    zh = "、".join(labels[n].zh if n in labels else n for n in bad or missing)
    en = ", ".join(labels[n].en if n in labels else n for n in bad or missing)
    if bad:
        return Outcome(None, "invalid_input", f"输入无效，无法评分：{zh}。", f"cannot score: invalid input in {en}.")
    return Outcome(None, "missing_input", f"缺少输入，无法评分：{zh}。", f"cannot score: missing {en}.")


def _run(rule_id: str, rule: Rule, inputs: Inputs, invalid: set[str], needed: _Needs) -> Outcome:
    reads = rule.reads
    if not inputs.values.keys() >= reads:
        missing, bad = _blocked(reads, inputs, invalid)
        lazily = _lazily(rule, inputs, bad)
        if lazily is None:
            needed.pairs.append((rule_id, reads))
            needed.blocked = True
            return _blocked_outcome(missing, bad, inputs.labels)
        # decided without the values it did not need: only those it read are needed
        needed.pairs.append((rule_id, frozenset(n for n in reads if n in inputs.values)))
        return lazily
    if rule.id == rule_id:
        needed.rules.append(rule)
    else:  # a rule scored under another key than its own (a plugin's)
        needed.pairs.append((rule_id, reads))
    try:
        o = rule.score(inputs)
    except (ArithmeticError, TypeError, ValueError) as exc:  # a plugin's failure (PluginCodeError) too
        return _failed(exc, rule_id)
    except Exception as exc:  # a bug in fuac's own kind: say which rule, not half a traceback
        raise EvaluationError(f"rule {rule_id!r} (kind {rule.kind!r}) failed: {type(exc).__name__}: {exc}") from exc
    if o.status not in BY_NAME:  # a plugin's invented status: its rank and words are unknown
        raise EvaluationError(f"rule {rule_id!r} (kind {rule.kind!r}) gave the status {o.status!r}, which is not "
                              f"one of {', '.join(BY_NAME)}")
    return o


def _guard(
    it: PreparedItem, expr: Expression, inputs: Inputs, invalid: set[str], needed: _Needs
) -> bool | Outcome:
    """Evaluate one of an item's guards (applies_when, void_when): its value, or why it cannot be told."""
    names = frozenset(n for n in expr.names if n in inputs.labels)
    missing, bad = _blocked(names, inputs, invalid)
    if (missing or bad) and not (not bad and _decides(expr, inputs)):
        needed.pairs.append((it.id, names))
        needed.blocked = True
        return _blocked_outcome(missing, bad, inputs.labels)
    needed.pairs.append((it.id, frozenset(n for n in names if n in inputs.values)))
    try:
        return bool(inputs.eval(expr))
    except (ArithmeticError, TypeError, ValueError) as exc:
        return _failed(exc, it.id)


def _say_unchecked(label: Any, exc: Exception) -> tuple[str, str]:
    zh, en = failure_words(exc)
    return f"{label.zh}：计算失败（{zh}）。", f"{label.en}: could not be checked ({en})."


def _failed(exc: Exception, rule_id: str) -> Outcome:
    """A rule or guard whose computation failed on these inputs: invalid input, saying why in words;
    when a plugin's code failed, naming the plugin, its code and the rule."""
    if isinstance(exc, PluginCodeError):
        return Outcome(None, "invalid_input", f"无法评分（规则 {rule_id}）：{exc.zh}。",
                       f"cannot score rule {rule_id!r}: {exc.en}.")
    zh, en = failure_words(exc)
    return Outcome(None, "invalid_input", f"由输入计算失败：{zh}。", f"cannot score from these inputs: {en}.")


def _result(it: PreparedItem, o: Outcome, read: dict[str, Any]) -> ItemResult:
    """An item's result from one outcome: its rule's, or a guard's (not applicable, voided, blocked)."""
    return ItemResult(
        it.id, it.number, it.section, it.label, o.points, it.max, o.status, o.met, o.why, read,
        it.clause, it.method, it.kind, [], o.points if o.judgement else None, it.bonus, [], o.details, it.is_veto,
        it.weight,
    )  # fmt: skip


def _item(it: PreparedItem, inputs: Inputs, invalid: set[str], needed: _Needs) -> ItemResult:
    """One item scored: by its guards when they decide it, else by its rule or its parts."""
    read = _read_of(it.read_order, inputs.values)
    if inputs.derived and not inputs.derived.keys().isdisjoint(it.read_order):
        return _with_derived(_item_scored(it, inputs, invalid, needed, read), inputs)
    return _item_scored(it, inputs, invalid, needed, read)


def _item_scored(it: PreparedItem, inputs: Inputs, invalid: set[str], needed: _Needs,
                 read: dict[str, Any]) -> ItemResult:
    if it.applies is not None or it.void is not None:
        guarded = _guarded(it, inputs, invalid, needed)
        if guarded is not None:
            return _result(it, guarded, read)
    if it.parts is None:
        assert it.rule is not None
        return _result(it, _run(it.id, it.rule, inputs, invalid, needed), read)
    return _item_of_parts(it, inputs, invalid, needed, read)


def _with_derived(res: ItemResult, inputs: Inputs) -> ItemResult:
    """An item that read derived values: the inputs each was computed from among its inputs, and, in
    its reason, each derived value with what it was computed from."""
    values, labels = inputs.values, inputs.labels
    used = [n for n in res.inputs if n in inputs.derived]
    for n in used:
        for b in sorted(inputs.derived[n]):
            if b in values:
                res.inputs.setdefault(b, values[b])
    if used:
        res.why = Reason.later(_say_derived, res.why, [(n, values[n]) for n in used],
                               {b: values[b] for n in used for b in sorted(inputs.derived[n]) if b in values},
                               labels, inputs.units)
    return res


def _say_derived(why: Reason, used: list[tuple[str, Any]], base: dict[str, Any], labels: Mapping[str, Text],
                 units: Mapping[str, str | None]) -> tuple[str, str]:
    """A reason, then each derived value it read and the values it was computed from."""
    zh, en = why.text()
    of_zh = "、".join(f"{labels[b].zh} {with_unit(v, units.get(b))[0]}" for b, v in base.items())
    of_en = ", ".join(f"{labels[b].en} {with_unit(v, units.get(b))[1]}" for b, v in base.items())
    dz = "、".join(f"{labels[n].zh} {with_unit(v, units.get(n))[0]}" for n, v in used)
    de = ", ".join(f"{labels[n].en} {with_unit(v, units.get(n))[1]}" for n, v in used)
    return f"{zh}（{dz}，由{of_zh}算得）", f"{en} ({de}, from {of_en})"


def _guarded(it: PreparedItem, inputs: Inputs, invalid: set[str], needed: _Needs) -> Outcome | None:
    """What an item's guards make of it (not applicable, voided, or why they cannot be told); None to score it."""
    if it.applies is not None:
        applies = _guard(it, it.applies, inputs, invalid, needed)
        if isinstance(applies, Outcome):
            return applies
        if not applies:
            return _not_applicable(it.applies)
    if it.void is not None:
        voided = _guard(it, it.void, inputs, invalid, needed)
        if isinstance(voided, Outcome):
            return voided
        if voided:
            return _voided(it, it.void, inputs)
    return None


def _not_applicable(applies: Expression) -> Outcome:
    """The outcome of an item whose applies_when does not hold."""
    src = applies.source
    return Outcome(
        None,
        "not_applicable",
        f"本项不适用于该单位（{src} 不成立），不计分，也不计入满分。",
        f"not applicable to this unit ({src} does not hold): no points, and not in the maximum.",
    )


def _voided(it: PreparedItem, void: Expression, inputs: Inputs) -> Outcome:
    """The outcome of an item whose void_when holds, naming what voided it."""
    labels = [inputs_label(n, inputs) for n in sorted(void.names) if n in inputs.labels]
    why_zh = "、".join(lab.zh for lab in labels) or void.source
    why_en = ", ".join(lab.en for lab in labels) or void.source
    rule_zh = f"（{it.void_clause}）" if it.void_clause else ""
    return Outcome(
        ZERO if it.max is not None else None,
        "voided",
        f"本项作废：{why_zh}{rule_zh}，不论其他情况均记0分。",
        f"item voided: {why_en}; it gets no points, whatever else it meets.",
        met=False,
    )


def _item_of_parts(
    it: PreparedItem, inputs: Inputs, invalid: set[str], needed: _Needs, read: dict[str, Any]
) -> ItemResult:
    """An item of parts: each part scored; the item's status the worst of theirs, its points their sum."""
    assert it.parts is not None
    values = inputs.values
    parts: list[PartResult] = []
    status, rank = "scored", -1  # the worst status of the parts (the first of equal ones)
    points: Decimal | None = ZERO
    any_scored = any_judged = undecided = False
    met = True
    judged = ZERO
    for p in it.parts:
        o = _run(p.key, p.rule, inputs, invalid, needed)
        parts.append(
            PartResult(
                p.id,
                p.label,
                o.points,
                p.max,
                o.status,
                o.met,
                o.why,
                _read_of(p.read_order, values),
                p.clause,
                o.judgement,
                o.rationale,
                o.details,
            )
        )
        r = BY_NAME[o.status].rank
        if r > rank:
            status, rank = o.status, r
        if o.points is not None:
            points += o.points  # type: ignore[operator]
            any_scored = True
        if o.met is None:
            undecided = True
        elif not o.met:
            met = False
        if o.judgement:
            any_judged = True
            judged += o.points or ZERO
    if not any_scored and it.max is None:
        points = None
    if points is not None and points < 0 and it.floor_item:
        points = ZERO
    judgement = judged if any_judged else None
    return ItemResult(
        it.id,
        it.number,
        it.section,
        it.label,
        points,
        it.max,
        status,
        None if undecided else met,
        Reason.later(_say_parts, parts, points, it.max),
        read,
        it.clause,
        it.method,
        it.kind,
        parts=parts,
        judgement_points=judgement,
        bonus=it.bonus,
        veto=it.is_veto,
        weight=it.weight,
    )


def _read_of(order: tuple[str, ...], values: Mapping[str, Any]) -> dict[str, Any]:
    """The values read, by name in ``order`` (a loop: cheaper than a comprehension for one or two names)."""
    read = {}
    for n in order:
        if n in values:
            read[n] = values[n]
    return read


def _say_parts(parts: list[PartResult], points: Decimal | None, top: Decimal | None) -> tuple[str, str]:
    """An item's reason: each part's, then the item's total."""
    zhs, ens = [], []
    for pr in parts:
        z, e = pr.why.text()
        zhs.append(f"{pr.id}）{z.rstrip('。')}")
        ens.append(f"({pr.id}) {e}")
    zh = "；".join(zhs) + "。"
    en = " ".join(ens)
    if points is not None and top is not None:
        zh += f"本项合计{fmt_points(points)}分。"
        en += f" Item total: {fmt_points(points)} of {fmt_points(top)}."
    return zh, en


def inputs_label(name: str, inputs: Inputs) -> Any:
    """The label of an indicator (for reasons); the name itself when there is none."""
    lab = inputs.labels.get(name)
    return lab if lab is not None else Text(zh=name, en=name)


def _condition(
    pc: PreparedCondition, inputs: Inputs, invalid: set[str], needed: _Needs, *, veto: bool
) -> ConditionResult:
    c = pc.cond
    scope = c.scope or "eligibility"  # a veto always names its scope: the loader requires one
    missing, bad = _blocked(pc.reads, inputs, invalid)
    read = _read_of(pc.read_order, inputs.values)
    lazily = bool(missing) and not bad and pc.expr is not None and _decides(pc.expr, inputs)
    needed.pairs.append((c.id, frozenset(n for n in pc.reads if n in inputs.values) if lazily else pc.reads))
    if (missing or bad) and not lazily:
        needed.blocked = True
        names = "、".join(missing + bad)
        return ConditionResult(
            c.id,
            scope,
            None,
            c.label,
            Reason(
                f"{c.label.zh}：缺少或无效输入（{names}），无法判断。",
                f"{c.label.en}: cannot tell, missing or invalid {', '.join(missing + bad)}.",
            ),
            c.clause,
            read,
            missing=missing + bad,
            consequence=c.consequence,
            cap_tier=c.cap_tier,
            grade=c.grade,
        )
    try:
        if pc.expr is not None:
            hit = bool(inputs.eval(pc.expr))
        else:
            assert pc.check is not None
            hit = bool(pc.check(inputs.values, inputs.parameters))
    except (ArithmeticError, TypeError, ValueError) as exc:
        if isinstance(exc, PluginCodeError):  # written now: the exception (and its frames) is not kept
            why = Reason(f"{c.label.zh}（{c.id}）：无法判断，{exc.zh}。",
                         f"{c.label.en} ({c.id}): cannot tell: {exc.en}.")
        else:
            why = Reason.later(_say_unchecked, c.label, exc)
        return ConditionResult(
            c.id,
            scope,
            None,
            c.label,
            why,
            c.clause,
            read,
            consequence=c.consequence,
            cap_tier=c.cap_tier,
            grade=c.grade,
        )
    label = _with_values(c.label, pc.expr, inputs)
    if veto:
        zh, en = _veto_words(label, scope, pc.grade_label, hit)
    else:  # for an eligibility condition, "triggered" means the condition holds
        zh, en = f"{label.zh}：{'符合' if hit else '不符合'}。", f"{label.en}: {'met' if hit else 'not met'}."
    return ConditionResult(
        c.id, scope, hit, c.label, Reason(zh, en), c.clause, read, consequence=c.consequence, cap_tier=c.cap_tier,
        grade=c.grade,
    )


def _with_values(label: Text, expr: Expression | None, inputs: Inputs) -> Text:
    """A condition's label followed by what it read, unless it reads one yes/no value (its label says it):
    "结案率过低（结案率 70% < 80%）"."""
    if expr is None or plain(expr.tree):
        return label
    names = {n: inputs.labels[n] for n in expr.names if n in inputs.labels}
    zh, en = explain(expr.tree, inputs.values, names, inputs.units, inputs.texts)
    return Text(zh=f"{label.zh}（{zh}）", en=f"{label.en} ({en})")
