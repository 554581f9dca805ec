"""A rule kind's column form (``Rule.columns``, described by ``fuac.kinds.columns.Columns``) lives
beside its ``score``: the batch compiles a kind by asking it, and never compiles a kind with
columns that do not go with its score.

- a plugin kind that subclasses a built-in kind and scores differently is handed back to the
  single-unit path, with its reason, and agrees with ``fuac.evaluate``;
- a subclass that keeps its parent's score keeps its parent's columns (compiled);
- a plugin kind that writes its own columns through the Protocol is compiled and agrees with
  ``fuac.evaluate`` at and around its thresholds.
"""

from __future__ import annotations

import ast
import datetime as dt
from decimal import Decimal
from typing import Any

import fuac
from fuac.kinds import AllOrNothing
from fuac.kinds.base import ZERO
from test_plugins import plugin
from test_vector import ONE_RULE

ON = "2023-10-01"

def load(kind: type[fuac.Rule], rule: str) -> fuac.RuleSet:
    eng = fuac.Engine(plugins=[plugin(f"{kind.kind}_pkg", fuac_rule_kinds=[kind])], load_entry_points=False)
    return eng.load_text(ONE_RULE.format(rule=rule), name=f"{kind.kind}.toml")


def agrees_with_one_unit(rs: fuac.RuleSet, recs: list[dict[str, Any]]) -> fuac.BatchResults:
    """The batch (vector) gives, unit by unit, what ``fuac.evaluate`` gives, and what the python backend gives."""
    res = fuac.evaluate_many(rs, recs, on=ON)
    assert res.backend == "vector"
    py = fuac.evaluate_many(rs, recs, on=ON, backend="python")
    for i, rec in enumerate(recs):
        ev = fuac.evaluate(rs, rec, on=dt.date.fromisoformat(ON))
        it = ev.item("1")
        for batch in (res, py):
            assert batch.column("item.1", exact=True)[i] == it.points
            assert batch.column("item.1.status")[i] == it.status
            assert batch.column("item.1.met")[i] == it.met
            assert batch.column("total_exact", exact=True)[i] == ev.total
            assert batch.evaluation(i).to_dict() == ev.to_dict()
    return res


# ---------------------------------------------------------------------------
# a subclass that scores differently from the columns it would inherit


class HalfPoints(AllOrNothing):
    """All or nothing, at half the points: scores differently from AllOrNothing's columns."""

    kind = "half_points"

    def score(self, inputs: fuac.Inputs) -> fuac.Outcome:
        out = super().score(inputs)
        if out.points:
            out.points = out.points / 2
        return out


class SameScore(AllOrNothing):
    """All or nothing under another name: its score is AllOrNothing's, and so are its columns."""

    kind = "same_score"


XS = [0.5, 1, 1.01, 2]


def test_a_subclass_that_scores_differently_is_handed_back() -> None:
    rs = load(HalfPoints, 'kind = "half_points"\npoints = 1\ncondition = "x > 1"')
    # x > 1 holds for 1.01 and 2: half of 1 point; 0.5 and 1: 0; no x: cannot be scored
    recs = [{"x": x} for x in XS] + [{}]
    res = agrees_with_one_unit(rs, recs)
    report = res.backend_report
    assert report["compiled"] == []
    assert report["fallback"] == {
        "1": "rule kind 'half_points' (HalfPoints) scores differently from the columns it inherits (AllOrNothing)"}
    assert report["points_dtype"] == "int64"  # its points_bounds are not inherited either: unknown
    assert res.column("item.1", exact=True).tolist() == [0, 0, Decimal("0.5"), Decimal("0.5"), None]
    assert res.column("item.1.status").tolist() == ["scored"] * 4 + ["missing_input"]


def test_a_subclass_that_keeps_its_parents_score_keeps_its_columns() -> None:
    rs = load(SameScore, 'kind = "same_score"\npoints = 1\ncondition = "x > 1"')
    recs = [{"x": x} for x in XS] + [{}]
    res = agrees_with_one_unit(rs, recs)
    report = res.backend_report
    assert report["compiled"] == ["1"] and report["fallback"] == {}
    assert report["points_dtype"] == "int32"  # AllOrNothing's bounds: 0..1
    assert res.column("item.1", exact=True).tolist() == [0, 0, 1, 1, None]


# ---------------------------------------------------------------------------
# a plugin kind with a column form of its own


class NearMissParams(fuac.Model):
    indicator: str
    threshold: Decimal
    near: Decimal
    points: Decimal


class NearMiss(fuac.Rule):
    """Full points at or above the threshold, half of them within ``near`` below it, else 0;
    met at or above the threshold."""

    kind = "near_miss"
    Params = NearMissParams

    def __init__(self, rule_id: str, params: Any, ctx: Any) -> None:
        super().__init__(rule_id, params, ctx)
        ctx.indicator(params.indicator)
        self.max_points = params.points
        self.reads = frozenset([params.indicator])

    def score(self, inputs: fuac.Inputs) -> fuac.Outcome:
        p: Any = self.params
        x = inputs.values[p.indicator]
        if x >= p.threshold:
            got, ok = p.points, True
        elif x >= p.threshold - p.near:
            got, ok = p.points / 2, False
        else:
            got, ok = ZERO, False
        return fuac.Outcome(got, "scored", f"得{got}分。", f"{got} points.", met=ok)

    def columns(self, cols: Any) -> Any:
        import numpy as np

        p: Any = self.params
        half = p.points / 2
        s = max(cols.decimals(p.points), cols.decimals(half))
        k = cols.factor(s)
        hi, mid = cols.to_scaled(p.points, s) * k, cols.to_scaled(half, s) * k
        x = cols.ec.node(ast.Name(id=p.indicator))
        reached = cols.truth_of(cols.compare(ast.GtE, x, cols.const(p.threshold)))
        near = cols.truth_of(cols.compare(ast.GtE, x, cols.const(p.threshold - p.near)))
        full, RuleOut, scored = cols.full, cols.RuleOut, cols.S_SCORED

        def near_miss(env: Any) -> Any:
            a, b = full(reached(env), env.n, bool), full(near(env), env.n, bool)
            return RuleOut(np.where(a, hi, np.where(b, mid, 0)).astype(np.int64), None, scored, a.view(np.int8))
        return near_miss, s

    def points_bounds(self) -> tuple[Decimal, Decimal] | None:
        return (ZERO, self.params.points)  # type: ignore[attr-defined]


def test_a_plugin_kind_with_its_own_columns_is_compiled() -> None:
    rs = load(NearMiss, 'kind = "near_miss"\nindicator = "x"\nthreshold = 2\nnear = 0.5\npoints = 1')
    # threshold 2, near 0.5, 1 point: x ≥ 2 → 1 (met); 1.5 ≤ x < 2 → 0.5; x < 1.5 → 0
    #   1.4 → 0   1.5 → 0.5   1.75 → 0.5   1.9999 → 0.5   2 → 1   2.0001 → 1   3 → 1   no x → None
    xs: list[Any] = [1.4, 1.5, 1.75, Decimal("1.9999"), 2, Decimal("2.0001"), 3]
    recs: list[dict[str, Any]] = [{"x": x} for x in xs] + [{}]
    res = agrees_with_one_unit(rs, recs)
    report = res.backend_report
    assert report["compiled"] == ["1"] and report["fallback"] == {}
    assert report["rows_single_unit"] == 0
    assert report["points_dtype"] == "int32"  # its own bounds: 0..1
    half = Decimal("0.5")
    assert res.column("item.1", exact=True).tolist() == [0, half, half, half, 1, 1, 1, None]
    assert res.column("item.1.met").tolist() == [False, False, False, False, True, True, True, None]
    assert res.column("item.1.status").tolist() == ["scored"] * 7 + ["missing_input"]


class Always(fuac.Rule):
    """1 point, met, whatever the unit: a column form may give one ``met`` for every row (a scalar)."""

    kind = "always"

    class Params(fuac.Model):
        pass

    def __init__(self, rule_id: str, params: Any, ctx: Any) -> None:
        super().__init__(rule_id, params, ctx)
        self.max_points = Decimal(1)
        self.reads = frozenset({"x"})

    def score(self, inputs: fuac.Inputs) -> fuac.Outcome:
        return fuac.Outcome(Decimal(1), "scored", "得1分。", "1 point.", met=True)

    def columns(self, cols: Any) -> Any:
        import numpy as np

        k = cols.factor(0)
        return (lambda env: cols.RuleOut(np.full(env.n, k, np.int64), None, cols.S_SCORED, 1)), 0

    def points_bounds(self) -> tuple[Decimal, Decimal] | None:
        return (ZERO, Decimal(1))


def test_parts_whose_column_forms_give_one_met_for_every_row() -> None:
    # an item of two such parts (1 point each, both met) is met and gets 2; without x neither part can
    # be scored: the item (it has a maximum) gets 0 of it, missing input, met unknown
    text = ONE_RULE.replace("total = 1\n", "total = 2\n").replace("max = 1\n", "max = 2\n").format(
        rule='[[sections.items.parts]]\nid = "a"\nkind = "always"\n[[sections.items.parts]]\nid = "b"\nkind = "always"')
    rs = fuac.Engine(plugins=[plugin("always_pkg", fuac_rule_kinds=[Always])], load_entry_points=False).load_text(
        text, name="always.toml")
    recs: list[dict[str, Any]] = [{"x": 1}, {"x": 2}, {}]
    res = fuac.evaluate_many(rs, recs, on=ON)
    assert res.backend_report["compiled"] == ["1.a", "1.b"] and res.backend_report["rows_single_unit"] == 0
    assert res.column("item.1.met").tolist() == [True, True, None]
    assert res.column("item.1", exact=True).tolist() == [2, 2, 0]
    assert [fuac.evaluate(rs, r, on=dt.date.fromisoformat(ON)).item("1").met for r in recs] == [True, True, None]
    # a chunk where no row is blocked keeps each part's one met for every row
    whole = fuac.evaluate_many(rs, recs[:2], on=ON)
    assert whole.column("item.1.met").tolist() == [True, True]
