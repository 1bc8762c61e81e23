"""What the agenda and the event pages show: events with their seats, grouped by month.

Counts for the whole page come from one grouped query, so the agenda costs
the same few queries whatever the number of events.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from relais import identifiers
from relais.events import places
from relais.events import services as events
from relais.events.models import (
    Event,
    EventAudience,
    EventFormat,
    EventNetwork,
    Series,
)
from relais.networks.models import Network
from relais.reference.models import Departement, Profile, Theme
from relais.registrations.models import Registration, RegistrationStatus
from relais.timefmt import MONTHS, local

FORMATS = {"presentiel": "Présentiel", "distanciel": "Webinaire", "hybride": "Hybride"}
#: The filters in the order the agenda shows them, with what « all » is called for each.
FILTERS = (
    ("thematique", "Thématique", "Toutes"),
    ("reseau", "Réseau", "Tous"),
    ("departement", "Département", "Tous"),
    ("format", "Format", "Tous"),
)


@dataclass
class Card:
    """One event as the public pages show it."""

    event: Event
    theme: str = ""
    networks: list[str] = field(default_factory=list)
    series: Series | None = None
    confirmed: int = 0
    waiting: int = 0

    @property
    def seats_left(self) -> int | None:
        if self.event.capacity is None:
            return None
        return max(0, self.event.capacity - self.confirmed)

    @property
    def full(self) -> bool:
        return self.seats_left == 0 or self.waiting > 0

    @property
    def place(self) -> str:
        return events.place_label(self.event)

    @property
    def place_shown(self) -> str:
        """The place with a capital letter (« Webinaire », a venue typed in lower case)."""
        return self.place[:1].upper() + self.place[1:]

    @property
    def format_label(self) -> str:
        return FORMATS[self.event.format.value]


@dataclass(frozen=True)
class Filters:
    theme: int | None = None
    network: int | None = None
    departement: str | None = None
    format: str | None = None

    @classmethod
    def parse(cls, query: dict[str, str]) -> Filters:
        def number(name: str) -> int | None:
            value = query.get(name, "")
            return identifiers.parse(value)

        departement = query.get("departement", "")[:3].upper() or None
        wanted_format = query.get("format", "")
        return cls(
            theme=number("thematique"),
            network=number("reseau"),
            departement=departement,
            format=wanted_format if wanted_format in FORMATS else None,
        )

    def link(self, **changes: object) -> str:
        """The agenda address with these filters, one of them changed (None removes it)."""
        values: dict[str, object] = {
            "thematique": self.theme,
            "reseau": self.network,
            "departement": self.departement,
            "format": self.format,
        }
        values.update(changes)
        query = "&".join(f"{name}={value}" for name, value in values.items() if value is not None)
        return f"/?{query}" if query else "/"

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.theme, self.network, self.departement, self.format))

    def current(self, name: str) -> str | None:
        """The value chosen for the filter ``name`` (its query parameter), as text."""
        value = {
            "thematique": self.theme,
            "reseau": self.network,
            "departement": self.departement,
            "format": self.format,
        }[name]
        return None if value is None else str(value)

    def described(self, offered: dict[str, list[tuple[str, str]]]) -> list[tuple[str, str]]:
        """(« Thématique », « Santé »)… for the filters in use, named as their chips are."""
        shown = []
        for name, label, _all in FILTERS:
            value = self.current(name)
            if value is not None:
                text = dict(offered.get(name, [])).get(value, value)
                shown.append((label, text))
        return shown


def cards(session: Session, found: list[Event]) -> list[Card]:
    """Cards for these events, with their theme, networks, cycle and counts (batched)."""
    ids = [e.id for e in found if e.id is not None]
    if not ids:
        return []
    theme_ids = {e.theme_id for e in found if e.theme_id is not None}
    themes = (
        dict(session.exec(select(Theme.id, Theme.name).where(col(Theme.id).in_(theme_ids))).all())
        if theme_ids
        else {}
    )
    networks: dict[int, list[str]] = defaultdict(list)
    for event_id, name in session.exec(
        select(EventNetwork.event_id, Network.name)
        .join(Network, col(Network.id) == EventNetwork.network_id)
        .where(col(EventNetwork.event_id).in_(ids))
        .order_by(col(Network.name))
    ):
        networks[event_id].append(name)
    counts: dict[tuple[int, str], int] = {}
    for event_id, status, number in session.exec(
        select(Registration.event_id, Registration.status, func.count())
        .where(col(Registration.event_id).in_(ids))
        .group_by(col(Registration.event_id), col(Registration.status))
    ):
        counts[(event_id, status)] = number
    series_ids = {e.series_id for e in found if e.series_id is not None}
    series = (
        {s.id: s for s in session.exec(select(Series).where(col(Series.id).in_(series_ids)))}
        if series_ids
        else {}
    )
    return [
        Card(
            event=e,
            theme=themes.get(e.theme_id, "") if e.theme_id else "",
            networks=networks.get(e.id or 0, []),
            series=series.get(e.series_id) if e.series_id else None,
            confirmed=counts.get((e.id or 0, RegistrationStatus.CONFIRMED), 0),
            waiting=counts.get((e.id or 0, RegistrationStatus.WAITLISTED), 0),
        )
        for e in found
    ]


def upcoming_cards(session: Session, filters: Filters) -> list[Card]:
    found = events.upcoming(
        session,
        theme_id=filters.theme,
        network_id=filters.network,
        departement_code=filters.departement,
        limit=300,
    )
    if filters.format is not None:
        found = [e for e in found if e.format == EventFormat(filters.format)]
    return cards(session, found)


def by_month(found: list[Card]) -> list[tuple[str, list[Card]]]:
    """« avril 2026 » → its cards, in date order."""

    def month(card: Card) -> str:
        moment = local(card.event.starts_at)
        return f"{MONTHS[moment.month - 1]} {moment.year}"

    return [(name, list(group)) for name, group in groupby(found, key=month)]


def choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """The filter values offered as links: only themes, networks and départements in use."""
    upcoming = events.upcoming(session, limit=300)
    used_themes = {e.theme_id for e in upcoming if e.theme_id}
    event_ids = [e.id for e in upcoming if e.id is not None]
    network_rows = (
        list(
            session.exec(
                select(Network)
                .join(EventNetwork, col(EventNetwork.network_id) == Network.id)
                .where(col(EventNetwork.event_id).in_(event_ids))
                .distinct()
                .order_by(col(Network.name))
            )
        )
        if event_ids
        else []
    )
    dep_codes = {n.departement_code for n in network_rows if n.departement_code}
    dep_codes |= {code for e in upcoming if (code := places.departement_of(e.venue))}
    departements: Any = (
        session.exec(
            select(Departement)
            .where(col(Departement.code).in_(dep_codes))
            .order_by(col(Departement.code))
        )
        if dep_codes
        else []
    )
    themes: Any = (
        session.exec(select(Theme).where(col(Theme.id).in_(used_themes)).order_by(col(Theme.name)))
        if used_themes
        else []
    )
    return {
        "thematique": [(str(t.id), t.name) for t in themes],
        "reseau": [(str(n.id), n.name) for n in network_rows],
        "departement": [(d.code, f"{d.code} {d.name}") for d in departements],
        "format": list(FORMATS.items()),
    }


def audience(session: Session, event: Event) -> list[str]:
    """The professional profiles the event is reserved to (none: open to all)."""
    return list(
        session.exec(
            select(Profile.name)
            .join(EventAudience, col(EventAudience.profile_id) == Profile.id)
            .where(EventAudience.event_id == event.id)
            .order_by(col(Profile.name))
        )
    )
