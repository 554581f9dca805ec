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

    def cmp(what: str, got: Any, want: Any) -> None:
        if want is not None and not _eq(got, want):
            out.append(f"{what}: expected {want}, got {got}")

    cmp("total", ev.reported_total, exp.total)
    cmp("total (exact)", ev.total, exp.total_exact)
    if exp.eligible == "undecided":
        if ev.eligible is not None:
            out.append(f"eligible: expected undecided, got {ev.eligible}")
    else:
        cmp("eligible", ev.eligible, exp.eligible)
    cmp("passed", ev.passed, exp.passed)
    cmp("vetoed", ev.vetoed, exp.vetoed)
    cmp("complete", ev.complete, exp.complete)
    cmp("completion", ev.completion, exp.completion)
    if exp.grade is not None:
        cmp("grade", ev.grade.zh if ev.grade else None, exp.grade)
    items = {i.id: i for i in ev.items}
    parts = {f"{i.id}.{p.id}": p for i in ev.items for p in i.parts}
    for group, table, expects in (("item", items, exp.items), ("part", parts, exp.parts)):
        for key, ie in expects.items():
            res = table.get(key)
            if res is None:
                out.append(f"{group} {key}: not in the result (known: {', '.join(table) or 'none'})")
                continue
            cmp(f"{group} {key} points", res.points, ie.points)
            cmp(f"{group} {key} status", res.status, ie.status)
            cmp(f"{group} {key} met", res.met, ie.met)
            if res.status != "scored" and ie.points is not None and ie.status is None:
                out.append(f"{group} {key}: status is {res.status} ({res.reason_en})")
    secs = {s.id: s for s in ev.sections}
    for key, want in exp.sections.items():
        if key not in secs:
            out.append(f"section {key}: not in the result")
        elif isinstance(want, SectionExpect):
            sec = secs[key]
            cmp(f"section {key} points", sec.points, want.points)
            cmp(f"section {key} completion", sec.completion, want.completion)
            cmp(f"section {key} met", sec.met, want.met)
            if want.open is not None:
                cmp(f"section {key} open", sorted(i.id for i in sec.open), sorted(want.open))
        else:
            cmp(f"section {key}", secs[key].points, want)
    conds = {c.id: c for c in ev.vetoes}
    for key, triggered in exp.vetoes.items():
        if key not in conds:
            out.append(f"veto {key}: not in the result (known: {', '.join(conds) or 'none'})")
        else:
            cmp(f"veto {key} triggered", conds[key].holds, triggered)
    elig = {c.id: c for c in ev.eligibility}
    for key, met in exp.conditions.items():
        if key not in elig:
            out.append(f"condition {key}: not in the result (known: {', '.join(elig) or 'none'})")
        else:
            cmp(f"condition {key} met", elig[key].holds, met)
    if exp.problems is not None:
        got = sorted({p.field for p in ev.problems if p.severity == "error"})
        cmp("problems", got, sorted(exp.problems))
    return out


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
