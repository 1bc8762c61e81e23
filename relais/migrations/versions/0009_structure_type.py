"""Type of structure: an editable reference list, on people and subscribers

The old ``organisation.kind`` (an enum nobody was asked for, « autre » by
default) is replaced by the person's own type of structure. Kinds someone did
set are carried over to the people of that organisation; « autre », the
default, meant « never asked » and becomes « non renseigné ».

Revision ID: 0009_structure_type
Revises: 0006_admin
Create Date: 2026-11-30 06:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from relais.reference.seed import OTHER_STRUCTURE_TYPE, STRUCTURE_TYPES

revision: str = "0009_structure_type"
down_revision: str | None = "0006_admin"
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
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("structure_type_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("structure_type_declined_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_person_structure_type_id"), ["structure_type_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_person_structure_type_id", "structure_type", ["structure_type_id"], ["id"]
        )
    with op.batch_alter_table("newsletter_subscriber", schema=None) as batch_op:
        batch_op.add_column(sa.Column("structure_type_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_newsletter_subscriber_structure_type_id",
            "structure_type",
            ["structure_type_id"],
            ["id"],
        )
    for kind, name in OLD_KINDS.items():
        op.execute(
            sa.text(
                "UPDATE person SET structure_type_id = "
                "(SELECT id FROM structure_type WHERE name = :name) "
                "WHERE organisation_id IN (SELECT id FROM organisation WHERE kind = :kind)"
            ).bindparams(name=name, kind=kind)
        )
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("kind")


def downgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "collectivite", "etat", "association", "bailleur", "education", "autre",
                    name="organisationkind", native_enum=False, length=24,
                ),
                nullable=False,
                server_default="autre",
            )
        )  # fmt: skip
    with op.batch_alter_table("newsletter_subscriber", schema=None) as batch_op:
        batch_op.drop_constraint("fk_newsletter_subscriber_structure_type_id", type_="foreignkey")
        batch_op.drop_column("structure_type_id")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_constraint("fk_person_structure_type_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_person_structure_type_id"))
        batch_op.drop_column("structure_type_declined_at")
        batch_op.drop_column("structure_type_id")
    op.drop_table("structure_type")
