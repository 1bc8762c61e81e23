"""Type of structure: an editable reference list, on people and subscribers

The old ``organisation.kind`` (an enum nobody was asked for, « autre » by
default) is replaced by the person's own type of structure. Kinds someone did
set are carried over to the people of that organisation; « autre », the
default, meant « never asked » and becomes « non renseigné ».

Revision ID: 0008_structure_type
Revises: 0007_security
Create Date: 2026-11-30 06:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from relais.reference.seed import OTHER_STRUCTURE_TYPE, STRUCTURE_TYPES

revision: str = "0008_structure_type"
down_revision: str | None = "0007_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The old enum's values and the seeded type each one becomes.
OLD_KINDS = {
    "collectivite": "Collectivité territoriale",
    "etat": "Services de l'État",
    "association": "Association",
    "bailleur": "Bailleur social",
    "education": "Établissement scolaire / Éducation nationale",
}


def _add_type_column(table: str) -> None:
    """A nullable ``structure_type_id`` pointing to the list.

    SQLite adds such a column in place (``ADD COLUMN … REFERENCES``); going
    through Alembic's batch mode would rebuild the table, and dropping a table
    that other rows point to fails with foreign keys on.
    """
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN structure_type_id INTEGER "
            "REFERENCES structure_type (id)"
        )
        return
    op.add_column(table, sa.Column("structure_type_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        f"fk_{table}_structure_type_id", table, "structure_type", ["structure_type_id"], ["id"]
    )


def upgrade() -> None:
    op.create_table(
        "structure_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("listed_last", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    types = sa.table(
        "structure_type",
        sa.column("name", sa.String),
        sa.column("active", sa.Boolean),
        sa.column("listed_last", sa.Boolean),
    )
    op.bulk_insert(
        types,
        [{"name": name, "active": True, "listed_last": False} for name in STRUCTURE_TYPES]
        + [{"name": OTHER_STRUCTURE_TYPE, "active": True, "listed_last": True}],
    )
    _add_type_column("person")
    op.add_column(
        "person", sa.Column("structure_type_declined_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index("ix_person_structure_type_id", "person", ["structure_type_id"], unique=False)
    _add_type_column("newsletter_subscriber")
    for kind, name in OLD_KINDS.items():
        op.execute(
            sa.text(
                "UPDATE person SET structure_type_id = "
                "(SELECT id FROM structure_type WHERE name = :name) "
                "WHERE organisation_id IN (SELECT id FROM organisation WHERE kind = :kind)"
            ).bindparams(name=name, kind=kind)
        )
    # SQLite ≥ 3.35 drops a plain column in place, without rebuilding the table.
    op.execute("ALTER TABLE organisation DROP COLUMN kind")


def downgrade() -> None:
    """Back to ``organisation.kind`` (every organisation « autre »: the types were the people's).

    SQLite cannot drop a column that has a foreign key, so there the two
    tables are rebuilt: do it on a copy of the database if rows point to people.
    """
    op.add_column(
        "organisation",
        sa.Column("kind", sa.String(length=24), nullable=False, server_default="autre"),
    )
    op.drop_index("ix_person_structure_type_id", table_name="person")
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in (
        ("newsletter_subscriber", ["structure_type_id"]),
        ("person", ["structure_type_id", "structure_type_declined_at"]),
    ):
        if sqlite:
            with op.batch_alter_table(table, recreate="always") as batch_op:
                for column in columns:
                    batch_op.drop_column(column)
            continue
        op.drop_constraint(f"fk_{table}_structure_type_id", table, type_="foreignkey")
        for column in columns:
            op.drop_column(table, column)
    op.drop_table("structure_type")
