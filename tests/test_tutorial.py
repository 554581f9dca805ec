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
    }
    for name, body in blocks:
        assert body == (EXAMPLE / name).read_text(encoding="utf-8"), (
            f"docs/tutorial-rule-package.md shows an outdated {name}"
        )
