"""Inviting a network to an event, and broadcasting a short message to its members.

The core decides who is targeted and remembers who was invited on which
channel; the channels (e-mail, Telegram) do the sending in their handlers of
:class:`relais.signals.NetworkInvited`, calling :func:`record` for each
person, which refuses a second invitation to the same event on the same channel.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import event as sa_event
from sqlalchemy import func
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, select

from relais import audit, signals
from relais.errors import InvalidInput
from relais.events import services as events
from relais.events.models import Event, EventStatus
from relais.invitations.models import Broadcast, Invitation
from relais.networks import services as networks
from relais.networks.models import NetworkMember
from relais.people.models import Person
from relais.registrations.models import Registration, RegistrationStatus
from relais.timefmt import utcnow

EMAIL = "email"
TELEGRAM = "telegram"
BROADCAST_MAX_CHARS = 3500
_CACHE = "relais_invited"


@dataclass(frozen=True)
class InviteReport:
    """What an invitation round did, for the coordinator's answer."""

    members: int
    already_registered: int
    already_invited: int
    unreachable: int
    reached: dict[str, int] = field(default_factory=dict)

    @property
    def people_reached(self) -> int:
        return self.members - self.already_registered - self.already_invited - self.unreachable


def check_invitable(event: Event) -> None:
    """Only a published, upcoming event can be announced."""
    if event.status == EventStatus.CANCELLED:
        raise InvalidInput("event_is_cancelled")
    if event.status != EventStatus.PUBLISHED:
        raise InvalidInput("admin_invite_draft", title=event.title)
    if event.starts_at <= utcnow():
        raise InvalidInput("admin_invite_past", title=event.title)


def _registered_ids(session: Session, event_id: int) -> set[int]:
    return set(
        session.exec(
            select(Registration.person_id).where(
                Registration.event_id == event_id,
                Registration.status != RegistrationStatus.CANCELLED,
            )
        )
    )


def targets(
    session: Session, event_id: int, network_id: int, channel: str | None = None
) -> list[Person]:
    """Members of the network to invite: not erased, not registered, and (given a
    channel) not yet invited on it — one query for the whole network."""
    registered = _registered_ids(session, event_id)
    if channel is not None:
        registered |= set(
            session.exec(
                select(Invitation.person_id).where(
                    Invitation.event_id == event_id, Invitation.channel == channel
                )
            )
        )
    return [p for p in networks.members(session, network_id) if p.id not in registered]


def record(
    session: Session,
    *,
    event_id: int,
    person_id: int,
    channel: str,
    batch: str,
    actor: str,
    network_id: int | None = None,
) -> bool:
    """Remember one invitation; False (and nothing written) if it was already sent.

    Who was invited to the event on the channel is read once per transaction,
    and the new rows go out in one batched INSERT at the next flush; the unique
    constraint stays the last guard.
    """
    invited = _invited_on(session, event_id, channel)
    if person_id in invited:
        return False
    invited.add(person_id)
    invitation = Invitation(
        event_id=event_id, person_id=person_id, channel=channel, network_id=network_id,
        batch=batch, invited_by=actor[:80],
    )  # fmt: skip
    session.add(invitation)
    return True


def _invited_on(session: Session, event_id: int, channel: str) -> set[int]:
    known: dict[tuple[int, str], set[int]] = session.info.setdefault(_CACHE, {})
    if (event_id, channel) not in known:
        with session.no_autoflush:
            known[(event_id, channel)] = set(
                session.exec(
                    select(Invitation.person_id).where(
                        Invitation.event_id == event_id, Invitation.channel == channel
                    )
                )
            )
    return known[(event_id, channel)]


@sa_event.listens_for(OrmSession, "after_transaction_end")
def _forget(session: OrmSession, transaction: SessionTransaction) -> None:
    """Only the outermost transaction's end (a savepoint's release keeps what it knew)."""
    if transaction.parent is None:
        session.info.pop(_CACHE, None)


def invited_ids(session: Session, event_id: int) -> set[int]:
    return set(session.exec(select(Invitation.person_id).where(Invitation.event_id == event_id)))


def invite_network(session: Session, event_id: int, network_id: int, actor: str) -> InviteReport:
    """Invite every member not yet invited nor registered; each channel sends its own."""
    event = events.lock(session, event_id)
    check_invitable(event)
    network = networks.lookup(session, str(network_id))
    members = networks.members(session, network_id)
    registered = _registered_ids(session, event_id)
    invited_before = invited_ids(session, event_id)
    batch = uuid.uuid4().hex
    signals.emit(
        session,
        signals.NetworkInvited(event_id=event_id, network_id=network_id, batch=batch, actor=actor),
    )
    rows = session.exec(select(Invitation).where(Invitation.batch == batch)).all()
    reached = Counter(row.channel for row in rows)
    reached_people = {row.person_id for row in rows}
    others = [m.id for m in members if m.id not in registered and m.id not in reached_people]
    report = InviteReport(
        members=len(members),
        already_registered=sum(1 for m in members if m.id in registered),
        already_invited=sum(1 for pid in others if pid in invited_before),
        unreachable=sum(1 for pid in others if pid not in invited_before),
        reached=dict(sorted(reached.items())),
    )
    audit.record(
        session, actor, "network.invited", "event", event_id,
        network=network.code, reached=report.reached, batch=batch,
    )  # fmt: skip
    return report


def telegram_recipients(session: Session, network_id: int) -> list[Person]:
    """Members a Telegram message can reach (linked and not blocked)."""
    return list(
        session.exec(
            select(Person)
            .join(NetworkMember, col(NetworkMember.person_id) == Person.id)
            .where(
                NetworkMember.network_id == network_id,
                col(Person.erased_at).is_(None),
                col(Person.telegram_id).is_not(None),
                col(Person.telegram_blocked).is_(False),
            )
            .order_by(col(Person.id))
        )
    )


def clean_broadcast_text(text: str) -> str:
    """The message as it will be sent, or a French refusal (empty, too long)."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n")]
    clean = "\n".join(lines).strip()
    if not clean:
        raise InvalidInput("admin_broadcast_empty")
    if len(clean) > BROADCAST_MAX_CHARS:
        raise InvalidInput("admin_broadcast_too_long", length=len(clean), limit=BROADCAST_MAX_CHARS)
    return clean


def broadcast(session: Session, network_id: int, text: str, actor: str) -> Broadcast:
    """Record the message and let the Telegram channel queue one paced message per member."""
    network = networks.lookup(session, str(network_id))
    clean = clean_broadcast_text(text)
    row = Broadcast(
        network_id=network_id,
        text=clean,
        recipients=len(telegram_recipients(session, network_id)),
        created_by=actor[:80],
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    audit.record(
        session, actor, "network.broadcast", "network", network_id,
        broadcast=row.id, recipients=row.recipients, network_code=network.code,
    )  # fmt: skip
    signals.emit(session, signals.BroadcastRequested(broadcast_id=row.id, network_id=network_id))
    return row


def invitation_counts(session: Session, event_id: int) -> dict[str, int]:
    """How many people were invited to an event, per channel."""
    rows = session.exec(
        select(Invitation.channel, func.count())
        .where(Invitation.event_id == event_id)
        .group_by(Invitation.channel)
    ).all()
    return {channel: number for channel, number in rows}
