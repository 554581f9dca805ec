"""The tables fuac writes to files: a batch's result rows (``fuac batch -o``) and a title table
(``fuac titles -o``).

Every cell goes through :mod:`.cells`: in CSV and XLSX a text a spreadsheet would take for a
formula is written as text, and an exact column (``total_exact``, and every points column with
``--exact``) is the decimal's exact text in every format: CSV, JSON Lines, Parquet (a string
column there, never a float) and XLSX (a text cell).

A batch's ``.xlsx`` is streamed (openpyxl's write-only mode: rows go to the file as they come,
memory stays flat), points as numbers (the total and the sections shown to the rule set's
precision). A sheet holds at most Excel's 1,048,576 rows: when one is full, the rows go on in a
new sheet (``results 2``, ``results 3`` …) under the same header row. A batch with more columns
than Excel's 16,384 is refused before the file is made.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import InputError
from .cells import FORMULA_STARTS, csv_cell, csv_cells, exact_text, new_workbook, save_workbook, write_only_cells
from .xlsxkit import fit_columns, lay_out, number_format, print_setup, require_openpyxl, styles, text_width

BATCH_OUTPUTS = (".csv", ".jsonl", ".ndjson", ".parquet", ".pq", ".xlsx")
TITLE_OUTPUTS = (".csv", ".xlsx", ".jsonl", ".ndjson")
#: The widest batch (in Excel's width units) printed one page wide: about twice a landscape page, at
#: half size; a wider one prints as many pages across as it needs, the unit's columns on each.
FIT_WIDTH = 290
#: The most rows and columns a worksheet holds (Excel's limits).
XLSX_ROWS = 1_048_576
XLSX_COLUMNS = 16_384


# ---------------------------------------------------------------------------
# a batch's rows


def check_batch_output(path: str) -> None:
    """Refuse, before anything is scored, a file the result rows cannot be written to: a suffix other
    than :data:`BATCH_OUTPUTS`, a folder, or a folder that does not exist (an :class:`InputError`)."""
    if Path(path).suffix.lower() not in BATCH_OUTPUTS:
        raise InputError(f"{path}: write results to .csv, .jsonl or .parquet, or to a workbook (.xlsx)")
    check_output_file(path, "the results")


def check_output_file(path: str, what: str) -> None:
    """Refuse a path that is a folder, or in a folder that does not exist (an :class:`InputError`)."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{path}: is a folder; name a file to write {what} to")
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
    elif suffix == ".xlsx":
        if first:
            state["writer"] = BatchWorkbook(path, frame, res.ruleset.meta.precision)
        state["writer"].add(frame)
    else:
        _write_parquet(frame, path, first, state)


class BatchWorkbook:
    """A batch's rows streamed into a write-only workbook, saved by :meth:`close`: a header row, the
    rows (texts through :func:`.cells.write_only_cells`), a new sheet each time one is full."""

    def __init__(self, path: str, frame: Any, precision: Decimal | None) -> None:
        if frame.shape[1] > XLSX_COLUMNS:
            raise InputError(f"{path}: {frame.shape[1]:,} columns, more than a worksheet holds "
                             f"({XLSX_COLUMNS:,}); write .csv or .parquet")
        openpyxl = require_openpyxl("an .xlsx batch")
        self.path = path
        self.wb = openpyxl.Workbook(write_only=True)
        self.header = [str(c) for c in frame.columns]
        fmt = number_format(precision)
        self.formats = {k: fmt for k, c in enumerate(self.header) if c == "total" or c.startswith("section.")}
        if "completion" in self.header:
            self.formats[self.header.index("completion")] = "0.0%"
        self.widths = [round(_width(c, frame.iloc[:200, k].tolist()), 1) for k, c in enumerate(self.header)]
        self.sheets: list[Any] = []
        self.rows = 0
        self._new_sheet()

    def _new_sheet(self) -> None:
        from openpyxl.utils import get_column_letter

        n = len(self.sheets) + 1
        ws = self.wb.create_sheet("results" if n == 1 else f"results {n}")
        for k, w in enumerate(self.widths, start=1):
            ws.column_dimensions[get_column_letter(k)].width = w
        ws.freeze_panes = "A2"
        # before the first row: a write-only sheet writes its properties (fit to page) at its top
        print_setup(ws, last_col=len(self.header), last_row=None, title_rows="1:1", landscape=True)
        if sum(self.widths) > FIT_WIDTH:  # too wide to shrink onto one page: pages across, the units repeated
            ws.sheet_properties.pageSetUpPr.fitToPage = False
            ws.print_title_cols = f"A:{get_column_letter(max(1, self.header.index('status')))}"
        ws.append(write_only_cells(ws, self.header))
        self.sheets.append(ws)
        self.rows = 1

    def add(self, frame: Any) -> None:
        """Append one chunk's rows."""
        import pandas as pd

        for row in frame.itertuples(index=False, name=None):
            if self.rows >= XLSX_ROWS:
                self._finish(self.sheets[-1])
                self._new_sheet()
            ws = self.sheets[-1]
            ws.append(write_only_cells(ws, [_plain(v, pd.NA) for v in row], self.formats))
            self.rows += 1

    def _finish(self, ws: Any) -> None:
        from openpyxl.utils import get_column_letter

        ws.print_area = f"A1:{get_column_letter(len(self.header))}{self.rows}"

    def close(self) -> None:
        """Save the workbook."""
        self._finish(self.sheets[-1])
        self.wb.save(self.path)


def _plain(v: Any, na: Any = None) -> Any:
    """A value of a result frame as a cell takes it: numpy's numbers and booleans as Python's, a missing
    value (NaN, None, pandas' ``na``) as an empty cell."""
    if v is None or v is na:
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes, Decimal)):
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    return v


def _width(head: str, sample: list[Any]) -> float:
    """A batch column's width: its header's and its first values', between 8 and 30."""
    texts = [head, *(str(v) for v in map(_plain, sample) if v is not None)]
    return min(30.0, max(8.0, *(text_width(t) + 2 for t in texts)))


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
    require_openpyxl("an .xlsx title table")
    st = styles()
    wb = new_workbook()
    ws = wb.active
    ws.title = "titles"
    ws.append(list(TABLE_COLUMNS))
    for r in flat:
        ws.append(r)
    for row in ws.iter_rows():
        for cell in row:
            cell.alignment = st["wrap"]
    for cell in ws[1]:
        cell.font, cell.fill = st["bold"], st["head_fill"]
    fit_columns(ws, {c: (8, 40) for c in range(1, len(TABLE_COLUMNS) + 1)})
    ws.freeze_panes = "A2"
    lay_out(ws, last_col=len(TABLE_COLUMNS), last_row=len(flat) + 1, title_rows="1:1")
    save_workbook(wb, path)
