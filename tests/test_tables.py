"""The shared tables of the rule-file language, each written once: the comparators (each
one's negation, sides swapped, strict/loose twin and words agree with what it computes, on
numbers and numpy columns) and the statuses (codes, words, ranks)."""

from __future__ import annotations

import ast
import datetime as dt
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


def test_statuses_their_codes_words_and_ranks() -> None:
    """The table of statuses (fuac.language.statuses): the batch stores a status as its index,
    so the order is part of the format of a batch's arrays; the highest rank among an item's
    parts is the item's status (invalid input over missing input over awaiting an assessor)."""
    from fuac.language.statuses import BLOCKED, BY_NAME, PENDING, SETTLED, STATUS_WORDS, STATUSES
    from fuac.run import vector

    assert STATUSES == ("scored", "voided", "vetoed", "missing_input", "invalid_input", "not_applicable",
                        "awaiting_assessor")
    assert STATUS_WORDS["missing_input"] == ("缺少输入", "missing input")
    assert STATUS_WORDS["awaiting_assessor"] == ("待评估", "awaiting assessor")
    ranked = sorted(STATUSES, key=lambda s: BY_NAME[s].rank)
    assert ranked[-3:] == ["awaiting_assessor", "missing_input", "invalid_input"]
    assert PENDING == {"missing_input", "invalid_input", "awaiting_assessor"}
    assert SETTLED == set(STATUSES) - PENDING
    assert BLOCKED == {"missing_input", "invalid_input"}
    # the vector backend's arrays are the same table, by code
    assert vector.STATUS_RANK.tolist() == [BY_NAME[s].rank for s in STATUSES]
    assert vector.INCOMPLETE.tolist() == [s in PENDING for s in STATUSES]
    assert STATUSES[vector.S_AWAITING] == "awaiting_assessor" and STATUSES[vector.S_INVALID] == "invalid_input"


def test_what_counts_is_decided_once() -> None:
    """A veto item counts neither toward the total nor toward the items met, wherever it is
    counted: the result, its sections, the plan the batch runs."""
    import fuac

    rs = fuac.load("liunan-2023")
    ev = fuac.evaluate(rs, {}, on=dt.date(2023, 10, 1))
    vetoes = [i.id for i in ev.items if i.is_veto]
    assert vetoes and all(not i.counts for i in ev.items if i.id in vetoes)
    assert [i.id for i in ev.counted] == [i.id for i in ev.items if i.id not in vetoes]
    assert sum(len(s.counted) for s in ev.sections) == len(ev.counted)
    assert [it.id for it in rs.plan(None).items.values() if it.counts] == [i.id for i in ev.counted]
