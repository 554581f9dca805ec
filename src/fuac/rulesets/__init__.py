"""The built-in schemes: one TOML file each, registered exactly like a third-party package's."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..hookspecs import hookimpl

HERE = Path(__file__).parent


@hookimpl
def fuac_rulesets() -> Iterable[Path]:
    return sorted(p for p in HERE.glob("*.toml") if not p.name.endswith(".test.toml"))
