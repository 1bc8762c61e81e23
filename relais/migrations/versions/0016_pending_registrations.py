"""Registrations typed on the web wait for the address's owner to follow the link

Revision ID: 0016_pending_registrations
Revises: 0015_rate_limits
Create Date: 2026-11-30 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016_pending_registrations"
down_revision: str | None = "0015_rate_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "pending_registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", text(length=24), nullable=False),
        sa.Column("email", text(length=254), nullable=False),
        sa.Column("first_name", text(length=100), nullable=False),
        sa.Column("last_name", text(length=100), nullable=False),
        sa.Column("organisation", text(length=200), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=True),
        sa.Column("structure_type_id", sa.Integer(), nullable=True),
        sa.Column("departement_code", text(length=3), nullable=False),
        sa.Column("phone", text(length=30), nullable=False),
        sa.Column("target", text(length=24), nullable=False),
        sa.Column("channel", text(length=24), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["profile_id"], ["profile.id"]),
        sa.ForeignKeyConstraint(["structure_type_id"], ["structure_type.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_pending_registration_email", "pending_registration", ["email"])
    op.create_index("ix_pending_registration_created_at", "pending_registration", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_pending_registration_created_at", table_name="pending_registration")
    op.drop_index("ix_pending_registration_email", table_name="pending_registration")
    op.drop_table("pending_registration")
