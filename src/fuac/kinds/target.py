"""``target``: a yearly target achieved or not."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..language.comparators import COMPARATORS
from ..language.models import Comparator, Model, Name, Number
from ..language.words import with_unit
from .base import ZERO, Inputs, Outcome, PreparedTest, Rule, RuleContext, Test, _Later
from .drafting import Drafting
from .recovery import Facts, Plan, tests_plan

if TYPE_CHECKING:
    from .columns import ColumnForm, ColumnOutcome, Columns, Env


class TargetParams(Model):
    indicator: Name
    comparator: Comparator
    value: Number | bool
    unit: str | None = None
    year: int
    segment: str | None = None


class Target(Rule[TargetParams]):
    """A work-plan target: indicator, comparator, value, unit and year."""

    kind = "target"
    Params = TargetParams

    def __init__(self, rule_id: str, params: TargetParams, ctx: RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        self.test = PreparedTest(
            Test(indicator=params.indicator, comparator=params.comparator, threshold=params.value, unit=params.unit),
            ctx,
        )
        self.reads = self.test.reads

    score_reads_only_reads = True  # its score reads no value but those named in reads

    def score(self, inputs: Inputs) -> Outcome:
        check = self.test.check(inputs)
        return Outcome(None, "scored", met=check[0], why=_Later(self._say, (check,)))

    def _say(self, check: tuple[bool, Any, Any]) -> tuple[str, str]:
        p = self.params
        ok = check[0]
        zh, en = self.test.say(*check)
        return (
            f"{p.year}年目标：{zh}，{'已完成' if ok else '未完成'}。",
            f"{p.year} target: {en}: {'achieved' if ok else 'not achieved'}.",
        )

    def columns(self, cols: Columns) -> ColumnForm:
        """No points; met where the test holds."""
        import numpy as np

        ok = cols.test(self.test)
        full, RuleOut, scored = cols.full, cols.RuleOut, cols.S_SCORED

        def target(env: Env) -> ColumnOutcome:
            t_ = full(ok(env), env.n, bool)
            return RuleOut(None, None, scored, t_.view(np.int8))
        return target, 0

    def points_bounds(self) -> tuple[Decimal, Decimal] | None:
        return (ZERO, ZERO)

    def recovery(self, facts: Facts) -> list[Plan]:
        """The indicator moved to the target."""
        plan = tests_plan([self.test], facts)
        return [plan] if plan is not None else []

    def describe(self) -> tuple[str, str]:
        p = self.params
        lz, le = Drafting(self).label(p.indicator)
        cmp = COMPARATORS[p.comparator]
        vz, ve = with_unit(p.value, p.unit)
        seg_z = f"（{p.segment}）" if p.segment else ""
        seg_e = f" ({p.segment})" if p.segment else ""
        return (f"{p.year}年目标{seg_z}：{lz} {cmp.symbol} {vz}。",
                f"{p.year} target{seg_e}: {le} {cmp.drafting[1]} {ve}.")
