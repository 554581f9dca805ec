"""One broken rule file per failure mode: each fails to load with the right error,
and the message names the file, the exact line and the key or item id.

Every file in ``tests/broken/`` is ``_valid.toml`` with one thing broken (its first
line says what), so each must report exactly one problem; ``several.toml`` breaks
four things and must report all four.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import fuac
from fuac.errors import (
    ExpressionError,
    RulesetCheckError,
    RulesetError,
    RulesetSchemaError,
    RulesetSyntaxError,
)

BROKEN = Path(__file__).parent / "broken"

# file, error class, line, key (or item id) the error names, words the message must contain
CASES = [
    ("syntax.toml", RulesetSyntaxError, 64, None, ["invalid TOML"]),
    ("unknown_key_top.toml", RulesetSchemaError, 2, "colour",
     ["unknown key 'colour'", "allowed keys: calendar, cycle, derived, eligibility",
      "scheme, sections, selection, tiers, vetoes"]),
    ("unknown_key_scheme.toml", RulesetSchemaError, 13, "scheme.colour",
     ["unknown key 'colour'", "allowed keys: bonus_cap,", "total, valid_from, valid_until, version"]),
    ("unknown_key_indicator.toml", RulesetSchemaError, 21, "indicators.rate.colour",
     ["unknown key 'colour'",
      "allowed keys: choices, clause, cohort, description, label, max, min, reference, tiers, type, unit"]),
    ("unknown_key_item.toml", RulesetSchemaError, 66, "1: sections[0].items[0].colour",
     ["unknown key 'colour'", "allowed keys for kind 'threshold':", "comparator", "threshold", "void_when"]),
    ("unknown_key_part.toml", RulesetSchemaError, 112, "5.a: sections[1].items[1].parts[0].colour",
     ["unknown key 'colour'",
      "allowed keys for kind 'all_or_nothing': clause, condition, id, kind, label, max, note, overrides, "
      "points, tests"]),
    ("wrong_type.toml", RulesetSchemaError, 61, "1: sections[0].items[0].points", ["expected a number", "'forty'"]),
    ("quoted_number.toml", RulesetSchemaError, 10, "scheme.total", ["expected a number, got str '120'"]),
    ("missing_key.toml", RulesetSchemaError, 2, "scheme.version", ["missing required key 'version'"]),
    ("duplicate_item.toml", RulesetCheckError, 95, "3", ["duplicate item id '3'", "first used on line 81"]),
    ("duplicate_section.toml", RulesetCheckError, 90, "A", ["duplicate section id 'A'"]),
    ("unknown_indicator_expr.toml", ExpressionError, 111, "5.a: sections[1].items[1].parts[0].condition",
     ["unknown name 'complaint'", "'complaint == 0'"]),
    ("unknown_function.toml", ExpressionError, 111, "5.a: sections[1].items[1].parts[0].condition",
     ["unknown function 'sqrt'"]),
    ("items_sum.toml", RulesetCheckError, 55, "A", ["items of section 'A' add up to 99", "worth 100"]),
    ("sections_sum.toml", RulesetCheckError, 10, "scheme.total", ["sections add up to 120", "total is 119"]),
    ("missing_comparator.toml", RulesetSchemaError, 57, "1: sections[0].items[0].comparator",
     ["missing required key 'comparator'"]),
    ("missing_partial.toml", RulesetSchemaError, 67, "2: sections[0].items[1].partial",
     ["missing required key 'partial'"]),
    ("missing_floor.toml", RulesetSchemaError, 81, "3: sections[0].items[2].floor", ["missing required key 'floor'"]),
    # a check across keys of one item is reported on the item's first line, with its id
    ("unit_mismatch.toml", RulesetCheckError, 65, "1", ["'permille'", "'percent'"]),
    ("unknown_kind.toml", RulesetCheckError, 60, "1",
     ["unknown rule kind 'thresold'", "known kinds: all_or_nothing", "threshold, versus_reference, veto"]),
    ("unknown_tier.toml", RulesetCheckError, 21, "indicators.rate.tiers", ["unknown tier 'village'", "none declared"]),
    ("reference_not_reference.toml", RulesetCheckError, 101, "4",
     ["'satisfaction' is not declared as a reference value"]),
    ("parameter_key_not_date.toml", RulesetSchemaError, 50, "parameters.target.values",
     ["'from-2023'", "YYYY-MM-DD"]),
    ("item_without_kind.toml", RulesetSchemaError, 81, "3", ["needs 'kind' (or 'parts')"]),
    ("veto_without_scope.toml", RulesetSchemaError, 121, "accident", ["veto 'accident' needs 'scope'"]),
]


def load_error(name: str) -> RulesetError:
    path = BROKEN / name
    with pytest.raises(RulesetError) as info:
        fuac.load(path)
    return info.value


def test_valid_base_loads() -> None:
    rs = fuac.load(BROKEN / "_valid.toml")
    assert rs.id == "valid"
    assert [it for s in rs.plan().sections for it in (i.id for i in s.items)] == ["1", "2", "3", "4", "5"]


def test_every_broken_file_has_a_case() -> None:
    files = {p.name for p in BROKEN.glob("*.toml")} - {"_valid.toml", "several.toml"}
    assert files == {c[0] for c in CASES}


@pytest.mark.parametrize(("name", "cls", "line", "key", "words"), CASES, ids=[c[0] for c in CASES])
def test_broken_file(name: str, cls: type[RulesetError], line: int, key: str | None, words: list[str]) -> None:
    err = load_error(name)
    assert type(err) is cls, f"{type(err).__name__}: {err}"
    assert err.problems == [], f"more than one problem reported:\n{err}"
    path = str(BROKEN / name)
    assert err.path == path
    assert err.line == line
    assert err.key == key
    text = str(err)
    assert text.startswith(f"{path}:{line}:")
    if key is not None:
        assert f"[{key}]" in text
    for w in words:
        assert w in text


def test_several_problems_are_all_reported() -> None:
    err = load_error("several.toml")
    assert type(err) is RulesetError
    path = str(BROKEN / "several.toml")
    got = sorted((p.line, type(p).__name__, p.key) for p in err.problems)
    assert got == [
        (60, "RulesetCheckError", "1"),  # unknown rule kind
        (95, "RulesetCheckError", "3"),  # duplicate item id
        (111, "ExpressionError", "5.a: sections[1].items[1].parts[0].condition"),  # unknown function
        (121, "RulesetSchemaError", "accident"),  # veto without scope
    ]
    text = str(err)
    assert text.startswith(f"4 problem(s) in {path}:")
    for line in (60, 95, 111, 121):
        assert f"{path}:{line}:" in text


def test_broken_text_names_the_given_name() -> None:
    text = (BROKEN / "duplicate_section.toml").read_text(encoding="utf-8")
    with pytest.raises(RulesetCheckError) as info:
        fuac.loads(text, name="my-rules.toml")
    assert str(info.value).startswith("my-rules.toml:90: [A] duplicate section id")


def test_error_in_every_tier_is_reported_once(tmp_path: Path) -> None:
    # An item with a problem in a rule set with two tiers: one problem, not one per
    # tier, and no false "items add up to" problem for either tier.
    text = (Path(__file__).parent / "data" / "tiers.toml").read_text(encoding="utf-8")
    broken = text.replace('comparator = ">="\nthreshold = 80', 'threshold = 80', 1)
    assert broken != text
    with pytest.raises(RulesetSchemaError) as info:
        fuac.loads(broken, name="tiers-broken.toml")
    assert info.value.problems == []
    assert "missing required key 'comparator'" in str(info.value)


@pytest.mark.parametrize("name", ["syntax.toml", "unknown_key_item.toml", "several.toml"])
def test_cli_check_broken(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    from fuac.cli import main

    path = f"tests/broken/{name}"
    err = load_error(name)
    code = main(["check", str(BROKEN / name)])
    out, errout = capsys.readouterr()
    assert code == 1
    assert out == ""
    for p in err.problems or [err]:
        assert f"{BROKEN / name}:{p.line}:" in errout
    assert path.split("/")[-1] in errout


def test_cli_check_broken_subprocess() -> None:
    root = Path(__file__).parent.parent
    proc = subprocess.run(
        [sys.executable, "-m", "fuac", "check", "tests/broken/_valid.toml", "tests/broken/duplicate_item.toml"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stdout.startswith("ok  tests/broken/_valid.toml")
    assert proc.stderr.startswith("tests/broken/duplicate_item.toml:95: [3] duplicate item id '3'")


# A schema problem does not hide the semantic problems of the parts that are valid, and
# reports none that depend on the part that failed. Each case breaks lines of _valid.toml
# (line number: new text; the line count stays); each group of edits is one problem, and
# the file with only that group reports exactly that problem, the same message on the
# same line, as the file with every group: no problem reported depends on another.
VALID = (BROKEN / "_valid.toml").read_text(encoding="utf-8").split("\n")
BOTH_STAGES = {
    # an unknown key in [scheme]; an item names an undeclared indicator
    "scheme_key_and_item": [
        ({13: 'colour = "red"'}, [(13, RulesetSchemaError, "scheme.colour", "unknown key 'colour'")]),
        ({99: 'indicator = "rates"'}, [(99, RulesetCheckError, "4", "unknown indicator 'rates'")]),
    ],
    # indicator 'rate' is declared wrongly (items 1, 2 and 4 read it: nothing about them);
    # part 5.b tests the valid indicator 'satisfaction' in the wrong unit
    "bad_indicator_and_other_item": [
        ({15: 'type = "number"'}, [(15, RulesetSchemaError, "indicators.rate.type", "got 'number'")]),
        ({119: 'unit = "permille"'}, [(119, RulesetCheckError, "5.b", "unit 'permille' but the indicator is in")]),
    ],
    # [scheme] total is not a number: no "sections add up to … but the total is …"
    "invalid_total_and_item": [
        ({10: 'total = "120"'}, [(10, RulesetSchemaError, "scheme.total", "expected a number, got str '120'")]),
        ({60: 'kind = "thresold"'}, [(60, RulesetCheckError, "1", "unknown rule kind 'thresold'")]),
    ],
    # a check across [scheme]'s keys fails (kind and total are then unknown); vetoes are still checked
    "scheme_check_and_veto": [
        ({11: ""}, [(2, RulesetSchemaError, "scheme", "a 'points' scheme needs 'precision'")]),
        ({125: 'condition = "acidents > 0"'},
         [(125, ExpressionError, "accident: vetoes[0].condition", "unknown name 'acidents'")]),
    ],
    # parameter 'target' is declared wrongly (item 2 reads it: nothing about item 2);
    # part 5.a's condition names an undeclared indicator
    "bad_parameter_and_other_part": [
        ({49: "unit = 5"}, [(49, RulesetSchemaError, "parameters.target.unit", "should be a valid string (got 5)")]),
        ({111: 'condition = "complaint == 0"'},
         [(111, ExpressionError, "5.a: sections[1].items[1].parts[0].condition", "unknown name 'complaint'")]),
    ],
    # an indicator's name is not a name: whatever reads indicators is not checked (items 2 and 5.b
    # read 'satisfaction', which would otherwise be "unknown"); [scheme] version is not text
    "bad_indicator_name_and_scheme_value": [
        ({21: '[indicators."satis faction"]'},
         [(21, RulesetSchemaError, "indicators.satis faction", "satis faction")]),
        ({4: "version = 1.0"}, [(4, RulesetSchemaError, "scheme.version", "should be a valid string")]),
    ],
    # section A's header is wrong (its items, and what the sections add up to, are unknown);
    # an item of section B names an undeclared indicator
    "bad_section_and_other_item": [
        ({54: 'title = "甲"'}, [(54, RulesetSchemaError, "sections[0].title", "valid dictionary")]),
        ({99: 'indicator = "rates"'}, [(99, RulesetCheckError, "4", "unknown indicator 'rates'")]),
    ],
}


def load_edited(edits: dict[int, str]) -> list[RulesetError]:
    lines = list(VALID)
    for n, text in edits.items():
        lines[n - 1] = text
    with pytest.raises(RulesetError) as info:
        fuac.loads("\n".join(lines), name="edited.toml")
    return info.value.problems or [info.value]


@pytest.mark.parametrize("case", sorted(BOTH_STAGES))
def test_schema_problem_hides_no_valid_part(case: str) -> None:
    groups = BOTH_STAGES[case]
    everything = load_edited({n: t for edits, _ in groups for n, t in edits.items()})
    expected = sorted((e for _, exp in groups for e in exp), key=lambda e: e[0])
    got = [(p.line, type(p), p.key) for p in everything]
    assert got == [e[:3] for e in expected], "\n".join(map(str, everything))
    for p, (*_, words) in zip(everything, expected, strict=True):
        assert words in p.message
    # fix every other problem: what is left is reported exactly as before
    for edits, exp in groups:
        alone = load_edited(edits)
        assert [str(p) for p in alone] == [str(p) for p in everything if (p.line, type(p), p.key) in
                                           {e[:3] for e in exp}]


def test_problems_are_listed_by_line() -> None:
    err = load_error("several.toml")
    lines = [p.line or 0 for p in err.problems]
    assert lines == sorted(lines) == [60, 95, 111, 121]
