"""Titles in the store: the awards, revocations and extensions of units' titles, append-only.

A line of the table ``titles`` (:data:`fuac.serve.store.titles`) is one event: an ``award`` (a
unit won the title of a rule set's campaign at a level, in a year of a cycle), a ``revocation``
(the award it ``refers_to`` was revoked, in a year) or an ``extension`` (a decision extended the
award it refers to into a later cycle, 顺延). Nothing is changed or deleted: a revocation is a new
line. The status of a title is computed from these lines by :mod:`fuac.lifecycle`, exactly as
from a CSV history (:func:`history` turns them into one): the store holds facts, the rule set's
``[cycle]`` says what they mean.

:func:`fill` is where the service reads them when it scores a unit: a rule set whose ``[cycle]``
bars units revoked in the previous cycle reads that through an indicator
(:func:`fuac.lifecycle.revoked_indicator`); when a unit with a code is sent without it, its value
is taken from the unit's titles in the store, and the answer and the record say so.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import sqlalchemy as sa

from .. import _api
from ..decide import lifecycle
from ..errors import FuacError, InputError, RulesetNotFound
from ..plan.loader import RuleSet
from ..run.batch.columns import Chunk, _typed
from ..run.batch.sources import Source, open_source
from ..run.evaluate import evaluation_date
from ..run.results import Problem
from .errors import ApiError, problem
from .store import TITLE_EVENTS, Store, titles

#: the keys of one title event in a request
KEYS = ("event", "unit", "unit_name", "ruleset", "level", "year", "refers_to", "document", "note")
#: the longest text of each text field (the columns' sizes)
_LONGEST = {"unit": 64, "unit_name": 500, "ruleset": 64, "level": 64, "document": 500, "note": 2000}
#: one event of ``POST /v1/titles``, for the OpenAPI document (:func:`read_events` checks it)
EVENT_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["event", "unit", "ruleset", "year"], "additionalProperties": False,
    "properties": {
        "event": {"enum": list(TITLE_EVENTS)},
        "unit": {"type": "string", "maxLength": 64, "description": "the unit's code (as context.code of its data)"},
        "unit_name": {"type": "string", "maxLength": 500},
        "ruleset": {"type": "string", "description": "the rule set whose title it is (one with a [cycle])"},
        "level": {"type": "string", "description": "national, provincial, municipal … (needed but for a revocation "
                                                  "or an extension that names its award in refers_to)"},
        "year": {"type": "integer", "description": "the year awarded (any year of the cycle won for), revoked, or "
                                                  "a year of the cycle the title is extended into"},
        "refers_to": {"type": "integer", "description": "a revocation's or an extension's award (default: the "
                                                       "unit's latest award of the level up to the year)"},
        "document": {"type": "string", "maxLength": 500, "description": "the decision (文号)"},
        "note": {"type": "string", "maxLength": 2000},
    },
}
_EVENT_WORDS = {"award": ("授予", "award"), "revocation": ("撤销", "revocation"), "extension": ("顺延", "extension")}


class TitleError(FuacError, ValueError):
    """An event the store cannot take as it stands (a second award in a cycle, a revocation with
    no award to revoke …): ``status`` 409 for a conflict with what is recorded, else 422; the
    ``field`` is the event's place in the request (``[2]``)."""

    def __init__(self, field: str, code: str, en: str, zh: str, status: int = 422) -> None:
        self.field, self.code, self.en, self.zh, self.status = field, code, en, zh, status
        super().__init__(f"{field}: {en}" if field else en)

    def api(self) -> ApiError:
        return ApiError(self.status, self.code, str(self), f"{self.field}：{self.zh}" if self.field else self.zh,
                        [problem(self.field or "body", self.code, self.en, self.zh)])


# ---------------------------------------------------------------------------
# a request's events, checked


def read_events(body: Any) -> list[dict[str, Any]]:
    """The events of ``POST /v1/titles``: one object, or a list of them (recorded together or not
    at all). Every field of the wrong shape is named (``[1].year``) in one 422."""
    many = isinstance(body, list)
    items = body if many else [body]
    if not items:
        raise ApiError(422, "invalid_titles", "send at least one title event", "请至少提交一条称号记录",
                       [problem("body", "empty", "no event", "没有记录")])
    events, probs = [], []
    for i, item in enumerate(items):
        where = f"[{i}]." if many else ""
        event, found = _event_of(item, where)
        events.append(event)
        probs.extend(found)
    if probs:
        names = ", ".join(dict.fromkeys(p.field for p in probs))
        raise ApiError(422, "invalid_titles", f"title events with fields of the wrong shape: {names}",
                       f"称号记录的以下字段有误：{names}", probs)
    return events


def _event_of(item: Any, where: str) -> tuple[dict[str, Any], list[Problem]]:
    """One event of a request, and its problems (each naming its field)."""
    if not isinstance(item, dict):
        return {}, [problem(where.rstrip(".") or "body", "invalid_type", "expected an object", "应为对象")]
    probs = [problem(f"{where}{k}", "unknown_key", f"not a key of a title event ({', '.join(KEYS)})",
                     f"不是称号记录的键（允许：{'、'.join(KEYS)}）") for k in item if k not in KEYS]
    out: dict[str, Any] = {}
    for key in ("unit", "unit_name", "ruleset", "level", "document", "note"):
        out[key] = _text_field(item, key, where, probs)
    out["event"] = item.get("event")
    if out["event"] not in TITLE_EVENTS:
        probs.append(problem(f"{where}event", "invalid_choice", f"one of {', '.join(TITLE_EVENTS)}",
                             "应为 award（授予）、revocation（撤销）或 extension（顺延）", item.get("event")))
    for key in ("unit", "ruleset", "year"):
        if item.get(key) is None:
            probs.append(problem(f"{where}{key}", "missing", "missing", "缺少必填项"))
    out["year"] = _whole(item, "year", where, probs, 1, 9999)
    out["refers_to"] = _whole(item, "refers_to", where, probs, 1, None)
    if out["event"] == "award" and out["refers_to"] is not None:
        probs.append(problem(f"{where}refers_to", "invalid_parameter", "an award refers to no other title",
                             "授予记录不引用其他记录"))
    if out["level"] is None and (out["event"] == "award" or out["refers_to"] is None):
        probs.append(problem(f"{where}level", "missing", "missing (needed unless refers_to names the award)",
                             "缺少必填项（除非以 refers_to 指明所涉称号）"))
    if not probs:
        probs.extend(_against_ruleset(out, where))
    out["where"] = where.rstrip(".")
    return out, probs


def _text_field(item: Mapping[str, Any], key: str, where: str, probs: list[Problem]) -> str | None:
    v = item.get(key)
    if isinstance(v, int) and not isinstance(v, bool) and key == "unit":
        v = str(v)  # a region code sent as a number
    if v is None:
        return None
    if not isinstance(v, str) or not v.strip() or len(v.strip()) > _LONGEST[key]:
        probs.append(problem(f"{where}{key}", "invalid_type", f"expected a text of 1 to {_LONGEST[key]} characters",
                             f"应为 1 至 {_LONGEST[key]} 个字符的文本", _shown(v)))
        return None
    return v.strip()


def _whole(item: Mapping[str, Any], key: str, where: str, probs: list[Problem], lo: int, hi: int | None) -> int | None:
    v = item.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
        probs.append(problem(f"{where}{key}", "invalid_type", "expected a whole number" + (
            f" from {lo} to {hi}" if hi else f" ≥ {lo}"), "应为整数", _shown(v)))
        return None
    return v


def _shown(v: Any) -> Any:
    return v if isinstance(v, (int, bool)) or v is None else str(v)[:80]


def _against_ruleset(ev: dict[str, Any], where: str) -> list[Problem]:
    """The rule set named exists and has a ``[cycle]``; the level is one of its levels and the
    year in one of its cycles. Sets ``cycle_first_year``."""
    rid = ev["ruleset"]
    try:
        rs = _api.load(rid) if rid in _api.rulesets() else None
    except RulesetNotFound:
        rs = None
    if rs is None:
        return [problem(f"{where}ruleset", "ruleset_not_found", f"no rule set {rid!r}; GET /v1/rulesets lists them",
                        f"没有编号为 {rid} 的评分规则", rid)]
    if rs.doc.cycle is None:
        return [problem(f"{where}ruleset", "no_cycle", f"rule set {rid} has no [cycle]: it awards no titles",
                        f"评分规则 {rid} 没有创建周期（[cycle]），不授予称号", rid)]
    levels = lifecycle.known_levels(rs)
    if ev["level"] is not None and ev["level"] not in levels:
        return [problem(f"{where}level", "invalid_choice", f"one of {', '.join(levels)}",
                        f"应为 {'、'.join(levels)} 之一", ev["level"])]
    try:
        ev["cycle_first_year"] = lifecycle.cycle_of(rs, ev["year"]).first_year
    except ValueError as exc:
        return [problem(f"{where}year", "out_of_range", str(exc), f"{ev['year']} 年早于第一个创建周期", ev["year"])]
    return []


# ---------------------------------------------------------------------------
# writing


def record(store: Store, events: Iterable[Mapping[str, Any]], *, by: str, source: str) -> list[dict[str, Any]]:
    """Write ``events`` (checked by :func:`read_events` or made by :func:`from_history`) in one
    transaction: all of them, or none (a :class:`TitleError` naming the first that cannot be)."""
    now = dt.datetime.now(dt.timezone.utc)
    written: list[dict[str, Any]] = []
    with store._writing() as conn:
        for ev in events:
            row = {k: ev.get(k) for k in ("event", "unit_name", "level", "year", "cycle_first_year", "refers_to",
                                          "document", "note")}
            row.update(unit_code=ev["unit"], ruleset_id=ev["ruleset"], recorded_at=now, submitted_by=by,
                       source=source)
            if ev.get("refers_to_event") is not None:  # an event of the same request (an import)
                row["refers_to"] = written[ev["refers_to_event"]]["id"]
            _check(conn, row, ev.get("where", ""))
            row["id"] = _insert(conn, row, ev.get("where", ""))
            written.append(row)
    return [_public(r) for r in written]


def _insert(conn: sa.Connection, row: Mapping[str, Any], where: str) -> int:
    try:
        pk = conn.execute(sa.insert(titles).values(**row)).inserted_primary_key
    except sa.exc.IntegrityError:  # another writer recorded the same award (or revocation) just now
        raise _conflict(where, row) from None
    assert pk is not None
    return int(pk[0])


def _check(conn: sa.Connection, row: dict[str, Any], where: str) -> None:
    """What the store already holds allows ``row``; a revocation's or an extension's award is
    found (the latest of its unit, rule set and level up to its year, unless it names one)."""
    c = titles.c
    if row["event"] == "award":
        if conn.execute(_same_award(row)).first() is not None:
            raise _conflict(where, row)
        return
    found = conn.execute(sa.select(titles).where(c.id == row["refers_to"]) if row["refers_to"] is not None
                         else _latest_award(row)).mappings().first()
    award = None if found is None else dict(found)
    _check_award(award, row, where)
    assert award is not None
    row["refers_to"], row["level"] = award["id"], award["level"]
    revoked = conn.execute(sa.select(c.id, c.year).where(c.event == "revocation", c.refers_to == award["id"])).first()
    if revoked is not None:
        raise TitleError(where, "title_conflict", f"title {award['id']} was revoked in {revoked.year} "
                         f"(title {revoked.id})", f"称号 {award['id']} 已于 {revoked.year} 年撤销（记录 {revoked.id}）",
                         409)
    if row["event"] == "extension" and row["cycle_first_year"] <= award["cycle_first_year"]:
        raise TitleError(where, "invalid_extension", f"{row['year']} is not after the cycle title {award['id']} "
                         f"was won for ({award['year']})", f"{row['year']} 年不在称号 {award['id']}"
                         f"（{award['year']} 年获得）所属周期之后")


def _same_award(row: Mapping[str, Any]) -> Any:
    c = titles.c
    return sa.select(c.id).where(c.event == "award", c.unit_code == row["unit_code"],
                                 c.ruleset_id == row["ruleset_id"], c.level == row["level"],
                                 c.cycle_first_year == row["cycle_first_year"])


def _latest_award(row: Mapping[str, Any]) -> Any:
    c = titles.c
    return (sa.select(titles).where(c.event == "award", c.unit_code == row["unit_code"],
                                    c.ruleset_id == row["ruleset_id"], c.level == row["level"],
                                    c.year <= row["year"]).order_by(c.year.desc(), c.id.desc()).limit(1))


def _check_award(award: Mapping[str, Any] | None, row: Mapping[str, Any], where: str) -> None:
    what_zh, what_en = _EVENT_WORDS[row["event"]]
    if award is None:
        named = f"title {row['refers_to']}" if row["refers_to"] is not None else (
            f"no {row['level']} award of unit {row['unit_code']} ({row['ruleset_id']}) in or before {row['year']}")
        raise TitleError(where, "award_not_found", f"a {what_en} needs an award: {named} is not recorded"
                         if row["refers_to"] is not None else f"a {what_en} needs an award: {named}",
                         f"{what_zh}须针对已记录的授予：未找到相应的授予记录")
    same = (award["event"] == "award" and award["unit_code"] == row["unit_code"]
            and award["ruleset_id"] == row["ruleset_id"] and (row["level"] in (None, award["level"]))
            and award["year"] <= row["year"])
    if not same:
        raise TitleError(where, "invalid_refers_to", f"title {award['id']} is not an award of unit "
                         f"{row['unit_code']} ({row['ruleset_id']}, {row['level'] or 'any level'}) in or before "
                         f"{row['year']}", f"记录 {award['id']} 不是该单位在 {row['year']} 年或之前获得的同级称号")


def _conflict(where: str, row: Mapping[str, Any]) -> TitleError:
    if row["event"] == "award":
        return TitleError(where, "title_conflict", f"unit {row['unit_code']} already has a {row['level']} award of "
                          f"{row['ruleset_id']} in the cycle from {row['cycle_first_year']}",
                          f"单位 {row['unit_code']} 在 {row['cycle_first_year']} 年起的周期已有同级称号记录", 409)
    return TitleError(where, "title_conflict", f"title {row['refers_to']} is already revoked",
                      f"称号 {row['refers_to']} 已被撤销", 409)


# ---------------------------------------------------------------------------
# reading


def find(store: Store, *, unit: str | None = None, rulesets: Iterable[str] | None = None, after: int | None = None,
         limit: int | None = None) -> list[dict[str, Any]]:
    """The recorded events, oldest first: of one unit (its code), of some rule sets' ids."""
    c = titles.c
    q = sa.select(titles).order_by(c.id)
    if unit is not None:
        q = q.where(c.unit_code == unit)
    if rulesets is not None:
        q = q.where(c.ruleset_id.in_(list(rulesets)))
    if after is not None:
        q = q.where(c.id > after)
    if limit is not None:
        q = q.limit(limit)
    with store._reading() as conn:
        return [_public(r) for r in conn.execute(q).mappings()]


def _public(row: Mapping[str, Any] | sa.RowMapping) -> dict[str, Any]:
    when = row["recorded_at"]
    when = when.replace(tzinfo=dt.timezone.utc) if when.tzinfo is None else when.astimezone(dt.timezone.utc)
    return {"id": row["id"], "recorded_at": when.isoformat(), "submitted_by": row["submitted_by"],
            "source": row["source"], "event": row["event"],
            "unit": {"code": row["unit_code"], "name": row["unit_name"]}, "ruleset": row["ruleset_id"],
            "level": row["level"], "year": row["year"], "cycle_first_year": row["cycle_first_year"],
            "refers_to": row["refers_to"], "document": row["document"], "note": row["note"]}


def lineage(rs: RuleSet) -> list[str]:
    """The rule sets whose titles count for ``rs``: itself and those it is composed of."""
    return list(dict.fromkeys([*(link["id"] for link in rs.chain), rs.id]))


def history(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The events as a history of awards (:func:`fuac.lifecycle.title_table`'s rows): one row an
    award, with its revocation and its latest extension, and ``title``, the award's id."""
    awards: dict[int, dict[str, Any]] = {}
    for e in events:
        if e["event"] == "award":
            awards[e["id"]] = {"unit": e["unit"]["code"], "year": e["year"], "level": e["level"], "revoked": False,
                               "revoked_year": None, "extended_until": None, "title": e["id"]}
    for e in events:
        a = awards.get(e["refers_to"]) if e["refers_to"] is not None else None
        if a is not None and e["event"] == "revocation":
            a.update(revoked=True, revoked_year=e["year"])
        elif a is not None and e["event"] == "extension":
            a["extended_until"] = max(e["year"], a["extended_until"] or e["year"])
    return list(awards.values())


def status(rs: RuleSet, events: list[dict[str, Any]], year: int, level: str | None = None) -> dict[str, Any]:
    """The title status in ``year`` of every unit of ``events`` (:func:`fuac.lifecycle.title_table`),
    each line naming the awards it was computed from (``titles``) instead of rows."""
    rows = history(events)
    table = lifecycle.title_table(rs, rows, year, level=level)
    units = []
    for line in table.to_dicts():
        line["titles"] = [rows[n - 1]["title"] for n in line.pop("rows")]
        units.append(line)
    return {"ruleset": rs.id, "year": year, "cycle": [table.cycle.first_year, table.cycle.last_year], "units": units}


# ---------------------------------------------------------------------------
# the veto "revoked in the previous cycle", from the store


def fill(store: Store, rs: RuleSet, doc: dict[str, Any]) -> dict[str, Any]:
    """Fill in ``doc``'s indicator "revoked in the previous cycle" (:func:`fuac.lifecycle.revoked_indicator`)
    from the unit's titles in the store, when the rule set has one, the unit has a code
    (``context.code``) and its data does not give the value. Returns what was filled, by
    indicator, with where it came from (empty: nothing)."""
    name = lifecycle.revoked_indicator(rs)
    code = (doc.get("context") or {}).get("code")
    if name is None or doc["data"].get(name) is not None or code is None or not str(code).strip():
        return {}
    try:
        year = evaluation_date(doc.get("on"), doc.get("context")).year
        lifecycle.cycle_of(rs, year)
    except (InputError, ValueError):  # a date the evaluation reports, or one before the first cycle
        return {}
    unit = str(code).strip()
    events = find(store, unit=unit, rulesets=lineage(rs))
    info = revoked_from(rs, unit, year, events)
    doc["data"][name] = info["value"]
    return {name: info}


def revoked_from(rs: RuleSet, unit: str, year: int, events: list[dict[str, Any]]) -> dict[str, Any]:
    """Whether ``unit``'s title was revoked in the cycle before ``year``'s, from its title ``events``:
    the value and where it came from (what :func:`fill` says of it)."""
    span = lifecycle.cycle_of(rs, year)
    rows = history(events)
    value = lifecycle.revoked_previous_cycle(rs, [_award(r) for r in rows], year)
    prev = [span.first_year - (span.last_year - span.first_year + 1), span.first_year - 1]
    revoked = [r["title"] for r in rows if r["revoked"] and prev[0] <= (r["revoked_year"] or 0) <= prev[1]]
    return {"value": value, "source": "titles", "unit": unit, "year": year, "previous_cycle": prev,
            "titles": [e["id"] for e in events], "revoked": revoked,
            "reason": _fill_words(value, prev, events, revoked)}


class FilledSource(Source):
    """A batch's records (``inner``, a :class:`fuac.run.batch.sources.Source`) with the indicator
    "revoked in the previous cycle" filled in, as :func:`fill` fills it for one unit, in each row
    that has a unit code (column ``code`` or ``context.code``) and no value of its own. The titles
    of the rule set's lineage are read from the store once for the whole batch, when a row first
    needs them. ``filled``: what was filled, by row index (from 0), indicator → where it came from."""

    def __init__(self, store: Store, rs: RuleSet, inner: Source, on: Any = None) -> None:
        self.store, self.rs, self.inner, self.on = store, rs, inner, on
        self.n, self.rereadable = inner.n, inner.rereadable
        self.name = lifecycle.revoked_indicator(rs)
        self.filled: dict[int, dict[str, Any]] = {}
        self._events: dict[str, list[dict[str, Any]]] | None = None

    def chunks(self, size: int) -> Iterator[Chunk]:
        for chunk in self.inner.chunks(size):
            if self.name is not None:
                self._fill(chunk, self.name)
            yield chunk

    def _fill(self, chunk: Chunk, name: str) -> None:
        codes = chunk.cols.get("context.code") or chunk.cols.get("code")
        if codes is None:
            return
        col, dates = chunk.cols.get(name), chunk.cols.get("context.on")
        values = [None if col is None else col.py(i) for i in range(chunk.n)]
        for i in range(chunk.n):
            code = codes.py(i)
            if (values[i] is not None and str(values[i]).strip()) or code is None or not str(code).strip():
                continue
            try:
                year = evaluation_date(self.on, {"on": None if dates is None else dates.py(i)}).year
                lifecycle.cycle_of(self.rs, year)
            except (InputError, ValueError):  # a date the evaluation reports, or one before the first cycle
                continue
            unit = str(code).strip()
            info = revoked_from(self.rs, unit, year, self._titles().get(unit, []))
            values[i] = info["value"]
            self.filled[chunk.offset + i] = {name: info}
        chunk.cols[name] = _typed(values)  # always there, so that every chunk has the same columns
        if chunk.rows is not None:
            chunk.rows = [{**r, name: values[i]} if chunk.offset + i in self.filled else r
                          for i, r in enumerate(chunk.rows)]

    def _titles(self) -> dict[str, list[dict[str, Any]]]:
        if self._events is None:
            self._events = {}
            for e in find(self.store, rulesets=lineage(self.rs)):
                self._events.setdefault(e["unit"]["code"], []).append(e)
        return self._events


def batch_source(store: Store, rs: RuleSet, records: Any, *, tier: str | None = None, on: Any = None
                 ) -> FilledSource:
    """``records`` (an :class:`fuac.InputFile` …) opened as :func:`fuac.evaluate_chunks` opens them
    for ``rs`` at ``tier``, wrapped in a :class:`FilledSource`."""
    from ..run.batch.runner import _entry_forms

    return FilledSource(store, rs, open_source(records, rs, entries=_entry_forms(rs.plan(tier))), on)


def _award(row: Mapping[str, Any]) -> lifecycle.Award:
    return lifecycle.Award(row["year"], row["level"], row["revoked"], row["revoked_year"], row["extended_until"])


def _fill_words(value: bool, prev: list[int], events: list[dict[str, Any]], revoked: list[int]) -> dict[str, str]:
    span_zh, span_en = f"{prev[0]}—{prev[1]}", f"{prev[0]}–{prev[1]}"
    if value:
        ids = ", ".join(str(i) for i in revoked)
        return {"zh": f"取自称号记录：上一周期（{span_zh}）称号被撤销（称号 {ids}）。",
                "en": f"from the titles recorded: a title was revoked in the previous cycle ({span_en}) "
                      f"(title {ids})."}
    if not events:
        return {"zh": f"取自称号记录：该单位没有称号记录，上一周期（{span_zh}）未被撤销称号。",
                "en": f"from the titles recorded: none for this unit, so no title revoked in the previous cycle "
                      f"({span_en})."}
    return {"zh": f"取自称号记录（{len(events)} 条）：上一周期（{span_zh}）未被撤销称号。",
            "en": f"from the titles recorded ({len(events)}): no title revoked in the previous cycle ({span_en})."}


# ---------------------------------------------------------------------------
# fuac titles --import / --from-store


def from_history(rs: RuleSet, rows: Any) -> list[dict[str, Any]]:
    """The events of a history of awards (a CSV file …, as ``fuac titles`` reads one): an award a
    row, and its revocation and extension. A history with an error is refused whole, naming rows."""
    entries, errors = lifecycle.read_history(rs, rows)
    if errors:
        shown = "; ".join(str(e) for e in errors[:5]) + (f"; … ({len(errors)} errors)" if len(errors) > 5 else "")
        raise InputError(f"the history has errors, nothing was recorded: {shown}")
    events: list[dict[str, Any]] = []
    for e in entries:
        assert e.award is not None and e.unit is not None
        a = e.award
        common = {"unit": e.unit, "unit_name": None, "ruleset": rs.id, "level": a.level, "refers_to": None,
                  "document": None, "note": None, "where": f"row {e.row}"}
        first = len(events)
        events.append({**common, "event": "award", "year": a.year})
        if a.revoked_in is not None:
            events.append({**common, "event": "revocation", "year": a.revoked_in, "refers_to_event": first})
        if a.extended_until is not None:
            events.append({**common, "event": "extension", "year": a.extended_until, "refers_to_event": first})
    for ev in events:
        ev["cycle_first_year"] = lifecycle.cycle_of(rs, ev["year"]).first_year
    return events


def cli_history(rs: RuleSet, path: str | None, *, db: str | None, importing: bool) -> list[dict[str, Any]]:
    """What ``fuac titles`` reads with ``--import`` (the file's history recorded first) or
    ``--from-store``: the store's history of ``rs``'s titles."""
    if importing and path is None:
        raise InputError("--import needs the history file to record")
    if not importing and path is not None:
        raise InputError("--from-store reads the store: give no history file")
    store = Store(db)
    try:
        if path is not None:
            events = from_history(rs, path)
            try:
                done = record(store, events, by=_user(), source="import")
            except TitleError as exc:
                raise InputError(f"{path}: {exc}; nothing was recorded") from None
            print(f"{len(done):,} title event(s) from {path} recorded in {store.where}", file=sys.stderr)
        return history(find(store, rulesets=lineage(rs)))
    finally:
        store.close()


def _user() -> str:
    try:
        return getpass.getuser()[:200] or "cli"
    except (KeyError, OSError):
        return "cli"
