"""The tutorial shows the example package's files in full: they must not drift apart."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial-rule-package.md"
EXAMPLE = ROOT / "examples" / "fuac-liunan-local"


def test_every_file_shown_in_the_tutorial_is_the_example_file() -> None:
    text = TUTORIAL.read_text(encoding="utf-8")
    blocks = re.findall(r'```\w+ title="([^"]+)"\n(.*?)```\n', text, flags=re.S)
    shown = {name for name, _ in blocks}
    assert shown == {
        "pyproject.toml",
        "src/fuac_liunan_local/liunan-local-2024.toml",
        "src/fuac_liunan_local/__init__.py",
        "src/fuac_liunan_local/liunan-local-2024.test.toml",
        "examples/village-2024/village-2024.toml",
        "examples/village-2024/village-2024.test.toml",
    }
    for name, body in blocks:
        path = ROOT / name if name.startswith("examples/") else EXAMPLE / name
        assert body == path.read_text(encoding="utf-8"), f"docs/tutorial-rule-package.md shows an outdated {name}"


def test_part_two_a_table_in_toml_only_passes_its_hand_computed_cases() -> None:
    # the village table of part two: no package, no Python; every case worked out by hand passes, and
    # the gaps advice the tutorial quotes is what fuac gives
    import datetime as dt
    from decimal import Decimal

    import fuac
    from fuac.cases.runner import run_file

    results = run_file(ROOT / "examples" / "village-2024" / "village-2024.test.toml")
    assert len(results) == 6 and all(r.passed for r in results), [r for r in results if not r.passed]
    rs = fuac.load(ROOT / "examples" / "village-2024" / "village-2024.toml")
    unit = {"households_visited": 171, "households_due": 200, "births_reported_late": 0,
            "births_unregistered": 0, "governance": "自治示范村", "data_falsified": False}
    ev = fuac.evaluate(rs, unit, on=dt.date(2024, 6, 1))
    assert ev.item("1").points == Decimal("2.7")
    (g,) = ev.gaps(rs).changes
    assert (g.action_zh, g.recoverable) == ("已随访户数 171户 → 190户（增加19户）", Decimal("0.3"))
    assert ev.item("1").reason_zh in TUTORIAL.read_text(encoding="utf-8")
