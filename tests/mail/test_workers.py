"""Several ``relais worker`` processes share one outbox; SIGKILL one mid-way.

PostgreSQL: three workers, 5,000 e-mails to an aiosmtpd server in another
process; one worker is frozen (SIGSTOP), the rows it holds are noted, then it
is killed (SIGKILL). The two others take its rows back at once and finish:
nothing lost, and the only messages received twice are among the rows the
killed worker held, at most its in-flight window (batch × connections).
SQLite: one worker, killed then restarted, which takes its own dead rows back.
It is killed without being frozen first: a worker frozen inside its write
transaction would hold SQLite's single write lock and block the test itself;
with no other worker, its rows stay held until the restart anyway.
"""

from __future__ import annotations

import collections
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from mailer import kinds
from mailer.outbox import enqueue
from relais.db import make_engine
from tests.factories import make_event, make_person
from tests.mail.conftest import free_port
from tests.mail.test_crash_safety import received, start_sink, states, wait_for

TOTAL = 5000
CONCURRENCY = 3
BATCH = 50
_WORKER_ID = re.compile(r"les prend sous le numéro (\d+)")


def _queue_all(session: Session) -> set[str]:
    event = make_event(session)
    person = make_person(session)
    expected = set()
    for number in range(TOTAL):
        row = enqueue(session, kind=kinds.REGISTERED, to=f"w{number}@exemple.fr",
                      idempotency_key=f"workers{number}", person_id=person.id,
                      payload={"event_id": event.id})  # fmt: skip
        assert row is not None
        expected.add(row.message_id)
    session.commit()
    return expected


def _start_worker(env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "relais", "worker"], cwd=cwd, env=env,
            stdout=subprocess.DEVNULL, stderr=out,
        )  # fmt: skip


def _worker_id(log: Path) -> int:
    found = _WORKER_ID.findall(log.read_text())
    assert found, log.read_text()
    return int(found[-1])


def _held_by(engine: sa.engine.Engine, worker: int) -> set[str]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "select message_id from outbox_message where state = 'sending'"
                " and claimed_by = :worker"
            ),
            {"worker": worker},
        )
        return {message_id for (message_id,) in rows}


def test_workers_share_the_outbox_and_a_killed_one_loses_nothing(
    db_url: str, session: Session, tmp_path: Path
) -> None:
    expected = _queue_all(session)
    several = db_url.startswith("postgresql")
    port = free_port()
    env = {
        **os.environ, "DATABASE_URL": db_url, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
        "MAIL_CONCURRENCY": str(CONCURRENCY), "MAIL_RATE_PER_SECOND": "0",
        "MAIL_BATCH_SIZE": str(BATCH), "MAIL_POLL_SECONDS": "0.2", "TELEGRAM_BOT_TOKEN": "",
        "SMTP_TIMEOUT": "10",
    }  # fmt: skip
    ids_file = tmp_path / "ids.txt"
    engine = make_engine(db_url)
    sink = start_sink(port, ids_file)
    logs = [tmp_path / f"worker{n}.log" for n in range(3 if several else 1)]
    workers = [_start_worker(env, tmp_path, log) for log in logs]
    try:
        wait_for(lambda: len(received(ids_file)) >= TOTAL // 3, 90, "a third delivered")
        victim = workers[0]
        if several:
            victim.send_signal(signal.SIGSTOP)  # frozen: alive, holding its rows, claiming no more
            held = _held_by(engine, _worker_id(logs[0]))
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        if not several:
            held = _held_by(engine, _worker_id(logs[0]))
        assert len(received(ids_file)) < TOTAL, "killed too late to prove anything"
        if not several:
            workers.append(_start_worker(env, tmp_path, logs[0]))
        wait_for(lambda: states(engine).get("sent", 0) == TOTAL, 120, "every row sent")
        for worker in workers[1:]:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(30) == 0
    finally:
        for process in (*workers, sink):
            if process.poll() is None:
                process.kill()
                process.wait()
        engine.dispose()

    counts = collections.Counter(received(ids_file))
    duplicates = {message_id for message_id, seen in counts.items() if seen > 1}
    assert set(counts) == expected  # none lost
    assert max(counts.values()) <= 2
    assert duplicates <= held  # only what the killed worker had in flight
    assert len(held) <= 2 * BATCH + CONCURRENCY
    assert len(duplicates) <= BATCH * CONCURRENCY
    if several:
        claimers = {_worker_id(log) for log in logs}
        assert len(claimers) == 3
