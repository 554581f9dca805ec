"""``formula``: points computed by an expression, kept within bounds."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ..language.models import Model, Number, Text
from ..language.words import _pts_en, _pts_zh, fmt_number, fmt_points
from .base import Inputs, Outcome, Rule, RuleContext, _Later
from .drafting import number

if TYPE_CHECKING:
    from .columns import ColumnForm, ColumnOutcome, Columns, Env

# ---------------------------------------------------------------------------
# 12: formulas and bands


class FormulaParams(Model):
    expression: str
    max_points: Number
    min_points: Number
    label: Text | None = None


class Formula(Rule[FormulaParams]):
    """Points computed by an expression (proportional, weighted), kept within [min_points, max_points]."""

    kind = "formula"
    Params = FormulaParams

    def __init__(self, rule_id: str, params: FormulaParams, ctx: RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        if params.min_points > params.max_points:
            raise ValueError("'min_points' is greater than 'max_points'")
        self.expr = ctx.expression(params.expression)
        self.max_points = params.max_points
        self.floor = "none" if params.min_points < 0 else "part"
        self.reads = self.names_of(self.expr)

    score_reads_only_reads = True  # its score reads no value but those named in reads

    @property
    def lazy(self) -> bool:
        """Its expression reads only what the branch taken needs."""
        return type(self).score is Formula.score

    def score(self, inputs: Inputs) -> Outcome:
        p = self.params
        v = inputs.eval(self.expr)
        if isinstance(v, bool) or not isinstance(v, Decimal):
            raise ValueError(f"formula gave {v!r}, not a number")
        got = min(max(v, p.min_points), p.max_points)
        return Outcome(got, "scored", why=_Later(self._say, (v, got)))

    def _say(self, v: Decimal, got: Decimal) -> tuple[str, str]:
        p = self.params
        clipped_zh = clipped_en = ""
        if got != v:
            lo, hi = fmt_points(p.min_points), fmt_points(p.max_points)
            clipped_zh = f"（计算值{fmt_number(v)}，限定在{lo}至{hi}分）"
            clipped_en = f" (computed {fmt_number(v)}, kept within {lo}..{hi})"
        return (
            f"按公式 {self.expr.source} 计算{clipped_zh}，{_pts_zh(got)}。",
            f"by the formula {self.expr.source}{clipped_en}: {_pts_en(got)}.",
        )

    def columns(self, cols: Columns) -> ColumnForm:
        """The expression's value kept within the bounds (only when it is always a decimal number)."""
        import numpy as np

        p = self.params
        node = cols.ec.value(self.expr)
        if node.kind != "dec":
            raise cols.Unvectorizable("the formula does not always give a decimal number")
        s = max(node.scale, cols.decimals(p.min_points), cols.decimals(p.max_points))
        f = cols.numeric(node, s)
        k = cols.factor(s)
        lo, hi = cols.to_scaled(p.min_points, s), cols.to_scaled(p.max_points, s)
        cols.check(max(abs(lo), abs(hi)) * k)
        full, RuleOut, scored = cols.full, cols.RuleOut, cols.S_SCORED

        def formula(env: Env) -> ColumnOutcome:
            v, _ = f(env)
            v = np.minimum(np.maximum(full(v, env.n, np.int64), lo), hi)
            return RuleOut(v * k if k != 1 else v, None, scored, -1)
        return formula, s

    def points_bounds(self) -> tuple[Decimal, Decimal] | None:
        p = self.params
        return (p.min_points, p.max_points)

    def describe(self) -> tuple[str, str]:
        p = self.params
        lo, hi = number(p.min_points), number(p.max_points)
        return (
            f"按公式 `{p.expression}` 计分，限定在{lo}至{hi}分之间。",
            f"Points = `{p.expression}`, kept within {lo}..{hi}.",
        )
