"""``formula``: points computed by an expression, kept within bounds."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

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
    #: the most and the fewest points; left out, no bound on that side (an uncapped bonus, 可负分)
    max_points: Number | None = None
    min_points: Number | None = None
    label: Text | None = None


class Formula(Rule[FormulaParams]):
    """Points computed by an expression (proportional, weighted), kept within [min_points, max_points]."""

    kind = "formula"
    Params = FormulaParams

    def __init__(self, rule_id: str, params: FormulaParams, ctx: RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        lo, hi = params.min_points, params.max_points
        if lo is not None and hi is not None and lo > hi:
            raise ValueError("'min_points' is greater than 'max_points'")
        self.expr = ctx.expression(params.expression)
        self.max_points = hi
        self.floor = "none" if lo is None or lo < 0 else "part"
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
        got = v
        if p.min_points is not None:
            got = max(got, p.min_points)
        if p.max_points is not None:
            got = min(got, p.max_points)
        read = {n: inputs.values[n] for n in self.reads if n in inputs.values}
        return Outcome(got, "scored", why=_Later(self._say, (v, got, read)))

    def _say(self, v: Decimal, got: Decimal, read: dict[str, Any]) -> tuple[str, str]:
        """The formula, then the values it read in place of the names and the points."""
        clipped_zh = clipped_en = ""
        if got != v:
            zh, en = self._bounds_words()
            clipped_zh = f"（计算值{fmt_number(v)}，{zh}）"
            clipped_en = f" (computed {fmt_number(v)}, {en})"
        wz, we = self.explained(self.expr, read)
        return (
            f"按公式 {self.expr.source}（{wz}）计算{clipped_zh}，{_pts_zh(got)}。",
            f"by the formula {self.expr.source} ({we}){clipped_en}: {_pts_en(got)}.",
        )

    def columns(self, cols: Columns) -> ColumnForm:
        """The expression's value kept within the bounds (only when it is always a decimal number)."""
        import numpy as np

        p = self.params
        node = cols.ec.value(self.expr)
        if node.kind != "dec":
            raise cols.Unvectorizable("the formula does not always give a decimal number")
        bounds = [b for b in (p.min_points, p.max_points) if b is not None]
        s = max([node.scale, *(cols.decimals(b) for b in bounds)])
        f = cols.numeric(node, s)
        k = cols.factor(s)
        lo = None if p.min_points is None else cols.to_scaled(p.min_points, s)
        hi = None if p.max_points is None else cols.to_scaled(p.max_points, s)
        cols.check(max([abs(b) for b in (lo, hi) if b is not None], default=0) * k)
        full, check, RuleOut, scored = cols.full, cols.check, cols.RuleOut, cols.S_SCORED

        def formula(env: Env) -> ColumnOutcome:
            v, bound = f(env)
            if lo is None or hi is None:  # a side without a bound: the values themselves must fit
                check(bound * k)
            v = full(v, env.n, np.int64)
            if lo is not None:
                v = np.maximum(v, lo)
            if hi is not None:
                v = np.minimum(v, hi)
            return RuleOut(v * k if k != 1 else v, None, scored, -1)
        return formula, s

    def points_bounds(self) -> tuple[Decimal, Decimal] | None:
        p = self.params
        if p.min_points is None or p.max_points is None:
            return None
        return (p.min_points, p.max_points)

    def _bounds_words(self) -> tuple[str, str]:
        """The bounds the points are kept within, in words (one side may be open)."""
        p = self.params
        lo, hi = p.min_points, p.max_points
        if lo is not None and hi is not None:
            return f"限定在{fmt_points(lo)}至{fmt_points(hi)}分", f"kept within {fmt_points(lo)}..{fmt_points(hi)}"
        if hi is not None:
            return f"最高{fmt_points(hi)}分", f"at most {fmt_points(hi)}"
        if lo is not None:
            return f"最低{fmt_points(lo)}分", f"at least {fmt_points(lo)}"
        return "不设上下限", "without bounds"

    def describe(self) -> tuple[str, str]:
        p = self.params
        if p.min_points is not None and p.max_points is not None:
            lo, hi = number(p.min_points), number(p.max_points)
            return (
                f"按公式 `{p.expression}` 计分，限定在{lo}至{hi}分之间。",
                f"Points = `{p.expression}`, kept within {lo}..{hi}.",
            )
        zh, en = self._bounds_words()
        return f"按公式 `{p.expression}` 计分，{zh}。", f"Points = `{p.expression}`, {en}."
