"""An event as an RFC 5545 VEVENT, shared by e-mail invitations and the public feed.

Pure: reads the event and the settings, writes nothing. The UID is stable for
the life of the event so that every calendar client updates the same entry
when SEQUENCE rises; times are written in UTC so no VTIMEZONE is needed.
"""

from __future__ import annotations

from urllib.parse import urlparse

import icalendar

from relais.access import links
from relais.events.models import Event, EventStatus
from relais.settings import get_settings
from relais.templating import render_text
from relais.timefmt import as_utc, utcnow

_STATUS = {
    EventStatus.PUBLISHED: "CONFIRMED",
    EventStatus.DRAFT: "TENTATIVE",
    EventStatus.CANCELLED: "CANCELLED",
}


def event_uid(event: Event) -> str:
    """``event-{id}-{code}@{host}``: the same for every message about this event."""
    host = urlparse(get_settings().public_base_url).hostname or "relais.invalid"
    return f"event-{event.id}-{event.code}@{host}"


def event_id_from_uid(uid: str) -> tuple[int, str] | None:
    """The event id and code an invitation UID names, or None when it is not one of ours."""
    local, _, host = uid.strip().partition("@")
    ours = urlparse(get_settings().public_base_url).hostname or "relais.invalid"
    prefix, _, rest = local.partition("-")
    number, _, code = rest.partition("-")
    if prefix != "event" or host.lower() != ours.lower() or not number.isdigit() or not code:
        return None
    return int(number), code


def public_link(event: Event) -> str:
    """The bot deep link that registers to this event."""
    return links.event_telegram_link(event)


def location(event: Event) -> str:
    from relais.events.services import place_label

    return place_label(event)


def vevent(event: Event, *, with_private_link: bool) -> icalendar.Event:
    """The VEVENT; the visio link only when ``with_private_link`` (registered people)."""
    private = with_private_link and bool(event.visio_url)
    component = icalendar.Event()
    component.add("uid", event_uid(event))
    component.add("dtstamp", utcnow().replace(microsecond=0))
    component.add("dtstart", as_utc(event.starts_at))
    component.add("dtend", as_utc(event.ends_at))
    component.add("summary", event.title)
    component.add(
        "description",
        render_text(
            "mail/ical_description.txt",
            event=event,
            link=event.visio_url if private else "",
            public_link=public_link(event),
        ).strip(),
    )
    component.add("location", location(event))
    component.add("url", event.visio_url if private else public_link(event))
    component.add("sequence", event.sequence)
    component.add("status", _STATUS[event.status])
    component.add("transp", "OPAQUE")
    return component
