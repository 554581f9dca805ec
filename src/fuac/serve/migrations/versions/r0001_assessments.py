"""The record of assessments: one append-only table.

Revision ID: 0001
Revises:
Create Date: 2026-11-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER assessments_no_{verb.lower()} BEFORE {verb} ON assessments "
    f"BEGIN SELECT RAISE(ABORT, 'assessments are append-only: record a revision instead'); END"
    for verb in ("UPDATE", "DELETE")
]
_PG_TRIGGERS = [
    "CREATE FUNCTION assessments_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'assessments are append-only: record a revision instead'; END $$",
    "CREATE TRIGGER assessments_append_only BEFORE UPDATE OR DELETE ON assessments "
    "FOR EACH ROW EXECUTE FUNCTION assessments_append_only()",
    "CREATE TRIGGER assessments_no_truncate BEFORE TRUNCATE ON assessments "
    "FOR EACH STATEMENT EXECUTE FUNCTION assessments_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "assessments",
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
        sqlite_autoincrement=True,
    )
    op.create_index("ix_assessments_unit_code", "assessments", ["unit_code"])
    op.create_index("ix_assessments_ruleset_id", "assessments", ["ruleset_id"])
    op.create_index("ix_assessments_recorded_at", "assessments", ["recorded_at"])
    dialect = op.get_context().dialect.name
    for statement in _SQLITE_TRIGGERS if dialect == "sqlite" else _PG_TRIGGERS if dialect == "postgresql" else []:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS assessments_no_truncate ON assessments")
        op.execute("DROP TRIGGER IF EXISTS assessments_append_only ON assessments")
        op.execute("DROP FUNCTION IF EXISTS assessments_append_only()")
    op.drop_table("assessments")
