"""Plugins: a real third-party rule package (tests/plugins/fuac-demo), installed with pip
into a temporary folder and used from fresh interpreters; and in-process engines for
name clashes and misbehaving plugins.

demo-2024 (fuac_demo/demo-2024.toml), worked out by hand:
  item 1 (ratio_band, places per 1,000 people): ≥ 4.5 → 6, ≥ 3 → 4, ≥ 1 → 2, else 0
  item 2 (formula): per_thousand(places, population) − 1, kept within 0..4
  veto 'revoked' (eligibility, check title_revoked): revoked_last_cycle
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import types
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest

import fuac
import fuac.plan.engine as engine_module
from fuac import hookspecs
from fuac.errors import (
    ExpressionError,
    NameClashError,
    PluginError,
    RulesetCheckError,
    RulesetError,
    RulesetSchemaError,
)

HERE = Path(__file__).parent
DEMO_SRC = HERE / "plugins" / "fuac-demo"
MINI = HERE / "data" / "mini.toml"
UNSET = object()


# ---------------------------------------------------------------------------
# the package installed for real


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip install --no-deps --target <tmp> fuac-demo``; returns <tmp>."""
    work = tmp_path_factory.mktemp("fuac-demo")
    src = work / "src"
    shutil.copytree(DEMO_SRC, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = work / "site"
    base = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
            "--target", str(target)]
    proc = subprocess.run([*base, str(src)], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:  # no index reachable: build with the setuptools already installed
        proc = subprocess.run([*base, "--no-build-isolation", str(src)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (target / "fuac_demo" / "demo-2024.toml").is_file()
    return target


def run(site: Path, args: list[str], plugins: Any = UNSET, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FUAC_PLUGINS", "PYTHONPATH")}
    env["PYTHONPATH"] = str(site)
    if plugins is not UNSET:
        env["FUAC_PLUGINS"] = plugins
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env, cwd=cwd)
    return proc


def py(site: Path, code: str, plugins: Any = UNSET) -> str:
    proc = run(site, [sys.executable, "-c", code], plugins)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_installed_plugin_is_discovered(demo_site: Path) -> None:
    out = py(demo_site, "import fuac; print(fuac.rulesets()); print(fuac.get_engine().sources['demo-2024'].owner)")
    ids, owner = out.splitlines()
    assert "demo-2024" in ast.literal_eval(ids)
    assert owner == "demo"


def test_fuac_list_shows_the_plugin_and_its_owner(demo_site: Path) -> None:
    script = Path(sys.executable).parent / "fuac"
    proc = run(demo_site, [str(script), "list"])
    assert proc.returncode == 0, proc.stderr
    (line,) = [ln for ln in proc.stdout.splitlines() if ln.startswith("demo-2024")]
    assert "2024.1" in line
    assert "示例评分表" in line
    assert line.endswith("(demo)")


def test_installed_plugin_evaluates(demo_site: Path) -> None:
    code = """
import datetime as dt, json, fuac
units = {
    "big": {"population": 400000, "places": 1800, "revoked_last_cycle": False},
    "small": {"population": 250000, "places": 700, "revoked_last_cycle": True},
    "none": {"population": 1000, "places": 0, "revoked_last_cycle": False},
}
out = {}
for name, data in units.items():
    ev = fuac.evaluate("demo-2024", data, on=dt.date(2024, 6, 1))
    out[name] = [str(ev.total), [str(i.points) for i in ev.items], ev.eligible]
print(json.dumps(out))
"""
    got = json.loads(py(demo_site, code))
    assert {k: [Decimal(v[0]), [Decimal(p) for p in v[1]], v[2]] for k, v in got.items()} == {
        # 1800 / 400000 × 1000 = 4.5 per 1,000 → band 4.5: 6; 4.5 − 1 = 3.5; 6 + 3.5
        "big": [Decimal("9.5"), [Decimal(6), Decimal("3.5")], True],
        # 700 / 250000 × 1000 = 2.8 → band 1: 2; 2.8 − 1 = 1.8; 2 + 1.8; title revoked: not eligible
        "small": [Decimal("3.8"), [Decimal(2), Decimal("1.8")], False],
        # 0 → below every band: 0; 0 − 1 = −1 → kept at 0
        "none": [Decimal(0), [Decimal(0), Decimal(0)], True],
    }


def test_installed_plugin_through_the_cli(demo_site: Path, tmp_path: Path) -> None:
    data = tmp_path / "unit.toml"
    data.write_text("population = 400000\nplaces = 1800\nrevoked_last_cycle = false\n", encoding="utf-8")
    script = Path(sys.executable).parent / "fuac"
    proc = run(demo_site, [str(script), "evaluate", "demo-2024", str(data), "--on", "2024-06-01", "--json"])
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert d["ruleset"]["id"] == "demo-2024"
    assert d["total"] == "9.5"


@pytest.mark.parametrize(
    ("plugins", "present"),
    [(UNSET, True), ("", False), ("demo", True), (" demo , other", True), ("other", False), ("fuac_demo", False)],
    ids=["unset", "empty", "demo", "listed-with-spaces", "other", "module-name-is-not-the-entry-point-name"],
)
def test_fuac_plugins_variable(demo_site: Path, plugins: Any, present: bool) -> None:
    code = """
import sys, fuac
from fuac.errors import RulesetNotFound
print("demo-2024" in fuac.rulesets(), "fuac_demo" in sys.modules)
try:
    print(fuac.load("demo-2024").owner)
except RulesetNotFound:
    print("not found")
"""
    first, second = py(demo_site, code, plugins).splitlines()
    assert first.split() == [str(present), str(present)]  # a blocked plugin is not even imported
    assert second == ("demo" if present else "not found")


def test_import_fuac_loads_no_plugin(demo_site: Path) -> None:
    code = """
import sys
import fuac
import fuac.plan.engine as e
print(e._engine is None, "fuac_demo" in sys.modules)
fuac.rulesets()
print(e._engine is None, "fuac_demo" in sys.modules)
"""
    assert py(demo_site, code).split() == ["True", "False", "False", "True"]


# ---------------------------------------------------------------------------
# in-process engines


@pytest.fixture(scope="module")
def demo() -> types.ModuleType:
    """The demo package imported from its source folder."""
    sys.path.insert(0, str(DEMO_SRC))
    try:
        return importlib.import_module("fuac_demo")
    finally:
        sys.path.remove(str(DEMO_SRC))


def plugin(name: str, **hooks: Any) -> types.ModuleType:
    """A plugin module named ``name`` whose hooks return the values given."""
    mod = types.ModuleType(name)
    for hook, value in hooks.items():

        def impl(value: Any = value) -> Any:
            if isinstance(value, Exception):
                raise value
            return value

        impl.__name__ = hook
        setattr(mod, hook, fuac.hookimpl(impl))
    return mod


def engine(*plugins: Any) -> fuac.Engine:
    return fuac.Engine(plugins=plugins, load_entry_points=False)


def names_both(exc: Exception, what: str, first: str, second: str) -> None:
    """A clash error says what clashed and names both plugins (in either order)."""
    msg = str(exc)
    assert msg.startswith(f"{what} is registered by two plugins: "), msg
    owners = msg.split(": ", 1)[1]
    assert owners in (f"{first} and {second}", f"{second} and {first}"), msg


def demo_eval(eng: fuac.Engine, **data: Any) -> fuac.Evaluation:
    import datetime as dt

    return fuac.evaluate(eng.load_id("demo-2024"), data, on=dt.date(2024, 6, 1))


def test_every_hook_has_a_test() -> None:
    hooks = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, "fuac_spec")]
    assert hooks == ["fuac_functions", "fuac_rule_kinds", "fuac_rulesets", "fuac_vetoes"]
    missing = [h for h in hooks if f"test_hook_{h}" not in globals()]
    assert missing == []


def test_hook_fuac_rulesets(demo: types.ModuleType, tmp_path: Path) -> None:
    eng = engine(demo)
    assert "demo-2024" in eng.ids()
    src = eng.sources["demo-2024"]
    assert (src.owner, src.path.name) == ("fuac_demo", "demo-2024.toml")
    rs = eng.load_id("demo-2024")
    assert (rs.id, rs.version, rs.owner) == ("demo-2024", "2024.1", "fuac_demo")
    # the same id from two plugins
    copy = tmp_path / "mini-copy.toml"
    copy.write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(NameClashError) as info:
        engine(plugin("first_pkg", fuac_rulesets=[MINI]), plugin("second_pkg", fuac_rulesets=[copy]))
    names_both(info.value, "rule set 'mini'", "first_pkg", "second_pkg")


def test_hook_fuac_functions(demo: types.ModuleType) -> None:
    eng = engine(demo)
    assert eng.functions["per_thousand"] is demo.per_thousand
    ev = demo_eval(eng, population=400000, places=1800, revoked_last_cycle=False)
    assert ev.item("2").points == Decimal("3.5")  # 1800 / 400000 × 1000 − 1
    # in a batch, the plugin's function is handed back to the single-unit path, and says so
    res = fuac.evaluate_many(eng.load_id("demo-2024"),
                             [{"population": 400000, "places": 1800, "revoked_last_cycle": False}], on="2024-06-01")
    assert res.backend_report["fallback"]["2"] == "function 'per_thousand' is not compiled"
    assert res.column("item.2", exact=True).tolist() == [Decimal("3.5")]
    # without the plugin, the rule file does not load: unknown kind and unknown function
    with pytest.raises(RulesetError) as info:
        engine().load_path(demo.HERE / "demo-2024.toml")
    problems = info.value.problems
    assert [type(p) for p in problems] == [RulesetCheckError, ExpressionError, RulesetCheckError]
    assert "unknown rule kind 'ratio_band'" in str(problems[0])
    assert "unknown function 'per_thousand'" in str(problems[1])
    assert "unknown veto check 'title_revoked'" in str(problems[2])
    # two plugins, one name; and a plugin taking a built-in function's name
    with pytest.raises(NameClashError) as info2:
        engine(demo, plugin("other_pkg", fuac_functions={"per_thousand": lambda x, p: x}))
    names_both(info2.value, "function 'per_thousand'", "fuac_demo", "other_pkg")
    with pytest.raises(NameClashError) as info3:
        engine(plugin("rounder", fuac_functions={"round": round}))
    names_both(info3.value, "function 'round'", "fuac._builtins", "rounder")


def test_a_plugin_function_with_a_column_form_is_compiled() -> None:
    # a function may carry its own column form (fuac.language.functions.column_form), as the built-in
    # ones do: the batch then computes it for the whole chunk, in fixed point, and gives what the
    # exact form gives; an argument the form refuses hands the rule back with the form's reason
    from fuac.language.functions import column_form

    def twice(x: Any) -> Decimal:
        return Decimal(x) * 2

    @column_form(twice)
    def twice_columns(args: list[Any], fc: Any) -> Any:
        if args[0].kind != "dec":
            raise fc.Unvectorizable("twice() of a condition")
        f = fc.numeric(args[0])
        return fc.node("dec", args[0].scale, lambda env: (lambda ab: (ab[0] * 2, ab[1] * 2))(f(env)))

    from test_vector import ONE_RULE

    eng = engine(plugin("twice_pkg", fuac_functions={"twice": twice}))
    recs = [{"x": x} for x in (Decimal("0.25"), Decimal("0.45"), 3)]
    for expression, fallback, want in (
        ("twice(x)", {}, [Decimal("0.5"), Decimal("0.9"), 1]),  # 6 capped at the item's 1 point
        ("twice(x > 1)", {"1": "twice() of a condition"}, [0, 0, 1]),  # False → 0; True → 2, capped
    ):
        rule = f'kind = "formula"\nexpression = "{expression}"\nmax_points = 1\nmin_points = 0'
        rs = eng.load_text(ONE_RULE.format(rule=rule))
        res = fuac.evaluate_many(rs, recs, on="2023-05-01")
        assert res.backend_report["fallback"] == fallback
        assert res.column("item.1", exact=True).tolist() == want


def test_hook_fuac_rule_kinds(demo: types.ModuleType) -> None:
    eng = engine(demo)
    assert eng.kinds["ratio_band"] is demo.RatioBand
    for places, pts in [(1800, "6"), (1799, "4"), (1200, "4"), (1199, "2"), (400, "2"), (399, "0")]:
        ev = demo_eval(eng, population=400000, places=places, revoked_last_cycle=False)
        assert ev.item("1").points == Decimal(pts), places  # per 1,000: 4.5, 4.4975, 3, 2.9975, 1, 0.9975
        assert ev.item("1").reason_zh and ev.item("1").reason_en
    # a plugin kind's parameters are checked like a built-in kind's
    text = (demo.HERE / "demo-2024.toml").read_text(encoding="utf-8").replace("per = 1000", "per = 1000\nscale = 2")
    with pytest.raises(RulesetSchemaError) as info:
        eng.load_text(text, name="demo.toml")
    assert "unknown key 'scale'; allowed keys for kind 'ratio_band':" in str(info.value)
    assert "bands, " in str(info.value) and "numerator" in str(info.value)
    # clashes: two plugins with one kind; a plugin redefining a built-in kind
    twin = plugin("twin_pkg", fuac_rule_kinds=[type("Twin", (demo.RatioBand,), {})])
    with pytest.raises(NameClashError) as info2:
        engine(demo, twin)
    names_both(info2.value, "rule kind 'ratio_band'", "fuac_demo", "twin_pkg")
    fake = type("FakeThreshold", (fuac.Rule,), {"kind": "threshold"})
    with pytest.raises(NameClashError) as info3:
        engine(plugin("faker", fuac_rule_kinds=[fake]))
    names_both(info3.value, "rule kind 'threshold'", "fuac._builtins", "faker")


def test_hook_fuac_vetoes(demo: types.ModuleType) -> None:
    eng = engine(demo)
    assert eng.veto_checks["title_revoked"] is demo.title_revoked
    ok = demo_eval(eng, population=400000, places=1800, revoked_last_cycle=False)
    assert ok.eligible is True
    barred = demo_eval(eng, population=400000, places=1800, revoked_last_cycle=True)
    assert barred.eligible is False
    assert barred.total == Decimal("9.5")  # the score is still computed
    (veto,) = barred.vetoes
    assert (veto.id, veto.scope, veto.holds, veto.inputs) == ("revoked", "eligibility", True,
                                                              {"revoked_last_cycle": True})
    unknown = demo_eval(eng, population=400000, places=1800)
    assert unknown.eligible is None
    assert unknown.vetoes[0].missing == ["revoked_last_cycle"]
    assert [p.field for p in unknown.problems] == ["revoked_last_cycle"]
    assert unknown.problems[0].rules == ["revoked"]
    # a check reading an indicator the rule file does not declare
    def peeks(values: Any, params: Any) -> bool:
        return False

    peeks.reads = ("not_declared",)  # type: ignore[attr-defined]
    text = (demo.HERE / "demo-2024.toml").read_text(encoding="utf-8").replace('"title_revoked"', '"peeks"')
    with pytest.raises(RulesetCheckError, match="'peeks' reads undeclared indicator"):
        engine(demo, plugin("peeker", fuac_vetoes={"peeks": peeks})).load_text(text, name="demo.toml")
    with pytest.raises(NameClashError) as info:
        engine(demo, plugin("copycat", fuac_vetoes={"title_revoked": demo.title_revoked}))
    names_both(info.value, "veto check 'title_revoked'", "fuac_demo", "copycat")


JUNK: list[tuple[str, Any]] = [
    ("fuac_rulesets", 42),
    ("fuac_rulesets", [None]),
    ("fuac_rulesets", ["/no/such/rules.toml"]),
    ("fuac_rulesets", [Path(__file__)]),  # not TOML
    ("fuac_functions", ["per_thousand"]),
    ("fuac_functions", {"f": 3}),
    ("fuac_functions", {"_private": len}),
    ("fuac_functions", {"two words": len}),
    ("fuac_functions", {1: len}),
    ("fuac_rule_kinds", 42),
    ("fuac_rule_kinds", [int]),
    ("fuac_rule_kinds", [fuac.Rule]),  # no kind name
    ("fuac_vetoes", "title_revoked"),
    ("fuac_vetoes", {"x": 1}),
    ("fuac_rulesets", RuntimeError("boom")),
    ("fuac_functions", KeyError("boom")),
]


@pytest.mark.parametrize(("hook", "junk"), JUNK, ids=[f"{h}-{j!r}"[:50] for h, j in JUNK])
def test_plugin_returning_junk_raises_plugin_error(hook: str, junk: Any) -> None:
    with pytest.raises(PluginError) as info:
        engine(plugin("junk_pkg", **{hook: junk}))
    assert not isinstance(info.value, NameClashError)
    assert "junk_pkg" in str(info.value)


def test_rule_file_without_id(tmp_path: Path) -> None:
    f = tmp_path / "noid.toml"
    f.write_text('[scheme]\nversion = "1"\n', encoding="utf-8")
    with pytest.raises(PluginError, match=r"junk_pkg.*no \[scheme\] id"):
        engine(plugin("junk_pkg", fuac_rulesets=[f]))


def test_plugin_with_an_unknown_hook() -> None:
    with pytest.raises(PluginError, match="fuac_rulesetz"):
        engine(plugin("typo_pkg", fuac_rulesetz=[MINI]))


class FakeEntryPoint:
    def __init__(self, name: str, load: Callable[[], Any], dist: str = "fuac-fake") -> None:
        self.name = name
        self._load = load
        self.dist = types.SimpleNamespace(name=dist)

    def load(self) -> Any:
        return self._load()


def test_entry_point_failing_to_load_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> Any:
        raise ImportError("No module named 'fuac_broken'")

    monkeypatch.delenv("FUAC_PLUGINS", raising=False)
    monkeypatch.setattr(engine_module, "entry_points", lambda group: [FakeEntryPoint("broken", broken, "fuac-broken")])
    with pytest.raises(PluginError, match=r"plugin broken \(fuac-broken\) failed to load: ImportError"):
        fuac.Engine()


def test_entry_points_filtered_before_loading(monkeypatch: pytest.MonkeyPatch, demo: types.ModuleType) -> None:
    loaded: list[str] = []

    def load(name: str) -> Callable[[], Any]:
        def do() -> Any:
            loaded.append(name)
            return demo if name == "demo" else plugin(name)

        return do

    eps = [FakeEntryPoint("demo", load("demo")), FakeEntryPoint("other", load("other"))]
    monkeypatch.setattr(engine_module, "entry_points", lambda group: eps if group == "fuac" else [])
    monkeypatch.setenv("FUAC_PLUGINS", "")
    assert "demo-2024" not in fuac.Engine().ids()
    assert loaded == []
    monkeypatch.setenv("FUAC_PLUGINS", "demo")
    eng = fuac.Engine()
    assert loaded == ["demo"]
    assert eng.sources["demo-2024"].owner == "demo"
    monkeypatch.delenv("FUAC_PLUGINS")
    fuac.Engine()
    assert loaded == ["demo", "demo", "other"]


def test_default_engine_is_lazy_and_resettable(demo: types.ModuleType) -> None:
    before = engine_module._engine
    try:
        fuac.reset_engine(engine(demo))
        assert "demo-2024" in fuac.rulesets()
        fuac.reset_engine()
        assert engine_module._engine is None
        fuac.rulesets()
        assert engine_module._engine is not None
    finally:
        fuac.reset_engine(before)


# ---------------------------------------------------------------------------
# a plugin kind that reads an assessor's entry of its own (docs/plugin_hooks.md: assessable)


class LetterGrade(fuac.Rule):
    """An assessor's letter: A gives 5 points, B 3, C 0; anything else is refused."""

    kind = "letter_grade"
    assessable = True
    POINTS: ClassVar[dict[str, Decimal]] = {"A": Decimal(5), "B": Decimal(3), "C": Decimal(0)}

    class Params(fuac.Model):
        pass

    def __init__(self, rule_id: str, params: Any, ctx: Any) -> None:
        super().__init__(rule_id, params, ctx)
        self.max_points = Decimal(5)

    def describe(self) -> tuple[str, str]:
        return "评估人评定等级：A得5分，B得3分，C不得分。", "An assessor's letter: A 5 points, B 3, C 0."

    def check_entry(self, value: Any) -> Any:
        if value not in self.POINTS:
            raise fuac.EntryError(f"expected A, B or C, got {value!r}", f"应为 A、B 或 C，实际为 {value!r}")
        return value

    def score(self, inputs: Any) -> fuac.Outcome:
        a = inputs.assessments.get(self.id)
        if a is None:
            return fuac.Outcome(None, "awaiting_assessor", "待评估人评定等级。", "awaiting an assessor's letter.")
        return fuac.Outcome(self.POINTS[a.value], "scored", f"评定为{a.value}。", f"graded {a.value}.",
                            judgement=True)


LETTER_RULES = """
[scheme]
id = "letters"
version = "1"
kind = "points"
title = { zh = "等级", en = "Letters" }
issuer = { zh = "测试", en = "Test" }
issued = 2024-01-01
valid_from = 2024-01-01
total = 7
precision = 1
jurisdiction = [{ code = "450204", level = "county" }]

[indicators.has_doc]
type = "boolean"
label = { zh = "有文件", en = "Document issued" }

[[sections]]
id = "s"
title = { zh = "一", en = "One" }
max = 7

[[sections.items]]
id = "1"
label = { zh = "文件", en = "Document" }
max = 2
kind = "all_or_nothing"
points = 2
condition = "has_doc"

[[sections.items]]
id = "2"
label = { zh = "评定", en = "Letter" }
max = 5
kind = "letter_grade"
"""


def test_an_assessed_plugin_kind_scores_alike_one_unit_and_a_batch(tmp_path: Path) -> None:
    """The kind's own entries are checked by its ``check_entry`` and, in a batch, its units
    go through the single-unit evaluator (a bare AssertionError before)."""
    eng = engine(plugin("letters_pkg", fuac_rule_kinds=[LetterGrade]))
    rs = eng.load_text(LETTER_RULES, name="letters.toml")
    units = [
        {"data": {"has_doc": True}, "context": {"unit": "u1"}, "assessments": {"2": "B"}},  # 2 + 3
        {"data": {"has_doc": False}, "context": {"unit": "u2"}, "assessments": {"2": "A"}},  # 0 + 5
        {"data": {"has_doc": True}, "context": {"unit": "u3"}, "assessments": {}},  # 2, awaiting the letter
        {"data": {"has_doc": True}, "context": {"unit": "u4"}, "assessments": {"2": "Z"}},  # refused by the kind
    ]
    # the total so far counts what is scored (the unit is not complete while the letter is awaited)
    expected = [("scored", "3", "5"), ("scored", "5", "5"), ("awaiting_assessor", None, "2"),
                ("awaiting_assessor", None, "2")]
    singles = [fuac.evaluate(rs, u["data"], context=u["context"], assessments=u["assessments"]) for u in units]
    got = [(ev.item("2").status, ev.item("2").points, ev.total) for ev in singles]
    assert got == [(s, None if p is None else Decimal(p), None if t is None else Decimal(t))
                   for s, p, t in expected]
    refusal = [p for p in singles[3].problems if p.field == "assessments.2"]
    assert [(p.code, p.message, p.message_zh) for p in refusal] == [
        ("invalid_assessment", "expected A, B or C, got 'Z'", "应为 A、B 或 C，实际为 'Z'")]
    for backend in ("vector", "python"):
        batch = fuac.evaluate_many(rs, units, backend=backend)
        assert [batch.evaluation(i).to_dict() for i in range(len(units))] == [ev.to_dict() for ev in singles], backend
        # the columns too: a unit without its letter is awaited, not scored 0
        assert batch.column("item.2.status").tolist() == [ev.item("2").status for ev in singles], backend
        assert batch.column("item.2", exact=True).tolist() == [3, 5, None, None], backend
    # the rectification list asks for the letter and cannot know what it gains
    gaps = singles[2].gaps(rs)
    assert [(g.item, g.recoverable, g.verified, g.action_en) for g in gaps.judgement] == [
        ("2", None, False, "an assessor's entry, not yet given")]
    # the fill-in workbook has a row for the letter, with no bounds
    from fuac.render.workbook import assessable_rows

    assert [(key, rule.kind) for key, _, _, rule in assessable_rows(rs, None)] == [("2", "letter_grade")]


def test_a_plugin_kind_describes_itself_on_the_scheme_page(demo: types.ModuleType) -> None:
    from fuac.render.docgen import ruleset_page

    rs = engine(plugin("letters_pkg", fuac_rule_kinds=[LetterGrade])).load_text(LETTER_RULES, name="letters.toml")
    page = ruleset_page(rs)
    assert "  - 评估人评定等级：A得5分，B得3分，C不得分。\n  - An assessor's letter: A 5 points, B 3, C 0.\n" in page
    # a kind that says nothing of itself is described by its parameters (the demo's ratio_band)
    demo_page = ruleset_page(engine(demo).load_id("demo-2024"))
    assert "  - 规则类型 `ratio_band`：`numerator` = `\"places\"`, `denominator` = `\"population\"`" in demo_page


def _inverse_over(limit: str, shift: int = 0) -> Callable[[Any, Any], bool]:
    """A veto check on 1 / (x − shift): it fails (ZeroDivisionError) when x = shift."""

    def check(values: Any, params: Any) -> bool:
        return Decimal(1) / (values["x"] - shift) > Decimal(limit)

    check.reads = ("x",)  # type: ignore[attr-defined]
    return check


X_INDICATOR = '[indicators.x]\ntype = "decimal"\nunit = "percent"\nlabel = { zh = "值", en = "Value" }\n\n'
CHECKED_RULES = LETTER_RULES.replace('id = "letters"', 'id = "checked"').replace(
    '[indicators.has_doc]', X_INDICATOR + '[indicators.has_doc]').replace(
    'kind = "letter_grade"', 'kind = "all_or_nothing"\npoints = 5\ncondition = "x > 1"') + """
[[vetoes]]
id = "over_half"
label = { zh = "倒数大于0.5", en = "Inverse above 0.5" }
clause = "倒数大于0.5的，一票否决。"
check = "inverse_over_half"
scope = "outcome"

[[vetoes]]
id = "over_one"
label = { zh = "倒数大于1", en = "Inverse above 1" }
clause = "倒数大于1的，一票否决。"
check = "inverse_over_one"
scope = "outcome"
"""


def test_plugin_veto_checks_through_the_batch_agree_with_one_unit() -> None:
    # first check 1/x > 0.5, second 1/(x − 4) > 1; a check that raises cannot tell (None):
    # x = 1: 1 > 0.5; 1/−3 is not > 1        x = 0.5: 2 > 0.5; 1/−3.5 not
    # x = 4: 0.25 not; 1/0 fails             x = 0: 1/0 fails; 1/−4 not
    # x = 4.5: 0.22… not; 1/0.5 = 2 > 1
    eng = engine(plugin("checks_pkg", fuac_vetoes={"inverse_over_half": _inverse_over("0.5"),
                                                    "inverse_over_one": _inverse_over("1", 4)}))
    rs = eng.load_text(CHECKED_RULES, name="checked.toml")
    xs = (1, 0.5, 4, 0, 4.5)
    units = [{"data": {"x": x, "has_doc": True}, "assessments": {}} for x in xs]
    singles = [fuac.evaluate(rs, u["data"]) for u in units]
    assert [[v.holds for v in ev.vetoes] for ev in singles] == [[True, False], [True, False], [False, None],
                                                               [None, False], [False, True]]
    assert [singles[i].vetoed for i in (0, 1, 4)] == [True, True, True]
    for backend in ("vector", "python"):
        batch = fuac.evaluate_many(rs, units, backend=backend)
        assert [batch.evaluation(i).to_dict() for i in range(len(xs))] == [ev.to_dict() for ev in singles], backend
        # a row whose check could not be computed is invalid, whichever check it was
        assert batch.column("status").tolist() == ["scored", "scored", "invalid_input", "invalid_input", "scored"]


def test_a_plugin_veto_kind_under_its_own_name_is_a_veto_everywhere() -> None:
    """A subclass of the veto kind named otherwise vetoes, counts nothing and is no item met,
    for one unit and in a batch alike (the result read the kind's name before)."""
    from fuac.kinds import VetoRule

    class Scandal(VetoRule):
        kind = "scandal"

    eng = engine(plugin("scandal_pkg", fuac_rule_kinds=[Scandal]))
    text = LETTER_RULES.replace('id = "letters"', 'id = "scandals"').replace(
        'max = 5\nkind = "letter_grade"', 'kind = "scandal"\nscope = "outcome"\ncondition = "not has_doc"').replace(
        "total = 7", "total = 2").replace("max = 7", "max = 2")
    rs = eng.load_text(text, name="scandals.toml")
    units = [{"data": {"has_doc": v}, "assessments": {}} for v in (True, False)]
    singles = [fuac.evaluate(rs, u["data"]) for u in units]
    # has_doc: 2 points, no veto; no document: 0 points and vetoed; the veto item is never "met" nor counted
    assert [(ev.total, ev.vetoed, ev.item("2").is_veto, ev.item("2").counts) for ev in singles] == [
        (2, False, True, False), (0, True, True, False)]
    for backend in ("vector", "python"):
        batch = fuac.evaluate_many(rs, units, backend=backend)
        assert [batch.evaluation(i).to_dict() for i in range(2)] == [ev.to_dict() for ev in singles], backend
        assert batch.column("counted").tolist() == [1, 1], backend


def test_each_built_in_scheme_is_a_plugin_of_its_own_and_can_be_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    eng = engine()
    assert {rid: src.owner for rid, src in eng.sources.items()} == {
        "guangdong-2020": "fuac.rulesets.guangdong_2020", "liunan-2023": "fuac.rulesets.liunan_2023",
        "longnan-2021": "fuac.rulesets.longnan_2021", "wuhan-2017": "fuac.rulesets.wuhan_2017"}
    left_out = fuac.Engine(block=["fuac.rulesets.wuhan_2017"], load_entry_points=False)
    assert left_out.ids() == ["guangdong-2020", "liunan-2023", "longnan-2021"]
    monkeypatch.setenv("FUAC_BLOCK", "fuac.rulesets.liunan_2023, fuac.rulesets.longnan_2021")
    assert fuac.Engine(load_entry_points=False).ids() == ["guangdong-2020", "wuhan-2017"]
    with pytest.raises(PluginError, match=r"^fuac\._builtins cannot be blocked: it registers the built-in rule kinds"):
        fuac.Engine(block=["fuac._builtins"], load_entry_points=False)


def test_a_kind_that_breaks_costs_the_record_it_broke_on() -> None:
    """A plugin kind raising, whatever it raises, costs that unit's rule, naming the plugin, the kind and
    the rule; the batch goes on (tests/test_hostile_plugins.py tries every way a plugin can fail)."""

    class Broken(fuac.Rule):
        kind = "broken"

        class Params(fuac.Model):
            pass

        def __init__(self, rule_id: str, params: Any, ctx: Any) -> None:
            super().__init__(rule_id, params, ctx)
            self.max_points = Decimal(5)
            self.reads = frozenset({"has_doc"})

        def score(self, inputs: Any) -> fuac.Outcome:
            if not inputs.values["has_doc"]:
                raise RuntimeError("boom")
            return fuac.Outcome(Decimal(5), "scored", "好", "fine", met=True)

    rs = engine(plugin("broken_pkg", fuac_rule_kinds=[Broken])).load_text(
        LETTER_RULES.replace('kind = "letter_grade"', 'kind = "broken"'), name="broken.toml")
    it = fuac.evaluate(rs, {"has_doc": False}).item("2")
    assert (it.status, it.reason_en) == (
        "invalid_input", "cannot score rule '2': plugin broken_pkg failed: rule kind 'broken' (score) raised "
                         "RuntimeError: boom.")
    units = [{"has_doc": True}, {"has_doc": True}, {"has_doc": False}]
    for backend in ("vector", "python"):
        res = fuac.evaluate_many(rs, units, backend=backend, chunk_size=2)
        assert res.column("item.2.status").tolist() == ["scored", "scored", "invalid_input"], backend


def test_a_kind_inventing_a_status_is_named() -> None:
    class Inventive(fuac.Rule):
        kind = "inventive"

        class Params(fuac.Model):
            pass

        def __init__(self, rule_id: str, params: Any, ctx: Any) -> None:
            super().__init__(rule_id, params, ctx)
            self.max_points = Decimal(5)

        def score(self, inputs: Any) -> fuac.Outcome:
            return fuac.Outcome(Decimal(5), "excellent", "优", "excellent")

    rs = engine(plugin("inventive_pkg", fuac_rule_kinds=[Inventive])).load_text(
        LETTER_RULES.replace('kind = "letter_grade"', 'kind = "inventive"'), name="inventive.toml")
    for run in (lambda: fuac.evaluate(rs, {"has_doc": True}), lambda: fuac.evaluate_many(rs, [{"has_doc": True}])):
        with pytest.raises(fuac.errors.EvaluationError) as info:
            run()
        assert str(info.value).endswith("rule '2' (kind 'inventive') gave the status 'excellent', which is not one of "
                                        "scored, voided, vetoed, missing_input, invalid_input, not_applicable, "
                                        "awaiting_assessor")
