"""A title's life over time: cycles, title status, quotas and bonus points.

Pure functions over the ``[cycle]``, ``[[quotas]]`` and ``[[incentives]]`` data of a
rule set. Each takes a rule set (an id, a path or a loaded :class:`~fuac.RuleSet`)
and returns a small frozen record that carries the clause of the document it
comes from::

    >>> from fuac import lifecycle
    >>> lifecycle.cycle_of("wuhan-2017", 2018)
    CycleSpan(2017, 2019)
    >>> lifecycle.quota_count("wuhan-2017", "city_villages", 1234).count
    61

Shares are fractions (``share = 0.05`` is 5 %) and are rounded to a count with the
quota's declared ``rounding`` (``floor``, ``ceil`` or ``half_up``); nothing is
rounded implicitly.
"""

from __future__ import annotations

import decimal
import numbers
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from ..errors import InputError
from ..language.cells import read_text
from ..language.deprecation import renamed
from ..language.expressions import DECIMAL_CONTEXT
from ..language.models import Cycle, Incentive, Quota, Text
from ..language.words import fmt_number
from ..plan.engine import get_engine
from ..plan.loader import RuleSet

__all__ = [
    "Award",
    "BonusLine",
    "BonusResult",
    "CycleSpan",
    "HistoryEntry",
    "QuotaResult",
    "RowError",
    "TitleStatus",
    "TitleTable",
    "UnitTitle",
    "Win",
    "bonus_points",
    "cycle_of",
    "known_levels",
    "quota_count",
    "read_history",
    "recommendation_cap",
    "revoked_indicator",
    "revoked_previous_cycle",
    "title_status",
    "title_table",
]

_ROUNDING = {"floor": ROUND_FLOOR, "ceil": ROUND_CEILING, "half_up": ROUND_HALF_UP}


# ---------------------------------------------------------------------------
# cycles


class CycleSpan(tuple[int, int]):
    """One cycle as the tuple ``(first_year, last_year)``, with the clause that defines cycles."""

    clause: str
    ordinal: int

    def __new__(cls, first_year: int, last_year: int, clause: str, ordinal: int) -> CycleSpan:
        self = super().__new__(cls, (first_year, last_year))
        self.clause = clause
        self.ordinal = ordinal  # 0 for the first cycle
        return self

    @property
    def first_year(self) -> int:
        return int(self[0])

    @property
    def last_year(self) -> int:
        return int(self[1])

    def covers(self, year: int) -> bool:
        return self.first_year <= year <= self.last_year

    def __repr__(self) -> str:
        return f"CycleSpan({self.first_year}, {self.last_year})"


def _ruleset(ref: str | os.PathLike[str] | RuleSet) -> RuleSet:
    return ref if isinstance(ref, RuleSet) else get_engine().resolve(ref)


def _cycle(rs: RuleSet) -> Cycle:
    if rs.doc.cycle is None:
        raise ValueError(f"rule set {rs.id!r} declares no [cycle]")
    return rs.doc.cycle


def _index(c: Cycle, year: int) -> int:
    if year < c.first_year:
        raise ValueError(f"{year} is before the first cycle, which starts in {c.first_year}")
    return (year - c.first_year) // c.length_years


def _span(c: Cycle, index: int) -> CycleSpan:
    first = c.first_year + index * c.length_years
    return CycleSpan(first, first + c.length_years - 1, c.clause, index)


def cycle_of(ruleset: str | os.PathLike[str] | RuleSet, year: int) -> CycleSpan:
    """The cycle that ``year`` belongs to: ``(first_year, last_year)``, with ``.clause``."""
    c = _cycle(_ruleset(ruleset))
    return _span(c, _index(c, year))


# ---------------------------------------------------------------------------
# title status


@dataclass(frozen=True, slots=True)
class Award:
    """One title in a unit's history: the year it was awarded (any year of the cycle
    it was won for), its level (e.g. "national", "provincial", "municipal"), and whether
    it was revoked, and in which year (default: the year awarded).

    ``extended_until``: a year of the last cycle a recorded decision extended the title
    into (顺延), when one did: the title is then held to the end of that cycle, whether or
    not the history shows the consecutive cycles that earn an extension."""

    year: int
    level: str
    revoked: bool = False
    revoked_year: int | None = None
    extended_until: int | None = None

    @property
    def revoked_in(self) -> int | None:
        if self.revoked_year is not None:
            return self.revoked_year
        return self.year if self.revoked else None


def _award(raw: Any) -> Award:
    if isinstance(raw, Award):
        return raw
    if isinstance(raw, Mapping):
        return Award(**raw)
    if isinstance(raw, (tuple, list)):
        return Award(*raw)
    raise TypeError(f"a history entry is an Award, a mapping or a tuple (year, level[, revoked]), not {raw!r}")


@dataclass(frozen=True, slots=True)
class TitleStatus:
    """Whether a unit holds its title in ``year``, and whether it may apply in that year's cycle.

    ``state`` is "held" (won for this cycle), "extended" (held one more cycle after
    consecutive cycles at the same level), "lapsed" (the cycle it was won for has
    ended), "revoked", or "none" (no title at this level yet).
    """

    year: int
    cycle: CycleSpan
    level: str | None
    state: str
    held_until: int | None
    may_apply: bool
    reason: Text
    clauses: tuple[str, ...]

    @property
    def held(self) -> bool:
        return self.state in ("held", "extended")


def _term_end(c: Cycle, a: Award, same_level: list[Award]) -> int | None:
    """Index of the last cycle ``a``'s title is held in (None: it does not lapse).

    A run of consecutive cycles won at the level, ending with ``a``'s, of at least
    ``extension_after`` cycles extends ``a``'s title by ``extension_cycles``. A
    title revoked before the end of ``a``'s cycle does not count toward the run.
    """
    start = _index(c, a.year)
    if not c.title_lapses:
        return None
    recorded = _index(c, a.extended_until) if a.extended_until is not None else start
    if not c.extension_after or not c.extension_cycles:
        return max(start, recorded)
    last = _span(c, start).last_year
    won = {_index(c, b.year) for b in same_level if b is a or b.revoked_in is None or b.revoked_in > last}
    run, j = 0, start
    while j in won:
        run, j = run + 1, j - 1
    return max(start + c.extension_cycles if run >= c.extension_after else start, recorded)


_LEVEL_WORDS = {
    "national": ("国家级", "national"),
    "provincial": ("省级", "provincial"),
    "municipal": ("市级", "municipal"),
}


def title_status(
    ruleset: str | os.PathLike[str] | RuleSet,
    history: Iterable[Award | Mapping[str, Any] | tuple[Any, ...]],
    year: int,
    *,
    level: str | None = None,
) -> TitleStatus:
    """The title's status in ``year`` from the unit's ``history`` of awards.

    ``level`` picks the titles of one level (needed when the history has several).
    ``may_apply`` is False when the rule set bars units revoked in the previous cycle
    (``revoked_bars_next``) and a title of any level was revoked in that cycle.
    """
    c = _cycle(_ruleset(ruleset))
    awards = [_award(a) for a in history]
    if level is None:
        levels = sorted({a.level for a in awards})
        if len(levels) > 1:
            raise ValueError(f"the history holds titles at several levels ({', '.join(levels)}): pass level=")
        level = levels[0] if levels else None
    k = _index(c, year)
    state, until, zh, en = _state(c, [a for a in awards if a.level == level], year, level)
    clauses = [c.clause] + ([c.revocation_clause or ""] if state == "revoked" else [])
    barred = c.revoked_bars_next and _revoked_in_cycle(c, awards, k - 1)
    if barred:
        p = _span(c, k - 1)
        zh += f"上一周期（{p[0]}—{p[1]}）被撤销称号，不得参加本周期申报和评选。"
        en += f" A title was revoked in the previous cycle ({p[0]}–{p[1]}): may not apply in this cycle."
        clauses.append(c.revocation_clause or "")
    kept = tuple(dict.fromkeys(x for x in clauses if x))
    return TitleStatus(year, _span(c, k), level, state, until, not barred, Text(zh=zh, en=en), kept)


def revoked_previous_cycle(ruleset: str | os.PathLike[str] | RuleSet,
                           history: Iterable[Award | Mapping[str, Any] | tuple[Any, ...]], year: int) -> bool:
    """Whether a title of ``history`` (any level) was revoked in the cycle before ``year``'s:
    what a rule set's indicator of a unit "revoked in the previous cycle" means
    (:func:`revoked_indicator`). False for a unit without titles, and in the first cycle."""
    c = _cycle(_ruleset(ruleset))
    return _revoked_in_cycle(c, [_award(a) for a in history], _index(c, year) - 1)


def revoked_indicator(ruleset: str | os.PathLike[str] | RuleSet) -> str | None:
    """The boolean indicator through which a rule set bars units revoked in the previous cycle:
    the input of the veto that cites the ``[cycle]``'s ``revocation_clause`` (wuhan-2017:
    ``title_revoked_previous_cycle``), when the cycle says ``revoked_bars_next`` and the veto's
    condition is that indicator alone. None when the rule set has no such veto."""
    rs = _ruleset(ruleset)
    c = rs.doc.cycle
    if c is None or not c.revoked_bars_next or not c.revocation_clause:
        return None
    for veto in rs.doc.vetoes:
        name = (veto.condition or "").strip()
        ind = rs.doc.indicators.get(name)
        if veto.clause.strip() == c.revocation_clause.strip() and ind is not None and ind.type == "boolean":
            return name
    return None


def _revoked_in_cycle(c: Cycle, awards: Iterable[Award], index: int) -> bool:
    """Whether a title of ``awards`` (any level) was revoked in cycle ``index``."""
    return any(
        a.revoked_in is not None and a.revoked_in >= c.first_year and _index(c, a.revoked_in) == index for a in awards
    )


def _state(c: Cycle, mine: list[Award], year: int, level: str | None) -> tuple[str, int | None, str, str]:
    """(state, last year held, reason zh, reason en) of the titles ``mine`` (one level) in ``year``."""
    k = _index(c, year)
    lz, le = _LEVEL_WORDS.get(level or "", (level or "", level or ""))
    past = [a for a in mine if _index(c, a.year) <= k]
    held = [(a, _term_end(c, a, mine)) for a in past if a.revoked_in is None or a.revoked_in > year]
    held = [(a, e) for a, e in held if e is None or k <= e]
    if held:
        ends = [e for _, e in held]
        until = None if None in ends else _span(c, max(e for e in ends if e is not None)).last_year
        to_zh = f"至{until}年底" if until is not None else "长期有效"
        to_en = f"until the end of {until}" if until is not None else "with no end"
        if any(_index(c, a.year) == k for a, _ in held):
            span = _span(c, k)
            if until is not None and until > span[1]:  # won again this cycle, after consecutive cycles
                to_zh = f"连续{c.extension_after}个周期获得，顺延{c.extension_cycles}个周期，{to_zh}"
                to_en = (f"won in {c.extension_after} consecutive cycles, extended by {c.extension_cycles} "
                         f"cycle(s), {to_en}")
            return ("held", until, f"持有本周期（{span[0]}—{span[1]}）{lz}称号，{to_zh}。",
                    f"holds the {le} title of this cycle ({span[0]}–{span[1]}), {to_en}.")
        if until is None:  # a title that does not lapse, won in an earlier cycle: held, not extended
            first = min(a.year for a, _ in held)
            return ("held", None, f"持有{first}年获得的{lz}称号，{to_zh}。",
                    f"holds the {le} title won in {first}, {to_en}.")
        return ("extended", until, *_extended_words(c, [a for a, _ in held], k, (lz, le), (to_zh, to_en)))
    if not past:
        return "none", None, f"未获得{lz}称号。", f"no {le} title."
    latest = max(past, key=lambda a: a.year)
    if latest.revoked_in is not None and latest.revoked_in <= year:
        return ("revoked", None, f"{lz}称号已于{latest.revoked_in}年被撤销。",
                f"the {le} title was revoked in {latest.revoked_in}.")
    return ("lapsed", None, f"{lz}称号已期满自动终止，本周期未再获得。",
            f"the {le} title lapsed at the end of its term and was not won again in this cycle.")


def _extended_words(c: Cycle, held: list[Award], k: int, level: tuple[str, str], to: tuple[str, str]
                    ) -> tuple[str, str]:
    """Why titles ``held`` in cycle ``k`` are held as extended: a recorded decision, or consecutive cycles."""
    (lz, le), (to_zh, to_en) = level, to
    if any(a.extended_until is not None and _index(c, a.extended_until) >= k for a in held):
        return f"{lz}称号按记录的顺延决定顺延，{to_zh}。", f"{le} title extended by a recorded decision, {to_en}."
    return (f"连续{c.extension_after}个周期获得{lz}称号，顺延{c.extension_cycles}个周期，{to_zh}。",
            f"{le} title won in {c.extension_after} consecutive cycles, "
            f"extended by {c.extension_cycles} cycle(s), {to_en}.")


# ---------------------------------------------------------------------------
# title table: the status of every unit of a history of awards

#: the columns of a history table (``revoked``, ``revoked_year`` and ``extended_until`` are optional)
TITLE_COLUMNS = ("unit", "year", "level", "revoked", "revoked_year", "extended_until")
_REQUIRED_COLUMNS = ("unit", "year", "level")


@dataclass(frozen=True, slots=True)
class RowError:
    """What is wrong with one row of a history: ``row`` is the row as a spreadsheet shows it
    in a CSV or XLSX file (the header is row 1, the first record row 2), else the record's
    place counting from 1 (a list, a DataFrame, JSON Lines, Parquet); ``column`` is the
    column at fault."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.message}"


@dataclass(frozen=True, slots=True)
class UnitTitle:
    """One line of a :class:`TitleTable`: a unit's title at one level in ``year``.

    The fields of :class:`TitleStatus`, with the ``unit``, ``revoked_previous_cycle``
    (a title of the unit, at any level, was revoked in the previous cycle: wuhan-2017's
    indicator ``title_revoked_previous_cycle``), the ``rows`` of the history it was
    computed from, and the ``errors`` of those rows. A unit with an error has the state
    "error", and None for what could not be computed.
    """

    unit: str | None
    year: int
    cycle: CycleSpan
    level: str | None
    state: str
    held_until: int | None
    may_apply: bool | None
    revoked_previous_cycle: bool | None
    reason: Text
    clauses: tuple[str, ...]
    rows: tuple[int, ...]
    errors: tuple[RowError, ...] = ()

    @property
    def held(self) -> bool:
        return self.state in ("held", "extended")

    @property
    def error(self) -> str | None:
        """The errors of the unit's rows, in one line (None when there are none)."""
        return "; ".join(str(e) for e in self.errors) or None

    def to_dict(self) -> dict[str, Any]:
        values = (self.unit, self.level, self.year, self.cycle.first_year, self.cycle.last_year, self.state,
                  self.held_until, self.may_apply, self.revoked_previous_cycle, self.reason.zh, self.reason.en,
                  list(self.clauses), list(self.rows), self.error)
        return dict(zip(TABLE_COLUMNS, values, strict=True))


#: the columns of :meth:`TitleTable.to_dicts` and :meth:`TitleTable.to_pandas`
TABLE_COLUMNS = ("unit", "level", "year", "cycle_first_year", "cycle_last_year", "state", "held_until", "may_apply",
                 "revoked_previous_cycle", "reason_zh", "reason_en", "clauses", "rows", "error")


class TitleTable:
    """The result of :func:`title_table`: one :class:`UnitTitle` per unit (and level), in
    the order the units first appear in the history."""

    def __init__(self, ruleset_id: str, year: int, cycle: CycleSpan, rows: Iterable[UnitTitle]) -> None:
        self.ruleset_id = ruleset_id
        self.year = year
        self.cycle = cycle
        self.rows = tuple(rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[UnitTitle]:
        return iter(self.rows)

    def __getitem__(self, i: int) -> UnitTitle:
        return self.rows[i]

    def __repr__(self) -> str:
        return f"<TitleTable {self.ruleset_id} {self.year}: {len(self.rows)} row(s), {len(self.errors)} error(s)>"

    def unit(self, unit: str) -> list[UnitTitle]:
        """The lines of ``unit`` (one per level)."""
        return [r for r in self.rows if r.unit == unit]

    @property
    def errors(self) -> list[UnitTitle]:
        """The lines of units whose rows have errors."""
        return [r for r in self.rows if r.errors]

    def to_dicts(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self.rows]

    def to_pandas(self) -> Any:
        """A pandas DataFrame, one row per line (``held_until`` Int64, the flags nullable booleans)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - exercised with a simulated import failure
            raise ModuleNotFoundError("TitleTable.to_pandas() needs pandas: pip install 'fuac[pandas]'",
                                      name="pandas") from exc
        frame = pd.DataFrame(self.to_dicts(), columns=list(TABLE_COLUMNS))
        return frame.astype({"held_until": "Int64", "may_apply": "boolean", "revoked_previous_cycle": "boolean"})


def known_levels(ruleset: str | os.PathLike[str] | RuleSet) -> tuple[str, ...]:
    """The title levels a history may name: national, provincial and municipal (the
    levels of a cycle's titles), and the ``award`` of each of the rule set's incentives."""
    rs = _ruleset(ruleset)
    return tuple(dict.fromkeys([*_LEVEL_WORDS, *(i.award for i in rs.doc.incentives)]))


def _missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    if isinstance(v, float):
        return v != v  # NaN: pandas' missing value
    return isinstance(v, Decimal) and v.is_nan()


def _whole_number(v: Any) -> int | None:
    """``v`` as a whole number, or None when it is not one (2018, 2018.0, "2018")."""
    if isinstance(v, bool):
        return None
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, str):
        try:
            v = Decimal(v.strip())
        except decimal.InvalidOperation:
            return None
    if isinstance(v, numbers.Real):
        v = Decimal(float(v))
    if isinstance(v, Decimal) and v.is_finite() and v == v.to_integral_value():
        return int(v)
    return None


def _flag(v: Any) -> bool | None:
    """A yes/no cell: True, False, or None when it is not one."""
    if isinstance(v, (bool, numbers.Integral)) and int(v) in (0, 1):
        return bool(v)
    if isinstance(v, str):
        flag = read_text(v, "boolean")  # the yes/no words every input path reads
        if isinstance(flag, bool):
            return flag
    return None


def _unit_key(v: Any) -> str:
    n = _whole_number(v) if not isinstance(v, str) else None
    return str(n) if n is not None else str(v).strip()


def _history_row(c: Cycle, levels: tuple[str, ...], row: int,
                 rec: Mapping[str, Any]) -> tuple[Award | None, list[RowError]]:
    """The award of one history record, or the errors that keep it from being one."""
    errors: list[RowError] = []

    def bad(column: str, message: str) -> None:
        errors.append(RowError(row, column, message))

    raw_year = rec.get("year")
    year = None if _missing(raw_year) else _whole_number(raw_year)
    if _missing(raw_year):
        bad("year", "missing")
    elif year is None:
        bad("year", f"not a whole year: {raw_year!r}")
    elif year < c.first_year:
        bad("year", f"{year} is before the first cycle, which starts in {c.first_year}")
    raw_level = rec.get("level")
    level = raw_level.strip() if isinstance(raw_level, str) else None
    if _missing(raw_level):
        bad("level", "missing")
    elif level not in levels:
        bad("level", f"unknown level {raw_level!r} (the rule set's levels: {', '.join(levels)})")
    raw_revoked = rec.get("revoked")
    revoked = None if _missing(raw_revoked) else _flag(raw_revoked)
    if not _missing(raw_revoked) and revoked is None:
        bad("revoked", f"not true or false: {raw_revoked!r}")
    raw_ry = rec.get("revoked_year")
    revoked_year = None if _missing(raw_ry) else _whole_number(raw_ry)
    if not _missing(raw_ry):
        if revoked_year is None:
            bad("revoked_year", f"not a whole year: {raw_ry!r}")
        elif revoked is False:
            bad("revoked_year", f"{revoked_year} is given, but revoked is false")
        elif year is not None and revoked_year < year:
            bad("revoked_year", f"{revoked_year} is before the year the title was awarded, {year}")
    extended_until = _extension(c, rec.get("extended_until"), year, bad)
    if errors or year is None or level is None:
        return None, errors
    return Award(year, level, bool(revoked) or revoked_year is not None, revoked_year, extended_until), errors


def _extension(c: Cycle, raw: Any, year: int | None, bad: Any) -> int | None:
    """The ``extended_until`` of a history row: a whole year of a cycle after the one the title was won for."""
    if _missing(raw):
        return None
    until = _whole_number(raw)
    if until is None:
        bad("extended_until", f"not a whole year: {raw!r}")
    elif year is not None and year >= c.first_year and until < _span(c, _index(c, year) + 1).first_year:
        bad("extended_until", f"{until} is not after the cycle the title was won for ({year})")
    return until


def _history_records(rows: Any) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """(row number, record) of a history, through fuac's batch readers (see :class:`RowError`
    for how rows are numbered); an error when a required column is absent."""
    from ..run.batch.columns import DEFAULT_CHUNK_SIZE
    from ..run.batch.sources import CsvSource, XlsxSource, open_source

    src = open_source(rows)
    # below the header row of a sheet; a CSV's cells are read as written (codes keep their digits),
    # years are checked here
    first = 2 if isinstance(src, CsvSource) else src.header_row + 1 if isinstance(src, XlsxSource) else 1
    seen: set[str] = set()
    records: list[tuple[int, Mapping[str, Any]]] = []
    for chunk in src.chunks(DEFAULT_CHUNK_SIZE):
        seen.update(chunk.cols)
        records.extend((chunk.offset + i + first, chunk.record(i)) for i in range(chunk.n))
    absent = [col for col in _REQUIRED_COLUMNS if col not in seen]
    if records and absent:
        raise InputError(f"the history has no column {', '.join(map(repr, absent))} "
                         f"(columns: {', '.join(sorted(seen)) or 'none'}); it needs unit, year and level")
    return iter(records)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One row of a history of awards, read: its number (as :class:`RowError` counts), its unit
    (None when missing) and its award (None when the row has errors)."""

    row: int
    unit: str | None
    award: Award | None


def _history(c: Cycle, levels: tuple[str, ...], rows: Any) -> Iterator[tuple[HistoryEntry, list[RowError]]]:
    """Each row of a history read, with its errors."""
    for row, rec in _history_records(rows):
        raw_unit = rec.get("unit")
        unit = None if _missing(raw_unit) else _unit_key(raw_unit)
        award, errors = _history_row(c, levels, row, rec)
        if unit is None:
            errors.insert(0, RowError(row, "unit", "missing"))
        yield HistoryEntry(row, unit, award), errors


def read_history(ruleset: str | os.PathLike[str] | RuleSet, rows: Any) -> tuple[list[HistoryEntry], list[RowError]]:
    """Every row of a history of awards (what :func:`title_table` reads), checked as it checks
    them: the entries, and the errors of every row (an import takes a history without errors)."""
    rs = _ruleset(ruleset)
    c = _cycle(rs)
    entries, errors = [], []
    for entry, problems in _history(c, known_levels(rs), rows):
        entries.append(entry)
        errors.extend(problems)
    return entries, errors


def title_table(
    ruleset: str | os.PathLike[str] | RuleSet,
    rows: Any,
    year: int,
    *,
    level: str | None = None,
) -> TitleTable:
    """The title status in ``year`` of every unit of a history of awards.

    ``rows`` is an iterable of mappings, a pandas (or polars) DataFrame, or the path of
    a ``.csv``, ``.jsonl``, ``.xlsx``, ``.parquet`` or ``.json`` file, with the columns
    ``unit`` (an id or region code), ``year``, ``level``, and optionally ``revoked``
    (default false), ``revoked_year`` (default: the year awarded, when revoked) and
    ``extended_until`` (a year of the last cycle a recorded decision extended the title
    into: :class:`Award`). Other columns are ignored.

    Gives one line per unit, in the order units first appear, and per level of the
    unit's titles (only ``level``'s when given): :func:`title_status` of the unit's
    rows, with ``revoked_previous_cycle``. A row that cannot be read (a missing or
    non-integer year, an unknown level, a revocation before the award …) gives its
    unit one line in the state "error", naming each bad row and column; the other
    units are computed. A history without a ``unit``, ``year`` or ``level`` column
    is an :class:`~fuac.errors.InputError`.
    """
    rs = _ruleset(ruleset)
    c = _cycle(rs)
    k = _index(c, year)
    levels = known_levels(rs)
    if level is not None and level not in levels:
        raise ValueError(f"unknown level {level!r} (the rule set's levels: {', '.join(levels)})")
    units: dict[str | None, tuple[list[int], list[Award], list[RowError]]] = {}
    for entry, problems in _history(c, levels, rows):
        nums, awards, errors = units.setdefault(entry.unit, ([], [], []))
        nums.append(entry.row)
        errors.extend(problems)
        if entry.award is not None:
            awards.append(entry.award)
    span = _span(c, k)
    out: list[UnitTitle] = []
    for key, (nums, awards, errors) in units.items():
        if errors:
            msg = "; ".join(str(e) for e in errors)
            why = Text(zh=f"历史记录有误，无法判断：{msg}", en=f"the history has errors: {msg}")
            out.append(UnitTitle(key, year, span, level, "error", None, None, None, why, (), tuple(nums),
                                 tuple(errors)))
            continue
        revoked_before = _revoked_in_cycle(c, awards, k - 1)
        for lv in [level] if level is not None else list(dict.fromkeys(a.level for a in awards)):
            st = title_status(rs, awards, year, level=lv)
            out.append(UnitTitle(key, year, st.cycle, st.level, st.state, st.held_until, st.may_apply,
                                 revoked_before, st.reason, st.clauses, tuple(nums)))
    return TitleTable(rs.id, year, span, out)


# ---------------------------------------------------------------------------
# quotas


@dataclass(frozen=True, slots=True)
class QuotaResult:
    """How many units a quota allows: at most ``count`` (at least ``min_count`` for a range)."""

    quota_id: str
    #: the quota's kind (``share``, ``count``, ``by_parent_count`` …)
    quota_kind: str
    per: str
    count: int
    min_count: int | None
    base: int | None
    exact: Decimal | None
    rounding: str | None
    clause: str
    reason: Text

    #: deprecated name of ``quota_kind``
    kind = renamed("quota_kind")


def _quota(rs: RuleSet, quota_id: str) -> Quota:
    for q in rs.doc.quotas:
        if q.id == quota_id:
            return q
    known = ", ".join(q.id for q in rs.doc.quotas) or "none"
    raise KeyError(f"rule set {rs.id!r} has no quota {quota_id!r} (quotas: {known})")


def _whole(n: Any, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"{what} must be a whole number ≥ 0, not {n!r}")
    return n


def recommendation_cap(ruleset: str | os.PathLike[str] | RuleSet, quota_id: str, n_units: int) -> QuotaResult:
    """A ``by_parent_count`` quota: how many a parent with ``n_units`` units may recommend.

    The first band (in the order written) whose ``max_units`` is at least ``n_units``,
    or that has no ``max_units``, applies.
    """
    q = _quota(_ruleset(ruleset), quota_id)
    if q.kind != "by_parent_count":
        raise ValueError(f"quota {quota_id!r} is {q.kind!r}, not 'by_parent_count'")
    n = _whole(n_units, "n_units")
    above: int | None = None  # the previous band's max_units
    for band in q.bands or []:
        if band.max_units is None or n <= band.max_units:
            lo_zh = f"多于{above}个" if above is not None else ""
            lo_en = f"more than {above}" if above is not None else ""
            hi_zh = f"不超过{band.max_units}个" if band.max_units is not None else ""
            hi_en = f"at most {band.max_units}" if band.max_units is not None else ""
            zh = f"所辖{n}个，属“{'但'.join(x for x in (lo_zh, hi_zh) if x) or '任意数量'}”档，可推荐{band.count}个。"
            band_en = " and ".join(x for x in (lo_en, hi_en) if x) or "for any number of units"
            en = f"{n} units, in the band {band_en}: may recommend {band.count}."
            return QuotaResult(q.id, q.kind, q.per, band.count, None, n, None, None, q.clause, Text(zh=zh, en=en))
        above = band.max_units
    raise ValueError(f"quota {quota_id!r}: no band covers {n} units (add a last band without 'max_units')")


def quota_count(ruleset: str | os.PathLike[str] | RuleSet, quota_id: str, n: int | None = None) -> QuotaResult:
    """How many units quota ``quota_id`` allows.

    ``n`` is what a share is taken of (the units eligible, all units, or a parent's
    units, as the quota says) or, for ``by_parent_count``, the parent's number of
    units; fixed counts and ranges do not need it.
    """
    rs = _ruleset(ruleset)
    q = _quota(rs, quota_id)
    if q.kind == "by_parent_count":
        if n is None:
            raise ValueError(f"quota {quota_id!r} depends on the number of units: pass n")
        return recommendation_cap(rs, quota_id, n)
    if q.kind in ("count", "count_per_parent", "range"):
        assert q.count is not None
        if q.kind == "range":
            zh, en = f"{q.min_count}至{q.count}个。", f"from {q.min_count} to {q.count}."
        else:
            zh, en = f"{q.count}个。", f"{q.count}."
        return QuotaResult(q.id, q.kind, q.per, q.count, q.min_count, None, None, None, q.clause, Text(zh=zh, en=en))
    if n is None:
        raise ValueError(f"quota {quota_id!r} is a share: pass n, the number it is a share of ({q.of})")
    base = _whole(n, "n")
    assert q.share is not None and q.rounding is not None
    with decimal.localcontext(DECIMAL_CONTEXT):
        exact = q.share * base
        count = int(exact.to_integral_value(rounding=_ROUNDING[q.rounding]))
    pct = fmt_number(q.share * 100)
    way_zh = {"floor": "向下取整", "ceil": "向上取整", "half_up": "四舍五入"}[q.rounding]
    zh = f"{base}×{pct}%={fmt_number(exact)}，{way_zh}为{count}个。"
    en = f"{base} × {pct} % = {fmt_number(exact)}, rounded {q.rounding.replace('_', ' ')}: {count}."
    return QuotaResult(q.id, q.kind, q.per, count, None, base, exact, q.rounding, q.clause, Text(zh=zh, en=en))


# ---------------------------------------------------------------------------
# incentives


@dataclass(frozen=True, slots=True)
class Win:
    """A title won that earns bonus points: its award ("national", …), the tier of the
    unit that won it, and how many units won it (for per-unit incentives)."""

    award: str
    tier: str | None = None
    units: int = 1


@dataclass(frozen=True, slots=True)
class BonusLine:
    incentive_id: str
    label: Text
    units: int
    points: Decimal
    clause: str


@dataclass(frozen=True, slots=True)
class BonusResult:
    total: Decimal
    lines: tuple[BonusLine, ...]

    @property
    def clauses(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(line.clause for line in self.lines))


def _win(raw: Any) -> Win:
    if isinstance(raw, Win):
        return raw
    if isinstance(raw, Mapping):
        return Win(**raw)
    if isinstance(raw, (tuple, list)):
        return Win(*raw)
    if isinstance(raw, str):
        return Win(raw)
    raise TypeError(f"an award won is a Win, a mapping, a tuple (award, tier[, units]) or a string, not {raw!r}")


def _incentive(rs: RuleSet, w: Win) -> Incentive:
    found = [i for i in rs.doc.incentives if i.award == w.award and (w.tier is None or i.tier in (None, w.tier))]
    if len(found) == 1:
        return found[0]
    known = ", ".join(f"{i.award}/{i.tier or '*'}" for i in rs.doc.incentives) or "none"
    what = f"{w.award!r}" + (f" for tier {w.tier!r}" if w.tier else "")
    if not found:
        raise ValueError(f"rule set {rs.id!r} has no incentive for {what} (incentives: {known})")
    raise ValueError(f"several incentives match {what}: pass the tier (incentives: {known})")


def bonus_points(
    ruleset: str | os.PathLike[str] | RuleSet, awards: Iterable[Win | Mapping[str, Any] | tuple[Any, ...] | str]
) -> BonusResult:
    """The bonus points the ``awards`` earn under the rule set's incentives, line by line.

    Each award is matched to the incentive with its award (and tier); a per-unit
    incentive is multiplied by ``units``, any other counts once (``units`` must be 1).
    """
    rs = _ruleset(ruleset)
    lines = []
    total = Decimal(0)
    with decimal.localcontext(DECIMAL_CONTEXT):
        for raw in awards:
            w = _win(raw)
            inc = _incentive(rs, w)
            units = _whole(w.units, "units")
            if not inc.per_unit and units != 1:
                raise ValueError(f"incentive {inc.id!r} is not per unit: units must be 1, not {units}")
            pts = inc.points * units
            total += pts
            lines.append(BonusLine(inc.id, inc.label, units, pts, inc.clause))
    return BonusResult(total, tuple(lines))
