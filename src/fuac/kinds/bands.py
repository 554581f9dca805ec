"""``bands``: points by the first band an indicator reaches."""

from __future__ import annotations

import ast
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..language.comparators import COMPARATORS
from ..language.models import Comparator, Model, Name, Number
from ..language.words import _pts_en, _pts_zh, with_unit
from .base import Inputs, Outcome, Rule, RuleContext, RuleError, _Later
from .drafting import Drafting, points
from .recovery import Facts, Plan, resolution, satisfy

if TYPE_CHECKING:
    from .columns import ColumnForm, ColumnOutcome, Columns, Env


class Band(Model):
    comparator: Comparator
    threshold: Number
    points: Number


class BandsParams(Model):
    indicator: Name
    unit: str
    bands: list[Band]
    otherwise: Number


class Bands(Rule[BandsParams]):
    """Banded scoring: the first band whose test holds gives its points; else ``otherwise``."""

    kind = "bands"
    Params = BandsParams

    def __init__(self, rule_id: str, params: BandsParams, ctx: RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        try:
            ind = ctx.indicator(params.indicator)
        except ValueError as exc:
            raise RuleError(str(exc), "indicator") from None
        if ind.unit != params.unit:
            raise RuleError(f"{params.indicator!r} is in {ind.unit!r}, the bands in {params.unit!r}", "unit")
        if not params.bands:
            raise ValueError("'bands' needs at least one band")
        self.max_points = max([b.points for b in params.bands] + [params.otherwise])
        self.reads = frozenset([params.indicator])

    score_reads_only_reads = True  # its score reads no value but those named in reads

    def score(self, inputs: Inputs) -> Outcome:
        p = self.params
        v = inputs.values[p.indicator]
        for b in p.bands:
            if COMPARATORS[b.comparator].apply(v, b.threshold):
                return Outcome(b.points, "scored", met=b.points == self.max_points, why=_Later(self._say, (v, b)))
        return Outcome(p.otherwise, "scored", met=p.otherwise == self.max_points, why=_Later(self._say, (v, None)))

    def _say(self, v: Any, b: Band | None) -> tuple[str, str]:
        p = self.params
        lab = self.label(p.indicator)
        vz, ve = with_unit(v, p.unit)
        if b is None:
            return (
                f"{lab.zh} {vz}，未进入任何档次，{_pts_zh(p.otherwise)}。",
                f"{lab.en} {ve} is in no band: {_pts_en(p.otherwise)}.",
            )
        tz, _ = with_unit(b.threshold, p.unit)
        _, te = with_unit(b.threshold, p.unit, noun=False)  # 7 institutions ≥ 5, not ≥ 5 institutions
        cz = ce = COMPARATORS[b.comparator].symbol
        return f"{lab.zh} {vz} {cz} {tz}，{_pts_zh(b.points)}。", f"{lab.en} {ve} {ce} {te}: {_pts_en(b.points)}."

    def columns(self, cols: Columns) -> ColumnForm:
        """The points of the first band the indicator reaches, else ``otherwise``."""
        import numpy as np

        p = self.params
        v = cols.ec.node(ast.Name(id=p.indicator))
        s = max([cols.decimals(p.otherwise), *(cols.decimals(b.points) for b in p.bands)])
        k = cols.factor(s)
        tests = [cols.truth_of(cols.compare(COMPARATORS[b.comparator].node, v, cols.const(b.threshold)))
                 for b in p.bands]
        pts = [cols.to_scaled(b.points, s) * k for b in p.bands]
        mets = [int(b.points == self.max_points) for b in p.bands]
        other = cols.to_scaled(p.otherwise, s) * k
        other_met = int(p.otherwise == self.max_points)
        full, RuleOut, scored = cols.full, cols.RuleOut, cols.S_SCORED

        def bands(env: Env) -> ColumnOutcome:
            conds = [full(t(env), env.n, bool) for t in tests]
            points = np.select(conds, pts, other).astype(np.int64)
            met = np.select(conds, mets, other_met).astype(np.int8)
            return RuleOut(points, None, scored, met)
        return bands, s

    def points_bounds(self) -> tuple[Decimal, Decimal] | None:
        p = self.params
        vals = [b.points for b in p.bands] + [p.otherwise]
        return (min(vals), max(vals))

    def recovery(self, facts: Facts) -> list[Plan]:
        """The indicator moved to each better band's threshold, the best band first."""
        p = self.params
        ind = facts.indicators[p.indicator]
        before = facts.values.get(p.indicator)
        if before is None:
            return []
        plans = []
        for b in sorted(p.bands, key=lambda b: b.points, reverse=True):
            res = resolution(ind, before, b.threshold)
            v = satisfy(b.comparator, b.threshold, ind, before, res)
            if v is not None and v != before:
                plans.append(Plan({p.indicator: v}, {p.indicator: (b.comparator, b.threshold, None)}))
        return plans

    def describe(self) -> tuple[str, str]:
        p = self.params
        lz, le = Drafting(self).label(p.indicator)
        zh, en = [], []
        for b in p.bands:
            sym = COMPARATORS[b.comparator].symbol
            vz, ve = with_unit(b.threshold, p.unit)
            bz, be = points(b.points)
            zh.append(f"{sym} {vz} 得{bz}")
            en.append(f"{sym} {ve}: {be}")
        oz, oe = points(p.otherwise)
        return (
            f"按{lz}分档（取第一个满足的档次）：{'；'.join(zh)}；其余得{oz}。",
            f"Banded on {le} (the first band that holds): {'; '.join(en)}; otherwise {oe}.",
        )
