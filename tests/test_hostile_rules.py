"""Hostile or broken rule files and plugins (issue #12): ``extends`` reaches only the overlay's own
directory (or its plugin's package) and never quotes another file; reserved words are refused as
names; thousands of problems are collected in linear time and listed up to a cap; one broken rule
package is named in a warning and the others are still listed; a typo in ``FUAC_PLUGINS`` is said.

``tests/hostile/plugins`` holds three rule packages installed by putting that folder on the path
(``fuac_hostile_rules-0.1.dist-info`` declares their entry points): ``good`` (a sound rule set,
good-2024), ``badtotals`` (bad-totals: valid TOML whose section is worth 3 while its one item gives
2) and ``badsyntax`` (not TOML on line 4: not even its id can be read).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import fuac
from fuac.cli import main
from fuac.errors import (
    PluginError,
    RulesetCheckError,
    RulesetError,
    RulesetNotFound,
    RulesetSchemaError,
    RulesetSyntaxError,
)
from fuac.language.toml import LineIndex
from fuac.plan.compose import FileOrigins, compose_docs
from fuac.plan.engine import PluginWarning, RulesetSource

HERE = Path(__file__).parent
MINI = HERE / "data" / "mini.toml"
PLUGINS = HERE / "hostile" / "plugins"
BUILTIN_IDS = ["guangdong-2020", "liunan-2023", "longnan-2021", "wuhan-2017"]

# ---------------------------------------------------------------------------
# extends: a registered id, or a file inside the overlay's own place

SECRET = """\
[scheme]
id = "secret"
password = "hunter2-do-not-echo"
[[sections]]
id = "S"
token = "tok-9f8e7d"
"""


def overlay_text(ref: str) -> str:
    """An overlay of mini whose 'extends' (on line 2) names ``ref``."""
    return f'# a local version of mini\nextends = "{ref}"\n\n[scheme]\nid = "mini-local"\nversion = "2"\n'


@pytest.fixture
def place(tmp_path: Path) -> Path:
    """``rules/`` with mini.toml and bases/mini.toml in it; ``elsewhere/secret.toml`` beside it."""
    rules = tmp_path / "rules"
    (rules / "bases").mkdir(parents=True)
    (rules / "mini.toml").write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    (rules / "bases" / "mini.toml").write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "secret.toml").write_text(SECRET, encoding="utf-8")
    return rules


def refused(overlay: Path, ref: str) -> RulesetCheckError:
    """Loading ``overlay`` is refused in one line naming it, the line of its 'extends' and ``ref``,
    and quoting nothing of the file ``ref`` names."""
    with pytest.raises(RulesetCheckError) as info:
        fuac.load(overlay)
    exc = info.value
    assert (exc.path, exc.line, exc.key) == (str(overlay), 2, "extends")
    msg = str(exc)
    assert msg.startswith(f"{overlay}:2: [extends] 'extends' {ref!r} ")
    assert "\n" not in msg
    for leak in ("hunter2", "password", "tok-9f8e7d", "token"):
        assert leak not in msg
    return exc


@pytest.mark.parametrize(
    "ref",
    ["../elsewhere/secret.toml", "bases/../../elsewhere/secret.toml", "ABSOLUTE", "/proc/self/environ", "/etc/passwd"],
)
def test_extends_outside_the_overlays_directory_is_refused(place: Path, ref: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUAC_TEST_SECRET", "hunter2-in-the-environment")
    if ref == "ABSOLUTE":
        ref = (place.parent / "elsewhere" / "secret.toml").as_posix()
    overlay = place / "local.toml"
    overlay.write_text(overlay_text(ref), encoding="utf-8")
    exc = refused(overlay, ref)
    assert "is outside this file's directory: name a registered rule set, or a rule file in this directory" in str(exc)


def test_extends_through_a_link_that_leads_out_is_refused(place: Path) -> None:
    (place / "alias.toml").symlink_to(place.parent / "elsewhere" / "secret.toml")
    (place / "shared").symlink_to(place.parent / "elsewhere", target_is_directory=True)
    for ref in ("alias.toml", "shared/secret.toml"):
        overlay = place / "local.toml"
        overlay.write_text(overlay_text(ref), encoding="utf-8")
        refused(overlay, ref)


def test_extends_inside_the_overlays_directory_loads(place: Path) -> None:
    (place / "alias.toml").symlink_to(place / "bases" / "mini.toml")  # a link that stays inside
    for ref in ("mini.toml", "bases/mini.toml", "./bases/../mini.toml", "alias.toml",
                (place / "bases" / "mini.toml").as_posix()):
        overlay = place / "local.toml"
        overlay.write_text(overlay_text(ref), encoding="utf-8")
        rs = fuac.load(overlay)
        assert [link["id"] for link in rs.chain] == ["mini", "mini-local"], ref
        assert rs.plan().total == 20
    # TOML text is placed where its name says (here: rules/)
    assert fuac.loads(overlay_text("mini.toml"), name=str(place / "text.toml")).id == "mini-local"
    with pytest.raises(RulesetCheckError, match=r"text\.toml:2: \[extends\] 'extends' '\.\./elsewhere/secret\.toml' is "
                       "outside"):
        fuac.loads(overlay_text("../elsewhere/secret.toml"), name=str(place / "text.toml"))
    # a file that is not there, inside: not found, naming the overlay and its line
    overlay = place / "local.toml"
    overlay.write_text(overlay_text("gone.toml"), encoding="utf-8")
    with pytest.raises(RulesetNotFound, match=rf"^{overlay}:2: \[extends\] 'gone\.toml' is neither a registered id"):
        fuac.load(overlay)


def test_a_plugins_rule_file_extends_a_file_of_its_own_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               request: pytest.FixtureRequest) -> None:
    pkg = tmp_path / "fuac_layered_pkg"
    (pkg / "rules").mkdir(parents=True)
    (pkg / "shared").mkdir()
    (pkg / "shared" / "base.toml").write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "outside.toml").write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    (pkg / "rules" / "layer.toml").write_text(overlay_text("../shared/base.toml"), encoding="utf-8")
    (pkg / "rules" / "escape.toml").write_text(
        overlay_text("../../outside.toml").replace("mini-local", "mini-escape"), encoding="utf-8")
    (pkg / "__init__.py").write_text(textwrap.dedent("""
        from pathlib import Path
        import fuac

        @fuac.hookimpl
        def fuac_rulesets():
            return [Path(__file__).parent / "rules" / "layer.toml", Path(__file__).parent / "rules" / "escape.toml"]
    """), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    request.addfinalizer(lambda: sys.modules.pop("fuac_layered_pkg", None))
    eng = fuac.Engine(plugins=[importlib.import_module("fuac_layered_pkg")], load_entry_points=False)
    rs = eng.load_id("mini-local")  # rules/ → ../shared/: another folder of the same package
    assert [link["id"] for link in rs.chain] == ["mini", "mini-local"]
    with pytest.raises(RulesetCheckError) as info:
        eng.load_id("mini-escape")  # out of the package
    assert str(info.value) == (
        f"{pkg / 'rules' / 'escape.toml'}:2: [extends] 'extends' '../../outside.toml' is outside this file's "
        "directory or its plugin's package (fuac_layered_pkg): name a registered rule set, or a rule file in "
        "this directory or below it")
    # a file given by the user is not the package's: the same path is refused from a copy outside it
    copy = tmp_path / "layer.toml"
    copy.write_text(overlay_text("fuac_layered_pkg/shared/base.toml"), encoding="utf-8")
    assert eng.load_path(copy).id == "mini-local"  # inside its own directory: fine
    copy.write_text(overlay_text("../shared/base.toml"), encoding="utf-8")
    with pytest.raises(RulesetCheckError, match="is outside this file's directory: name"):
        eng.load_path(copy)


# ---------------------------------------------------------------------------
# reserved words are not names

INDICATOR = '[indicators.{name}]\ntype = "boolean"\nlabel = {{ zh = "保留", en = "Reserved" }}\n\n'
PARAMETER = ('[parameters.{name}]\nlabel = {{ zh = "保留", en = "Reserved" }}\nreference = "test"\n'
             'values = {{ 2023-01-01 = 1 }}\n\n')


def with_name(block: str, name: str) -> tuple[str, int]:
    """mini.toml with ``block`` for ``name`` before its first indicator, and the line of its header."""
    text = MINI.read_text(encoding="utf-8")
    at = text.index("[indicators.has_doc]")
    return text[:at] + block.format(name=name) + text[at:], text[:at].count("\n") + 1


@pytest.mark.parametrize(
    ("block", "name", "reads_as"),
    [
        (INDICATOR, "True", "the constant True"),
        (INDICATOR, "False", "the constant False"),
        (INDICATOR, "None", "the constant None"),
        (INDICATOR, "if", "a Python keyword"),
        (INDICATOR, "lambda", "a Python keyword"),
        (INDICATOR, "and", "a Python keyword"),
        (INDICATOR, "min", "the function min()"),
        (INDICATOR, "count_true", "the function count_true()"),
        (PARAMETER, "round", "the function round()"),
        (PARAMETER, "True", "the constant True"),
    ],
    ids=lambda v: {INDICATOR: "indicator", PARAMETER: "parameter"}.get(v, v) if isinstance(v, str) and "{" in v
    else str(v)[:12],
)
def test_reserved_words_are_refused_as_names(block: str, name: str, reads_as: str) -> None:
    text, line = with_name(block, name)
    group = "indicators" if block is INDICATOR else "parameters"
    with pytest.raises(RulesetSchemaError) as info:
        fuac.loads(text, name="reserved.toml")
    exc = info.value
    assert (exc.path, exc.line, exc.key) == ("reserved.toml", line, f"{group}.{name}")
    assert str(exc) == (f"reserved.toml:{line}: [{group}.{name}] {name!r} cannot be a name: an expression reads it as "
                        f"{reads_as}; choose another name")


CHOICE = '[indicators.{name}]\ntype = "choice"\nchoices = [{choices}]\nlabel = {{ zh = "类别", en = "Kind" }}\n\n'


@pytest.mark.parametrize(("choices", "why"), [
    ('"甲", "乙\\u0007"', "choice '乙\\x07' holds a control character"),
    ('"甲", "乙\\n丙"', "choice '乙\\n丙' holds a control character"),  # a cell of two lines
    ('" 甲", "乙"', "choice ' 甲' has spaces around it: a cell is read without them"),
    ('"甲", "\u3000"', "a choice is empty"),
    ('"甲", "乙", "甲"', "choice '甲' is given twice"),
])
def test_a_choice_a_cell_cannot_hold_is_refused(choices: str, why: str) -> None:
    text, line = with_name(CHOICE.replace("{choices}", choices), "kind_of_unit")
    with pytest.raises(RulesetSchemaError) as info:
        fuac.loads(text, name="choices.toml")
    assert (info.value.path, info.value.key) == ("choices.toml", "indicators.kind_of_unit.choices")
    assert str(info.value) == f"choices.toml:{line + 2}: [indicators.kind_of_unit.choices] {why}"


def test_a_plugin_functions_name_is_refused_and_soft_keywords_are_names() -> None:
    import types

    mod = types.ModuleType("shout_pkg")
    mod.fuac_functions = fuac.hookimpl(lambda: {"shout": lambda x: x})  # type: ignore[attr-defined]
    mod.fuac_functions.__name__ = "fuac_functions"
    eng = fuac.Engine(plugins=[mod], load_entry_points=False)
    text, line = with_name(INDICATOR, "shout")
    with pytest.raises(RulesetCheckError) as info:
        eng.load_text(text, name="shout.toml")
    assert str(info.value) == (f"shout.toml:{line}: [indicators.shout] 'shout' cannot be a name: it is a plugin's "
                               "expression function shout(); choose another name")
    # words Python reserves only in some places read as names: they stay names
    for soft in ("match", "case", "type"):
        text, _ = with_name(INDICATOR, soft)
        text = text.replace('condition = "has_doc"', f'condition = "has_doc and {soft}"', 1)
        rs = fuac.loads(text, name="soft.toml")
        assert soft in rs.indicators


# ---------------------------------------------------------------------------
# many problems: linear time, a capped list

HEAD = """\
[scheme]
id = "many"
version = "1"
kind = "points"
title = {{ zh = "多", en = "Many" }}
issuer = {{ zh = "测试", en = "Test" }}
issued = 2023-01-01
valid_from = 2023-01-01
total = {n}
precision = 1
jurisdiction = [{{ code = "450204", level = "county" }}]

[indicators.x]
type = "integer"
unit = "cases"
label = {{ zh = "数", en = "Count" }}

[[sections]]
id = "A"
title = {{ zh = "一", en = "One" }}
max = {n}
"""
ITEM = ('\n[[sections.items]]\nid = "i{i}"\nmax = 1\nkind = "all_or_nothing"\npoints = 1\ncondition = "x > 0"\n'
        'colour{i} = 1\n')


def many_problems(path: Path, n: int) -> Path:
    """A rule file of ``n`` items, each with one problem (an unknown key 'colour<i>', on line 29 + 8 i)."""
    path.write_text(HEAD.format(n=n) + "".join(ITEM.format(i=i) for i in range(n)), encoding="utf-8")
    return path


def test_problems_are_listed_up_to_a_cap_and_then_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = many_problems(tmp_path / "sixty.toml", 60)
    with pytest.raises(RulesetError) as info:
        fuac.load(f)
    exc = info.value
    assert len(exc.problems) == 51
    assert [(p.line, p.key) for p in exc.problems[:50]] == [
        (29 + 8 * i, f"i{i}: sections[0].items[{i}].colour{i}") for i in range(50)]
    assert str(exc.problems[50]) == f"{f}: … and 10 more problem(s), not listed"
    lines = str(exc).splitlines()
    assert lines[0] == f"60 problem(s) in {f}, the first 50 listed:"
    assert len(lines) == 52 and lines[-1] == f"  {f}: … and 10 more problem(s), not listed"
    # what `fuac check` prints: the 50, then the count of the rest
    assert main(["check", str(f)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 51 and err[0].startswith(f"{f}:29: [i0: sections[0].items[0].colour0] unknown key 'colour0'")
    assert err[-1] == f"{f}: … and 10 more problem(s), not listed"
    # at the cap exactly, all are listed and none is counted apart
    with pytest.raises(RulesetError) as info50:
        fuac.load(many_problems(tmp_path / "fifty.toml", 50))
    assert len(info50.value.problems) == 50
    assert str(info50.value).startswith(f"50 problem(s) in {tmp_path / 'fifty.toml'}:\n")


def test_two_thousand_problems_are_refused_with_the_capped_list(tmp_path: Path) -> None:
    # one problem per item: the list holds the first 50 and a count of the rest. (That collecting
    # them stays linear — 20,000 once took a minute — is measured in benchmarks/rule_files.py, not
    # here: the suite times nothing.)
    f = many_problems(tmp_path / "many.toml", 2000)
    with pytest.raises(RulesetError) as info:
        fuac.load(f)
    assert len(info.value.problems) == 51
    assert str(info.value.problems[50]) == f"{f}: … and 1950 more problem(s), not listed"


def test_an_overlay_of_two_thousand_items_merges_each_onto_its_own() -> None:
    # each overlay item found among the base's by its id (a look-up; its speed in benchmarks/rule_files.py)
    n = 2000
    base = {"scheme": {"kind": "points"},
            "sections": [{"id": "A", "items": [{"id": f"i{i}", "max": 1} for i in range(n)]}]}
    over = {"sections": [{"id": "A", "items": [{"id": f"i{i}", "max": 2} for i in reversed(range(n))]}]}
    origins = FileOrigins("base.toml", LineIndex(""))
    merged, _, problems = compose_docs(base, origins, over, origins, name="over.toml")
    assert problems == []
    assert [it["max"] for it in merged["sections"][0]["items"]] == [2] * n
    assert [it["id"] for it in merged["sections"][0]["items"]] == [f"i{i}" for i in range(n)]  # the base's order


def test_a_rule_file_nested_thousands_deep_is_refused_in_one_line() -> None:
    with pytest.raises(RulesetSyntaxError) as info:
        fuac.loads("a = " + "[" * 5000 + "]" * 5000, name="deep.toml")
    assert str(info.value) == "deep.toml: invalid TOML: arrays or inline tables nested too deeply"


# ---------------------------------------------------------------------------
# installed rule packages: a broken one is named, the others are listed


def run_fuac(args: list[str], plugins: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FUAC_PLUGINS", "PYTHONPATH")}
    env["PYTHONPATH"] = str(PLUGINS)
    if plugins is not None:
        env["FUAC_PLUGINS"] = plugins
    return subprocess.run([sys.executable, "-m", "fuac", *args], capture_output=True, text=True, timeout=120,
                          env=env, cwd=HERE)


def test_fuac_list_names_each_broken_plugin_and_lists_the_others() -> None:
    proc = run_fuac(["list"])
    assert proc.returncode == 0, proc.stderr
    assert [line.split()[0] for line in proc.stdout.splitlines()] == sorted(["good-2024", *BUILTIN_IDS])
    assert proc.stdout.splitlines()[0].endswith("良好评分表  (good)")
    syntax, totals = PLUGINS / "fuac_badsyntax" / "bad-syntax.toml", PLUGINS / "fuac_badtotals" / "bad-totals.toml"
    assert proc.stderr.splitlines() == [
        f"fuac: warning: plugin badsyntax: rule file {syntax}:4: invalid TOML: Cannot declare ('scheme',) twice; "
        "the file is left out, the rest is used",
        f"fuac: warning: plugin badtotals: rule set 'bad-totals' cannot be loaded: {totals}:21: [s] items of "
        "section 's' add up to 2, but the section is worth 3",
    ]
    # asked for by id, the broken rule set gives its error; the sound one works
    show = run_fuac(["show", "bad-totals"])
    assert show.returncode == 2
    assert f"{totals}:21: [s] items of section 's' add up to 2, but the section is worth 3" in show.stderr.splitlines()
    good = run_fuac(["show", "good-2024"])
    assert good.returncode == 0 and good.stdout.startswith("good-2024 1  (points)")


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The three rule packages of tests/hostile/plugins installed (their dist-info on the path)."""
    monkeypatch.syspath_prepend(str(PLUGINS))
    monkeypatch.delenv("FUAC_PLUGINS", raising=False)
    monkeypatch.delenv("FUAC_BLOCK", raising=False)


def test_an_engine_leaves_out_an_unreadable_rule_file_with_a_warning(installed: None) -> None:
    syntax = PLUGINS / "fuac_badsyntax" / "bad-syntax.toml"
    with pytest.warns(PluginWarning) as record:
        eng = fuac.Engine()
    said = f"plugin badsyntax: rule file {syntax}:4: invalid TOML: Cannot declare ('scheme',) twice"
    assert [str(w.message) for w in record if w.category is PluginWarning] == [
        f"{said}; the file is left out, the rest is used"]
    assert eng.warnings == [f"{said}; the file is left out, the rest is used"]
    assert eng.unreadable == [("badsyntax", said)]
    assert eng.ids() == sorted(["bad-totals", "good-2024", *BUILTIN_IDS])
    loaded, failed = eng.load_each()
    assert sorted(loaded) == sorted(["good-2024", *BUILTIN_IDS])
    assert failed == [
        f"plugin badtotals: rule set 'bad-totals' cannot be loaded: {PLUGINS / 'fuac_badtotals' / 'bad-totals.toml'}"
        ":21: [s] items of section 's' add up to 2, but the section is worth 3"]
    with pytest.raises(RulesetCheckError, match="items of section 's' add up to 2"):
        eng.load_id("bad-totals")
    with pytest.raises(RulesetNotFound) as info:
        eng.resolve("bad-syntax")
    assert str(info.value).endswith(f"nor a rule file; left out: {said}")
    # a plugin handed to the engine by the caller is the caller's own: its broken file raises
    with pytest.raises(PluginError, match=r"^plugin fuac_badsyntax: rule file .*bad-syntax\.toml:4: invalid TOML"):
        fuac.Engine(plugins=[importlib.import_module("fuac_badsyntax")], load_entry_points=False)


def test_an_oversized_rule_file_of_a_plugin_is_left_out_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    import fuac.plan.engine as engine_module
    from fuac.language.toml import MAX_RULE_FILE_BYTES

    huge = tmp_path / "huge.toml"
    huge.write_text('[scheme]\nid = "huge"\n' + "# padding\n" * (MAX_RULE_FILE_BYTES // 10 + 1), encoding="utf-8")
    mod = types.ModuleType("fuac_huge")
    mod.fuac_rulesets = fuac.hookimpl(lambda: [huge])  # type: ignore[attr-defined]
    mod.fuac_rulesets.__name__ = "fuac_rulesets"
    ep = types.SimpleNamespace(name="huge", load=lambda: mod, dist=types.SimpleNamespace(name="fuac-huge"))
    monkeypatch.setattr(engine_module, "entry_points", lambda group: [ep])
    monkeypatch.delenv("FUAC_PLUGINS", raising=False)
    with pytest.warns(PluginWarning):
        eng = fuac.Engine()
    size = huge.stat().st_size
    assert eng.unreadable == [
        ("huge", f"plugin huge: rule file {huge}: file is {size} bytes; rule files are limited to "
                 f"{MAX_RULE_FILE_BYTES}")]
    assert "huge" not in eng.ids() and "good-2024" not in eng.ids()


def test_a_rule_set_that_fails_with_many_problems_is_one_line_in_the_list(installed: None, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUAC_PLUGINS", "good")
    eng = fuac.Engine()
    many = many_problems(tmp_path / "many.toml", 3)
    eng.sources["many"] = RulesetSource("many", many, "good")
    _, failed = eng.load_each()
    assert failed == [f"plugin good: rule set 'many' cannot be loaded: {many}:29: [i0: sections[0].items[0].colour0] "
                      "unknown key 'colour0'; allowed keys for kind 'all_or_nothing': applies_when, bonus, clause, "
                      "condition, id, kind, label, max, method, note, number, overrides, parts, points, tests, tiers, "
                      "void_clause, void_when, weight (3 problems in all: `fuac show many` lists them)"]


def test_an_unknown_name_in_fuac_plugins_is_a_warning(installed: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUAC_PLUGINS", "good, goood")
    with pytest.warns(PluginWarning) as record:
        eng = fuac.Engine()
    said = ("FUAC_PLUGINS names 'goood', which is no installed plugin (installed: badsyntax, badtotals, good); "
            "it is ignored")
    assert [str(w.message) for w in record if w.category is PluginWarning] == [said]
    assert eng.warnings == [said]
    assert "good-2024" in eng.ids() and "bad-totals" not in eng.ids()  # the names that are right still count
    # names that are all installed: nothing to say
    monkeypatch.setenv("FUAC_PLUGINS", "good")
    with warnings.catch_warnings():
        warnings.simplefilter("error", PluginWarning)
        assert fuac.Engine().warnings == []
    # and `fuac list` says it in one line too
    proc = run_fuac(["list"], plugins="good,goood")
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [f"fuac: warning: {said}"]
    assert "good-2024" in proc.stdout
