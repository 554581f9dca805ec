"""The tables fuac writes to files: a batch's result rows (``fuac batch -o``) and a title table
(``fuac titles -o``).

Every cell goes through :mod:`.cells`: in CSV and XLSX a text a spreadsheet would take for a
formula is written as text, and an exact column (``total_exact``, and every points column with
``--exact``) is the decimal's exact text in every format: CSV, JSON Lines and Parquet (a string
column there, never a float).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import InputError
from .cells import FORMULA_STARTS, csv_cell, csv_cells, exact_text, guard_workbook, new_workbook

BATCH_OUTPUTS = (".csv", ".jsonl", ".ndjson", ".parquet", ".pq")
TITLE_OUTPUTS = (".csv", ".xlsx", ".jsonl", ".ndjson")


# ---------------------------------------------------------------------------
# a batch's rows


def check_batch_output(path: str) -> None:
    """Refuse, before anything is scored, a file the result rows cannot be written to: a suffix other
    than :data:`BATCH_OUTPUTS`, a folder, or a folder that does not exist (an :class:`InputError`)."""
    p = Path(path)
    if p.suffix.lower() not in BATCH_OUTPUTS:
        raise InputError(f"{path}: write results to .csv, .jsonl or .parquet")
    if p.is_dir():
        raise InputError(f"{path}: is a folder; name a file to write the results to")
    folder = p.parent
    if not folder.is_dir():
        raise InputError(f"{path}: no folder {folder}; create it first or name another file")


def batch_frame(res: Any, *, exact: bool = False) -> Any:
    """One chunk of a batch's results as a DataFrame (``BatchResults.to_pandas``), each column
    whose name ends in ``_exact`` with its exact ``Decimal`` values even without ``exact``."""
    frame = res.to_pandas(exact=exact)
    if not exact:
        for name in frame.columns:
            if str(name).endswith("_exact"):
                frame[name] = res.column(name, exact=True)
    return frame


def _text_like(col: Any) -> bool:
    import pandas as pd

    return bool(col.dtype == object or isinstance(col.dtype, pd.StringDtype))


def exact_columns(frame: Any) -> Any:
    """``frame`` with every ``Decimal`` as its exact text (in a column of values of any kind)."""
    out = frame.copy(deep=False)
    for k in range(frame.shape[1]):
        col = frame.iloc[:, k]
        if col.dtype != object:  # numbers, booleans, text: no Decimal
            continue
        values = col.tolist()
        if any(isinstance(v, Decimal) for v in values):
            out.isetitem(k, [exact_text(v) for v in values])
    return out


def csv_frame(frame: Any) -> Any:
    """``frame`` (its exact columns already text) ready for CSV: :func:`.cells.csv_cell` on every
    text cell that starts like a formula, and on the column names."""
    out = frame.copy(deep=False)
    for k in range(frame.shape[1]):
        col = frame.iloc[:, k]
        if not _text_like(col) or col.first_valid_index() is None:
            continue
        try:
            maybe = col.str.startswith(FORMULA_STARTS, na=False)  # a quick look; csv_cell decides
        except AttributeError:  # values of another kind than text
            maybe = col.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS))
        if maybe.any():
            col = col.copy()
            col[maybe] = [csv_cell(v) for v in col[maybe].tolist()]
            out.isetitem(k, col)
    out.columns = csv_cells(str(c) for c in frame.columns)
    return out


def write_batch_rows(res: Any, path: str, first: bool, state: dict[str, Any], *, exact: bool = False) -> None:
    """Append one chunk of a batch's result rows to ``path``: ``.csv`` (with a UTF-8 BOM at the start
    of the file, for Excel), ``.jsonl`` / ``.ndjson`` or ``.parquet`` / ``.pq`` (its writer kept in
    ``state["writer"]``, for the caller to close)."""
    check_batch_output(path)
    suffix = Path(path).suffix.lower()
    frame = exact_columns(batch_frame(res, exact=exact))
    if suffix == ".csv":
        csv_frame(frame).to_csv(path, mode="w" if first else "a", header=first, index=False,
                                encoding="utf-8-sig" if first else "utf-8")
    elif suffix in (".jsonl", ".ndjson"):
        text = frame.to_json(orient="records", lines=True, force_ascii=False) if len(frame) else ""
        with open(path, "w" if first else "a", encoding="utf-8") as fh:
            fh.write(text if not text or text.endswith("\n") else text + "\n")  # one line a row, whatever the pandas
    else:
        _write_parquet(frame, path, first, state)


def _write_parquet(frame: Any, path: str, first: bool, state: dict[str, Any]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if first:
        # a column with no value in the first chunk is text (or exact decimals as text) for the whole file
        fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
        state["writer"] = pq.ParquetWriter(path, pa.schema(fields, metadata=table.schema.metadata))
    state["writer"].write_table(table.cast(state["writer"].schema))


# ---------------------------------------------------------------------------
# a title table


def write_title_table(rows: list[dict[str, Any]], path: str) -> None:
    """The lines of a title table (``TitleTable.to_dicts``) to ``path``: ``.csv`` (with a BOM),
    ``.jsonl`` / ``.ndjson`` or ``.xlsx``; a list (the clauses, the rows) one item per line."""
    from ..decide.lifecycle import TABLE_COLUMNS

    suffix = Path(path).suffix.lower()
    if suffix not in TITLE_OUTPUTS:
        raise InputError(f"{path}: write the title table to .csv, .xlsx or .jsonl")
    if suffix in (".jsonl", ".ndjson"):
        with open(path, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        return
    flat = [[("\n".join(map(str, v)) if isinstance(v, list) else v) for v in r.values()] for r in rows]
    if suffix == ".csv":
        import csv

        with open(path, "w", encoding="utf-8-sig", newline="") as fh:  # with a BOM, as Excel expects
            w = csv.writer(fh)
            w.writerow(csv_cells(TABLE_COLUMNS))
            w.writerows(csv_cells(r) for r in flat)
        return
    from .workbook import require_openpyxl

    require_openpyxl("an .xlsx title table")
    wb = new_workbook()
    ws = wb.active
    ws.title = "titles"
    ws.append(list(TABLE_COLUMNS))
    for r in flat:
        ws.append(r)
    guard_workbook(wb)
    wb.save(path)
