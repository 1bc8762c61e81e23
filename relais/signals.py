"""Domain events: how the core tells the channels what happened without calling them.

Two kinds of subscribers:

* *in-transaction* handlers get the session and run as the event is emitted,
  so that what they write (an outbox row, reminder rows) commits or rolls back
  with the change that caused it — nothing half-written, nothing lost;
* *after-commit* handlers run once the transaction committed, for what must
  not happen if it rolls back (a Telegram message).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from relais.i18n import t

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DomainEvent:
    """Base of every domain event; carries ids, never ORM objects."""


@dataclass(frozen=True)
class Registered(DomainEvent):
    registration_id: int
    event_id: int
    person_id: int


@dataclass(frozen=True)
class Waitlisted(DomainEvent):
    registration_id: int
    event_id: int
    person_id: int
    position: int


@dataclass(frozen=True)
class Promoted(DomainEvent):
    registration_id: int
    event_id: int
    person_id: int


@dataclass(frozen=True)
class RegistrationCancelled(DomainEvent):
    registration_id: int
    event_id: int
    person_id: int
    was_confirmed: bool


@dataclass(frozen=True)
class EventChanged(DomainEvent):
    event_id: int
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def moved(self) -> bool:
        """True when the time, the place, the link or the format (in person, online, hybrid)
        changed: invitations must be updated (the fields of
        ``relais.events.services.INVITATION_FIELDS``)."""
        return bool({"starts_at", "ends_at", "venue", "visio_url", "format"} & self.changes.keys())


@dataclass(frozen=True)
class EventPublished(DomainEvent):
    """An event became visible to everyone (the agenda and its page show it now)."""

    event_id: int


@dataclass(frozen=True)
class EventCancelled(DomainEvent):
    event_id: int
    reason: str


@dataclass(frozen=True)
class PersonErased(DomainEvent):
    person_id: int


@dataclass(frozen=True)
class NetworkInvited(DomainEvent):
    """A coordinator invited a network: each channel invites the members it can reach.

    Handlers record each invitation with ``relais.invitations.services.record``
    (which refuses a second one) under ``batch``, so the core can count them.
    """

    event_id: int
    network_id: int
    batch: str
    actor: str


@dataclass(frozen=True)
class BroadcastRequested(DomainEvent):
    """A coordinator sent a short message to a network's members (Telegram)."""

    broadcast_id: int
    network_id: int


@dataclass(frozen=True)
class AccessLinkRequested(DomainEvent):
    """Someone asked for the « Mes inscriptions » link of this (known) person."""

    person_id: int
    url: str


@dataclass(frozen=True)
class RegistrationLinkRequested(DomainEvent):
    """A registration typed on the web: the owner of the address confirms by link.

    ``person_id`` for a known address, ``pending_id`` (the typed registration)
    for a new one; ``event_id`` or ``series_id`` names what the link registers to.
    """

    person_id: int | None
    url: str
    event_id: int | None = None
    series_id: int | None = None
    pending_id: int | None = None


@dataclass(frozen=True)
class SignInLinkRequested(DomainEvent):
    """An address with a role asked for a sign-in link to the back office."""

    email: str
    url: str


@dataclass(frozen=True)
class EmailCodeRequested(DomainEvent):
    """A six-digit code proving a typed address is yours (the bot's profile step): mail it.

    The code rides in the event (and the queued mail) only: the bot keeps a keyed digest.
    """

    email: str
    code: str
    minutes: int


@dataclass(frozen=True)
class LetterToRegistrants(DomainEvent):
    """A coordinator wrote to some registrants of an event: one e-mail each."""

    event_id: int
    person_ids: tuple[int, ...]
    subject: str
    body: str
    actor: str


E = TypeVar("E", bound=DomainEvent)
InTransactionHandler = Callable[[Session, Any], None]
AfterCommitHandler = Callable[[Any], None]

_in_transaction: dict[type[DomainEvent], list[InTransactionHandler]] = defaultdict(list)
_after_commit: dict[type[DomainEvent], list[AfterCommitHandler]] = defaultdict(list)
_PENDING = "relais_pending_events"


def on(kind: type[E], handler: Callable[[Session, E], None]) -> None:
    """Run ``handler(session, event)`` inside the emitting transaction."""
    if handler not in _in_transaction[kind]:
        _in_transaction[kind].append(handler)


def after_commit(kind: type[E], handler: Callable[[E], None]) -> None:
    """Run ``handler(event)`` once the emitting transaction committed."""
    if handler not in _after_commit[kind]:
        _after_commit[kind].append(handler)


_loader: Callable[[], None] | None = None


def load_subscribers_with(loader: Callable[[], None]) -> None:
    """Attach the channels' handlers only when a domain event is first emitted.

    A command that only reads (``relais stats``) then never imports the
    channels (Telegram, SMTP), which keeps its start-up short.
    """
    global _loader
    _loader = loader


def _ensure_loaded() -> None:
    global _loader
    if _loader is not None:
        loader, _loader = _loader, None
        loader()


def load_subscribers() -> None:
    """Attach the channels' handlers now, if a command deferred it.

    Senders need it before their first row: the renderers and hooks a channel
    sends with (the newsletter's e-mail, say) are registered by the same
    ``subscribe()`` hooks, and a command that queues rows without emitting a
    domain event (``relais newsletter send``) would otherwise render none.
    """
    _ensure_loaded()


def has_subscribers(kind: type[DomainEvent]) -> bool:
    """Whether any channel listens to ``kind`` (e.g. to warn that nothing will be sent)."""
    _ensure_loaded()
    return bool(_in_transaction[kind] or _after_commit[kind])


def emit(session: Session, domain_event: DomainEvent) -> None:
    _ensure_loaded()
    for handler in list(_in_transaction[type(domain_event)]):
        handler(session, domain_event)
    session.info.setdefault(_PENDING, []).append(domain_event)


@sa_event.listens_for(OrmSession, "after_commit")
def _deliver_after_commit(session: OrmSession) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the real commit is still to come
    pending: list[DomainEvent] = session.info.pop(_PENDING, [])
    for domain_event in pending:
        for handler in list(_after_commit[type(domain_event)]):
            try:
                handler(domain_event)
            except Exception:
                log.exception(t("logs.handler_failed", event=type(domain_event).__name__))


@sa_event.listens_for(OrmSession, "after_rollback")
def _drop_on_rollback(session: OrmSession) -> None:
    if session.in_nested_transaction():
        return  # only a savepoint rolled back: the transaction goes on
    session.info.pop(_PENDING, None)
