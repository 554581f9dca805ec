"""The score sheet (HTML, self-contained, A4) and the notebook views; the HTML is opened in headless Chromium.

Without Chromium the browser tests are skipped locally; under CI (``CI=true``) they fail instead.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import struct
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import fuac
from fuac.cli import main, read_input
from fuac.render.report import report_html

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "data" / "liunan-2023-liunan.toml"
MINI = Path(__file__).parent / "data" / "mini.toml"
A4_WIDTH = 794  # 210 mm at 96 px per inch

COLUMNS = ["项目", "分值", "评选标准及评分细则", "评估方法", "评估情况", "得分"]


@pytest.fixture(scope="module")
def liunan() -> fuac.Evaluation:
    doc = read_input(str(EXAMPLE))
    return fuac.evaluate(
        "liunan-2023",
        doc["data"],
        context=doc["context"],
        assessments=doc["assessments"],
        on=dt.date.fromisoformat(str(doc["on"])),
    )


def checklist() -> fuac.Evaluation:
    rs = fuac.load("guangdong-2020")
    plan = rs.plan("county")
    vetoed = {n for c in plan.vetoes for n in c.reads}
    data: dict[str, Any] = {n: n not in vetoed for n, i in rs.doc.indicators.items() if i.type == "boolean"}
    data.update({n: 100 for n, i in rs.doc.indicators.items() if i.unit == "percent"})
    judged = {key: {"met": True, "assessor": "self"} for it in plan.items.values() for key, _ in it.rules}
    return fuac.evaluate(rs, data, tier="county", assessments=judged, context={"name": "某县"}, on=dt.date(2021, 1, 1))


# ---------------------------------------------------------------------------
# the document itself


def sheet_heads(doc: str) -> list[str]:
    thead = doc.split('<table class="sheet">', 1)[1].split("</thead>", 1)[0]
    return re.findall(r'<th><span class="zh" lang="zh-CN">([^<]+)</span>', thead)


def test_columns_sections_total(liunan: fuac.Evaluation) -> None:
    doc = report_html(liunan)
    assert sheet_heads(doc) == COLUMNS
    assert doc.count('class="subtotal"') == len(liunan.sections) == 7
    assert 'data-role="total"' in doc and "86.1 / 100" in doc
    assert "柳州市柳南区" in doc and "其中酌情评分 11.5 分" in doc
    # 评估情况 is each item's reason; 得分 its points, judgement marked
    assert html.escape(liunan.item("14").reason_zh) in doc
    assert "7*" in doc  # item 1: the assessor's 7 points
    assert "无一票否决事项" in doc and "近三年发生重大安全事故" in doc


def test_self_contained_a4_bilingual(liunan: fuac.Evaluation) -> None:
    doc = report_html(liunan)
    assert doc.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in doc
    assert "@page { size: A4" in doc
    # nothing fetched: no links, sources, imports or url(); the only URI is the SVG namespace
    assert not re.search(r"\s(src|href)\s*=", doc)
    assert "@import" not in doc and "url(" not in doc
    assert set(re.findall(r"https?://[^\s\"']+", doc)) == {"http://www.w3.org/2000/svg"}
    # both texts present, switched by CSS on <html lang>; a button toggles it
    assert 'class="en" lang="en">Findings<' in doc and 'html[lang="en"] .zh { display: none' in doc
    assert 'id="lang-toggle"' in doc
    assert '<html lang="en">' in report_html(liunan, lang="en")
    # the chart: one bar pair per section
    assert doc.count("<svg") == 1 and doc.count("data-chart-section=") == 7


def test_checklist_shows_met_not_points() -> None:
    doc = report_html(checklist())
    assert sheet_heads(doc) == ["项目", "评选标准及评分细则", "评估方法", "评估情况", "落实情况"]
    assert "✓ 已落实" in doc and "得分" not in doc


def test_vetoed_and_voided(tmp_path: Path) -> None:
    data = {
        "has_doc": True,
        "meetings": 1,
        "institutions": 6,
        "complaints": 2,
        "awareness": 88,
        "satisfaction": 91,
        "mmr": 17,
        "places": 4,
        "places_avg": 3,
        "falsified": True,
        "accidents": 1,
    }
    ev = fuac.evaluate(MINI, data, on=dt.date(2023, 6, 1))
    doc = report_html(ev)
    assert "一票否决：不能命名" in doc and "0（作废）" in doc and "—（待评估）" in doc


def test_several_units_one_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evs = [
        fuac.evaluate(MINI, {"has_doc": True}, context={"name": n}, on=dt.date(2023, 6, 1)) for n in ("甲县", "乙县")
    ]
    doc = report_html(evs)
    assert doc.count('<section class="unit"') == 2 and "page-break-before: always" in doc
    out = tmp_path / "r.html"
    assert main(["evaluate", "liunan-2023", str(EXAMPLE), "--report", str(out)]) == 0
    assert f"评分表 / score sheet: {out}" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["evaluate", "liunan-2023", str(EXAMPLE), "--report", str(tmp_path / "r.docx")]) == 2


def test_notebook_views(liunan: fuac.Evaluation) -> None:
    frag = liunan._repr_html_()
    assert frag.startswith('<div class="fuac-ev">') and "<table>" in frag
    for sec in liunan.sections:
        assert html.escape(sec.title.zh) in frag
    assert "合计 Total" in frag and "86.1 / 100" in frag and "已评分" in frag
    pd = pytest.importorskip("pandas")
    df = liunan.to_pandas()
    assert isinstance(df, pd.DataFrame) and len(df) == len(liunan.items) and df.index.name == "item"
    assert {"section", "label", "points", "max", "lost", "status", "reason", "reason_en"} <= set(df.columns)
    assert df.loc["14", "points"] == 2.0 and df.loc["14", "lost"] == 2.0
    assert df.loc[:, "points"].sum() == pytest.approx(86.1)
    exact = liunan.to_pandas(exact=True)
    assert exact.loc["32", "points"] == Decimal("3.6")


# ---------------------------------------------------------------------------
# headless Chromium


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail("chromium is not installed; CI must install it (.ci/run: apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium)")


FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--disable-dev-shm-usage",
    "--mute-audio",
]

#: Injected before </body>: measures the rendered page and writes the result into the DOM.
PROBE = """<script>
(function () {
  function shown(el) {
    if (!el) return false;
    var r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  }
  function row(el) {
    var r = el.getBoundingClientRect();
    return {shown: shown(el), right: r.right, text: el.innerText};
  }
  var out = {
    width: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    bodyScrollWidth: document.body.scrollWidth,
    lang: document.documentElement.getAttribute('lang'),
    sections: {}, total: null, tables: [], englishShown: 0, chineseShown: 0
  };
  document.querySelectorAll('tr.subtotal').forEach(function (el) { out.sections[el.dataset.section] = row(el); });
  var t = document.querySelector('tr[data-role="total"]');
  if (t) out.total = row(t);
  document.querySelectorAll('table').forEach(function (el) { out.tables.push(el.getBoundingClientRect().right); });
  document.querySelectorAll('.en').forEach(function (el) { if (shown(el)) out.englishShown++; });
  document.querySelectorAll('.zh').forEach(function (el) { if (shown(el)) out.chineseShown++; });
  var pre = document.createElement('pre');
  pre.id = 'fuac-probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""


def run(browser: str, args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def probe(browser: str, page: Path, profile: Path, fragment: str = "") -> dict[str, Any]:
    res = run(
        browser,
        [f"--window-size={A4_WIDTH},1123", "--virtual-time-budget=3000", "--dump-dom", page.as_uri() + fragment],
        profile,
    )
    m = re.search(r'<pre id="fuac-probe">(.*?)</pre>', res.stdout, re.S)
    assert m, f"no probe output (exit {res.returncode}): {res.stderr[-2000:]}"
    return json.loads(html.unescape(m.group(1)))


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_rendered_in_chromium(liunan: fuac.Evaluation, tmp_path: Path) -> None:
    browser = chromium()
    page = tmp_path / "report.html"
    page.write_text(report_html(liunan), encoding="utf-8")
    probed = tmp_path / "probed.html"
    probed.write_text(report_html(liunan).replace("</body>", PROBE + "</body>"), encoding="utf-8")

    # a screenshot of the first A4-wide screenful
    shot = tmp_path / "report.png"
    res = run(browser, [f"--window-size={A4_WIDTH},1600", f"--screenshot={shot}", page.as_uri()], tmp_path / "p1")
    assert shot.is_file(), res.stderr[-2000:]
    assert shot.stat().st_size > 30_000  # a rendered table, not a blank page
    assert png_size(shot) == (A4_WIDTH, 1600)

    # the DOM as rendered at A4 width: nothing overflows, every section row and the total are shown
    got = probe(browser, probed, tmp_path / "p2")
    assert got["width"] == A4_WIDTH
    assert got["scrollWidth"] <= got["width"] and got["bodyScrollWidth"] <= got["width"]
    assert all(right <= got["width"] for right in got["tables"])
    assert set(got["sections"]) == {s.id for s in liunan.sections}
    for sec in liunan.sections:
        row = got["sections"][sec.id]
        assert row["shown"] and row["right"] <= got["width"], sec.id
        assert "小计" in row["text"] and liunan.reported(sec.points) is not None
        assert f"{sec.points.normalize():f}" in row["text"], (sec.id, row["text"])
    assert got["total"]["shown"] and "合计" in got["total"]["text"] and "86.1 / 100" in got["total"]["text"]
    # Chinese by default; English hidden
    assert got["lang"] == "zh-CN" and got["englishShown"] == 0 and got["chineseShown"] > 0

    # switched to English (the page's own script, through #en): the other texts show instead
    en = probe(browser, probed, tmp_path / "p3", "#en")
    assert en["lang"] == "en" and en["chineseShown"] == 0 and en["englishShown"] > 0
    assert "Total" in en["total"]["text"] and en["scrollWidth"] <= en["width"]

    # printed: A4 pages
    pdf = tmp_path / "report.pdf"
    run(browser, [f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri()], tmp_path / "p4")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes and all(abs(float(w) - 595.92) < 2 and abs(float(h) - 842.88) < 2 for w, h in boxes)
    assert 2 <= len(boxes) <= 12
