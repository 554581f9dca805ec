"""The score sheet on paper: the PDF fuac writes (``--report FILE.pdf``, WeasyPrint) and the HTML sheet
printed by Chromium (``page.pdf(format="A4", prefer_css_page_size=True)``, Playwright driving Debian's
chromium).

Each built-in rule set's example unit (every tier of wuhan-2017 and of guangdong-2020, and liunan-2023
with inputs missing, in Chinese and in English) is printed; poppler reads the pages back:

* every page is A4 portrait (``pdfinfo``), the count of pages the one measured;
* rendered (``pdftoppm``, 150 dpi, grey), no pixel that is not white lies outside the printable box
  (the page less the ``@page`` margins, 1 CSS px allowed), but for the page number centred in the
  bottom margin; the sheet keeps 3 px clear of the box's left and right edges, so that ink on those
  edges is a cell cut off where the printer clips (Chromium clips at the box: "86.1 / 10" for
  "86.1 / 100", a table without its right border);
* every word of the text layer (``pdftotext -bbox``) lies within the box;
* the text layer (``pdftotext -layout``) has the total whole on the 合计 line, "第 x 页 共 y 页" on
  every page, the table's header on every page the table runs over, and "—（缺少输入）" whole as
  many times as items miss an input;
* the CJK text is set in a real CJK font, embedded (``pdffonts``).

Two controls break the sheet's CSS on purpose (the score column of old; a table wider than the page)
and check that these checks then fail.

Without WeasyPrint, poppler, Chromium or Playwright the tests are skipped; under CI (``CI=true``) they
fail instead.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import fuac
import fuac.render.report as report
from fuac.cli import main, read_input
from fuac.render.report import report_html, write_report

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples" / "data"
CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")

MM = 72 / 25.4  # points per millimetre
A4 = (210 * MM, 297 * MM)
#: the sheet's @page margins (top, right, bottom, left), mm
MARGINS = (12, 10, 14, 10)
DPI = 150
PX = DPI / 96  # device pixels per CSS px
#: the sheet keeps 3 CSS px clear of the box's left and right edges; ink within 1.5 of them is a cut
SIDE_GUARD = 1.5 * PX
CJK_FONTS = ("WenQuanYi", "NotoSansCJK", "NotoSerifCJK", "SourceHan", "MicrosoftYaHei", "SimSun")


def unavailable(why: str) -> None:
    if CI:
        pytest.fail(f"{why}; CI must have it (.ci/run)")
    pytest.skip(why)


def weasyprint_or_skip() -> None:
    try:
        import weasyprint  # noqa: F401
    except ImportError:
        unavailable("WeasyPrint is not installed (pip install 'fuac[pdf]')")
    except OSError as exc:
        unavailable(f"WeasyPrint cannot load Pango ({exc}; apt-get install libpango-1.0-0 libpangoft2-1.0-0)")


def poppler_or_skip() -> None:
    for tool in ("pdftoppm", "pdfinfo", "pdftotext", "pdffonts"):
        if not shutil.which(tool):
            unavailable(f"{tool} is not installed (apt-get install poppler-utils)")


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    unavailable("chromium is not installed (apt-get install chromium)")
    return ""  # pragma: no cover


# ---------------------------------------------------------------------------
# the units printed


@dataclass(frozen=True)
class Case:
    file: str
    ruleset: str
    #: the text of the 合计 (total) cell
    total: str
    #: pages of the PDF WeasyPrint writes, and of Chromium's print
    pages: int
    chromium_pages: int
    #: the header of the sheet's table: the first word of each cell, all on one line of the page's text
    header: tuple[str, ...] = ("项目", "分值", "评选标准及评分细则", "评估方法", "评估情况", "得分")
    lang: str = "zh"
    #: each item's clause starts with its number ("23.孕产妇死亡率…"): a page that starts in the middle of
    #: a row (a row cut in two) is seen
    numbered: bool = False
    drop: tuple[str, ...] = ()
    #: the 得分 cell of an item that misses an input, in pieces the cell keeps on one line
    missing: tuple[str, ...] = ("—（缺少输入）",)


DROPPED = ("registered_childcare_institutions", "leave_complaints", "childcare_enrolment_rate")
CHECKLIST = ("项目", "评选标准及评分细则", "评估方法", "评估情况", "落实情况")
CASES = {
    "liunan-2023": Case("liunan-2023-liunan.toml", "liunan-2023", "86.1 / 100", 4, 4, numbered=True),
    # three inputs missing: items 14 and 17 cannot be scored (—（缺少输入）), 15.b neither
    "liunan-2023-missing": Case("liunan-2023-liunan.toml", "liunan-2023", "82.5 / 100", 4, 4, numbered=True,
                                drop=DROPPED),
    "liunan-2023-en": Case(
        "liunan-2023-liunan.toml", "liunan-2023", "82.5 / 100", 5, 5, lang="en", drop=DROPPED,
        header=("Section", "Points", "Standard", "Assessment", "Findings", "Score"), missing=("(missing",),
    ),
    "guangdong-2020-county": Case("guangdong-2020-heping.toml", "guangdong-2020", "30/33 项已落实", 3, 3,
                                  header=CHECKLIST),
    "guangdong-2020-whole_city": Case("guangdong-2020-dongguan.toml", "guangdong-2020", "31/33 项已落实", 3, 3,
                                      header=CHECKLIST),
    "longnan-2021": Case("longnan-2021-longnan.toml", "longnan-2021", "33/38 项已落实", 3, 3,
                         header=("项目", "评选标准及评分细则", "评估方法", "评估情况", "完成情况")),
    "wuhan-2017-district": Case("wuhan-2017-district.toml", "wuhan-2017", "29/32 项已落实", 3, 3, header=CHECKLIST),
    "wuhan-2017-street": Case("wuhan-2017-street.toml", "wuhan-2017", "29/32 项已落实", 3, 3, header=CHECKLIST),
    "wuhan-2017-village": Case("wuhan-2017-village.toml", "wuhan-2017", "27/32 项已落实", 3, 3, header=CHECKLIST),
}


def evaluation(case: Case) -> fuac.Evaluation:
    doc = read_input(str(EXAMPLES / case.file))
    data = {k: v for k, v in doc["data"].items() if k not in case.drop}
    return fuac.evaluate(
        case.ruleset,
        data,
        tier=doc.get("tier"),
        context=doc.get("context"),
        assessments=doc.get("assessments"),
        on=dt.date.fromisoformat(str(doc["on"])),
    )


def missing_items(ev: fuac.Evaluation) -> int:
    """How many items show 缺少输入 in their 得分 cell."""
    return sum(1 for it in ev.items if it.status == "missing_input" and it.points is None and not it.is_veto)


# ---------------------------------------------------------------------------
# reading a PDF back


@dataclass
class Printed:
    path: Path
    sizes: list[tuple[float, float]]
    #: each page's text (pdftotext -layout)
    texts: list[str]
    #: each page's words with their boxes in points: (x0, y0, x1, y1, word)
    words: list[list[tuple[float, float, float, float, str]]]
    fonts: str


def run(*args: str) -> str:
    res = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, f"{args[0]} failed ({res.returncode}): {res.stderr[-2000:]}"
    return res.stdout


def read_pdf(path: Path) -> Printed:
    assert path.read_bytes()[:5] == b"%PDF-"
    info = run("pdfinfo", "-f", "1", "-l", "9999", str(path))
    sizes = [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)]
    assert sizes and int(re.search(r"Pages:\s+(\d+)", info)[1]) == len(sizes)  # type: ignore[index]
    texts = [run("pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-") for n in range(1, len(sizes) + 1)]
    bbox = run("pdftotext", "-bbox", str(path), "-")
    words = []
    for page in bbox.split("<page ")[1:]:
        words.append(
            [
                (float(a), float(b), float(c), float(d), w)
                for a, b, c, d, w in re.findall(
                    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page
                )
            ]
        )
    return Printed(path, sizes, texts, words, run("pdffonts", str(path)))


def rasters(path: Path) -> Iterator[np.ndarray]:
    """The pages as grey images, ``DPI`` dots per inch (pdftoppm writes PGM: a header, then the bytes)."""
    stem = path.with_suffix("")
    run("pdftoppm", "-r", str(DPI), "-gray", str(path), str(stem))
    for pgm in sorted(path.parent.glob(stem.name + "-*.pgm"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
        data = pgm.read_bytes()
        m = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", data)
        assert m, pgm
        width, height = int(m[1]), int(m[2])
        yield np.frombuffer(data, np.uint8, width * height, m.end()).reshape(height, width)


def box_px(width: int, height: int) -> tuple[float, float, float, float]:
    """The printable box in device pixels: left, top, right, bottom."""
    top, right, bottom, left = (m * DPI / 25.4 for m in MARGINS)
    return left, top, width - right, height - bottom


def ink_problems(page: int, img: np.ndarray) -> list[str]:
    """Where a page has ink it should not: outside the box (beyond 1 CSS px), on the box's left and right
    edges (a cut), or in the bottom margin other than a page number centred under the box."""
    height, width = img.shape
    left, top, right, bottom = box_px(width, height)
    ys, xs = np.nonzero(img < 255)
    if len(xs) == 0:
        return [f"page {page}: blank"]
    problems = []
    footer = ys > bottom + PX
    body_x, body_y = xs[~footer], ys[~footer]
    if body_x.min() < left + SIDE_GUARD or body_x.max() > right - SIDE_GUARD:
        problems.append(
            f"page {page}: ink from x={body_x.min()} to {body_x.max()} px, the box's sides at {left:.1f} and "
            f"{right:.1f} (kept {SIDE_GUARD:.1f} px clear)"
        )
    if body_y.min() < top - PX:
        problems.append(f"page {page}: ink at y={body_y.min()} px, above the box (top {top:.1f})")
    if footer.any():
        fx = xs[footer]
        mid, span = (fx.min() + fx.max()) / 2, fx.max() - fx.min()
        if abs(mid - width / 2) > 10 * PX or span > 60 * DPI / 25.4 or ys[footer].max() > height - 3 * DPI / 25.4:
            problems.append(f"page {page}: ink in the bottom margin, x={fx.min()} to {fx.max()} px: not a page number")
    return problems


def word_problems(printed: Printed) -> list[str]:
    """Words of the text layer outside the box: across its sides, or (their middle) above or below it,
    the bottom margin's page number aside. (A word's height is its font's, taller than its glyphs.)"""
    top, right, bottom, left = (m * MM for m in MARGINS)
    problems = []
    for n, (words, (w, h)) in enumerate(zip(printed.words, printed.sizes, strict=True), start=1):
        for x0, y0, x1, y1, word in words:
            middle = (y0 + y1) / 2
            footer = middle > h - bottom and re.fullmatch(r"第|页|共|\d+|page|of", word)
            if x0 < left - 0.5 or x1 > w - right + 0.5 or middle < top or (middle > h - bottom and not footer):
                problems.append(f"page {n}: {word!r} at x {x0:.1f}–{x1:.1f}, y {y0:.1f}–{y1:.1f} pt, outside the box")
    return problems


def row_starts_page(text: str, header: tuple[str, ...]) -> bool:
    """Whether the line after the table's header starts a row: an item's numbered clause, or a subtotal."""
    lines = [line for line in text.splitlines() if line.strip()]
    at = next(n for n, line in enumerate(lines) if set(header) <= set(line.split()))
    first = lines[at + 1].split()
    return any(re.match(r"\d+\.\S", word) for word in first) or "小计" in first or "合计" in first


def compact(s: str) -> str:
    return re.sub(r"\s+", "", s)


def check_pages(printed: Printed, case: Case, ev: fuac.Evaluation, pages: int) -> None:
    """Everything a printed sheet must be (the module's docstring)."""
    assert len(printed.sizes) == pages, f"{len(printed.sizes)} pages, expected {pages}"
    for w, h in printed.sizes:  # A4 portrait (Chromium rounds to 594.96 × 841.92)
        assert abs(w - A4[0]) < 1 and abs(h - A4[1]) < 1, (w, h)
    problems = [p for n, img in enumerate(rasters(printed.path), start=1) for p in ink_problems(n, img)]
    assert not problems, problems
    assert not word_problems(printed), word_problems(printed)
    text = [compact(t) for t in printed.texts]
    for n, t in enumerate(text, start=1):
        number = f"page{n}of{pages}" if case.lang == "en" else f"第{n}页共{pages}页"
        assert number in t, (n, printed.texts[n - 1][-300:])
    # the total, whole, on the total's line
    label = "Total" if case.lang == "en" else "合计"
    total = case.total
    lines = [compact(line) for t in printed.texts for line in t.splitlines() if compact(line).startswith(label)]
    assert compact(label + total) in lines, lines
    # the table's header on every page it runs over (to the one with the total)
    last = next(n for n, t in enumerate(text) if compact(label + total) in t)
    for n in range(last + 1):
        lines = [set(line.split()) for line in printed.texts[n].splitlines()]
        assert any(set(case.header) <= words for words in lines), f"page {n + 1} has no table header, whole"
    if case.numbered:
        for n in range(1, last + 1):
            assert row_starts_page(printed.texts[n], case.header), f"page {n + 1} starts in the middle of a row"
    # every 得分 cell that says an input is missing, whole (and not cut: no more of its beginnings)
    whole = "".join(text)
    for piece in case.missing:
        assert whole.count(piece) == whole.count(piece[:3]) == missing_items(ev), piece
    # a real CJK font, embedded
    fonts = [line for line in printed.fonts.splitlines()[2:] if any(f in line.replace(" ", "") for f in CJK_FONTS)]
    assert fonts and all(" yes " in f for f in fonts), printed.fonts


# ---------------------------------------------------------------------------
# the PDF fuac writes


@pytest.fixture(scope="module")
def evaluations() -> dict[str, fuac.Evaluation]:
    return {name: evaluation(case) for name, case in CASES.items()}


def test_cases_cover_every_builtin_rule_set(evaluations: dict[str, fuac.Evaluation]) -> None:
    shipped = {p.name.removesuffix(".toml") for p in (ROOT / "src" / "fuac" / "rulesets").glob("*.toml")}
    builtin = {rid for rid in shipped if not rid.endswith(".test")}
    assert {ev.ruleset_id for ev in evaluations.values()} == builtin == {
        "liunan-2023", "guangdong-2020", "longnan-2021", "wuhan-2017"}
    tiers = {ev.tier for ev in evaluations.values() if ev.ruleset_id == "wuhan-2017"}
    assert tiers == {"district", "street", "village"}
    assert {ev.tier for ev in evaluations.values() if ev.ruleset_id == "guangdong-2020"} == {"county", "whole_city"}
    # the unit with inputs missing: items 14 and 17 cannot be scored, part b of 15 neither
    missing = evaluations["liunan-2023-missing"]
    assert missing_items(missing) == 2
    assert {it.number for it in missing.items if it.status == "missing_input"} == {"14", "15", "17"}


@pytest.mark.parametrize("name", list(CASES))
def test_pdf_pages(name: str, evaluations: dict[str, fuac.Evaluation], tmp_path: Path) -> None:
    weasyprint_or_skip()
    poppler_or_skip()
    case, ev = CASES[name], evaluations[name]
    pdf = tmp_path / f"{name}.pdf"
    write_report([ev], str(pdf), lang=case.lang)
    check_pages(read_pdf(pdf), case, ev, case.pages)


def test_report_pdf_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weasyprint_or_skip()
    poppler_or_skip()
    out = tmp_path / "评分表.pdf"
    assert main(["evaluate", "liunan-2023", str(EXAMPLES / "liunan-2023-liunan.toml"), "--report", str(out)]) == 0
    assert f"score sheet: {out}" in capsys.readouterr().out
    printed = read_pdf(out)
    assert len(printed.sizes) == CASES["liunan-2023"].pages
    assert "合计86.1/100" in compact("".join(printed.texts)) and "第1页共4页" in compact(printed.texts[0])
    assert main(["evaluate", "liunan-2023", str(EXAMPLES / "liunan-2023-liunan.toml"), "--report", "x.docx"]) == 2
    assert "must end in .html, .xlsx or .pdf" in capsys.readouterr().err


def test_without_weasyprint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    """The extra's absence is fuac's own error, naming the extra; the command stops with status 2."""
    from fuac.render.report import write_report_pdf
    from fuac.render.xlsxkit import MissingExtra

    monkeypatch.setitem(__import__("sys").modules, "weasyprint", None)  # `import weasyprint` raises ImportError
    out = tmp_path / "r.pdf"
    with pytest.raises(MissingExtra, match=r"pip install 'fuac\[pdf\]'"):
        write_report_pdf(evaluation(CASES["liunan-2023"]), str(out))
    assert main(["evaluate", "liunan-2023", str(EXAMPLES / "liunan-2023-liunan.toml"), "--report", str(out)]) == 2
    assert "fuac: writing the score sheet as .pdf needs WeasyPrint: pip install 'fuac[pdf]'" in capsys.readouterr().err
    assert not out.exists()


def test_pdf_fetches_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A unit's name that looks like markup is text on the page; WeasyPrint is asked for no file or address,
    and one it would ask for is refused."""
    weasyprint_or_skip()
    poppler_or_skip()
    import fuac.render.pdf as pdf

    asked: list[str] = []
    original = pdf._refuse

    def refuse(url: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(url)
        return original(url)

    monkeypatch.setattr(pdf, "_refuse", refuse)
    case = CASES["liunan-2023"]
    doc = read_input(str(EXAMPLES / case.file))
    name = '<img src="http://127.0.0.1:9/x.png">'
    ev = fuac.evaluate(case.ruleset, doc["data"], context={"name": name}, assessments=doc["assessments"],
                       on=dt.date.fromisoformat(str(doc["on"])))
    out = tmp_path / "r.pdf"
    write_report([ev], str(out))
    assert asked == [] and name.replace(" ", "") in compact(read_pdf(out).texts[0])
    # a sheet that did refer to an image would not have it fetched
    pdf.html_to_pdf('<p>x</p><img src="http://127.0.0.1:9/x.png">', str(tmp_path / "img.pdf"))
    assert asked == ["http://127.0.0.1:9/x.png"]


# ---------------------------------------------------------------------------
# the HTML sheet printed by Chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install 'fuac[test]')")
    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=args)
        yield b
        b.close()


def chromium_pdf(browser: Any, doc: str, out: Path) -> Path:
    """The HTML sheet printed as Chromium prints it: A4, the sheet's own @page size and margins, no
    header or footer of the browser's."""
    page_html = out.with_suffix(".html")
    page_html.write_text(doc, encoding="utf-8")
    tab = browser.new_page()
    try:
        tab.goto(page_html.as_uri())
        tab.pdf(path=str(out), format="A4", prefer_css_page_size=True, print_background=True)
    finally:
        tab.close()
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_chromium_prints_within_the_box(name: str, evaluations: dict[str, fuac.Evaluation], browser: Any,
                                        tmp_path: Path) -> None:
    poppler_or_skip()
    case, ev = CASES[name], evaluations[name]
    pdf = chromium_pdf(browser, report_html(ev, lang=case.lang), tmp_path / f"{name}.pdf")
    check_pages(read_pdf(pdf), case, ev, case.chromium_pages)


# ---------------------------------------------------------------------------
# the checks see a sheet that does not fit


def old_score_column(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sheet as it was: a score column of 8 %, its text on one line whatever its length, the total
    in 13 px, the table as wide as the box (its right border half outside)."""
    css = report._CSS
    for new, old in (
        ("td.pts { font-weight: bold; word-break: keep-all; }", "td.pts { font-weight: bold; white-space: nowrap; }"),
        ("tr.grand td { font-size: 12px; }", ""),
        ("padding: 0 3px; font-size: 10.5px;", "padding: 0; font-size: 10.5px;"),
    ):
        assert new in css
        css = css.replace(new, old)
    monkeypatch.setattr(report, "_CSS", css)
    monkeypatch.setattr(report, "_colgroup", lambda points: "<colgroup>" + "".join(
        f'<col style="width:{w}%">' for w in (13, 6, 31, 12, 30, 8)) + "</colgroup>")


def test_the_checks_see_chromium_cut_the_total(evaluations: dict[str, fuac.Evaluation], browser: Any,
                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    poppler_or_skip()
    old_score_column(monkeypatch)
    ev = evaluations["liunan-2023-missing"]
    printed = read_pdf(chromium_pdf(browser, report_html(ev), tmp_path / "old.pdf"))
    # the total and 缺少输入 run past the box's right edge, where Chromium cuts them
    words = word_problems(printed)
    assert any("'100'" in w or "82.5/100" in w.replace(" ", "") for w in words), words
    assert any("缺少输入" in w for w in words), words
    # and ink up to the box's right edge: the table's right border, cut in half, and the cut text
    ink = [p for n, img in enumerate(rasters(printed.path), start=1) for p in ink_problems(n, img)]
    assert len(ink) == len(printed.sizes), ink  # every page: each has a table


def test_the_checks_see_a_table_wider_than_the_page(evaluations: dict[str, fuac.Evaluation],
                                                    tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    weasyprint_or_skip()
    poppler_or_skip()
    css = report._CSS.replace("table { width: 100%;", "table { width: 104%;")
    assert css != report._CSS
    monkeypatch.setattr(report, "_CSS", css)
    out = tmp_path / "wide.pdf"
    write_report([evaluations["liunan-2023"]], str(out))
    ink = [p for n, img in enumerate(rasters(out), start=1) for p in ink_problems(n, img)]
    assert len(ink) == 4 and all("the box's sides" in p for p in ink), ink
    assert any("'100'" in w for w in word_problems(read_pdf(out)))
