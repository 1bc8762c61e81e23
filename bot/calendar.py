"""The calendar invitation sent as a document after a confirmed registration.

The mail area owns real invitations (``mailer.calendar.invitation_ics``:
ORGANIZER, ATTENDEE, SEQUENCE…); until it is on main, this builds a minimal
one with the same UID rule so calendars merge both later.
"""

from __future__ import annotations

from urllib.parse import urlparse

from icalendar import Calendar
from icalendar import Event as VEvent

from relais.events.models import Event
from relais.events.services import place_label
from relais.people.models import Person
from relais.settings import get_settings
from relais.timefmt import utcnow


def invitation(event: Event, person: Person) -> tuple[str, bytes]:
    """(file name, content) of the .ics for ``person`` at ``event``."""
    return f"{event.code}.ics", _invitation_ics(event, person)


def _invitation_ics(event: Event, person: Person) -> bytes:
    settings = get_settings()
    host = urlparse(settings.public_base_url).hostname or "localhost"
    calendar = Calendar()
    calendar.add("prodid", "-//Relais//bot//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    vevent = VEvent()
    vevent.add("uid", f"event-{event.id}-{event.code}@{host}")
    vevent.add("dtstamp", utcnow())
    vevent.add("dtstart", event.starts_at)
    vevent.add("dtend", event.ends_at)
    vevent.add("summary", event.title)
    vevent.add("location", event.visio_url or place_label(event))
    vevent.add("sequence", event.sequence)
    calendar.add_component(vevent)
    return calendar.to_ical()
