"""Loading a rule file: strict validation, static checks, one compiled plan per tier."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import types
import typing
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError

from ..errors import ExpressionError, ParameterNotInForceError, RulesetCheckError, RulesetError, RulesetSchemaError
from ..kinds import VetoRule
from ..kinds.base import Rule, RuleContext
from ..language.deprecation import renamed
from ..language.expressions import Expression, compile_expression
from ..language.functions import plugin_call
from ..language.models import (
    ITEM_COMMON_KEYS,
    LEVEL_DIGITS,
    VETOING,
    Condition,
    Derived,
    ItemHead,
    RulesetDoc,
    Scheme,
    SectionDoc,
    Text,
    Tier,
)
from ..language.toml import format_path, read_toml
from ..language.words import section_mark
from .compose import FileOrigins, Origins, compose_docs

PART_KEYS = ("id", "label", "max", "clause", "kind", "note", "overrides")
ZERO = Decimal(0)


# ---------------------------------------------------------------------------
# compiled structures


@dataclass(slots=True)
class PreparedPart:
    id: str
    key: str  # "item.part": the key for assessments
    label: Text | None
    clause: str | None
    max: Decimal | None
    rule: Rule
    #: the names the part reads, sorted (derived)
    read_order: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.read_order = tuple(sorted(self.rule.reads))


@dataclass(slots=True)
class PreparedItem:
    id: str
    number: str | None
    section: str
    label: Text | None
    max: Decimal | None
    clause: str | None
    method: str | None
    rule: Rule | None
    parts: list[PreparedPart] | None
    void: Expression | None
    void_clause: str | None
    bonus: bool
    reads: frozenset[str]
    void_reads: frozenset[str]  # what the item's guards (void_when, applies_when) read
    note: str | None = None
    applies: Expression | None = None
    #: a checklist requirement's weight in the weighted share met (``weight``), None when not given
    weight: Decimal | None = None
    #: the names recorded as the item's inputs, sorted (derived)
    read_order: tuple[str, ...] = field(init=False)
    #: the item's kind as results show it: its rule's kind, or "parts" (derived)
    kind: str = field(init=False)
    #: True when a part's rule floors the item's points at zero (derived)
    floor_item: bool = field(init=False)

    def __post_init__(self) -> None:
        self.floor_item = any(p.rule.floor == "item" for p in self.parts or ())
        self.read_order = tuple(sorted(self.reads | self.void_reads))
        self.kind = "parts" if self.parts is not None else (self.rule.kind if self.rule else "")

    @property
    def rules(self) -> list[tuple[str, Rule]]:
        if self.parts is not None:
            return [(p.key, p.rule) for p in self.parts]
        assert self.rule is not None
        return [(self.id, self.rule)]

    @property
    def is_veto(self) -> bool:
        return isinstance(self.rule, VetoRule)

    @property
    def counts(self) -> bool:
        """True when the item counts toward the total and the number met (as
        :attr:`fuac.ItemResult.counts`): every item but a veto item."""
        return not self.is_veto


@dataclass(slots=True)
class PreparedSection:
    id: str
    number: str | None
    title: Text
    max: Decimal | None
    clause: str | None
    items: list[PreparedItem]
    scoring: str = "points"
    #: a pool of deductions (扣分制): the section starts from ``max``, its items deduct from it
    pool: bool = False
    #: positions of the veto items among ``items`` (derived)
    veto_at: tuple[int, ...] = field(init=False)
    #: True when a rule of the section floors the section's subtotal at zero (derived)
    floor_at_zero: bool = field(init=False)

    def __post_init__(self) -> None:
        self.veto_at = tuple(k for k, it in enumerate(self.items) if it.is_veto)
        self.floor_at_zero = any(r.floor == "section" for it in self.items for _, r in it.rules) or (
            self.pool and not any(r.floor == "none" for it in self.items for _, r in it.rules))


@dataclass(slots=True)
class PreparedCondition:
    cond: Condition
    expr: Expression | None
    check: Callable[..., Any] | None
    reads: frozenset[str]
    #: the label of the grade it names (a veto's ``grade``, a tier_cap veto's ``cap_tier``), or None
    grade_label: Text | None = None
    #: the names of the unit's result it reads (``total``, ``subtotal_<section>``, ``points_<item>``,
    #: ``grade``): it is decided after the items are scored, and after the grade when it reads it
    #: (see :func:`result_names`)
    results: frozenset[str] = frozenset()
    #: the names it reads, sorted (derived)
    read_order: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.read_order = tuple(sorted(self.reads))


@dataclass(slots=True)
class PreparedDerived:
    """A derived value ready to compute: its expression, the names it reads directly (indicators and
    derived values computed before it) and the unit's inputs it rests on, all the way down."""

    name: str
    doc: Derived
    expr: Expression
    reads: frozenset[str]
    inputs: frozenset[str]


@dataclass(slots=True)
class Plan:
    """Everything needed to score one tier of a rule set."""

    tier: str | None
    total: Decimal | None
    sections: list[PreparedSection]
    vetoes: list[PreparedCondition]
    eligibility: list[PreparedCondition]
    items: dict[str, PreparedItem] = field(default_factory=dict)
    #: every rule by the key an assessor's entry uses: the item id, or "item.part" (derived)
    rules: dict[str, Rule] = field(init=False)

    def __post_init__(self) -> None:
        self.rules = {key: rule for it in self.items.values() for key, rule in it.rules}


class ParametersInForce(dict[str, Any]):
    """Parameter values in force on one date. A rule asking for a parameter that has no value
    yet on that date gets a ValueError, which the evaluator reports as "cannot score"."""

    def __init__(self, on: dt.date) -> None:
        super().__init__()
        self.on = on

    def __missing__(self, name: str) -> Any:
        raise ParameterNotInForceError(name, self.on.isoformat())


class RuleSet:
    """A loaded, checked rule set. Get one with :func:`fuac.load`."""

    def __init__(
        self,
        doc: RulesetDoc,
        *,
        path: str | None,
        text: str,
        functions: Mapping[str, Callable[..., Any]],
        plans: dict[str | None, Plan],
        owner: str | None = None,
        raw: dict[str, Any] | None = None,
        origins: Origins | None = None,
        base: RuleSet | None = None,
    ) -> None:
        self.doc = doc
        self.meta = doc.scheme
        self.path = path
        self.owner = owner
        self.functions = dict(functions)
        self.plans = plans
        #: the derived values, in the order they are computed (``[derived.NAME]``)
        self.derived: list[PreparedDerived] = []
        #: indicator labels by name (for reasons)
        self.labels: dict[str, Text] = {n: ind.label for n, ind in doc.indicators.items()}
        #: the document as merged, before validation, and where each key came from
        self.raw = raw if raw is not None else {}
        self.origins = origins
        #: the rule set this one extends, if any
        self.base = base
        own = "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
        if base is None:
            self.content_hash = own
        else:
            self.content_hash = "sha256:" + hashlib.sha256(f"{base.content_hash}+{own}".encode()).hexdigest()
        #: every rule set this one is composed of, base first: id, version and content hash
        self.chain: list[dict[str, str]] = [
            *(base.chain if base else []),
            {
                "id": doc.scheme.id,
                "version": doc.scheme.version,
                "content_hash": own,
            },
        ]
        self._param_cache: dict[dt.date, dict[str, Any]] = {}

    # metadata -------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def version(self) -> str:
        return self.meta.version

    @property
    def scheme_kind(self) -> str:
        """``points``, ``checklist`` or ``targets`` (the rule file's ``[scheme] kind``)."""
        return self.meta.kind

    #: deprecated name of ``scheme_kind``
    kind = renamed("scheme_kind")

    @property
    def title(self) -> Text:
        return self.meta.title

    @property
    def indicators(self) -> dict[str, Any]:
        return dict(self.doc.indicators)

    @property
    def tiers(self) -> list[str | None]:
        return [t.id for t in self.doc.tiers] or [None]

    def tier(self, tier_id: str | None) -> Tier | None:
        for t in self.doc.tiers:
            if t.id == tier_id:
                return t
        return None

    def plan(self, tier: str | None = None) -> Plan:
        from ..errors import TierNotFound

        if tier is None and None not in self.plans:
            if len(self.plans) == 1:
                return next(iter(self.plans.values()))
            raise TierNotFound(f"rule set {self.id!r} has tiers {', '.join(str(t) for t in self.plans)}: pass tier=…")
        try:
            return self.plans[tier]
        except KeyError:
            known = ", ".join(str(t) for t in self.plans if t is not None) or "none"
            raise TierNotFound(f"rule set {self.id!r} has no tier {tier!r} (tiers: {known})") from None

    def parameters_on(self, on: dt.date) -> dict[str, Any]:
        """Each parameter's value in force on ``on`` (the latest value taking effect on or before it)."""
        cached = self._param_cache.get(on)
        if cached is not None:
            return cached
        out: dict[str, Any] = ParametersInForce(on)
        for name, p in self.doc.parameters.items():
            best: tuple[dt.date, Any] | None = None
            for key, value in p.values.items():
                d = dt.date.fromisoformat(key)
                if d <= on and (best is None or d > best[0]):
                    best = (d, value)
            if best is not None:
                out[name] = best[1]
        self._param_cache[on] = out
        return out

    def applies_to(self, code: str, level: str | None = None, on: dt.date | None = None) -> list[str | None]:
        """The tiers of this rule set that apply to region ``code`` (at ``level``, on date ``on``)."""
        m = self.meta
        if on is not None and (on < m.valid_from or (m.valid_until is not None and on > m.valid_until)):
            return []
        inside = False
        for j in m.jurisdiction:
            prefix = j.code[: LEVEL_DIGITS[j.level]]
            if code.startswith(prefix):
                inside = True
        if not inside:
            return []
        if not self.doc.tiers:
            levels = {j.level for j in m.jurisdiction}
            return [None] if level is None or level in levels else []
        return [
            t.id
            for t in self.doc.tiers
            if (level is None or t.level == level) and (t.regions is None or any(code.startswith(r) for r in t.regions))
        ]

    def __repr__(self) -> str:
        return f"<RuleSet {self.id} {self.version}>"


# ---------------------------------------------------------------------------
# error helpers


class _Problems:
    def __init__(self, path: str, origins: Origins) -> None:
        self.path = path
        self.origins = origins
        self.items: list[RulesetError] = []
        #: each problem listed, as shown: a problem found again (for another tier) is listed once
        self._listed: set[str] = set()
        #: problems found so far, repeats included (a problem found again for another tier is listed once)
        self.found = 0
        #: True while checking something that reads a part that failed: its problems are counted, not listed
        self.muted = False

    def line_of(self, loc: tuple[Any, ...]) -> int | None:
        return self.origins.where(loc)[1]

    def add(self, cls: type[RulesetError], message: str, loc: tuple[Any, ...], key: str | None = None) -> None:
        self.found += 1
        if self.muted:
            return
        path, line = self.origins.where(loc)
        err = cls(message, path=path, line=line, key=key or format_path(loc))
        shown = str(err)
        if shown not in self._listed:  # a set: a file with thousands of problems is still read in linear time
            self._listed.add(shown)
            self.items.append(err)

    def from_validation(self, exc: ValidationError, model: type[BaseModel], prefix: tuple[Any, ...] = (),
                        rule: tuple[str, str, tuple[str, ...]] | None = None) -> None:
        """Each error of ``exc`` as a problem. ``rule``: the errors are a rule's parameters' (its id,
        kind and the keys every item has), named by the rule's id, unknown keys listing its kind's."""
        for err in exc.errors():
            loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and ("[" in x or x in _UNION_TAGS)))
            full = (*prefix, *loc)
            if err["type"] == "extra_forbidden" and rule is not None:
                allowed = sorted(set(rule[2]) | set(model.model_fields))
                msg = f"unknown key {loc[-1]!r}; allowed keys for kind {rule[1]!r}: {', '.join(allowed)}"
            elif err["type"] == "extra_forbidden":
                msg = f"unknown key {loc[-1]!r}; allowed keys: {', '.join(_allowed_keys(model, loc[:-1]))}"
            elif err["type"] == "missing":
                msg = f"missing required key {loc[-1]!r}"
            else:
                msg = err["msg"].removeprefix("Value error, ")
                if "input" in err and err["type"] not in ("value_error", "assertion_error"):
                    msg += f" (got {_short(err['input'])})"
            self.add(RulesetSchemaError, msg, full, key=None if rule is None else f"{rule[0]}: {format_path(full)}")

    def raise_if_any(self) -> None:
        # by file (this one first) and line; a problem without a line keeps its place after those before it
        self.items.sort(key=lambda e: (e.path != self.path, e.path or "", e.line or 0))
        raise_problems(self.items, self.path)


#: the most problems of one rule file listed; the others are counted ("… and N more")
MAX_LISTED_PROBLEMS = 50


def raise_problems(errors: list[RulesetError], name: str) -> None:
    """Raise the problems found in rule file ``name`` (nothing when there is none): the one, or a
    :class:`RulesetError` listing them, the first :data:`MAX_LISTED_PROBLEMS` and then one saying
    how many more were found."""
    if len(errors) == 1:
        raise errors[0]
    if not errors:
        return
    first = errors[0]
    listed = errors[:MAX_LISTED_PROBLEMS]
    more = len(errors) - len(listed)
    if more:
        listed.append(RulesetError(f"… and {more} more problem(s), not listed", path=name))
    exc = RulesetError("", path=name, line=first.line, key=first.key, problems=listed)
    if more:  # the first line counts every problem found, not the entries listed
        rest = str(exc).partition("\n")[2]
        exc.args = (f"{len(errors)} problem(s) in {name}, the first {len(listed) - 1} listed:\n{rest}",)
    raise exc


_UNION_TAGS = {"decimal", "bool", "str", "int", "function-after", "function-before", "function-wrap"}


def _short(v: Any) -> str:
    r = repr(v)
    return r if len(r) < 60 else r[:57] + "..."


def _unwrap(ann: Any) -> list[Any]:
    origin = typing.get_origin(ann)
    if origin in (typing.Union, types.UnionType):
        out = []
        for a in typing.get_args(ann):
            out.extend(_unwrap(a))
        return out
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(ann)[0])
    return [ann]


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            break
        f = current.model_fields.get(part)
        if f is None:
            break
        nxt = None
        for cand in _unwrap(f.annotation):
            origin = typing.get_origin(cand)
            if origin in (list, dict):
                inner = typing.get_args(cand)[-1]
                for c in _unwrap(inner):
                    if isinstance(c, type) and issubclass(c, BaseModel):
                        nxt = c
            elif isinstance(cand, type) and issubclass(cand, BaseModel):
                nxt = cand
        if nxt is None:
            break
        current = nxt
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(current.model_fields)
    return []


# ---------------------------------------------------------------------------
# loading

#: finds the base an overlay ``extends``: ``(what it names, the overlay's path, the line of its
#: 'extends')`` → the base, loaded; it refuses (a :class:`RulesetError` naming that line) what it may not open
BaseResolver = Callable[[str, Path, int | None], RuleSet]


def load_file(
    source: str | Path,
    *,
    kinds: Mapping[str, type[Rule]],
    functions: Mapping[str, Callable[..., Any]],
    veto_checks: Mapping[str, Callable[..., Any]],
    text: str | None = None,
    owner: str | None = None,
    resolve_base: BaseResolver | None = None,
    base: RuleSet | None = None,
) -> RuleSet:
    """Read and check one rule file (or ``text``, named ``source``).

    A file with ``extends`` is composed onto its base, found by ``resolve_base(ref,
    this_file, line_of_extends)``; ``base`` given explicitly wins over the file's ``extends``.
    """
    name = str(source)
    data, lines, text = read_toml(source, text=text)
    origins: Origins = FileOrigins(name, lines)
    if "extends" in data or base is not None:
        ref = data.get("extends")
        if base is None:
            if not isinstance(ref, str):
                raise RulesetSchemaError(
                    "'extends' must be a rule-set id or a path",
                    path=name,
                    line=lines.line_of(("extends",)),
                    key="extends",
                )
            if resolve_base is None:
                raise RulesetCheckError(
                    "'extends' cannot be resolved here", path=name, line=lines.line_of(("extends",)), key="extends"
                )
            base = resolve_base(ref, Path(name), lines.line_of(("extends",)))
        data, origins = compose_onto(base, data, origins, name=name)
    return build(
        data,
        origins,
        text,
        name=name,
        kinds=kinds,
        functions=functions,
        veto_checks=veto_checks,
        owner=owner,
        base=base,
    )


def load_mapping(
    data: Mapping[str, Any],
    *,
    name: str,
    kinds: Mapping[str, type[Rule]],
    functions: Mapping[str, Callable[..., Any]],
    veto_checks: Mapping[str, Callable[..., Any]],
    base: RuleSet | None = None,
) -> RuleSet:
    """A rule set from a document already in memory (floats become exact decimals)."""
    import json

    from ..language.toml import LineIndex

    doc = _exact(dict(data))
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str)
    origins: Origins = FileOrigins(name, LineIndex(""))
    if base is not None:
        doc, origins = compose_onto(base, doc, origins, name=name)
    return build(doc, origins, text, name=name, kinds=kinds, functions=functions, veto_checks=veto_checks, base=base)


def _exact(v: Any) -> Any:
    if isinstance(v, float):
        return Decimal(repr(v))
    if isinstance(v, Mapping):
        return {str(k): _exact(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_exact(x) for x in v]
    return v


def compose_onto(
    base: RuleSet, overlay: dict[str, Any], overlay_origins: Origins, *, name: str
) -> tuple[dict[str, Any], Origins]:
    """Merge an overlay document onto a loaded base; raise on composition problems."""
    merged, origins, problems = compose_docs(
        base.raw, base.origins or FileOrigins(str(base.path), _no_lines()), overlay, overlay_origins, name=name
    )
    errors: list[RulesetError] = []
    for p in problems:
        src, sp = p.origin
        path, line = src.where(sp)
        errors.append(RulesetCheckError(p.message, path=path, line=line, key=format_path(sp)))
    over_id = overlay.get("scheme", {}).get("id") if isinstance(overlay.get("scheme"), dict) else None
    if over_id is None or over_id == base.id:
        path, line = overlay_origins.where(("scheme",))
        errors.append(
            RulesetCheckError(
                f"an overlay of {base.id!r} needs its own [scheme] id", path=path, line=line, key="scheme.id"
            )
        )
    raise_problems(errors, name)
    return merged, origins


def _no_lines() -> Any:
    from ..language.toml import LineIndex

    return LineIndex("")


# ---------------------------------------------------------------------------
# a document whose schema failed: what its valid parts can still be checked for

#: item keys that hold prose, not names: a failed name mentioned there does not taint the item
_PROSE_KEYS = frozenset({"id", "number", "label", "clause", "method", "void_clause", "note"})


@dataclass(slots=True)
class _Salvage:
    """The valid parts of a document whose schema failed, and what is unknown.

    ``failed`` holds the parts whose content is not (wholly) known: a list part with a
    failed entry, a table that failed as a whole, and ``scheme.kind``, ``scheme.total``,
    ``scheme.jurisdiction`` — the fields of ``[scheme]`` the checks read. ``names`` are the
    indicators and parameters whose declaration failed; ``at`` the position in the file of
    each entry kept of a list part; ``items`` each section's raw items, by its position."""

    doc: RulesetDoc
    failed: frozenset[str]
    names: frozenset[str]
    at: dict[str, list[int]]
    items: list[tuple[int, list[Any]]]


def _salvage(data: dict[str, Any], exc: ValidationError) -> _Salvage | None:
    """Drop what failed from ``data``; None when nothing sound is left to check."""
    fields = RulesetDoc.model_fields
    bad: dict[str, set[Any]] = {}
    for err in exc.errors():
        loc = err["loc"]
        if not loc or loc[0] not in fields:
            continue  # an unknown top-level key: nothing reads it
        sub = loc[1] if len(loc) > 1 and not (len(loc) > 2 and loc[2] == "[key]") else None
        bad.setdefault(str(loc[0]), set()).add(sub)  # None: the part as a whole (or one of its names)
    clean = {k: v for k, v in data.items() if k in fields}
    failed: set[str] = set()
    names: set[str] = set()
    at: dict[str, list[int]] = {}
    for part, subs in bad.items():
        raw = data.get(part)
        if part == "scheme":
            clean[part] = _scheme_salvage(raw, subs, failed)
            continue
        failed.add(part)
        if isinstance(raw, list) and all(isinstance(x, int) for x in subs):  # entries of a list: keep the others
            at[part] = [i for i in range(len(raw)) if i not in subs]
            clean[part] = [raw[i] for i in at[part]]
        elif part in ("indicators", "parameters") and None not in subs and isinstance(raw, dict):
            names |= {str(s) for s in subs}
            failed.discard(part)  # only those names are unknown
            clean[part] = {k: v for k, v in raw.items() if k not in subs}
        else:
            clean.pop(part, None)
            at[part] = []
    try:  # each part alone: [scheme] as salvaged is not checked again across its keys
        scheme = clean.pop("scheme")
        if not isinstance(scheme, Scheme):
            scheme = _field(RulesetDoc, "scheme", scheme)
        doc = RulesetDoc.model_construct(scheme=scheme, **{k: _field(RulesetDoc, k, v) for k, v in clean.items()})
    except ValidationError:  # pragma: no cover - every failed entry was left out
        return None
    sections = data.get("sections")
    items = [
        (i, s["items"])
        for i, s in enumerate(sections if isinstance(sections, list) else [])
        if isinstance(s, dict) and isinstance(s.get("items"), list)
    ]
    return _Salvage(doc, frozenset(failed), frozenset(names), at, items)


def _scheme_salvage(raw: Any, subs: set[Any], failed: set[str]) -> Scheme:
    """The fields of ``[scheme]`` the checks read, each validated alone; a failed one is unknown.

    A check across its keys (``None`` in ``subs``) leaves ``kind`` and ``total`` unknown: the fix
    may be either."""
    values: dict[str, Any] = {"kind": "", "total": None, "jurisdiction": []}
    for f in values:
        try:
            if not isinstance(raw, dict) or f in subs or (None in subs and f != "jurisdiction"):
                raise ValueError(f)
            values[f] = _field(Scheme, f, raw.get(f, Scheme.model_fields[f].default))
        except (ValueError, ValidationError):
            failed.add(f"scheme.{f}")
    return Scheme.model_construct(**values)


def _field(model: type[BaseModel], name: str, value: Any) -> Any:
    """``value`` validated as field ``name`` of ``model``, with the field's own constraints (min_length, …)."""
    from pydantic import TypeAdapter

    info = model.model_fields[name]
    ann: Any = typing.Annotated[info.annotation, info]
    return TypeAdapter(ann).validate_python(value)

def build(
    data: dict[str, Any],
    origins: Origins,
    text: str,
    *,
    name: str,
    kinds: Mapping[str, type[Rule]],
    functions: Mapping[str, Callable[..., Any]],
    veto_checks: Mapping[str, Callable[..., Any]],
    owner: str | None = None,
    base: RuleSet | None = None,
) -> RuleSet:
    problems = _Problems(name, origins)
    try:
        doc = RulesetDoc.model_validate(data)
    except ValidationError as exc:
        problems.from_validation(exc, RulesetDoc)
        salvage = _salvage(data, exc)
        if salvage is not None:  # check what the valid parts can tell; the rule set is never built
            _Builder(salvage.doc, problems, kinds, functions, veto_checks, salvage).build_plans()
        problems.raise_if_any()
        raise  # pragma: no cover
    builder = _Builder(doc, problems, kinds, functions, veto_checks)
    plans = builder.build_plans()
    problems.raise_if_any()
    rs = RuleSet(
        doc, path=name, text=text, functions=functions, plans=plans, owner=owner, raw=data, origins=origins, base=base
    )
    rs.derived = builder.derived
    rs.labels.update((d.name, d.doc.label) for d in builder.derived)
    return rs


#: what an item is scored by: its one rule, or its parts; and what they give at most (None: unknown)
_ItemRules = tuple[Rule | None, list[PreparedPart] | None, Decimal | None]


class ResultName(NamedTuple):
    """What a name a condition may read of the unit's result stands for: ``what`` is "total",
    "section" (a subtotal), "item" (an item's points) or "grade"; ``of`` the section's or item's id."""

    what: str
    of: str | None = None


def _result_key(prefix: str, ident: str) -> str:
    return f"{prefix}_{re.sub(r'[^0-9A-Za-z_]', '_', ident)}"


def result_names(doc: RulesetDoc) -> dict[str, ResultName]:
    """The names a veto's or an eligibility condition may read of the unit's result, and what each is:
    ``total``, ``subtotal_<section id>``, ``points_<item id>`` (an id's other characters written ``_``:
    item 5.3 is ``points_5_3``) and, where the rule set has grades, ``grade`` (the grade's id; for
    eligibility only: a veto decides the grade); none where an indicator, a parameter or a derived value
    has that name, nor in a scheme without points."""
    if doc.scheme.kind != "points":
        return {}
    found: dict[str, ResultName] = {"total": ResultName("total")}
    for sec in doc.sections:
        found[_result_key("subtotal", sec.id)] = ResultName("section", sec.id)
        for raw in sec.items:
            ident = raw.get("id") if isinstance(raw, Mapping) else None
            if isinstance(ident, str):
                found.setdefault(_result_key("points", ident), ResultName("item", ident))
    if doc.grades:
        found["grade"] = ResultName("grade")
    return {n: v for n, v in found.items() if n not in doc.indicators and n not in doc.parameters
            and n not in doc.derived}


def result_values(names: Mapping[str, ResultName], total: Decimal | None, subtotals: Mapping[str, Decimal | None],
                  points: Mapping[str, Decimal | None], grade: str | None = None) -> dict[str, Any]:
    """The values of :func:`result_names` ``names`` for one unit: its total, each section's subtotal
    (``subtotals`` by section id), each item's points (``points`` by item id) and its grade's id; those
    without a value are left out."""
    out: dict[str, Any] = {}
    for name, (what, of) in names.items():
        v = (total if what == "total" else grade if what == "grade"
             else (subtotals if what == "section" else points).get(of or ""))
        if v is not None:
            out[name] = v
    return out


def _qualify_numbers(sections: list[PreparedSection]) -> None:
    """Items numbered afresh in each section (two items "1"): each such number qualified by its section's
    (二.1), so that ``show``, gaps, the template and the score sheets never show a number two items share."""
    seen = Counter(it.number for sec in sections for it in sec.items if it.number)
    for sec in sections:
        head = section_mark(sec.number or sec.id)
        for it in sec.items:
            if it.number and seen[it.number] > 1:
                it.number = f"{head}.{it.number}"


def _for_tier(tier: str | None) -> str:
    """The words ' for tier …' that end a message about one tier's plan (none without tiers)."""
    return f" for tier {tier!r}" if tier else ""


class _Builder:
    def __init__(
        self,
        doc: RulesetDoc,
        problems: _Problems,
        kinds: Mapping[str, type[Rule]],
        functions: Mapping[str, Callable[..., Any]],
        veto_checks: Mapping[str, Callable[..., Any]],
        salvage: _Salvage | None = None,
    ) -> None:
        self.doc = doc
        self.p = problems
        self.kinds = kinds
        self.functions = functions
        self.veto_checks = veto_checks
        self.tier_ids = [t.id for t in doc.tiers]
        self._heads: dict[tuple[int, int], ItemHead] = {}
        #: what the schema could not read (a file that failed it is checked for the rest): see _Salvage
        self.failed: frozenset[str] = salvage.failed if salvage else frozenset()
        self.at: dict[str, list[int]] = salvage.at if salvage else {}
        self.raw_items = salvage.items if salvage else [(i, s.items) for i, s in enumerate(doc.sections)]
        names = salvage.names if salvage else frozenset()
        self._mentions = (
            re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(names))) + r")(?!\w)") if names else None
        )
        self.tier_at = {t.id: i for i, t in self.each("tiers")}
        #: what a rule may read as an indicator: the unit's inputs, and the values derived from them
        self.readable: dict[str, Any] = {**doc.indicators, **{n: d.as_indicator() for n, d in doc.derived.items()}}
        #: the derived values in the order they are computed (see check_derived)
        self.derived: list[PreparedDerived] = []
        #: what a veto or an eligibility condition may read of the unit's result (see result_names)
        self.results = result_names(doc)

    # -- helpers
    def each(self, group: str) -> Iterable[tuple[int, Any]]:
        """The entries of a list part with their positions in the file."""
        entries = getattr(self.doc, group)
        at = self.at.get(group)
        return enumerate(entries) if at is None else zip(at, entries, strict=True)

    def reads_failed(self, value: Any) -> bool:
        """Whether ``value`` (an item, a part, an expression) may name an indicator or parameter that failed."""
        if "indicators" in self.failed or "parameters" in self.failed:
            return True
        if self._mentions is None:
            return False
        if isinstance(value, str):
            return self._mentions.search(value) is not None
        if isinstance(value, dict):
            return any(self.reads_failed(v) for k, v in value.items() if k not in _PROSE_KEYS)
        if isinstance(value, (list, tuple, set, frozenset)):
            return any(self.reads_failed(v) for v in value)
        return False

    def ctx(self, rule_id: str, scoring: str | None = None) -> RuleContext:
        return RuleContext(
            rule_id=rule_id,
            indicators=self.readable,
            parameters=self.doc.parameters,
            functions=self.functions,
            scheme_kind=scoring or self.default_scoring,
        )

    @property
    def default_scoring(self) -> str:
        return "points" if self.doc.scheme.kind == "points" else "checklist"

    def expr(self, source: str, loc: tuple[Any, ...], rule_id: str, extra: Iterable[str] = ()) -> Expression | None:
        try:
            if extra:  # names beyond the indicators and parameters (a condition reading the result)
                return compile_expression(source, names=[*self.readable, *self.doc.parameters, *extra],
                                          functions=self.functions)
            return self.ctx(rule_id).expression(source)
        except ExpressionError as exc:
            self.p.add(ExpressionError, f"{exc.message} in {source[:80]!r}", loc, key=f"{rule_id}: {format_path(loc)}")
            return None

    def compiled(self, source: str, loc: tuple[Any, ...], rule_id: str,
                 extra: Iterable[str] = ()) -> tuple[Expression | None, frozenset[str]]:
        """An expression compiled (None: it failed), and the indicators it reads."""
        expr = self.expr(source, loc, rule_id, extra)
        if expr is None:
            return None, frozenset()
        return expr, frozenset(n for n in expr.names if n in self.readable)

    def check_tiers(self, tiers: list[str] | None, loc: tuple[Any, ...]) -> None:
        if "tiers" in self.failed:
            return  # which tiers there are is unknown
        for t in tiers or []:
            if t not in self.tier_ids:
                known = ", ".join(self.tier_ids) or "none declared"
                self.p.add(RulesetCheckError, f"unknown tier {t!r} (tiers: {known})", loc)

    def per_tier(
        self, value: Decimal | dict[str, Decimal] | None, tier: str | None, loc: tuple[Any, ...]
    ) -> Decimal | None:
        if isinstance(value, dict):
            for t in value:
                if t not in self.tier_ids and "tiers" not in self.failed:
                    self.p.add(RulesetCheckError, f"unknown tier {t!r} in per-tier value", loc)
            return value.get(tier) if tier is not None else None
        return value

    # -- the whole
    def build_plans(self) -> dict[str | None, Plan]:
        self.check_indicators()
        self.check_derived()
        self.check_unique()
        for i, s in self.each("sections"):
            self.check_tiers(s.tiers, ("sections", i, "tiers"))
        for key in ("vetoes", "eligibility"):
            for i, c in self.each(key):
                self.check_tiers(c.tiers, (key, i, "tiers"))
        plans: dict[str | None, Plan] = {}
        tiers: list[str | None] = list(self.tier_ids) or ([] if "tiers" in self.failed else [None])
        for tier in tiers:
            plans[tier] = self.build_plan(tier)
        return plans

    def check_indicators(self) -> None:
        for name, ind in self.doc.indicators.items():
            self.check_tiers(ind.tiers, ("indicators", name, "tiers"))
        for name in self.doc.parameters:
            if name in self.doc.indicators:
                self.p.add(RulesetCheckError, f"{name!r} is both an indicator and a parameter", ("parameters", name))
        for group in ("indicators", "parameters"):  # the built-in functions' names are refused by the schema
            for name in sorted(set(getattr(self.doc, group)) & set(self.functions)):
                self.p.add(RulesetCheckError, f"{name!r} cannot be a name: it is a plugin's expression function "
                           f"{name}(); choose another name", (group, name))
        for name, ind in self.doc.indicators.items():
            if ind.cohort is not None:
                self.p.muted = self.reads_failed([ind.cohort.of, ind.cohort.weight])
                self.check_cohort(name, ind)
                self.p.muted = False
        if self.doc.selection is not None:
            self.check_selection()
        for i, q in self.each("quotas"):
            self.check_tiers(q.tiers, ("quotas", i, "tiers"))
        self.check_totals()
        open_grades = [i for i, g in self.each("grades") if g.min is None]
        for i in open_grades[1:]:
            self.p.add(RulesetCheckError, "only one grade, the lowest, may leave out 'min' (it has no lower bound)",
                       ("grades", i))

    def check_totals(self) -> None:
        """A points scheme's full marks: each tier's own, or (without tiers) the scheme's."""
        if self.doc.scheme.kind != "points":
            return
        if self.doc.tiers:
            for i, t in self.each("tiers"):
                if t.total is None:
                    self.p.add(RulesetSchemaError, f"tier {t.id!r} of a points scheme needs 'total'", ("tiers", i))
        elif self.doc.scheme.total is None and not self.failed & {"tiers", "scheme", "scheme.total"}:
            self.p.add(RulesetSchemaError, "a 'points' scheme needs 'total' (or tiers, each with its own)",
                       ("scheme",))

    def check_derived(self) -> None:
        """Each derived value: a name of its own, an expression over inputs, parameters and other derived
        values, none reading itself (directly or through others); put in the order they are computed."""
        derived = self.doc.derived
        for name in derived:
            for group in ("indicators", "parameters"):
                if name in getattr(self.doc, group):
                    self.p.add(RulesetCheckError, f"{name!r} is both a derived value and {group[:-1]}",
                               ("derived", name))
        compiled: dict[str, tuple[Expression, frozenset[str]]] = {}
        for name, d in derived.items():
            expr, reads = self.compiled(d.expression, ("derived", name, "expression"), name)
            if expr is not None:
                compiled[name] = (expr, reads)
        order: list[str] = []
        state: dict[str, int] = {}  # 1: being visited, 2: done

        def visit(name: str, path: tuple[str, ...]) -> None:
            if state.get(name) == 2 or name not in compiled:
                return
            if state.get(name) == 1:
                cycle = " → ".join([*path[path.index(name):], name])
                self.p.add(RulesetCheckError, f"derived value {name!r} reads itself: {cycle}",
                           ("derived", name, "expression"), key=name)
                return
            state[name] = 1
            for r in sorted(compiled[name][1] & set(derived)):
                visit(r, (*path, name))
            state[name] = 2
            order.append(name)

        for name in derived:
            visit(name, ())
        inputs: dict[str, frozenset[str]] = {}
        for name in order:
            expr, reads = compiled[name]
            base = frozenset(r for r in reads if r in self.doc.indicators)
            inputs[name] = base.union(*(inputs.get(r, frozenset()) for r in reads if r in derived))
            self.derived.append(PreparedDerived(name, derived[name], expr, reads, inputs[name]))

    def check_cohort(self, name: str, ind: Any) -> None:
        """A cohort average: of a number indicator in the reference's unit, weighted by a number."""
        c = ind.cohort
        inds = self.doc.indicators
        of = inds.get(c.of)
        loc = ("indicators", name, "cohort")
        if of is None:
            self.p.add(RulesetCheckError, f"cohort of unknown indicator {c.of!r}", (*loc, "of"), key=name)
        elif of.type not in ("integer", "decimal") or of.reference:
            self.p.add(RulesetCheckError, f"a cohort averages a unit's own number: {c.of!r} must be an integer or "
                       "decimal indicator that is not a reference value", (*loc, "of"), key=name)
        elif of.unit != ind.unit:
            self.p.add(RulesetCheckError, f"{c.of!r} is in {of.unit!r} but {name!r} in {ind.unit!r}", (*loc, "of"),
                       key=name)
        if c.weight is not None:
            w = inds.get(c.weight)
            if w is None:
                self.p.add(RulesetCheckError, f"cohort weight: unknown indicator {c.weight!r}", (*loc, "weight"),
                           key=name)
            elif w.type not in ("integer", "decimal") or w.reference:
                self.p.add(RulesetCheckError, f"cohort weight {c.weight!r} must be an integer or decimal indicator "
                           "that is not a reference value", (*loc, "weight"), key=name)
        levels = {t.level for t in self.doc.tiers} or {j.level for j in self.doc.scheme.jurisdiction}
        depth = LEVEL_DIGITS[c.parent_level]
        if self.failed & {"tiers", "scheme.jurisdiction"}:
            pass  # the units' levels are unknown
        elif all(LEVEL_DIGITS[lv] <= depth for lv in levels):
            self.p.add(RulesetCheckError, f"cohort parent_level {c.parent_level!r} is not above the units' level "
                       f"({', '.join(sorted(levels))})", (*loc, "parent_level"), key=name)

    def check_selection(self) -> None:
        """Sort keys name something every unit has: its total, completion, a section, an item or an indicator."""
        sel = self.doc.selection
        assert sel is not None
        sections = {s.id for s in self.doc.sections}
        items = {str(raw.get("id")) for _, its in self.raw_items for raw in its if isinstance(raw, dict)}
        for k, key in enumerate(sel.order):
            name = key.split()[0]
            loc = ("selection", "order", k)
            if (name.startswith(("section.", "item.")) and "sections" in self.failed) or self.reads_failed(name):
                continue  # what it names may be in a part that failed
            weighted = any(isinstance(raw, dict) and "weight" in raw for _, its in self.raw_items for raw in its)
            if name in ("total", "completion", "met") or (name == "weighted_completion" and weighted):
                if name == "total" and self.doc.scheme.kind != "points" and "scheme.kind" not in self.failed:
                    self.p.add(RulesetCheckError, "sort key 'total': this scheme has no points total", loc)
                continue
            if name.startswith("section."):
                if name[len("section."):] not in sections:
                    self.p.add(RulesetCheckError, f"sort key {name!r}: no such section", loc)
                continue
            if name.startswith("item."):
                if name[len("item."):] not in items:
                    self.p.add(RulesetCheckError, f"sort key {name!r}: no such item", loc)
                continue
            ind = self.doc.indicators.get(name)
            if ind is None:
                self.p.add(RulesetCheckError, f"sort key {name!r}: not total, completion, weighted_completion, met, "
                           "section.<id>, item.<id> or an indicator", loc)
            elif ind.type == "choice":
                self.p.add(RulesetCheckError, f"sort key {name!r}: a choice indicator has no order", loc)

    def check_unique(self) -> None:
        seen: dict[str, tuple[Any, ...]] = {}
        for i, s in self.each("sections"):
            if s.id in seen:
                self.p.add(RulesetCheckError, f"duplicate section id {s.id!r}", ("sections", i, "id"), key=s.id)
            seen[s.id] = ("sections", i)
        items: dict[str, tuple[Any, ...]] = {}
        for i, its in self.raw_items:
            for j, raw in enumerate(its):
                iid = raw.get("id") if isinstance(raw, dict) else None
                if isinstance(iid, str):
                    if iid in items:
                        first = self.p.line_of(items[iid])
                        self.p.add(
                            RulesetCheckError,
                            f"duplicate item id {iid!r} (first used on line {first})",
                            ("sections", i, "items", j, "id"),
                            key=iid,
                        )
                    else:
                        items[iid] = ("sections", i, "items", j)
        for group in ("vetoes", "eligibility", "grades", "quotas"):
            ids: set[str] = set()
            for i, c in self.each(group):
                if c.id in ids:
                    self.p.add(RulesetCheckError, f"duplicate {group} id {c.id!r}", (group, i, "id"), key=c.id)
                ids.add(c.id)

    def build_plan(self, tier: str | None) -> Plan:
        doc = self.doc
        sections: list[PreparedSection] = []
        items: dict[str, PreparedItem] = {}
        tier_def = next((t for t in doc.tiers if t.id == tier), None)
        total = tier_def.total if tier_def and tier_def.total is not None else doc.scheme.total
        section_sum = ZERO
        # the items are scored by the scheme's kind, and read names: a file whose [scheme] kind, or all
        # of whose [indicators] or [parameters], failed has nothing sound to check in them
        known = not self.failed & {"scheme.kind", "indicators", "parameters"}
        for i, s in self.each("sections") if known else ():
            if s.tiers is not None and tier not in s.tiers:
                continue
            section, worth = self.build_section(i, s, tier, items)
            sections.append(section)
            if worth is not None:
                section_sum += worth
        known = known and "sections" not in self.failed  # a section that failed is worth what?
        if doc.scheme.kind == "points" and total is not None and section_sum != total and known:
            loc = ("tiers", self.tier_at[tier], "total") if tier else ("scheme", "total")
            self.p.add(
                RulesetCheckError,
                f"sections add up to {section_sum}{_for_tier(tier)}, but the total is {total}",
                loc,
            )
        vetoes = self.build_conditions(doc.vetoes, "vetoes", tier, veto=True)
        elig = self.build_conditions(doc.eligibility, "eligibility", tier, veto=False)
        _qualify_numbers(sections)
        return Plan(tier, total, sections, vetoes, elig, items)

    def build_section(
        self, i: int, s: SectionDoc, tier: str | None, items: dict[str, PreparedItem]
    ) -> tuple[PreparedSection, Decimal | None]:
        """One section of a tier's plan (its items added to ``items``), and what it adds to the total
        (None: a checklist section)."""
        smax = self.per_tier(s.max, tier, ("sections", i, "max"))
        scoring = s.scoring or self.default_scoring
        self.check_scoring(i, s, scoring)
        prepared, item_sum, broken = self.build_items(i, s, tier, scoring, items)
        section = PreparedSection(s.id, s.number, s.title, smax, s.clause, prepared, scoring, s.pool)
        if scoring != "points":
            if s.pool:
                self.p.add(RulesetCheckError, f"section {s.id!r}: a pool of deductions is a points section",
                           ("sections", i, "pool"), key=s.id)
            return section, None
        if smax is None:
            self.p.add(RulesetCheckError, f"section {s.id!r} needs 'max'{_for_tier(tier)}", ("sections", i), key=s.id)
        elif s.pool and item_sum != 0 and not broken:
            self.p.add(RulesetCheckError, f"section {s.id!r} is a pool of deductions (pool = true): its items "
                       f"deduct from its {smax} and are worth 0 of their own, but they add up to {item_sum}",
                       ("sections", i, "pool"), key=s.id)
        elif item_sum != smax and not broken and not s.pool:
            self.p.add(
                RulesetCheckError,
                f"items of section {s.id!r} add up to {item_sum}{_for_tier(tier)}, but the section is worth {smax}",
                ("sections", i, "max"),
                key=s.id,
            )
        return section, smax or ZERO

    def check_scoring(self, i: int, s: SectionDoc, scoring: str) -> None:
        """A section scores points only in a points scheme, and a checklist section has no 'max'."""
        if scoring == "points" and self.doc.scheme.kind != "points":
            self.p.add(
                RulesetCheckError,
                f"section {s.id!r} scores points but the scheme's kind is {self.doc.scheme.kind!r}",
                ("sections", i, "scoring"),
                key=s.id,
            )
        if scoring == "checklist" and s.max is not None:
            self.p.add(
                RulesetCheckError,
                f"checklist section {s.id!r} carries no points: remove 'max'",
                ("sections", i, "max"),
                key=s.id,
            )

    def build_items(
        self, i: int, s: SectionDoc, tier: str | None, scoring: str, items: dict[str, PreparedItem]
    ) -> tuple[list[PreparedItem], Decimal, bool]:
        """A section's items for ``tier`` (added to ``items``), what those counted add up to, and whether
        an item had a problem (then what they add up to is unknown)."""
        prepared: list[PreparedItem] = []
        item_sum = ZERO
        broken = False
        for j, raw in enumerate(s.items):
            loc: tuple[Any, ...] = ("sections", i, "items", j)
            before = self.p.found
            self.p.muted = self.reads_failed(raw)
            it = self.build_item(raw, loc, s.id, tier, scoring)
            self.p.muted = False
            broken = broken or self.p.found > before
            if it is None:
                continue
            prepared.append(it)
            items[it.id] = it
            if not it.bonus and it.max is not None:
                item_sum += it.max
        return prepared, item_sum, broken

    def build_conditions(
        self, conds: list[Condition], group: str, tier: str | None, *, veto: bool
    ) -> list[PreparedCondition]:
        out = []
        for i, c in self.each(group):
            if c.tiers is not None and tier not in c.tiers:
                continue
            self.p.muted = self.reads_failed(c.condition)
            out.append(self.build_condition(c, (group, i), veto))
            self.p.muted = False
        return out

    def _check_veto_grade(self, c: Condition, loc: tuple[Any, ...], veto: bool) -> None:
        """A veto's ``grade``: only on a veto that vetoes the unit, and a declared grade."""
        if c.grade is None:
            return
        if not veto or c.scope not in VETOING:
            what = f"veto {c.id!r} of scope {c.scope!r}" if veto else f"eligibility condition {c.id!r}"
            self.p.add(RulesetCheckError, f"{what}: 'grade' is the grade a vetoed unit gets; it belongs to a veto "
                       "with scope \"outcome\", \"eligibility\" or \"cascade\" (a tier_cap veto has 'cap_tier')",
                       (*loc, "grade"), key=c.id)
        elif c.grade not in {g.id for g in self.doc.grades} and "grades" not in self.failed:
            known = ", ".join(g.id for g in self.doc.grades) or "none declared"
            self.p.add(RulesetCheckError, f"grade {c.grade!r} is not a grade id (grades: {known})",
                       (*loc, "grade"), key=c.id)

    def build_condition(self, c: Condition, loc: tuple[Any, ...], veto: bool) -> PreparedCondition:
        if veto and c.scope is None:
            self.p.add(RulesetSchemaError, f"veto {c.id!r} needs 'scope'", loc, key=c.id)
        if not veto and c.check is not None:
            self.p.add(
                RulesetCheckError,
                f"eligibility condition {c.id!r}: a plugin 'check' is a veto check "
                "(True means the veto is triggered); use it under [[vetoes]], or write a 'condition'",
                (*loc, "check"),
                key=c.id,
            )
        if c.cap_tier is not None and (not veto or c.scope != "tier_cap"):
            self.p.add(
                RulesetCheckError,
                f"{'veto' if veto else 'eligibility condition'} {c.id!r}: 'cap_tier' belongs to a veto with "
                "scope = \"tier_cap\" (the highest grade the unit may still get); here it would do nothing",
                (*loc, "cap_tier"),
                key=c.id,
            )
        if c.cap_tier is not None and c.cap_tier not in {g.id for g in self.doc.grades} and "grades" not in self.failed:
            known = ", ".join(g.id for g in self.doc.grades) or "none declared"
            self.p.add(
                RulesetCheckError,
                f"cap_tier {c.cap_tier!r} is not a grade id (grades: {known})",
                (*loc, "cap_tier"),
                key=c.id,
            )
        self._check_veto_grade(c, loc, veto)
        expr = None
        check = None
        reads: frozenset[str] = frozenset()
        results: frozenset[str] = frozenset()
        if c.condition is not None:
            expr, reads, results = self.condition_expr(c, c.condition, loc, veto)
        else:
            check = self.veto_checks.get(c.check or "")
            if check is None:
                known = ", ".join(sorted(self.veto_checks)) or "none registered"
                self.p.add(
                    RulesetCheckError,
                    f"unknown veto check {c.check!r} (registered: {known})",
                    (*loc, "check"),
                    key=c.id,
                )
            else:
                reads = frozenset(getattr(check, "reads", ()))
                bad = [r for r in reads if r not in self.readable]
                if bad and not self.reads_failed(bad):
                    self.p.add(
                        RulesetCheckError,
                        f"veto check {c.check!r} reads undeclared indicator(s) {bad}",
                        (*loc, "check"),
                        key=c.id,
                    )
        if check is not None:  # a plugin's check is called so that its failure costs the unit's condition, named
            check = plugin_call(check, "veto check", c.check or "")
        named = c.grade or c.cap_tier
        label = next((g.label for g in self.doc.grades if g.id == named), None)
        return PreparedCondition(c, expr, check, reads, label, results)

    def condition_expr(self, c: Condition, text: str, loc: tuple[Any, ...],
                       veto: bool) -> tuple[Expression | None, frozenset[str], frozenset[str]]:
        """A condition's expression compiled: it, the names it reads and those of the unit's result among
        them (a veto that reads the grade it decides is refused)."""
        expr, reads = self.compiled(text, (*loc, "condition"), c.id, extra=self.results)
        results = frozenset(expr.names & self.results.keys()) if expr is not None else frozenset()
        if veto and "grade" in results:
            self.p.add(RulesetCheckError, f"veto {c.id!r} reads 'grade', which the vetoes decide: a veto may "
                       "read the total, a subtotal or an item's points, and an eligibility condition the grade",
                       (*loc, "condition"), key=c.id)
        return expr, reads, results

    def build_item(
        self, raw: Any, loc: tuple[Any, ...], section: str, tier: str | None, scoring: str
    ) -> PreparedItem | None:
        read = self.item_head(raw, loc)
        if read is None:
            return None
        head, params_raw = read
        if head.tiers is not None:
            self.check_tiers(head.tiers, (*loc, "tiers"))
            if tier not in head.tiers:
                return None
        params_raw = self.overridden(head, params_raw, loc, tier)
        imax = self.per_tier(head.max, tier, (*loc, "max"))
        if head.parts is not None:
            built = self.item_parts(head, head.parts, params_raw, loc, scoring, tier)
        else:
            built = self.item_rule(head, raw, params_raw, loc, scoring)
        if built is None:
            return None
        rule, parts, rule_max = built
        if scoring == "points":
            self.check_item_max(head, loc, imax, rule, parts, rule_max)
            if head.weight is not None:
                self.p.add(RulesetCheckError, f"item {head.id!r}: 'weight' is for a checklist's requirements "
                           "(加权综合); in a points section an item's points are its weight", (*loc, "weight"),
                           key=head.id)
        void, applies, void_reads = self.item_guards(head, loc)
        reads: set[str] = set()
        for r in [rule] if rule else [p.rule for p in parts or []]:
            reads |= r.reads
        if imax is None and rule is not None and isinstance(rule, VetoRule):
            imax = ZERO
        return PreparedItem(
            id=head.id,
            number=head.number,
            section=section,
            label=head.label,
            max=imax if scoring == "points" else None,
            clause=head.clause,
            method=head.method,
            rule=rule,
            parts=parts,
            void=void,
            void_clause=head.void_clause,
            bonus=head.bonus,
            reads=frozenset(reads),
            void_reads=void_reads,
            note=head.note,
            applies=applies,
            weight=head.weight,
        )

    def item_head(self, raw: Any, loc: tuple[Any, ...]) -> tuple[ItemHead, dict[str, Any]] | None:
        """An item's common keys, validated, and the rest: its rule's parameters (None: no item to build)."""
        if not isinstance(raw, dict):
            self.p.add(RulesetSchemaError, "an item must be a table", loc)
            return None
        head_raw = {k: v for k, v in raw.items() if k in ITEM_COMMON_KEYS}
        params_raw = {k: v for k, v in raw.items() if k not in ITEM_COMMON_KEYS}
        try:
            head = ItemHead.model_validate(head_raw)
        except ValidationError as exc:
            self.p.from_validation(exc, ItemHead, loc)
            return None
        return head, params_raw

    def overridden(
        self, head: ItemHead, params_raw: dict[str, Any], loc: tuple[Any, ...], tier: str | None
    ) -> dict[str, Any]:
        """An item's parameters with its overrides for ``tier``, each override's tier checked."""
        if not head.overrides:
            return params_raw
        for t in head.overrides:
            if t not in self.tier_ids and "tiers" not in self.failed:
                self.p.add(RulesetCheckError, f"unknown tier {t!r} in overrides", (*loc, "overrides", t), key=head.id)
        if tier in head.overrides:
            return {**params_raw, **head.overrides[tier]}
        return params_raw

    def item_parts(
        self, head: ItemHead, raws: list[Any], params_raw: dict[str, Any], loc: tuple[Any, ...], scoring: str,
        tier: str | None = None,
    ) -> _ItemRules | None:
        """An item's parts, and what they add up to (None: the item has no part to score)."""
        if head.kind is not None or params_raw:
            extra = ", ".join(["kind"] * (head.kind is not None) + sorted(params_raw))
            self.p.add(
                RulesetSchemaError,
                f"an item with 'parts' takes its rules from the parts; remove {extra}",
                loc,
                key=head.id,
            )
            return None
        parts: list[PreparedPart] = []
        seen: set[str] = set()
        broken_part = False
        for k, praw in enumerate(raws):
            ploc = (*loc, "parts", k)
            part = self.build_part(praw, ploc, head.id, scoring, tier)
            if part is None:
                broken_part = True
                continue
            if part.id in seen:
                self.p.add(
                    RulesetCheckError,
                    f"duplicate part id {part.id!r} in item {head.id!r}",
                    (*ploc, "id"),
                    key=head.id,
                )
            seen.add(part.id)
            parts.append(part)
        if not parts:
            return None
        rule_max = sum((p.max for p in parts if p.max is not None), ZERO) if scoring == "points" else None
        if broken_part:
            rule_max = None  # a part could not be read: what the parts add up to is unknown
        return None, parts, rule_max

    def item_rule(
        self, head: ItemHead, raw: dict[str, Any], params_raw: dict[str, Any], loc: tuple[Any, ...], scoring: str
    ) -> _ItemRules | None:
        """An item's one rule, of its 'kind', and what it gives at most (None: it could not be built)."""
        if head.kind is None:
            self.p.add(RulesetSchemaError, "an item needs 'kind' (or 'parts')", loc, key=head.id)
            return None
        cls = self.kinds.get(head.kind)
        if cls is not None and "label" in cls.Params.model_fields and "label" in raw:
            params_raw = {**params_raw, "label": raw["label"]}  # the item's label is the rule's too
        rule = self.make_rule(head.kind, params_raw, head.id, loc, scoring=scoring)
        if rule is None:
            return None
        rule.standalone = True
        return rule, None, rule.max_points

    def check_item_max(
        self,
        head: ItemHead,
        loc: tuple[Any, ...],
        imax: Decimal | None,
        rule: Rule | None,
        parts: list[PreparedPart] | None,
        rule_max: Decimal | None,
    ) -> None:
        """A points item has a 'max' (a veto item may not, nor a bonus item that has no cap), and it is what
        its rules give at most."""
        if imax is None and not isinstance(rule, VetoRule) and not (head.bonus and rule_max is None):
            self.p.add(RulesetSchemaError, f"item {head.id!r} needs 'max' (its 分值)", loc, key=head.id)
        elif imax is not None and rule_max is not None and imax != rule_max:
            self.p.add(
                RulesetCheckError,
                f"item {head.id!r} is worth {imax} but its rule{'s add' if parts else ' gives'} up to {rule_max}",
                (*loc, "max"),
                key=head.id,
            )

    def item_guards(
        self, head: ItemHead, loc: tuple[Any, ...]
    ) -> tuple[Expression | None, Expression | None, frozenset[str]]:
        """An item's guards, 'void_when' and 'applies_when', compiled, and the indicators they read."""
        void = applies = None
        void_reads: frozenset[str] = frozenset()
        if head.void_when is not None:
            void, void_reads = self.compiled(head.void_when, (*loc, "void_when"), head.id)
        if head.applies_when is not None:
            applies, reads = self.compiled(head.applies_when, (*loc, "applies_when"), head.id)
            if applies is not None:
                void_reads |= reads
        return void, applies, void_reads

    def part_overrides(self, raw: dict[str, Any], loc: tuple[Any, ...], key: str, tier: str | None) -> dict[str, Any]:
        """A part's parameter overrides for ``tier`` (``[sections.items.parts.overrides.TIER]``), tiers checked."""
        over = raw.get("overrides")
        if over is None:
            return {}
        if not isinstance(over, dict) or not all(isinstance(v, dict) for v in over.values()):
            self.p.add(RulesetSchemaError, "'overrides' is a table of tables, one per tier", (*loc, "overrides"),
                       key=key)
            return {}
        for t in over:
            if t not in self.tier_ids and "tiers" not in self.failed:
                self.p.add(RulesetCheckError, f"unknown tier {t!r} in overrides", (*loc, "overrides", t), key=key)
        return dict(over.get(tier) or {}) if tier is not None else {}

    def build_part(self, raw: Any, loc: tuple[Any, ...], item_id: str, scoring: str,
                   tier: str | None = None) -> PreparedPart | None:
        if not isinstance(raw, dict):
            self.p.add(RulesetSchemaError, "a part must be a table", loc, key=item_id)
            return None
        pid = raw.get("id")
        if not isinstance(pid, str) or not pid:
            self.p.add(RulesetSchemaError, "a part needs 'id'", loc, key=item_id)
            return None
        kind = raw.get("kind")
        if not isinstance(kind, str):
            self.p.add(RulesetSchemaError, "a part needs 'kind'", loc, key=f"{item_id}.{pid}")
            return None
        key = f"{item_id}.{pid}"
        params = {k: v for k, v in raw.items() if k not in PART_KEYS}
        params.update(self.part_overrides(raw, loc, key, tier))
        cls = self.kinds.get(kind)
        if cls is not None and "label" in cls.Params.model_fields and "label" in raw:
            params["label"] = raw["label"]
        rule = self.make_rule(kind, params, key, loc, common=PART_KEYS, scoring=scoring)
        if rule is None:
            return None
        label = raw.get("label")
        pmax = raw.get("max")
        if pmax is not None and rule.max_points is not None and Decimal(pmax) != rule.max_points:
            self.p.add(
                RulesetCheckError,
                f"part {key!r} is worth {pmax} but its rule gives up to {rule.max_points}",
                (*loc, "max"),
                key=key,
            )
        try:
            lab = Text.model_validate(label) if label is not None else None
        except ValidationError as exc:
            self.p.from_validation(exc, Text, (*loc, "label"))
            lab = None
        clause = raw.get("clause")
        return PreparedPart(pid, key, lab, clause if isinstance(clause, str) else None, rule.max_points, rule)

    def make_rule(
        self,
        kind: str,
        params_raw: dict[str, Any],
        rule_id: str,
        loc: tuple[Any, ...],
        common: tuple[str, ...] = ITEM_COMMON_KEYS,
        scoring: str | None = None,
    ) -> Rule | None:
        cls = self.kinds.get(kind)
        if cls is None:
            self.p.add(
                RulesetCheckError,
                f"unknown rule kind {kind!r}; known kinds: {', '.join(sorted(self.kinds))}",
                (*loc, "kind"),
                key=rule_id,
            )
            return None
        try:
            params = cls.Params.model_validate(params_raw)
        except ValidationError as exc:
            self.p.from_validation(exc, cls.Params, loc, rule=(rule_id, kind, common))
            return None
        try:
            return cls(rule_id, params, self.ctx(rule_id, scoring))
        except ExpressionError as exc:
            # point at the key that holds the expression, when the kind compiled it through its context
            src = getattr(exc, "expression", None)
            where = next((k for k, v in params_raw.items() if isinstance(src, str) and v == src), None)
            if where is None:
                self.p.add(ExpressionError, exc.message, loc, key=rule_id)
            else:
                eloc = (*loc, where)
                message = f"{exc.message} in {str(src)[:80]!r}"
                self.p.add(ExpressionError, message, eloc, key=f"{rule_id}: {format_path(eloc)}")
        except (ValueError, TypeError) as exc:
            key = getattr(exc, "key", ())
            self.p.add(RulesetCheckError, str(exc), (*loc, *key), key=rule_id)
        return None
