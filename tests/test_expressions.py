"""Expressions: hostile input is refused at load, arithmetic is exact decimal arithmetic."""

from __future__ import annotations

import datetime as dt
import decimal
import time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuac
from batchgen import examples
from fuac import compile_expression
from fuac.errors import ExpressionError
from fuac.language.expressions import DECIMAL_CONTEXT
from fuac.language.functions import BUILTIN_FUNCTIONS

NAMES = ["x", "y", "flag", "kind"]


def compile_timed(source: Any, **kw: Any) -> fuac.Expression:
    start = time.perf_counter()
    try:
        return compile_expression(source, **kw)
    finally:
        assert time.perf_counter() - start < 1.0, f"compiling {str(source)[:60]!r} took a second or more"


def ev(source: str, **env: Any) -> Any:
    """Evaluate ``source``; numbers in ``env`` are given as str or int and become Decimal."""
    values = {
        k: Decimal(v) if (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, str) and k != "kind") else v
        for k, v in env.items()
    }
    expr = compile_expression(source, names=NAMES, functions=BUILTIN_FUNCTIONS)
    return expr.evaluate(values, BUILTIN_FUNCTIONS)


# ---------------------------------------------------------------------------
# hostile expressions: refused at compile time, in bounded time, with a message

HOSTILE = [
    ("x.real", "attribute access"),
    ("x.__class__", "attribute access"),
    ("__class__", "names starting with '_'"),
    ("__builtins__", "names starting with '_'"),
    ("__import__('os')", "'__import__'"),
    ("__import__('os').system('true')", "only named functions"),
    ("import os", "does not parse"),
    ("from os import system", "does not parse"),
    ("lambda: 1", "lambdas"),
    ("(lambda: 1)()", "only named functions"),
    ("[i for i in x]", "comprehensions"),
    ("{i for i in x}", "comprehensions"),
    ("{i: i for i in x}", "comprehensions"),
    ("min(i for i in x)", "comprehensions"),
    ("9**9**9", "'**'"),
    ("2**100", "'**'"),
    ("x ** y", "'**'"),
    ("2 ** -1", "'**'"),
    ("2 ** 0.5", "'**'"),
    ('"' + "a" * 201 + '"', "string literal"),
    ("x + " * 700 + "x", "characters long"),
    ("+".join(["1"] * 900), "nests deeper"),
    ("min(" + ", ".join(["x"] * 450) + ")", "more than 400 parts"),
    ("(" * 40 + "1" + ")" * 40, "nests deeper"),
    ("(" * 5000 + "1" + ")" * 5000, "characters long"),
    ("-" * 1000 + "1", "nests deeper"),
    ("not " * 300 + "flag", "nests deeper"),
    ("max(1, default=2)", "keyword arguments"),
    ("max(*x)", "star arguments"),
    ("x[0]", "subscripts"),
    ("x[0:1]", "subscripts"),
    ('f"{x}"', "f-strings"),
    ("(y := 1)", "assignment"),
    ("x is None", "'is'"),
    ("x is not y", "'is not'"),
    ("1 | 2", "bit operators"),
    ("1 & 2", "bit operators"),
    ("1 ^ 2", "bit operators"),
    ("~1", "bit operators"),
    ("1 << 2", "shifts"),
    ("1 >> 2", "shifts"),
    ('"a" * 3', "strings"),
    ('"a" + "b"', "strings"),
    ('x + "b"', "strings"),
    ('"%999999999d" % x', "strings"),
    ("1\x00 + 1", "NUL"),
    ("None", "None"),
    ("b'x'", "bytes"),
    ("1j", "complex"),
    ("...", "ellipsis"),
    ("1e999", "out of range"),
    ("[1, 2]", "lists"),
    ("(1, 2)", "tuples"),
    ("{1: 2}", "dicts"),
    ("x @ y", "'@'"),
    ("", "empty"),
    ("   ", "empty"),
    ("1 +", "does not parse"),
    ("unknown_name + 1", "unknown name 'unknown_name'"),
    ("open('/etc/passwd')", "unknown function 'open'"),
    ("eval('1')", "unknown function 'eval'"),
    ("x()", "unknown function 'x'"),
]


@pytest.mark.parametrize(("source", "words"), HOSTILE, ids=[repr(h[0])[:40] for h in HOSTILE])
def test_hostile_expression_is_refused(source: str, words: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_timed(source, names=NAMES, functions=BUILTIN_FUNCTIONS)
    assert words.lower() in str(info.value).lower()


@pytest.mark.parametrize(
    "source", ["__import__('os')", "x.__class__", "__class__", "lambda: 1", "9**9**9", "1 | 2", '"a" * 3']
)
def test_hostile_expression_is_refused_without_name_lists(source: str) -> None:
    # compile_expression with no list of names or functions still refuses what is unsafe
    with pytest.raises(ExpressionError):
        compile_timed(source)


def test_non_string_is_refused() -> None:
    with pytest.raises(ExpressionError, match="must be a string"):
        compile_timed(42)


def test_hostile_expression_in_a_rule_file_names_line_and_key() -> None:
    text = MINI_FORMULA.replace('expression = "done / planned * 4"', 'expression = "done.__class__"')
    with pytest.raises(ExpressionError) as info:
        fuac.loads(text, name="hostile.toml")
    assert str(info.value).startswith("hostile.toml:34: [1: sections[0].items[0].expression] attribute access")


# strings can reach arithmetic without a literal beside the operator: refused when evaluated
@pytest.mark.parametrize(
    "source",
    [
        '("a" if flag else "b") * (True + True + True)',
        '("%0999999999d" if flag else "") % x',
        "kind * (True + True)",
        "kind + kind",
    ],
)
def test_string_arithmetic_refused_at_evaluation(source: str) -> None:
    expr = compile_timed(source, names=NAMES, functions=BUILTIN_FUNCTIONS)
    with pytest.raises(TypeError, match="strings"):
        expr.evaluate({"flag": True, "x": Decimal(1), "kind": "county"}, BUILTIN_FUNCTIONS)


def test_power_of_booleans_cannot_grow_without_bound() -> None:
    # True + True is 2 (an int in Python); nested small powers would make a huge int
    source = "(" * 12 + "True + True" + ") ** 4" * 12  # 2 ** (4 ** 12)
    expr = compile_timed(source, names=NAMES, functions=BUILTIN_FUNCTIONS)
    start = time.perf_counter()
    with pytest.raises(ArithmeticError):
        expr.evaluate({}, BUILTIN_FUNCTIONS)
    assert time.perf_counter() - start < 1.0


def test_large_power_of_an_input_is_computed() -> None:
    # 5,000,000 ** 2 is an ordinary number for decimal arithmetic
    assert ev("x ** 2", x=5_000_000) == Decimal("25000000000000")


# ---------------------------------------------------------------------------
# exact decimal arithmetic


def test_two_minus_five_times_point_four_is_zero() -> None:
    got = ev("2 - 5 * 0.4")
    assert isinstance(got, Decimal)
    assert got == 0
    assert ev("2 - 5 * 0.4 == 0") is True


def test_exact_products_and_sums() -> None:
    assert ev("0.4 * 3") == Decimal("1.2")
    assert ev("0.1 + 0.2") == Decimal("0.3")
    assert ev("0.1 + 0.2 == 0.3") is True
    assert 0.1 + 0.2 != 0.3  # the binary floating point this avoids
    assert ev("1 / 3 * 3") == Decimal("0." + "9" * 34)  # division is exact to 34 significant digits
    assert ev("x * 0.5", x="88.5") == Decimal("44.25")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("min(3, 1.5, 2)", Decimal("1.5")),
        ("max(3, 1.5, 2)", Decimal("3")),
        ("min(x, 2)", Decimal("0.4")),
        ("abs(-0.4)", Decimal("0.4")),
        ("abs(0.4 - 2)", Decimal("1.6")),
        ("floor(2.7)", Decimal("2")),
        ("floor(-1.5)", Decimal("-2")),
        ("ceil(1.01)", Decimal("2")),
        ("ceil(-1.5)", Decimal("-1")),
        ("clamp(5, 0, 4)", Decimal("4")),
        ("clamp(-1, 0, 4)", Decimal("0")),
        ("clamp(2.5, 0, 4)", Decimal("2.5")),
        ("round(2.5)", Decimal("3")),
        ("round(3.5)", Decimal("4")),
        ("round(2.4)", Decimal("2")),
        ("round(-2.5)", Decimal("-3")),
        ("round(0.125, 2)", Decimal("0.13")),
        ("round(0.135, 2)", Decimal("0.14")),
        ("round(2.45, 1)", Decimal("2.5")),
        ("round(1 / 3, 3)", Decimal("0.333")),
        ("count_true(True, False, 1 > 0, x > 1)", Decimal("2")),
        ("count_true()", Decimal("0")),
        ("1 if x > 0 else 2", Decimal("1")),
        ("x > 0 and x < 1", True),
        ("not flag", False),
        ("kind in 'county, township'", True),
        ("7 // 2", Decimal("3")),
        ("7 % 2", Decimal("1")),
        ("2 ** 4", Decimal("16")),
    ],
)
def test_documented_functions(source: str, expected: Any) -> None:
    got = ev(source, x="0.4", flag=True, kind="county")
    assert got == expected
    assert type(got) is type(expected)
    if isinstance(expected, Decimal):
        assert str(got) == str(expected)


def test_round_half_up_is_not_bankers_rounding() -> None:
    # Python's round() and Decimal's default both round 2.5 to 2 and 0.125 to 0.12
    assert round(2.5) == 2
    assert Decimal("0.125").quantize(Decimal("0.01")) == Decimal("0.12")
    assert ev("round(2.5)") == 3
    assert ev("round(0.125, 2)") == Decimal("0.13")


@pytest.mark.parametrize("source", ["round(1.5, 11)", "round(1.5, -1)", "min()", "max()", "abs(flag and kind)"])
def test_function_misuse_fails_at_evaluation_with_value_or_type_error(source: str) -> None:
    with pytest.raises((ValueError, TypeError)):
        ev(source, flag=True, kind="county")


# ---------------------------------------------------------------------------
# division by zero while scoring: the item cannot be scored, nothing raises

MINI_FORMULA = """\
[scheme]
id = "formula"
version = "1"
kind = "points"
title = { zh = "公式", en = "Formula" }
issuer = { zh = "测试", en = "Test" }
issued = 2023-01-01
valid_from = 2023-01-01
total = 8
precision = 0.1
jurisdiction = [{ code = "450204", level = "county" }]

[indicators.done]
type = "integer"
unit = "count"
min = 0
label = { zh = "已完成", en = "Done" }

[indicators.planned]
type = "integer"
unit = "count"
min = 0
label = { zh = "计划数", en = "Planned" }

[[sections]]
id = "A"
title = { zh = "甲", en = "A" }
max = 8

[[sections.items]]
id = "1"
max = 4
kind = "formula"
expression = "done / planned * 4"
max_points = 4
min_points = 0

[[sections.items]]
id = "2"
max = 4
kind = "all_or_nothing"
points = 4
condition = "done >= 1"
"""


def test_division_by_zero_gives_invalid_input_not_an_exception() -> None:
    rs = fuac.loads(MINI_FORMULA, name="f.toml")
    ok = fuac.evaluate(rs, {"done": 3, "planned": 4}, on=dt.date(2023, 6, 1))
    assert ok.item("1").points == Decimal("3")  # 3 / 4 * 4
    assert ok.total == Decimal("7")  # 3 + 4

    bad = fuac.evaluate(rs, {"done": 3, "planned": 0}, on=dt.date(2023, 6, 1))
    item = bad.item("1")
    assert item.status == "invalid_input"
    assert item.points is None
    assert "DivisionByZero" in item.reason_en or "division" in item.reason_en.lower()
    assert item.reason_zh
    assert bad.item("2").points == Decimal("4")
    assert bad.total == Decimal("4")
    assert not bad.complete


def test_large_power_while_scoring_is_scored() -> None:
    text = MINI_FORMULA.replace('expression = "done / planned * 4"', 'expression = "min(done ** 2, 4)"')
    rs = fuac.loads(text, name="f.toml")
    big = fuac.evaluate(rs, {"done": 5_000_000, "planned": 1}, on=dt.date(2023, 6, 1))
    assert big.item("1").points == Decimal("4")  # min(25e12, 4)
    assert big.item("1").status == "scored"


# ---------------------------------------------------------------------------
# properties

DECIMALS = st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=2, allow_nan=False,
                       allow_infinity=False)


def _literal(d: Decimal) -> tuple[str, Decimal]:
    return format(d, "f"), d


def _combine(op: str) -> Any:
    def build(pair: tuple[tuple[str, Decimal], tuple[str, Decimal]]) -> tuple[str, Decimal]:
        (ls, lv), (rs, rv) = pair
        with decimal.localcontext(DECIMAL_CONTEXT):
            value = {"+": lv + rv, "-": lv - rv, "*": lv * rv}[op]
        return f"({ls} {op} {rs})", value

    return build


def _div(pair: tuple[tuple[str, Decimal], tuple[str, Decimal]]) -> tuple[str, Decimal]:
    (ls, lv), (rs, rv) = pair
    with decimal.localcontext(DECIMAL_CONTEXT):
        return f"({ls} / {rs})", lv / rv


ARITH = st.recursive(
    DECIMALS.map(_literal),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(_combine("+")),
        st.tuples(inner, inner).map(_combine("-")),
        st.tuples(inner, inner).map(_combine("*")),
        st.tuples(inner, inner.filter(lambda e: e[1] != 0)).map(_div),
    ),
    max_leaves=8,
)


@settings(max_examples=examples(300), suppress_health_check=[HealthCheck.too_slow])
@given(ARITH)
def test_arithmetic_equals_decimal_arithmetic(case: tuple[str, Decimal]) -> None:
    source, expected = case
    got = compile_expression(source, names=[], functions=[]).evaluate({}, {})
    assert isinstance(got, Decimal)
    assert got == expected, source
    assert str(got) == str(expected), source  # same digits, same exponent


JUNK = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="0123456789.eE_+-*/%()<>=!,:;[]{}'\"@#&|^~\\ \t\n xyfnotandorifelsdmcu", max_size=120),
    st.lists(
        st.sampled_from(
            ["x", "y", "1", "0.5", "+", "-", "*", "/", "**", "(", ")", " if ", " else ", " and ", " not ", "min(",
             "round(", ",", "==", "<", "'a'", "__", ".", "[", "]", "lambda", ":", "True", "1e9", "9" * 40]
        ),
        max_size=40,
    ).map("".join),
)


@settings(max_examples=examples(500))
@given(JUNK)
def test_junk_raises_only_expression_error(source: str) -> None:
    try:
        compile_expression(source, names=NAMES, functions=BUILTIN_FUNCTIONS)
    except ExpressionError:
        pass
