"""Answering the survey, whatever the channel (bot buttons, web link from the follow-up mail)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from relais import audit, identifiers
from relais.attendance.models import Attendance, AttendanceStatus
from relais.errors import DomainError, InvalidInput, NotFound
from relais.events.models import Event, EventStatus
from relais.people.models import Person
from relais.registrations.models import Registration, RegistrationStatus
from relais.satisfaction.models import SatisfactionAnswer
from relais.timefmt import utcnow

MAX_COMMENT = 1000
RATINGS = range(1, 6)


def clean_rating(value: object) -> int:
    text = str(value).strip()
    rating = identifiers.parse(text, minimum=RATINGS.start, maximum=RATINGS.stop - 1)
    if rating is None:
        raise InvalidInput("presence.rating_invalid")
    return rating


def clean_comment(value: str) -> str:
    text = value.strip()
    if len(text) > MAX_COMMENT:
        raise InvalidInput("presence.comment_too_long", limit=MAX_COMMENT)
    return text


def may_answer(session: Session, event: Event, person_id: int) -> bool:
    """Present, or registered and not marked absent: the people the survey is for."""
    mark = session.exec(
        select(Attendance.status).where(
            Attendance.event_id == event.id, Attendance.person_id == person_id
        )
    ).first()
    if mark is not None:
        return mark == AttendanceStatus.PRESENT
    status = session.exec(
        select(Registration.status).where(
            Registration.event_id == event.id, Registration.person_id == person_id
        )
    ).first()
    return status == RegistrationStatus.CONFIRMED


def check_can_answer(session: Session, event_id: int, person_id: int, now: datetime) -> Event:
    """The event, if this person may answer its survey now; the French reason otherwise."""
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound("event_not_found", code=str(event_id))
    person = session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        raise NotFound("person_not_found")
    if event.status == EventStatus.CANCELLED:
        raise DomainError("event_is_cancelled")
    if event.starts_at > now:
        raise DomainError("presence.survey_too_early", title=event.title)
    if not may_answer(session, event, person_id):
        raise DomainError("presence.survey_not_participant", title=event.title)
    return event


def find(session: Session, event_id: int, person_id: int) -> SatisfactionAnswer | None:
    return session.exec(
        select(SatisfactionAnswer).where(
            SatisfactionAnswer.event_id == event_id, SatisfactionAnswer.person_id == person_id
        )
    ).first()


def answer(
    session: Session,
    event_id: int,
    person_id: int,
    rating: object,
    comment: str | None = None,
    *,
    channel: str,
    now: datetime | None = None,
) -> tuple[SatisfactionAnswer, bool]:
    """Record or update an answer; returns (row, created). ``comment=None`` keeps the comment."""
    now = now or utcnow()
    value = clean_rating(rating)
    text = clean_comment(comment) if comment is not None else None
    check_can_answer(session, event_id, person_id, now)
    row = find(session, event_id, person_id)
    created = row is None
    if row is None:
        row = SatisfactionAnswer(event_id=event_id, person_id=person_id, rating=value)
        row.answered_at = now
    row.rating = value
    if text is not None:
        row.comment = text
    row.channel = channel[:24]
    row.updated_at = now
    session.add(row)
    session.flush()
    audit.record(
        session, f"person:{person_id}", "satisfaction.answered", "satisfaction_answer", row.id,
        event=event_id, rating=value, channel=channel, created=created,
    )  # fmt: skip
    return row, created


def set_comment(
    session: Session, event_id: int, person_id: int, comment: str, *, now: datetime | None = None
) -> SatisfactionAnswer:
    """Add the optional comment after the rating (the bot asks for it second)."""
    text = clean_comment(comment)
    row = find(session, event_id, person_id)
    if row is None:
        raise DomainError("presence.rating_invalid")
    row.comment = text
    row.updated_at = now or utcnow()
    session.add(row)
    session.flush()
    audit.record(
        session, f"person:{person_id}", "satisfaction.commented", "satisfaction_answer", row.id
    )
    return row


def forget_comments(session: Session, person_id: int) -> None:
    """On erasure: a comment may name its author; the rating alone names nobody and stays."""
    for row in session.exec(
        select(SatisfactionAnswer).where(SatisfactionAnswer.person_id == person_id)
    ):
        row.comment = ""
        session.add(row)
