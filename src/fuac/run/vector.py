"""The compiled backend of :func:`fuac.evaluate_many`: a plan turned into numpy programs.

Exactness. Every number is an ``int64`` array in fixed point: value × 10^scale, with
the scale of each expression node known when the plan is compiled (an integer
indicator has scale 0, a decimal indicator the plan's input scale ``K``, a literal
its own decimals; ``a + b`` aligns scales, ``a * b`` adds them). ``2 - 5 * 0.4`` is
``20 - 5 * 4 = 0`` at scale 1, exactly. Alongside each array a bound on its
magnitude is carried (from the actual values of the chunk); an operation whose
bound could pass 2^62 is refused, and the rule falls back to the single-unit path
for that chunk. An input value finer than the input scale (``0.1 + 0.2``) is kept exactly
beside its column (:attr:`Col.beyond`, :attr:`Col.exact`): the rules and conditions that
read it compute that row through the single-unit path, the rest stays compiled. Nothing is
ever computed in floating point.

Each rule kind compiles itself: ``rule.columns(program)`` (its column form, beside its
``score``; :class:`fuac.kinds.columns.Columns` describes what of the :class:`Program` it
may use), and each expression function by its own column form, beside its exact form
(:mod:`fuac.language.functions`). What is not compiled (division, ``%``, ``//``, ``x ** 0``,
plugin functions without a column form, rule kinds without a column form of their own, plugin
veto checks, comparisons of two text columns, ``in``, and any expression whose types are mixed)
runs through the single-unit code for each row, rule by rule; :attr:`Program.report` says which
and why.

The single-unit evaluator (``_evaluate.py``) is the oracle: this module mirrors
its order and its statuses exactly, and ``tests/test_vector.py`` checks the two
against each other on random inputs.
"""

from __future__ import annotations

import ast
import decimal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, cast

import numpy as np

from ..errors import EvaluationError
from ..kinds.base import Assessment, Inputs, MissingValue, PreparedTest, Rule
from ..language.comparators import BY_NODE, COMPARATORS
from ..language.expressions import DECIMAL_CONTEXT, OPERATORS, Expression
from ..language.models import VETOING, Indicator
from ..language.statuses import STATUSES, TABLE
from ..plan.loader import Plan, PreparedCondition, PreparedItem, PreparedSection, RuleSet, result_names, result_values
from .inputs import derived_value

#: status codes: the index in :data:`fuac.language.statuses.STATUSES`
S_SCORED, S_VOIDED, S_VETOED, S_MISSING, S_INVALID, S_NA, S_AWAITING = (STATUSES.index(s) for s in (
    "scored", "voided", "vetoed", "missing_input", "invalid_input", "not_applicable", "awaiting_assessor"))
#: rank of each status code when the parts of an item are summed up
STATUS_RANK = np.array([s.rank for s in TABLE], dtype=np.int8)

#: statuses that leave an evaluation incomplete (``Evaluation.complete``)
INCOMPLETE = np.array([s.pending for s in TABLE])
#: a row's status from its worst rank
ROW_STATUS = np.array([S_SCORED, S_AWAITING, S_MISSING, S_INVALID], dtype=np.int8)
#: sentinel of an absent number (points None) in an int64 column (in an int32 one: ``null_of``)
NULL = np.iinfo(np.int64).min


def null_of(a: np.ndarray) -> int:
    """The sentinel of an absent number in an array of ``a``'s type."""
    return int(np.iinfo(a.dtype).min)
#: the largest magnitude an intermediate value may reach
LIMIT = 1 << 62
#: input values beyond this magnitude (scaled) are left to the single-unit path
INPUT_LIMIT = 10**15
#: at least this many decimals for decimal indicators
MIN_INPUT_SCALE = 4
MAX_SCALE = 18


class Unvectorizable(Exception):
    """This expression or rule cannot be computed exactly in fixed point; use the single-unit path."""


def decimals(d: Decimal) -> int:
    """How many decimals ``d`` needs (0 for whole numbers)."""
    if not d.is_finite():
        raise Unvectorizable("not a finite number")
    exp = d.normalize().as_tuple().exponent
    assert isinstance(exp, int)
    return max(0, -exp)


def to_scaled(d: Decimal, scale: int) -> int:
    """``d`` × 10^scale as an exact Python int (``d`` must have at most ``scale`` decimals)."""
    with decimal.localcontext(DECIMAL_CONTEXT) as ctx:
        ctx.prec = 80
        v = d.scaleb(scale)
        if v != v.to_integral_value():
            raise Unvectorizable(f"{d} has more than {scale} decimals")
        return int(v)


def from_scaled(n: int, scale: int) -> Decimal:
    return Decimal(int(n)).scaleb(-scale)


# ---------------------------------------------------------------------------
# the environment of one chunk


@dataclass(slots=True)
class Col:
    """One indicator's validated values in a chunk."""

    kind: str  # "dec", "bool", "str"
    values: np.ndarray  # int64 scaled | bool | int codes into ``choices``
    scale: int = 0
    bound: int = 0
    choices: tuple[str, ...] | None = None
    missing: np.ndarray | None = None  # no value given
    invalid: np.ndarray | None = None  # a value given, and rejected
    #: rows whose value is finer (or larger) than fixed point holds, and each one's exact value (their
    #: ``values`` are 0): a rule or condition that reads them computes those rows one by one, exactly
    beyond: np.ndarray | None = None
    exact: dict[int, Any] | None = None


@dataclass(slots=True)
class AssessCol:
    """Assessors' entries for one rule key, validated."""

    present: np.ndarray  # bool: a valid entry is there
    values: np.ndarray  # int64 scaled (discretionary) or bool (requirement)
    scale: int = 0


@dataclass
class Env:
    n: int
    cols: dict[str, Col]
    params: Mapping[str, Any]
    assess: dict[str, AssessCol] = field(default_factory=dict)
    #: rules that fell back to the single-unit path in this chunk, and why
    runtime_fallbacks: dict[str, str] = field(default_factory=dict)
    #: rules and conditions computed row by row for values beyond fixed point: how many rows each
    exact_rows: dict[str, int] = field(default_factory=dict)
    _blocked: dict[frozenset[str], tuple[np.ndarray | None, np.ndarray | None]] = field(default_factory=dict)
    _beyond: dict[frozenset[str] | None, np.ndarray | None] = field(default_factory=dict)

    def blocked(self, reads: frozenset[str]) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(missing, invalid) masks over ``reads``: rows where a read value is absent or rejected."""
        hit = self._blocked.get(reads)
        if hit is None:
            miss: np.ndarray | None = None
            bad: np.ndarray | None = None
            for name in reads:
                c = self.cols[name]
                if c.missing is not None:
                    miss = c.missing.copy() if miss is None else (miss | c.missing)
                if c.invalid is not None:
                    bad = c.invalid.copy() if bad is None else (bad | c.invalid)
            hit = (miss, bad)
            self._blocked[reads] = hit
        return hit

    def beyond(self, reads: frozenset[str] | None) -> np.ndarray | None:
        """Rows where a value of ``reads`` (None: of any indicator) is beyond fixed point, or None."""
        if reads in self._beyond:
            return self._beyond[reads]
        out: np.ndarray | None = None
        for name in (self.cols if reads is None else reads):
            b = self.cols[name].beyond
            if b is not None:
                out = b.copy() if out is None else (out | b)
        self._beyond[reads] = out
        return out


# ---------------------------------------------------------------------------
# expressions


@dataclass(slots=True)
class Node:
    """A compiled expression node. ``fn`` is None for a constant (``value``)."""

    kind: str  # "dec" (Decimal), "int" (a Python int, from arithmetic on booleans), "bool", "str"
    scale: int = 0
    fn: Callable[[Env], tuple[Any, int]] | None = None
    value: Any = None
    choices: tuple[str, ...] | None = None

    @property
    def const(self) -> bool:
        return self.fn is None


def _const(v: Any) -> Node:
    if isinstance(v, bool):
        return Node("bool", value=v)
    if isinstance(v, int):
        return Node("int", value=v)
    if isinstance(v, Decimal):
        return Node("dec", decimals(v), value=v)
    if isinstance(v, str):
        return Node("str", value=v)
    raise Unvectorizable(f"a value of type {type(v).__name__}")


def _check(bound: int) -> int:
    if bound >= LIMIT:
        raise Unvectorizable("numbers too large for exact fixed point")
    return bound


def _numeric(node: Node, scale: int | None = None) -> Callable[[Env], tuple[Any, int]]:
    """A function giving ``node`` as scaled ints at ``scale`` (default: its own)."""
    if node.kind == "str":
        raise Unvectorizable("text used as a number")
    s = node.scale if scale is None else scale
    if s < node.scale:  # pragma: no cover - callers only scale up
        raise AssertionError("cannot scale down")
    if s > MAX_SCALE:
        raise Unvectorizable(f"more than {MAX_SCALE} decimals")
    f = 10 ** (s - node.scale)
    if node.fn is None:
        v = node.value
        iv = int(v) if isinstance(v, (bool, int)) else to_scaled(v, node.scale)
        iv *= f
        b = _check(abs(iv))
        return lambda env: (iv, b)
    fn = node.fn
    if node.kind == "bool":
        return lambda env: (fn(env)[0].astype(np.int64) * f if f != 1 else fn(env)[0].astype(np.int64), f)
    if f == 1:
        return fn

    def scaled(env: Env) -> tuple[Any, int]:
        a, b = fn(env)
        return a * f, _check(b * f)

    return scaled


def _truth(node: Node) -> Callable[[Env], Any]:
    """A function giving the truth value of ``node`` (a bool array, or a Python bool)."""
    if node.fn is None:
        t = bool(node.value)
        return lambda env: t
    fn = node.fn
    if node.kind == "bool":
        return lambda env: fn(env)[0]
    if node.kind == "str":
        assert node.choices is not None
        table = np.array([bool(c) for c in node.choices] + [False], dtype=bool)
        return lambda env: table[fn(env)[0]]
    return lambda env: fn(env)[0] != 0


def _fold(fn: Callable[..., Any], *args: Any) -> Node:
    try:
        with decimal.localcontext(DECIMAL_CONTEXT):
            return _const(fn(*args))
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise Unvectorizable(f"a constant part fails: {exc}") from None


def compare(op: type, left: Node, right: Node) -> Node:
    """``left op right`` as a bool node."""
    if left.const and right.const:
        return _fold(OPERATORS[op], left.value, right.value)
    if op not in BY_NODE:
        raise Unvectorizable("'in' is not compiled")
    cmp = BY_NODE[op].apply
    if left.kind == "str" or right.kind == "str":
        if left.kind != right.kind:
            if op in (ast.Eq, ast.NotEq):  # text never equals a number or a boolean
                return Node("bool", value=op is ast.NotEq)
            raise Unvectorizable("text compared with a number")
        if not left.const and not right.const:
            raise Unvectorizable("two text columns compared")
        col, const = (left, right) if right.const else (right, left)
        assert col.choices is not None and col.fn is not None
        if col is left:
            table = np.array([bool(cmp(c, const.value)) for c in col.choices] + [False], dtype=bool)
        else:
            table = np.array([bool(cmp(const.value, c)) for c in col.choices] + [False], dtype=bool)
        f = col.fn
        return Node("bool", fn=lambda env: (table[f(env)[0]], 1))
    if left.kind == "bool" and right.kind == "bool":
        lf = left.fn or _constant_fn(left.value)
        rf = right.fn or _constant_fn(right.value)
        return Node("bool", fn=lambda env: (cmp(lf(env)[0], rf(env)[0]), 1))
    s = max(left.scale, right.scale)
    lf = _numeric(left, s)
    rf = _numeric(right, s)
    return Node("bool", fn=lambda env: (cmp(lf(env)[0], rf(env)[0]), 1))


def _arith(op: type, left: Node, right: Node) -> Node:
    if left.kind == "str" or right.kind == "str":
        raise Unvectorizable("arithmetic on text")
    if left.const and right.const:
        return _fold(OPERATORS[op], left.value, right.value)
    kind = "dec" if "dec" in (left.kind, right.kind) else "int"
    if op in (ast.Add, ast.Sub):
        s = max(left.scale, right.scale)
        lf, rf = _numeric(left, s), _numeric(right, s)
        if op is ast.Add:
            def add(env: Env) -> tuple[Any, int]:
                a, ba = lf(env)
                b, bb = rf(env)
                return a + b, _check(ba + bb)
            return Node(kind, s, add)

        def sub(env: Env) -> tuple[Any, int]:
            a, ba = lf(env)
            b, bb = rf(env)
            return a - b, _check(ba + bb)
        return Node(kind, s, sub)
    if op is ast.Mult:
        s = left.scale + right.scale
        if s > MAX_SCALE:
            raise Unvectorizable(f"more than {MAX_SCALE} decimals")
        lf, rf = _numeric(left), _numeric(right)

        def mul(env: Env) -> tuple[Any, int]:
            a, ba = lf(env)
            b, bb = rf(env)
            _check(ba * bb)
            return a * b, ba * bb
        return Node(kind, s, mul)
    words: dict[type, str] = {ast.Div: "division", ast.FloorDiv: "'//'", ast.Mod: "'%'"}
    raise Unvectorizable(words.get(op, "this operator")
                         + " is not compiled")


def _unary(op: ast.unaryop, inner: Node) -> Node:
    """A unary operator (``not``, ``-``, ``+``) on a compiled operand."""
    if inner.const:
        return _fold(OPERATORS[type(op)], inner.value)
    if isinstance(op, ast.Not):
        t = _truth(inner)
        return Node("bool", fn=lambda env: (np.logical_not(t(env)), 1))
    if inner.kind == "str":
        raise Unvectorizable("sign of a text")
    kind = "int" if inner.kind == "bool" else inner.kind
    f = _numeric(inner)
    if isinstance(op, ast.USub):
        return Node(kind, inner.scale, lambda env: (lambda ab: (-ab[0], ab[1]))(f(env)))
    return Node(kind, inner.scale, f)


def _constant_fn(v: Any) -> Callable[[Env], tuple[Any, int]]:
    return lambda env: (v, 1)


def _eval_on(inp: Inputs, expr: Expression) -> Any:
    return inp.eval(expr)


def _check_on(inp: Inputs, check: Callable[..., Any]) -> Any:
    return check(inp.values, inp.parameters)


def _where(t: Any, a: Any, b: Any) -> Any:
    if isinstance(t, (bool, np.bool_)):
        return a if t else b
    return np.where(t, a, b)


def _select(test: Callable[[Env], Any], body: Node, orelse: Node) -> Node:
    """``body if test else orelse`` (the value; both sides must have the same kind)."""
    if body.kind != orelse.kind or body.kind == "str":
        raise Unvectorizable("a choice between values of different kinds")
    if body.kind == "bool":
        bf, of = _truth(body), _truth(orelse)
        return Node("bool", fn=lambda env: (_where(test(env), bf(env), of(env)), 1))
    s = max(body.scale, orelse.scale)
    bf, of = _numeric(body, s), _numeric(orelse, s)

    def sel(env: Env) -> tuple[Any, int]:
        a, ba = bf(env)
        b, bb = of(env)
        return _where(test(env), a, b), max(ba, bb)
    return Node(body.kind, s, sel)


class ExprCompiler:
    """Compiles a checked :class:`~fuac.language.expressions.Expression` against a plan's inputs."""

    def __init__(self, kinds: Mapping[str, tuple[str, int, tuple[str, ...] | None]],
                 params: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]) -> None:
        self.kinds = kinds  # indicator name -> (kind, scale, choices)
        self.params = params
        self.functions = functions

    def truth(self, expr: Expression) -> Callable[[Env], Any]:
        return self._truth_of(expr.tree)

    def value(self, expr: Expression) -> Node:
        return self.node(expr.tree)

    def _truth_of(self, n: ast.AST) -> Callable[[Env], Any]:
        if isinstance(n, ast.BoolOp):
            parts = [self._truth_of(v) for v in n.values]
            if isinstance(n.op, ast.And):
                def all_(env: Env) -> Any:
                    out = parts[0](env)
                    for p in parts[1:]:
                        out = out & p(env)
                    return out
                return all_

            def any_(env: Env) -> Any:
                out = parts[0](env)
                for p in parts[1:]:
                    out = out | p(env)
                return out
            return any_
        if isinstance(n, ast.IfExp):
            t, b, o = self._truth_of(n.test), self._truth_of(n.body), self._truth_of(n.orelse)
            return lambda env: _where(t(env), b(env), o(env))
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not):
            inner = self._truth_of(n.operand)

            def not_(env: Env) -> Any:
                v = inner(env)
                return (not v) if isinstance(v, bool) else np.logical_not(v)
            return not_
        return _truth(self.node(n))

    def node(self, n: ast.AST) -> Node:
        """The compiled node of the expression tree ``n``."""
        if isinstance(n, ast.Constant):
            return _const(n.value)
        if isinstance(n, ast.Name):
            return self._name(n.id)
        if isinstance(n, ast.BinOp):
            left, right = self.node(n.left), self.node(n.right)
            if isinstance(n.op, ast.Pow):
                return self._power(left, n.right)
            return _arith(type(n.op), left, right)
        if isinstance(n, ast.UnaryOp):
            return _unary(n.op, self.node(n.operand))
        if isinstance(n, ast.Compare):
            return self._compare(n)
        if isinstance(n, ast.BoolOp):
            return self._boolop(n)
        if isinstance(n, ast.IfExp):
            test = self.node(n.test)
            body, orelse = self.node(n.body), self.node(n.orelse)
            if test.const:
                return body if test.value else orelse
            return _select(_truth(test), body, orelse)
        if isinstance(n, ast.Call):
            return self._call(n)
        # unreachable today (the language admits no other node); a node added to it later is handed back
        raise Unvectorizable(f"{type(n).__name__} is not compiled")

    def _name(self, name: str) -> Node:
        """A bare name: an indicator's column, or a parameter's value."""
        if name in self.kinds:
            kind, scale, choices = self.kinds[name]

            def col(env: Env) -> tuple[Any, int]:
                c = env.cols[name]
                return c.values, c.bound
            return Node(kind, scale, col, choices=choices)
        if name in self.params:
            return _const(self.params[name])
        raise Unvectorizable(f"name {name!r} has no value")

    def _compare(self, n: ast.Compare) -> Node:
        """A comparison, chained ones (``a < b <= c``) as every link holding."""
        left = self.node(n.left)
        nodes = [left] + [self.node(c) for c in n.comparators]
        tests = [compare(type(o), nodes[i], nodes[i + 1]) for i, o in enumerate(n.ops)]
        if len(tests) == 1:
            return tests[0]
        fs = [_truth(t) for t in tests]

        def chain(env: Env) -> tuple[Any, int]:
            out = fs[0](env)
            for f in fs[1:]:
                out = out & f(env)
            return out, 1
        if all(t.const for t in tests):
            return _const(all(bool(t.value) for t in tests))
        return Node("bool", fn=chain)

    def _boolop(self, n: ast.BoolOp) -> Node:
        """A boolean operator (``and``, ``or``) as a value: the operand that decides, as Python picks it."""
        values = [self.node(v) for v in n.values]
        out = values[-1]
        for v in reversed(values[:-1]):
            t = _truth(v)
            if v.const:
                keep = bool(v.value) if isinstance(n.op, ast.Or) else not bool(v.value)
                out = v if keep else out
                continue
            out = _select(t, v, out) if isinstance(n.op, ast.Or) else _select(t, out, v)
        return out

    def _power(self, base: Node, exp_node: ast.AST) -> Node:
        # an exponent is a whole-number literal from 0 to 4 (checked at load)
        assert isinstance(exp_node, ast.Constant)
        k = int(exp_node.value)  # type: ignore[arg-type]
        if base.const:
            return _fold(OPERATORS[ast.Pow], base.value, Decimal(k))
        if k == 0 or base.kind == "str":
            raise Unvectorizable("'** 0' is not compiled")
        b = Node("dec", base.scale, _numeric(base)) if base.kind != "dec" else base
        out = b
        for _ in range(k - 1):
            out = _arith(ast.Mult, out, b)
        return out

    def _call(self, n: ast.Call) -> Node:
        """A call, compiled by the function's own column form (:mod:`fuac.language.functions`)."""
        assert isinstance(n.func, ast.Name)
        name = n.func.id
        fn = self.functions.get(name)
        form = getattr(fn, "columns", None)
        if fn is None or form is None:
            raise Unvectorizable(f"function {name!r} is not compiled")
        args = [self.node(a) for a in n.args]
        if all(a.const for a in args):
            return _fold(fn, *(a.value for a in args))
        if any(a.kind == "str" for a in args):
            raise Unvectorizable(f"{name}() of a text")
        return cast(Node, form(args, FUNCTION_COLUMNS))


class _FunctionColumns:
    """What a function's column form may use of this compiler (:class:`fuac.language.functions.FunctionColumns`)."""

    Unvectorizable = Unvectorizable

    @staticmethod
    def node(kind: str, scale: int, fn: Callable[[Env], tuple[Any, int]]) -> Node:
        return Node(kind, scale, fn)

    numeric = staticmethod(_numeric)
    truth = staticmethod(_truth)

    @staticmethod
    def decimal(node: Node) -> Node:
        if node.kind == "dec":
            return node
        return _const(Decimal(int(node.value))) if node.const else Node("dec", 0, _numeric(node))


FUNCTION_COLUMNS = _FunctionColumns()


# ---------------------------------------------------------------------------
# rules


@dataclass(slots=True)
class RuleOut:
    """What a rule gives for every row of a chunk, before rows blocked by missing or invalid input."""

    points: np.ndarray | None  # int64 at the program's scale (any value where ``null``); None: gives no points
    null: np.ndarray | None  # True where the points are None; None: nowhere
    status: Any  # int8 status codes, or one code for every row
    met: Any  # int8: -1 None, 0, 1 (an array, or one value for every row)


def _full(v: Any, n: int, dtype: Any) -> np.ndarray:
    if isinstance(v, np.ndarray):
        if v.shape != (n,):
            v = np.broadcast_to(v, (n,))
        return v.astype(dtype, copy=False)
    return np.full(n, v, dtype=dtype)


def _merged(ro: RuleOut, rows: RuleOut, where: np.ndarray, n: int) -> RuleOut:
    """A rule's outcome with ``rows`` (computed one by one) in place of it ``where``."""
    status = np.where(where, rows.status, _full(ro.status, n, np.int8)).astype(np.int8, copy=False)
    met = np.where(where, rows.met, _full(ro.met, n, np.int8)).astype(np.int8, copy=False)
    if ro.points is None:
        return RuleOut(None, None, status, met)
    assert rows.points is not None and rows.null is not None
    points = np.where(where, rows.points, ro.points)
    null = np.where(where, rows.null, False if ro.null is None else ro.null)
    return RuleOut(points, null, status, met)


def _unblocked(full: np.ndarray, miss: np.ndarray | None, bad: np.ndarray | None) -> np.ndarray:
    """Rows still to be computed: not already decided (``full``), not missing or invalid an input."""
    todo = ~full
    if miss is not None:
        todo &= ~miss
    if bad is not None:
        todo &= ~bad
    return todo


def _code(status: str) -> int:
    try:
        return STATUSES.index(status)
    except ValueError:
        raise Unvectorizable(f"status {status!r} is not one of the known statuses") from None


def _inherited_against_score(rule: Rule, member: str) -> type | None:
    """The class ``rule`` would take ``member`` (``columns``, ``points_bounds``) from when that class
    is not where its ``score`` comes from either: a subclass that scores differently must not be
    compiled (or bounded) as its parent. None when the member goes with the score (or is the
    default of :class:`Rule`, which compiles and bounds nothing)."""
    t = type(rule)
    owner = cast("type[Rule]", next(c for c in t.__mro__ if member in vars(c)))
    if owner is Rule or t.score is owner.score:
        return None
    return owner


@dataclass(slots=True)
class CondSpec:
    id: str
    scope: str
    group: str  # "eligibility" | "veto"
    pc: PreparedCondition | None = None
    item: int | None = None  # index of the veto item that gives it


class Out:
    """The result columns of one chunk (items and sections as rows of 2-D arrays)."""

    def __init__(self, n: int, n_items: int, n_secs: int, n_conds: int,
                 into: tuple[Mapping[str, np.ndarray], int] | None = None, dtype: Any = np.int64) -> None:
        self.n = n
        if into is None:
            arrays = allocate(n, n_items, n_secs, n_conds, dtype)
            a = 0
        else:
            arrays, a = dict(into[0]), into[1]
        b = a + n
        for name, arr in arrays.items():
            setattr(self, name, arr[..., a:b])
        self.failed = np.zeros(n, bool)  # a condition could not be computed
        self.worst = np.zeros(n, np.int8)  # the highest status rank of the row's items

    pts: np.ndarray  # NULL where None
    status: np.ndarray
    met: np.ndarray
    sec: np.ndarray  # NULL for checklist sections
    total: np.ndarray  # NULL when there is no total
    cond: np.ndarray  # -1 None, 0, 1
    eligible: np.ndarray
    vetoed: np.ndarray
    grade: np.ndarray
    complete: np.ndarray
    met_count: np.ndarray
    row_status: np.ndarray
    passed: np.ndarray


def allocate(n: int, n_items: int, n_secs: int, n_conds: int, dtype: Any = np.int64) -> dict[str, np.ndarray]:
    """The result arrays of ``n`` rows (items, sections and conditions as rows of 2-D arrays).

    Points are ``dtype``: int32 when the rule set bounds every item, section and total
    tightly enough (see ``Program.points_dtype``), else int64.
    """
    return {
        "pts": np.zeros((n_items, n), dtype),
        "status": np.zeros((n_items, n), np.int8),
        "met": np.zeros((n_items, n), np.int8),
        "sec": np.zeros((n_secs, n), dtype),
        "total": np.zeros(n, dtype),
        "cond": np.zeros((n_conds, n), np.int8),
        "eligible": np.zeros(n, np.int8),
        "vetoed": np.zeros(n, bool),
        "grade": np.full(n, -1, np.int8),
        "complete": np.zeros(n, bool),
        "met_count": np.zeros(n, np.int32),
        "row_status": np.zeros(n, np.int8),
        "passed": np.full(n, -1, np.int8),
    }


# ---------------------------------------------------------------------------
# items


@dataclass(slots=True)
class _Tally:
    """What a chunk's rows gather over their items."""

    incomplete: np.ndarray  # bool: an item's status leaves the evaluation incomplete
    worst: np.ndarray  # int8: the highest status rank of the row's items
    met_count: np.ndarray  # int32: how many counted items are met

    def add_status(self, status: Any) -> None:
        """Fold one item's status (codes, or one code for every row) into ``incomplete`` and ``worst``."""
        if np.ndim(status):
            if status.any():  # most rows of most items are simply scored
                self.incomplete |= INCOMPLETE[status]
                np.maximum(self.worst, STATUS_RANK[status], out=self.worst)
        else:
            if INCOMPLETE[status]:
                self.incomplete[:] = True
            np.maximum(self.worst, STATUS_RANK[status], out=self.worst)


@dataclass(slots=True)
class _ItemRows:
    """An item's columns as they are built: points (None: gives none) with their null mask, status, met."""

    pts: np.ndarray | None
    null: np.ndarray | None
    status: Any  # int8 codes, or one code for every row
    met: Any  # int8 -1 None, 0, 1 (an array, or one value for every row)

    def mark(self, mask: np.ndarray, code: int, met: int) -> None:
        """Rows of ``mask`` take status ``code`` and met ``met``."""
        self.status = np.where(mask, np.int8(code), self.status).astype(np.int8, copy=False)
        self.met = np.where(mask, np.int8(met), self.met).astype(np.int8, copy=False)

    def block(self, masks: tuple[tuple[np.ndarray | None, int], ...], n: int, give_points: bool) -> None:
        """Mark blocked rows, mask by mask: its status code, met None, points None (an item without points
        gets points, None on every row, when ``give_points``)."""
        for mask, code in masks:
            if mask is None or not mask.any():
                continue
            if self.pts is not None:
                self.null = mask if self.null is None else (self.null | mask)
            elif give_points:
                self.pts, self.null = np.zeros(n, np.int64), np.ones(n, bool)
            self.mark(mask, code, -1)


def _sum_parts(outs: list[RuleOut], it: PreparedItem, n: int) -> _ItemRows:
    """Sum an item's parts: the status of the first part with the highest rank, the points added up,
    met when every part is."""
    pts, null = _parts_points(outs, it, n)
    return _ItemRows(pts, null, _parts_status(outs, n), _parts_met(outs, n))


def _parts_status(outs: list[RuleOut], n: int) -> Any:
    """The parts' status: the first part's with the highest rank."""
    if all(np.ndim(ro.status) == 0 for ro in outs):
        ranks = [int(STATUS_RANK[ro.status]) for ro in outs]
        return outs[ranks.index(max(ranks))].status
    best = np.full(n, -1, np.int8)
    status = np.zeros(n, np.int8)
    for ro in outs:
        rank = STATUS_RANK[ro.status] if np.ndim(ro.status) else np.int8(STATUS_RANK[ro.status])
        better = rank > best
        status = np.where(better, ro.status, status)
        best = np.maximum(best, rank)
    return status.astype(np.int8, copy=False)


def _parts_points(outs: list[RuleOut], it: PreparedItem, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The parts' points added up (a part without points counts nothing), and where they are None."""
    pts = None
    anyscored: np.ndarray | None = None
    all_given = True
    for ro in outs:
        if ro.points is None:
            continue
        v = ro.points if ro.null is None else np.where(ro.null, 0, ro.points)
        pts = v if pts is None else pts + v
        if ro.null is None:
            anyscored = np.ones(n, bool)
        else:
            all_given = False
            anyscored = ~ro.null if anyscored is None else (anyscored | ~ro.null)
    null: np.ndarray | None
    if it.max is not None:
        # an item with a maximum has parts that give points (the loader checks the maximum against them)
        assert pts is not None
        null = None
    elif pts is None:
        null = np.ones(n, bool)
        pts = np.zeros(n, np.int64)
    else:
        assert anyscored is not None
        null = None if all_given or anyscored.all() else ~anyscored
    if it.floor_item:  # rows whose points are null hold 0 here
        pts = np.maximum(pts, 0)
    return pts, null


def _parts_met(outs: list[RuleOut], n: int) -> Any:
    """The parts' met: None (-1) if any part's is None, else whether all of them are met."""
    if all(np.ndim(ro.met) == 0 for ro in outs):
        mets = [int(ro.met) for ro in outs]
        return -1 if -1 in mets else int(all(m == 1 for m in mets))
    met_none = np.zeros(n, bool)
    met_all = np.ones(n, bool)
    for ro in outs:
        met_none |= np.asarray(ro.met) == -1
        met_all &= np.asarray(ro.met) == 1
    return np.where(met_none, np.int8(-1), met_all.view(np.int8))


class ColumnHelpers:
    """This module's helpers, as members of the :class:`Program` a rule kind's ``columns`` gets
    (``cols.to_scaled(…)``, ``cols.RuleOut(…)``, ``raise cols.Unvectorizable(…)``): the kinds sit
    below ``fuac.run`` and do not import it. :class:`fuac.kinds.columns.Columns` describes them
    with the Program's own members (``ec``, ``params``, ``K``, ``factor``, ``condition``, ``test``)."""

    Unvectorizable = Unvectorizable
    RuleOut = RuleOut
    MAX_SCALE = MAX_SCALE
    S_SCORED, S_VETOED, S_AWAITING = S_SCORED, S_VETOED, S_AWAITING
    decimals = staticmethod(decimals)
    to_scaled = staticmethod(to_scaled)
    full = staticmethod(_full)
    numeric = staticmethod(_numeric)
    check = staticmethod(_check)
    const = staticmethod(_const)
    arith = staticmethod(_arith)
    compare = staticmethod(compare)
    truth_of = staticmethod(_truth)


class Program(ColumnHelpers):
    """A compiled plan. ``run(env, full)`` scores a chunk; ``report`` names what runs row by row."""

    def __init__(self, ruleset: RuleSet, plan: Plan, params: Mapping[str, Any]) -> None:
        self.ruleset = ruleset
        self.plan = plan
        self.params = params
        #: what rules read as indicators: the unit's inputs, then the derived values in the order computed
        self.indicators: dict[str, Indicator] = {**ruleset.doc.indicators,
                                                 **{d.name: d.doc.as_indicator() for d in ruleset.derived}}
        self.labels = {n: ind.label for n, ind in self.indicators.items()}
        self.rule_scale = _ruleset_scale(ruleset, plan, params)
        self.K = min(max(self.rule_scale, MIN_INPUT_SCALE), MAX_SCALE)
        self.kinds = self._kinds()
        self.ec = ExprCompiler(self.kinds, params, ruleset.functions)
        self.S: int | None = None
        # layout
        self.sections = plan.sections
        self.items: list[PreparedItem] = [it for sec in plan.sections for it in sec.items]
        self.item_index = {it.id: j for j, it in enumerate(self.items)}
        self.conds = self._cond_specs()
        self.reads_grade = any(c.pc is not None and "grade" in c.pc.results for c in self.conds)
        self.grades = sorted(range(len(ruleset.doc.grades)), key=lambda g: ruleset.doc.grades[g].rank, reverse=True)
        # first pass: the scale of each rule's points; then the common scale S; then compile at S
        self.fallback: dict[str, str] = {}
        self.S = self._points_scale()
        self.rules: dict[str, Callable[[Env], RuleOut] | None] = {}
        self.voids: dict[str, Callable[[Env], Any] | None] = {}
        self.applies: dict[str, Callable[[Env], Any] | None] = {}
        self.cond_fns: dict[str, Callable[[Env], Any] | None] = {}
        self.whole_row: dict[str, str] = {}  # rule keys that need the whole row through the single path
        for it in self.items:
            self._compile_item(it)
        for c in self.conds:
            if c.pc is not None:
                self._compile_condition(c.id, c.pc)
        self.points_dtype = self._points_dtype()
        self.null = int(np.iinfo(self.points_dtype).min)

    # -- layout
    def _kinds(self) -> dict[str, tuple[str, int, tuple[str, ...] | None]]:
        """Each indicator's (kind, scale, choices) as a column: booleans, choices as codes, numbers scaled."""
        kinds: dict[str, tuple[str, int, tuple[str, ...] | None]] = {}
        for name, ind in self.indicators.items():
            if ind.type == "boolean":
                kinds[name] = ("bool", 0, None)
            elif ind.type == "choice":
                kinds[name] = ("str", 0, tuple(ind.choices or ()))
            else:
                kinds[name] = ("dec", 0 if ind.type == "integer" else self.K, None)
        return kinds

    def derive_columns(self, env: Env) -> None:
        """Each derived value's column, row by row from the values it reads (as the single-unit path computes
        it): missing where a value it reads is missing, invalid where one is invalid or the expression fails;
        a number beyond fixed point kept exactly beside the column (``Col.exact``)."""
        n = env.n
        for d in self.ruleset.derived:
            kind, scale, _ = self.kinds[d.name]
            values = np.zeros(n, bool if kind == "bool" else np.int64)
            missing, invalid, beyond = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
            exact: dict[int, Any] = {}
            miss, bad = env.blocked(d.reads)
            for i in range(n):
                if (bad is not None and bad[i]) or (miss is not None and miss[i]):
                    (invalid if bad is not None and bad[i] else missing)[i] = True
                    continue
                try:
                    v = derived_value(d, self.inputs(env, i, d.reads).eval(d.expr))
                except (ArithmeticError, TypeError, ValueError):
                    invalid[i] = True
                    continue
                if kind == "bool":
                    values[i] = v
                    continue
                try:
                    iv = to_scaled(v, scale)
                    if abs(iv) >= INPUT_LIMIT:
                        raise Unvectorizable("too large")
                    values[i] = iv
                except Unvectorizable:
                    beyond[i], exact[i] = True, v
            bound = int(np.abs(values).max(initial=0)) if kind != "bool" else 1
            env.cols[d.name] = Col(kind, values, scale, bound, None, missing if missing.any() else None,
                                   invalid if invalid.any() else None, beyond if exact else None, exact or None)

    def _cond_specs(self) -> list[CondSpec]:
        """The conditions' columns: eligibility conditions, then vetoes, then veto items."""
        conds: list[CondSpec] = []
        for pc in self.plan.eligibility:
            conds.append(CondSpec(pc.cond.id, pc.cond.scope or "eligibility", "eligibility", pc))
        for pc in self.plan.vetoes:
            assert pc.cond.scope is not None  # a veto always names its scope: the loader requires one
            conds.append(CondSpec(pc.cond.id, pc.cond.scope, "veto", pc))
        for j, it in enumerate(self.items):
            if it.is_veto:
                conds.append(CondSpec(it.id, it.rule.scope, "veto", None, j))  # type: ignore[union-attr]
        return conds

    def _points_scale(self) -> int:
        """The common scale S of the points: the most decimals of the rule set, of any rule's points, item
        maximum, grade minimum, bonus cap or precision."""
        scales = [self.rule_scale]
        for it in self.items:
            if it.max is not None:
                scales.append(decimals(it.max))
            for _, rule in it.rules:
                try:
                    scales.append(self._compile_rule(rule)[1])
                except Unvectorizable:
                    pass
        scales += [decimals(g.min) for g in self.ruleset.doc.grades if g.min is not None]
        scales += [decimals(sec.max) for sec in self.sections if sec.pool and sec.max is not None]
        meta = self.ruleset.meta
        scales += [decimals(v) for v in (meta.bonus_cap, meta.precision) if v is not None]
        return min(max(scales), MAX_SCALE)

    # -- compiling at S; what is not compiled is noted in ``fallback`` (or ``whole_row``) with why
    def _compile_item(self, it: PreparedItem) -> None:
        """Compile an item's rules, its void_when and its applies_when."""
        for key, rule in it.rules:
            self.rules[key] = self._compiled_rule(key, rule)
        if it.void is not None:
            self.voids[it.id] = self._compiled_truth(it.void, f"{it.id} (void_when)")
        applies = it.applies
        if applies is not None:
            self.applies[it.id] = self._compiled_truth(applies, f"{it.id} (applies_when)")

    def _compiled_rule(self, key: str, rule: Rule) -> Callable[[Env], RuleOut] | None:
        """A rule's column form, or None (it runs through the single-unit path)."""
        if rule.entry is not None and rule.entry.form == "value":
            self.whole_row[key] = f"assessed rule kind {rule.kind!r}"
            return None
        try:
            return self._compile_rule(rule)[0]
        except Unvectorizable as exc:
            self.fallback[key] = str(exc)
            return None

    def _compiled_truth(self, expr: Expression, key: str) -> Callable[[Env], Any] | None:
        """Whether ``expr`` holds, compiled, or None (it runs through the single-unit path)."""
        try:
            return self.ec.truth(expr)
        except Unvectorizable as exc:
            self.fallback[key] = str(exc)
            return None

    def _compile_condition(self, cid: str, pc: PreparedCondition) -> None:
        """Compile an eligibility condition or a veto (a plugin veto check is not compiled)."""
        if pc.expr is None:
            self.cond_fns[cid] = None
            self.fallback[cid] = "a plugin veto check"
        elif pc.results:
            self.cond_fns[cid] = None
            self.fallback[cid] = "it reads the unit's result: decided row by row once the items are scored"
        else:
            self.cond_fns[cid] = self._compiled_truth(pc.expr, cid)

    # -- reporting
    def report(self, runtime: Mapping[str, tuple[int, str]] | None = None) -> dict[str, Any]:
        """What is compiled, what runs through the single-unit path and why; ``runtime``: rules that
        fell back in some chunks (numbers too large for fixed point), with how many chunks."""
        return {
            "input_scale": self.K,
            "points_scale": self.S,
            "points_dtype": np.dtype(self.points_dtype).name,
            "compiled": sorted(k for k, f in self.rules.items() if f is not None),
            "fallback": dict(sorted({**self.fallback, **self.whole_row}.items())),
            "runtime_fallback": {k: {"chunks": c, "why": w} for k, (c, w) in sorted((runtime or {}).items())},
        }

    # -- compiling rules: each kind's ``columns`` (fuac.kinds.columns.Columns: this Program)
    def factor(self, s: int) -> int:
        """The factor from scale ``s`` to the program's scale."""
        return 1 if self.S is None else 10 ** (self.S - s)

    def _compile_rule(self, rule: Rule) -> tuple[Callable[[Env], RuleOut], int]:
        """The rule kind's column form (``Rule.columns``), or :class:`Unvectorizable`."""
        owner = _inherited_against_score(rule, "columns")
        if owner is not None:
            raise Unvectorizable(f"rule kind {rule.kind!r} ({type(rule).__name__}) scores differently "
                                 f"from the columns it inherits ({owner.__name__})")
        return cast("tuple[Callable[[Env], RuleOut], int]", rule.columns(self))

    def condition(self, rule: Any) -> Callable[[Env], Any]:
        """Whether ``rule.expr`` holds or, without one, every test of ``rule.tests``."""
        if rule.expr is not None:
            return self.ec.truth(rule.expr)
        tests = [self.test(pt) for pt in rule.tests]

        def all_tests(env: Env) -> Any:
            out = tests[0](env)
            for tf in tests[1:]:
                out = out & tf(env)
            return out
        return all_tests

    def test(self, pt: PreparedTest) -> Callable[[Env], Any]:
        """Whether a prepared test holds, against its threshold, parameter or reference."""
        t = pt.test
        left = self.ec.node(ast.Name(id=t.indicator))
        if t.threshold is not None:
            right = _const(t.threshold)
        elif t.parameter is not None:
            if t.parameter not in self.params:
                raise Unvectorizable(f"parameter {t.parameter!r} has no value on this date")
            right = _const(self.params[t.parameter])
        else:
            assert t.reference is not None
            right = self.ec.node(ast.Name(id=t.reference))
        return _truth(compare(COMPARATORS[t.comparator].node, left, right))

    # -- running
    def inputs(self, env: Env, i: int, names: Any = None) -> Inputs:
        """Row ``i`` as the single-unit path sees it (only ``names``, or every valid value)."""
        values: dict[str, Any] = {}
        for name in (self.indicators if names is None else names):
            c = env.cols[name]
            if (c.missing is not None and c.missing[i]) or (c.invalid is not None and c.invalid[i]):
                continue
            v = c.values[i]
            if c.beyond is not None and c.beyond[i]:
                assert c.exact is not None
                values[name] = c.exact[i]
            elif c.kind == "dec":
                values[name] = from_scaled(int(v), c.scale)
            elif c.kind == "bool":
                values[name] = bool(v)
            else:
                assert c.choices is not None
                values[name] = c.choices[int(v)]
        assessments = {}
        for key, a in env.assess.items():
            if a.present[i]:
                v = a.values[i]
                assessments[key] = Assessment(from_scaled(int(v), a.scale) if a.values.dtype != bool else bool(v))
        inp = Inputs(values, self.params, assessments, self.ruleset.functions, {})
        inp.labels = self.labels
        return inp

    def _rule(self, env: Env, key: str, rule: Rule, full: np.ndarray) -> RuleOut:
        """A rule's outcome with rows blocked by missing or invalid input marked so."""
        n = env.n
        miss, bad = env.blocked(rule.reads)
        fn = self.rules.get(key)
        ro: RuleOut | None = None
        if fn is not None:
            try:
                ro = fn(env)
            except Unvectorizable as exc:
                env.runtime_fallbacks[key] = str(exc)
        if ro is None:
            if key in self.whole_row:
                full |= True
                return RuleOut(np.zeros(n, np.int64), None, S_SCORED, -1)
            ro = self._rule_rows(env, rule, _unblocked(full, miss, bad), full)
        else:
            ro = self._beyond_rule(env, key, rule, ro, full, miss, bad)
        if miss is not None and rule.lazy:  # rows missing a value the rule may not need: scored if it does not
            lazy = miss & _unblocked(full, None, bad)
            if lazy.any():
                ro = _merged(ro, self._rule_rows(env, rule, lazy, full), lazy, n)
                miss = miss & ~lazy
        status, met, null = ro.status, ro.met, ro.null
        blocked = miss if bad is None else (bad if miss is None else miss | bad)
        if blocked is not None and blocked.any():
            if bad is None:
                status = np.where(blocked, np.int8(S_MISSING), status).astype(np.int8, copy=False)
            else:
                status = np.where(bad, np.int8(S_INVALID), np.where(blocked, np.int8(S_MISSING), status)
                                  ).astype(np.int8, copy=False)
            met = np.where(blocked, np.int8(-1), met).astype(np.int8, copy=False)
            if ro.points is not None:
                null = blocked if null is None else (null | blocked)
        if ro.points is None:
            return RuleOut(None, None, status, met)
        return RuleOut(ro.points, null, status, met)

    def _beyond_rule(self, env: Env, key: str, rule: Rule, ro: RuleOut, full: np.ndarray, miss: Any,
                     bad: Any) -> RuleOut:
        """A compiled rule's outcome, with the rows whose values are beyond fixed point computed one by
        one through the single-unit path (their column values are 0, not the values)."""
        fine = env.beyond(rule.reads if rule.reads_only_reads() else None)
        if fine is None:
            return ro
        todo = fine & _unblocked(full, miss, bad)
        if not todo.any():
            return ro
        env.exact_rows[key] = env.exact_rows.get(key, 0) + int(todo.sum())
        return _merged(ro, self._rule_rows(env, rule, todo, full), todo, env.n)

    def _rule_rows(self, env: Env, rule: Rule, todo: np.ndarray, full: np.ndarray) -> RuleOut:
        """The single-unit path for the rows of ``todo``, one by one (a rule not compiled, or rows with
        values beyond fixed point); a row whose points fixed point cannot hold is added to ``full``."""
        n = env.n
        S = self.S or 0
        points = np.zeros(n, np.int64)
        null = np.zeros(n, bool)
        status = np.zeros(n, np.int8)
        met = np.full(n, -1, np.int8)
        names = rule.reads if rule.reads_only_reads() else None
        for i in np.flatnonzero(todo):
            inp = self.inputs(env, int(i), names)
            with decimal.localcontext(DECIMAL_CONTEXT):
                try:
                    o = rule.score(inp)
                    pts, st, m = o.points, o.status, o.met
                except MissingValue:  # a lazy rule that needed a value the row does not have
                    pts, st, m = None, "missing_input", None
                except (ArithmeticError, TypeError, ValueError):
                    pts, st, m = None, "invalid_input", None
                except Exception as exc:  # a bug in the kind: say which rule (the runner adds the record)
                    err = EvaluationError(f"rule {rule.id!r} (kind {rule.kind!r}) failed: {type(exc).__name__}: {exc}")
                    err.row = int(i)  # type: ignore[attr-defined]
                    raise err from exc
            try:
                status[i] = _code(st)
                if pts is None:
                    null[i] = True
                else:
                    v = to_scaled(pts, S)
                    _check(abs(v))
                    points[i] = v
            except Unvectorizable:
                full[i] = True
                continue
            met[i] = -1 if m is None else int(bool(m))
        return RuleOut(points, null, status, met)

    def _truth_rows(self, env: Env, rows: np.ndarray, test: Callable[[Inputs], Any], names: Any,
                    context: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(holds, failed, missing) for ``rows``, one row at a time through the single-unit path; missing:
        a value the test needed is missing (a row scored lazily, see ``Rule.lazy``)."""
        holds = np.zeros(env.n, bool)
        failed = np.zeros(env.n, bool)
        missing = np.zeros(env.n, bool)
        for i in np.flatnonzero(rows):
            inp = self.inputs(env, int(i), names)
            try:
                if context:
                    with decimal.localcontext(DECIMAL_CONTEXT):
                        holds[i] = bool(test(inp))
                else:
                    holds[i] = bool(test(inp))
            except MissingValue:
                missing[i] = True
            except (ArithmeticError, TypeError, ValueError):
                failed[i] = True
        return holds, failed, missing

    def new_out(self, n: int, into: tuple[Mapping[str, np.ndarray], int] | None = None) -> Out:
        return Out(n, len(self.items), len(self.sections), len(self.conds), into, self.points_dtype)

    def allocate(self, n: int) -> dict[str, np.ndarray]:
        return allocate(n, len(self.items), len(self.sections), len(self.conds), self.points_dtype)

    # -- static bounds of the points, to store them in 32 bits when they fit
    def _rule_bounds(self, rule: Rule) -> tuple[Decimal, Decimal] | None:
        """The rule kind's ``points_bounds`` (None: unknown)."""
        if _inherited_against_score(rule, "points_bounds") is not None:
            return None
        return rule.points_bounds()

    def _points_dtype(self) -> Any:
        S = self.S or 0
        total_lo = total_hi = Decimal(0)
        for it in self.items:
            lo = hi = Decimal(0)
            for _, rule in it.rules:
                b = self._rule_bounds(rule)
                if b is None:
                    return np.int64
                lo, hi = lo + b[0], hi + b[1]
            # a voided item's 0 is within these bounds, which take in 0 whatever the rules give
            total_lo, total_hi = total_lo + min(lo, Decimal(0)), total_hi + max(hi, Decimal(0))
        total_hi += sum((sec.max for sec in self.sections if sec.pool and sec.max), Decimal(0))  # pools' start
        limit = Decimal(2**31 - 2).scaleb(-S)
        return np.int32 if max(abs(total_lo), abs(total_hi)) < limit else np.int64

    def _conditions(self, env: Env, full: np.ndarray, out: Out) -> None:
        """The eligibility and veto conditions (not the veto items) into ``out.cond``: 1 holds, 0 does
        not, -1 cannot be told (an input missing or invalid, or a check that failed, marked in ``out.failed``)."""
        for ci, c in enumerate(self.conds):
            if c.pc is None or c.pc.results:  # (one reading the result: once the items are scored)
                continue
            pc = c.pc
            if pc.expr is not None:
                test, names = partial(_eval_on, expr=pc.expr), pc.reads
            else:
                assert pc.check is not None
                test, names = partial(_check_on, check=pc.check), None
            h, failed, miss, bad = self._guard(env, full, self.cond_fns.get(c.id), pc.reads, test, names, False)
            holds = h.astype(np.int8)
            if failed is not None and failed.any():
                holds[failed] = -1
                out.failed |= failed
            for m in (miss, bad):
                if m is not None:
                    holds[m] = -1
            out.cond[ci] = holds

    def _late_conditions(self, env: Env, out: Out, total: np.ndarray, incomplete: np.ndarray,
                         graded: bool = False) -> None:
        """The conditions that read the unit's result (``total``, ``subtotal_<section>``, ``points_<item>``;
        with ``graded``, those that read ``grade``, once it is decided), row by row as ``evaluate`` decides
        them: -1 where an item is not settled (or the grade is not), an input it reads is missing or
        invalid, or it failed (marked in ``out.failed``)."""
        late = [(ci, c.pc) for ci, c in enumerate(self.conds)
                if c.pc is not None and c.pc.results and graded == ("grade" in c.pc.results)]
        if not late:
            return
        S = self.S or 0
        names = result_names(self.ruleset.doc)
        grades = self.ruleset.doc.grades
        todo = ~incomplete & (out.grade >= 0) if graded else ~incomplete
        for ci, pc in late:
            assert pc.expr is not None
            miss, bad = env.blocked(pc.reads)
            holds = np.full(env.n, -1, np.int8)
            for i in np.flatnonzero(todo).tolist():
                if (miss is not None and miss[i]) or (bad is not None and bad[i]):
                    continue
                inp = self.inputs(env, i, pc.reads)
                results = result_values(
                    names, from_scaled(int(total[i]), S), self._row_points(out.sec, self.sections, i),
                    self._row_points(out.pts, self.items, i), grades[out.grade[i]].id if graded else None)
                inp.values = {**inp.values, **results}
                inp.env = {**inp.env, **results}
                try:
                    holds[i] = int(bool(_eval_on(inp, pc.expr)))
                except (ArithmeticError, TypeError, ValueError, LookupError):
                    out.failed[i] = True
            out.cond[ci] = holds

    def _row_points(self, pts: np.ndarray, of: Sequence[PreparedItem | PreparedSection], i: int) -> dict[str, Decimal]:
        """Row ``i``'s points of each item (or section) of ``of``, by id, as exact decimals (none: left out)."""
        S = self.S or 0
        return {x.id: from_scaled(int(pts[k][i]), S) for k, x in enumerate(of) if pts[k][i] != self.null}

    def _guard(self, env: Env, full: np.ndarray, fn: Callable[[Env], Any] | None, reads: frozenset[str],
               test: Callable[[Inputs], Any], names: Any, context: bool
               ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray | None]:
        """(holds, failed, missing, invalid) of a condition over ``reads``: compiled (``fn``; failed None), else
        ``test`` row by row on the rows not blocked (see :meth:`_truth_rows`)."""
        miss, bad = env.blocked(reads)
        failed: np.ndarray | None = None
        if fn is None:
            holds, failed, _ = self._truth_rows(env, _unblocked(full, miss, bad), test, names, context)
        else:
            holds = _full(fn(env), env.n, bool)
            fine = env.beyond(reads)
            todo = None if fine is None else fine & _unblocked(full, miss, bad)
            if todo is not None and todo.any():
                exact, failed, _ = self._truth_rows(env, todo, test, names, context)
                holds = np.where(todo, exact, holds)
        if miss is not None and names is not None:  # an expression: it may not need what is missing
            lazy = miss & _unblocked(full, None, bad)
            if lazy.any():
                h, f, still = self._truth_rows(env, lazy, test, names, context)
                holds = np.where(lazy, h, holds)
                failed = f if failed is None else failed | f
                miss = (miss & ~lazy) | still
        return holds, failed, miss, bad

    def run(self, env: Env, full: np.ndarray, out: Out | None = None) -> Out:
        """Score a chunk into ``out``. ``full`` marks rows left to the single-unit path; more may be added."""
        n = env.n
        if out is None:
            out = self.new_out(n)
        self._conditions(env, full, out)
        tally = _Tally(np.zeros(n, bool), np.zeros(n, np.int8), np.zeros(n, np.int32))
        total = self._score_sections(env, full, out, tally)
        if total is not None:
            self._late_conditions(env, out, total, tally.incomplete)
        self._item_vetoes(out)
        self._eligibility(out)
        if total is not None:
            out.total[...] = total
            self._outcome(out, total, tally.incomplete)
            if self.reads_grade:  # eligibility that reads the grade: decided after it
                self._late_conditions(env, out, total, tally.incomplete, graded=True)
                self._eligibility(out)
        else:
            out.total[...] = self.null
        out.complete[...] = ~tally.incomplete
        out.met_count[...] = tally.met_count
        out.worst = tally.worst
        return out

    def _score_sections(self, env: Env, full: np.ndarray, out: Out, tally: _Tally) -> np.ndarray | None:
        """Every item and section into ``out``; the total, bonus points capped (None: no total)."""
        n = env.n
        total = np.zeros(n, np.int64) if self.ruleset.scheme_kind == "points" else None
        bonus_total = np.zeros(n, np.int64) if any(it.bonus for it in self.items) else None
        j = 0
        for si, sec in enumerate(self.sections):
            sub, bonus = self._score_section(env, sec, j, full, out, tally)
            j += len(sec.items)
            if sub is None:
                out.sec[si] = self.null
                continue
            if sec.floor_at_zero:
                np.maximum(sub, 0, out=sub)
            if bonus is not None:
                assert bonus_total is not None
                bonus_total += bonus
                sub += bonus
            assert total is not None
            total += sub
            out.sec[si] = sub
        cap = self.ruleset.meta.bonus_cap
        if total is not None and cap is not None and bonus_total is not None:
            cap_s = to_scaled(cap, self.S or 0)
            total = total - np.maximum(bonus_total - cap_s, 0)
        return total

    def _score_section(self, env: Env, sec: PreparedSection, j: int, full: np.ndarray, out: Out,
                      tally: _Tally) -> tuple[np.ndarray | None, np.ndarray | None]:
        """A section's items (the first at ``j``) into ``out``; its points and its bonus points (None: none).
        A pool of deductions starts from the section's maximum."""
        sub = np.zeros(env.n, np.int64) if sec.scoring == "points" else None
        if sub is not None and sec.pool and sec.max:
            sub += to_scaled(sec.max, self.S or 0)
        bonus = None
        for it in sec.items:
            pts, null = self._store_item(env, it, j, full, out, tally)
            if sub is not None and pts is not None:
                v = pts if null is None else np.where(null, 0, pts)
                if it.bonus:
                    bonus = v.copy() if bonus is None else bonus + v
                else:
                    sub += v
            j += 1
        return sub, bonus

    def _store_item(self, env: Env, it: PreparedItem, j: int, full: np.ndarray, out: Out,
                   tally: _Tally) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Item ``j`` into ``out`` and the rows' tally; its points and null mask (see :meth:`_item`)."""
        pts, null, status, met = self._item(env, it, full)
        if pts is None:
            out.pts[j] = self.null
        elif null is None:
            out.pts[j] = pts
        else:
            out.pts[j] = np.where(null, self.null, pts)
        out.status[j] = status
        out.met[j] = met
        tally.add_status(status)
        if it.counts:
            tally.met_count += (out.met[j] == 1)
        return pts, null

    def _item_vetoes(self, out: Out) -> None:
        """The veto items' conditions from their statuses: 1 vetoed, -1 missing or invalid input, else 0."""
        for ci, c in enumerate(self.conds):
            if c.item is not None:
                st = out.status[c.item]
                out.cond[ci] = np.where((st == S_MISSING) | (st == S_INVALID), np.int8(-1),
                                        (st == S_VETOED).view(np.int8))

    def _eligibility(self, out: Out) -> None:
        """Whether each row is eligible (1, 0, -1 undecided) and whether it is vetoed, from the conditions."""
        n = out.n
        elig_no = np.zeros(n, bool)
        undecided = np.zeros(n, bool)
        vetoed = np.zeros(n, bool)
        for ci, c in enumerate(self.conds):
            h = out.cond[ci]
            if c.group == "eligibility":
                elig_no |= h == 0
                undecided |= h == -1
            elif c.scope == "eligibility":
                elig_no |= h == 1
                undecided |= h == -1
            if c.group == "veto" and c.scope in VETOING:
                vetoed |= h == 1
        out.eligible[...] = np.where(elig_no, np.int8(0), np.where(undecided, np.int8(-1), np.int8(1)))
        out.vetoed[...] = vetoed

    def _outcome(self, out: Out, total: np.ndarray, incomplete: np.ndarray) -> None:
        """The grade and ``passed`` of each row (``evaluate._outcome``): a vetoed row fails and gets the grade
        its vetoes name (-1: none); otherwise both wait for every item and every vetoing veto, then the
        total decides them."""
        undecided = incomplete.copy()
        for ci, c in enumerate(self.conds):
            if c.group == "veto" and c.scope in VETOING:
                undecided |= out.cond[ci] == -1
        vetoed = out.vetoed
        if self.grades:
            graded = np.where(undecided, np.int8(-1), self._grade(out, total))
            out.grade[...] = np.where(vetoed, self._veto_grade(out), graded)
        pm = self.ruleset.meta.pass_mark
        if pm is not None:
            passed = np.where(undecided, np.int8(-1), (total >= to_scaled(pm, self.S or 0)).view(np.int8))
            out.passed[...] = np.where(vetoed, np.int8(0), passed)

    def _veto_grade(self, out: Out) -> np.ndarray:
        """Each vetoed row's grade: the lowest its triggered vetoes name, -1 when one of them names none."""
        grades = self.ruleset.doc.grades
        lowest = np.full(out.n, -1, np.int64)  # a position in self.grades, from the highest; -1: none named yet
        none = np.zeros(out.n, bool)
        for ci, c in enumerate(self.conds):
            if c.group != "veto" or c.scope not in VETOING:
                continue
            hit = out.cond[ci] == 1
            named = c.pc.cond.grade if c.pc is not None else None
            if named is None:
                none |= hit
                continue
            k = [grades[g].id for g in self.grades].index(named)
            lowest = np.where(hit, np.maximum(lowest, k), lowest)
        lowest = np.where(none | (lowest < 0), len(self.grades), lowest)
        gidx = np.array([*self.grades, -1], dtype=np.int8)
        return gidx[lowest]

    def _grade(self, out: Out, total: np.ndarray) -> np.ndarray:
        """Each row's grade: the first band (by minimum, highest first) the total reaches, lowered to the
        cap of any triggered tier_cap veto (-1: below every band)."""
        S = self.S or 0
        grades = self.ruleset.doc.grades
        pos = np.full(out.n, -1, np.int64)
        for k, g in enumerate(self.grades):
            floor = grades[g].min
            reached = True if floor is None else total >= to_scaled(floor, S)  # no min: every total
            pos = np.where((pos < 0) & reached, k, pos)
        order = [grades[g].id for g in self.grades]
        for ci, c in enumerate(self.conds):
            cap_tier = c.pc.cond.cap_tier if c.pc is not None else None
            if c.scope != "tier_cap" or not cap_tier:
                continue
            if cap_tier in order:
                capk = order.index(cap_tier)
                pos = np.where((pos >= 0) & (out.cond[ci] == 1), np.maximum(pos, capk), pos)
        gidx = np.array([*self.grades, -1], dtype=np.int8)
        return gidx[pos]

    def row_status(self, out: Out, input_error: np.ndarray | None) -> np.ndarray:
        """One status per row: invalid_input, missing_input, awaiting_assessor or scored
        (see ``batch.results.row_status``)."""
        n = out.n
        undecided = np.zeros(n, bool)
        for ci, c in enumerate(self.conds):
            if c.item is None:
                undecided |= out.cond[ci] == -1
        rank = out.worst.copy()
        rank[undecided & ~out.failed] = np.maximum(rank[undecided & ~out.failed], 2)
        rank[out.failed] = 3
        if input_error is not None:
            rank[input_error] = 3
        return ROW_STATUS[rank]

    def _item(self, env: Env, it: PreparedItem, full: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None,
                                                                              Any, Any]:
        """(points or None, null mask or None, status, met) of an item; status and met may be scalars."""
        if it.parts is None:
            assert it.rule is not None
            ro = self._rule(env, it.id, it.rule, full)
            rows = _ItemRows(ro.points, ro.null, ro.status, ro.met)
        else:
            rows = _sum_parts([self._rule(env, p.key, p.rule, full) for p in it.parts], it, env.n)
        if it.void is not None:
            self._apply_void_when(env, it, it.void, full, rows)
        applies = it.applies
        if applies is not None:
            self._apply_applies_when(env, it, applies, full, rows)
        return rows.pts, rows.null, rows.status, rows.met

    def _apply_void_when(self, env: Env, it: PreparedItem, expr: Expression, full: np.ndarray,
                         rows: _ItemRows) -> None:
        """The item's void_when: voided rows score 0 (None without a maximum), voided and not met; rows where
        it cannot be told, missing or invalid."""
        n = env.n
        voided, failed, miss, bad = self._guard(env, full, self.voids.get(it.id), it.void_reads,
                                                partial(_eval_on, expr=expr), it.void_reads, True)
        if voided.any():
            if rows.pts is None:
                rows.pts = np.zeros(n, np.int64)
                rows.null = np.ones(n, bool)
            rows.pts = np.where(voided, 0, rows.pts)
            if it.max is None:
                rows.null = voided if rows.null is None else (rows.null | voided)
            elif rows.null is not None:
                rows.null = rows.null & ~voided
            rows.mark(voided, S_VOIDED, 0)
        rows.block(((failed, S_INVALID), (miss, S_MISSING), (bad, S_INVALID)), n, False)

    def _apply_applies_when(self, env: Env, it: PreparedItem, expr: Expression, full: np.ndarray,
                            rows: _ItemRows) -> None:
        """The item's applies_when: rows where it does not hold are not applicable; rows where it cannot
        be told, missing or invalid."""
        # applies_when is checked first: where it does not hold, nothing else of the item counts
        reads = frozenset(nm for nm in expr.names if nm in self.indicators)
        holds, failed, miss, bad = self._guard(env, full, self.applies.get(it.id), reads,
                                               partial(_eval_on, expr=expr), reads, True)
        if failed is not None:
            holds = holds | failed
        rows.block(((~holds, S_NA), (failed, S_INVALID), (miss, S_MISSING), (bad, S_INVALID)), env.n, True)


def _ruleset_scale(ruleset: RuleSet, plan: Plan, params: Mapping[str, Any]) -> int:
    """The most decimals any number written in the rule set (or in force as a parameter) has."""
    out = 0

    def see(v: Any) -> None:
        nonlocal out
        if isinstance(v, Decimal) and v.is_finite():
            out = max(out, decimals(v))
        elif isinstance(v, Mapping):
            for x in v.values():
                see(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                see(x)
        elif hasattr(type(v), "model_fields"):
            for name in type(v).model_fields:
                see(getattr(v, name))

    def see_expr(e: Any) -> None:
        if isinstance(e, Expression):
            for node in ast.walk(e.tree):
                if isinstance(node, ast.Constant):
                    see(node.value)

    for ind in ruleset.doc.indicators.values():
        see(ind.min)
        see(ind.max)
    see(dict(params))
    for sec in plan.sections:
        for it in sec.items:
            see(it.max)
            see_expr(it.void)
            for _, rule in it.rules:
                see(rule.params)
                see_expr(getattr(rule, "expr", None))
    for pc in (*plan.eligibility, *plan.vetoes):
        see_expr(pc.expr)
    return min(out, MAX_SCALE)
