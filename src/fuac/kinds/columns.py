"""What a rule kind's column form sees: the batch's compiler (``fuac.run.vector.Program``), as a Protocol.

A rule kind scores one unit with :meth:`Rule.score <fuac.kinds.base.Rule.score>`. The batch
(:func:`fuac.evaluate_many`, vector backend) scores a whole chunk of units at once, column by
column, for a kind that also says how: :meth:`Rule.columns(cols) <fuac.kinds.base.Rule.columns>`.
``cols`` is the compiled plan (the ``Program``); this module describes what a kind may use of it,
so that the kinds need not import ``fuac.run`` (the layer above them) nor numpy (imported on the
first use of the batch: a kind's ``columns`` imports it inside the method).

Typing only: nothing here runs, and nothing here imports numpy or ``fuac.run``.

Numbers in columns are exact: ``int64`` arrays in fixed point, value × 10^scale. A ``columns``
method compiles once per plan and returns ``(fn, scale)``: ``fn(env)`` gives the rule's
:class:`ColumnOutcome` for every row of a chunk, with points at the program's scale (multiply
yours, at ``scale``, by ``cols.factor(scale)``); ``scale`` is the number of decimals the rule's
points need. ``columns`` is called twice per plan: first to learn ``scale`` (``cols.factor``
gives 1 then), then to compile at the common scale. When the rule cannot be computed exactly in
fixed point, ``columns`` (or ``fn``, for one chunk) raises ``cols.Unvectorizable(reason)``: the
rule is then scored through ``score``, row by row, and the reason is listed in
``backend_report["fallback"]`` (or ``["runtime_fallback"]``).

Rows whose reads are missing or invalid are marked so by the batch afterwards: ``fn`` computes
every row as if each read were valid (values of such rows are arbitrary).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Protocol

from ..language.expressions import Expression
from ..language.functions import Node

#: ``fn(env)`` of a rule's column form, and the number of decimals of its points
ColumnForm = tuple[Callable[[Any], "ColumnOutcome"], int]


class AssessColumn(Protocol):
    """Assessors' entries of one rule key in a chunk, validated by the rule's ``entry``."""

    @property
    def present(self) -> Any:
        """bool array: a valid entry is there."""

    @property
    def values(self) -> Any:
        """int64 array at ``scale`` (an entry of points) or bool array (an entry of met)."""

    @property
    def scale(self) -> int:
        """The decimals of ``values``."""


class Env(Protocol):
    """One chunk of rows, as a column function reads it (``fn(env)``)."""

    @property
    def n(self) -> int:
        """The number of rows."""

    @property
    def assess(self) -> Mapping[str, AssessColumn]:
        """Assessors' entries by rule key (``rule.id``); a key nobody entered for is absent."""


class ColumnOutcome(Protocol):
    """What a rule gives for every row of a chunk (``cols.RuleOut(points, null, status, met)``)."""

    @property
    def points(self) -> Any:
        """int64 array at the program's scale (any value where ``null``), or None: the rule gives no points."""

    @property
    def null(self) -> Any:
        """bool array, True where the points are None; or None: nowhere."""

    @property
    def status(self) -> Any:
        """int8 status codes (``cols.S_SCORED`` …), an array or one code for every row."""

    @property
    def met(self) -> Any:
        """int8: -1 (None), 0 or 1, an array or one value for every row."""


class Expressions(Protocol):
    """The expression compiler (``cols.ec``): expressions of the plan as column functions."""

    def truth(self, expr: Expression) -> Callable[[Any], Any]:
        """``fn(env)`` giving whether ``expr`` holds: a bool array, or a Python bool."""

    def value(self, expr: Expression) -> Node:
        """``expr`` as a :class:`Node` (its value; ``cols.numeric`` turns it into scaled ints)."""

    def node(self, n: ast.AST) -> Node:
        """An expression tree as a :class:`Node`; ``node(ast.Name(id=name))`` is an indicator's column."""


class Columns(Protocol):
    """What :meth:`Rule.columns <fuac.kinds.base.Rule.columns>` gets: the compiled plan
    (``fuac.run.vector.Program``). Every member raises ``Unvectorizable`` for what it cannot
    compute exactly."""

    # -- the plan
    @property
    def ec(self) -> Expressions:
        """The expression compiler of the plan's indicators, parameters and functions."""

    @property
    def params(self) -> Mapping[str, Any]:
        """The parameter values in force."""

    @property
    def K(self) -> int:
        """The input scale: the decimals a decimal indicator's column (and an entry of points) is kept at."""

    def factor(self, s: int) -> int:
        """The factor from scale ``s`` to the program's scale of points (1 while it is not known yet)."""

    def condition(self, rule: Any) -> Callable[[Any], Any]:
        """``fn(env)``: whether ``rule.expr`` holds, or (without one) every test of ``rule.tests``."""

    def test(self, pt: Any) -> Callable[[Any], Any]:
        """``fn(env)``: whether a ``PreparedTest`` holds (against its threshold, parameter or reference)."""

    # -- helpers (the vector module's own)
    @property
    def Unvectorizable(self) -> type[Exception]:
        """Raise it with a reason: the rule is scored through ``score`` instead."""

    @property
    def MAX_SCALE(self) -> int:
        """The most decimals a fixed-point value may have."""

    @property
    def S_SCORED(self) -> int:
        """Status code ``scored``."""

    @property
    def S_VETOED(self) -> int:
        """Status code ``vetoed``."""

    @property
    def S_AWAITING(self) -> int:
        """Status code ``awaiting_assessor``."""

    def RuleOut(self, points: Any, null: Any, status: Any, met: Any) -> ColumnOutcome:
        """A rule's outcome for every row (see :class:`ColumnOutcome`)."""

    def decimals(self, d: Decimal) -> int:
        """How many decimals ``d`` needs (0 for whole numbers)."""

    def to_scaled(self, d: Decimal, scale: int) -> int:
        """``d`` × 10^scale as an exact int (``Unvectorizable`` if ``d`` has more decimals)."""

    def full(self, v: Any, n: int, dtype: Any) -> Any:
        """``v`` (an array or a scalar) as an array of ``n`` values of ``dtype``."""

    def numeric(self, node: Any, scale: int | None = None) -> Callable[[Any], tuple[Any, int]]:
        """``fn(env)`` giving a node as ``(scaled ints at scale, bound on their magnitude)``
        (default scale: the node's own)."""

    def check(self, bound: int) -> int:
        """``bound``, or ``Unvectorizable`` when it could pass the fixed-point limit (2^62)."""

    def const(self, v: Any) -> Node:
        """A constant node."""

    def arith(self, op: type, left: Any, right: Any) -> Node:
        """``left op right`` for ``ast.Add``, ``ast.Sub``, ``ast.Mult`` (others are ``Unvectorizable``)."""

    def compare(self, op: type, left: Any, right: Any) -> Node:
        """``left op right`` as a boolean node, ``op`` an ``ast`` comparison (``COMPARATORS[c].node``)."""

    def truth_of(self, node: Any) -> Callable[[Any], Any]:
        """``fn(env)`` giving a node's truth value (a bool array, or a Python bool)."""
