"""What an evaluation returns. Plain dataclasses: cheap to build, JSON-ready through ``to_dict``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..kinds.base import Explained, Reason
from ..language.deprecation import renamed
from ..language.expressions import DECIMAL_CONTEXT, quantize
from ..language.models import VETOING, Text
from ..language.words import fmt_number

# What the layers above a result do with it. A result is data: it imports neither the gap
# analysis nor the renderers; ``fuac/__init__.py`` sets these when the package is imported
# (``gaps``, ``html``, ``pandas`` for an Evaluation; ``select`` for a batch's results).
VIEWS: dict[str, Callable[..., Any]] = {}


def view(name: str) -> Callable[..., Any]:
    """The function a layer above registered as ``name`` (see :data:`VIEWS`)."""
    try:
        return VIEWS[name]
    except KeyError:  # pragma: no cover - set by fuac/__init__.py, which any import of fuac runs
        raise RuntimeError(f"fuac's {name!r} view is not registered: import fuac first") from None


def weighted_share(items: list[ItemResult]) -> Decimal | None:
    """The weighted share of ``items`` met (加权综合): the weights of those met over the weights of all, an
    item without a weight weighing 1; None when no item has a weight (or there is none)."""
    if not any(i.weight is not None for i in items):
        return None
    weights = [(i.weight if i.weight is not None else Decimal(1), i.met) for i in items]
    met = DECIMAL_CONTEXT.add(Decimal(0), sum((w for w, m in weights if m), Decimal(0)))
    return DECIMAL_CONTEXT.divide(met, sum((w for w, _ in weights), Decimal(0)))


def share(met: int, counted: int) -> Decimal | None:
    """``met / counted`` (a completion) in fuac's own 34-digit context, whatever the caller's
    context is; ``None`` when nothing is counted."""
    return DECIMAL_CONTEXT.divide(Decimal(met), Decimal(counted)) if counted else None


_PLAIN = frozenset({str, bool, int, type(None)})


def _json(v: Any) -> Any:
    t = type(v)
    if t in _PLAIN:
        return v
    if t is Decimal:
        return fmt_number(v)  # exact: every digit, no exponent, no trailing zeros
    if t is dict:
        return {str(k): _json(x) for k, x in v.items()}
    if t is list or t is tuple:
        return [_json(x) for x in v]
    if isinstance(v, Decimal):
        return fmt_number(Decimal(v))
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, Text):
        return {"zh": v.zh, "en": v.en}
    if isinstance(v, dict):
        return {str(k): _json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json(x) for x in v]
    if hasattr(v, "to_dict"):
        return v.to_dict()
    return v


@dataclass(slots=True)
class Problem:
    """One problem with the input: which field, what is wrong, which rules needed it."""

    field: str
    code: str
    message: str
    message_zh: str
    rules: list[str] = dataclasses.field(default_factory=list)
    severity: str = "error"
    value: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "code": self.code,
            "severity": self.severity,
            "message": {"zh": self.message_zh, "en": self.message},
            "rules": list(self.rules),
            "value": (
                None
                if self.value is None
                else _json(self.value)
                if isinstance(self.value, (int, Decimal, str, bool))
                else repr(self.value)
            ),
        }

    def __str__(self) -> str:
        need = f" (needed by {', '.join(self.rules)})" if self.rules else ""
        return f"{self.field}: {self.message}{need}"


@dataclass(slots=True)
class PartResult(Explained):
    id: str
    label: Text | None
    points: Decimal | None
    max: Decimal | None
    status: str
    met: bool | None
    #: why, in Chinese and English (``reason_zh``, ``reason_en``)
    why: Reason
    inputs: dict[str, Any]
    clause: str | None
    judgement: bool = False
    rationale: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": _json(self.label),
            "points": _json(self.points),
            "max": _json(self.max),
            "status": self.status,
            "met": self.met,
            "reason": {"zh": self.reason_zh, "en": self.reason_en},
            "inputs": _json(self.inputs),
            "clause": self.clause,
            "judgement": self.judgement,
            "rationale": self.rationale,
            "details": _json(self.details),
        }


@dataclass(slots=True)
class ItemResult(Explained):
    """One item's result: points, maximum, status, inputs read, clause, reasons."""

    id: str
    number: str | None
    section: str
    label: Text | None
    points: Decimal | None
    max: Decimal | None
    status: str
    met: bool | None
    #: why, in Chinese and English (``reason_zh``, ``reason_en``)
    why: Reason
    inputs: dict[str, Any]
    clause: str | None
    method: str | None
    #: the item's rule kind (``threshold``, ``shortfall`` …; ``parts`` for an item of parts)
    rule_kind: str
    parts: list[PartResult] = field(default_factory=list)
    judgement_points: Decimal | None = None
    bonus: bool = False
    problems: list[str] = field(default_factory=list)
    #: what the rule recorded besides points (e.g. a reference value with its source)
    details: dict[str, Any] = field(default_factory=dict)
    #: a veto item of the table (its rule a ``veto``, or a plugin's subclass of it, whatever its kind's name)
    veto: bool = False
    #: a checklist requirement's weight (``weight``), None when the rule file gives none (it weighs 1)
    weight: Decimal | None = None

    #: deprecated name of ``rule_kind``
    kind = renamed("rule_kind")

    @property
    def is_veto(self) -> bool:
        """True for a veto item of the table (一票否决): it vetoes the unit, it gives no points."""
        return self.veto

    @property
    def counts(self) -> bool:
        """True when the item counts toward the total and the number of items met: every item
        but a veto item. (The one place this is decided.)"""
        return not self.veto

    @property
    def reason(self) -> Text:
        zh, en = self.why.text()
        return Text(zh=zh, en=en)

    @property
    def lost(self) -> Decimal | None:
        """Points not earned (None while the item is not scored)."""
        if self.max is None or self.points is None:
            return None
        return self.max - self.points

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "section": self.section,
            "label": _json(self.label),
            "kind": self.rule_kind,
            "points": _json(self.points),
            "max": _json(self.max),
            "status": self.status,
            "met": self.met,
            "reason": {"zh": self.reason_zh, "en": self.reason_en},
            "inputs": _json(self.inputs),
            "clause": self.clause,
            "method": self.method,
            "judgement_points": _json(self.judgement_points),
            "bonus": self.bonus,
            "weight": _json(self.weight),
            "parts": [p.to_dict() for p in self.parts],
            "problems": list(self.problems),
            "details": _json(self.details),
        }


@dataclass(slots=True)
class SectionResult:
    id: str
    number: str | None
    title: Text
    points: Decimal | None
    max: Decimal | None
    items: list[ItemResult]
    floored: bool = False
    scoring: str = "points"

    @property
    def met(self) -> int:
        return sum(1 for i in self.items if i.met)

    @property
    def counted(self) -> list[ItemResult]:
        """The section's items that count (:attr:`ItemResult.counts`)."""
        return [i for i in self.items if i.counts]

    @property
    def open(self) -> list[ItemResult]:
        """Items not (yet) met: not met, or not decided."""
        return [i for i in self.items if i.met is not True and i.counts]

    @property
    def completion(self) -> Decimal | None:
        counted = self.counted
        return share(sum(1 for i in counted if i.met), len(counted))

    @property
    def weighted_completion(self) -> Decimal | None:
        """The weighted share of the section's requirements met (None: no weights given)."""
        return weighted_share(self.counted)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "title": _json(self.title),
            "points": _json(self.points),
            "max": _json(self.max),
            "floored": self.floored,
            "scoring": self.scoring,
            "met": self.met,
            "count": len(self.counted),
            "items": [i.id for i in self.items],
        }


@dataclass(slots=True)
class ConditionResult(Explained):
    """A veto or an eligibility condition, and whether its condition holds (None: cannot tell).

    For a veto, holding means it is triggered (:attr:`triggered`); for an eligibility
    condition, it means the condition is met (:attr:`met`).
    """

    id: str
    scope: str
    holds: bool | None
    label: Text
    #: why, in Chinese and English (``reason_zh``, ``reason_en``)
    why: Reason
    clause: str | None
    inputs: dict[str, Any]
    missing: list[str] = field(default_factory=list)
    consequence: Text | None = None
    cap_tier: str | None = None
    #: the grade a vetoed unit gets while this veto holds (``[[vetoes]] grade``), or None
    grade: str | None = None

    @property
    def triggered(self) -> bool | None:
        return self.holds

    @property
    def met(self) -> bool | None:
        return self.holds

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scope": self.scope,
            "holds": self.holds,
            "label": _json(self.label),
            "reason": {"zh": self.reason_zh, "en": self.reason_en},
            "clause": self.clause,
            "inputs": _json(self.inputs),
            "missing": list(self.missing),
            "consequence": _json(self.consequence),
        }


@dataclass(slots=True)
class Evaluation:
    """The result of scoring one unit against one rule set (one tier)."""

    ruleset_id: str
    ruleset_version: str
    content_hash: str
    scheme_kind: str
    tier: str | None
    on: dt.date
    precision: Decimal | None
    total: Decimal | None
    max_total: Decimal | None
    items: list[ItemResult]
    sections: list[SectionResult]
    vetoes: list[ConditionResult]
    eligibility: list[ConditionResult]
    eligible: bool | None
    grade: Text | None
    problems: list[Problem]
    context: dict[str, Any] = field(default_factory=dict)
    title: Text | None = None
    #: the rule sets this one is composed of, base first: id, version, content hash
    chain: list[dict[str, str]] = field(default_factory=list)
    #: total ≥ the scheme's pass_mark (None: no pass mark, or not every item scored)
    passed: bool | None = None

    # -- summaries
    @property
    def complete(self) -> bool:
        """True when every item was scored (no missing input, no assessor awaited)."""
        return all(i.status in ("scored", "voided", "vetoed", "not_applicable") for i in self.items)

    @property
    def vetoed(self) -> bool:
        """True when an outcome veto was triggered: the score stands, the title does not."""
        return any(v.holds for v in self.vetoes if v.scope in VETOING)

    @property
    def reported_total(self) -> Decimal | None:
        """The total rounded half-up to the scheme's precision (rounding happens only here)."""
        if self.total is None or self.precision is None:
            return self.total
        return quantize(self.total, self.precision)

    def reported(self, value: Decimal | None) -> Decimal | None:
        if value is None or self.precision is None:
            return value
        return quantize(value, self.precision)

    @property
    def max_applicable(self) -> Decimal | None:
        """The maximum without the items that do not apply to this unit (status not_applicable)."""
        if self.max_total is None:
            return None
        return self.max_total - sum(
            (i.max or Decimal(0) for i in self.items if i.status == "not_applicable" and not i.bonus), Decimal(0)
        )

    @property
    def judgement_points(self) -> Decimal:
        """The part of the total that came from assessors' judgement."""
        return sum((i.judgement_points or Decimal(0) for i in self.items), Decimal(0))

    @property
    def completion(self) -> Decimal | None:
        """Share of requirements/targets met (checklists and work plans). In a scheme that
        mixes points and checklist sections, only the checklist sections count."""
        counted = self._completion_items
        return share(sum(1 for i in counted if i.met), len(counted))

    @property
    def weighted_completion(self) -> Decimal | None:
        """The weighted share of requirements/targets met (加权综合: each item's ``weight``, 1 where it has
        none), over the items :attr:`completion` counts; None when the rule set gives no weights."""
        return weighted_share(self._completion_items)

    @property
    def _completion_items(self) -> list[ItemResult]:
        """The items a completion counts: the checklist sections' (all items in a scheme without one)."""
        checklist = [i for s in self.sections if s.scoring == "checklist" for i in s.items]
        return [i for i in (checklist or self.items) if i.counts]

    @property
    def counted(self) -> list[ItemResult]:
        """The items that count (:attr:`ItemResult.counts`)."""
        return [i for i in self.items if i.counts]

    def item(self, item_id: str) -> ItemResult:
        for i in self.items:
            if i.id == item_id:
                return i
        raise KeyError(item_id)

    def section(self, section_id: str) -> SectionResult:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    @property
    def open_items(self) -> list[ItemResult]:
        """Items not met or not decided yet: what is still open."""
        return [i for i in self.items if i.met is not True and i.counts]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": {
                "id": self.ruleset_id,
                "version": self.ruleset_version,
                "content_hash": self.content_hash,
                "chain": [dict(link) for link in self.chain],
            },
            "scheme_kind": self.scheme_kind,
            "title": _json(self.title),
            "tier": self.tier,
            "on": self.on.isoformat(),
            "context": _json(self.context),
            "total": _json(self.reported_total),
            "total_exact": _json(self.total),
            "max_total": _json(self.max_total),
            "max_applicable": _json(self.max_applicable),
            "passed": self.passed,
            "precision": _json(self.precision),
            "complete": self.complete,
            "judgement_points": _json(self.judgement_points),
            "completion": _json(self.completion),
            "weighted_completion": _json(self.weighted_completion),
            "eligible": self.eligible,
            "vetoed": self.vetoed,
            "grade": _json(self.grade),
            "sections": [
                {**s.to_dict(), "points": _json(self.reported(s.points)), "points_exact": _json(s.points)}
                for s in self.sections
            ],
            "items": [i.to_dict() for i in self.items],
            "vetoes": [v.to_dict() for v in self.vetoes],
            "eligibility": [v.to_dict() for v in self.eligibility],
            "problems": [p.to_dict() for p in self.problems],
        }

    # -- the assessor's workflow (issue #5): rectification list, notebooks
    def gaps(
        self,
        ruleset: Any = None,
        *,
        data: Mapping[str, Any] | None = None,
        assessments: Mapping[str, Any] | None = None,
        assessor: str | None = None,
    ) -> Any:
        """The rectification list (整改清单): every item that lost points, with the smallest
        change of input that recovers them, checked by re-evaluating. Returns :class:`fuac.Gaps`
        (a sequence of :class:`fuac.Gap`).

        :param ruleset: the rule set (id, path or loaded) this evaluation was made with;
            default: the registered rule set of the same id (its content hash must match).
        :param data: the input data; default: rebuilt from the inputs this result recorded.
        :param assessments: assessors' entries; default: rebuilt from the judgement points.
        """
        return view("gaps")(self, ruleset, data=data, assessments=assessments, assessor=assessor)

    def _repr_html_(self) -> str:
        """A readable table in Jupyter: sections, items, points, status and reason."""
        return view("html")(self)

    def to_pandas(self, *, exact: bool = False) -> Any:
        """A pandas DataFrame with one row per item (``exact``: points as Decimal, else float).

        Needs the ``pandas`` extra: ``pip install 'fuac[pandas]'``.
        """
        return view("pandas")(self, exact=exact)

    def __repr__(self) -> str:
        if self.scheme_kind == "points":
            head = f"{self.reported_total}/{self.max_total}"
        else:
            done = sum(1 for i in self.counted if i.met)
            head = f"{done}/{len(self.counted)} met"
        flags = []
        if not self.complete:
            flags.append("incomplete")
        if self.vetoed:
            flags.append("vetoed")
        if self.eligible is False:
            flags.append("ineligible")
        tail = f" ({', '.join(flags)})" if flags else ""
        tier = f" tier={self.tier}" if self.tier else ""
        return f"<Evaluation {self.ruleset_id}{tier}: {head}{tail}>"
