"""What a batch returns: :class:`BatchResults`, one row per unit, columns of exact values."""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial
from typing import Any, Protocol

import numpy as np

from ...language.cells import from_text
from ...language.expressions import DECIMAL_CONTEXT
from ...language.statuses import STATUSES
from ...plan.loader import Plan, RuleSet
from ..evaluate import _check_assessments, evaluate_plan
from ..inputs import check_value, read_assessments, validate
from ..results import Evaluation, Problem, share, view
from ..vector import Program, from_scaled, null_of
from .cohort import supplied
from .columns import Chunk, Layout, _obj, split_record


class Run(Protocol):
    """What a batch's results read of the run that made them (a :class:`~.runner.Runner`)."""

    ruleset: RuleSet
    plan: Plan
    on: dt.date
    context: dict[str, Any]
    assessor: str | None
    program: Program
    S: int

    def field_order(self, name: str) -> tuple[int, str]: ...


# ---------------------------------------------------------------------------
# results


def row_status(ev: Evaluation, n_plan_vetoes: int | None = None) -> str:
    """One status for a unit: ``invalid_input`` (a value or an assessor's entry is rejected, or a
    rule cannot be computed), ``missing_input`` (an item or a condition lacks a value),
    ``awaiting_assessor``, or ``scored``."""
    if any(p.severity == "error" and p.code != "missing" for p in ev.problems):
        return "invalid_input"
    item_ids = {i.id for i in ev.items if i.is_veto}
    conds = list(ev.eligibility) + [v for v in ev.vetoes if v.id not in item_ids][: n_plan_vetoes]
    sts = {i.status for i in ev.items}
    if "invalid_input" in sts or any(c.holds is None and not c.missing for c in conds):
        return "invalid_input"
    if "missing_input" in sts or any(c.holds is None for c in conds):
        return "missing_input"
    if "awaiting_assessor" in sts:
        return "awaiting_assessor"
    return "scored"


class BatchResults:
    """The results of :func:`evaluate_many`: one row per input record, in input order.

    Columns (``columns``, ``column(name)``, ``to_pandas()``, ``to_polars()``):
    the context columns; ``status``; ``total`` (rounded to the scheme's precision) and
    ``total_exact``; ``eligible``; ``vetoed``; ``grade``; ``complete``; ``met``, ``counted``
    and ``completion``; ``section.<id>``; ``item.<id>`` (points), ``item.<id>.status``,
    ``item.<id>.met``; ``eligibility.<id>`` and ``veto.<id>`` (True, False or None: cannot
    tell); ``errors`` (``field: code; …``), ``errors_zh`` and ``errors_en`` (the same problems in
    words, as :meth:`problems` gives them); and, for reference values computed over a cohort,
    ``cohort.<indicator>``, ``cohort.<indicator>.region`` and ``cohort.<indicator>.size``.
    """

    def __init__(self, runner: Run, n: int, arrays: dict[str, np.ndarray], context: dict[str, np.ndarray],
                 errors: dict[int, list[tuple[str, str]]], overrides: dict[int, Evaluation],
                 chunks: list[Chunk], layouts: list[Layout], backend: str, report: dict[str, Any],
                 cohort: dict[str, Any] | None = None, elapsed: float = 0.0) -> None:
        self._runner = runner
        self.ruleset = runner.ruleset
        self.plan = runner.plan
        self.tier = runner.plan.tier
        self.on = runner.on
        self.n = n
        self._a = arrays
        self._context = context
        self._errors = errors
        #: the problems of the rows with errors, as :meth:`problems` gives them (computed when first asked)
        self._problems: dict[int, list[Problem]] = {}
        self._overrides = overrides
        self._chunks = chunks
        self._offsets = [c.offset for c in chunks]
        self._layouts = layouts
        self.backend = backend
        #: how the batch was computed: backend, compiled rules, rules and rows left to the single-unit path
        self.backend_report = report
        self._cohort = cohort or {}
        self.elapsed = elapsed
        #: the index of the first row in the whole input (``evaluate_chunks`` gives one result per chunk)
        self.offset = 0
        self._S = runner.S

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        tier = f" tier={self.tier}" if self.tier else ""
        return f"<BatchResults {self.ruleset.id}{tier}: {self.n} rows, {self.backend}>"

    def _repr_html_(self) -> str:
        """Jupyter's view: counts by status, grade and pass mark, each section over the batch, the first rows."""
        return view("html.batch")(self)

    # -- records and evaluations
    def _chunk(self, i: int) -> tuple[Chunk, Layout, int]:
        if not 0 <= i < self.n:
            raise IndexError(f"row {i} out of range (0..{self.n - 1})")
        k = bisect_right(self._offsets, i) - 1
        c = self._chunks[k]
        return c, self._layouts[k], i - c.offset

    def record(self, i: int) -> dict[str, Any]:
        """Row ``i`` as :func:`fuac.evaluate` takes it: ``{"data", "context", "assessments"}``."""
        c, lay, j = self._chunk(i)
        data, context, assessments = split_record(c.record(j), lay, self._runner.context)
        for ref, info in self._cohort.items():
            value = info["values"][i]
            if value is not None and not supplied(data.get(ref)):
                data[ref] = {"value": value, "source": info["sources"][i]}
        return {"data": data, "context": context, "assessments": assessments}

    def evaluation(self, i: int) -> Evaluation:
        """Row ``i``'s full evaluation, with its explanation: what :func:`fuac.evaluate` gives for
        :meth:`record` ``(i)``."""
        if i < 0:
            i += self.n
        hit = self._overrides.get(i)
        if hit is not None:
            return hit
        rec = self.record(i)
        return evaluate_plan(self.ruleset, self.plan, rec["data"], on=self.on, context=rec["context"],
                             assessments=rec["assessments"], assessor=self._runner.assessor)

    def problems(self, i: int) -> list[Problem]:
        """Row ``i``'s rejected values and entries, in the rule set's order of fields (``[]`` for a row
        without): the errors other than a missing value of :meth:`evaluation` ``(i)``'s ``problems``,
        each with its field, code, message in both languages and value (which rules needed the
        field, ``evaluation(i)`` says). Worked out once, when first asked, and only for a row with
        errors: its record validated as :func:`fuac.evaluate` validates it, or, when that names other
        problems than the batch found, evaluated."""
        if not -self.n <= i < self.n:
            raise IndexError(f"row {i} out of range (0..{self.n - 1})")
        if i < 0:
            i += self.n
        errs = self._errors.get(i)
        if not errs:
            return []
        found = self._problems.get(i)
        if found is None:
            found = self._validated(i, {f for f, _ in errs})
            if sorted((p.field, p.code) for p in found) != sorted(errs):
                found = [replace(p, rules=[]) for p in self.evaluation(i).problems
                         if p.severity == "error" and p.code != "missing"]
            found.sort(key=lambda p: self._runner.field_order(p.field))
            self._problems[i] = found
        return found

    def _validated(self, i: int, fields: set[str]) -> list[Problem]:
        """The errors that validating ``fields`` of row ``i``'s record finds: what :func:`fuac.evaluate`
        does first (``validate``, ``read_assessments``, ``_check_assessments``, each field on its own),
        without scoring."""
        rec = self.record(i)
        data = {k: v for k, v in rec["data"].items() if k in fields}
        problems = validate(self.ruleset.doc.indicators, data)[2]
        entries = {k: v for k, v in rec["assessments"].items() if f"assessments.{k}" in fields}
        entries, a_problems = read_assessments(entries, self._runner.assessor)
        problems += a_problems
        _check_assessments(self.plan, entries, problems)
        return [p for p in problems if p.severity == "error" and p.code != "missing"]

    def _messages(self, zh: bool) -> np.ndarray:
        """``errors_zh`` or ``errors_en``: each row's problems as ``field: message``, joined."""
        out = np.full(self.n, None, dtype=object)
        sep = "；" if zh else "; "
        for i, errs in self._errors.items():
            found = self.problems(i)
            if found:
                out[i] = sep.join(f"{p.field}: {p.message_zh if zh else p.message}" for p in found)
            else:  # the evaluation names none (it would be a bug): the codes, as in errors, rather than nothing
                out[i] = "; ".join(f"{f}: {c}" for f, c in errs)
        return out

    # -- columns
    @property
    def columns(self) -> list[str]:
        out = list(self._context)
        out += ["status", "total", "total_exact", "eligible", "vetoed", "grade", "passed", "complete", "met",
                "counted", "completion"]
        if self._weighted is not None:
            out.append("weighted_completion")
        out += [f"section.{s.id}" for s in self.plan.sections]
        for it in self._runner.program.items:
            out += [f"item.{it.id}", f"item.{it.id}.status", f"item.{it.id}.met"]
        for c in self._runner.program.conds:
            out.append(f"{'eligibility' if c.group == 'eligibility' else 'veto'}.{c.id}")
        out += ["errors", "errors_zh", "errors_en"]
        for ref in self._cohort:
            out += [f"cohort.{ref}", f"cohort.{ref}.region", f"cohort.{ref}.size"]
        return out

    def _points(self, raw: np.ndarray, exact: bool, precision: Decimal | None = None,
                getter: Callable[[Evaluation], Decimal | None] | None = None) -> np.ndarray:
        S = self._S
        if exact:
            null = null_of(raw)
            out = _obj([None if v == null else from_scaled(int(v), S) for v in raw.tolist()])
            if precision is not None:
                from ...language.expressions import quantize

                out = _obj([None if v is None else quantize(v, precision) for v in out])
        else:
            if precision is not None:
                dp = _dec_places(precision)
                q = 10 ** (S - dp) if S > dp else 1
                h = q // 2
                raw64 = raw.astype(np.int64)
                r = (np.abs(raw64) + h) // q if q > 1 else np.abs(raw64)
                vals = np.where(raw64 < 0, -r, r).astype(np.float64) / (10.0 ** min(dp, S))
            else:
                vals = raw.astype(np.float64) / (10.0**S)
            out = np.where(raw == null_of(raw), np.nan, vals)
        if self._overrides and getter is not None:
            from ...language.expressions import quantize

            for i, ev in self._overrides.items():
                v = getter(ev)
                if v is not None and precision is not None:
                    v = quantize(v, precision)
                if exact:
                    out[i] = v
                else:
                    out[i] = np.nan if v is None else float(v)
        return out

    def column(self, name: str, *, exact: bool = False) -> np.ndarray:
        """One column as a numpy array. Points are floats (NaN: none) or, with ``exact``, Decimals."""
        a = self._a
        prog = self._runner.program
        prec = self.ruleset.meta.precision
        if name in self._context:
            return self._context[name]
        if name == "status":
            return np.array(STATUSES, dtype=object)[a["row_status"]]
        if name == "total":
            return self._points(a["total"], exact, prec, lambda ev: ev.total)
        if name == "total_exact":
            return self._points(a["total"], exact, None, lambda ev: ev.total)
        if name in ("eligible", "passed"):
            return _tristate(a[name])
        if name == "vetoed":
            return a["vetoed"]
        if name == "complete":
            return a["complete"]
        if name == "grade":
            grades = [g.id for g in self.ruleset.doc.grades] + [None]
            return np.array(grades, dtype=object)[a["grade"]]
        if name == "met":
            return a["met_count"]
        if name == "counted":
            return np.full(self.n, len([it for it in prog.items if it.counts]), np.int32)
        if name == "completion":
            counted = len([it for it in prog.items if it.counts])
            if exact:
                return _obj([share(int(m), counted) for m in a["met_count"].tolist()])
            return a["met_count"] / counted if counted else np.full(self.n, np.nan)
        if name == "weighted_completion" and self._weighted is not None:
            return self._weighted_share(exact)
        if name == "errors":
            out = np.full(self.n, None, dtype=object)
            for i, errs in self._errors.items():
                out[i] = "; ".join(f"{f}: {c}" for f, c in errs)
            return out
        if name in ("errors_zh", "errors_en"):
            return self._messages(name == "errors_zh")
        found = self._prefixed(name, exact)
        if found is not None:
            return found
        raise KeyError(f"no column {name!r}; columns: {', '.join(self.columns)}")

    @property
    def _weighted(self) -> list[tuple[int, Decimal]] | None:
        """The items a weighted completion counts, with their weights (``Evaluation.weighted_completion``):
        each item's position and weight (1 where it has none); None when the rule set gives no weights."""
        secs = self.plan.sections
        checklist = {s.id for s in secs if s.scoring == "checklist"}
        items = [(j, it) for j, it in enumerate(self._runner.program.items)
                 if it.counts and (not checklist or it.section in checklist)]
        if not any(it.weight is not None for _, it in items):
            return None
        return [(j, it.weight if it.weight is not None else Decimal(1)) for j, it in items]

    def _weighted_share(self, exact: bool) -> np.ndarray:
        """Each row's weighted share met: exact decimals, or floats."""
        weighted = self._weighted
        assert weighted is not None
        met = self._a["met"]
        whole = sum((w for _, w in weighted), Decimal(0))
        if exact:
            rows = [sum((w for j, w in weighted if met[j][i] == 1), Decimal(0)) for i in range(self.n)]
            return _obj([DECIMAL_CONTEXT.divide(r, whole) for r in rows])
        got = sum(((met[j] == 1) * float(w) for j, w in weighted), np.zeros(self.n))
        return got / float(whole)

    def _prefixed(self, name: str, exact: bool) -> np.ndarray | None:
        """A column of one section, item, condition or cohort value (``section.A``, ``item.3.status`` …)."""
        a = self._a
        prog = self._runner.program
        prec = self.ruleset.meta.precision
        if name.startswith("section."):
            sid = name[len("section."):]
            for k, s in enumerate(self.plan.sections):
                if s.id == sid:
                    return self._points(a["sec"][k], exact, prec, partial(_section_points, sid=sid))
        if name.startswith("item."):
            rest = name[len("item."):]
            for suffix in ("", ".status", ".met"):
                iid = rest[: len(rest) - len(suffix)] if suffix else rest
                if suffix and not rest.endswith(suffix):
                    continue
                j = prog.item_index.get(iid)
                if j is None:
                    continue
                if suffix == "":
                    return self._points(a["pts"][j], exact, None, partial(_item_points, iid=iid))
                if suffix == ".status":
                    return np.array(STATUSES, dtype=object)[a["status"][j]]
                return _tristate(a["met"][j])
        if name.startswith(("veto.", "eligibility.")):
            group, cid = name.split(".", 1)
            for k, c in enumerate(prog.conds):
                if c.id == cid and (c.group == "eligibility") == (group == "eligibility"):
                    return _tristate(a["cond"][k])
        if name.startswith("cohort."):
            rest = name[len("cohort."):]
            for ref, info in self._cohort.items():
                if rest == ref:
                    return info["values"] if exact else np.array(
                        [np.nan if v is None else float(v) for v in info["values"].tolist()])
                if rest == f"{ref}.region":
                    return info["regions"]
                if rest == f"{ref}.size":
                    return info["sizes"]
        return None

    def indicator(self, name: str) -> list[Any]:
        """An indicator's valid value in every row (Decimal, bool or text; None where missing or invalid)."""
        ind = self.ruleset.doc.indicators.get(name)
        if ind is None:
            raise KeyError(f"{name!r} is not an indicator of {self.ruleset.id}")
        out: list[Any] = []
        for k, ch in enumerate(self._chunks):
            data_rows = (split_record(ch.record(i), self._layouts[k], {})[0] for i in range(ch.n))
            for data in data_rows:
                raw = data.get(name)
                if isinstance(raw, Mapping) and ind.reference:
                    raw = raw.get("value")
                if isinstance(raw, str):
                    raw = from_text(raw, ind)  # a text cell (a CSV file's) read as evaluate reads it
                if raw is None:
                    out.append(None)
                    continue
                value, problem = check_value(name, ind, raw)
                out.append(None if problem is not None else value)
        if name in self._cohort:
            info = self._cohort[name]["values"]
            out = [info[i] if v is None else v for i, v in enumerate(out)]
        return out

    def __getitem__(self, name: str) -> np.ndarray:
        return self.column(name)

    def to_dicts(self, *, exact: bool = False) -> list[dict[str, Any]]:
        cols = {c: self.column(c, exact=exact) for c in self.columns}
        return [{c: _plain(v[i]) for c, v in cols.items()} for i in range(self.n)]

    def section_labels(self) -> dict[str, dict[str, Any]]:
        """What each ``section.<id>`` column is: ``{column: {"number", "title_zh", "title_en", "max"}}``,
        in the order of the columns (``max``: the section's maximum for the batch's tier, a Decimal, or
        None). ``to_pandas()`` puts the same mapping in ``df.attrs["fuac_sections"]``."""
        return {f"section.{s.id}": {"number": s.number, "title_zh": s.title.zh, "title_en": s.title.en,
                                    "max": s.max} for s in self.plan.sections}

    def to_pandas(self, *, exact: bool = False) -> Any:
        """A pandas DataFrame of every column (points as floats; Decimals with ``exact=True``).
        ``df.attrs["fuac_sections"]`` holds :meth:`section_labels` (titles and maxima of the section columns)."""
        import pandas as pd

        data = {}
        for c in self.columns:
            v = self.column(c, exact=exact)
            if c.endswith(".met") or c.startswith(("veto.", "eligibility.")) or c in ("eligible", "passed"):
                v = pd.array(v.tolist(), dtype="boolean")
            data[c] = v
        df = pd.DataFrame(data)
        df.attrs["fuac_sections"] = self.section_labels()
        return df

    def to_polars(self, *, exact: bool = False) -> Any:
        """A polars DataFrame of every column."""
        import polars as pl

        data = {}
        for c in self.columns:
            v = self.column(c, exact=exact)
            data[c] = pl.Series(c, v.tolist() if v.dtype == object else v, strict=False)
        return pl.DataFrame(data)

    def status_counts(self) -> dict[str, int]:
        codes, counts = np.unique(self._a["row_status"], return_counts=True)
        return {STATUSES[int(c)]: int(k) for c, k in zip(codes, counts, strict=False)}

    # -- ranking
    def select(self, **kwargs: Any) -> Any:
        """Rank the units and apply the rule set's quotas: see :class:`fuac.Selection`."""
        return view("select")(self, **kwargs)


# ---------------------------------------------------------------------------
# what went wrong, counted


@dataclass
class ProblemCount:
    """One kind of problem over a batch: a field and a problem code (or a rule that could not be
    computed from the inputs: ``item.<id>``, ``eligibility.<id>`` or ``veto.<id>`` with code
    ``invalid_input``), in how many rows, and the first such row's problem as an example; ``first``
    is that row's number in the whole batch, from 1 (the first record read is record 1)."""

    field: str
    code: str
    rows: int
    example: Problem
    first: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "rows": self.rows, "first_record": self.first,
                "example": {"zh": self.example.message_zh, "en": self.example.message}}


class ProblemTally:
    """What made a batch's rows ``invalid_input``, counted by field and problem code, over one
    :class:`BatchResults` or the chunks of a batch added one by one (``fuac batch`` and ``fuac rank``
    print the most common). Only the first row of each kind is evaluated for its words."""

    def __init__(self) -> None:
        #: by (field, code), in the order first seen
        self.counts: dict[tuple[str, str], ProblemCount] = {}
        #: rows whose status is ``invalid_input``
        self.rows = 0

    def add(self, res: BatchResults) -> None:
        """Count the rows of ``res`` (one batch, or one chunk) with invalid input."""
        invalid_code = STATUSES.index("invalid_input")
        invalid = np.flatnonzero(res._a["row_status"] == invalid_code).tolist()
        self.rows += len(invalid)
        if not invalid:
            return
        items = res._runner.program.items
        status = res._a["status"]
        for i in invalid:
            errs = res._errors.get(i)
            if errs:
                keys = errs
            else:  # no value rejected: a rule or a condition could not be computed from the inputs
                failed = np.flatnonzero(status[:, i] == invalid_code).tolist() if len(items) else []
                keys = [(f"item.{items[j].id}", "invalid_input") for j in failed]
                if not keys:
                    keys = [(p.field, p.code) for p in why_invalid(res, i)]
            for key in keys:
                hit = self.counts.get(key)
                if hit is not None:
                    hit.rows += 1
                    continue
                found = [p for p in why_invalid(res, i) if (p.field, p.code) == key]
                example = found[0] if found else Problem(key[0], key[1], key[1], key[1])
                self.counts[key] = ProblemCount(key[0], key[1], 1, example, res.offset + i + 1)

    def most_common(self, n: int | None = None) -> list[ProblemCount]:
        """The kinds of problem, the most rows first (in the order first seen between equals)."""
        return sorted(self.counts.values(), key=lambda c: -c.rows)[:n]


def why_invalid(res: BatchResults, i: int) -> list[Problem]:
    """Why row ``i`` of ``res`` is ``invalid_input``: its rejected values and entries
    (:meth:`BatchResults.problems`), or, when it has none, the rules and conditions that could not be
    computed from its inputs (``item.<id>``, ``eligibility.<id>`` or ``veto.<id>``, code
    ``invalid_input``, the rule's reason as the message); ``[]`` for a row that is not."""
    found = res.problems(i)
    if found or res._a["row_status"][i] != STATUSES.index("invalid_input"):
        return found
    return _failures(res.evaluation(i), res.plan)


def _failures(ev: Evaluation, plan: Plan) -> list[Problem]:
    """The rules and conditions of an evaluation that could not be computed from its inputs, as problems."""
    out = [Problem(f"item.{it.id}", "invalid_input", it.reason_en, it.reason_zh)
           for it in ev.items if it.status == "invalid_input"]
    item_ids = {it.id for it in ev.items if it.is_veto}
    conds = [("eligibility", c) for c in ev.eligibility]
    conds += [("veto", c) for c in ev.vetoes if c.id not in item_ids][: len(plan.vetoes)]
    out += [Problem(f"{group}.{c.id}", "invalid_input", c.reason_en, c.reason_zh)
            for group, c in conds if c.holds is None and not c.missing]
    return out


def _section_points(ev: Evaluation, sid: str) -> Decimal | None:
    return ev.section(sid).points


def _item_points(ev: Evaluation, iid: str) -> Decimal | None:
    return ev.item(iid).points


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _tristate(a: np.ndarray) -> np.ndarray:
    return np.array([False, True, None], dtype=object)[np.where(a < 0, 2, a)]


def _dec_places(p: Decimal) -> int:
    exp = p.normalize().as_tuple().exponent
    assert isinstance(exp, int)
    return max(0, -exp)
