"""Titles in the store: awards, revocations and extensions recorded append-only (``POST /v1/titles``,
``fuac titles --import``), their status read back (``GET /v1/titles``, ``fuac titles --from-store``)
as ``fuac.lifecycle`` computes it from a CSV history, and wuhan-2017's veto "title revoked in the
previous cycle" filled in from them when a unit is scored without it.

The store's tests run on SQLite, and on PostgreSQL too when ``FUAC_TEST_POSTGRESQL`` names a server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")

import sqlalchemy as sa

import fuac
from fuac import lifecycle
from fuac.cli import main
from fuac.language.toml import read_toml
from fuac.serve import exact, migrations, titles
from fuac.serve.app import Settings, create_app
from fuac.serve.store import Store
from test_serve import ROOT, error_of, post, store_of
from test_store import url  # noqa: F401  (the fixture: a new store on SQLite, and on PostgreSQL)

WH = "wuhan-2017"
HISTORY = ROOT / "examples" / "data" / "wuhan-2017-titles.csv"
STREET = ROOT / "examples" / "data" / "wuhan-2017-street.toml"
EVALUATE = "/v1/rulesets/wuhan-2017/evaluate"


@pytest.fixture
def c(url: str) -> Iterator[Any]:  # noqa: F811
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    with TestClient(create_app(Settings(db=url)), raise_server_exceptions=False) as tc:
        yield tc
    store_of(tc).close()


def award(unit: str, year: int, level: str = "municipal", **kw: Any) -> dict[str, Any]:
    return {"event": "award", "unit": unit, "ruleset": WH, "level": level, "year": year, **kw}


def revocation(unit: str, year: int, level: str = "municipal", **kw: Any) -> dict[str, Any]:
    return {"event": "revocation", "unit": unit, "ruleset": WH, "level": level, "year": year, **kw}


def street(code: str | None = "420106003", on: str = "2023-08-31", **data: Any) -> dict[str, Any]:
    """The bundled street, of unit ``code``, scored on ``on``, without "revoked in the previous cycle"."""
    doc, _, _ = read_toml(STREET)
    del doc["data"]["title_revoked_previous_cycle"]
    doc["data"].update(data)
    doc["on"] = on
    if code is None:
        del doc["context"]["code"]
    else:
        doc["context"]["code"] = code
    return doc


def evaluate(c: Any, doc: dict[str, Any], query: str = "") -> Any:
    return post(c, EVALUATE + query, exact.dumps(doc).encode())


def library(doc: dict[str, Any], **data: Any) -> dict[str, Any]:
    ev = fuac.evaluate(WH, {**doc["data"], **data}, tier=doc["tier"], context=doc["context"],
                       assessments=doc["assessments"], on=doc["on"])
    return ev.to_dict()


# ---------------------------------------------------------------------------
# fuac.lifecycle: the indicator, recorded extensions, a history read


def test_the_rule_sets_indicator_of_a_unit_revoked_last_cycle() -> None:
    assert lifecycle.revoked_indicator(WH) == "title_revoked_previous_cycle"
    assert lifecycle.revoked_indicator("guangdong-2020") is None  # revoked_bars_next = false
    assert lifecycle.revoked_indicator("liunan-2023") is None  # no [cycle]
    revoked_2021 = [lifecycle.Award(2021, "municipal", True)]
    assert lifecycle.revoked_previous_cycle(WH, revoked_2021, 2023) is True  # 2021 is in 2020–2022
    assert lifecycle.revoked_previous_cycle(WH, revoked_2021, 2022) is False  # the same cycle
    assert lifecycle.revoked_previous_cycle(WH, revoked_2021, 2026) is False  # two cycles on
    assert lifecycle.revoked_previous_cycle(WH, [], 2023) is False
    assert lifecycle.revoked_previous_cycle(WH, [(2018, "national", False, None), (2019, "municipal", True, 2021)],
                                            2024) is True  # any level; revoked in 2021


def test_a_recorded_extension_holds_the_title_to_the_end_of_its_cycle() -> None:
    one = lifecycle.Award(2018, "municipal")  # won once: lapses at the end of 2017–2019
    assert lifecycle.title_status(WH, [one], 2021).state == "lapsed"
    st = lifecycle.title_status(WH, [lifecycle.Award(2018, "municipal", extended_until=2020)], 2021)
    assert (st.state, st.held_until, st.may_apply) == ("extended", 2022, True)
    assert st.reason.zh == "市级称号按记录的顺延决定顺延，至2022年底。"
    assert st.reason.en == "municipal title extended by a recorded decision, until the end of 2022."
    assert lifecycle.title_status(WH, [lifecycle.Award(2018, "municipal", extended_until=2020)], 2023).state == \
        "lapsed"
    # won twice in a row: the rule extends it anyway, and says so in its own words
    twice = [lifecycle.Award(2018, "municipal"), lifecycle.Award(2021, "municipal")]
    assert lifecycle.title_status(WH, twice, 2024).reason.en.startswith("municipal title won in 2 consecutive")


def test_a_history_with_extended_until_read_and_checked() -> None:
    rows = [{"unit": "1", "year": 2018, "level": "municipal", "extended_until": 2021},
            {"unit": "2", "year": 2018, "level": "municipal", "extended_until": 2019},
            {"unit": "3", "year": 2018, "level": "municipal", "extended_until": "soon"},
            {"year": 2018, "level": "municipal"}]
    entries, errors = lifecycle.read_history(WH, rows)
    assert [(e.row, e.unit) for e in entries] == [(1, "1"), (2, "2"), (3, "3"), (4, None)]
    assert entries[0].award == lifecycle.Award(2018, "municipal", extended_until=2021)
    assert [str(e) for e in errors] == [
        "row 2, column 'extended_until': 2019 is not after the cycle the title was won for (2018)",
        "row 3, column 'extended_until': not a whole year: 'soon'",
        "row 4, column 'unit': missing"]
    table = lifecycle.title_table(WH, rows[:1], 2021)
    assert (table[0].state, table[0].held_until) == ("extended", 2022)


# ---------------------------------------------------------------------------
# recording and reading titles over HTTP


def test_titles_recorded_and_their_status_read_back_as_the_csv_gives_it(c: Any) -> None:
    resp = c.post("/v1/titles", json=[award("420106003", 2021, document="武卫〔2021〕12号"),
                                      revocation("420106003", 2021, note="统计数据严重失实"),
                                      award("420102002", 2018), award("420102002", 2021)])
    assert resp.status_code == 201, resp.text
    done = resp.json()["titles"]
    assert [(t["id"], t["event"], t["refers_to"], t["cycle_first_year"]) for t in done] == [
        (1, "award", None, 2020), (2, "revocation", 1, 2020), (3, "award", None, 2017), (4, "award", None, 2020)]
    assert done[0]["document"] == "武卫〔2021〕12号" and done[1]["level"] == "municipal"
    assert done[0]["submitted_by"] == "anonymous" and done[0]["source"] == "api"
    got = c.get("/v1/titles?ruleset=wuhan-2017&year=2023").json()
    assert [t["id"] for t in got["titles"]] == [1, 2, 3, 4] and got["next"] is None
    csv = lifecycle.title_table(WH, HISTORY, 2023)
    by_unit = {r["unit"]: r for r in got["status"]["units"]}
    assert got["status"]["cycle"] == [2023, 2025]
    for code in ("420106003", "420102002"):
        line = {k: v for k, v in by_unit[code].items() if k != "titles"}
        assert line == {k: v for k, v in csv.unit(code)[0].to_dict().items() if k != "rows"}
    assert by_unit["420106003"]["state"] == "revoked" and by_unit["420106003"]["titles"] == [1]
    assert by_unit["420102002"]["state"] == "extended" and by_unit["420102002"]["titles"] == [3, 4]
    one = c.get("/v1/titles?unit=420106003&limit=1").json()
    assert [t["id"] for t in one["titles"]] == [1] and one["next"] == 1 and "status" not in one
    assert [t["id"] for t in c.get("/v1/titles?unit=420106003&after=1").json()["titles"]] == [2]


def test_an_extension_recorded_extends_the_title(c: Any) -> None:
    assert c.post("/v1/titles", json=award("420103001", 2018)).status_code == 201
    before = c.get("/v1/titles?unit=420103001&ruleset=wuhan-2017&year=2021").json()["status"]["units"][0]
    assert before["state"] == "lapsed"
    resp = c.post("/v1/titles", json={"event": "extension", "unit": "420103001", "ruleset": WH, "refers_to": 1,
                                      "year": 2020, "document": "顺延决定"})
    assert resp.status_code == 201 and resp.json()["titles"][0]["level"] == "municipal"
    after = c.get("/v1/titles?unit=420103001&ruleset=wuhan-2017&year=2021").json()["status"]["units"][0]
    assert (after["state"], after["held_until"], after["titles"]) == ("extended", 2022, [1])


@pytest.mark.parametrize(("events", "status", "code", "field"), [
    ([award("1", 2021), award("1", 2022)], 409, "title_conflict", "[1]"),  # a second award in 2020–2022
    ([revocation("1", 2021)], 422, "award_not_found", "[0]"),
    ([award("1", 2021), revocation("1", 2021), revocation("1", 2022)], 409, "title_conflict", "[2]"),
    ([award("1", 2021), {"event": "extension", "unit": "1", "ruleset": WH, "level": "municipal", "year": 2022}],
     422, "invalid_extension", "[1]"),
    ([award("1", 2021), award("2", 2018), revocation("2", 2019, refers_to=1)], 422, "invalid_refers_to", "[2]"),
])
def test_what_the_store_cannot_take_is_refused_whole(c: Any, events: list[dict[str, Any]], status: int,
                                                     code: str, field: str) -> None:
    resp = c.post("/v1/titles", json=events)
    assert resp.status_code == status, resp.text
    err = error_of(resp)
    assert err["code"] == code and [p["field"] for p in err["problems"]] == [field]
    assert c.get("/v1/titles").json()["titles"] == []  # nothing half-written


def test_every_wrong_field_of_a_title_is_named(c: Any) -> None:
    resp = c.post("/v1/titles", json=[{"event": "prize", "unit": "", "ruleset": "nope", "year": 2021.5, "x": 1},
                                      award("1", 2010), award("1", 2021, level="galactic"),
                                      {**award("1", 2021), "ruleset": "liunan-2023"}, "award"])
    err = error_of(resp)
    assert resp.status_code == 422 and err["code"] == "invalid_titles"
    assert [(p["field"], p["code"]) for p in err["problems"]] == [
        ("[0].x", "unknown_key"), ("[0].unit", "invalid_type"), ("[0].event", "invalid_choice"),
        ("[0].year", "invalid_type"), ("[0].level", "missing"),
        ("[1].year", "out_of_range"), ("[2].level", "invalid_choice"), ("[3].ruleset", "no_cycle"),
        ("[4]", "invalid_type")]
    assert err["problems"][5]["message"]["en"] == "2010 is before the first cycle, which starts in 2017"
    assert error_of(c.post("/v1/titles", json=[]))["code"] == "invalid_titles"
    assert error_of(post(c, "/v1/titles", b"{oops"))["code"] == "malformed_body"
    assert error_of(c.get("/v1/titles?year=2023"))["problems"][0]["field"] == "query.ruleset"
    assert error_of(c.get("/v1/titles?ruleset=liunan-2023"))["code"] == "no_cycle"
    assert error_of(c.get("/v1/titles?ruleset=nope"))["code"] == "ruleset_not_found"
    assert error_of(c.get("/v1/titles?ruleset=wuhan-2017&year=2010"))["problems"][0]["field"] == "query.year"
    assert error_of(c.get("/v1/titles?ruleset=wuhan-2017&year=2023&level=x"))["problems"][0]["field"] == "query.level"


def test_titles_are_append_only(c: Any) -> None:
    c.post("/v1/titles", json=award("1", 2021))
    store = store_of(c)
    for statement in ("UPDATE titles SET year = 2022", "DELETE FROM titles"):
        with pytest.raises(sa.exc.DBAPIError, match="titles are append-only"), store.engine.begin() as conn:
            conn.exec_driver_sql(statement)
    assert [t["year"] for t in titles.find(store)] == [2021]


# ---------------------------------------------------------------------------
# the veto "revoked in the previous cycle", filled in from the store


def test_a_unit_without_the_value_gets_it_from_its_titles_and_the_record_says_so(c: Any) -> None:
    c.post("/v1/titles", json=[award("420106003", 2021), revocation("420106003", 2021)])
    doc = street()
    resp = evaluate(c, doc)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    filled = body.pop("filled")
    meta = body.pop("assessment")
    assert body == library(doc, title_revoked_previous_cycle=True)  # as if it had been given
    assert body["eligible"] is False
    (veto,) = [v for v in body["vetoes"] if v["id"] == "revoked_previous_cycle"]
    assert veto["holds"] is True and veto["inputs"] == {"title_revoked_previous_cycle": True}
    assert filled == {"title_revoked_previous_cycle": {
        "value": True, "source": "titles", "unit": "420106003", "year": 2023, "previous_cycle": [2020, 2022],
        "titles": [1, 2], "revoked": [1],
        "reason": {"zh": "取自称号记录：上一周期（2020—2022）称号被撤销（称号 1）。",
                   "en": "from the titles recorded: a title was revoked in the previous cycle (2020–2022) (title 1)."}}}
    rec = c.get(f"/v1/assessments/{meta['id']}").json()
    assert rec["filled"] == filled and rec["data"]["title_revoked_previous_cycle"] is True
    # in 2026 the revocation is two cycles back: may apply again
    later = evaluate(c, street(on="2026-08-31"), "?record=false&lang=en").json()
    assert later["filled"]["title_revoked_previous_cycle"]["value"] is False and later["eligible"] is True


def test_a_unit_with_no_titles_was_not_revoked_and_a_value_given_is_kept(c: Any) -> None:
    body = evaluate(c, street("420199001"), "?view=compact&lang=zh").json()
    assert body["eligible"] is True
    assert body["filled"]["title_revoked_previous_cycle"]["reason"] == \
        "取自称号记录：该单位没有称号记录，上一周期（2020—2022）未被撤销称号。"
    c.post("/v1/titles", json=[award("420106003", 2021), revocation("420106003", 2021)])
    given = evaluate(c, street(title_revoked_previous_cycle=False)).json()
    assert "filled" not in given and given["eligible"] is True  # the unit's own value stands
    # no code: nothing to look up, the veto is undecided as the library leaves it
    anonymous = evaluate(c, street(None), "?record=false").json()
    assert "filled" not in anonymous and anonymous["eligible"] is None
    assert anonymous == {**library(street(None)), "assessment": None}
    # a rule set without the veto is never filled
    doc, _, _ = read_toml(ROOT / "examples" / "data" / "liunan-2023-liunan.toml")
    assert "filled" not in post(c, "/v1/rulesets/liunan-2023/evaluate", exact.dumps(doc).encode()).json()
    gaps = post(c, "/v1/rulesets/wuhan-2017/gaps?record=false", exact.dumps(street()).encode()).json()
    assert gaps["filled"]["title_revoked_previous_cycle"]["value"] is True


def test_a_workbook_with_its_unit_s_code_is_filled_in_too(c: Any, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = tmp_path / "street.xlsx"
    assert main(["template", WH, "--tier", "street", "-o", str(book)]) == 0
    wb = openpyxl.load_workbook(book)
    assert wb["说明"]["A9"].value == "on"
    wb["说明"]["B9"] = "2020-08-31"  # the date of the assessment
    wb.save(book)
    c.post("/v1/titles", json=[award("420106003", 2017), revocation("420106003", 2018)])
    upload = {"file": ("street.xlsx", book.read_bytes(), "application/octet-stream")}
    resp = c.post("/v1/rulesets/wuhan-2017/evaluate/workbook?code=420106003&view=compact&lang=en", files=upload)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["input"]["context"] == {"code": "420106003"}
    assert body["input"]["data"]["title_revoked_previous_cycle"] is True  # 2018 is in 2017–2019; scored in 2020
    assert body["filled"]["title_revoked_previous_cycle"]["previous_cycle"] == [2017, 2019]
    assert body["filled"]["title_revoked_previous_cycle"]["year"] == 2020
    (veto,) = [v for v in body["vetoes"] if v["id"] == "revoked_previous_cycle"]
    assert veto["holds"] is True
    # a workbook names its units, not their codes: without code= nothing is looked up
    plain = c.post("/v1/rulesets/wuhan-2017/evaluate/workbook?record=false", files=upload).json()
    assert "filled" not in plain


def test_a_store_that_cannot_be_read_scores_nothing(c: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from fuac.serve.store import StoreError

    def down(*_a: Any, **_k: Any) -> Any:
        raise StoreError("the assessment store x cannot be read: connection refused")

    monkeypatch.setattr(titles, "find", down)
    resp = evaluate(c, street())
    assert resp.status_code == 503 and error_of(resp)["code"] == "store_unavailable"
    monkeypatch.undo()
    assert store_of(c).count() == 0


# ---------------------------------------------------------------------------
# the store: migrated from 0001, and fuac titles


def test_a_store_of_revision_0001_is_upgraded_with_its_records(url: str) -> None:  # noqa: F811
    old = Store(url, migrate=False)
    with old.engine.begin() as conn:
        migrations.upgrade(conn, "0001")
        conn.exec_driver_sql(
            "INSERT INTO assessments (recorded_at, submitted_by, source, ruleset_id, ruleset_version, content_hash, "
            "chain, on_date, data, entries, context, complete, vetoed, result) VALUES ('2026-11-20 08:00:00', 'a', "
            "'api', 'liunan-2023', '1.0', 'sha256:x', '[]', '2023-11-30', '{}', '{}', '{}', false, false, '{}')")
    old.close()
    store = Store(url)
    try:
        assert store.revision() == "0002"
        rec = store.get(1)
        assert rec is not None and rec["submitted_by"] == "a" and rec["filled"] is None
        assert titles.find(store) == []
    finally:
        store.close()


def test_fuac_titles_imports_a_history_and_reads_the_store(url: str, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert main(["titles", WH, str(HISTORY), "--year", "2023", "--json"]) == 0
    from_csv = json.loads(capsys.readouterr().out)
    assert main(["titles", WH, str(HISTORY), "--import", "--db", url, "--year", "2023", "--json"]) == 0
    out, err = capsys.readouterr()
    assert err.startswith(f"11 title event(s) from {HISTORY} recorded in ")
    imported = json.loads(out)
    assert main(["titles", WH, "--from-store", "--db", url, "--year", "2023", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == imported
    strip = [{k: v for k, v in u.items() if k != "rows"} for u in from_csv["units"]]
    assert [{k: v for k, v in u.items() if k != "rows"} for u in imported["units"]] == strip
    # the same history again: every award is there already; nothing is recorded
    assert main(["titles", WH, str(HISTORY), "--import", "--db", url, "--year", "2023"]) == 2
    assert capsys.readouterr().err == (
        f"fuac: {HISTORY}: row 2: unit 420103001 already has a municipal award of wuhan-2017 in the cycle from "
        "2017; nothing was recorded\n")
    store = Store(url)
    try:
        assert len(titles.find(store)) == 11
        assert [t["event"] for t in titles.find(store, unit="420106003")] == ["award", "revocation"]
    finally:
        store.close()


def test_fuac_titles_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "t.sqlite3")
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,year,level\n1,2018,municipal\n2,2010,municipal\n", encoding="utf-8")
    assert main(["titles", WH, str(bad), "--import", "--db", db, "--year", "2023"]) == 2
    assert capsys.readouterr().err == ("fuac: the history has errors, nothing was recorded: row 3, column 'year': "
                                       "2010 is before the first cycle, which starts in 2017\n")
    assert main(["titles", WH, "--year", "2023"]) == 2
    assert "give the history file, or --from-store" in capsys.readouterr().err
    assert main(["titles", WH, str(HISTORY), "--from-store", "--db", db, "--year", "2023"]) == 2
    assert capsys.readouterr().err == "fuac: --from-store reads the store: give no history file\n"
    assert main(["titles", WH, "--import", "--db", db, "--year", "2023"]) == 2
    assert capsys.readouterr().err == "fuac: --import needs the history file to record\n"
    store = Store(db)
    assert titles.find(store) == []
    store.close()


# a batch and a ranking: the titles of all their units read from the store at once


def _three_streets() -> tuple[bytes, list[dict[str, Any]]]:
    """Three units as JSON Lines: one revoked last cycle in the store, one giving the value itself
    (False, against the store's revocation: kept), one with no titles; and the values by hand."""
    units = [street("420106003"), street("420106004"), street("420199001")]
    units[1]["data"]["title_revoked_previous_cycle"] = False
    body = "".join(exact.dumps({k: u[k] for k in ("data", "context", "assessments")}) + "\n" for u in units)
    return body.encode(), units


def _titles_for_batch(c: Any) -> None:
    done = c.post("/v1/titles", json=[award("420106003", 2021), revocation("420106003", 2021),
                                      award("420106004", 2020), revocation("420106004", 2022)])
    assert done.status_code == 201, done.text


def test_a_batch_fills_in_each_unit_s_titles_and_says_so(c: Any) -> None:
    _titles_for_batch(c)
    body, units = _three_streets()
    resp = post(c, f"/v1/rulesets/{WH}/batch?on=2023-08-31&tier=street", body, "application/x-ndjson")
    assert resp.status_code == 200, resp.text
    lines = [json.loads(x) for x in resp.text.splitlines()]
    by_hand = [True, False, False]
    for line, unit, value in zip(lines, units, by_hand, strict=True):
        assert line["vetoed"] == library(unit, title_revoked_previous_cycle=value)["vetoed"]
    assert [line["vetoed"] for line in lines] == [True, False, False]
    assert lines[0]["filled"]["title_revoked_previous_cycle"]["revoked"] == [1]
    assert lines[0]["filled"]["title_revoked_previous_cycle"]["source"] == "titles"
    assert "filled" not in lines[1]  # its own value stands
    assert lines[2]["filled"]["title_revoked_previous_cycle"]["titles"] == []
    rec = c.get(f"/v1/assessments/{lines[0]['assessment']}").json()
    assert rec["data"]["title_revoked_previous_cycle"] is True and rec["filled"] == lines[0]["filled"]


def test_the_titles_of_a_batch_are_read_once(c: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _titles_for_batch(c)
    reads = []
    real = titles.find
    monkeypatch.setattr(titles, "find", lambda *a, **kw: reads.append(kw) or real(*a, **kw))
    body, _ = _three_streets()
    resp = post(c, f"/v1/rulesets/{WH}/batch?on=2023-08-31&tier=street&record=false", body, "application/x-ndjson")
    assert resp.status_code == 200 and len(resp.text.splitlines()) == 3
    assert len(reads) == 1 and "unit" not in reads[0]


def test_a_ranking_fills_in_the_titles_and_says_so(c: Any) -> None:
    _titles_for_batch(c)
    body, units = _three_streets()
    resp = post(c, f"/v1/rulesets/{WH}/rank?on=2023-08-31&tier=street&lang=en", body, "application/x-ndjson")
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert [f["row"] for f in out["filled"]] == [1, 3]
    assert [f["title_revoked_previous_cycle"]["value"] for f in out["filled"]] == [True, False]
    first = c.get(f"/v1/assessments/{out['assessments'][0]}").json()
    assert first["vetoed"] is library(units[0], title_revoked_previous_cycle=True)["vetoed"] is True


def test_a_batch_says_how_far_it_has_got_when_asked(c: Any) -> None:
    from fuac.serve import app as app_module

    body, _ = _three_streets()
    plain = post(c, f"/v1/rulesets/{WH}/batch?on=2023-08-31&tier=street&record=false", body,
                 "application/x-ndjson").text.splitlines()
    assert not any("progress" in json.loads(x) for x in plain)  # only when asked
    old = app_module.BATCH_CHUNK
    app_module.BATCH_CHUNK = 2
    try:
        resp = post(c, f"/v1/rulesets/{WH}/batch?on=2023-08-31&tier=street&record=false&progress=true", body,
                    "application/x-ndjson")
    finally:
        app_module.BATCH_CHUNK = old
    lines = [json.loads(x) for x in resp.text.splitlines()]
    assert [x.get("row") or x["progress"] for x in lines] == [
        1, 2, {"rows": 2, "total": None, "done": False}, 3, {"rows": 3, "total": None, "done": False},
        {"rows": 3, "total": 3, "done": True}]
