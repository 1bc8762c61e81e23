"""Answers from a person's calendar (Accepter / Peut-être / Refuser) to an invitation.

A verified DECLINED cancels the registration exactly as the person's own
cancellation does (the cancellation e-mail goes, the waiting list moves up).
An unverified answer is recorded and acted on only when a coordinator confirms it:
a forged e-mail must never cancel someone.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from relais import audit
from relais.errors import DomainError, NotFound
from relais.events.ical import event_id_from_uid
from relais.events.models import Event
from relais.people import services as people
from relais.registrations import services as registrations
from relais.registrations.models import CalendarAnswer, Registration, RegistrationStatus

PARTSTATS = ("ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED", "NEEDS-ACTION")


def registration_for(session: Session, uid: str, address: str) -> Registration | None:
    """The registration an invitation UID and an attendee address point to, if any."""
    found = event_id_from_uid(uid)
    if found is None:
        return None
    event = session.get(Event, found[0])
    person = people.by_email(session, address)
    if event is None or event.code != found[1] or person is None:
        return None
    return session.exec(
        select(Registration).where(
            Registration.event_id == event.id, Registration.person_id == person.id
        )
    ).first()


def is_stale(session: Session, registration: Registration, sequence: int) -> bool:
    """An answer to an invitation older than the event's last change is out of date."""
    event = session.get(Event, registration.event_id)
    return event is None or sequence < event.sequence


def record(
    session: Session,
    registration: Registration,
    partstat: str,
    sequence: int,
    *,
    verified: bool,
    actor: str,
) -> CalendarAnswer:
    """Keep the answer; apply it now when verified (see :func:`apply`)."""
    assert registration.id is not None
    answer = CalendarAnswer(
        registration_id=registration.id, partstat=partstat.upper()[:20], sequence=sequence,
        verified=verified,
    )  # fmt: skip
    session.add(answer)
    session.flush()
    audit.record(
        session, actor, "calendar.answered", "registration", registration.id,
        partstat=answer.partstat, verified=verified,
    )  # fmt: skip
    if verified:
        apply(session, answer, actor)
    return answer


def apply(session: Session, answer: CalendarAnswer, actor: str) -> bool:
    """Act on an answer: DECLINED cancels a live registration. True when something changed."""
    answer.applied = True
    session.add(answer)
    if answer.partstat != "DECLINED":
        return False
    registration = registrations.get(session, answer.registration_id)
    if registration.status == RegistrationStatus.CANCELLED:
        return False
    assert registration.id is not None
    registrations.cancel(session, registration.id, actor)
    return True


def confirm(session: Session, answer_id: int, actor: str) -> CalendarAnswer:
    """A coordinator vouches for an unverified answer, which is then applied."""
    answer = session.get(CalendarAnswer, answer_id)
    if answer is None:
        raise NotFound("calendar_answer_not_found", number=answer_id)
    if answer.applied:
        raise DomainError("calendar_answer_already_applied", number=answer_id)
    answer.confirmed_by = actor[:80]
    apply(session, answer, actor)
    return answer


def pending(session: Session) -> list[CalendarAnswer]:
    """Unverified answers waiting for a coordinator, oldest first."""
    return list(
        session.exec(
            select(CalendarAnswer)
            .where(col(CalendarAnswer.applied).is_(False))
            .order_by(col(CalendarAnswer.received_at))
        )
    )
