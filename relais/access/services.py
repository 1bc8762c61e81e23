"""Registering and managing one's registrations from an e-mail address alone.

The rule that protects people: typing an address never lets anyone read or
change what Relais stores about its owner, nor learn that Relais knows it.

* A new address registers at once: the profile typed is saved with the
  consent, the seat is taken, and the usual confirmation (with the
  invitation and the « Mes inscriptions » link) goes to that address.
* A known address holds nothing and changes nothing: a link goes to that
  address, and only following it takes the seat, with the profile already
  stored.

Both answer the same « look in your mailbox », so the page says nothing about
the address. Refusals that do not depend on the person (full, closed,
deadline, audience of the profile typed) are answered at once, for everybody.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from relais import identifiers, signals
from relais.access import tokens
from relais.db import is_postgresql
from relais.errors import NotFound
from relais.events import services as events
from relais.events.models import Event, Series
from relais.people import services as people
from relais.people.models import ConsentPurpose, Person
from relais.registrations import services as registrations
from relais.registrations.services import Outcome
from relais.settings import get_settings
from relais.timefmt import utcnow

CONFIRM_VALIDITY = timedelta(days=2)
TargetKind = Literal["e", "s"]


@dataclass(frozen=True)
class Target:
    """What a person registers to: one event (``e``) or every session of a cycle (``s``)."""

    kind: TargetKind
    id: int

    @property
    def key(self) -> str:
        return f"{self.kind}{self.id}"


@dataclass(frozen=True)
class ProfileInput:
    """The profile typed in a form, already cleaned by the channel's form checks."""

    email: str
    first_name: str
    last_name: str
    organisation: str
    profile_id: int
    departement_code: str
    phone: str | None = None
    structure_type_id: int | None = None


def manage_validity() -> timedelta:
    return timedelta(days=get_settings().manage_link_days)


def manage_url(person: Person) -> str:
    """The « Mes inscriptions » page of this person, valid ``MANAGE_LINK_DAYS`` days."""
    assert person.id is not None and person.email
    token = tokens.make("manage", str(person.id), person.email, manage_validity())
    return f"{get_settings().public_base_url}/mes-inscriptions/{token}"


def person_from(session: Session, purpose: tokens.Purpose, token: str) -> Person | None:
    """The person a genuine link belongs to, or None; raises ``tokens.Expired`` when too old."""
    claimed = tokens.subject(token)
    if claimed is None:
        return None
    person_part = claimed.split("-", 1)[0]
    person_id = identifiers.parse(person_part)
    if person_id is None:
        return None
    person = session.get(Person, person_id)
    if person is None or person.erased_at is not None or not person.email:
        return None
    return person if tokens.verify(purpose, token, person.email) else None


def request_manage_link(session: Session, email: str) -> None:
    """Mail the « Mes inscriptions » link if the address is known; silently nothing otherwise."""
    person = people.by_email(session, people.normalize_email(email))
    if person is None or person.erased_at is not None or person.id is None:
        return
    signals.emit(session, signals.AccessLinkRequested(person.id, manage_url(person)))


def confirm_url(person: Person, target: Target) -> str:
    assert person.id is not None and person.email
    token = tokens.make("confirm", f"{person.id}-{target.key}", person.email, CONFIRM_VALIDITY)
    return f"{get_settings().public_base_url}/inscription/confirmer/{token}"


def target_of(token: str) -> Target | None:
    """The event or cycle a confirmation token names (it still has to be verified)."""
    claimed = tokens.subject(token) or ""
    _person, _, key = claimed.partition("-")
    number = identifiers.parse(key[1:])
    if key[:1] not in ("e", "s") or number is None:
        return None
    return Target("e" if key[0] == "e" else "s", number)


def sessions_of(session: Session, target: Target) -> list[Event]:
    """The events a target registers to (upcoming sessions for a cycle)."""
    if target.kind == "e":
        return [events.get(session, target.id)]
    now = utcnow()
    found = [e for e in events.series_sessions(session, target.id) if e.starts_at > now]
    if not found:
        raise NotFound("series_not_found", code=str(target.id))
    return found


def check_open(session: Session, target: Target, profile_id: int | None) -> None:
    """Refusals anyone would get, whoever they are (RegistrationRefused)."""
    now = utcnow()
    for event in sessions_of(session, target):
        registrations.check_event_open(session, event, now, profile_id)


def register(session: Session, target: Target, person_id: int, source: str) -> list[Outcome]:
    """The core registration, for one event or a whole cycle."""
    if target.kind == "e":
        return [registrations.register(session, target.id, person_id, source=source)]
    return registrations.register_series(session, target.id, person_id, source=source)


def register_by_address(
    session: Session, target: Target, profile: ProfileInput, *, channel: str
) -> None:
    """Register a new address at once, or mail a confirmation link to a known one.

    Raises RegistrationRefused (nothing written) when the registration cannot
    be taken, the same for a new or a known address as far as possible: a new
    address meets the same checks inside the core registration, which rolls
    the new person back with everything else.
    """
    known = people.id_by_email(session, profile.email)
    person = None if known is not None else _create(session, profile, channel)
    if person is None:
        check_open(session, target, profile.profile_id)
        _send_confirmation(session, profile.email, target)
        return
    assert person.id is not None
    people.record_consent(
        session,
        person.id,
        ConsentPurpose.REGISTRATION,
        channel=channel,
        source=f"{channel}; notice: {get_settings().privacy_url or '-'}",
    )
    register(session, target, person.id, channel)


def _create(session: Session, profile: ProfileInput, channel: str) -> Person | None:
    """The new person, or None when the same address was saved meanwhile (then it is known).

    Only PostgreSQL needs the savepoint: on SQLite the transaction holds the
    database's write lock since its first statement, so nobody saves meanwhile.
    """
    guard = session.begin_nested() if is_postgresql(session) else nullcontext()
    try:
        with guard:
            return people.save_profile(
                session,
                email=profile.email,
                first_name=profile.first_name,
                last_name=profile.last_name,
                organisation=profile.organisation,
                profile_id=profile.profile_id,
                structure_type_id=profile.structure_type_id,
                departement_code=profile.departement_code,
                phone=profile.phone,
                actor=channel,
                new=True,
            )
    except IntegrityError:
        return None


def _send_confirmation(session: Session, email: str, target: Target) -> None:
    """A known address: only a link to that address, which takes the seat when followed."""
    known = people.by_email(session, email)
    if known is None or known.id is None:
        return
    url = confirm_url(known, target)
    event_id = target.id if target.kind == "e" else None
    series_id = target.id if target.kind == "s" else None
    signals.emit(session, signals.RegistrationLinkRequested(known.id, url, event_id, series_id))


def title_of(session: Session, target: Target) -> str:
    if target.kind == "e":
        return events.get(session, target.id).title
    series = session.get(Series, target.id)
    if series is None:
        raise NotFound("series_not_found", code=str(target.id))
    return series.title
