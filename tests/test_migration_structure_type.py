"""Migration 0008: the old organisation kinds become the people's type of structure."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from relais.db import make_engine
from relais.migrate import upgrade
from tests.conftest import PG_BASE, PG_SKIP_REASON


@pytest.fixture(params=["sqlite", "postgresql"])
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own (the shared ones are already at the head)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    if PG_SKIP_REASON:
        pytest.skip(PG_SKIP_REASON)
    schema = f"relais_mig_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{PG_BASE}?options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_kinds_someone_set_are_kept_and_autre_becomes_unknown(blank: Engine) -> None:
    upgrade(blank, "0006_admin")
    now = datetime(2025, 3, 1, tzinfo=UTC)
    with blank.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO organisation (id, name, kind) VALUES (:id, :name, :kind)"),
            [
                {"id": 1, "name": "Ville de Sevran", "kind": "collectivite"},
                {"id": 2, "name": "Rectorat", "kind": "education"},
                {"id": 3, "name": "Jamais demandé", "kind": "autre"},
            ],
        )
        connection.execute(
            sa.text(
                "INSERT INTO person (id, first_name, last_name, email, email_invalid, "
                "organisation_id, telegram_blocked, created_at, updated_at) "
                "VALUES (:id, 'A', 'B', :email, false, :org, false, :now, :now)"
            ),
            [
                {"id": n, "email": f"p{n}@x.fr", "org": org, "now": now}
                for n, org in ((1, 1), (2, 2), (3, 3), (4, None))
            ],
        )
        connection.execute(
            sa.text(
                "INSERT INTO consent (person_id, purpose, granted, channel, source, recorded_at) "
                "VALUES (1, 'registration', true, 'telegram', '', :now)"
            ),
            {"now": now},
        )
    upgrade(blank)  # rebuilds person and organisation, which other rows point to
    with blank.connect() as connection:
        types = dict(
            connection.execute(
                sa.text(
                    "SELECT person.id, structure_type.name FROM person "
                    "LEFT JOIN structure_type ON structure_type.id = person.structure_type_id"
                )
            ).all()
        )
        columns = {column["name"] for column in sa.inspect(connection).get_columns("organisation")}
        offered = (
            connection.execute(sa.text("SELECT name FROM structure_type ORDER BY listed_last, id"))
            .scalars()
            .all()
        )
    assert types == {
        1: "Collectivité territoriale",
        2: "Établissement scolaire / Éducation nationale",
        3: None,
        4: None,
    }
    assert "kind" not in columns
    assert offered[-1] == "Autre" and len(offered) == 9


def test_downgrade_then_upgrade_again(blank: Engine) -> None:
    from alembic import command

    from relais.migrate import alembic_config

    upgrade(blank)
    config = alembic_config(blank)
    with blank.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006_admin")
    with blank.connect() as connection:
        assert "structure_type" not in sa.inspect(connection).get_table_names()
        person = {column["name"] for column in sa.inspect(connection).get_columns("person")}
        assert "structure_type_id" not in person
    upgrade(blank)
    with blank.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM structure_type")).scalar() == 9
