"""Realistic synthetic units for every built-in scheme, at real sizes.

Values are drawn per indicator from what the rule set itself says about it: a
boolean requirement is met by most units; a rate lies mostly around the thresholds
it is compared with (two decimals, as rates are published); a count of
occurrences is usually 0 and sometimes a few; a regional average is one value per
city, as published; assessors' entries are in half points within their bounds.
A small share of values is missing. Region codes nest: province 45, cities
4501…, counties 450102…, townships 450102001…, villages 450102001001….

    python benchmarks/generate.py liunan-2023 1000000 -o /tmp/liunan-1m.parquet
"""

from __future__ import annotations

import argparse
import ast
import sys
from decimal import Decimal
from typing import Any

import numpy as np

import fuac
from fuac.kinds import Discretionary, Requirement

#: (label, rows): the sizes the benchmarks run at
SIZES = {
    "counties-gd": 120,  # counties of one province (Guangdong has 122)
    "counties-cn": 2_850,  # county-level units in China
    "townships-cn": 38_000,  # township-level units in China
    "villages-cn": 490_000,  # village-level units in China
    "stress": 1_000_000,
}

LEVEL_DIGITS = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}


def _thresholds(rs: fuac.RuleSet) -> dict[str, list[float]]:
    """Numbers each indicator is compared with, from tests, targets, bands and expressions."""
    out: dict[str, list[float]] = {}
    for plan in rs.plans.values():
        for it in plan.items.values():
            for _, rule in it.rules:
                p: Any = rule.params
                for t in getattr(rule, "tests", []) or []:
                    if isinstance(t.test.threshold, Decimal):
                        out.setdefault(t.test.indicator, []).append(float(t.test.threshold))
                if hasattr(p, "indicators") and getattr(p, "target", None) is not None:
                    for name in p.indicators:
                        out.setdefault(name, []).append(float(p.target))
                if hasattr(p, "bands"):
                    for b in p.bands:
                        out.setdefault(p.indicator, []).append(float(b.threshold))
                expr = getattr(rule, "expr", None)
                if expr is not None:
                    for node in ast.walk(expr.tree):
                        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name):
                            for c in node.comparators:
                                if isinstance(c, ast.Constant) and isinstance(c.value, Decimal):
                                    out.setdefault(node.left.id, []).append(float(c.value))
    return out


def _codes(n: int, level: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Region codes at ``level`` and their city; cities hold ~8 counties of ~15 townships of ~13 villages."""
    digits = LEVEL_DIGITS[level]
    per = {"city": 1, "county": 8, "township": 8 * 15, "village": 8 * 15 * 13}.get(level, 1)
    cities = max(1, n // per)
    city = rng.integers(1, cities + 1, n)
    unit = np.arange(n)
    codes = np.array([f"{45 + (c // 99):02d}{c % 99 + 1:02d}{u:0{digits - 4}d}"[:digits]
                      for c, u in zip(city.tolist(), unit.tolist(), strict=False)], dtype=object) if digits > 4 else \
        np.array([f"{45 + (u // 99):02d}{u % 99 + 1:02d}" for u in unit.tolist()], dtype=object)
    parents = np.array([c[:4] for c in codes.tolist()], dtype=object)
    return codes, parents


def units(ruleset: str | fuac.RuleSet, n: int, *, tier: str | None = None, seed: int = 0,
          missing: float = 0.002, codes: bool = True) -> dict[str, np.ndarray]:
    """``n`` synthetic units for ``ruleset`` (and ``tier``), as columns."""
    rs = fuac.load(ruleset)
    plan = rs.plan(tier)
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {}
    level = rs.tier(tier).level if tier else rs.meta.jurisdiction[0].level
    if codes:
        code, city = _codes(n, level if level != "province" else "county", rng)
        cols["id"] = np.arange(n)
        cols["code"] = code
    else:
        city = None
    th = _thresholds(rs)
    refs = {name for name, ind in rs.doc.indicators.items() if ind.reference}
    for name, ind in rs.doc.indicators.items():
        if ind.tiers is not None and tier not in ind.tiers:
            continue
        if name in refs:
            continue
        if ind.type == "boolean":
            bad = "falsified" in name or "accident" in name or name.startswith(("major_", "severe_"))
            cols[name] = rng.random(n) < (0.01 if bad else 0.88)
        elif ind.type == "choice":
            cols[name] = rng.choice(np.array(ind.choices, dtype=object), n)
        elif ind.type == "integer":
            lo = int(ind.min) if ind.min is not None else 0
            hi = int(ind.max) if ind.max is not None else None
            if name in th:
                t = max(th[name])
                v = np.rint(rng.normal(t, max(1.0, t * 0.2), n)).astype(np.int64)
            else:
                v = rng.poisson(0.3, n).astype(np.int64)  # occurrences: mostly none
            v = np.maximum(v, lo)
            if hi is not None:
                v = np.minimum(v, hi)
            cols[name] = v
        else:
            lo = float(ind.min) if ind.min is not None else 0.0
            hi = float(ind.max) if ind.max is not None else None
            if name in th:
                t = float(np.median(th[name]))
                v = rng.normal(t + abs(t) * 0.02, max(0.5, abs(t) * 0.05), n)
            else:
                v = rng.gamma(4.0, 1.0, n)
            v = np.maximum(v, lo)
            if hi is not None:
                v = np.minimum(v, hi)
            cols[name] = np.round(v, 2)
    # regional averages: one published value per city
    for ref in refs:
        base = next((n_ for n_, ind in rs.doc.indicators.items()
                     if not ind.reference and ref.startswith(n_)), None)
        if base is None or base not in cols:
            continue
        if city is not None:
            uniq, inv = np.unique(city, return_inverse=True)
            per_city = np.round(rng.normal(float(np.mean(cols[base])), 0.3, len(uniq)), 2)
            cols[ref] = np.maximum(per_city[inv], 0)
        else:
            cols[ref] = np.full(n, round(float(np.mean(cols[base])), 2))
    # assessors' entries for the items that take one
    for it in plan.items.values():
        for key, rule in it.rules:
            if isinstance(rule, Discretionary):
                p = rule.params
                steps = int((p.points - p.min) / Decimal("0.5"))
                cols[f"assessments.{key}"] = float(p.min) + 0.5 * rng.integers(0, steps + 1, n)
            elif isinstance(rule, Requirement) and rule.expr is None:
                cols[f"assessments.{key}"] = rng.random(n) < 0.85
    if missing:
        for name, v in list(cols.items()):
            if name in ("id", "code") or name.startswith("assessments."):
                continue
            if v.dtype.kind == "f":
                v = v.copy()
                v[rng.random(n) < missing] = np.nan
                cols[name] = v
    return cols


def frame(ruleset: str, n: int, **kw: Any) -> Any:
    import pandas as pd

    return pd.DataFrame(units(ruleset, n, **kw))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ruleset")
    ap.add_argument("rows", type=int)
    ap.add_argument("--tier")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--output", required=True, help=".parquet, .csv or .jsonl")
    a = ap.parse_args(argv)
    df = frame(a.ruleset, a.rows, tier=a.tier, seed=a.seed)
    if a.output.endswith(".parquet"):
        df.to_parquet(a.output, index=False)
    elif a.output.endswith(".csv"):
        df.to_csv(a.output, index=False)
    elif a.output.endswith(".jsonl"):
        df.to_json(a.output, orient="records", lines=True, force_ascii=False)
    else:
        print("output must be .parquet, .csv or .jsonl", file=sys.stderr)
        return 2
    print(f"{a.rows} units of {a.ruleset}{' / ' + a.tier if a.tier else ''} → {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
