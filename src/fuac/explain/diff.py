"""What changed between two rule sets, and what that does to units' totals and ranks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..language.words import fmt_number
from ..plan.compose import materialize
from ..plan.loader import RuleSet
from ..run.evaluate import evaluate
from ..run.results import view

#: Item keys that are wording, not rules: a change to them alone is not listed.
WORDING = {"label", "note", "number", "method"}


@dataclass(slots=True)
class RuleChange:
    """One change from rule set A to rule set B."""

    action: str  # added | removed | replaced | changed
    what: str  # item | section | veto | eligibility | indicator | parameter | scheme
    id: str
    new_id: str | None = None
    section: str | None = None
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    clause_a: str | None = None
    clause_b: str | None = None
    new_inputs: list[str] = field(default_factory=list)

    def describe(self) -> str:
        where = f" in section {self.section}" if self.section else ""
        if self.action == "replaced":
            head = f"{self.what} {self.id} replaced by {self.new_id}{where}"
        else:
            head = f"{self.what} {self.id} {self.action}{where}"
        parts = [f"{k}: {_show(a)} → {_show(b)}" for k, (a, b) in self.fields.items() if k != "clause"]
        if parts:
            head += ": " + "; ".join(parts)
        if self.new_inputs:
            head += f" (reads new indicator(s): {', '.join(self.new_inputs)})"
        return head

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "what": self.what,
            "id": self.id,
            "new_id": self.new_id,
            "section": self.section,
            "fields": {k: [_plain(a), _plain(b)] for k, (a, b) in self.fields.items()},
            "clause": {"a": self.clause_a, "b": self.clause_b},
            "new_inputs": list(self.new_inputs),
        }

    def _repr_html_(self) -> str:
        return view("html.change")(self)


class RuleChanges(list[RuleChange]):
    """What :func:`diff` returns: a list of :class:`RuleChange`, shown in Jupyter as a table."""

    def _repr_html_(self) -> str:
        return view("html.changes")(self)


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return fmt_number(v)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def _show(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, Decimal):
        return fmt_number(v)
    if isinstance(v, (dict, list)):
        return str(_plain(v))
    return str(v)


#: items by id, each with its section and its place in it
_Placed = dict[str, tuple[str, int, dict[str, Any]]]


def _items(doc: Mapping[str, Any]) -> _Placed:
    out = {}
    for s in doc.get("sections", []):
        for pos, it in enumerate(s.get("items", [])):
            out[it["id"]] = (s["id"], pos, it)
    return out


def _fields(a: Mapping[str, Any], b: Mapping[str, Any], ignore: set[str]) -> dict[str, tuple[Any, Any]]:
    keys = [k for k in dict.fromkeys([*a, *b]) if k not in ignore]
    return {k: (a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)}


def _reads(rs: RuleSet, item_id: str) -> set[str]:
    out: set[str] = set()
    for plan in rs.plans.values():
        it = plan.items.get(item_id)
        if it is not None:
            out |= it.reads | it.void_reads
    return out


def diff(a: RuleSet, b: RuleSet) -> RuleChanges:
    """The changes from ``a`` to ``b``: items added, removed, replaced and changed (points,
    thresholds, costs, kinds…), sections re-weighted, vetoes, eligibility, parameters."""
    da, db = materialize(a.raw), materialize(b.raw)
    changes = _scheme_changes(da, db)
    changes += _section_changes(da, db)
    changes += _item_changes(a, b, da, db)
    changes += _condition_changes(da, db, "vetoes")
    changes += _condition_changes(da, db, "eligibility")
    changes += _parameter_changes(da, db)
    changes += _indicator_changes(da, db, {n for c in changes for n in c.new_inputs})
    return RuleChanges(c for c in changes if c.fields or c.action != "changed")


def _scheme_changes(da: Mapping[str, Any], db: Mapping[str, Any]) -> list[RuleChange]:
    """The scheme's total, when it changed."""
    ta = da.get("scheme", {}).get("total")
    tb = db.get("scheme", {}).get("total")
    if ta != tb:
        return [RuleChange("changed", "scheme", "total", fields={"total": (ta, tb)})]
    return []


def _section_changes(da: Mapping[str, Any], db: Mapping[str, Any]) -> list[RuleChange]:
    """Sections removed, added, and changed other than in wording (their items apart)."""
    changes: list[RuleChange] = []
    sa = {s["id"]: s for s in da.get("sections", [])}
    sb = {s["id"]: s for s in db.get("sections", [])}
    for sid in dict.fromkeys([*sa, *sb]):
        if sid not in sb:
            changes.append(RuleChange("removed", "section", sid))
        elif sid not in sa:
            changes.append(RuleChange("added", "section", sid, fields={"max": (None, sb[sid].get("max"))}))
        else:
            f = _fields(
                {k: v for k, v in sa[sid].items() if k != "items"},
                {k: v for k, v in sb[sid].items() if k != "items"},
                {"title", "number", "clause"},
            )
            if f:
                changes.append(RuleChange("changed", "section", sid, fields=f))
    return changes


def _item_changes(a: RuleSet, b: RuleSet, da: Mapping[str, Any], db: Mapping[str, Any]) -> list[RuleChange]:
    """Items replaced (one removed where one is added, at the same place of its section), removed, added, and
    changed other than in wording."""
    ia, ib = _items(da), _items(db)
    removed = [i for i in ia if i not in ib]
    added = [i for i in ib if i not in ia]
    ind_a = set(da.get("indicators", {}))
    changes = _replacements(b, ia, ib, removed, added, ind_a)
    for rid in removed:
        sec, _, old = ia[rid]
        changes.append(
            RuleChange(
                "removed", "item", rid, section=sec, fields={"max": (old.get("max"), None)}, clause_a=old.get("clause")
            )
        )
    for nid in added:
        sec, _, new = ib[nid]
        changes.append(
            RuleChange(
                "added",
                "item",
                nid,
                section=sec,
                fields={"max": (None, new.get("max"))},
                clause_b=new.get("clause"),
                new_inputs=sorted(_reads(b, nid) - ind_a),
            )
        )
    for iid in ia:
        if iid in ib:
            changes += _item_changed(a, b, iid, ia[iid], ib[iid], ind_a)
    return changes


def _replacements(
    b: RuleSet, ia: _Placed, ib: _Placed, removed: list[str], added: list[str], ind_a: set[str]
) -> list[RuleChange]:
    """Each item removed whose place in its section an added item takes: replaced by it (the pair taken out
    of ``removed`` and ``added``)."""
    changes: list[RuleChange] = []
    for rid in list(removed):
        sec, pos, old = ia[rid]
        match = next((n for n in added if ib[n][0] == sec and ib[n][1] == pos), None)
        if match is None:
            continue
        new = ib[match][2]
        removed.remove(rid)
        added.remove(match)
        changes.append(
            RuleChange(
                "replaced",
                "item",
                rid,
                new_id=match,
                section=sec,
                fields={"max": (old.get("max"), new.get("max"))} if old.get("max") != new.get("max") else {},
                clause_a=old.get("clause"),
                clause_b=new.get("clause"),
                new_inputs=sorted(_reads(b, match) - ind_a),
            )
        )
    return changes


def _item_changed(
    a: RuleSet,
    b: RuleSet,
    iid: str,
    in_a: tuple[str, int, dict[str, Any]],
    in_b: tuple[str, int, dict[str, Any]],
    ind_a: set[str],
) -> list[RuleChange]:
    """An item in both: its change other than in wording (a move to another section included), if any."""
    (sec_a, _, old), (sec_b, _, new) = in_a, in_b
    f = _fields(old, new, WORDING)
    if sec_a != sec_b:
        f["section"] = (sec_a, sec_b)
    if not f:
        return []
    return [
        RuleChange(
            "changed",
            "item",
            iid,
            section=sec_b,
            fields=f,
            clause_a=old.get("clause"),
            clause_b=new.get("clause"),
            new_inputs=sorted(_reads(b, iid) - _reads(a, iid) - ind_a),
        )
    ]


def _condition_changes(da: Mapping[str, Any], db: Mapping[str, Any], group: str) -> list[RuleChange]:
    """The conditions of ``group`` (vetoes, eligibility) removed, added, and changed other than in their label."""
    changes: list[RuleChange] = []
    ga = {c["id"]: c for c in da.get(group, [])}
    gb = {c["id"]: c for c in db.get(group, [])}
    what = "veto" if group == "vetoes" else "eligibility"
    for cid in dict.fromkeys([*ga, *gb]):
        if cid not in gb:
            changes.append(RuleChange("removed", what, cid, clause_a=ga[cid].get("clause")))
        elif cid not in ga:
            changes.append(RuleChange("added", what, cid, clause_b=gb[cid].get("clause")))
        else:
            f = _fields(ga[cid], gb[cid], {"label"})
            if f:
                changes.append(
                    RuleChange(
                        "changed",
                        what,
                        cid,
                        fields=f,
                        clause_a=ga[cid].get("clause"),
                        clause_b=gb[cid].get("clause"),
                    )
                )
    return changes


def _parameter_changes(da: Mapping[str, Any], db: Mapping[str, Any]) -> list[RuleChange]:
    """The parameters in both whose values changed."""
    changes: list[RuleChange] = []
    pa, pb = da.get("parameters", {}), db.get("parameters", {})
    for name in dict.fromkeys([*pa, *pb]):
        va = pa.get(name, {}).get("values")
        vb = pb.get(name, {}).get("values")
        if va != vb and name in pa and name in pb:
            changes.append(RuleChange("changed", "parameter", name, fields={"values": (va, vb)}))
    return changes


def _indicator_changes(da: Mapping[str, Any], db: Mapping[str, Any], used_new: set[str]) -> list[RuleChange]:
    """Indicators changed (other than in description), and added ones that no new or changed item reads."""
    changes: list[RuleChange] = []
    inda, indb = da.get("indicators", {}), db.get("indicators", {})
    for name in indb:
        if name in inda and inda[name] != indb[name]:
            changes.append(
                RuleChange("changed", "indicator", name, fields=_fields(inda[name], indb[name], {"description"}))
            )
        elif name not in inda and name not in used_new:
            changes.append(RuleChange("added", "indicator", name))
    return changes


@dataclass(slots=True)
class Replay:
    """How one unit's total and rank move from rule set A to B."""

    name: str
    total_a: Decimal | None
    total_b: Decimal | None
    rank_a: int | None = None
    rank_b: int | None = None

    @property
    def delta(self) -> Decimal | None:
        if self.total_a is None or self.total_b is None:
            return None
        return self.total_b - self.total_a


def _ranks(values: list[Decimal | None]) -> list[int | None]:
    """Competition ranking (1, 2, 2, 4), highest first; units without a total are not ranked."""
    out: list[int | None] = []
    for v in values:
        out.append(None if v is None else 1 + sum(1 for w in values if w is not None and w > v))
    return out


class Replays(list[Replay]):
    """What :func:`replay` returns: a list of :class:`Replay`, shown in Jupyter as a table."""

    def _repr_html_(self) -> str:
        return view("html.replay")(self)


def replay(a: RuleSet, b: RuleSet, units: Iterable[Mapping[str, Any]]) -> Replays:
    """Score each unit (``{name, data, assessments, context, tier, on}``) with both rule sets."""
    rows = Replays()
    for k, u in enumerate(units):
        kwargs = {
            "tier": u.get("tier"),
            "context": u.get("context"),
            "assessments": u.get("assessments"),
            "assessor": u.get("assessor"),
            "on": u.get("on"),
        }
        ea = evaluate(a, u["data"], **kwargs)
        eb = evaluate(b, u["data"], **kwargs)
        name = u.get("name") or (u.get("context") or {}).get("name") or f"unit {k + 1}"
        rows.append(Replay(str(name), ea.reported_total, eb.reported_total))
    for r, ra, rb in zip(rows, _ranks([r.total_a for r in rows]), _ranks([r.total_b for r in rows]), strict=True):
        r.rank_a, r.rank_b = ra, rb
    return rows
