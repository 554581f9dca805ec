"""The built-in rule set liunan-2023 against its source document and its own cases."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

import fuac
from fuac.cases.runner import run_file

REPO = Path(__file__).parents[1]
SOURCES = Path(__file__).parents[2] / "shared" / "sources"
SOURCE = SOURCES / "liunan-2023-fertility-friendly.txt"
WEB_COPY = SOURCES / "liunan-2023-fertility-friendly-web-copy.txt"
CASES = REPO / "src" / "fuac" / "rulesets" / "liunan-2023.test.toml"
EXAMPLE = REPO / "examples" / "data" / "liunan-2023-liunan.toml"

TITLES = [
    "组织领导保障有力",
    "人口服务体系健全",
    "托育服务发展领先",
    "生育支持政策完备",
    "优生优育服务优质",
    "家庭保障措施到位",
    "生育友好氛围浓厚",
]
NUMBERS = ["（一）", "（二）", "（三）", "（四）", "（五）", "（六）", "（七）"]

needs_sources = pytest.mark.skipif(not SOURCES.is_dir(), reason="the shared source documents are not here")


@pytest.fixture(scope="module")
def rs() -> fuac.RuleSet:
    return fuac.load("liunan-2023")


def test_metadata(rs) -> None:
    m = rs.meta
    assert (m.kind, m.total, m.precision) == ("points", Decimal(100), Decimal("0.1"))
    assert m.issuer.zh == "柳州市柳南区人民政府办公室"
    assert m.document_number == "柳南政办〔2023〕25号"
    assert str(m.issued) == str(m.valid_from) == "2023-09-01"
    assert [(j.code, j.level) for j in m.jurisdiction] == [("450204", "county")]


def test_sections_and_items(rs) -> None:
    plan = rs.plan()
    assert [s.id for s in plan.sections] == [str(i) for i in range(1, 8)]
    assert [s.number for s in plan.sections] == NUMBERS
    assert [s.title.zh for s in plan.sections] == TITLES
    assert [s.max for s in plan.sections] == [Decimal(x) for x in (17, 14, 26, 12, 10, 15, 6)]
    assert plan.total == 100
    items = [it for s in plan.sections for it in s.items]
    assert [it.id for it in items] == [str(i) for i in range(1, 36)]
    assert all(it.number == it.id for it in items)
    assert all(it.label is not None and it.label.zh and it.label.en for it in items)
    assert all(p.label is not None for it in items for p in it.parts or [])
    # item 16 is the veto: its 分值 cell is "-", the file gives it no max
    assert [it.id for it in items if it.is_veto] == ["16"]
    raw16 = rs.doc.sections[2].items[-1]
    assert raw16["id"] == "16" and "max" not in raw16 and raw16["scope"] == "outcome"


def test_lead_decisions_are_in_the_file(rs) -> None:
    items = rs.plan().items
    for iid in ("29", "35"):
        assert items[iid].rule.params.partial == "ceil"
        assert items[iid].rule.params.floor == "part"
    notes = " ".join(n.zh + n.en for n in rs.doc.notes)
    assert "ceil" in notes and "吸取汇报" in notes and "第35项" in notes


@needs_sources
def test_clauses_and_methods_are_verbatim(rs) -> None:
    text = SOURCE.read_text(encoding="utf-8")
    for it in rs.plan().items.values():
        assert it.clause and it.clause.startswith(f"{it.id}."), it.id
        assert it.clause in text, f"item {it.id}: clause not found verbatim"
        assert it.method and it.method in text, f"item {it.id}: method not found verbatim"
        for p in it.parts or []:
            assert p.clause and p.clause in it.clause, f"part {p.key}: clause not inside its item's"
    for s in rs.plan().sections:
        assert f"{s.number}\n\n{s.title.zh}" in text


@needs_sources
def test_web_copy_keeps_the_work_requirements() -> None:
    # the scraped copy has OCR typos, half-width brackets, page markers ("\n4、") cutting
    # through the text and no table, but the plan's 工作要求 headings survive
    web = WEB_COPY.read_text(encoding="utf-8").replace("(", "（").replace(")", "）")
    web = re.sub(r"\s*\n\d+、", "", web)
    assert "工作要求" in web
    for number, title in zip(NUMBERS, TITLES, strict=True):
        assert f"{number}{title}。" in web, title


def test_cases() -> None:
    results = run_file(CASES)
    assert len(results) >= 60
    failed = [str(r) for r in results if not r.passed]
    assert not failed, "\n".join(failed)


def test_example_unit() -> None:
    from fuac.cli import read_input

    doc = read_input(str(EXAMPLE))
    ev = fuac.evaluate("liunan-2023", doc["data"], context=doc["context"], assessments=doc["assessments"], on=doc["on"])
    assert not ev.problems
    assert ev.complete and not ev.vetoed
    assert ev.reported_total == Decimal("86.1")
