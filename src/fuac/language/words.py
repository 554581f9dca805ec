"""Words and numbers as reasons write them: units, numbers, points given."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

# ---------------------------------------------------------------------------
# units and wording

#: Display of known units: (Chinese suffix, English suffix).
UNITS: dict[str, tuple[str, str]] = {
    "percent": ("%", "%"),
    "permille": ("‰", "‰"),
    "per_10k": ("/万", " per 10,000"),
    "per_100k": ("/10万", " per 100,000"),
    "per_1000_people": ("个/千人", " per 1,000 people"),
    "count": ("", ""),
    "institutions": ("家", " institutions"),
    "units": ("个", " units"),
    "households": ("户", " households"),
    "persons": ("人", " persons"),
    "cases": ("件", " cases"),
    "records": ("条", " records"),
    "places": ("处", " places"),
    "times": ("次", " times"),
    "meetings": ("次", " meetings"),
    "days": ("天", " days"),
    "years": ("年", " years"),
    "yuan": ("元", " yuan"),
    "points": ("分", " points"),
}

#: units whose English word is a plural that one of them makes singular (1 case, 1 person, 1 point)
_COUNTED = frozenset({"institutions", "units", "households", "persons", "cases", "records", "places", "times",
                      "meetings", "days", "years", "points"})

#: fmt_number of non-zero finite decimals, by value (equal values print alike)
_FMT: dict[Decimal, str] = {}


#: beyond 10**±40, numbers are written with an exponent
_PLAIN_DIGITS = 40


def fmt_number(value: Any) -> str:
    """A number as people write it: every digit it has, no exponent, no trailing zeros.

    Exact and independent of the decimal context (nothing is rounded). Only a number
    beyond 10**±40, which no scheme's table has, is written with an exponent
    (``1.5E+50``), so that a hostile input cannot make a reason a million digits long.
    """
    if type(value) is Decimal:
        if not value.is_finite():
            return str(value)
        hit = _FMT.get(value) if value else None
        if hit is not None:
            return hit
        if value and not -_PLAIN_DIGITS <= value.adjusted() <= _PLAIN_DIGITS:
            # a number no table has (1E+999999 would be a million digits): every digit, with an exponent
            mant, _, exp = format(value, "E").partition("E")
            if "." in mant:
                mant = mant.rstrip("0").rstrip(".")
            return f"{mant}E{exp}"
        out = format(value, "f")
        if "." in out:
            out = out.rstrip("0").rstrip(".")
        if value and len(_FMT) < 8192:
            _FMT[value] = out
        return out
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return fmt_number(Decimal(value))
    return str(value)


def fmt_points(value: Decimal) -> str:
    return fmt_number(value)


def en_count(n: Any, singular: str, plural: str | None = None) -> str:
    """``n`` and the English word for what is counted: singular for exactly one (``1 step``,
    ``1 institution``), plural for any other number (``0 steps``, ``1.5 points``, ``2 institutions``,
    ``-1 points``). The one rule of number every English reason follows; ``plural`` defaults to the
    singular with an ``s``."""
    s = fmt_number(n)
    return f"{s} {singular if s == '1' else plural or singular + 's'}"


def with_unit(value: Any, unit: str | None, *, noun: bool = True) -> tuple[str, str]:
    """``value`` with its unit, in Chinese and English (``1 institution``, ``2 institutions``, ``90%``).

    ``noun=False`` leaves out an English unit that is a counted noun, for a number said after
    another of the same unit (``1 institution below 8``, not ``below 8 institutions``); a sign or
    a rate (``90%``, ``per 10,000``) stays, and the Chinese keeps its measure word (``8家``)."""
    if isinstance(value, bool):
        return ("是" if value else "否", "yes" if value else "no")
    zh, en = UNITS.get(unit or "", ("" if unit in (None, "") else f" {unit}",) * 2)
    if unit in _COUNTED:  # one case, one person (not "1 cases")
        word = en.strip()
        return f"{fmt_number(value)}{zh}", en_count(value, word[:-1], word) if noun else fmt_number(value)
    n = fmt_number(value)
    return f"{n}{zh}", f"{n}{en}"


def gap_with_unit(value: Any, unit: str | None) -> tuple[str, str]:
    """A difference between two values of ``unit``: of percentages in percentage points
    (``2.6个百分点`` / ``2.6 percentage points``), else as :func:`with_unit` writes it."""
    if unit == "percent":
        return f"{fmt_number(value)}个百分点", en_count(value, "percentage point")
    return with_unit(value, unit)


_PTS: dict[Decimal, tuple[str, str]] = {}


def _pts(p: Decimal) -> tuple[str, str]:
    """"得N分" / "N points" for points given (cached: the values a rule set gives are few)."""
    hit = _PTS.get(p)
    if hit is None:
        n = fmt_points(p)
        hit = (f"得{n}分" if p != 0 else "不得分", en_count(p, "point"))
        if p and len(_PTS) < 4096:  # 0 and -0 print differently in English
            _PTS[p] = hit
    return hit


def _pts_zh(p: Decimal) -> str:
    return _pts(p)[0]


def _pts_en(p: Decimal) -> str:
    return _pts(p)[1]


# ---------------------------------------------------------------------------
# did you mean: a mistyped name (an input's key, a rule set's id, a tier) and the names it may be


def _fold(name: str) -> str:
    return name.casefold().replace("-", "_").replace(" ", "_")


def close_names(word: str, names: Iterable[str], n: int = 3) -> list[str]:
    """The ``names`` closest to a mistyped ``word``, best first, at most ``n`` (difflib's ratio of at
    least 0.6, case and ``-`` / ``_`` / space ignored); none when nothing is close."""
    folded: dict[str, str] = {}
    for name in names:
        folded.setdefault(_fold(name), name)
    if not folded:
        return []
    return [folded[f] for f in difflib.get_close_matches(_fold(word), list(folded), n=n, cutoff=0.6)]


def did_you_mean(found: Iterable[str]) -> tuple[str, str]:
    """``您是否要找 liunan-2023？`` / ``did you mean liunan-2023?`` for the names :func:`close_names`
    found (each as the caller writes it, with its label), or two empty texts for none."""
    shown = list(found)
    if not shown:
        return "", ""
    return f"您是否要找 {' 或 '.join(shown)}？", f"did you mean {' or '.join(shown)}?"


# ---------------------------------------------------------------------------
# the words of modes, written once: the scheme pages draft with them, reports and the
# rectification list name a veto's scope with them

#: a floor's container, as the scheme pages draft it
FLOOR_WORDS: dict[str, tuple[str, str]] = {
    "part": ("本规则扣完为止", "deductions stop at zero within this rule"),
    "item": ("本项扣完为止", "deductions stop at zero for the item as a whole"),
    "section": ("本大项扣完为止", "deductions stop at zero for the section as a whole"),
    "none": ("不设下限，可为负分", "no floor: the points may go below zero"),
}

#: what a partial step costs (a shortfall's ``partial``)
PARTIAL_WORDS: dict[str, tuple[str, str]] = {
    "floor": ("不足一档不扣", "a partial step costs nothing"),
    "ceil": ("不足一档按一档扣", "a started step costs a full step"),
    "prorata": ("不足一档按比例扣", "a partial step costs pro rata"),
}


class ScopeWords:
    """A veto scope's words: ``short`` names it (a report's column, a rectification list's head),
    ``drafting`` says what it does (the scheme pages)."""

    __slots__ = ("drafting", "short")

    def __init__(self, short: tuple[str, str], drafting: tuple[str, str]) -> None:
        self.short, self.drafting = short, drafting


#: every veto scope's words
SCOPE_WORDS: dict[str, ScopeWords] = {
    "eligibility": ScopeWords(("申报资格否决", "blocks the application"),
                              ("取消申报资格", "bars the unit from applying (eligibility)")),
    "outcome": ScopeWords(("一票否决", "veto on the outcome"),
                          ("无论得分多少", "vetoes the outcome whatever the score")),
    "tier_cap": ScopeWords(("限制等次", "caps the award tier"), ("限制可获称号的层级", "caps the award tier")),
    "cascade": ScopeWords(("连带否决", "cascades to the parent unit"),
                          ("连带否决上级单位", "cascades to the parent unit")),
}


#: a computation that failed, in words: decimal's signals and Python's errors by class
_FAILURES: dict[str, tuple[str, str]] = {
    "DivisionByZero": ("除数为零", "division by zero"),
    "ZeroDivisionError": ("除数为零", "division by zero"),
    "DivisionUndefined": ("零除以零", "zero divided by zero"),
    "InvalidOperation": ("无效的运算", "an invalid operation"),
    "Overflow": ("数值过大，超出范围", "a number too large"),
    "OverflowError": ("数值过大，超出范围", "a number too large"),
}


def failure_words(exc: BaseException) -> tuple[str, str]:
    """Why a computation failed, in Chinese and English: decimal's signals (which print as
    ``[<class 'decimal.DivisionByZero'>]``) named in words, other errors by their message."""
    zh, en = getattr(exc, "zh", None), getattr(exc, "en", None)
    if isinstance(zh, str) and isinstance(en, str):  # an error that says itself in both languages
        return zh, en
    signals = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []  # decimal's raised signals
    for cls in [*signals, *type(exc).__mro__]:
        hit = _FAILURES.get(getattr(cls, "__name__", ""))
        if hit is not None:
            return hit
    text = str(exc) or type(exc).__name__
    return text, text


#: the punctuation a section's number is written with (（一）, 一、, (1), 1.): left out where the number
#: qualifies an item's (二.1), and where it ends without one a space separates it from the title
_SECTION_MARKS = "（）()、.．,，:： "


def section_mark(number: str) -> str:
    """A section's number without its punctuation: 二 of （二） or 二、."""
    return number.strip(_SECTION_MARKS) or number


def section_heading(number: str | None, title: str) -> str:
    """A section's number and title as a heading: 一、统筹管理 as written, 一 统筹管理 (not 一统筹管理)
    where the number has no punctuation of its own."""
    if not number:
        return title
    return f"{number}{title}" if number[-1] in _SECTION_MARKS else f"{number} {title}"
