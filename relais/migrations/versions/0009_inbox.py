"""Mail that comes back: messages read from the mailbox, bounces per address, calendar answers

Revision ID: 0009_inbox
Revises: 0008_structure_type
Create Date: 2026-11-30 06:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009_inbox"
down_revision: str | None = "0008_structure_type"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_message_to_address"), ["to_address"], unique=False
        )

    op.create_table(
        "address_bounce",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column(
            "severity",
            sa.Enum("hard", "soft", name="bounceseverity", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("diagnostic", sa.Text(), server_default="", nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("address_bounce", schema=None) as batch_op:
        batch_op.create_index(
            "ix_address_bounce_address_at", ["address", "received_at"], unique=False
        )

    op.create_table(
        "inbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_key", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("sender", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_key"),
    )
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbox_message_processed_at"), ["processed_at"], unique=False
        )

    op.create_table(
        "calendar_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("partstat", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("confirmed_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["registration_id"], ["registration.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("calendar_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_answer_registration_id"), ["registration_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("calendar_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_answer_registration_id"))
    op.drop_table("calendar_answer")
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_message_processed_at"))
    op.drop_table("inbox_message")
    with op.batch_alter_table("address_bounce", schema=None) as batch_op:
        batch_op.drop_index("ix_address_bounce_address_at")
    op.drop_table("address_bounce")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_to_address"))
