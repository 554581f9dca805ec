"""The six comparators of a rule file, written once: how each applies (to numbers and to
numpy columns alike), how reasons, scheme pages and the rectification list word it, and
how it turns (negated, sides swapped, made strict or loose)."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_args

from .models import Comparator as ComparatorName


@dataclass(frozen=True, slots=True)
class Comparator:
    """One comparator of a rule file (``>=`` …)."""

    op: str
    #: the node of Python's ``ast`` for it (the expression language's form)
    node: type[ast.cmpop]
    #: ``apply(a, b)``: ``a op b``, for Decimals and for numpy columns (elementwise)
    apply: Callable[[Any, Any], Any]
    #: the symbol reasons write (``≥``)
    symbol: str
    #: the drafting words of a scheme page: Chinese (以上（含本数）), English (at least)
    drafting: tuple[str, str]
    #: the words of a goal in the rectification list: Chinese (不低于), English (at least)
    goal: tuple[str, str]
    #: the comparator that holds exactly when this one does not (``>=`` → ``<``)
    negation: str
    #: the same comparison with its sides swapped (``a >= b`` is ``b <= a``)
    flipped: str
    #: the same direction made strict or loose (``>=`` ↔ ``>``); None for ``==`` and ``!=``
    twin: str | None
    #: True for a lower bound (``>=``, ``>``): falling short of it means being below it
    lower_bound: bool

    @property
    def inclusive(self) -> bool:
        """True when a value equal to the limit satisfies it (``>=``, ``<=``, ``==``)."""
        return bool(self.apply(0, 0))


COMPARATORS: dict[str, Comparator] = {
    c.op: c
    for c in (
        Comparator(">=", ast.GtE, operator.ge, "≥", ("以上（含本数）", "at least"), ("不低于", "at least"),
                   "<", "<=", ">", True),
        Comparator(">", ast.Gt, operator.gt, ">", ("超过（不含本数）", "more than"), ("高于", "above"),
                   "<=", "<", ">=", True),
        Comparator("<=", ast.LtE, operator.le, "≤", ("以下（含本数）", "at most"), ("不高于", "at most"),
                   ">", ">=", "<", False),
        Comparator("<", ast.Lt, operator.lt, "<", ("低于（不含本数）", "less than"), ("低于", "below"),
                   ">=", ">", "<=", False),
        Comparator("==", ast.Eq, operator.eq, "=", ("等于", "equal to"), ("等于", "equal to"),
                   "!=", "==", None, False),
        Comparator("!=", ast.NotEq, operator.ne, "≠", ("不等于", "not equal to"), ("不等于", "other than"),
                   "==", "!=", None, False),
    )
}

#: the comparator of an ``ast`` comparison node's type
BY_NODE: dict[type[ast.cmpop], Comparator] = {c.node: c for c in COMPARATORS.values()}

# the models' Literal names the same six (pydantic checks a rule file against it)
assert set(get_args(ComparatorName)) == set(COMPARATORS), "language.models.Comparator and COMPARATORS differ"
