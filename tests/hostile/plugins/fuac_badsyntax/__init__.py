"""A rule package whose rule file is not TOML: not even its id can be read.

Installed for the tests of tests/test_hostile_rules.py by putting tests/hostile/plugins on the path:
its entry point is in fuac_hostile_rules-0.1.dist-info/entry_points.txt."""

from __future__ import annotations

from pathlib import Path

import fuac

HERE = Path(__file__).parent


@fuac.hookimpl
def fuac_rulesets() -> list[Path]:
    return [HERE / "bad-syntax.toml"]
