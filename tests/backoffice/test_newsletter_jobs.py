"""The mailer's side of an issue handed over by the back office, in ``relais run``'s
scheduler: queued right after the commit (not at the next tick), sent to each active
subscriber once, then marked sent; an issue scheduled later is queued but waits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from sqlmodel import Session, col, select

from mailer.component import MailComponent, queue_newsletters
from mailer.models import OutboxMessage, OutboxState
from relais.newsletter import editing
from relais.newsletter.models import Draft, Issue, IssueStatus
from relais.settings import get_settings
from relais.timefmt import utcnow
from tests.backoffice.test_newsletter import BODY, subscribers
from tests.mail.conftest import SmtpRecorder, smtp_server

__all__ = ["smtp_server"]


def _draft(session: Session, number: int) -> Draft:
    checked = editing.check({"numero": str(number), "titre": f"Lettre {number}",
                             "date": "01/12/2026", "corps": BODY})  # fmt: skip
    assert checked.source is not None
    draft = editing.save(session, None, checked.source, checked.values, "email:test@crpv.example")
    session.commit()
    return draft


def _sent(session: Session, number: int) -> int:
    """Deliveries of the issue the outbox counts as accepted by the SMTP server, read afresh."""
    session.expire_all()
    rows = session.exec(select(OutboxMessage).where(
        col(OutboxMessage.idempotency_key).startswith(f"newsletter:{number}:"),
        OutboxMessage.state == OutboxState.SENT)).all()  # fmt: skip
    session.commit()
    return len(rows)


async def _until(check: Callable[[], bool], tries: int = 200) -> None:
    for _ in range(tries):
        if check():
            return
        await asyncio.sleep(0.05)


async def test_the_scheduler_queues_and_sends_an_issue_from_the_back_office(
    session: Session, smtp_server: SmtpRecorder
) -> None:
    from relais.plugins import subscribe_all

    subscribe_all()
    addresses = subscribers(session, 3)
    now_draft, later_draft = _draft(session, 7), _draft(session, 8)
    component = MailComponent(get_settings())
    await component.start()
    try:
        editing.send(session, later_draft, utcnow() + timedelta(days=3), "email:test@crpv.example")
        editing.send(session, now_draft, None, "email:test@crpv.example")
        session.commit()
        await _until(lambda: _sent(session, 7) == 3)
        await queue_newsletters()
    finally:
        await component.stop()
    received = sorted(str(m["To"]) for m in smtp_server.messages)
    assert received == sorted(addresses)
    session.expire_all()
    issues = {i.number: i for i in session.exec(select(Issue))}
    assert issues[7].status == IssueStatus.SENT and issues[7].recipients == 3
    assert issues[8].status == IssueStatus.SCHEDULED and issues[8].queue_complete
    later = session.exec(
        select(OutboxMessage).where(col(OutboxMessage.idempotency_key).startswith("newsletter:8:"))
    ).all()
    assert len(later) == 3 and all(row.state == OutboxState.PENDING for row in later)
