"""Where records come from: rows, column mappings, pandas, polars, Arrow/Parquet, CSV, JSON
Lines and xlsx, each read in chunks of raw columns."""

from __future__ import annotations

import decimal
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import InputError
from ...plan.loader import RuleSet
from .columns import Chunk, RawCol, _chunk_from_rows, _obj, _typed

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
