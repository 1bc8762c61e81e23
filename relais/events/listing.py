"""Events as the coordinators' tables show them: filtered, limited to the networks a
coordinator may see, with their fill counts read in one grouped query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from relais.events.models import Event, EventNetwork, EventStatus
from relais.registrations.models import Registration, RegistrationStatus
from relais.timefmt import utcnow

Period = Literal["a-venir", "passes", "tous"]
PERIODS: tuple[Period, ...] = ("a-venir", "passes", "tous")


@dataclass(frozen=True)
class EventRow:
    event: Event
    confirmed: int
    waitlisted: int

    @property
    def fill_percent(self) -> int | None:
        """Seats taken, in percent of the capacity (None: no limit)."""
        capacity = self.event.capacity
        return None if not capacity else round(100 * self.confirmed / capacity)


@dataclass(frozen=True)
class EventFilters:
    period: Period = "a-venir"
    status: EventStatus | None = None
    network_id: int | None = None
    text: str = ""


def find(
    session: Session,
    allowed: frozenset[int] | None,
    filters: EventFilters,
    limit: int = 300,
) -> list[EventRow]:
    """Events matching ``filters`` among those targeting ``allowed`` networks (None: all)."""
    query = select(Event)
    now = utcnow()
    if filters.period == "a-venir":
        query = query.where(Event.ends_at > now).order_by(col(Event.starts_at), col(Event.id))
    elif filters.period == "passes":
        query = query.where(Event.ends_at <= now).order_by(col(Event.starts_at).desc())
    else:
        query = query.order_by(col(Event.starts_at).desc())
    if filters.status is not None:
        query = query.where(Event.status == filters.status)
    networks = _networks(allowed, filters.network_id)
    if networks is not None:
        targeted = select(EventNetwork.event_id).where(col(EventNetwork.network_id).in_(networks))
        query = query.where(col(Event.id).in_(targeted))
    text = " ".join(filters.text.split())[:100]
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(
            or_(func.lower(Event.title).like(pattern), func.lower(Event.code).like(pattern))
        )
    found = list(session.exec(query.limit(limit)))
    return with_counts(session, found)


def _networks(allowed: frozenset[int] | None, chosen: int | None) -> set[int] | None:
    if chosen is None:
        return None if allowed is None else set(allowed)
    if allowed is not None and chosen not in allowed:
        return set()
    return {chosen}


def with_counts(session: Session, found: list[Event]) -> list[EventRow]:
    ids = [event.id for event in found if event.id is not None]
    counts: dict[tuple[int, Any], int] = {}
    if ids:
        rows = session.exec(
            select(Registration.event_id, Registration.status, func.count())
            .where(col(Registration.event_id).in_(ids))
            .group_by(col(Registration.event_id), col(Registration.status))
        ).all()
        counts = {(event_id, status): number for event_id, status, number in rows}
    return [
        EventRow(
            event,
            counts.get((event.id or 0, RegistrationStatus.CONFIRMED), 0),
            counts.get((event.id or 0, RegistrationStatus.WAITLISTED), 0),
        )
        for event in found
    ]
