"""``discretionary``: points an assessor gives (酌情评分) when a condition does not hold."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ..language.models import Model, Number, Text
from ..language.words import _pts_en, _pts_zh, fmt_points
from .base import ZERO, Assessment, Entry, Inputs, Outcome, Reason, Rule, RuleContext, _Later
from .drafting import number, points
from .recovery import Facts, Plan, condition_plan

if TYPE_CHECKING:
    from .columns import ColumnForm, ColumnOutcome, Columns, Env

# ---------------------------------------------------------------------------
# 8: discretionary points


class DiscretionaryParams(Model):
    points: Number
    min: Number = ZERO
    condition: str | None = None
    label: Text | None = None


class Discretionary(Rule[DiscretionaryParams]):
    """酌情评分 / 否则酌情扣分: an assessor's value within [min, points].

    With ``condition`` ("…得N分，否则酌情扣分"), meeting it gives full points
    without an assessor; otherwise the assessor's value is used.
    """

    kind = "discretionary"
    Params = DiscretionaryParams
    assessable = True

    def __init__(self, rule_id: str, params: DiscretionaryParams, ctx: RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        if params.min > params.points:
            raise ValueError("'min' is greater than 'points'")
        self.max_points = params.points
        self.expr = ctx.expression(params.condition) if params.condition else None
        self.reads = self.names_of(self.expr) if self.expr else frozenset()
        #: reasons that depend on nothing but the rule, shared by every unit
        self._why_met = Reason.later(self._say_met)
        self._why_awaited = Reason.later(self._say_awaited)

    @property
    def entry(self) -> Entry:
        """Points from ``min`` to ``points``."""
        p = self.params
        return Entry("points", p.min, p.points)

    score_reads_only_reads = True  # its score reads no value but those named in reads

    def score(self, inputs: Inputs) -> Outcome:
        p = self.params
        if self.expr is not None and bool(inputs.eval(self.expr)):
            a = inputs.assessments.get(self.id)
            if a is not None and a.value != p.points:  # set aside, and said so: never dropped silently
                return Outcome(p.points, "scored", met=True, why=_Later(self._say_set_aside, (a,)))
            return Outcome(p.points, "scored", met=True, why=self._why_met)
        a = inputs.assessments.get(self.id)
        if a is None:
            return Outcome(None, "awaiting_assessor", met=False if self.expr is not None else None,
                           why=self._why_awaited)
        v = a.value
        return Outcome(
            v,
            "scored",
            met=v == p.points,
            judgement=True,
            rationale=a.rationale,
            why=_Later(self._say_judged, (a,)),
        )

    def columns(self, cols: Columns) -> ColumnForm:
        """Full points where the condition holds; else the assessor's entry; else awaiting an assessor."""
        import numpy as np

        p = self.params
        key = self.id
        cond = cols.ec.truth(self.expr) if self.expr is not None else None
        # the points and the assessors' entries (kept at the input scale K: an entry with more
        # decimals sends its row through the single-unit path); ``min`` only bounds the entries
        s = max(cols.decimals(p.points), cols.K)
        k = cols.factor(s)
        pts = cols.to_scaled(p.points, s)
        no_cond_met = 0 if cond is not None else -1
        full, RuleOut, awaiting = cols.full, cols.RuleOut, cols.S_AWAITING

        def discretionary(env: Env) -> ColumnOutcome:
            # condition met: full points; else the assessor's value; else awaiting an assessor
            n = env.n
            met_cond = full(cond(env), n, bool) if cond is not None else np.zeros(n, bool)
            a = env.assess.get(key)
            if a is None:
                points = met_cond * pts
                null = ~met_cond
                met = met_cond.view(np.int8) if cond is not None else np.full(n, -1, np.int8)
            else:
                av = a.values * 10 ** (s - a.scale) if a.scale != s else a.values
                points = np.where(met_cond, pts, av)
                null = ~(met_cond | a.present)
                met = np.where(null, np.int8(no_cond_met), (points == pts).view(np.int8))
            status = null.view(np.int8) * np.int8(awaiting)
            return RuleOut(points * k if k != 1 else points, null, status, met)
        return discretionary, s

    def points_bounds(self) -> tuple[Decimal, Decimal] | None:
        p = self.params
        return (min(p.min, ZERO), max(p.points, ZERO))

    def recovery(self, facts: Facts) -> list[Plan]:
        """The fewest changes that make the condition hold (full points without an assessor)."""
        plan = condition_plan(self.expr, True, facts)
        return [plan] if plan is not None else []

    def _say_met(self) -> tuple[str, str]:
        p = self.params
        lab = p.label
        return (
            f"{lab.zh if lab else '条件'}已满足，{_pts_zh(p.points)}。",
            f"{lab.en if lab else 'condition'} met: {_pts_en(p.points)}.",
        )

    def _say_set_aside(self, a: Assessment) -> tuple[str, str]:
        """The condition met, and the assessor's other score not used: the rule gives full points then."""
        zh, en = self._say_met()
        by = f"（{a.assessor}）" if a.assessor else ""
        by_en = f" ({a.assessor})" if a.assessor else ""
        return (
            f"{zh}评估人{by}录入的{fmt_points(a.value)}分未采用：条件满足时按规则得满分，酌情评分只用于条件未满足时。",
            f"{en} The assessor's{by_en} score of {fmt_points(a.value)} was not used: the rule gives full points "
            "when the condition is met; a discretionary score applies only when it is not.",
        )

    def _say_awaited(self) -> tuple[str, str]:
        p = self.params
        pre_zh = "条件未满足，" if self.expr is not None else ""
        pre_en = "condition not met; " if self.expr is not None else ""
        return (
            f"{pre_zh}需评估人在{fmt_points(p.min)}至{fmt_points(p.points)}分之间酌情评分。",
            f"{pre_en}an assessor's score between {fmt_points(p.min)} and {fmt_points(p.points)} is needed.",
        )

    def _say_judged(self, a: Assessment) -> tuple[str, str]:
        pre_zh = "条件未满足，" if self.expr is not None else ""
        pre_en = "condition not met; " if self.expr is not None else ""
        v = a.value
        by = f"（{a.assessor}）" if a.assessor else ""
        why_zh = f"，理由：{a.rationale}" if a.rationale else ""
        why_en = f"; rationale: {a.rationale}" if a.rationale else ""
        return (
            f"{pre_zh}评估人{by}酌情评分{_pts_zh(v)}{why_zh}。",
            f"{pre_en}assessor{' (' + a.assessor + ')' if a.assessor else ''} gave {_pts_en(v)}{why_en}.",
        )

    def describe(self) -> tuple[str, str]:
        p = self.params
        rng_z = f"评估人在{number(p.min)}至{number(p.points)}分之间酌情评分"
        rng_e = f"an assessor gives {number(p.min)} to {number(p.points)} points, with a rationale"
        if p.condition is not None:
            pz, pe = points(p.points)
            return (
                f"`{p.condition}` 成立得{pz}；否则{rng_z}（酌情扣分）。",
                f"{pe} when `{p.condition}` holds; otherwise {rng_e}.",
            )
        return f"{rng_z}。", f"Discretionary: {rng_e}."
