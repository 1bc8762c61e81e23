"""Engine and sessions for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode with foreign keys on, and every transaction starts
with ``BEGIN IMMEDIATE``: a registration reads the seat count and then
writes, and only an immediate write lock makes that atomic across
processes. On PostgreSQL the services lock rows with ``SELECT … FOR UPDATE``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, create_engine

from relais.settings import get_settings

READ_ONLY = "relais_read_only"


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        deferred = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@contextmanager
def read_only(engine: Engine | None = None) -> Iterator[Connection]:
    """A connection for reads only: on SQLite it takes no write lock (plain ``BEGIN``),
    so it is not held up by a write transaction that the caller itself has open."""
    with (engine or get_engine()).connect() as connection:
        yield connection.execution_options(**{READ_ONLY: True})


@contextmanager
def read_scope() -> Iterator[Session]:
    """A session for pages that only read: on SQLite no write lock (see :func:`read_only`),
    so the agenda and the event pages run beside registrations; nothing is committed."""
    with read_only() as connection, Session(bind=connection, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


def is_postgresql(session: Session) -> bool:
    bind = session.get_bind()
    return bind.dialect.name == "postgresql"


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: committed at the end, rolled back on any error.

    Domain events emitted inside reach their after-commit subscribers only
    once the commit succeeded (see :mod:`relais.signals`).
    """
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
