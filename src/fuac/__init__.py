"""fuac: score places against Chinese "advanced unit" evaluation schemes, declared as rule files.

>>> import fuac
>>> result = fuac.evaluate("liunan-2023", data)  # doctest: +SKIP
"""

from __future__ import annotations

# The package of built-in rule files is also named ``rulesets``. Import it before the
# function below is bound: importing a submodule for the first time sets it as an
# attribute of this package, which would replace the function ``fuac.rulesets``.
from . import rulesets as _builtin_rulesets  # noqa: F401  # isort: skip
from ._api import Applicable, compose, evaluate, input_schema, load, loads, rulesets, rulesets_for
from ._batch import BatchResults, evaluate_chunks, evaluate_many, evaluate_partition
from ._cohort import CohortTable, cohort_table
from ._engine import Engine, get_engine, reset_engine
from ._expressions import Expression, compile_expression
from ._kinds import Assessment, Inputs, Outcome, Reason, Rule, RuleContext
from ._loader import RuleSet
from ._models import Model, Text
from ._results import ConditionResult, Evaluation, ItemResult, PartResult, Problem, SectionResult
from ._select import Pick, QuotaUse, Selection
from .errors import FuacError
from .hookspecs import hookimpl

# A result is data; what the layers above do with it is set here (see fuac._results.VIEWS).
from . import _gaps, _report, _results  # isort: skip
from ._select import select as _select  # isort: skip

_results.VIEWS.update(gaps=_gaps.gaps, html=_report.evaluation_fragment, pandas=_report.to_pandas, select=_select)

__version__ = "0.1.0"

__all__ = [
    "Applicable",
    "Assessment",
    "BatchResults",
    "CohortTable",
    "ConditionResult",
    "Engine",
    "Evaluation",
    "Expression",
    "FuacError",
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

