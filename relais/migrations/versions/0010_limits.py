"""Limits: confirmation requests and import progress

Revision ID: 0010_limits
Revises: 0009_inbox
Create Date: 2026-11-30 06:06:13.998902
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_limits"
down_revision: str | None = "0009_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("finished", sa.Boolean(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_run_digest"), ["digest"], unique=False)

    op.create_table(
        "newsletter_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("newsletter_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_newsletter_request_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_newsletter_request_email"), ["email"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_newsletter_request_telegram_id"), ["telegram_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("newsletter_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_newsletter_request_telegram_id"))
        batch_op.drop_index(batch_op.f("ix_newsletter_request_email"))
        batch_op.drop_index(batch_op.f("ix_newsletter_request_created_at"))

    op.drop_table("newsletter_request")
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_run_digest"))

    op.drop_table("import_run")
