"""Liveness of claimers: a row claimed by a process that died is taken back at once.

Every process that claims outbox rows (``relais run``, ``relais worker``,
``relais newsletter send/resume``) registers here first and writes its id in
the rows it claims. Its record is a lock that the database or the operating
system releases by itself when the process dies, so "is this claimer alive?"
has an exact answer, with no lease to wait for and no heartbeat a long send
could miss:

* PostgreSQL: a session-level advisory lock keyed by the worker id, held by a
  dedicated connection of the worker. The server drops it when that session
  ends (process killed: the kernel closes the socket). Others read
  ``pg_locks``. The claim also checks that the worker's own lock is still
  there, and registers anew if the connection was lost.
* SQLite: ``flock`` on a file ``<id>.lock`` in ``<database>-workers/``. The
  file is locked before it gets its final name (so no one can see it
  unlocked), and the kernel releases the lock when the process dies. A file
  missing or lockable means its owner is dead. SQLite is only ever shared by
  processes of one host, which is what ``flock`` covers.

Ids are random 62-bit numbers, never reused, so a claimer found dead stays dead.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, or_, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)

_LIVE_KEYS = text(
    "select (classid::bigint << 32) | objid::bigint from pg_locks"
    " where locktype = 'advisory' and objsubid = 1 and granted"
    " and database = (select oid from pg_database where datname = current_database())"
)


def _new_id() -> int:
    return secrets.randbelow(2**62 - 1) + 1


class _Record(Protocol):
    """One way of holding a lock that dies with the process."""

    id: int

    def live(self, ids: set[int]) -> set[int]: ...

    def close(self) -> None: ...


class _AdvisoryLock:
    """PostgreSQL: ``pg_advisory_lock(id)`` held by a connection of our own."""

    def __init__(self, engine: Engine) -> None:
        self._engine = create_engine(engine.url, poolclass=NullPool)
        self._connection: Connection | None = None
        self.id = 0
        self._lock()

    def _lock(self) -> None:
        self.id = _new_id()
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        connection.execute(text("select pg_advisory_lock(:key)"), {"key": self.id})
        self._connection = connection

    def live(self, ids: set[int]) -> set[int]:
        """Which of ``ids`` hold their lock; re-registers first if ours was lost."""
        try:
            assert self._connection is not None
            held = {key for (key,) in self._connection.execute(_LIVE_KEYS)}
        except Exception:
            log.warning("worker %s lost its liveness connection; registering again", self.id)
            held = set()
        if self.id not in held:
            self._drop()
            self._lock()
            held.add(self.id)
        return ids & held

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None

    def close(self) -> None:
        self._drop()
        self._engine.dispose()


_memory_folder: Path | None = None


def _lock_folder(engine: Engine) -> Path:
    """``<database>-workers/`` beside the file; a per-process folder for ``:memory:``."""
    global _memory_folder
    database = engine.url.database
    if database and database != ":memory:" and not database.startswith("file::memory:"):
        return Path(f"{Path(database).resolve()}-workers")
    if _memory_folder is None:
        _memory_folder = Path(tempfile.mkdtemp(prefix="relais-workers-"))
    return _memory_folder


class _FileLock:
    """SQLite: an exclusive ``flock`` on ``<id>.lock``, held for the process's life."""

    def __init__(self, engine: Engine) -> None:
        self.folder = _lock_folder(engine)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.id = _new_id()
        partial = self.folder / f".{self.id}.part"
        self._fd = os.open(partial, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        os.replace(partial, self._path(self.id))  # visible only once locked

    def _path(self, worker: int) -> Path:
        return self.folder / f"{worker}.lock"

    def live(self, ids: set[int]) -> set[int]:
        return {worker for worker in ids if worker == self.id or self._holds(worker)}

    def _holds(self, worker: int) -> bool:
        path = self._path(worker)
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # also releases the lock we may just have taken
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # its owner died without cleaning up
        return False

    def close(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(self.id).unlink()
        os.close(self._fd)


class Liveness:
    """This process's liveness record, and the test of everyone else's."""

    def __init__(self, record: _Record) -> None:
        self._record = record
        self._guard = threading.Lock()
        self._closed = False

    @property
    def id(self) -> int:
        """The id to write in the rows this process claims (may change if the lock was lost)."""
        return self._record.id

    def dead(self, claimers: Iterable[int]) -> set[int]:
        """The claimers among ``claimers`` whose process is gone (never this one)."""
        wanted = set(claimers)
        with self._guard:
            return wanted - self._record.live(wanted | {self._record.id})

    def taken_back(
        self, session: Session, state: Any, claimer: Any, sending: object
    ) -> ColumnElement[bool]:
        """SQL condition for rows in ``sending`` whose claimer is dead or unknown.

        ``state`` and ``claimer`` are the table's columns. Rows of a live
        claimer are never matched, however long their send takes.
        """
        claimers = set(session.scalars(select(claimer).where(state == sending).distinct()))
        dead = self.dead(claimers - {None})
        return and_(state == sending, or_(claimer.is_(None), claimer.in_(dead or {-1})))

    def close(self) -> None:
        """Release the record (a process that dies without calling this is released too)."""
        with self._guard:
            if not self._closed:
                self._closed = True
                self._record.close()


def register(engine: Engine) -> Liveness:
    """Register this process as a claimer of rows in ``engine``'s database."""
    if engine.dialect.name == "postgresql":
        return Liveness(_AdvisoryLock(engine))
    return Liveness(_FileLock(engine))
