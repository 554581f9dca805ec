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
from .decide.select import Pick, QuotaUse, Selection
from .errors import FuacError

# A result is data; what the layers above do with it is set here (see fuac.run.results.VIEWS).
from .explain import gaps as _gaps
from .hookspecs import hookimpl
from .kinds.base import Assessment, Inputs, Outcome, Reason, Rule, RuleContext
from .language.expressions import Expression, compile_expression
from .language.models import Model, Text
from .plan.engine import Engine, get_engine, reset_engine
from .plan.loader import RuleSet
from .render import report as _report
from .run.batch import BatchResults, evaluate_chunks, evaluate_many, evaluate_partition
from .run.cohort import CohortTable, cohort_table
from .run.results import ConditionResult, Evaluation, ItemResult, PartResult, Problem, SectionResult

from .run import results as _results  # isort: skip
from .decide.select import select as _select  # isort: skip

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

