"""The mail component and its jobs in a running loop, and ``relais mail status / retry``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session, select

from mailer.component import (
    DISPATCH_JOB,
    FORGET_JOB,
    NEWSLETTER_JOB,
    REMINDERS_JOB,
    MailComponent,
)
from mailer.models import OutboxMessage, OutboxState
from mailer.outbox import enqueue
from relais.registrations import services as registrations
from relais.settings import get_settings
from scheduler.component import scheduler
from tests.factories import make_event, make_person
from tests.mail.conftest import SmtpRecorder


async def test_component_sends_right_after_a_registration(
    session: Session, smtp_server: SmtpRecorder
) -> None:
    component = MailComponent(get_settings())
    await component.start()
    try:
        jobs = {job.id: job for job in scheduler().jobs()}
        assert set(jobs) == {DISPATCH_JOB, REMINDERS_JOB, NEWSLETTER_JOB, FORGET_JOB}
        assert all(job.coalesce and job.misfire_grace_time for job in jobs.values())
        event = make_event(session)
        person = make_person(session, email="vite@exemple.fr")
        assert event.id and person.id
        registrations.register(session, event.id, person.id, source="t")
        session.commit()
        for _ in range(100):
            if smtp_server.messages:
                break
            await asyncio.sleep(0.05)
    finally:
        await component.stop()
    assert [m["To"] for m in smtp_server.messages] == ["vite@exemple.fr"]


def relais(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relais", *args],
        capture_output=True, text=True, cwd=str(cwd), env=dict(os.environ), check=False,
    )  # fmt: skip


def test_status_then_retry(session: Session, db_url: str, tmp_path: Path) -> None:
    person = make_person(session)
    for number, state in enumerate([OutboxState.FAILED, OutboxState.SENT, OutboxState.PENDING]):
        row = enqueue(session, kind="registered", to=str(person.email),
                      idempotency_key=f"cli{number}", person_id=person.id)  # fmt: skip
        assert row is not None
        row.state = state
        row.last_reply = "550 5.7.1 Refusé" if state == OutboxState.FAILED else ""
        session.add(row)
    session.commit()

    status = relais("mail", "status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "à envoyer : 1" in status.stdout
    assert "envoyés : 1" in status.stdout
    assert "en échec : 1" in status.stdout
    assert "550 5.7.1 Refusé" in status.stdout

    retried = relais("mail", "retry", cwd=tmp_path)
    assert retried.returncode == 0, retried.stderr
    assert "1 e-mail(s) remis" in retried.stdout
    session.expire_all()
    states = sorted(row.state.value for row in session.exec(select(OutboxMessage)))
    session.commit()
    assert states == ["pending", "pending", "sent"]
    again = relais("mail", "retry", cwd=tmp_path)
    assert "Aucun e-mail en échec" in again.stdout


def test_resource_command_checks_the_link(session: Session, db_url: str, tmp_path: Path) -> None:
    event = make_event(session, title="Rencontre des médiateurs")
    refused = relais("mail", "resource", event.code, "Diaporama", "ftp://x", cwd=tmp_path)
    assert refused.returncode == 1
    assert "lien « ftp://x » invalide" in refused.stderr
    added = relais("mail", "resource", event.code, "Diaporama", "https://crpv.example/d.pdf",
                   cwd=tmp_path)  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "Ressource ajoutée à « Rencontre des médiateurs »" in added.stdout
    unknown = relais("mail", "resource", "nexistepas", "Diaporama", "https://x.fr", cwd=tmp_path)
    assert unknown.returncode == 1 and unknown.stderr.strip()
