"""The whole loop: an invitation leaves through a real SMTP server, the person's calendar
answers « Refuser », the answer lands in a real Dovecot mailbox, and Relais cancels,
moves the waiting list up and sends both e-mails, once. A forged answer does nothing."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage

import icalendar
import pytest
from sqlmodel import Session, select

from mailer.dispatch import Dispatcher
from mailer.inbox.models import InboxMessage
from relais.registrations import services as registrations
from relais.registrations.models import CalendarAnswer, Registration, RegistrationStatus
from relais.settings import get_settings
from tests.factories import make_event, make_person
from tests.inbox.conftest import corpus, read_mailbox
from tests.inbox.dovecot import Dovecot
from tests.mail.conftest import SmtpRecorder, serve_smtp


@pytest.fixture
def smtp(folder: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpRecorder]:
    yield from serve_smtp(
        monkeypatch,
        MAIL_FROM="CRPV Relais <relais@crpv.example>",
        MAIL_BOUNCE_ADDRESS="rebonds@crpv.example",
        MAIL_BOUNCE_VERP="true",
    )


async def dispatch() -> int:
    dispatcher = Dispatcher(get_settings())
    try:
        return await dispatcher.run_once()
    finally:
        await dispatcher.close()


def invitation(message: EmailMessage) -> icalendar.Event:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
            return calendar.walk("VEVENT")[0]
    raise AssertionError("no invitation in the message")


def answer_from_calendar(sent: EmailMessage, attendee: str, template: str) -> bytes:
    """What the attendee's calendar sends back when they tap « Refuser »."""
    vevent = invitation(sent)
    domain = attendee.rpartition("@")[2]
    raw = corpus(
        template, uid=vevent["UID"], sequence=int(vevent.get("SEQUENCE", 0)),
        attendee=attendee, domain=domain,
    )  # fmt: skip
    return raw


def statuses(session: Session, *ids: int) -> list[RegistrationStatus]:
    session.expire_all()
    found = [session.get(Registration, number) for number in ids]
    values = [registration.status for registration in found if registration is not None]
    session.rollback()  # SQLite: the test's reads must not hold the write lock
    return values


async def test_declined_in_calendar_frees_the_seat(
    session: Session, dovecot: Dovecot, folder: str, smtp: SmtpRecorder
) -> None:
    event = make_event(session, capacity=1)
    alice = make_person(session, email="alice@ville-exemple.fr")
    bruno = make_person(session, email="bruno@ville-exemple.fr")
    assert event.id and alice.id and bruno.id
    first = registrations.register(session, event.id, alice.id, source="test").registration
    second = registrations.register(session, event.id, bruno.id, source="test").registration
    session.commit()
    assert first.id and second.id
    assert await dispatch() == 2
    confirmation = next(m for m in smtp.messages if m["To"] == "alice@ville-exemple.fr")
    envelope_senders = {sender for sender, _rcpts in smtp.envelopes}
    assert all(s.startswith("rebonds+r") and s.endswith("@crpv.example") for s in envelope_senders)

    dovecot.append(
        folder, answer_from_calendar(confirmation, "alice@ville-exemple.fr", "reply_gmail.eml")
    )
    result = read_mailbox()
    assert (result.read, result.acted) == (1, 1)
    assert statuses(session, first.id, second.id) == [
        RegistrationStatus.CANCELLED, RegistrationStatus.CONFIRMED,
    ]  # fmt: skip

    assert await dispatch() == 2
    subjects = sorted((m["To"], str(m["Subject"])) for m in smtp.messages[2:])
    assert subjects[0][0] == "alice@ville-exemple.fr" and "Désinscription" in subjects[0][1]
    assert subjects[1][0] == "bruno@ville-exemple.fr" and "Une place" in subjects[1][1]
    cancel = invitation(smtp.messages[2] if smtp.messages[2]["To"] == "alice@ville-exemple.fr"
                        else smtp.messages[3])  # fmt: skip
    assert "STATUS" not in cancel and cancel["UID"] == invitation(confirmation)["UID"]

    # Read again, send again: nothing more happens.
    session.rollback()
    assert read_mailbox().read == 0
    assert await dispatch() == 0
    assert len(smtp.messages) == 4
    assert dovecot.count(f"{folder}-traites") == 1


async def test_forged_decline_is_recorded_not_acted_on(
    session: Session, dovecot: Dovecot, folder: str, smtp: SmtpRecorder
) -> None:
    event = make_event(session, capacity=1)
    alice = make_person(session, email="alice@ville-exemple.fr")
    assert event.id and alice.id
    registration = registrations.register(session, event.id, alice.id, source="test").registration
    session.commit()
    assert registration.id
    assert await dispatch() == 1
    forged = answer_from_calendar(smtp.messages[0], "alice@ville-exemple.fr", "reply_forged.eml")
    unsigned = b"\r\n".join(
        line for line in forged.split(b"\r\n") if not line.startswith(b"Authentication-Results")
        and not line.startswith((b"\tdkim", b"\tspf", b"\tdmarc"))
    )  # fmt: skip
    dovecot.append(folder, forged, unsigned.replace(b"forged-reply-0001", b"forged-reply-0002"))
    result = read_mailbox()
    assert (result.read, result.acted) == (2, 2)
    assert statuses(session, registration.id) == [RegistrationStatus.CONFIRMED]
    rows = session.exec(select(InboxMessage)).all()
    assert {row.outcome for row in rows} == {"to_confirm"}
    assert "relais mail inbox --confirmer" in rows[0].reason
    answers = session.exec(select(CalendarAnswer)).all()
    assert [(a.verified, a.applied) for a in answers] == [(False, False), (False, False)]
    first_answer = answers[0].id or 0
    session.rollback()
    assert await dispatch() == 0  # no cancellation e-mail went

    # A coordinator who checked with the person confirms: now it is applied.
    from relais.db import session_scope
    from relais.registrations import answers as calendar_answers

    with session_scope() as scope:
        calendar_answers.confirm(scope, first_answer, "cli")
    assert statuses(session, registration.id) == [RegistrationStatus.CANCELLED]
    assert await dispatch() == 1
