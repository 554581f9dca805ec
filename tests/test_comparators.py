"""The table of comparators (fuac.language.comparators): each one's negation, sides swapped,
strict/loose twin and wording agree with what it computes, on numbers and numpy columns."""

from __future__ import annotations

import ast
import itertools
from decimal import Decimal

import numpy as np
import pytest

from fuac.language.comparators import BY_NODE, COMPARATORS
from fuac.language.expressions import compile_expression
from fuac.language.models import Comparator

VALUES = [Decimal(x) for x in ("-1", "0", "0.5", "1", "95", "95.0", "95.00001")]


def test_the_table_names_the_six_comparators_of_the_format() -> None:
    assert list(COMPARATORS) == [">=", ">", "<=", "<", "==", "!="]
    assert set(COMPARATORS) == set(Comparator.__args__)  # type: ignore[attr-defined]
    assert {c.node for c in COMPARATORS.values()} == {ast.GtE, ast.Gt, ast.LtE, ast.Lt, ast.Eq, ast.NotEq}
    assert all(BY_NODE[c.node] is c for c in COMPARATORS.values())


@pytest.mark.parametrize("op", list(COMPARATORS))
def test_negation_flip_and_twin_agree_with_the_comparison(op: str) -> None:
    c = COMPARATORS[op]
    for a, b in itertools.product(VALUES, repeat=2):
        got = c.apply(a, b)
        assert got == eval(f"a {op} b")  # the Python operator it names
        assert COMPARATORS[c.negation].apply(a, b) is (not got)
        assert COMPARATORS[c.flipped].apply(b, a) is got
        if c.twin is not None:  # strict and loose differ exactly when a equals b
            assert (COMPARATORS[c.twin].apply(a, b) != got) is (a == b)
    assert c.inclusive is (op in (">=", "<=", "=="))
    assert c.lower_bound is (op in (">=", ">"))
    assert c.twin is None if op in ("==", "!=") else COMPARATORS[c.twin].twin == op


@pytest.mark.parametrize("op", list(COMPARATORS))
def test_the_same_comparison_on_columns_and_in_expressions(op: str) -> None:
    c = COMPARATORS[op]
    a = np.array([1, 2, 3])
    assert c.apply(a, 2).tolist() == [eval(f"x {op} 2") for x in (1, 2, 3)]
    expr = compile_expression(f"x {op} 2", names={"x"})
    for x in (1, 2, 3):
        assert expr.evaluate({"x": Decimal(x)}, {}) is eval(f"x {op} 2")


def test_words() -> None:
    assert [c.symbol for c in COMPARATORS.values()] == ["≥", ">", "≤", "<", "=", "≠"]
    assert COMPARATORS[">="].drafting == ("以上（含本数）", "at least")
    assert COMPARATORS["<"].drafting == ("低于（不含本数）", "less than")
    assert COMPARATORS[">"].goal == ("高于", "above")
    assert COMPARATORS["!="].goal == ("不等于", "other than")
