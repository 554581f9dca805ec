"""``fuac serve`` as it runs: the app in-process (FastAPI's TestClient), and the real command on a
loopback port (uvicorn, in a subprocess), stopped and started again on the same record.

Each answer is compared with what the library gives for the same unit: the service re-derives
nothing, so a result through HTTP is ``Evaluation.to_dict()`` itself.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("fastapi_offline")
pytest.importorskip("sqlalchemy")
pytest.importorskip("uvicorn")
pytest.importorskip("httpx")

with warnings.catch_warnings():  # Starlette asks for httpx2 over httpx; either works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

import fuac
from fuac.cli import main
from fuac.language.toml import read_toml
from fuac.serve import exact
from fuac.serve.app import Settings, create_app
from fuac.serve.security import TokenError, Tokens
from fuac.serve.store import Store

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "data" / "liunan-2023-liunan.toml"
EVALUATE = "/v1/rulesets/liunan-2023/evaluate"
TOKEN = "s3cret-token-for-alice-0123456789"


def example() -> dict[str, Any]:
    doc, _, _ = read_toml(EXAMPLE)
    return doc


def example_json() -> bytes:
    return exact.dumps(example()).encode("utf-8")


def library_result() -> dict[str, Any]:
    doc = example()
    ev = fuac.evaluate("liunan-2023", doc["data"], context=doc["context"], assessments=doc["assessments"],
                       on=doc["on"])
    return ev.to_dict()


def client(tmp_path: Path, **settings: Any) -> TestClient:
    app = create_app(Settings(db=str(tmp_path / "record.sqlite3"), **settings))
    return TestClient(app, raise_server_exceptions=False)


def store_of(c: TestClient) -> Store:
    found: Store = c.app.state.store  # type: ignore[attr-defined]
    return found


def post(c: TestClient, url: str, body: bytes, ctype: str = "application/json", **kw: Any) -> Any:
    return c.post(url, content=body, headers={"content-type": ctype, **kw.pop("headers", {})}, **kw)


def error_of(resp: Any) -> dict[str, Any]:
    """The one JSON error of an answer, checked for its shape."""
    body = resp.json()
    assert list(body) == ["error"], body
    err = body["error"]
    assert err["status"] == resp.status_code
    assert set(err["message"]) == {"zh", "en"} and err["message"]["zh"] and err["message"]["en"]
    assert "Traceback" not in resp.text
    return err  # type: ignore[no-any-return]


@pytest.fixture
def c(tmp_path: Path) -> Iterator[TestClient]:
    with client(tmp_path) as tc:
        yield tc


# ---------------------------------------------------------------------------
# one unit


def test_the_example_scores_86_1_as_the_library_and_the_command_do(
        c: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    resp = post(c, EVALUATE, example_json())
    assert resp.status_code == 200
    body = resp.json()
    assert body["total"] == "86.1" and body["total_exact"] == "86.1" and body["max_total"] == "100"
    meta = body.pop("assessment")
    assert body == library_result()
    assert main(["evaluate", "liunan-2023", str(EXAMPLE), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == body
    # and the record is in the database
    assert meta["id"] == 1 and meta["submitted_by"] == "anonymous" and meta["revises"] is None
    assert resp.headers["location"] == "/v1/assessments/1"
    rec = store_of(c).get(1)
    assert rec is not None
    assert rec["result"] == body and rec["total"] == "86.1"
    assert rec["unit"] == {"code": "450204", "name": "柳州市柳南区"}
    assert rec["ruleset"]["content_hash"] == fuac.load("liunan-2023").content_hash
    assert rec["on"] == "2023-11-30" and rec["assessments"]["1"]["points"] == 7
    assert rec["data"]["infant_mortality_rate"] == Decimal("2.36")


def test_toml_body_compact_view_and_one_language(c: TestClient) -> None:
    resp = post(c, EVALUATE + "?view=compact&lang=en", EXAMPLE.read_bytes(), "application/toml")
    assert resp.status_code == 200
    body = resp.json()
    assert body["total"] == "86.1" and "items" not in body
    assert [s["points"] for s in body["sections"]] == ["16", "13.5", "20", "11.6", "8", "12", "5"]
    assert body["vetoes"][0]["reason"] == "Major safety accident in the last three years: did not occur, no veto."
    assert body["sections"][0]["title"] == "Strong organisation and leadership"
    zh = post(c, EVALUATE + "?view=compact&lang=zh&record=false", example_json()).json()
    assert zh["sections"][0]["title"] == "组织领导保障有力" and zh["assessment"] is None
    assert store_of(c).count() == 1  # record=false kept nothing


def test_a_missing_value_scores_what_it_can_and_is_recorded(c: TestClient) -> None:
    doc = example()
    del doc["data"]["policy_satisfaction_rate"]
    resp = post(c, EVALUATE, exact.dumps(doc).encode())
    assert resp.status_code == 200
    body = resp.json()
    assert body["complete"] is False and body["total"] == "84.6"  # 86.1 less item 35's 1.5, not scored
    ev = fuac.evaluate("liunan-2023", doc["data"], context=doc["context"], assessments=doc["assessments"],
                       on=doc["on"])
    assert {k: v for k, v in body.items() if k != "assessment"} == ev.to_dict()
    assert [p["field"] for p in body["problems"]] == ["policy_satisfaction_rate"]
    assert body["assessment"]["id"] == 1


def test_a_bad_value_is_422_naming_the_field_in_both_languages(c: TestClient) -> None:
    doc = example()
    doc["data"]["registered_childcare_institutions"] = "seven"
    doc["data"]["childcare_places_per_1000"] = -3
    resp = post(c, EVALUATE, exact.dumps(doc).encode())
    assert resp.status_code == 422
    err = error_of(resp)
    assert err["code"] == "invalid_input"
    assert err["message"]["en"].startswith("2 value(s) rejected: registered_childcare_institutions, "
                                           "childcare_places_per_1000 — ")
    assert err["message"]["zh"].startswith("2 个取值无效：registered_childcare_institutions, childcare_places_per_1000")
    bad = {p["field"]: p for p in err["problems"]}
    assert bad["registered_childcare_institutions"]["message"] == {
        "zh": "辖区内备案托育机构数：应为数值，实际为 'seven'",
        "en": "Registered childcare institutions in the district: expected a number, got 'seven'"}
    assert bad["childcare_places_per_1000"]["code"] == "out_of_range"
    assert store_of(c).count() == 0  # a request that fails records nothing


@pytest.mark.parametrize(("body", "ctype", "status", "code", "field"), [
    (b'{"data": {"registered_childcare_institutions": 7', "application/json", 400, "malformed_body", "body"),
    (b"", "application/json", 400, "malformed_body", "body"),
    (b"data = [", "application/toml", 400, "malformed_body", "body"),
    (b"[1, 2]", "application/json", 422, "invalid_type", "body"),
    (b'{"data": [1], "context": "x"}', "application/json", 422, "invalid_body", "data"),
    (b'{"data": {}, "on": "30/11/2023", "colour": 1}', "application/json", 422, "invalid_body", "colour"),
    (b'{"data": {}, "tier": "village"}', "application/json", 422, "tier_not_found", "tier"),
    (b"a,b\n1,2\n", "text/csv", 415, "unsupported_media_type", "content-type"),
])
def test_bad_requests_are_one_json_error(c: TestClient, body: bytes, ctype: str, status: int, code: str,
                                         field: str) -> None:
    resp = post(c, EVALUATE, body, ctype)
    assert resp.status_code == status, resp.text
    err = error_of(resp)
    assert err["code"] == code
    assert field in [p["field"] for p in err["problems"]]
    assert store_of(c).count() == 0


def test_every_wrong_field_is_named(c: TestClient) -> None:
    err = error_of(post(c, EVALUATE, b'{"data": {}, "on": "30/11/2023", "colour": 1, "assessor": 5}'))
    assert [p["field"] for p in err["problems"]] == ["colour", "assessor", "on"]
    on = err["problems"][2]["message"]
    assert on["en"] == "on must be a date (a datetime.date or a text YYYY-MM-DD), not '30/11/2023'"
    assert on["zh"] == "应为日期 YYYY-MM-DD，实际为 '30/11/2023'"


def test_an_unknown_rule_set_is_404_and_no_path_is_read(c: TestClient) -> None:
    for name in ("liunan-2099", "pyproject.toml", str(ROOT / "src" / "fuac" / "rulesets" / "liunan-2023.toml")):
        resp = post(c, f"/v1/rulesets/{urllib.parse.quote(name, safe='')}/evaluate", example_json())
        assert resp.status_code == 404, name
        err = error_of(resp)  # a rule file's path is not a rule set's id here; a path with / is no route
        assert err["code"] in ("ruleset_not_found", "not_found")
    err = error_of(post(c, "/v1/rulesets/pyproject.toml/evaluate", example_json()))
    assert err["code"] == "ruleset_not_found" and err["problems"][0]["field"] == "ruleset"
    err = error_of(post(c, "/v1/rulesets/liunan-2099/evaluate", example_json()))
    assert err["message"] == {"zh": "没有编号为 liunan-2099 的评分规则；可用的评分规则见 GET /v1/rulesets",
                              "en": "no rule set 'liunan-2099'; GET /v1/rulesets lists them"}
    assert error_of(c.get("/v1/rulesets/liunan-2099"))["code"] == "ruleset_not_found"


def test_a_body_too_large_is_413_declared_or_streamed(tmp_path: Path) -> None:
    with client(tmp_path, max_body=4096) as tc:
        big = b'{"data": {"x": "' + b"a" * 5000 + b'"}}'
        resp = post(tc, EVALUATE, big)
        assert resp.status_code == 413
        assert error_of(resp)["message"]["en"] == "the request body is larger than 4,096 bytes"

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            for _ in range(10):
                yield b" " * 1000

        resp = tc.post(EVALUATE, content=chunks(), headers={"content-type": "application/json"})
        assert resp.status_code == 413 and error_of(resp)["code"] == "body_too_large"
        # a batch has its own, larger limit: two units in JSON Lines (about 9 KB) pass
        lines = batch_lines()
        assert len(lines) > 4096
        resp = post(tc, "/v1/rulesets/liunan-2023/batch?record=false", lines, "application/x-ndjson")
        assert resp.status_code == 200 and len(resp.text.splitlines()) == 2
        assert store_of(tc).count() == 0


def test_revisions(c: TestClient) -> None:
    assert post(c, EVALUATE, example_json()).json()["assessment"]["id"] == 1
    second = post(c, EVALUATE + "?revises=1", example_json()).json()["assessment"]
    assert second["id"] == 2 and second["revises"] == 1
    assert c.get("/v1/assessments/2").json()["revises"] == 1
    resp = post(c, EVALUATE + "?revises=7", example_json())
    assert resp.status_code == 422
    err = error_of(resp)
    assert err["problems"][0]["field"] == "revises"
    assert err["message"] == {"zh": "revises：没有编号为 7 的评估记录", "en": "revises: there is no assessment 7"}
    assert store_of(c).count() == 2


def test_a_store_that_fails_is_503_and_keeps_nothing(c: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlalchemy as sa

    real = Store._insert

    def insert_then_fail(self: Store, conn: Any, fields: Any) -> int:
        real(self, conn, fields)
        raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(Store, "_insert", insert_then_fail)
    resp = post(c, EVALUATE, example_json())
    assert resp.status_code == 503
    err = error_of(resp)
    assert err["code"] == "store_unavailable"
    assert err["message"]["en"] == "the assessment store cannot be written: nothing was recorded; try again later"
    monkeypatch.undo()
    assert store_of(c).count() == 0


def test_an_unexpected_failure_is_500_without_a_traceback(c: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from fuac.serve import app as app_module

    def broken(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(app_module, "_evaluate", broken)
    resp = post(c, EVALUATE, example_json())
    assert resp.status_code == 500
    assert error_of(resp)["code"] == "internal_error" and "secret internals" not in resp.text


def test_routes_and_parameters_that_do_not_exist(c: TestClient) -> None:
    assert error_of(c.get("/v1/nothing"))["code"] == "not_found"
    assert error_of(c.get(EVALUATE))["code"] == "method_not_allowed"
    err = error_of(post(c, EVALUATE + "?view=everything&lang=fr", example_json()))
    assert err["code"] == "invalid_parameter"
    assert [p["field"] for p in err["problems"]] == ["query.view", "query.lang"]


# ---------------------------------------------------------------------------
# tokens


def test_tokens_name_the_submitter_and_are_never_kept(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with client(tmp_path, tokens=Tokens({TOKEN: "alice"})) as tc:
        assert error_of(post(tc, EVALUATE, example_json()))["code"] == "unauthorized"
        resp = post(tc, EVALUATE, example_json(), headers={"authorization": "Bearer wrong-token-0000000000"})
        assert resp.status_code == 401 and resp.headers["www-authenticate"] == "Bearer"
        assert tc.get("/v1/assessments").status_code == 401
        resp = post(tc, EVALUATE, example_json(), headers={"authorization": f"Bearer {TOKEN}"})
        assert resp.status_code == 200 and resp.json()["assessment"]["submitted_by"] == "alice"
        assert tc.get("/v1/health").status_code == 200  # health needs no token
        assert store_of(tc).get(1)["submitted_by"] == "alice"  # type: ignore[index]
    assert TOKEN.encode() not in (tmp_path / "record.sqlite3").read_bytes()
    assert TOKEN not in caplog.text


def test_token_lists(tmp_path: Path) -> None:
    f = tmp_path / "tokens.txt"
    f.write_text(f"# who may submit\nalice:{TOKEN}\n\nbob : another-token-of-bob-123\n", encoding="utf-8")
    tokens = Tokens.load(f, env={"FUAC_TOKENS": "carol:carol-token-000000000"})
    assert tokens.names == ["alice", "bob", "carol"]
    assert tokens.who("Bearer another-token-of-bob-123") == "bob"
    assert Tokens.load(env={}).who(None) == "anonymous"
    f.write_text("alice:short\n", encoding="utf-8")
    with pytest.raises(TokenError) as info:
        Tokens.load(f, env={})
    assert str(info.value) == (f"tokens file {f}, line 1: the token of 'alice' must be at least 16 characters, "
                               "without spaces")
    with pytest.raises(TokenError, match=r"\$FUAC_TOKENS, entry 2: the token of 'b' is also the token of 'a'"):
        Tokens.load(env={"FUAC_TOKENS": f"a:{TOKEN},b:{TOKEN}"})


# ---------------------------------------------------------------------------
# the rule sets, gaps, the score sheet


def test_rule_sets_their_schema_and_where_they_apply(c: TestClient) -> None:
    listed = c.get("/v1/rulesets").json()["rulesets"]
    assert [r["id"] for r in listed] == fuac.rulesets()
    liunan = c.get("/v1/rulesets/liunan-2023?lang=zh").json()
    assert liunan["content_hash"] == fuac.load("liunan-2023").content_hash
    (plan,) = liunan["plans"]
    assert plan["total"] == "100" and len(plan["sections"]) == 7
    items = {i["id"]: i for s in plan["sections"] for i in s["items"]}
    assert len(items) == 35 and plan["sections"][0]["title"] == "组织领导保障有力"
    assert items["16"]["kind"] == "veto" and items["14"]["max"] == "4" and items["2"]["kind"] == "parts"
    assert [p["key"] for p in items["2"]["parts"]] == ["2.a", "2.b"]
    wuhan = c.get("/v1/rulesets/wuhan-2017").json()
    assert [p["tier"] for p in wuhan["plans"]] == ["district", "street", "village"]
    assert all(p["vetoes"] for p in wuhan["plans"])
    assert c.get("/v1/rulesets/wuhan-2017/schema?tier=street").json() == fuac.input_schema("wuhan-2017", tier="street")
    assert error_of(c.get("/v1/rulesets/wuhan-2017/schema?tier=county"))["code"] == "tier_not_found"
    found = c.get("/v1/applicable?code=420102003&level=township").json()["rulesets"]
    assert [(a["id"], a["tier"]) for a in found] == [("wuhan-2017", "street")]
    assert error_of(c.get("/v1/applicable?code=420102003&on=yesterday"))["problems"][0]["field"] == "on"


def test_gaps_are_the_library_s(c: TestClient) -> None:
    doc = example()
    ev = fuac.evaluate("liunan-2023", doc["data"], context=doc["context"], assessments=doc["assessments"],
                       on=doc["on"])
    resp = post(c, "/v1/rulesets/liunan-2023/gaps", example_json())
    assert resp.status_code == 200
    body = resp.json()
    assert body.pop("assessment")["id"] == 1
    assert body == ev.gaps().to_dict()
    text = post(c, "/v1/rulesets/liunan-2023/gaps?format=text&lang=zh&record=false", example_json())
    assert text.text == ev.gaps().render("zh")


def test_the_score_sheet_as_html_and_xlsx(c: TestClient) -> None:
    html = post(c, "/v1/rulesets/liunan-2023/sheet", example_json())
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "柳州市柳南区" in html.text and "86.1" in html.text and html.headers["x-fuac-assessment"] == "1"
    openpyxl = pytest.importorskip("openpyxl")
    xlsx = post(c, "/v1/rulesets/liunan-2023/sheet?format=xlsx&lang=en", example_json())
    assert xlsx.status_code == 200
    assert xlsx.headers["content-disposition"] == 'attachment; filename="liunan-2023-score-sheet.xlsx"'
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.content), data_only=True)  # the total: a formula's value
    cells = [str(v) for row in wb.active.iter_rows(values_only=True) for v in row if v is not None]
    assert any("86.1" in v for v in cells)


# ---------------------------------------------------------------------------
# a batch


def batch_lines() -> bytes:
    doc = example()
    good = {"data": doc["data"], "context": doc["context"], "assessments": doc["assessments"]}
    bad = {"data": {**doc["data"], "leave_complaints": "many"}, "context": {"name": "坏单位", "code": "450299"}}
    return (exact.dumps(good) + "\n" + exact.dumps(bad) + "\n").encode()


def test_a_batch_of_json_lines_comes_back_row_by_row(c: TestClient) -> None:
    resp = post(c, "/v1/rulesets/liunan-2023/batch?on=2023-11-30", batch_lines(), "application/x-ndjson")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(x) for x in resp.text.splitlines()]
    assert [r["row"] for r in rows] == [1, 2]
    assert rows[0]["total"] == "86.1" and rows[0]["total_exact"] == "86.1" and rows[0]["status"] == "scored"
    assert rows[0]["assessment"] == 1
    assert rows[1]["status"] == "invalid_input" and rows[1]["assessment"] is None
    assert "leave_complaints" in rows[1]["errors"]
    rec = store_of(c).get(1)
    assert rec is not None and rec["source"] == "api-batch" and rec["result"] == library_result()
    assert store_of(c).count() == 1


def test_a_batch_upload_of_a_csv_file(c: TestClient) -> None:
    data = example()["data"]
    plain = {k: v for k, v in data.items() if not isinstance(v, dict)}
    header = ["name", "code", *plain]
    line = ["柳南区", "450204", *("是" if v is True else "否" if v is False else str(v) for v in plain.values())]
    text = ",".join(header) + "\n" + ",".join(line) + "\n"
    resp = c.post("/v1/rulesets/liunan-2023/batch?on=2023-11-30&record=false",
                  files={"file": ("units.csv", text.encode("utf-8"), "text/csv")})
    assert resp.status_code == 200, resp.text
    (row,) = [json.loads(x) for x in resp.text.splitlines()]
    assert row["name"] == "柳南区" and row["status"] == "missing_input" and "assessment" not in row
    assert store_of(c).count() == 0


@pytest.mark.parametrize(("body", "ctype", "status", "code"), [
    (b'{"data": {}}\n{not json}\n', "application/x-ndjson", 422, "unreadable_input"),
    (b"name,code\n", "application/pdf", 415, "unsupported_media_type"),
])
def test_a_batch_that_cannot_be_read_is_one_json_error(c: TestClient, body: bytes, ctype: str, status: int,
                                                        code: str) -> None:
    resp = post(c, "/v1/rulesets/liunan-2023/batch", body, ctype)
    assert resp.status_code == status, resp.text
    err = error_of(resp)
    assert err["code"] == code and "/tmp" not in resp.text
    assert store_of(c).count() == 0


# ---------------------------------------------------------------------------
# the record, the docs


def test_listing_the_record(c: TestClient) -> None:
    for _ in range(3):
        post(c, EVALUATE, example_json())
    got = c.get("/v1/assessments?unit=450204&ruleset=liunan-2023&limit=2").json()
    assert [r["id"] for r in got["assessments"]] == [1, 2] and got["next"] == 2
    assert "result" not in got["assessments"][0] and got["assessments"][0]["total"] == "86.1"
    assert [r["id"] for r in c.get("/v1/assessments?after=2").json()["assessments"]] == [3]
    assert c.get("/v1/assessments?unit=450205").json() == {"assessments": [], "next": None}
    assert c.get("/v1/assessments?until=2000-01-01").json()["assessments"] == []
    full = c.get("/v1/assessments/3").json()
    assert full["result"]["total"] == "86.1" and full["data"]["infant_mortality_rate"] == 2.36
    assert '"infant_mortality_rate":2.36' in c.get("/v1/assessments/3").text  # the number as given
    assert error_of(c.get("/v1/assessments/9"))["code"] == "assessment_not_found"
    assert error_of(c.get("/v1/assessments?since=soon"))["problems"][0]["field"] == "query.since"


def test_the_openapi_document_and_its_page_need_no_cdn(c: TestClient) -> None:
    paths = c.get("/openapi.json").json()["paths"]
    assert set(paths) == {
        "/v1/health", "/v1/rulesets", "/v1/rulesets/{ruleset_id}", "/v1/rulesets/{ruleset_id}/schema",
        "/v1/rulesets/{ruleset_id}/form", "/v1/rulesets/{ruleset_id}/evaluate/workbook",
        "/v1/applicable", "/v1/rulesets/{ruleset_id}/evaluate", "/v1/rulesets/{ruleset_id}/gaps",
        "/v1/rulesets/{ruleset_id}/sheet", "/v1/rulesets/{ruleset_id}/batch", "/v1/assessments",
        "/v1/assessments/{assessment_id}", "/v1/rulesets/{ruleset_id}/rank", "/v1/diff", "/v1/schema/evaluation",
        "/v1/titles",
    }
    assert "application/json" in paths["/v1/rulesets/{ruleset_id}/evaluate"]["post"]["requestBody"]["content"]
    page = c.get("/docs").text
    assert "cdn." not in page and "https://" not in page.replace("https://fastapi.tiangolo.com", "")
    js = [part.split('"')[0] for part in page.split('src="')[1:]]
    assert js and all(c.get(src).status_code == 200 for src in js)


def test_the_service_page_documents_every_endpoint_and_its_json_parses(c: TestClient) -> None:
    import re

    page = (ROOT / "docs" / "service.md").read_text(encoding="utf-8")
    for path, methods in c.get("/openapi.json").json()["paths"].items():
        for method in methods:
            documented = re.sub(r"\{[a-z_]+\}", "{}", f"`{method.upper()} {path}")
            assert documented in re.sub(r"\{[a-z_]+\}", "{}", page), documented
    blocks = re.findall(r"```json\n(.*?)```", page, re.S)
    assert len(blocks) >= 3
    for block in blocks:
        json.loads(block)


# ---------------------------------------------------------------------------
# the command line: stdin, the extra, import cost


def test_evaluate_reads_the_unit_from_stdin(capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for text in (EXAMPLE.read_text(encoding="utf-8"), example_json().decode()):
        monkeypatch.setattr(sys, "stdin", io.StringIO(text))
        assert main(["evaluate", "liunan-2023", "-", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["total"] == "86.1"
    monkeypatch.setattr(sys, "stdin", io.StringIO("data = [\n"))
    assert main(["evaluate", "liunan-2023", "-"]) == 2
    assert capsys.readouterr().err == "fuac: <stdin>: invalid TOML: Invalid value (at end of document)\n"


def test_serve_without_its_extra_says_what_to_install(capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "fastapi" else real(name, *a))
    assert main(["serve"]) == 2
    assert capsys.readouterr().err == "fuac: fuac serve needs FastAPI: pip install 'fuac[serve]'\n"


def test_importing_fuac_imports_no_part_of_the_service() -> None:
    heavy = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic")
    code = f"import sys, fuac, fuac.cli, fuac.serve; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------
# the real server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def served(db: Path, env: dict[str, str] | None = None, *args: str) -> Iterator[tuple[str, list[str]]]:
    """``fuac serve`` in a subprocess on a free loopback port, until the block ends (then SIGTERM)."""
    port = free_port()
    log = db.parent / f"serve-{port}.log"
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "fuac", "serve", "--port", str(port), "--db", str(db), *args],
                                stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/v1/health", timeout=2) as r:
                    assert json.load(r)["status"] == "ok"
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(log.read_text(encoding="utf-8")) from None
                time.sleep(0.1)
        yield base, lines
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()
        lines.extend(log.read_text(encoding="utf-8").splitlines())


def http(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
         ) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def declared_only(base: str, path: str, length: int) -> tuple[int, dict[str, Any]]:
    """A request that declares a body of ``length`` bytes and sends none: the server answers from the
    declaration. (Sending the body too races the server's early answer: the client may get a broken
    pipe while it is still writing.)"""
    import http.client
    from urllib.parse import urlsplit

    conn = http.client.HTTPConnection(urlsplit(base).netloc, timeout=30)
    try:
        conn.putrequest("POST", path)
        conn.putheader("content-type", "application/json")
        conn.putheader("content-length", str(length))
        conn.endheaders()
        r = conn.getresponse()
        return r.status, json.load(r)
    finally:
        conn.close()


def test_the_real_server_scores_records_and_keeps_the_record_across_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "served.sqlite3"
    with served(db) as (base, log):
        status, body = http("POST", base + EVALUATE, example_json())
        assert status == 200 and body["total"] == "86.1" and body["assessment"]["id"] == 1
        status, body = http("POST", base + EVALUATE, b'{"data": {"leave_complaints": -1}}')
        assert status == 422 and body["error"]["problems"][0]["field"] == "leave_complaints"
        assert body["error"]["problems"][0]["message"]["zh"] == "休假制度投诉人数：-1 低于下限 0"
        status, body = http("POST", base + "/v1/rulesets/nope/evaluate", example_json())
        assert status == 404 and body["error"]["code"] == "ruleset_not_found"
        status, body = http("POST", base + EVALUATE, b"{" * 10 + b"oops")
        assert status == 400 and body["error"]["code"] == "malformed_body"
        status, body = declared_only(base, EVALUATE, 2 << 20)
        assert status == 413 and body["error"]["code"] == "body_too_large"
    assert "record of assessments: " + str(db) in "\n".join(log)
    assert Store(str(db)).get(1)["result"]["total"] == "86.1"  # type: ignore[index]

    with served(db, {"FUAC_TOKENS": f"alice:{TOKEN}"}) as (base, log):
        status, body = http("GET", base + "/v1/assessments/1")
        assert status == 401
        auth = {"authorization": f"Bearer {TOKEN}"}
        status, body = http("GET", base + "/v1/assessments/1", headers=auth)
        assert status == 200 and body["total"] == "86.1" and body["submitted_by"] == "anonymous"
        status, body = http("POST", base + EVALUATE + "?revises=1", example_json(), headers=auth)
        assert status == 200 and body["assessment"] == {**body["assessment"], "id": 2, "revises": 1,
                                                        "submitted_by": "alice"}
    text = "\n".join(log)
    assert "API tokens: 1 (alice)" in text and TOKEN not in text
    assert [r["submitted_by"] for r in Store(str(db)).find()] == ["anonymous", "alice"]


def test_several_workers_share_one_record(tmp_path: Path) -> None:
    db = tmp_path / "workers.sqlite3"
    tokens = tmp_path / "tokens.txt"
    tokens.write_text(f"alice:{TOKEN}\n", encoding="utf-8")
    auth = {"authorization": f"Bearer {TOKEN}"}
    with served(db, None, "--workers", "2", "--tokens", str(tokens)) as (base, log):
        for _ in range(4):
            status, body = http("POST", base + EVALUATE + "?view=compact", example_json(), headers=auth)
            assert status == 200 and body["total"] == "86.1"
        assert http("GET", base + "/v1/assessments")[0] == 401
        status, body = http("GET", base + "/v1/assessments", headers=auth)
        assert [r["id"] for r in body["assessments"]] == [1, 2, 3, 4]
    assert "workers: 2" in "\n".join(log) and TOKEN not in "\n".join(log)
    assert {r["submitted_by"] for r in Store(str(db)).find()} == {"alice"}
