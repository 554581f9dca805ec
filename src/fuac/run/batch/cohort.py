"""Reference values computed over a cohort of the units of a batch.

An indicator declared with ``cohort = { of = "x", parent_level = "city", weight = "w" }``
(a reference value, such as a regional average) that a record does not give is
computed by :func:`fuac.evaluate_many`: the mean of ``x`` over the units of the batch
whose region codes share the prefix of ``parent_level`` with the unit's own code,
weighted by ``w`` when declared. Units without a valid ``x`` (or ``w``) are left out;
a unit without a region code, or in a region where no unit has a value, gets no
value, so the rules that read it report ``missing_input``: never a guess.

Exactness: values are summed as integers (fixed point, Python ints when large), and
the mean is ``Σwx / Σw`` in the decimal context of the library (34 significant
digits, half up), then rounded half-up to ``precision`` when declared.

The value used, the region and the number of units it was computed from are
recorded in each row (``cohort.<indicator>``, ``.region``, ``.size``) and as the
reference value's source in the row's evaluation.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from ...language.cells import from_text
from ...language.expressions import DECIMAL_CONTEXT
from ...language.models import LEVEL_DIGITS
from ...plan.loader import RuleSet
from ..inputs import check_value
from ..results import view

if TYPE_CHECKING:
    import numpy as np

    from .columns import Chunk, Layout, RawCol


@dataclass(frozen=True, slots=True)
class CohortSpec:
    ref: str
    of: str
    weight: str | None
    parent_level: str
    digits: int
    precision: Decimal | None


def cohort_specs(rs: RuleSet) -> list[CohortSpec]:
    """The reference values of ``rs`` computed over a cohort."""
    out = []
    for name, ind in rs.doc.indicators.items():
        c = ind.cohort
        if c is not None:
            out.append(CohortSpec(name, c.of, c.weight, c.parent_level, LEVEL_DIGITS[c.parent_level], c.precision))
    return out


@dataclass(slots=True)
class Sums:
    """Σwx, Σw and the number of units of one region, exact: integers at ``scale`` decimals."""

    swx: int = 0
    sw: int = 0
    n: int = 0
    xscale: int = 0  # decimals of swx
    wscale: int = 0  # decimals of sw

    def add(self, swx: int, xscale: int, sw: int, wscale: int, n: int) -> None:
        if xscale > self.xscale:
            self.swx *= 10 ** (xscale - self.xscale)
            self.xscale = xscale
        if wscale > self.wscale:
            self.sw *= 10 ** (wscale - self.wscale)
            self.wscale = wscale
        self.swx += swx * 10 ** (self.xscale - xscale)
        self.sw += sw * 10 ** (self.wscale - wscale)
        self.n += n

    def mean(self, precision: Decimal | None) -> Decimal | None:
        if self.n == 0 or self.sw == 0:
            return None
        with decimal.localcontext(DECIMAL_CONTEXT):
            # Σwx / Σw with both at their own scales: (swx / 10^xs) / (sw / 10^ws)
            value = (Decimal(self.swx) / Decimal(self.sw)).scaleb(self.wscale - self.xscale)
            if precision is not None:
                value = value.quantize(precision, rounding=ROUND_HALF_UP)
            return value


def _region_codes(chunk: Chunk, lay: Layout, context: Mapping[str, Any]) -> list[str | None]:
    """Each row's region code (the ``code`` context), as text; None when there is none."""
    cols = lay.context.get("code", [])
    out: list[str | None] = [None] * chunk.n
    for col in cols:
        rc = chunk.cols[col]
        for i in range(chunk.n):
            if out[i] is None:
                out[i] = _code(rc.py(i))
    default = _code(context.get("code"))
    if default is not None:
        out = [default if c is None else c for c in out]
    return out


def _code(v: Any) -> str | None:
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v == v and v == int(v) else None
    if isinstance(v, Decimal):
        return str(int(v)) if v.is_finite() and v == v.to_integral_value() else None
    text = str(v).strip()
    return text if text.isdigit() else None


def _exact(name: str, ind: Any, raw: RawCol, i: int) -> Decimal | None:
    v = raw.py(i)
    if isinstance(v, str):
        v = from_text(v, ind)  # a text cell read as check_column reads it
    if isinstance(v, Mapping):
        return None
    if v is None:
        return None
    value, problem = check_value(name, ind, v)
    return value if problem is None and not isinstance(value, bool) else None


@dataclass
class CohortTable:
    """Sums per reference value and region, and the means they give. Tables of the parts of
    an input (partitions, chunks) merge into the table of the whole with :meth:`merge`."""

    specs: list[CohortSpec]
    sums: dict[str, dict[str, Sums]] = field(default_factory=dict)
    given: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    @property
    def refs(self) -> list[str]:
        return [s.ref for s in self.specs]

    def _repr_html_(self) -> str:
        """Jupyter's view: per reference value and region, the number of units and their mean."""
        return view("html.cohort")(self)

    # -- building
    @classmethod
    def compute(cls, rs: RuleSet, chunks: Iterable[Chunk], runner: Any) -> CohortTable:
        table = cls(cohort_specs(rs))
        for ch in chunks:
            table.add(ch, runner)
        return table

    @classmethod
    def from_mapping(cls, rs: RuleSet, values: Mapping[str, Mapping[str, Any]]) -> CohortTable:
        """A table of values given by region: ``{indicator: {region code: value}}``."""
        table = cls(cohort_specs(rs))
        known = set(table.refs)
        for ref, by_region in values.items():
            if ref not in known:
                raise ValueError(f"{ref!r} is not a reference value computed over a cohort in {rs.id}")
            table.given[ref] = {str(k): Decimal(str(v)) for k, v in by_region.items()}
        return table

    def add(self, chunk: Chunk, runner: Any) -> None:
        """Add the units of ``chunk`` to the sums."""
        import numpy as np

        from .columns import check_column

        lay = runner.layout(chunk)
        codes = _region_codes(chunk, lay, runner.context)
        inds = runner.ruleset.doc.indicators
        prog = runner.program
        for spec in self.specs:
            regions = [None if c is None or len(c) < spec.digits else c[: spec.digits] for c in codes]
            cols = {}
            for name in (spec.of, spec.weight):
                if name is None:
                    continue
                kind, scale, choices = prog.kinds[name]
                col, _, full = check_column(name, inds[name], chunk.cols.get(name), chunk.n, kind, scale, choices,
                                            chunk.nan_is_null)
                ok = np.ones(chunk.n, bool)
                for m in (col.missing, col.invalid):
                    if m is not None:
                        ok &= ~m
                cols[name] = (col, ok, full)
            xcol, xok, xfull = cols[spec.of]
            use = xok.copy()
            slow = np.zeros(chunk.n, bool) if xfull is None else xfull.copy()
            if spec.weight is not None:
                wcol, wok, wfull = cols[spec.weight]
                use &= wok
                if wfull is not None:
                    slow |= wfull
            has_region = np.array([r is not None for r in regions], dtype=bool)
            use &= has_region
            fast = use & ~slow
            by_region = self.sums.setdefault(spec.ref, {})
            if fast.any():
                idx = np.flatnonzero(fast)
                reg = np.array([regions[i] for i in idx.tolist()], dtype=object)
                uniq, inv = np.unique(reg.astype(str), return_inverse=True)
                x = xcol.values[idx]
                if spec.weight is None:
                    w = np.ones(len(idx), np.int64)
                    ws = 0
                else:
                    w = wcol.values[idx]
                    ws = wcol.scale
                bound = int(np.abs(x).max(initial=0)) * int(np.abs(w).max(initial=0)) * len(idx)
                if bound < (1 << 62):
                    swx = np.zeros(len(uniq), np.int64)
                    sw = np.zeros(len(uniq), np.int64)
                    cnt = np.bincount(inv, minlength=len(uniq))
                    np.add.at(swx, inv, x * w)
                    np.add.at(sw, inv, w)
                    for k, r in enumerate(uniq.tolist()):
                        by_region.setdefault(r, Sums()).add(int(swx[k]), xcol.scale + ws, int(sw[k]), ws,
                                                           int(cnt[k]))
                else:
                    for j, i in enumerate(idx.tolist()):
                        by_region.setdefault(regions[i], Sums()).add(
                            int(x[j]) * int(w[j]), xcol.scale + ws, int(w[j]), ws, 1)
            for i in np.flatnonzero(use & slow).tolist():
                xv = _exact(spec.of, inds[spec.of], chunk.cols[spec.of], i)
                wv = Decimal(1) if spec.weight is None else _exact(spec.weight, inds[spec.weight],
                                                                  chunk.cols[spec.weight], i)
                if xv is None or wv is None:  # pragma: no cover - validated above
                    continue
                xs, ws_ = -min(0, int(xv.as_tuple().exponent)), -min(0, int(wv.as_tuple().exponent))
                xi, wi = int(xv.scaleb(xs)), int(wv.scaleb(ws_))
                by_region.setdefault(regions[i], Sums()).add(xi * wi, xs + ws_, wi, ws_, 1)

    def merge(self, other: CohortTable) -> CohortTable:
        for ref, by_region in other.sums.items():
            mine = self.sums.setdefault(ref, {})
            for r, s in by_region.items():
                mine.setdefault(r, Sums()).add(s.swx, s.xscale, s.sw, s.wscale, s.n)
        for ref, vals in other.given.items():
            self.given.setdefault(ref, {}).update(vals)
        return self

    # -- for dask and other partitioned inputs
    def to_rows(self) -> list[dict[str, Any]]:
        """The sums as plain rows (exact: integers as text), to send between processes."""
        return [{"ref": ref, "region": r, "swx": str(s.swx), "sw": str(s.sw), "n": s.n, "xscale": s.xscale,
                 "wscale": s.wscale} for ref, by in self.sums.items() for r, s in by.items()]

    @classmethod
    def from_rows(cls, rs: RuleSet, rows: Iterable[Mapping[str, Any]]) -> CohortTable:
        table = cls(cohort_specs(rs))
        for row in rows:
            table.sums.setdefault(str(row["ref"]), {}).setdefault(str(row["region"]), Sums()).add(
                int(row["swx"]), int(row["xscale"]), int(row["sw"]), int(row["wscale"]), int(row["n"]))
        return table

    # -- values
    def value(self, ref: str, region: str | None) -> tuple[Decimal | None, int]:
        """The mean for ``region`` and how many units it is computed from."""
        if region is None:
            return None, 0
        given = self.given.get(ref)
        if given is not None and region in given:
            return given[region], 0
        s = self.sums.get(ref, {}).get(region)
        if s is None:
            return None, 0
        spec = next(sp for sp in self.specs if sp.ref == ref)
        return s.mean(spec.precision), s.n

    def columns_for(self, chunk: Chunk, runner: Any) -> dict[str, CohortColumn]:
        """Each row's computed value of every cohort reference, with its source, region and size."""
        lay = runner.layout(chunk)
        codes = _region_codes(chunk, lay, runner.context)
        out = {}
        for spec in self.specs:
            of = spec.of + (f", weighted by {spec.weight}" if spec.weight else "")
            cache: dict[str | None, tuple[Decimal | None, int, str | None]] = {}
            values: list[Decimal | None] = []
            sources: list[str | None] = []
            regions: list[str | None] = []
            sizes: list[int] = []
            for c in codes:
                region = None if c is None or len(c) < spec.digits else c[: spec.digits]
                hit = cache.get(region)
                if hit is None:
                    v, n = self.value(spec.ref, region)
                    src = None
                    if v is not None:
                        src = (f"cohort: mean of {of} over {n} unit(s) of the batch in region {region}"
                               if n else f"cohort: given for region {region}")
                    hit = cache[region] = (v, n, src)
                values.append(hit[0])
                sources.append(hit[2])
                regions.append(region if hit[0] is not None else None)
                sizes.append(hit[1])
            out[spec.ref] = CohortColumn(spec.ref, values, sources, regions, sizes)
        return out


@dataclass(slots=True)
class CohortColumn:
    """A cohort reference value for each row of a chunk (None where none could be computed)."""

    ref: str
    values: Sequence[Decimal | None]
    sources: Sequence[str | None]
    regions: Sequence[str | None]
    sizes: Sequence[int]

    def mapping(self, i: int) -> dict[str, Any]:
        """Row ``i``'s value as the record gives it to :func:`fuac.evaluate` (a value of None is missing there
        as it is here)."""
        return {"value": self.values[i], "source": self.sources[i]}

    def arrays(self, scale: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(scaled values, missing, not representable at ``scale``) as arrays."""
        import numpy as np

        from ..vector import Unvectorizable, to_scaled

        n = len(self.values)
        scaled = np.zeros(n, np.int64)
        missing = np.zeros(n, bool)
        full = np.zeros(n, bool)
        memo: dict[Decimal, int | None] = {}
        for i, v in enumerate(self.values):
            if v is None:
                missing[i] = True
                continue
            if v not in memo:
                try:
                    iv: int | None = to_scaled(v, scale)
                    if abs(iv) >= 10**15:  # type: ignore[arg-type]
                        iv = None
                except Unvectorizable:
                    iv = None
                memo[v] = iv
            iv = memo[v]
            if iv is None:
                full[i] = True
            else:
                scaled[i] = iv
        return scaled, missing, full


def supplied(value: Any) -> bool:
    """True when a record gives a value for a reference (a number, or a mapping with a value); a mapping
    with other keys is given too, and refused as evaluate refuses it, never replaced by the cohort's."""
    if value is None:
        return False
    if isinstance(value, Mapping):
        return value.get("value") is not None or bool(set(value) - {"value", "source"})
    return True
