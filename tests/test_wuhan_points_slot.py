"""wuhan-2017 leaves the city's points table (重点评估指标及评分标准) to a rule package.

tests/plugins/fuac-wuhan-points-demo supplies a made-up two-item table by extending
wuhan-2017: the points are scored, and the document's checklist, conditions and vetoes
still apply.
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import fuac

PKG = Path(__file__).parent / "plugins" / "fuac-wuhan-points-demo"


@pytest.fixture
def engine():
    sys.path.insert(0, str(PKG))
    try:
        mod = importlib.import_module("fuac_wuhan_points_demo")
    finally:
        sys.path.remove(str(PKG))
    eng = fuac.Engine(plugins=[mod], load_entry_points=False)
    fuac.reset_engine(eng)
    yield eng
    fuac.reset_engine()


def test_base_has_no_points_and_says_where_they_come_from() -> None:
    rs = fuac.load("wuhan-2017")
    assert rs.scheme_kind == "checklist"
    assert all(s.scoring == "checklist" and s.max is None for t in rs.tiers for s in rs.plan(t).sections)
    assert any("重点评估指标及评分标准" in n.zh and "rule package" in n.en for n in rs.doc.notes)


def test_package_supplies_the_points_table(engine: fuac.Engine) -> None:
    rs = fuac.load("wuhan-2017-points-demo")
    assert [c["id"] for c in rs.chain] == ["wuhan-2017", "wuhan-2017-points-demo"]
    base = fuac.load("wuhan-2017")
    for tier in ("district", "street", "village"):
        plan = rs.plan(tier)
        assert plan.total == 10
        scorings = [s.scoring for s in plan.sections]
        # the eight content areas stay checklists; the supplied table is the only points section
        assert scorings.count("points") == 1 and scorings.count("checklist") == len(base.plan(tier).sections)
        assert len(plan.eligibility) == len(base.plan(tier).eligibility)
        assert len(plan.vetoes) == len(base.plan(tier).vetoes)
    # 92.5 % ≥ 90 % → 6; one complaint: 4 − 1 = 3; total 9 of 10
    ev = fuac.evaluate(rs, {"demo_service_rate": 92.5, "demo_complaints": 1}, tier="street", on=dt.date(2018, 3, 1))
    assert ev.total == Decimal(9) and ev.max_total == 10
    assert ev.section("points_table").points == 9
    assert all(s.points is None for s in ev.sections if s.id != "points_table")
    # the checklist is still reported: nothing of it was assessed here, so nothing is complete
    assert ev.completion == 0 and not ev.complete


def test_rulesets_for_a_wuhan_street_returns_the_composed_table(engine: fuac.Engine) -> None:
    found = fuac.rulesets_for("420106001", "township", dt.date(2018, 1, 1))
    assert [(a.id, a.tier) for a in found] == [("wuhan-2017-points-demo", "street")]
