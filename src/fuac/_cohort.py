"""Reference values computed over a cohort (placeholder)."""
from __future__ import annotations
from typing import Any


def cohort_specs(rs: Any) -> list[Any]:
    return []


class CohortTable:
    refs: list[str] = []
