"""The rectification list (整改清单): where points were lost, and the smallest change that recovers them.

For every item (or part) that lost points, a change of input is worked out from
the rule kind's own parameters (threshold and comparator, costs, target, step and
``partial``, the reference value, a condition's comparisons), and then *checked*
by evaluating the unit again with the change applied. The points shown are the
points that re-evaluation gives, never an estimate; a numeric change is also
checked to be the smallest one (one resolution step less recovers less).

Groups, in the order a county works through them:

1. ``blockers``  — a triggered veto or an unmet eligibility condition: what blocks the title;
2. ``changes``   — points a change of input recovers, most points first;
3. ``judgement`` — discretionary items and assessor-judged requirements (the assessor's call);
4. ``voided``    — items voided by an event (e.g. falsified data), and what voided them;
5. ``unresolved``— items that cannot be scored (missing input) or have no automatic suggestion.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..kinds.base import Entry, Rule
from ..kinds.recovery import COUNT_UNITS, Plan, condition_plan, distance, resolution, satisfy
from ..language.comparators import BY_NODE, COMPARATORS
from ..language.deprecation import renamed
from ..language.expressions import Expression
from ..language.models import Indicator, Text
from ..language.statuses import BLOCKED
from ..language.words import SCOPE_WORDS, fmt_number, with_unit
from ..run.inputs import derive
from ..run.results import _json, view

if TYPE_CHECKING:
    from ..plan.loader import Plan as TierPlan
    from ..plan.loader import PreparedCondition, PreparedItem, RuleSet
    from ..run.results import ConditionResult, Evaluation, ItemResult

ZERO = Decimal(0)

#: The groups of a rectification list, in the order they are worked through.
CATEGORIES = ("blocker", "change", "judgement", "voided", "unresolved")

_MAX_TRIES = 20000


# ---------------------------------------------------------------------------
# results


@dataclass(slots=True)
class Change:
    """One input changed: ``field`` from ``before`` to ``after``.

    ``goal`` is what the rule asks (comparator, value, and the reference's label
    when the value is a regional average), shown beside the new value.
    """

    field: str
    label: Text
    unit: str | None
    before: Any
    after: Any
    goal: tuple[str, Any, Text | None] | None = None

    def text(self) -> tuple[str, str]:
        """The change in words, in Chinese and English."""
        lab = self.label
        if isinstance(self.after, bool) or isinstance(self.before, bool):
            b = with_unit(self.before, None) if self.before is not None else ("（空）", "(empty)")
            a = with_unit(self.after, None)
            return f"{lab.zh}：{b[0]} → {a[0]}", f"{lab.en}: {b[1]} → {a[1]}"
        if isinstance(self.after, str):
            b0 = self.before if self.before is not None else "（空）"
            return f"{lab.zh}：{b0} → {self.after}", f"{lab.en}: {self.before or '(empty)'} → {self.after}"
        az, ae = with_unit(self.after, self.unit)
        if self.before is None:
            bz, be = "（空）", "(empty)"
        else:
            bz, be = with_unit(self.before, self.unit)
        notes_zh: list[str] = []
        notes_en: list[str] = []
        if isinstance(self.before, Decimal) and isinstance(self.after, Decimal):
            d = self.after - self.before
            dz, de = with_unit(abs(d), self.unit)
            if self.unit == "percent":
                dz, de = f"{fmt_number(abs(d))}个百分点", f"{fmt_number(abs(d))} percentage points"
            count = self.unit in COUNT_UNITS
            if d > 0:
                notes_zh.append(f"{'增加' if count else '提高'}{dz}")
                notes_en.append(f"{fmt_number(d)} more" if count else f"+{de.strip()}")
            elif d < 0:
                notes_zh.append(f"{'减少' if count else '降低'}{dz}")
                notes_en.append(f"{fmt_number(-d)} fewer" if count else f"−{de.strip()}")
        if self.goal is not None:
            cmp, value, ref = self.goal
            if not (COMPARATORS[cmp].inclusive and value == self.after):
                cz, ce = COMPARATORS[cmp].goal
                vz, ve = with_unit(value, self.unit)
                if ref is not None:
                    vz, ve = f"{ref.zh} {vz}", f"{ref.en} {ve}"
                notes_zh.append(f"须{cz}{vz}")
                notes_en.append(f"must be {ce} {ve}")
        zh = f"{lab.zh} {bz} → {az}" + (f"（{'，'.join(notes_zh)}）" if notes_zh else "")
        en = f"{lab.en}: {be} → {ae}" + (f" ({'; '.join(notes_en)})" if notes_en else "")
        return zh, en

    def to_dict(self) -> dict[str, Any]:
        zh, en = self.text()
        return {
            "field": self.field,
            "label": _json(self.label),
            "unit": self.unit,
            "before": _json(self.before),
            "after": _json(self.after),
            "text": {"zh": zh, "en": en},
        }


@dataclass(slots=True)
class Gap:
    """One line of the rectification list: an item (or part) and what recovers its points.

    ``recoverable`` is what re-evaluating the unit with ``changes`` applied adds to
    the total (for a judgement: with the assessor's full marks; for a blocker it is
    None and ``verified`` says the veto is lifted or the condition met).
    """

    key: str
    item: str
    part: str | None
    number: str | None
    section: str
    label: Text | None
    category: str
    #: the item's rule kind (``parts`` for an item of parts); for a blocker, ``veto`` or ``eligibility``
    rule_kind: str
    points: Decimal | None
    max: Decimal | None
    recoverable: Decimal | None
    changes: list[Change]
    action_zh: str
    action_en: str
    verified: bool
    minimal: bool | None = None
    reason_zh: str = ""
    reason_en: str = ""
    clause: str | None = None
    #: another, smaller change that already recovers some points: (changes, points)
    first: tuple[list[Change], Decimal] | None = None
    #: points other items gain from the same change (item id → points)
    also: dict[str, Decimal] = field(default_factory=dict)

    #: deprecated name of ``rule_kind``
    kind = renamed("rule_kind")

    @property
    def lost(self) -> Decimal | None:
        if self.max is None:
            return None
        return self.max - (self.points or ZERO)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "item": self.item,
            "part": self.part,
            "number": self.number,
            "section": self.section,
            "label": _json(self.label),
            "category": self.category,
            "kind": self.rule_kind,
            "points": _json(self.points),
            "max": _json(self.max),
            "lost": _json(self.lost),
            "recoverable": _json(self.recoverable),
            "changes": [c.to_dict() for c in self.changes],
            "action": {"zh": self.action_zh, "en": self.action_en},
            "verified": self.verified,
            "minimal": self.minimal,
            "reason": {"zh": self.reason_zh, "en": self.reason_en},
            "clause": self.clause,
            "first": None
            if self.first is None
            else {"changes": [c.to_dict() for c in self.first[0]], "recoverable": _json(self.first[1])},
            "also": _json(self.also),
        }


@dataclass(slots=True)
class Gaps:
    """A unit's rectification list (整改清单). Iterating gives every gap, blockers first."""

    evaluation: Evaluation
    blockers: list[Gap] = field(default_factory=list)
    changes: list[Gap] = field(default_factory=list)
    judgement: list[Gap] = field(default_factory=list)
    voided: list[Gap] = field(default_factory=list)
    unresolved: list[Gap] = field(default_factory=list)

    def __iter__(self) -> Iterator[Gap]:
        yield from self.blockers
        yield from self.changes
        yield from self.judgement
        yield from self.voided
        yield from self.unresolved

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __getitem__(self, key: str) -> Gap:
        for g in self:
            if g.key == key:
                return g
        raise KeyError(key)

    @property
    def recoverable(self) -> Decimal:
        """Points the listed changes recover, each on its own (not counting judgement or voided items)."""
        return sum((g.recoverable or ZERO for g in self.changes), ZERO)

    def to_dict(self) -> dict[str, Any]:
        ev = self.evaluation
        return {
            "ruleset": {"id": ev.ruleset_id, "version": ev.ruleset_version},
            "tier": ev.tier,
            "context": _json(ev.context),
            "total": _json(ev.reported_total),
            "max_total": _json(ev.max_total),
            "recoverable": _json(self.recoverable),
            **{name: [g.to_dict() for g in getattr(self, name)] for name in _GROUP_ATTRS},
        }

    def render(self, lang: str = "zh") -> str:
        """The list as plain text (``lang``: zh, en or both)."""
        return render_gaps(self, lang)

    def _repr_html_(self) -> str:
        """Jupyter's view: each group, each item with the points at stake and what to change."""
        return view("html.gaps")(self)

    def __repr__(self) -> str:
        rec = f" recovering {fmt_number(self.recoverable)}" if self.evaluation.scheme_kind == "points" else ""
        return (
            f"<Gaps {self.evaluation.ruleset_id}: {len(self.blockers)} blocker(s), {len(self.changes)} change(s)"
            f"{rec}, {len(self.judgement)} judgement, "
            f"{len(self.voided)} voided, {len(self.unresolved)} unresolved>"
        )


_GROUP_ATTRS = ("blockers", "changes", "judgement", "voided", "unresolved")


# ---------------------------------------------------------------------------
# re-evaluation


class _Oracle:
    """Evaluates the same unit again with some inputs (or assessments) changed.

    It is also the :class:`fuac.kinds.recovery.Facts` a rule kind proposes its changes from
    (``Rule.recovery``): ``values``, ``params``, ``indicators`` and ``solve``.
    """

    def __init__(
        self,
        ev: Evaluation,
        rs: RuleSet,
        data: Mapping[str, Any],
        assessments: Mapping[str, Any] | None,
        assessor: str | None,
    ) -> None:
        from ..run.inputs import validate

        self.ev = ev
        self.rs = rs
        self.plan: TierPlan = rs.plan(ev.tier)
        self.data = dict(data)
        self.assessments = dict(assessments or {})
        self.assessor = assessor
        self.values, _, problems = validate(rs.doc.indicators, self.data)
        self.params = rs.parameters_on(ev.on)
        derive(rs.derived, self.values, self.params, rs.functions, {p.field for p in problems})
        self.env = {**self.params, **self.values}
        self.runs = 0
        #: what a rule reads as an indicator: the declared ones and the derived values
        self._readable = {**rs.doc.indicators, **{d.name: d.doc.as_indicator() for d in rs.derived}}

    @property
    def indicators(self) -> Mapping[str, Indicator]:
        """What a rule reads as an indicator: the rule set's declared indicators and its derived values."""
        return self._readable

    def on_inputs(self, plan: Plan) -> Plan | None:
        """A plan that changes a derived value made into changes of the inputs it is computed from
        (each input alone, the one moved least); None when none reaches the value's goal."""
        derived = {d.name: d for d in self.rs.derived}
        if derived.keys().isdisjoint(plan.values):
            return plan
        values = {n: v for n, v in plan.values.items() if n not in derived}
        for n, v in plan.values.items():
            if n in derived:
                cmp, goal, _ = plan.goals.get(n, ("==", v, None))
                found = _solve_derived(self, derived[n], cmp, goal)
                if found is None:
                    return None
                values.update(found)
        return Plan(values, {k: g for k, g in plan.goals.items() if k not in derived}, plan.rate_zh, plan.rate_en)

    def derived_at(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """The unit's values, derived values included, with ``changes`` made to its inputs."""
        values = {k: v for k, v in self.values.items() if k in self.rs.doc.indicators}
        values.update(changes)
        derive(self.rs.derived, values, self.params, self.rs.functions, set())
        return values

    def solve(self, expr: Expression, want: bool) -> dict[str, Any] | None:
        """The fewest changes of the unit's own indicators that make ``expr`` evaluate to ``want``."""
        return _solve(expr, want, self)

    def run(self, changes: Mapping[str, Any] | None = None, assess: Mapping[str, Any] | None = None) -> Evaluation:
        from ..run.evaluate import evaluate_plan

        self.runs += 1
        data = {**self.data, **(changes or {})}
        a = dict(self.assessments)
        for key, value in (assess or {}).items():
            a[key] = {**value, "assessor": self.assessor} if self.assessor else value
        return evaluate_plan(
            self.rs,
            self.plan,
            data,
            on=self.ev.on,
            context=self.ev.context,
            assessments=a or None,
            assessor=self.assessor,
        )


def _total(ev: Evaluation) -> Decimal:
    return ev.total if ev.total is not None else ZERO


def _points(ev: Evaluation, item: str) -> Decimal:
    p = ev.item(item).points
    return p if p is not None else ZERO


def reconstruct(ev: Evaluation, rs: RuleSet) -> tuple[dict[str, Any], dict[str, Any]]:
    """The input data and assessments an evaluation read, rebuilt from what it recorded.

    Every value a rule read is recorded in the result (``inputs``), and every
    assessor's entry shows as judgement points; values no rule read do not change
    the score. The caller checks that re-evaluating gives the same result.
    """
    data: dict[str, Any] = {}
    for it in ev.items:
        data.update(it.inputs)
        for p in it.parts:
            data.update(p.inputs)
    for c in [*ev.vetoes, *ev.eligibility]:
        data.update(c.inputs)
    plan = rs.plan(ev.tier)
    assessments: dict[str, Any] = {}
    for it in ev.items:
        prep = plan.items.get(it.id)
        if prep is None:
            continue
        if prep.parts is not None:
            for pp, pr in zip(prep.parts, it.parts, strict=False):
                if pr.judgement:
                    assessments[pp.key] = _entry(pp.rule, pr.points, pr.met, pr.rationale)
        elif prep.rule is not None and it.status == "scored":
            rule = prep.rule
            entry = rule.entry
            if entry is not None and entry.read and (
                    entry.form == "met" or (entry.form == "points" and it.judgement_points is not None)):
                assessments[it.id] = _entry(rule, it.points, it.met, None)
    return data, assessments


def _entry(rule: Rule, points: Decimal | None, met: bool | None, rationale: str | None) -> dict[str, Any]:
    entry = rule.entry
    e: dict[str, Any] = {"points": points} if entry is not None and entry.form == "points" else {"met": bool(met)}
    if rationale:
        e["rationale"] = rationale
    return e


# ---------------------------------------------------------------------------
# solving a condition: the fewest, smallest changes that make it true (or false)


def _comparisons(tree: ast.AST, env: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """(name, comparator, value) for every ``name op value`` comparison in an expression."""
    out: list[tuple[str, str, Any]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for (left, right), op in zip(itertools.pairwise(operands), node.ops, strict=False):
            found = BY_NODE.get(type(op))
            if found is None:
                continue
            cmp = found.op
            for a, b, c in ((left, right, cmp), (right, left, found.flipped)):
                if not isinstance(a, ast.Name):
                    continue
                if isinstance(b, ast.Constant):
                    out.append((a.id, c, b.value))
                elif isinstance(b, ast.Name) and b.id in env:
                    out.append((a.id, c, env[b.id]))
    return out


def _holds(expr: Expression, env: Mapping[str, Any], functions: Mapping[str, Any]) -> bool | None:
    try:
        return bool(expr.evaluate(env, functions))
    except Exception:
        return None


def _solve(expr: Expression, want: bool, orc: _Oracle, *, fixed: frozenset[str] = frozenset()) -> dict[str, Any] | None:
    """The fewest changes of the unit's own indicators that make ``expr`` evaluate to ``want``.

    Candidate values come from the comparisons in the expression (the threshold
    itself, or one resolution step past it) and from flipping booleans; among the
    smallest sets that work, the one that moves values least is kept.
    """
    inds = orc.rs.doc.indicators
    names = sorted(n for n in expr.names if n in inds and not inds[n].reference and n not in fixed)
    cmps = _comparisons(expr.tree, orc.env)
    cands: dict[str, list[Any]] = {}
    for n in names:
        vals = _candidates(inds[n], orc.values.get(n), [(cmp, target) for name, cmp, target in cmps if name == n])
        if vals:
            cands[n] = vals
    return _fewest(expr, want, cands, orc)


def _solve_derived(orc: _Oracle, d: Any, cmp: str, goal: Any) -> dict[str, Any] | None:
    """The one input of a derived value that, moved least, makes ``value cmp goal`` hold: a yes/no flipped,
    or a number searched by halving between where it is and its bound (or far beyond) on either side."""
    test = COMPARATORS[cmp].apply

    def holds(name: str, x: Any) -> bool:
        got = orc.derived_at({name: x}).get(d.name)
        return got is not None and bool(test(got, goal))

    best: tuple[Decimal, dict[str, Any]] | None = None
    for name in sorted(d.inputs):
        ind, before = orc.rs.doc.indicators[name], orc.values.get(name)
        if ind.reference or before is None:
            continue
        found: list[Any]
        if ind.type == "boolean":
            found = [not before] if holds(name, not before) else []
        elif ind.type in ("integer", "decimal"):
            found = [x for x in (_halve(ind, before, +1, lambda x, n=name: holds(n, x)),
                                 _halve(ind, before, -1, lambda x, n=name: holds(n, x))) if x is not None]
        else:
            found = [c for c in ind.choices or [] if c != before and holds(name, c)][:1]
        for x in found:
            cost = distance(before, x)
            if best is None or cost < best[0]:
                best = (cost, {name: x})
    return best[1] if best else None


def _halve(ind: Indicator, before: Decimal, way: int, holds: Any) -> Decimal | None:
    """The value nearest ``before``, in direction ``way``, at which ``holds`` turns true (a step of the
    indicator's resolution), found by halving; None when it does not hold even at the far end."""
    res = resolution(ind, before)
    bound = ind.max if way > 0 else ind.min
    far = bound if bound is not None else before + way * max(abs(before), Decimal(1)) * 1000
    if (far - before) * way <= 0 or not holds(far):
        return None
    near = before  # does not hold here (else nothing was lost)
    while abs(far - near) > res:
        mid = ((near + far) / 2 / res).to_integral_value() * res
        if mid in (near, far):
            break
        if holds(mid):
            far = mid
        else:
            near = mid
    return far


def _candidates(ind: Indicator, before: Any, cmps: list[tuple[str, Any]]) -> list[Any]:
    """The values an indicator is tried at: the other truth value or choices, or each comparison met and missed."""
    if ind.type == "boolean":
        return [not before] if isinstance(before, bool) else [True, False]
    if ind.type == "choice":
        return [c for c in ind.choices or [] if c != before]
    vals: list[Any] = []
    for cmp, target in cmps:
        res = resolution(ind, before, target if isinstance(target, Decimal) else None)
        for c in (cmp, COMPARATORS[cmp].negation):
            v = satisfy(c, target, ind, before, res)
            if v is not None and v != before and v not in vals:
                vals.append(v)
    return vals


def _fewest(expr: Expression, want: bool, cands: Mapping[str, list[Any]], orc: _Oracle) -> dict[str, Any] | None:
    """Among the smallest sets of candidate values that make ``expr`` evaluate to ``want``, the one moving least."""
    env = orc.env
    functions = orc.rs.functions
    tries = 0
    for size in range(1, min(3, len(cands)) + 1):
        best: tuple[Decimal, dict[str, Any]] | None = None
        for combo in itertools.combinations(sorted(cands), size):
            for values in itertools.product(*(cands[n] for n in combo)):
                tries += 1
                if tries > _MAX_TRIES:
                    return best[1] if best else None
                trial = dict(zip(combo, values, strict=False))
                if _holds(expr, {**env, **trial}, functions) is want:
                    cost = sum((distance(orc.values.get(n), v) for n, v in trial.items()), ZERO)
                    if best is None or cost < best[0]:
                        best = (cost, trial)
        if best is not None:
            return best[1]
    return None


# ---------------------------------------------------------------------------
# building the list


def _changes(values: Mapping[str, Any], goals: Mapping[str, Any], orc: _Oracle) -> list[Change]:
    inds = orc.rs.doc.indicators
    return [Change(n, inds[n].label, inds[n].unit, orc.values.get(n), v, goals.get(n)) for n, v in values.items()]


def _action(changes: list[Change], rate_zh: str = "", rate_en: str = "") -> tuple[str, str]:
    zh = "；".join(c.text()[0] for c in changes)
    en = "; ".join(c.text()[1] for c in changes)
    if rate_zh:
        zh += f"；{rate_zh}"
        en += f"; {rate_en}"
    return zh, en


def _gain(base: Evaluation, new: Evaluation) -> Decimal:
    return _total(new) - _total(base)


def _also(base: Evaluation, new: Evaluation, item: str) -> dict[str, Decimal]:
    out = {}
    for old, nw in zip(base.items, new.items, strict=False):
        if old.id == item:
            continue
        d = (nw.points or ZERO) - (old.points or ZERO)
        if d:
            out[old.id] = d
    return out


def _minimal(values: Mapping[str, Any], gain: Decimal, orc: _Oracle, base: Evaluation, check: Any) -> bool:
    """True when moving any numeric change one resolution step back towards where it was recovers less."""
    inds = orc.rs.doc.indicators
    for n, v in values.items():
        before = orc.values.get(n)
        if not isinstance(v, Decimal) or not isinstance(before, Decimal):
            continue
        res = resolution(inds[n], before, v)
        back = v - res if v > before else v + res
        if (v > before and back <= before) or (v < before and back >= before):
            continue
        trial = orc.run({**values, n: back})
        if check(trial) and _gain(base, trial) >= gain:
            return False
    return True


class _Builder:
    def __init__(self, ev: Evaluation, orc: _Oracle, base: Evaluation) -> None:
        self.ev = ev
        self.orc = orc
        self.base = base
        self.points = ev.scheme_kind == "points"
        self.out = Gaps(ev)

    def gap(self, it: ItemResult, key: str, part: Any, category: str, **kw: Any) -> Gap:
        label = it.label
        if part is not None and part.label is not None:
            label = part.label
        src = part if part is not None else it
        kind = kw.pop("rule_kind", it.rule_kind)
        return Gap(
            key=key,
            item=it.id,
            part=part.id if part is not None else None,
            number=it.number,
            section=it.section,
            label=label,
            category=category,
            rule_kind=kind,
            points=src.points,
            max=src.max,
            reason_zh=src.reason_zh,
            reason_en=src.reason_en,
            clause=src.clause or it.clause,
            **kw,
        )

    # -- one rule (an item's or a part's) that lost points
    def lost(self, it: ItemResult, key: str, rule: Rule, part: Any) -> None:
        src = part if part is not None else it
        entry = rule.entry
        if entry is not None and entry.read and entry.full is not None:
            self.judgement(it, key, rule, part, entry)
            return
        plans = [q for q in (self.orc.on_inputs(pl) for pl in rule.recovery(self.orc)) if q is not None]

        def check(trial: Evaluation) -> bool:
            res = trial.item(it.id)
            if part is not None:
                res = next(p for p in res.parts if p.id == part.id)  # type: ignore[assignment]
            if self.points and src.max is not None:
                return (res.points or ZERO) >= src.max
            return res.met is True

        fallback: Gap | None = None
        for pl in plans:
            trial = self.orc.run(pl.values)
            gain = _gain(self.base, trial)
            changes = _changes(pl.values, pl.goals, self.orc)
            zh, en = _action(changes, pl.rate_zh, pl.rate_en)
            ok = check(trial)
            first = None
            if pl.first:
                ft = self.orc.run(pl.first)
                fg = _gain(self.base, ft)
                if fg > 0:
                    first = (_changes(pl.first, {}, self.orc), fg)
            g = self.gap(
                it,
                key,
                part,
                "change",
                recoverable=gain if self.points else None,
                changes=changes,
                action_zh=zh,
                action_en=en,
                verified=ok,
                minimal=_minimal(pl.values, gain, self.orc, self.base, check) if ok else None,
                first=first,
                also=_also(self.base, trial, it.id),
            )
            if ok:
                self.out.changes.append(g)
                return
            if fallback is None or (g.recoverable or ZERO) > (fallback.recoverable or ZERO):
                fallback = g
        if fallback is not None and (fallback.recoverable or ZERO) > 0:
            self.out.changes.append(fallback)
            return
        zh = f"无法自动给出调整建议（{rule.kind}），请对照评分细则逐条整改。"
        en = f"no automatic suggestion for this {rule.kind} rule: check it against the scoring rules."
        self.out.unresolved.append(
            self.gap(
                it,
                key,
                part,
                "unresolved",
                rule_kind=rule.kind,
                recoverable=None,
                changes=[],
                action_zh=zh,
                action_en=en,
                verified=False,
            )
        )

    def judgement(self, it: ItemResult, key: str, rule: Rule, part: Any, entry: Entry) -> None:
        src = part if part is not None else it
        full = entry.full  # None: a plugin kind's own entry, whose best value fuac cannot know
        trial = self.orc.run(assess={key: full}) if full is not None else None
        gain = _gain(self.base, trial) if self.points and trial is not None else None
        pending = src.status == "awaiting_assessor"
        if entry.form == "points":
            lo, hi = (fmt_number(b) for b in entry.bounds)
            if pending:
                zh, en = (
                    f"评估人酌情评分（{lo}至{hi}分），尚未评分",
                    f"assessor's judgement ({lo} to {hi} points), not yet scored",
                )
            else:
                zh = f"评估人酌情评分{fmt_number(src.points)}/{hi}分"
                en = f"assessor's judgement: {fmt_number(src.points)} of {hi}"
        elif entry.form == "met":
            zh = "评估人判断是否落实，尚未判断" if pending else "评估人判断未落实"
            en = "assessor's judgement, not yet given" if pending else "assessor judged it not met"
        else:
            zh, en = "评估人评定，尚未评定", "an assessor's entry, not yet given"
        changes: list[Change] = []
        pl = condition_plan(getattr(rule, "expr", None), True, self.orc)
        also: dict[str, Decimal] = {}
        if pl is not None:
            t2 = self.orc.run(pl.values)
            g2 = _points(t2, it.id) - _points(self.base, it.id)
            also = _also(self.base, t2, it.id)
            changes = _changes(pl.values, {}, self.orc)
            cz, ce = _action(changes)
            if self.points:
                zh += f"；或满足条件（{cz}）：本项+{fmt_number(g2)}分"
                en += f"; or meet the condition ({ce}): +{fmt_number(g2)} for this item"
            else:
                zh += f"；或满足条件：{cz}"
                en += f"; or meet the condition: {ce}"
        self.out.judgement.append(
            self.gap(
                it,
                key,
                part,
                "judgement",
                rule_kind=rule.kind,
                recoverable=gain,
                changes=changes,
                action_zh=zh,
                action_en=en,
                verified=trial is not None,
                also=also,
            )
        )

    def missing(self, it: ItemResult, key: str, reads: frozenset[str], part: Any) -> None:
        inds = self.orc.rs.doc.indicators
        absent = sorted(n for n in reads if n not in self.orc.values)
        labels_zh = "、".join(inds[n].label.zh for n in absent if n in inds)
        labels_en = ", ".join(inds[n].label.en for n in absent if n in inds)
        src = part if part is not None else it
        zh = f"缺少或无效输入：{labels_zh}，补充后才能评分" if absent else src.reason_zh
        en = f"missing or invalid input: {labels_en}; give it to score this item" if absent else src.reason_en
        self.out.unresolved.append(
            self.gap(
                it, key, part, "unresolved", recoverable=None, changes=[], action_zh=zh, action_en=en, verified=False
            )
        )

    # -- an item
    def item(self, it: ItemResult, prep: PreparedItem) -> None:
        if prep.is_veto:
            return  # vetoes are handled with the unit's conditions
        if it.status == "voided":
            self.voided(it, prep)
            return
        if it.status == "not_applicable":
            return
        if prep.parts is not None:
            if it.status in BLOCKED and not it.parts:
                self.missing(it, it.id, prep.void_reads, None)
                return
            for pp, pr in zip(prep.parts, it.parts, strict=False):
                self.rule(it, pp.key, pp.rule, pr)
            return
        assert prep.rule is not None
        self.rule(it, it.id, prep.rule, None, prep.reads | prep.void_reads)

    def rule(self, it: ItemResult, key: str, rule: Rule, part: Any, reads: frozenset[str] | None = None) -> None:
        src = part if part is not None else it
        if src.status in BLOCKED:
            self.missing(it, key, reads if reads is not None else rule.reads, part)
        elif src.status == "awaiting_assessor":
            self.judgement(it, key, rule, part, rule.entry or Entry("value"))
        elif src.status == "scored":
            if self.points and src.max is not None:
                if src.points is not None and src.points < src.max:
                    self.lost(it, key, rule, part)
            elif src.met is False:
                self.lost(it, key, rule, part)

    def voided(self, it: ItemResult, prep: PreparedItem) -> None:
        assert prep.void is not None
        vals = _solve(prep.void, False, self.orc)
        inds = self.orc.rs.doc.indicators
        what_zh = "、".join(
            f"{inds[n].label.zh}：{with_unit(v, inds[n].unit)[0]}" for n, v in it.inputs.items() if n in prep.void_reads
        )
        what_en = "; ".join(
            f"{inds[n].label.en}: {with_unit(v, inds[n].unit)[1]}" for n, v in it.inputs.items() if n in prep.void_reads
        )
        clause = prep.void_clause or prep.void.source
        zh, en = f"作废：{clause}（{what_zh}）", f"voided: {clause} ({what_en})"
        gain = None
        changes: list[Change] = []
        ok = False
        if vals:
            trial = self.orc.run(vals)
            ok = trial.item(it.id).status != "voided"
            gain = _gain(self.base, trial) if self.points else None
            changes = _changes(vals, {}, self.orc)
            if self.points:
                zh += f"；不再作废时本项得{fmt_number(_points(trial, it.id))}分"
                en += f"; not voided, the item would score {fmt_number(_points(trial, it.id))}"
        self.out.voided.append(
            self.gap(
                it, it.id, None, "voided", recoverable=gain, changes=changes, action_zh=zh, action_en=en, verified=ok
            )
        )

    # -- the unit's vetoes and eligibility
    def blockers(self) -> None:
        """Every triggered veto and unmet condition of eligibility (or one that cannot be told), and what lifts it."""
        plan = self.orc.plan
        conds = {c.cond.id: c for c in [*plan.vetoes, *plan.eligibility]}
        for c, veto in [*((v, True) for v in self.ev.vetoes), *((e, False) for e in self.ev.eligibility)]:
            blocking = c.holds is True if veto else c.holds is False
            if blocking or c.holds is None:
                self.blocker(c, veto, conds)

    def blocker(self, c: ConditionResult, veto: bool, conds: Mapping[str, PreparedCondition]) -> None:
        """The line of one veto or condition that blocks the title."""
        prep_item = self.orc.plan.items.get(c.id) if veto else None
        pl = self.lifting(c, veto, prep_item, conds)
        changes, ok, zh, en = self.remedy(c, veto, pl)
        it = self.ev.item(c.id) if prep_item is not None else None
        self.out.blockers.append(
            Gap(
                key=c.id,
                item=c.id,
                part=None,
                number=it.number if it else None,
                section=it.section if it else "",
                label=c.label,
                category="blocker",
                rule_kind="veto" if veto else "eligibility",
                points=None,
                max=None,
                recoverable=None,
                changes=changes,
                action_zh=zh,
                action_en=en,
                verified=ok,
                reason_zh=c.reason_zh,
                reason_en=c.reason_en,
                clause=c.clause,
            )
        )

    def lifting(
        self,
        c: ConditionResult,
        veto: bool,
        prep_item: PreparedItem | None,
        conds: Mapping[str, PreparedCondition],
    ) -> Plan | None:
        """The change that lifts a veto (its rule's own recovery) or meets a condition (its expression solved)."""
        if prep_item is not None and prep_item.is_veto:
            rule = prep_item.rule
            assert rule is not None
            lifts = [q for q in (self.orc.on_inputs(pl) for pl in rule.recovery(self.orc)) if q is not None]
            return lifts[0] if lifts else None  # a veto's recovery is what lifts it
        if c.id in conds and conds[c.id].expr is not None:
            return condition_plan(conds[c.id].expr, not veto, self.orc)
        return None

    def remedy(self, c: ConditionResult, veto: bool, pl: Plan | None) -> tuple[list[Change], bool, str, str]:
        """A blocker's changes, whether re-evaluating confirms they lift it, and its action in Chinese and English."""
        scope_zh = SCOPE_WORDS[c.scope].short[0] if c.scope in SCOPE_WORDS else c.scope
        head_zh = f"［{scope_zh if veto else '申报条件'}］{c.label.zh}"
        head_en = f"[{c.scope if veto else 'eligibility'}] {c.label.en}"
        if c.holds is None:
            return (
                [],
                False,
                f"{head_zh}：缺少输入（{'、'.join(c.missing)}），无法判断",
                f"{head_en}: cannot tell, missing {', '.join(c.missing)}",
            )
        if pl is None:
            return (
                [],
                False,
                f"{head_zh}：{'已发生' if veto else '不符合'}，无法自动给出整改建议",
                f"{head_en}: {'triggered' if veto else 'not met'}; no automatic suggestion",
            )
        trial = self.orc.run(pl.values)
        after = next((x for x in [*trial.vetoes, *trial.eligibility] if x.id == c.id and x.scope == c.scope), None)
        ok = after is not None and (after.holds is False if veto else after.holds is True)
        changes = _changes(pl.values, pl.goals, self.orc)
        cz, ce = _action(changes)
        return (
            changes,
            ok,
            f"{head_zh}：{'须消除' if veto else '须满足'}（{cz}）",
            f"{head_en}: {'lift it' if veto else 'meet it'} ({ce})",
        )

    def build(self) -> Gaps:
        self.blockers()
        for it in self.ev.items:
            prep = self.orc.plan.items.get(it.id)
            if prep is not None:
                self.item(it, prep)
        order = {it.id: n for n, it in enumerate(self.ev.items)}
        self.out.changes.sort(key=lambda g: (-(g.recoverable or ZERO), order.get(g.item, 0)))
        self.out.judgement.sort(key=lambda g: (-(g.recoverable or ZERO), order.get(g.item, 0)))
        return self.out


def gaps(
    ev: Evaluation,
    ruleset: Any = None,
    *,
    data: Mapping[str, Any] | None = None,
    assessments: Mapping[str, Any] | None = None,
    assessor: str | None = None,
) -> Gaps:
    """The rectification list of an evaluation. See :meth:`fuac.Evaluation.gaps`."""
    from ..errors import RulesetNotFound
    from ..plan.engine import get_engine

    if ruleset is None:
        try:
            rs = get_engine().resolve(ev.ruleset_id)
        except RulesetNotFound:
            raise InputError(
                f"rule set {ev.ruleset_id!r} is not registered: pass the rule set, e.g. ev.gaps(fuac.load(path))"
            ) from None
    else:
        rs = get_engine().resolve(ruleset)
    if rs.content_hash != ev.content_hash:
        raise InputError(
            f"this evaluation was made with another version of {ev.ruleset_id!r} "
            f"({ev.content_hash[:19]}…, now {rs.content_hash[:19]}…): pass the rule set it was made with"
        )
    if data is None:
        data, rebuilt = reconstruct(ev, rs)
        if assessments is None:
            assessments, assessor = rebuilt, None
    orc = _Oracle(ev, rs, data, assessments, assessor)
    base = orc.run()
    same = base.total == ev.total and all(
        a.points == b.points and a.status == b.status for a, b in zip(base.items, ev.items, strict=False)
    )
    if not same or len(base.items) != len(ev.items):
        raise InputError(
            "re-evaluating with these inputs does not give the same result: pass the input data "
            "(and assessments) the evaluation was made with"
        )
    return _Builder(ev, orc, base).build()


# ---------------------------------------------------------------------------
# text


_HEADS = {
    "blockers": ("阻碍命名的事项（须首先解决）", "What blocks the title (deal with these first)"),
    "changes": ("可挽回的分数（按分值排序）", "Points a change recovers (most first)"),
    "judgement": ("酌情评分（评估人判断）", "Discretionary points (assessor's judgement)"),
    "voided": ("作废项目", "Voided items"),
    "unresolved": ("无法判断或无自动建议", "Cannot tell, or no automatic suggestion"),
}


def _key_label(g: Gap, zh: bool) -> str:
    num = g.number or g.item
    if g.part:
        num = f"{num}({g.part})"
    return num


def render_gaps(gs: Gaps, lang: str = "zh") -> str:
    """A rectification list as plain text (``lang``: zh, en or both)."""
    zh = lang in ("zh", "both")
    en = lang in ("en", "both")
    points = gs.evaluation.scheme_kind == "points"
    lines = _render_head(gs, zh, en, points)
    if not any(True for _ in gs):
        lines.append("没有失分项目。" if zh else "No points lost.")
    for attr in _GROUP_ATTRS:
        group: list[Gap] = getattr(gs, attr)
        if group:
            lines += _render_group(attr, group, zh, en, points)
    return "\n".join(lines) + "\n"


def _in_langs(zh: bool, en: bool, text_zh: str, text_en: str) -> list[str]:
    """A line in each language asked for: the Chinese, then the English."""
    return [text for text, wanted in ((text_zh, zh), (text_en, en)) if wanted]


def _render_head(gs: Gaps, zh: bool, en: bool, points: bool) -> list[str]:
    """The title of a rendered list, underlined, and (for points) the score and what the changes recover."""
    ev = gs.evaluation
    name = ev.context.get("name")
    head = f"{name + ': ' if name else ''}{ev.ruleset_id} {ev.ruleset_version} — "
    head += "整改清单" if zh and not en else ("Rectification list" if en and not zh else "整改清单 Rectification list")
    lines = [head, "=" * min(100, len(head) + 8)]
    if points:
        score, recoverable = f"{fmt_number(ev.reported_total)}/{fmt_number(ev.max_total)}", fmt_number(gs.recoverable)
        lines += _in_langs(
            zh,
            en,
            f"得分 {score}；逐项整改可挽回 {recoverable} 分（每项单独计，不含酌情评分）",
            f"Score {score}; the changes below recover {recoverable} points (each on its own, judgement excluded)",
        )
    return lines


def _render_group(attr: str, group: list[Gap], zh: bool, en: bool, points: bool) -> list[str]:
    """One group of a rendered list: a blank line, its heading, and the lines of each gap."""
    hz, he = _HEADS[attr]
    if attr == "judgement" and not points:
        hz, he = "评估人判断", "Assessor's judgement"
    lines = ["", hz if zh and not en else (he if not zh else f"{hz} / {he}")]
    for g in group:
        lines += _render_gap(g, attr, zh, en, points)
    return lines


def _stake(g: Gap, attr: str, points: bool) -> str:
    """What a gap's line shows before it: the points it recovers, or ``→✓`` for a change that passes."""
    if g.recoverable is not None and points:
        return f"+{fmt_number(g.recoverable)}"
    if attr == "changes" and not points:
        return "→✓"
    return ""


def _render_gap(g: Gap, attr: str, zh: bool, en: bool, points: bool) -> list[str]:
    """The lines of one gap: what it is about, its action, a first step, what else moves, and a failed check."""
    lab = (g.label.zh if zh else g.label.en) if g.label else (g.clause or "")
    lines = [f"  {_stake(g, attr, points):>7}  {_key_label(g, zh):<8} {lab}"]
    lines += _in_langs(zh, en, f"           {g.action_zh}", f"           {g.action_en}")
    if g.first is not None:
        fz, fe = _action(g.first[0])
        step = fmt_number(g.first[1])
        lines += _in_langs(zh, en, f"           先做到：{fz}：+{step}", f"           a first step: {fe}: +{step}")
    if g.also:
        other = ", ".join(f"{k} {'+' if v > 0 else ''}{fmt_number(v)}" for k, v in g.also.items())
        lines += _in_langs(
            zh, en, f"           （同一调整也影响：{other}）", f"           (the same change also moves: {other})"
        )
    if attr in ("changes", "blockers", "voided") and g.changes and not g.verified:
        lines.append(
            "           （复核未通过：请人工核对）"
            if zh
            else "           (not confirmed by re-evaluation: check by hand)"
        )
    return lines
