"""All or nothing: the points when a condition holds (``all_or_nothing``), an indicator reaches a
threshold (``threshold``) or compares with a reference value (``versus_reference``)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from pydantic import model_validator

from ..language.explaining import plain
from ..language.models import Comparator, Model, Name, Number, Text
from ..language.words import _pts, _pts_en, _pts_zh
from .base import ZERO, Inputs, Outcome, Rule, RuleContext, RuleError, Test, _Later, _prepare_tests
from .drafting import Drafting, points
from .recovery import Facts, Plan, condition_plan, tests_plan

if TYPE_CHECKING:
    from .columns import ColumnForm, ColumnOutcome, Columns, Env

# ---------------------------------------------------------------------------
# 1, 6, 7: all or nothing, thresholds, comparison with a reference value


class AllOrNothingParams(Model):
    points: Number
    condition: str | None = None
    tests: list[Test] | None = None
    label: Text | None = None

    @model_validator(mode="after")
    def _one(self) -> AllOrNothingParams:
        if (self.condition is None) == (self.tests is None):
            raise ValueError("give exactly one of 'condition' (an expression) or 'tests'")
        return self


#: the parameters of a kind scored as all or nothing (its own ``Params``)
AP = TypeVar("AP", bound=Model)


class AllOrNothing(Rule[AP]):
    """有…得N分，否则不得分: full points when the condition holds, else none.

    Kinds that are all or nothing under another name (``threshold``, ``versus_reference``)
    subclass it with their own parameters and hand it the condition they mean (``inner``).
    """

    kind = "all_or_nothing"
    Params: ClassVar[type[Model]] = AllOrNothingParams
    #: False for kinds that build their one test from their own keys
    tests_listed: ClassVar[bool] = True

    def __init__(self, rule_id: str, params: AP, ctx: RuleContext, inner: AllOrNothingParams | None = None) -> None:
        super().__init__(rule_id, params, ctx)
        own = inner if inner is not None else cast(AllOrNothingParams, params)
        self.max_points = own.points
        self.condition_label = own.label
        self.expr = ctx.expression(own.condition) if own.condition else None
        self.tests = _prepare_tests(own.tests, ctx, listed=self.tests_listed) if own.tests else []
        reads: set[str] = set()
        if self.expr:
            reads |= self.names_of(self.expr)
        for t in self.tests:
            reads |= t.reads
        self.reads = frozenset(reads)

    score_reads_only_reads = True  # its score reads no value but those named in reads

    @property
    def lazy(self) -> bool:
        """A condition reads only what its branches need (``no_cases or rate >= 95``); tests read all."""
        return self.expr is not None and type(self).score is AllOrNothing.score

    def score(self, inputs: Inputs) -> Outcome:
        pts = self.max_points or ZERO
        if self.expr is not None:
            ok = bool(inputs.eval(self.expr))
            read = {n: inputs.values[n] for n in self.reads if n in inputs.values}
            return Outcome(pts if ok else ZERO, "scored", met=ok,
                           why=_Later(self._say_condition, (ok, pts if ok else ZERO, read)))
        if len(self.tests) == 1:  # thresholds and comparisons with a reference
            c = self.tests[0].check(inputs)
            ok, checks = c[0], [c]
        else:
            checks = [t.check(inputs) for t in self.tests]
            ok = all(c[0] for c in checks)
        got = pts if ok else ZERO
        return Outcome(got, "scored", met=ok, why=_Later(self._say_tests, (checks, got)))

    def _say_condition(self, ok: bool, got: Decimal, read: dict[str, Any]) -> tuple[str, str]:
        """The condition with the values read ("满意度 84% ≥ 85%"), whether it holds, the points."""
        assert self.expr is not None
        zh, en = self.explained(self.expr, read)
        lab = self.condition_label
        if lab is not None:
            zh, en = f"{lab.zh}：{zh}", f"{lab.en}: {en}"
        if plain(self.expr.tree):  # one yes/no value: it says whether the condition holds
            return f"{zh}，{_pts_zh(got)}。", f"{en}, {_pts_en(got)}."
        return (
            f"{zh}，{'成立' if ok else '不成立'}，{_pts_zh(got)}。",
            f"{en}: {'holds' if ok else 'does not hold'}, {_pts_en(got)}.",
        )

    def _say_tests(self, checks: list[tuple[bool, Any, Any]], got: Decimal) -> tuple[str, str]:
        if len(checks) == 1:
            zh, en = self.tests[0].say(*checks[0])
        else:
            said = [t.say(*c) for t, c in zip(self.tests, checks, strict=True)]
            zh = "，".join([z for z, _ in said])
            en = "; ".join([e for _, e in said])
        pz, pe = _pts(got)
        return f"{zh}，{pz}。", f"{en}: {pe}."

    def columns(self, cols: Columns) -> ColumnForm:
        """Full points where the condition (every test) holds, else 0."""
        import numpy as np

        pts = self.max_points or ZERO
        s = cols.decimals(pts)
        ip = cols.to_scaled(pts, s) * cols.factor(s)
        ok = cols.condition(self)
        full, RuleOut, scored = cols.full, cols.RuleOut, cols.S_SCORED

        def aon(env: Env) -> ColumnOutcome:
            t_ = full(ok(env), env.n, bool)
            return RuleOut(t_ * ip if ip else np.zeros(env.n, np.int64), None, scored, t_.view(np.int8))
        return aon, s

    def points_bounds(self) -> tuple[Decimal, Decimal] | None:
        m = self.max_points or ZERO
        return (min(ZERO, m), max(ZERO, m))

    def recovery(self, facts: Facts) -> list[Plan]:
        """Each failing test made to hold; or the fewest changes that make the condition hold."""
        plan = tests_plan(self.tests, facts) if self.tests else condition_plan(self.expr, True, facts)
        return [plan] if plan is not None else []

    def describe(self) -> tuple[str, str]:
        p = cast(AllOrNothingParams, self.params)
        cz, ce = Drafting(self).condition(p.condition, p.tests)
        pz, pe = points(p.points)
        return f"{cz}得{pz}，否则不得分。", f"{pe} when {ce}; otherwise 0."


class ThresholdParams(Model):
    points: Number
    indicator: Name
    comparator: Comparator
    threshold: Decimal | bool | str | None = None
    parameter: Name | None = None
    unit: str | None = None


class Threshold(AllOrNothing[ThresholdParams]):
    """控制在16.5/10万以下得2分: one indicator against a threshold, with an explicit comparator."""

    kind = "threshold"
    Params = ThresholdParams
    tests_listed = False

    def __init__(self, rule_id: str, params: ThresholdParams, ctx: RuleContext) -> None:
        if (params.threshold is None) == (params.parameter is None):
            raise RuleError("give exactly one of 'threshold' or 'parameter'", "threshold")
        inner = AllOrNothingParams(
            points=params.points,
            tests=[
                Test(
                    indicator=params.indicator,
                    comparator=params.comparator,
                    threshold=params.threshold,
                    parameter=params.parameter,
                    unit=params.unit,
                )
            ],
        )
        super().__init__(rule_id, params, ctx, inner)

    def describe(self) -> tuple[str, str]:
        (t,) = self.tests  # the one test the threshold was made into
        cz, ce = Drafting(self).test(t.test)
        pz, pe = points(self.params.points)
        return f"{cz}得{pz}，否则不得分。", f"{pe} when {ce}; otherwise 0."


class VersusReferenceParams(Model):
    points: Number
    indicator: Name
    comparator: Comparator
    reference: Name


class VersusReference(AllOrNothing[VersusReferenceParams]):
    """高于全区平均水平得2分: an indicator against a reference value (a regional average).

    A missing reference value gives status ``missing_input``: never a guess.
    """

    kind = "versus_reference"
    Params = VersusReferenceParams
    tests_listed = False

    def __init__(self, rule_id: str, params: VersusReferenceParams, ctx: RuleContext) -> None:
        inner = AllOrNothingParams(
            points=params.points,
            tests=[Test(indicator=params.indicator, comparator=params.comparator, reference=params.reference)],
        )
        super().__init__(rule_id, params, ctx, inner)

    score_reads_only_reads = True  # its score reads no value but those named in reads

    def score(self, inputs: Inputs) -> Outcome:
        out = super().score(inputs)
        ref = self.params.reference
        out.details["reference"] = {
            "name": ref,
            "value": inputs.values[ref],
            "source": inputs.sources.get(ref),
        }
        return out

    # its score adds the reference's details to all or nothing's: points, status and met are the same
    def columns(self, cols: Columns) -> ColumnForm:
        return super().columns(cols)

    def points_bounds(self) -> tuple[Decimal, Decimal] | None:
        return super().points_bounds()

    def describe(self) -> tuple[str, str]:
        p = self.params
        cz, ce = Drafting(self).test(Test(indicator=p.indicator, comparator=p.comparator, reference=p.reference))
        pz, pe = points(p.points)
        return (
            f"{cz}得{pz}，否则不得分；参考值缺失时无法评分。",
            f"{pe} when {ce}; otherwise 0. Without the reference value the item cannot be scored.",
        )
