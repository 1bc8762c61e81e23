"""Peer networks and their members."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func
from sqlmodel import Session, col, select

from relais import audit, identifiers
from relais.errors import InvalidInput, NotFound
from relais.networks.models import Network, NetworkMember
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
