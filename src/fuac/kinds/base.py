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
import functools
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import simpleeval
from pydantic import model_validator

from ..errors import ExpressionError, PluginCodeError
from ..language.cells import ENTRY_READING, read_text
from ..language.comparators import COMPARATORS
from ..language.explaining import explain
from ..language.expressions import DECIMAL_CONTEXT, OPERATORS, Expression, compile_expression, exact_number
from ..language.functions import NOT_ITS_FAULT, fuac_module, plugin_calls, plugin_of
from ..language.models import Comparator, Indicator, Model, Name, Parameter, Text
from ..language.words import with_unit

if TYPE_CHECKING:
    from .columns import ColumnForm, Columns
    from .recovery import Facts, Plan

ZERO = Decimal(0)

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


class EntryError(ValueError):
    """An assessor's entry a rule refuses, in English and Chinese."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh


@dataclass(frozen=True, slots=True)
class Entry:
    """What an assessor enters for a rule (``Rule.entry``).

    ``form`` is ``"points"`` (a number from ``lo`` to ``hi``), ``"met"`` (true or false), or
    ``"value"`` (a plugin kind's own entry, checked by its ``check_entry``: the batch then
    scores the unit through the single-unit evaluator). ``read`` is False when the rule is
    decided by its condition and never reads an entry (a requirement with a condition).
    """

    form: str
    lo: Decimal | None = None
    hi: Decimal | None = None
    read: bool = True

    def __post_init__(self) -> None:
        if self.form not in ("points", "met", "value"):
            raise ValueError(f"an entry is points, met or value, not {self.form!r}")
        if self.form == "points" and (self.lo is None or self.hi is None):
            raise ValueError("an entry of points has both bounds")

    @property
    def bounds(self) -> tuple[Decimal, Decimal]:
        """``(lo, hi)`` of an entry of points."""
        if self.lo is None or self.hi is None:
            raise ValueError(f"an entry of {self.form} has no bounds")
        return self.lo, self.hi

    @property
    def full(self) -> dict[str, Any] | None:
        """The entry that gives all the rule's points (what the rectification list suggests)."""
        if self.form == "points":
            return {"points": self.hi}
        return {"met": True} if self.form == "met" else None


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


class MissingValue(LookupError):
    """An expression read an indicator (or derived value) the unit has no value for. Raised only where
    the value was needed: ``a if cond else b`` reads one branch, ``and``/``or`` stop early, so a rule
    or condition that did not need a missing value is decided without it (see ``Rule.lazy``)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class Inputs:
    """The validated inputs of one evaluation, as rules read them."""

    __slots__ = ("_evaluator", "assessments", "derived", "env", "functions", "labels", "parameters", "sources",
                 "texts", "units", "values")

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
        #: each derived value's name and the inputs it rests on (``[derived.NAME]``)
        self.derived: Mapping[str, frozenset[str]] = {}
        #: the unit of each input and derived value, for reasons (set with ``derived``)
        self.units: Mapping[str, str | None] = {}
        #: the words for a text value a reason shows (a grade's id: its label)
        self.texts: Mapping[str, Text] = {}
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
            name = getattr(exc, "name", None)
            if isinstance(name, str) and name not in self.values:
                if name in self.labels:  # an indicator the unit gives no (valid) value for, needed here
                    raise MissingValue(name) from None
                self.parameters[name]  # a parameter not in force yet says so (ParameterNotInForceError)
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
    # a plugin's function is called through a PluginCall: what it raises is the plugin's failure, named
    ev = simpleeval.SimpleEval(operators=OPERATORS, functions=plugin_calls(functions), names={})
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


#: a rule kind's parameters: its ``Params`` model
P = TypeVar("P", bound=Model)

#: the methods of a plugin's kind that are called unit by unit, and so cost only that unit when they fail
PLUGIN_METHODS = ("score", "check_entry")

M = TypeVar("M", bound=Callable[..., Any])

#: what a kind's method may raise that is not its plugin's fault: an assessor's entry refused (in the
#: kind's words), a parameter not in force, a failure of other plugin code it called (already named)
_NOT_THE_KINDS_FAULT: tuple[type[BaseException], ...] = (EntryError, *NOT_ITS_FAULT)


def plugin_method(method: M, name: str) -> M:
    """A plugin kind's method ``name`` as fuac calls it: what it raises (but an assessor's entry
    refused, a parameter not in force) is a :class:`~fuac.errors.PluginCodeError` naming the plugin,
    the kind and the method."""

    @functools.wraps(method)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except _NOT_THE_KINDS_FAULT:
            raise
        except Exception as exc:  # the plugin's fault, whatever it is: this unit's rule cannot be scored
            cls = type(self)
            kind = getattr(cls, "kind", "") or cls.__name__
            raise PluginCodeError(plugin_of(cls) or cls.__module__, f"rule kind {kind!r} ({name})",
                                  f"规则类型 {kind} 的 {name} 方法", exc) from exc

    guarded.plugin_method = True  # type: ignore[attr-defined]
    return guarded  # type: ignore[return-value]


class Rule(Generic[P]):
    """Base of every rule kind, generic over its parameters (``class Shortfall(Rule[ShortfallParams])``).

    Subclasses set ``kind`` and ``Params``, call ``super().__init__`` and then set
    ``max_points`` (None for rules that give no points), ``reads`` (the indicator
    names the rule needs before it can score) and, where it applies, ``floor``.
    """

    kind: ClassVar[str] = ""
    Params: ClassVar[type[Model]] = Model
    #: True when an assessor's entry is part of what this rule reads.
    assessable: ClassVar[bool] = False
    #: True when ``score`` reads no value but those named in ``reads`` (and the parameters): a batch
    #: scoring the rule unit by unit then hands each unit only those. It is read from the class that
    #: defines ``score``, so a subclass that scores differently does not inherit it.
    score_reads_only_reads: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A plugin's kind (a class defined outside fuac) has its own ``score`` and ``check_entry``
        called through :func:`plugin_method`: what they raise costs the rule on that unit, named."""
        super().__init_subclass__(**kwargs)
        if fuac_module(cls.__module__):
            return
        for name in PLUGIN_METHODS:
            method = vars(cls).get(name)
            if callable(method) and not getattr(method, "plugin_method", False):
                setattr(cls, name, plugin_method(method, name))

    def __init__(self, rule_id: str, params: P, ctx: RuleContext) -> None:
        self.id = rule_id
        self.params: P = params
        self.ctx = ctx
        self.max_points: Decimal | None = None
        self.reads: frozenset[str] = frozenset()
        self.floor: str = "part"
        #: True when this rule is its item's only rule (set by the loader): then a
        #: floor at item level is applied by the rule itself.
        self.standalone = False

    @property
    def lazy(self) -> bool:
        """True when ``score`` reads values only by evaluating its expressions (``inputs.eval``), so that a
        value it does not need in the branch taken may be missing (:class:`MissingValue` when it is
        needed). A rule that is not lazy cannot be scored while any value of ``reads`` is missing."""
        return False

    @classmethod
    def reads_only_reads(cls) -> bool:
        """Whether ``score`` reads no value but those named in ``reads`` (``score_reads_only_reads``
        of the class that defines ``score``)."""
        owner = next(c for c in cls.__mro__ if "score" in vars(c))
        return bool(vars(owner).get("score_reads_only_reads", False))

    def score(self, inputs: Inputs) -> Outcome:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> tuple[str, str]:
        """The rule in plain words, (Chinese, English), as the scheme pages print it. A kind
        that does not say more is described by its parameters."""
        dumped = self.params.model_dump(mode="json", exclude_none=True)
        if not dumped:
            return f"规则类型 `{self.kind}`（无参数）。", f"Rule kind `{self.kind}` (no parameters)."
        text = ", ".join(f"`{k}` = `{json.dumps(dumped[k], ensure_ascii=False)}`" for k in dumped)
        return f"规则类型 `{self.kind}`：{text}。", f"Rule kind `{self.kind}`: {text}."

    @property
    def floors_itself(self) -> bool:
        """True when this rule is its floor's container: the floor is the rule (``part``), or
        the item and the rule is the whole item. (An item of parts, or a section, floors the
        sum instead: ``PreparedItem.floor_item``, ``PreparedSection.floor_at_zero``.)"""
        return self.floor == "part" or (self.floor == "item" and self.standalone)

    def floored(self, raw: Decimal) -> Decimal:
        """``raw`` with this rule's floor applied where the rule is the floor's container."""
        return ZERO if raw < 0 and self.floors_itself else raw

    def deducted_bounds(self, full: Decimal, only_takes: bool) -> tuple[Decimal, Decimal] | None:
        """The bounds of a rule that starts from ``full`` and only takes points away (``only_takes``:
        nothing it reads or costs is negative): 0 to ``full`` where it floors itself, else unknown."""
        if not only_takes or not self.floors_itself:
            return None
        return (min(ZERO, full), max(ZERO, full))

    def recovery(self, facts: Facts) -> list[Plan]:
        """Candidate changes of the unit's inputs that recover this rule's points, best first.

        Asked for by the rectification list when the rule lost points (for a veto: what
        lifts it), with the unit's ``facts`` (its values, the parameters in force, the
        declared indicators, and ``facts.solve`` for a condition). Each plan is checked by
        evaluating the unit again with it applied before it is listed. Default: none (the
        list then says there is no automatic suggestion)."""
        return []

    def columns(self, cols: Columns) -> ColumnForm:
        """The rule's column form, for the batch: ``(fn, scale)``, where ``fn(env)`` gives the
        rule's outcome for every row of a chunk of units as numpy columns (points at the
        program's scale, status codes, met flags) and ``scale`` is the decimals of its points.

        ``cols`` is the compiled plan, described by :class:`fuac.kinds.columns.Columns`: the
        expression compiler, the fixed-point helpers, the status codes and the ``Unvectorizable``
        signal. It must give what :meth:`score` gives, row for row. Raise
        ``cols.Unvectorizable(reason)`` to have the rule scored through :meth:`score` row by
        row instead: that is the default (a kind that does not say how is not compiled).

        A subclass that overrides :meth:`score` does not inherit its parent's ``columns``: the
        batch scores it through :meth:`score` unless it defines ``columns`` itself."""
        raise cols.Unvectorizable(f"rule kind {self.kind!r} ({type(self).__name__}) is not compiled")

    def points_bounds(self) -> tuple[Decimal, Decimal] | None:
        """``(lo, hi)``: the fewest and the most points the rule can give whatever it reads
        (``(0, 0)`` for a rule that gives none), or None when unknown (the default). The batch
        stores points in 32 bits when every rule of the plan is bounded tightly enough. Like
        :meth:`columns`, not inherited by a subclass that overrides :meth:`score`."""
        return None

    def explained(self, expr: Expression, read: Mapping[str, Any]) -> tuple[str, str]:
        """``expr`` in the words of the values read ("满意度 84% ≥ 85%"), for a reason."""
        inds = self.ctx.indicators
        labels = {n: self.ctx.label(n) for n in expr.names if n in inds}
        units = {n: inds[n].unit for n in labels}
        return explain(expr.tree, read, labels, units)

    def names_of(self, expr: Expression) -> frozenset[str]:
        return frozenset(n for n in expr.names if n in self.ctx.indicators)

    @property
    def entry(self) -> Entry | None:
        """What an assessor enters for this rule; None when it takes no entry. A plugin kind
        with ``assessable = True`` takes a ``"value"`` unless it says more."""
        return Entry("value") if self.assessable else None

    def check_entry(self, value: Any) -> Any:
        """An assessor's entry as the rule reads it (points as an exact Decimal), or
        :class:`EntryError` with the words of the refusal."""
        e = self.entry
        if e is None or e.form == "value":
            return value
        if isinstance(value, str):  # an entry given as text, read as every input path reads text
            value = read_text(value, ENTRY_READING[e.form])
        if e.form == "met":
            if not isinstance(value, bool):
                raise EntryError(f"expected true (met) or false (not met), got {value!r}",
                                 f"应为 true（已落实）或 false（未落实），实际为 {value!r}")
            return value
        lo, hi = e.bounds
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise EntryError(f"expected points between {lo} and {hi}, got {value!r}",
                             f"应为{lo}至{hi}之间的分数，实际为 {value!r}")
        try:
            d = exact_number(value)
        except OverflowError:  # NaN or infinite
            d = None
        if d is None or d < lo or d > hi:
            shown = str(value) if isinstance(value, Decimal) else repr(value)  # a number as written, not Decimal('3')
            raise EntryError(f"{shown} is outside the allowed {lo}..{hi}", f"{shown} 超出允许范围 {lo}至{hi}")
        return d

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
        self.cmp = COMPARATORS[test.comparator].apply
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
                raise RuleError(
                    f"{test.indicator!r} is a number: its threshold must be a number "
                    "(use 'parameter' to name a parameter)", "threshold"
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
        cz = ce = COMPARATORS[self.test.comparator].symbol
        if self.ref_label is not None:
            oz, oe = f"{self.ref_label.zh}{oz}", f"{self.ref_label.en} {oe}"
        zh = f"{self.label.zh} {vz} {'' if ok else '未满足 '}{cz} {oz}"
        en = f"{self.label.en} {ve} {'' if ok else 'is not '}{ce} {oe}"
        return zh, en


def target_of(p: Any, values: Mapping[str, Any], parameters: Mapping[str, Any]) -> Any:
    """The target a unit is held to by a rule whose parameters give exactly one of ``target`` (a
    number), ``parameter`` (its value on the date) or ``reference`` (an indicator: the unit's own)."""
    if p.target is not None:
        return p.target
    if p.reference is not None:
        return values[p.reference]
    return parameters[p.parameter]


def target_column(p: Any, cols: Columns) -> Any:
    """:func:`target_of` as a column node: the unit's own target's column, or a constant number
    (``cols.Unvectorizable`` when the parameter has no value on the date, or is not a number)."""
    if p.reference is not None:
        return cols.ec.node(ast.Name(id=p.reference))
    if p.target is not None:
        target = p.target
    else:
        if p.parameter not in cols.params:
            raise cols.Unvectorizable(f"parameter {p.parameter!r} has no value on this date")
        target = cols.params[p.parameter]
    if isinstance(target, bool) or not isinstance(target, Decimal):
        raise cols.Unvectorizable("the target is not a number")
    return cols.const(target)


def _prepare_tests(tests: list[Test], ctx: RuleContext, *, listed: bool = True) -> list[PreparedTest]:
    """Prepare tests; ``listed``: they are written as ``tests = [...]`` (errors say which one)."""
    out = []
    for i, t in enumerate(tests):
        try:
            out.append(PreparedTest(t, ctx))
        except RuleError as exc:
            raise (exc.under("tests", i) if listed else exc) from None
    return out
