"""What a cell's text means: the one set of rules by which every input path reads text.

A value given as text — a CSV cell, a spreadsheet cell typed as text, a string in a JSON record
or a DataFrame of strings — is read by :func:`from_text`, knowing the indicator it is for, so
that a cell's meaning never depends on its neighbours, the chunk it was read in or the file type:

- surrounding spaces (also the full-width space) are ignored; an empty cell is a missing value;
- yes/no indicators: 是/否, 有/无, true/false, yes/no, y/n, t/f, 1/0, √/× (and the like,
  :data:`TRUE_WORDS` and :data:`FALSE_WORDS`), in any case;
- numbers: exact from their text (``94.99999999999999999`` is not 95); full-width digits and
  signs are read as their ASCII forms; thousands grouped with commas (``1,234.5``) are read;
  ``95%`` is 95 where the indicator is a percentage (``unit = "percent"``), and text elsewhere;
- choices: the text as written, without surrounding spaces.

Text that does not read as what the indicator expects is returned unchanged (stripped), so
that the validation says what it expected and shows what it got.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

#: the words read as yes and as no in a text cell (lower case)
TRUE_WORDS = frozenset({"是", "有", "对", "true", "yes", "y", "t", "1", "√", "✓", "✔"})
FALSE_WORDS = frozenset({"否", "无", "不", "false", "no", "n", "f", "0", "×", "✗", "✘"})

#: a plain decimal number (what Decimal reads, without its NaN/Infinity/underscore forms)
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
#: a number with its thousands grouped by commas
GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")

#: the spaces a cell's text is stripped of: ASCII, the full-width space and the no-break space
SPACES = " \t\r\n\u3000\u00a0"


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A cell fuac could not read from its file (a CSV row with more or fewer values than its
    header): each cell of the row carries why, so that every field it fills says so, naming the line."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.en


def strip(text: str) -> str:
    """The text without surrounding spaces (ASCII, full-width and no-break)."""
    return text.strip(SPACES)


class Indicator(Protocol):
    """What :func:`from_text` reads of an indicator (:class:`fuac.language.models.Indicator`)."""

    @property
    def type(self) -> str: ...

    @property
    def unit(self) -> str | None: ...


def from_text(text: str, ind: Indicator) -> Any:
    """What ``text`` means for ``ind``: None (empty), a bool, a Decimal, or the stripped text."""
    return read_text(text, ind.type, percent=ind.unit == "percent")


#: how an assessor's entry of each form is read from text (``Entry.form``): as yes/no, or points
ENTRY_READING = {"met": "boolean", "points": "decimal"}


def read_text(text: str, kind: str, *, percent: bool = False) -> Any:
    """What ``text`` means as a value of ``kind`` (an indicator type: boolean, integer, decimal,
    choice; anything else keeps the text): None (empty), a bool, a Decimal, or the stripped text."""
    s = strip(text)
    if not s:
        return None
    if kind == "boolean":
        low = s.lower()
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
        return s
    if kind in ("integer", "decimal"):
        return number(s, percent=percent)
    return s


def number(s: str, *, percent: bool) -> Any:
    """``s`` (stripped, not empty) as an exact Decimal, or ``s`` unchanged when it is not a number."""
    t = s
    if not t.isascii():
        t = unicodedata.normalize("NFKC", t)  # full-width digits, signs and percent to ASCII
    if percent and t.endswith("%"):
        t = strip(t[:-1])
    if GROUPED.fullmatch(t):
        t = t.replace(",", "")
    elif not NUMBER.fullmatch(t):
        return s
    try:
        return Decimal(t)
    except InvalidOperation:  # pragma: no cover - NUMBER admits only what Decimal reads
        return s


def from_cell(value: Any, number_format: str = "") -> Any:
    """A spreadsheet cell's value as fuac reads it, before :func:`from_text` reads any text with its
    indicator: a number exactly as the cell shows it (a float through its shortest text), and a number
    formatted as a percentage as the percentage it shows (0.965 shown as 96.5% is 96.5)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return value
        d = Decimal(repr(value))
    else:
        d = Decimal(value)
    if "%" in number_format:
        d = (d * 100).normalize()
        if d == d.to_integral_value():
            d = d.quantize(Decimal(1))
    return d
