"""The calendar invitation sent as a document after a confirmed registration.

It is the mail area's invitation (``mailer.calendar.invitation_ics``: same UID,
ORGANIZER, ATTENDEE, SEQUENCE), so the copy added from Telegram and the one
from the e-mail are the same calendar entry.
"""

from __future__ import annotations

from mailer.calendar import invitation_ics
from relais.events.models import Event
from relais.people.models import Person


def invitation(event: Event, person: Person) -> tuple[str, bytes]:
    """(file name, content) of the .ics for ``person`` at ``event``."""
    return f"{event.code}.ics", invitation_ics(event, person)
