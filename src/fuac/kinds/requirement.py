"""``requirement``: a requirement met or not (by a condition, or by an assessor), with points or none."""

from __future__ import annotations

import ast
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..language.models import Model, Number
from ..language.words import _pts_en, _pts_zh
from .base import ZERO, Entry, Inputs, Outcome, Rule, RuleContext, _Later
from .drafting import points
from .recovery import Facts, Plan, condition_plan

if TYPE_CHECKING:
    from .columns import ColumnForm, ColumnOutcome, Columns, Env

# ---------------------------------------------------------------------------
# 16: requirements (checklists) and targets


class RequirementParams(Model):
    condition: str | None = None
    points: Number = ZERO


class Requirement(Rule[RequirementParams]):
    """A requirement from a checklist: met / not met, by a condition on inputs or by an assessor."""

    kind = "requirement"
    Params = RequirementParams
    assessable = True

    def __init__(self, rule_id: str, params: RequirementParams, ctx: RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        self.expr = ctx.expression(params.condition) if params.condition else None
        self.reads = self.names_of(self.expr) if self.expr else frozenset()
        self.max_points = params.points if ctx.scheme_kind == "points" else None

    @property
    def entry(self) -> Entry:
        """Met or not; never read when the requirement has a condition."""
        return Entry("met", read=self.expr is None)

    score_reads_only_reads = True  # its score reads no value but those named in reads

    def score(self, inputs: Inputs) -> Outcome:
        p = self.params
        pts = p.points if self.max_points is not None else None
        if self.expr is not None:
            ok = bool(inputs.eval(self.expr))
            got = (pts if ok else ZERO) if pts is not None else None
            read = {n: inputs.values[n] for n in self.reads if n in inputs.values}
            return Outcome(got, "scored", met=ok, why=_Later(self._say_condition, (ok, got, read)))
        a = inputs.assessments.get(self.id)
        if a is None:
            return Outcome(None, "awaiting_assessor", "待评估人判断是否落实。", "awaiting an assessor's judgement.")
        ok = bool(a.value)
        got = (pts if ok else ZERO) if pts is not None else None
        why_zh = f"，理由：{a.rationale}" if a.rationale else ""
        why_en = f"; rationale: {a.rationale}" if a.rationale else ""
        return Outcome(
            got,
            "scored",
            f"评估人判断{'已落实' if ok else '未落实'}{why_zh}。",
            f"assessor judged it {'met' if ok else 'not met'}{why_en}.",
            met=ok,
            judgement=True,
            rationale=a.rationale,
        )

    def _say_condition(self, ok: bool, got: Decimal | None, read: dict[str, Any]) -> tuple[str, str]:
        """The condition with the values read ("满意度 84% ≥ 85%"), whether it is met, the points."""
        assert self.expr is not None
        zh, en = self.explained(self.expr, read)
        said_z, said_e = ("已落实", "met") if ok else ("未落实", "not met")
        if any(isinstance(n, ast.Compare) for n in ast.walk(self.expr.tree)):  # whether it holds, then what
            zh, en = f"{zh}，{'成立' if ok else '不成立'}", f"{en} {'holds' if ok else 'does not hold'}"
        if got is None:
            return f"{zh}：{said_z}。", f"{en}: {said_e}."
        return f"{zh}：{said_z}，{_pts_zh(got)}。", f"{en}: {said_e}, {_pts_en(got)}."

    def columns(self, cols: Columns) -> ColumnForm:
        """Met where the condition holds; without one, as the assessor's entry says (else awaiting)."""
        import numpy as np

        p = self.params
        has_points = self.max_points is not None
        s = cols.decimals(p.points) if has_points else 0
        pts = cols.to_scaled(p.points, s) * cols.factor(s) if has_points else 0
        full, RuleOut, scored, awaiting = cols.full, cols.RuleOut, cols.S_SCORED, cols.S_AWAITING
        if self.expr is not None:
            ok = cols.ec.truth(self.expr)

            def req_expr(env: Env) -> ColumnOutcome:
                t_ = full(ok(env), env.n, bool)
                return RuleOut(t_ * pts if has_points else None, None, scored, t_.view(np.int8))
            return req_expr, s
        key = self.id

        def req_assessed(env: Env) -> ColumnOutcome:
            n = env.n
            a = env.assess.get(key)
            if a is None:
                present, okv = np.zeros(n, bool), np.zeros(n, bool)
            else:
                present, okv = a.present, a.values.astype(bool)
            points = okv * pts if has_points else None
            status = (~present).view(np.int8) * np.int8(awaiting)
            met = np.where(present, okv.view(np.int8), np.int8(-1))
            return RuleOut(points, ~present if has_points else None, status, met)
        return req_assessed, s

    def points_bounds(self) -> tuple[Decimal, Decimal] | None:
        m = self.max_points or ZERO
        return (min(ZERO, m), max(ZERO, m))

    def recovery(self, facts: Facts) -> list[Plan]:
        """The fewest changes that make the condition hold (none for a requirement an assessor judges)."""
        plan = condition_plan(self.expr, True, facts)
        return [plan] if plan is not None else []

    def describe(self) -> tuple[str, str]:
        p = self.params
        if p.condition is not None:
            how_z, how_e = f"`{p.condition}` 成立即为落实", f"met when `{p.condition}` holds"
        else:
            how_z, how_e = "由评估人判断是否落实", "met or not as an assessor judges (true / false)"
        if self.max_points is not None:
            pz, pe = points(p.points)
            return (
                f"要求：{how_z}；落实得{pz}，否则不得分。",
                f"Requirement, {how_e}: {pe} when met, otherwise 0.",
            )
        return f"要求：{how_z}。", f"Requirement, {how_e}."
