"""Alembic's entry point: run the revisions on the connection :func:`fuac.serve.migrations.upgrade`
passes (online), or print their SQL for a URL's dialect (offline, ``sql=True``)."""

from __future__ import annotations

from alembic import context

from fuac.serve.store import metadata

cfg = context.config

if context.is_offline_mode():
    context.configure(url=cfg.get_main_option("sqlalchemy.url"), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = cfg.attributes["connection"]
    if connection.dialect.name == "postgresql":  # several workers starting at once: one upgrades, the others wait
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(1718960423)")
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
