"""The built-in scheme ``wuhan-2017``, registered as a plugin of its own: its rule file.

武汉市新一轮计划生育优质服务先进单位创建工作实施方案
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..hookspecs import hookimpl

HERE = Path(__file__).parent


@hookimpl
def fuac_rulesets() -> Iterable[Path]:
    return [HERE / "wuhan-2017.toml"]
