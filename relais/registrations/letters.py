"""A coordinator writes to some registrants of an event (« écrire aux personnes
sélectionnées »): checked here, sent by the mailer through the outbox.

The text is the coordinator's, taken as plain text (no HTML, no template code:
it is escaped when the e-mail is rendered); the subject loses its line breaks,
so it cannot add a header.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from relais import audit, signals
from relais.errors import InvalidInput
from relais.people.models import Person
from relais.registrations.models import Registration, RegistrationStatus

SUBJECT_LIMIT = 150
BODY_LIMIT = 5000


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str


def check(subject: str, body: str) -> tuple[Letter | None, dict[str, InvalidInput]]:
    """The cleaned letter, or the French reason per field (``objet``, ``message``)."""
    clean_subject = " ".join(subject.split())
    clean_body = body.replace("\r\n", "\n").strip()
    errors: dict[str, InvalidInput] = {}
    if not 3 <= len(clean_subject) <= SUBJECT_LIMIT:
        errors["objet"] = InvalidInput("letter_subject_length", limit=SUBJECT_LIMIT)
    if not 1 <= len(clean_body) <= BODY_LIMIT:
        errors["message"] = InvalidInput("letter_body_length", limit=BODY_LIMIT)
    return (None if errors else Letter(clean_subject, clean_body)), errors


def recipients(session: Session, event_id: int, registration_ids: list[int]) -> list[Person]:
    """The people behind these registrations of this event (not cancelled, with an address)."""
    if not registration_ids:
        return []
    rows = session.exec(
        select(Person)
        .join(Registration, col(Registration.person_id) == Person.id)
        .where(
            Registration.event_id == event_id,
            col(Registration.id).in_(registration_ids[:5000]),
            Registration.status != RegistrationStatus.CANCELLED,
            col(Person.email).is_not(None),
            col(Person.erased_at).is_(None),
        )
        .order_by(col(Person.last_name), col(Person.first_name))
    )
    return list(rows)


def send(
    session: Session, event_id: int, registration_ids: list[int], letter: Letter, actor: str
) -> int:
    """Queue the letter for each recipient (in this transaction); how many will get it."""
    people = recipients(session, event_id, registration_ids)
    if not people:
        raise InvalidInput("letter_nobody")
    person_ids = tuple(p.id for p in people if p.id is not None)
    audit.record(
        session, actor, "registrations.written", "event", event_id,
        subject=letter.subject, recipients=len(person_ids),
    )  # fmt: skip
    signals.emit(
        session,
        signals.LetterToRegistrants(event_id, person_ids, letter.subject, letter.body, actor),
    )
    return len(person_ids)
