"""``deduction``: points minus a cost for each case counted."""

from __future__ import annotations

import ast
import decimal
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING

from ..language.expressions import DECIMAL_CONTEXT
from ..language.models import Floor, Model, Name, Number
from ..language.words import FLOOR_WORDS, UNITS, _pts_en, _pts_zh, fmt_number, fmt_points
from .base import ZERO, Inputs, Outcome, Rule, RuleContext, RuleError, _Later
from .drafting import Drafting, number, points
from .recovery import Facts, Plan

if TYPE_CHECKING:
    from .columns import ColumnForm, ColumnOutcome, Columns, Env

# ---------------------------------------------------------------------------
# 3, 5: per-occurrence deductions with a floor


class Cost(Model):
    indicator: Name
    cost: Number


class DeductionParams(Model):
    points: Number
    costs: list[Cost]
    floor: Floor


class Deduction(Rule[DeductionParams]):
    """每少1家扣2分，扣完为止: start from full points, take a cost per occurrence."""

    kind = "deduction"
    Params = DeductionParams

    def __init__(self, rule_id: str, params: DeductionParams, ctx: RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        if not params.costs:
            raise ValueError("'costs' needs at least one entry")
        for i, c in enumerate(params.costs):
            try:
                ind = ctx.indicator(c.indicator)
            except ValueError as exc:
                raise RuleError(str(exc), "costs", i, "indicator") from None
            if ind.type not in ("integer", "decimal"):
                raise RuleError(
                    f"{c.indicator!r} counts occurrences: it must be an integer or decimal indicator",
                    "costs",
                    i,
                    "indicator",
                )
            if c.cost < 0:
                raise RuleError(
                    "a cost is the points taken per occurrence: it must not be negative", "costs", i, "cost"
                )
        self.max_points = params.points
        self.floor = params.floor
        self.reads = frozenset(c.indicator for c in params.costs)

    score_reads_only_reads = True  # its score reads no value but those named in reads

    def score(self, inputs: Inputs) -> Outcome:
        p = self.params
        values = inputs.values
        taken = ZERO
        found = []
        for c in p.costs:
            n = values[c.indicator]
            if n:
                taken += c.cost * n
                found.append((c, n))
        raw = p.points - taken
        got = self.floored(raw)
        return Outcome(
            got,
            "scored",
            met=taken == 0,
            details={"deducted": taken, "raw": raw},
            why=_Later(self._say, (found, taken, raw, got)),
        )

    def _say(self, found: list[tuple[Cost, Decimal]], taken: Decimal, raw: Decimal, got: Decimal) -> tuple[str, str]:
        if not found:
            return f"未发现扣分情形，{_pts_zh(got)}。", f"nothing found to deduct: {_pts_en(got)}."
        zh_parts, en_parts = [], []
        for c, n in found:
            lab = self.label(c.indicator)
            zh_parts.append(f"{lab.zh}{fmt_number(n)}，每个扣{fmt_points(c.cost)}分")
            en_parts.append(f"{lab.en}: {fmt_number(n)}, {fmt_points(c.cost)} each")
        floor_zh = "，扣完为止" if got != raw else ""
        floor_en = ", down to zero" if got != raw else ""
        return (
            f"{'；'.join(zh_parts)}，共扣{fmt_points(taken)}分{floor_zh}，{_pts_zh(got)}。",
            f"{'; '.join(en_parts)}: {fmt_points(taken)} taken{floor_en}, {_pts_en(got)}.",
        )

    def columns(self, cols: Columns) -> ColumnForm:
        """Full points less each indicator's count times its cost (floored at 0 where the rule floors itself)."""
        import numpy as np

        p = self.params
        terms = [cols.arith(ast.Mult, cols.const(c.cost), cols.ec.node(ast.Name(id=c.indicator))) for c in p.costs]
        s = max([cols.decimals(p.points), *(t.scale for t in terms)])
        fs = [cols.numeric(t, s) for t in terms]
        pts = cols.to_scaled(p.points, s)
        k = cols.factor(s)
        floors = self.floors_itself
        full, check, RuleOut, scored = cols.full, cols.check, cols.RuleOut, cols.S_SCORED

        def deduction(env: Env) -> ColumnOutcome:
            taken, b = fs[0](env)
            for f in fs[1:]:
                v, bv = f(env)
                taken = taken + v
                b = check(b + bv)
            check((abs(pts) + b) * k)
            raw = pts - full(taken, env.n, np.int64)
            got = np.maximum(raw, 0) if floors else raw
            return RuleOut(got * k if k != 1 else got, None, scored, (raw == pts).view(np.int8))
        return deduction, s

    def points_bounds(self) -> tuple[Decimal, Decimal] | None:
        """From 0 (where the rule floors itself) to full points (when nothing it reads or costs is negative)."""
        p = self.params
        mins = [self.ctx.indicators[c.indicator].min for c in p.costs]
        reads_nonneg = all(m is not None and m >= 0 for m in mins)
        return self.deducted_bounds(p.points, reads_nonneg and all(c.cost >= 0 for c in p.costs))

    def recovery(self, facts: Facts) -> list[Plan]:
        """Every counted occurrence removed, with the points per occurrence; when deductions stop at
        zero and one occurrence alone recovers nothing, also the first step that does."""
        p = self.params
        out = Plan({})
        zh_rates, en_rates = [], []
        for c in p.costs:
            n = facts.values.get(c.indicator)
            if n is None or not n or c.cost <= 0:
                continue
            out.values[c.indicator] = Decimal(0)
            uz = _unit_word(facts.indicators[c.indicator].unit)
            zh_rates.append(f"每减少1{uz} +{fmt_number(c.cost)}分")
            en_rates.append(f"+{fmt_number(c.cost)} for each one fewer")
        if not out.values:
            return []
        out.rate_zh, out.rate_en = "；".join(zh_rates), "; ".join(en_rates)
        costed = [c for c in p.costs if facts.values.get(c.indicator)]
        if len(costed) == 1 and p.floor != "none":
            c = costed[0]
            n = facts.values[c.indicator]
            with decimal.localcontext(DECIMAL_CONTEXT):
                keep = (p.points / c.cost).to_integral_value(ROUND_CEILING) - 1  # most occurrences that still score
            if keep > 0 and n - keep > 1:
                out.first = {c.indicator: keep}
        return [out]

    def describe(self) -> tuple[str, str]:
        p = self.params
        d = Drafting(self)
        zh, en = [], []
        for c in p.costs:
            lz, le = d.label(c.indicator)
            zh.append(f"{lz}每1个扣{number(c.cost)}分")
            en.append(f"{number(c.cost)} per unit of {le}")
        fz, fe = FLOOR_WORDS[p.floor]
        pz, pe = points(p.points)
        return (
            f"基础分{pz}；{'；'.join(zh)}；{fz}。",
            f"Starts from {pe}; takes {'; '.join(en)}; {fe}.",
        )


def _unit_word(unit: str | None) -> str:
    """The Chinese counter word of a unit ("每减少1家"); the English rate says "one fewer" whatever it is."""
    return UNITS.get(unit or "", ("", ""))[0] or "个"
