"""Registering and managing one's registrations from an e-mail address alone.

The rule that protects people: typing an address never lets anyone read or
change what Relais stores about its owner, nor learn that Relais knows it,
nor take a seat or store a profile in the owner's name.

So a registration typed on the web holds nothing until the owner of the
address follows the link mailed to it, whether the address is known or not:

* a known address: the link takes the seat with the profile already stored;
* a new address: what was typed waits in a :class:`PendingRegistration`, and
  the link saves the person with the consent, then takes the seat.

Both do the same work and answer the same « look in your mailbox », so
neither the page, its timing nor the seats left say anything about the
address. Refusals that do not depend on the person (full without waiting
list, closed, deadline, audience of the profile typed) are answered at once,
for everybody.
"""

from __future__ import annotations

import secrets
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy import bindparam, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from relais import db, identifiers, signals
from relais.access import tokens
from relais.access.models import PendingRegistration
from relais.db import is_postgresql
from relais.errors import InvalidInput, NotFound
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


def confirm_url(subject: str, email: str) -> str:
    """The link that registers: ``<person id>-<target>`` or ``n<pending id>-<target>``."""
    token = tokens.make("confirm", subject, email, CONFIRM_VALIDITY)
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
    """The events a target registers to (for a cycle, its published sessions to come)."""
    if target.kind == "e":
        return [events.get(session, target.id)]
    found = events.sessions_to_register(session, target.id, utcnow())
    if not found:
        raise NotFound("series_not_found", code=str(target.id))
    return found


def full_sessions(session: Session, target: Target) -> list[Event]:
    """The sessions where a registration now would go on the waiting list (said before)."""
    return [e for e in sessions_of(session, target) if events.seats_left(session, e) == 0]


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
    """Mail the owner of the address the link that registers them (module rule).

    Raises RegistrationRefused (nothing written) when nobody could register.
    """
    check_open(session, target, profile.profile_id)
    known = people.id_by_email(session, profile.email)
    if known is not None:
        url = confirm_url(f"{known}-{target.key}", profile.email)
        _mail_link(session, target, url, person_id=known)
        return
    pending = PendingRegistration(
        key=secrets.token_hex(8), email=profile.email, first_name=profile.first_name,
        last_name=profile.last_name, organisation=profile.organisation,
        profile_id=profile.profile_id, structure_type_id=profile.structure_type_id,
        departement_code=profile.departement_code, phone=profile.phone or "",
        target=target.key, channel=channel,
    )  # fmt: skip
    session.add(pending)
    session.flush()
    url = confirm_url(f"n{pending.key}-{target.key}", pending.email)
    _mail_link(session, target, url, pending_id=pending.id)


def _mail_link(
    session: Session, target: Target, url: str, *,
    person_id: int | None = None, pending_id: int | None = None,
) -> None:  # fmt: skip
    event_id = target.id if target.kind == "e" else None
    series_id = target.id if target.kind == "s" else None
    signals.emit(session, signals.RegistrationLinkRequested(
        person_id, url, event_id, series_id, pending_id=pending_id))  # fmt: skip


def forget_expired(session: Session) -> int:
    """Typed registrations nobody confirmed in time are deleted (RGPD: kept no longer than
    the link lives); the mailer's scheduler calls this every hour."""
    result = db.execute(session, _EXPIRED, {"before": utcnow() - CONFIRM_VALIDITY})
    return int(getattr(result, "rowcount", 0) or 0)


_EXPIRED = delete(PendingRegistration).where(
    col(PendingRegistration.created_at) < bindparam("before")
)
_BY_KEY = select(PendingRegistration).where(col(PendingRegistration.key) == bindparam("key"))


def confirming(session: Session, token: str) -> Person | PendingRegistration | None:
    """Who a genuine confirmation link stands for: a known person, or a typed registration;
    None for anything else; raises ``tokens.Expired`` when too old."""
    claimed = tokens.subject(token) or ""
    if not claimed.startswith("n"):
        return person_from(session, "confirm", token)
    key, _, target = claimed[1:].partition("-")
    pending = session.exec(_BY_KEY, params={"key": key}).first()
    if pending is None or pending.target != target:
        return None
    return pending if tokens.verify("confirm", token, pending.email) else None


def confirm_pending(
    session: Session, pending: PendingRegistration, target: Target
) -> tuple[Person, list[Outcome]]:
    """The owner followed the link: the person (saved now with the consent, unless the
    address became known meanwhile, whose stored profile then stays as it is) is registered.

    The typed profile is then emptied from the waiting row, which stays only to answer
    a second click; raises InvalidInput once already confirmed.
    """
    if pending.confirmed_at is not None:
        raise InvalidInput("registration_already_confirmed")
    person = _create(session, pending)
    if person is None:
        person = people.by_email(session, pending.email)
        assert person is not None
    else:
        assert person.id is not None
        people.record_consent(
            session, person.id, ConsentPurpose.REGISTRATION, channel=pending.channel,
            source=f"{pending.channel}; notice: {get_settings().privacy_url or '-'}",
        )  # fmt: skip
    assert person.id is not None
    outcomes = register(session, target, person.id, pending.channel)
    pending.confirmed_at = utcnow()
    pending.first_name = pending.last_name = pending.organisation = pending.phone = ""
    session.add(pending)
    session.flush()
    return person, outcomes


def _create(session: Session, pending: PendingRegistration) -> Person | None:
    """The new person, or None when the address is known (saved meanwhile, maybe by another
    link followed at the same moment).

    Only PostgreSQL needs the savepoint: on SQLite the transaction holds the
    database's write lock since its first statement, so nobody saves meanwhile.
    """
    if people.id_by_email(session, pending.email) is not None:
        return None
    guard = session.begin_nested() if is_postgresql(session) else nullcontext()
    try:
        with guard:
            return people.save_profile(
                session, email=pending.email, first_name=pending.first_name,
                last_name=pending.last_name, organisation=pending.organisation,
                profile_id=pending.profile_id, structure_type_id=pending.structure_type_id,
                departement_code=pending.departement_code or None, phone=pending.phone or None,
                actor=pending.channel, new=True,
            )  # fmt: skip
    except IntegrityError:
        return None


def title_of(session: Session, target: Target) -> str:
    if target.kind == "e":
        return events.get(session, target.id).title
    series = session.get(Series, target.id)
    if series is None:
        raise NotFound("series_not_found", code=str(target.id))
    return series.title
