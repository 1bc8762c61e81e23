"""The calendar invitation sent as a document after a confirmed registration.

It is the core's invitation for the registration
(:func:`relais.registrations.calendar.invitation`: same UID, ORGANIZER, ATTENDEE
and the person's SEQUENCE as the e-mail's), so the copy added from Telegram and
the one from the e-mail are the same calendar entry.
"""

from __future__ import annotations

from sqlmodel import Session

from relais.events.invitation import Method
from relais.events.models import Event
from relais.registrations import calendar
from relais.registrations.models import Registration


def invitation(
    session: Session, registration: Registration, event: Event, method: Method = "REQUEST"
) -> tuple[str, bytes]:
    """(file name, content) of the person's .ics for this registration."""
    return f"{event.code}.ics", calendar.invitation(session, registration, method)
