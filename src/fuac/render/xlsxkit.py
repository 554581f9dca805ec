"""What every workbook fuac writes shares: openpyxl as an optional dependency, the styles, and a
layout that reads and prints in a spreadsheet application.

* **column widths** (:func:`fit_columns`) fit the longest line of each column's text, within a
  minimum and a cap; a longer text wraps;
* **row heights** (:func:`fit_rows`): a row whose wrapped text needs several lines is made that
  tall, estimated from the text and the width of its column (of its merged columns). Widths are in
  Excel's unit, the width of a ``0`` of the default font (Calibri 11): a CJK or other wide character
  (and one a CJK font draws wide: “ ” … ≥) counts 2, a capital 1.2, anything else 0.9
  (:func:`text_width`), and a line wraps at a space or between wide characters
  (:func:`lines_needed`); a line is 15 points, as Excel sizes one of Calibri 11. Spreadsheet
  applications do not size a row to its wrapped text when they open a file, so without this every
  row stays one line tall;
* **print setup** (:func:`print_setup`): A4, portrait or (for a sheet wider than a portrait page)
  landscape, one page wide and as many pages long as it takes (``fitToWidth=1, fitToHeight=0``),
  the header rows repeated on every page, margins, the print area limited to the cells written (no
  empty page), and 第 x 页 共 y 页 in the footer.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from ..errors import FuacError
from ..language.words import fmt_number

#: Excel's paper size code for A4.
A4 = 9
#: About how many width units an A4 portrait page holds at 100 % (8.27 in less 0.8 in of margins, at
#: 7 pixels a unit): a sheet wider than this prints landscape.
PORTRAIT_UNITS = 100
#: The tallest row a spreadsheet allows, in points.
MAX_ROW_HEIGHT = 409
#: A row's height in points per line of text of an 11-point font, and what a cell adds around its text.
LINE_POINTS = 15.0
ROW_PADDING = 3.0
#: How much wider a bold text is than a regular one.
BOLD = 1.1
#: The footer of every printed page: 第 x 页，共 y 页 (page x of y).
PAGE_FOOTER = "第 &P 页，共 &N 页"
DEFAULT_WIDTH = 8.43


class MissingExtra(FuacError, ModuleNotFoundError):
    """An optional dependency is not installed; the message says which extra to install."""


def require_openpyxl(what: str = "reading and writing .xlsx files") -> Any:
    try:
        import openpyxl
    except ImportError as exc:
        raise MissingExtra(f"{what} needs openpyxl: pip install 'fuac[xlsx]'", name="openpyxl") from exc
    return openpyxl


def styles() -> dict[str, Any]:
    """The fills, fonts, alignments and border of fuac's workbooks."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="8A94A3")
    return {
        "head_fill": PatternFill("solid", fgColor="DCE3EA"),
        "meta_fill": PatternFill("solid", fgColor="F3F5F7"),
        "input_fill": PatternFill("solid", fgColor="FFFBE6"),
        # named, as the default font is: a font without a name is the application's own (a serif one in LibreOffice)
        "bold": Font(name="Calibri", bold=True, size=11),
        "title": Font(name="Calibri", bold=True, size=14),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "top": Alignment(horizontal="center", vertical="top", wrap_text=True),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
    }


def number_format(precision: Decimal | None) -> str:
    """The number format that shows a score to the rule set's precision: ``0.0`` for 0.1, ``0`` for 1;
    ``General`` without a precision."""
    if precision is None:
        return "General"
    places = max(0, -precision.normalize().as_tuple().exponent)  # type: ignore[operator]
    return "0." + "0" * places if places else "0"


def cell_number(value: Decimal | int | None) -> float | int | None:
    """A number as a cell holds it: an int as it is, a ``Decimal`` as the float of its exact text."""
    if value is None or isinstance(value, int):
        return value
    text = fmt_number(value)
    return int(text) if "." not in text else float(text)


# ---------------------------------------------------------------------------
# how much room a text takes


def char_width(ch: str) -> float:
    """The width of one character in Excel's unit: 2 for a CJK (wide or full-width) character, and for
    one a CJK font draws as wide among CJK text (“ ” … — ≥ ×: East Asian "ambiguous"), 1.2 for a capital,
    0.9 for anything else (Calibri's letters are narrower than its digits)."""
    if unicodedata.east_asian_width(ch) in ("W", "F", "A"):
        return 2.0
    return 1.2 if ch.isupper() else 0.9


def text_width(text: str) -> float:
    """The width of the longest line of ``text``."""
    return max((sum(map(char_width, line)) for line in text.split("\n")), default=0.0)


def _tokens(line: str) -> Iterable[tuple[float, bool]]:
    """The pieces a line wraps between, with their width and whether a line may end after a space
    before them: each wide character on its own, each run of other characters (a word) whole."""
    word = 0.0
    space = False
    for ch in line:
        w = char_width(ch)
        if ch == " ":
            if word:
                yield word, space
                word = 0.0
            space = True
        elif w == 2.0:
            if word:
                yield word, space
                word, space = 0.0, False
            yield w, False
        else:
            word += w
    if word:
        yield word, space


def lines_needed(text: str, width: float) -> int:
    """How many lines ``text`` takes in a column ``width`` units wide when it wraps (greedy, as a
    spreadsheet wraps: at a space, or between wide characters; a word wider than the column is
    broken)."""
    usable = max(1.0, width * 0.95 - 1.0)
    total = 0
    for line in str(text).split("\n"):
        n, cur = 1, 0.0
        for w, after_space in _tokens(line):
            gap = 0.5 if after_space and cur else 0.0
            if cur and cur + gap + w > usable:
                n, cur, gap = n + 1, 0.0, 0.0
            if w > usable:  # a word wider than the line: broken over the lines it fills
                extra = math.ceil(w / usable) - 1
                n, cur = n + extra, w - extra * usable
            else:
                cur += gap + w
        total += n
    return total


# ---------------------------------------------------------------------------
# widths and heights


def column_width(ws: Any, col: int) -> float:
    from openpyxl.utils import get_column_letter

    dim = ws.column_dimensions.get(get_column_letter(col))
    return float(dim.width) if dim is not None and dim.width else DEFAULT_WIDTH


def _shown(cell: Any) -> str:
    """A cell's value as text, as wide as it shows (one of fuac's own formulas: its value), a number as
    its number format shows it (:func:`formatted`)."""
    v = cell.value
    if cell.data_type == "f":
        v = getattr(cell.parent, "fuac_formulas", {}).get(cell.coordinate, ("", None))[1]
    if v is None:
        return ""
    if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
        return formatted(v, str(cell.number_format or "General"))
    return str(v)


def formatted(value: float | Decimal, fmt: str) -> str:
    """A number as the formats fuac writes show it: ``0.0`` (the places), ``0" / 20"`` (the number and the
    words), ``[=1]"✓ 已落实";[=0]"✗ 未落实";General`` (the words of a value, else the number)."""
    number = fmt_number(Decimal(repr(value)) if isinstance(value, float) else Decimal(value))
    sections = fmt.split(";")
    for section in sections:
        m = re.match(r'\[=([0-9.]+)\]"([^"]*)"', section)
        if m and Decimal(m.group(1)) == Decimal(number):
            return m.group(2)
    body = sections[-1] if sections[0].startswith("[") else sections[0]
    m = re.match(r'0(?:\.(0+))?((?:"[^"]*")*)\Z', body)
    if m is None:
        return number
    if m.group(1):
        number = f"{Decimal(number):.{len(m.group(1))}f}"
    return number + m.group(2).replace('"', "")


def _merged(ws: Any) -> dict[tuple[int, int], tuple[int, int, int, int]]:
    """The top-left cell of each merged range → (min_row, min_col, max_row, max_col)."""
    return {(m.min_row, m.min_col): (m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges}


def fit_columns(ws: Any, limits: Mapping[int, tuple[float, float]], *, first_row: int = 1) -> None:
    """Each column of ``limits`` (column → (min, cap)) as wide as its longest line of text plus a margin,
    within its limits; cells merged across columns do not count."""
    from openpyxl.utils import get_column_letter

    merged = _merged(ws)
    widest: dict[int, float] = {}
    for row in ws.iter_rows(min_row=first_row):
        for cell in row:
            if cell.value is None or cell.column not in limits:
                continue
            span = merged.get((cell.row, cell.column))
            if span is not None and span[3] > span[1]:
                continue
            wide = text_width(_shown(cell)) * (BOLD if cell.font is not None and cell.font.b else 1.0)
            widest[cell.column] = max(widest.get(cell.column, 0.0), wide)
    for col, (lo, hi) in limits.items():
        ws.column_dimensions[get_column_letter(col)].width = round(min(hi, max(lo, widest.get(col, 0.0) + 2)), 1)


def fit_rows(ws: Any, *, first_row: int = 1) -> None:
    """Every row whose wrapped text needs more than one line made tall enough for it (cells merged over
    several columns wrap in their merged width; over several rows, the rows share the height)."""
    merged = _merged(ws)
    widths: dict[int, float] = {}
    need: dict[int, float] = {}
    tall: list[tuple[int, int, float]] = []
    for row in ws.iter_rows(min_row=first_row):
        for cell in row:
            if cell.value is None:
                continue
            r0, c0, r1, c1 = merged.get((cell.row, cell.column), (cell.row, cell.column, cell.row, cell.column))
            width = sum(widths.setdefault(c, column_width(ws, c)) for c in range(c0, c1 + 1))
            wrap = bool(cell.alignment is not None and cell.alignment.wrap_text)
            size = float(cell.font.sz or 11) if cell.font is not None else 11.0
            scale = size / 11 * (BOLD if cell.font is not None and cell.font.b else 1.0)  # a larger or bold font
            lines = lines_needed(_shown(cell), width / scale) if wrap else 1
            points = lines * LINE_POINTS * size / 11 + ROW_PADDING
            if r1 > r0:
                tall.append((r0, r1, points))
            elif lines > 1 or size > 11:
                need[r0] = max(need.get(r0, 0.0), points)
    for r0, r1, points in tall:  # a cell merged down: the rows it covers share its height
        have = sum(need.get(r, LINE_POINTS) for r in range(r0, r1 + 1))
        if have < points:
            need[r1] = need.get(r1, LINE_POINTS) + points - have
    for r, points in need.items():
        ws.row_dimensions[r].height = min(MAX_ROW_HEIGHT, math.ceil(points))


def print_setup(ws: Any, *, last_col: int, last_row: int | None, title_rows: str | None = None,
                landscape: bool | None = None) -> None:
    """A4, one page wide and as long as it takes, ``title_rows`` (``"1:2"``) repeated on every page,
    margins, page numbers, and the print area ``A1`` to the last cell written (``last_row`` None: set
    later, once the rows are written). ``landscape`` None: landscape when the sheet is wider than a
    portrait page."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.page import PageMargins

    if landscape is None:
        landscape = sum(column_width(ws, c) for c in range(1, last_col + 1)) > PORTRAIT_UNITS
    ws.page_setup.paperSize = A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.55, bottom=0.6, header=0.25, footer=0.3)
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = PAGE_FOOTER
    ws.oddFooter.center.size = 9
    if last_row is not None:
        ws.print_area = f"A1:{get_column_letter(last_col)}{max(1, last_row)}"


def lay_out(ws: Any, *, last_col: int, last_row: int, title_rows: str | None = None,
            landscape: bool | None = None, first_row: int = 1) -> None:
    """Row heights for the wrapped text (:func:`fit_rows`), then the print setup (:func:`print_setup`);
    the column widths are set before."""
    fit_rows(ws, first_row=first_row)
    print_setup(ws, last_col=last_col, last_row=last_row, title_rows=title_rows, landscape=landscape)
