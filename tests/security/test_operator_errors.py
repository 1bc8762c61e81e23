"""What the operator sees when a setting is wrong: the cause in French, never a password."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import update
from sqlmodel import Session

from mailer.dispatch import Dispatcher
from mailer.models import OutboxMessage
from relais.db import session_scope
from relais.plugins import subscribe_all
from relais.registrations import services as registrations
from relais.settings import get_settings
from relais.timefmt import utcnow
from tests.factories import make_event, make_person
from tests.mail.conftest import SmtpRecorder, free_port


def relais(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relais", *args],
        capture_output=True, text=True, cwd=str(cwd), env={**os.environ, **env}, check=False,
    )  # fmt: skip


class Refuser(SmtpRecorder):
    """The recorder, counting the logins it refused."""

    auth_attempts = 0

    def refuse(self, *_: Any) -> AuthResult:
        self.auth_attempts += 1
        return AuthResult(success=False, handled=False)


@pytest.fixture
def strict_relay(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Refuser]:
    """A real aiosmtpd that requires a login and refuses the password (535)."""
    subscribe_all()
    recorder = Refuser()
    port = free_port()
    controller = Controller(
        recorder, hostname="127.0.0.1", port=port,
        authenticator=recorder.refuse, auth_require_tls=False, auth_required=True,
    )  # fmt: skip
    controller.start()
    for name, value in {
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_USERNAME": "relais",
        "SMTP_PASSWORD": "mauvais-mot-de-passe", "MAIL_RATE_PER_SECOND": "0",
        "MAIL_RETRY_FIRST_DELAY": "1",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        yield recorder
    finally:
        controller.stop()
        get_settings.cache_clear()


async def send_pass(dispatcher: Dispatcher) -> None:
    """A later pass, as the scheduler runs it once the retry delay has passed."""
    with session_scope() as session:
        session.connection().execute(
            update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
    dispatcher._paused_until = 0.0
    await dispatcher.run_once()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_refused_password_is_logged_once_and_explained_by_mail_status(
    session: Session, strict_relay: Refuser, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    event = make_event(session)
    for number in range(2):
        person = make_person(session, email=f"p{number}@exemple.fr")
        assert event.id and person.id
        registrations.register(session, event.id, person.id, source="t")
    session.commit()
    dispatcher = Dispatcher(get_settings())
    with caplog.at_level(logging.ERROR, logger="mailer.dispatch"):
        try:
            for _ in range(3):
                await send_pass(dispatcher)
        finally:
            await dispatcher.close()
    assert not strict_relay.messages
    assert strict_relay.auth_attempts >= 3
    logged = [r.getMessage() for r in caplog.records if "SMTP relay" in r.getMessage()]
    assert len(logged) == 1 and "535" in logged[0]
    assert "mauvais-mot-de-passe" not in caplog.text

    status = relais("mail", "status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "Le relais SMTP refuse les envois (authentification refusée : 535" in status.stdout
    assert "SMTP_USERNAME et SMTP_PASSWORD" in status.stdout
    assert "mauvais-mot-de-passe" not in status.stdout


async def test_tls_mismatch_is_explained(
    session: Session, smtp_server: SmtpRecorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_SECURITY", "starttls")
    get_settings.cache_clear()
    event = make_event(session)
    person = make_person(session, email="tls@exemple.fr")
    assert event.id and person.id
    registrations.register(session, event.id, person.id, source="t")
    session.commit()
    dispatcher = Dispatcher(get_settings())
    try:
        await dispatcher.run_once()
    finally:
        await dispatcher.close()
    status = relais("mail", "status", cwd=tmp_path)
    assert "chiffrement TLS impossible" in status.stdout, status.stdout
    assert "SMTP_SECURITY" in status.stdout


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://relais:Tr3s-S3cret@127.0.0.1:notaport/relais",
        "mysql://relais:Tr3s-S3cret@127.0.0.1/relais",
        "postgresql+nodriver://relais:Tr3s-S3cret@127.0.0.1/relais",
        "postgresql+psycopg://relais:Tr3s-S3cret@127.0.0.1:1/relais",
    ],
)
def test_a_bad_database_url_never_shows_its_password(url: str, tmp_path: Path) -> None:
    for command in (["mail", "status"], ["db", "upgrade"]):
        result = relais(*command, cwd=tmp_path, DATABASE_URL=url)
        assert result.returncode != 0
        output = result.stdout + result.stderr
        assert "Tr3s-S3cret" not in output, output
        assert "DATABASE_URL" in output or "***" in output, output
        assert "Traceback" not in output


def test_a_cell_too_long_for_csv_names_its_line(
    session: Session, db_url: str, tmp_path: Path
) -> None:
    big = '"' + "x" * 200_000 + '"'
    event = make_event(session)
    files = {
        "events.csv": f"titre;debut;lieu\nAtelier;2030-01-01 10:00;A\nLong;2030-01-02 10:00;{big}\n",
        "abonnes.csv": f"email;prenom;nom\na@exemple.fr;A;B\nc@exemple.fr;{big};D\n",
        "presence.csv": f"Nom;E-mail\nDupont;a@exemple.fr\n{big};x@exemple.fr\n",
    }
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    for command in (
        ["event", "import", "events.csv"],
        ["subscribers", "import", "abonnes.csv"],
        ["attendance", "import", event.code, "presence.csv"],
    ):
        result = relais(*command, cwd=tmp_path)
        assert result.returncode != 0
        assert "Traceback" not in result.stderr, result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
        assert "ligne 3 : une cellule dépasse 131" in lines[0], lines[0]
