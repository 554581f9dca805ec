"""A rule package whose rule file is valid TOML but does not load (its totals do not add up).

Installed for the tests of tests/test_hostile_rules.py by putting tests/hostile/plugins on the path:
its entry point is in fuac_hostile_rules-0.1.dist-info/entry_points.txt."""

from __future__ import annotations

from pathlib import Path

import fuac

HERE = Path(__file__).parent


@fuac.hookimpl
def fuac_rulesets() -> list[Path]:
    return [HERE / "bad-totals.toml"]
