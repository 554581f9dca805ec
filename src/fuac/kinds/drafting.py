"""The words a rule kind describes itself with (``Rule.describe``): names, values, parameters and
tests as the scheme pages draft them, so that each kind's description lives beside its scoring."""

from __future__ import annotations

from typing import Any

from ..language.comparators import COMPARATORS
from ..language.words import fmt_number, with_unit
from .base import Rule, Test


def number(value: Any) -> str:
    return fmt_number(value)


def points(p: Any) -> tuple[str, str]:
    """"N分" / "N point(s)": a number of points as a scheme page drafts it."""
    n = fmt_number(p)
    return f"{n}分", f"{n} point{'' if p == 1 else 's'}"


class Drafting:
    """Plain words for what ``rule`` reads: its indicators, parameters and tests."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.ctx = rule.ctx

    def label(self, name: str) -> tuple[str, str]:
        t = self.ctx.label(name)
        return f"{t.zh}（`{name}`）", f"{t.en} (`{name}`)"

    def unit_of(self, name: str) -> str | None:
        ind = self.ctx.indicators.get(name)
        return ind.unit if ind is not None else None

    def param(self, name: str) -> tuple[str, str]:
        par = self.ctx.parameters.get(name)
        if par is None:
            return f"参数 `{name}`", f"parameter `{name}`"
        items = sorted(par.values.items())
        vz = "；".join(f"{k}起 {with_unit(v, par.unit)[0]}" for k, v in items)
        ve = "; ".join(f"{with_unit(v, par.unit)[1]} from {k}" for k, v in items)
        return f"参数 {par.label.zh}（`{name}`：{vz}）", f"parameter {par.label.en} (`{name}`: {ve})"

    def test(self, t: Test) -> tuple[str, str]:
        lz, le = self.label(t.indicator)
        sym, en_word = COMPARATORS[t.comparator].symbol, COMPARATORS[t.comparator].drafting[1]
        unit = self.unit_of(t.indicator)
        if isinstance(t.threshold, bool) and t.comparator in ("==", "!="):
            yes = t.threshold == (t.comparator == "==")
            return f"{lz}为“{'是' if yes else '否'}”", f"{le} is {'yes' if yes else 'no'}"
        if t.threshold is not None:
            oz, oe = with_unit(t.threshold, unit)
        elif t.parameter is not None:
            oz, oe = self.param(t.parameter)
        else:
            oz, oe = self.label(str(t.reference))
            oz, oe = f"参考值 {oz}", f"the reference value {oe}"
        return f"{lz} {sym} {oz}", f"{le} is {en_word} {oe}"

    def condition(self, condition: str | None, tests: list[Test] | None) -> tuple[str, str]:
        if condition is not None:
            return f"`{condition}` 成立", f"`{condition}` holds"
        parts = [self.test(t) for t in tests or []]
        return "，且".join(z for z, _ in parts), " and ".join(e for _, e in parts)
