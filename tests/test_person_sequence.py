"""The person's SEQUENCE, counted by the core: each earlier cancellation adds two, so every
REQUEST outranks the CANCEL before it, on every channel (parsed with icalendar)."""

from __future__ import annotations

from datetime import timedelta

import icalendar
from sqlmodel import Session

from relais.registrations import calendar
from relais.registrations import services as registrations
from relais.registrations.models import Registration
from tests.factories import make_event, make_person


def _sequence(data: bytes) -> tuple[str, int, str | None]:
    parsed = icalendar.Calendar.from_ical(data)
    [vevent] = parsed.walk("VEVENT")
    status = str(vevent["STATUS"]) if "STATUS" in vevent else None
    return str(parsed["METHOD"]), int(vevent["SEQUENCE"]), status


def test_each_cancellation_adds_two_and_each_cancel_outranks_its_request(
    session: Session,
) -> None:
    event = make_event(session)
    person = make_person(session)
    assert event.id and person.id
    seen = []
    for _ in range(3):
        registration = registrations.register(session, event.id, person.id, source="t")
        mine = registration.registration
        seen.append(_sequence(calendar.invitation(session, mine)))
        registrations.cancel(session, mine.id or 0, "test")
        seen.append(_sequence(calendar.invitation(session, mine, "CANCEL")))
        session.commit()
    assert seen == [
        ("REQUEST", 0, "CONFIRMED"), ("CANCEL", 1, None),
        ("REQUEST", 2, "CONFIRMED"), ("CANCEL", 3, None),
        ("REQUEST", 4, "CONFIRMED"), ("CANCEL", 5, None),
    ]  # fmt: skip


def test_a_row_from_before_is_counted_in_the_audit_log(session: Session) -> None:
    """Rows written before ``created_at`` was set to ``queued_at`` read the audit log."""
    event = make_event(session)
    person = make_person(session)
    assert event.id and person.id
    mine = registrations.register(session, event.id, person.id, source="t").registration
    session.commit()
    assert calendar.cancellation_round(session, mine) == 0
    mine.created_at = mine.queued_at - timedelta(microseconds=7)
    session.add(mine)
    session.commit()
    assert calendar.cancellation_round(session, mine) == 0
    registrations.cancel(session, mine.id or 0, "test")
    session.commit()
    assert calendar.cancellation_round(session, mine) == 0  # its own cancellation
    registrations.register(session, event.id, person.id, source="t")
    session.commit()
    again = session.get(Registration, mine.id)
    assert again is not None and calendar.cancellation_round(session, again) == 1
    session.rollback()
