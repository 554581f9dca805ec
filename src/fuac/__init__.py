"""fuac: score places against Chinese "advanced unit" evaluation schemes, declared as rule files.

>>> import fuac
>>> result = fuac.evaluate("liunan-2023", data)  # doctest: +SKIP
"""

from __future__ import annotations

# The package of built-in rule files is also named ``rulesets``. Import it before the
# function below is bound: importing a submodule for the first time sets it as an
# attribute of this package, which would replace the function ``fuac.rulesets``.
from . import rulesets as _builtin_rulesets  # noqa: F401  # isort: skip
import typing as _typing

from ._api import Applicable, compose, evaluate, input_schema, load, loads, rulesets, rulesets_for
from .decide.select import Pick, QuotaUse, Selection
from .decide.select import select as _select
from .errors import FuacError
from .explain import gaps as _gaps
from .explain.gaps import Gap, Gaps
from .hookspecs import hookimpl
from .kinds.base import Assessment, Entry, EntryError, Inputs, Outcome, Reason, Rule, RuleContext
from .language.expressions import Expression, compile_expression
from .language.models import Model, Text
from .plan.engine import Engine, get_engine, reset_engine
from .plan.loader import RuleSet
from .render import notebook as _notebook
from .render import report as _report
from .run import results as _results
from .run.results import ConditionResult, Evaluation, ItemResult, PartResult, Problem, SectionResult

if _typing.TYPE_CHECKING:
    from .run.batch.cohort import CohortTable
    from .run.batch.results import BatchResults
    from .run.batch.runner import cohort_table, evaluate_chunks, evaluate_many, evaluate_partition
    from .run.batch.sources import InputFile

# A result is data: what the layers above do with it is set here (see fuac.run.results.VIEWS).
_results.VIEWS.update(gaps=_gaps.gaps, html=_report.evaluation_fragment, pandas=_report.to_pandas, select=_select)
_results.VIEWS.update(_notebook.VIEWS)  # the other results' notebook displays ("html.batch", "html.gaps", …)

# The batch (numpy and the compiled backend) is imported on first use: ``import fuac`` stays light.
_LAZY = {
    "BatchResults": "fuac.run.batch.results",
    "CohortTable": "fuac.run.batch.cohort",
    "cohort_table": "fuac.run.batch.runner",
    "evaluate_chunks": "fuac.run.batch.runner",
    "evaluate_many": "fuac.run.batch.runner",
    "evaluate_partition": "fuac.run.batch.runner",
    "InputFile": "fuac.run.batch.sources",
}


def __getattr__(name: str) -> _typing.Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fuac' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"

__all__ = [
    "Applicable",
    "Assessment",
    "BatchResults",
    "CohortTable",
    "ConditionResult",
    "Engine",
    "Entry",
    "EntryError",
    "Evaluation",
    "Expression",
    "FuacError",
    "Gap",
    "Gaps",
    "InputFile",
    "Inputs",
    "ItemResult",
    "Model",
    "Outcome",
    "PartResult",
    "Pick",
    "Problem",
    "QuotaUse",
    "Reason",
    "Rule",
    "RuleContext",
    "RuleSet",
    "SectionResult",
    "Selection",
    "Text",
    "__version__",
    "cohort_table",
    "compile_expression",
    "compose",
    "evaluate",
    "evaluate_chunks",
    "evaluate_many",
    "evaluate_partition",
    "get_engine",
    "hookimpl",
    "input_schema",
    "load",
    "loads",
    "reset_engine",
    "rulesets",
    "rulesets_for",
]

