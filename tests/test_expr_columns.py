"""Every form of expression the vector backend compiles, compiled and equal to the single-unit
evaluator, on a grid of units.

The rule sets' own expressions use few of the language's forms; this file writes one rule per
form — each operator, sign, comparison and chain, ``and``/``or`` with a constant on either side,
a choice with a constant test, a text indicator's truth, each function with numbers, counts and
conditions as arguments — over a decimal ``x``, a count ``n``, two yes/no answers ``f`` and ``g``
and a choice ``c``, and scores a grid of units through both backends. Each rule must be compiled
(``backend_report["fallback"]`` empty: a rule handed back to the single-unit path would compare
that path with itself) and give, unit for unit, exactly what the single-unit evaluator gives.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest

import fuac

ON = "2023-10-01"

#: expressions of a number (each a formula's points)
NUMBERS = [
    "x", "n", "-x", "+x", "-n", "+n", "-f * 1.5", "(+f) * 2.5", "f + 1", "f * 2.5", "(f - g) * 0.5", "x + n",
    "x - 2.5", "x * n", "x + f", "f + 0.25", "f - x", "x * 2 ** 2", "n + g * 1.5",
    "n * 0.25 - x", "x ** 2", "n ** 3", "(x + 1) ** 2", "abs(x - 3)", "abs(n)", "abs(f)", "floor(x)", "ceil(x)",
    "floor(-x)", "ceil(n)", "floor(f)", "round(x)", "round(x, 1)", "round(-x)", "round(x, 3)", "round(n)",
    "clamp(x, 0, 5)", "clamp(n, -1, 1)", "clamp(x, 0.5, 2.5)", "clamp(f, 0, 1)", "min(x, n)", "max(x, 2)",
    "min(x, 1, n)", "max(n, 0)", "min(f, g) * 1", "max(f, g) + 0", "count_true(f, g, x > 2)",
    "count_true(c == 'A', n >= 1)", "x if f else n", "n if x > 2 else 2.5", "x if True else n",
    "n if False else x", "(x if f else 1) * 2", "1 if c == 'B' else -1", "-(x - n)",
    "(f and g) + 1", "(f or x > 1) * 3", "f ** 2 * 3", "(x > 2) ** 1 * 2", "g ** 3 + n",
]
#: expressions of a condition (each an all-or-nothing's)
CONDITIONS = [
    "x > f", "f + 0.5 > 1", "f", "not f", "not not f", "f and g", "f or g", "f and True", "True and f",
    "False or f", "f or False",
    "f and True and g", "g or False or f", "f or True or g", "f and False and g", "x > 1 and True and n > 0",
    "True or f", "f and False", "False and f", "f or True", "x > 2", "x >= 2.5", "x < 0", "x <= n", "x == n",
    "x != 2.5", "n == 0", "1 < x <= 3", "0 <= n < x", "-x < -1", "c == 'A'", "'A' == c", "c != 'B'", "c",
    "not c", "x > 2 or f", "f and x > 2 and g", "x > 2 and (f or g)", "(x > 1) == f", "(x > 1) != (n > 0)",
    "f == True", "g != False", "(f if x > 1 else g)", "(x > 2) if f else (n > 0)", "min(f, g)", "max(f, g)",
    "min(f, x > 2)", "abs(x) > 2", "round(x) == 3", "floor(x) == 2", "ceil(x) == 3", "clamp(n, 0, 2) == 2",
    "count_true(f, g) == 1", "max(x, n) > 2", "x * n > 1", "x + n > 3", "x - n >= 0", "x ** 2 > 4",
    "(x if f else n) > 1", "1 if f else 0", "n", "-f < 0", "+f == 1", "f - g == 1", "not x", "not n",
    # a choice compared with a number: never equal (the text 'A' is not the number 1)
    "c == 1", "c != 1", "1 != c",
]
#: a condition as a value (compared, or counted) is compiled as a value, not as a test: each form again
CONDITIONS += [f"({e}) == True" for e in CONDITIONS if e not in ("n", "1 if f else 0", "not x", "not n", "c")]

VALUES = {
    "x": [Decimal("-1.5"), Decimal(0), Decimal("0.5"), Decimal(2), Decimal("2.5"), Decimal(3), Decimal("7.25")],
    "n": [-2, 0, 1, 3],
    "f": [True, False],
    "g": [True, False],
    "c": ["A", "B"],
}


def _ruleset() -> str:
    items = []
    for i, e in enumerate(NUMBERS):
        items.append(f'[[sections.items]]\nid = "n{i}"\nmax = 1000\nkind = "formula"\nexpression = "{e}"\n'
                     "max_points = 1000\nmin_points = -1000\n")
    for i, e in enumerate(CONDITIONS):
        items.append(f'[[sections.items]]\nid = "c{i}"\nmax = 1\nkind = "all_or_nothing"\npoints = 1\n'
                     f'condition = "{e}"\n')
    total = 1000 * len(NUMBERS) + len(CONDITIONS)
    return f"""
[scheme]
id = "forms"
version = "1"
kind = "points"
title = {{ zh = "表达式", en = "Expressions" }}
issuer = {{ zh = "测试", en = "Test" }}
issued = 2023-01-01
valid_from = 2023-01-01
total = {total}
precision = 0.01
jurisdiction = [{{ code = "45", level = "province" }}]

[indicators.x]
type = "decimal"
unit = "percent"
label = {{ zh = "值", en = "Value" }}

[indicators.n]
type = "integer"
unit = "cases"
label = {{ zh = "数", en = "Count" }}

[indicators.f]
type = "boolean"
label = {{ zh = "甲", en = "F" }}

[indicators.g]
type = "boolean"
label = {{ zh = "乙", en = "G" }}

[indicators.c]
type = "choice"
choices = ["A", "B"]
label = {{ zh = "类", en = "Class" }}

[[sections]]
id = "A"
title = {{ zh = "甲", en = "A" }}
max = {total}

""" + "\n".join(items)


def _units() -> list[dict[str, Any]]:
    names = list(VALUES)
    grid = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*VALUES.values())]
    return grid[::5] + grid[1::7]  # a spread of the 448 combinations: every value of each name is in it


@pytest.fixture(scope="module")
def both() -> tuple[fuac.BatchResults, fuac.BatchResults, list[dict[str, Any]]]:
    rs = fuac.loads(_ruleset())
    units = _units()
    return (fuac.evaluate_many(rs, units, on=ON, backend="python"),
            fuac.evaluate_many(rs, units, on=ON, backend="vector"), units)


def test_every_form_is_compiled(both: Any) -> None:
    py, vec, _ = both
    report = vec.backend_report
    assert report["fallback"] == {} and report["runtime_fallback"] == {}
    assert report["rows_single_unit"] == 0
    # every form's values too, here where the module's batches are first computed (a mutation tool
    # maps the compiler to the test that first runs it: the tests below reuse the batches)
    for c in py.columns:
        assert py.column(c, exact=True).tolist() == vec.column(c, exact=True).tolist(), c


@pytest.mark.parametrize(("key", "expression"), [(f"n{i}", e) for i, e in enumerate(NUMBERS)]
                         + [(f"c{i}", e) for i, e in enumerate(CONDITIONS)], ids=lambda v: v)
def test_each_form_gives_what_one_unit_gives(both: Any, key: str, expression: str) -> None:
    py, vec, units = both
    a = py.column(f"item.{key}", exact=True).tolist()
    b = vec.column(f"item.{key}", exact=True).tolist()
    assert a == b, [(units[i], u, v) for i, (u, v) in enumerate(zip(a, b, strict=True)) if u != v][:3]
    assert py.column(f"item.{key}.status").tolist() == vec.column(f"item.{key}.status").tolist()
    assert py.column(f"item.{key}.met").tolist() == vec.column(f"item.{key}.met").tolist()


def test_the_grid_is_the_language_read_by_hand() -> None:
    # a few forms worked out by hand, so that both backends agreeing cannot hide a shared mistake
    rs = fuac.loads(_ruleset())
    unit = {"x": Decimal("2.5"), "n": 3, "f": True, "g": False, "c": "B"}
    ev = fuac.evaluate(rs, unit)
    pts = {e: ev.item(f"n{i}").points for i, e in enumerate(NUMBERS)}
    assert pts["x * n"] == Decimal("7.5") and pts["-f * 1.5"] == Decimal("-1.5")
    assert pts["(f - g) * 0.5"] == Decimal("0.5")
    assert pts["round(x)"] == 3 and pts["round(-x)"] == -3 and pts["floor(-x)"] == -3  # half up, away from 0
    assert pts["clamp(x, 0.5, 2.5)"] == Decimal("2.5") and pts["min(x, 1, n)"] == 1
    assert pts["count_true(f, g, x > 2)"] == 2 and pts["1 if c == 'B' else -1"] == 1
    met = {e: ev.item(f"c{i}").met for i, e in enumerate(CONDITIONS)}
    assert met["1 < x <= 3"] and not met["f and g"] and met["f or False"] and met["c"] and not met["not c"]
    assert met["(f if x > 1 else g)"] is True and met["x - n >= 0"] is False
    # a formula must give a number: a sign or `not` of a yes/no answer alone is refused (invalid input)
    text = _ruleset().replace('expression = "-f * 1.5"', 'expression = "-f"')
    assert fuac.evaluate(fuac.loads(text), unit).item("n6").status == "invalid_input"


BIG = """
[scheme]
id = "big"
version = "1"
kind = "points"
title = { zh = "大数", en = "Big numbers" }
issuer = { zh = "测试", en = "Test" }
issued = 2023-01-01
valid_from = 2023-01-01
total = 4000000000000
precision = 0.0001
jurisdiction = [{ code = "45", level = "province" }]

[indicators.x]
type = "decimal"
unit = "percent"
label = { zh = "值", en = "Value" }

[indicators.f]
type = "boolean"
label = { zh = "甲", en = "F" }

[[sections]]
id = "A"
title = { zh = "甲", en = "A" }
max = 4000000000000

[[sections.items]]
id = "1"
max = 4000000000000
kind = "formula"
expression = "(x + f) * 30"
max_points = 4000000000000
min_points = 0
"""


def test_a_yes_no_answer_scaled_up_stays_exact_past_a_floats_53_bits() -> None:
    # (x + f) × 30 with x = 99,999,999,999.9999 and f yes is 3,000,000,000,029.997 exactly: at 4 decimals
    # 30,000,000,000,299,970, past 2^53, where floats are 4 apart and this one falls between two
    rs = fuac.loads(BIG)
    unit = {"x": Decimal("99999999999.9999"), "f": True}
    for backend in ("vector", "python"):
        res = fuac.evaluate_many(rs, [unit], on=ON, backend=backend)
        assert res.column("item.1", exact=True).tolist() == [Decimal("3000000000029.997")], backend
        assert res.backend_report["fallback"] == {} and res.backend_report["runtime_fallback"] == {}
        assert res.backend_report["rows_single_unit"] == (0 if backend == "vector" else 1)
