"""Ranking and quotas (``BatchResults.select``), with hand-computed cases from the sources:
Guangdong's 15 % of eligible units and city caps by number of counties, Wuhan's 20 streets
per cycle, ≤ 2 streets and ≤ 2 % of villages per district a year, 1–2 districts a year."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import fuac
from fuac.cli import Progress, main

ON = "2023-10-01"
POSITIVE = {  # the facts an eligible unit has (every other boolean is false)
    "street_multi_birth_not_up", "street_sex_ratio_governance_effective", "street_district_target_advanced_3y",
    "district_multi_birth_rate_not_up", "district_sex_ratio_normal_or_falling", "district_target_excellent_3y",
}


def unit(rid: str, tier: str, code: str, met: int, **facts: object) -> dict[str, object]:
    """A complete, eligible unit whose first ``met`` assessed requirements are met (the rest not)."""
    rs = fuac.load(rid)
    rec: dict[str, object] = {"code": code, "name": f"u{code}"}
    for name, ind in rs.doc.indicators.items():
        if ind.tiers is not None and tier not in ind.tiers:
            continue
        if ind.type == "boolean":
            rec[name] = name in POSITIVE
        elif name == "agreement_hospitals":
            rec[name] = 1
        else:
            rec[name] = 100
    k = 0
    for it in rs.plan(tier).items.values():
        for key, rule in it.rules:
            if rule.assessable:
                rec[f"assessments.{key}"] = k < met
                k += 1
    rec.update(facts)
    return rec


def counties(city: str, n: int, start_met: int = 20) -> list[dict[str, object]]:
    return [unit("guangdong-2020", "county", f"{city}{j + 1:02d}", start_met - j) for j in range(n)]


def picked(sel: fuac.Selection) -> list[str]:
    return [p.unit for p in sel.recommended]


# ---------------------------------------------------------------------------
# Guangdong: ≤ 15 % of eligible units per cycle, floor; cities ≤ 4 → 1, 5–8 → 2, > 8 → 3


def test_fifteen_percent_of_seven_is_one() -> None:
    res = fuac.evaluate_many("guangdong-2020", counties("4401", 7), tier="county", on=ON)
    assert res.column("eligible").tolist() == [True] * 7
    sel = res.select()
    share = next(q for q in sel.quotas if q.id == "named_share")
    assert (share.cap, share.used) == (1, 1)  # 7 × 15 % = 1.05 → 1
    assert "7×15%=1.05" in share.explanation.zh
    assert picked(sel) == ["u440101"]  # the most requirements met
    city = next(q for q in sel.quotas if q.id == "city_recommendation")
    assert city.caps == {"4401": 2}  # a city of 7 counties may recommend 2
    second = sel.picks[1]
    assert not second.selected and second.quota == "named_share" and "已满" in second.reason.zh


@pytest.mark.parametrize(("n", "cap"), [(1, 1), (4, 1), (5, 2), (8, 2), (9, 3), (12, 3)])
def test_city_caps_by_number_of_counties(n: int, cap: int) -> None:
    res = fuac.evaluate_many("guangdong-2020", counties("4402", n), tier="county", on=ON)
    sel = res.select(quotas=["city_recommendation"])
    assert len(sel.recommended) == cap
    assert [p.rank for p in sel.recommended] == list(range(1, cap + 1))


def test_city_size_given_rather_than_counted() -> None:
    # only 3 of the city's 9 counties applied: the city still may recommend 3
    res = fuac.evaluate_many("guangdong-2020", counties("4403", 3), tier="county", on=ON)
    assert len(res.select(quotas=["city_recommendation"]).recommended) == 1
    assert len(res.select(quotas=["city_recommendation"], parent_sizes={"4403": 9}).recommended) == 3


def test_share_and_city_caps_together() -> None:
    # 40 eligible counties: 6 named (40 × 15 % = 6); city 4401 (9 counties) ≤ 3, 4402 (31) ≤ 3
    units = counties("4401", 9, start_met=30) + counties("4402", 31, start_met=29)
    res = fuac.evaluate_many("guangdong-2020", units, tier="county", on=ON)
    sel = res.select(reserves=2)
    got = picked(sel)
    assert len(got) == 6
    assert sum(1 for u in got if u.startswith("u4401")) == 3
    assert sum(1 for u in got if u.startswith("u4402")) == 3
    # the 4th best of city 4401 is left out by the city's cap, naming it
    fourth = next(p for p in sel.picks if p.unit == "u440104")
    assert fourth.quota == "city_recommendation" and "4401" in fourth.reason.zh
    assert [p.rank for p in sel.reserves] == sorted(p.rank for p in sel.reserves) and len(sel.reserves) == 2
    assert all("备选" in p.reason.zh and "reserve no." in p.reason.en for p in sel.reserves)


def test_vetoed_and_ineligible_units_are_never_selected() -> None:
    units = counties("4401", 3, start_met=33)
    units[0]["major_violation_3y"] = True  # the best unit, vetoed before application
    units[1]["falsified_3y"] = None  # cannot tell
    res = fuac.evaluate_many("guangdong-2020", units, tier="county", on=ON)
    sel = res.select(quotas=["city_recommendation"], parent_sizes={"4401": 20})
    assert picked(sel) == ["u440103"]
    assert sel.picks[0].rank is None and "一票否决" in sel.picks[0].reason.zh and "vetoed" in sel.picks[0].reason.en
    assert "资格待定" in sel.picks[1].reason.zh


def test_incomplete_units_are_not_ranked() -> None:
    units = counties("4401", 2)
    del units[0]["assessments.1.1"]
    res = fuac.evaluate_many("guangdong-2020", units, tier="county", on=ON)
    sel = res.select()
    assert sel.picks[0].rank is None and "评分未完成" in sel.picks[0].reason.zh
    ranked = res.select(require_complete=False)
    assert ranked.picks[0].rank is not None


# ---------------------------------------------------------------------------
# Wuhan: 20 streets per cycle, each district ≤ 2 streets a year; villages ≤ 5 % of all
# per cycle, each district ≤ 2 % of its villages a year; 1–2 districts a year


def test_twenty_streets_and_two_per_district() -> None:
    units = [unit("wuhan-2017", "street", f"420{d:03d}{s:03d}", 32 - s) for d in range(101, 113) for s in range(5)]
    res = fuac.evaluate_many("wuhan-2017", units, tier="street", on=ON)
    assert res.column("eligible").tolist() == [True] * 60
    sel = res.select()
    per_district = next(q for q in sel.quotas if q.id == "district_streets")
    assert set(per_district.caps.values()) == {2} and len(per_district.caps) == 12  # districts: 6-digit codes
    got = picked(sel)
    assert len(got) == 20  # 12 districts × 2 = 24 possible; 20 per cycle
    assert next(p for p in sel.picks if p.unit == "u420112001").quota == "city_streets"  # 12 + 8 = 20
    alone = res.select(quotas=["district_streets"])
    assert len(alone.recommended) == 24
    third = next(p for p in alone.picks if p.unit == "u420101002")
    assert third.quota == "district_streets" and "420101" in third.reason.zh


def test_villages_share_of_all_and_of_each_district() -> None:
    units = [unit("wuhan-2017", "village", f"420{d:03d}{t:03d}{v:03d}", 32 - v)
             for d in (101, 102) for t in (1, 2) for v in range(10)]
    res = fuac.evaluate_many("wuhan-2017", units, tier="village", on=ON)
    # 5 % of 1,000 villages in the city = 50 a cycle; 2 % of each district's 300 = 6 a year
    sel = res.select(universe=1000, parent_sizes={"420101": 300, "420102": 300})
    assert next(q for q in sel.quotas if q.id == "city_villages").cap == 50
    assert next(q for q in sel.quotas if q.id == "district_villages").caps == {"420101": 6, "420102": 6}
    assert len(sel.recommended) == 12
    # counted in the batch instead: 20 villages a district → 2 % of 20 = 0.4 → 0
    assert len(res.select(universe=1000).recommended) == 0
    assert any("本批" in n.zh for n in res.select().notes)


def test_one_to_two_districts_a_year() -> None:
    units = [unit("wuhan-2017", "district", f"420{d:03d}", 30 - d % 100) for d in (101, 102, 103)]
    res = fuac.evaluate_many("wuhan-2017", units, tier="district", on=ON)
    sel = res.select()
    assert picked(sel) == ["u420101", "u420102"]
    units[0]["one_vote_veto_3y"] = True
    units[1]["one_vote_veto_3y"] = True
    units[2]["one_vote_veto_3y"] = True
    sel = fuac.evaluate_many("wuhan-2017", units, tier="district", on=ON).select()
    assert picked(sel) == [] and any("少于下限1个" in n.zh for n in sel.notes)


def test_a_unit_without_a_region_code_cannot_count_under_a_district_quota() -> None:
    units = [unit("wuhan-2017", "street", "420101001", 30), unit("wuhan-2017", "street", "x", 31)]
    units[1].pop("code")
    sel = fuac.evaluate_many("wuhan-2017", units, tier="street", on=ON).select()
    assert picked(sel) == ["u420101001"]
    assert "没有地区代码" in sel.picks[1].reason.zh


# ---------------------------------------------------------------------------
# order and ties


def test_declared_order_breaks_ties() -> None:
    overlay = {
        "extends": "guangdong-2020",
        "scheme": {"id": "gd-ranked"},
        "selection": {"order": ["completion desc", "dual_contact_coverage desc"], "reserves": 1},
    }
    rs = fuac.compose("guangdong-2020", overlay)
    units = counties("4401", 3, start_met=20)
    for u in units:
        u["assessments.1.1"] = True
        u["assessments.1.2"] = True
    units[0]["dual_contact_coverage"] = 99.5
    units[1]["dual_contact_coverage"] = 99.9
    units[2]["dual_contact_coverage"] = 99.9
    for u in units:
        for k in [k for k in u if k.startswith("assessments.")]:
            u[k] = True
    res = fuac.evaluate_many(rs, units, tier="county", on=ON)
    sel = res.select(quotas=["city_recommendation"])
    assert [p.unit for p in sel.ranked] == ["u440102", "u440103", "u440101"]
    assert "与第1名各项排序依据均相同" in sel.picks[2].reason.zh
    assert [p.unit for p in sel.reserves] == ["u440103"]  # the rule set's reserves = 1


def test_points_scheme_ranks_by_total(tmp_path: Path) -> None:
    mini = Path(__file__).parent / "data" / "mini.toml"
    base = {"has_doc": True, "meetings": 3, "institutions": 9, "complaints": 0, "awareness": 95,
            "satisfaction": 95, "mmr": 10, "places": 5, "places_avg": 3, "falsified": False, "accidents": 0}
    units = [dict(base, id=k, complaints=k) for k in range(4)]
    units[0]["accidents"] = 1  # vetoed: best score, never selected
    sel = fuac.evaluate_many(mini, units, on=ON).select()
    assert [p.unit for p in sel.recommended] == ["1", "2", "3"]
    assert "本规则集未规定名额" in sel.recommended[0].reason.zh
    assert sel.to_dict()["recommended"] == [1, 2, 3]
    frame = sel.to_pandas()
    assert list(frame["selected"]) == [False, True, True, True]


# ---------------------------------------------------------------------------
# the command


def test_cli_rank(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pd = pytest.importorskip("pandas")
    path = tmp_path / "units.csv"
    pd.DataFrame(counties("4401", 7)).to_csv(path, index=False)
    assert main(["rank", "guangdong-2020", str(path), "--tier", "county", "--on", ON, "--all"]) == 0
    out = capsys.readouterr().out
    assert "推荐名单 (1)" in out and "7×15%=1.05" in out and "u440101" in out
    assert main(["rank", "guangdong-2020", str(path), "--tier", "county", "--on", ON, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["recommended"] == [0] and doc["quotas"][0]["cap"] == 1


def test_cli_batch_writes_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pd = pytest.importorskip("pandas")
    path = tmp_path / "units.csv"
    pd.DataFrame(counties("4401", 5)).to_csv(path, index=False)
    out = tmp_path / "out.csv"
    assert main(["batch", "guangdong-2020", str(path), "--tier", "county", "--on", ON, "-o", str(out),
                 "--chunk-size", "2"]) == 0
    frame = pd.read_csv(out)
    assert len(frame) == 5 and list(frame["status"]) == ["scored"] * 5
    assert "5 rows" in capsys.readouterr().out


def test_progress_bar_only_after_a_second() -> None:
    now = [0.0]
    stream = io.StringIO()
    bar = Progress(stream, clock=lambda: now[0])
    bar(10, 100)
    assert stream.getvalue() == ""
    now[0] = 1.5
    bar(50, 100)
    assert "50% 50/100 rows" in stream.getvalue() and "#" in stream.getvalue()
    now[0] = 2.0
    bar(100, 100)
    assert "100% 100/100 rows" in stream.getvalue()
