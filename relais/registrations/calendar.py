"""A person's own calendar entry for one registration: the same ``.ics`` on every channel.

The e-mail's attachment, the bot's document and the « Télécharger l'invitation »
of « Mes inscriptions » are one entry in the person's calendar: same UID,
ORGANIZER, ATTENDEE and SEQUENCE. SEQUENCE is the person's own
(:func:`relais.events.invitation.person_sequence`): each earlier cancellation
of the registration adds two, so that registering again after a personal
CANCEL still outranks it. Cancellations are counted in the audit log, which
records each one in the cancelling transaction and is never purged.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from relais import db
from relais.audit import AuditEntry
from relais.errors import NotFound
from relais.events.invitation import Method, invitation_ics, person_sequence
from relais.events.models import Event
from relais.people.models import Person
from relais.registrations.models import Registration, RegistrationStatus

_AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]
#: Built once: the mailer asks it at every registration, under the write lock. Bounded by the
#: registration's creation so that a recent registration reads only recent entries.
_CANCELLATIONS = (
    sa.select(sa.func.count())
    .select_from(_AUDIT)
    .where(
        _AUDIT.c.action == "registration.cancelled",
        _AUDIT.c.target_type == "registration",
        _AUDIT.c.target_id == sa.bindparam("registration_id"),
        _AUDIT.c.at >= sa.bindparam("since"),
    )
)


def cancellation_round(session: Session, registration: Registration) -> int:
    """How many earlier placements of this registration were cancelled.

    The current placement's own cancellation (a cancelled registration) is not
    counted: its CANCEL answers the REQUEST of the same round. A registration still in
    its first placement (``queued_at`` is its ``created_at``, as set when it is created)
    has no earlier one, and most are: the audit log is read only for the others.
    """
    if registration.queued_at == registration.created_at:
        return 0
    params = {"registration_id": registration.id, "since": registration.created_at}
    count = int(db.execute(session, _CANCELLATIONS, params).scalar_one())
    if registration.status == RegistrationStatus.CANCELLED:
        return max(count - 1, 0)
    return count


def invitation(session: Session, registration: Registration, method: Method = "REQUEST") -> bytes:
    """The person's REQUEST (or CANCEL) for this registration, with their SEQUENCE."""
    event = session.get(Event, registration.event_id)
    person = session.get(Person, registration.person_id)
    if event is None or person is None:
        raise NotFound("registration_not_found")
    round_ = cancellation_round(session, registration)
    return invitation_ics(
        event, person, method=method, sequence=person_sequence(event, round_, method)
    )
