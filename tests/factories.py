"""Small builders for test data, so each test says only what matters to it."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

from sqlmodel import Session

from relais.events import services as events
from relais.events.models import Event
from relais.events.schemas import EventInput
from relais.people import services as people
from relais.people.models import Person
from relais.timefmt import utcnow

_numbers = count(1)


def make_event(session: Session, **fields: object) -> Event:
    start = fields.pop("starts_at", utcnow() + timedelta(days=10))
    assert isinstance(start, datetime)
    data = EventInput(
        title=str(fields.pop("title", f"Rencontre de test {next(_numbers)}")),
        starts_at=start,
        duration_minutes=int(fields.pop("duration_minutes", 120)),  # type: ignore[call-overload]
        **fields,  # type: ignore[arg-type]
    )
    event = events.create(session, data, "test")
    session.commit()
    return event


def make_person(session: Session, **fields: object) -> Person:
    number = next(_numbers)
    person = people.save_profile(
        session,
        email=str(fields.pop("email", f"personne{number}@exemple.fr")),
        first_name=str(fields.pop("first_name", "Camille")),
        last_name=str(fields.pop("last_name", f"Testeur{number}")),
        **fields,  # type: ignore[arg-type]
    )
    session.commit()
    return person
