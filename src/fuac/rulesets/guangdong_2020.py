"""The built-in scheme ``guangdong-2020``, registered as a plugin of its own: its rule file.

广东省开展全国计划生育优质服务先进单位创建活动实施方案
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..hookspecs import hookimpl

HERE = Path(__file__).parent


@hookimpl
def fuac_rulesets() -> Iterable[Path]:
    return [HERE / "guangdong-2020.toml"]
