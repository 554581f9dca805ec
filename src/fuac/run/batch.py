"""Scoring many units at once: :func:`evaluate_many`, :func:`evaluate_chunks`, :func:`evaluate_partition`.

Records come as an iterable of mappings, a column mapping (name → array), a pandas
or polars DataFrame, or a path (``.csv``, ``.jsonl``/``.ndjson``, ``.xlsx``,
``.parquet``). They are read in chunks of ``chunk_size`` rows, validated column by
column, and scored by the compiled backend (``run/vector.py``) or, row by row, by the
single-unit evaluator (``backend="python"``), which is the oracle of the other.

A flat record (one row) holds, by column name:

- an indicator's value (an empty cell / None / NaN in pandas is a missing value);
- ``<reference>.source``: where a reference value (regional average) comes from;
- ``assessments.<key>``: an assessor's entry for an item or part (``5`` or ``32.a``),
  with ``assessments.<key>.rationale`` and ``assessments.<key>.assessor`` beside it;
- context: the columns named in ``context_columns`` (default ``id``, ``code``,
  ``name``, ``parent``) and every ``context.<name>`` column;
- anything else is an unknown field, reported as a warning, as by :func:`fuac.evaluate`.

A record may also be structured like the input file of ``fuac evaluate``:
``{"data": {…}, "context": {…}, "assessments": {…}}``.

Row ``i`` of the result is what :func:`fuac.evaluate` gives for ``record(i)``
(``results.evaluation(i)`` computes exactly that, lazily).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import os
import threading
import time
import weakref
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..kinds.base import Discretionary, Requirement
from ..language.models import Indicator
from ..plan.engine import get_engine
from ..plan.loader import Plan, RuleSet
from .cohort import supplied
from .evaluate import _check_assessments, evaluate_plan
from .inputs import REFERENCE_KEYS, as_date, check_value, read_assessments
from .results import STATUSES, Evaluation, share, view

if TYPE_CHECKING:
    import numpy as np

    from .vector import AssessCol, Col, Env, Out, Program, Unvectorizable, from_scaled, null_of, to_scaled


def _load() -> None:
    """Import numpy and the compiled backend on first use: ``import fuac`` stays light."""
    g = globals()
    if "np" in g:
        return
    import numpy

    from . import vector as v

    g.update(np=numpy, AssessCol=v.AssessCol, Col=v.Col, Env=v.Env, Out=v.Out, Program=v.Program,
             Unvectorizable=v.Unvectorizable, from_scaled=v.from_scaled, null_of=v.null_of, to_scaled=v.to_scaled)


DEFAULT_CHUNK_SIZE = 1 << 17
DEFAULT_CONTEXT_COLUMNS = ("id", "code", "name", "parent")
#: the codes of the problems a value can have (``_inputs.check_value``)
PROBLEM_CODES = ("invalid_type", "invalid_choice", "not_finite", "not_integer", "out_of_range", "invalid_assessment")
_P = {c: i + 1 for i, c in enumerate(PROBLEM_CODES)}  # 0: no problem

BACKENDS = ("auto", "vector", "python")


# ---------------------------------------------------------------------------
# raw input: columns of one chunk


@dataclass(slots=True)
class RawCol:
    """One input column of a chunk: values (bool, int64, float64 or object) and where they are null."""

    values: np.ndarray
    null: np.ndarray | None = None

    def py(self, i: int) -> Any:
        """The value of row ``i`` as a Python object (None when null)."""
        if self.null is not None and self.null[i]:
            return None
        v = self.values[i]
        return v.item() if isinstance(v, np.generic) and self.values.dtype != object else v


class Chunk:
    """``n`` rows of input, by column; ``record(i)`` is row ``i`` as a flat mapping."""

    def __init__(self, offset: int, n: int, cols: dict[str, RawCol], rows: Sequence[Mapping[str, Any]] | None = None,
                 nan_is_null: bool = False) -> None:
        self.offset = offset
        self.n = n
        self.cols = cols
        #: the records themselves, when the input was mappings (kept as given)
        self.rows = rows
        #: pandas convention: a NaN in a float column is a missing value
        self.nan_is_null = nan_is_null

    def record(self, i: int) -> Mapping[str, Any]:
        if self.rows is not None:
            return self.rows[i]
        return {name: c.py(i) for name, c in self.cols.items()}

    def drop_columns(self) -> None:
        """Forget the columns once scored, when the records themselves are kept."""
        if self.rows is not None:
            self.cols = {}


def _typed(values: list[Any]) -> RawCol:
    """A column from Python values, typed when every value has the same plain type."""
    types = {type(v) for v in values}
    null = None
    if type(None) in types:
        types.discard(type(None))
        null = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
    if len(types) == 1:
        t = types.pop()
        try:
            if t is bool:
                return RawCol(np.array([False if v is None else v for v in values], dtype=bool), null)
            if t is float:
                return RawCol(np.array([0.0 if v is None else v for v in values], dtype=np.float64), null)
            if t is int:
                return RawCol(np.array([0 if v is None else v for v in values], dtype=np.int64), null)
        except OverflowError:
            pass
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return RawCol(arr, null)


def _flatten(rec: Mapping[str, Any]) -> Mapping[str, Any]:
    """A structured record ({data, context, assessments}) as a flat one."""
    data = rec.get("data")
    if not isinstance(data, Mapping):
        return rec
    extra = set(rec) - {"data", "context", "assessments"}
    if extra:
        raise InputError(f"a structured record has keys data, context, assessments; not {sorted(extra)}")
    flat: dict[str, Any] = dict(data)
    for k, v in (rec.get("context") or {}).items():
        flat[f"context.{k}"] = v
    for k, v in (rec.get("assessments") or {}).items():
        flat[f"assessments.{k}"] = v
    return flat


def _chunk_from_rows(offset: int, rows: Sequence[Mapping[str, Any]]) -> Chunk:
    flat = [_flatten(r) if isinstance(r, Mapping) else _not_mapping(r) for r in rows]
    keys: dict[str, None] = {}
    for r in flat:
        for k in r:
            keys[str(k)] = None
    cols = {k: _typed([r.get(k) for r in flat]) for k in keys}
    return Chunk(offset, len(rows), cols, rows=flat)


def _not_mapping(r: Any) -> Mapping[str, Any]:
    raise InputError(f"each record must be a mapping of column names to values, not {type(r).__name__}")


# ---------------------------------------------------------------------------
# sources


class Source:
    """Where records come from. ``n`` is None when not known before reading."""

    n: int | None = None
    #: True when the records can be read again (a second pass, for cohort statistics)
    rereadable: bool = True

    def chunks(self, size: int) -> Iterator[Chunk]:  # pragma: no cover - abstract
        raise NotImplementedError


class RowsSource(Source):
    def __init__(self, rows: Iterable[Any]) -> None:
        if isinstance(rows, Sequence):
            self.rows: Any = rows
            self.n = len(rows)
        else:
            self.rows = iter(rows)
            self.rereadable = False

    def chunks(self, size: int) -> Iterator[Chunk]:
        if isinstance(self.rows, Sequence):
            for a in range(0, len(self.rows), size):
                yield _chunk_from_rows(a, list(self.rows[a:a + size]))
            return
        offset = 0
        buf: list[Any] = []
        for r in self.rows:
            buf.append(r)
            if len(buf) >= size:
                yield _chunk_from_rows(offset, buf)
                offset += len(buf)
                buf = []
        if buf:
            yield _chunk_from_rows(offset, buf)


class ColumnsSource(Source):
    """A mapping of column name → array-like of equal lengths ("already in columns")."""

    def __init__(self, columns: Mapping[str, Any]) -> None:
        cols: dict[str, RawCol] = {}
        n = None
        for name, v in columns.items():
            if isinstance(v, np.ndarray) and v.ndim == 1:
                if v.dtype.kind in "iu" and not (v.dtype.kind == "u" and v.size and v.max() > np.iinfo(np.int64).max):
                    col = RawCol(v.astype(np.int64, copy=False))
                elif v.dtype.kind == "f":
                    # a numpy float array marks a missing value with NaN (as pandas does)
                    x = v.astype(np.float64, copy=False)
                    null = np.isnan(x)
                    col = RawCol(x, null if null.any() else None)
                elif v.dtype.kind == "b":
                    col = RawCol(v)
                elif v.dtype == object:
                    null = np.asarray(np.equal(v, None), dtype=bool)  # type: ignore[call-overload]
                    col = RawCol(v, null if null.any() else None)
                else:
                    col = _typed(v.tolist())
            else:
                col = _typed(list(v))
            if n is None:
                n = len(col.values)
            elif len(col.values) != n:
                raise InputError(f"column {name!r} has {len(col.values)} values, others have {n}")
            cols[str(name)] = col
        self.cols = cols
        self.n = n or 0

    def chunks(self, size: int) -> Iterator[Chunk]:
        assert self.n is not None
        for a in range(0, max(self.n, 1), size):  # an empty input still has its columns
            b = min(a + size, self.n)
            yield Chunk(a, b - a, {k: RawCol(c.values[a:b], None if c.null is None else c.null[a:b])
                                   for k, c in self.cols.items()})


def _pandas_col(s: Any) -> RawCol:
    import pandas as pd

    dt_ = s.dtype
    kind = getattr(dt_, "kind", "O")
    if isinstance(dt_, np.dtype):
        if kind == "b":
            return RawCol(s.to_numpy())
        if kind in "iu":
            v = s.to_numpy()
            if kind == "u" and v.size and v.max() > np.iinfo(np.int64).max:
                return _object_col(s)
            return RawCol(v.astype(np.int64, copy=False))
        if kind == "f":
            v = s.to_numpy().astype(np.float64, copy=False)
            null = np.isnan(v)
            return RawCol(v, null if null.any() else None)
        return _object_col(s)
    if isinstance(dt_, pd.BooleanDtype):
        null = s.isna().to_numpy()
        return RawCol(s.to_numpy(dtype=bool, na_value=False), null if null.any() else None)
    if isinstance(dt_, (pd.Int64Dtype, pd.Int32Dtype, pd.Int16Dtype, pd.Int8Dtype,
                        pd.UInt32Dtype, pd.UInt16Dtype, pd.UInt8Dtype)):
        null = s.isna().to_numpy()
        return RawCol(s.to_numpy(dtype=np.int64, na_value=0), null if null.any() else None)
    if isinstance(dt_, (pd.Float64Dtype, pd.Float32Dtype)):
        null = s.isna().to_numpy()
        return RawCol(s.to_numpy(dtype=np.float64, na_value=0.0), null if null.any() else None)
    return _object_col(s)


def _object_col(s: Any) -> RawCol:
    v = s.to_numpy(dtype=object)
    null = s.isna().to_numpy()
    return RawCol(v, null if null.any() else None)


class PandasSource(Source):
    def __init__(self, frame: Any) -> None:
        self.frame = frame
        self.n = len(frame)
        self.cols = {str(c): _pandas_col(frame[c]) for c in frame.columns}

    def chunks(self, size: int) -> Iterator[Chunk]:
        assert self.n is not None
        for a in range(0, max(self.n, 1), size):  # an empty frame still has its columns
            b = min(a + size, self.n)
            yield Chunk(a, b - a, {k: RawCol(c.values[a:b], None if c.null is None else c.null[a:b])
                                   for k, c in self.cols.items()}, nan_is_null=True)


def _polars_col(s: Any) -> RawCol:
    import polars as pl

    dt_ = s.dtype
    nulls = s.null_count()
    null = s.is_null().to_numpy() if nulls else None
    if dt_ == pl.Boolean:
        return RawCol(s.fill_null(False).to_numpy().astype(bool), null)
    if dt_.is_integer():
        if dt_ == pl.UInt64 and len(s) and (s.max() or 0) > np.iinfo(np.int64).max:
            return RawCol(_obj(s.to_list()), null)
        return RawCol(s.fill_null(0).to_numpy().astype(np.int64), null)
    if dt_.is_float():
        return RawCol(s.fill_null(0.0).to_numpy().astype(np.float64), null)
    return RawCol(_obj(s.to_list()), null)


def _obj(values: list[Any]) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


class PolarsSource(Source):
    def __init__(self, frame: Any) -> None:
        self.frame = frame
        self.n = frame.height

    def chunks(self, size: int) -> Iterator[Chunk]:
        assert self.n is not None
        for a in range(0, max(self.n, 1), size):  # an empty frame still has its columns
            part = self.frame.slice(a, size)
            yield Chunk(a, part.height, {str(c): _polars_col(part[c]) for c in part.columns})


def _arrow_col(arr: Any) -> RawCol:
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    null = arr.is_null().to_numpy(zero_copy_only=False) if arr.null_count else None
    if pa.types.is_boolean(t):
        return RawCol(pc.fill_null(arr, False).to_numpy(zero_copy_only=False).astype(bool), null)
    if pa.types.is_integer(t) and not pa.types.is_uint64(t):
        return RawCol(pc.fill_null(arr, 0).to_numpy(zero_copy_only=False).astype(np.int64), null)
    if pa.types.is_floating(t):
        return RawCol(pc.fill_null(arr, 0.0).to_numpy(zero_copy_only=False).astype(np.float64), null)
    return RawCol(_obj(arr.to_pylist()), null)


class ParquetSource(Source):
    def __init__(self, path: Path) -> None:
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise InputError("reading Parquet needs pyarrow: pip install 'fuac[parquet]'") from exc
        self.path = path
        self.file = pq.ParquetFile(path)
        self.n = self.file.metadata.num_rows

    def chunks(self, size: int, columns: list[str] | None = None) -> Iterator[Chunk]:
        offset = 0
        for batch in self.file.iter_batches(batch_size=size, columns=columns):
            cols = {str(name): _arrow_col(batch.column(k)) for k, name in enumerate(batch.schema.names)}
            yield Chunk(offset, batch.num_rows, cols)
            offset += batch.num_rows


class CsvSource(Source):
    def __init__(self, path: Path, dtypes: Mapping[str, Any]) -> None:
        self.path = path
        self.dtypes = dict(dtypes)

    def chunks(self, size: int, columns: list[str] | None = None) -> Iterator[Chunk]:
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            yield from self._plain_chunks(size)
            return
        with open(self.path, encoding="utf-8-sig", newline="") as fh:
            header: list[str] = next(iter(__import__("csv").reader(fh)), [])
        dtype = {k: v for k, v in self.dtypes.items() if k in header}
        usecols = None if columns is None else [c for c in header if c in columns]
        reader = pd.read_csv(self.path, chunksize=size, dtype=dtype, encoding="utf-8-sig", usecols=usecols)
        offset = 0
        for frame in reader:
            cols = {str(c): _pandas_col(frame[c]) for c in frame.columns}
            yield Chunk(offset, len(frame), cols, nan_is_null=True)
            offset += len(frame)

    def _plain_chunks(self, size: int) -> Iterator[Chunk]:  # pragma: no cover - without pandas
        import csv

        with open(self.path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            offset = 0
            buf: list[dict[str, Any]] = []
            for row in reader:
                buf.append({k: _cell(v) for k, v in row.items()})
                if len(buf) >= size:
                    yield _chunk_from_rows(offset, buf)
                    offset += len(buf)
                    buf = []
            if buf:
                yield _chunk_from_rows(offset, buf)


def _cell(text: str | None) -> Any:
    """A CSV cell as a value: empty → None, true/false → bool, a number → int or Decimal, else text."""
    if text is None or text == "":
        return None
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        d = Decimal(text)
        return d if d.is_finite() else float(text)
    except decimal.InvalidOperation:
        return text


class JsonLinesSource(Source):
    def __init__(self, path: Path) -> None:
        self.path = path

    def chunks(self, size: int) -> Iterator[Chunk]:
        offset = 0
        buf: list[Any] = []
        with open(self.path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    buf.append(json.loads(line, parse_float=Decimal))
                except ValueError as exc:
                    raise InputError(f"{self.path}:{lineno}: not valid JSON: {exc}") from exc
                if len(buf) >= size:
                    yield _chunk_from_rows(offset, buf)
                    offset += len(buf)
                    buf = []
        if buf:
            yield _chunk_from_rows(offset, buf)


class XlsxSource(Source):
    def __init__(self, path: Path) -> None:
        self.path = path

    def chunks(self, size: int) -> Iterator[Chunk]:
        try:
            import openpyxl
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise InputError("reading .xlsx needs openpyxl: pip install openpyxl") from exc
        wb = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            rows = ws.iter_rows(values_only=True)
            header = [str(h) if h is not None else "" for h in next(rows, ())]
            offset = 0
            buf: list[dict[str, Any]] = []
            for row in rows:
                if row is None or all(v is None for v in row):
                    continue
                buf.append({h: v for h, v in zip(header, row, strict=False) if h})
                if len(buf) >= size:
                    yield _chunk_from_rows(offset, buf)
                    offset += len(buf)
                    buf = []
            if buf:
                yield _chunk_from_rows(offset, buf)
        finally:
            wb.close()


def open_source(records: Any, ruleset: RuleSet | None = None) -> Source:
    """A :class:`Source` for whatever ``records`` is."""
    _load()
    if isinstance(records, Source):
        return records
    if isinstance(records, (str, os.PathLike)):
        p = Path(records)
        if not p.is_file():
            raise InputError(f"no input file at {str(p)!r}")
        suffix = p.suffix.lower()
        if suffix == ".csv":
            dtypes: dict[str, Any] = {}
            if ruleset is not None:
                for name, ind in ruleset.doc.indicators.items():
                    if ind.type == "choice":
                        dtypes[name] = str
            return CsvSource(p, dtypes)
        if suffix in (".jsonl", ".ndjson"):
            return JsonLinesSource(p)
        if suffix in (".xlsx", ".xlsm"):
            return XlsxSource(p)
        if suffix in (".parquet", ".pq"):
            return ParquetSource(p)
        if suffix == ".json":
            try:
                doc = json.loads(p.read_text(encoding="utf-8"), parse_float=Decimal)
            except ValueError as exc:
                raise InputError(f"{p}: not valid JSON: {exc}") from exc
            if not isinstance(doc, list):
                raise InputError(f"{p}: a JSON input of many units is a list of records")
            return RowsSource(doc)
        raise InputError(f"{p}: unknown input format {suffix!r}; use .csv, .jsonl, .xlsx, .parquet or .json")
    mod = type(records).__module__.split(".")[0]
    if mod == "pandas" and hasattr(records, "columns") and hasattr(records, "iloc"):
        return PandasSource(records)
    if mod == "polars" and hasattr(records, "columns") and hasattr(records, "height"):
        return PolarsSource(records)
    if mod == "pyarrow" and hasattr(records, "column_names"):
        return ColumnsSource({n: records.column(n).to_pylist() for n in records.column_names})
    if isinstance(records, Mapping):
        return ColumnsSource(records)
    if isinstance(records, Iterable):
        return RowsSource(records)
    raise InputError(f"records must be mappings, columns, a DataFrame or a path; not {type(records).__name__}")


# ---------------------------------------------------------------------------
# what each column is


@dataclass
class Layout:
    """How the columns of a chunk map to data, context and assessments."""

    data: list[str]  # indicator and unknown columns, in order
    sources: dict[str, str]  # reference indicator -> its ``.source`` column
    assess: dict[str, dict[str, str]]  # key -> {"value": col, "rationale": col, "assessor": col}
    context: dict[str, list[str]]  # context name -> its columns (``name`` and ``context.name``)
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # column -> its role


def layout_of(columns: Iterable[str], ruleset: RuleSet, context_columns: Sequence[str]) -> Layout:
    inds = ruleset.doc.indicators
    data: list[str] = []
    sources: dict[str, str] = {}
    assess: dict[str, dict[str, str]] = {}
    context: dict[str, list[str]] = {}
    cols = list(columns)
    colset = set(cols)
    for c in cols:
        if c in inds:
            data.append(c)
        elif c.endswith(".source") and c[:-7] in inds and inds[c[:-7]].reference:
            sources[c[:-7]] = c
        elif c.startswith("assessments."):
            key = c[len("assessments."):]
            for part in ("rationale", "assessor"):
                if key.endswith("." + part) and f"assessments.{key[:-len(part) - 1]}" in colset:
                    assess.setdefault(key[:-len(part) - 1], {})[part] = c
                    break
            else:
                assess.setdefault(key, {})["value"] = c
        elif c.startswith("context."):
            context.setdefault(c[len("context."):], []).append(c)
        elif c in context_columns:
            context.setdefault(c, []).append(c)
        else:
            data.append(c)
    roles: dict[str, tuple[str, ...]] = {c: ("data",) for c in data}
    for ref, c in sources.items():
        roles[c] = ("source", ref)
    for name, cs in context.items():
        for c in cs:
            roles[c] = ("context", name)
    for key, parts in assess.items():
        for part, c in parts.items():
            roles[c] = ("assess", key, part)
    return Layout(data, sources, assess, context, roles)


def split_record(flat: Mapping[str, Any], lay: Layout, base_context: Mapping[str, Any]
                 ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A flat record as (data, context, assessments) for :func:`fuac.evaluate`, in the record's own order."""
    data: dict[str, Any] = {}
    context = dict(base_context)
    assessments: dict[str, Any] = {}
    roles = lay.roles
    for col, v in flat.items():
        role = roles.get(col)
        if role is None or role[0] == "data":
            data[col] = v
        elif role[0] == "source":
            if v is not None:
                ref = role[1]
                data[ref] = {"value": flat.get(ref), "source": str(v)}
        elif role[0] == "context":
            if v is not None:
                context[role[1]] = v
        elif role[0] == "assess" and role[2] == "value":
            if v is None:
                continue
            cols = lay.assess[role[1]]
            extra = {part: flat.get(c) for part, c in cols.items() if part != "value"}
            extra = {k: x for k, x in extra.items() if x is not None}
            if extra and not isinstance(v, (Mapping, list)):
                v = {"value": v, **extra}
            assessments[role[1]] = v
    for ref, col in lay.sources.items():  # a value given after its source keeps the mapping
        if flat.get(col) is not None and not isinstance(data.get(ref), Mapping):
            data[ref] = {"value": flat.get(ref), "source": str(flat[col])}
    return data, context, assessments


def _is_nan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)


# ---------------------------------------------------------------------------
# validation, column by column


@dataclass
class Checked:
    """A chunk validated: the program's environment, per-row problems, rows for the single-unit path."""

    env: Env
    codes: dict[str, np.ndarray]  # column -> problem code per row (0: none)
    full: np.ndarray  # rows to score through the single-unit path
    input_error: np.ndarray  # rows with an error in their input


def _bounds_int(ind: Indicator) -> tuple[int | None, int | None]:
    lo = None if ind.min is None else int(ind.min.to_integral_value(rounding=decimal.ROUND_CEILING))
    hi = None if ind.max is None else int(ind.max.to_integral_value(rounding=decimal.ROUND_FLOOR))
    return lo, hi


def _check_objects(name: str, ind: Indicator, raw: RawCol, kind: str, scale: int, choices: Any,
                   nan_is_null: bool) -> tuple[Col, np.ndarray, np.ndarray, np.ndarray]:
    """The slow path: each value through ``check_value``, as the single-unit path does."""
    n = len(raw.values)
    codes = np.zeros(n, np.int8)
    full = np.zeros(n, bool)
    missing = np.zeros(n, bool) if raw.null is None else raw.null.copy()
    if kind == "dec":
        out: np.ndarray = np.zeros(n, np.int64)
    elif kind == "bool":
        out = np.zeros(n, bool)
    else:
        out = np.zeros(n, np.int32)
    index = {c: k for k, c in enumerate(choices or ())}
    vals = raw.values
    for i in range(n):
        if missing[i]:
            continue
        v = vals[i]
        if isinstance(v, np.generic) and vals.dtype != object:
            v = v.item()
        if v is None or (nan_is_null and _is_nan(v)):
            missing[i] = True
            continue
        if ind.reference and isinstance(v, Mapping):
            if set(v) - REFERENCE_KEYS or "value" not in v:
                codes[i] = _P["invalid_type"]
                continue
            v = v["value"]
            if v is None:
                missing[i] = True
                continue
        value, problem = check_value(name, ind, v)
        if problem is not None:
            codes[i] = _P[problem.code]
            continue
        if kind == "dec":
            try:
                iv = to_scaled(value, scale)
                if abs(iv) >= 10**15:
                    raise Unvectorizable("too large")
                out[i] = iv
            except Unvectorizable:
                full[i] = True
        elif kind == "bool":
            out[i] = value
        else:
            out[i] = index[value]
    return Col(kind, out, scale, choices=choices), codes, full, missing


def check_column(name: str, ind: Indicator, raw: RawCol | None, n: int, kind: str, scale: int,
                 choices: tuple[str, ...] | None, nan_is_null: bool
                 ) -> tuple[Col, np.ndarray | None, np.ndarray | None]:
    """Validate one indicator column: (column, problem codes or None, rows for the single-unit path or None)."""
    if raw is None:
        dtype = np.int64 if kind == "dec" else (bool if kind == "bool" else np.int32)
        return Col(kind, np.zeros(n, dtype), scale, 0, choices, missing=np.ones(n, bool)), None, None
    v = raw.values
    null = raw.null
    dk = v.dtype.kind
    if dk == "O" or (ind.reference and dk not in "biuf"):
        col, ocodes, ofull, missing = _check_objects(name, ind, raw, kind, scale, choices, nan_is_null)
        col.missing = missing if missing.any() else None
        bad = ocodes != 0
        if kind == "dec":
            col.values[bad | missing | ofull] = 0
            col.bound = int(np.abs(col.values).max()) if n else 0
        col.invalid = bad if bad.any() else None
        return col, (ocodes if bad.any() else None), (ofull if ofull.any() else None)
    given = ~null if null is not None else None
    codes: np.ndarray | None = None
    full: np.ndarray | None = None
    extremes: tuple[int, int] | None = None

    def flag(mask: np.ndarray, code: str) -> None:
        nonlocal codes
        if given is not None:
            mask = mask & given
        if mask.any():
            if codes is None:
                codes = np.zeros(n, np.int8)
            codes[mask & (codes == 0)] = _P[code]

    if kind == "bool":
        if dk == "b":
            values = v
        else:
            values = np.zeros(n, bool)
            flag(np.ones(n, bool), "invalid_type")
    elif kind == "str":
        values = np.zeros(n, np.int32)
        flag(np.ones(n, bool), "invalid_choice")
    else:
        lo, hi = _bounds_int(ind)
        if dk == "b":
            values = np.zeros(n, np.int64)
            flag(np.ones(n, bool), "invalid_type")
        elif dk in "iu":
            vi = v.astype(np.int64, copy=False)
            vmin, vmax = (int(vi.min()), int(vi.max())) if n else (0, 0)
            if lo is not None and vmin < lo:
                flag(vi < lo, "out_of_range")
            if hi is not None and vmax > hi:
                flag(vi > hi, "out_of_range")
            limit = 10 ** (15 - scale) if scale < 15 else 1
            if vmax >= limit or vmin <= -limit:  # too large for fixed point: the single-unit path
                big = np.abs(vi) >= limit
                full = big if given is None else big & given
                values = np.where(big, 0, vi) * 10**scale
            else:
                values = vi * 10**scale if scale else vi
                extremes = (vmin * 10**scale, vmax * 10**scale)
        else:  # float
            x = v
            # min and max propagate NaN: finite extremes mean every value is finite
            xmin, xmax = (float(x.min()), float(x.max())) if n else (0.0, 0.0)
            if math.isfinite(xmin) and math.isfinite(xmax):
                finite: Any = True
                xf = x
            else:
                finite = np.isfinite(x)
                flag(~finite, "not_finite")
                xf = np.where(finite, x, 0.0)
                xmin, xmax = (float(xf.min()), float(xf.max())) if n else (0.0, 0.0)
            if ind.type == "integer":
                integral = np.floor(xf) == xf
                if not integral.all():
                    flag(~integral, "not_integer")
                small = np.abs(xf) < 10**15
                ok = integral & small
                values = np.where(ok, xf, 0.0).astype(np.int64)
                ok &= finite
                if lo is not None:
                    flag(ok & (values < lo), "out_of_range")
                if hi is not None:
                    flag(ok & (values > hi), "out_of_range")
                big = finite & integral & ~small
            else:
                # x is exactly a decimal of `scale` places when its nearest such decimal (below 10^15,
                # where doubles keep 15 digits) converts back to x itself
                p = 10.0**scale
                r = xf * p
                np.rint(r, out=r)
                exact = (r / p) == xf
                if max(-xmin, xmax) * p >= 1e15:
                    exact &= np.abs(r) < 1e15
                if exact.all():
                    values = r.astype(np.int64)
                    big = None
                    # rounding is monotonic: the extremes of the scaled values are the scaled extremes
                    vmin, vmax = round(xmin * p), round(xmax * p)
                    extremes = (vmin, vmax)
                else:
                    values = np.where(exact, r, 0.0).astype(np.int64)
                    big = finite & ~exact
                    vmin, vmax = (int(values.min()), int(values.max())) if n else (0, 0)
                if ind.min is not None and vmin < to_scaled(ind.min, scale):
                    flag(exact & (values < to_scaled(ind.min, scale)), "out_of_range")
                if ind.max is not None and vmax > to_scaled(ind.max, scale):
                    flag(exact & (values > to_scaled(ind.max, scale)), "out_of_range")
            if big is not None and big.any():
                full = big if given is None else big & given
    invalid = None if codes is None else codes != 0
    if kind == "dec":
        # rejected, missing and unrepresentable rows keep whatever value: their results are replaced,
        # and the bound below covers them (every value here is below 10^15)
        lo_v, hi_v = extremes if extremes is not None else ((int(values.min()), int(values.max())) if n else (0, 0))
        bound = max(abs(lo_v), abs(hi_v))
        if bound >= 10**15:  # pragma: no cover - guarded above
            raise AssertionError(f"{name}: a value escaped the fixed-point limit")
    else:
        bound = 1
    return Col(kind, values, scale, bound, choices, missing=null, invalid=invalid), codes, full


# ---------------------------------------------------------------------------
# results


def row_status(ev: Evaluation, n_plan_vetoes: int | None = None) -> str:
    """One status for a unit: ``invalid_input`` (a value or an assessor's entry is rejected, or a
    rule cannot be computed), ``missing_input`` (an item or a condition lacks a value),
    ``awaiting_assessor``, or ``scored``."""
    if any(p.severity == "error" and p.code != "missing" for p in ev.problems):
        return "invalid_input"
    item_ids = {i.id for i in ev.items if i.kind == "veto"}
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
    tell); ``errors``; and, for reference values computed over a cohort,
    ``cohort.<indicator>``, ``cohort.<indicator>.region`` and ``cohort.<indicator>.size``.
    """

    def __init__(self, runner: Runner, n: int, arrays: dict[str, np.ndarray], context: dict[str, np.ndarray],
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

    # -- columns
    @property
    def columns(self) -> list[str]:
        out = list(self._context)
        out += ["status", "total", "total_exact", "eligible", "vetoed", "grade", "passed", "complete", "met",
                "counted", "completion"]
        out += [f"section.{s.id}" for s in self.plan.sections]
        for it in self._runner.program.items:
            out += [f"item.{it.id}", f"item.{it.id}.status", f"item.{it.id}.met"]
        for c in self._runner.program.conds:
            out.append(f"{'eligibility' if c.group == 'eligibility' else 'veto'}.{c.id}")
        out.append("errors")
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
                from ..language.expressions import quantize

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
            from ..language.expressions import quantize

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
            return np.full(self.n, len([it for it in prog.items if prog._kind(it) != "veto"]), np.int32)
        if name == "completion":
            counted = len([it for it in prog.items if prog._kind(it) != "veto"])
            if exact:
                return _obj([share(int(m), counted) for m in a["met_count"].tolist()])
            return a["met_count"] / counted if counted else np.full(self.n, np.nan)
        if name == "errors":
            out = np.full(self.n, None, dtype=object)
            for i, errs in self._errors.items():
                out[i] = "; ".join(f"{f}: {c}" for f, c in errs)
            return out
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
        raise KeyError(f"no column {name!r}; columns: {', '.join(self.columns)}")

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

    def to_pandas(self, *, exact: bool = False) -> Any:
        """A pandas DataFrame of every column (points as floats; Decimals with ``exact=True``)."""
        import pandas as pd

        data = {}
        for c in self.columns:
            v = self.column(c, exact=exact)
            if c.endswith(".met") or c.startswith(("veto.", "eligibility.")) or c in ("eligible", "passed"):
                v = pd.array(v.tolist(), dtype="boolean")
            data[c] = v
        return pd.DataFrame(data)

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
    cohort: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


#: compiled programs, by rule set, tier, date and input scale (a rule set is immutable once loaded)
_PROGRAMS: weakref.WeakKeyDictionary[RuleSet, dict[tuple[Any, ...], Program]] = weakref.WeakKeyDictionary()
_PROGRAMS_LOCK = threading.Lock()


def _program(ruleset: RuleSet, plan: Plan, on: dt.date, params: Mapping[str, Any], input_scale: int | None) -> Program:
    key = (plan.tier, on, input_scale)
    with _PROGRAMS_LOCK:
        cache = _PROGRAMS.setdefault(ruleset, {})
        prog = cache.get(key)
        if prog is None or prog.plan is not plan:
            prog = cache[key] = Program(ruleset, plan, params, input_scale)
        return prog


ARRAYS = ("pts", "status", "met", "sec", "total", "cond", "eligible", "vetoed", "grade", "complete", "met_count",
          "row_status", "passed")


class Runner:
    """Scores chunks of one rule set's plan on one date, by either backend."""

    def __init__(self, ruleset: RuleSet, plan: Plan, *, on: dt.date, context: Mapping[str, Any] | None,
                 assessments: Any, assessor: str | None, backend: str, context_columns: Sequence[str],
                 input_scale: int | None = None) -> None:
        self.ruleset = ruleset
        self.plan = plan
        self.on = on
        self.context = dict(context or {})
        self.assessments = assessments
        self.assessor = assessor
        self.context_columns = tuple(context_columns)
        _load()
        self.params = ruleset.parameters_on(on)
        self.program = _program(ruleset, plan, on, self.params, input_scale)
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
        prog = self.program
        self._assessment_rows(chunk)
        chunk.cohort = dict(cohort_cols or {})  # type: ignore[attr-defined]
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
                          checked.env.runtime_fallbacks)

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
                m = cc.mapping(i)
                if m is not None:
                    data[ref] = m
        extra = self._extra_assessments(chunk, i)
        if extra:
            assessments = {**assessments, **extra}
        ev = evaluate_plan(self.ruleset, self.plan, data, on=self.on, context=context, assessments=assessments,
                           assessor=self.assessor)
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
        out.met_count[i] = sum(1 for it in ev.items if it.met and it.kind != "veto")
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
            cc = getattr(chunk, "cohort", {}).get(name)
            if cc is not None:
                cd, fl = self._merge_cohort(name, ind, col, cd, fl, cc)
            cols[name] = col
            if cd is not None:
                codes[name] = cd
            if fl is not None:
                full |= fl
        env = Env(n, cols, self.params)
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
                if raw.values.dtype == object:
                    per_row = True
                    break
        if per_row:
            self._assessments_by_row(chunk, lay, env, codes, full)
            return
        K = self.program.K
        for key, colmap in lay.assess.items():
            rule = self.assessable.get(key)
            if rule is None:
                continue  # a warning only
            raw = chunk.cols[colmap["value"]]
            v = raw.values
            present = np.ones(n, bool) if raw.null is None else ~raw.null
            if chunk.nan_is_null and v.dtype.kind == "f":
                present &= ~np.isnan(v)
            bad = np.zeros(n, bool)
            if isinstance(rule, Discretionary):
                lo, hi = rule.params.min, rule.params.points  # type: ignore[attr-defined]
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
            else:
                assert isinstance(rule, Requirement)
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
        present = {key: np.zeros(n, bool) for key in self.assessable}
        values = {key: (np.zeros(n, bool) if isinstance(r, Requirement) else np.zeros(n, np.int64))
                  for key, r in self.assessable.items()}
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
                    bad.setdefault(p.field, np.zeros(n, bool))[i] = True
            for key, a in checked.items():
                if key not in present:
                    full[i] = True  # an assessed plugin kind: the whole row through the single path
                    continue
                if isinstance(self.assessable[key], Requirement):
                    values[key][i] = bool(a.value)
                else:
                    try:
                        values[key][i] = to_scaled(a.value, K)
                    except Unvectorizable:
                        full[i] = True
                        continue
                present[key][i] = True
        for key in self.assessable:
            env.assess[key] = AssessCol(present[key], values[key], 0 if isinstance(self.assessable[key], Requirement)
                                        else K)
        for fieldname, mask in bad.items():
            codes[fieldname] = np.where(mask, _P["invalid_assessment"], 0).astype(np.int8)


def _with_source(raw: RawCol, src: RawCol) -> RawCol:
    """A reference column whose source column is given: the values stay, sources are not scored."""
    return raw


# ---------------------------------------------------------------------------
# public functions


def _resolve(ruleset: Any, tier: str | None) -> tuple[RuleSet, Plan]:
    rs = get_engine().resolve(ruleset)
    return rs, rs.plan(tier)


def _when(on: Any, context: Mapping[str, Any] | None) -> dt.date:
    if on is not None:
        d = as_date(on)
        assert d is not None
        return d
    return as_date(context.get("on") if context else None) or dt.date.today()


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
                ch.cols[k] = RawCol(c.values[a:b], None if c.null is None else c.null[a:b])
            if ch.rows is not None:
                ch.rows = [{**r, **{k: ch.cols[k].py(i) for k in extra}} for i, r in enumerate(ch.rows)]
            yield ch


def _prepare(ruleset: Any, records: Any, tier: str | None, context: Mapping[str, Any] | None, assessments: Any,
             assessor: str | None, on: Any, backend: str, chunk_size: int, context_columns: Sequence[str],
             cohorts: Any) -> tuple[Runner, Any, Source]:
    """What :func:`evaluate_many` and :func:`evaluate_chunks` score with: the runner, the cohort
    table (or None) and the source of the records."""
    _load()
    rs, plan = _resolve(ruleset, tier)
    when = _when(on, context)
    if backend not in BACKENDS:  # before the input is opened
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    src = _columns_assessments(assessments, open_source(records, rs))
    runner = Runner(rs, plan, on=when, context=context, assessments=assessments, assessor=assessor,
                    backend=backend, context_columns=context_columns)
    table, src = _cohorts_for(runner, src, chunk_size, cohorts)
    return runner, table, src


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
    errors: dict[int, list[tuple[str, str]]] = {}
    overrides: dict[int, Evaluation] = {}
    kept: list[Chunk] = [] if keep is None else keep
    prog = runner.program
    arrays_all = None if expected is None else prog.allocate(expected)
    workers = _workers(expected, chunk_size, runner.backend)
    scores: list[ChunkScore] = []
    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            pending: list[Any] = []
            for ch in chunks:
                pending.append(pool.submit(_score_one, runner, ch, table, arrays_all, expected))
                while len(pending) > 2 * workers:
                    scores.append(pending.pop(0).result())
            scores.extend(f.result() for f in pending)
    else:
        scores = [_score_one(runner, ch, table, arrays_all, expected) for ch in chunks]
    total = 0
    single = 0
    runtime: dict[str, tuple[int, str]] = {}
    cohort_info: dict[str, dict[str, list[np.ndarray]]] = {}
    for sc in scores:
        off = sc.chunk.offset
        for i, e in sc.errors.items():
            errors[off + i] = e
        overrides.update(sc.overrides)
        kept.append(sc.chunk)
        total += sc.chunk.n
        single += sc.single_rows
        for key, why in sc.runtime_fallbacks.items():
            runtime[key] = (runtime.get(key, (0, why))[0] + 1, why)
        for ref, slot in sc.cohort.items():
            dst = cohort_info.setdefault(ref, {"values": [], "sources": [], "regions": [], "sizes": []})
            for k, v in slot.items():
                dst[k].append(v)
    outs = [sc.out for sc in scores]
    if arrays_all is not None and total == expected:
        arrays = arrays_all
    else:
        if not outs:
            outs = [prog.new_out(0)]
        arrays = _concat(outs)
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
    report = {"backend": runner.backend, **prog.report(runtime), "rows": total,
              "rows_single_unit": single if runner.backend == "vector" else total,
              "rows_not_fixed_point": len(overrides), "threads": workers}
    cohort = None
    if cohort_info:
        cohort = {ref: {k: np.concatenate(v) for k, v in d.items()} for ref, d in cohort_info.items()}
    return BatchResults(runner, total, arrays, context, errors, overrides, kept, [sc.layout for sc in scores],
                        runner.backend, report, cohort, time.perf_counter() - t0 if t0 else 0.0)


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
    from .cohort import CohortTable, cohort_specs

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
    _load()
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


