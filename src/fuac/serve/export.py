"""``fuac log``: the recorded assessments listed, or written to a file.

``.jsonl`` holds every field of each record (inputs, entries, result), numbers with every digit;
``.csv`` and ``.xlsx`` one line of :data:`COLUMNS` per record, every cell through
:mod:`fuac.render.cells` (a unit's name that looks like a formula stays text).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..render.cells import csv_cells, guard_workbook, new_workbook
from . import exact

OUTPUTS = (".csv", ".xlsx", ".jsonl", ".ndjson")
COLUMNS = ("id", "recorded_at", "submitted_by", "source", "unit_code", "unit_name", "ruleset", "version",
           "content_hash", "tier", "on", "assessor", "total", "complete", "eligible", "vetoed", "revises")


def check_output(path: str) -> None:
    if Path(path).suffix.lower() not in OUTPUTS:
        raise InputError(f"{path}: write the log to .csv, .xlsx or .jsonl")


def flat(rec: dict[str, Any]) -> list[Any]:
    """One record as the cells of :data:`COLUMNS`."""
    unit, rs = rec["unit"], rec["ruleset"]
    return [rec["id"], rec["recorded_at"], rec["submitted_by"], rec["source"], unit["code"], unit["name"], rs["id"],
            rs["version"], rs["content_hash"], rec["tier"], rec["on"], rec["assessor"], rec["total"], rec["complete"],
            rec["eligible"], rec["vetoed"], rec["revises"]]


def write_log(records: Iterable[dict[str, Any]], path: str) -> int:
    """Write ``records`` to ``path`` (by its suffix); returns how many."""
    check_output(path)
    suffix = Path(path).suffix.lower()
    n = 0
    if suffix in (".jsonl", ".ndjson"):
        with open(path, "w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(exact.dumps(rec) + "\n")
                n += 1
        return n
    if suffix == ".csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:  # with a BOM, as Excel expects
            w = csv.writer(fh)
            w.writerow(csv_cells(COLUMNS))
            for rec in records:
                w.writerow(csv_cells(flat(rec)))
                n += 1
        return n
    from ..render.workbook import require_openpyxl

    require_openpyxl("an .xlsx log")
    wb = new_workbook()
    ws = wb.active
    ws.title = "assessments"
    ws.append(list(COLUMNS))
    for rec in records:
        ws.append(flat(rec))
        n += 1
    guard_workbook(wb)
    wb.save(path)
    return n
