"""The Alembic history builds exactly the tables the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from relais.migrate import current_heads, target_metadata
from relais.reference.models import Departement, Theme


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, target_metadata())
    assert differences == []


def test_migrations_seed_reference_lists_and_reach_head(engine: Engine) -> None:
    from alembic.script import ScriptDirectory

    from relais.migrate import alembic_config

    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    assert current_heads(engine) == heads
    with Session(engine) as session:
        assert session.exec(select(Departement).where(Departement.code == "93")).one().name == (
            "Seine-Saint-Denis"
        )
        assert len(session.exec(select(Theme)).all()) >= 11
