"""``deduction``: points minus a cost for each case counted."""

from __future__ import annotations

import ast
import decimal
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Any

from pydantic import model_validator

from ..language.expressions import DECIMAL_CONTEXT, Expression
from ..language.models import Floor, Model, Name, Number, Text
from ..language.words import FLOOR_WORDS, UNITS, _pts_en, _pts_zh, fmt_number, fmt_points
from .base import ZERO, Inputs, Outcome, Rule, RuleContext, RuleError, _Later
from .drafting import Drafting, number, points
from .recovery import Facts, Plan, condition_plan

if TYPE_CHECKING:
    from .columns import ColumnForm, ColumnOutcome, Columns, Env

# ---------------------------------------------------------------------------
# 3, 5: per-occurrence deductions with a floor


class Cost(Model):
    """One kind of occurrence and its cost: an indicator counting it (each one costs ``cost``), a
    fact that is the occurrence (``when`` holds: ``cost`` once), or an expression counting failing
    facts (``count``: each one costs ``cost``); ``label`` names it in the reasons."""

    indicator: Name | None = None
    when: str | None = None
    count: str | None = None
    cost: Number
    label: Text | None = None

    @model_validator(mode="after")
    def _one(self) -> Cost:
        if sum(x is not None for x in (self.indicator, self.when, self.count)) != 1:
            raise ValueError("give exactly one of 'indicator' (a count), 'when' (a fact: the cost once when it "
                             "holds) or 'count' (an expression counting occurrences)")
        return self


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
        #: each cost's expression (``when`` or ``count``), None for an indicator's count
        self.exprs: list[Expression | None] = []
        #: each cost's occurrences as an expression (``1 if (when) else 0``, or ``count``), None for an indicator
        self.counted: list[Expression | None] = []
        #: for a ``count``: the expression that holds when it counts none (what gaps solves for)
        self.none_exprs: list[Expression | None] = []
        reads: set[str] = set()
        for i, c in enumerate(params.costs):
            if c.cost < 0:
                raise RuleError(
                    "a cost is the points taken per occurrence: it must not be negative", "costs", i, "cost"
                )
            if c.indicator is None:
                expr = ctx.expression(c.when or c.count or "")
                self.exprs.append(expr)
                self.counted.append(ctx.expression(f"1 if ({expr.source}) else 0") if c.when is not None else expr)
                self.none_exprs.append(ctx.expression(f"({expr.source}) == 0") if c.count is not None else None)
                reads |= self.names_of(expr)
                continue
            self.exprs.append(None)
            self.counted.append(None)
            self.none_exprs.append(None)
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
            reads.add(c.indicator)
        self.max_points = params.points
        self.floor = params.floor
        self.reads = frozenset(reads)

    def occurrences(self, c: Cost, expr: Expression | None, inputs: Inputs) -> Any:
        """How many times cost ``c`` is taken from this unit: the indicator's count, or what its counted
        expression gives (1 or 0 for a fact)."""
        if expr is None:
            return inputs.values[c.indicator or ""]
        got = inputs.eval(expr)
        if isinstance(got, bool):
            return int(got)
        if not isinstance(got, (int, Decimal)):
            raise TypeError(f"'count' must give a number, not {got!r}")
        return got

    score_reads_only_reads = True  # its score reads no value but those named in reads

    def score(self, inputs: Inputs) -> Outcome:
        p = self.params
        taken = ZERO
        found = []
        for c, expr in zip(p.costs, self.counted, strict=True):
            n = self.occurrences(c, expr, inputs)
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
            lab = self._label(c)
            if c.when is not None:
                zh_parts.append(f"{lab.zh}，扣{fmt_points(c.cost)}分")
                en_parts.append(f"{lab.en}: {fmt_points(c.cost)} taken")
                continue
            zh_parts.append(f"{lab.zh}{fmt_number(n)}，每个扣{fmt_points(c.cost)}分")
            en_parts.append(f"{lab.en}: {fmt_number(n)}, {fmt_points(c.cost)} each")
        floor_zh = "，扣完为止" if got != raw else ""
        floor_en = ", down to zero" if got != raw else ""
        return (
            f"{'；'.join(zh_parts)}，共扣{fmt_points(taken)}分{floor_zh}，{_pts_zh(got)}。",
            f"{'; '.join(en_parts)}: {fmt_points(taken)} taken{floor_en}, {_pts_en(got)}.",
        )

    def _label(self, c: Cost) -> Text:
        """What a cost is taken for, in the reasons: its label, the indicator's, or the expression."""
        if c.label is not None:
            return c.label
        if c.indicator is not None:
            return self.label(c.indicator)
        src = c.when or c.count or ""
        return Text(zh=f"`{src}`", en=f"`{src}`")

    def columns(self, cols: Columns) -> ColumnForm:
        """Full points less each indicator's count times its cost (floored at 0 where the rule floors itself)."""
        import numpy as np

        p = self.params
        terms = [cols.arith(ast.Mult, cols.const(c.cost),
                            cols.ec.node(ast.Name(id=c.indicator or "")) if e is None else cols.ec.value(e))
                 for c, e in zip(p.costs, self.counted, strict=True)]
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
        if any(c.count is not None for c in p.costs):  # a count may be anything its expression gives
            return None
        mins = [Decimal(0) if c.when is not None else self.ctx.indicators[c.indicator or ""].min for c in p.costs]
        reads_nonneg = all(m is not None and m >= 0 for m in mins)
        return self.deducted_bounds(p.points, reads_nonneg and all(c.cost >= 0 for c in p.costs))

    def recovery(self, facts: Facts) -> list[Plan]:
        """Every counted occurrence removed and every fact costed made not to hold, with the points per
        occurrence; when deductions stop at zero and one occurrence alone recovers nothing, also the
        first step that does."""
        p = self.params
        out = Plan({})
        zh_rates, en_rates = [], []
        counted: list[tuple[Cost, str]] = []  # the costs counted by an indicator that found some
        for c, expr, none in zip(p.costs, self.exprs, self.none_exprs, strict=True):
            if c.cost <= 0:
                continue
            if c.indicator is None:  # a fact that holds, or a count of failing facts that is not 0
                assert expr is not None
                plan = condition_plan(none if none is not None else expr, none is not None, facts)
                if plan is not None:
                    out.values.update(plan.values)
                continue
            n = facts.values.get(c.indicator)
            if n is None or not n:
                continue
            counted.append((c, c.indicator))
            out.values[c.indicator] = Decimal(0)
            uz = _unit_word(facts.indicators[c.indicator].unit)
            zh_rates.append(f"每减少1{uz} +{fmt_number(c.cost)}分")
            en_rates.append(f"+{fmt_number(c.cost)} for each one fewer")
        if not out.values:
            return []
        out.rate_zh, out.rate_en = "；".join(zh_rates), "; ".join(en_rates)
        if len(counted) == 1 and len(out.values) == 1 and p.floor != "none":
            c, name = counted[0]
            n = facts.values[name]
            with decimal.localcontext(DECIMAL_CONTEXT):
                keep = (p.points / c.cost).to_integral_value(ROUND_CEILING) - 1  # most occurrences that still score
            if keep > 0 and n - keep > 1:
                out.first = {name: keep}
        return [out]

    def describe(self) -> tuple[str, str]:
        p = self.params
        d = Drafting(self)
        zh, en = [], []
        for c in p.costs:
            if c.indicator is not None:
                lz, le = d.label(c.indicator)
            else:
                lab = self._label(c)
                lz, le = lab.zh, lab.en
            if c.when is not None:
                zh.append(f"{lz}的扣{number(c.cost)}分")
                en.append(f"{number(c.cost)} when {le}")
            elif c.count is not None:
                zh.append(f"{lz}每1个扣{number(c.cost)}分")
                en.append(f"{number(c.cost)} each for {le}")
            else:
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
