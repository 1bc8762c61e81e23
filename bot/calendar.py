"""The calendar invitation sent as a document after a confirmed registration.

It is the core's invitation (:func:`relais.events.invitation.invitation_ics`: same
UID, ORGANIZER, ATTENDEE, SEQUENCE as the e-mail's), so the copy added from
Telegram and the one from the e-mail are the same calendar entry.
"""

from __future__ import annotations

from relais.events.invitation import invitation_ics
from relais.events.models import Event
from relais.people.models import Person


def invitation(event: Event, person: Person) -> tuple[str, bytes]:
    """(file name, content) of the .ics for ``person`` at ``event``."""
    return f"{event.code}.ics", invitation_ics(event, person)
