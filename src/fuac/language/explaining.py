"""An expression in the words of the values it read: "满意度 84% ≥ 85%", never its source text.

A reason that says ``未落实（satisfaction_rate >= 85）`` cannot be signed; one that says
"满意度 84% ≥ 85%" can. :func:`explain` writes an expression (a condition, a formula, a veto)
with each indicator's label and the unit's value in place of its name: comparisons with their
sides, ``and``/``or`` as 且/或, a yes/no indicator as 是/否, and anything else (arithmetic, a
function) with the values put in place of the names (``2 - 5``). It formats; it computes nothing.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .comparators import BY_NODE
from .words import fmt_number, with_unit

#: what a label is read from: ``zh`` and ``en`` (:class:`fuac.language.models.Text`)
Labels = Mapping[str, Any]


def plain(tree: ast.expr) -> bool:
    """Whether ``tree`` is one yes/no value (``has_doc``, ``not falsified``), which its label says whole."""
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.Not):
        tree = tree.operand
    return isinstance(tree, ast.Name)


def explain(tree: ast.expr, values: Mapping[str, Any], labels: Labels,
            units: Mapping[str, str | None], texts: Labels | None = None) -> tuple[str, str]:
    """``tree`` in words, Chinese and English, with the values read (a name without a value: its label;
    a text value or constant in ``texts``: its words there, as a grade's id is shown by its label)."""
    return _Words(values, labels, units, texts or {}).node(tree)


class _Words:
    def __init__(self, values: Mapping[str, Any], labels: Labels, units: Mapping[str, str | None],
                 texts: Labels) -> None:
        self.values, self.labels, self.units, self.texts = values, labels, units, texts

    def node(self, n: ast.expr) -> tuple[str, str]:
        if isinstance(n, ast.BoolOp):
            parts = [self.node(v) for v in n.values]
            zh_join, en_join = ("，且", " and ") if isinstance(n.op, ast.And) else ("，或", " or ")
            return zh_join.join(z for z, _ in parts), en_join.join(e for _, e in parts)
        if isinstance(n, ast.Compare):
            return self.compare(n)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not):
            zh, en = self.node(n.operand)
            if isinstance(n.operand, ast.Name):  # a yes/no value that must be no
                return f"{zh}（须为“否”）", f"{en} (must be no)"
            return f"非（{zh}）", f"not ({en})"
        if isinstance(n, ast.Name) and n.id in self.labels:
            return self.name(n.id)
        return self.substituted(n)

    def substituted(self, n: ast.expr) -> tuple[str, str]:
        """An expression with the values read in place of the names (``2 - late`` read as ``2 - 5``)."""
        return _put(n, self.values, ("是", "否")), _put(n, self.values, ("yes", "no"))

    def name(self, name: str) -> tuple[str, str]:
        lab = self.labels[name]
        if name not in self.values:
            return lab.zh, lab.en
        v = self.values[name]
        if isinstance(v, str) and v in self.texts:
            return f"{lab.zh}“{self.texts[v].zh}”", f"{lab.en} “{self.texts[v].en}”"
        vz, ve = with_unit(v, self.units.get(name))
        if isinstance(v, bool):
            return f"{lab.zh}为“{vz}”", f"{lab.en}: {ve}"
        return f"{lab.zh} {vz}", f"{lab.en} {ve}"

    def compare(self, n: ast.Compare) -> tuple[str, str]:
        sides = [n.left, *n.comparators]
        unit = next((self.units.get(s.id) for s in sides if isinstance(s, ast.Name) and s.id in self.labels), None)
        words = [self.operand(s, unit) for s in sides]
        zh, en = words[0]
        for op, (wz, we) in zip(n.ops, words[1:], strict=True):
            sym = BY_NODE[type(op)].symbol if type(op) in BY_NODE else ast.unparse(op)
            zh, en = f"{zh} {sym} {wz}", f"{en} {sym} {we}"
        return zh, en

    def operand(self, n: ast.expr, unit: str | None) -> tuple[str, str]:
        """One side of a comparison: an indicator with its value, a number with the other side's unit."""
        if isinstance(n, ast.Name) and n.id in self.labels:
            return self.name(n.id)
        if isinstance(n, ast.Constant) and not isinstance(n.value, str):
            return with_unit(n.value, unit)
        if isinstance(n, ast.Constant):
            text = str(n.value)
            if text in self.texts:
                return f"“{self.texts[text].zh}”", f"“{self.texts[text].en}”"
            return f"“{text}”", f"“{text}”"
        return self.substituted(n)



def _put(n: ast.expr, values: Mapping[str, Any], yes_no: tuple[str, str]) -> str:
    """``n`` as text with each name that has a value replaced by it."""

    class Put(ast.NodeTransformer):
        def visit_Constant(self, node: ast.Constant) -> Any:  # a number literal is an exact Decimal here
            if isinstance(node.value, Decimal):
                return ast.Name(id=fmt_number(node.value), ctx=ast.Load())
            return node

        def visit_Name(self, node: ast.Name) -> Any:
            if node.id not in values:
                return node
            v = values[node.id]
            if isinstance(v, bool):
                shown = yes_no[0] if v else yes_no[1]
            elif isinstance(v, str):
                shown = repr(v)
            else:
                shown = fmt_number(v)
            return ast.Name(id=shown, ctx=ast.Load())

    return ast.unparse(Put().visit(_copy(n)))


def _copy(n: ast.expr) -> ast.expr:
    """A copy of a tree to transform (the compiled one is shared)."""
    return copy.deepcopy(n)
