"""Installation secrets (the signing key generated on first start), events' publication time

Revision ID: 0007_security
Revises: 0006_admin
Create Date: 2026-11-30 06:10:00.000000
"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_security"
down_revision: str | None = "0006_admin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "installation_secret",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    # Events already public: published ones, and cancelled ones people had registered to.
    op.execute("UPDATE event SET published_at = created_at WHERE status = 'published'")
    op.execute(
        "UPDATE event SET published_at = updated_at WHERE status = 'cancelled' AND EXISTS "
        "(SELECT 1 FROM registration WHERE registration.event_id = event.id)"
    )
    # The key is drawn here, before any process signs anything: a fresh install never
    # signs with a constant, and an upgraded one stops accepting the old public key.
    secrets_table = sa.table(
        "installation_secret",
        sa.column("name", sa.String),
        sa.column("value", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        secrets_table,
        [{"name": "signing_key", "value": secrets.token_urlsafe(48), "created_at": _now()}],
    )


def _now() -> datetime:
    """UTC, naive on SQLite as ``UTCDateTime`` stores it there."""
    now = datetime.now(UTC)
    return now.replace(tzinfo=None) if op.get_bind().dialect.name == "sqlite" else now


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("published_at")
    op.drop_table("installation_secret")
