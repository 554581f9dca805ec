"""Does a case file catch a wrong rule file? Small changes to the rule file, one at a time.

``fuac test --mutants`` takes each ``*.test.toml`` file, and for its rule file makes
every change of the kind a slip of the pen makes (a threshold, target, cost, point
value or dated parameter value moved by one in its last written digit, a comparator made strict or loose or
negated, a yes/no threshold flipped, a number or a comparator in a condition changed,
a rounding or floor mode swapped), loads each changed file and runs the cases against
it. A change is *caught* when the rule file is refused by its checks or a case fails;
otherwise it *survived*: no case of the file tells the two rule files apart, and a case
at that boundary is missing.

Only scoring lines are changed: not text (labels, clauses, notes), not the indicators'
declarations, the scheme's header, quotas, cycles, calendars or procedures, which the
cases do not score.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..errors import FuacError
from ..language.comparators import COMPARATORS
from ..plan.engine import get_engine
from ..plan.loader import RuleSet
from .runner import read_case_file, run_case

#: keys whose number is a scoring value
NUMBER_KEYS = ("threshold", "value", "points", "cost", "target", "step", "pass_mark", "bonus_cap", "cap",
               "min", "max", "min_count", "weight", "per")
#: keys whose string is an expression
EXPRESSION_KEYS = ("condition", "formula", "when", "expr", "expression", "applies_when", "void_when")
#: keys whose string is one of a few modes: the other values
MODES: dict[str, dict[str, tuple[str, ...]]] = {
    # made strict or loose, and turned round; == and != into each other
    "comparator": {c.op: (c.twin, c.flipped) if c.twin else (c.negation,) for c in COMPARATORS.values()},
    "partial": {"floor": ("ceil", "prorata"), "ceil": ("floor", "prorata"), "prorata": ("floor", "ceil")},
    "scope": {"eligibility": ("outcome",), "outcome": ("eligibility",), "tier_cap": ("outcome",),
              "cascade": ("outcome",)},
    "floor": {"part": ("item", "none"), "item": ("part", "none"), "section": ("item", "none"),
              "none": ("item",)},
}
#: tables whose lines are not changed (what the cases do not score, or what is text)
SKIPPED_TABLES = ("scheme", "indicators", "notes", "quotas", "cycle", "calendar", "procedure", "incentives",
                  "selection", "events", "jurisdiction", "parameters_doc")
_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-\"]+)\s*\]\]?\s*(#.*)?$")
_PAIR = re.compile(r"(?<![A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"
                   r"(\"(?:[^\"\\]|\\.)*\"|'[^']*'|-?\d+(?:\.\d+)?(?![\d\-:])|true|false)")
_EXPR_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])(\d+(?:\.\d+)?)(?![A-Za-z0-9_.])")
_EXPR_COMPARATOR = re.compile(r">=|<=|==|!=|>|<")
_EXPR_WORD = re.compile(r"\b(and|or|not )")
_EXPR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DATED = re.compile(r"(\d{4}-\d{2}-\d{2})\s*=\s*(-?\d+(?:\.\d+)?)(?![\d\-:])")
_EQUIVALENT = re.compile(r"#\s*equivalent:\s*(.+?)\s*$")


@dataclass(frozen=True, slots=True)
class Mutant:
    """One small change to a rule file: the line it is on, what it was and what it became."""

    line: int
    key: str
    before: str
    after: str
    text: str = field(repr=False, compare=False)
    #: why no case can tell this change from the rule file, when the rule file says so
    equivalent: str | None = None

    def __str__(self) -> str:
        why = f" (equivalent: {self.equivalent})" if self.equivalent else ""
        return f"line {self.line}: {self.key} {self.before} → {self.after}{why}"


@dataclass(slots=True)
class MutantReport:
    case_file: str
    rule_file: str
    cases: int
    caught: list[Mutant] = field(default_factory=list)
    refused: list[Mutant] = field(default_factory=list)
    survived: list[Mutant] = field(default_factory=list)
    #: survivors that the rule file marks as equivalent, with its reason
    equivalent: list[Mutant] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.caught) + len(self.refused) + len(self.survived) + len(self.equivalent)

    def lines(self) -> list[str]:
        head = (f"{self.case_file}: {self.total} changes to {self.rule_file}: {len(self.caught)} caught by a case, "
                f"{len(self.refused)} refused by the checks, {len(self.equivalent)} marked equivalent, "
                f"{len(self.survived)} survived")
        return [head, *(f"    SURVIVED {self.rule_file}:{m}" for m in self.survived)]


def _step(number: str) -> Decimal:
    """One unit in the last written digit: 95 → 1, 16.5 → 0.1, 0.25 → 0.01."""
    exp = Decimal(number).as_tuple().exponent
    assert isinstance(exp, int)
    return Decimal(1).scaleb(min(exp, 0))


def _moved(number: str) -> list[str]:
    d, s = Decimal(number), _step(number)
    return [str(v) for v in (d + s, d - s)]


def _expression_changes(expr: str) -> Iterator[tuple[str, str, str]]:
    """(what, to what, the changed expression) for each number and comparator of ``expr``."""
    for m in _EXPR_NUMBER.finditer(expr):
        for new in _moved(m.group(1)):
            yield m.group(1), new, expr[:m.start()] + new + expr[m.end():]
    for m in _EXPR_COMPARATOR.finditer(expr):
        for new in MODES["comparator"][m.group(0)]:
            yield m.group(0), new, expr[:m.start()] + new + expr[m.end():]
    for m in _EXPR_WORD.finditer(expr):
        new = {"and": "or", "or": "and", "not ": ""}[m.group(1)]
        yield m.group(1).strip(), new or "(dropped)", expr[:m.start()] + new + expr[m.end():]
    if _EXPR_NAME.match(expr):
        yield expr, f"not {expr}", f"not {expr}"


def _value_changes(key: str, raw: str, *, in_part: bool) -> Iterator[tuple[str, str]]:
    """(what, to what) for one ``key = raw`` pair of a scoring line, as TOML text.

    An item without parts is its own one rule: a floor at the part and at the item are
    then the same container, so that change is not made.
    """
    if raw in ("true", "false"):
        if key in ("threshold", "value"):
            yield raw, "false" if raw == "true" else "true"
    elif raw[0] in "\"'":
        inner = raw[1:-1]
        if key in MODES and inner in MODES[key]:
            for new in MODES[key][inner]:
                if key != "floor" or in_part or {inner, new} != {"part", "item"}:
                    yield raw, f'"{new}"'
        elif key in EXPRESSION_KEYS and raw[0] == '"':
            for _, _, changed in _expression_changes(inner):
                yield raw, f'"{changed}"'
    elif key in NUMBER_KEYS:
        for new in _moved(raw):
            yield raw, new


def _code(line: str) -> str:
    """``line`` without its comment (a ``#`` outside a string)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote and not (quote == '"' and line[i - 1] == "\\"):  # \" inside "…" is escaped
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def mutants(text: str) -> list[Mutant]:
    """Every one-place change of the rule file ``text`` (see the module's docstring).

    A line whose comment says ``# equivalent: why`` is changed too, and its changes
    carry the reason: no case can tell them apart, and the report says so.
    """
    out: list[Mutant] = []
    lines = text.splitlines(keepends=True)
    skipping = in_part = dated = False
    for n, line in enumerate(lines):
        code = _code(line)
        head = _HEADER.match(code)
        if head:
            name = head.group(1)
            skipping = name.split(".")[0].strip('"') in SKIPPED_TABLES
            in_part = name.endswith(".parts")
            dated = name.startswith("parameters.")
            continue
        if skipping or not code.strip():
            continue
        eq = _EQUIVALENT.search(line[len(code):])  # in the comment, not in a string
        for m in (_DATED if dated else _PAIR).finditer(code):
            key, raw = m.group(1), m.group(2)
            for before, after in (((raw, new) for new in _moved(raw)) if dated else
                                  _value_changes(key, raw, in_part=in_part)):
                changed = line[:m.start(2)] + after + line[m.end(2):]
                out.append(Mutant(n + 1, key, before, after, "".join([*lines[:n], changed, *lines[n + 1:]]),
                                  eq.group(1) if eq else None))
    return out


def _rule_file(rs: RuleSet) -> Path:
    if rs.path is None:
        raise FuacError(f"rule set {rs.id!r} was not read from a file: its changes cannot be made")
    return Path(rs.path)


def check_mutants(case_file: str | os.PathLike[str]) -> MutantReport:
    """Run the cases of ``case_file`` against every change of its rule file."""
    rs, doc, index = read_case_file(case_file)
    path = _rule_file(rs)
    report = MutantReport(str(case_file), str(path), len(doc.cases))
    engine = get_engine()
    for m in mutants(path.read_text(encoding="utf-8")):
        try:
            changed = engine.load_text(m.text, name=str(path))
        except FuacError:
            report.refused.append(m)
            continue
        if any(not run_case(changed, doc, i, str(case_file), index).passed for i in range(len(doc.cases))):
            report.caught.append(m)
        else:
            (report.equivalent if m.equivalent else report.survived).append(m)
    return report
