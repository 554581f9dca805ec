"""``fuac test --mutants``: the one-place changes of a rule file, and which cases catch them."""

from __future__ import annotations

from pathlib import Path

import pytest

from fuac.cases.mutants import check_mutants, mutants

RULES = '''
[scheme]
total = 100                       # the header is not changed

[indicators.rate]
max = 100                         # nor the indicators' declarations

[[sections.items]]
id = "1"
kind = "threshold"
points = 2
tests = [{ indicator = "rate", comparator = ">=", threshold = 95.5 }]
clause = "threshold = 3 in a clause is text"

[[sections.items]]
id = "2"
kind = "deduction"
floor = "part"                    # an item without parts: part and item are one container
condition = "not a and b > 1"

[[sections.items.parts]]
partial = "ceil"  # equivalent: the gap is always whole
floor = "part"
# partial = "ceil": a comment that quotes a key is not a scoring line
label = { zh = "# not a comment", en = 'it is text' }  # floor = "item" in a comment
'''


def changes() -> list[str]:
    return [f"{m.line} {m.key} {m.before} -> {m.after}" + (" =" if m.equivalent else "") for m in mutants(RULES)]


def test_each_scoring_value_is_moved_by_one_in_its_last_digit_and_comparators_turned() -> None:
    assert changes() == [
        "11 points 2 -> 3",
        "11 points 2 -> 1",
        '12 comparator ">=" -> ">"',
        '12 comparator ">=" -> "<="',
        "12 threshold 95.5 -> 95.6",
        "12 threshold 95.5 -> 95.4",
        '18 floor "part" -> "none"',
        '19 condition "not a and b > 1" -> "not a and b > 2"',
        '19 condition "not a and b > 1" -> "not a and b > 0"',
        '19 condition "not a and b > 1" -> "not a and b >= 1"',
        '19 condition "not a and b > 1" -> "not a and b < 1"',
        '19 condition "not a and b > 1" -> "a and b > 1"',
        '19 condition "not a and b > 1" -> "not a or b > 1"',
        '22 partial "ceil" -> "floor" =',
        '22 partial "ceil" -> "prorata" =',
        '23 floor "part" -> "item"',
        '23 floor "part" -> "none"',
    ]


def test_a_changed_file_is_the_original_with_one_line_changed() -> None:
    first = mutants(RULES)[0]
    before, after = RULES.splitlines(), first.text.splitlines()
    assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [10]
    assert after[10] == "points = 3"


DATA = Path(__file__).parent / "data"


def test_mini_cases_catch_some_changes_and_miss_the_boundaries_they_lack() -> None:
    report = check_mutants(DATA / "mini.test.toml")
    caught = {str(m) for m in report.caught}
    survived = {str(m) for m in report.survived}
    refused = {str(m) for m in report.refused}
    # item 4's target, a dated parameter: 8 from 2023; a case has 6 institutions (2 short, 4 taken)
    assert "line 83: 2023-01-01 8 → 9" in caught
    assert "line 106: threshold 1 → 2" in caught
    # the maternal mortality line 16.5: no case stands at 16.5, so moving it is missed
    assert "line 169: threshold 16.5 → 16.6" in survived
    # a point value changed alone breaks the item's maximum: the checks refuse the file
    assert "line 103: points 2 → 3" in refused
    assert report.total == len(caught) + len(survived) + len(refused) == len(mutants((DATA / "mini.toml").read_text()))


@pytest.mark.parametrize("ruleset", ["guangdong-2020", "liunan-2023", "longnan-2021", "wuhan-2017"])
def test_built_in_cases_catch_every_change_of_their_rule_file(ruleset: str) -> None:
    import fuac

    folder = Path(fuac.__file__).parent / "rulesets"
    report = check_mutants(folder / f"{ruleset}.test.toml")
    assert report.caught, report.lines()
    assert report.survived == [], "\n".join(report.lines())


def test_only_a_comment_marks_a_change_equivalent() -> None:
    text = '[[sections.items]]\ntests = [{ threshold = 2, unit = "# equivalent: text in a string" }]\n'
    assert [(m.after, m.equivalent) for m in mutants(text)] == [("3", None), ("1", None)]
    assert {m.equivalent for m in mutants(text.replace("}]\n", "}]  # equivalent: why\n"))} == {"why"}
