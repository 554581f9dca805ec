"""Titles in the store: awards, revocations and extensions, append-only; and the inputs the
service filled in for an assessment (``assessments.filled``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_MESSAGE = "titles are append-only: record a revocation or an extension instead"

_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER titles_no_{verb.lower()} BEFORE {verb} ON titles BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
    for verb in ("UPDATE", "DELETE")
]
_PG_TRIGGERS = [
    "CREATE FUNCTION titles_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"RAISE EXCEPTION '{_MESSAGE}'; END $$",
    "CREATE TRIGGER titles_append_only BEFORE UPDATE OR DELETE ON titles "
    "FOR EACH ROW EXECUTE FUNCTION titles_append_only()",
    "CREATE TRIGGER titles_no_truncate BEFORE TRUNCATE ON titles "
    "FOR EACH STATEMENT EXECUTE FUNCTION titles_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "titles",
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
        sqlite_autoincrement=True,
    )
    op.create_index("ix_titles_unit_code", "titles", ["unit_code"])
    award, revocation = sa.text("event = 'award'"), sa.text("event = 'revocation'")
    op.create_index("ux_titles_award", "titles", ["unit_code", "ruleset_id", "level", "cycle_first_year"],
                    unique=True, sqlite_where=award, postgresql_where=award)
    op.create_index("ux_titles_revocation", "titles", ["refers_to"], unique=True,
                    sqlite_where=revocation, postgresql_where=revocation)
    op.add_column("assessments", sa.Column("filled", _JSON))
    dialect = op.get_context().dialect.name
    for statement in _SQLITE_TRIGGERS if dialect == "sqlite" else _PG_TRIGGERS if dialect == "postgresql" else []:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS titles_no_truncate ON titles")
        op.execute("DROP TRIGGER IF EXISTS titles_append_only ON titles")
        op.execute("DROP FUNCTION IF EXISTS titles_append_only()")
    op.execute("ALTER TABLE assessments DROP COLUMN filled")  # SQLite ≥ 3.35 too; its triggers stay
    op.drop_table("titles")
