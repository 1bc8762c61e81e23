"""Peer networks and their members."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from relais import audit, identifiers
from relais.errors import InvalidInput, NotFound
from relais.networks.models import Network, NetworkMember
from relais.people import services as people
from relais.people.models import Person


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40]


def create(
    session: Session,
    name: str,
    actor: str,
    *,
    code: str | None = None,
    departement_code: str | None = None,
    description: str = "",
) -> Network:
    clean = " ".join(name.split())
    if not 3 <= len(clean) <= 200:
        raise InvalidInput("network_name_invalid")
    network_code = slugify(code or clean)
    taken = session.exec(
        select(Network).where((Network.name == clean) | (Network.code == network_code))
    ).first()
    if taken is not None:
        raise InvalidInput("network_exists", name=clean)
    network = Network(
        code=network_code, name=clean, departement_code=departement_code, description=description
    )
    session.add(network)
    session.flush()
    audit.record(session, actor, "network.created", "network", network.id, name=clean)
    return network


def lookup(session: Session, reference: str) -> Network:
    """A network by its code, its exact name or its number."""
    text = reference.strip()
    query = select(Network).where((Network.code == text.lower()) | (Network.name == text))
    number = identifiers.parse(text, minimum=1)
    if number is not None:
        query = select(Network).where(Network.id == number)
    network = session.exec(query).first()
    if network is None:
        raise NotFound("network_not_found", name=text[:60])
    return network


def all_with_counts(session: Session) -> list[tuple[Network, int]]:
    rows = session.exec(
        select(Network, func.count(col(NetworkMember.person_id)))
        .join(NetworkMember, col(NetworkMember.network_id) == Network.id, isouter=True)
        .group_by(col(Network.id))
        .order_by(col(Network.name))
    ).all()
    return [(network, number) for network, number in rows]


def add_member(session: Session, network_id: int, person_id: int, actor: str) -> bool:
    """Add a member; False when already one (adding twice is harmless)."""
    if session.get(NetworkMember, (network_id, person_id)) is not None:
        return False
    session.add(NetworkMember(network_id=network_id, person_id=person_id))
    session.flush()
    audit.record(session, actor, "network.member_added", "network", network_id, person=person_id)
    return True


def members(session: Session, network_id: int) -> list[Person]:
    return list(
        session.exec(
            select(Person)
            .join(NetworkMember, col(NetworkMember.person_id) == Person.id)
            .where(NetworkMember.network_id == network_id, col(Person.erased_at).is_(None))
            .order_by(col(Person.last_name), col(Person.first_name))
        )
    )


def remove_member(session: Session, network_id: int, person_id: int, actor: str) -> bool:
    """Take someone out of a network; False when they were not a member.

    Invitations already sent stay recorded (nobody is invited twice to the same
    event even if they come back).
    """
    member = session.get(NetworkMember, (network_id, person_id))
    if member is None:
        return False
    session.delete(member)
    session.flush()
    audit.record(session, actor, "network.member_removed", "network", network_id, person=person_id)
    return True


SEPARATORS = re.compile(r"[\s,;]+")
#: Addresses read from one paste (a network is a few dozen people; more is a mistake).
MAX_ADDRESSES = 500


@dataclass(frozen=True)
class AddReport:
    """What adding members by their addresses did, name by name, for the coordinator."""

    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def add_by_emails(session: Session, network_id: int, text: str, actor: str) -> AddReport:
    """Add the people known by the addresses in ``text`` (spaces, commas, semicolons, lines).

    Nobody is created: an address nobody registered with is reported as unknown.
    """
    report = AddReport()
    for raw in [part for part in SEPARATORS.split(text) if part][:MAX_ADDRESSES]:
        try:
            address = people.normalize_email(raw)
        except InvalidInput:
            report.invalid.append(raw[:60])
            continue
        person = people.by_email(session, address)
        if person is None or person.id is None or person.erased_at is not None:
            report.unknown.append(address)
        elif add_member(session, network_id, person.id, actor):
            report.added.append(person.full_name)
        else:
            report.already.append(person.full_name)
    return report


def find_members(session: Session, network_id: int, text: str, limit: int) -> list[Person]:
    """Members whose name or address contains every word of ``text``, at most ``limit``."""
    query = (
        select(Person)
        .join(NetworkMember, col(NetworkMember.person_id) == Person.id)
        .where(NetworkMember.network_id == network_id, col(Person.erased_at).is_(None))
    )
    for word in text.split()[:5]:
        typed = word.lower()[:60].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{typed}%"
        query = query.where(
            func.lower(Person.last_name).like(pattern, escape="\\")
            | func.lower(Person.first_name).like(pattern, escape="\\")
            | func.lower(func.coalesce(Person.email, "")).like(pattern, escape="\\")
        )
    order = (col(Person.last_name), col(Person.first_name), col(Person.id))
    return list(session.exec(query.order_by(*order).limit(limit)))


def member_count(session: Session, network_id: int) -> int:
    """How many members :func:`members` lists (erased people left out)."""
    return session.exec(
        select(func.count())
        .select_from(NetworkMember)
        .join(Person, col(Person.id) == col(NetworkMember.person_id))
        .where(col(NetworkMember.network_id) == network_id, col(Person.erased_at).is_(None))
    ).one()
