"""``shortfall``: points minus a cost for each step an indicator falls short of its target."""

from __future__ import annotations

import ast
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

from pydantic import model_validator

from ..language.comparators import COMPARATORS
from ..language.models import Comparator, Floor, Model, Name, Number, Partial
from ..language.words import (
    FLOOR_WORDS,
    PARTIAL_WORDS,
    _pts_en,
    _pts_zh,
    en_count,
    fmt_number,
    fmt_points,
    gap_with_unit,
    with_unit,
)
from .base import ZERO, Inputs, Outcome, Rule, RuleContext, RuleError, _Later, target_column, target_of
from .drafting import Drafting, number, points
from .recovery import COUNT_UNITS, Facts, Plan, resolution, within

if TYPE_CHECKING:
    from .columns import ColumnForm, ColumnOutcome, Columns, Env

# ---------------------------------------------------------------------------
# 4: per-step shortfall below (or excess above) a threshold


class ShortfallParams(Model):
    points: Number
    indicators: list[Name]
    comparator: Comparator
    target: Number | None = None
    parameter: Name | None = None
    #: an indicator (or derived value) holding the unit's own target
    reference: Name | None = None
    unit: str
    step: Number
    cost: Number
    partial: Partial
    floor: Floor

    @model_validator(mode="after")
    def _check(self) -> ShortfallParams:
        if sum(x is not None for x in (self.target, self.parameter, self.reference)) != 1:
            raise ValueError("give exactly one of 'target' (a number), 'parameter' or 'reference' (an indicator)")
        if self.comparator in ("==", "!="):
            raise ValueError("a shortfall needs a direction: comparator must be one of >=, >, <=, <")
        if self.step <= 0:
            raise ValueError("'step' must be positive")
        return self


class Shortfall(Rule[ShortfallParams]):
    """每低1个百分点扣0.5分: full points when the target is met, a cost per step short of it.

    ``comparator`` says when an indicator meets the target (``>=``: at or above).
    For ``>=``/``>`` the gap is ``target - value``; for ``<=``/``<`` it is
    ``value - target``. Steps are ``gap / step`` rounded as ``partial`` says:
    ``floor`` (a partial step costs nothing), ``ceil`` (a started step costs a full
    one) or ``prorata``. With several indicators, each one's steps are charged.
    """

    kind = "shortfall"
    Params = ShortfallParams

    def __init__(self, rule_id: str, params: ShortfallParams, ctx: RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        if not params.indicators:
            raise ValueError("'indicators' needs at least one indicator")
        for i, name in enumerate(params.indicators):
            try:
                ind = ctx.indicator(name)
            except ValueError as exc:
                raise RuleError(str(exc), "indicators", i) from None
            if ind.type not in ("integer", "decimal"):
                raise RuleError(f"{name!r} must be a number indicator", "indicators", i)
            if ind.unit != params.unit:
                raise RuleError(
                    f"{name!r} is in unit {ind.unit!r} but the target is written in {params.unit!r}", "unit"
                )
        if params.parameter is not None:
            if params.parameter not in ctx.parameters:
                raise RuleError(f"unknown parameter {params.parameter!r}", "parameter")
            punit = ctx.parameters[params.parameter].unit
            if punit != params.unit:
                raise RuleError(
                    f"parameter {params.parameter!r} is in unit {punit!r} but the target is written in {params.unit!r}",
                    "parameter",
                )
        if params.reference is not None:
            try:
                ref = ctx.indicator(params.reference)
            except ValueError as exc:
                raise RuleError(str(exc), "reference") from None
            if ref.type not in ("integer", "decimal") or ref.unit != params.unit:
                raise RuleError(f"{params.reference!r} must be a number indicator in {params.unit!r}", "reference")
        self.max_points = params.points
        self.floor = params.floor
        self.reads = frozenset([*params.indicators, *([params.reference] if params.reference else [])])
        self.cmp = COMPARATORS[params.comparator].apply
        #: the dated parameter that holds the target, when the rule file names one instead of a number
        self.parameter = params.parameter or ""

    def steps(self, gap: Decimal) -> Decimal:
        p = self.params
        raw = gap / p.step
        if p.partial == "floor":
            return raw.to_integral_value(rounding=ROUND_FLOOR)
        if p.partial == "ceil":
            return raw.to_integral_value(rounding=ROUND_CEILING)
        return raw

    score_reads_only_reads = True  # its score reads no value but those named in reads

    def target(self, values: Any, parameters: Any) -> Any:
        """The target this unit is held to: the rule's, the parameter's on the date, or its own."""
        return target_of(self.params, values, parameters)

    def score(self, inputs: Inputs) -> Outcome:
        p = self.params
        target = self.target(inputs.values, inputs.parameters)
        below = COMPARATORS[p.comparator].lower_bound
        values = inputs.values
        taken = ZERO
        all_met = True
        seen: list[tuple[str, Any, Any]] = []  # (name, value, None | (gap, steps, cost))
        for name in p.indicators:
            v = values[name]
            if self.cmp(v, target):
                seen.append((name, v, None))
                continue
            all_met = False
            gap = max((target - v) if below else (v - target), ZERO)
            n = self.steps(gap)
            cost = n * p.cost
            taken += cost
            seen.append((name, v, (gap, n, cost)))
        raw = p.points - taken
        got = self.floored(raw)
        return Outcome(
            got,
            "scored",
            met=all_met,
            details={"deducted": taken, "raw": raw},
            why=_Later(self._say, (seen, target, raw, got)),
        )

    def _say(self, seen: list[tuple[str, Any, Any]], target: Decimal, raw: Decimal, got: Decimal) -> tuple[str, str]:
        p = self.params
        below = COMPARATORS[p.comparator].lower_bound
        tz, _ = with_unit(target, p.unit)
        _, te = with_unit(target, p.unit, noun=False)  # 1 institution below 8; 2.6 percentage points below 95%
        cz = ce = COMPARATORS[p.comparator].symbol
        zh_parts, en_parts = [], []
        for name, v, short in seen:
            lab = self.label(name)
            vz, ve = with_unit(v, p.unit)
            if short is None:
                zh_parts.append(f"{lab.zh} {vz} {cz} {tz}")
                en_parts.append(f"{lab.en} {ve} {ce} {te}")
                continue
            gap, n, cost = short
            gz, ge = gap_with_unit(gap, p.unit)
            dir_zh = "低" if below else "高"
            dir_en = "below" if below else "above"
            zh_parts.append(f"{lab.zh} {vz}，{dir_zh}于 {tz} {gz}，计{fmt_number(n)}档，扣{fmt_points(cost)}分")
            en_parts.append(f"{lab.en} {ve}, {ge} {dir_en} {te}: {en_count(n, 'step')}, {fmt_points(cost)} taken")
        floor_zh = "，扣完为止" if got != raw else ""
        floor_en = " (down to zero)" if got != raw else ""
        return (
            f"{'；'.join(zh_parts)}{floor_zh}，{_pts_zh(got)}。",
            f"{'; '.join(en_parts)}{floor_en}: {_pts_en(got)}.",
        )

    def columns(self, cols: Columns) -> ColumnForm:
        """Full points less the cost of each indicator's steps short of the target (in fixed point:
        prorata steps only when the step divides a power of ten)."""
        import numpy as np

        p = self.params
        tnode = target_column(p, cols)
        max_scale = cols.MAX_SCALE
        below = COMPARATORS[p.comparator].lower_bound
        cmp = COMPARATORS[p.comparator].apply
        vals = [cols.ec.node(ast.Name(id=name)) for name in p.indicators]
        gs = max([tnode.scale, cols.decimals(p.step), *(v.scale for v in vals)])  # scale of the gaps
        if gs > max_scale:
            raise cols.Unvectorizable(f"more than {max_scale} decimals")
        step = cols.to_scaled(p.step, gs)
        fs = [cols.numeric(v, gs) for v in vals]
        cost_s = cols.decimals(p.cost)
        if p.partial == "prorata":
            # gap / step is a finite decimal when step (a whole number at scale gs) divides a power of ten
            t = 0
            while (10**t) % step and t <= max_scale:
                t += 1
            if (10**t) % step:
                raise cols.Unvectorizable(f"prorata steps of {p.step}: the quotient is not a finite decimal")
            mult, steps_scale = 10**t // step, t
        else:
            mult, steps_scale = 1, 0
        s = max(cols.decimals(p.points), steps_scale + cost_s)
        if s > max_scale:
            raise cols.Unvectorizable(f"more than {max_scale} decimals")
        tfn = cols.numeric(tnode, gs)
        cost = cols.to_scaled(p.cost, cost_s) * 10 ** (s - steps_scale - cost_s)
        pts = cols.to_scaled(p.points, s)
        k = cols.factor(s)
        floors = self.floors_itself
        partial = p.partial
        full, check, RuleOut, scored = cols.full, cols.check, cols.RuleOut, cols.S_SCORED

        def shortfall(env: Env) -> ColumnOutcome:
            taken: Any = 0
            met: Any = True
            bt = 0
            tgt, btg = tfn(env)
            for f in fs:
                v, bv = f(env)
                ok = cmp(v, tgt)
                gap = np.maximum((tgt - v) if below else (v - tgt), 0)
                bg = check(bv + btg)
                if partial == "floor":
                    n, bn = gap // step, bg // step + 1
                elif partial == "ceil":
                    n, bn = -((-gap) // step), bg // step + 1
                else:
                    n, bn = gap * mult, check(bg * mult)
                bt = check(bt + check(bn * abs(cost)))
                taken = taken + np.where(ok, 0, n * cost)
                met = met & ok
            check((abs(pts) + bt) * k)
            raw = pts - full(taken, env.n, np.int64)
            got = np.maximum(raw, 0) if floors else raw
            return RuleOut(got * k if k != 1 else got, None, scored, full(met, env.n, np.int8))
        return shortfall, s

    def points_bounds(self) -> tuple[Decimal, Decimal] | None:
        """From 0 (where the rule floors itself) to full points (when its cost is not negative)."""
        p = self.params
        return self.deducted_bounds(p.points, p.cost >= 0)

    def recovery(self, facts: Facts) -> list[Plan]:
        """Each indicator short of the target moved to it (``partial = "floor"``: to the smallest value
        less than one step short), with the points per step."""
        p = self.params
        try:
            target = self.target(facts.values, facts.params)
        except (KeyError, ValueError):  # the unit's own target not given, or no parameter on the date
            return []
        if target is None:
            return []
        below = COMPARATORS[p.comparator].lower_bound
        out = Plan({})
        inds = facts.indicators
        for name in p.indicators:
            v = facts.values.get(name)
            if v is None:
                return []
            gap = (target - v) if below else (v - target)
            if gap <= 0 or self.steps(gap) == 0:
                continue
            ind = inds[name]
            res = resolution(ind, v, target, p.step)
            if p.partial == "floor":
                # a partial step costs nothing: any value less than one step short will do
                new = target - p.step + res if below else target + p.step - res
            else:
                new = Decimal(target)
            if ind.type == "integer":
                new = new.to_integral_value(ROUND_CEILING if below else ROUND_FLOOR)
            if not within(ind, new):
                return []
            # no goal note: the points follow the gap, not the comparison (a value less than one
            # step short, or exactly at a strict target, loses nothing though the test fails)
            out.values[name] = new
        if not out.values:
            return []
        sz, se = gap_with_unit(p.step, p.unit)
        counted = p.unit in COUNT_UNITS
        word_zh = ("增加" if below else "减少") if counted else ("提高" if below else "降低")
        whole = all(inds[n].type == "integer" for n in p.indicators) and p.step == p.step.to_integral_value()
        tz, te = with_unit(target, p.unit)
        note = p.partial == "floor" and not whole
        out.rate_zh = f"每{word_zh}{sz} +{fmt_number(p.cost)}分" + (f"，距{tz}不足一档不计" if note else "")
        each = f"{se.strip()} {'more' if below else 'less'}"
        if counted and p.step == 1:
            each = "one more" if below else "one fewer"
        out.rate_en = f"+{fmt_number(p.cost)} for each {each}" + (
            f"; less than one step short of {te.strip()} counts nothing" if note else "")
        return [out]

    def describe(self) -> tuple[str, str]:
        p = self.params
        d = Drafting(self)
        names_z = "、".join(d.label(n)[0] for n in p.indicators)
        names_e = ", ".join(d.label(n)[1] for n in p.indicators)
        cmp = COMPARATORS[p.comparator]
        sym, en_word = cmp.symbol, cmp.drafting[1]
        if p.target is not None:
            tz, te = with_unit(p.target, p.unit)
        elif p.reference is not None:
            tz, te = d.label(p.reference)
            tz, te = f"本单位的{tz}", f"the unit's own {te}"
        else:
            tz, te = d.param(self.parameter)
        sz, se = with_unit(p.step, p.unit)
        dz, de = ("低", "short of") if cmp.lower_bound else ("高", "beyond")
        pz, pe = PARTIAL_WORDS[p.partial]
        fz, fe = FLOOR_WORDS[p.floor]
        each_z = "（每项指标分别计算）" if len(p.indicators) > 1 else ""
        each_e = " (each indicator is charged on its own)" if len(p.indicators) > 1 else ""
        which = f"each of {names_e}" if len(p.indicators) > 1 else names_e
        gz, ge = points(p.points)
        return (
            f"{names_z} {sym} {tz} 得{gz}；每{dz}{sz}扣{number(p.cost)}分{each_z}；{pz}；{fz}。",
            f"{ge} when {which} is {en_word} {te}; {number(p.cost)} taken per {se} {de} it{each_e}; "
            f"{pe}; {fe}.",
        )
