"""SIGKILL in the middle of reading the mailbox: after a restart every message has been
acted on exactly once and sits in the processed folder, none lost, none twice.

Everything is real: ``relais run`` in a subprocess, Dovecot, a SQLite file between runs.
"""

from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from relais.db import make_engine, session_scope
from relais.migrate import upgrade
from relais.newsletter import services as newsletter
from tests.conftest import reset_caches
from tests.inbox.conftest import corpus
from tests.inbox.dovecot import Dovecot
from tests.mail.test_crash_safety import start_relais, wait_for

#: Several reading chunks, so that a kill after the first commit leaves work behind.
TOTAL = 1000


def scalar(engine: sa.engine.Engine, query: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(query)).scalar_one())


def test_kill_during_processing_acts_once(
    tmp_path: Path, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = f"K{uuid.uuid4().hex[:10]}"
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    env = {
        **os.environ, **dovecot.env(folder), "DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": "",
        "WEB_PORT": "0", "NEWSLETTER_UNSUBSCRIBE_MAILTO": "desabonnement@crpv.example",
        "MAIL_FROM": "CRPV Relais <relais@crpv.example>", "SMTP_HOST": "",
    }  # fmt: skip
    monkeypatch.setenv("DATABASE_URL", url)
    reset_caches()
    engine = make_engine(url)
    upgrade(engine)
    messages = []
    with session_scope(engine) as session:
        for number in range(TOTAL):
            address = f"abonne{number}@laposte-exemple.fr"
            subscriber = newsletter.request(session, email=address, channel="t", source="t")
            newsletter.activate(session, subscriber, channel="test", source="test")
            raw = corpus("unsubscribe.eml", address=address)
            messages.append(raw.replace(b"unsubscribe-20250320141008", f"u{number}".encode()))
    dovecot.append(folder, *messages)

    done = "select count(*) from inbox_message"
    relais = start_relais(env, tmp_path)
    try:
        # Frozen as soon as a first group is committed, then killed. On a fast machine
        # the whole folder may be read before the first look: the guarantees checked
        # below (each message acted on once, none lost) hold wherever the kill lands.
        wait_for(lambda: scalar(engine, done) >= 1, 60, "a first group processed")
        relais.send_signal(signal.SIGSTOP)
        relais.send_signal(signal.SIGKILL)
        relais.wait(10)
        relais = start_relais(env, tmp_path)
        wait_for(lambda: dovecot.count(folder) == 0, 90, "the folder emptied")
        relais.send_signal(signal.SIGTERM)
        relais.wait(20)
    finally:
        if relais.poll() is None:
            relais.kill()
            relais.wait()
        reset_caches()

    assert scalar(engine, done) == TOTAL
    assert scalar(engine, "select count(distinct message_key) from inbox_message") == TOTAL
    unsubscribed = "select count(*) from audit_entry where action = 'newsletter.unsubscribed'"
    assert scalar(engine, unsubscribed) == TOTAL
    assert scalar(engine, "select count(*) from newsletter_subscriber where status = 'active'") == 0
    assert dovecot.count(f"{folder}-traites") == TOTAL
    engine.dispose()
