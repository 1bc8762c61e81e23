"""Browsing: the paged list of upcoming events, its filters, event and cycle cards.

Buttons (:mod:`bot.buttons`): ``events`` (page, theme, network, département) for a
list page, ``event`` for a card, ``register`` / ``cycle`` to register.
Events are named by their public code, never by their sequential id, so a forged
button cannot walk through the ids (and :mod:`relais.events.visibility` hides drafts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from bot.actor import Actor, linked_person
from bot.buttons import data
from bot.texts import Button, Reply, label, page, say, short, trusted
from relais.events import services as events
from relais.events.models import Event, EventStatus, Series
from relais.networks.models import Network
from relais.reference import services as reference
from relais.reference.models import Profile, Theme
from relais.registrations import services as registrations
from relais.registrations.models import RegistrationStatus
from relais.timefmt import utcnow

PAGE_SIZE = 3
MAX_SESSIONS_SHOWN = 20


@dataclass(frozen=True)
class Filters:
    theme_id: int | None = None
    network_id: int | None = None
    departement: str | None = None

    def data(self, page_number: int) -> str:
        return data("events", page_number, self.theme_id, self.network_id, self.departement)

    @classmethod
    def parse(cls, args: list[Any]) -> tuple[int, Filters]:
        """From the arguments of an ``events`` tap, as the router read them."""
        page_number, theme, network, departement = args
        return page_number, cls(theme, network, departement)

    @property
    def active(self) -> bool:
        return bool(self.theme_id or self.network_id or self.departement)


def viewer(session: Session, actor: Actor) -> int | None:
    """The person looking at the list, so each card shows their own state."""
    person = linked_person(session, actor.telegram_id)
    return person.id if person is not None else None


def own_states(session: Session, person_id: int | None, shown: list[Event]) -> dict[int, int]:
    """Event id → 0 when the person is registered, else their waiting-list position."""
    if person_id is None:
        return {}
    wanted = {e.id for e in shown}
    states: dict[int, int] = {}
    for registration, event in registrations.for_person(session, person_id):
        if event.id in wanted and event.id is not None:
            waiting = registration.status == RegistrationStatus.WAITLISTED
            states[event.id] = registrations.position(session, registration) if waiting else 0
    return states


def card(session: Session, event: Event, own: int | None = None) -> str:
    """The card of an event: title, French date, place, seats, deadline, and one's own state."""
    assert event.id is not None
    series = session.get(Series, event.series_id) if event.series_id else None
    return page(
        "event_card.html",
        event=event,
        place=events.place_label(event),
        seats=events.seats_left(session, event),
        waiting=events.counts(session, event.id).waitlisted > 0,
        series=series,
        own=own,
    )


def _register_button(event: Event, own: int | None, prefix: str = "") -> Button:
    """« S'inscrire », or, on an event one is already on, the way to one's registrations."""
    if own is None:
        return (prefix + label("register"), data("register", event.code))
    if own == 0:
        return (prefix + label("registered"), data("mine"))
    return (prefix + label("waitlisted", position=own), data("mine"))


def _published_sessions(session: Session, series: Series) -> list[Event]:
    assert series.id is not None
    return [
        e for e in events.series_sessions(session, series.id) if e.status == EventStatus.PUBLISHED
    ]


def _cycle_button(sessions: list[Event], own: dict[int, int], series: Series) -> Button:
    """« S'inscrire au cycle » while a session is missing; once on every one, one's state.

    A stale button still answers « déjà inscrit·e » (the core refuses the cycle)."""
    now = utcnow()
    ahead = [e for e in sessions if e.starts_at > now]
    if ahead and all(e.id in own for e in ahead):
        return (label("registered_cycle"), data("mine"))
    return (label("register_cycle"), data("cycle", series.code))


def _filter_label(session: Session, filters: Filters) -> str:
    if filters.theme_id:
        theme = session.get(Theme, filters.theme_id)
        return say("filter_theme", name=theme.name if theme else "?")
    if filters.network_id:
        network = session.get(Network, filters.network_id)
        return say("filter_network", name=network.name if network else "?")
    if filters.departement:
        return say("filter_departement", code=filters.departement)
    return ""


def events_page(
    session: Session, page_number: int, filters: Filters, person_id: int | None = None
) -> Reply:
    """A few cards, each with its register button, and next/previous/filter buttons."""
    query = {
        "theme_id": filters.theme_id,
        "network_id": filters.network_id,
        "departement_code": filters.departement,
    }
    total = len(events.upcoming(session, **query))  # type: ignore[arg-type]
    page_number = max(0, min(page_number, (total - 1) // PAGE_SIZE if total else 0))
    offset = page_number * PAGE_SIZE
    shown = events.upcoming(session, limit=PAGE_SIZE, offset=offset, **query)  # type: ignore[arg-type]
    navigation: list[Button] = []
    if page_number > 0:
        navigation.append((label("previous"), filters.data(page_number - 1)))
    if offset + PAGE_SIZE < total:
        navigation.append((label("next"), filters.data(page_number + 1)))
    tools: list[Button] = [(label("filter"), data("filters"))]
    if filters.active:
        tools.append((label("all"), Filters().data(0)))
    if not shown:
        return Reply(
            say("no_events", filtered=filters.active), [tools, [(label("menu"), data("menu"))]]
        )
    own = own_states(session, person_id, shown)
    buttons: list[list[Button]] = []
    for number, event in enumerate(shown, start=offset + 1):
        buttons.append(
            [
                _register_button(event, own.get(event.id or 0), f"{number}. "),
                (label("details", title=short(event.title, 24)), data("event", event.code)),
            ]
        )
    buttons += [row for row in (navigation, tools) if row]
    header = say(
        "events_header",
        filter_label=_filter_label(session, filters),
        first=offset + 1,
        last=offset + len(shown),
        total=total,
    )
    text = page(
        "events_page.html",
        header=trusted(header),
        cards=[trusted(card(session, event, own.get(event.id or 0))) for event in shown],
        offset=offset,
    )
    return Reply(text, buttons)


def event_detail(session: Session, event: Event, person_id: int | None = None) -> Reply:
    """One event with its description and the register button (deep links land here)."""
    series = session.get(Series, event.series_id) if event.series_id else None
    assert event.id is not None
    own = own_states(session, person_id, [event]).get(event.id)
    text = page(
        "event_detail.html",
        event=event,
        own=own,
        place=events.place_label(event),
        seats=events.seats_left(session, event),
        waiting=events.counts(session, event.id).waitlisted > 0,
        series=series,
        description=short(event.description, 1500),
        reserved_profiles=session.exec(
            select(Profile.name).where(
                col(Profile.id).in_(events.audience_profile_ids(session, event.id))
            )
        ).all(),
        members_of=session.exec(
            select(Network.name).where(col(Network.id).in_(events.network_ids(session, event.id)))
        ).all()
        if event.members_only
        else [],
    )
    buttons: list[list[Button]] = []
    if event.status == EventStatus.PUBLISHED:
        buttons.append([_register_button(event, own)])
    if series is not None:
        sessions = _published_sessions(session, series)
        buttons.append([_cycle_button(sessions, own_states(session, person_id, sessions), series)])
    buttons.append([(label("events"), Filters().data(0)), (label("menu"), data("menu"))])
    return Reply(text, buttons)


def series_detail(session: Session, series: Series, person_id: int | None = None) -> Reply:
    """A cycle's card: its sessions, each with the person's own state, and the cycle button."""
    sessions = _published_sessions(session, series)[:MAX_SESSIONS_SHOWN]
    own = own_states(session, person_id, sessions)
    text = page(
        "series_card.html",
        series=series,
        description=short(series.description, 1000),
        sessions=sessions,
        own=own,
    )
    return Reply(text, [[_cycle_button(sessions, own, series)], [(label("menu"), data("menu"))]])


def filter_menu() -> Reply:
    return Reply(
        say("filter_menu"),
        [
            [(label("by_theme"), data("filters.theme"))],
            [(label("by_network"), data("filters.network"))],
            [(label("by_departement"), data("filters.dep"))],
            [(label("all"), Filters().data(0))],
        ],
        edit=True,
    )


def _choices(prompt: str, choices: list[Button]) -> Reply:
    if not choices:
        return Reply(say("no_choice"), [[(label("back"), data("filters"))]], edit=True)
    rows = [choices[index : index + 2] for index in range(0, len(choices), 2)]
    return Reply(say(prompt), [*rows, [(label("back"), data("filters"))]], edit=True)


def theme_choices(session: Session) -> Reply:
    return _choices(
        "pick_theme",
        [
            (short(theme.name, 30), Filters(theme_id=theme.id).data(0))
            for theme in reference.themes(session)
        ],
    )


def network_choices(session: Session) -> Reply:
    networks = session.exec(select(Network).order_by(col(Network.name)).limit(40)).all()
    return _choices(
        "pick_network",
        [(short(network.name, 30), Filters(network_id=network.id).data(0)) for network in networks],
    )


def departement_choices(session: Session) -> Reply:
    """Only the départements that have a network: the others would list nothing."""
    codes = session.exec(
        select(Network.departement_code)
        .where(col(Network.departement_code).is_not(None))
        .distinct()
        .order_by(col(Network.departement_code))
    ).all()
    return _choices(
        "pick_departement",
        [(code, Filters(departement=code).data(0)) for code in codes if code],
    )
