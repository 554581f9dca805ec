"""The record of assessments: every unit scored through the service, append-only.

The table ``assessments``: who submitted what, when, against which rule set (id, version,
content hash, the chain of a composed one), at which tier and date in force, with the inputs,
the assessors' entries, the context and the result (``Evaluation.to_dict()``), the record it
revises, if any, and the inputs the service filled in (``filled``: where each came from). A
record is written in one transaction or not at all; the table refuses ``UPDATE`` and ``DELETE``
(a trigger), so a correction is a new record that ``revises`` the old.

The table ``titles``: the awards, revocations and extensions of units' titles, append-only too
(:mod:`.titles` writes and reads them).

The database is SQLite by default (one file, :func:`database_url`) or PostgreSQL from a
``postgresql://`` URL, through SQLAlchemy 2; its schema is made and upgraded by Alembic
(:mod:`fuac.serve.migrations`), when the store is opened.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from ..errors import FuacError
from ..run.inputs import as_date
from . import INSTALL, exact

#: where the SQLite file is when neither ``--db`` nor ``FUAC_DB`` says (see :func:`default_path`)
ENV = "FUAC_DB"
#: the Alembic revision this code writes and reads
HEAD = "0002"

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite numbers rows only in an INTEGER key

metadata = sa.MetaData()

assessments = sa.Table(
    "assessments",
    metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("submitted_by", sa.String(200), nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("unit_code", sa.String(64)),
    sa.Column("unit_name", sa.String(500)),
    sa.Column("ruleset_id", sa.String(64), nullable=False),
    sa.Column("ruleset_version", sa.String(100), nullable=False),
    sa.Column("content_hash", sa.String(100), nullable=False),
    sa.Column("chain", _JSON, nullable=False),
    sa.Column("tier", sa.String(64)),
    sa.Column("on_date", sa.Date, nullable=False),
    sa.Column("assessor", sa.String(200)),
    sa.Column("data", _JSON, nullable=False),
    sa.Column("entries", _JSON, nullable=False),
    sa.Column("context", _JSON, nullable=False),
    sa.Column("total", sa.String(64)),
    sa.Column("complete", sa.Boolean, nullable=False),
    sa.Column("eligible", sa.Boolean),
    sa.Column("vetoed", sa.Boolean, nullable=False),
    sa.Column("result", _JSON, nullable=False),
    sa.Column("revises", _ID, sa.ForeignKey("assessments.id", name="fk_assessments_revises")),
    sa.Column("filled", _JSON),
    sa.Index("ix_assessments_unit_code", "unit_code"),
    sa.Index("ix_assessments_ruleset_id", "ruleset_id"),
    sa.Index("ix_assessments_recorded_at", "recorded_at"),
    sqlite_autoincrement=True,
)

#: what a line of ``titles`` records
TITLE_EVENTS = ("award", "revocation", "extension")

titles = sa.Table(
    "titles",
    metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("submitted_by", sa.String(200), nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("unit_code", sa.String(64), nullable=False),
    sa.Column("unit_name", sa.String(500)),
    sa.Column("ruleset_id", sa.String(64), nullable=False),
    sa.Column("level", sa.String(64), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("cycle_first_year", sa.Integer, nullable=False),
    sa.Column("refers_to", _ID, sa.ForeignKey("titles.id", name="fk_titles_refers_to")),
    sa.Column("document", sa.String(500)),
    sa.Column("note", sa.String(2000)),
    sa.Index("ix_titles_unit_code", "unit_code"),
    # one award a unit, rule set, level and cycle; one revocation an award (checked before writing too)
    sa.Index("ux_titles_award", "unit_code", "ruleset_id", "level", "cycle_first_year", unique=True,
             sqlite_where=sa.text("event = 'award'"), postgresql_where=sa.text("event = 'award'")),
    sa.Index("ux_titles_revocation", "refers_to", unique=True,
             sqlite_where=sa.text("event = 'revocation'"), postgresql_where=sa.text("event = 'revocation'")),
    sqlite_autoincrement=True,
)


class StoreError(FuacError, RuntimeError):
    """The store cannot be opened, read or written (the message names it, its password hidden)."""


class RevisesError(FuacError, ValueError):
    """``revises`` names no record, or a record of another unit or rule set."""

    def __init__(self, en: str, zh: str) -> None:
        self.en, self.zh = en, zh
        super().__init__(en)


# ---------------------------------------------------------------------------
# where the database is


def default_path() -> Path:
    """The SQLite file used when no database is named: ``assessments.sqlite3`` in the user's data
    folder (``$XDG_DATA_HOME/fuac``, default ``~/.local/share/fuac``; ``%LOCALAPPDATA%\\fuac`` on
    Windows), so that ``fuac serve`` and ``fuac log`` find the same record from any folder."""
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "fuac" / "assessments.sqlite3"


def database_url(given: str | None = None) -> str:
    """The SQLAlchemy URL of the store: ``given`` (``--db``), else ``$FUAC_DB``, else
    :func:`default_path`. A plain path is a SQLite file (its folder is made); ``postgresql://``
    and ``postgres://`` use the psycopg (3) driver; any other URL is given to SQLAlchemy as it is."""
    value = (given or os.environ.get(ENV) or "").strip() or str(default_path())
    if "://" not in value:
        path = Path(value).expanduser()
        if path.is_dir():
            raise StoreError(f"--db {value}: is a folder; name the database file (e.g. {path / 'fuac.sqlite3'})")
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path.resolve()}"
    scheme, rest = value.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    return value


def shown(url: str | sa.URL) -> str:
    """A URL as it may be printed or logged: its password hidden."""
    return sa.make_url(url).render_as_string(hide_password=True)


# ---------------------------------------------------------------------------
# the store


@dataclass(frozen=True, slots=True)
class Filter:
    """What ``GET /v1/assessments`` and ``fuac log`` select: a unit (its code or its name), a rule
    set id, recorded on or after ``since`` and on or before ``until`` (a date: the whole day, in
    UTC), after record ``after`` (to page on), at most ``limit`` records, oldest first."""

    unit: str | None = None
    ruleset: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    after: int | None = None
    limit: int | None = None


def moment(value: Any, name: str, *, end: bool = False) -> dt.datetime | None:
    """A ``since``/``until`` bound: a date (``YYYY-MM-DD``: its start, or with ``end`` its end) or a
    datetime in ISO 8601 (UTC when it names no offset). A ``ValueError`` names ``name``."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        when = dt.datetime.combine(value, dt.time.max if end else dt.time.min)
    else:
        text = str(value).strip()
        try:
            if len(text) == 10:
                day = as_date(text, name)
                assert day is not None
                when = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
            else:
                when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except (ValueError, AssertionError):
            raise ValueError(f"{name} must be a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM[:SS][+08:00], "
                             f"not {text[:40]!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _utc(when: dt.datetime) -> dt.datetime:
    """A moment in UTC; one read back from SQLite (which keeps no offset) was written in UTC."""
    return when.replace(tzinfo=dt.timezone.utc) if when.tzinfo is None else when.astimezone(dt.timezone.utc)


class Store:
    """The record of assessments in the database at ``url`` (see :func:`database_url`).

    Opening it upgrades its schema to :data:`HEAD` (Alembic), in one transaction that other
    processes opening the same store wait for."""

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
        self.url = database_url(url) if url is None or "://" not in url else url
        self.engine = _engine(self.url)
        #: SQLite takes one writer at a time: the threads of this process queue here, in turn, rather
        #: than in SQLite's busy handler, which polls with growing sleeps (long waits under load)
        self._one_writer = threading.Lock() if self.engine.dialect.name == "sqlite" else contextlib.nullcontext()
        if migrate:
            self.migrate()

    def __repr__(self) -> str:
        return f"Store({shown(self.url)!r})"

    @property
    def where(self) -> str:
        """The store as it may be shown: a SQLite file's path, else the URL without its password."""
        url = sa.make_url(self.url)
        if url.get_backend_name() == "sqlite" and url.database:
            return url.database
        return shown(url)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        """One write transaction (SQLite: ``BEGIN IMMEDIATE``, so that writers queue instead of failing)."""
        try:
            with self._one_writer, self.engine.connect() as conn:
                conn.execution_options(fuac_write=True)
                with conn.begin():
                    yield conn
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"the assessment store {self.where} cannot be written: {_why(exc)}") from exc

    def migrate(self) -> None:
        """Create the schema, or upgrade it to :data:`HEAD`."""
        from .migrations import upgrade

        try:
            with self._writing() as conn:
                upgrade(conn)
        except StoreError:
            raise
        except Exception as exc:  # Alembic's errors (a revision it does not know) have no common base
            raise StoreError(f"the assessment store {self.where} cannot be set up: {_why(exc)}") from exc

    def revision(self) -> str | None:
        """The schema revision the database is at (None: not made yet)."""
        from .migrations import current

        with self._reading() as conn:
            return current(conn)

    @contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"the assessment store {self.where} cannot be read: {_why(exc)}") from exc

    # -- writing

    def add(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Write one assessment (:func:`assessment_row` gives its fields) in one transaction; returns
        it as :meth:`get` would. A ``revises`` that names no record, or one of another unit or rule
        set, is a :class:`RevisesError`, and nothing is written."""
        row = dict(record)
        row.setdefault("recorded_at", dt.datetime.now(dt.timezone.utc))
        with self._writing() as conn:
            if row.get("revises") is not None:
                _check_revises(conn, row)
            new_id = self._insert(conn, row)
        row["id"] = new_id
        return _public(row)

    def add_many(self, records: list[Mapping[str, Any]]) -> list[int]:
        """Write several assessments (no ``revises``) in one transaction: all, or none. Their ids."""
        now = dt.datetime.now(dt.timezone.utc)
        with self._writing() as conn:
            return [self._insert(conn, {"recorded_at": now, **r}) for r in records]

    def _insert(self, conn: sa.Connection, row: Mapping[str, Any]) -> int:
        result = conn.execute(sa.insert(assessments).values(**row))
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    # -- reading

    def get(self, record_id: int) -> dict[str, Any] | None:
        """One record, every field, or None."""
        with self._reading() as conn:
            row = conn.execute(sa.select(assessments).where(assessments.c.id == record_id)).mappings().first()
        return None if row is None else _public(row)

    def find(self, flt: Filter = Filter(), *, full: bool = False) -> list[dict[str, Any]]:
        """The records ``flt`` selects, oldest first: their summary, or with ``full`` every field."""
        cols = list(assessments.c) if full else [c for c in assessments.c if c.name not in _BULKY]
        q = sa.select(*cols).order_by(assessments.c.id)
        c = assessments.c
        if flt.unit:
            q = q.where(sa.or_(c.unit_code == flt.unit, c.unit_name == flt.unit))
        if flt.ruleset:
            q = q.where(c.ruleset_id == flt.ruleset)
        if flt.since is not None:
            q = q.where(c.recorded_at >= _utc(flt.since))
        if flt.until is not None:
            q = q.where(c.recorded_at <= _utc(flt.until))
        if flt.after is not None:
            q = q.where(c.id > flt.after)
        if flt.limit is not None:
            q = q.limit(flt.limit)
        with self._reading() as conn:
            return [_public(r) for r in conn.execute(q).mappings()]

    def count(self) -> int:
        with self._reading() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(assessments)).scalar_one())


#: the columns a listing leaves out (``full`` gives them)
_BULKY = frozenset({"data", "entries", "context", "result", "chain", "filled"})


def _check_revises(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    old = conn.execute(
        sa.select(assessments.c.unit_code, assessments.c.unit_name, assessments.c.ruleset_id)
        .where(assessments.c.id == row["revises"])
    ).first()
    n = row["revises"]
    if old is None:
        raise RevisesError(f"there is no assessment {n}", f"没有编号为 {n} 的评估记录")
    if old.ruleset_id != row["ruleset_id"]:
        raise RevisesError(f"assessment {n} was made against rule set {old.ruleset_id!r}, "
                           f"not {row['ruleset_id']!r}",
                           f"评估记录 {n} 所用评分规则为 {old.ruleset_id}，不是 {row['ruleset_id']}")
    same = (old.unit_code == row.get("unit_code")) if old.unit_code or row.get("unit_code") else (
        old.unit_name == row.get("unit_name"))
    if not same:
        was = old.unit_code or old.unit_name or "?"
        raise RevisesError(f"assessment {n} is of another unit ({was})",
                           f"评估记录 {n} 属于另一单位（{was}）")


def _public(row: Mapping[str, Any] | sa.RowMapping) -> dict[str, Any]:
    """A record as the API and ``fuac log`` give it."""
    out: dict[str, Any] = {
        "id": row["id"],
        "recorded_at": _utc(row["recorded_at"]).isoformat(),
        "submitted_by": row["submitted_by"],
        "source": row["source"],
        "unit": {"code": row["unit_code"], "name": row["unit_name"]},
        "ruleset": {"id": row["ruleset_id"], "version": row["ruleset_version"], "content_hash": row["content_hash"]},
        "tier": row["tier"],
        "on": row["on_date"].isoformat(),
        "assessor": row["assessor"],
        "total": row["total"],
        "complete": bool(row["complete"]),
        "eligible": None if row["eligible"] is None else bool(row["eligible"]),
        "vetoed": bool(row["vetoed"]),
        "revises": row["revises"],
    }
    if "chain" in row:
        out["ruleset"]["chain"] = row["chain"]
    for key, name in (("data", "data"), ("entries", "assessments"), ("context", "context"), ("result", "result"),
                      ("filled", "filled")):
        if key in row:
            out[name] = row[key]
    return out


def assessment_row(ev: Any, *, data: Mapping[str, Any], entries: Mapping[str, Any] | None, assessor: str | None,
                   submitted_by: str, source: str, revises: int | None = None,
                   result: Mapping[str, Any] | None = None,
                   filled: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The fields of one record, from an :class:`fuac.Evaluation` and what it was made from.
    ``result`` is ``ev.to_dict()`` when the caller has it already; ``filled``, the inputs of
    ``data`` the service filled in, each with where it came from (None: none)."""
    full = dict(result) if result is not None else ev.to_dict()
    ctx = full.get("context") or {}
    code, name = ctx.get("code"), ctx.get("name")
    return {
        "submitted_by": submitted_by,
        "source": source,
        "unit_code": None if code is None else str(code)[:64],
        "unit_name": None if name is None else str(name)[:500],
        "ruleset_id": ev.ruleset_id,
        "ruleset_version": ev.ruleset_version,
        "content_hash": ev.content_hash,
        "chain": [dict(link) for link in ev.chain],
        "tier": ev.tier,
        "on_date": ev.on,
        "assessor": assessor,
        "data": dict(data),
        "entries": dict(entries or {}),
        "context": ctx,
        "total": full.get("total"),
        "complete": bool(ev.complete),
        "eligible": ev.eligible,
        "vetoed": bool(ev.vetoed),
        "result": full,
        "revises": revises,
        "filled": dict(filled) if filled else None,
    }


# ---------------------------------------------------------------------------
# the engine


def _engine(url: str) -> sa.Engine:
    """An engine whose JSON keeps every digit (:mod:`.exact`); SQLite with foreign keys, WAL, a
    wait for a busy database, and real transactions (SQLAlchemy's recipe for pysqlite)."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"--db: not a database URL or a file path: {exc}") from None
    backend = parsed.get_backend_name()
    kw: dict[str, Any] = {"json_serializer": exact.dumps, "json_deserializer": exact.loads}
    if backend == "sqlite":
        kw["connect_args"] = {"check_same_thread": False, "timeout": 30}
    try:
        engine = sa.create_engine(parsed, **kw)
    except ModuleNotFoundError as exc:
        driver = "psycopg" if backend == "postgresql" else exc.name
        extra = "pip install 'fuac[serve,postgresql]'" if backend == "postgresql" else INSTALL
        raise StoreError(f"a {backend} database needs the {driver} driver: {extra}") from None
    except (sa.exc.NoSuchModuleError, sa.exc.ArgumentError) as exc:
        raise StoreError(f"--db {shown(parsed)}: {exc}") from None
    if backend == "sqlite":
        _sqlite_events(engine)
    return engine


def _sqlite_events(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy says BEGIN itself (below), not pysqlite
        cur = dbapi_conn.cursor()
        for pragma in ("foreign_keys = ON", "journal_mode = WAL", "synchronous = FULL", "busy_timeout = 30000"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("fuac_write") else "BEGIN")


def _why(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
