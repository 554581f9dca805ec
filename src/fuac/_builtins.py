"""The built-in rule kinds and expression functions, registered as an ordinary plugin."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .hookspecs import hookimpl
from .kinds import BUILTIN_KINDS
from .kinds.base import Rule
from .language.functions import BUILTIN_FUNCTIONS


@hookimpl
def fuac_rule_kinds() -> Iterable[type[Rule]]:
    return BUILTIN_KINDS


@hookimpl
def fuac_functions() -> Mapping[str, Callable[..., Any]]:
    return BUILTIN_FUNCTIONS
