"""The assessor page of ``fuac serve`` (docs/service.md, "The assessor page").

In-process (FastAPI's TestClient): the page and its static files, served by the app, referring to
nothing outside it; the layout of the form; a filled-in workbook scored as the library scores its
data. Then in a real headless Chromium (Playwright, driving Debian's ``/usr/bin/chromium``) against
the real ``fuac serve`` on a loopback port, with an API token: the example unit typed in scores
86.1 as ``fuac.evaluate`` does, a changed value changes its item as the rule says, a rejected value
is shown beside its field, saving records, a workbook fills the form, the score sheet and the
rectification list download, a record opens, and English is one click away.

Without Chromium or Playwright the browser tests are skipped; under CI (``CI=true``) they fail.
"""

from __future__ import annotations

import io
import os
import re
import urllib.request
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("openpyxl")

import openpyxl

import fuac
from fuac.render.workbook import write_template
from fuac.serve import exact
from fuac.serve.page import FILES, STATIC
from test_files import BOMB, XXE
from test_serve import TOKEN, client, error_of, example, served, store_of

WORKBOOK = "/v1/rulesets/liunan-2023/evaluate/workbook"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def library(data: dict[str, Any] | None = None, **kw: Any) -> fuac.Evaluation:
    """``fuac.evaluate`` on the example unit (its data replaced by ``data`` when given)."""
    doc = example()
    kw.setdefault("context", doc["context"])
    return fuac.evaluate("liunan-2023", data if data is not None else doc["data"], assessments=doc["assessments"],
                         on=doc["on"], **kw)


def cell(v: Any) -> Any:
    """A value as an assessor types it into Excel: 是/否, a number."""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def filled_workbook(path: Path, data: dict[str, Any] | None = None, units: tuple[str, ...] = ()) -> Path:
    """``fuac template liunan-2023`` filled in through openpyxl with the example unit (or ``data``)."""
    doc = example()
    data = doc["data"] if data is None else data
    write_template("liunan-2023", path, units=units)
    wb = openpyxl.load_workbook(path)
    rows = {ws.title: {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)} for ws in wb}
    for key, v in data.items():
        if isinstance(v, dict):  # a reference value, with its source
            wb["参考值"].cell(rows["参考值"][key], 5, cell(v["value"]))
            wb["参考值"].cell(rows["参考值"][key], 6, v["source"])
        else:
            wb["指标"].cell(rows["指标"][key], 8, cell(v))
    for key, e in doc["assessments"].items():
        for col, v in enumerate((e["points"], e["rationale"], e["assessor"]), start=6):
            wb["评估打分"].cell(rows["评估打分"][key], col, cell(v))
    wb["说明"].cell(rows["说明"]["on"], 2, "2023-11-30")
    wb.save(path)
    return path


@pytest.fixture
def c(tmp_path: Path) -> Iterator[Any]:
    with client(tmp_path) as tc:
        yield tc


# ---------------------------------------------------------------------------
# in-process: the page's files, the layout of its form, a workbook


def test_the_page_and_its_files_come_from_the_app_alone(c: Any) -> None:
    page = c.get("/")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    csp = page.headers["content-security-policy"]
    assert csp.startswith("default-src 'self';") and "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.text == (STATIC / "page.html").read_text(encoding="utf-8")
    assert re.findall(r'<script src="([^"]+)"', page.text) == ["page/page.js"]
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.text) == ["page/page.css"]
    assert "<script>" not in page.text and "style=" not in page.text  # nothing inline: the CSP allows none
    for name, kind in (("page.js", "text/javascript; charset=utf-8"), ("page.css", "text/css; charset=utf-8")):
        got = c.get(f"/page/{name}")
        assert got.status_code == 200 and got.headers["content-type"] == kind and got.content
        assert got.headers["content-security-policy"] == csp
    for name in FILES:  # no address outside the app, in any of its files
        text = (STATIC / name).read_text(encoding="utf-8")
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import", text, re.I), name
    assert "url(" not in (STATIC / "page.css").read_text(encoding="utf-8")  # no font, no image
    assert c.head("/").status_code == 200
    assert error_of(c.get("/page/other.js"))["code"] == "not_found"
    assert error_of(c.get("/page/..%2Fapp.py"))["code"] == "not_found"
    assert "/" not in c.get("/openapi.json").json()["paths"]


def test_the_page_needs_no_token_and_the_api_still_does(tmp_path: Path) -> None:
    from fuac.serve.security import Tokens

    with client(tmp_path, tokens=Tokens({TOKEN: "alice"})) as tc:
        assert tc.get("/").status_code == 200 and tc.get("/page/page.js").status_code == 200
        assert error_of(tc.get("/v1/rulesets"))["code"] == "unauthorized"
        assert tc.get("/v1/rulesets", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_the_form_layout_places_every_input_once_under_the_item_that_reads_it(c: Any) -> None:
    for rid in fuac.rulesets():
        for tier in fuac.load(rid).tiers:
            q = f"?tier={tier}" if tier else ""
            layout = c.get(f"/v1/rulesets/{rid}/form{q}").json()
            placed = [f["name"] for s in layout["sections"] for it in s["items"] for f in it["fields"]]
            placed += [f["name"] for cond in layout["conditions"] for f in cond["fields"]]
            schema = c.get(f"/v1/rulesets/{rid}/schema{q}").json()
            assert sorted(placed) == sorted(schema["properties"]), (rid, tier)
    layout = c.get("/v1/rulesets/liunan-2023/form?lang=zh").json()
    items = {it["id"]: it for s in layout["sections"] for it in s["items"]}
    assert [s["title"] for s in layout["sections"]][:2] == ["组织领导保障有力", "人口服务体系健全"]
    assert [f["name"] for f in items["29"]["fields"]] == ["community_infant_activity_site_rate",
                                                          "maternal_infant_facility_rate"]
    assert items["29"]["fields"][0]["clause"] == items["29"]["clause"] and items["29"]["clause"].startswith("29.")
    first = items["2"]["fields"][0]  # read by part a: that part's clause
    assert first["name"] == "leading_group_established"
    assert first["clause"] == ("坚持一把手亲自抓、负总责，建立优化生育政策工作领导小组（或联席会议制度），"
                               "有相关文件得2分，否则不得分")
    assert [(e["key"], e["form"], e["min"], e["max"]) for e in items["12"]["entries"]] == [
        ("12.a", "points", "0", "3"), ("12.b", "points", "0", "2")]
    assert items["12"]["entries"][0]["full_when"] == "childcare_centre_project_evidence"
    assert items["1"]["entries"][0]["full_when"] is None and items["1"]["fields"] == []
    assert items["16"]["veto"] is True and layout["units"]["percent"] == "%"
    assert layout["statuses"]["missing_input"] == "缺少输入" and layout["tier"] is None
    gd = c.get("/v1/rulesets/guangdong-2020/form?tier=county&lang=en").json()
    assert gd["conditions"][0]["kind"] == "veto" and gd["conditions"][0]["fields"]
    assert {e["form"] for s in gd["sections"] for it in s["items"] for e in it["entries"]} == {"met"}
    assert error_of(c.get("/v1/rulesets/wuhan-2017/form"))["code"] == "tier_not_found"
    assert error_of(c.get("/v1/rulesets/wuhan-2017/form?tier=county"))["code"] == "tier_not_found"


def test_a_filled_workbook_scores_as_the_library_scores_its_data(c: Any, tmp_path: Path) -> None:
    path = filled_workbook(tmp_path / "填报表.xlsx")
    resp = c.post(WORKBOOK, files={"file": ("填报表.xlsx", path.read_bytes(), XLSX)})
    assert resp.status_code == 200, resp.text
    body = exact.loads(resp.text)
    ev = library(context={})
    assert body["total"] == ev.to_dict()["total"] == "86.1"
    read, meta = body.pop("input"), body.pop("assessment")
    assert body == exact.loads(exact.dumps(ev.to_dict()))  # the whole result, item by item
    data = example()["data"]
    assert read["data"] == data  # 是 read as true, 96.8 as the exact 96.8, the reference with its source
    assert read["data"]["resident_coverage_rate"] == Decimal("96.8") and read["on"] == "2023-11-30"
    assert read["assessments"]["1"] == {"value": 7, "rationale": example()["assessments"]["1"]["rationale"],
                                        "assessor": "self"}
    assert read["cells"]["resident_coverage_rate"] == "指标!H12" and read["cells"]["assessments.1"] == "评估打分!F3"
    assert meta["id"] == 1 and store_of(c).get(1)["total"] == "86.1"  # type: ignore[index]
    compact = c.post(WORKBOOK + "?record=false&view=compact&lang=en", files={"file": ("a.xlsx", path.read_bytes())})
    assert compact.json()["sections"][0]["title"] == "Strong organisation and leadership"
    assert compact.json()["assessment"] is None and store_of(c).count() == 1
    raw = c.post(WORKBOOK + "?record=false", content=path.read_bytes(), headers={"content-type": XLSX})
    assert raw.status_code == 200 and raw.json()["total"] == "86.1"


def test_a_rejected_cell_is_named_by_its_address(c: Any, tmp_path: Path) -> None:
    data = {**example()["data"], "leave_complaints": -1}
    path = filled_workbook(tmp_path / "bad.xlsx", data)
    resp = c.post(WORKBOOK, files={"file": ("bad.xlsx", path.read_bytes(), XLSX)})
    assert resp.status_code == 422
    err = error_of(resp)
    bad = [p for p in err["problems"] if p["code"] != "missing"]
    ws = openpyxl.load_workbook(path)["指标"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "leave_complaints")
    assert ws.cell(row, 8).value == -1
    assert [(p["field"], p["message"]["zh"]) for p in bad] == [
        ("leave_complaints", f"指标!H{row}：休假制度投诉人数：-1 低于下限 0")]
    assert store_of(c).count() == 0


def zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"<" + b"\0" * (8 << 20))  # 8 MiB from about 8 KB
    return buf.getvalue()


def with_sheet(payload: bytes, tmp: Path) -> bytes:
    """A template whose indicators' sheet (指标) is ``payload``."""
    write_template("liunan-2023", tmp / "template.xlsx")
    out = io.BytesIO()
    with zipfile.ZipFile(tmp / "template.xlsx") as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, payload if item.filename == "xl/worksheets/sheet2.xml" else zin.read(item.filename))
    return out.getvalue()


def not_a_template() -> bytes:
    buf = io.BytesIO()
    openpyxl.Workbook().save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(("name", "body", "status", "code", "says"), [
    ("units.xlsx", b"name,code\n", 422, "unreadable_input", "not an .xlsx workbook"),
    ("bomb.xlsx", zip_bomb(), 422, "unreadable_input", "more than 200 times"),
    ("plain.xlsx", not_a_template(), 422, "unreadable_input", "no sheet named '指标'"),
    ("xxe.xlsx", XXE, 422, "unreadable_input", "it declares XML entities, which fuac does not read"),
    ("lol.xlsx", BOMB, 422, "unreadable_input", "it declares XML entities, which fuac does not read"),
    ("units.csv", b"name,code\n", 422, "unsupported_file", "filled-in workbook"),
])
def test_an_upload_that_is_not_a_filled_in_workbook_is_one_json_error(c: Any, tmp_path: Path, name: str, body: bytes,
                                                                      status: int, code: str, says: str) -> None:
    if body in (XXE, BOMB):  # the sheet of a template
        body = with_sheet(body, tmp_path)
    resp = c.post(WORKBOOK, files={"file": (name, body, "application/octet-stream")})
    assert resp.status_code == status, resp.text
    err = error_of(resp)
    assert err["code"] == code and says in err["message"]["en"] and "\n" not in err["message"]["en"], err
    assert "/tmp" not in resp.text and "fuac-batch-" not in resp.text
    assert store_of(c).count() == 0


def test_a_workbook_s_body_its_units_and_its_size(tmp_path: Path) -> None:
    path = filled_workbook(tmp_path / "two.xlsx", units=("甲单位", "乙单位"))
    with client(tmp_path, max_body=4096, max_upload=1 << 20) as tc:
        err = error_of(tc.post(WORKBOOK, content=b"a,b\n1,2\n", headers={"content-type": "text/csv"}))
        assert err["code"] == "unsupported_media_type" and err["status"] == 415
        err = error_of(tc.post(WORKBOOK, files={"file": ("two.xlsx", path.read_bytes())}))
        assert err["code"] == "unit_not_found" and err["message"]["en"].endswith("one of 甲单位, 乙单位")
        # the upload's limit, not a unit's body's: the workbook (larger than 4,096 bytes) is read
        assert path.stat().st_size > 4096
        resp = tc.post(WORKBOOK + "?unit=甲单位&record=false", files={"file": ("two.xlsx", path.read_bytes())})
        assert resp.status_code == 200 and resp.json()["total"] == "86.1"
        assert resp.json()["context"] == {"name": "甲单位"}
    with client(tmp_path, max_upload=4096) as tc:
        resp = tc.post(WORKBOOK, files={"file": ("two.xlsx", path.read_bytes())})
        assert resp.status_code == 413 and error_of(resp)["code"] == "body_too_large"
        assert store_of(tc).count() == 0


# ---------------------------------------------------------------------------
# in a real browser, against the real server


def chromium_or_skip() -> None:
    why = None
    if not os.path.exists(CHROMIUM):
        why = f"{CHROMIUM} is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            why = "Playwright for Python is not installed (pip install 'fuac[test]')"
    if why is None:
        return
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"{why}; CI must have it (.ci/run)")
    pytest.skip(why)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``fuac serve`` with an API token, on a loopback port, for the whole module."""
    chromium_or_skip()
    db = tmp_path_factory.mktemp("page") / "record.sqlite3"
    with served(db, {"FUAC_TOKENS": f"alice:{TOKEN}"}) as (base, _log):
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return filled_workbook(tmp_path_factory.mktemp("wb") / "柳南区填报表.xlsx")


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A fresh tab on the page, the token entered, every request it makes checked to go to the app."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    elsewhere: list[str] = []
    errors: list[str] = []
    tab.on("request", lambda r: None if r.url.startswith((server + "/", "data:", "blob:")) else elsewhere.append(r.url))
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(server + "/")
    yield tab
    context.close()
    assert elsewhere == [] and errors == []


def api(server: str, path: str) -> Any:
    req = urllib.request.Request(server + path, headers={"authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return exact.loads(r.read())


def enter_token(tab: Any) -> None:
    tab.fill("#token", TOKEN)
    tab.press("#token", "Tab")  # committed: the page asks again, with the token
    tab.wait_for_selector('#ruleset option[value="liunan-2023"]', state="attached")


def choose_liunan(tab: Any) -> None:
    enter_token(tab)
    tab.select_option("#ruleset", "liunan-2023")
    tab.wait_for_selector('[data-field="resident_coverage_rate"]')


def type_example(tab: Any) -> None:
    """Type the example unit in, as an assessor would: every value as its text."""
    doc = example()
    tab.fill("#unit-name", doc["context"]["name"])
    tab.fill("#unit-code", doc["context"]["code"])
    tab.fill("#unit-on", "2023-11-30")
    for name, v in doc["data"].items():
        if isinstance(v, bool):
            tab.select_option(f'[data-field="{name}"]', "true" if v else "false")
        elif isinstance(v, dict):
            tab.fill(f'[data-field="{name}"]', str(v["value"]))
            tab.fill(f'[data-source="{name}"]', v["source"])
        else:
            tab.fill(f'[data-field="{name}"]', str(v))
    for key, e in doc["assessments"].items():
        tab.fill(f'[data-entry="{key}"]', str(e["points"]))
        tab.fill(f'[data-entry-rationale="{key}"]', e["rationale"])
        tab.fill(f'[data-entry-assessor="{key}"]', e["assessor"])


def test_typing_scores_as_the_library_does_and_saving_records(page: Any, server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    before = len(api(server, "/v1/assessments?ruleset=liunan-2023&limit=1000")["assessments"])
    expect(page.locator("#status")).to_have_text("需要有效的 API 令牌：请在页面右上角填写")  # 401 without it
    choose_liunan(page)
    type_example(page)
    expected = library()
    assert str(expected.total) == "86.1"
    expect(page.locator("#total")).to_have_text(str(expected.total))
    expect(page.locator("#state")).to_have_text("各项均已评分")
    expect(page.locator('[data-item="14"] .pts')).to_have_text("2 / 4")

    # Item 29 (shortfall, target 100 %, step 1 percentage point, partial = "ceil", cost 0.4, of 2 points):
    # 96.3 % → 98.5 %: 100 − 98.5 = 1.5 points short, a started point counts whole → 2 steps × 0.4 = 0.8
    # taken (the other rate, 100 %, costs nothing) → 2 − 0.8 = 1.2 points, where 96.3 % gave 0.4
    # (4 steps, 1.6 taken). The total: 86.1 − 0.4 + 1.2 = 86.9; section (六): 12 − 0.4 + 1.2 = 12.8 of 15.
    page.fill('[data-field="community_infant_activity_site_rate"]', "98.5")
    expect(page.locator("#total")).to_have_text("86.9")
    expect(page.locator('[data-item="29"] .pts')).to_have_text("1.2 / 2")
    reason_zh = ("社区婴幼儿活动场所配置率 98.5%，低于 100% 1.5个百分点，计2档，扣0.8分；"
                 "母婴设施配置率 100% ≥ 100%，得1.2分。")
    expect(page.locator('[data-item="29"] .reason')).to_have_text(reason_zh)
    changed = {**example()["data"], "community_infant_activity_site_rate": Decimal("98.5")}
    lib = library(changed)
    assert str(lib.total) == "86.9" and lib.item("29").points == Decimal("1.2")
    assert lib.item("29").reason_zh == reason_zh and lib.sections[5].points == Decimal("12.8")
    expect(page.locator('#sections li[data-section="6"] .pts')).to_have_text("12.8 / 15")
    width = page.eval_on_selector('#sections li[data-section="6"] .fill', "e => e.getBoundingClientRect().width / "
                                  "e.parentElement.getBoundingClientRect().width")
    assert abs(width - 12.8 / 15) < 0.01

    # a rejected value: shown beside its field, the last result kept
    page.fill('[data-field="leave_complaints"]', "-1")
    expect(page.locator('[data-problem="leave_complaints"]')).to_have_text("休假制度投诉人数：-1 低于下限 0")
    expect(page.locator('[data-field="leave_complaints"]')).to_have_class("invalid")
    expect(page.locator("#stale")).to_be_visible()
    assert page.text_content("#total") == "86.9"
    page.fill('[data-field="leave_complaints"]', "1")
    expect(page.locator('[data-problem="leave_complaints"]')).to_have_text("")
    expect(page.locator("#stale")).to_be_hidden()

    shot = tmp_path / "page.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 50_000  # a rendered page, not a blank one

    # typing kept nothing; saving keeps one record, the inputs as typed
    assert len(api(server, "/v1/assessments?ruleset=liunan-2023&limit=1000")["assessments"]) == before
    page.click("#save")
    expect(page.locator("#saved")).to_have_text(re.compile(r"^已保存，记录编号 \d+$"))
    rid = int(page.get_attribute("#saved", "data-id"))
    rec = api(server, f"/v1/assessments/{rid}")
    assert rec["total"] == "86.9" and rec["submitted_by"] == "alice" and rec["unit"] == {"code": "450204",
                                                                                         "name": "柳州市柳南区"}
    assert rec["data"]["community_infant_activity_site_rate"] == "98.5"  # the text typed, every digit
    assert rec["data"]["childcare_places_per_1000_regional_avg"] == {
        "value": "2.8", "source": example()["data"]["childcare_places_per_1000_regional_avg"]["source"]}
    assert rec["assessments"]["5.b"]["points"] == "1.5" and rec["on"] == "2023-11-30"
    assert rec["result"] == exact.loads(exact.dumps(lib.to_dict()))
    assert len(api(server, "/v1/assessments?ruleset=liunan-2023&limit=1000")["assessments"]) == before + 1

    # English: the page's words, and the service's reasons in English
    page.click("#lang")
    expect(page.locator('[data-item="29"] .reason')).to_have_text(lib.item("29").reason_en)
    expect(page.locator("h1")).to_have_text("Advanced-unit assessment")
    expect(page.locator('[data-t="total"]')).to_have_text("Total")
    expect(page.locator('#sections li[data-section="1"] .name')).to_have_text(
        "（一） Strong organisation and leadership")
    expect(page.locator('label[for="f-leave_complaints"]')).to_have_text("Persons complaining about leave entitlements")
    assert page.input_value('[data-field="community_infant_activity_site_rate"]') == "98.5"  # kept across
    assert page.evaluate("document.documentElement.lang") == "en"


def test_a_workbook_fills_the_form_and_the_downloads(page: Any, server: str, workbook: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    choose_liunan(page)
    page.set_input_files("#upload", str(workbook))
    expect(page.locator("#upload-status")).to_have_text("已读取并评分：柳南区填报表.xlsx")
    expect(page.locator("#total")).to_have_text("86.1")
    assert page.input_value('[data-field="resident_coverage_rate"]') == "96.8"
    assert page.input_value('[data-field="infant_mortality_rate"]') == "2.36"
    assert page.input_value('[data-field="grassroots_funding_mechanism"]') == "false"
    assert page.input_value('[data-source="childcare_enrolment_rate_regional_avg"]').startswith("自治区卫生健康委")
    assert page.input_value('[data-entry="11.b"]') == "1"
    assert page.input_value('[data-entry-rationale="1"]') == example()["assessments"]["1"]["rationale"]
    assert page.input_value("#unit-on") == "2023-11-30"

    ev = library(context={})
    with page.expect_download() as got:
        page.click("#dl-xlsx")
    xlsx = tmp_path / "sheet.xlsx"
    got.value.save_as(xlsx)
    assert got.value.suggested_filename == "liunan-2023-评分表.xlsx"
    book = openpyxl.load_workbook(xlsx, data_only=True)  # the total is a formula: its stored value
    cells = [str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert any("86.1" in v for v in cells) and any("组织领导保障有力" in v for v in cells)
    with page.expect_download() as got:
        page.click("#dl-gaps")
    gaps = tmp_path / "gaps.txt"
    got.value.save_as(gaps)
    assert gaps.read_text(encoding="utf-8") == ev.gaps().render("zh")
    with page.expect_download() as got:
        page.click("#dl-html")
    sheet = tmp_path / "sheet.html"
    got.value.save_as(sheet)
    assert "86.1" in sheet.read_text(encoding="utf-8") and got.value.suggested_filename.endswith(".html")
    assert page.text_content("#saved") == ""  # nothing was recorded by downloading


def test_a_recorded_assessment_opens_and_is_revised(page: Any, server: str, workbook: Path) -> None:
    from playwright.sync_api import expect

    choose_liunan(page)
    page.set_input_files("#upload", str(workbook))
    expect(page.locator("#total")).to_have_text("86.1")
    page.fill("#unit-name", "测试街道")
    page.fill("#unit-code", "450204999")
    page.click("#save")
    expect(page.locator("#saved")).to_have_text(re.compile(r"记录编号 \d+$"))
    rid = page.get_attribute("#saved", "data-id")
    page.fill("#rec-unit", "450204999")
    page.click("#rec-list")
    row = page.locator(f'#rec-body tr[data-record="{rid}"]')
    expect(row).to_contain_text("测试街道 450204999")
    expect(row.locator("td").nth(3)).to_have_text("86.1")
    assert page.locator("#rec-body tr").count() == 1

    page.fill('[data-field="resident_coverage_rate"]', "50")  # then opened again: the record's values
    expect(page.locator("#total")).not_to_have_text("86.1")
    row.locator("button").click()
    expect(page.locator("#revises-box")).to_be_visible()
    assert page.input_value('[data-field="resident_coverage_rate"]') == "96.8"
    expect(page.locator("#total")).to_have_text("86.1")
    page.fill('[data-field="places_not_publicising"]', "0")  # 34: the 0.5 taken for 1 place given back
    assert str(library({**example()["data"], "places_not_publicising": 0}).total) == "86.6"
    expect(page.locator("#total")).to_have_text("86.6")
    page.click("#save")
    expect(page.locator("#saved")).not_to_have_text(f"已保存，记录编号 {rid}")
    expect(page.locator("#saved")).to_have_text(re.compile(r"记录编号 \d+$"))
    second = api(server, f"/v1/assessments/{page.get_attribute('#saved', 'data-id')}")
    assert second["revises"] == int(rid) and second["total"] == "86.6"
    assert second["unit"] == {"code": "450204999", "name": "测试街道"}
    listed = api(server, "/v1/assessments?unit=450204999")["assessments"]
    assert [r["id"] for r in listed] == [int(rid), second["id"]]


def test_a_region_code_chooses_the_rule_set_and_its_tier(page: Any) -> None:
    from playwright.sync_api import expect

    enter_token(page)
    page.fill("#code", "420102003")
    page.select_option("#level", "township")
    page.click("#find")
    expect(page.locator("#found")).to_contain_text("wuhan-2017 · street")
    expect(page.locator("#tier")).to_have_value("street")
    assert page.input_value("#ruleset") == "wuhan-2017" and page.input_value("#unit-code") == "420102003"
    street = fuac.input_schema("wuhan-2017", tier="street")["properties"]
    page.wait_for_selector(f'[data-field="{next(iter(street))}"]')
    assert sorted(page.eval_on_selector_all("[data-field]", "es => es.map(e => e.dataset.field)")) == sorted(street)
    expect(page.locator("#total")).to_have_text("—")  # a checklist: no points, met or not
