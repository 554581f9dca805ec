"""``proportional``: points in proportion to how much of a target is reached (按完成比例计分)."""

from __future__ import annotations

import ast
import math
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

from pydantic import model_validator

from ..language.models import Model, Name, Number
from ..language.words import _pts_en, _pts_zh, fmt_number, with_unit
from .base import ZERO, Inputs, Outcome, Rule, RuleContext, RuleError, _Later, target_column, target_of
from .drafting import Drafting, points
from .recovery import Facts, Plan, within

if TYPE_CHECKING:
    from .columns import ColumnForm, ColumnOutcome, Columns, Env

#: how a share of the points is rounded to ``round``, in words
ROUNDING_WORDS = {"half_up": ("四舍五入", "rounded half up"), "down": ("舍去", "rounded down"),
                  "up": ("进一", "rounded up")}


class ProportionalParams(Model):
    points: Number
    indicator: Name
    unit: str
    target: Number | None = None
    parameter: Name | None = None
    #: an indicator holding the unit's own target (a target each unit is set)
    reference: Name | None = None
    #: the points are given to this step (0.01: 保留两位小数)
    round: Number
    rounding: Literal["half_up", "down", "up"] = "half_up"

    @model_validator(mode="after")
    def _check(self) -> ProportionalParams:
        if sum(x is not None for x in (self.target, self.parameter, self.reference)) != 1:
            raise ValueError("give exactly one of 'target' (a number), 'parameter' or 'reference' (an indicator)")
        if self.target is not None and self.target <= 0:
            raise ValueError("'target' must be positive")
        if self.round <= 0:
            raise ValueError("'round' must be positive (the step points are given to, such as 0.01)")
        if self.points <= 0:
            raise ValueError("'points' must be positive")
        return self


def share(points: Decimal, value: Decimal, target: Decimal, step: Decimal, rounding: str) -> Decimal:
    """``points × value ÷ target`` rounded to ``step`` exactly (the quotient as a fraction, never a
    decimal cut short), from 0 to ``points``."""
    if value >= target:
        return points
    if value <= 0:
        return ZERO
    q = Fraction(points) * Fraction(value) / (Fraction(target) * Fraction(step))
    n = {"half_up": math.floor(q + Fraction(1, 2)), "down": math.floor(q), "up": math.ceil(q)}[rounding]
    return min(points, n * step)


class Proportional(Rule[ProportionalParams]):
    """按完成比例计分: full points at the target, otherwise ``points × value ÷ target`` rounded to
    ``round`` as ``rounding`` says, never below 0."""

    kind = "proportional"
    Params = ProportionalParams

    def __init__(self, rule_id: str, params: ProportionalParams, ctx: RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        reads = [params.indicator] + ([params.reference] if params.reference else [])
        for key, name in zip(("indicator", "reference"), reads, strict=False):
            try:
                ind = ctx.indicator(name)
            except ValueError as exc:
                raise RuleError(str(exc), key) from None
            if ind.type not in ("integer", "decimal"):
                raise RuleError(f"{name!r} must be a number indicator", key)
            if ind.unit != params.unit:
                raise RuleError(f"{name!r} is in unit {ind.unit!r} but the rule is written in {params.unit!r}", key)
        if params.parameter is not None:
            if params.parameter not in ctx.parameters:
                raise RuleError(f"unknown parameter {params.parameter!r}", "parameter")
            if ctx.parameters[params.parameter].unit != params.unit:
                raise RuleError(f"parameter {params.parameter!r} is in unit "
                                f"{ctx.parameters[params.parameter].unit!r}, the rule in {params.unit!r}", "unit")
        self.max_points = params.points
        self.reads = frozenset(reads)

    score_reads_only_reads = True  # its score reads no value but those named in reads

    def target(self, values: Any, parameters: Any) -> Any:
        """The target this unit is held to: the rule's, the parameter's on the date, or its own."""
        return target_of(self.params, values, parameters)

    def score(self, inputs: Inputs) -> Outcome:
        p = self.params
        v = inputs.values[p.indicator]
        t = self.target(inputs.values, inputs.parameters)
        if isinstance(t, bool) or not isinstance(t, (int, Decimal)) or t <= 0:
            raise ValueError(f"the target must be a positive number, not {t!r}")
        got = share(p.points, Decimal(v), Decimal(t), p.round, p.rounding)
        return Outcome(got, "scored", met=v >= t, why=_Later(self._say, (v, t, got)))

    def _say(self, v: Any, t: Any, got: Decimal) -> tuple[str, str]:
        p = self.params
        lab = self.label(p.indicator)
        vz, ve = with_unit(v, p.unit)
        tz, te = with_unit(t, p.unit, noun=False)  # 7 institutions … the target 8; 90% … the target 95%
        if v >= t:
            return (f"{lab.zh} {vz}，达到目标 {tz}，{_pts_zh(got)}。",
                    f"{lab.en} {ve} reaches the target {te}: {_pts_en(got)}.")
        rz, re = ROUNDING_WORDS[p.rounding]
        step = fmt_number(p.round)
        bare = with_unit(v, p.unit, noun=False)[1]  # a sum of numbers: 2 × 7 ÷ 8, not 2 × 7 institutions ÷ 8
        return (f"{lab.zh} {vz}，未达到目标 {tz}，按比例 {fmt_number(p.points)}分 × {vz} ÷ {tz}"
                f"（按{step}分{rz}），{_pts_zh(got)}。",
                f"{lab.en} {ve} is short of the target {te}: in proportion, {fmt_number(p.points)} × {bare} ÷ {te} "
                f"({re} to {step}): {_pts_en(got)}.")

    def columns(self, cols: Columns) -> ColumnForm:
        """In fixed point: ``points × value ÷ target`` as a whole number of ``round`` steps, by integer
        division of the exact numerator by the exact denominator."""
        import numpy as np

        p = self.params
        v = cols.ec.node(ast.Name(id=p.indicator))
        t = self._target_node(p, cols)
        pa, ra = cols.decimals(p.points), cols.decimals(p.round)
        s = max(pa, ra)
        if s > cols.MAX_SCALE:
            raise cols.Unvectorizable(f"more than {cols.MAX_SCALE} decimals")
        vfn, tfn = cols.numeric(v), cols.numeric(t)
        # steps = (P·10^pa)(v·10^vs)·10^(ts+ra) ÷ ((T·10^ts)(r·10^ra)·10^(pa+vs))
        up = cols.to_scaled(p.points, pa) * 10 ** (t.scale + ra)
        down = cols.to_scaled(p.round, ra) * 10 ** (pa + v.scale)
        step = cols.to_scaled(p.round, ra) * 10 ** (s - ra)
        full_pts = cols.to_scaled(p.points, s)
        k = cols.factor(s)
        reached = cols.truth_of(cols.compare(ast.GtE, v, t))
        full, check, RuleOut, scored, rounding = cols.full, cols.check, cols.RuleOut, cols.S_SCORED, p.rounding

        def proportional(env: Env) -> ColumnOutcome:
            vi, vb = vfn(env)
            ti, tb = tfn(env)
            ti = full(ti, env.n, np.int64)
            if not (ti > 0).all():  # a target of 0 or below: those rows say so through score
                raise cols.Unvectorizable("a target of 0 or below")
            check(2 * vb * up + tb * down)
            check(2 * tb * down)
            num = np.maximum(full(vi, env.n, np.int64), 0) * up
            den = ti * down
            steps = {"half_up": (2 * num + den) // (2 * den), "down": num // den, "up": -(-num // den)}[rounding]
            ok = full(reached(env), env.n, bool)
            pts = np.where(ok, full_pts, np.minimum(steps * step, full_pts)) * k
            return RuleOut(pts.astype(np.int64), None, scored, ok.view(np.int8))
        return proportional, s

    @staticmethod
    def _target_node(p: ProportionalParams, cols: Columns) -> Any:
        """The target's column (:func:`target_column`); a constant one must be positive."""
        t = target_column(p, cols)
        if t.const and t.value <= 0:
            raise cols.Unvectorizable(f"the target {t.value!r} is not a positive number on this date")
        return t

    def points_bounds(self) -> tuple[Decimal, Decimal] | None:
        return (ZERO, self.params.points)

    def recovery(self, facts: Facts) -> list[Plan]:
        """The indicator raised to the target: the full points."""
        p = self.params
        before = facts.values.get(p.indicator)
        try:
            goal = self.target(facts.values, facts.params)
        except KeyError:
            return []
        ind = facts.indicators[p.indicator]
        if before is None or not isinstance(goal, Decimal) or before >= goal:
            return []
        v = goal if ind.type == "decimal" else goal.to_integral_value(rounding=ROUND_CEILING)
        if not within(ind, v):
            return []
        return [Plan({p.indicator: v}, {p.indicator: (">=", goal, None)})]

    def describe(self) -> tuple[str, str]:
        p = self.params
        d = Drafting(self)
        lz, le = d.label(p.indicator)
        if p.target is not None:
            tz, te = with_unit(p.target, p.unit)
        elif p.parameter is not None:
            tz, te = d.param(p.parameter)
        else:
            tz, te = d.label(p.reference or "")
            tz, te = f"本单位的{tz}", f"the unit's own {te}"
        pz, pe = points(p.points)
        rz, re = ROUNDING_WORDS[p.rounding]
        step = fmt_number(p.round)
        return (f"{lz}达到{tz}得{pz}；未达到的按完成比例计分（{pz} × 实际值 ÷ {tz}，按{step}分{rz}）。",
                f"{pe} when {le} reaches {te}; otherwise in proportion ({pe} × value ÷ {te}, {re} to {step}).")
