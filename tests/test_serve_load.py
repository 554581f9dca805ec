"""The load benchmark's check that no acknowledged assessment is lost when the server is killed
mid-load (``benchmarks/serve_load.py``), on a small scale: 50 requests from 8 clients, the real
``fuac serve`` killed (SIGKILL, its whole process group) once 25 are answered, started again on the
same record, and every assessment id a client got back looked up in it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
pytest.importorskip("httpx")
pytest.importorskip("sqlalchemy")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import serve_load  # noqa: E402

from fuac.serve.store import Store  # noqa: E402


def test_no_acknowledged_assessment_is_lost_when_the_server_is_killed_mid_load(tmp_path: Path) -> None:
    db = str(tmp_path / "killed.sqlite3")
    got = serve_load.kill_check(db, requests=50, clients=8, folder=tmp_path, batch_every=5)
    assert got["answered"] >= 25 and got["failed"] > 0  # killed after 25 answers, with requests still to send
    assert got["answered"] + got["failed"] == 50
    assert got["lost"] == []
    store = Store(db)
    try:
        stored = {r["id"] for r in store.find()}
    finally:
        store.close()
    assert got["acknowledged"] >= 25 and got["stored"] == len(stored) >= got["acknowledged"]
