"""Registration rules, the waiting list and promotion, on both databases."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from relais import signals
from relais.events import services as events
from relais.networks import services as networks
from relais.reference import services as reference
from relais.registrations import services as registrations
from relais.registrations.models import Registration, RegistrationStatus
from relais.registrations.services import Refusal, RegistrationRefused
from relais.timefmt import utcnow
from tests.factories import make_event, make_person


def _refusal(session: Session, event_id: int, person_id: int) -> Refusal:
    with pytest.raises(RegistrationRefused) as caught:
        registrations.register(session, event_id, person_id, source="test")
    session.rollback()
    assert caught.value.message  # every refusal has a French sentence
    return caught.value.reason


def test_confirm_then_waitlist_then_promote(session: Session) -> None:
    event = make_event(session, capacity=1)
    first, second, third = (make_person(session) for _ in range(3))
    assert registrations.register(session, event.id, first.id, source="test").confirmed
    waiting = registrations.register(session, event.id, second.id, source="test")
    later = registrations.register(session, event.id, third.id, source="test")
    session.commit()
    assert (waiting.position, later.position) == (1, 2)

    registrations.cancel(session, registrations.for_event(session, event.id)[0][0].id, "test")
    session.commit()
    statuses = {p.id: r.status for r, p in registrations.for_event(session, event.id)}
    assert statuses == {
        first.id: RegistrationStatus.CANCELLED,
        second.id: RegistrationStatus.CONFIRMED,
        third.id: RegistrationStatus.WAITLISTED,
    }
    third_registration = session.exec(
        select(Registration).where(Registration.person_id == third.id)
    ).one()
    assert registrations.position(session, third_registration) == 1


def test_every_refusal_reason(session: Session) -> None:
    person = make_person(session)
    assert (
        _refusal(session, make_event(session, status="draft").id, person.id)
        == Refusal.NOT_PUBLISHED
    )
    cancelled = make_event(session)
    events.cancel(session, cancelled.id, "Grève des transports", "test")
    session.commit()
    assert _refusal(session, cancelled.id, person.id) == Refusal.EVENT_CANCELLED
    closed = make_event(session)
    events.set_registrations_open(session, closed.id, False, "test")
    session.commit()
    assert _refusal(session, closed.id, person.id) == Refusal.CLOSED
    late = make_event(session, registration_deadline=utcnow() - timedelta(hours=1))
    assert _refusal(session, late.id, person.id) == Refusal.DEADLINE_PASSED
    past = make_event(session, starts_at=utcnow() - timedelta(hours=1))
    assert _refusal(session, past.id, person.id) == Refusal.ALREADY_STARTED
    reserved = make_event(session, audience_profiles=["Délégué du préfet"])
    assert _refusal(session, reserved.id, person.id) == Refusal.RESERVED_PROFILE
    network = networks.create(session, "Réseau test", "test")
    members = make_event(session, networks=[network.code], members_only=True)
    assert _refusal(session, members.id, person.id) == Refusal.MEMBERS_ONLY
    full = make_event(session, capacity=1, waitlist_enabled=False)
    registrations.register(session, full.id, make_person(session).id, source="test")
    session.commit()
    assert _refusal(session, full.id, person.id) == Refusal.FULL
    open_event = make_event(session, capacity=1)
    registrations.register(session, open_event.id, person.id, source="test")
    session.commit()
    assert _refusal(session, open_event.id, person.id) == Refusal.ALREADY_REGISTERED
    registrations.register(session, open_event.id, make_person(session).id, source="test")
    session.commit()
    waiting = make_person(session)
    registrations.register(session, open_event.id, waiting.id, source="test")
    session.commit()
    assert _refusal(session, open_event.id, waiting.id) == Refusal.ALREADY_WAITLISTED


def test_reserved_audience_accepts_the_right_profile(session: Session) -> None:
    profile = reference.find_profile(session, "Délégué du préfet")
    person = make_person(session, profile_id=profile.id)
    event = make_event(session, audience_profiles=["Délégué du préfet"])
    assert registrations.register(session, event.id, person.id, source="test").confirmed


def test_register_again_after_cancelling_goes_to_the_back(session: Session) -> None:
    event = make_event(session, capacity=1)
    a, b, c = (make_person(session) for _ in range(3))
    for person in (a, b, c):
        registrations.register(session, event.id, person.id, source="test")
    session.commit()
    b_reg = session.exec(select(Registration).where(Registration.person_id == b.id)).one()
    registrations.cancel(session, b_reg.id, "test")
    outcome = registrations.register(session, event.id, b.id, source="test")
    session.commit()
    assert outcome.position == 2


def test_cycle_registers_every_session_or_none(session: Session) -> None:
    from relais.events.schemas import EventInput

    start = utcnow() + timedelta(days=5)
    sessions = [
        EventInput(title=f"Séance {n}", starts_at=start + timedelta(days=7 * n), capacity=1)
        for n in range(3)
    ]
    series, created = events.create_series(session, "Cycle test", sessions, "test")
    session.commit()
    person = make_person(session)
    outcomes = registrations.register_series(session, series.id, person.id, source="test")
    session.commit()
    assert [o.event.id for o in outcomes] == [e.id for e in created]
    assert all(o.confirmed for o in outcomes)
    other = make_person(session)
    outcomes = registrations.register_series(session, series.id, other.id, source="test")
    session.commit()
    assert [o.position for o in outcomes] == [1, 1, 1]

    events.set_registrations_open(session, created[2].id, False, "test")
    session.commit()
    late = make_person(session)
    with pytest.raises(RegistrationRefused):
        registrations.register_series(session, series.id, late.id, source="test")
    session.rollback()
    assert not session.exec(select(Registration).where(Registration.person_id == late.id)).all()


def test_domain_events_reach_subscribers_only_after_commit(session: Session) -> None:
    seen: list[signals.DomainEvent] = []
    signals.after_commit(signals.Registered, seen.append)
    try:
        event = make_event(session)
        person = make_person(session)
        registrations.register(session, event.id, person.id, source="test")
        assert seen == []
        session.rollback()
        assert seen == []
        registrations.register(session, event.id, person.id, source="test")
        session.commit()
        assert [type(e) for e in seen] == [signals.Registered]
    finally:
        signals._after_commit[signals.Registered].remove(seen.append)


def test_more_seats_promote_the_waiting_list(session: Session) -> None:
    event = make_event(session, capacity=1)
    people = [make_person(session) for _ in range(3)]
    for person in people:
        registrations.register(session, event.id, person.id, source="test")
    session.commit()
    change = events.update(session, event.id, {"capacity": 3}, "test")
    session.commit()
    assert change.changes == {"capacity": (1, 3)}
    assert events.counts(session, event.id).confirmed == 3


def test_no_overbooking_under_concurrency(engine: Engine, session: Session) -> None:
    """50 people at once for 10 seats: exactly 10 confirmed, 40 waiting, positions 1..40."""
    event = make_event(session, capacity=10)
    people = [make_person(session).id for _ in range(50)]
    barrier = threading.Barrier(50)
    errors: list[BaseException] = []

    def register(person_id: int) -> None:
        try:
            barrier.wait()
            with Session(engine) as own:
                registrations.register(own, event.id, person_id, source="test")
                own.commit()
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=register, args=(pid,)) for pid in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    session.expire_all()
    counts = events.counts(session, event.id)
    assert (counts.confirmed, counts.waitlisted) == (10, 40)
    waiting = registrations.for_event(session, event.id, RegistrationStatus.WAITLISTED)
    positions = sorted(registrations.position(session, r) for r, _ in waiting)
    assert positions == list(range(1, 41))
    confirmed_times = [
        r.queued_at
        for r, _ in registrations.for_event(session, event.id, RegistrationStatus.CONFIRMED)
    ]
    assert max(confirmed_times) <= min(r.queued_at for r, _ in waiting)
