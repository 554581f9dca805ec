"""``choice_points``: points by the category a choice indicator holds (自治村得2分，合格村得1分，其他不得分)."""

from __future__ import annotations

import ast
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import Field

from ..language.models import Model, Name, Number
from ..language.words import _pts_en, _pts_zh
from .base import Inputs, Outcome, Rule, RuleContext, RuleError, _Later
from .drafting import Drafting, points
from .recovery import Facts, Plan

if TYPE_CHECKING:
    from .columns import ColumnForm, ColumnOutcome, Columns, Env


class ChoicePointsParams(Model):
    indicator: Name
    #: the points of each category, by the category as the indicator's ``choices`` write it
    points: dict[str, Number] = Field(min_length=1)
    #: the points of every category not listed (其他不得分); required unless every category is listed
    otherwise: Number | None = None


class ChoicePoints(Rule[ChoicePointsParams]):
    """Points by category: the table gives each category of a choice indicator its points, and the
    categories it does not list get ``otherwise``. The reason names the category found."""

    kind = "choice_points"
    Params = ChoicePointsParams

    def __init__(self, rule_id: str, params: ChoicePointsParams, ctx: RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        try:
            ind = ctx.indicator(params.indicator)
        except ValueError as exc:
            raise RuleError(str(exc), "indicator") from None
        if ind.type != "choice" or not ind.choices:
            raise RuleError(f"{params.indicator!r} is not a choice indicator (its type is {ind.type!r}); "
                            "choice_points reads one with type = \"choice\"", "indicator")
        choices = list(ind.choices)
        for c in params.points:
            if c not in choices:
                raise RuleError(f"{c!r} is not a choice of {params.indicator!r} (choices: {', '.join(choices)})",
                                "points", c)
        unlisted = [c for c in choices if c not in params.points]
        if unlisted and params.otherwise is None:
            raise RuleError(f"the choice(s) {', '.join(map(repr, unlisted))} of {params.indicator!r} have no "
                            "points: list them, or give 'otherwise' (the points of every category not listed)",
                            "points")
        #: every category's points, in the indicator's order
        self.table: dict[str, Decimal] = {c: params.points.get(c, params.otherwise)  # type: ignore[misc]
                                          for c in choices}
        self.max_points = max(self.table.values())
        self.reads = frozenset([params.indicator])

    score_reads_only_reads = True  # its score reads no value but those named in reads

    def score(self, inputs: Inputs) -> Outcome:
        v = inputs.values[self.params.indicator]
        if v not in self.table:  # a choice is checked against the indicator's before it is scored
            raise ValueError(f"{v!r} is not a choice of {self.params.indicator!r}")
        pts = self.table[v]
        return Outcome(pts, "scored", met=pts == self.max_points, why=_Later(self._say, (v, pts)))

    def _say(self, v: str, pts: Decimal) -> tuple[str, str]:
        lab = self.label(self.params.indicator)
        listed = v in self.params.points
        return (f"{lab.zh}为「{v}」{'' if listed else '（其他类别）'}，{_pts_zh(pts)}。",
                f"{lab.en} is “{v}”{'' if listed else ' (another category)'}: {_pts_en(pts)}.")

    def columns(self, cols: Columns) -> ColumnForm:
        """Each row's points looked up by its category's code."""
        import numpy as np

        node = cols.ec.node(ast.Name(id=self.params.indicator))
        assert node.fn is not None and node.choices is not None  # an indicator's column of choices
        s = max(cols.decimals(p) for p in self.table.values())
        k = cols.factor(s)
        pts = np.array([cols.to_scaled(self.table[c], s) * k for c in node.choices], np.int64)
        met = np.array([int(self.table[c] == self.max_points) for c in node.choices], np.int8)
        col, RuleOut, scored = node.fn, cols.RuleOut, cols.S_SCORED

        def by_choice(env: Env) -> ColumnOutcome:
            codes = col(env)[0]
            return RuleOut(pts[codes], None, scored, met[codes])
        return by_choice, s

    def points_bounds(self) -> tuple[Decimal, Decimal] | None:
        return (min(self.table.values()), max(self.table.values()))

    def recovery(self, facts: Facts) -> list[Plan]:
        """Each category worth more than the unit's, the most points first."""
        name = self.params.indicator
        before = facts.values.get(name)
        if before not in self.table:
            return []
        better = sorted((c for c, p in self.table.items() if p > self.table[before]),
                        key=lambda c: -self.table[c])
        return [Plan({name: c}, {name: ("==", c, None)}) for c in better]

    def describe(self) -> tuple[str, str]:
        p = self.params
        lz, le = Drafting(self).label(p.indicator)
        zh, en = [], []
        for c, v in p.points.items():
            pz, pe = points(v)
            zh.append(f"{c}得{pz}")
            en.append(f"{c}: {pe}")
        if p.otherwise is not None and len(p.points) < len(self.table):
            oz, oe = points(p.otherwise)
            zh.append(f"其他得{oz}")
            en.append(f"any other: {oe}")
        return f"按{lz}计分：{'；'.join(zh)}。", f"By {le}: {'; '.join(en)}."
