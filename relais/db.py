"""Engine and sessions for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode with foreign keys on, and every transaction starts
with ``BEGIN IMMEDIATE``: a registration reads the seat count and then
writes, and only an immediate write lock makes that atomic across
processes. On PostgreSQL the services lock rows with ``SELECT … FOR UPDATE``.

Within one process, SQLite writers also queue on a Python lock before their
``BEGIN IMMEDIATE``: SQLite's own busy handler polls with growing sleeps, so
dozens of threads waiting on it (a burst of registrations) spend most of the
time asleep while the database is free. The lock hands the turn over at once;
other processes still wait on SQLite's lock as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from threading import Lock
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, Result, make_url
from sqlalchemy.sql import Executable
from sqlmodel import Session, create_engine

from relais.settings import get_settings

READ_ONLY = "relais_read_only"
#: A writer that waited this long for its turn goes on to SQLite's own busy wait.
WRITER_WAIT_SECONDS = 30.0
#: One writer lock per SQLite file in this process (several engines may share a file).
_writer_locks: dict[str, Lock] = {}


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **_pool(url, kwargs)
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _pool(url: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Room for the web's reading threads beside the writer, so that a burst of requests
    reuses connections instead of opening (and configuring) new ones."""
    if "poolclass" in kwargs or make_url(url).database in (None, "", ":memory:"):
        return kwargs
    return {"pool_size": 20, "max_overflow": 20, **kwargs}


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

    writer = _writer_locks.setdefault(str(engine.url.database), Lock())

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY, False):
            connection.exec_driver_sql("BEGIN")
            return
        turn = writer.acquire(timeout=WRITER_WAIT_SECONDS)
        connection.info["relais_writer_turn"] = turn
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _end_turn(connection)
            raise

    def _end_turn(connection: Any) -> None:
        if connection.info.pop("relais_writer_turn", False):
            writer.release()

    @event.listens_for(engine, "commit")
    def _on_commit(connection: Any) -> None:
        """Commit at the driver now, then hand the turn over (SQLAlchemy's own call that
        follows finds no transaction open and does nothing)."""
        try:
            connection.connection.driver_connection.commit()
        finally:
            _end_turn(connection)

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Any) -> None:
        try:
            connection.connection.driver_connection.rollback()
        finally:
            _end_turn(connection)


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


def execute(session: Session, statement: Executable, params: dict[str, Any]) -> Result[Any]:
    """Run a statement built once (SQLAlchemy Core), after the session's pending changes.

    For the queries of the registration path, which runs under SQLite's one
    write turn: the ORM builds, caches and reads back each ``select`` on every
    call, about six times what the query itself costs. The flush first keeps
    the answer the same as the ORM's (which flushes before querying).
    """
    session.flush()
    return session.connection().execute(statement, params)


class _DataVersion:
    """SQLite's ``PRAGMA data_version`` on a connection of its own: it changes whenever
    another connection, of this process or another one, committed to the file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)

    def read(self) -> int:
        return int(self._connection.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        self._connection.close()


#: The watcher of the one database in use (a test that moves to another file replaces it).
_data_version: list[_DataVersion] = []
_data_version_lock = Lock()


def data_version() -> int | None:
    """A number that changes at every commit to the database, by any process; None when the
    database cannot say so cheaply (PostgreSQL, a database in memory)."""
    url = get_engine().url
    path = url.database
    if not url.drivername.startswith("sqlite") or path in (None, "", ":memory:"):
        return None
    with _data_version_lock:
        if not _data_version or _data_version[0].path != path:
            for old in _data_version:
                old.close()
            _data_version[:] = [_DataVersion(path)]
        return _data_version[0].read()


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
