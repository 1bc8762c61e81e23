"""Where signed links get their key.

A constant written in the source would let anyone forge unsubscribe,
confirmation and survey links and compute the Telegram webhook secret. So
when ``SECRET_KEY`` is empty, the key is a random one stored in
``installation_secret``: the migration that creates the table draws it, and
every process of the installation (``relais run``, the command line, a second
worker) reads the same row. Should the row be missing (deleted, partial
restore), the processes that need it each try an insert that does nothing
when the row exists, then read the row back: they agree on the key whichever
insert won.
"""

from __future__ import annotations

import enum
import secrets
import threading

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from relais.db import get_engine, read_only, session_scope
from relais.keys.models import InstallationSecret
from relais.settings import get_settings
from relais.timefmt import utcnow

SIGNING_KEY = "signing_key"
_lock = threading.Lock()
_cache: dict[str, bytes] = {}


class KeySource(enum.StrEnum):
    ENVIRONMENT = "environment"
    DATABASE = "database"


def source() -> KeySource:
    """Where :func:`signing_key` comes from, for the start-up line (never the key itself)."""
    return KeySource.ENVIRONMENT if get_settings().secret_key else KeySource.DATABASE


def _insert_if_absent(session: Session, name: str, value: str) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(InstallationSecret).values(name=name, value=value, created_at=utcnow())
    session.exec(statement.on_conflict_do_nothing(index_elements=["name"]))  # type: ignore[call-overload]


def new_key() -> str:
    """384 random bits, URL-safe (so it also fits where a SECRET_KEY would go)."""
    return secrets.token_urlsafe(48)


def _read(engine: Engine | None) -> str | None:
    query = select(InstallationSecret.value).where(InstallationSecret.name == SIGNING_KEY)
    with read_only(engine) as connection:
        return connection.execute(query).scalar_one_or_none()


def stored_key(engine: Engine | None = None) -> bytes:
    """The database's key (written by the migration), created if absent (race-free).

    The read takes no write lock, so signing a link inside a write transaction
    does not wait for itself on SQLite.
    """
    value = _read(engine)
    if value is None:
        with session_scope(engine) as session:
            _insert_if_absent(session, SIGNING_KEY, new_key())
        value = _read(engine)
    assert value is not None
    return value.encode()


def signing_key() -> bytes:
    """The key every signed link and the webhook secret are derived from."""
    settings = get_settings()
    if settings.secret_key:
        return settings.secret_key.encode()
    with _lock:
        if settings.database_url not in _cache:
            _cache[settings.database_url] = stored_key(get_engine())
        return _cache[settings.database_url]


def clear_cache() -> None:
    """Forget the key read from the database (tests that empty or switch databases)."""
    with _lock:
        _cache.clear()
