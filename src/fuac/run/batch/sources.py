"""Where records come from: rows, column mappings, pandas, polars, Arrow/Parquet, CSV, JSON
Lines and xlsx, each read in chunks of raw columns."""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import InputError
from ...language.cells import ENTRY_READING, FALSE_WORDS, SPACES, TRUE_WORDS, Unreadable, from_cell, strip
from ...plan.loader import RuleSet
from ..files import (
    MAX_SHEET_ROWS,
    check_encoding,
    detect_encoding,
    open_workbook,
    read_json,
    read_json_file,
    unreadable_workbook,
)
from .columns import DEFAULT_CONTEXT_COLUMNS, MAX_COLUMNS, Chunk, RawCol, _chunk_from_rows, _obj, _typed

# ---------------------------------------------------------------------------
# sources


class Source:
    """Where records come from. ``n`` is None when not known before reading."""

    n: int | None = None
    #: True when the records can be read again (a second pass, for cohort statistics)
    rereadable: bool = True

    def chunks(self, size: int) -> Iterator[Chunk]:  # pragma: no cover - abstract
        raise NotImplementedError


def _in_chunks(rows: Iterable[Any], size: int, make: Callable[[int, list[Any]], Chunk], offset: int = 0, *,
               empty: bool = False) -> Iterator[Chunk]:
    """``rows`` in chunks of ``size``, each made by ``make(offset, rows)``; with ``empty``, one chunk even
    when the input has no row at all (so that its columns are known)."""
    buf: list[Any] = []
    for r in rows:
        buf.append(r)
        if len(buf) >= size:
            yield make(offset, buf)
            offset += len(buf)
            buf = []
    if buf or (empty and offset == 0):
        yield make(offset, buf)


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
        yield from _in_chunks(self.rows, size, _chunk_from_rows)


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


#: the rows from which a CSV chunk's columns are read on several threads
_THREADED_ROWS = 16_384


class CsvSource(Source):
    """A CSV file, its cells read one by one from their text (:mod:`fuac.language.cells`): a cell's
    meaning never depends on its neighbours or the chunk it is read in.

    The encoding is detected (UTF-8 with or without its mark, UTF-16, GB18030/GBK) unless given.
    Duplicate column names are refused; a row with more values than the header names (other than
    empty ones, which a trailing comma leaves) or fewer is unreadable: each of its cells says so
    and names the line, and the row is still in the results. With pyarrow installed the file is
    parsed by Arrow and plain columns are converted column by column; without it, cell by cell."""

    def __init__(self, path: Path, ruleset: RuleSet | None = None, encoding: str | None = None,
                 entries: Mapping[str, str] | None = None) -> None:
        self.path = path
        self.encoding = check_encoding(encoding) if encoding else detect_encoding(path)
        #: how each column's text is read: an indicator's type (and whether a percentage), or an entry's
        self.readings: dict[str, tuple[str, bool]] = {}
        if ruleset is not None:
            for name, ind in ruleset.doc.indicators.items():
                self.readings[name] = (ind.type, ind.unit == "percent")
        for col, form in (entries or {}).items():
            if form in ENTRY_READING:
                self.readings[col] = (ENTRY_READING[form], False)
        self.header = self._header()

    def _open(self) -> Any:
        return open(self.path, encoding=self.encoding, newline="", errors="strict")

    def _header(self) -> list[str]:
        try:
            with self._open() as fh:
                header = next(csv.reader(fh), None)
        except UnicodeDecodeError as exc:
            raise _undecodable(self.path, self.encoding, exc) from None
        except csv.Error as exc:
            raise InputError(f"{self.path}: not a readable CSV file: {exc}") from None
        if header is None:
            raise InputError(f"{self.path}: the file is empty: a CSV input starts with a header row naming its columns")
        header = [h.strip(" \t\ufeff") for h in header]
        while header and not header[-1]:
            header.pop()  # a trailing comma after the last name
        _one_of_each(header, str(self.path))
        if len(header) > MAX_COLUMNS:
            raise InputError(f"{self.path}: {len(header):,} columns, more than {MAX_COLUMNS:,} (a row holds one "
                             "unit's values): refused")
        if not any(header):
            raise InputError(f"{self.path}: the header row names no column")
        return header

    def chunks(self, size: int, columns: list[str] | None = None) -> Iterator[Chunk]:
        try:
            import pyarrow.csv  # noqa: F401
        except ImportError:  # pragma: no cover - depends on the environment
            yield from self._plain_chunks(size, 0)
            return
        done = 0
        try:
            for chunk in self._arrow_chunks(size):
                done += chunk.n
                yield chunk
        except _Ragged:
            yield from self._plain_chunks(size, done)  # the rest, read row by row

    def _arrow_chunks(self, size: int) -> Iterator[Chunk]:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        names = [f"_{k}" for k in range(len(self.header))]

        seen: list[Any] = []

        def ragged(row: Any) -> str:
            seen.append(row)
            return "error"

        enc = "utf8" if self.encoding in ("utf-8", "utf-8-sig") else self.encoding
        read = pacsv.ReadOptions(column_names=names, skip_rows=1, encoding=enc, block_size=1 << 22)
        parse = pacsv.ParseOptions(invalid_row_handler=ragged)
        convert = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
                                       quoted_strings_can_be_null=False)
        try:
            reader = pacsv.open_csv(self.path, read_options=read, parse_options=parse, convert_options=convert)
            offset = 0
            pending: list[Any] = []
            rows = 0
            for batch in reader:
                pending.append(batch)
                rows += batch.num_rows
                while rows >= size:
                    table = pa.Table.from_batches(pending)
                    yield self._arrow_chunk(offset, table.slice(0, size))
                    offset += size
                    rest = table.slice(size)
                    pending, rows = rest.to_batches(), rest.num_rows
            if rows or offset == 0:
                yield self._arrow_chunk(offset, pa.Table.from_batches(pending, schema=reader.schema))
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            if seen:
                raise _Ragged from None
            raise InputError(f"{self.path}: not a readable CSV file in {self.encoding}: {str(exc).splitlines()[0]}"
                             ) from None

    def _arrow_chunk(self, offset: int, table: Any) -> Chunk:
        names = [(k, name) for k, name in enumerate(self.header) if name]

        def read(col: tuple[int, str]) -> RawCol:
            return arrow_text_column(table.column(col[0]), *self.readings.get(col[1], ("text", False)))

        threads = min(os.cpu_count() or 1, 4) if table.num_rows >= _THREADED_ROWS else 1
        if threads > 1:  # Arrow and numpy release the GIL: columns are read on every core
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(threads) as pool:
                cols = list(pool.map(read, names))
        else:
            cols = [read(c) for c in names]
        return Chunk(offset, table.num_rows, {name: c for (_, name), c in zip(names, cols, strict=True)})

    def _plain_chunks(self, size: int, skip: int) -> Iterator[Chunk]:
        try:
            yield from _in_chunks(self._plain_rows(skip), size, self._rows_chunk, skip, empty=True)
        except UnicodeDecodeError as exc:
            raise _undecodable(self.path, self.encoding, exc) from None
        except csv.Error as exc:
            raise InputError(f"{self.path}: not a readable CSV file: {exc}") from None

    def _plain_rows(self, skip: int) -> Iterator[list[Any]]:
        """The rows after the first ``skip``, each as wide as the header (a ragged one: unreadable)."""
        width = len(self.header)
        with self._open() as fh:
            reader = csv.reader(fh)
            next(reader, None)
            for k, cells in enumerate(reader):
                if k < skip:
                    continue
                row: list[Any] = cells
                if len(row) > width and not any(strip(c) for c in row[width:]):
                    row = row[:width]  # only empty values past the last column: a trailing comma
                if len(row) != width:
                    row = [_unreadable(reader.line_num, len(row), width)] * width
                yield row

    def _rows_chunk(self, offset: int, rows: list[list[Any]]) -> Chunk:
        cols: dict[str, RawCol] = {}
        for k, name in enumerate(self.header):
            if name:
                cols[name] = _typed([_text_or_none(r[k]) for r in rows])
        return Chunk(offset, len(rows), cols)


#: what Arrow converts exactly as :func:`fuac.language.cells.from_text` reads it (a plain cell): whole
#: numbers of up to 18 digits (int64), and decimals of up to 15 characters (so at most 15 significant
#: digits, which a float64 holds exactly: its shortest repr gives the text's value back) — as regular
#: expressions (:func:`number_shapes` tests each cell's bytes for them at once)
ARROW_INT = r"^-?\d{1,18}$"
ARROW_DEC = r"^[+-]?(\d+\.?\d*|\.\d+)$"


def arrow_text_column(arr: Any, kind: str, percent: bool) -> RawCol:
    """A column of CSV text (an Arrow string array) read as ``kind`` values (see
    :func:`fuac.language.cells.read_text`). A yes/no or number column is typed at once: its plain
    cells (yes/no words; whole numbers, or short decimals, whichever more cells are) are converted by
    Arrow, and the few others (``1,234``, ``９６``, ``95%``, ``abc``, long decimals) are kept as
    text (:attr:`RawCol.odd`), each read later by the same function as a cell by itself — the same
    reading either way. Any other column is its cells."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    text = _trimmed(pc, arr)
    null = np.diff(_bytes_of(text)[0]) == 0
    nulls = null if null.any() else None
    if kind in ("boolean", "integer", "decimal"):
        values, plain = _arrow_typed(pc, pa, text, kind, percent)
        odd = np.flatnonzero(~(plain | null))
        if not odd.size:
            return RawCol(values, nulls, arr)
        return RawCol(values, nulls, arr, odd, _obj(arr.take(pa.array(odd)).to_pylist()))
    cells = _obj(arr.to_pylist())
    if nulls is not None:
        cells[null] = None
    return RawCol(cells, nulls)


#: the yes and no words in the cases people write them (any other case is read cell by cell)
_YES = sorted({v for w in TRUE_WORDS for v in (w, w.upper(), w.title())})
_NO = sorted({v for w in FALSE_WORDS for v in (w, w.upper(), w.title())})


def _arrow_typed(pc: Any, pa: Any, text: Any, kind: str, percent: bool) -> tuple[np.ndarray, np.ndarray]:
    """``text`` (trimmed) as bool, int64 or float64 where each cell is plain (a placeholder elsewhere),
    and which cells are plain."""
    if kind == "boolean":
        word = pc.fill_null(pc.index_in(text, value_set=pa.array(_YES + _NO)), -1).to_numpy(zero_copy_only=False)
        return (word >= 0) & (word < len(_YES)), word >= 0
    if percent:
        sign = pc.ends_with(text, "%")
        if pc.any(sign).as_py():  # 95% is 95, and 95 % too
            text = pc.utf8_trim(pc.if_else(sign, pc.utf8_slice_codeunits(text, 0, -1), text), characters=SPACES)
    whole, short = number_shapes(text)
    plain, to = (whole, pa.int64()) if whole.sum() >= short.sum() else (short, pa.float64())
    return pc.cast(pc.if_else(pa.array(plain), text, "0"), to).to_numpy(zero_copy_only=False), plain


def _bytes_of(text: Any) -> tuple[np.ndarray, np.ndarray]:
    """An Arrow string array's offsets (one more than its cells) and bytes, as numpy arrays (no copy)."""
    n = len(text)
    _, obuf, dbuf = text.buffers()
    width = np.int64 if str(text.type) == "large_string" else np.int32
    offsets = np.frombuffer(obuf, width, n + 1, text.offset * np.dtype(width).itemsize) if n else np.zeros(1, width)
    return offsets, (np.frombuffer(dbuf, np.uint8) if dbuf is not None else np.zeros(0, np.uint8))


#: the first bytes, and the last, of the spaces a cell's text is stripped of (ASCII, U+00A0, U+3000)
_LEAD = np.zeros(256, bool)
_LEAD[[9, 10, 13, 32, 0xC2, 0xE3]] = True
_TRAIL = np.zeros(256, bool)
_TRAIL[[9, 10, 13, 32, 0xA0, 0x80]] = True


def _trimmed(pc: Any, arr: Any) -> Any:
    """``arr`` without spaces around its cells' text: itself when no cell starts or ends with a byte
    that begins or ends one."""
    offsets, data = _bytes_of(arr)
    given = np.diff(offsets) > 0
    if given.any() and (_LEAD[data[offsets[:-1][given]]].any() or _TRAIL[data[offsets[1:][given] - 1]].any()):
        return pc.utf8_trim(arr, characters=SPACES)
    return arr


def number_shapes(text: Any) -> tuple[np.ndarray, np.ndarray]:
    """Which cells of ``text`` (an Arrow string array) match :data:`ARROW_INT`, and which
    :data:`ARROW_DEC`: counted from their bytes (digits, points, a sign first), all cells at once."""
    offsets, data = _bytes_of(text)
    n = len(offsets) - 1
    start, end = offsets[:-1], offsets[1:]
    length = end - start

    def per_cell(byte: np.ndarray) -> np.ndarray:  # how many bytes of each cell are ``byte``
        running = np.zeros(len(data) + 1, np.int32)
        np.cumsum(byte, out=running[1:])
        return running[end] - running[start]

    digits = per_cell((data >= 48) & (data <= 57))
    points = per_cell(data == 46)
    # each cell's first byte (an empty cell's is its neighbour's: it has no digit, so matches neither)
    first = data[np.minimum(start, max(len(data) - 1, 0))] if len(data) else np.zeros(n, np.uint8)
    minus = first == 45
    sign = minus | (first == 43)
    whole = (digits == length - minus) & (digits >= 1) & (digits <= 18)
    short = (digits + points + sign == length) & (points <= 1) & (digits >= 1) & (length <= 15)
    return whole, short


def _one_of_each(header: list[str], where: str) -> None:
    """Refuse a header that names a column twice (which of the two would a value be?)."""
    seen: dict[str, int] = {}
    for k, h in enumerate(header, 1):
        if h and h in seen:
            raise InputError(f"{where}: the column {h!r} appears twice (columns {seen[h]} and {k}); keep one")
        seen[h] = k


class _Ragged(Exception):
    """A row of the CSV file has more or fewer values than its header: read it row by row."""


def _unreadable(line: int, got: int, width: int) -> Unreadable:
    return Unreadable(zh=f"第{line}行有{got}个值，表头有{width}列，无法对应，整行未读",
                      en=f"line {line} has {got} values for the {width} columns of the header: the row is not read")


def _text_or_none(cell: Any) -> Any:
    return None if isinstance(cell, str) and not strip(cell) else cell


def _undecodable(path: Path, encoding: str, exc: UnicodeDecodeError) -> InputError:
    return InputError(f"{path}: byte {exc.start} is not {encoding} text; save the file as CSV UTF-8, "
                      "or name its encoding with --encoding")


class JsonLinesSource(Source):
    def __init__(self, path: Path) -> None:
        self.path = path

    def chunks(self, size: int) -> Iterator[Chunk]:
        try:
            yield from _in_chunks(self._records(), size, _chunk_from_rows)
        except UnicodeDecodeError as exc:
            raise _undecodable(self.path, "utf-8", exc) from None

    def _records(self) -> Iterator[Any]:
        with open(self.path, encoding="utf-8-sig", errors="strict") as fh:
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    yield read_json(line, f"{self.path}:{lineno}")


class XlsxSource(Source):
    """A worksheet of a workbook: the sheet named, else the active one — or, when that has no column
    fuac knows, the first sheet that has; its header is the first row (of the first 20) naming a
    known column, so title rows above it are skipped. Rows with no value under a known column (a
    note beside the table) are not units. A formula cell the file holds no computed value for is
    unreadable, naming the cell. The workbook is checked before it is opened (:mod:`fuac.run.files`)."""

    HEADER_SEARCH = 20

    def __init__(self, path: Path, ruleset: RuleSet | None = None, sheet: str | None = None) -> None:
        self.path = path
        self.indicators = dict(ruleset.doc.indicators) if ruleset is not None else {}
        self.any_column = ruleset is None
        wb = open_workbook(path)
        try:
            self.sheet, self.header_row, self.header = self._find_table(wb, sheet)
        except InputError:
            raise
        except Exception as exc:  # a sheet's XML, parsed lazily
            raise unreadable_workbook(path, exc) from None
        finally:
            wb.close()

    def known(self, name: str) -> bool:
        """Whether a header names a column fuac reads (any, for a table read without a rule set)."""
        if self.any_column:
            return bool(name)
        return (name in self.indicators or name.startswith(("assessments.", "context."))
                or name in DEFAULT_CONTEXT_COLUMNS or (name.endswith(".source") and name[:-7] in self.indicators))

    def _find_table(self, wb: Any, sheet: str | None) -> tuple[str, int, list[str]]:
        if sheet is not None:
            if sheet not in wb.sheetnames:
                raise InputError(f"{self.path}: no sheet {sheet!r}; its sheets: {', '.join(wb.sheetnames)}")
            order = [sheet]
        else:
            active = wb.active.title if wb.active is not None else None
            order = [n for n in wb.sheetnames if n == active] + [n for n in wb.sheetnames if n != active]
        for name in order:
            found = self._header_of(wb[name])
            if found is not None:
                return name, found[0], found[1]
        what = ("column fuac knows (an indicator of the rule set, id, name, code, assessments.…)"
                if not self.any_column else "header row")
        if sheet is not None:
            raise InputError(f"{self.path}: sheet {sheet!r} has no {what} in its first {self.HEADER_SEARCH} rows")
        raise InputError(f"{self.path}: none of its sheets ({', '.join(wb.sheetnames)}) has a {what} in its first "
                         f"{self.HEADER_SEARCH} rows; name the sheet with --sheet")

    def _header_of(self, ws: Any) -> tuple[int, list[str]] | None:
        for r, row in enumerate(ws.iter_rows(max_row=self.HEADER_SEARCH, values_only=True), 1):
            header = [str(h).strip() if h is not None else "" for h in row]
            if any(self.known(h) for h in header):
                _one_of_each(header, f"{self.path}: sheet {ws.title!r}, row {r}")
                return r, header
        return None

    def chunks(self, size: int) -> Iterator[Chunk]:
        wb = open_workbook(self.path)
        formulas = open_workbook(self.path, data_only=False)
        try:
            yield from self._rows(wb[self.sheet], formulas[self.sheet], size)
        except InputError:
            raise
        except Exception as exc:  # a sheet's XML, parsed lazily
            raise unreadable_workbook(self.path, exc) from None
        finally:
            wb.close()
            formulas.close()

    def _rows(self, ws: Any, fs: Any, size: int) -> Iterator[Chunk]:
        cols = [(k, h) for k, h in enumerate(self.header) if h and self.known(h)]

        def make(offset: int, recs: list[dict[str, Any]]) -> Chunk:
            return _chunk_from_rows(offset, recs) if recs else Chunk(0, 0, {h: _typed([]) for _, h in cols})

        yield from _in_chunks(self._records(ws, fs, cols), size, make, empty=True)

    def _records(self, ws: Any, fs: Any, cols: list[tuple[int, str]]) -> Iterator[dict[str, Any]]:
        """Each row with a value under a known column, as a record of those columns. A cell merged
        down over several rows (a county's name over its towns) gives its value to each of them."""
        start = self.header_row + 1
        spans = _merged_down(ws, start, {k for k, _ in cols})
        carry: dict[int, tuple[Any, int]] = {}  # column → (the merged cell's value, its last row)
        rows = zip(ws.iter_rows(min_row=start), fs.iter_rows(min_row=start), strict=False)
        for r, (row, frow) in enumerate(rows, start):
            if r > MAX_SHEET_ROWS:
                raise InputError(f"{self.path}: sheet {self.sheet!r} has more than {MAX_SHEET_ROWS:,} rows")
            rec: dict[str, Any] = {}
            for k, h in cols:
                cell = row[k] if k < len(row) else None
                value = None if cell is None else from_cell(cell.value, str(getattr(cell, "number_format", "")))
                if isinstance(value, str) and not strip(value):
                    value = None
                if value is None and k < len(frow) and _is_formula(frow[k].value):
                    value = _uncomputed(f"{self.sheet}!{_column(k)}{r}")
                if (k, r) in spans:
                    carry[k] = (value, spans[k, r])
                elif k in carry and r <= carry[k][1]:
                    value = carry[k][0]
                rec[h] = value
            if any(v is not None for v in rec.values()):  # else a blank row, or a note beside the table
                yield rec


#: a merged range in a sheet's XML (``<mergeCell ref="B3:B7"/>``, with or without a prefix)
_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3}[0-9]{1,7}):([A-Z]{1,3}[0-9]{1,7})"')


def _merged_down(ws: Any, first: int, columns: set[int]) -> dict[tuple[int, int], int]:
    """The cells of a read-only sheet's data rows (from row ``first``) merged down over further rows,
    in ``columns`` (0-based): (column, first row) → last row. Only a range's first column: a cell
    merged across columns gives its value to that column alone (the others stay empty, as written)."""
    from openpyxl.utils.cell import coordinate_to_tuple

    get_source = getattr(ws, "_get_source", None)
    if get_source is None:  # pragma: no cover - openpyxl's read-only sheet has it
        return {}
    spans: dict[tuple[int, int], int] = {}
    tail = b""
    with get_source() as src:  # the ranges follow the rows, after every cell: scanned, not parsed
        while block := src.read(1 << 20):
            text = tail + block
            for m in _MERGE_CELL.finditer(text):
                (r1, c1), (r2, _) = (coordinate_to_tuple(x.decode()) for x in m.groups())
                if r2 > r1 and r1 >= first and c1 - 1 in columns:
                    spans[c1 - 1, r1] = r2
            tail = text[-256:]
    return spans


def _uncomputed(cell: str) -> Unreadable:
    return Unreadable(zh=f"单元格 {cell} 是公式，文件中没有保存其计算结果（请在 Excel 中打开并保存）",
                      en=f"cell {cell} is a formula the file holds no computed value for (open and save it in Excel)")


def _is_formula(v: Any) -> bool:
    return isinstance(v, str) and v.startswith("=")


def _column(k: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(k + 1))


@dataclass(frozen=True, slots=True)
class InputFile:
    """An input file with how to read it: a CSV file's text ``encoding`` (detected when None), a
    workbook's ``sheet`` (found when None). ``fuac.evaluate_many(rs, InputFile("units.csv",
    encoding="gb18030"))``; a bare path is the same with both found."""

    path: str | os.PathLike[str]
    encoding: str | None = None
    sheet: str | None = None


def open_source(records: Any, ruleset: RuleSet | None = None, *, entries: Mapping[str, str] | None = None
                ) -> Source:
    """A :class:`Source` for whatever ``records`` is; ``entries``: the form of each assessor's entry
    column (``assessments.KEY`` → ``met`` or ``points``), so that their text is read as such."""
    if isinstance(records, Source):
        return records
    spec = records if isinstance(records, InputFile) else InputFile(records) if isinstance(
        records, (str, os.PathLike)) else None
    if spec is not None:
        p = Path(spec.path)
        if not p.is_file():
            raise InputError(f"no input file at {str(p)!r}")
        suffix = p.suffix.lower()
        if suffix == ".csv":
            return CsvSource(p, ruleset, spec.encoding, entries)
        if spec.encoding is not None:
            raise InputError(f"{p}: an encoding is for a .csv file, not {suffix!r}")
        if suffix in (".jsonl", ".ndjson"):
            return JsonLinesSource(p)
        if suffix in (".xlsx", ".xlsm"):
            return XlsxSource(p, ruleset, spec.sheet)
        if spec.sheet is not None:
            raise InputError(f"{p}: a sheet is for an .xlsx workbook, not {suffix!r}")
        if suffix in (".parquet", ".pq"):
            return ParquetSource(p)
        if suffix == ".json":
            doc = read_json_file(p)
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
