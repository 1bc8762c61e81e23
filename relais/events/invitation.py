"""Calendar invitations (iTIP, RFC 5546) for one person and one event.

The core's, because every channel sends the same entry: the e-mail's
attachment and the bot's document share UID, ORGANIZER, ATTENDEE and SEQUENCE.

A REQUEST adds or updates the entry in the person's calendar; a CANCEL with
the same UID and a higher SEQUENCE removes it. Gmail, Outlook and Apple Mail
show their own buttons only when ORGANIZER and ATTENDEE are present.
"""

from __future__ import annotations

from collections import OrderedDict
from email.utils import parseaddr
from typing import Any, Literal

import icalendar
from icalendar.parser import Contentline

from relais.events.ical import vevent
from relais.events.models import Event, EventStatus
from relais.people.models import Person
from relais.settings import get_settings
from relais.timefmt import utcnow

Method = Literal["REQUEST", "CANCEL"]
PRODID = "-//Relais//Invitations CRPV//FR"


def common_name(name: str) -> icalendar.vText:
    """A CN parameter every client shows as typed.

    A double quote can only be written with RFC 6868's caret (``^'``), which
    Outlook and others show literally: it becomes an apostrophe. Line breaks
    become spaces. Commas and semicolons stay, the value being quoted.
    """
    return icalendar.vText(" ".join(name.replace('"', "'").split()))


def organizer() -> icalendar.vCalAddress:
    """The CRPV (``MAIL_FROM``), the ORGANIZER of invitations and published files alike."""
    settings = get_settings()
    address = parseaddr(settings.mail_from)[1] or "relais@localhost"
    value = icalendar.vCalAddress(f"mailto:{address}")
    value.params["CN"] = common_name(settings.organisation_name)
    return value


def attendee(person: Person, method: Method = "REQUEST") -> icalendar.vCalAddress:
    """The person; RSVP only on a REQUEST (nobody answers a CANCEL, RFC 5546 §3.2.5)."""
    value = icalendar.vCalAddress(f"mailto:{person.email}")
    value.params["CN"] = common_name(person.full_name or str(person.email))
    value.params["CUTYPE"] = icalendar.vText("INDIVIDUAL")
    value.params["ROLE"] = icalendar.vText("REQ-PARTICIPANT")
    value.params["PARTSTAT"] = icalendar.vText("NEEDS-ACTION")
    if method == "REQUEST":
        value.params["RSVP"] = icalendar.vText("TRUE")
    return value


def default_sequence(event: Event, method: Method) -> int:
    """A personal CANCEL must outrank the last REQUEST; an event cancellation already did."""
    if method == "CANCEL" and event.status != EventStatus.CANCELLED:
        return event.sequence + 1
    return event.sequence


def person_sequence(event: Event, cancellation_round: int, method: Method) -> int:
    """SEQUENCE for one person: each earlier personal cancellation added two, so a new
    registration after a cancellation (event sequence + 1) still outranks it in the
    person's calendar. Every channel uses it (see :mod:`relais.registrations.calendar`)."""
    return default_sequence(event, method) + 2 * cancellation_round


def invitation_ics(
    event: Event,
    person: Person,
    *,
    method: Method = "REQUEST",
    sequence: int | None = None,
) -> bytes:
    """The ``.ics`` for ``person``: the visio link is included (they are registered).

    ``sequence`` is the person's (:func:`person_sequence`), so that it keeps rising
    across a cancellation followed by a new registration.
    """
    chosen = default_sequence(event, method) if sequence is None else sequence
    calendar = _shared_calendar(event, method, chosen)
    if not person.email:
        return calendar
    head, _, tail = calendar.rpartition(b"END:VEVENT\r\n")
    return head + _attendee_line(person, method) + b"END:VEVENT\r\n" + tail


def _cache_key(event: Event, method: Method, sequence: int) -> tuple[Any, ...]:
    """Everything the shared part depends on, and the minute (DTSTAMP stays recent)."""
    settings = get_settings()
    return (
        tuple(event.model_dump().items()), method, sequence,
        utcnow().replace(second=0, microsecond=0), settings.mail_from,
        settings.organisation_name, settings.public_base_url, settings.telegram_bot_username,
        settings.register_link,
    )  # fmt: skip


_shared: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
_SHARED_SIZE = 64


def _shared_calendar(event: Event, method: Method, sequence: int) -> bytes:
    """The invitation without its ATTENDEE: the same for everyone registered.

    Built once per event state and minute, so 10,000 confirmations do not
    build 10,000 calendars.
    """
    key = _cache_key(event, method, sequence)
    found = _shared.get(key)
    if found is None:
        found = _build_shared(event, method, sequence)
        _shared[key] = found
        if len(_shared) > _SHARED_SIZE:
            _shared.popitem(last=False)
    return found


def _build_shared(event: Event, method: Method, sequence: int) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    component = vevent(event, with_private_link=method == "REQUEST")
    component.pop("SEQUENCE")
    component.add("sequence", sequence)
    if method == "CANCEL":
        # RFC 5546 §3.2.5: STATUS:CANCELLED cancels the event for everyone; a person
        # removed from an event that still takes place gets a CANCEL without STATUS.
        component.pop("STATUS")
        if event.status == EventStatus.CANCELLED:
            component.add("status", "CANCELLED")
    component.add("organizer", organizer())
    calendar.add_component(component)
    return bytes(calendar.to_ical())


def _attendee_line(person: Person, method: Method) -> bytes:
    value = attendee(person, method)
    line = Contentline.from_parts("ATTENDEE", value.params, str(value), sorted=True)
    return bytes(line.to_ical()) + b"\r\n"
