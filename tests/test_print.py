"""The workbooks fuac writes, opened, recomputed and printed by a real spreadsheet application:
LibreOffice, headless (issue #16, must-have 4).

For every built-in rule set (``fuac list``) and tier, its fill-in template; for every example unit of
``examples/data`` (one or more per rule set), its ``.xlsx`` score sheet; a rectification list and a
recommended list; and score sheets whose totals take every rule (floors at zero, capped bonus points,
a half-way rounding). LibreOffice (``soffice --headless``, a private profile for the session, a
timeout on every call) converts them:

* to **PDF**, checked with poppler's ``pdftotext -bbox``: every page A4, none empty, numbered
  (第 x 页，共 y 页); every page of a table carries its header row, with its first and last columns
  (no column split off onto pages of its own); each sheet on a bounded number of pages (at most the
  rows' heights over a page's, plus one); no ``###`` (a number too wide for its column); no two words
  printed over each other (a row too short for its wrapped text overprints the next); and every
  label, finding and rule text appears whole in its column;
* **row by row**, through LibreOffice's own API (python3-uno): every row is at least as tall as
  LibreOffice finds its text needs (its "optimal height"), and not absurdly taller;
* to **xlsx**, recalculating every formula on load (the profile says so): the subtotals and the total
  LibreOffice computes are fuac's, exactly.

The tests skip, saying why, when LibreOffice or poppler is missing; in CI (``CI=true``) they fail
instead: ``.ci/run`` installs them.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import os
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import fuac
from fuac.cli import main, read_input
from fuac.render.sheet import row_cells
from fuac.render.sheet_xlsx import write_report_xlsx
from fuac.render.workbook import INDICATOR_HEADERS, REFERENCE_HEADERS, SCORE_HEADERS, write_template
from test_xlsx_outputs import EXAMPLE, ROOT, cases, cell_decimal, find_rows, liunan, rank_units

openpyxl = pytest.importorskip("openpyxl")

#: A4 in points, and the printable height of a landscape page (the shorter side less the margins)
A4 = (595.3, 841.9)
USABLE_HEIGHT = A4[0] - (0.55 + 0.6) * 72
TIMEOUT = 300
#: LibreOffice's setting that recalculates every formula of an .xlsx file when it is loaded (0: always)
RECALC = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def tool(*names: str, package: str) -> str:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"{names[0]} is not installed; CI must install it (.ci/run: apt-get install {package})")
    pytest.skip(f"{names[0]} is not installed (apt-get install {package})")


class Office:
    """LibreOffice headless with a private profile (made once for the session), every call with a timeout."""

    def __init__(self, root: Path) -> None:
        self.soffice = tool("soffice", "libreoffice", package="libreoffice-calc-nogui")
        self.pdftotext = tool("pdftotext", package="poppler-utils")
        self.profile = root / "profile"
        (self.profile / "user").mkdir(parents=True)
        (self.profile / "user" / "registrymodifications.xcu").write_text(RECALC, encoding="utf-8")

    def args(self) -> list[str]:
        return [self.soffice, f"-env:UserInstallation={self.profile.as_uri()}", "--headless", "--norestore",
                "--nologo"]

    def convert(self, files: list[Path], to: str, outdir: Path) -> None:
        outdir.mkdir(exist_ok=True)
        res = subprocess.run([*self.args(), "--convert-to", to, "--outdir", str(outdir), *map(str, files)],
                             capture_output=True, text=True, timeout=TIMEOUT, check=False)
        missing = [f.name for f in files if not (outdir / f"{f.stem}.{to.split(':')[0]}").is_file()]
        assert not missing, f"soffice did not convert {missing}: {res.stdout[-1000:]} {res.stderr[-1000:]}"


# ---------------------------------------------------------------------------
# the files, made and converted once


@dataclass
class Made:
    """A workbook fuac wrote, what it is, and what its pages must show."""

    path: Path
    kind: str  # template, sheet, gaps, rank, recompute
    evaluation: Any = None
    ruleset: Any = None
    #: texts each of which must appear whole in one column of the PDF
    texts: list[str] = field(default_factory=list)


def examples() -> list[tuple[str, Path, fuac.Evaluation]]:
    """(rule set, file, evaluation) of every example unit."""
    out = []
    for path in sorted((ROOT / "examples" / "data").glob("*.toml")):
        rid = "-".join(path.stem.split("-")[:2])
        doc = read_input(str(path))
        ev = fuac.evaluate(rid, doc["data"], tier=doc.get("tier"), context=doc.get("context"),
                           assessments=doc.get("assessments"), on=doc.get("on"))
        out.append((rid, path, ev))
    return out


def template_texts(rs: fuac.RuleSet, tier: str | None) -> list[str]:
    """Each indicator's Chinese label and help, as the template's 指标 sheet shows them."""
    out = []
    for ind in rs.doc.indicators.values():
        if ind.reference or (tier is not None and ind.tiers is not None and tier not in ind.tiers):
            continue
        out.append(ind.label.zh)
        if ind.description is not None:
            out.append(ind.description.zh)
    return out


def sheet_texts(ev: fuac.Evaluation) -> list[str]:
    """Each item's rule text and finding, as the score sheet shows them."""
    return [t for it in ev.items for t in (row_cells(ev, it).criteria_zh, it.reason_zh) if t]


def make(root: Path) -> list[Made]:
    made: list[Made] = []
    for rid in fuac.rulesets():
        rs = fuac.load(rid)
        for tier in rs.tiers:
            path = root / f"t-{rid}-{tier or 'all'}.xlsx"
            write_template(rs, path, tier=tier)
            made.append(Made(path, "template", ruleset=rs, texts=template_texts(rs, tier)))
    for rid, example, ev in examples():
        path = root / f"s-{example.stem}.xlsx"
        assert main(["evaluate", rid, str(example), "--report", str(path)]) in (0, 1)
        made.append(Made(path, "sheet", ev, texts=sheet_texts(ev)))
    for k, (_, ev, rs) in enumerate(cases()[1:]):
        path = root / f"x-{k}.xlsx"
        write_report_xlsx([ev], path, ruleset=rs)
        made.append(Made(path, "recompute", ev, rs))
    gaps = root / "g-liunan.xlsx"
    assert main(["gaps", "liunan-2023", str(EXAMPLE), "-o", str(gaps)]) == 0
    listed = list(liunan().gaps())
    made.append(Made(gaps, "gaps", texts=[g.reason_zh for g in listed] + [g.action_zh for g in listed]))
    rank = root / "r-guangdong.xlsx"
    assert main(["rank", "guangdong-2020", str(rank_units(root)), "--tier", "county", "--on", "2023-10-01",
                 "--no-progress", "-o", str(rank)]) == 0
    made.append(Made(rank, "rank"))
    return made


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Office, list[Made], Path]:
    root = tmp_path_factory.mktemp("print")
    office = Office(root)
    made = make(root)
    office.convert([m.path for m in made], "pdf", root / "pdf")
    return office, made, root


# ---------------------------------------------------------------------------
# reading a PDF: pages and words with their boxes


@dataclass
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def yc(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass
class Page:
    width: float
    height: float
    words: list[Word]

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words)


def pdf_pages(office: Office, pdf: Path) -> list[Page]:
    out = subprocess.run([office.pdftotext, "-bbox", str(pdf), "-"], capture_output=True, text=True,
                         timeout=TIMEOUT, check=True).stdout
    pages = []
    for m in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S):
        words = [Word(float(a), float(b), float(c), float(d), html.unescape(t)) for a, b, c, d, t in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', m.group(3))]
        pages.append(Page(float(m.group(1)), float(m.group(2)), words))
    return pages


def lines_of(page: Page) -> list[list[Word]]:
    """The page's words in lines (words whose middles are within 3 points of the line's first), left to right."""
    lines: list[list[Word]] = []
    for w in sorted(page.words, key=lambda w: (w.yc, w.x0)):
        if lines and abs(w.yc - lines[-1][0].yc) <= 3:
            lines[-1].append(w)
        else:
            lines.append([w])
    return [sorted(line, key=lambda w: w.x0) for line in lines]


def columns_text(pages: list[Page]) -> list[str]:
    """The text of each column, top to bottom over the pages. A column's left edge is where the lines of
    its cells start (a left-aligned cell's lines all start at its edge): an x at which pieces of lines
    (cut where a gap wider than a space falls) start more often than words cross it. Each word goes to
    the column of the nearest edge at or left of it."""
    starts: dict[int, int] = {}
    words = []
    for page in pages:
        for line in lines_of(page):
            starts[round(line[0].x0)] = starts.get(round(line[0].x0), 0) + 1
            for prev, w in itertools.pairwise(line):
                if w.x0 - prev.x1 > 3.0:
                    starts[round(w.x0)] = starts.get(round(w.x0), 0) + 1
            words.append(line)
    flat = [w for line in words for w in line]
    edges = sorted(x for x, n in starts.items()
                   if n >= 2 and sum(1 for w in flat if w.x0 < x - 1 and w.x1 > x + 1) < n)
    cols: dict[int, list[str]] = {}
    for line in words:
        for w in line:
            key = max((e for e in edges if e <= w.x0 + 1), default=round(w.x0))
            cols.setdefault(key, []).append(w.text)
    return ["".join(texts) for texts in cols.values()]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------------------
# which page belongs to which table


#: sheet → texts its header row shows (spaces left out), the first and the last column among them
HEADERS = {
    "说明": ["填写方法"],
    "指标": [squeeze(INDICATOR_HEADERS[0]), squeeze(INDICATOR_HEADERS[-1])],
    "评估打分": [squeeze(SCORE_HEADERS[0]), "上限", "评估人"],
    "参考值": [squeeze(REFERENCE_HEADERS[0]), squeeze(REFERENCE_HEADERS[-1])],
    "评分表": ["评选标准", "评估情况"],
    "整改清单": ["序号", "完成时限"],
    "推荐名单": ["名次", "名额说明"],
    "名额": ["上限", "计算"],
}


def table_of(page: Page, kind: str) -> str:
    """The sheet a page prints: the one whose header texts it shows (one, and only one)."""
    text = page.text
    wanted = {"template": ["说明", "指标", "评估打分", "参考值"], "sheet": ["评分表"], "recompute": ["评分表"],
              "gaps": ["整改清单"], "rank": ["推荐名单", "名额"]}[kind]
    found = [name for name in wanted if all(h in text for h in HEADERS[name])]
    if kind == "rank" and found == ["推荐名单", "名额"]:  # 全部单位 has the 推荐名单's columns; 名额 its own
        found = ["推荐名单"] if "名额说明" in text else ["名额"]
    assert len(found) == 1, (kind, found, text[:200])
    return found[0]


def rows_height(ws: Any) -> float:
    """The height of a sheet's rows, in points."""
    return sum(ws.row_dimensions[r].height or 15 for r in range(1, ws.max_row + 1))


def page_bound(path: Path) -> dict[str, int]:
    """Each sheet's most pages: its rows' heights over a page's printable height (at 100 %, fit to width
    only makes it fewer), plus one; a score sheet by its own name."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        if ws.sheet_state == "hidden":
            continue
        height = USABLE_HEIGHT if ws.page_setup.orientation == "landscape" else A4[1] - (0.55 + 0.6) * 72
        out[ws.title] = math.ceil(rows_height(ws) / height) + 1
    return out


# ---------------------------------------------------------------------------
# the PDF checks


def overprinted(page: Page) -> list[tuple[str, str]]:
    """Pairs of words printed over each other: side by side by more than a sliver, and their middles
    closer than three quarters of a line's height (the lines of a wrapped text are a line apart; a text
    that overflows its row lands on the next row's at any distance)."""
    out = []
    words = sorted(page.words, key=lambda w: w.yc)
    for k, a in enumerate(words):
        for b in words[k + 1:]:
            close = 0.75 * min(a.y1 - a.y0, b.y1 - b.y0)
            if b.yc - a.yc >= close:
                if b.yc - a.yc > 20:
                    break
                continue
            if min(a.x1, b.x1) - max(a.x0, b.x0) > 1.5:
                out.append((a.text, b.text))
    return out


def test_every_workbook_prints_on_a4_pages_with_its_header(printed: tuple[Office, list[Made], Path]) -> None:
    office, made, root = printed
    for m in made:
        pages = pdf_pages(office, root / "pdf" / f"{m.path.stem}.pdf")
        total = len(pages)
        bounds = page_bound(m.path)
        per_table: dict[str, int] = {}
        for n, page in enumerate(pages, start=1):
            size = sorted((page.width, page.height))
            assert abs(size[0] - A4[0]) < 1 and abs(size[1] - A4[1]) < 1, (m.path.name, n, size)
            assert page.words, (m.path.name, n, "an empty page")
            assert f"第{n}页，共{total}页" in page.text, (m.path.name, n)
            assert "###" not in page.text, (m.path.name, n)
            assert not overprinted(page), (m.path.name, n, overprinted(page)[:5])
            name = table_of(page, m.kind)
            per_table[name] = per_table.get(name, 0) + 1
        assert total <= sum(bounds.values()), (m.path.name, total, bounds)
        if m.kind == "template":
            assert per_table["说明"] == 1 and per_table["参考值"] == 1, (m.path.name, per_table)
            for name in ("指标", "评估打分"):
                assert per_table[name] <= bounds[name], (m.path.name, name, per_table, bounds)


def test_every_label_and_finding_is_printed_whole(printed: tuple[Office, list[Made], Path]) -> None:
    office, made, root = printed
    checked = 0
    for m in made:
        if not m.texts:
            continue
        columns = columns_text(pdf_pages(office, root / "pdf" / f"{m.path.stem}.pdf"))
        for text in m.texts:
            assert any(squeeze(text) in col for col in columns), (m.path.name, text)
            checked += 1
    assert checked > 400


def test_the_liunan_score_sheet_pages(printed: tuple[Office, list[Made], Path]) -> None:
    """The example score sheet, page by page: 4 to 6 A4 portrait pages (its 35 items with their wrapped
    texts), the total 86.1 on the first page and in the total row."""
    office, made, root = printed
    (m,) = [m for m in made if m.path.stem == "s-liunan-2023-liunan"]
    pages = pdf_pages(office, root / "pdf" / f"{m.path.stem}.pdf")
    assert 4 <= len(pages) <= 6 and all(p.width < p.height for p in pages)
    first = [w.text for w in pages[0].words]
    assert "总分" in first and "86.1" in first and "满分" in first and "100" in first  # above the table
    last = [[w.text for w in line] for line in lines_of(pages[-1])]
    assert ["合计", "100", "86.1"] in last  # the total row: its maximum and the total


# ---------------------------------------------------------------------------
# row heights, as LibreOffice measures them

ROWS_SCRIPT = r'''
import json, sys, time
import uno
from com.sun.star.beans import PropertyValue

pipe, out_path, files = sys.argv[1], sys.argv[2], sys.argv[3:]
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
for _ in range(1200):
    try:
        ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
        break
    except Exception:
        time.sleep(0.1)
else:
    sys.exit("LibreOffice did not answer on its pipe")
desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
hidden = PropertyValue()
hidden.Name, hidden.Value = "Hidden", True
result = {}
for f in files:
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(f), "_blank", 0, (hidden,))
    sheets = {}
    for i in range(doc.Sheets.Count):
        ws = doc.Sheets.getByIndex(i)
        cur = ws.createCursor()
        cur.gotoEndOfUsedArea(False)
        rows = [ws.Rows.getByIndex(r) for r in range(cur.RangeAddress.EndRow + 1)]
        ours = [row.Height for row in rows]
        for row in rows:
            row.OptimalHeight = True
        sheets[ws.Name] = {"ours": ours, "optimal": [row.Height for row in rows]}
    result[f] = sheets
    doc.close(True)
with open(out_path, "w") as fh:
    json.dump(result, fh)
try:
    desktop.terminate()
except Exception:
    pass
'''


def uno_python() -> str:
    for python in ("/usr/bin/python3", shutil.which("python3") or ""):
        if python and subprocess.run([python, "-c", "import uno"], capture_output=True, timeout=60).returncode == 0:
            return python
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail("python3-uno is not installed; CI must install it (.ci/run: apt-get install python3-uno)")
    pytest.skip("python3-uno is not installed (apt-get install python3-uno)")


def test_every_row_is_as_tall_as_libreoffice_needs(printed: tuple[Office, list[Made], Path]) -> None:
    """LibreOffice's optimal height of every row (merged cells aside: it does not measure those) is at most
    the height fuac set, and fuac's is at most twice it and a line."""
    office, made, root = printed
    python = uno_python()
    pipe = f"fuac{uuid.uuid4().hex[:8]}"
    out = root / "rows.json"
    server = subprocess.Popen([*office.args(), "--invisible", f"--accept=pipe,name={pipe};urp;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        res = subprocess.run([python, "-c", ROWS_SCRIPT, pipe, str(out), *(str(m.path) for m in made)],
                             capture_output=True, text=True, timeout=TIMEOUT, check=False)
        assert res.returncode == 0, res.stderr[-2000:]
        server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=60)
    measured = json.loads(out.read_text(encoding="utf-8"))
    for path, sheets in measured.items():
        for name, rows in sheets.items():
            for r, (ours, best) in enumerate(zip(rows["ours"], rows["optimal"], strict=True), start=1):
                assert ours >= best - 10, (Path(path).name, name, r, ours, best)  # 1/100 mm: a tenth of a mm
                assert ours <= 2 * best + 600, (Path(path).name, name, r, ours, best)


# ---------------------------------------------------------------------------
# the formulas, recomputed by LibreOffice


def test_libreoffice_recomputes_fuacs_totals(printed: tuple[Office, list[Made], Path]) -> None:
    office, made, root = printed
    sheets = [m for m in made if m.kind in ("sheet", "recompute")]
    # a canary: the liunan sheet with every value written beside its formulas wrong, so that only a
    # recalculation gives the totals back
    liunan = next(m for m in sheets if m.path.stem == "s-liunan-2023-liunan")
    canary = root / "canary.xlsx"
    wrong_values(liunan.path, canary)
    office.convert([*(m.path for m in sheets), canary], "xlsx", root / "recalc")
    checked = 0
    for m in [*sheets, Made(canary, "sheet", liunan.evaluation)]:
        ev = m.evaluation
        ws = openpyxl.load_workbook(root / "recalc" / m.path.name, data_only=True).worksheets[0]
        col = 6 if ev.scheme_kind == "points" else 5
        label = 3 if ev.scheme_kind == "points" else 2
        subtotals = sorted(r for r in range(6, ws.max_row + 1) if str(ws.cell(r, label).value).startswith("小计"))
        (total,) = find_rows(ws, 1, "合计")
        if ev.scheme_kind == "points":
            assert [cell_decimal(ws.cell(r, col).value) for r in subtotals] == [s.points for s in ev.sections]
            assert cell_decimal(ws.cell(total, col).value) == ev.reported_total, m.path.name
        else:
            met = [sum(1 for i in s.counted if i.met) for s in ev.sections]
            assert [ws.cell(r, col).value for r in subtotals] == met, m.path.name
            assert ws.cell(total, col).value == sum(1 for i in ev.counted if i.met), m.path.name
        checked += 1
    assert checked == len(sheets) + 1


def wrong_values(path: Path, out: Path) -> None:
    """A copy of a workbook whose formulas' written values are all 999."""
    import zipfile

    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"(</f>)<v>[^<]*</v>", rb"\1<v>999</v>", data)
            dst.writestr(info, data)
    ws = openpyxl.load_workbook(out, data_only=True).worksheets[0]
    (total,) = find_rows(ws, 1, "合计")
    assert ws.cell(total, 6).value == 999  # what a reader that does not recalculate sees
