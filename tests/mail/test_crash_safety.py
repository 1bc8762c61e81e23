"""SIGKILL in the middle of 5,000 e-mails, an SMTP server that is down then back:
every e-mail arrives, and only those in flight at the kill may arrive twice.

Everything is real: ``relais run`` in a subprocess, an aiosmtpd server in
another process counting Message-IDs, a SQLite file between restarts.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from mailer import kinds
from mailer.outbox import enqueue
from relais.db import make_engine, session_scope
from relais.migrate import upgrade
from tests.conftest import reset_caches
from tests.factories import make_event, make_person
from tests.mail.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
TOTAL = 5000
CONCURRENCY = 3
BATCH = 50


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def received(ids_file: Path) -> list[str]:
    if not ids_file.exists():
        return []
    return [line for line in ids_file.read_text().splitlines() if line]


def start_sink(port: int, ids_file: Path) -> subprocess.Popen[str]:
    sink = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "smtp_sink.py"), "--port", str(port),
         "--out", str(ids_file)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert sink.stdout is not None and sink.stdout.readline().startswith("ready")
    return sink


def start_relais(env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "relais", "run"], cwd=cwd, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip


def states(engine: sa.engine.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("select state, count(*) from outbox_message group by state")
        )
        return {state: count for state, count in rows}


def sending_ids(engine: sa.engine.Engine) -> set[str]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("select message_id from outbox_message where state = 'sending'")
        )
        return {message_id for (message_id,) in rows}


def test_kill_and_outage_lose_nothing_and_resend_only_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "crash.db"
    url = f"sqlite:///{database}"
    port = free_port()
    env = {
        **os.environ, "DATABASE_URL": url, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
        "MAIL_CONCURRENCY": str(CONCURRENCY), "MAIL_RATE_PER_SECOND": "0", "MAIL_BATCH_SIZE": str(BATCH),
        "MAIL_POLL_SECONDS": "0.2", "MAIL_RETRY_FIRST_DELAY": "0.5",
        "TELEGRAM_BOT_TOKEN": "", "WEB_PORT": "0", "SMTP_TIMEOUT": "5",
    }  # fmt: skip
    monkeypatch.setenv("DATABASE_URL", url)
    reset_caches()
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        event = make_event(session)
        person = make_person(session)
        expected = set()
        for number in range(TOTAL):
            row = enqueue(session, kind=kinds.REGISTERED, to=f"p{number}@exemple.fr",
                          idempotency_key=f"crash{number}", person_id=person.id,
                          payload={"event_id": event.id})  # fmt: skip
            assert row is not None
            expected.add(row.message_id)

    ids_file = tmp_path / "ids.txt"
    relais = start_relais(env, tmp_path)
    sink = None
    try:
        # 1. The SMTP server is down: e-mails wait, marked for a retry, none lost.
        wait_for(lambda: _attempted(engine) > 0, 30, "a first failed attempt")
        assert "sent" not in states(engine)
        # 2. It comes back: sending starts; SIGKILL in the middle.
        sink = start_sink(port, ids_file)
        wait_for(lambda: len(received(ids_file)) >= 1500, 40, "1,500 deliveries")
        relais.send_signal(signal.SIGKILL)
        relais.wait(10)
        in_flight = sending_ids(engine)
        delivered_before_restart = len(received(ids_file))
        assert delivered_before_restart < TOTAL
        # 3. Restart: the rest goes out.
        relais = start_relais(env, tmp_path)
        wait_for(lambda: states(engine).get("sent", 0) == TOTAL, 60, "every row sent")
        relais.send_signal(signal.SIGTERM)
        relais.wait(20)
    finally:
        for process in (relais, sink):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
        engine.dispose()
        reset_caches()

    counts = collections.Counter(received(ids_file))
    duplicates = {message_id for message_id, seen in counts.items() if seen > 1}
    assert set(counts) == expected
    assert max(counts.values()) <= 2
    assert duplicates <= in_flight
    assert len(duplicates) <= BATCH, (len(duplicates), delivered_before_restart)


def _attempted(engine: sa.engine.Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.text("select count(*) from outbox_message where attempts > 0")
            ).scalar_one()
        )
