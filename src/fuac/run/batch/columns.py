"""A chunk of records as raw columns, what each column is (indicator, source, assessment,
context), and each indicator's column validated at once."""

from __future__ import annotations

import decimal
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...errors import InputError
from ...language.cells import from_text
from ...language.models import Indicator
from ...plan.loader import RuleSet
from ..inputs import REFERENCE_KEYS, check_value
from ..vector import Col, Env, Unvectorizable, from_scaled, to_scaled

DEFAULT_CHUNK_SIZE = 1 << 17
DEFAULT_CONTEXT_COLUMNS = ("id", "code", "name", "parent")
#: the codes of the problems a value can have (``_inputs.check_value``)
PROBLEM_CODES = ("invalid_type", "invalid_choice", "not_finite", "not_integer", "out_of_range", "invalid_assessment",
                 "unreadable")
_P = {c: i + 1 for i, c in enumerate(PROBLEM_CODES)}  # 0: no problem

# ---------------------------------------------------------------------------
# raw input: columns of one chunk


@dataclass(slots=True)
class RawCol:
    """One input column of a chunk: values (bool, int64, float64 or object) and where they are null.

    A column of text typed at once (a CSV file's) may have a few cells that are not plain (``1,234``,
    ``95%``, ``abc``): ``odd`` are their rows, ``odd_cells`` their text, and ``values`` holds a
    placeholder there that nothing reads; :func:`check_column` reads each of them by itself, as a
    column of objects is read, so that a cell means what it means cell by cell."""

    values: np.ndarray
    null: np.ndarray | None = None
    #: the cells' text when the values were read from it (a CSV file's Arrow strings): a row handed to
    #: the single-unit path is given its text, read there as every text is, not the typed value
    text: Any = None
    #: the rows (ascending) whose cell is not plain, and their text (objects), or None
    odd: np.ndarray | None = None
    odd_cells: np.ndarray | None = None

    def py(self, i: int) -> Any:
        """The value of row ``i`` as a Python object (None when null)."""
        if self.null is not None and self.null[i]:
            return None
        if self.text is not None:
            return self.text[i].as_py()
        v = self.values[i]
        return v.item() if isinstance(v, np.generic) and self.values.dtype != object else v

    def slice(self, a: int, b: int) -> RawCol:
        """Rows ``a`` to ``b``."""
        odd = cells = None
        if self.odd is not None and self.odd_cells is not None:
            j, k = np.searchsorted(self.odd, [a, b]).tolist()
            if k > j:
                odd, cells = self.odd[j:k] - a, self.odd_cells[j:k]
        return RawCol(self.values[a:b], None if self.null is None else self.null[a:b],
                      None if self.text is None else self.text[a:b], odd, cells)


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


#: the most distinct names the records of a batch may use (indicators, context and entries of a
#: rule set are a few hundred): more is a hostile or broken input, refused rather than made columns
MAX_COLUMNS = 10_000


def _chunk_from_rows(offset: int, rows: Sequence[Mapping[str, Any]]) -> Chunk:
    flat = [_flatten(r) if isinstance(r, Mapping) else _not_mapping(r) for r in rows]
    keys: dict[str, None] = {}
    for i, r in enumerate(flat):
        for k in r:
            keys[str(k)] = None
        if len(keys) > MAX_COLUMNS:
            raise InputError(f"record {offset + i}: the records so far use more than {MAX_COLUMNS:,} names "
                             "(a record holds one unit's values): refused")
    cols = {k: _typed([r.get(k) for r in flat]) for k in keys}
    return Chunk(offset, len(rows), cols, rows=flat)


def _not_mapping(r: Any) -> Mapping[str, Any]:
    raise InputError(f"each record must be a mapping of column names to values, not {type(r).__name__}")



def _obj(values: list[Any]) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


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
    if len(cols) > MAX_COLUMNS:
        raise InputError(f"the input has {len(cols):,} columns, more than {MAX_COLUMNS:,} (a row holds one "
                         "unit's values): refused")
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
    memo: dict[str, tuple[int, Any]] = {}  # a text's reading, by the text (the same junk recurs: -, n/a, 无)
    for i in range(n):
        if missing[i]:
            continue
        v = vals[i]
        if isinstance(v, np.generic) and vals.dtype != object:
            v = v.item()
        if isinstance(v, str):
            what = memo.get(v)
            if what is None:  # a text cell read by the rules every input path shares
                what = memo[v] = _check_one(name, ind, from_text(v, ind), kind, scale, index, nan_is_null)
        else:
            what = _check_one(name, ind, v, kind, scale, index, nan_is_null)
        state, x = what
        if state == _VALUE:
            out[i] = x
        elif state == _MISSING:
            missing[i] = True
        elif state == _REJECTED:
            codes[i] = x
        else:
            full[i] = True
    return Col(kind, out, scale, choices=choices), codes, full, missing


#: what one value is, checked (:func:`_check_one`): a value, missing, rejected (with its problem's
#: code), or a number beyond fixed point (its row through the single-unit path)
_VALUE, _MISSING, _REJECTED, _BEYOND = range(4)


def _check_one(name: str, ind: Indicator, v: Any, kind: str, scale: int, index: Mapping[str, int],
               nan_is_null: bool) -> tuple[int, Any]:
    """One value (a text cell read already) checked as the single-unit path checks it, and what it is
    in the column: (``_VALUE``, its fixed-point number, bool or choice index), or (what else, its code)."""
    if v is None or (nan_is_null and _is_nan(v)):
        return _MISSING, None
    if ind.reference and isinstance(v, Mapping):
        if set(v) - REFERENCE_KEYS or "value" not in v:
            return _REJECTED, _P["invalid_type"]
        v = v["value"]
        if isinstance(v, str):
            v = from_text(v, ind)
        if v is None:
            return _MISSING, None
    value, problem = check_value(name, ind, v)
    if problem is not None:
        return _REJECTED, _P[problem.code]
    if kind == "bool":
        return _VALUE, value
    if kind != "dec":
        return _VALUE, index[value]
    try:
        iv = to_scaled(value, scale)
    except Unvectorizable:
        return _BEYOND, value
    return (_VALUE, iv) if abs(iv) < 10**15 else (_BEYOND, value)


def exact_values(name: str, ind: Indicator, raw: RawCol, rows: np.ndarray, scale: int,
                 nan_is_null: bool) -> dict[int, Any] | None:
    """The values of ``rows`` (numbers beyond fixed point), each read and checked as the single-unit path
    reads it, by row; None when one of them is, after all, not such a number (the row goes whole)."""
    out: dict[int, Any] = {}
    for i in np.flatnonzero(rows).tolist():
        v = raw.py(i)
        if raw.odd is not None:
            k = int(np.searchsorted(raw.odd, i))
            if k < len(raw.odd) and raw.odd[k] == i:
                assert raw.odd_cells is not None
                v = raw.odd_cells[k]
        if isinstance(v, str):
            v = from_text(v, ind)
        state, x = _check_one(name, ind, v, "dec", scale, {}, nan_is_null)
        if state == _BEYOND:
            out[i] = x
        elif state == _VALUE:
            out[i] = from_scaled(x, scale)
        else:  # pragma: no cover - a value the column's check found beyond fixed point
            return None
    return out


def check_column(name: str, ind: Indicator, raw: RawCol | None, n: int, kind: str, scale: int,
                 choices: tuple[str, ...] | None, nan_is_null: bool
                 ) -> tuple[Col, np.ndarray | None, np.ndarray | None]:
    """Validate one indicator column: (column, problem codes or None, rows for the single-unit path or None)."""
    if raw is None:
        return _absent_column(n, kind, scale, choices), None, None
    v = raw.values
    null = raw.null
    dk = v.dtype.kind
    if dk == "O" or (ind.reference and dk not in "biuf"):
        return _object_column(name, ind, raw, n, kind, scale, choices, nan_is_null)
    problems = _Codes(n, ~null if null is not None else None)
    full: np.ndarray | None = None
    extremes: tuple[int, int] | None = None
    if kind == "bool":
        values = _bool_values(v, n, problems)
    elif kind == "str":
        values = _choice_values(n, problems)
    else:
        values, full, extremes = _number_values(ind, v, n, scale, problems)
    codes = problems.codes
    invalid = None if codes is None else codes != 0
    bound = _bound(name, values, n, extremes) if kind == "dec" else 1
    col = Col(kind, values, scale, bound, choices, missing=null, invalid=invalid)
    if raw.odd is not None:
        return _with_odd_cells(name, ind, raw, col, codes, full, nan_is_null)
    return col, codes, full


def _with_odd_cells(name: str, ind: Indicator, raw: RawCol, col: Col, codes: np.ndarray | None,
                    full: np.ndarray | None, nan_is_null: bool) -> tuple[Col, np.ndarray | None, np.ndarray | None]:
    """A typed column's odd cells (:attr:`RawCol.odd`), each read by :func:`_check_objects`, put in
    place of what the typed values gave at their rows: value, problem, missing, single-unit path."""
    rows, cells = raw.odd, raw.odd_cells
    assert rows is not None and cells is not None
    n = len(col.values)
    ocol, ocodes, ofull, omissing = _check_objects(name, ind, RawCol(cells), col.kind, col.scale,
                                                   col.choices, nan_is_null)
    bad = ocodes != 0
    if col.kind == "dec":  # (a rejected, missing or unrepresentable cell's value is 0)
        col.bound = max(col.bound, int(np.abs(ocol.values).max(initial=0)))
    col.values = col.values.copy()  # it may be the raw column itself
    col.values[rows] = ocol.values
    if codes is not None or bad.any():
        codes = np.zeros(n, np.int8) if codes is None else codes.copy()
        codes[rows] = ocodes
        if not codes.any():  # only a placeholder was out of range
            codes = None
    col.invalid = None if codes is None else codes != 0
    if full is not None or ofull.any():  # (a placeholder is never beyond fixed point)
        full = np.zeros(n, bool) if full is None else full.copy()
        full[rows] = ofull
    if omissing.any():  # pragma: no cover - an odd cell is never empty text
        col.missing = np.zeros(n, bool) if col.missing is None else col.missing.copy()
        col.missing[rows] = omissing
    return col, codes, full


def _absent_column(n: int, kind: str, scale: int, choices: tuple[str, ...] | None) -> Col:
    """A column the chunk does not have: every row missing."""
    dtype = np.int64 if kind == "dec" else (bool if kind == "bool" else np.int32)
    return Col(kind, np.zeros(n, dtype), scale, 0, choices, missing=np.ones(n, bool))


def _object_column(name: str, ind: Indicator, raw: RawCol, n: int, kind: str, scale: int,
                   choices: tuple[str, ...] | None, nan_is_null: bool
                   ) -> tuple[Col, np.ndarray | None, np.ndarray | None]:
    """A column of Python objects (or of reference values with their sources), value by value."""
    col, ocodes, ofull, missing = _check_objects(name, ind, raw, kind, scale, choices, nan_is_null)
    col.missing = missing if missing.any() else None
    bad = ocodes != 0
    if kind == "dec":
        col.values[bad | missing | ofull] = 0
        col.bound = int(np.abs(col.values).max()) if n else 0
    col.invalid = bad if bad.any() else None
    return col, (ocodes if bad.any() else None), (ofull if ofull.any() else None)


class _Codes:
    """A column's problem codes, set mask by mask on the rows given (None until a row has a problem)."""

    __slots__ = ("codes", "given", "n")

    def __init__(self, n: int, given: np.ndarray | None) -> None:
        self.n = n
        self.given = given
        self.codes: np.ndarray | None = None

    def flag(self, mask: np.ndarray, code: str) -> None:
        """Give ``code`` to the rows of ``mask`` that are given and have no problem yet."""
        if self.given is not None:
            mask = mask & self.given
        if mask.any():
            if self.codes is None:
                self.codes = np.zeros(self.n, np.int8)
            self.codes[mask & (self.codes == 0)] = _P[code]

    def given_only(self, mask: np.ndarray) -> np.ndarray:
        """The rows of ``mask`` that are given."""
        return mask if self.given is None else mask & self.given


#: a column of numbers in fixed point: its values, the rows for the single-unit path (or None),
#: and the values' extremes when they are known without a pass over the values (or None)
_Numbers = tuple[np.ndarray, np.ndarray | None, tuple[int, int] | None]


def _bool_values(v: np.ndarray, n: int, problems: _Codes) -> np.ndarray:
    """A column of booleans: any other type is invalid."""
    if v.dtype.kind == "b":
        return v
    problems.flag(np.ones(n, bool), "invalid_type")
    return np.zeros(n, bool)


def _choice_values(n: int, problems: _Codes) -> np.ndarray:
    """A column of choices: numbers and booleans are none of them."""
    problems.flag(np.ones(n, bool), "invalid_choice")
    return np.zeros(n, np.int32)


def _number_values(ind: Indicator, v: np.ndarray, n: int, scale: int, problems: _Codes) -> _Numbers:
    """A column of numbers, in fixed point of ``scale`` places."""
    lo, hi = _bounds_int(ind)
    dk = v.dtype.kind
    if dk == "b":
        problems.flag(np.ones(n, bool), "invalid_type")
        return np.zeros(n, np.int64), None, None
    if dk in "iu":
        return _integer_values(v, n, scale, lo, hi, problems)
    return _float_values(ind, v, n, scale, lo, hi, problems)


def _integer_values(v: np.ndarray, n: int, scale: int, lo: int | None, hi: int | None, problems: _Codes) -> _Numbers:
    """A column of integers: checked against the indicator's bounds, scaled up."""
    vi = v.astype(np.int64, copy=False)
    vmin, vmax = (int(vi.min()), int(vi.max())) if n else (0, 0)
    if lo is not None and vmin < lo:
        problems.flag(vi < lo, "out_of_range")
    if hi is not None and vmax > hi:
        problems.flag(vi > hi, "out_of_range")
    limit = 10 ** (15 - scale) if scale < 15 else 1
    if vmax >= limit or vmin <= -limit:  # too large for fixed point: the single-unit path
        big = np.abs(vi) >= limit
        single = big if problems.codes is None else big & (problems.codes == 0)  # not out of range already
        return np.where(big, 0, vi) * 10**scale, problems.given_only(single), None
    values = vi * 10**scale if scale else vi
    return values, None, (vmin * 10**scale, vmax * 10**scale)


def _float_values(ind: Indicator, x: np.ndarray, n: int, scale: int, lo: int | None, hi: int | None,
                  problems: _Codes) -> _Numbers:
    """A column of floats: non-finite values rejected, then read as whole numbers or as decimals."""
    # min and max propagate NaN: finite extremes mean every value is finite
    xmin, xmax = (float(x.min()), float(x.max())) if n else (0.0, 0.0)
    if math.isfinite(xmin) and math.isfinite(xmax):
        finite: Any = True
        xf = x
    else:
        finite = np.isfinite(x)
        problems.flag(~finite, "not_finite")
        xf = np.where(finite, x, 0.0)
        xmin, xmax = (float(xf.min()), float(xf.max())) if n else (0.0, 0.0)
    big: np.ndarray | None
    extremes: tuple[int, int] | None = None
    if ind.type == "integer":
        values, big = _whole_floats(xf, finite, lo, hi, problems)
    else:
        values, big, extremes = _decimal_floats(ind, xf, finite, xmin, xmax, n, scale, problems)
    full = problems.given_only(big) if big is not None and big.any() else None
    return values, full, extremes


def _whole_floats(xf: np.ndarray, finite: Any, lo: int | None, hi: int | None,
                  problems: _Codes) -> tuple[np.ndarray, np.ndarray]:
    """Finite floats for an integer indicator: (the whole ones as integers, those too large for fixed point)."""
    integral = np.floor(xf) == xf
    if not integral.all():
        problems.flag(~integral, "not_integer")
    small = np.abs(xf) < 10**15
    ok = integral & small
    values = np.where(ok, xf, 0.0).astype(np.int64)
    ok &= finite
    if lo is not None:
        problems.flag(ok & (values < lo), "out_of_range")
    if hi is not None:
        problems.flag(ok & (values > hi), "out_of_range")
    return values, finite & integral & ~small


def _decimal_floats(ind: Indicator, xf: np.ndarray, finite: Any, xmin: float, xmax: float, n: int, scale: int,
                    problems: _Codes) -> tuple[np.ndarray, np.ndarray | None, tuple[int, int] | None]:
    """Finite floats for a decimal indicator, in fixed point: (values, rows not exactly a decimal of
    ``scale`` places, or None when every row is one; the scaled extremes when every row is one)."""
    # x is exactly a decimal of `scale` places when its nearest such decimal (below 10^15,
    # where doubles keep 15 digits) converts back to x itself
    p = 10.0**scale
    r = xf * p
    np.rint(r, out=r)
    exact = (r / p) == xf
    if max(-xmin, xmax) * p >= 1e15:
        exact &= np.abs(r) < 1e15
    extremes: tuple[int, int] | None = None
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
        problems.flag(exact & (values < to_scaled(ind.min, scale)), "out_of_range")
    if ind.max is not None and vmax > to_scaled(ind.max, scale):
        problems.flag(exact & (values > to_scaled(ind.max, scale)), "out_of_range")
    return values, big, extremes


def _bound(name: str, values: np.ndarray, n: int, extremes: tuple[int, int] | None) -> int:
    """The largest magnitude of a column's fixed-point values."""
    # rejected, missing and unrepresentable rows keep whatever value: their results are replaced,
    # and the bound covers them (every value here is below 10^15)
    lo_v, hi_v = extremes if extremes is not None else ((int(values.min()), int(values.max())) if n else (0, 0))
    bound = max(abs(lo_v), abs(hi_v))
    if bound >= 10**15:  # pragma: no cover - guarded above
        raise AssertionError(f"{name}: a value escaped the fixed-point limit")
    return bound
