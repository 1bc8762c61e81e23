"""Rows created by the demo, to remove exactly them

Revision ID: 0012_demo_marks
Revises: 0011_workers
Create Date: 2026-11-30 06:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012_demo_marks"
down_revision: str | None = "0011_workers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "demo_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("row_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_demo_row_table_name"), "demo_row", ["table_name"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_demo_row_table_name"), table_name="demo_row")
    op.drop_table("demo_row")
