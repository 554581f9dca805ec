"""Composing rule sets: an overlay ``extends`` a base and changes what it needs.

Merging works on the documents, before validation, so the composed rule set is
checked exactly like a hand-written one (totals re-checked, names resolved):

* tables merge key by key (the overlay's value wins);
* arrays of tables with an ``id`` (sections, items, parts, vetoes, eligibility,
  grades, quotas, tiers, procedure, calendar, incentives) merge by id: an element
  with a known id is merged into the base's; a new id is appended; ``remove = true``
  drops the base's element; ``replaces = "<id>"`` puts a new element in the place
  of the base's element with that id; ``replace = true`` replaces an element whole
  instead of merging it; an item or part that changes its ``kind`` drops the old
  rule's parameters and keeps its own keys (label, clause, method, …);
* ``notes`` are appended; any other array or value is replaced.

Every key of the result remembers which file and line it came from, so errors
in a composed rule set point at the overlay or the base as appropriate.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Mapping
from typing import Any, Protocol

from ..language.toml import LineIndex, format_path

MISSING: Any = object()

#: Arrays of tables merged by ``id`` (by their shape: keys without indices).
ID_ARRAYS = {
    ("sections",),
    ("sections", "items"),
    ("sections", "items", "parts"),
    ("vetoes",),
    ("eligibility",),
    ("grades",),
    ("quotas",),
    ("tiers",),
    ("procedure",),
    ("calendar",),
    ("incentives",),
}
#: Arrays the overlay appends to.
APPEND_ARRAYS = {("notes",)}
#: Tables whose keys are names, not fixed keys.
NAMED_TABLES = {("indicators",), ("parameters",), ("derived",), ("sections", "items", "overrides"),
                ("sections", "items", "parts", "overrides")}
#: Tables holding a rule: a new ``kind`` replaces the whole table (the old kind's keys would not fit).
RULE_TABLES = {("sections", "items"), ("sections", "items", "parts")}
#: Keys that steer composition; they are removed from the result.
COMPOSE_KEYS = ("remove", "replaces", "replace")
#: The keys of an item (or part) that are not its rule's: kept from the base when the overlay changes the
#: rule's ``kind`` (what the item is, its clause and method stay unless the overlay gives new ones).
#: ``overrides`` are not kept: they change the old kind's parameters.
KEPT_ON_KIND_CHANGE = {
    ("sections", "items"): ("number", "label", "max", "clause", "method", "tiers", "void_when", "void_clause",
                            "bonus", "note", "applies_when"),
    ("sections", "items", "parts"): ("label", "max", "clause", "note"),
}


class Origins(Protocol):
    def where(self, loc: tuple[Any, ...]) -> tuple[str, int | None]: ...


class FileOrigins:
    """Origins of a plain rule file: every key is in that file."""

    def __init__(self, path: str, lines: LineIndex) -> None:
        self.path = path
        self.lines = lines

    def where(self, loc: tuple[Any, ...]) -> tuple[str, int | None]:
        return self.path, self.lines.line_of(loc)


class ComposedOrigins:
    """Origins of a composed document: each key maps to a key of a source file."""

    def __init__(self, fallback: str) -> None:
        self.map: dict[tuple[Any, ...], tuple[Origins, tuple[Any, ...]]] = {}
        self.fallback = fallback

    def where(self, loc: tuple[Any, ...]) -> tuple[str, int | None]:
        p = tuple(loc)
        while True:
            hit = self.map.get(p)
            if hit is not None:
                src, sp = hit
                return src.where((*sp, *loc[len(p) :]))
            if not p:
                return self.fallback, None
            p = p[:-1]


class CompositionProblem(Exception):
    def __init__(self, message: str, origin: tuple[Origins, tuple[Any, ...]]) -> None:
        super().__init__(message)
        self.message = message
        self.origin = origin


def _shape(path: tuple[Any, ...]) -> tuple[str, ...]:
    out: list[str] = []
    named = False
    for p in path:
        if isinstance(p, int):
            continue
        if named:
            out.append("*")
            named = False
            continue
        out.append(p)
        named = tuple(out) in NAMED_TABLES
    return tuple(out)


class _Merger:
    def __init__(self, base_src: Origins, over_src: Origins, fallback: str) -> None:
        self.base_src = base_src
        self.over_src = over_src
        self.origins = ComposedOrigins(fallback)
        self.problems: list[CompositionProblem] = []

    def place(self, value: Any, mp: tuple[Any, ...], src: Origins, sp: tuple[Any, ...]) -> Any:
        self.origins.map[mp] = (src, sp)
        if isinstance(value, dict):
            for k, v in value.items():
                self.place(v, (*mp, k), src, (*sp, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.place(v, (*mp, i), src, (*sp, i))
        return value

    def merge(self, b: Any, o: Any, mp: tuple[Any, ...], bp: tuple[Any, ...] | None, op: tuple[Any, ...] | None) -> Any:
        if o is MISSING:
            assert bp is not None
            return self.place(b, mp, self.base_src, bp)
        if b is MISSING:
            assert op is not None
            return self.place(_strip(o), mp, self.over_src, op)
        assert bp is not None and op is not None
        shape = _shape(mp)
        if isinstance(b, dict) and isinstance(o, dict):
            kind_changed = shape in RULE_TABLES and "kind" in o and "kind" in b and o["kind"] != b["kind"]
            if o.get("replace") is True:
                return self.place(_strip(o), mp, self.over_src, op)
            if kind_changed:  # a new rule: the old kind's parameters go, the item's own keys stay
                kept = {k: b[k] for k in KEPT_ON_KIND_CHANGE[shape] if k in b and k not in o}
                b = {"id": b["id"], **kept} if "id" in b else kept
            self.origins.map[mp] = (self.over_src, op)
            out: dict[str, Any] = {}
            for k, v in b.items():
                if k not in o:
                    out[k] = self.place(v, (*mp, k), self.base_src, (*bp, k))
            for k, v in o.items():
                if k in COMPOSE_KEYS:
                    continue
                out[k] = self.merge(b.get(k, MISSING), v, (*mp, k), (*bp, k) if k in b else None, (*op, k))
            return out
        if isinstance(b, list) and isinstance(o, list):
            if shape in ID_ARRAYS:
                return self.merge_by_id(b, o, mp, bp, op)
            if shape in APPEND_ARRAYS:
                out_list = [self.place(v, (*mp, i), self.base_src, (*bp, i)) for i, v in enumerate(b)]
                for j, v in enumerate(o):
                    out_list.append(self.place(v, (*mp, len(out_list)), self.over_src, (*op, j)))
                return out_list
        return self.place(_strip(o), mp, self.over_src, op)

    def merge_by_id(
        self, b: list[Any], o: list[Any], mp: tuple[Any, ...], bp: tuple[Any, ...], op: tuple[Any, ...]
    ) -> list[Any]:
        entries: list[list[Any] | None] = [[v, MISSING, (*bp, i), None] for i, v in enumerate(b)]
        ids = _IdIndex(entries)
        for j, ov in enumerate(o):
            where = (self.over_src, (*op, j))
            if not isinstance(ov, dict):
                self.problems.append(CompositionProblem("expected a table", where))
                continue
            oid = ov.get("id")
            if ov.get("remove") is True:
                k = ids.find(oid)
                if k is None:
                    self.problems.append(CompositionProblem(f"cannot remove {oid!r}: the base has no such id", where))
                else:
                    ids.drop(k)
                continue
            target = ov.get("replaces")
            if target is not None:
                k = ids.find(target)
                if k is None:
                    self.problems.append(
                        CompositionProblem(f"cannot replace {target!r}: the base has no such id", where)
                    )
                    continue
                if ids.find(oid) not in (None, k):
                    self.problems.append(CompositionProblem(f"id {oid!r} is already in the base", where))
                    continue
                ids.put(k, [MISSING, ov, None, (*op, j)])
                continue
            k = ids.find(oid)
            if k is None:
                ids.put(len(entries), [MISSING, ov, None, (*op, j)])
            else:
                entry = entries[k]
                assert entry is not None
                entry[1] = ov
                entry[3] = (*op, j)
        kept = [e for e in entries if e is not None]
        return [self.merge(e[0], e[1], (*mp, k), e[2], e[3]) for k, e in enumerate(kept)]


class _IdIndex:
    """The elements of an id-merged array by id, so that merging an overlay of thousands of items
    takes linear time: ``entries`` (``[base, overlay, base path, overlay path]``, None once removed)
    and, for each id, the positions of the elements with that id (the first one is the one merged)."""

    def __init__(self, entries: list[list[Any] | None]) -> None:
        self.entries = entries
        self.at: dict[Any, list[int]] = {}
        self.odd: set[int] = set()  # positions of elements whose id cannot be a key (a table, an array)
        for k, e in enumerate(entries):
            self._index(k, e)

    @staticmethod
    def _id(e: list[Any] | None) -> Any:
        if e is None:
            return MISSING
        cur = e[0] if e[0] is not MISSING else e[1]
        return cur.get("id") if isinstance(cur, dict) else MISSING

    def _index(self, k: int, e: list[Any] | None) -> None:
        eid = self._id(e)
        if eid is MISSING:
            return
        try:
            bisect.insort(self.at.setdefault(eid, []), k)
        except TypeError:
            self.odd.add(k)

    def find(self, eid: Any) -> int | None:
        """The position of the first element with id ``eid``, as ``==`` compares ids."""
        try:
            hits = self.at.get(eid)
        except TypeError:  # an id that cannot be a key: only an odd one may equal it
            hits = None
        found = [k for k in self.odd if self._id(self.entries[k]) == eid]
        if hits:
            found.append(hits[0])
        return min(found, default=None)

    def drop(self, k: int) -> None:
        eid = self._id(self.entries[k])
        if k in self.odd:
            self.odd.discard(k)
        else:
            hits = self.at[eid]
            del hits[bisect.bisect_left(hits, k)]
        self.entries[k] = None

    def put(self, k: int, entry: list[Any]) -> None:
        """``entry`` in position ``k``: in place of the element there, or appended (``k`` is the end)."""
        if k < len(self.entries):
            self.drop(k)
            self.entries[k] = entry
        else:
            self.entries.append(entry)
        self._index(k, entry)


def _strip(value: Any) -> Any:
    """Remove composition keys from a subtree taken whole from an overlay."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in COMPOSE_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def materialize(base: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a base document with the defaults that an overlay must not change
    silently written out: each section's ``scoring``."""
    doc = copy.deepcopy(dict(base))
    kind = doc.get("scheme", {}).get("kind") if isinstance(doc.get("scheme"), dict) else None
    default = "points" if kind == "points" else "checklist"
    for s in doc.get("sections", []) or []:
        if isinstance(s, dict) and "scoring" not in s:
            s["scoring"] = default
    return doc


def compose_docs(
    base: Mapping[str, Any], base_origins: Origins, overlay: Mapping[str, Any], overlay_origins: Origins, *, name: str
) -> tuple[dict[str, Any], ComposedOrigins, list[CompositionProblem]]:
    """Merge ``overlay`` into ``base`` (both raw documents). Returns the result,
    where each of its keys came from, and the problems found."""
    m = _Merger(base_origins, overlay_origins, name)
    over = {k: v for k, v in overlay.items() if k != "extends"}
    merged = m.merge(materialize(base), over, (), (), ())
    return merged, m.origins, m.problems


def describe(loc: tuple[Any, ...]) -> str:
    return format_path(loc)
