"""The runner (one rule set, one tier, one date) and the public functions that score a batch."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from ...errors import EvaluationError, InputError
from ...language.models import Indicator
from ...language.statuses import STATUSES
from ...plan.engine import get_engine
from ...plan.loader import Plan, RuleSet
from ..evaluate import _check_assessments, evaluate_plan, evaluation_date
from ..inputs import check_value, read_assessments
from ..results import Evaluation
from ..vector import AssessCol, Col, Env, Out, Program, Unvectorizable, to_scaled
from .cohort import CohortTable, supplied
from .columns import (
    _P,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CONTEXT_COLUMNS,
    PROBLEM_CODES,
    Checked,
    Chunk,
    Layout,
    RawCol,
    _obj,
    check_column,
    exact_values,
    layout_of,
    split_record,
)
from .results import BatchResults, row_status
from .sources import ColumnsSource, PandasSource, Source, open_source

BACKENDS = ("auto", "vector", "python")


# ---------------------------------------------------------------------------
# the runner: one rule set, one tier, one date


@dataclass
class ChunkScore:
    """What scoring one chunk gives (row numbers local to the chunk, unless ``chunk.offset`` is 0)."""

    chunk: Chunk
    out: Out
    context: dict[str, np.ndarray]
    errors: dict[int, list[tuple[str, str]]]
    overrides: dict[int, Evaluation]
    layout: Layout
    single_rows: int
    runtime_fallbacks: dict[str, str]
    #: rules computed row by row for values beyond fixed point, and on how many rows
    exact_rows: dict[str, int] = field(default_factory=dict)
    cohort: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


#: compiled programs, by rule set, tier, date and input scale (a rule set is immutable once loaded)
_PROGRAMS: weakref.WeakKeyDictionary[RuleSet, dict[tuple[Any, ...], Program]] = weakref.WeakKeyDictionary()
_PROGRAMS_LOCK = threading.Lock()


def _program(ruleset: RuleSet, plan: Plan, on: dt.date, params: Mapping[str, Any]) -> Program:
    key = (plan.tier, on)
    with _PROGRAMS_LOCK:
        cache = _PROGRAMS.setdefault(ruleset, {})
        prog = cache.get(key)
        if prog is None or prog.plan is not plan:
            prog = cache[key] = Program(ruleset, plan, params)
        return prog


ARRAYS = ("pts", "status", "met", "sec", "total", "cond", "eligible", "vetoed", "grade", "complete", "met_count",
          "row_status", "passed")


class Runner:
    """Scores chunks of one rule set's plan on one date, by either backend."""

    def __init__(self, ruleset: RuleSet, plan: Plan, *, on: dt.date, context: Mapping[str, Any] | None,
                 assessments: Any, assessor: str | None, backend: str, context_columns: Sequence[str]) -> None:
        self.ruleset = ruleset
        self.plan = plan
        self.on = on
        self.context = dict(context or {})
        self.assessments = assessments
        self.assessor = assessor
        self.context_columns = tuple(context_columns)
        self.params = ruleset.parameters_on(on)
        self.program = _program(ruleset, plan, on, self.params)
        self.S = self.program.S or 0
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        self.backend = "python" if backend == "python" else "vector"
        self.assessable = {key: rule for it in plan.items.values() for key, rule in it.rules if rule.assessable}
        order = [*ruleset.doc.indicators, *(f"assessments.{k}" for it in plan.items.values() for k, _ in it.rules)]
        self._field_rank = {name: k for k, name in enumerate(order)}

    def field_order(self, name: str) -> tuple[int, str]:
        """Errors are listed in the rule set's order: indicators, then assessors' entries by item."""
        return (self._field_rank.get(name, len(self._field_rank)), name)

    # -- one chunk
    def layout(self, chunk: Chunk) -> Layout:
        return layout_of(chunk.cols, self.ruleset, self.context_columns)

    def score(self, chunk: Chunk, cohort_cols: Mapping[str, Any] | None = None,
              into: tuple[Mapping[str, np.ndarray], int] | None = None) -> ChunkScore:
        """Score one chunk (into ``into``, a slice of preallocated result arrays, when given)."""
        n = chunk.n
        lay = self.layout(chunk)
        self._assessment_rows(chunk)
        chunk.cohort = dict(cohort_cols or {})  # type: ignore[attr-defined]
        try:
            return self._score(chunk, lay, n, into)
        except EvaluationError as exc:  # a kind's bug: name the record it failed on
            row = getattr(exc, "row", None)
            if row is None:
                raise
            raise EvaluationError(f"record {chunk.offset + row}: {exc}") from exc.__cause__

    def _score(self, chunk: Chunk, lay: Layout, n: int, into: Any) -> ChunkScore:
        prog = self.program
        errors: dict[int, list[tuple[str, str]]] = {}
        overrides: dict[int, Evaluation] = {}
        if self.backend == "python":
            out = prog.new_out(n, into)
            for i in range(n):
                self._single(chunk, lay, i, out, errors, overrides)
            return ChunkScore(chunk, out, self._context_cols(chunk, lay), errors, overrides, lay, n, {})
        checked = self.check(chunk, lay)
        out = prog.run(checked.env, checked.full, prog.new_out(n, into))
        out.row_status[...] = prog.row_status(out, checked.input_error)
        for col in sorted(checked.codes, key=self.field_order):
            codes = checked.codes[col]
            for i in np.flatnonzero(codes).tolist():
                errors.setdefault(i, []).append((col, PROBLEM_CODES[int(codes[i]) - 1]))
        rows = np.flatnonzero(checked.full).tolist()
        for i in rows:
            errors.pop(i, None)
            self._single(chunk, lay, i, out, errors, overrides)
        return ChunkScore(chunk, out, self._context_cols(chunk, lay), errors, overrides, lay, len(rows),
                          checked.env.runtime_fallbacks, checked.env.exact_rows)

    def _context_cols(self, chunk: Chunk, lay: Layout) -> dict[str, np.ndarray]:
        out = {}
        for name, cols in lay.context.items():
            merged: np.ndarray | None = None
            null: np.ndarray | None = None
            for col in cols:
                rc = chunk.cols[col]
                if merged is None:
                    merged, null = rc.values, rc.null
                    if null is not None:
                        merged = merged.astype(object)
                        merged[null] = None
                    continue
                if null is None or not null.any():
                    break
                take = null if rc.null is None else null & ~rc.null
                merged = merged.astype(object)
                merged[take] = rc.values[take]
                null = null & ~take
            if merged is not None:
                out[name] = merged
        return out

    def _single(self, chunk: Chunk, lay: Layout, i: int, out: Out, errors: dict[int, list[tuple[str, str]]],
                overrides: dict[int, Evaluation]) -> None:
        """Row ``i`` through the single-unit evaluator, written into ``out``."""
        flat = chunk.record(i)
        data, context, assessments = split_record(flat, lay, self.context)
        for ref, cc in getattr(chunk, "cohort", {}).items():
            if not supplied(data.get(ref)):
                data[ref] = cc.mapping(i)
        extra = self._extra_assessments(chunk, i)
        if extra:
            assessments = {**assessments, **extra}
        try:
            ev = evaluate_plan(self.ruleset, self.plan, data, on=self.on, context=context, assessments=assessments,
                               assessor=self.assessor)
        except EvaluationError as exc:
            exc.row = i  # type: ignore[attr-defined]
            raise
        errs = [(p.field, p.code) for p in ev.problems if p.severity == "error" and p.code != "missing"]
        errs.sort(key=lambda e: self.field_order(e[0]))
        if errs:
            errors[i] = errs
        else:
            errors.pop(i, None)
        if not self._write(out, i, ev):
            overrides[chunk.offset + i] = ev

    def _write(self, out: Out, i: int, ev: Evaluation) -> bool:
        """Write an evaluation into row ``i``; False when a number cannot be held in fixed point."""
        S = self.S
        ok = True

        def sc(v: Decimal | None) -> int:
            nonlocal ok
            if v is None:
                return self.program.null
            try:
                r = to_scaled(v, S)
                if abs(r) >= -self.program.null - 1:
                    raise Unvectorizable("too large")
                return r
            except Unvectorizable:
                ok = False
                return 0

        def code(s: str) -> int:
            nonlocal ok
            if s in STATUSES:
                return STATUSES.index(s)
            ok = False
            return 0

        for j, it in enumerate(ev.items):
            out.pts[j, i] = sc(it.points)
            out.status[j, i] = code(it.status)
            out.met[j, i] = -1 if it.met is None else int(bool(it.met))
        for k, s in enumerate(ev.sections):
            out.sec[k, i] = sc(s.points)
        out.total[i] = sc(ev.total)
        conds = list(ev.eligibility) + list(ev.vetoes)
        for k, c in enumerate(conds):
            out.cond[k, i] = -1 if c.holds is None else int(bool(c.holds))
        out.eligible[i] = -1 if ev.eligible is None else int(ev.eligible)
        out.vetoed[i] = ev.vetoed
        out.grade[i] = -1
        if ev.grade is not None:
            for g, gr in enumerate(self.ruleset.doc.grades):
                if gr.label == ev.grade:
                    out.grade[i] = g
                    break
        out.complete[i] = ev.complete
        out.passed[i] = -1 if ev.passed is None else int(ev.passed)
        out.met_count[i] = sum(1 for it in ev.counted if it.met)
        out.row_status[i] = STATUSES.index(row_status(ev, len(self.plan.vetoes)))
        return ok

    # -- assessments given apart from the records
    def _assessment_rows(self, chunk: Chunk) -> None:
        a = self.assessments
        if a is None:
            chunk.extra_assessments = None  # type: ignore[attr-defined]
            return None
        if isinstance(a, Mapping):
            return None  # columns, merged into the chunk by the caller
        first = getattr(chunk, "first", chunk.offset)  # the chunk's first row in the whole input
        chunk.extra_assessments = [a[first + i] for i in range(chunk.n)]  # type: ignore[attr-defined]
        return None

    def _extra_assessments(self, chunk: Chunk, i: int) -> Mapping[str, Any] | None:
        rows = getattr(chunk, "extra_assessments", None)
        if rows is None:
            return None
        return rows[i] or None

    # -- columnar validation
    def check(self, chunk: Chunk, lay: Layout) -> Checked:
        n = chunk.n
        prog = self.program
        cols: dict[str, Col] = {}
        codes: dict[str, np.ndarray] = {}
        full = np.zeros(n, bool)
        for name, ind in self.ruleset.doc.indicators.items():
            kind, scale, choices = prog.kinds[name]
            raw = chunk.cols.get(name)
            if raw is not None and name in lay.sources:
                raw = _with_source(raw, chunk.cols[lay.sources[name]])
            col, cd, fl = check_column(name, ind, raw, n, kind, scale, choices, chunk.nan_is_null)
            if fl is not None and raw is not None:  # only the rules that read them go value by value
                col.exact = exact_values(name, ind, raw, fl, scale, chunk.nan_is_null)
                if col.exact is not None:
                    col.beyond, fl = fl, None
            cc = getattr(chunk, "cohort", {}).get(name)
            if cc is not None:
                cd, fl = self._merge_cohort(name, ind, col, cd, fl, cc)
            cols[name] = col
            if cd is not None:
                codes[name] = cd
            if fl is not None:
                full |= fl
        env = Env(n, cols, self.params)
        prog.derive_columns(env)
        self._check_assessments(chunk, lay, env, codes, full)
        input_error = np.zeros(n, bool)
        for cd in codes.values():
            input_error |= cd != 0
        return Checked(env, codes, full, input_error)

    def _merge_cohort(self, name: str, ind: Indicator, col: Col, codes: np.ndarray | None, full: np.ndarray | None,
                      cc: Any) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Where a row gives no value for a cohort reference, the value computed over its cohort."""
        n = len(col.values)
        take = np.zeros(n, bool) if col.missing is None else col.missing.copy()
        if not take.any():
            return codes, full
        scaled, missing, nonfixed = cc.arrays(col.scale)
        bad = np.zeros(n, np.int8)
        memo: dict[Decimal, int] = {}
        for i in np.flatnonzero(take & ~missing).tolist():
            v = cc.values[i]
            if v not in memo:
                _, problem = check_value(name, ind, v)
                memo[v] = 0 if problem is None else _P[problem.code]
            bad[i] = memo[v]
        col.values = np.where(take, scaled, col.values)
        col.missing = take & missing if col.missing is not None else missing & take
        if not col.missing.any():
            col.missing = None
        if bad.any():
            codes = bad if codes is None else np.where(take, bad, codes).astype(np.int8)
            inv = bad != 0
            col.invalid = inv if col.invalid is None else (col.invalid | inv)
            col.values[inv] = 0
        nf = take & nonfixed
        if nf.any():
            full = nf if full is None else (full | nf)
            col.values[nf] = 0
        col.bound = max(col.bound, int(np.abs(col.values).max(initial=0)))
        return codes, full

    def _check_assessments(self, chunk: Chunk, lay: Layout, env: Env, codes: dict[str, np.ndarray],
                           full: np.ndarray) -> None:
        n = chunk.n
        rows = getattr(chunk, "extra_assessments", None)
        per_row = rows is not None or self.assessor is not None
        if not per_row:
            for colmap in lay.assess.values():
                raw = chunk.cols[colmap["value"]]
                if raw.values.dtype == object or raw.odd is not None:  # odd cells: read as text, row by row
                    per_row = True
                    break
        if per_row:
            self._assessments_by_row(chunk, lay, env, codes, full)
            return
        K = self.program.K
        for key, colmap in lay.assess.items():
            rule = self.assessable.get(key)
            entry = rule.entry if rule is not None else None
            if entry is None or entry.form == "value":
                continue  # a warning only, or a plugin kind's entry: its units go through the single path
            raw = chunk.cols[colmap["value"]]
            v = raw.values
            present = np.ones(n, bool) if raw.null is None else ~raw.null
            if chunk.nan_is_null and v.dtype.kind == "f":
                present &= ~np.isnan(v)
            bad = np.zeros(n, bool)
            if entry.form == "points":
                lo, hi = entry.bounds
                if v.dtype.kind == "b":
                    bad = present.copy()
                    values = np.zeros(n, np.int64)
                elif v.dtype.kind in "iu":
                    vi = v.astype(np.int64)
                    big = np.abs(vi) >= 10 ** (15 - K)
                    bad = present & ~big & ((vi * 10**K < to_scaled(lo, K)) | (vi * 10**K > to_scaled(hi, K)))
                    values = np.where(big, 0, vi) * 10**K
                    full |= present & big
                else:
                    finite = np.isfinite(v)
                    all_finite = bool(finite.all())
                    xf = v if all_finite else np.where(finite, v, 0.0)
                    p = 10.0**K
                    r = xf * p
                    np.rint(r, out=r)
                    exact = (r / p) == xf
                    if n and max(-float(xf.min()), float(xf.max())) * p >= 1e15:
                        exact &= np.abs(r) < 1e15
                    all_exact = bool(exact.all())
                    values = r.astype(np.int64) if all_exact else np.where(exact, r, 0).astype(np.int64)
                    lo_s, hi_s = to_scaled(lo, K), to_scaled(hi, K)
                    if n and (not all_finite or int(values.min()) < lo_s or int(values.max()) > hi_s):
                        bad = present & (~finite | (exact & ((values < lo_s) | (values > hi_s))))
                    if not all_exact:
                        full |= present & finite & ~exact
                ac = AssessCol(present & ~bad, values, K)
            else:  # met or not
                if v.dtype.kind == "b":
                    ac = AssessCol(present, v, 0)
                else:
                    bad = present.copy()
                    ac = AssessCol(np.zeros(n, bool), np.zeros(n, bool), 0)
            env.assess[key] = ac
            if bad.any():
                codes[f"assessments.{key}"] = np.where(bad, _P["invalid_assessment"], 0).astype(np.int8)

    def _assessments_by_row(self, chunk: Chunk, lay: Layout, env: Env, codes: dict[str, np.ndarray],
                            full: np.ndarray) -> None:
        """Assessments through ``read_assessments`` and ``_check_assessments``, row by row."""
        n = chunk.n
        K = self.program.K
        forms = {key: r.entry.form if r.entry is not None else "value" for key, r in self.assessable.items()}
        present = {key: np.zeros(n, bool) for key in self.assessable}
        values = {key: (np.zeros(n, bool) if form == "met" else np.zeros(n, np.int64)) for key, form in forms.items()}
        bad: dict[str, np.ndarray] = {}
        for i in range(n):
            flat = chunk.record(i)
            _, _, entries = split_record(flat, lay, {})
            extra = self._extra_assessments(chunk, i)
            if extra:
                entries = {**entries, **extra}
            if not entries:
                continue
            parsed, problems = read_assessments(entries, self.assessor)
            checked = _check_assessments(self.plan, parsed, problems)
            for p in problems:
                if p.severity == "error":
                    # the code evaluate gives (a malformed entry is invalid_type, a rejected one invalid_assessment)
                    bad.setdefault(p.field, np.zeros(n, np.int8))[i] = _P.get(p.code, _P["invalid_assessment"])
            for key, a in checked.items():
                if forms.get(key, "value") == "value":
                    full[i] = True  # an assessed plugin kind: the whole row through the single path
                    continue
                if forms[key] == "met":
                    values[key][i] = bool(a.value)
                else:
                    try:
                        values[key][i] = to_scaled(a.value, K)
                    except Unvectorizable:
                        full[i] = True
                        continue
                present[key][i] = True
        for key in self.assessable:
            env.assess[key] = AssessCol(present[key], values[key], 0 if forms[key] == "met" else K)
        for fieldname, mask in bad.items():
            codes[fieldname] = mask


def _with_source(raw: RawCol, src: RawCol) -> RawCol:
    """A reference column whose source column is given: the values stay, sources are not scored."""
    return raw


# ---------------------------------------------------------------------------
# public functions


def _resolve(ruleset: Any, tier: str | None) -> tuple[RuleSet, Plan]:
    rs = get_engine().resolve(ruleset)
    return rs, rs.plan(tier)


def _when(on: Any, context: Mapping[str, Any] | None) -> dt.date:
    return evaluation_date(on, context)  # read as fuac.evaluate reads it


def _columns_assessments(assessments: Any, src: Source) -> Source:
    """Assessments given as {key: column}: added to the source as ``assessments.<key>`` columns."""
    if not isinstance(assessments, Mapping):
        return src
    n = src.n
    extra = {f"assessments.{k}": v for k, v in assessments.items()}
    for k, v in extra.items():
        if n is not None and len(v) != n:
            raise InputError(f"assessments[{k[12:]!r}] has {len(v)} values for {n} records")
    return _MergedSource(src, ColumnsSource(extra))


class _MergedSource(Source):
    def __init__(self, base: Source, cols: ColumnsSource) -> None:
        self.base = base
        self.cols = cols
        self.n = base.n
        self.rereadable = base.rereadable

    def chunks(self, size: int) -> Iterator[Chunk]:
        extra = self.cols.cols
        for ch in self.base.chunks(size):
            a, b = ch.offset, ch.offset + ch.n
            for k, c in extra.items():
                ch.cols[k] = c.slice(a, b)
            if ch.rows is not None:
                ch.rows = [{**r, **{k: ch.cols[k].py(i) for k in extra}} for i, r in enumerate(ch.rows)]
            yield ch


def _prepare(ruleset: Any, records: Any, tier: str | None, context: Mapping[str, Any] | None, assessments: Any,
             assessor: str | None, on: Any, backend: str, chunk_size: int, context_columns: Sequence[str],
             cohorts: Any) -> tuple[Runner, Any, Source]:
    """What :func:`evaluate_many` and :func:`evaluate_chunks` score with: the runner, the cohort
    table (or None) and the source of the records."""
    rs, plan = _resolve(ruleset, tier)
    when = _when(on, context)
    if backend not in BACKENDS:  # before the input is opened
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    src = _columns_assessments(assessments, open_source(records, rs, entries=_entry_forms(plan)))
    runner = Runner(rs, plan, on=when, context=context, assessments=assessments, assessor=assessor,
                    backend=backend, context_columns=context_columns)
    table, src = _cohorts_for(runner, src, chunk_size, cohorts)
    return runner, table, src


def _entry_forms(plan: Plan) -> dict[str, str]:
    """The form of each assessor's entry column of a plan (``assessments.KEY`` → met, points or value)."""
    return {f"assessments.{key}": rule.entry.form for key, rule in plan.rules.items()
            if rule.assessable and rule.entry is not None}


def evaluate_chunks(
    ruleset: Any,
    records: Any,
    *,
    tier: str | None = None,
    context: Mapping[str, Any] | None = None,
    assessments: Any = None,
    assessor: str | None = None,
    on: Any = None,
    backend: str = "auto",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    context_columns: Sequence[str] = DEFAULT_CONTEXT_COLUMNS,
    cohorts: Any = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> Iterator[BatchResults]:
    """Score ``records`` chunk by chunk: one :class:`BatchResults` per chunk, in order, each
    holding only its own rows, so that memory stays flat whatever the input's size.

    Row indices inside each result are local to the chunk; ``results.offset`` is the
    first row's index in the whole input. Cohort statistics need every row of a
    cohort: they are computed first, in a pass of their own over ``records`` (which
    must then be a path or a sequence that can be read twice), or given as
    ``cohorts`` (see :func:`cohort_table`).
    """
    runner, table, src = _prepare(ruleset, records, tier, context, assessments, assessor, on, backend,
                                  chunk_size, context_columns, cohorts)
    done = 0
    for chunk in src.chunks(chunk_size):
        offset, chunk.offset = chunk.offset, 0  # rows are numbered within the chunk
        chunk.first = offset  # type: ignore[attr-defined]
        res = _score_chunks(runner, [chunk], table, 0.0)
        res.offset = offset
        done += chunk.n
        if progress is not None:
            progress(done, src.n)
        yield res


def evaluate_many(
    ruleset: Any,
    records: Any,
    *,
    tier: str | None = None,
    context: Mapping[str, Any] | None = None,
    assessments: Any = None,
    assessor: str | None = None,
    on: Any = None,
    backend: str = "auto",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    context_columns: Sequence[str] = DEFAULT_CONTEXT_COLUMNS,
    cohorts: Any = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> BatchResults:
    """Score many units against one rule set (and tier): one result row per record, in input order.

    :param ruleset: a rule-set id, a path to a rule file, or a loaded :class:`RuleSet`.
    :param records: an iterable of mappings (flat, or ``{data, context, assessments}``), a
        mapping of column name → array, a pandas or polars DataFrame, or a path to a
        ``.csv``, ``.jsonl``, ``.xlsx``, ``.parquet`` or ``.json`` file.
    :param tier: the tier every record is scored at, when the rule set has several.
    :param context: context shared by every record (each record's context columns add to it);
        ``context["on"]`` is the date parameters are taken at, if ``on`` is not given.
    :param assessments: assessors' entries: a sequence with one mapping per record (as
        :func:`fuac.evaluate` takes), or a mapping of item key → column of values.
    :param assessor: use only this assessor's entries (e.g. ``"verification"``).
    :param on: the date whose parameter values apply; default ``context["on"]`` or today.
    :param backend: ``"auto"`` / ``"vector"`` (compiled, exact fixed point; what cannot be
        compiled runs through the single-unit path, see ``backend_report``) or ``"python"``
        (every row through the single-unit evaluator).
    :param chunk_size: rows scored at a time.
    :param context_columns: the columns that are context, not data.
    :param cohorts: reference values computed beforehand (:func:`cohort_table`), for
        inputs that cannot be read twice.
    :param progress: called as ``progress(rows_done, rows_total_or_None)`` after each chunk.
    """
    t0 = time.perf_counter()
    runner, table, src = _prepare(ruleset, records, tier, context, assessments, assessor, on, backend,
                                  chunk_size, context_columns, cohorts)
    chunks: list[Chunk] = []
    done = 0

    def gen() -> Iterator[Chunk]:
        nonlocal done
        for ch in src.chunks(chunk_size):
            yield ch
            done += ch.n
            if progress is not None:
                progress(done, src.n)

    return _score_chunks(runner, gen(), table, t0, expected=src.n, keep=chunks, chunk_size=chunk_size)


def _score_one(runner: Runner, ch: Chunk, table: Any, arrays_all: Mapping[str, np.ndarray] | None,
               expected: int | None) -> ChunkScore:
    cohort_cols = None
    slots: dict[str, dict[str, np.ndarray]] = {}
    if table is not None and table.refs:
        cohort_cols = table.columns_for(ch, runner)
        for ref, cc in cohort_cols.items():
            used = ~_supplied_mask(ch, ref)
            slots[ref] = {"values": _obj([v if u else None for v, u in zip(cc.values, used, strict=True)]),
                          "sources": _obj([v if u else None for v, u in zip(cc.sources, used, strict=True)]),
                          "regions": _obj([v if u else None for v, u in zip(cc.regions, used, strict=True)]),
                          "sizes": np.where(used, np.asarray(cc.sizes, dtype=np.int64), 0)}
    into = None
    if arrays_all is not None and expected is not None and ch.offset + ch.n <= expected:
        into = (arrays_all, ch.offset)
    sc = runner.score(ch, cohort_cols, into)
    sc.cohort = slots
    return sc


def _workers(expected: int | None, chunk_size: int, backend: str) -> int:
    """Threads to score chunks with: numpy releases the GIL, so chunks of a large batch run in parallel."""
    if expected is None or backend != "vector" or expected < 2 * chunk_size:
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def _score_chunks(runner: Runner, chunks: Iterable[Chunk], table: Any, t0: float, expected: int | None = None,
                  keep: list[Chunk] | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE) -> BatchResults:
    kept: list[Chunk] = [] if keep is None else keep
    prog = runner.program
    arrays_all = None if expected is None else prog.allocate(expected)
    workers = _workers(expected, chunk_size, runner.backend)
    scores = _scored(runner, chunks, table, arrays_all, expected, workers)
    tally = _Tally()
    for sc in scores:
        tally.add(sc)
        kept.append(sc.chunk)
    total = tally.total
    if arrays_all is not None and total == expected:
        arrays = arrays_all
    else:
        arrays = _concat([sc.out for sc in scores] or [prog.new_out(0)])
    context = _context_columns(scores)
    report = {"backend": runner.backend, **prog.report(tally.runtime), "rows": total,
              "rows_single_unit": tally.single if runner.backend == "vector" else total,
              "rows_not_fixed_point": len(tally.overrides),
              "rows_exact": dict(sorted(tally.exact.items())), "threads": workers}
    return BatchResults(runner, total, arrays, context, tally.errors, tally.overrides, kept,
                        [sc.layout for sc in scores], runner.backend, report, tally.cohort(),
                        time.perf_counter() - t0 if t0 else 0.0)


def _scored(runner: Runner, chunks: Iterable[Chunk], table: Any, arrays_all: Mapping[str, np.ndarray] | None,
            expected: int | None, workers: int) -> list[ChunkScore]:
    """Every chunk scored, in order: on ``workers`` threads (at most twice as many chunks ahead), or here."""
    if workers <= 1:
        return [_score_one(runner, ch, table, arrays_all, expected) for ch in chunks]
    from concurrent.futures import ThreadPoolExecutor

    scores: list[ChunkScore] = []
    with ThreadPoolExecutor(workers) as pool:
        pending: list[Any] = []
        for ch in chunks:
            pending.append(pool.submit(_score_one, runner, ch, table, arrays_all, expected))
            while len(pending) > 2 * workers:
                scores.append(pending.pop(0).result())
        scores.extend(f.result() for f in pending)
    return scores


@dataclass
class _Tally:
    """What the chunks' scores add up to: errors and overrides by row, rows, fallbacks and cohort slots."""

    errors: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    overrides: dict[int, Evaluation] = field(default_factory=dict)
    total: int = 0
    single: int = 0
    #: rules that fell back to the single-unit path: in how many chunks, and why
    runtime: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: rules computed row by row for values beyond fixed point: on how many rows
    exact: dict[str, int] = field(default_factory=dict)
    cohort_info: dict[str, dict[str, list[np.ndarray]]] = field(default_factory=dict)

    def add(self, sc: ChunkScore) -> None:
        """Count one chunk's score in."""
        off = sc.chunk.offset
        for i, e in sc.errors.items():
            self.errors[off + i] = e
        self.overrides.update(sc.overrides)
        self.total += sc.chunk.n
        self.single += sc.single_rows
        for key, rows in sc.exact_rows.items():
            self.exact[key] = self.exact.get(key, 0) + rows
        for key, why in sc.runtime_fallbacks.items():
            self.runtime[key] = (self.runtime.get(key, (0, why))[0] + 1, why)
        for ref, slot in sc.cohort.items():
            dst = self.cohort_info.setdefault(ref, {"values": [], "sources": [], "regions": [], "sizes": []})
            for k, v in slot.items():
                dst[k].append(v)

    def cohort(self) -> dict[str, dict[str, np.ndarray]] | None:
        """Each reference's cohort slots over every chunk (None when no reference is computed over a cohort)."""
        if not self.cohort_info:
            return None
        return {ref: {k: np.concatenate(v) for k, v in d.items()} for ref, d in self.cohort_info.items()}


def _context_columns(scores: list[ChunkScore]) -> dict[str, np.ndarray]:
    """The context columns of every chunk, end to end (None where a chunk lacks one)."""
    names: dict[str, None] = {}
    for sc in scores:
        for k in sc.context:
            names[k] = None
    context: dict[str, np.ndarray] = {}
    for k in names:
        pieces = [sc.context.get(k, np.full(sc.chunk.n, None, dtype=object)) for sc in scores]
        if len({p.dtype for p in pieces}) > 1:
            pieces = [p.astype(object) for p in pieces]
        context[k] = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
    return context


def _supplied_mask(chunk: Chunk, ref: str) -> np.ndarray:
    """Rows whose record gives its own value for the reference ``ref``."""
    if chunk.rows is not None:
        return np.fromiter((supplied(r.get(ref)) for r in chunk.rows), dtype=bool, count=chunk.n)
    raw = chunk.cols.get(ref)
    if raw is None:
        return np.zeros(chunk.n, bool)
    given = np.ones(chunk.n, bool) if raw.null is None else ~raw.null
    if raw.values.dtype == object:
        given &= np.fromiter((supplied(v) for v in raw.values), dtype=bool, count=chunk.n)
    elif raw.values.dtype.kind == "f" and chunk.nan_is_null:
        given &= ~np.isnan(raw.values)
    return given


def _concat(outs: list[Out]) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for name in ARRAYS:
        parts = [getattr(o, name) for o in outs]
        if not parts:
            arrays[name] = np.zeros((0,), np.int8)
            continue
        arrays[name] = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)
        for o in outs:
            setattr(o, name, None)
    return arrays


def _cohorts_for(runner: Runner, src: Source, chunk_size: int, given: Any) -> tuple[Any, Source]:
    """The cohort table (computed in a first pass over ``src``, or as given) and the source to score."""
    from .cohort import cohort_specs

    rs = runner.ruleset
    if not cohort_specs(rs):
        return None, src
    if given is not None:
        if isinstance(given, CohortTable):
            return given, src
        return CohortTable.from_mapping(rs, given), src
    if not src.rereadable:
        src = _Replay(list(src.chunks(chunk_size)))
    return CohortTable.compute(rs, src.chunks(chunk_size), runner), src


class _Replay(Source):
    """Chunks read once and kept, for a second pass (cohort statistics over a one-shot iterator)."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self._chunks = chunks
        self.n = sum(c.n for c in chunks)

    def chunks(self, size: int) -> Iterator[Chunk]:
        yield from self._chunks


def evaluate_partition(frame: Any, ruleset: Any, *, tier: str | None = None, context: Mapping[str, Any] | None = None,
                       on: Any = None, assessor: str | None = None, backend: str = "auto",
                       context_columns: Sequence[str] = DEFAULT_CONTEXT_COLUMNS, cohorts: Any = None,
                       exact: bool = False) -> Any:
    """Score one partition (a pandas DataFrame) and return the result columns as a pandas DataFrame.

    The function every partition of a Dask DataFrame can be mapped with::

        ddf.map_partitions(fuac.evaluate_partition, "liunan-2023", on="2023-10-01", meta=…)

    Reference values computed over a cohort need the whole input: compute them first with
    :func:`cohort_table` (it takes a Dask DataFrame too) and pass them as ``cohorts``.
    """
    res = evaluate_many(ruleset, frame, tier=tier, context=context, on=on, assessor=assessor, backend=backend,
                        context_columns=context_columns, cohorts=cohorts, chunk_size=max(1, min(len(frame) or 1,
                                                                                              DEFAULT_CHUNK_SIZE)))
    df = res.to_pandas(exact=exact)
    try:
        df.index = frame.index
    except (AttributeError, ValueError):  # pragma: no cover - a frame without a usable index
        pass
    return df


def _obj_list(values: Iterable[Any]) -> np.ndarray:
    return _obj(list(values))


def cohort_table(ruleset: Any, records: Any, *, tier: str | None = None, on: Any = None,
                 context: Mapping[str, Any] | None = None, chunk_size: int = 1 << 16,
                 context_columns: Sequence[str] | None = None) -> CohortTable:
    """The cohort sums of ``records`` (what :func:`fuac.evaluate_many` computes first), to pass
    as ``cohorts=`` when the records are scored in parts: chunks, or the partitions of a Dask
    DataFrame (given one, its partitions are summed in parallel and merged)."""
    rs, plan = _resolve(ruleset, tier)
    cc = DEFAULT_CONTEXT_COLUMNS if context_columns is None else tuple(context_columns)
    runner = Runner(rs, plan, on=_when(on, context), context=context, assessments=None,
                           assessor=None, backend="auto", context_columns=cc)
    if type(records).__module__.startswith("dask"):
        import pandas as pd

        def part(frame: Any) -> Any:
            t = CohortTable.compute(rs, PandasSource(frame).chunks(chunk_size), runner)
            return pd.DataFrame(t.to_rows(), columns=["ref", "region", "swx", "sw", "n", "xscale", "wscale"])

        meta = pd.DataFrame({"ref": pd.Series(dtype=object), "region": pd.Series(dtype=object),
                             "swx": pd.Series(dtype=object), "sw": pd.Series(dtype=object),
                             "n": pd.Series(dtype="int64"), "xscale": pd.Series(dtype="int64"),
                             "wscale": pd.Series(dtype="int64")})
        rows = records.map_partitions(part, meta=meta).compute()
        return CohortTable.from_rows(rs, rows.to_dict("records"))
    src = open_source(records, rs)
    return CohortTable.compute(rs, src.chunks(chunk_size), runner)
