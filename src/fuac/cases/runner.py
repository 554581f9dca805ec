"""Test cases kept beside rule sets: ``*.test.toml`` files.

A case file names its rule set and holds cases, each with input data, optional
assessments, and the results expected::

    ruleset = "liunan-2023"        # an id, or a path relative to this file

    [base.data]                    # shared by every case; a case's data overrides it
    institutions = 8

    [[cases]]
    name = "exactly 8 institutions gives the full 4 points"
    on = 2023-10-01
    data = { institutions = 8 }
    expect = { total = 100, items = { "14" = { points = 4, status = "scored" } } }
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError

from .._api import evaluate, load
from ..errors import FuacError, RulesetSchemaError
from ..language.models import Model
from ..language.toml import LineIndex, format_path, read_toml
from ..plan.loader import RuleSet
from ..run.results import Evaluation, share


def _share(v: Decimal | str) -> Decimal | None:
    """A completion is a decimal, or a share written as ``"met/counted"`` (``"32/33"``),
    read as fuac states a completion."""
    if isinstance(v, str):
        met, sep, counted = v.partition("/")
        if not (sep and met.strip().isdigit() and counted.strip().isdigit() and int(counted) > 0):
            raise ValueError(f"a completion is a number or a share such as \"32/33\", not {v!r}")
        return share(int(met), int(counted))
    return v


#: what a case expects a completion to be
Completion = Annotated[Decimal | str, AfterValidator(_share)]


class ItemExpect(Model):
    points: Decimal | None = None
    status: str | None = None
    met: bool | None = None


class SectionExpect(Model):
    points: Decimal | None = None
    completion: Completion | None = None
    met: int | None = None
    open: list[str] | None = None


class Expect(Model):
    total: Decimal | None = None
    total_exact: Decimal | None = None
    #: true, false, or "undecided" (an input the conditions read is missing)
    eligible: bool | Literal["undecided"] | None = None
    passed: bool | None = None
    vetoed: bool | None = None
    complete: bool | None = None
    completion: Completion | None = None
    grade: str | None = None
    items: dict[str, ItemExpect] = Field(default_factory=dict)
    parts: dict[str, ItemExpect] = Field(default_factory=dict)
    sections: dict[str, Decimal | SectionExpect] = Field(default_factory=dict)
    vetoes: dict[str, bool] = Field(default_factory=dict)
    conditions: dict[str, bool] = Field(default_factory=dict)
    problems: list[str] | None = None


class Base(Model):
    data: dict[str, Any] = Field(default_factory=dict)
    assessments: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)


class Case(Model):
    name: str
    tier: str | None = None
    on: dt.date | None = None
    assessor: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    remove: list[str] = Field(default_factory=list)
    assessments: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    expect: Expect
    note: str | None = None


class CaseFile(Model):
    ruleset: str
    tier: str | None = None
    on: dt.date | None = None
    base: Base = Field(default_factory=Base)
    cases: list[Case] = Field(min_length=1)


@dataclass(slots=True)
class CaseResult:
    file: str
    line: int | None
    name: str
    failures: list[str] = field(default_factory=list)
    evaluation: Evaluation | None = None

    @property
    def passed(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.passed:
            return f"PASS {where} {self.name}"
        return "\n".join([f"FAIL {where} {self.name}", *(f"    {f}" for f in self.failures)])


def _eq(got: Any, want: Any) -> bool:
    if isinstance(want, Decimal) and isinstance(got, Decimal):
        return got == want
    return bool(got == want)


def check_case(ev: Evaluation, exp: Expect) -> list[str]:
    """Compare an evaluation with what a case expects: one line per difference."""
    out: list[str] = []
    _check_overall(out, ev, exp)
    items = {i.id: i for i in ev.items}
    parts = {f"{i.id}.{p.id}": p for i in ev.items for p in i.parts}
    _check_results(out, "item", items, exp.items)
    _check_results(out, "part", parts, exp.parts)
    _check_sections(out, ev, exp.sections)
    _check_conditions(out, "veto", "triggered", {c.id: c for c in ev.vetoes}, exp.vetoes)
    _check_conditions(out, "condition", "met", {c.id: c for c in ev.eligibility}, exp.conditions)
    if exp.problems is not None:
        got = sorted({p.field for p in ev.problems if p.severity == "error"})
        _cmp(out, "problems", got, sorted(exp.problems))
    return out


def _cmp(out: list[str], what: str, got: Any, want: Any) -> None:
    """One line in ``out`` when a value expected is not the value got."""
    if want is not None and not _eq(got, want):
        out.append(f"{what}: expected {want}, got {got}")


def _check_overall(out: list[str], ev: Evaluation, exp: Expect) -> None:
    """The unit's own expectations: total, eligibility, outcome, completion and grade."""
    _cmp(out, "total", ev.reported_total, exp.total)
    _cmp(out, "total (exact)", ev.total, exp.total_exact)
    if exp.eligible == "undecided":
        if ev.eligible is not None:
            out.append(f"eligible: expected undecided, got {ev.eligible}")
    else:
        _cmp(out, "eligible", ev.eligible, exp.eligible)
    _cmp(out, "passed", ev.passed, exp.passed)
    _cmp(out, "vetoed", ev.vetoed, exp.vetoed)
    _cmp(out, "complete", ev.complete, exp.complete)
    _cmp(out, "completion", ev.completion, exp.completion)
    if exp.grade is not None:
        _cmp(out, "grade", ev.grade.zh if ev.grade else None, exp.grade)


def _check_results(out: list[str], group: str, table: Mapping[str, Any], expects: Mapping[str, ItemExpect]) -> None:
    """The items' (or the parts') expectations: points, status and met."""
    for key, ie in expects.items():
        res = table.get(key)
        if res is None:
            out.append(f"{group} {key}: not in the result (known: {', '.join(table) or 'none'})")
            continue
        _cmp(out, f"{group} {key} points", res.points, ie.points)
        _cmp(out, f"{group} {key} status", res.status, ie.status)
        _cmp(out, f"{group} {key} met", res.met, ie.met)
        if res.status != "scored" and ie.points is not None and ie.status is None:
            out.append(f"{group} {key}: status is {res.status} ({res.reason_en})")


def _check_sections(out: list[str], ev: Evaluation, expects: Mapping[str, Decimal | SectionExpect]) -> None:
    """The sections' expectations: points alone, or points, completion, met and the items open."""
    secs = {s.id: s for s in ev.sections}
    for key, want in expects.items():
        if key not in secs:
            out.append(f"section {key}: not in the result")
        elif isinstance(want, SectionExpect):
            sec = secs[key]
            _cmp(out, f"section {key} points", sec.points, want.points)
            _cmp(out, f"section {key} completion", sec.completion, want.completion)
            _cmp(out, f"section {key} met", sec.met, want.met)
            if want.open is not None:
                _cmp(out, f"section {key} open", sorted(i.id for i in sec.open), sorted(want.open))
        else:
            _cmp(out, f"section {key}", secs[key].points, want)


def _check_conditions(out: list[str], what: str, verb: str, conds: Mapping[str, Any],
                      expects: Mapping[str, bool]) -> None:
    """The vetoes' (or the eligibility conditions') expectations: whether each holds."""
    for key, holds in expects.items():
        if key not in conds:
            out.append(f"{what} {key}: not in the result (known: {', '.join(conds) or 'none'})")
        else:
            _cmp(out, f"{what} {key} {verb}", conds[key].holds, holds)


def read_case_file(path: str | os.PathLike[str]) -> tuple[RuleSet, CaseFile, LineIndex]:
    """Read and check a ``*.test.toml`` file; load the rule set it names."""
    p = Path(path)
    data, lines, _ = read_toml(p)
    try:
        doc = CaseFile.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        loc = tuple(e["loc"])
        msg = e["msg"] if e["type"] != "extra_forbidden" else f"unknown key {loc[-1]!r}"
        raise RulesetSchemaError(msg, path=str(p), line=lines.line_of(loc), key=format_path(loc)) from None
    return _resolve(doc.ruleset, p), doc, lines


def run_file(path: str | os.PathLike[str]) -> list[CaseResult]:
    """Run every case of one ``*.test.toml`` file."""
    rs, doc, lines = read_case_file(path)
    return [run_case(rs, doc, i, str(path), lines) for i in range(len(doc.cases))]


def _resolve(ref: str, beside: Path) -> RuleSet:
    candidate = beside.parent / ref
    if ref.endswith(".toml") and candidate.is_file():
        return load(candidate)
    return load(ref)


def run_case(rs: RuleSet, doc: CaseFile, i: int, file: str, lines: LineIndex) -> CaseResult:
    """Run case number ``i`` of a case file."""
    case = doc.cases[i]
    res = CaseResult(file, lines.line_of(("cases", i)), case.name)
    data = {**doc.base.data, **case.data}
    for k in case.remove:
        data.pop(k, None)
    try:
        ev = evaluate(
            rs,
            data,
            tier=case.tier or doc.tier,
            on=case.on or doc.on,
            context={**doc.base.context, **case.context},
            assessments={**doc.base.assessments, **case.assessments},
            assessor=case.assessor,
        )
    except FuacError as exc:
        res.failures.append(f"evaluation failed: {exc}")
        return res
    res.evaluation = ev
    res.failures = check_case(ev, case.expect)
    return res


def find_case_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """``*.test.toml`` files named, or found below the folders named."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(p.rglob("*.test.toml")))
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return out


def registered_case_files() -> list[Path]:
    """The ``*.test.toml`` files kept beside every registered rule file."""
    from ..plan.engine import get_engine

    folders = sorted({src.path.parent for src in get_engine().sources.values()})
    files: list[Path] = []
    for f in folders:
        files.extend(sorted(f.glob("*.test.toml")))
    return files


def summarize(results: Mapping[str, list[CaseResult]] | list[CaseResult]) -> tuple[int, int]:
    flat = [r for rs in results.values() for r in rs] if isinstance(results, Mapping) else results
    passed = sum(1 for r in flat if r.passed)
    return passed, len(flat) - passed
