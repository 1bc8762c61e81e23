"""Run the Alembic migrations programmatically (``relais db upgrade``, ``relais run``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def target_metadata() -> MetaData:
    """The core's tables plus those of every plugin (importing their hooks, see the wiring list)."""
    from relais import models
    from relais.plugins import plugins

    plugins()  # importing a plugin imports its models
    return models.metadata


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_heads(engine: Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def upgrade_if_needed(engine: Engine) -> None:
    """Upgrade only when the database is behind: the check reads no plugin code."""
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    if current_heads(engine) != heads:
        upgrade(engine)
