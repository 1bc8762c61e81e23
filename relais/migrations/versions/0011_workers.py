"""Claims name their worker: rows of a dead worker are taken back at once

Revision ID: 0011_workers
Revises: 0010_limits
Create Date: 2026-11-30 06:20:00

``outbox_message.claimed_until`` (a lease) becomes ``claimed_by`` (the
liveness id of the claiming process, see ``relais.workers``); the Telegram
outbox gets the same column and a ``sending`` state (its state is a VARCHAR).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_workers"
down_revision: str | None = "0010_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.BigInteger(), nullable=True))
        batch_op.drop_column("claimed_until")
    with op.batch_alter_table("bot_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.execute("update bot_outbox set state = 'pending' where state = 'sending'")
    with op.batch_alter_table("bot_outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column("claimed_by")
