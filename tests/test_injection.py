"""Every file fuac writes is safe to open (issue #12): text that a spreadsheet would take for a
formula is written as text in every CSV and XLSX, Markdown and HTML output escape a rule file's
text, the batch CSV starts with a BOM, and ``*_exact`` columns are exact in every format.

A hostile rule file (its texts starting with ``=``, ``+``, ``-``, ``@``, a tab or a CR, or
carrying ``<script>``) and hostile unit names go through each writer; each file is read back
(openpyxl, the csv module, json, pyarrow) and checked cell by cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import fuac
from fuac.cli import main
from fuac.render.cells import csv_cell, formula_like

HYPERLINK = '=HYPERLINK("http://x","<b>y</b>")'
CMD = "=cmd|' /C calc'!A0"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
TAB = "\t=1+1"
CR = "\r=1+1"
#: one text for each character a spreadsheet reads as the start of a formula
FORMULAS = [HYPERLINK, "+1+2", "-2+3", "@SUM(A1:A2)", TAB, CR]


def q(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text)


EVIL_TOML = f"""
[scheme]
id = "evil"
version = {q("+1+2")}
kind = "points"
title = {{ zh = {q(HYPERLINK)}, en = {q(SCRIPT)} }}
issuer = {{ zh = {q("@SUM(A1:A2)")}, en = {q(IMG)} }}
issued = 2023-01-01
valid_from = 2023-01-01
total = 10
precision = 0.1
jurisdiction = [{{ code = "450204", level = "county", name = {{ zh = "+1", en = "[x](javascript:alert(1))" }} }}]

[[notes]]
zh = {q("-1+2")}
en = {q("<script>alert(2)</script>")}

[indicators.kind]
type = "choice"
choices = [{q(HYPERLINK)}, "+3+4", "a,b"]
label = {{ zh = {q(TAB)}, en = {q(CR)} }}
description = {{ zh = "=2+2", en = "<b>bold</b>" }}

[indicators.rate]
type = "decimal"
unit = "percent"
min = 0
max = 100
label = {{ zh = "=rate", en = "-rate" }}

[[sections]]
id = "A"
number = "=7"
title = {{ zh = "=SUM(1)", en = "<script>alert(3)</script>" }}
max = 10

[[sections.items]]
id = "1"
number = "@1"
max = 6
kind = "threshold"
points = 6
indicator = "rate"
comparator = ">="
threshold = 90
unit = "percent"
label = {{ zh = {q(HYPERLINK)}, en = {q(IMG)} }}
clause = {q("=1+1 " + SCRIPT)}
method = {q(HYPERLINK)}
note = "<script>alert(6)</script>"

[[sections.items]]
id = "2"
max = 4
kind = "discretionary"
points = 4
label = {{ zh = "+judge <img src=x onerror=alert(8)>", en = "@judge `<b>code</b>`" }}
clause = "-clause"

[[vetoes]]
id = "v"
scope = "outcome"
condition = "rate < 10"
label = {{ zh = "=veto", en = "<script>alert(7)</script>" }}
clause = "@veto"

[cycle]
length_years = 3
first_year = 2023
clause = {q(CMD)}
title_lapses = true
"""

#: the rule file's texts a score sheet shows (Chinese), as the rule file has them (a section number without
#: punctuation of its own is set apart from its title by a space)
SHEET_TEXTS = [HYPERLINK, "=7 =SUM(1)（10分）", "@1 =1+1 " + SCRIPT, "-clause", "=veto"]
#: … and a fill-in workbook shows
TEMPLATE_TEXTS = [HYPERLINK + " — 填报表", "+1+2", TAB, CR, "=rate", "-rate", "-clause",
                  "+3+4", "=2+2\n<b>bold</b>"]
UNITS = [HYPERLINK, CMD, "@SUM(A1:A2)", TAB, "-1.5"]


@pytest.fixture()
def evil(tmp_path: Path) -> Path:
    path = tmp_path / "evil.toml"
    path.write_text(EVIL_TOML, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# the one rule


@pytest.mark.parametrize("text", [*FORMULAS, "=", CMD, "-１"])  # a full-width digit is no plain number
def test_formula_like_texts(text: str) -> None:
    assert formula_like(text)
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["-1.5", "+3", "-2e5", ".5", "甲", "", "a=1", " =1", "1-2"])
def test_plain_numbers_and_other_texts_are_left_alone(text: str) -> None:
    assert not formula_like(text)
    assert csv_cell(text) == text


def test_numbers_are_never_prefixed() -> None:
    assert csv_cell(-1.5) == -1.5
    assert csv_cell(-2) == -2
    assert csv_cell(Decimal("-0.50")) == "-0.5"  # a decimal as its exact text, no exponent
    assert csv_cell(Decimal("1E-12")) == "0.000000000001"
    assert csv_cell(None) is None and csv_cell(True) is True


# ---------------------------------------------------------------------------
# workbooks


#: the only formulas fuac writes: sums over its own cells (references, numbers, SUM, ROUND, MAX), never a text
OWN_SUM = re.compile(r"=(?:(?:SUM|ROUND|MAX)\(|[A-Z]{1,3}[0-9]+|[0-9]+(?:\.[0-9]+)?|[-+(),:])+\Z")


def xlsx_texts(path: Path) -> list[str]:
    """Every text of a workbook, checking that no cell is a formula but fuac's own sums (a score sheet's
    subtotals and total) and that a text a spreadsheet would run is a string cell with the quote prefix."""
    openpyxl = pytest.importorskip("openpyxl")
    texts = []
    for ws in openpyxl.load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert OWN_SUM.match(cell.value), f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                    continue
                if isinstance(cell.value, str):
                    assert cell.data_type == "s"
                    if formula_like(cell.value):
                        assert cell.quotePrefix, f"{ws.title}!{cell.coordinate}: {cell.value!r} has no quote prefix"
                    texts.append(cell.value)
    return texts


def in_workbook(text: str) -> str:
    """A text as a workbook gives it back: XML reads a carriage return as a line feed."""
    return text.replace("\r", "\n")


def test_template_writes_every_text_as_text(evil: Path, tmp_path: Path) -> None:
    from fuac.render.workbook import read_workbook, write_template

    path = tmp_path / "template.xlsx"
    write_template(str(evil), path, units=UNITS)
    texts = xlsx_texts(path)
    for t in [*TEMPLATE_TEXTS, *UNITS]:
        assert in_workbook(t) in texts
    assert texts.count(HYPERLINK) == 3  # the choice (on the hidden list sheet), the unit's name on two sheets
    # read back, each unit keeps its name (the reader strips a cell's spaces and tabs)
    assert [u.name for u in read_workbook(path).units] == [u.strip() for u in UNITS]


def evaluation(evil: Path, name: str) -> fuac.Evaluation:
    return fuac.evaluate(str(evil), {"kind": "+3+4", "rate": 95}, context={"name": name}, on=dt.date(2023, 6, 1))


def test_score_sheet_xlsx_writes_every_text_as_text(evil: Path, tmp_path: Path) -> None:
    from fuac.render.workbook import write_report_xlsx

    path = tmp_path / "sheet.xlsx"
    write_report_xlsx([evaluation(evil, CMD)], path)
    texts = xlsx_texts(path)
    for t in SHEET_TEXTS:
        assert t in texts
    assert texts.count(HYPERLINK) == 2  # the title, and the item's method
    assert "=rate 95% ≥ 90%，得6分。" in texts  # the finding, which starts with the indicator's label


def test_score_sheet_through_the_cli(evil: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unit = tmp_path / "unit.json"
    unit.write_text(json.dumps({"on": "2023-06-01", "context": {"name": "@SUM(A1:A2)"},
                                "data": {"kind": "+3+4", "rate": 95}}), encoding="utf-8")
    path = tmp_path / "sheet.xlsx"
    assert main(["evaluate", str(evil), str(unit), "--report", str(path)]) == 0
    capsys.readouterr()
    texts = xlsx_texts(path)
    assert "评估单位：@SUM(A1:A2)　评估日期：2023-06-01" in texts
    assert HYPERLINK in texts


# ---------------------------------------------------------------------------
# batch output


def batch_input(tmp_path: Path) -> Path:
    """Five units as JSON Lines, their names hostile; a context column with a hostile name."""
    path = tmp_path / "units.jsonl"
    rows = [{"name": n, "code": "-1.5", "context.=HEAD": n, "kind": "+3+4", "rate": 95 - 10 * k}
            for k, n in enumerate(UNITS)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def run_batch(evil: Path, tmp_path: Path, out: Path, *extra: str) -> None:
    code = main(["batch", str(evil), str(batch_input(tmp_path)), "--on", "2023-06-01", "--chunk-size", "2",
                 "--no-progress", "-o", str(out), *extra])
    assert code == 0


def test_batch_csv(evil: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.csv"
    run_batch(evil, tmp_path, out)
    capsys.readouterr()
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1  # one BOM, three chunks
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    head = rows[0]
    assert head[:3] == ["name", "code", "'=HEAD"]
    names = [r[0] for r in rows[1:]]
    assert names == ["'" + HYPERLINK, "'" + CMD, "'@SUM(A1:A2)", "'\t=1+1", "-1.5"]
    assert [r[2] for r in rows[1:]] == names
    assert [r[1] for r in rows[1:]] == ["-1.5"] * 5  # a text that is a plain number is left as it is
    col = {h: k for k, h in enumerate(head)}
    assert [r[col["total_exact"]] for r in rows[1:]] == ["6", "0", "0", "0", "0"]  # rates 95, 85, 75 …: 90 reached once
    assert [r[col["status"]] for r in rows[1:]] == ["awaiting_assessor"] * 5


def test_batch_jsonl_and_parquet_keep_text_exactly(evil: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.jsonl"
    run_batch(evil, tmp_path, out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5  # one line a row, no blank line between chunks
    rows = [json.loads(line) for line in lines]
    assert [r["name"] for r in rows] == UNITS and [r["=HEAD"] for r in rows] == UNITS
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "out.parquet"
    run_batch(evil, tmp_path, out)
    capsys.readouterr()
    table = pq.read_table(out)
    assert table.column("name").to_pylist() == UNITS
    assert table.column("=HEAD").to_pylist() == UNITS


# ---------------------------------------------------------------------------
# exact everywhere

#: 12.345678901234567891 + 0.000000000001: 20 significant digits, 18 decimals
EXACT_TOML = """
[scheme]
id = "exact"
version = "1"
kind = "points"
title = { zh = "精确", en = "Exact" }
issuer = { zh = "测试", en = "Test" }
issued = 2023-01-01
valid_from = 2023-01-01
total = 12.345678901235567891
precision = 0.1
jurisdiction = [{ code = "450204", level = "county" }]

[indicators.rate]
type = "decimal"
unit = "percent"
min = 0
max = 100
label = { zh = "率", en = "Rate" }

[[sections]]
id = "A"
title = { zh = "甲", en = "A" }
max = 12.345678901235567891

[[sections.items]]
id = "1"
max = 12.345678901234567891
kind = "threshold"
points = 12.345678901234567891
indicator = "rate"
comparator = ">="
threshold = 90
unit = "percent"

[[sections.items]]
id = "2"
max = 0.000000000001
kind = "threshold"
points = 0.000000000001
indicator = "rate"
comparator = ">="
threshold = 50
unit = "percent"
"""
#: rates 95 (both items), 60 (the second), 10 (none)
EXACT_TOTALS = ["12.345678901235567891", "0.000000000001", "0"]


def exact_batch(tmp_path: Path, out: Path, *extra: str) -> None:
    rules = tmp_path / "exact.toml"
    rules.write_text(EXACT_TOML, encoding="utf-8")
    units = tmp_path / "units.jsonl"
    units.write_text("".join(json.dumps({"name": n, "rate": r}) + "\n" for n, r in [("a", 95), ("b", 60), ("c", 10)]),
                     encoding="utf-8")
    assert main(["batch", str(rules), str(units), "--on", "2023-06-01", "--chunk-size", "2", "--no-progress",
                 "-o", str(out), *extra]) == 0


def read_rows(out: Path) -> list[dict[str, Any]]:
    if out.suffix == ".csv":
        with open(out, encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))
    if out.suffix == ".jsonl":
        return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(out)
    pa = pytest.importorskip("pyarrow")
    assert table.schema.field("total_exact").type in (pa.string(), pa.large_string())  # text, never a float
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_total_exact_is_exact_in_every_format(tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"out{suffix}"
    exact_batch(tmp_path, out)
    capsys.readouterr()
    rows = read_rows(out)
    assert [r["total_exact"] for r in rows] == EXACT_TOTALS


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_exact_points_are_exact_in_every_format(tmp_path: Path, suffix: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"out{suffix}"
    exact_batch(tmp_path, out, "--exact")
    capsys.readouterr()
    rows = read_rows(out)
    assert [r["item.1"] for r in rows] == ["12.345678901234567891", "0", "0"]
    assert [r["item.2"] for r in rows] == ["0.000000000001", "0.000000000001", "0"]
    assert [r["total"] for r in rows] == ["12.3", "0", "0"]
    assert [r["total_exact"] for r in rows] == EXACT_TOTALS


def test_parquet_column_empty_in_the_first_chunk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A text column with no value in the first chunk (no errors yet) is text for the whole file."""
    pq = pytest.importorskip("pyarrow.parquet")
    rules = tmp_path / "exact.toml"
    rules.write_text(EXACT_TOML, encoding="utf-8")
    units = tmp_path / "units.jsonl"
    units.write_text("".join(json.dumps({"name": n, "rate": r}) + "\n" for n, r in [("a", 95), ("b", 60), ("c", 200)]),
                     encoding="utf-8")
    out = tmp_path / "out.parquet"
    assert main(["batch", str(rules), str(units), "--on", "2023-06-01", "--chunk-size", "2", "--no-progress",
                 "-o", str(out)]) == 1  # c's rate is out of bounds
    capsys.readouterr()
    errors = pq.read_table(out).column("errors").to_pylist()
    assert errors[:2] == [None, None] and errors[2] is not None and errors[2].startswith("rate")


# ---------------------------------------------------------------------------
# title tables


#: units of a title history (the history reader strips a cell's spaces and tabs)
HISTORY_UNITS = [HYPERLINK, CMD, "@SUM(A1:A2)", "-2+3", "-1.5"]


def titles(evil: Path, tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]) -> Path:
    history = tmp_path / "history.jsonl"
    history.write_text("".join(json.dumps({"unit": u, "year": 2023, "level": "municipal"}) + "\n"
                               for u in HISTORY_UNITS), encoding="utf-8")
    out = tmp_path / f"titles{suffix}"
    assert main(["titles", str(evil), str(history), "--year", "2024", "-o", str(out)]) == 0
    capsys.readouterr()
    return out


def test_title_table_csv(evil: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = titles(evil, tmp_path, ".csv", capsys)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["unit"] for r in rows] == ["'" + HYPERLINK, "'" + CMD, "'@SUM(A1:A2)", "'-2+3", "-1.5"]
    assert {r["clauses"] for r in rows} == {"'" + CMD}  # the rule file's cycle clause
    assert [r["year"] for r in rows] == ["2024"] * 5


def test_title_table_xlsx(evil: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = titles(evil, tmp_path, ".xlsx", capsys)
    texts = xlsx_texts(out)
    for u in HISTORY_UNITS:
        assert u in texts
    assert texts.count(CMD) == 6  # a unit, and the clause on each unit's row


# ---------------------------------------------------------------------------
# Markdown and HTML

RAW_HTML = re.compile(r"<\s*(script|img|b)\b", re.IGNORECASE)


def test_docs_page_escapes_the_rule_files_text(evil: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "evil.md"
    assert main(["docs", str(evil), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert not RAW_HTML.search(re.sub(r"`[^`]*`", "", page))  # no HTML outside a code span
    assert "*&lt;script>alert(1)&lt;/script>*" in page  # the title, escaped, still readable
    assert "- 注 note: &lt;script>alert(6)&lt;/script>" in page
    assert "> =1+1 &lt;script>alert(1)&lt;/script>" in page  # a clause, quoted
    assert "\\[x\\](javascript:alert(1))" in page  # no link
    assert "- `rate < 10` 成立时否决" in page  # a code span is kept as written
    assert "  - =rate（`rate`） ≥ 90%得6分，否则不得分。" in page  # in a rule's description too
    assert "#### 2 +judge &lt;img src=x onerror=alert(8)>" in page
    assert "*@judge `<b>code</b>`*" in page  # and in a label
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table").render(page)
    assert not RAW_HTML.search(html) and "<a " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # what a reader sees: the text
    assert "<code>rate &lt; 10</code>" in html and "<code>&lt;b&gt;code&lt;/b&gt;</code>" in html


@pytest.mark.parametrize(
    "text",
    ["`<script>x</script>", "a ``b` <img src=x onerror=y>", "\\`<script>`", "[a](javascript:x) <b>`c`</b>",
     "`` ` `` <script>", "&lt;script&gt;"],
)
def test_docs_escaping_holds_around_backticks(text: str) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    from fuac.render.docgen import _esc

    html = markdown_it.MarkdownIt("commonmark", {"html": True}).render(f"- {_esc(text)}\n")
    assert not RAW_HTML.search(html) and "<a " not in html


@pytest.mark.parametrize("text", ["&lt;script&gt;", "a\\b \\<b>", "[x](y) ![i](z)", "<b>bold</b>", "R&D 100%"])
def test_docs_text_reads_as_written(text: str) -> None:
    """What a reader of the rendered page sees is the rule file's text, character for character."""
    markdown_it = pytest.importorskip("markdown_it")
    import html as html_module

    from fuac.render.docgen import _esc

    rendered = markdown_it.MarkdownIt("commonmark", {"html": True}).render(_esc(text) + "\n")
    assert rendered.startswith("<p>") and rendered.count("<") == 2  # one paragraph, nothing else
    assert html_module.unescape(rendered[3:-5]) == text


def test_a_code_span_of_any_text_stays_one_code_span() -> None:
    markdown_it = pytest.importorskip("markdown_it")
    from fuac.render.docgen import _code

    for text in ["a` <img src=x onerror=y> `b", "``x", "x`"]:
        html = markdown_it.MarkdownIt("commonmark", {"html": True}).render(f"- {_code(text)}\n")
        assert html.count("<code>") == 1 and not RAW_HTML.search(html)
        assert re.sub(r"\s+", " ", html.split("<code>")[1].split("</code>")[0]).strip() == (
            text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def test_html_score_sheet_escapes_every_text(evil: Path) -> None:
    from fuac.render.report import evaluation_fragment, report_html

    ev = evaluation(evil, "<img src=x onerror=alert(9)>")
    doc = report_html(ev)
    assert doc.count("<script>") == 1  # the sheet's own language switch, and nothing else
    assert "<img" not in doc
    assert "&lt;img src=x onerror=alert(9)&gt;" in doc and "&lt;script&gt;alert(3)&lt;/script&gt;" in doc
    frag = evaluation_fragment(ev)
    assert "<script" not in frag and "<img" not in frag
    assert "&lt;img src=x onerror=alert(1)&gt;" not in frag  # the fragment shows the Chinese label …
    assert html_escaped(HYPERLINK) in frag  # … as text


def html_escaped(text: str) -> str:
    import html

    return html.escape(text, quote=True)
