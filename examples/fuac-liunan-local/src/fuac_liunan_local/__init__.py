"""An example fuac rule package: a local overlay of liunan-2023.

It registers one rule file, one expression function and one rule kind, through
the hooks of ``fuac.hookspecs``. The local item is fictional: it exists to show
the mechanics of a rule package (see docs/tutorial-rule-package.md).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import fuac

HERE = Path(__file__).parent


@fuac.hookimpl
def fuac_rulesets() -> list[Path]:
    return [HERE / "liunan-local-2024.toml"]


def per_thousand(count: Decimal, population: Decimal) -> Decimal:
    """``count`` per 1,000 of ``population``."""
    return count * 1000 / population


@fuac.hookimpl
def fuac_functions() -> dict[str, Any]:
    return {"per_thousand": per_thousand}


class CoverageParams(fuac.Model):
    points: Decimal
    covered: str
    total: str
    comparator: str
    percent: Decimal


class Coverage(fuac.Rule[CoverageParams]):
    """Full points when ``covered / total`` reaches ``percent`` (as a percentage)."""

    kind = "coverage"
    Params = CoverageParams

    def __init__(self, rule_id: str, params: CoverageParams, ctx: fuac.RuleContext) -> None:
        super().__init__(rule_id, params, ctx)
        for name in (params.covered, params.total):
            if ctx.indicator(name).type not in ("integer", "decimal"):
                raise ValueError(f"{name!r} must be a number indicator")
        if params.comparator not in (">=", ">"):
            raise ValueError("comparator must be '>=' or '>'")
        self.max_points = params.points
        self.reads = frozenset([params.covered, params.total])

    def score(self, inputs: fuac.Inputs) -> fuac.Outcome:
        p = self.params
        covered, total = inputs.values[p.covered], inputs.values[p.total]
        share = covered * 100 / total
        ok = share >= p.percent if p.comparator == ">=" else share > p.percent
        got = p.points if ok else Decimal(0)
        rate = share.quantize(Decimal("0.1"))
        return fuac.Outcome(
            got,
            "scored",
            f"覆盖率 {rate}%（{covered}/{total}），{'达到' if ok else '未达到'} {p.percent}%，得{got}分。",
            f"coverage {rate}% ({covered}/{total}) {'reaches' if ok else 'does not reach'} {p.percent}%: {got} points.",
            met=ok,
        )


@fuac.hookimpl
def fuac_rule_kinds() -> list[type[fuac.Rule]]:
    return [Coverage]
