"""Deciding what a returned message means and acting on it, once.

:func:`handle` is the whole decision for one message, inside the caller's
transaction (``relais mail inbox --essai`` rolls it back). :class:`InboxReader`
reads the mailbox a chunk at a time: a message's identity is recorded in the
same transaction as its action, then the message is moved to the processed
folder. A crash between the commit and the move is harmless: the next pass
finds the message already recorded and only moves it. Nothing is deleted.
"""

from __future__ import annotations

import email
import email.policy
import enum
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.errors import (
    MultipartInvariantViolationDefect,
    NoBoundaryInMultipartDefect,
    StartBoundaryNotFoundDefect,
)
from email.message import Message
from functools import partial
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlmodel import Session, col, select

from mailer import verp
from mailer.inbox import auth_results, dsn, itip
from mailer.inbox.classify import Kind, classify, header_text, recipients, sender
from mailer.inbox.imap import Header, ImapMailbox
from mailer.inbox.models import InboxMessage
from mailer.models import OutboxMessage
from relais.bounces import services as bounces
from relais.db import get_engine, session_scope
from relais.i18n import t
from relais.newsletter import services as newsletter
from relais.registrations import answers
from relais.settings import Settings

log = logging.getLogger(__name__)
ACTOR = "boite:relais"
CHUNK = 50
_BROKEN = (
    NoBoundaryInMultipartDefect,
    StartBoundaryNotFoundDefect,
    MultipartInvariantViolationDefect,
)


class Outcome(enum.StrEnum):
    DONE = "done"
    IGNORED = "ignored"
    TO_CONFIRM = "to_confirm"
    HUMAN = "human"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Decision:
    kind: Kind
    outcome: Outcome
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def for_humans(self) -> bool:
        """Left to a person: their own mail, or what Relais could not read."""
        return self.outcome in (Outcome.HUMAN, Outcome.REJECTED)


def parse(raw: bytes) -> Message:
    """The ``compat32`` policy: headers are read as text on demand, which is several times
    faster than the modern header objects, and all the reader needs."""
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def message_key(message_id: str, header: bytes) -> str:
    """The Message-ID when there is a usable one, else a digest of the header block
    (its Received and Date lines make it unique, and it is known before the body)."""
    value = " ".join(message_id.split())
    if value and len(value) <= 240:
        return f"mid:{value}"
    return "sha256:" + hashlib.sha256(header).hexdigest()


def _reason(key: str, **context: object) -> str:
    return t(f"inbox.reason.{key}", **context)


def handle(session: Session, message: Message, settings: Settings) -> Decision:
    """What this message is and what was done, the action written in ``session``.

    Any failure is reported as a decision, and whatever the action had written is
    undone (savepoint): one bad message never stops the ones behind it.
    """
    try:
        if any(isinstance(defect, _BROKEN) for part in message.walk() for defect in part.defects):
            return Decision(Kind.INVALID, Outcome.REJECTED, _reason("malformed"))
        kind = classify(message, settings)
        with session.begin_nested():
            return _ACTIONS[kind](session, message, settings)
    except (OperationalError, InterfaceError):
        raise  # the database is away, not the message's fault: the next pass retries it
    except Exception as error:
        log.exception("returned message could not be handled")
        return Decision(
            Kind.INVALID, Outcome.REJECTED, _reason("unreadable", error=type(error).__name__)
        )


def _handle(message: Message, settings: Settings, session: Session) -> Decision:
    return handle(session, message, settings)


def _too_big(size: int, _session: Session) -> Decision:
    return too_big(size)


def too_big(size: int) -> Decision:
    return Decision(Kind.HUMAN, Outcome.HUMAN, _reason("too_big", megabytes=round(size / 1e6, 1)))


# -- the actions, one per kind ------------------------------------------------------------


def _calendar_reply(session: Session, message: Message, settings: Settings) -> Decision:
    kind = Kind.CALENDAR_REPLY
    try:
        reply = itip.find_reply(message)
    except itip.UnreadableCalendar as error:
        return Decision(kind, Outcome.REJECTED, _reason("calendar_unreadable", error=str(error)))
    if reply is None:
        return _human(session, message, settings)
    detail = {"uid": reply.uid, "partstat": reply.partstat, "sequence": reply.sequence}
    author = sender(message)
    if reply.attendee != author:
        return Decision(
            kind, Outcome.REJECTED,
            _reason("attendee_not_sender", attendee=reply.attendee, sender=author), detail,
        )  # fmt: skip
    registration = answers.registration_for(session, reply.uid, reply.attendee)
    if registration is None:
        return Decision(kind, Outcome.IGNORED, _reason("unknown_invitation"), detail)
    if answers.is_stale(session, registration, reply.sequence):
        return Decision(kind, Outcome.IGNORED, _reason("stale_reply"), detail)
    trusted = [part for part in settings.imap_trusted_authserv_id.split(",") if part.strip()]
    verdict = auth_results.trusted_verdict(message, trusted)
    verified = auth_results.passes_for(verdict, reply.attendee)
    answer = answers.record(
        session, registration, reply.partstat, reply.sequence, verified=verified, actor=ACTOR
    )
    detail |= {"answer_id": answer.id, "registration_id": registration.id}
    if not verified:
        return Decision(kind, Outcome.TO_CONFIRM, _reason("unverified", number=answer.id), detail)
    return Decision(
        kind, Outcome.DONE, _reason(f"partstat_{_partstat_key(reply.partstat)}"), detail
    )


def _partstat_key(partstat: str) -> str:
    return {"ACCEPTED": "accepted", "DECLINED": "declined", "TENTATIVE": "tentative"}.get(
        partstat, "other"
    )


def _verp_address(session: Session, message: Message, settings: Settings) -> str:
    for address in recipients(message):
        row_id = verp.row_id_from(settings, address)
        if row_id is not None:
            row = session.get(OutboxMessage, row_id)
            if row is not None:
                return row.to_address.lower()
    return ""


def _was_mailed(session: Session, address: str) -> bool:
    """A bounce about an address Relais never wrote to is backscatter: ignored."""
    found = session.exec(
        select(OutboxMessage.id).where(col(OutboxMessage.to_address) == address).limit(1)
    ).first()
    return found is not None


def _bounce(session: Session, message: Message, settings: Settings) -> Decision:
    report = dsn.parse(message)
    failures = [r for r in report.recipients if r.action == "failed"]
    if not report.recipients:
        address = _verp_address(session, message, settings)
        if not address:
            return Decision(Kind.BOUNCE, Outcome.REJECTED, _reason("dsn_without_recipient"))
        failures = [dsn.Recipient(address, "failed", "", "")]
    if not failures:
        actions = ", ".join(sorted({r.action for r in report.recipients}))
        return Decision(Kind.BOUNCE, Outcome.IGNORED, _reason("dsn_not_failed", actions=actions))
    reasons: list[str] = []
    recorded: list[dict[str, Any]] = []
    for failure in failures:
        if not _was_mailed(session, failure.address):
            reasons.append(_reason("bounce_unknown_address", address=failure.address))
            continue
        verdict = bounces.record(
            session, failure.address, failure.status, failure.diagnostic, source="dsn"
        )
        recorded.append({"address": failure.address, "status": failure.status})
        reasons.append(
            _reason(
                f"bounce_{verdict.severity.value}",
                address=failure.address,
                status=failure.status or "?",
                count=verdict.soft_count,
                limit=bounces.SOFT_LIMIT,
                invalid=verdict.invalidated,
            )
        )
    outcome = Outcome.DONE if recorded else Outcome.IGNORED
    return Decision(Kind.BOUNCE, outcome, " ".join(reasons), {"bounces": recorded})


def _loop(session: Session, message: Message, settings: Settings) -> Decision:
    return Decision(Kind.LOOP, Outcome.IGNORED, _reason("loop"))


def _auto_reply(session: Session, message: Message, settings: Settings) -> Decision:
    return Decision(Kind.AUTO_REPLY, Outcome.IGNORED, _reason("auto_reply"))


def _unsubscribe(session: Session, message: Message, settings: Settings) -> Decision:
    address = sender(message)
    subscriber = newsletter.by_email(session, address) if address else None
    if subscriber is None:
        return Decision(
            Kind.UNSUBSCRIBE, Outcome.IGNORED, _reason("not_subscribed", address=address)
        )
    if not newsletter.unsubscribe(session, subscriber, channel="email"):
        return Decision(
            Kind.UNSUBSCRIBE, Outcome.IGNORED, _reason("already_unsubscribed", address=address)
        )
    return Decision(Kind.UNSUBSCRIBE, Outcome.DONE, _reason("unsubscribed", address=address))


def _human(session: Session, message: Message, settings: Settings) -> Decision:
    return Decision(Kind.HUMAN, Outcome.HUMAN, _reason("human"))


_ACTIONS: dict[Kind, Callable[[Session, Message, Settings], Decision]] = {
    Kind.CALENDAR_REPLY: _calendar_reply,
    Kind.BOUNCE: _bounce,
    Kind.LOOP: _loop,
    Kind.AUTO_REPLY: _auto_reply,
    Kind.UNSUBSCRIBE: _unsubscribe,
    Kind.HUMAN: _human,
}


# -- the reader -----------------------------------------------------------------------------


def _summary(message: Message | None) -> tuple[str, str]:
    if message is None:
        return "", ""
    try:
        subject = header_text(message, "Subject")[:300]
        return sender(message)[:254], subject
    except Exception:  # a header too broken to decode still gets recorded
        return "", ""


@dataclass
class _Routes:
    """Where the messages of a chunk go once recorded."""

    processed: list[int] = field(default_factory=list)
    human: list[int] = field(default_factory=list)

    def add(self, uid: int, for_humans: bool) -> None:
        (self.human if for_humans else self.processed).append(uid)


@dataclass
class PassResult:
    read: int = 0
    acted: int = 0
    moved: int = 0


Decide = Callable[[Session], Decision]
Item = tuple[str, Message | None, Decide]
#: Bodies fetched at once stay under this many bytes (one message may exceed it alone).
BODY_BUDGET = 20_000_000


def _groups(headers: list[Header], limit: int, budget: int) -> Iterator[list[Header]]:
    """Consecutive messages whose downloaded bodies stay within ``budget`` bytes."""
    group: list[Header] = []
    size = 0
    for header in headers:
        weight = header.size if header.size <= limit else 0
        if group and size + weight > budget:
            yield group
            group, size = [], 0
        group.append(header)
        size += weight
    if group:
        yield group


class InboxReader:
    """Reads the mailbox, a chunk at a time, so memory does not grow with its size."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine | None = None,
        mailbox: Callable[[Settings], ImapMailbox] = ImapMailbox,
    ) -> None:
        self.settings = settings
        self.engine = engine or get_engine()
        self.mailbox_factory = mailbox

    def known(self, keys: list[str]) -> dict[str, str]:
        """Already recorded keys and their outcome."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(InboxMessage.message_key, InboxMessage.outcome).where(
                    col(InboxMessage.message_key).in_(keys)
                )
            )
            return dict(rows.all())

    @staticmethod
    def _decide(session: Session, key: str, message: Message | None, decide: Decide) -> Decision:
        decision = decide(session)
        author, subject = _summary(message)
        session.add(
            InboxMessage(
                message_key=key,
                kind=decision.kind.value,
                outcome=decision.outcome.value,
                reason=decision.reason,
                sender=author,
                subject=subject,
                detail=decision.detail,
            )
        )
        session.flush()
        return decision

    def record(self, items: list[Item]) -> list[Decision]:
        """The decisions and the rows that say « done » commit together, or not at all.

        A group shares one transaction (one disk sync instead of one per message); if
        it cannot commit (another reader recorded one of them first), each message is
        retried alone, and the one already recorded keeps the other reader's action.
        """
        try:
            with session_scope(self.engine) as session:
                return [self._decide(session, *item) for item in items]
        except IntegrityError:
            if len(items) > 1:
                return [decision for item in items for decision in self.record([item])]
            return [Decision(Kind.HUMAN, Outcome.IGNORED, "", {"duplicate": True})]

    def run_pass(self, mailbox: ImapMailbox) -> PassResult:
        result = PassResult()
        uids = mailbox.uids()
        for start in range(0, len(uids), CHUNK):
            self._chunk(mailbox, uids[start : start + CHUNK], result)
        return result

    def _chunk(self, mailbox: ImapMailbox, uids: list[int], result: PassResult) -> None:
        """Skip what is recorded (only move it), fetch and act on the rest, then move."""
        settings = self.settings
        headers = mailbox.headers(uids)
        keys = {
            h.uid: message_key(str(parse(h.header).get("Message-ID", "")), h.header)
            for h in headers
        }
        known = self.known(list(keys.values()))
        routes = _Routes()
        for header in headers:
            outcome = known.get(keys[header.uid])
            if outcome is not None:
                routes.add(header.uid, outcome in (Outcome.HUMAN, Outcome.REJECTED))
        fresh = [h for h in headers if keys[h.uid] not in known]
        for group in _groups(fresh, settings.imap_max_message_bytes, BODY_BUDGET):
            self._group(mailbox, group, keys, result, routes)
        mailbox.move(routes.processed, settings.imap_processed_folder)
        result.moved += len(routes.processed)
        if settings.imap_human_folder:
            mailbox.move(routes.human, settings.imap_human_folder)
            result.moved += len(routes.human)

    def _group(
        self,
        mailbox: ImapMailbox,
        group: list[Header],
        keys: dict[int, str],
        result: PassResult,
        routes: _Routes,
    ) -> None:
        limit = self.settings.imap_max_message_bytes
        bodies = mailbox.bodies([h.uid for h in group if h.size <= limit])
        items: list[Item] = []
        taken: list[Header] = []
        for header in group:
            raw = bodies.get(header.uid)
            if header.size > limit:
                items.append(
                    (keys[header.uid], parse(header.header), partial(_too_big, header.size))
                )
            elif raw is not None:  # None: expunged meanwhile by someone else
                message = parse(raw)
                items.append((keys[header.uid], message, partial(_handle, message, self.settings)))
            else:
                continue
            taken.append(header)
        del bodies
        for header, decision in zip(taken, self.record(items), strict=True):
            result.read += 1
            result.acted += decision.outcome in (Outcome.DONE, Outcome.TO_CONFIRM)
            routes.add(header.uid, decision.for_humans)

    def run_forever(self, stop: threading.Event) -> None:
        """Read, wait for new mail, read again; reconnect after any failure, gently."""
        delay = 1.0
        while not stop.is_set():
            mailbox = self.mailbox_factory(self.settings)
            try:
                mailbox.connect()
                delay = 1.0
                while not stop.is_set():
                    self.run_pass(mailbox)
                    mailbox.wait(self.settings.imap_poll_seconds, stop)
            except Exception as error:
                log.warning(
                    "mailbox reading failed (%s: %s), retrying in %.0f s",
                    type(error).__name__, str(error)[:200], delay,
                )  # fmt: skip
                stop.wait(delay)
                delay = min(delay * 2, self.settings.imap_poll_seconds)
            finally:
                mailbox.close()
