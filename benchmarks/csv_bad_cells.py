"""A CSV file as people send it: 1 % of the indicator cells odd (issue #12), read and scored.

    python benchmarks/csv_bad_cells.py                 # 100,000 units of liunan-2023
    python benchmarks/csv_bad_cells.py --rows 1000000  # the issue's size
    python benchmarks/csv_bad_cells.py --profile       # where the time of the odd file goes

Writes three CSV files of the same synthetic units (``generate.py``): ``plain``, as a program
would write them; ``odd``, where 1 % of the cells of every indicator column (chosen at random,
among the given ones) is written as people type: ``95%`` (a percentage on a percent column,
text elsewhere), ``９６.８`` (full-width digits), ``1,234`` or ``1,234.5`` (grouped), a rate
exported with the float's 16–17 digits (``96.80000000000001``: more decimals than fixed point
keeps, so the rules that read it score its row exactly, one by one), ``abc``, ``也许`` on a yes/no
column, ``是``/``否``; and ``odd, short``, the same with no long number (those cells full-width
instead), to tell the cost of reading odd cells from that of the rows scored one by one.
Then checks, before timing anything:

- every row without a text cell equals the DataFrame path (the same units given as a pandas
  DataFrame of typed values: each odd cell's meaning as an int, a float or a bool), column
  by column (statuses, points, flags, errors);
- every row with a text cell is ``invalid_input`` and names that cell's column in its errors
  (``col: invalid_type``), beside what the DataFrame path finds in the rest of the row;
- so the rows flagged invalid are exactly those.

And reports the median wall time, for each file, of ``fuac.evaluate_many(rs, path)``, of fuac's
reading alone (the file's chunks of typed columns, before any check or score), and of
``pyarrow.csv.read_csv(path)`` timed in the same run (parsing only: every column typed by
Arrow's own inference); and the ratios.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from run import median_time  # noqa: E402  (the timing every benchmark here shares)

ON = "2023-10-01"
RULESET = "liunan-2023"
SHARE = 0.01
#: full-width forms of what a number is written with
FULL_WIDTH = str.maketrans("0123456789.-", "０１２３４５６７８９．－")


def _number_text(v: Any) -> str:
    """A number as Arrow (and repr) writes it: the shortest text of a float, an int's digits."""
    if isinstance(v, float) and v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _odd_cell(kind: str, percent: bool, v: Any, pick: int) -> tuple[str, Any]:
    """An odd way to write ``v`` and what it means: (text, value), value None for text (invalid)."""
    if kind == "boolean":
        return [("也许", None), ("是" if v else "否", bool(v)), (" √ " if v else " × ", bool(v))][pick % 3]
    if pick == 0:
        return "abc", None
    if pick == 1:  # a percentage with its sign: text where the indicator is no percentage
        return f"{_number_text(v)}%", (v if percent else None)
    if pick == 2:
        return _number_text(v).translate(FULL_WIDTH), v
    if pick == 3:  # grouped thousands (out of range on a percentage: a problem code, not text)
        w = 1234 if kind == "integer" else 1234.5
        return f"{w:,}", w
    # a computed rate exported with all the float's digits, or a count of 17 digits
    if kind == "integer":
        return "12345678901234567", 12345678901234567
    w = float(np.nextafter(v, np.inf))
    return repr(w), w


def build(n: int, seed: int = 0, long: bool = True) -> tuple[Any, Any, Any, Any, np.ndarray, dict[int, list[str]]]:
    """(plain table, odd table, DataFrames of the plain and odd files' typed values, rows with an odd
    cell, each row's text cells); ``long=False``: no number written with more digits than fixed point
    keeps (the same cells written another odd way)."""
    import generate
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    import fuac

    rs = fuac.load(RULESET)
    cols = generate.units(RULESET, n, seed=seed)
    rng = np.random.default_rng(seed + 1)
    inds = rs.doc.indicators
    plain: dict[str, Any] = {}
    odd: dict[str, Any] = {}
    typed: dict[str, Any] = {}
    odd_rows = np.zeros(n, bool)
    text_cells: dict[int, list[str]] = {}
    for name, v in cols.items():
        arr = pa.array(v, from_pandas=True)
        text = pc.cast(arr, pa.string())
        plain[name] = text
        typed[name] = v
        ind = inds.get(name)
        if ind is None:
            odd[name] = text
            continue
        given = ~np.isnan(v) if v.dtype.kind == "f" else np.ones(n, bool)
        mask = (rng.random(n) < SHARE) & given
        rows = np.flatnonzero(mask)
        picks = rng.integers(0, 5, len(rows))
        if not long:
            picks[picks == 4] = 2
        texts, tv = [], v.copy()
        for i, pick in zip(rows.tolist(), picks.tolist(), strict=True):
            t, meaning = _odd_cell(ind.type, ind.unit == "percent", v[i].item(), pick)
            texts.append(t)
            if meaning is None:
                text_cells.setdefault(i, []).append(name)
            else:
                tv[i] = meaning
        odd[name] = pc.replace_with_mask(text, pa.array(mask), pa.array(texts, pa.string()))
        typed[name] = tv
        odd_rows |= mask
    return pa.table(plain), pa.table(odd), pd.DataFrame(cols), pd.DataFrame(typed), odd_rows, text_cells


def _equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row by row, whether two result columns agree (NaN: a float column's None)."""
    if a.dtype.kind == "f" and b.dtype.kind == "f":
        return np.asarray((a == b) | (np.isnan(a) & np.isnan(b)), dtype=bool)
    return np.asarray(a == b, dtype=bool)


def check(res: Any, ref: Any, text_cells: dict[int, list[str]]) -> dict[str, int]:
    """The odd file's results against the DataFrame path's (see the module's docstring)."""
    n = len(res)
    text = np.zeros(n, bool)
    text[list(text_cells)] = True
    skip = {"id", "code"}  # context: text in a CSV, numbers in the frame
    names = [c for c in res.columns if c not in skip]
    assert names == [c for c in ref.columns if c not in skip], "the same columns"
    for name in names:
        a, b = res.column(name, exact=True), ref.column(name, exact=True)
        differ = np.flatnonzero(~_equal(a, b) & ~text)
        assert not differ.size, f"{name}: row {differ[0]}: {a[differ[0]]!r} != {b[differ[0]]!r}"
    status = res.column("status")
    errors, ref_errors = res.column("errors"), ref.column("errors")
    for i in np.flatnonzero(text).tolist():
        assert status[i] == "invalid_input", (i, status[i])
        got = set(errors[i].split("; "))
        want = {f"{c}: invalid_type" for c in text_cells[i]} | (set(ref_errors[i].split("; ")) if ref_errors[i]
                                                               else set())
        assert got == want, (i, got, want)
    flagged = status == "invalid_input"
    assert (flagged == (text | (ref.column("status") == "invalid_input"))).all()
    return {"rows": n, "rows flagged invalid": int(flagged.sum()), "rows with a text cell": int(text.sum())}


def profile(rs: Any, path: Path, top: int) -> str:
    import cProfile
    import io
    import pstats

    import fuac

    pr = cProfile.Profile()
    pr.enable()
    fuac.evaluate_many(rs, path, on=ON)
    pr.disable()
    out = io.StringIO()
    pstats.Stats(pr, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000, help="units (default 100,000; the issue's 1,000,000)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each (median)")
    ap.add_argument("--profile", action="store_true", help="print a profile of scoring the odd file")
    ap.add_argument("--dir", help="where to write the files (default: a temporary directory)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)

    import pyarrow.csv as pacsv

    import fuac
    from fuac.run.batch.columns import DEFAULT_CHUNK_SIZE
    from fuac.run.batch.runner import _entry_forms
    from fuac.run.batch.sources import open_source

    rs = fuac.load(RULESET)
    t0 = time.perf_counter()
    report: dict[str, Any] = {}
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory(dir=a.dir) as tmp:
        paths = {k: Path(tmp) / f"{k}.csv" for k in ("plain", "odd", "odd, short")}
        for long in (True, False):
            plain, odd, plain_frame, frame, odd_rows, text_cells = build(a.rows, long=long)
            name = "odd" if long else "odd, short"
            pacsv.write_csv(odd, paths[name])
            if long:
                pacsv.write_csv(plain, paths["plain"])
                check(fuac.evaluate_many(rs, paths["plain"], on=ON), fuac.evaluate_many(rs, plain_frame, on=ON), {})
            del plain, odd, plain_frame
            res = fuac.evaluate_many(rs, paths[name], on=ON)
            facts = check(res, fuac.evaluate_many(rs, frame, on=ON), text_cells)
            if long:
                report.update(facts)
                report["rows with an odd cell"] = int(odd_rows.sum())
            report[f"rows through the single-unit path ({name})"] = res.backend_report["rows_single_unit"]
            report[f"rule rows computed exactly, one by one ({name})"] = sum(res.backend_report["rows_exact"].values())
            del res, frame
        report["file (MB)"] = round(paths["odd"].stat().st_size / 1e6, 1)
        report["built and checked in (s)"] = round(time.perf_counter() - t0, 1)
        entries = _entry_forms(rs.plan(None))
        for name, path in paths.items():
            times[f"pyarrow read_csv, {name} (s)"] = median_time(lambda p=path: pacsv.read_csv(p), a.repeat)
            times[f"fuac reading alone, {name} (s)"] = median_time(
                lambda p=path: sum(ch.n for ch in open_source(p, rs, entries=entries).chunks(DEFAULT_CHUNK_SIZE)),
                a.repeat)
            times[f"evaluate_many, {name} (s)"] = median_time(lambda p=path: fuac.evaluate_many(rs, p, on=ON),
                                                              a.repeat)
        report.update(times)
        for name in paths:
            report[f"{name}: evaluate_many / read_csv"] = (times[f"evaluate_many, {name} (s)"]
                                                          / times[f"pyarrow read_csv, {name} (s)"])
        for name in ("odd", "odd, short"):
            report[f"{name} / plain"] = times[f"evaluate_many, {name} (s)"] / times["evaluate_many, plain (s)"]
        if a.json:
            print(json.dumps(report, indent=1))
        else:
            for k, v in report.items():
                print(f"{k:48} {v:.3f}" if isinstance(v, float) else f"{k:48} {v}")
        if a.profile:
            print(profile(rs, paths["odd"], 30))
    return 0


if __name__ == "__main__":
    sys.exit(main())
