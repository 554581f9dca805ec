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
  text when the cell is edited) and openpyxl reads back exactly the text written. fuac writes
  no formula of its own into a cell, so every cell openpyxl took for a formula is text;
* **exact decimals** (:func:`exact_text`): a ``Decimal`` is written with every digit it has, no
  exponent and no trailing zeros (``fmt_number``), as text: never through a float.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ..language.words import fmt_number

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


def xlsx_text(cell: Any) -> None:
    """An openpyxl cell whose text a spreadsheet would run becomes a string cell with the quote
    prefix: Excel shows the text, and reading the cell gives the text back."""
    value = cell.value
    if isinstance(value, str) and (cell.data_type == "f" or formula_like(value)):
        cell.data_type = "s"
        cell.quotePrefix = True


def guard_workbook(wb: Any) -> None:
    """:func:`xlsx_text` on every cell of every sheet of an openpyxl workbook (call it just before
    saving): no text fuac writes opens as a formula."""
    for ws in wb.worksheets:
        # the cells written so far (ws.iter_rows would create every empty cell of the sheet's range)
        for cell in list(ws._cells.values()):
            xlsx_text(cell)
