"""Pydantic models of a rule-set document. Every model forbids unknown keys.

Rule parameters of an item (``kind`` and what follows it) are validated by the
rule kind's own ``Params`` model, so plugins can add kinds; see ``_kinds.py``.
"""

from __future__ import annotations

import datetime as dt
import keyword
import unicodedata
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from .cells import SPACES
from .functions import BUILTIN_FUNCTIONS

Level = Literal["province", "city", "county", "township", "village"]
Comparator = Literal[">=", ">", "<=", "<", "==", "!="]
Partial = Literal["floor", "ceil", "prorata"]
Floor = Literal["part", "item", "section", "none"]
VetoScope = Literal["eligibility", "outcome", "tier_cap", "cascade"]
#: the scopes whose triggered veto vetoes the unit (``vetoed``, ``passed = false``, no grade but the
#: veto's own); a ``tier_cap`` veto only caps the grade
VETOING: frozenset[str] = frozenset({"outcome", "eligibility", "cascade"})
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=64)]

#: Words an expression reads as something else, never as a name: Python's keywords (``True``,
#: ``False`` and ``None`` among them) and the built-in expression functions. (A plugin's function
#: names are refused by the loader, which knows them.)
RESERVED_NAMES: frozenset[str] = frozenset(keyword.kwlist) | frozenset(BUILTIN_FUNCTIONS)


def _not_reserved(name: str) -> str:
    if name in RESERVED_NAMES:
        what = (
            f"the function {name}()" if name in BUILTIN_FUNCTIONS
            else f"the constant {name}" if name in ("True", "False", "None")
            else "a Python keyword"
        )
        raise ValueError(f"{name!r} cannot be a name: an expression reads it as {what}; choose another name")
    return name


#: An indicator's or parameter's name (and a reference to one): expressions read it.
Name = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64), AfterValidator(_not_reserved)
]

def _strict_number(v: Any) -> Any:
    """Rule files write numbers as TOML numbers: text such as "120" is a wrong type, not a number."""
    if isinstance(v, bool) or not isinstance(v, (int, Decimal)):
        raise ValueError(f"expected a number, got {type(v).__name__} {v!r}")
    return v


#: A number in a rule file: a TOML integer or float (read as an exact Decimal); never text.
Number = Annotated[Decimal, BeforeValidator(_strict_number)]

#: Digits that identify a region at each level of the administrative-division code.
LEVEL_DIGITS: dict[str, int] = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, arbitrary_types_allowed=True)


class Text(Model):
    """A text in Chinese and in English."""

    zh: str
    en: str


class Jurisdiction(Model):
    code: Annotated[str, StringConstraints(pattern=r"^\d{2,12}$")]
    level: Level
    name: Text | None = None


class Tier(Model):
    id: Id
    label: Text
    level: Level
    total: Number | None = None
    #: Only these regions (administrative-division codes, and what lies inside them)
    #: are units of this tier; None: every region at ``level`` in the jurisdiction.
    regions: list[Annotated[str, StringConstraints(pattern=r"^\d{2,12}$")]] | None = None


class Scheme(Model):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._\-]*$", max_length=64)]
    version: str
    kind: Literal["points", "checklist", "targets"]
    title: Text
    issuer: Text
    document_number: str | None = None
    issued: dt.date
    source: str | None = None
    description: Text | None = None
    jurisdiction: list[Jurisdiction] = Field(min_length=1)
    valid_from: dt.date
    valid_until: dt.date | None = None
    total: Number | None = None
    precision: Number | None = None
    pass_mark: Number | None = None
    bonus_cap: Number | None = None

    @model_validator(mode="after")
    def _points_need_total(self) -> Scheme:
        if self.kind == "points":  # (its total is checked with its tiers: each may have its own)
            if self.precision is None:
                raise ValueError("a 'points' scheme needs 'precision' (reporting precision, e.g. 0.1)")
        if self.precision is not None and (self.precision <= 0 or self.precision.normalize().as_tuple().digits != (1,)):
            raise ValueError("'precision' must be a power of ten such as 1, 0.1 or 0.01")
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("'valid_until' is before 'valid_from'")
        return self


class Cohort(Model):
    """A reference value computed over a batch (``fuac.evaluate_many``): the mean of ``of``
    over the units of the batch in the same region at ``parent_level`` (their region codes
    share that level's prefix), weighted by ``weight`` when given, rounded half-up to
    ``precision`` when given (as a published average is). A value given in the input wins."""

    of: Name
    parent_level: Level
    weight: Name | None = None
    precision: Number | None = None

    @field_validator("precision")
    @classmethod
    def _power_of_ten(cls, v: Decimal | None) -> Decimal | None:
        if v is not None and (v <= 0 or v.normalize().as_tuple().digits != (1,)):
            raise ValueError("'precision' must be a power of ten such as 1, 0.1 or 0.01")
        return v


class Indicator(Model):
    type: Literal["boolean", "integer", "decimal", "choice"]
    label: Text
    unit: str | None = None
    min: Number | None = None
    max: Number | None = None
    choices: list[str] | None = None
    description: Text | None = None
    reference: bool = False
    tiers: list[Id] | None = None
    clause: str | None = None
    #: a reference value that a batch computes over a cohort of its units (see :class:`Cohort`)
    cohort: Cohort | None = None

    @field_validator("choices")
    @classmethod
    def _choosable(cls, v: list[str] | None) -> list[str] | None:
        """Each choice is text a cell can hold and be read back as: not empty, without surrounding
        spaces (a cell is stripped of them), without control characters, and given once."""
        for c in v or ():
            if not c.strip(SPACES):
                raise ValueError("a choice is empty")
            if c != c.strip(SPACES):
                raise ValueError(f"choice {c!r} has spaces around it: a cell is read without them")
            if any(unicodedata.category(ch) == "Cc" for ch in c):
                raise ValueError(f"choice {c!r} holds a control character")
        if v is not None and len(set(v)) != len(v):
            twice = sorted({c for c in v if v.count(c) > 1})
            raise ValueError(f"choice {twice[0]!r} is given twice")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        if self.cohort is not None and not (self.reference and self.type == "decimal"):
            raise ValueError("'cohort' is for reference values: a decimal indicator with reference = true")
        if self.type in ("integer", "decimal") and not self.unit:
            raise ValueError(f"a {self.type} indicator needs 'unit'")
        if self.type == "choice" and not self.choices:
            raise ValueError("a choice indicator needs 'choices'")
        if self.type != "choice" and self.choices is not None:
            raise ValueError("'choices' is only for choice indicators")
        if self.type in ("boolean", "choice") and (self.min is not None or self.max is not None):
            raise ValueError(f"'min'/'max' do not apply to {self.type} indicators")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("'min' is greater than 'max'")
        return self


class Derived(Model):
    """A value computed once from a unit's inputs (``[derived.NAME]``), read by rules as an indicator is:
    ``collection_rate = collected / due * 100``. ``precision``: rounded half up to it (the document's
    保留一位小数), else kept exact (a quotient to 28 significant digits)."""

    expression: str
    label: Text
    type: Literal["decimal", "integer", "boolean"] = "decimal"
    unit: str | None = None
    precision: Number | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Derived:
        if self.type != "boolean" and not self.unit:
            raise ValueError(f"a {self.type} derived value needs 'unit'")
        if self.type == "boolean" and self.precision is not None:
            raise ValueError("'precision' is for numbers, not a boolean")
        if self.precision is not None and (self.precision <= 0 or self.precision.normalize().as_tuple().digits != (1,)):
            raise ValueError("'precision' must be a power of ten such as 1, 0.1 or 0.01")
        return self

    def as_indicator(self) -> Indicator:
        """How rules see it: an indicator of its type, label and unit."""
        return Indicator(type=self.type, label=self.label, unit=self.unit, description=self.description)


class Parameter(Model):
    label: Text
    reference: str
    unit: str | None = None
    values: dict[str, Decimal | bool | str] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _date_keys(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key in v:
            try:
                dt.date.fromisoformat(key)
            except ValueError:
                raise ValueError(f"value key {key!r} must be the date it takes effect, as YYYY-MM-DD") from None
        return v


class Condition(Model):
    """A named condition: an eligibility requirement or a veto."""

    id: Id
    label: Text
    clause: str
    condition: str | None = None
    check: str | None = None
    scope: VetoScope | None = None
    tiers: list[Id] | None = None
    cap_tier: Id | None = None
    #: the grade a unit gets while this veto holds, when the document names one (直接定为不合格);
    #: without it a vetoed unit gets no grade
    grade: Id | None = None
    window_years: int | None = None
    consequence: Text | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        if (self.condition is None) == (self.check is None):
            raise ValueError("give exactly one of 'condition' (an expression) or 'check' (a plugin veto)")
        return self


class Grade(Model):
    id: Id
    label: Text
    #: the lowest total in this grade; left out for a lowest grade with no lower bound (60分以下为不合格)
    min: Number | None = None

    @property
    def rank(self) -> tuple[int, Decimal]:
        """A key that orders grades from the lowest: one without ``min`` is below every other."""
        return (0, Decimal(0)) if self.min is None else (1, self.min)

    def reached(self, total: Decimal) -> bool:
        """Whether ``total`` is in this grade or above it."""
        return self.min is None or total >= self.min


class QuotaBand(Model):
    max_units: int | None = None
    count: int


class Quota(Model):
    id: Id
    label: Text
    clause: str
    kind: Literal["share", "count", "by_parent_count", "share_per_parent", "count_per_parent", "range"]
    per: Literal["cycle", "year"]
    tiers: list[Id] | None = None
    share: Number | None = None
    count: int | None = None
    min_count: int | None = None
    of: Literal["eligible", "all", "applicants"] | None = None
    rounding: Literal["floor", "ceil", "half_up"] | None = None
    bands: list[QuotaBand] | None = None
    #: the region a per-parent quota counts in (its code's prefix); default: the level just
    #: below the jurisdiction's (the issuer's own subdivisions, e.g. the cities of a province)
    parent_level: Level | None = None

    @model_validator(mode="after")
    def _params(self) -> Quota:
        need = {
            "share": ("share", "of", "rounding"),
            "share_per_parent": ("share", "of", "rounding"),
            "count": ("count",),
            "count_per_parent": ("count",),
            "by_parent_count": ("bands",),
            "range": ("min_count", "count"),
        }[self.kind]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {self.kind!r} quota needs {', '.join(repr(m) for m in missing)}")
        if self.share is not None and not 0 < self.share <= 1:
            raise ValueError("'share' is a fraction between 0 and 1: write 15 % as 0.15")
        return self


class SelectionRules(Model):
    """How units are ranked when a batch is selected (``BatchResults.select``)."""

    #: sort keys, first decides: ``"<key> desc"`` or ``"<key> asc"`` (desc when left out); a key
    #: is ``total``, ``completion``, ``met``, ``section.<id>``, ``item.<id>`` or an indicator
    order: list[str] = Field(min_length=1)
    #: how many units after the last one selected are kept in reserve (备选)
    reserves: int = Field(default=0, ge=0)
    clause: str | None = None

    @field_validator("order")
    @classmethod
    def _keys(cls, v: list[str]) -> list[str]:
        for key in v:
            parts = key.split()
            if not 1 <= len(parts) <= 2 or (len(parts) == 2 and parts[1] not in ("asc", "desc")):
                raise ValueError(f"sort key {key!r}: write '<key>', '<key> desc' or '<key> asc'")
        return v


class Cycle(Model):
    """The title's life cycle: cycles of ``length_years`` from ``first_year``."""

    length_years: int = Field(gt=0)
    first_year: int
    clause: str
    title_lapses: bool
    extension_after: int | None = None
    extension_cycles: int | None = None
    revoked_bars_next: bool = False
    revocation_clause: str | None = None


class Event(Model):
    """A dated step of the procedure or the yearly calendar."""

    id: Id
    label: Text
    clause: str
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)
    per: Literal["year", "cycle"] | None = None
    actor: Text | None = None
    working_days: int | None = None


class Incentive(Model):
    id: Id
    label: Text
    clause: str
    points: Number
    award: str
    tier: Id | None = None
    per_unit: bool = False


ITEM_COMMON_KEYS = (
    "id",
    "number",
    "label",
    "max",
    "clause",
    "method",
    "tiers",
    "void_when",
    "void_clause",
    "overrides",
    "parts",
    "bonus",
    "note",
    "kind",
    "applies_when",
    "weight",
)


class ItemHead(Model):
    """The keys every item (and every part) has; the rule parameters are validated by its kind."""

    id: Id
    number: str | None = None
    label: Text | None = None
    max: Number | dict[Id, Number] | None = None
    clause: str | None = None
    method: str | None = None
    tiers: list[Id] | None = None
    void_when: str | None = None
    void_clause: str | None = None
    overrides: dict[Id, dict[str, Any]] | None = None
    parts: list[dict[str, Any]] | None = None
    bonus: bool = False
    note: str | None = None
    kind: str | None = None
    #: an expression: when it is false the item does not apply to this unit (status not_applicable)
    applies_when: str | None = None
    #: a checklist requirement's weight in the weighted share met (加权综合); the others weigh 1
    weight: Number | None = Field(default=None, gt=0)


class SectionDoc(Model):
    id: Id
    number: str | None = None
    title: Text
    #: "points": items carry points that add up to ``max``; "checklist": items are
    #: requirements or targets, met or not, counted apart from the total. Default:
    #: "points" in a points scheme, "checklist" otherwise.
    scoring: Literal["points", "checklist"] | None = None
    max: Number | dict[Id, Number] | None = None
    tiers: list[Id] | None = None
    clause: str | None = None
    #: 扣分制: the section starts from its ``max`` and every item deducts from it (items worth 0 of their
    #: own), down to zero at the section (扣完为止), unless an item's floor says "none"
    pool: bool = False
    items: list[dict[str, Any]] = Field(default_factory=list)


class RulesetDoc(Model):
    """The top level of a rule file."""

    scheme: Scheme
    tiers: list[Tier] = Field(default_factory=list)
    indicators: dict[Name, Indicator] = Field(default_factory=dict)
    parameters: dict[Name, Parameter] = Field(default_factory=dict)
    derived: dict[Name, Derived] = Field(default_factory=dict)
    sections: list[SectionDoc] = Field(default_factory=list)
    vetoes: list[Condition] = Field(default_factory=list)
    eligibility: list[Condition] = Field(default_factory=list)
    grades: list[Grade] = Field(default_factory=list)
    quotas: list[Quota] = Field(default_factory=list)
    selection: SelectionRules | None = None
    cycle: Cycle | None = None
    procedure: list[Event] = Field(default_factory=list)
    calendar: list[Event] = Field(default_factory=list)
    incentives: list[Incentive] = Field(default_factory=list)
    notes: list[Text] = Field(default_factory=list)
