"""Recording who was present, absent or excused at a session."""

from __future__ import annotations

from sqlmodel import Session, select

from relais import audit
from relais.attendance.models import Attendance, AttendanceMethod, AttendanceStatus
from relais.errors import NotFound
from relais.events.models import Event
from relais.people.models import Person
from relais.timefmt import utcnow


def record(
    session: Session,
    event_id: int,
    person_id: int,
    status: AttendanceStatus,
    method: AttendanceMethod,
    actor: str,
) -> tuple[Attendance, bool]:
    """Set a person's attendance; returns (row, changed). Recording the same twice changes nothing."""
    if session.get(Event, event_id) is None:
        raise NotFound("event_not_found", code=str(event_id))
    if session.get(Person, person_id) is None:
        raise NotFound("person_not_found")
    row = session.exec(
        select(Attendance).where(Attendance.event_id == event_id, Attendance.person_id == person_id)
    ).first()
    if row is not None and row.status == status:
        return row, False
    previous = row.status.value if row is not None else None
    if row is None:
        row = Attendance(event_id=event_id, person_id=person_id, status=status, method=method)
    row.status = status
    row.method = method
    row.recorded_by = actor[:80]
    row.recorded_at = utcnow()
    session.add(row)
    session.flush()
    audit.record(
        session, actor, "attendance.recorded", "attendance", row.id,
        event=event_id, person=person_id, status=status.value, previous=previous,
    )  # fmt: skip
    return row, True


def for_event(session: Session, event_id: int) -> dict[int, Attendance]:
    rows = session.exec(select(Attendance).where(Attendance.event_id == event_id))
    return {row.person_id: row for row in rows}
