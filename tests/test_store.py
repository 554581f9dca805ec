"""The record of assessments (``fuac.serve.store``) on SQLite, and ``fuac log``.

PostgreSQL is covered here as far as it can be without a server: the URL chosen, the SQL its
schema is made with (Alembic's offline mode), and the one-line error when its driver is missing.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")
pytest.importorskip("alembic")

import fuac
from fuac.cli import main
from fuac.language.toml import read_toml
from fuac.serve import exact, migrations
from fuac.serve.store import (
    HEAD,
    Filter,
    RevisesError,
    Store,
    StoreError,
    assessment_row,
    database_url,
    default_path,
    moment,
    shown,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "data" / "liunan-2023-liunan.toml"


def example() -> dict[str, Any]:
    doc, _, _ = read_toml(EXAMPLE)
    return doc


def row(doc: dict[str, Any] | None = None, *, by: str = "anonymous", revises: int | None = None,
        **context: Any) -> dict[str, Any]:
    doc = doc or example()
    ctx = {**doc["context"], **context}
    ev = fuac.evaluate("liunan-2023", doc["data"], context=ctx, assessments=doc["assessments"], on=doc["on"])
    return assessment_row(ev, data=doc["data"], entries=doc["assessments"], assessor=None, submitted_by=by,
                          source="api", revises=revises)


#: a PostgreSQL server's URL (its maintenance database, e.g. postgresql://postgres@127.0.0.1:5432/postgres):
#: with it, every test of the store runs on a fresh database of that server too
PG = os.environ.get("FUAC_TEST_POSTGRESQL")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty store's URL: a SQLite file, or a database made for the test on $FUAC_TEST_POSTGRESQL."""
    if request.param == "sqlite":
        yield str(tmp_path / "record.sqlite3")
        return
    if not PG:
        pytest.skip("FUAC_TEST_POSTGRESQL names no PostgreSQL server")
    import uuid

    import sqlalchemy as sa

    admin = sa.create_engine(database_url(PG), isolation_level="AUTOCOMMIT")
    name = f"fuac_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield sa.make_url(database_url(PG)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    s = Store(url)
    yield s
    s.close()


# ---------------------------------------------------------------------------
# the schema


def test_a_new_store_is_made_at_the_head_revision(store: Store) -> None:
    assert store.revision() == HEAD == "0002"
    assert store.count() == 0


def test_the_tables_of_the_code_are_the_tables_the_migrations_make(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from fuac.serve.store import metadata

    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == []


def test_the_postgresql_schema_is_jsonb_with_a_big_key_and_append_only() -> None:
    sql = migrations.sql("postgresql://")
    assert "CREATE TABLE assessments" in sql
    assert "id BIGSERIAL NOT NULL" in sql
    assert "result JSONB NOT NULL" in sql and "data JSONB NOT NULL" in sql
    assert "recorded_at TIMESTAMP WITH TIME ZONE NOT NULL" in sql
    assert "BEFORE UPDATE OR DELETE ON assessments" in sql and "BEFORE TRUNCATE ON assessments" in sql
    assert "INSERT INTO alembic_version (version_num) VALUES ('0001')" in sql
    assert "UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0001'" in sql
    assert "CREATE TABLE titles" in sql and "BEFORE UPDATE OR DELETE ON titles" in sql
    assert "BEFORE TRUNCATE ON titles" in sql and "ALTER TABLE assessments ADD COLUMN filled JSONB" in sql
    assert "CREATE UNIQUE INDEX ux_titles_award ON titles (unit_code, ruleset_id, level, cycle_first_year) " \
           "WHERE event = 'award'" in sql


def test_a_store_made_by_a_newer_fuac_is_refused_in_one_line(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(StoreError) as info:
        Store(store.url)
    assert str(info.value).startswith(f"the assessment store {store.where} cannot be set up: ")
    assert "0099" in str(info.value) and len(str(info.value).splitlines()) == 1


def test_records_cannot_be_changed_or_deleted(store: Store) -> None:
    store.add(row())
    with store.engine.begin() as conn, pytest.raises(Exception, match="append-only"):
        conn.exec_driver_sql("UPDATE assessments SET total = '100'")
    with store.engine.begin() as conn, pytest.raises(Exception, match="append-only"):
        conn.exec_driver_sql("DELETE FROM assessments")
    assert store.get(1)["total"] == "86.1"


# ---------------------------------------------------------------------------
# writing and reading


def test_a_record_keeps_what_was_given_with_every_digit(store: Store) -> None:
    rec = store.add(row(by="alice"))
    got = store.get(rec["id"])
    assert got is not None
    assert got["submitted_by"] == "alice" and got["source"] == "api"
    assert got["unit"] == {"code": "450204", "name": "柳州市柳南区"}
    rs = fuac.load("liunan-2023")
    assert got["ruleset"] == {"id": "liunan-2023", "version": rs.version, "content_hash": rs.content_hash,
                              "chain": [{"id": "liunan-2023", "version": rs.version, "content_hash": rs.content_hash}]}
    assert got["on"] == "2023-11-30" and got["tier"] is None
    assert got["total"] == "86.1" and got["result"]["total"] == "86.1" and got["result"]["judgement_points"] == "11.5"
    assert got["complete"] is True and got["eligible"] is True and got["vetoed"] is False
    # inputs come back as the exact decimals they were, not floats
    assert got["data"]["infant_mortality_rate"] == Decimal("2.36")
    assert type(got["data"]["infant_mortality_rate"]) is Decimal
    assert got["data"]["childcare_places_per_1000_regional_avg"]["value"] == Decimal("2.8")
    assert got["assessments"]["5.b"]["points"] == Decimal("1.5")
    recorded = dt.datetime.fromisoformat(got["recorded_at"])
    assert recorded.tzinfo is not None and abs(dt.datetime.now(dt.timezone.utc) - recorded) < dt.timedelta(minutes=5)


def test_a_store_opened_again_has_every_record(url: str) -> None:
    path = url
    first = Store(path)
    ids = [first.add(row())["id"] for _ in range(3)]
    first.close()
    second = Store(path)
    assert [r["id"] for r in second.find()] == ids == [1, 2, 3]
    assert second.get(2)["result"]["total"] == "86.1"  # type: ignore[index]
    second.close()


def test_a_revision_links_to_the_record_it_revises(store: Store) -> None:
    first = store.add(row())
    second = store.add(row(revises=first["id"]))
    assert second["revises"] == first["id"]
    assert store.get(second["id"])["revises"] == first["id"]  # type: ignore[index]


@pytest.mark.parametrize(("context", "en", "zh"), [
    ({}, "there is no assessment 99", "没有编号为 99 的评估记录"),
    ({"code": "450205"}, "assessment 1 is of another unit (450204)", "评估记录 1 属于另一单位（450204）"),
])
def test_a_wrong_revises_is_refused_and_nothing_is_written(store: Store, context: dict[str, Any], en: str,
                                                           zh: str) -> None:
    store.add(row())
    target = 99 if not context else 1
    with pytest.raises(RevisesError) as info:
        store.add(row(revises=target, **context))
    assert (info.value.en, info.value.zh) == (en, zh)
    assert store.count() == 1


def test_a_record_whose_transaction_fails_leaves_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The row is inserted, then the transaction fails before it commits: nothing is left."""
    real = Store._insert

    def insert_then_fail(self: Store, conn: Any, fields: Any) -> int:
        real(self, conn, fields)
        import sqlalchemy as sa

        raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(Store, "_insert", insert_then_fail)
    with pytest.raises(StoreError, match="cannot be written: disk I/O error"):
        store.add(row())
    monkeypatch.undo()
    assert store.count() == 0
    new = store.add(row())["id"]
    assert [r["id"] for r in store.find()] == [new]


def test_writers_in_several_threads_each_get_their_own_record(store: Store) -> None:
    fields = row()
    ids: list[int] = []
    lock = threading.Lock()

    def write() -> None:
        for _ in range(10):
            new = store.add(fields)["id"]
            with lock:
                ids.append(new)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(ids) == list(range(1, 41))
    assert store.count() == 40


def test_find_selects_by_unit_rule_set_and_time(store: Store) -> None:
    store.add(row())                                            # 1: 柳南区 450204
    store.add(row(code="450205", name="柳北区"))                 # 2
    store.add({**row(), "recorded_at": dt.datetime(2024, 1, 31, 23, 0, tzinfo=dt.timezone.utc)})  # 3
    ids = lambda flt: [r["id"] for r in store.find(flt)]  # noqa: E731
    assert ids(Filter(unit="450204")) == [1, 3]
    assert ids(Filter(unit="柳北区")) == [2]
    assert ids(Filter(ruleset="liunan-2023")) == [1, 2, 3]
    assert ids(Filter(ruleset="wuhan-2017")) == []
    assert ids(Filter(since=moment("2024-01-31", "since"), until=moment("2024-01-31", "until", end=True))) == [3]
    assert ids(Filter(until=moment("2024-01-30", "until", end=True))) == []
    assert ids(Filter(since=moment(dt.date.today().isoformat(), "since"))) == [1, 2]
    assert ids(Filter(after=1, limit=1)) == [2]
    summary = store.find(Filter(limit=1))[0]
    assert "result" not in summary and "data" not in summary and summary["total"] == "86.1"
    assert store.find(Filter(limit=1), full=True)[0]["result"]["total"] == "86.1"


def test_moments() -> None:
    utc = dt.timezone.utc
    assert moment("2024-03-01", "since") == dt.datetime(2024, 3, 1, tzinfo=utc)
    assert moment("2024-03-01", "until", end=True) == dt.datetime(2024, 3, 1, 23, 59, 59, 999999, tzinfo=utc)
    assert moment("2024-03-01T08:00:00+08:00", "since") == dt.datetime(2024, 3, 1, 0, 0, tzinfo=utc)
    assert moment(None, "since") is None
    with pytest.raises(ValueError, match="since must be a date YYYY-MM-DD or a time"):
        moment("yesterday", "since")
    with pytest.raises(ValueError, match="until must be"):
        moment("2024-02-30", "until")


# ---------------------------------------------------------------------------
# where the database is


def test_database_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FUAC_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_path() == tmp_path / "data" / "fuac" / "assessments.sqlite3"
    assert database_url() == f"sqlite:///{tmp_path / 'data' / 'fuac' / 'assessments.sqlite3'}"
    assert (tmp_path / "data" / "fuac").is_dir()
    monkeypatch.setenv("FUAC_DB", str(tmp_path / "env.sqlite3"))
    assert database_url() == f"sqlite:///{tmp_path / 'env.sqlite3'}"
    assert database_url(str(tmp_path / "given.db")) == f"sqlite:///{tmp_path / 'given.db'}"
    assert database_url("postgresql://fuac:pw@db.example/fuac") == "postgresql+psycopg://fuac:pw@db.example/fuac"
    assert database_url("postgres://db/fuac") == "postgresql+psycopg://db/fuac"
    assert database_url("postgresql+psycopg2://db/fuac") == "postgresql+psycopg2://db/fuac"
    assert shown("postgresql+psycopg://fuac:secret@db/fuac") == "postgresql+psycopg://fuac:***@db/fuac"
    with pytest.raises(StoreError, match="is a folder"):
        database_url(str(tmp_path))


def test_a_postgresql_store_without_its_driver_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)  # not installed
    with pytest.raises(StoreError) as info:
        Store("postgresql://fuac:secret@127.0.0.1:1/fuac")
    assert str(info.value) == "a postgresql database needs the psycopg driver: pip install 'fuac[serve,postgresql]'"


# ---------------------------------------------------------------------------
# exact JSON


def test_exact_json_keeps_every_digit() -> None:
    value = {"a": Decimal("0.1000000000000000055511151231257827"), "b": [Decimal("3.10"), 2, True, None],
             "c": dt.date(2023, 11, 30), "d": "柳南", "e": Decimal("NaN"), "f": 1.5}
    text = exact.dumps(value)
    assert text == ('{"a":0.1000000000000000055511151231257827,"b":[3.1,2,true,null],"c":"2023-11-30",'
                    '"d":"柳南","e":"NaN","f":1.5}')
    assert exact.loads(text)["a"] == Decimal("0.1000000000000000055511151231257827")
    assert json.loads(text)["d"] == "柳南"


# ---------------------------------------------------------------------------
# fuac log


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def logged(tmp_path: Path) -> str:
    path = str(tmp_path / "log.sqlite3")
    s = Store(path)
    s.add(row(by="alice"))
    s.add(row(code="450205", name="=HYPERLINK(\"http://x\",\"y\")"))
    s.add(row(by="alice", revises=1))
    s.close()
    return path


def test_log_lists_the_records(capsys: pytest.CaptureFixture[str], logged: str) -> None:
    code, out, err = cli(capsys, "log", "--db", logged)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 3 and "3 assessment(s)" in err
    assert lines[0].split()[0] == "1" and "柳州市柳南区" in lines[0] and "liunan-2023 1.0" in lines[0]
    assert "86.1" in lines[0] and lines[0].endswith("alice")
    assert lines[2].endswith("alice  revises 1")
    code, out, _ = cli(capsys, "log", "--db", logged, "--unit", "450204", "--json")
    records = json.loads(out)
    assert [r["id"] for r in records] == [1, 3]
    assert records[0]["result"]["total"] == "86.1" and records[0]["data"]["infant_mortality_rate"] == 2.36


def test_log_exports_without_formulas(capsys: pytest.CaptureFixture[str], logged: str, tmp_path: Path) -> None:
    out_csv = tmp_path / "log.csv"
    code, out, _ = cli(capsys, "log", "--db", logged, "-o", str(out_csv))
    assert code == 0 and "3 assessment(s)" in out
    with open(out_csv, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[1]["unit_name"] == "'=HYPERLINK(\"http://x\",\"y\")"  # text, not a formula
    assert rows[0]["total"] == "86.1" and rows[2]["revises"] == "1"

    out_jsonl = tmp_path / "log.jsonl"
    assert cli(capsys, "log", "--db", logged, "--since", "2000-01-01", "-o", str(out_jsonl))[0] == 0
    lines = [exact.loads(x) for x in out_jsonl.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in lines] == [1, 2, 3] and lines[0]["data"]["infant_mortality_rate"] == Decimal("2.36")

    openpyxl = pytest.importorskip("openpyxl")
    out_xlsx = tmp_path / "log.xlsx"
    assert cli(capsys, "log", "--db", logged, "--ruleset", "liunan-2023", "-o", str(out_xlsx))[0] == 0
    ws = openpyxl.load_workbook(out_xlsx).active
    cell = ws.cell(row=3, column=6)
    assert cell.value == "=HYPERLINK(\"http://x\",\"y\")" and cell.data_type == "s" and cell.quotePrefix


def test_log_errors_are_one_line(capsys: pytest.CaptureFixture[str], logged: str, tmp_path: Path) -> None:
    code, _, err = cli(capsys, "log", "--db", str(tmp_path / "none.sqlite3"))
    assert code == 2 and err.startswith("fuac: no record of assessments at ") and len(err.splitlines()) == 1
    assert not (tmp_path / "none.sqlite3").exists()
    code, _, err = cli(capsys, "log", "--db", logged, "--since", "last week")
    assert code == 2 and "--since must be a date YYYY-MM-DD" in err
    code, _, err = cli(capsys, "log", "--db", logged, "-o", str(tmp_path / "log.txt"))
    assert code == 2 and "write the log to .csv, .xlsx or .jsonl" in err
