"""The schema of the record of assessments, made and upgraded by Alembic.

``versions/`` holds one script per revision (``r0001_assessments.py``: the table, its indexes and
the triggers that keep it append-only; ``r0002_titles.py``: the titles, append-only too, and the
inputs an assessment had filled in); :func:`upgrade` runs them, on a connection already in a
transaction, so that a failed upgrade changes nothing. A new revision is one more script whose
``down_revision`` is the last one, and :data:`fuac.serve.store.HEAD` names it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def config(connection: Any = None, *, url: str | None = None, output: Any = None) -> Any:
    """An Alembic configuration for these scripts (no ``alembic.ini``): on ``connection``, or, for
    SQL printed without a database (``--sql``), on the dialect of ``url`` writing to ``output``."""
    from alembic.config import Config

    cfg = Config(output_buffer=output) if output is not None else Config()
    cfg.set_main_option("script_location", str(HERE))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["connection"] = connection
    return cfg


#: Alembic keeps the migration in progress in module globals: one at a time in a process (other
#: processes wait on the database's lock instead, see env.py)
_LOCK = threading.Lock()


def upgrade(connection: Any, revision: str = "head") -> None:
    """Upgrade the database of ``connection`` (in a transaction the caller commits) to ``revision``."""
    from alembic import command

    with _LOCK:
        command.upgrade(config(connection), revision)


def current(connection: Any) -> str | None:
    """The revision the database of ``connection`` is at (None: no schema yet)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def sql(url: str, revision: str = "head") -> str:
    """The SQL that makes the schema on the database kind of ``url`` (``postgresql://``), printed
    without connecting: what a database administrator reviews or runs by hand."""
    import io

    from alembic import command

    out = io.StringIO()
    command.upgrade(config(url=url, output=out), revision, sql=True)
    return out.getvalue()
