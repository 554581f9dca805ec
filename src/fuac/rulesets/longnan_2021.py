"""The built-in scheme ``longnan-2021``, registered as a plugin of its own: its rule file.

龙南市2021年人口监测与家庭发展工作要点
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..hookspecs import hookimpl

HERE = Path(__file__).parent


@hookimpl
def fuac_rulesets() -> Iterable[Path]:
    return [HERE / "longnan-2021.toml"]
