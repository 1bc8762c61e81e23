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
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from relais.settings import get_settings


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
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@lru_cache(maxsize=1)
def _reader_for(url: str) -> Engine:
    return create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})


def get_reader_engine() -> Engine:
    """For pages that only read: on SQLite an engine without ``BEGIN IMMEDIATE``, whose
    reads (WAL) run beside each other and never hold the write lock registrations need."""
    engine = get_engine()
    if engine.dialect.name != "sqlite":
        return engine
    return _reader_for(str(engine.url))


@contextmanager
def read_scope() -> Iterator[Session]:
    """A session for reading only: nothing it holds is committed."""
    with Session(get_reader_engine(), expire_on_commit=False) as session:
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
