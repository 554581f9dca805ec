"""A demo fuac rule package: one rule file, one function, one rule kind, one veto check."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import fuac

HERE = Path(__file__).parent


def per_thousand(x: Decimal, pop: Decimal) -> Decimal:
    """``x`` per 1,000 people of ``pop``."""
    return x / pop * 1000


class Band(fuac.Model):
    min: Decimal
    points: Decimal


class RatioBandParams(fuac.Model):
    numerator: str
    denominator: str
    per: Decimal
    bands: list[Band]


class RatioBand(fuac.Rule[RatioBandParams]):
    """Points by bands of ``numerator / denominator * per``: the first band whose
    ``min`` the ratio reaches gives its points; below every band, none."""

    kind = "ratio_band"
    Params = RatioBandParams

    def __init__(self, rule_id: str, params: RatioBandParams, ctx: fuac.RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        for name in (params.numerator, params.denominator):
            ctx.indicator(name)  # ValueError naming an undeclared indicator
        if not params.bands:
            raise ValueError("'bands' needs at least one band")
        self.max_points = max(b.points for b in params.bands)
        self.reads = frozenset([params.numerator, params.denominator])

    def score(self, inputs: fuac.Inputs) -> fuac.Outcome:
        p = self.params
        ratio = inputs.values[p.numerator] / inputs.values[p.denominator] * p.per
        shown = format(ratio.normalize(), "f")
        for band in sorted(p.bands, key=lambda b: b.min, reverse=True):
            if ratio >= band.min:
                return fuac.Outcome(
                    band.points, "scored",
                    f"每{p.per}人{shown}，达到{band.min}档，得{band.points}分。",
                    f"{shown} per {p.per}: band {band.min} reached, {band.points} points.",
                    met=band.points == self.max_points,
                )
        return fuac.Outcome(Decimal(0), "scored", f"每{p.per}人{shown}，未达任何档次，不得分。",
                            f"{shown} per {p.per}: below every band, 0 points.", met=False)


def title_revoked(values: Mapping[str, Any], parameters: Mapping[str, Any]) -> bool:
    """Vetoed when the unit's title was revoked in the last cycle."""
    return bool(values["revoked_last_cycle"])


title_revoked.reads = ("revoked_last_cycle",)  # type: ignore[attr-defined]


@fuac.hookimpl
def fuac_rulesets() -> Iterable[Path]:
    return [HERE / "demo-2024.toml"]


@fuac.hookimpl
def fuac_functions() -> Mapping[str, Callable[..., Any]]:
    return {"per_thousand": per_thousand}


@fuac.hookimpl
def fuac_rule_kinds() -> Iterable[type[fuac.Rule]]:
    return [RatioBand]


@fuac.hookimpl
def fuac_vetoes() -> Mapping[str, Callable[[Mapping[str, Any], Mapping[str, Any]], bool]]:
    return {"title_revoked": title_revoked}
