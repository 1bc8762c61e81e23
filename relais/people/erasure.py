"""The right to erasure, across every capability that holds something about a person."""

from __future__ import annotations

from sqlmodel import Session, col, delete

from relais import audit, signals
from relais.access.models import PendingRegistration
from relais.networks.models import NetworkMember
from relais.people.models import Consent
from relais.people.services import get
from relais.registrations import services as registrations
from relais.satisfaction.services import forget_comments
from relais.timefmt import utcnow


def erase(session: Session, person_id: int, actor: str) -> None:
    """Remove personal data; what happened (past registrations, attendance) stays, anonymous.

    Upcoming registrations are cancelled first so their seats go to the waiting
    list. Profile, type of structure and département stay on the emptied row:
    they are what the statistics count, and alone they name nobody.
    """
    person = get(session, person_id)
    registrations.cancel_upcoming_for_person(session, person_id, actor)
    signals.emit(session, signals.PersonErased(person_id=person_id))
    if person.email:  # forms typed with the address, confirmed or waiting for their link
        session.exec(
            delete(PendingRegistration).where(col(PendingRegistration.email) == person.email)
        )  # type: ignore[call-overload]
    person.first_name = ""
    person.last_name = ""
    person.email = None
    person.phone = None
    person.telegram_id = None
    person.organisation_id = None
    person.erased_at = utcnow()
    person.updated_at = person.erased_at
    session.add(person)
    forget_comments(session, person_id)
    session.exec(delete(Consent).where(col(Consent.person_id) == person_id))  # type: ignore[call-overload]
    session.exec(delete(NetworkMember).where(col(NetworkMember.person_id) == person_id))  # type: ignore[call-overload]
    audit.record(session, actor, "person.erased", "person", person_id)
    session.flush()
