"""The rule kinds: how one item (or one part of an item) of a points table is scored.

The contract every kind follows is :class:`fuac.kinds.base.Rule`; each built-in kind is
a module of this package. They are registered through the ``fuac_rule_kinds`` hook
(by ``fuac._builtins``) exactly like a plugin's kinds.
"""

from __future__ import annotations

from .all_or_nothing import AllOrNothing, Threshold, VersusReference
from .bands import Bands
from .base import Rule
from .choice_points import ChoicePoints
from .deduction import Deduction
from .discretionary import Discretionary
from .formula import Formula
from .proportional import Proportional
from .requirement import Requirement
from .shortfall import Shortfall
from .target import Target
from .veto import VetoRule

#: The built-in rule kinds, registered through the ``fuac_rule_kinds`` hook.
BUILTIN_KINDS: tuple[type[Rule], ...] = (
    AllOrNothing,
    Threshold,
    VersusReference,
    Deduction,
    Shortfall,
    Discretionary,
    VetoRule,
    Formula,
    Bands,
    Requirement,
    Target,
    ChoicePoints,
    Proportional,
)

__all__ = [
    "BUILTIN_KINDS",
    "AllOrNothing",
    "Bands",
    "ChoicePoints",
    "Deduction",
    "Discretionary",
    "Formula",
    "Proportional",
    "Requirement",
    "Shortfall",
    "Target",
    "Threshold",
    "VersusReference",
    "VetoRule",
]
