"""An event as an RFC 5545 VEVENT, shared by e-mail invitations and the public feed.

Pure: reads the event and the settings, writes nothing. The UID is stable for
the life of the event so that every calendar client updates the same entry
when SEQUENCE rises; times are written in UTC so no VTIMEZONE is needed.
"""

from __future__ import annotations

import icalendar

from relais.access import links
from relais.events.models import Event, EventStatus
from relais.templating import render_text
from relais.timefmt import as_utc, utcnow

_STATUS = {
    EventStatus.PUBLISHED: "CONFIRMED",
    EventStatus.DRAFT: "TENTATIVE",
    EventStatus.CANCELLED: "CANCELLED",
}


#: The domain part of every UID Relais writes. Constant on purpose: a UID made from
#: ``PUBLIC_BASE_URL`` changed with it (from the default to the real domain), which
#: orphaned every calendar entry and every answer. The id and the random event code
#: make the UID unique; nothing secret goes into it.
UID_DOMAIN = "relais"


def event_uid(event: Event) -> str:
    """``event-{id}-{code}@relais``: the same for every message about this event, whatever
    the settings say."""
    return f"event-{event.id}-{event.code}@{UID_DOMAIN}"


def event_id_from_uid(uid: str) -> tuple[int, str] | None:
    """The event id and code an invitation UID names, or None when it is not one of ours.

    Invitations sent before the UID became constant end in the host of the
    ``PUBLIC_BASE_URL`` of the time (``@localhost``, ``@relais.invalid``…), perhaps
    not today's: any host is accepted, as the caller checks the code against the event.
    """
    local, at, host = uid.strip().partition("@")
    prefix, _, rest = local.partition("-")
    number, _, code = rest.partition("-")
    if prefix != "event" or not at or not host or not number.isdigit() or not code:
        return None
    return int(number), code


def public_link(event: Event) -> str:
    """Where the calendar entry leads to register: the event's page (or the bot, with
    ``REGISTER_LINK=telegram``), as in the e-mails."""
    return links.register_link(event)


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
