"""Writing a long import a chunk at a time, so nobody waits behind it.

One transaction for 45,000 lines held SQLite's write lock for more than a
minute: the bot, ``/healthz`` and the mailer stalled behind it. Each chunk
here is its own short transaction (a few hundred lines or a quarter of a
second, whichever comes first, with a pause between chunks on SQLite so
that waiting connections get their turn), and the chunk also moves the import's
progress row (:class:`ImportRun`), so a crash leaves the file exactly half
written and *known* to be. Running the same command on the same file again
resumes after the last written line: from the person's side the import is
still whole, done once, with one report.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from relais.db import get_engine, session_scope
from relais.imports.models import ImportRun
from relais.settings import get_settings
from relais.timefmt import utcnow

T = TypeVar("T")
#: A chunk is committed once it has taken this long, even if it has fewer lines.
CHUNK_SECONDS = 0.25
#: On SQLite, the write lock is left free this long between chunks. A waiting
#: connection polls the lock with sleeps of up to 100 ms (SQLite's busy
#: handler); without a longer gap the import would take the lock back every
#: time and the bot would wait for the whole import anyway.
SQLITE_GAP_SECONDS = 0.11


@dataclass
class Progress:
    """Where an import starts: a new run, or one interrupted earlier on the same file."""

    run_id: int | None
    start: int = 0
    previous: dict[str, int] = field(default_factory=dict)


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def begin(
    kind: str, raw: bytes, filename: str, total: int, *, restart: bool = False,
    engine: Engine | None = None,
) -> Progress:  # fmt: skip
    """The run for this file: the unfinished one to resume, or a new one.

    With ``restart`` an unfinished run is closed and the file imported from
    its first line (every line is an upsert, so nothing is imported twice).
    """
    with session_scope(engine or get_engine()) as session:
        unfinished = session.exec(
            select(ImportRun)
            .where(ImportRun.kind == kind, ImportRun.digest == digest(raw))
            .where(col(ImportRun.finished).is_(False))
            .order_by(col(ImportRun.id).desc())
        ).first()
        if unfinished is not None and not restart:
            assert unfinished.id is not None
            return Progress(unfinished.id, unfinished.rows_done, dict(unfinished.counts))
        if unfinished is not None:
            unfinished.finished = True
            session.add(unfinished)
        run = ImportRun(kind=kind, digest=digest(raw), filename=filename[:255], total_rows=total)
        session.add(run)
        session.flush()
        assert run.id is not None
        return Progress(run.id)


def write(
    progress: Progress,
    items: Sequence[T],
    handle: Callable[[Session, T], None],
    counts: Callable[[], dict[str, int]],
    *,
    dry_run: bool = False,
    engine: Engine | None = None,
) -> None:
    """Hand ``items`` (those after ``progress.start``) to ``handle``, a chunk per transaction.

    ``counts`` gives this run's outcome counts so far; they are stored with
    the progress, added to those of the interrupted try. In a dry run every
    chunk is rolled back and no progress is kept.
    """
    engine = engine or get_engine()
    size = get_settings().import_chunk_lines
    done = progress.start
    while True:
        if dry_run:
            with Session(engine) as session:
                done = _chunk(session, items, done, handle, size)
                session.rollback()
        else:
            with session_scope(engine) as session:
                done = _chunk(session, items, done, handle, size)
                _record(session, progress, done, len(items), counts())
        if done >= len(items):
            return
        if engine.dialect.name == "sqlite":
            time.sleep(SQLITE_GAP_SECONDS)


def _chunk(
    session: Session, items: Sequence[T], done: int, handle: Callable[[Session, T], None],
    size: int,
) -> int:  # fmt: skip
    """Handle items from ``done`` on, up to ``size`` of them or CHUNK_SECONDS; the new ``done``."""
    started = time.monotonic()
    end = min(done + size, len(items))
    while done < end:
        handle(session, items[done])
        done += 1
        if time.monotonic() - started > CHUNK_SECONDS:
            break
    return done


def _record(
    session: Session, progress: Progress, done: int, total: int, counts: dict[str, int]
) -> None:
    run = session.get(ImportRun, progress.run_id)
    assert run is not None
    run.rows_done = done
    run.finished = done == total
    run.counts = {name: progress.previous.get(name, 0) + number for name, number in counts.items()}
    run.updated_at = utcnow()
    session.add(run)
