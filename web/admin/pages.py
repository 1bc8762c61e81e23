"""Tableau de bord, the events list, and one event with its registrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from relais import identifiers, plugins
from relais.errors import NotFound
from relais.events import listing
from relais.events import services as events
from relais.events.models import Event, EventStatus, Series
from relais.networks.models import Network
from relais.registrations import table
from relais.registrations.models import RegistrationStatus
from relais.roles.services import Action
from relais.timefmt import local, utcnow
from web import choices
from web.admin.base import Staff, page, require_event

STATUSES = {"brouillon": EventStatus.DRAFT, "publie": EventStatus.PUBLISHED,
            "annule": EventStatus.CANCELLED}  # fmt: skip
REGISTRATION_STATUSES = {"inscrit": RegistrationStatus.CONFIRMED,
                         "attente": RegistrationStatus.WAITLISTED,
                         "annule": RegistrationStatus.CANCELLED}  # fmt: skip


def panels(session: Session) -> dict[str, Any]:
    """What the channels add to the dashboard (the mailer: its queue and newsletter),
    through the ``panel`` of the wiring list: the web knows no other channel."""
    return {name: panel(session) for name, panel in plugins.panels()}


def networks_of(session: Session, staff: Staff) -> list[Network]:
    """The networks this coordinator may see, by name."""
    found = list(session.exec(select(Network).order_by(col(Network.name))))
    allowed = staff.grant.networks
    return [n for n in found if allowed is None or n.id in allowed]


def dashboard(request: Request, session: Session, staff: Staff) -> Response:
    coming = listing.find(session, staff.grant.networks, listing.EventFilters(), limit=12)
    return page(
        request, "dashboard.html", staff=staff, coming=coming, panels=panels(session),
        networks=networks_of(session, staff),
    )  # fmt: skip


def _event_filters(request: Request) -> tuple[listing.EventFilters, dict[str, str]]:
    query = request.query_params
    period = query.get("periode", "a-venir")
    chosen = {
        "periode": period if period in listing.PERIODS else "a-venir",
        "statut": query.get("statut", "") if query.get("statut", "") in STATUSES else "",
        "reseau": query.get("reseau", "")[:12],
        "q": query.get("q", "")[:100],
    }
    filters = listing.EventFilters(
        period=chosen["periode"],  # type: ignore[arg-type]
        status=STATUSES.get(chosen["statut"]),
        network_id=identifiers.parse(chosen["reseau"]),
        text=chosen["q"],
    )
    return filters, chosen


def cycles_of(session: Session, rows: list[listing.EventRow]) -> dict[int, Series]:
    """The cycles the listed sessions belong to, by id (one query)."""
    ids = {row.event.series_id for row in rows if row.event.series_id is not None}
    if not ids:
        return {}
    found = session.exec(select(Series).where(col(Series.id).in_(ids)))
    return {series.id: series for series in found if series.id is not None}


def event_list(request: Request, session: Session, staff: Staff) -> Response:
    filters, chosen = _event_filters(request)
    found = listing.find(session, staff.grant.networks, filters)
    cycles = cycles_of(session, found)
    grouped = [
        (series, [row for row in found if row.event.series_id == number])
        for number, series in sorted(cycles.items(), key=lambda item: item[1].title.lower())
    ]
    return page(
        request, "events.html", staff=staff, rows=found, chosen=chosen, cycles=cycles,
        grouped=grouped, networks=networks_of(session, staff),
        done=request.query_params.get("fait", ""),
    )  # fmt: skip


def event_id(request: Request) -> int:
    number = identifiers.parse(request.path_params["event"])
    if number is None:
        raise NotFound("event_not_found", code="?")
    return number


def checked_event(session: Session, staff: Staff, request: Request, action: Action) -> Event:
    """The event of the URL, once the role allows ``action`` on it (before it is read)."""
    number = event_id(request)
    require_event(session, staff, action, number)
    return events.get(session, number)


def table_filters(
    request: Request, allowed: frozenset[int] | None = None
) -> tuple[table.TableFilters, dict[str, str]]:
    """The table's filters from the query; a network outside ``allowed`` is not offered, so
    it is ignored (its members are none of a limited coordinator's business)."""
    query = request.query_params
    network = identifiers.parse(query.get("reseau", "")[:12])
    if network is not None and allowed is not None and network not in allowed:
        network = None
    chosen = {
        "q": query.get("q", "")[:100],
        "statut": query.get("statut", "")
        if query.get("statut", "") in REGISTRATION_STATUSES
        else "",
        "profil": query.get("profil", "")[:12],
        "departement": query.get("departement", "")[:3],
        "structure": query.get("structure", "")[:100],
        "reseau": str(network) if network is not None else "",
        "tri": query.get("tri", "statut") if query.get("tri", "") in table.SORTS else "statut",
        "ordre": "desc" if query.get("ordre") == "desc" else "asc",
    }
    filters = table.TableFilters(
        text=chosen["q"],
        status=REGISTRATION_STATUSES.get(chosen["statut"]),
        profile_id=identifiers.parse(chosen["profil"]),
        departement=chosen["departement"],
        structure=chosen["structure"],
        network_id=network,
        sort=chosen["tri"],
        descending=chosen["ordre"] == "desc",
    )
    return filters, chosen


def query_string(chosen: dict[str, str], **changes: str) -> str:
    """The table's filters as a query string (links to sort, export, come back)."""
    merged = {**chosen, **changes}
    return urlencode({key: value for key, value in merged.items() if value})


def short_date(moment: datetime) -> str:
    """« 30/11/2026 07:56 »: the long French date is too costly and too wide for 2,000 rows."""
    return local(moment).strftime("%d/%m/%Y %H:%M")


def event_page(request: Request, session: Session, staff: Staff) -> Response:
    event = checked_event(session, staff, request, Action.REGISTRATIONS)
    assert event.id is not None
    filters, chosen = table_filters(request, staff.grant.networks)
    lines = table.rows(session, event.id, filters)
    counts = events.counts(session, event.id)
    network_names = [
        n.name for n in session.exec(select(Network).where(col(Network.id).in_(
            events.network_ids(session, event.id))))
    ]  # fmt: skip
    return page(
        request, "event.html", 200, staff=staff, event=event, lines=lines, counts=counts,
        chosen=chosen, query=query_string(chosen), sort_link=lambda name: query_string(
            chosen, tri=name, ordre="desc" if chosen["tri"] == name and chosen["ordre"] == "asc"
            else "asc"),
        network_names=network_names, place=events.place_label(event), short_date=short_date,
        networks=networks_of(session, staff),
        invitable=event.status == EventStatus.PUBLISHED and event.starts_at > utcnow(),
        done=request.query_params.get("fait", ""), sent=request.query_params.get("envoyes", "")[:6],
        **choices.form_choices(session),
    )  # fmt: skip
