"""An opt-in pytest plugin: collect the ``*.test.toml`` cases of a rule package.

Turn it on with one line, in ``pyproject.toml``::

    [tool.pytest.ini_options]
    addopts = "-p fuac.testing"

(or ``pytest_plugins = ["fuac.testing"]`` in a ``conftest.py``). Each case of each
``*.test.toml`` file found by pytest becomes one test item, named after the case;
a failing case reports every difference between expected and actual results,
with the file and line of the case.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .cases.runner import CaseFile, read_case_file, run_case
from .errors import FuacError
from .language.toml import LineIndex
from .plan.loader import RuleSet


class CaseFailed(Exception):
    """A case's results differ from what it expects."""


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name.endswith(".test.toml"):
        return RuleCaseFile.from_parent(parent, path=file_path)
    return None


class RuleCaseFile(pytest.File):
    """A ``*.test.toml`` file: one item per case."""

    def collect(self) -> Iterator[pytest.Item]:
        try:
            rs, doc, lines = read_case_file(self.path)
        except FuacError as exc:
            raise self.CollectError(str(exc)) from exc
        for i, case in enumerate(doc.cases):
            yield RuleCase.from_parent(self, name=case.name, ruleset=rs, doc=doc, index=i, lines=lines)


class RuleCase(pytest.Item):
    """One case of a ``*.test.toml`` file."""

    def __init__(self, *, ruleset: RuleSet, doc: CaseFile, index: int, lines: LineIndex, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ruleset = ruleset
        self.doc = doc
        self.index = index
        self.lines = lines

    def runtest(self) -> None:
        result = run_case(self.ruleset, self.doc, self.index, str(self.path), self.lines)
        if not result.passed:
            raise CaseFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value.args[0])
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = self.lines.line_of(("cases", self.index))
        return self.path, (line - 1) if line else None, f"case: {self.name}"
