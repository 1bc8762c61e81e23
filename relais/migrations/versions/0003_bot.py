"""Bot conversation steps and Telegram outbox

Revision ID: 0003_bot
Revises: 0002_mail
Create Date: 2026-11-22 02:54:54.502219
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003_bot"
down_revision: str | None = "0002_mail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "bot_conversation",
        sa.Column("telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("data", sa.Text(), server_default="{}", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("telegram_id"),
    )
    op.create_table(
        "bot_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("text_html", sa.Text(), nullable=False),
        sa.Column("buttons", sa.Text(), nullable=True),
        sa.Column("document_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("document", sa.LargeBinary(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "sent",
                "failed",
                "blocked",
                name="outboxstate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("bot_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bot_outbox_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            "ix_bot_outbox_state_next", ["state", "next_attempt_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("bot_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_bot_outbox_state_next")
        batch_op.drop_index(batch_op.f("ix_bot_outbox_person_id"))

    op.drop_table("bot_outbox")
    op.drop_table("bot_conversation")
