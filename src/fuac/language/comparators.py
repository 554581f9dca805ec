"""The comparators of a rule file, as reasons write them and as Python applies them."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

_CMP_WORDS: dict[str, tuple[str, str]] = {
    ">=": ("≥", "≥"),
    ">": (">", ">"),
    "<=": ("≤", "≤"),
    "<": ("<", "<"),
    "==": ("=", "="),
    "!=": ("≠", "≠"),
}

_CMP: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
