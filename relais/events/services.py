"""Creating, finding, changing and cancelling events and cycles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from relais import audit, db, identifiers, signals
from relais.errors import InvalidInput, NotFound
from relais.events import codes, places
from relais.events.models import (
    Event,
    EventAudience,
    EventFormat,
    EventNetwork,
    EventStatus,
    Series,
)
from relais.events.schemas import EventInput
from relais.i18n import t
from relais.networks.models import Network
from relais.reference import services as reference
from relais.registrations.models import Registration, RegistrationStatus
from relais.timefmt import utcnow

#: Fields whose change makes calendar invitations out of date: SEQUENCE is raised and the
#: updated REQUEST is sent (:attr:`relais.signals.EventChanged.moved`). Only the time and
#: the place (venue, link, in-person or online) count, as RFC 5546 (§2.1.4) calls a change
#: significant: a new title alone neither raises SEQUENCE nor sends anything, since a
#: raised SEQUENCE nobody receives would make later REQUESTs and replies disagree; the
#: next significant update carries the new title.
INVITATION_FIELDS = ("starts_at", "ends_at", "venue", "visio_url", "format")
EDITABLE_FIELDS = (
    "title", "description", "starts_at", "ends_at", "venue", "visio_url", "capacity",
    "registration_deadline", "waitlist_enabled", "members_only", "format", "theme_id",
    "reminder_offsets", "registrations_open",
)  # fmt: skip


def _unique_code(session: Session) -> str:
    while True:
        code = codes.new_code()
        taken = session.exec(select(Event.id).where(Event.code == code)).first()
        taken = taken or session.exec(select(Series.id).where(Series.code == code)).first()
        if taken is None:
            return code


def get(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound("event_not_found", code=str(event_id))
    return event


#: Built once, as every page view and registration asks them: SQLAlchemy then keeps the
#: statement's cache key instead of building and hashing a new statement each time.
_BY_CODE = select(Event).where(Event.code == sa.bindparam("code"))
_LOCKED = (
    select(Event)
    .where(Event.id == sa.bindparam("event_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


def by_code(session: Session, code: str) -> Event:
    """The event with this public code (case-insensitive; codes are lower-case)."""
    event = session.exec(_BY_CODE, params={"code": code.strip().lower()}).first()
    if event is None:
        raise NotFound("event_not_found", code=code[:20])
    return event


def lookup(session: Session, reference_text: str) -> Event:
    """An event by its code or, from the command line, by its number."""
    text = reference_text.strip()
    try:
        return by_code(session, text)
    except NotFound:
        number = identifiers.parse(text, minimum=1)
        if number is not None:
            return get(session, number)
        raise


def series_by_code(session: Session, code: str) -> Series:
    series = session.exec(select(Series).where(Series.code == code.strip().lower())).first()
    if series is None:
        raise NotFound("series_not_found", code=code[:20])
    return series


def lock(session: Session, event_id: int) -> Event:
    """The event row, locked until commit, so seat counting cannot race.

    On PostgreSQL this is ``SELECT … FOR UPDATE``; on SQLite the whole
    transaction already holds the write lock (``BEGIN IMMEDIATE``).
    """
    event = session.exec(_LOCKED, params={"event_id": event_id}).first()
    if event is None:
        raise NotFound("event_not_found", code=str(event_id))
    return event


def _resolve_links(session: Session, data: EventInput) -> tuple[int | None, list[int], list[int]]:
    theme_id = None
    if data.theme:
        theme_id = reference.theme_named(session, data.theme).id
    network_ids = []
    for name in data.networks:
        network = session.exec(
            select(Network).where((Network.code == name) | (Network.name == name))
        ).first()
        if network is None:
            raise InvalidInput("unknown_network", value=name)
        assert network.id is not None
        network_ids.append(network.id)
    profile_ids = []
    for name in data.audience_profiles:
        profile_id = reference.profile_named(session, name).id
        assert profile_id is not None
        profile_ids.append(profile_id)
    return theme_id, network_ids, profile_ids


def create(session: Session, data: EventInput, actor: str, series_id: int | None = None) -> Event:
    theme_id, network_ids, profile_ids = _resolve_links(session, data)
    assert data.ends_at is not None
    event = Event(
        code=_unique_code(session),
        title=data.title,
        description=data.description,
        theme_id=theme_id,
        format=data.format,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        venue=data.venue,
        visio_url=data.visio_url,
        capacity=data.capacity,
        waitlist_enabled=data.waitlist_enabled,
        registration_deadline=data.registration_deadline,
        members_only=data.members_only,
        status=data.status,
        published_at=None if data.status == EventStatus.DRAFT else utcnow(),
        series_id=series_id,
        reminder_offsets=data.reminder_offsets,
    )
    session.add(event)
    session.flush()
    assert event.id is not None
    for network_id in network_ids:
        session.add(EventNetwork(event_id=event.id, network_id=network_id))
    for profile_id in profile_ids:
        session.add(EventAudience(event_id=event.id, profile_id=profile_id))
    audit.record(session, actor, "event.created", "event", event.id, title=event.title)
    session.flush()
    return event


def create_series(
    session: Session, title: str, sessions: list[EventInput], actor: str, description: str = ""
) -> tuple[Series, list[Event]]:
    """A cycle and its sessions, all or nothing."""
    if not sessions:
        raise InvalidInput("series_without_sessions")
    series = Series(code=_unique_code(session), title=title, description=description)
    session.add(series)
    session.flush()
    events = [create(session, data, actor, series_id=series.id) for data in sessions]
    audit.record(session, actor, "series.created", "series", series.id, title=title)
    return series, events


def series_sessions(session: Session, series_id: int) -> list[Event]:
    return list(
        session.exec(
            select(Event).where(Event.series_id == series_id).order_by(col(Event.starts_at))
        )
    )


def sessions_to_register(session: Session, series_id: int, now: datetime) -> list[Event]:
    """What registering to a cycle takes: its published sessions still to come. A draft
    (a session being prepared, maybe a copy) and a cancelled session neither show nor
    block the others."""
    return [
        e
        for e in series_sessions(session, series_id)
        if e.starts_at > now and e.status == EventStatus.PUBLISHED
    ]


@dataclass(frozen=True)
class EventCounts:
    confirmed: int
    waitlisted: int
    cancelled: int


def counts(session: Session, event_id: int) -> EventCounts:
    rows = session.exec(
        select(Registration.status, func.count())
        .where(Registration.event_id == event_id)
        .group_by(Registration.status)
    ).all()
    by_status: dict[Any, int] = {status: number for status, number in rows}
    return EventCounts(
        confirmed=by_status.get(RegistrationStatus.CONFIRMED, 0),
        waitlisted=by_status.get(RegistrationStatus.WAITLISTED, 0),
        cancelled=by_status.get(RegistrationStatus.CANCELLED, 0),
    )


def seats_left(session: Session, event: Event) -> int | None:
    """Seats still free, or None when the event has no limit."""
    if event.capacity is None:
        return None
    assert event.id is not None
    return max(0, event.capacity - counts(session, event.id).confirmed)


def upcoming(
    session: Session,
    *,
    now: datetime | None = None,
    theme_id: int | None = None,
    network_id: int | None = None,
    departement_code: str | None = None,
    include_drafts: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[Event]:
    """Events not yet finished, soonest first, optionally filtered.

    ``departement_code`` keeps events of a network of that département and events whose
    venue has a postcode there (:mod:`relais.events.places`), in the same one query."""
    query = select(Event).where(Event.ends_at > (now or utcnow()))
    if include_drafts:
        query = query.where(Event.status != EventStatus.CANCELLED)
    else:
        query = query.where(Event.status == EventStatus.PUBLISHED)
    if theme_id is not None:
        query = query.where(Event.theme_id == theme_id)
    if network_id is not None:
        targeted = select(EventNetwork.event_id).where(EventNetwork.network_id == network_id)
        query = query.where(col(Event.id).in_(targeted))
    if departement_code is not None:
        query = query.where(_in_departement(departement_code))
    query = query.order_by(col(Event.starts_at), col(Event.id)).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query))


def _in_departement(code: str) -> sa.ColumnElement[bool]:
    """An event of a network of département ``code``, or whose venue's postcode is there."""
    of_network = (
        select(EventNetwork.event_id)
        .join(Network, col(Network.id) == EventNetwork.network_id)
        .where(Network.departement_code == code)
    )
    condition: sa.ColumnElement[bool] = col(Event.id).in_(of_network)
    pattern = places.venue_pattern(code)
    if pattern is not None:
        condition = sa.or_(condition, col(Event.venue).regexp_match(pattern))
    return condition


def network_ids(session: Session, event_id: int) -> list[int]:
    return list(
        session.exec(select(EventNetwork.network_id).where(EventNetwork.event_id == event_id))
    )


_AUDIENCE = EventAudience.__table__  # type: ignore[attr-defined]
_AUDIENCE_IDS = sa.select(_AUDIENCE.c.profile_id).where(
    _AUDIENCE.c.event_id == sa.bindparam("event_id")
)


def audience_profile_ids(session: Session, event_id: int) -> list[int]:
    """The profiles the event is reserved for (none: open to all); asked at each registration,
    so the statement is built once (see :func:`relais.db.execute`)."""
    return list(db.execute(session, _AUDIENCE_IDS, {"event_id": event_id}).scalars())


def update(
    session: Session, event_id: int, changes: dict[str, Any], actor: str
) -> signals.EventChanged:
    """Apply changes and say what changed, so the mailer can send updated invitations.

    A change of time, place, link or format raises SEQUENCE (RFC 5545, see
    :data:`INVITATION_FIELDS`); more seats promote people from the waiting list.
    """
    from relais.registrations import services as registrations

    event = lock(session, event_id)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput("field_not_editable", field=", ".join(sorted(unknown)))
    changed: dict[str, tuple[Any, Any]] = {}
    for field, value in changes.items():
        old = getattr(event, field)
        if old != value:
            changed[field] = (old, value)
            setattr(event, field, value)
    if event.ends_at <= event.starts_at:
        raise InvalidInput("end_before_start")
    if not changed:
        return signals.EventChanged(event_id=event_id, changes={})
    if set(changed) & set(INVITATION_FIELDS):
        event.sequence += 1
    event.updated_at = utcnow()
    session.add(event)
    session.flush()
    audit.record(session, actor, "event.changed", "event", event_id, fields=sorted(changed))
    domain_event = signals.EventChanged(event_id=event_id, changes=changed)
    signals.emit(session, domain_event)
    if "capacity" in changed or "waitlist_enabled" in changed:
        registrations.promote_waiting(session, event)
    return domain_event


def move(session: Session, event_id: int, new_start: datetime, actor: str) -> signals.EventChanged:
    """Shift an event to a new start, keeping its length."""
    event = get(session, event_id)
    length: timedelta = event.ends_at - event.starts_at
    return update(session, event_id, {"starts_at": new_start, "ends_at": new_start + length}, actor)


def publish(session: Session, event_id: int, actor: str) -> Event:
    event = lock(session, event_id)
    if event.status == EventStatus.CANCELLED:
        raise InvalidInput("event_is_cancelled")
    event.status = EventStatus.PUBLISHED
    event.published_at = event.published_at or utcnow()
    session.add(event)
    audit.record(session, actor, "event.published", "event", event_id)
    session.flush()
    signals.emit(session, signals.EventPublished(event_id))
    return event


def set_registrations_open(session: Session, event_id: int, is_open: bool, actor: str) -> Event:
    update(session, event_id, {"registrations_open": is_open}, actor)
    return get(session, event_id)


def cancel(session: Session, event_id: int, reason: str, actor: str) -> Event:
    """Cancel an event; registrations keep their state so everyone registered can be told."""
    event = lock(session, event_id)
    if event.status == EventStatus.CANCELLED:
        raise InvalidInput("event_is_cancelled")
    clean = " ".join(reason.split())[:500]
    if not clean:
        raise InvalidInput("cancel_reason_missing")
    event.status = EventStatus.CANCELLED
    event.cancel_reason = clean
    event.sequence += 1
    event.updated_at = utcnow()
    session.add(event)
    session.flush()
    audit.record(session, actor, "event.cancelled", "event", event_id, reason=clean)
    signals.emit(session, signals.EventCancelled(event_id=event_id, reason=clean))
    return event


def duplicate(session: Session, event_id: int, new_start: datetime, actor: str) -> Event:
    """A copy as a draft at another date, with the same networks and audience."""
    source = get(session, event_id)
    assert source.id is not None
    copy = Event(
        **source.model_dump(
            exclude={
                "id",
                "code",
                "status",
                "published_at",
                "sequence",
                "cancel_reason",
                "created_at",
                "updated_at",
                "starts_at",
                "ends_at",
                "registration_deadline",
            }
        ),
        code=_unique_code(session),
        status=EventStatus.DRAFT,
        starts_at=new_start,
        ends_at=new_start + (source.ends_at - source.starts_at),
    )
    session.add(copy)
    session.flush()
    assert copy.id is not None
    for network_id in network_ids(session, source.id):
        session.add(EventNetwork(event_id=copy.id, network_id=network_id))
    for profile_id in audience_profile_ids(session, source.id):
        session.add(EventAudience(event_id=copy.id, profile_id=profile_id))
    audit.record(session, actor, "event.duplicated", "event", copy.id, source=source.id)
    session.flush()
    return copy


def place_label(event: Event) -> str:
    """Where it happens, in the words the cards and e-mails use."""
    if event.format == EventFormat.DISTANCIEL:
        return t("labels.webinar")
    return event.venue or t("labels.venue_unknown")


def get_series(session: Session, series_id: int) -> Series:
    series = session.get(Series, series_id)
    if series is None:
        raise NotFound("series_not_found", code=str(series_id))
    return series


def update_series(
    session: Session, series_id: int, title: str, description: str, actor: str
) -> Series:
    """Rename or re-describe a cycle; its sessions keep their own titles and dates."""
    series = get_series(session, series_id)
    clean = " ".join(title.split())
    if not 3 <= len(clean) <= 200:
        raise InvalidInput("series_bad_title")
    changed = sorted(
        name
        for name, value in (("title", clean), ("description", description))
        if getattr(series, name) != value
    )
    series.title, series.description = clean, description
    session.add(series)
    session.flush()
    if changed:
        audit.record(session, actor, "series.changed", "series", series_id, fields=changed)
    return series


def add_series_sessions(
    session: Session, series_id: int, sessions: list[EventInput], actor: str
) -> list[Event]:
    """More sessions for an existing cycle, all or nothing (the caller's transaction)."""
    series = get_series(session, series_id)
    if not sessions:
        raise InvalidInput("series_without_sessions")
    created = [create(session, data, actor, series_id=series.id) for data in sessions]
    audit.record(
        session, actor, "series.sessions_added", "series", series_id,
        events=[e.id for e in created],
    )  # fmt: skip
    return created
