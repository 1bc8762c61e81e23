"""Who may read an event: one rule, for every channel and every way of naming it.

An event is visible when it is published (or cancelled after having been
published: people who saw it must learn it is cancelled), to the people registered to it
(whatever became of the event or of their registration: it is their own
history), and to the coordinators whose scope covers it. Everyone else gets
exactly the answer a code that does not exist gets, so a stranger cannot tell
a draft from nothing. Bot cards, buttons, deep links, check-in and survey
links, and the web pages all read events through here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from relais.errors import NotFound
from relais.events import services as events
from relais.events.models import Event, EventStatus, Series
from relais.people.services import by_telegram
from relais.registrations.models import Registration
from relais.roles import services as roles


@dataclass(frozen=True)
class Viewer:
    """Who asks: a Telegram account (bot), a person (signed web link), or nobody known."""

    telegram_id: int | None = None
    person_id: int | None = None


ANONYMOUS = Viewer()


def _person_id(session: Session, viewer: Viewer) -> int | None:
    if viewer.person_id is not None or viewer.telegram_id is None:
        return viewer.person_id
    person = by_telegram(session, viewer.telegram_id)
    return person.id if person is not None else None


def _registered(session: Session, event: Event, viewer: Viewer) -> bool:
    person_id = _person_id(session, viewer)
    if person_id is None:
        return False
    query = select(Registration.id).where(
        Registration.event_id == event.id, Registration.person_id == person_id
    )
    return session.exec(query).first() is not None


def _coordinator_in_scope(session: Session, event: Event, viewer: Viewer) -> bool:
    if viewer.telegram_id is None:
        return False
    grant = roles.grant_of(session, viewer.telegram_id)
    if grant is None:
        return False
    assert event.id is not None
    return grant.networks is None or bool(
        grant.networks & set(events.network_ids(session, event.id))
    )


def is_public(event: Event) -> bool:
    """Published, or cancelled after having been published (a cancelled draft stays hidden)."""
    if event.status == EventStatus.PUBLISHED:
        return True
    return event.status == EventStatus.CANCELLED and event.published_at is not None


def can_see(session: Session, event: Event, viewer: Viewer) -> bool:
    if is_public(event):
        return True
    return _registered(session, event, viewer) or _coordinator_in_scope(session, event, viewer)


def event_by_id(session: Session, event_id: int, viewer: Viewer) -> Event:
    """The event, or exactly the NotFound a missing one gives."""
    event = session.get(Event, event_id)
    if event is None or not can_see(session, event, viewer):
        raise NotFound("event_not_found", code=str(event_id))
    return event


def event_by_code(session: Session, code: str, viewer: Viewer) -> Event:
    """The event with this public code, or the same NotFound as an unknown code."""
    event = events.by_code(session, code)
    if not can_see(session, event, viewer):
        raise NotFound("event_not_found", code=code[:20])
    return event


def series_by_code(session: Session, code: str, viewer: Viewer) -> Series:
    """A cycle is visible when one of its sessions is."""
    series = events.series_by_code(session, code)
    assert series.id is not None
    if not any(can_see(session, e, viewer) for e in events.series_sessions(session, series.id)):
        raise NotFound("series_not_found", code=code[:20])
    return series
