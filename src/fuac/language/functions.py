"""The functions every rule-file expression may call: each one's exact form, and its column form beside it.

The exact form takes and gives :class:`~decimal.Decimal` (or ``bool``): it is what the single-unit
evaluator calls, row by row. The column form is what the batch's vector backend
(:mod:`fuac.run.vector`) compiles a call into, for a whole chunk of rows at once, in exact fixed
point: ``form(args, fc)`` gets the compiled arguments (:class:`Node`: a constant or a column
function of scaled ``int64`` values) and ``fc``, what of the compiler a form may use
(:class:`FunctionColumns`), and gives the call's :class:`Node`, or raises
``fc.Unvectorizable(reason)``: the expression is then handed back to the single-unit path, with
the reason in ``backend_report["fallback"]``. A call whose arguments are all constants is folded by
the compiler with the exact form; a call with a text argument is never compiled.

A function carries its column form as its ``columns`` attribute (set by :func:`column_form`); a
function without one (a plugin's, unless it sets one) is not compiled. Nothing here imports numpy
at import time: a column form imports it when the batch compiles a plan.

A plugin's code (its functions, its rule kinds' ``score`` and ``check_entry``, its veto checks) is
called through :class:`PluginCall` (a kind's methods through ``fuac.kinds.base``): whatever it raises
becomes a :class:`~fuac.errors.PluginCodeError` naming the plugin and the code, which costs the rule
it served on that unit, never the evaluation or the batch. fuac's own code is called as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from ..errors import ParameterNotInForceError, PluginCodeError

#: ``fn(env)`` of a compiled node: ``(values, bound)``, scaled ``int64`` values (bool for a
#: condition) and a bound on their magnitude
ColumnFn = Callable[[Any], tuple[Any, int]]


class Node(Protocol):
    """A compiled expression: a constant (``const``, its ``value``) or a column function ``fn``."""

    @property
    def kind(self) -> str:
        """``"dec"`` (a number), ``"int"`` (a count, from arithmetic on booleans), ``"bool"`` or ``"str"``."""

    @property
    def scale(self) -> int:
        """The decimals of its fixed-point values."""

    @property
    def value(self) -> Any:
        """The value of a constant (``Decimal``, ``int``, ``bool`` or ``str``)."""

    @property
    def const(self) -> bool:
        """True for a constant."""

    @property
    def fn(self) -> ColumnFn | None:
        """The column function, ``fn(env) -> (values, bound)``: int64 fixed point for a number, bool,
        or int codes into ``choices`` for a choice; None for a constant."""

    @property
    def choices(self) -> tuple[str, ...] | None:
        """A choice column's categories, in the order of its codes; None for anything else."""


class FunctionColumns(Protocol):
    """What a function's column form may use of the batch's expression compiler."""

    Unvectorizable: type[Exception]

    def node(self, kind: str, scale: int, fn: ColumnFn) -> Node:
        """A column node of ``kind`` whose values are at ``scale``."""

    def numeric(self, node: Node, scale: int | None = None) -> ColumnFn:
        """``node``'s values as scaled ints at ``scale`` (default: its own)."""

    def truth(self, node: Node) -> Callable[[Any], Any]:
        """``fn(env)`` giving ``node``'s truth: a bool array, or a Python bool."""

    def decimal(self, node: Node) -> Node:
        """``node`` as a number (``"dec"``), as the exact forms' ``_d`` reads it: a boolean is 0 or 1."""


ColumnForm = Callable[[list[Any], FunctionColumns], Any]


def column_form(exact: Callable[..., Any]) -> Callable[[ColumnForm], ColumnForm]:
    """Decorator: the function below is ``exact``'s column form (``exact.columns``)."""

    def mark(form: ColumnForm) -> ColumnForm:
        exact.columns = form  # type: ignore[attr-defined]
        return form

    return mark


def _d(x: Any) -> Decimal:
    if isinstance(x, Decimal):
        return x
    if isinstance(x, bool):
        return Decimal(int(x))
    if isinstance(x, int):
        return Decimal(x)
    raise TypeError(f"expected a number, got {type(x).__name__}")


def _one(name: str, args: list[Any], fc: FunctionColumns) -> Any:
    if len(args) != 1:
        raise fc.Unvectorizable(f"{name}() takes one argument")
    return fc.decimal(args[0])


def _abs(x: Any) -> Decimal:
    return abs(_d(x))


@column_form(_abs)
def _abs_columns(args: list[Any], fc: FunctionColumns) -> Any:
    import numpy as np

    x = _one("abs", args, fc)
    f = fc.numeric(x)

    def absolute(env: Any) -> tuple[Any, int]:
        a, b = f(env)
        return np.abs(a), b

    return fc.node("dec", x.scale, absolute)


def _floor(x: Any) -> Decimal:
    return _d(x).to_integral_value(rounding=ROUND_FLOOR)


@column_form(_floor)
def _floor_columns(args: list[Any], fc: FunctionColumns) -> Any:
    x = _one("floor", args, fc)
    f, q = fc.numeric(x), 10**x.scale

    def floor(env: Any) -> tuple[Any, int]:
        a, b = f(env)
        return a // q, b // q + 1

    return fc.node("dec", 0, floor)


def _ceil(x: Any) -> Decimal:
    return _d(x).to_integral_value(rounding=ROUND_CEILING)


@column_form(_ceil)
def _ceil_columns(args: list[Any], fc: FunctionColumns) -> Any:
    x = _one("ceil", args, fc)
    f, q = fc.numeric(x), 10**x.scale

    def ceil(env: Any) -> tuple[Any, int]:
        a, b = f(env)
        return -((-a) // q), b // q + 1

    return fc.node("dec", 0, ceil)


def _round(x: Any, places: Any = 0) -> Decimal:
    places = int(_d(places))
    if not 0 <= places <= 10:
        raise ValueError("round(): places must be between 0 and 10")
    return _d(x).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@column_form(_round)
def _round_columns(args: list[Any], fc: FunctionColumns) -> Any:
    import numpy as np

    dec = [fc.decimal(a) for a in args]
    if len(dec) not in (1, 2) or (len(dec) == 2 and not dec[1].const):
        raise fc.Unvectorizable("round() with a variable number of places")
    places = int(dec[1].value) if len(dec) == 2 else 0
    if not 0 <= places <= 10:
        raise fc.Unvectorizable("round(): places out of range")
    x = dec[0]
    f = fc.numeric(x)
    if places >= x.scale:
        return fc.node("dec", x.scale, f)
    q = 10 ** (x.scale - places)
    h = q // 2

    def half_up(env: Any) -> tuple[Any, int]:
        a, b = f(env)
        r = (np.abs(a) + h) // q
        return np.where(a < 0, -r, r), b // q + 1

    return fc.node("dec", places, half_up)


def _clamp(x: Any, lo: Any, hi: Any) -> Decimal:
    lo, hi = _d(lo), _d(hi)
    if lo > hi:
        raise ValueError(f"clamp(): the lower bound {lo} is above the upper bound {hi}")
    return min(max(_d(x), lo), hi)


@column_form(_clamp)
def _clamp_columns(args: list[Any], fc: FunctionColumns) -> Any:
    import numpy as np

    dec = [fc.decimal(a) for a in args]
    if len(dec) != 3:
        raise fc.Unvectorizable("clamp() takes three arguments")
    if not (dec[1].const and dec[2].const) or dec[1].value > dec[2].value:
        raise fc.Unvectorizable("clamp() with bounds that are not constants in order")
    s = max(a.scale for a in dec)
    xf, lof, hif = (fc.numeric(a, s) for a in dec)

    def clamp(env: Any) -> tuple[Any, int]:
        a, ba = xf(env)
        lv, bl = lof(env)
        hv, bh = hif(env)
        return np.minimum(np.maximum(a, lv), hv), max(ba, bl, bh)

    return fc.node("dec", s, clamp)


def _min(*xs: Any) -> Any:
    if not xs:
        raise ValueError("min() needs at least one argument")
    return min(xs)


def _max(*xs: Any) -> Any:
    if not xs:
        raise ValueError("max() needs at least one argument")
    return max(xs)


def _extreme(name: str, args: list[Any], fc: FunctionColumns) -> Any:
    """min() or max() of columns of one kind: of booleans (a condition), or of numbers at their finest scale."""
    import numpy as np

    # min() of nothing is all constants: folded by its exact form before the column form is asked
    assert args
    kinds = {a.kind for a in args}
    if len(kinds) != 1:
        raise fc.Unvectorizable(f"{name}() of values of different kinds")
    kind = kinds.pop()
    red = np.minimum if name == "min" else np.maximum
    if kind == "bool":
        ts = [fc.truth(a) for a in args]

        def of_truths(env: Any) -> tuple[Any, int]:
            out = ts[0](env)
            for t in ts[1:]:
                out = red(out, t(env))
            return np.broadcast_to(out, (env.n,)) if np.ndim(out) == 0 else out, 1

        return fc.node("bool", 0, of_truths)
    s = max(a.scale for a in args)
    fs = [fc.numeric(a, s) for a in args]

    def of_numbers(env: Any) -> tuple[Any, int]:
        out, b = fs[0](env)
        for f in fs[1:]:
            v, bv = f(env)
            out, b = red(out, v), max(b, bv)
        return out, b

    return fc.node(kind, s, of_numbers)


@column_form(_min)
def _min_columns(args: list[Any], fc: FunctionColumns) -> Any:
    return _extreme("min", args, fc)


@column_form(_max)
def _max_columns(args: list[Any], fc: FunctionColumns) -> Any:
    return _extreme("max", args, fc)


def _count_true(*xs: Any) -> Decimal:
    return Decimal(sum(1 for x in xs if x))


@column_form(_count_true)
def _count_true_columns(args: list[Any], fc: FunctionColumns) -> Any:
    import numpy as np

    ts = [fc.truth(a) for a in args]

    def count(env: Any) -> tuple[Any, int]:
        out = np.zeros(env.n, dtype=np.int64)
        for t in ts:
            out = out + t(env)
        return out, len(ts)

    return fc.node("dec", 0, count)


#: Functions every expression may call. Plugins add more through ``fuac_functions``.
BUILTIN_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": _abs,
    "ceil": _ceil,
    "clamp": _clamp,
    "count_true": _count_true,
    "floor": _floor,
    "max": _max,
    "min": _min,
    "round": _round,
}


# ---------------------------------------------------------------------------
# plugin code: whose it is, and calling it so that its failure costs one unit's rule, not the batch

#: the plugin registered as fuac's own kinds and functions
BUILTIN_PLUGIN = "fuac._builtins"

#: who registered each function, rule kind and veto check: id(obj) → (obj, plugin) (the engine tells)
_OWNERS: dict[int, tuple[Any, str]] = {}

#: what plugin code may raise that is not its fault: a parameter not in force on the date (the
#: evaluator says so), a failure of other plugin code it called, already named
NOT_ITS_FAULT: tuple[type[BaseException], ...] = (PluginCodeError, ParameterNotInForceError)


def own(obj: Any, plugin: str) -> None:
    """Record that ``plugin`` registered ``obj`` (a function, a rule kind, a veto check)."""
    _OWNERS[id(obj)] = (obj, plugin)


def fuac_module(module: str) -> bool:
    """Whether ``module`` is fuac's own (``fuac`` or ``fuac.…``; not ``fuac_demo``)."""
    return module == "fuac" or module.startswith("fuac.")


def plugin_of(obj: Any) -> str | None:
    """The name of the plugin whose code ``obj`` is, or None when it is fuac's own: the plugin that
    registered it (for a class, it or its nearest registered base), else the module it comes from."""
    for candidate in obj.__mro__ if isinstance(obj, type) else (obj,):
        hit = _OWNERS.get(id(candidate))
        if hit is not None and hit[0] is candidate:
            return None if hit[1] == BUILTIN_PLUGIN else hit[1]
    module = str(getattr(obj, "__module__", None) or type(obj).__module__)
    return None if fuac_module(module) else module


class PluginCall:
    """A plugin's function or veto check as fuac calls it: what it raises (but a parameter not in force)
    is a :class:`~fuac.errors.PluginCodeError` naming the plugin and the code. Picklable with its
    function; ``reads`` is the function's."""

    __slots__ = ("fn", "plugin", "what", "what_zh")

    def __init__(self, fn: Callable[..., Any], plugin: str, what: str, what_zh: str) -> None:
        self.fn, self.plugin, self.what, self.what_zh = fn, plugin, what, what_zh

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.fn(*args, **kwargs)
        except NOT_ITS_FAULT:
            raise
        except Exception as exc:  # the plugin's fault, whatever it is: this unit's rule cannot be scored
            raise PluginCodeError(self.plugin, self.what, self.what_zh, exc) from exc

    @property
    def reads(self) -> Any:
        return getattr(self.fn, "reads", ())

    def __repr__(self) -> str:
        return f"PluginCall({self.fn!r}, plugin={self.plugin!r})"


#: how a plugin's callable is named in a failure: (English, Chinese) of its kind
_CALLABLES = {"function": ("function {!r}", "函数 {} "), "veto check": ("veto check {!r}", "否决检查 {} ")}


def plugin_call(fn: Callable[..., Any], what: str, name: str) -> Callable[..., Any]:
    """``fn`` (a ``"function"`` or a ``"veto check"`` registered as ``name``) as fuac calls it: a
    :class:`PluginCall` when it is a plugin's code, else ``fn`` itself."""
    if isinstance(fn, PluginCall):
        return fn
    plugin = plugin_of(fn)
    if plugin is None:
        return fn
    en, zh = _CALLABLES[what]
    return PluginCall(fn, plugin, en.format(name), zh.format(name))


def plugin_calls(functions: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Expression functions by name as fuac calls them (:func:`plugin_call`)."""
    return {name: plugin_call(fn, "function", name) for name, fn in functions.items()}

