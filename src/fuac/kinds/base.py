"""Rule kinds: the scoring functions an item (or one part of an item) can use.

A rule kind is a subclass of :class:`Rule` with a ``kind`` name, a pydantic
``Params`` model (unknown keys are errors) and a :meth:`Rule.score` method.
Built-in kinds are registered through the ``fuac_rule_kinds`` hook exactly like
a plugin's. ``__init__`` does the static checks and raises :class:`ValueError`
with a plain message; the loader adds file, line and key.
"""

from __future__ import annotations

import ast
import decimal
import operator
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, ClassVar

import simpleeval
from pydantic import model_validator

from ..errors import ExpressionError
from ..language.expressions import DECIMAL_CONTEXT, OPERATORS, Expression, compile_expression
from ..language.models import Comparator, Floor, Indicator, Model, Name, Number, Parameter, Partial, Text, VetoScope

ZERO = Decimal(0)

# ---------------------------------------------------------------------------
# units and wording

#: Display of known units: (Chinese suffix, English suffix).
UNITS: dict[str, tuple[str, str]] = {
    "percent": ("%", "%"),
    "permille": ("‰", "‰"),
    "per_10k": ("/万", " per 10,000"),
    "per_100k": ("/10万", " per 100,000"),
    "per_1000_people": ("个/千人", " per 1,000 people"),
    "count": ("", ""),
    "institutions": ("家", " institutions"),
    "units": ("个", " units"),
    "households": ("户", " households"),
    "persons": ("人", " persons"),
    "cases": ("件", " cases"),
    "records": ("条", " records"),
    "places": ("处", " places"),
    "times": ("次", " times"),
    "meetings": ("次", " meetings"),
    "days": ("天", " days"),
    "years": ("年", " years"),
    "yuan": ("元", " yuan"),
    "points": ("分", " points"),
}

_CMP_WORDS: dict[str, tuple[str, str]] = {
    ">=": ("≥", "≥"),
    ">": (">", ">"),
    "<=": ("≤", "≤"),
    "<": ("<", "<"),
    "==": ("=", "="),
    "!=": ("≠", "≠"),
}

_CMP: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


#: fmt_number of non-zero finite decimals, by value (equal values print alike)
_FMT: dict[Decimal, str] = {}


#: beyond 10**±40, numbers are written with an exponent
_PLAIN_DIGITS = 40


def fmt_number(value: Any) -> str:
    """A number as people write it: every digit it has, no exponent, no trailing zeros.

    Exact and independent of the decimal context (nothing is rounded). Only a number
    beyond 10**±40, which no scheme's table has, is written with an exponent
    (``1.5E+50``), so that a hostile input cannot make a reason a million digits long.
    """
    if type(value) is Decimal:
        if not value.is_finite():
            return str(value)
        hit = _FMT.get(value) if value else None
        if hit is not None:
            return hit
        if value and not -_PLAIN_DIGITS <= value.adjusted() <= _PLAIN_DIGITS:
            # a number no table has (1E+999999 would be a million digits): every digit, with an exponent
            mant, _, exp = format(value, "E").partition("E")
            if "." in mant:
                mant = mant.rstrip("0").rstrip(".")
            return f"{mant}E{exp}"
        out = format(value, "f")
        if "." in out:
            out = out.rstrip("0").rstrip(".")
        if value and len(_FMT) < 8192:
            _FMT[value] = out
        return out
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return fmt_number(Decimal(value))
    return str(value)


def fmt_points(value: Decimal) -> str:
    return fmt_number(value)


def with_unit(value: Any, unit: str | None) -> tuple[str, str]:
    """``value`` with its unit, in Chinese and English."""
    if isinstance(value, bool):
        return ("是" if value else "否", "yes" if value else "no")
    zh, en = UNITS.get(unit or "", ("" if unit in (None, "") else f" {unit}",) * 2)
    n = fmt_number(value)
    return f"{n}{zh}", f"{n}{en}"


class RuleError(ValueError):
    """A static problem of a rule, with the key (relative to the rule's table) it is about,
    so that the loader can point at that key's line."""

    def __init__(self, message: str, *key: str | int) -> None:
        super().__init__(message)
        self.key: tuple[str | int, ...] = key

    def under(self, *prefix: str | int) -> RuleError:
        self.key = (*prefix, *self.key)
        return self


# ---------------------------------------------------------------------------
# the objects a rule sees


@dataclass(slots=True)
class Assessment:
    """An assessor's entry for one item or part."""

    value: Any
    rationale: str | None = None
    assessor: str | None = None


class Reason:
    """Why, in Chinese and English.

    Either written out, ``Reason("…", "…")``, or rendered from facts the first time
    it is read, ``Reason.later(render, *args)`` where ``render(*args)`` returns
    ``(zh, en)``: scoring then builds no text that nobody reads, and the text is the
    same whenever it is read. A renderer formats, it does not compute: do the
    arithmetic in ``score`` (in fuac's decimal context) and pass the results;
    :func:`fmt_number` is exact whatever the context. A renderer that fails gives a
    reason saying so, never an exception. Pickling and equality use the rendered text.
    """

    __slots__ = ("_en", "_pending", "_zh")

    def __init__(self, zh: str = "", en: str = "") -> None:
        self._zh = zh
        self._en = en
        #: (render, args) until the text is written; one attribute, so that a thread reads both at once
        self._pending: tuple[Callable[..., tuple[str, str]], tuple[Any, ...]] | None = None

    @staticmethod
    def later(render: Callable[..., tuple[str, str]], *args: Any) -> Reason:
        """A reason rendered by ``render(*args)`` on first read."""
        return _Later(render, args)

    def text(self) -> tuple[str, str]:
        """``(zh, en)``, rendered now if it has not been yet."""
        pending = self._pending
        if pending is not None:
            render, args = pending
            try:
                zh, en = render(*args)
            except Exception as exc:  # a reason must never break reading a result
                zh = f"（无法生成说明：{type(exc).__name__}: {exc}）"
                en = f"(the reason could not be written: {type(exc).__name__}: {exc})"
            # _pending last: a thread that sees it cleared sees the text
            self._zh, self._en, self._pending = zh, en, None
        return self._zh, self._en

    @property
    def zh(self) -> str:
        return self.text()[0]

    @property
    def en(self) -> str:
        return self.text()[1]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Reason):
            return NotImplemented
        return self.text() == other.text()

    __hash__ = None  # type: ignore[assignment]

    def __getstate__(self) -> tuple[str, str]:
        return self.text()

    def __setstate__(self, state: tuple[str, str]) -> None:
        self._zh, self._en = state
        self._pending = None

    def __repr__(self) -> str:
        zh, en = self.text()
        return f"Reason(zh={zh!r}, en={en!r})"


class _Later(Reason):
    """A reason not rendered yet (what :meth:`Reason.later` makes)."""

    __slots__ = ()

    def __init__(self, render: Callable[..., tuple[str, str]], args: tuple[Any, ...]) -> None:
        self._zh = self._en = ""
        self._pending = (render, args)


class Explained:
    """Something with a reason (``why``, a :class:`Reason`): gives ``reason_zh`` and ``reason_en``."""

    __slots__ = ()
    why: Reason

    @property
    def reason_zh(self) -> str:
        """Why, in Chinese (written on first read)."""
        return self.why.text()[0]

    @property
    def reason_en(self) -> str:
        """Why, in English (written on first read)."""
        return self.why.text()[1]


class Outcome(Explained):
    """What a rule gives: points (None when it gives no points), status and why.

    Give the reason as two strings, ``reason_zh`` and ``reason_en``, or as a
    :class:`Reason` (``why=Reason.later(render, *facts)``) to have it written only
    when somebody reads it.
    """

    __slots__ = ("details", "judgement", "met", "points", "rationale", "status", "why")

    def __init__(
        self,
        points: Decimal | None,
        status: str,
        reason_zh: str = "",
        reason_en: str = "",
        met: bool | None = None,
        judgement: bool = False,
        rationale: str | None = None,
        details: dict[str, Any] | None = None,
        *,
        why: Reason | None = None,
    ) -> None:
        self.points = points
        self.status = status
        self.why = why if why is not None else Reason(reason_zh, reason_en)
        self.met = met
        self.judgement = judgement
        self.rationale = rationale
        self.details = {} if details is None else details

    def __repr__(self) -> str:
        return f"Outcome(points={self.points!r}, status={self.status!r}, met={self.met!r}, why={self.why!r})"


class Inputs:
    """The validated inputs of one evaluation, as rules read them."""

    __slots__ = ("_evaluator", "assessments", "env", "functions", "labels", "parameters", "sources", "values")

    def __init__(
        self,
        values: Mapping[str, Any],
        parameters: Mapping[str, Any],
        assessments: Mapping[str, Assessment],
        functions: Mapping[str, Callable[..., Any]],
        sources: Mapping[str, str] | None = None,
    ) -> None:
        self.values = values
        self.parameters = parameters
        self.assessments = assessments
        self.functions = functions
        self.sources = sources or {}
        self.env = {**parameters, **values}
        #: indicator labels by name, for reasons
        self.labels: Mapping[str, Text] = {}
        self._evaluator: Any = None

    def __getitem__(self, name: str) -> Any:
        return self.env[name]

    def eval(self, expr: Expression) -> Any:
        """``expr`` evaluated on these inputs: what ``expr.evaluate(self.env, self.functions)`` gives.

        A bare name is looked up directly; other expressions share one evaluator per
        evaluation instead of building one each time (the cost of a unit's evaluation is
        mostly this), with the same operators, functions, names and decimal context.
        """
        tree = expr.tree
        if type(tree) is ast.Name:
            try:
                return self.env[tree.id]
            except KeyError:
                pass  # not a value: the evaluator says what it is (a function, or an error)
        ev = self._evaluator
        if ev is None:
            ev = self._evaluator = _evaluator_for(self.functions)
        before = ev.names, ev.expr  # restored after: a function may itself evaluate another unit
        ev.names, ev.expr = self.env, expr.source
        try:
            with decimal.localcontext(DECIMAL_CONTEXT):
                return ev._eval(tree)
        except simpleeval.InvalidExpression as exc:  # e.g. a name with no value on this date
            raise ValueError(str(exc)) from None
        finally:
            ev.names, ev.expr = before


_EVALUATORS = threading.local()


def _evaluator_for(functions: Mapping[str, Callable[..., Any]]) -> Any:
    """This thread's expression evaluator for a set of functions (building one costs more than
    a whole item's scoring); each call of :meth:`Inputs.eval` gives it its names."""
    cache: dict[int, tuple[Any, Any]] | None = getattr(_EVALUATORS, "cache", None)
    if cache is None:
        cache = _EVALUATORS.cache = {}
    hit = cache.get(id(functions))
    if hit is not None and hit[0] is functions:
        return hit[1]
    ev = simpleeval.SimpleEval(operators=OPERATORS, functions=dict(functions), names={})
    if len(cache) >= 64:
        cache.clear()
    cache[id(functions)] = (functions, ev)
    return ev


class RuleContext:
    """What a rule may consult while it is being prepared (at load)."""

    def __init__(
        self,
        *,
        rule_id: str,
        indicators: Mapping[str, Indicator],
        parameters: Mapping[str, Parameter],
        functions: Mapping[str, Callable[..., Any]],
        scheme_kind: str,
    ) -> None:
        self.rule_id = rule_id
        self.indicators = indicators
        self.parameters = parameters
        self.functions = functions
        self.scheme_kind = scheme_kind

    def expression(self, source: str) -> Expression:
        try:
            return compile_expression(
                source,
                names=[*self.indicators, *self.parameters],
                functions=self.functions,
            )
        except ExpressionError as exc:
            exc.expression = source  # type: ignore[attr-defined]  # lets the loader name the key that holds it
            raise

    def indicator(self, name: str) -> Indicator:
        try:
            return self.indicators[name]
        except KeyError:
            raise ValueError(f"unknown indicator {name!r}: declare it under [indicators]") from None

    def label(self, name: str) -> Text:
        if name in self.indicators:
            return self.indicators[name].label
        if name in self.parameters:
            return self.parameters[name].label
        return Text(zh=name, en=name)


class Rule:
    """Base of every rule kind.

    Subclasses set ``kind`` and ``Params``, call ``super().__init__`` and then set
    ``max_points`` (None for rules that give no points), ``reads`` (the indicator
    names the rule needs before it can score) and, where it applies, ``floor``.
    """

    kind: ClassVar[str] = ""
    Params: ClassVar[type[Model]] = Model
    #: True when an assessor's entry is part of what this rule reads.
    assessable: ClassVar[bool] = False

    def __init__(self, rule_id: str, params: Model, ctx: RuleContext) -> None:
        self.id = rule_id
        self.params = params
        self.ctx = ctx
        self.max_points: Decimal | None = None
        self.reads: frozenset[str] = frozenset()
        self.floor: str = "part"
        #: True when this rule is its item's only rule (set by the loader): then a
        #: floor at item level is applied by the rule itself.
        self.standalone = False
        #: what the rule compares against: shown in reports and gap analysis
        self.describe: dict[str, Any] = {}

    def score(self, inputs: Inputs) -> Outcome:  # pragma: no cover - abstract
        raise NotImplementedError

    def floored(self, raw: Decimal) -> Decimal:
        """``raw`` with this rule's floor applied where the rule is the floor's container."""
        if raw < 0 and (self.floor == "part" or (self.floor == "item" and self.standalone)):
            return ZERO
        return raw

    def names_of(self, expr: Expression) -> frozenset[str]:
        return frozenset(n for n in expr.names if n in self.ctx.indicators)

    def label(self, name: str) -> Text:
        return self.ctx.label(name)


# ---------------------------------------------------------------------------
# tests: indicator comparator value


class Test(Model):
    """One comparison: ``indicator comparator (threshold | parameter | reference)``."""

    indicator: Name
    comparator: Comparator
    threshold: Decimal | bool | str | None = None
    parameter: Name | None = None
    reference: Name | None = None
    unit: str | None = None

    @model_validator(mode="after")
    def _one_side(self) -> Test:
        given = [k for k in ("threshold", "parameter", "reference") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'threshold', 'parameter' or 'reference'")
        return self


class PreparedTest:
    __slots__ = ("cmp", "ind", "label", "reads", "ref_label", "test", "unit")

    def __init__(self, test: Test, ctx: RuleContext) -> None:
        try:
            ind = ctx.indicator(test.indicator)
        except ValueError as exc:
            raise RuleError(str(exc), "indicator") from None
        self.test = test
        self.ind = ind
        self.cmp = _CMP[test.comparator]
        self.unit = ind.unit
        reads = {test.indicator}
        if test.unit is not None and test.unit != ind.unit:
            raise RuleError(
                f"test on {test.indicator!r} is in unit {test.unit!r} but the indicator is in {ind.unit!r}", "unit"
            )
        if ind.type in ("integer", "decimal") and test.threshold is not None and test.unit is None:
            raise RuleError(f"test on {test.indicator!r}: give 'unit' (the unit the threshold is written in)", "unit")
        if test.threshold is not None:
            t = test.threshold
            if ind.type == "boolean" and not isinstance(t, bool):
                raise RuleError(f"{test.indicator!r} is boolean: its threshold must be true or false", "threshold")
            if ind.type in ("integer", "decimal") and not isinstance(t, Decimal):
                raise ValueError(
                    f"{test.indicator!r} is a number: its threshold must be a number "
                    "(use 'parameter' to name a parameter)"
                )
            if ind.type == "choice" and t not in (ind.choices or []):
                raise RuleError(f"{t!r} is not one of the choices of {test.indicator!r}", "threshold")
        if test.parameter is not None:
            if test.parameter not in ctx.parameters:
                raise RuleError(f"unknown parameter {test.parameter!r}", "parameter")
            punit = ctx.parameters[test.parameter].unit
            if punit != ind.unit:
                raise RuleError(
                    f"parameter {test.parameter!r} is in unit {punit!r} but {test.indicator!r} in {ind.unit!r}",
                    "parameter",
                )
        if test.reference is not None:
            try:
                ref = ctx.indicator(test.reference)
            except ValueError as exc:
                raise RuleError(str(exc), "reference") from None
            if not ref.reference:
                raise RuleError(
                    f"{test.reference!r} is not declared as a reference value (reference = true)", "reference"
                )
            if ref.unit != ind.unit:
                raise RuleError(
                    f"{test.reference!r} is in {ref.unit!r} but {test.indicator!r} in {ind.unit!r}", "reference"
                )
            reads.add(test.reference)
        self.reads = frozenset(reads)
        self.label = ctx.label(test.indicator)
        self.ref_label = ctx.label(test.reference) if test.reference is not None else None

    def against(self, inputs: Inputs) -> Any:
        t = self.test
        if t.threshold is not None:
            return t.threshold
        if t.parameter is not None:
            return inputs.parameters[t.parameter]
        return inputs.values[t.reference]  # type: ignore[index]

    def check(self, inputs: Inputs) -> tuple[bool, Any, Any]:
        """Whether the test holds, with the value read and the value it was compared with."""
        value = inputs.values[self.test.indicator]
        other = self.against(inputs)
        return self.cmp(value, other), value, other

    def say(self, ok: bool, value: Any, other: Any) -> tuple[str, str]:
        """The test's outcome in words, in Chinese and English."""
        vz, ve = with_unit(value, self.unit)
        if self.ind.type == "boolean":
            return f"{self.label.zh}：{vz}", f"{self.label.en}: {ve}"
        oz, oe = with_unit(other, self.unit)
        cz, ce = _CMP_WORDS[self.test.comparator]
        if self.ref_label is not None:
            oz, oe = f"{self.ref_label.zh}{oz}", f"{self.ref_label.en} {oe}"
        zh = f"{self.label.zh} {vz} {'' if ok else '未满足 '}{cz} {oz}"
        en = f"{self.label.en} {ve} {'' if ok else 'is not '}{ce} {oe}"
        return zh, en


def _prepare_tests(tests: list[Test], ctx: RuleContext, *, listed: bool = True) -> list[PreparedTest]:
    """Prepare tests; ``listed``: they are written as ``tests = [...]`` (errors say which one)."""
    out = []
    for i, t in enumerate(tests):
        try:
            out.append(PreparedTest(t, ctx))
        except RuleError as exc:
            raise (exc.under("tests", i) if listed else exc) from None
    return out


_PTS: dict[Decimal, tuple[str, str]] = {}


def _pts(p: Decimal) -> tuple[str, str]:
    """"得N分" / "N points" for points given (cached: the values a rule set gives are few)."""
    hit = _PTS.get(p)
    if hit is None:
        n = fmt_points(p)
        hit = (f"得{n}分" if p != 0 else "不得分", f"{n} point{'s' if p != 1 else ''}")
        if p and len(_PTS) < 4096:  # 0 and -0 print differently in English
            _PTS[p] = hit
    return hit


def _pts_zh(p: Decimal) -> str:
    return _pts(p)[0]


def _pts_en(p: Decimal) -> str:
    return _pts(p)[1]


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


class AllOrNothing(Rule):
    """有…得N分，否则不得分: full points when the condition holds, else none."""

    kind = "all_or_nothing"
    Params: ClassVar[type[Model]] = AllOrNothingParams
    #: False for kinds that build their one test from their own keys
    tests_listed: ClassVar[bool] = True

    def __init__(self, rule_id: str, params: Any, ctx: RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        self.max_points = params.points
        self.expr = ctx.expression(params.condition) if params.condition else None
        self.tests = _prepare_tests(params.tests, ctx, listed=self.tests_listed) if params.tests else []
        reads: set[str] = set()
        if self.expr:
            reads |= self.names_of(self.expr)
        for t in self.tests:
            reads |= t.reads
        self.reads = frozenset(reads)
        self.describe = {"points": params.points, "condition": params.condition}
        pts = self.max_points or ZERO
        #: the two reasons of a condition, shared by every unit (written once, on first read)
        self._why_condition = {True: Reason.later(self._say_condition, True, pts),
                               False: Reason.later(self._say_condition, False, ZERO)}

    def score(self, inputs: Inputs) -> Outcome:
        pts = self.max_points or ZERO
        if self.expr is not None:
            ok = bool(inputs.eval(self.expr))
            return Outcome(pts if ok else ZERO, "scored", met=ok, why=self._why_condition[ok])
        if len(self.tests) == 1:  # thresholds and comparisons with a reference
            c = self.tests[0].check(inputs)
            ok, checks = c[0], [c]
        else:
            checks = [t.check(inputs) for t in self.tests]
            ok = all(c[0] for c in checks)
        got = pts if ok else ZERO
        return Outcome(got, "scored", met=ok, why=_Later(self._say_tests, (checks, got)))

    def _say_condition(self, ok: bool, got: Decimal) -> tuple[str, str]:
        assert self.expr is not None
        lab = self.params.label  # type: ignore[attr-defined]
        what_zh = lab.zh if lab else f"条件 {self.expr.source}"
        what_en = lab.en if lab else f"condition {self.expr.source}"
        return (
            f"{what_zh}{'成立' if ok else '不成立'}，{_pts_zh(got)}。",
            f"{what_en} {'holds' if ok else 'does not hold'}: {_pts_en(got)}.",
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


class ThresholdParams(Model):
    points: Number
    indicator: Name
    comparator: Comparator
    threshold: Decimal | bool | str | None = None
    parameter: Name | None = None
    unit: str | None = None


class Threshold(AllOrNothing):
    """控制在16.5/10万以下得2分: one indicator against a threshold, with an explicit comparator."""

    kind = "threshold"
    Params = ThresholdParams
    tests_listed = False

    def __init__(self, rule_id: str, params: Any, ctx: RuleContext) -> None:
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
        super().__init__(rule_id, inner, ctx)
        self.params = params
        self.describe = {
            "points": params.points,
            "indicator": params.indicator,
            "comparator": params.comparator,
            "threshold": params.threshold if params.threshold is not None else params.parameter,
        }


class VersusReferenceParams(Model):
    points: Number
    indicator: Name
    comparator: Comparator
    reference: Name


class VersusReference(AllOrNothing):
    """高于全区平均水平得2分: an indicator against a reference value (a regional average).

    A missing reference value gives status ``missing_input``: never a guess.
    """

    kind = "versus_reference"
    Params = VersusReferenceParams
    tests_listed = False

    def __init__(self, rule_id: str, params: Any, ctx: RuleContext) -> None:
        inner = AllOrNothingParams(
            points=params.points,
            tests=[Test(indicator=params.indicator, comparator=params.comparator, reference=params.reference)],
        )
        super().__init__(rule_id, inner, ctx)
        self.params = params
        self.describe = {
            "points": params.points,
            "indicator": params.indicator,
            "comparator": params.comparator,
            "reference": params.reference,
        }

    def score(self, inputs: Inputs) -> Outcome:
        out = super().score(inputs)
        ref = self.params.reference  # type: ignore[attr-defined]
        out.details["reference"] = {
            "name": ref,
            "value": inputs.values[ref],
            "source": inputs.sources.get(ref),
        }
        return out


# ---------------------------------------------------------------------------
# 3, 5: per-occurrence deductions with a floor


class Cost(Model):
    indicator: Name
    cost: Number


class DeductionParams(Model):
    points: Number
    costs: list[Cost]
    floor: Floor


class Deduction(Rule):
    """每少1家扣2分，扣完为止: start from full points, take a cost per occurrence."""

    kind = "deduction"
    Params = DeductionParams

    def __init__(self, rule_id: str, params: Any, ctx: RuleContext) -> None:
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
        self.describe = {"points": params.points, "costs": [(c.indicator, c.cost) for c in params.costs]}

    def score(self, inputs: Inputs) -> Outcome:
        p: Any = self.params
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


# ---------------------------------------------------------------------------
# 4: per-step shortfall below (or excess above) a threshold


class ShortfallParams(Model):
    points: Number
    indicators: list[Name]
    comparator: Comparator
    target: Number | None = None
    parameter: Name | None = None
    unit: str
    step: Number
    cost: Number
    partial: Partial
    floor: Floor

    @model_validator(mode="after")
    def _check(self) -> ShortfallParams:
        if (self.target is None) == (self.parameter is None):
            raise ValueError("give exactly one of 'target' (a number) or 'parameter'")
        if self.comparator in ("==", "!="):
            raise ValueError("a shortfall needs a direction: comparator must be one of >=, >, <=, <")
        if self.step <= 0:
            raise ValueError("'step' must be positive")
        return self


class Shortfall(Rule):
    """每低1个百分点扣0.5分: full points when the target is met, a cost per step short of it.

    ``comparator`` says when an indicator meets the target (``>=``: at or above).
    For ``>=``/``>`` the gap is ``target - value``; for ``<=``/``<`` it is
    ``value - target``. Steps are ``gap / step`` rounded as ``partial`` says:
    ``floor`` (a partial step costs nothing), ``ceil`` (a started step costs a full
    one) or ``prorata``. With several indicators, each one's steps are charged.
    """

    kind = "shortfall"
    Params = ShortfallParams

    def __init__(self, rule_id: str, params: Any, ctx: RuleContext) -> None:
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
        self.max_points = params.points
        self.floor = params.floor
        self.reads = frozenset(params.indicators)
        self.cmp = _CMP[params.comparator]
        self.describe = {
            "points": params.points,
            "indicators": list(params.indicators),
            "comparator": params.comparator,
            "target": params.target if params.target is not None else params.parameter,
            "step": params.step,
            "cost": params.cost,
            "partial": params.partial,
        }

    def steps(self, gap: Decimal) -> Decimal:
        p: Any = self.params
        raw = gap / p.step
        if p.partial == "floor":
            return raw.to_integral_value(rounding=ROUND_FLOOR)
        if p.partial == "ceil":
            return raw.to_integral_value(rounding=ROUND_CEILING)
        return raw

    def score(self, inputs: Inputs) -> Outcome:
        p: Any = self.params
        target = p.target if p.target is not None else inputs.parameters[p.parameter]
        below = p.comparator in (">=", ">")
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
        p: Any = self.params
        below = p.comparator in (">=", ">")
        tz, te = with_unit(target, p.unit)
        cz, ce = _CMP_WORDS[p.comparator]
        zh_parts, en_parts = [], []
        for name, v, short in seen:
            lab = self.label(name)
            vz, ve = with_unit(v, p.unit)
            if short is None:
                zh_parts.append(f"{lab.zh} {vz} {cz} {tz}")
                en_parts.append(f"{lab.en} {ve} {ce} {te}")
                continue
            gap, n, cost = short
            gz, ge = (
                with_unit(gap, p.unit)
                if p.unit != "percent"
                else (f"{fmt_number(gap)}个百分点", f"{fmt_number(gap)} percentage point{'s' if gap != 1 else ''}")
            )
            dir_zh = "低" if below else "高"
            dir_en = "below" if below else "above"
            zh_parts.append(f"{lab.zh} {vz}，{dir_zh}于 {tz} {gz}，计{fmt_number(n)}档，扣{fmt_points(cost)}分")
            steps_en = f"{fmt_number(n)} step{'s' if n != 1 else ''}"
            en_parts.append(f"{lab.en} {ve}, {ge} {dir_en} {te}: {steps_en}, {fmt_points(cost)} taken")
        floor_zh = "，扣完为止" if got != raw else ""
        floor_en = " (down to zero)" if got != raw else ""
        return (
            f"{'；'.join(zh_parts)}{floor_zh}，{_pts_zh(got)}。",
            f"{'; '.join(en_parts)}{floor_en}: {_pts_en(got)}.",
        )


# ---------------------------------------------------------------------------
# 8: discretionary points


class DiscretionaryParams(Model):
    points: Number
    min: Number = ZERO
    condition: str | None = None
    label: Text | None = None


class Discretionary(Rule):
    """酌情评分 / 否则酌情扣分: an assessor's value within [min, points].

    With ``condition`` ("…得N分，否则酌情扣分"), meeting it gives full points
    without an assessor; otherwise the assessor's value is used.
    """

    kind = "discretionary"
    Params = DiscretionaryParams
    assessable = True

    def __init__(self, rule_id: str, params: Any, ctx: RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        if params.min > params.points:
            raise ValueError("'min' is greater than 'points'")
        self.max_points = params.points
        self.expr = ctx.expression(params.condition) if params.condition else None
        self.reads = self.names_of(self.expr) if self.expr else frozenset()
        self.describe = {"points": params.points, "min": params.min, "condition": params.condition}
        #: reasons that depend on nothing but the rule, shared by every unit
        self._why_met = Reason.later(self._say_met)
        self._why_awaited = Reason.later(self._say_awaited)

    def score(self, inputs: Inputs) -> Outcome:
        p: Any = self.params
        if self.expr is not None and bool(inputs.eval(self.expr)):
            return Outcome(p.points, "scored", met=True, why=self._why_met)
        a = inputs.assessments.get(self.id)
        if a is None:
            return Outcome(None, "awaiting_assessor", met=False if self.expr is not None else None,
                           why=self._why_awaited)
        v = a.value
        return Outcome(
            v,
            "scored",
            met=v == p.points,
            judgement=True,
            rationale=a.rationale,
            why=_Later(self._say_judged, (a,)),
        )

    def _say_met(self) -> tuple[str, str]:
        p: Any = self.params
        lab = p.label
        return (
            f"{lab.zh if lab else '条件'}已满足，{_pts_zh(p.points)}。",
            f"{lab.en if lab else 'condition'} met: {_pts_en(p.points)}.",
        )

    def _say_awaited(self) -> tuple[str, str]:
        p: Any = self.params
        pre_zh = "条件未满足，" if self.expr is not None else ""
        pre_en = "condition not met; " if self.expr is not None else ""
        return (
            f"{pre_zh}需评估人在{fmt_points(p.min)}至{fmt_points(p.points)}分之间酌情评分。",
            f"{pre_en}an assessor's score between {fmt_points(p.min)} and {fmt_points(p.points)} is needed.",
        )

    def _say_judged(self, a: Assessment) -> tuple[str, str]:
        pre_zh = "条件未满足，" if self.expr is not None else ""
        pre_en = "condition not met; " if self.expr is not None else ""
        v = a.value
        by = f"（{a.assessor}）" if a.assessor else ""
        why_zh = f"，理由：{a.rationale}" if a.rationale else ""
        why_en = f"; rationale: {a.rationale}" if a.rationale else ""
        return (
            f"{pre_zh}评估人{by}酌情评分{_pts_zh(v)}{why_zh}。",
            f"{pre_en}assessor{' (' + a.assessor + ')' if a.assessor else ''} gave {_pts_en(v)}{why_en}.",
        )


# ---------------------------------------------------------------------------
# 10: veto items


class VetoParams(Model):
    condition: str | None = None
    tests: list[Test] | None = None
    scope: VetoScope
    label: Text

    @model_validator(mode="after")
    def _one(self) -> VetoParams:
        if (self.condition is None) == (self.tests is None):
            raise ValueError("give exactly one of 'condition' (an expression) or 'tests'")
        return self


class VetoRule(Rule):
    """发生…的，一票否决: no points; when the condition holds the unit is vetoed.

    ``condition`` says when the veto is triggered. The score is still computed.
    """

    kind = "veto"
    Params = VetoParams

    def __init__(self, rule_id: str, params: Any, ctx: RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        self.max_points = ZERO
        self.expr = ctx.expression(params.condition) if params.condition else None
        self.tests = _prepare_tests(params.tests, ctx) if params.tests else []
        reads: set[str] = set(self.names_of(self.expr)) if self.expr else set()
        for t in self.tests:
            reads |= t.reads
        self.reads = frozenset(reads)
        self.scope = params.scope
        self.describe = {"condition": params.condition, "scope": params.scope}
        lab = params.label
        self._why_hit = Reason(f"{lab.zh}：已发生，一票否决。", f"{lab.en}: occurred, veto.")
        self._why_clear = Reason(f"{lab.zh}：未发生，不否决。", f"{lab.en}: did not occur, no veto.")

    def triggered(self, inputs: Inputs) -> bool:
        if self.expr is not None:
            return bool(inputs.eval(self.expr))
        return all(t.check(inputs)[0] for t in self.tests)

    def score(self, inputs: Inputs) -> Outcome:
        if self.triggered(inputs):
            return Outcome(ZERO, "vetoed", met=False, why=self._why_hit)
        return Outcome(ZERO, "scored", met=True, why=self._why_clear)


# ---------------------------------------------------------------------------
# 12: formulas and bands


class FormulaParams(Model):
    expression: str
    max_points: Number
    min_points: Number
    label: Text | None = None


class Formula(Rule):
    """Points computed by an expression (proportional, weighted), kept within [min_points, max_points]."""

    kind = "formula"
    Params = FormulaParams

    def __init__(self, rule_id: str, params: Any, ctx: RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        if params.min_points > params.max_points:
            raise ValueError("'min_points' is greater than 'max_points'")
        self.expr = ctx.expression(params.expression)
        self.max_points = params.max_points
        self.floor = "none" if params.min_points < 0 else "part"
        self.reads = self.names_of(self.expr)
        self.describe = {"expression": params.expression, "max_points": params.max_points}

    def score(self, inputs: Inputs) -> Outcome:
        p: Any = self.params
        v = inputs.eval(self.expr)
        if isinstance(v, bool) or not isinstance(v, Decimal):
            raise ValueError(f"formula gave {v!r}, not a number")
        got = min(max(v, p.min_points), p.max_points)
        return Outcome(got, "scored", why=_Later(self._say, (v, got)))

    def _say(self, v: Decimal, got: Decimal) -> tuple[str, str]:
        p: Any = self.params
        clipped_zh = clipped_en = ""
        if got != v:
            lo, hi = fmt_points(p.min_points), fmt_points(p.max_points)
            clipped_zh = f"（计算值{fmt_number(v)}，限定在{lo}至{hi}分）"
            clipped_en = f" (computed {fmt_number(v)}, kept within {lo}..{hi})"
        return (
            f"按公式 {self.expr.source} 计算{clipped_zh}，{_pts_zh(got)}。",
            f"by the formula {self.expr.source}{clipped_en}: {_pts_en(got)}.",
        )


class Band(Model):
    comparator: Comparator
    threshold: Number
    points: Number


class BandsParams(Model):
    indicator: Name
    unit: str
    bands: list[Band]
    otherwise: Number


class Bands(Rule):
    """Banded scoring: the first band whose test holds gives its points; else ``otherwise``."""

    kind = "bands"
    Params = BandsParams

    def __init__(self, rule_id: str, params: Any, ctx: RuleContext) -> None:
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
        self.describe = {
            "indicator": params.indicator,
            "bands": [(b.comparator, b.threshold, b.points) for b in params.bands],
        }

    def score(self, inputs: Inputs) -> Outcome:
        p: Any = self.params
        v = inputs.values[p.indicator]
        for b in p.bands:
            if _CMP[b.comparator](v, b.threshold):
                return Outcome(b.points, "scored", met=b.points == self.max_points, why=_Later(self._say, (v, b)))
        return Outcome(p.otherwise, "scored", met=p.otherwise == self.max_points, why=_Later(self._say, (v, None)))

    def _say(self, v: Any, b: Band | None) -> tuple[str, str]:
        p: Any = self.params
        lab = self.label(p.indicator)
        vz, ve = with_unit(v, p.unit)
        if b is None:
            return (
                f"{lab.zh} {vz}，未进入任何档次，{_pts_zh(p.otherwise)}。",
                f"{lab.en} {ve} is in no band: {_pts_en(p.otherwise)}.",
            )
        tz, te = with_unit(b.threshold, p.unit)
        cz, ce = _CMP_WORDS[b.comparator]
        return f"{lab.zh} {vz} {cz} {tz}，{_pts_zh(b.points)}。", f"{lab.en} {ve} {ce} {te}: {_pts_en(b.points)}."


# ---------------------------------------------------------------------------
# 16: requirements (checklists) and targets


class RequirementParams(Model):
    condition: str | None = None
    points: Number = ZERO


class Requirement(Rule):
    """A requirement from a checklist: met / not met, by a condition on inputs or by an assessor."""

    kind = "requirement"
    Params = RequirementParams
    assessable = True

    def __init__(self, rule_id: str, params: Any, ctx: RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        self.expr = ctx.expression(params.condition) if params.condition else None
        self.reads = self.names_of(self.expr) if self.expr else frozenset()
        self.max_points = params.points if ctx.scheme_kind == "points" else None
        self.describe = {"condition": params.condition}
        src = self.expr.source if self.expr is not None else ""
        self._why_condition = {True: Reason(f"已落实（{src}）。", f"met ({src})."),
                               False: Reason(f"未落实（{src}）。", f"not met ({src}).")}

    def score(self, inputs: Inputs) -> Outcome:
        p: Any = self.params
        pts = p.points if self.max_points is not None else None
        if self.expr is not None:
            ok = bool(inputs.eval(self.expr))
            got = (pts if ok else ZERO) if pts is not None else None
            return Outcome(got, "scored", met=ok, why=self._why_condition[ok])
        a = inputs.assessments.get(self.id)
        if a is None:
            return Outcome(None, "awaiting_assessor", "待评估人判断是否落实。", "awaiting an assessor's judgement.")
        ok = bool(a.value)
        got = (pts if ok else ZERO) if pts is not None else None
        why_zh = f"，理由：{a.rationale}" if a.rationale else ""
        why_en = f"; rationale: {a.rationale}" if a.rationale else ""
        return Outcome(
            got,
            "scored",
            f"评估人判断{'已落实' if ok else '未落实'}{why_zh}。",
            f"assessor judged it {'met' if ok else 'not met'}{why_en}.",
            met=ok,
            judgement=True,
            rationale=a.rationale,
        )


class TargetParams(Model):
    indicator: Name
    comparator: Comparator
    value: Number | bool
    unit: str | None = None
    year: int
    segment: str | None = None


class Target(Rule):
    """A work-plan target: indicator, comparator, value, unit and year."""

    kind = "target"
    Params = TargetParams

    def __init__(self, rule_id: str, params: Any, ctx: RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        self.test = PreparedTest(
            Test(indicator=params.indicator, comparator=params.comparator, threshold=params.value, unit=params.unit),
            ctx,
        )
        self.reads = self.test.reads
        self.describe = {
            "indicator": params.indicator,
            "comparator": params.comparator,
            "value": params.value,
            "year": params.year,
        }

    def score(self, inputs: Inputs) -> Outcome:
        check = self.test.check(inputs)
        return Outcome(None, "scored", met=check[0], why=_Later(self._say, (check,)))

    def _say(self, check: tuple[bool, Any, Any]) -> tuple[str, str]:
        p: Any = self.params
        ok = check[0]
        zh, en = self.test.say(*check)
        return (
            f"{p.year}年目标：{zh}，{'已完成' if ok else '未完成'}。",
            f"{p.year} target: {en}: {'achieved' if ok else 'not achieved'}.",
        )


#: The built-in rule kinds, registered through the ``fuac_rule_kinds`` hook.
BUILTIN_KINDS: tuple[type[Rule], ...] = (
    AllOrNothing,
    Threshold,
    VersusReference,
    Deduction,
    Shortfall,
    Discretionary,
    VetoRule,
    Formula,
    Bands,
    Requirement,
    Target,
)
