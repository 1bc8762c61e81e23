"""Recording who was present, absent or excused at a session.

Three ways in, one rule: every change goes through :func:`record`, which is
idempotent and audited. Self check-in (the QR code on the day) and the
coordinator's list both end there; a walk-in is registered on the spot first,
so that the attendance sheet, the no-show rate and the statistics agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlmodel import Session, col, select

from relais import audit
from relais.attendance.models import Attendance, AttendanceMethod, AttendanceStatus
from relais.errors import DomainError, NotFound
from relais.events import services as events
from relais.events.models import Event, EventStatus
from relais.people import services as people
from relais.people.models import ConsentPurpose, Person
from relais.registrations.models import Registration, RegistrationStatus
from relais.settings import get_settings
from relais.timefmt import local, utcnow

WALK_IN_SOURCE = "checkin"


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


def registration_of(session: Session, event_id: int, person_id: int) -> Registration | None:
    return session.exec(
        select(Registration).where(
            Registration.event_id == event_id, Registration.person_id == person_id
        )
    ).first()


def register_walk_in(
    session: Session, event: Event, person_id: int, actor: str, source: str = WALK_IN_SOURCE
) -> bool:
    """Make sure a person who came holds a confirmed registration; True if one was made.

    Someone standing in the room takes no seat from anyone: capacity, deadline
    and waiting list do not apply, and no confirmation is sent for a session
    already under way.
    """
    assert event.id is not None
    registration = registration_of(session, event.id, person_id)
    if registration is not None and registration.status == RegistrationStatus.CONFIRMED:
        return False
    now = utcnow()
    if registration is None:
        registration = Registration(
            event_id=event.id, person_id=person_id, status=RegistrationStatus.CONFIRMED
        )
    registration.status = RegistrationStatus.CONFIRMED
    registration.source = source[:24]
    registration.queued_at = now
    registration.confirmed_at = now
    registration.cancelled_at = None
    session.add(registration)
    session.flush()
    audit.record(
        session, actor, "registration.created", "registration", registration.id,
        status=registration.status.value, source=source,
    )  # fmt: skip
    return True


def checkin_window(event: Event, hours: float | None = None) -> tuple[datetime, datetime]:
    """When the check-in link works: around the session, never outside its day(s).

    From ``hours`` before the start to ``hours`` after the end
    (CHECKIN_WINDOW_HOURS), cut to the local calendar day(s) of the session, so
    a QR code photographed today is useless tomorrow.
    """
    margin = timedelta(hours=get_settings().checkin_window_hours if hours is None else hours)
    first_day = local(event.starts_at)
    last_day = local(event.ends_at)
    day_start = datetime.combine(first_day.date(), time.min, first_day.tzinfo)
    day_end = datetime.combine(last_day.date() + timedelta(days=1), time.min, last_day.tzinfo)
    opens = max(event.starts_at - margin, day_start)
    closes = min(event.ends_at + margin, day_end)
    return opens, closes


def ensure_checkin_open(event: Event, now: datetime) -> None:
    """Raise the French reason why self check-in is not possible now, if it is not."""
    if event.status == EventStatus.CANCELLED:
        raise DomainError("event_is_cancelled")
    if event.status != EventStatus.PUBLISHED:
        raise DomainError("presence.checkin_not_published", title=event.title)
    opens, closes = checkin_window(event)
    if now < opens:
        raise DomainError("presence.checkin_not_yet", title=event.title, opens=opens)
    if now >= closes:
        raise DomainError("presence.checkin_over", title=event.title)


@dataclass(frozen=True)
class CheckIn:
    """What a scan did: ``already`` for a repeated scan, ``registered_now`` for a walk-in."""

    event: Event
    person_id: int
    already: bool
    registered_now: bool


def check_in(
    session: Session, event_id: int, person_id: int, *, now: datetime | None = None
) -> CheckIn:
    """Self check-in of a person at a session, from the QR code on the day."""
    now = now or utcnow()
    event = events.lock(session, event_id)
    person = session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        raise NotFound("person_not_found")
    ensure_checkin_open(event, now)
    actor = f"person:{person_id}"
    registered_now = register_walk_in(session, event, person_id, actor)
    _row, changed = record(
        session, event_id, person_id, AttendanceStatus.PRESENT, AttendanceMethod.SELF_CHECKIN, actor
    )
    return CheckIn(event, person_id, already=not changed, registered_now=registered_now)


def mark(
    session: Session,
    event_id: int,
    person_ids: list[int],
    status: AttendanceStatus,
    actor: str,
    method: AttendanceMethod = AttendanceMethod.CLI,
) -> list[bool]:
    """A coordinator marks people; one ``changed`` flag per person, in order.

    Marking present someone who was not registered registers them (a walk-in);
    absent or excused only makes sense for someone who was expected.
    """
    event = events.lock(session, event_id)
    assert event.id is not None
    if event.status == EventStatus.CANCELLED:
        raise DomainError("event_is_cancelled")
    changes: list[bool] = []
    for person_id in person_ids:
        if status == AttendanceStatus.PRESENT:
            register_walk_in(session, event, person_id, actor, source="attendance")
        else:
            registration = registration_of(session, event.id, person_id)
            if registration is None or registration.status == RegistrationStatus.CANCELLED:
                person = session.get(Person, person_id)
                name = person.full_name if person is not None else str(person_id)
                raise DomainError("presence.not_registered", name=name, title=event.title)
        _row, changed = record(session, event.id, person_id, status, method, actor)
        changes.append(changed)
    return changes


@dataclass(frozen=True)
class Arrival:
    """Someone who came without registering, as the coordinator typed them (already checked)."""

    first_name: str
    last_name: str
    organisation: str
    profile_id: int
    email: str | None = None


@dataclass(frozen=True)
class WalkIn:
    """What adding a walk-in did: ``registered_now`` unless they already held a seat."""

    person: Person
    registered_now: bool
    already_present: bool


def _arrived_person(session: Session, arrival: Arrival, actor: str) -> Person:
    """The person with this address (their stored profile kept), or a new one.

    Without an address a new person is made each time: two walk-ins of the
    same name are not assumed to be one person.
    """
    known = people.by_email(session, arrival.email) if arrival.email else None
    if known is not None and known.erased_at is None:
        return known
    if arrival.email:
        return people.save_profile(
            session, email=arrival.email, first_name=arrival.first_name,
            last_name=arrival.last_name, organisation=arrival.organisation,
            profile_id=arrival.profile_id, actor=actor,
        )  # fmt: skip
    person = Person(
        first_name=people.clean_name(arrival.first_name, "prénom"),
        last_name=people.clean_name(arrival.last_name, "nom"),
        organisation_id=people.organisation_id(session, arrival.organisation),
        profile_id=arrival.profile_id,
    )
    session.add(person)
    session.flush()
    audit.record(session, actor, "person.saved", "person", person.id)
    return person


def walk_in(session: Session, event_id: int, arrival: Arrival, actor: str) -> WalkIn:
    """Someone at the door: registered on the spot and marked present, in one step.

    The same rules as a self check-in (no seat taken from anyone, no
    confirmation sent); the consent is recorded as given to the coordinator.
    """
    event = events.lock(session, event_id)
    if event.status == EventStatus.CANCELLED:
        raise DomainError("event_is_cancelled")
    person = _arrived_person(session, arrival, actor)
    assert person.id is not None
    if not people.has_consent(session, person.id, ConsentPurpose.REGISTRATION):
        people.record_consent(
            session, person.id, ConsentPurpose.REGISTRATION, channel=WALK_IN_SOURCE,
            source=f"sur place, saisi par {actor}"[:200],
        )  # fmt: skip
    registered_now = register_walk_in(session, event, person.id, actor)
    _row, changed = record(
        session, event_id, person.id, AttendanceStatus.PRESENT, AttendanceMethod.COORDINATOR, actor
    )
    return WalkIn(person, registered_now, already_present=not changed)


@dataclass(frozen=True)
class RosterLine:
    """One expected person on a session's list, with what was recorded."""

    person: Person
    registration: Registration
    status: AttendanceStatus | None


def roster(session: Session, event_id: int) -> list[RosterLine]:
    """Confirmed registrations of a session with their attendance, sorted by name."""
    rows = session.exec(
        select(Registration, Person, Attendance)
        .join(Person, col(Person.id) == Registration.person_id)
        .outerjoin(
            Attendance,
            (col(Attendance.event_id) == Registration.event_id)
            & (col(Attendance.person_id) == Registration.person_id),
        )
        .where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    ).all()
    lines = [
        RosterLine(person, registration, attendance.status if attendance else None)
        for registration, person, attendance in rows
    ]
    return sorted(
        lines,
        key=lambda line: (
            line.person.last_name.lower(),
            line.person.first_name.lower(),
            line.person.id or 0,
        ),
    )
