"""``requirement``: a requirement met or not (by a condition, or by an assessor), with points or none."""

from __future__ import annotations

from typing import Any

from ..language.models import Model, Number
from .base import ZERO, Entry, Inputs, Outcome, Reason, Rule, RuleContext

# ---------------------------------------------------------------------------
# 16: requirements (checklists) and targets


class RequirementParams(Model):
    condition: str | None = None
    points: Number = ZERO


class Requirement(Rule):
    """A requirement from a checklist: met / not met, by a condition on inputs or by an assessor."""

    kind = "requirement"
    Params = RequirementParams
    assessable = True

    def __init__(self, rule_id: str, params: Any, ctx: RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        self.expr = ctx.expression(params.condition) if params.condition else None
        self.reads = self.names_of(self.expr) if self.expr else frozenset()
        self.max_points = params.points if ctx.scheme_kind == "points" else None
        self.describe = {"condition": params.condition}
        src = self.expr.source if self.expr is not None else ""
        self._why_condition = {True: Reason(f"已落实（{src}）。", f"met ({src})."),
                               False: Reason(f"未落实（{src}）。", f"not met ({src}).")}

    @property
    def entry(self) -> Entry:
        """Met or not; never read when the requirement has a condition."""
        return Entry("met", read=self.expr is None)

    def score(self, inputs: Inputs) -> Outcome:
        p: Any = self.params
        pts = p.points if self.max_points is not None else None
        if self.expr is not None:
            ok = bool(inputs.eval(self.expr))
            got = (pts if ok else ZERO) if pts is not None else None
            return Outcome(got, "scored", met=ok, why=self._why_condition[ok])
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
