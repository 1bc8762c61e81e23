"""Calendar invitations (iTIP, RFC 5546) for one person and one event.

A REQUEST adds or updates the entry in the person's calendar; a CANCEL with
the same UID and a higher SEQUENCE removes it. Gmail, Outlook and Apple Mail
show their own buttons only when ORGANIZER and ATTENDEE are present.
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import Literal

import icalendar

from relais.events.ical import vevent
from relais.events.models import Event, EventStatus
from relais.people.models import Person
from relais.settings import get_settings

Method = Literal["REQUEST", "CANCEL"]
PRODID = "-//Relais//Invitations CRPV//FR"


def organizer() -> icalendar.vCalAddress:
    settings = get_settings()
    address = parseaddr(settings.mail_from)[1] or "relais@localhost"
    value = icalendar.vCalAddress(f"mailto:{address}")
    value.params["CN"] = icalendar.vText(settings.organisation_name)
    return value


def attendee(person: Person) -> icalendar.vCalAddress:
    value = icalendar.vCalAddress(f"mailto:{person.email}")
    value.params["CN"] = icalendar.vText(person.full_name or str(person.email))
    value.params["CUTYPE"] = icalendar.vText("INDIVIDUAL")
    value.params["ROLE"] = icalendar.vText("REQ-PARTICIPANT")
    value.params["PARTSTAT"] = icalendar.vText("NEEDS-ACTION")
    value.params["RSVP"] = icalendar.vText("TRUE")
    return value


def default_sequence(event: Event, method: Method) -> int:
    """A personal CANCEL must outrank the last REQUEST; an event cancellation already did."""
    if method == "CANCEL" and event.status != EventStatus.CANCELLED:
        return event.sequence + 1
    return event.sequence


def invitation_ics(
    event: Event,
    person: Person,
    *,
    method: Method = "REQUEST",
    sequence: int | None = None,
) -> bytes:
    """The ``.ics`` for ``person``: the visio link is included (they are registered).

    ``sequence`` lets the mailer keep a person's sequence rising across a
    cancellation followed by a new registration.
    """
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    component = vevent(event, with_private_link=method == "REQUEST")
    component.pop("SEQUENCE")
    component.add("sequence", default_sequence(event, method) if sequence is None else sequence)
    if method == "CANCEL":
        component.pop("STATUS")
        component.add("status", "CANCELLED")
    component.add("organizer", organizer())
    if person.email:
        component.add("attendee", attendee(person))
    calendar.add_component(component)
    return calendar.to_ical()
