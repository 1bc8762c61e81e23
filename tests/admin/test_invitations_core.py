"""Inviting a network: who is targeted, once per channel, counted per channel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from relais import signals
from relais.errors import InvalidInput
from relais.events import services as events
from relais.events.models import EventStatus
from relais.invitations import services as invitations
from relais.invitations.models import Broadcast, Invitation
from relais.people.models import Person
from relais.plugins import subscribe_all
from relais.registrations import services as registrations
from relais.timefmt import utcnow
from tests.admin.conftest import make_network
from tests.factories import make_event


def _email_channel(session: Session, invited: signals.NetworkInvited) -> None:
    """A stand-in channel: invites by e-mail everyone with a valid address."""
    for person in invitations.targets(session, invited.event_id, invited.network_id):
        if person.email and not person.email_invalid and person.id is not None:
            invitations.record(
                session, event_id=invited.event_id, person_id=person.id, channel="email",
                batch=invited.batch, actor=invited.actor, network_id=invited.network_id,
            )  # fmt: skip


@pytest.fixture
def email_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the stand-in channel listens (the real ones were subscribed before the patch)."""
    subscribe_all()
    monkeypatch.setitem(signals._in_transaction, signals.NetworkInvited, [_email_channel])


def test_nobody_is_invited_twice(session: Session, email_channel: None) -> None:
    network = make_network(session, "Réseau des médiateurs – 93", members=4)
    other = make_network(session, "Réseau des référents PRE – 91", members=1)
    event = make_event(session, networks=[network.code])
    assert event.id is not None and network.id is not None and other.id is not None
    members = session.exec(select(Person).order_by(Person.id)).all()  # type: ignore[arg-type]
    assert members[0].id is not None and members[1].id is not None
    registrations.register(session, event.id, members[0].id, source="test")
    members[1].email_invalid = True
    session.add(members[1])
    session.commit()

    first = invitations.invite_network(session, event.id, network.id, "test")
    session.commit()
    assert first.reached == {"email": 2}
    assert (first.members, first.already_registered, first.unreachable) == (4, 1, 1)

    second = invitations.invite_network(session, event.id, network.id, "test")
    session.commit()
    assert second.reached == {} and second.already_invited == 2
    assert len(session.exec(select(Invitation)).all()) == 2

    third = invitations.invite_network(session, event.id, other.id, "test")
    session.commit()
    assert third.reached == {"email": 1}
    assert invitations.invitation_counts(session, event.id) == {"email": 3}


def test_only_published_upcoming_events_are_invitable(session: Session) -> None:
    network = make_network(session, "Réseau des médiateurs – 93", members=1)
    draft = make_event(session, status="draft")
    assert draft.id is not None and network.id is not None
    with pytest.raises(InvalidInput) as refused:
        invitations.invite_network(session, draft.id, network.id, "test")
    assert "brouillon" in refused.value.message
    session.rollback()
    events.cancel(session, draft.id, "Salle indisponible", "test")
    session.commit()
    with pytest.raises(InvalidInput):
        invitations.invite_network(session, draft.id, network.id, "test")
    session.rollback()
    past = make_event(session, starts_at=utcnow() - timedelta(hours=1))
    assert past.id is not None and past.status == EventStatus.PUBLISHED
    with pytest.raises(InvalidInput):
        invitations.invite_network(session, past.id, network.id, "test")


def test_broadcast_counts_telegram_members_and_refuses_bad_text(session: Session) -> None:
    network = make_network(session, "Réseau des médiateurs – 93", members=3)
    assert network.id is not None
    people = session.exec(select(Person).order_by(Person.id)).all()  # type: ignore[arg-type]
    for number, person in enumerate(people):
        person.telegram_id = 500 + number
        person.telegram_blocked = number == 2
        session.add(person)
    session.commit()
    row = invitations.broadcast(session, network.id, "  Bonjour à toutes et tous !\r\n  ", "test")
    session.commit()
    assert (row.text, row.recipients) == ("Bonjour à toutes et tous !", 2)
    for bad, words in (("   ", "vide"), ("x" * 5000, "5000 caractères")):
        with pytest.raises(InvalidInput) as refused:
            invitations.broadcast(session, network.id, bad, "test")
        assert words in refused.value.message
    session.rollback()
    assert len(session.exec(select(Broadcast)).all()) == 1


def test_after_commit_handlers_wait_for_the_real_commit(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A savepoint released (as the Telegram outbox does per row) is not the commit."""
    delivered: list[signals.DomainEvent] = []
    monkeypatch.setitem(signals._after_commit, signals.PersonErased, [delivered.append])
    session.connection()
    signals.emit(session, signals.PersonErased(person_id=1))
    with session.begin_nested():
        pass
    assert delivered == []
    with pytest.raises(ValueError), session.begin_nested():
        raise ValueError
    session.commit()
    assert delivered == [signals.PersonErased(person_id=1)]
