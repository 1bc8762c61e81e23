"""Roles and the permission check every admin action makes at the moment it runs.

A menu opened yesterday proves nothing: each command, each button and each
step of a conversation calls :func:`require` in the transaction that does the
work, so a revoked coordinator is stopped at the next tap. The refusal is the
same sentence whatever the reason, so it reveals nothing (not even whether an
event exists).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlmodel import Session, col, select

from relais import audit, identifiers
from relais.db import session_scope
from relais.errors import DomainError, InvalidInput, NotFound
from relais.events import services as events
from relais.networks import services as networks
from relais.networks.models import Network
from relais.people.services import by_telegram, normalize_email
from relais.roles.models import Role, RoleEmail, RoleEmailNetwork, RoleGrant, RoleNetwork
from relais.settings import get_settings


class Action(enum.StrEnum):
    """What an admin does; a network-limited coordinator does it only on their networks."""

    MENU = "menu"
    EVENT_CREATE = "event.create"
    EVENT_EDIT = "event.edit"
    REGISTRATIONS = "registrations"
    INVITE = "network.invite"
    BROADCAST = "broadcast"
    NETWORKS = "networks"
    ROLES = "roles"
    REFERENCE = "reference"
    NEWSLETTER = "newsletter"


ADMINISTRATOR_ONLY = frozenset({Action.ROLES})
#: Shared by every network (the reference lists, the newsletter and its subscribers):
#: not for a coordinator limited to some.
WHOLE_CRPV_ONLY = frozenset({Action.REFERENCE, Action.NEWSLETTER})


class PermissionDenied(DomainError):
    """Shown as « Commande réservée aux coordinateurs. », whatever the reason."""

    def __init__(self) -> None:
        super().__init__("admin_forbidden")


@dataclass(frozen=True)
class Grant:
    """A role as the checks see it: ``networks`` is None when not limited."""

    telegram_id: int
    role: Role
    networks: frozenset[int] | None
    from_settings: bool = False
    email: str | None = None


@dataclass(frozen=True)
class RoleView:
    """A line of ``relais admin list``."""

    telegram_id: int
    role: Role
    network_names: list[str]
    from_settings: bool
    person_name: str


def actor(telegram_id: int) -> str:
    """How the audit log names an admin acting from Telegram."""
    return f"telegram:{telegram_id}"


def grant_of(session: Session, telegram_id: int) -> Grant | None:
    """The role of this Telegram account now, read from the settings and the table."""
    if telegram_id in get_settings().admin_telegram_ids:
        return Grant(telegram_id, Role.ADMINISTRATOR, None, from_settings=True)
    row = session.get(RoleGrant, telegram_id)
    if row is None:
        return None
    if row.role == Role.ADMINISTRATOR:
        return Grant(telegram_id, Role.ADMINISTRATOR, None)
    limited = frozenset(
        session.exec(select(RoleNetwork.network_id).where(RoleNetwork.telegram_id == telegram_id))
    )
    return Grant(telegram_id, Role.COORDINATOR, limited or None)


def _allowed(grant: Grant | None, action: Action, network_id: int | None) -> Grant:
    """The one rule every channel applies, whoever the caller is."""
    if grant is None:
        raise PermissionDenied()
    if action in ADMINISTRATOR_ONLY and grant.role != Role.ADMINISTRATOR:
        raise PermissionDenied()
    if action in WHOLE_CRPV_ONLY and grant.networks is not None:
        raise PermissionDenied()
    if network_id is not None and grant.networks is not None and network_id not in grant.networks:
        raise PermissionDenied()
    return grant


def _allowed_event(session: Session, grant: Grant, event_id: int) -> Grant:
    if grant.networks is None:
        return grant
    targeted = set(events.network_ids(session, event_id))
    if not targeted & grant.networks:
        raise PermissionDenied()
    return grant


def require(
    session: Session, telegram_id: int, action: Action, network_id: int | None = None
) -> Grant:
    """The caller's grant, or :class:`PermissionDenied` if they may not do ``action``."""
    return _allowed(grant_of(session, telegram_id), action, network_id)


def require_event(session: Session, telegram_id: int, action: Action, event_id: int) -> Grant:
    """Like :func:`require`, for an event: a limited coordinator needs one of its networks.

    The role is checked before the event is looked up, so a stranger cannot
    probe which events exist.
    """
    return _allowed_event(session, require(session, telegram_id, action), event_id)


def principal_of_telegram(telegram_id: int) -> str:
    """How a browser session names a coordinator known by Telegram (also the audit actor)."""
    return actor(telegram_id)


def principal_of_email(email: str) -> str:
    return f"email:{email.lower()}"


def grant_of_email(session: Session, email: str) -> Grant | None:
    """The role given to this address now (``relais admin grant --email``)."""
    row = session.get(RoleEmail, email.lower())
    if row is None:
        return None
    if row.role == Role.ADMINISTRATOR:
        return Grant(0, Role.ADMINISTRATOR, None, email=row.email)
    limited = frozenset(
        session.exec(select(RoleEmailNetwork.network_id).where(RoleEmailNetwork.email == row.email))
    )
    return Grant(0, Role.COORDINATOR, limited or None, email=row.email)


def grant_of_principal(session: Session, principal: str) -> Grant | None:
    """The role now of ``telegram:<id>`` or ``email:<address>``, read in the caller's transaction."""
    kind, _, value = principal.partition(":")
    if kind == "telegram":
        number = identifiers.parse(value, maximum=identifiers.MAX_TELEGRAM_ID)
        return grant_of(session, number) if number is not None else None
    if kind == "email" and value:
        return grant_of_email(session, value)
    return None


def require_principal(
    session: Session, principal: str, action: Action, network_id: int | None = None
) -> Grant:
    """:func:`require` for a browser session: the role is read again at every request."""
    return _allowed(grant_of_principal(session, principal), action, network_id)


def require_principal_event(
    session: Session, principal: str, action: Action, event_id: int
) -> Grant:
    """:func:`require_event` for a browser session."""
    return _allowed_event(session, require_principal(session, principal, action), event_id)


def visible_network_ids(session: Session, telegram_id: int) -> frozenset[int] | None:
    """The networks this admin may see (None: all); raises when not an admin at all."""
    return require(session, telegram_id, Action.MENU).networks


def record_denied(telegram_id: int, action: str) -> None:
    """Audit a refused attempt in its own transaction (the refused one rolls back)."""
    with session_scope() as session:
        audit.record(
            session, actor(telegram_id), "admin.denied", "telegram", None, attempted=action
        )


def grant(
    session: Session,
    telegram_id: int,
    role: Role,
    by: str,
    network_refs: list[str] | None = None,
) -> RoleGrant:
    """Give (or change) a role; a coordinator may be limited to some networks."""
    if telegram_id <= 0:
        raise InvalidInput("admin_telegram_id_invalid", value=telegram_id)
    if telegram_id in get_settings().admin_telegram_ids:
        raise InvalidInput("admin_role_from_settings", telegram_id=telegram_id)
    limited = _limiting_networks(session, role, network_refs)
    row = session.get(RoleGrant, telegram_id)
    if row is None:
        row = RoleGrant(telegram_id=telegram_id, role=role, granted_by=by[:80])
    row.role = role
    row.granted_by = by[:80]
    session.add(row)
    session.flush()
    _replace_networks(session, telegram_id, [n.id for n in limited if n.id is not None])
    audit.record(
        session, by, "role.granted", "telegram", None,
        telegram_id=telegram_id, role=role.value, networks=[n.code for n in limited],
    )  # fmt: skip
    return row


def _limiting_networks(session: Session, role: Role, refs: list[str] | None) -> list[Network]:
    """The networks a coordinator is limited to; an administrator sees them all, so none."""
    limited = [networks.lookup(session, ref) for ref in refs or []]
    if limited and role == Role.ADMINISTRATOR:
        raise InvalidInput("admin_role_networks")
    return limited


def _replace_networks(session: Session, telegram_id: int, network_ids: list[int]) -> None:
    for old in session.exec(select(RoleNetwork).where(RoleNetwork.telegram_id == telegram_id)):
        session.delete(old)
    session.flush()
    for network_id in sorted(set(network_ids)):
        session.add(RoleNetwork(telegram_id=telegram_id, network_id=network_id))
    session.flush()


def revoke(session: Session, telegram_id: int, by: str) -> None:
    """Take a role away; administrators from ``ADMIN_TELEGRAM_IDS`` are changed in .env."""
    if telegram_id in get_settings().admin_telegram_ids:
        raise InvalidInput("admin_role_from_settings", telegram_id=telegram_id)
    row = session.get(RoleGrant, telegram_id)
    if row is None:
        raise NotFound("admin_role_not_found", telegram_id=telegram_id)
    _replace_networks(session, telegram_id, [])
    session.delete(row)
    session.flush()
    audit.record(session, by, "role.revoked", "telegram", None, telegram_id=telegram_id)


def list_roles(session: Session) -> list[RoleView]:
    """Everyone with a role: first those from the settings, then the table."""
    names = {n.id: n.name for n in session.exec(select(Network))}
    views = [
        RoleView(tid, Role.ADMINISTRATOR, [], True, _person_name(session, tid))
        for tid in get_settings().admin_telegram_ids
    ]
    for row in session.exec(select(RoleGrant).order_by(col(RoleGrant.telegram_id))):
        limited = session.exec(
            select(RoleNetwork.network_id).where(RoleNetwork.telegram_id == row.telegram_id)
        ).all()
        network_names = sorted(names[n] for n in limited)
        person = _person_name(session, row.telegram_id)
        views.append(RoleView(row.telegram_id, row.role, network_names, False, person))
    return views


def _person_name(session: Session, telegram_id: int) -> str:
    person = by_telegram(session, telegram_id)
    return person.full_name if person is not None else ""


def grant_email(
    session: Session, email: str, role: Role, by: str, network_refs: list[str] | None = None
) -> RoleEmail:
    """Give (or change) the role of an address: it may then sign in to the web back office."""
    address = normalize_email(email)
    limited = _limiting_networks(session, role, network_refs)
    row = session.get(RoleEmail, address)
    if row is None:
        row = RoleEmail(email=address, role=role, granted_by=by[:80])
    row.role = role
    row.granted_by = by[:80]
    session.add(row)
    session.flush()
    for old in session.exec(select(RoleEmailNetwork).where(RoleEmailNetwork.email == address)):
        session.delete(old)
    session.flush()
    for network_id in sorted({n.id for n in limited if n.id is not None}):
        session.add(RoleEmailNetwork(email=address, network_id=network_id))
    session.flush()
    audit.record(
        session, by, "role.granted", "email", None,
        email=address, role=role.value, networks=[n.code for n in limited],
    )  # fmt: skip
    return row


def revoke_email(session: Session, email: str, by: str) -> None:
    """Take an address's role away; its open back-office sessions stop at the next request."""
    address = email.strip().lower()
    row = session.get(RoleEmail, address)
    if row is None:
        raise NotFound("admin_email_role_not_found", email=address[:80])
    for old in session.exec(select(RoleEmailNetwork).where(RoleEmailNetwork.email == address)):
        session.delete(old)
    session.flush()
    session.delete(row)
    session.flush()
    audit.record(session, by, "role.revoked", "email", None, email=address)


def list_email_roles(session: Session) -> list[tuple[RoleEmail, list[str]]]:
    """Addresses with a role, and the names of the networks each is limited to."""
    names = {n.id: n.name for n in session.exec(select(Network))}
    found = []
    for row in session.exec(select(RoleEmail).order_by(col(RoleEmail.email))):
        limited = session.exec(
            select(RoleEmailNetwork.network_id).where(RoleEmailNetwork.email == row.email)
        ).all()
        found.append((row, sorted(names[n] for n in limited)))
    return found
