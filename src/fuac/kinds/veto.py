"""``veto``: an item of the table that vetoes the unit (一票否决) when its condition holds."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import model_validator

from ..language.comparators import COMPARATORS
from ..language.models import Model, Text, VetoScope
from ..language.words import SCOPE_WORDS
from .base import ZERO, Inputs, Outcome, Reason, Rule, RuleContext, Test, _prepare_tests
from .drafting import Drafting
from .recovery import Facts, Plan, condition_plan, distance, resolution, satisfy, test_goal

if TYPE_CHECKING:
    from .columns import ColumnForm, ColumnOutcome, Columns, Env

# ---------------------------------------------------------------------------
# 10: veto items


class VetoParams(Model):
    condition: str | None = None
    tests: list[Test] | None = None
    scope: VetoScope
    label: Text

    @model_validator(mode="after")
    def _one(self) -> VetoParams:
        if (self.condition is None) == (self.tests is None):
            raise ValueError("give exactly one of 'condition' (an expression) or 'tests'")
        return self


class VetoRule(Rule[VetoParams]):
    """发生…的，一票否决: no points; when the condition holds the unit is vetoed.

    ``condition`` says when the veto is triggered. The score is still computed.
    """

    kind = "veto"
    Params = VetoParams

    def __init__(self, rule_id: str, params: VetoParams, ctx: RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        self.max_points = ZERO
        self.expr = ctx.expression(params.condition) if params.condition else None
        self.tests = _prepare_tests(params.tests, ctx) if params.tests else []
        reads: set[str] = set(self.names_of(self.expr)) if self.expr else set()
        for t in self.tests:
            reads |= t.reads
        self.reads = frozenset(reads)
        self.scope = params.scope
        lab = params.label
        if self.scope == "tier_cap":  # an item has no cap_tier: recorded, neither vetoing nor capping
            self._why_hit = Reason(f"{lab.zh}：已发生（不否决，不限等次）。",
                                   f"{lab.en}: occurred (no veto, no grade cap).")
        else:
            self._why_hit = Reason(f"{lab.zh}：已发生，一票否决。", f"{lab.en}: occurred, veto.")
        self._why_clear = Reason(f"{lab.zh}：未发生，不否决。", f"{lab.en}: did not occur, no veto.")

    def triggered(self, inputs: Inputs) -> bool:
        if self.expr is not None:
            return bool(inputs.eval(self.expr))
        return all(t.check(inputs)[0] for t in self.tests)

    score_reads_only_reads = True  # its score reads no value but those named in reads

    def score(self, inputs: Inputs) -> Outcome:
        if self.triggered(inputs):
            return Outcome(ZERO, "vetoed", met=False, why=self._why_hit)
        return Outcome(ZERO, "scored", met=True, why=self._why_clear)

    def columns(self, cols: Columns) -> ColumnForm:
        """No points; vetoed where the condition (every test) holds."""
        import numpy as np

        hit = cols.condition(self)
        full, RuleOut, vetoed = cols.full, cols.RuleOut, cols.S_VETOED

        def veto(env: Env) -> ColumnOutcome:
            h = full(hit(env), env.n, bool)
            return RuleOut(np.zeros(env.n, np.int64), None, h.view(np.int8) * np.int8(vetoed),
                           (~h).view(np.int8))
        return veto, 0

    def points_bounds(self) -> tuple[Decimal, Decimal] | None:
        return (ZERO, ZERO)

    def recovery(self, facts: Facts) -> list[Plan]:
        """What lifts the veto: the fewest changes that make the condition fail, or the cheapest test made to fail."""
        plan = condition_plan(self.expr, False, facts) if self.expr is not None else self._tests_plan(facts)
        return [plan] if plan is not None else []

    def _tests_plan(self, facts: Facts) -> Plan | None:
        """A veto written as tests is triggered when all hold: make the cheapest one fail."""
        best: Plan | None = None
        for t in self.tests:
            name = t.test.indicator
            before = facts.values.get(name)
            goal, ref = test_goal(t, facts)
            if before is None or goal is None:
                continue
            cmp = COMPARATORS[t.test.comparator].negation
            res = resolution(t.ind, before, goal if isinstance(goal, Decimal) else None)
            v = satisfy(cmp, goal, t.ind, before, res)
            if v is None:
                continue
            cand = Plan({name: v}, {name: (cmp, goal, ref)})
            if best is None or distance(before, v) < distance(
                facts.values.get(next(iter(best.values))), next(iter(best.values.values()))
            ):
                best = cand
        return best

    def describe(self) -> tuple[str, str]:
        p = self.params
        cz, ce = Drafting(self).condition(p.condition, p.tests)
        sz, se = SCOPE_WORDS[p.scope].drafting
        return (
            f"不计分。{cz}时一票否决：{sz}。",
            f"No points. Veto when {ce}: {se}. The score is still computed.",
        )
