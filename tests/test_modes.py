"""Every declared mode of the scoring engine, hand-computed, in both backends.

Each case is scored three ways: ``fuac.evaluate`` (one unit), ``fuac.evaluate_many(...,
backend="python")`` and ``fuac.evaluate_many(..., backend="vector")`` (numpy, fixed point).
For the vector backend the batch's ``backend_report`` must show that the rules under test
were compiled, not handed back to the single-unit path. Every expected number is a literal
worked out by hand in the comment beside it, never computed by fuac.

Modes (the Literal types of ``language/models.py``, the rule kinds of ``kinds/``):

1. comparators ``>= > <= < == !=`` in threshold, versus_reference, all_or_nothing tests and
   conditions, bands, veto tests, shortfall targets, targets, requirement and eligibility
   conditions: at the limit, one step above and one step below;
2. the partial steps of a shortfall (floor, ceil, prorata) on a fractional gap;
3. the floors (part, item, section, none);
4. a deduction whose points are not a multiple of its cost, and its rectification step;
5. the veto scopes (eligibility, outcome, tier_cap, cascade), and a veto's several tests;
6. bonus items and ``bonus_cap``;
7. a formula beyond its maximum and below zero;
8. a not-applicable item in a graded unit;
9. pass mark and grade minimums, at and one step below;
10. tier-dependent maxima and a tier's ``tier_cap`` veto;
11. the rounding of a quota share (floor, ceil, half_up) and caps at a band's boundary;
12. a cohort mean on a half (half up, not half even);
13. the reported total, rounded half up from an exact .x5.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import fuac
from fuac.errors import RulesetError

D = Decimal
ON = "2023-10-01"
DATE = dt.date(2023, 10, 1)
PATHS = ("evaluate", "python", "vector")


def head(sid: str, *, total: str | None = "10", kind: str = "points", extra: str = "",
         jurisdiction: str = '[{ code = "45", level = "province" }]') -> str:
    """The [scheme] table of a small rule file (the shape of tests/data/*.toml)."""
    points = f"total = {total}\nprecision = 0.1\n" if kind == "points" else ""
    return f"""
[scheme]
id = "{sid}"
version = "1"
kind = "{kind}"
title = {{ zh = "模式测试", en = "Modes" }}
issuer = {{ zh = "测试", en = "Test" }}
issued = 2023-01-01
valid_from = 2023-01-01
{points}{extra}
jurisdiction = {jurisdiction}
"""


def load(tmp_path: Path, text: str, name: str = "rules.toml") -> fuac.RuleSet:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return fuac.load(path)


# ---------------------------------------------------------------------------
# one record, three ways


@dataclass
class View:
    """What one path says about one unit, in the same terms for the three paths."""

    path: str
    total: Decimal | None
    reported: Decimal | None
    passed: bool | None
    grade: str | None
    vetoed: bool
    eligible: bool | None
    complete: bool
    completion: Decimal | None
    items: dict[str, Decimal | None] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    met: dict[str, bool | None] = field(default_factory=dict)
    sections: dict[str, Decimal | None] = field(default_factory=dict)  # as reported (rounded)
    conditions: dict[str, bool | None] = field(default_factory=dict)  # eligibility.X / veto.X
    ev: fuac.Evaluation | None = None


def _grade_id(rs: fuac.RuleSet, ev: fuac.Evaluation) -> str | None:
    if ev.grade is None:
        return None
    return next(g.id for g in rs.doc.grades if g.label == ev.grade)


def _view_of_evaluation(rs: fuac.RuleSet, ev: fuac.Evaluation) -> View:
    v = View("evaluate", ev.total, ev.reported_total, ev.passed, _grade_id(rs, ev), ev.vetoed, ev.eligible,
             ev.complete, ev.completion, ev=ev)
    for it in ev.items:
        v.items[it.id], v.status[it.id], v.met[it.id] = it.points, it.status, it.met
    for s in ev.sections:
        v.sections[s.id] = ev.reported(s.points)
    for c in ev.eligibility:
        v.conditions[f"eligibility.{c.id}"] = c.holds
    for c in ev.vetoes:
        v.conditions[f"veto.{c.id}"] = c.holds
    return v


def _plain(x: Any) -> Any:
    return x.item() if hasattr(x, "item") else x


def _view_of_row(path: str, res: fuac.BatchResults, i: int, like: View) -> View:
    col = res.column

    def exact(name: str) -> Any:
        return col(name, exact=True)[i]

    v = View(path, exact("total_exact"), exact("total"), _plain(col("passed")[i]), _plain(col("grade")[i]),
             bool(col("vetoed")[i]), _plain(col("eligible")[i]), bool(col("complete")[i]), exact("completion"))
    for iid in like.items:
        v.items[iid] = exact(f"item.{iid}")
        v.status[iid] = col(f"item.{iid}.status")[i]
        v.met[iid] = _plain(col(f"item.{iid}.met")[i])
    for sid in like.sections:
        v.sections[sid] = exact(f"section.{sid}")
    for name in like.conditions:
        v.conditions[name] = _plain(col(name)[i])
    return v


def rule_keys(rs: fuac.RuleSet, tier: str | None = None) -> set[str]:
    """Every item and part key of the plan (what the vector backend compiles)."""
    return {key for sec in rs.plan(tier).sections for it in sec.items for key, _ in it.rules}


def assert_compiled(res: fuac.BatchResults, keys: set[str], fallback: dict[str, str] | None = None) -> None:
    """The vector backend computed ``keys`` itself; what ran through the single-unit path is only
    ``fallback`` (key → a word of the reason), and no row was handed back whole."""
    rep = res.backend_report
    assert rep["backend"] == "vector"
    assert keys - set(fallback or {}) <= set(rep["compiled"]), (keys, rep)
    assert not set(fallback or {}) & set(rep["compiled"]), rep
    assert set(rep["fallback"]) == set(fallback or {}), rep["fallback"]
    for key, word in (fallback or {}).items():
        assert word in rep["fallback"][key]
    assert rep["runtime_fallback"] == {}
    assert rep["rows_single_unit"] == 0 and rep["rows_not_fixed_point"] == 0, rep


def score(rs: fuac.RuleSet, records: list[dict[str, Any]], *, tier: str | None = None,
          fallback: dict[str, str] | None = None) -> list[dict[str, View]]:
    """Each record through ``evaluate``, ``evaluate_many`` (python) and ``evaluate_many`` (vector)."""
    single = [fuac.evaluate(rs, r, tier=tier, on=DATE) for r in records]
    py = fuac.evaluate_many(rs, records, tier=tier, on=ON, backend="python")
    vec = fuac.evaluate_many(rs, records, tier=tier, on=ON, backend="vector")
    assert py.backend == "python" and vec.backend == "vector"
    assert_compiled(vec, rule_keys(rs, tier), fallback)
    out = []
    for i, ev in enumerate(single):
        first = _view_of_evaluation(rs, ev)
        out.append({"evaluate": first, "python": _view_of_row("python", py, i, first),
                    "vector": _view_of_row("vector", vec, i, first)})
    return out


def check(views: dict[str, View], **want: Any) -> None:
    """Every path gives what is wanted. ``items``, ``status``, ``met``, ``sections`` and
    ``conditions`` are compared on the keys given; numbers given as text are Decimals."""
    for path in PATHS:
        v = views[path]
        for key, expected in want.items():
            got = getattr(v, key)
            if isinstance(expected, dict):
                for k, e in expected.items():
                    e = D(e) if isinstance(e, str) and key in ("items", "sections") else e
                    assert got[k] == e, f"{path}: {key}[{k!r}] is {got[k]!r}, expected {e!r}"
                continue
            if isinstance(expected, str) and key in ("total", "reported", "completion"):
                expected = D(expected)
            assert got == expected, f"{path}: {key} is {got!r}, expected {expected!r}"
            if isinstance(expected, Decimal):
                assert got == expected and type(got) is Decimal


# ---------------------------------------------------------------------------
# 1. comparators: at the limit, one step above, one step below

CMP = ("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"), ("eq", "=="), ("ne", "!=")
#: which comparators hold for a value one step below, at, and one step above the limit
HOLDS = {
    "below": {"ge": False, "gt": False, "le": True, "lt": True, "eq": False, "ne": True},
    "at": {"ge": True, "gt": False, "le": True, "lt": False, "eq": True, "ne": False},
    "above": {"ge": True, "gt": True, "le": False, "lt": False, "eq": False, "ne": True},
}
#: x is a one-decimal rate (step 0.1) against 90; n a count (step 1) against 5; ref the reference
POINTS = {"below": {"x": D("89.9"), "n": 4, "ref": D(90)},
          "at": {"x": D(90), "n": 5, "ref": D(90)},
          "above": {"x": D("90.1"), "n": 6, "ref": D(90)}}


def comparator_rules() -> str:
    text = head("cmp", total="38") + """
[indicators.x]
type = "decimal"
unit = "percent"
min = 0
max = 100
label = { zh = "率", en = "Rate" }
[indicators.n]
type = "integer"
unit = "cases"
min = 0
label = { zh = "数", en = "Count" }
[indicators.ref]
type = "decimal"
unit = "percent"
min = 0
reference = true
label = { zh = "平均水平", en = "Average" }
"""
    sections = [
        ("T", "threshold", 'kind = "threshold"\npoints = 1\nindicator = "x"\ncomparator = "{c}"\n'
                           'threshold = 90\nunit = "percent"'),
        ("R", "versus_reference", 'kind = "versus_reference"\npoints = 1\nindicator = "x"\ncomparator = "{c}"\n'
                                  'reference = "ref"'),
        ("A", "tests", 'kind = "all_or_nothing"\npoints = 1\n'
                       'tests = [{{ indicator = "n", comparator = "{c}", threshold = 5, unit = "cases" }}]'),
        ("C", "condition", 'kind = "all_or_nothing"\npoints = 1\ncondition = "x {c} 90"'),
        ("B", "bands", 'kind = "bands"\nindicator = "x"\nunit = "percent"\n'
                       'bands = [{{ comparator = "{c}", threshold = 90, points = 1 }}]\notherwise = 0'),
    ]
    for sid, _, body in sections:
        text += f'\n[[sections]]\nid = "{sid}"\ntitle = {{ zh = "{sid}", en = "{sid}" }}\nmax = 6\n'
        for name, c in CMP:
            text += f'\n[[sections.items]]\nid = "{sid}{name}"\nmax = 1\n' + body.format(c=c) + "\n"
    # veto items with one test each (0 points; triggered when the test holds)
    for name, c in CMP:
        text += (f'\n[[sections.items]]\nid = "V{name}"\nkind = "veto"\nscope = "outcome"\n'
                 f'label = {{ zh = "否决{name}", en = "Veto {name}" }}\n'
                 f'tests = [{{ indicator = "n", comparator = "{c}", threshold = 5, unit = "cases" }}]\n')
    # shortfall: 2 points, target 90, 0.5 per percentage point, a started step counts (ceil)
    text += '\n[[sections]]\nid = "S"\ntitle = { zh = "S", en = "S" }\nmax = 8\n'
    for name, c in CMP[:4]:
        text += (f'\n[[sections.items]]\nid = "S{name}"\nmax = 2\nkind = "shortfall"\npoints = 2\n'
                 f'indicators = ["x"]\ncomparator = "{c}"\ntarget = 90\nunit = "percent"\nstep = 1\n'
                 'cost = 0.5\npartial = "ceil"\nfloor = "part"\n')
    return text


@pytest.fixture(scope="module")
def cmp_views(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, View]]:
    rs = load(tmp_path_factory.mktemp("cmp"), comparator_rules())
    views = score(rs, list(POINTS.values()))
    return dict(zip(POINTS, views, strict=True))


@pytest.mark.parametrize("where", list(POINTS))
@pytest.mark.parametrize("section", ["T", "R", "A", "C", "B"])
def test_comparators_at_and_around_the_limit(cmp_views: dict[str, dict[str, View]], where: str,
                                             section: str) -> None:
    # T threshold x ? 90, R versus_reference x ? ref (= 90), A tests n ? 5, C condition "x ? 90",
    # B one band x ? 90: each gives its 1 point exactly when the comparison holds (HOLDS, by hand)
    holds = HOLDS[where]
    check(cmp_views[where],
          items={f"{section}{name}": D(1) if holds[name] else D(0) for name, _ in CMP},
          met={f"{section}{name}": holds[name] for name, _ in CMP},
          status={f"{section}{name}": "scored" for name, _ in CMP})


@pytest.mark.parametrize("where", list(POINTS))
def test_veto_tests_at_and_around_the_limit(cmp_views: dict[str, dict[str, View]], where: str) -> None:
    # a veto item with one test n ? 5 is triggered exactly when the comparison holds
    holds = HOLDS[where]
    check(cmp_views[where],
          status={f"V{name}": "vetoed" if holds[name] else "scored" for name, _ in CMP},
          conditions={f"veto.V{name}": holds[name] for name, _ in CMP},
          items={f"V{name}": D(0) for name, _ in CMP},
          vetoed=True)  # below: <, <=, != hold; at: >=, <=, ==; above: >, >=, !=: always one


def test_shortfall_comparators(cmp_views: dict[str, dict[str, View]]) -> None:
    # 2 points, target 90, 0.5 per percentage point started (ceil). Gap = 90 − x for >=/>, x − 90 for <=/<.
    # 89.9: >= and > are short 0.1 → ceil 1 step → 2 − 0.5 = 1.5; <= and < are met → 2
    check(cmp_views["below"], items={"Sge": "1.5", "Sgt": "1.5", "Sle": "2", "Slt": "2"},
          met={"Sge": False, "Sgt": False, "Sle": True, "Slt": True})
    # 90 exactly: >= and <= are met. The strict > and < are NOT met (90 is not above/below 90), but the
    # documented gap is target − value = 0: 0 steps (ceil of 0 is 0), nothing taken → 2, met False
    check(cmp_views["at"], items={"Sge": "2", "Sgt": "2", "Sle": "2", "Slt": "2"},
          met={"Sge": True, "Sgt": False, "Sle": True, "Slt": False})
    # 90.1: >= and > met → 2; <= and < are 0.1 over → ceil 1 step → 1.5
    check(cmp_views["above"], items={"Sge": "2", "Sgt": "2", "Sle": "1.5", "Slt": "1.5"},
          met={"Sge": True, "Sgt": True, "Sle": False, "Slt": False})


def test_comparator_totals(cmp_views: dict[str, dict[str, View]]) -> None:
    # five sections of six 1-point comparators: 3 hold in each (see HOLDS) → 5 × 3 = 15, plus the shortfalls
    check(cmp_views["below"], total="22", sections={"T": "3", "R": "3", "A": "3", "C": "3", "B": "3", "S": "7"})
    check(cmp_views["at"], total="23", sections={"S": "8"})  # 15 + 2 + 2 + 2 + 2
    check(cmp_views["above"], total="22", sections={"S": "7"})  # 15 + 2 + 2 + 1.5 + 1.5


TARGETS = head("cmp-targets", kind="targets") + """
[indicators.x]
type = "decimal"
unit = "percent"
min = 0
max = 100
label = { zh = "率", en = "Rate" }

[[sections]]
id = "G"
title = { zh = "目标", en = "Targets" }
"""


def targets_rules() -> str:
    text = TARGETS
    for name, c in CMP:
        text += (f'\n[[sections.items]]\nid = "G{name}"\nlabel = {{ zh = "目标{name}", en = "Target {name}" }}\n'
                 f'kind = "target"\nindicator = "x"\ncomparator = "{c}"\nvalue = 90\nunit = "percent"\n'
                 'year = 2023\n')
        text += (f'\n[[sections.items]]\nid = "Q{name}"\nlabel = {{ zh = "要求{name}", en = "Requirement {name}" }}\n'
                 f'kind = "requirement"\ncondition = "x {c} 90"\n')
    for name, c in CMP:
        text += (f'\n[[eligibility]]\nid = "E{name}"\nlabel = {{ zh = "条件{name}", en = "Condition {name}" }}\n'
                 f'clause = "x {c} 90"\ncondition = "x {c} 90"\n')
    return text


@pytest.mark.parametrize("where", list(POINTS))
def test_targets_requirements_and_eligibility_comparators(tmp_path: Path, where: str) -> None:
    rs = load(tmp_path, targets_rules())
    (views,) = score(rs, [{"x": POINTS[where]["x"]}])
    holds = HOLDS[where]
    check(views,
          met={**{f"G{n}": holds[n] for n, _ in CMP}, **{f"Q{n}": holds[n] for n, _ in CMP}},
          items={f"G{n}": None for n, _ in CMP},  # targets and checklist requirements give no points
          conditions={f"eligibility.E{n}": holds[n] for n, _ in CMP},
          total=None,
          eligible=False,  # three of the six conditions fail wherever x is
          completion="0.5")  # 3 targets + 3 requirements met of 12


THIRDS = head("thirds", kind="targets") + """
[indicators.x]
type = "decimal"
unit = "percent"
min = 0
max = 100
label = { zh = "率", en = "Rate" }

[[sections]]
id = "G"
title = { zh = "目标", en = "Targets" }
""" + "".join(f"""
[[sections.items]]
id = "g{k}"
label = {{ zh = "目标{k}", en = "Target {k}" }}
kind = "target"
indicator = "x"
comparator = ">="
value = {k}0
unit = "percent"
year = 2023
""" for k in (1, 2, 3))


def test_completion_of_one_in_three_is_the_same_everywhere(tmp_path: Path) -> None:
    rs = load(tmp_path, THIRDS)
    (views,) = score(rs, [{"x": 15}])  # 15 ≥ 10 only: 1 target of 3 met
    # 1/3 in the library's decimal context (34 significant digits, half up): 0.333…3, 34 threes
    check(views, completion=D("0." + "3" * 34), met={"g1": True, "g2": False, "g3": False})
    # whatever the caller's own context (before: Evaluation.completion divided in it, 28 or 5 digits)
    with decimal.localcontext(decimal.Context(prec=5)):
        assert fuac.evaluate(rs, {"x": 15}).completion == D("0." + "3" * 34)


# ---------------------------------------------------------------------------
# 2. partial steps on a fractional gap

PARTIAL = head("partial", total="12") + """
[indicators.rate]
type = "decimal"
unit = "percent"
min = 0
max = 100
label = { zh = "知晓率", en = "Awareness rate" }
[indicators.mmr]
type = "decimal"
unit = "per_100k"
min = 0
label = { zh = "孕产妇死亡率", en = "Maternal mortality ratio" }

[[sections]]
id = "A"
title = { zh = "低于目标", en = "Below a target" }
max = 6
""" + "".join(f"""
[[sections.items]]
id = "r{mode}"
max = 2
kind = "shortfall"
points = 2
indicators = ["rate"]
comparator = ">="
target = 90
unit = "percent"
step = 1
cost = 0.4
partial = "{mode}"
floor = "part"
""" for mode in ("floor", "ceil", "prorata")) + """
[[sections]]
id = "B"
title = { zh = "超过目标", en = "Above a target" }
max = 6
""" + "".join(f"""
[[sections.items]]
id = "m{mode}"
max = 2
kind = "shortfall"
points = 2
indicators = ["mmr"]
comparator = "<="
target = 10
unit = "per_100k"
step = 0.5
cost = 0.4
partial = "{mode}"
floor = "part"
""" for mode in ("floor", "ceil", "prorata"))


def test_partial_steps_on_a_fractional_gap(tmp_path: Path) -> None:
    rs = load(tmp_path, PARTIAL)
    frac, whole = score(rs, [{"rate": D("87.5"), "mmr": D("11.25")}, {"rate": 88, "mmr": 11}])
    # rate 87.5: gap 2.5 steps of 1. floor → 2 steps × 0.4 = 0.8 taken, 2 − 0.8 = 1.2;
    # ceil → 3 steps × 0.4 = 1.2 taken, 2 − 1.2 = 0.8; prorata → 2.5 × 0.4 = 1 taken, 2 − 1 = 1
    # mmr 11.25 ≤ 10 fails by 1.25 = 2.5 steps of 0.5: the same three numbers
    check(frac, items={"rfloor": "1.2", "rceil": "0.8", "rprorata": "1.0",
                       "mfloor": "1.2", "mceil": "0.8", "mprorata": "1.0"},
          met={"rfloor": False, "rceil": False, "rprorata": False},
          total="6.0")  # 2 × (1.2 + 0.8 + 1)
    # a whole gap: 2 steps (rate 88) and 1 / 0.5 = 2 steps (mmr 11) in every mode: 2 − 0.8 = 1.2 each
    check(whole, items={k: "1.2" for k in ("rfloor", "rceil", "rprorata", "mfloor", "mceil", "mprorata")},
          total="7.2")


STEP3 = head("partial-step3", total="6") + """
[indicators.rate]
type = "decimal"
unit = "percent"
min = 0
max = 100
label = { zh = "知晓率", en = "Awareness rate" }

[[sections]]
id = "A"
title = { zh = "每低3个百分点", en = "Per 3 percentage points" }
max = 6
""" + "".join(f"""
[[sections.items]]
id = "t{mode}"
max = 2
kind = "shortfall"
points = 2
indicators = ["rate"]
comparator = ">="
target = 90
unit = "percent"
step = 3
cost = 0.6
partial = "{mode}"
floor = "part"
""" for mode in ("floor", "ceil", "prorata"))


def test_prorata_by_a_step_of_three_is_not_vectorised(tmp_path: Path) -> None:
    rs = load(tmp_path, STEP3)
    # NOT vectorised, by design: gap / 3 is not a finite decimal in general, so the vector backend hands
    # the prorata rule (only it) to the single-unit path, and says so; floor and ceil by 3 are compiled
    (views,) = score(rs, [{"rate": D("88.5")}], fallback={"tprorata": "finite decimal"})
    # gap 1.5 = 0.5 step of 3: floor → 0 steps, 2; ceil → 1 step × 0.6 → 1.4; prorata → 0.5 × 0.6 = 0.3 → 1.7
    check(views, items={"tfloor": "2", "tceil": "1.4", "tprorata": "1.7"}, total="5.1")


def test_shortfall_needs_a_direction(tmp_path: Path) -> None:
    # == and != are not shortfall comparators: refused at load
    text = STEP3.replace('comparator = ">="', 'comparator = "=="', 1)
    with pytest.raises(fuac.errors.RulesetError, match="a shortfall needs a direction"):
        load(tmp_path, text)


# ---------------------------------------------------------------------------
# 3. floors: part, item, section, none

FLOORS = head("floors-modes", total="18") + """
[indicators.a]
type = "integer"
unit = "cases"
min = 0
label = { zh = "甲类问题", en = "Problems A" }
[indicators.b]
type = "integer"
unit = "cases"
min = 0
label = { zh = "乙类问题", en = "Problems B" }
[indicators.ok]
type = "boolean"
label = { zh = "制度健全", en = "Rules in place" }
""" + "".join(f"""
[[sections]]
id = "{sid}"
title = {{ zh = "{sid}", en = "{sid}" }}
max = 4

[[sections.items]]
id = "{sid.lower()}1"
max = 4
[[sections.items.parts]]
id = "a"
kind = "deduction"
points = 2
costs = [{{ indicator = "a", cost = 1 }}]
floor = "{floor}"
[[sections.items.parts]]
id = "b"
kind = "deduction"
points = 2
costs = [{{ indicator = "b", cost = 1 }}]
floor = "{floor}"
""" for sid, floor in (("P", "part"), ("I", "item"))) + "".join(f"""
[[sections]]
id = "{sid}"
title = {{ zh = "{sid}", en = "{sid}" }}
max = 4

[[sections.items]]
id = "{sid.lower()}1"
max = 2
kind = "deduction"
points = 2
costs = [{{ indicator = "a", cost = 1 }}]
floor = "{floor}"

[[sections.items]]
id = "{sid.lower()}2"
max = 2
kind = "all_or_nothing"
points = 2
condition = "ok"
""" for sid, floor in (("S", "section"), ("N", "none"))) + """
[[sections]]
id = "X"
title = { zh = "单项扣完为止", en = "One-rule item, floor at the item" }
max = 2

[[sections.items]]
id = "x1"
max = 2
kind = "deduction"
points = 2
costs = [{ indicator = "a", cost = 1 }]
floor = "item"
"""


def test_floors(tmp_path: Path) -> None:
    rs = load(tmp_path, FLOORS)
    five, three = score(rs, [{"a": 5, "b": 1, "ok": True}, {"a": 3, "b": 0, "ok": False}])
    # a = 5, b = 1: each part is 2 − 5 = −3 (a) and 2 − 1 = 1 (b)
    # part: a stops at 0 → 0 + 1 = 1; item: −3 + 1 = −2 → the item stops at 0;
    # section: s1 = −3 (not floored at the item) + s2 2 = −1 → the section stops at 0;
    # none: n1 = −3 + n2 2 = −1, negative; a one-rule item with floor "item": 2 − 5 → 0
    check(five, items={"p1": "1", "i1": "0", "s1": "-3", "s2": "2", "n1": "-3", "n2": "2", "x1": "0"},
          sections={"P": "1", "I": "0", "S": "0", "N": "-1", "X": "0"},
          total="0")  # 1 + 0 + 0 − 1 + 0
    ev = five["evaluate"].ev
    assert ev is not None
    assert [(p.id, p.points) for p in ev.item("p1").parts] == [("a", D(0)), ("b", D(1))]
    assert [(p.id, p.points) for p in ev.item("i1").parts] == [("a", D(-3)), ("b", D(1))]
    assert ev.section("S").floored and not ev.section("N").floored
    # a = 3, b = 0, ok false: part: max(2 − 3, 0) + 2 = 2; item: −1 + 2 = 1 (above 0, kept);
    # section: −1 + 0 = −1 → 0; none: −1 + 0 = −1; one-rule item: 0
    check(three, items={"p1": "2", "i1": "1", "s1": "-1", "s2": "0", "n1": "-1", "n2": "0", "x1": "0"},
          sections={"P": "2", "I": "1", "S": "0", "N": "-1", "X": "0"},
          total="2")  # 2 + 1 + 0 − 1 + 0


# ---------------------------------------------------------------------------
# 4. a deduction whose points are not a multiple of its cost

DEDUCTION = head("deduction-modes", total="4") + """
[indicators.cases]
type = "integer"
unit = "cases"
min = 0
label = { zh = "违规件数", en = "Violations" }
[indicators.complaints]
type = "integer"
unit = "persons"
min = 0
label = { zh = "投诉人数", en = "Complaints" }

[[sections]]
id = "A"
title = { zh = "扣分", en = "Deductions" }
max = 4

[[sections.items]]
id = "d1"
max = 2
kind = "deduction"
points = 2
costs = [{ indicator = "cases", cost = 0.75 }]
floor = "item"

[[sections.items]]
id = "d2"
max = 2
kind = "deduction"
points = 2
costs = [{ indicator = "complaints", cost = 0.5 }]
floor = "item"
"""


def test_deduction_not_a_multiple_of_its_cost(tmp_path: Path) -> None:
    rs = load(tmp_path, DEDUCTION)
    recs = [{"cases": 2, "complaints": 3}, {"cases": 3, "complaints": 4}, {"cases": 5, "complaints": 6}]
    two, three, five = score(rs, recs)
    # d1: 2 × 0.75 = 1.5 → 0.5; d2: 3 × 0.5 = 1.5 → 0.5
    check(two, items={"d1": "0.5", "d2": "0.5"}, total="1", met={"d1": False, "d2": False})
    # d1: 3 × 0.75 = 2.25 > 2 → floored at 0 (not −0.25); d2: 4 × 0.5 = 2 exactly → 0
    check(three, items={"d1": "0", "d2": "0"}, total="0")
    check(five, items={"d1": "0", "d2": "0"}, total="0")  # 3.75 and 3 taken: both floored at 0
    ev = three["evaluate"].ev
    assert ev is not None and ev.item("d1").details["raw"] == D("-0.25")


def test_deduction_rectification_steps(tmp_path: Path) -> None:
    rs = load(tmp_path, DEDUCTION)
    ev = fuac.evaluate(rs, {"cases": 5, "complaints": 6}, on=DATE)
    gs = ev.gaps(rs)
    d1, d2 = gs["d1"], gs["d2"]
    # every case removed recovers the 2 points
    assert [(c.field, c.before, c.after) for c in d1.changes] == [("cases", D(5), D(0))]
    assert d1.recoverable == D(2) and d1.verified
    # the first step: the most cases that still score is 2 (2 × 0.75 = 1.5 ≤ 2 → 0.5 points; 3 → 2.25 > 2 → 0),
    # so 5 → 2 (3 fewer) recovers 0.5 — 5 → 4 or 5 → 3 alone recover nothing
    assert d1.first is not None
    changes, recovered = d1.first
    assert [(c.field, c.before, c.after) for c in changes] == [("cases", D(5), D(2))]
    assert recovered == D("0.5")
    # d2: 2 / 0.5 = 4 cases take everything, so 3 is the most that still score: 6 → 3 gives 2 − 1.5 = 0.5
    assert d2.first is not None
    assert [(c.field, c.after) for c in d2.first[0]] == [("complaints", D(3))] and d2.first[1] == D("0.5")
    # 3 cases: one fewer (2) already scores, so no separate first step is named
    ev3 = fuac.evaluate(rs, {"cases": 3, "complaints": 0}, on=DATE)
    g3 = ev3.gaps(rs)["d1"]
    assert g3.first is None and g3.recoverable == D(2)


# ---------------------------------------------------------------------------
# 5. veto scopes, and a veto's several tests (all of them) against a condition with "or" (any)

VETO = head("veto-modes", total="10", extra="pass_mark = 6") + """
[indicators.score]
type = "decimal"
unit = "points"
min = 0
max = 10
label = { zh = "得分", en = "Score" }
[indicators.registered]
type = "boolean"
label = { zh = "已备案", en = "Registered" }
[indicators.p]
type = "integer"
unit = "cases"
min = 0
label = { zh = "甲类事故", en = "Accidents A" }
[indicators.q]
type = "integer"
unit = "cases"
min = 0
label = { zh = "乙类事故", en = "Accidents B" }
""" + "".join(f"""
[indicators.{flag}]
type = "boolean"
label = {{ zh = "{flag}", en = "{flag}" }}
""" for flag in ("elig_bad", "out_bad", "cap_bad", "casc_bad", "ie", "ic", "icap")) + """
[[grades]]
id = "excellent"
label = { zh = "优秀", en = "Excellent" }
min = 9
[[grades]]
id = "qualified"
label = { zh = "合格", en = "Qualified" }
min = 6

[[eligibility]]
id = "reg"
label = { zh = "已备案", en = "Registered" }
clause = "已备案的方可申报"
condition = "registered"
""" + "".join(f"""
[[vetoes]]
id = "v_{scope}"
label = {{ zh = "否决{scope}", en = "Veto {scope}" }}
clause = "一票否决"
condition = "{flag}"
scope = "{scope}"{cap}
""" for scope, flag, cap in (("eligibility", "elig_bad", ""), ("outcome", "out_bad", ""),
                             ("tier_cap", "cap_bad", '\ncap_tier = "qualified"'), ("cascade", "casc_bad", ""))) + """
[[sections]]
id = "S"
title = { zh = "得分", en = "Score" }
max = 10

[[sections.items]]
id = "pts"
max = 10
kind = "formula"
expression = "score"
max_points = 10
min_points = 0

[[sections.items]]
id = "all2"
kind = "veto"
scope = "outcome"
label = { zh = "两类事故均发生", en = "Both kinds of accident" }
tests = [
  { indicator = "p", comparator = ">", threshold = 0, unit = "cases" },
  { indicator = "q", comparator = ">=", threshold = 2, unit = "cases" },
]

[[sections.items]]
id = "any2"
kind = "veto"
scope = "outcome"
label = { zh = "任一类事故发生", en = "Either kind of accident" }
condition = "p > 0 or q >= 2"
""" + "".join(f"""
[[sections.items]]
id = "i_{scope}"
kind = "veto"
scope = "{scope}"
label = {{ zh = "项目否决{scope}", en = "Item veto {scope}" }}
condition = "{flag}"
""" for scope, flag in (("eligibility", "ie"), ("cascade", "ic"), ("tier_cap", "icap")))

BASE = {"score": 10, "registered": True, "p": 0, "q": 0, "elig_bad": False, "out_bad": False, "cap_bad": False,
        "casc_bad": False, "ie": False, "ic": False, "icap": False}


def test_veto_scopes(tmp_path: Path) -> None:
    rs = load(tmp_path, VETO)
    recs = [BASE, {**BASE, "elig_bad": True}, {**BASE, "out_bad": True}, {**BASE, "cap_bad": True},
            {**BASE, "casc_bad": True}, {**BASE, "registered": False}, {**BASE, "ie": True}, {**BASE, "ic": True},
            {**BASE, "icap": True}, {**BASE, "cap_bad": True, "score": D("7.5")},
            {**BASE, "cap_bad": True, "score": D("5.9")}]
    (clear, elig, out, cap, casc, unreg, ie, ic, icap, cap_low, cap_none) = score(rs, recs)
    # the score (10) always stands; 10 ≥ 9: excellent, ≥ 6: passed
    check(clear, total="10", vetoed=False, eligible=True, grade="excellent", passed=True)
    # eligibility: vetoed and not eligible; a vetoed unit fails and, its veto naming no grade, gets none
    check(elig, total="10", vetoed=True, eligible=False, grade=None, passed=False,
          conditions={"veto.v_eligibility": True})
    # outcome: vetoed, still eligible; failed, no grade
    check(out, total="10", vetoed=True, eligible=True, grade=None, passed=False, conditions={"veto.v_outcome": True})
    # tier_cap: not vetoed; excellent lowered to its cap_tier, qualified
    check(cap, total="10", vetoed=False, eligible=True, grade="qualified", passed=True,
          conditions={"veto.v_tier_cap": True})
    # tier_cap on a unit already below the cap (7.5: qualified) or below every grade (5.9): unchanged
    check(cap_low, grade="qualified", passed=True)
    check(cap_none, grade=None, passed=False)
    # cascade: vetoed (recorded for the parent), still eligible; failed, no grade
    check(casc, total="10", vetoed=True, eligible=True, grade=None, passed=False, conditions={"veto.v_cascade": True})
    # an unmet eligibility condition: not eligible, not vetoed
    check(unreg, vetoed=False, eligible=False, conditions={"eligibility.reg": False})
    # the same scopes on veto items of the table
    check(ie, vetoed=True, eligible=False, status={"i_eligibility": "vetoed"}, grade=None, passed=False)
    check(ic, vetoed=True, eligible=True, status={"i_cascade": "vetoed"}, grade=None, passed=False)
    # a tier_cap veto item has no cap_tier (VetoParams has none): recorded, neither vetoed nor capped
    check(icap, vetoed=False, eligible=True, status={"i_tier_cap": "vetoed"}, grade="excellent",
          conditions={"veto.i_tier_cap": True})


def test_a_condition_without_scope(tmp_path: Path) -> None:
    """An eligibility condition that names no scope decides eligibility; a veto must name one."""
    rs = load(tmp_path, VETO)
    ev = fuac.evaluate(rs, {**BASE, "out_bad": True, "registered": False}, on=DATE)
    assert [(c.id, c.scope, c.holds) for c in ev.eligibility] == [("reg", "eligibility", False)]
    assert {c.id: c.scope for c in ev.vetoes}["v_outcome"] == "outcome"
    assert ev.vetoed is True and ev.eligible is False
    text = VETO.replace('scope = "outcome"\n', "", 1)  # the rule-set veto v_outcome, now without a scope
    with pytest.raises(fuac.FuacError, match=r"rules.toml:\d+: \[v_outcome\] veto 'v_outcome' needs 'scope'"):
        load(tmp_path, text)


@pytest.mark.parametrize(("p", "q", "all_", "any_"), [
    (0, 0, False, False),  # neither test holds
    (1, 0, False, True),  # p > 0 only: all2 is not triggered, any2 is
    (1, 1, False, True),  # q = 1 is one below 2: still only p > 0
    (0, 2, False, True),  # q >= 2 only (at its limit)
    (1, 2, True, True),  # both: both triggered
])
def test_veto_with_several_tests(tmp_path: Path, p: int, q: int, all_: bool, any_: bool) -> None:
    rs = load(tmp_path, VETO)
    (views,) = score(rs, [{**BASE, "p": p, "q": q}])
    check(views, conditions={"veto.all2": all_, "veto.any2": any_},
          status={"all2": "vetoed" if all_ else "scored", "any2": "vetoed" if any_ else "scored"},
          vetoed=any_, total="10")


# ---------------------------------------------------------------------------
# 6. bonus items and bonus_cap

BONUS = head("bonus-modes", total="10", extra="bonus_cap = 2.5") + """
[indicators.complaints]
type = "integer"
unit = "persons"
min = 0
label = { zh = "投诉人数", en = "Complaints" }
""" + "".join(f"""
[indicators.{flag}]
type = "boolean"
label = {{ zh = "{flag}", en = "{flag}" }}
""" for flag in ("national", "provincial", "reported")) + """
[[sections]]
id = "A"
title = { zh = "基础分", en = "Base" }
max = 8

[[sections.items]]
id = "base"
max = 8
kind = "deduction"
points = 8
costs = [{ indicator = "complaints", cost = 0 }]
floor = "part"

[[sections.items]]
id = "b1"
bonus = true
max = 2
kind = "all_or_nothing"
points = 2
condition = "national"

[[sections.items]]
id = "b2"
bonus = true
max = 1.5
kind = "all_or_nothing"
points = 1.5
condition = "provincial"

[[sections]]
id = "B"
title = { zh = "扣分", en = "Deductions" }
max = 2

[[sections.items]]
id = "d"
max = 2
kind = "deduction"
points = 2
costs = [{ indicator = "complaints", cost = 1 }]
floor = "section"

[[sections.items]]
id = "b3"
bonus = true
max = 0.5
kind = "all_or_nothing"
points = 0.5
condition = "reported"
"""


def test_bonus_cap(tmp_path: Path) -> None:
    rs = load(tmp_path, BONUS)
    none = {"complaints": 0, "national": False, "provincial": False, "reported": False}
    recs = [{**none, "national": True},
            {**none, "national": True, "reported": True},
            {**none, "national": True, "provincial": True},
            {**none, "national": True, "provincial": True, "reported": True, "complaints": 3},
            {**none, "reported": True, "complaints": 3}]
    below, at, above, above_floor, floor_bonus = score(rs, recs)
    # bonus 2 < cap 2.5: kept whole → A 8 + 2 = 10, B 2: 12
    check(below, total="12", sections={"A": "10", "B": "2"})
    # bonus 2 + 0.5 = 2.5, exactly the cap: kept → 10 + 2.5 = 12.5
    check(at, total="12.5", sections={"A": "10", "B": "2.5"})
    # bonus 2 + 1.5 = 3.5 > 2.5: 1 taken off the total → 11.5 + 2 − 1 = 12.5 (the section keeps its 11.5)
    check(above, total="12.5", sections={"A": "11.5", "B": "2"})
    # 4 of bonus → 1.5 taken off; section B: d = 2 − 3 = −1 → floored at 0 first, then + 0.5 bonus = 0.5
    # 11.5 + 0.5 − 1.5 = 10.5
    check(above_floor, total="10.5", sections={"A": "11.5", "B": "0.5"}, items={"d": "-1", "b3": "0.5"})
    # bonus after the floor: 8 + (max(−1, 0) + 0.5) = 8.5 (not 8 + max(−1 + 0.5, 0) = 8)
    check(floor_bonus, total="8.5", sections={"A": "8", "B": "0.5"})


# ---------------------------------------------------------------------------
# 7. a formula beyond its maximum and below zero

FORMULA = head("formula-modes", total="8") + """
[indicators.rate]
type = "decimal"
unit = "percent"
min = 0
max = 100
label = { zh = "覆盖率", en = "Coverage" }

[[sections]]
id = "F"
title = { zh = "公式", en = "Formulas" }
max = 8

[[sections.items]]
id = "f1"
max = 4
kind = "formula"
expression = "rate * 0.05"
max_points = 4
min_points = 0

[[sections.items]]
id = "f2"
max = 2
kind = "formula"
expression = "rate * 0.1 - 5"
max_points = 2
min_points = -2

[[sections.items]]
id = "f3"
max = 2
kind = "formula"
expression = "rate * 0.1 - 5"
max_points = 2
min_points = 0
"""


@pytest.mark.parametrize(("rate", "f1", "f2", "f3", "total"), [
    (20, "1", "-2", "0", "-1"),  # f1 20 × 0.05 = 1; f2 2 − 5 = −3 → kept at −2; f3 −3 → kept at 0
    (40, "2", "-1", "0", "1"),  # f2 −1 stands (min −2); f3 −1 → 0
    (60, "3", "1", "1", "5"),
    (80, "4", "2", "2", "8"),  # f1 exactly its maximum 4; f2 8 − 5 = 3 → 2
    (100, "4", "2", "2", "8"),  # f1 5 → capped at 4; f2, f3 5 → 2
])
def test_formula_kept_within_its_bounds(tmp_path: Path, rate: int, f1: str, f2: str, f3: str, total: str) -> None:
    rs = load(tmp_path, FORMULA)
    (views,) = score(rs, [{"rate": rate}])
    check(views, items={"f1": f1, "f2": f2, "f3": f3}, total=total)


# ---------------------------------------------------------------------------
# 8. a not-applicable item in a graded unit

NA = head("na-modes", total="10", extra="pass_mark = 6") + """
[indicators.rural]
type = "boolean"
label = { zh = "有农村", en = "Has villages" }
[indicators.ok_a]
type = "boolean"
label = { zh = "甲", en = "A" }
[indicators.ok_b]
type = "boolean"
label = { zh = "乙", en = "B" }
[indicators.rate]
type = "decimal"
unit = "percent"
min = 0
max = 100
label = { zh = "知晓率", en = "Awareness" }
[indicators.complaints]
type = "integer"
unit = "persons"
min = 0
label = { zh = "投诉", en = "Complaints" }

[[grades]]
id = "excellent"
label = { zh = "优秀", en = "Excellent" }
min = 9
[[grades]]
id = "qualified"
label = { zh = "合格", en = "Qualified" }
min = 6

[[sections]]
id = "S"
title = { zh = "节", en = "Section" }
max = 10

[[sections.items]]
id = "i1"
max = 4
kind = "all_or_nothing"
points = 4
condition = "ok_a"
applies_when = "rural"

[[sections.items]]
id = "i2"
max = 3
kind = "threshold"
points = 3
indicator = "rate"
comparator = ">="
threshold = 90
unit = "percent"

[[sections.items]]
id = "i3"
max = 2
kind = "deduction"
points = 2
costs = [{ indicator = "complaints", cost = 1 }]
floor = "part"

[[sections.items]]
id = "i4"
max = 1
kind = "all_or_nothing"
points = 1
condition = "ok_b"
"""


PARTS_STATUS = head("parts-status", total="4") + """
[indicators.x]
type = "decimal"
unit = "percent"
min = 0
max = 100
label = { zh = "覆盖率", en = "Coverage" }

[indicators.flag]
type = "boolean"
label = { zh = "有文件", en = "Has a document" }

[[sections]]
id = "S"
title = { zh = "得分", en = "Score" }
max = 4

[[sections.items]]
id = "i"
max = 4
[[sections.items.parts]]
id = "a"
max = 2
kind = "discretionary"
points = 2
condition = "flag"
[[sections.items.parts]]
id = "b"
max = 2
kind = "threshold"
points = 2
indicator = "x"
comparator = ">="
threshold = 90
unit = "percent"
"""


def test_an_items_status_is_its_most_pressing_parts(tmp_path: Path) -> None:
    """An item whose parts differ takes the status of the part that most needs attention:
    invalid input over missing input over awaiting an assessor over scored, whichever part
    comes first (the awaiting part is first here)."""
    rs = load(tmp_path, PARTS_STATUS)
    bad, missing, awaiting, done = score(rs, [
        {"x": "abc", "flag": False},  # a: condition not met, awaiting an assessor; b: invalid input
        {"flag": False},  # a: awaiting; b: missing input
        {"x": 95, "flag": False},  # a: awaiting; b: 2 points
        {"x": 95, "flag": True},  # a: condition met, 2; b: 2
    ])
    check(bad, status={"i": "invalid_input"}, complete=False)
    check(missing, status={"i": "missing_input"}, complete=False)
    check(awaiting, status={"i": "awaiting_assessor"}, complete=False)
    check(done, status={"i": "scored"}, complete=True, total="4")


def test_not_applicable_item_graded(tmp_path: Path) -> None:
    rs = load(tmp_path, NA)
    recs = [{"rural": False, "ok_a": True, "ok_b": True, "rate": 95, "complaints": 1},
            {"rural": False, "ok_a": True, "ok_b": True, "rate": 95, "complaints": 0},
            {"rural": True, "ok_a": True, "ok_b": True, "rate": 95, "complaints": 0}]
    short, six, full = score(rs, recs)
    # i1 does not apply: no points, not met, its 4 out of the maximum: 10 − 4 = 6 applicable.
    # i2 3 + i3 2 − 1 = 1 + i4 1 = 5: below the pass mark 6 (which is not scaled to the 6 applicable)
    # and below every grade; met: i2, i4 of 4 items → 2/4 = 0.5
    check(short, items={"i1": None, "i2": "3", "i3": "1", "i4": "1"}, status={"i1": "not_applicable"},
          met={"i1": None, "i3": False}, total="5", complete=True, passed=False, grade=None, completion="0.5")
    # 3 + 2 + 1 = 6: exactly the pass mark and the qualified minimum; met 3 of 4 = 0.75
    check(six, total="6", complete=True, passed=True, grade="qualified", completion="0.75")
    # rural: i1 applies and gives 4 → 10, excellent; 4 of 4 met
    check(full, items={"i1": "4"}, status={"i1": "scored"}, total="10", passed=True, grade="excellent",
          completion="1")
    for views, applicable in ((short, D(6)), (six, D(6)), (full, D(10))):
        ev = views["evaluate"].ev
        assert ev is not None and ev.max_total == D(10) and ev.max_applicable == applicable


# ---------------------------------------------------------------------------
# 9. pass mark and grade minimums; 13. the reported total, rounded half up

GRADES = head("grade-modes", total="10", extra="pass_mark = 6") + """
[indicators.score]
type = "decimal"
unit = "points"
min = 0
max = 10
label = { zh = "得分", en = "Score" }

[[grades]]
id = "excellent"
label = { zh = "优秀", en = "Excellent" }
min = 9
[[grades]]
id = "good"
label = { zh = "良好", en = "Good" }
min = 7.5
[[grades]]
id = "qualified"
label = { zh = "合格", en = "Qualified" }
min = 6

[[sections]]
id = "S"
title = { zh = "得分", en = "Score" }
max = 10

[[sections.items]]
id = "pts"
max = 10
kind = "formula"
expression = "score"
max_points = 10
min_points = 0
"""


@pytest.mark.parametrize(("total", "reported", "grade", "passed"), [
    ("9", "9.0", "excellent", True),  # exactly at 9
    ("8.9", "8.9", "good", True),  # one step (0.1) below 9
    ("8.95", "9.0", "good", True),  # reported 9.0 (half up), but the grade is decided on the exact 8.95
    ("7.5", "7.5", "good", True),  # exactly at 7.5
    ("7.4", "7.4", "qualified", True),  # one step below 7.5
    ("6", "6.0", "qualified", True),  # exactly at the pass mark and at 6
    ("5.9", "5.9", None, False),  # one step below: failed, no grade
    ("5.95", "6.0", None, False),  # reported 6.0, exact 5.95 < 6: failed
])
def test_pass_mark_and_grade_minimums(tmp_path: Path, total: str, reported: str, grade: str | None,
                                      passed: bool) -> None:
    rs = load(tmp_path, GRADES)
    (views,) = score(rs, [{"score": D(total)}])
    check(views, total=total, reported=reported, grade=grade, passed=passed, complete=True)


@pytest.mark.parametrize(("total", "reported"), [
    ("7.25", "7.3"),  # half up (half even would give 7.2)
    ("6.05", "6.1"),  # half up (half even would give 6.0)
    ("7.35", "7.4"),
    ("7.249", "7.2"),
])
def test_reported_total_rounds_half_up(tmp_path: Path, total: str, reported: str) -> None:
    rs = load(tmp_path, GRADES)
    (views,) = score(rs, [{"score": D(total)}])
    check(views, total=total, reported=reported, sections={"S": reported})
    # the float column rounds the same way
    for backend in ("python", "vector"):
        res = fuac.evaluate_many(rs, [{"score": D(total)}], on=ON, backend=backend)
        assert res.column("total")[0] == float(reported) and res.column("section.S")[0] == float(reported)


@pytest.mark.parametrize(("rate", "total", "reported"), [
    (43, "1.45", "1.5"),  # f1 2.15 + f2 4.3 − 5 = −0.7 + f3 0 = 1.45 → 1.5 (half even: 1.4)
    (33, "-0.05", "-0.1"),  # f1 1.65 + f2 −1.7 = −0.05 → −0.1 (half up rounds away from zero; half even: −0.0)
])
def test_reported_total_rounds_half_up_negative(tmp_path: Path, rate: int, total: str, reported: str) -> None:
    rs = load(tmp_path, FORMULA)
    (views,) = score(rs, [{"rate": rate}])
    check(views, total=total, reported=reported)
    for backend in ("python", "vector"):
        res = fuac.evaluate_many(rs, [{"rate": rate}], on=ON, backend=backend)
        assert res.column("total")[0] == float(reported)


# ---------------------------------------------------------------------------
# 10. tier-dependent points and a tier's tier_cap veto

TIERS = head("tier-modes", total="10", extra="pass_mark = 5", jurisdiction='[{ code = "4201", level = "city" }]') + """
[[tiers]]
id = "district"
label = { zh = "区", en = "District" }
level = "county"
total = 10

[[tiers]]
id = "street"
label = { zh = "街道", en = "Street" }
level = "township"
total = 8

[indicators.rate]
type = "decimal"
unit = "percent"
min = 0
max = 100
label = { zh = "知晓率", en = "Awareness" }
[indicators.score]
type = "decimal"
unit = "points"
min = 0
max = 6
label = { zh = "得分", en = "Score" }
[indicators.violation]
type = "boolean"
label = { zh = "违规", en = "Violation" }

[[grades]]
id = "excellent"
label = { zh = "优秀", en = "Excellent" }
min = 8
[[grades]]
id = "qualified"
label = { zh = "合格", en = "Qualified" }
min = 5

[[vetoes]]
id = "cap"
label = { zh = "违规降级", en = "Violation caps the grade" }
clause = "街道有违规的，最高评为合格"
scope = "tier_cap"
cap_tier = "qualified"
condition = "violation"
tiers = ["street"]

[[sections]]
id = "A"
title = { zh = "甲", en = "A" }
max = { district = 10, street = 8 }

[[sections.items]]
id = "1"
max = { district = 4, street = 2 }
kind = "threshold"
points = 4
indicator = "rate"
comparator = ">="
threshold = 80
unit = "percent"
overrides = { street = { points = 2, threshold = 70 } }

[[sections.items]]
id = "2"
max = 6
kind = "formula"
expression = "score"
max_points = 6
min_points = 0
"""


@pytest.mark.parametrize(("tier", "rate", "violation", "item1", "total", "grade"), [
    ("district", 80, True, "4", "10", "excellent"),  # 80 ≥ 80: 4; the street's veto is not the district's
    ("district", D("79.9"), False, "0", "6", "qualified"),  # one step below 80
    ("street", 80, True, "2", "8", "qualified"),  # 2 + 6 = 8: excellent, capped at qualified
    ("street", 70, False, "2", "8", "excellent"),  # 70 ≥ 70 (the street's threshold): the street's 2 points
    ("street", D("69.9"), False, "0", "6", "qualified"),  # one step below 70
])
def test_tier_points_and_tier_cap(tmp_path: Path, tier: str, rate: Any, violation: bool, item1: str, total: str,
                                  grade: str) -> None:
    rs = load(tmp_path, TIERS)
    (views,) = score(rs, [{"rate": rate, "score": 6, "violation": violation}], tier=tier)
    check(views, items={"1": item1, "2": "6"}, total=total, grade=grade, vetoed=False, passed=True)
    ev = views["evaluate"].ev
    assert ev is not None and ev.max_total == D(10 if tier == "district" else 8)
    if tier == "street":
        check(views, conditions={"veto.cap": violation})
    else:
        assert "veto.cap" not in views["python"].conditions


# ---------------------------------------------------------------------------
# 11. quotas: rounding of a share, and caps at a band's boundary

QUOTAS = head("quota-modes", total="10", jurisdiction='[{ code = "45", level = "province" }]') + """
[[tiers]]
id = "county"
label = { zh = "县", en = "County" }
level = "county"
total = 10

[indicators.score]
type = "decimal"
unit = "points"
min = 0
max = 10
label = { zh = "得分", en = "Score" }

[[sections]]
id = "S"
title = { zh = "得分", en = "Score" }
max = 10

[[sections.items]]
id = "pts"
max = 10
kind = "formula"
expression = "score"
max_points = 10
min_points = 0
""" + "".join(f"""
[[quotas]]
id = "share_{mode}"
label = {{ zh = "比例{mode}", en = "Share {mode}" }}
clause = "不超过符合条件单位的15%"
kind = "share"
per = "cycle"
share = 0.15
of = "eligible"
rounding = "{mode}"
""" for mode in ("floor", "ceil", "half_up")) + """
[[quotas]]
id = "by_city"
label = { zh = "各市推荐名额", en = "Per city" }
clause = "辖4个及以下的推荐1个，5至8个的推荐2个，8个以上的推荐3个"
kind = "by_parent_count"
per = "cycle"
parent_level = "city"
bands = [{ max_units = 4, count = 1 }, { max_units = 8, count = 2 }, { count = 3 }]

[[quotas]]
id = "two"
label = { zh = "两个", en = "Two" }
clause = "每周期2个"
kind = "count"
per = "cycle"
count = 2

[[quotas]]
id = "share_applicants"
label = { zh = "申报单位比例", en = "Share of applicants" }
clause = "不超过申报单位的15%"
kind = "share"
per = "cycle"
share = 0.15
of = "applicants"
rounding = "half_up"

[[quotas]]
id = "city_share"
label = { zh = "各市比例", en = "Share per city" }
clause = "各市不超过所辖单位的15%"
kind = "share_per_parent"
per = "year"
share = 0.15
of = "all"
rounding = "half_up"
parent_level = "city"

[[quotas]]
id = "city_share_eligible"
label = { zh = "各市符合条件单位比例", en = "Share of eligible units per city" }
clause = "各市不超过所辖符合条件单位的15%"
kind = "share_per_parent"
per = "year"
share = 0.15
of = "eligible"
rounding = "half_up"
parent_level = "city"

[[quotas]]
id = "one_to_two"
label = { zh = "每年1至2个", en = "1 to 2 a year" }
clause = "每年推荐1至2个"
kind = "range"
per = "year"
min_count = 1
count = 2

[[eligibility]]
id = "five"
label = { zh = "得分不低于5分", en = "Score at least 5" }
clause = "得分5分以上的方可申报"
condition = "score >= 5"
"""


def _units(n: int) -> list[dict[str, Any]]:
    # distinct totals, best first: 10, 9.9, 9.8, …
    return [{"code": f"4501{j + 1:02d}", "name": f"u{j + 1}", "score": D(10) - D(j) / 10} for j in range(n)]


@pytest.mark.parametrize(("n", "floor", "ceil", "half_up"), [
    (7, 1, 2, 1),  # 7 × 15 % = 1.05: floor 1, ceil 2, half up 1
    (10, 1, 2, 2),  # 10 × 15 % = 1.5: floor 1, ceil 2, half up 2
    (20, 3, 3, 3),  # 20 × 15 % = 3 exactly: 3 whatever the rounding
    (30, 4, 5, 5),  # 30 × 15 % = 4.5: floor 4, ceil 5, half up 5 (half even would give 4)
])
@pytest.mark.parametrize("backend", ["python", "vector"])
def test_quota_share_rounding(tmp_path: Path, backend: str, n: int, floor: int, ceil: int, half_up: int) -> None:
    rs = load(tmp_path, QUOTAS)
    res = fuac.evaluate_many(rs, _units(n), tier="county", on=ON, backend=backend)
    if backend == "vector":
        assert_compiled(res, {"pts"})
    for mode, cap in (("floor", floor), ("ceil", ceil), ("half_up", half_up)):
        sel = res.select(quotas=[f"share_{mode}"])
        (use,) = sel.quotas
        assert use.cap == cap and use.used == cap, (mode, use)
        assert [p.unit for p in sel.recommended] == [f"u{j + 1}" for j in range(cap)]
        left = next(p for p in sel.picks if p.rank == cap + 1)
        assert not left.selected and left.quota == f"share_{mode}"


def test_quota_count_words_name_the_rounding(tmp_path: Path) -> None:
    from fuac.decide import lifecycle as lc

    rs = load(tmp_path, QUOTAS)
    # 30 × 15 % = 4.5 by each rounding: 4, 5, 5
    words = [(lc.quota_count(rs, f"share_{m}", 30).reason.zh, lc.quota_count(rs, f"share_{m}", 30).reason.en)
             for m in ("floor", "ceil", "half_up")]
    assert words == [("30×15%=4.5，向下取整为4个。", "30 × 15 % = 4.5, rounded floor: 4."),
                     ("30×15%=4.5，向上取整为5个。", "30 × 15 % = 4.5, rounded ceil: 5."),
                     ("30×15%=4.5，四舍五入为5个。", "30 × 15 % = 4.5, rounded half up: 5.")]


@pytest.mark.parametrize(("size", "cap"), [(4, 1), (5, 2), (8, 2), (9, 3)])
@pytest.mark.parametrize("backend", ["python", "vector"])
def test_quota_caps_at_band_boundaries(tmp_path: Path, backend: str, size: int, cap: int) -> None:
    rs = load(tmp_path, QUOTAS)
    res = fuac.evaluate_many(rs, _units(3), tier="county", on=ON, backend=backend)
    # a city of exactly 4 units is in the "≤ 4 → 1" band; 5 and 8 in "5–8 → 2"; 9 in "> 8 → 3"
    sel = res.select(quotas=["by_city"], parent_sizes={"4501": size})
    (use,) = sel.quotas
    assert use.caps == {"4501": cap}
    assert [p.rank for p in sel.recommended] == list(range(1, cap + 1))


@pytest.mark.parametrize(("n", "selected"), [(1, 1), (2, 2), (3, 2)])
@pytest.mark.parametrize("backend", ["python", "vector"])
def test_quota_count_at_its_cap(tmp_path: Path, backend: str, n: int, selected: int) -> None:
    rs = load(tmp_path, QUOTAS)
    res = fuac.evaluate_many(rs, _units(n), tier="county", on=ON, backend=backend)
    sel = res.select(quotas=["two"])
    # exactly 2 candidates for a count of 2: both selected; a third is left out by the full quota
    assert len(sel.recommended) == selected
    assert [p.quota for p in sel.picks if not p.selected] == ["two"] * (n - selected)


@pytest.mark.parametrize("backend", ["python", "vector"])
def test_quota_share_of_eligible_or_of_applicants(tmp_path: Path, backend: str) -> None:
    rs = load(tmp_path, QUOTAS)
    # 10 applicants; the last 3 score 4.9 (one step below the eligibility condition score >= 5)
    units = [*_units(7), *({"code": f"45010{j}", "name": f"x{j}", "score": D("4.9")} for j in (8, 9)),
             {"code": "450110", "name": "x10", "score": D("4.9")}]
    res = fuac.evaluate_many(rs, units, tier="county", on=ON, backend=backend)
    assert res.column("eligible").tolist() == [True] * 7 + [False] * 3
    # of eligible: 7 × 15 % = 1.05, half up → 1; of applicants: 10 × 15 % = 1.5, half up → 2
    (use,) = res.select(quotas=["share_half_up"]).quotas
    assert use.cap == 1
    sel = res.select(quotas=["share_applicants"])
    assert sel.quotas[0].cap == 2
    assert [p.unit for p in sel.recommended] == ["u1", "u2"]  # an ineligible unit is never selected


@pytest.mark.parametrize("backend", ["python", "vector"])
def test_quota_share_per_parent_of_eligible_units(tmp_path: Path, backend: str) -> None:
    rs = load(tmp_path, QUOTAS)
    # 10 units of city 4501, the last 3 ineligible (4.9 < 5): 7 × 15 % = 1.05, half up → 1
    # (counting the ineligible too would give 10 × 15 % = 1.5 → 2)
    units = _units(7) + [{"code": f"45010{j}", "name": f"x{j}", "score": D("4.9")} for j in (8, 9)]
    units.append({"code": "450110", "name": "x10", "score": D("4.9")})
    res = fuac.evaluate_many(rs, units, tier="county", on=ON, backend=backend)
    sel = res.select(quotas=["city_share_eligible"])
    assert sel.quotas[0].caps == {"4501": 1}
    assert [p.unit for p in sel.recommended] == ["u1"]


def test_parent_sizes_of_each_quotas_own_parent_level() -> None:
    # a share of the whole province beside the per-city quotas: sizes are given by province (2 digits)
    # and by city (4 digits); 20 units in province 45 × 15 % = 3, half up → 3
    extra = """
[[quotas]]
id = "province_share"
label = { zh = "全省比例", en = "Share of the province" }
clause = "全省不超过所辖单位的15%"
kind = "share_per_parent"
per = "year"
share = 0.15
of = "all"
rounding = "half_up"
parent_level = "province"
"""
    rs = fuac.loads(QUOTAS + extra)
    res = fuac.evaluate_many(rs, _units(3), tier="county", on=ON)
    sel = res.select(quotas=["province_share"], parent_sizes={"45": 20})
    assert sel.quotas[0].caps == {"45": 3}
    with pytest.raises(ValueError, match=r"^parent_sizes: '451' is not the code of a city \(4 digits\) or a "
                                         r"province \(2 digits\)$"):
        res.select(parent_sizes={"451": 20})


@pytest.mark.parametrize(("size", "cap"), [(9, 1), (10, 2), (23, 3), (30, 5)])
@pytest.mark.parametrize("backend", ["python", "vector"])
def test_quota_share_per_parent_rounding(tmp_path: Path, backend: str, size: int, cap: int) -> None:
    rs = load(tmp_path, QUOTAS)
    res = fuac.evaluate_many(rs, _units(6), tier="county", on=ON, backend=backend)
    # of all the city's units, half up: 9 × 15 % = 1.35 → 1; 10 → 1.5 → 2; 23 → 3.45 → 3; 30 → 4.5 → 5
    sel = res.select(quotas=["city_share"], parent_sizes={"4501": size})
    assert sel.quotas[0].caps == {"4501": cap}
    assert len(sel.recommended) == cap


@pytest.mark.parametrize("backend", ["python", "vector"])
def test_quota_range(tmp_path: Path, backend: str) -> None:
    rs = load(tmp_path, QUOTAS)
    res = fuac.evaluate_many(rs, _units(3), tier="county", on=ON, backend=backend)
    # 1 to 2: the best 2 of 3, the third left out naming the quota
    sel = res.select(quotas=["one_to_two"])
    assert [p.unit for p in sel.recommended] == ["u1", "u2"]
    assert sel.quotas[0].cap == 2 and sel.quotas[0].min_count == 1
    assert [(p.unit, p.quota) for p in sel.picks if not p.selected] == [("u3", "one_to_two")]


# ---------------------------------------------------------------------------
# 12. a cohort mean on a half

COHORT = head("cohort-modes", total="4") + """
[[tiers]]
id = "county"
label = { zh = "县级", en = "County" }
level = "county"
total = 4

[indicators.population]
type = "integer"
unit = "persons"
min = 0
label = { zh = "常住人口", en = "Resident population" }
[indicators.places]
type = "decimal"
unit = "per_1000_people"
min = 0
label = { zh = "千人口托位数", en = "Childcare places per 1,000 people" }
[indicators.places_avg]
type = "decimal"
unit = "per_1000_people"
min = 0
reference = true
cohort = { of = "places", parent_level = "city", weight = "population", precision = 0.1 }
label = { zh = "全市平均", en = "City average" }
[indicators.enrolment]
type = "decimal"
unit = "percent"
min = 0
max = 100
label = { zh = "入托率", en = "Enrolment rate" }
[indicators.enrolment_avg]
type = "decimal"
unit = "percent"
min = 0
max = 100
reference = true
cohort = { of = "enrolment", parent_level = "city", precision = 0.01 }
label = { zh = "全市平均入托率", en = "City average enrolment rate" }

[[sections]]
id = "A"
title = { zh = "甲", en = "A" }
max = 4

[[sections.items]]
id = "1"
max = 2
kind = "versus_reference"
points = 2
indicator = "places"
comparator = ">"
reference = "places_avg"

[[sections.items]]
id = "2"
max = 2
kind = "versus_reference"
points = 2
indicator = "enrolment"
comparator = ">="
reference = "enrolment_avg"
"""


@pytest.mark.parametrize("backend", ["python", "vector"])
def test_cohort_mean_on_a_half_rounds_half_up(tmp_path: Path, backend: str) -> None:
    rs = load(tmp_path, COHORT)
    units = [{"code": "450102", "population": 1, "places": D("1.1"), "enrolment": D("80.00")},
             {"code": "450103", "population": 3, "places": D("1.3"), "enrolment": D("80.01")}]
    res = fuac.evaluate_many(rs, units, tier="county", on=ON, backend=backend)
    if backend == "vector":
        assert_compiled(res, {"1", "2"})
    # places, weighted: (1.1 × 1 + 1.3 × 3) / 4 = 5.0 / 4 = 1.25 → 1.3 half up (1.2 half even)
    assert res.column("cohort.places_avg", exact=True).tolist() == [D("1.3"), D("1.3")]
    # enrolment: (80.00 + 80.01) / 2 = 80.005 → 80.01 half up (80.00 half even)
    assert res.column("cohort.enrolment_avg", exact=True).tolist() == [D("80.01"), D("80.01")]
    # 1.3 > 1.3 does not hold (it would against 1.2); 80.00 ≥ 80.01 does not (it would against 80.00)
    assert res.column("item.1", exact=True).tolist() == [D(0), D(0)]
    assert res.column("item.2", exact=True).tolist() == [D(0), D(2)]
    assert res.column("total_exact", exact=True).tolist() == [D(0), D(2)]
    # the single-unit path, given the average the batch recorded, agrees
    for i, (one, two) in enumerate(((D(0), D(0)), (D(0), D(2)))):
        rec = res.record(i)
        assert rec["data"]["enrolment_avg"]["value"] == D("80.01")
        ev = fuac.evaluate(rs, rec["data"], tier="county", on=DATE, context=rec["context"])
        assert (ev.item("1").points, ev.item("2").points) == (one, two)


def test_a_scheme_whose_every_tier_has_a_total_needs_none_of_its_own(tmp_path: Path) -> None:
    text = TIERS.replace("total = 10\nprecision = 0.1\n", "precision = 0.1\n", 1)
    assert "total = 10\nprecision" not in text
    rs = load(tmp_path, text)
    assert (rs.plan("district").total, rs.plan("street").total) == (10, 8)
    # without tiers it is still needed, said in one line naming the scheme
    bare = head("no-total", total="1").replace("total = 1\n", "") + '[[sections]]\nid = "S"\n' \
        'title = { zh = "节", en = "S" }\nmax = 1\n'
    with pytest.raises(RulesetError) as info:
        load(tmp_path, bare, "bare.toml")
    assert "[scheme] a 'points' scheme needs 'total' (or tiers, each with its own)" in str(info.value)


def test_a_tiers_overrides_reach_an_items_parts(tmp_path: Path) -> None:
    # item 1 made of two parts; part a's threshold and points differ for a street (overrides on the part)
    parts = '''id = "1"
max = { district = 4, street = 3 }
[[sections.items.parts]]
id = "a"
kind = "threshold"
points = 2
indicator = "rate"
comparator = ">="
threshold = 80
unit = "percent"
overrides = { street = { points = 1, threshold = 70 } }
[[sections.items.parts]]
id = "b"
kind = "all_or_nothing"
points = 2
condition = "not violation"
'''
    start = TIERS.index('id = "1"\nmax = { district = 4, street = 2 }')
    end = TIERS.index('[[sections.items]]\nid = "2"')
    text = TIERS[:start] + parts + "\n" + TIERS[end:]
    text = text.replace("max = { district = 10, street = 8 }", "max = { district = 10, street = 9 }") \
        .replace("total = 8", "total = 9")
    rs = load(tmp_path, text)
    unit = {"rate": 75, "score": 6, "violation": False}
    # 75 % < 80 %: the district's part a gives 0 (of 2); ≥ 70 %: the street's gives its 1
    for tier, a, total in (("district", "0", "8"), ("street", "1", "9")):
        (views,) = score(rs, [unit], tier=tier)
        ev = views["evaluate"].ev
        assert ev is not None and ev.item("1").parts[0].points == D(a), tier
        check(views, total=total)
    with pytest.raises(RulesetError) as info:
        load(tmp_path, text.replace("overrides = { street", "overrides = { town"), "bad.toml")
    assert "unknown tier 'town' in overrides" in str(info.value)
