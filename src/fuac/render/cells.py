"""The cells of every CSV and XLSX file fuac writes: text stays text, decimals stay exact.

A spreadsheet takes a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return for a formula (or, in Excel, for the start of one), so a unit's name or a rule file's
label such as ``=HYPERLINK("http://x","y")`` would run when the file is opened. Every writer
of fuac passes its cells through this module, whoever wrote the text:

* **CSV** (:func:`csv_cell`): such a text gets a leading apostrophe ``'`` (the OWASP rule for
  CSV), so ``=1+2`` is written ``'=1+2``; a text that is a plain number (``-1.5``, ``+3``) is
  left as it is (a spreadsheet reads it as that number, never as a formula), and numbers are
  never touched;
* **XLSX** (:func:`guard_workbook`, run on a workbook just before it is saved): such a text is
  written as a string cell with Excel's quote prefix, so Excel shows the text (and keeps it
  text when the cell is edited) and openpyxl reads back exactly the text written. The only
  formulas are fuac's own sums (:func:`own_formula`: cell references, numbers, ``SUM``, ``ROUND``
  and ``MAX``, never a text), registered where they are written; every other cell openpyxl took
  for a formula is text. :func:`save_workbook` writes each own formula's value beside it (the
  value a spreadsheet shows before it recalculates). A sheet written row by row (openpyxl's
  write-only mode, a batch) gets its cells from :func:`write_only_cells`, under the same rule;
* **characters XML cannot hold** (:func:`xml_text`): a workbook is XML, and XML 1.0 has no
  place for the control characters other than tab, line feed and carriage return (``\x01``,
  the ``\x1b`` of a terminal colour code …), nor for U+FFFE, U+FFFF or a lone surrogate. Each
  is replaced by U+FFFD (�, the replacement character), not removed: the cell shows that
  something unreadable stood there, ``A\x01B`` does not quietly become the different name
  ``AB``, and the text keeps its length. openpyxl refuses such a character as soon as it is
  assigned to a cell (``IllegalCharacterError``), so the replacement happens there: every
  workbook fuac writes is made by :func:`new_workbook`, whose sheets replace them in every
  value written to a cell; :func:`guard_workbook` replaces them in sheet titles and data
  validations too;
* **exact decimals** (:func:`exact_text`): a ``Decimal`` is written with every digit it has, no
  exponent and no trailing zeros (``fmt_number``), as text: never through a float.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from inspect import isgenerator
from typing import Any

from ..language.words import fmt_number

#: The characters XML 1.0 cannot hold: openpyxl's ``ILLEGAL_CHARACTERS_RE`` (the control characters
#: other than tab, line feed and carriage return), and U+FFFE, U+FFFF and lone surrogates.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: What :func:`xml_text` puts in place of each.
REPLACEMENT = "\ufffd"

#: What a spreadsheet reads as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def formula_like(text: str) -> bool:
    """Whether a spreadsheet would take ``text`` for a formula: it starts with one of
    :data:`FORMULA_STARTS` and is not a plain number such as ``-1.5``."""
    return text.startswith(FORMULA_STARTS) and _PLAIN_NUMBER.match(text) is None


def exact_text(value: Any) -> Any:
    """A ``Decimal`` as its exact text (``fmt_number``); anything else as it is."""
    return fmt_number(value) if isinstance(value, Decimal) else value


def csv_cell(value: Any) -> Any:
    """One CSV cell: a text that would be read as a formula with a leading ``'``, a ``Decimal``
    as its exact text, anything else as it is."""
    if isinstance(value, str):
        return "'" + value if formula_like(value) else value
    return exact_text(value)


def csv_cells(values: Iterable[Any]) -> list[Any]:
    """:func:`csv_cell` of each value."""
    return [csv_cell(v) for v in values]


def xml_text(text: str) -> str:
    """``text`` with each character XML 1.0 cannot hold (:data:`XML_ILLEGAL`) replaced by U+FFFD."""
    return XML_ILLEGAL.sub(REPLACEMENT, text)


def xml_value(value: Any) -> Any:
    """A cell's value as a workbook can hold it: a text through :func:`xml_text`, anything else as it is."""
    return xml_text(value) if isinstance(value, str) else value


def xlsx_text(cell: Any) -> None:
    """An openpyxl cell whose text a spreadsheet would run becomes a string cell with the quote
    prefix: Excel shows the text, and reading the cell gives the text back."""
    value = cell.value
    if isinstance(value, str) and (cell.data_type == "f" or formula_like(value)):
        cell.data_type = "s"
        cell.quotePrefix = True


#: The shape of fuac's own formulas: numbers, cell references and ranges, ``+ - *``, parentheses, commas
#: and the functions of :data:`OWN_FUNCTIONS`; no text, no quote, no other function.
OWN_FORMULA = re.compile(r"=(?:[A-Z]+\(|\$?[A-Z]{1,3}\$?[0-9]+|[0-9]+(?:\.[0-9]+)?|[-+*(),:])+\Z")
OWN_FUNCTIONS = frozenset({"SUM", "ROUND", "MAX"})


def is_own_formula(text: str) -> bool:
    """Whether ``text`` has the shape of a formula fuac writes (:data:`OWN_FORMULA`)."""
    return OWN_FORMULA.match(text) is not None and set(re.findall(r"([A-Z]+)\(", text)) <= OWN_FUNCTIONS


def own_formula(ws: Any, row: int, col: int, formula: str, value: Any) -> Any:
    """Write one of fuac's own formulas (a sum over cells fuac wrote) into a cell, with the value fuac
    computed for it (written beside it by :func:`save_workbook`). Anything but the shape of
    :data:`OWN_FORMULA` is refused: no text of a rule file or an input ever becomes a formula."""
    if not is_own_formula(formula):
        raise ValueError(f"not one of fuac's own formulas: {formula!r}")
    cell = ws.cell(row, col)
    cell.value = formula
    _own(ws)[cell.coordinate] = (formula, value)
    return cell


def _own(ws: Any) -> dict[str, tuple[str, Any]]:
    """The own formulas of a sheet: coordinate → (formula, value)."""
    found: dict[str, tuple[str, Any]] | None = getattr(ws, "fuac_formulas", None)
    if found is None:
        found = {}
        ws.fuac_formulas = found
    return found


def guard_workbook(wb: Any) -> None:
    """Every sheet of an openpyxl workbook made safe to open (call it just before saving): no text
    fuac writes opens as a formula (:func:`xlsx_text` on every cell but fuac's own formulas), and no
    sheet title, cell or data validation holds a character XML cannot (:func:`xml_text`)."""
    for ws in wb.worksheets:
        title = xml_text(ws.title)
        if title != ws.title:
            ws.title = title
        own = getattr(ws, "fuac_formulas", {})
        # the cells written so far (ws.iter_rows would create every empty cell of the sheet's range)
        for cell in list(ws._cells.values()):
            if isinstance(cell.value, str) and XML_ILLEGAL.search(cell.value):
                cell._value = xml_text(cell.value)  # set by a sheet that is not new_workbook's
            mine = own.get(cell.coordinate)
            if mine is not None and cell.value == mine[0]:
                continue
            xlsx_text(cell)
        for dv in ws.data_validations.dataValidation:
            for attr in ("formula1", "formula2", "prompt", "promptTitle", "error", "errorTitle"):
                text = getattr(dv, attr, None)
                if isinstance(text, str) and XML_ILLEGAL.search(text):
                    setattr(dv, attr, xml_text(text))


def save_workbook(wb: Any, path: str | os.PathLike[str]) -> None:
    """Guard (:func:`guard_workbook`) and save ``wb``, then write the value of each of fuac's own
    formulas beside it (openpyxl writes a formula without one), so that a reader that does not
    recalculate (a previewer, ``openpyxl`` with ``data_only=True``) shows fuac's numbers."""
    guard_workbook(wb)
    wb.save(os.fspath(path))
    values = {ws.path.lstrip("/"): own for ws in wb.worksheets if (own := getattr(ws, "fuac_formulas", None))}
    if values:
        _write_cached(os.fspath(path), values)


_FORMULA_CELL = re.compile(r'(<c r="([A-Z]+[0-9]+)"[^>]*><f>[^<]*</f>)<v\s*(?:/>|></v>)')


def _write_cached(path: str, values: dict[str, dict[str, tuple[str, Any]]]) -> None:
    """Rewrite the saved workbook at ``path`` with the value of each own formula in its ``<v>``."""

    def cached(sheet: dict[str, tuple[str, Any]]) -> Any:
        def put(m: re.Match[str]) -> str:
            mine = sheet.get(m.group(2))
            if mine is None or mine[1] is None:
                return m.group(0)
            return f"{m.group(1)}<v>{exact_text(mine[1])}</v>"

        return put

    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=folder)
    os.close(fd)
    try:
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename in values:
                    data = _FORMULA_CELL.sub(cached(values[info.filename]), data.decode("utf-8")).encode("utf-8")
                out.writestr(info, data)
        shutil.copymode(path, tmp)  # the mode the workbook was saved with, not the temporary file's
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_only_cells(ws: Any, values: Iterable[Any], formats: dict[int, str] | None = None) -> list[Any]:
    """One row of a write-only sheet (openpyxl's ``write_only=True``) under the rule of every writer: a
    text through :func:`xml_text`, and a text a spreadsheet would run as a string cell with the quote
    prefix; a ``Decimal`` as the number of its exact text; ``formats`` (position → number format) on
    the numbers of those positions."""
    from openpyxl.cell import WriteOnlyCell

    out: list[Any] = []
    for k, v in enumerate(values):
        if isinstance(v, str):
            v = xml_text(v)
            if formula_like(v):
                cell = WriteOnlyCell(ws, value=v)
                cell.data_type = "s"
                cell.quotePrefix = True
                out.append(cell)
                continue
        elif isinstance(v, Decimal):
            v = float(fmt_number(v))
        if formats and k in formats and isinstance(v, (int, float)) and not isinstance(v, bool):
            cell = WriteOnlyCell(ws, value=v)
            cell.number_format = formats[k]
            out.append(cell)
            continue
        out.append(v)
    return out


def new_workbook() -> Any:
    """An empty openpyxl workbook (one sheet, as ``openpyxl.Workbook()``) whose sheets write every
    text through :func:`xml_text`: a unit's name or a rule file's label with a control character in
    it is written with U+FFFD in its place, instead of openpyxl's ``IllegalCharacterError``."""
    return _guarded_classes()[0]()


@functools.cache
def _guarded_classes() -> tuple[type, type]:
    """The workbook and sheet classes of :func:`new_workbook` (made when first needed: openpyxl is
    an optional dependency)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

    class GuardedCell(Cell):
        """A cell whose text is checked by openpyxl after :func:`xml_text`, however it is assigned."""

        __slots__ = ()

        def check_string(self, value: Any) -> Any:
            if isinstance(value, bytes):
                value = str(value, self.encoding)
            return super().check_string(xml_value(value))

    class Sheet(Worksheet):
        """A sheet of :class:`GuardedCell` (``ws.cell``, ``ws[…]``, ``ws.iter_rows``), whose
        ``append`` writes its values through :func:`xml_value`."""

        def _get_cell(self, row: int, column: int) -> Any:
            if (row, column) not in self._cells and 0 < row < 1048577:
                self._add_cell(GuardedCell(self, row=row, column=column))
            return super()._get_cell(row, column)

        def append(self, iterable: Any) -> None:
            if isinstance(iterable, dict):
                iterable = {k: xml_value(v) for k, v in iterable.items()}
            elif isinstance(iterable, (list, tuple, range)) or isgenerator(iterable):
                iterable = [xml_value(v) for v in iterable]
            super().append(iterable)

    class Book(Workbook):
        """A workbook whose sheets are :class:`Sheet`."""

        def __init__(self) -> None:
            super().__init__()
            self._sheets = []
            self._sheets.append(Sheet(self))  # in place of openpyxl's first sheet, empty

        def create_sheet(self, title: str | None = None, index: int | None = None) -> Any:
            ws = Sheet(parent=self, title=title)  # a title's characters: guard_workbook
            self._add_sheet(sheet=ws, index=index)
            return ws

    return Book, Sheet
