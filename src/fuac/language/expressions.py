"""Safe expressions: simpleeval's language, checked and parsed once at load.

An expression is parsed with :mod:`ast`, checked against a whitelist that is
stricter than simpleeval's own (no attributes, subscripts, strings beyond a short
literal, comprehensions, lambdas, keyword arguments, bit operators or ``is``;
``**`` only with a small literal exponent), its number literals are turned into
exact :class:`~decimal.Decimal` values, and the tree is kept. Evaluation hands the
kept tree to :class:`simpleeval.SimpleEval` with a reduced operator table.
"""

from __future__ import annotations

import ast
import decimal
import math
import operator as op
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import simpleeval

from ..errors import ExpressionError
from .comparators import COMPARATORS
from .functions import _d

MAX_EXPRESSION_LENGTH = 2000
MAX_DEPTH = 32  # brackets nested
MAX_TREE_DEPTH = 100  # parse-tree depth: a sum of n terms is n deep
MAX_NODES = 400
MAX_STRING_LITERAL = 200
MAX_POWER_EXPONENT = 4
MAX_LITERAL_DIGITS = 30

#: The decimal context every expression and score is computed in.
DECIMAL_CONTEXT = decimal.Context(
    prec=34,
    rounding=ROUND_HALF_UP,
    Emax=999_999,
    Emin=-999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

def _numbers_only(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    # a string can reach an operator without a literal beside it ("a" if c else "b") * n:
    # refuse it when evaluating, so that no expression can build a huge string
    def apply(a: Any, b: Any) -> Any:
        if isinstance(a, str) or isinstance(b, str):
            raise TypeError("arithmetic on strings is not allowed")
        return fn(a, b)

    return apply


def _power(a: Any, b: Any) -> Decimal:
    # the exponent is a whole-number literal from 0 to MAX_POWER_EXPONENT (checked at compile
    # time); in decimals, a result too large for DECIMAL_CONTEXT is an Overflow, not a huge int
    return _d(a) ** _d(b)


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: _numbers_only(op.add),
    ast.Sub: _numbers_only(op.sub),
    ast.Mult: _numbers_only(op.mul),
    ast.Div: _numbers_only(op.truediv),
    ast.FloorDiv: _numbers_only(op.floordiv),
    ast.Mod: _numbers_only(op.mod),
    ast.Pow: _power,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: op.neg, ast.UAdd: op.pos, ast.Not: op.not_}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    **{c.node: c.apply for c in COMPARATORS.values()},
    ast.In: lambda x, y: op.contains(y, x),
    ast.NotIn: lambda x, y: not op.contains(y, x),
}
OPERATORS: dict[type, Callable[..., Any]] = {**_BINOPS, **_UNARY, **_COMPARE}

_ALLOWED_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Constant,
    *OPERATORS,
)

_DESCRIBE = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambdas",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.NamedExpr: "assignment",
    ast.JoinedStr: "f-strings",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.Starred: "star arguments",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.Is: "'is'",
    ast.IsNot: "'is not'",
    ast.BitAnd: "bit operators",
    ast.BitOr: "bit operators",
    ast.BitXor: "bit operators",
    ast.Invert: "bit operators",
    ast.LShift: "shifts",
    ast.RShift: "shifts",
    ast.MatMult: "'@'",
}


#: Names every expression may read besides indicators and parameters.
BUILTIN_NAMES: dict[str, Any] = {"True": True, "False": False}


@dataclass(frozen=True, slots=True)
class Expression:
    """A checked, parsed expression. ``names`` are the free names it reads."""

    source: str
    tree: ast.expr
    names: frozenset[str]
    functions: frozenset[str]

    def evaluate(self, env: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]) -> Any:
        """Evaluate against ``env``. Number values in ``env`` must already be Decimal."""
        ev = simpleeval.SimpleEval(operators=OPERATORS, functions=dict(functions), names=env)
        ev.expr = self.source
        with decimal.localcontext(DECIMAL_CONTEXT):
            try:
                return ev._eval(self.tree)
            except simpleeval.InvalidExpression as exc:  # e.g. a name with no value on this date
                raise ValueError(str(exc)) from None

    def __str__(self) -> str:
        return self.source


def _literal(node: ast.Constant, source: str) -> Any:
    v = node.value
    if isinstance(v, bool) or v is None:
        if v is None:
            raise ExpressionError("None is not allowed")
        return v
    if isinstance(v, str):
        if len(v) > MAX_STRING_LITERAL:
            raise ExpressionError(f"string literal of {len(v)} characters; at most {MAX_STRING_LITERAL} allowed")
        return v
    if isinstance(v, (int, float)):
        text = ast.get_source_segment(source, node) or repr(v)
        try:
            d = Decimal(text.replace("_", ""))
        except decimal.InvalidOperation:
            d = Decimal(int(v)) if isinstance(v, int) else Decimal(repr(v))
        if not d.is_finite() or len(d.as_tuple().digits) > MAX_LITERAL_DIGITS or abs(d.adjusted()) > 15:
            raise ExpressionError(f"number literal {text!r} is out of range")
        return d
    raise ExpressionError(f"literal of type {type(v).__name__} is not allowed")


def _paren_depth(source: str) -> int:
    depth = best = 0
    for c in source:
        if c in "([{":
            depth += 1
            best = max(best, depth)
        elif c in ")]}":
            depth -= 1
    return best


def compile_expression(
    source: Any,
    *,
    names: Iterable[str] | None = None,
    functions: Iterable[str] | None = None,
) -> Expression:
    """Check and parse ``source``. ``names``/``functions``: what it may use (None: anything).

    Raises :class:`~fuac.errors.ExpressionError` with a message that says what is wrong.
    """
    if not isinstance(source, str):
        raise ExpressionError(f"an expression must be a string, not {type(source).__name__}")
    text = source.strip()
    if not text:
        raise ExpressionError("empty expression")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"expression is {len(text)} characters long; at most {MAX_EXPRESSION_LENGTH} allowed")
    if "\x00" in text:
        raise ExpressionError("expression contains a NUL character")
    if _paren_depth(text) > MAX_DEPTH:
        raise ExpressionError(f"expression nests deeper than {MAX_DEPTH} levels")
    try:
        module = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"expression does not parse: {exc.msg} (column {exc.offset})") from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise ExpressionError(f"expression cannot be parsed: {type(exc).__name__}") from None

    allowed_names = None if names is None else set(names) | set(BUILTIN_NAMES)
    allowed_funcs = None if functions is None else set(functions)
    used_names: set[str] = set()
    used_funcs: set[str] = set()
    count = 0

    def visit(node: ast.AST, depth: int) -> ast.AST:
        nonlocal count
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(f"expression has more than {MAX_NODES} parts")
        if depth > MAX_TREE_DEPTH:
            raise ExpressionError(f"expression nests deeper than {MAX_TREE_DEPTH} levels")
        if not isinstance(node, _ALLOWED_NODES):
            what = _DESCRIBE.get(type(node), type(node).__name__)
            raise ExpressionError(f"{what} not allowed in expressions")
        if isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise ExpressionError(f"name {node.id!r}: names starting with '_' are not allowed")
            if allowed_names is not None and node.id not in allowed_names:
                raise ExpressionError(f"unknown name {node.id!r}: not a declared indicator, parameter or function")
            used_names.add(node.id)
            return node
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise ExpressionError("only named functions may be called")
            fname = node.func.id
            if fname.startswith("_"):
                raise ExpressionError(f"function {fname!r}: names starting with '_' are not allowed")
            if allowed_funcs is not None and fname not in allowed_funcs:
                raise ExpressionError(f"unknown function {fname!r}")
            if node.keywords:
                raise ExpressionError(f"{fname}(): keyword arguments are not allowed")
            used_funcs.add(fname)
            node.args = [visit(a, depth + 1) for a in node.args]  # type: ignore[misc]
            return node
        if isinstance(node, ast.Constant):
            return ast.copy_location(ast.Constant(value=_literal(node, text)), node)
        if isinstance(node, ast.BinOp) and any(
            isinstance(side, ast.Constant) and isinstance(side.value, str) for side in (node.left, node.right)
        ):
            raise ExpressionError("arithmetic on strings is not allowed")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            r = node.right
            if not (
                isinstance(r, ast.Constant)
                and isinstance(r.value, int)
                and not isinstance(r.value, bool)
                and 0 <= r.value <= MAX_POWER_EXPONENT
            ):
                raise ExpressionError(f"'**' needs a whole-number literal exponent from 0 to {MAX_POWER_EXPONENT}")
        for field, value in ast.iter_fields(node):
            if isinstance(value, ast.AST):
                setattr(node, field, visit(value, depth + 1))
            elif isinstance(value, list):
                setattr(node, field, [visit(v, depth + 1) if isinstance(v, ast.AST) else v for v in value])
        return node

    tree = visit(module, 0)
    assert isinstance(tree, ast.Expression)
    return Expression(text, tree.body, frozenset(used_names - set(BUILTIN_NAMES)), frozenset(used_funcs))


def exact_number(v: Any) -> Decimal | None:
    """A finite Decimal from an int/float/Decimal, or None when it is not a number."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise OverflowError
        return Decimal(repr(v))
    if isinstance(v, Decimal):
        if not v.is_finite():
            raise OverflowError
        return v
    return None


def to_decimal(value: Any) -> Any:
    """Numbers to Decimal (floats through their shortest repr); other values unchanged."""
    if isinstance(value, bool) or isinstance(value, (str, Decimal)) or value is None:
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("not a finite number")
        return Decimal(repr(value))
    return value


def quantize(value: Decimal, precision: Decimal) -> Decimal:
    """Round half-up to ``precision`` (e.g. Decimal('0.1')). Used only when reporting."""
    with decimal.localcontext(DECIMAL_CONTEXT):
        return value.quantize(precision, rounding=ROUND_HALF_UP)
