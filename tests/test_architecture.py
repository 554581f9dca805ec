"""The layers of docs/architecture.md: each imports only the layers below it (import-linter,
configured in pyproject's [tool.importlinter]), with no import cycle, function-level
imports included."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_each_layer_imports_only_the_layers_below_it() -> None:
    pytest.importorskip("importlinter")
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "lint-imports is not on the PATH"
    proc = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "1 kept, 0 broken" in proc.stdout


def test_the_documented_layers_are_the_checked_layers() -> None:
    """docs/architecture.md's table names, top to bottom, the modules of pyproject's layers contract."""
    import re

    import tomllib

    contract = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in contract["contracts"] if c["type"] == "layers"]
    checked = [sorted(part.strip() for part in layer.split("|")) for layer in layers if layer != "__main__"]
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = doc[doc.index("| layer (top to bottom)"):].split("\n\n")[0].splitlines()[2:]
    documented = [[re.sub(r"\.py$|/$", "", n) for n in re.findall(r"`([^`]+)`", row.split("|")[2])] for row in table]
    assert [sorted(set(d)) for d in documented] == [sorted(set(c)) for c in checked]


def test_every_kind_module_is_a_kind_or_a_helper_the_architecture_names() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    from fuac.kinds import BUILTIN_KINDS

    modules = {p.stem for p in (ROOT / "src" / "fuac" / "kinds").glob("*.py")} - {"__init__"}
    kind_modules = {k.__module__.rsplit(".", 1)[1] for k in BUILTIN_KINDS}
    helpers = modules - kind_modules
    assert {"base", "drafting", "recovery"} <= helpers <= {"base", "drafting", "recovery", "columns"}
    for h in helpers:
        assert f"`{h}`" in doc, h


def test_every_public_name_is_in_one_group_of_the_architecture_page() -> None:
    import re

    import fuac

    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = doc[doc.index("| for | names |"):].split("\n\n")[0].splitlines()[2:]
    grouped = [n for row in table for n in re.findall(r"`([^`]+)`", row.split("|")[2])]
    assert sorted(grouped) == sorted(fuac.__all__)
    assert len(grouped) == len(set(grouped))
