"""The built-in scheme ``liunan-2023``, registered as a plugin of its own: its rule file.

柳南区开展全国生育友好工作先进单位创建活动实施方案（附件：全国生育友好工作先进单位评选标准及评分细则）
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..hookspecs import hookimpl

HERE = Path(__file__).parent


@hookimpl
def fuac_rulesets() -> Iterable[Path]:
    return [HERE / "liunan-2023.toml"]
