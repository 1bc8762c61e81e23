"""A coordinator registers someone by hand (a phone call): the web back office and
``relais registrations add`` both come here, so the person gets the usual
confirmation and invitation, the seat rules are the same, and the audit log
names the coordinator.

An address Relais already knows keeps its stored profile (the coordinator
may have misheard a detail); a new one is saved with the profile typed and
a consent recorded as given to that coordinator.
"""

from __future__ import annotations

from sqlmodel import Session

from relais.access.services import ProfileInput
from relais.people import services as people
from relais.people.models import ConsentPurpose
from relais.registrations import services as registrations
from relais.registrations.services import Outcome

SOURCE = "coordinateur"


def add(session: Session, event_id: int, profile: ProfileInput, actor: str) -> Outcome:
    """Register (or wait-list) the person with this address; RegistrationRefused otherwise."""
    person = people.by_email(session, profile.email)
    if person is None or person.erased_at is not None:
        person = people.save_profile(
            session, email=profile.email, first_name=profile.first_name,
            last_name=profile.last_name, organisation=profile.organisation,
            profile_id=profile.profile_id, structure_type_id=profile.structure_type_id,
            departement_code=profile.departement_code,
            phone=profile.phone, actor=actor,
        )  # fmt: skip
        assert person.id is not None
        people.record_consent(
            session, person.id, ConsentPurpose.REGISTRATION, channel=SOURCE,
            source=f"inscription par {actor}"[:200],
        )  # fmt: skip
    assert person.id is not None
    return registrations.register(session, event_id, person.id, source=SOURCE, actor=actor)
