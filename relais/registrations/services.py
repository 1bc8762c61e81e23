"""Registering, the waiting list, cancelling and promotion.

Every path that changes the seat count first locks the event row
(:func:`relais.events.services.lock`), so concurrent registrations can never
confirm more people than there are seats, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from relais import audit, db, signals
from relais.errors import DomainError, NotFound
from relais.events import services as events
from relais.events.models import Event, EventStatus
from relais.networks.models import NetworkMember
from relais.people.models import Person
from relais.registrations.models import Registration, RegistrationStatus
from relais.timefmt import utcnow


class Refusal(enum.StrEnum):
    NOT_PUBLISHED = "not_published"
    EVENT_CANCELLED = "event_cancelled"
    CLOSED = "closed"
    DEADLINE_PASSED = "deadline_passed"
    ALREADY_STARTED = "already_started"
    RESERVED_PROFILE = "reserved_profile"
    MEMBERS_ONLY = "members_only"
    ALREADY_REGISTERED = "already_registered"
    ALREADY_WAITLISTED = "already_waitlisted"
    FULL = "full"


class RegistrationRefused(DomainError):
    """Why a person cannot register; ``reason`` is machine-readable, ``message`` French."""

    def __init__(self, reason: Refusal, **context: object) -> None:
        super().__init__(f"refused.{reason.value}", **context)
        self.reason = reason


@dataclass(frozen=True)
class Outcome:
    registration: Registration
    event: Event
    position: int | None = None

    @property
    def confirmed(self) -> bool:
        return self.registration.status == RegistrationStatus.CONFIRMED


def _count(session: Session, event_id: int, status: RegistrationStatus) -> int:
    return session.exec(
        select(func.count())
        .select_from(Registration)
        .where(Registration.event_id == event_id, Registration.status == status)
    ).one()


_REGISTRATION = Registration.__table__  # type: ignore[attr-defined]
#: The registration path's queries, built once (see :func:`relais.db.execute`).
_LIVE_COUNTS = (
    sa.select(_REGISTRATION.c.status, sa.func.count())
    .where(
        _REGISTRATION.c.event_id == sa.bindparam("event_id"),
        _REGISTRATION.c.status.in_([RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]),
    )
    .group_by(_REGISTRATION.c.status)
)
_EXISTING = sa.select(_REGISTRATION.c.id).where(
    _REGISTRATION.c.event_id == sa.bindparam("event_id"),
    _REGISTRATION.c.person_id == sa.bindparam("person_id"),
)


def _live_counts(session: Session, event_id: int) -> tuple[int, int]:
    """(confirmed, waitlisted) in one query: the registration path runs it under the lock."""
    counts = dict(db.execute(session, _LIVE_COUNTS, {"event_id": event_id}).tuples().all())
    return (
        counts.get(RegistrationStatus.CONFIRMED, 0),
        counts.get(RegistrationStatus.WAITLISTED, 0),
    )


def position(session: Session, registration: Registration) -> int:
    """1-based place on the waiting list, derived from the queue order."""
    ahead = session.exec(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            (col(Registration.queued_at) < registration.queued_at)
            | (
                (col(Registration.queued_at) == registration.queued_at)
                & (col(Registration.id) < registration.id)
            ),
        )
    ).one()
    return ahead + 1


def check_event_open(
    session: Session, event: Event, now: datetime, profile_id: int | None = None
) -> None:
    """The refusals that do not depend on who asks (plus the audience for a given profile).

    A channel that must not reveal whether it knows a person (the web form)
    answers these at once, the same for everybody.
    """
    _check_event(event, now)
    _check_audience(session, event, profile_id)
    assert event.id is not None
    if not event.waitlist_enabled and event.capacity is not None:
        taken = _count(session, event.id, RegistrationStatus.CONFIRMED)
        if taken >= event.capacity:
            raise RegistrationRefused(Refusal.FULL, title=event.title)


def _check_event(event: Event, now: datetime) -> None:
    if event.status == EventStatus.CANCELLED:
        raise RegistrationRefused(Refusal.EVENT_CANCELLED, title=event.title)
    if event.status != EventStatus.PUBLISHED:
        raise RegistrationRefused(Refusal.NOT_PUBLISHED, title=event.title)
    if event.starts_at <= now:
        raise RegistrationRefused(Refusal.ALREADY_STARTED, title=event.title)
    if event.registration_deadline is not None and event.registration_deadline < now:
        raise RegistrationRefused(
            Refusal.DEADLINE_PASSED, title=event.title, deadline=event.registration_deadline
        )
    if not event.registrations_open:
        raise RegistrationRefused(Refusal.CLOSED, title=event.title)


def _check_audience(session: Session, event: Event, profile_id: int | None) -> None:
    assert event.id is not None
    allowed_profiles = events.audience_profile_ids(session, event.id)
    if allowed_profiles and profile_id not in allowed_profiles:
        from relais.reference.models import Profile

        names = [
            p.name
            for p in session.exec(select(Profile).where(col(Profile.id).in_(allowed_profiles)))
        ]
        raise RegistrationRefused(Refusal.RESERVED_PROFILE, title=event.title, profiles=names)


def _check_open(session: Session, event: Event, person: Person, now: datetime) -> None:
    assert event.id is not None
    _check_event(event, now)
    _check_audience(session, event, person.profile_id)
    if event.members_only:
        network_ids = events.network_ids(session, event.id)
        member = session.exec(
            select(NetworkMember).where(
                NetworkMember.person_id == person.id, col(NetworkMember.network_id).in_(network_ids)
            )
        ).first()
        if member is None:
            raise RegistrationRefused(Refusal.MEMBERS_ONLY, title=event.title)


def _existing(session: Session, event_id: int, person_id: int) -> Registration | None:
    """The person's row for this event; loaded only when there is one (rarely, for a new
    registration), as looking costs less than loading nothing through the ORM."""
    found = db.execute(session, _EXISTING, {"event_id": event_id, "person_id": person_id})
    registration_id = found.scalar()
    return None if registration_id is None else session.get(Registration, registration_id)


def _place(session: Session, event: Event, person: Person, source: str) -> Outcome:
    """Confirm or waitlist ``person`` on an already locked and checked event."""
    assert event.id is not None and person.id is not None
    registration = _existing(session, event.id, person.id)
    if registration is not None and registration.status == RegistrationStatus.CONFIRMED:
        raise RegistrationRefused(Refusal.ALREADY_REGISTERED, title=event.title)
    if registration is not None and registration.status == RegistrationStatus.WAITLISTED:
        raise RegistrationRefused(
            Refusal.ALREADY_WAITLISTED, title=event.title, position=position(session, registration)
        )
    confirmed, waiting = _live_counts(session, event.id)
    seat_free = event.capacity is None or (confirmed < event.capacity and waiting == 0)
    if not seat_free and not event.waitlist_enabled:
        raise RegistrationRefused(Refusal.FULL, title=event.title)
    status = RegistrationStatus.CONFIRMED if seat_free else RegistrationStatus.WAITLISTED
    if registration is None:
        registration = Registration(event_id=event.id, person_id=person.id, status=status)
    registration.status = status
    registration.source = source[:24]
    registration.queued_at = utcnow()  # taken under the lock: the queue's true order
    if registration.id is None:
        # Equal only while the first placement is the current one: the person's calendar
        # SEQUENCE then needs no count of cancellations (relais.registrations.calendar).
        registration.created_at = registration.queued_at
    registration.cancelled_at = None
    registration.confirmed_at = registration.queued_at if seat_free else None
    session.add(registration)
    session.flush()
    assert registration.id is not None
    if seat_free:
        signals.emit(session, signals.Registered(registration.id, event.id, person.id))
        return Outcome(registration, event)
    place = position(session, registration)
    signals.emit(session, signals.Waitlisted(registration.id, event.id, person.id, place))
    return Outcome(registration, event, place)


def register(
    session: Session,
    event_id: int,
    person_id: int,
    *,
    source: str,
    actor: str | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Register a person, or put them on the waiting list, or refuse with a precise reason."""
    now = now or utcnow()
    event = events.lock(session, event_id)
    person = session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        raise NotFound("person_not_found")
    _check_open(session, event, person, now)
    outcome = _place(session, event, person, source)
    audit.record(
        session, actor or f"person:{person_id}", "registration.created", "registration",
        outcome.registration.id, status=outcome.registration.status.value,
    )  # fmt: skip
    return outcome


def register_series(
    session: Session, series_id: int, person_id: int, *, source: str, now: datetime | None = None
) -> list[Outcome]:
    """Register to every published upcoming session of a cycle, or to none.

    A session already registered is kept as is; any other refusal cancels the
    whole cycle registration (the transaction rolls back).
    """
    now = now or utcnow()
    person = session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        raise NotFound("person_not_found")
    sessions = events.sessions_to_register(session, series_id, now)
    if not sessions:
        raise NotFound("series_not_found", code=str(series_id))
    outcomes = []
    for event in sorted(sessions, key=lambda e: e.id or 0):
        assert event.id is not None
        locked = events.lock(session, event.id)
        _check_open(session, locked, person, now)
        existing = _existing(session, locked.id or 0, person_id)
        if existing is not None and existing.status != RegistrationStatus.CANCELLED:
            continue
        outcomes.append(_place(session, locked, person, source))
    if not outcomes:
        raise RegistrationRefused(Refusal.ALREADY_REGISTERED, title=sessions[0].title)
    audit.record(session, f"person:{person_id}", "series.registered", "series", series_id)
    return sorted(outcomes, key=lambda o: o.event.starts_at)


def get(session: Session, registration_id: int) -> Registration:
    registration = session.get(Registration, registration_id)
    if registration is None:
        raise NotFound("registration_not_found")
    return registration


def cancel(session: Session, registration_id: int, actor: str) -> Registration:
    """Cancel a registration; a freed seat goes to the first on the waiting list."""
    registration = get(session, registration_id)
    event = events.lock(session, registration.event_id)
    session.refresh(registration)
    if registration.status == RegistrationStatus.CANCELLED:
        raise DomainError("already_cancelled")
    was_confirmed = registration.status == RegistrationStatus.CONFIRMED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = utcnow()
    session.add(registration)
    session.flush()
    assert registration.id is not None
    audit.record(session, actor, "registration.cancelled", "registration", registration.id)
    signals.emit(
        session,
        signals.RegistrationCancelled(
            registration.id, registration.event_id, registration.person_id, was_confirmed
        ),
    )
    if was_confirmed:
        promote_waiting(session, event)
    return registration


def promote_waiting(session: Session, event: Event) -> list[Registration]:
    """Fill free seats from the waiting list, in queue order (the event must be locked)."""
    assert event.id is not None
    if event.status != EventStatus.PUBLISHED or event.starts_at <= utcnow():
        return []
    promoted: list[Registration] = []
    while (
        event.capacity is None
        or _count(session, event.id, RegistrationStatus.CONFIRMED) < event.capacity
    ):
        first = session.exec(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.WAITLISTED,
            )
            .order_by(col(Registration.queued_at), col(Registration.id))
        ).first()
        if first is None:
            break
        promoted.append(_confirm(session, first))
    return promoted


def promote(session: Session, registration_id: int, actor: str) -> Registration:
    """A coordinator moves a person from the waiting list by hand, even beyond capacity."""
    registration = get(session, registration_id)
    events.lock(session, registration.event_id)
    session.refresh(registration)
    if registration.status != RegistrationStatus.WAITLISTED:
        raise DomainError("not_waitlisted")
    audit.record(session, actor, "registration.promoted", "registration", registration_id)
    return _confirm(session, registration)


def _confirm(session: Session, registration: Registration) -> Registration:
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at = utcnow()
    session.add(registration)
    session.flush()
    assert registration.id is not None
    signals.emit(
        session,
        signals.Promoted(registration.id, registration.event_id, registration.person_id),
    )
    return registration


def for_person(
    session: Session, person_id: int, *, upcoming_only: bool = True
) -> list[tuple[Registration, Event]]:
    """A person's live registrations and waiting-list places, soonest first."""
    query = (
        select(Registration, Event)
        .join(Event, col(Event.id) == Registration.event_id)
        .where(
            Registration.person_id == person_id,
            Registration.status != RegistrationStatus.CANCELLED,
        )
        .order_by(col(Event.starts_at))
    )
    if upcoming_only:
        query = query.where(Event.ends_at > utcnow())
    return [(registration, event) for registration, event in session.exec(query)]


def for_event(
    session: Session, event_id: int, status: RegistrationStatus | None = None
) -> list[tuple[Registration, Person]]:
    query = (
        select(Registration, Person)
        .join(Person, col(Person.id) == Registration.person_id)
        .where(Registration.event_id == event_id)
        .order_by(col(Registration.status), col(Registration.queued_at), col(Registration.id))
    )
    if status is not None:
        query = query.where(Registration.status == status)
    return [(registration, person) for registration, person in session.exec(query)]


def cancel_upcoming_for_person(session: Session, person_id: int, actor: str) -> int:
    cancelled = 0
    for registration, _event in for_person(session, person_id):
        if _event.starts_at > utcnow():
            assert registration.id is not None
            cancel(session, registration.id, actor)
            cancelled += 1
    return cancelled
