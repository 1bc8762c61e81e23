"""Sending an issue through the outbox: one row per (issue, subscriber), rendered at send time.

Queueing walks the active subscribers a page at a time (keyset paging, so
memory does not grow with the list) and records how far it got on the issue,
so a queueing interrupted by a crash resumes where it stopped; the
idempotency key ``newsletter:<number>:<subscriber>`` makes a second pass
harmless. Each row holds ids only: the renderer swaps the recipient's signed
unsubscribe link into the issue's frozen HTML and text.

Progress is what the outbox says: a delivery counts as sent only when its
row is ``sent``, i.e. when the SMTP server accepted it (listmonk re-sent or
skipped people because it counted a batch as done when it was fetched).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlparse

from sqlalchemy import and_, func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from mailer import compose
from mailer.kinds import Unrenderable
from mailer.models import OutboxMessage, OutboxState
from mailer.outbox import enqueue, on_hard_bounce, register_renderer
from relais import signals
from relais.db import get_engine, is_postgresql, session_scope
from relais.errors import NotFound
from relais.i18n import t
from relais.newsletter import issues, sending, tokens
from relais.newsletter import services as subscriptions
from relais.newsletter.models import Issue, IssueStatus, Subscriber, SubscriberStatus
from relais.newsletter.sending import Progress
from relais.settings import get_settings
from relais.templating import render_html, render_text
from relais.timefmt import utcnow

KIND = "newsletter"
TEST_KIND = "newsletter_test"
CONFIRM_KIND = "newsletter_confirm"
SKIPPED_REPLY = "ignoré : ne reçoit plus la lettre (désabonnement ou adresse en erreur)"
PAUSED_UNTIL = datetime(9999, 1, 1, tzinfo=UTC)
QUEUE_BATCH = 500
_BOUNCE = re.compile(r"\b5\.1\.\d{1,3}\b")


def key_prefix(number: int) -> str:
    return f"{KIND}:{number}:"


def delivery_key(number: int, subscriber_id: int) -> str:
    return f"{key_prefix(number)}{subscriber_id}"


def unsubscribe_url(subscriber_id: int, email: str) -> str:
    token = tokens.make("unsubscribe", subscriber_id, email)
    return f"{get_settings().public_base_url}/desabonnement/{token}"


def list_headers(unsubscribe: str) -> dict[str, str]:
    """RFC 2369/2919/8058 headers: Gmail and Yahoo show their own « unsubscribe » button."""
    mailto, list_id = _list_constants(
        get_settings().public_base_url, get_settings().newsletter_unsubscribe_mailto
    )
    return {
        "List-Unsubscribe": ", ".join([f"<{unsubscribe}>", *mailto]),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": list_id,
        "Precedence": "bulk",
    }


@lru_cache(maxsize=4)
def _list_constants(base_url: str, mailto: str) -> tuple[tuple[str, ...], str]:
    targets: list[str] = []
    if mailto:
        subject = quote(t("newsletter.mail.unsubscribe_subject"))
        targets.append(f"<mailto:{mailto}?subject={subject}>")
    host = urlparse(base_url).hostname or "relais.invalid"
    return tuple(targets), f"{t('newsletter.mail.list_name')} <ressources-info.{host}>"


def newsletter_message(subject: str, html: str, text: str, unsubscribe: str) -> EmailMessage:
    """Text and HTML alternatives with the list headers; not transactional (no Auto-Submitted)."""
    mail = compose.message(
        subject=subject,
        text=issues.personalise(text, unsubscribe),
        html=issues.personalise(html, unsubscribe),
        transactional=False,
    )
    for name, value in list_headers(unsubscribe).items():
        mail[name] = value
    return mail


@dataclass(frozen=True)
class Frozen:
    subject: str
    html: str
    text: str


_frozen: dict[tuple[int, str], Frozen] = {}


def version(issue: Issue) -> str:
    """Fingerprint of the frozen content: the renderer's cache key, safe across databases."""
    digest = hashlib.sha256(f"{issue.subject}\0{issue.html}\0{issue.text}".encode())
    return digest.hexdigest()[:16]


def _load_frozen(session: Session, issue_id: int, stamp: str) -> Frozen:
    cached = _frozen.get((issue_id, stamp))
    if cached is None:
        issue = session.get(Issue, issue_id)
        if issue is None or version(issue) != stamp:
            raise Unrenderable(f"newsletter issue {issue_id} changed or gone")
        if len(_frozen) > 8:
            _frozen.clear()
        cached = _frozen[(issue_id, stamp)] = Frozen(issue.subject, issue.html, issue.text)
    return cached


# Markers in the issue's wire form where each recipient's own values go.
_TO, _ID, _DATE = "~relais-to~", "~relais-message-id~", "~relais-date~"
_LINK, _BODY_LINK = "~relais-unsubscribe~", "~relais-qp-unsubscribe~"


@dataclass(frozen=True)
class Wire:
    """An issue's message on the wire, built once, with markers for what each recipient has."""

    data: bytes

    def addressed(self, to: str, message_id: str, link: str) -> bytes:
        """Five substitutions instead of building and encoding a MIME message per recipient."""
        encoded_link = compose.soft_break(compose.quoted_printable(link)).replace("\n", "\r\n")
        return (
            self.data.replace(_TO.encode(), to.encode("ascii"))
            .replace(_ID.encode(), message_id.encode("ascii"))
            .replace(_DATE.encode(), format_datetime(utcnow()).encode("ascii"))
            .replace(_LINK.encode(), link.encode("ascii"))
            .replace(_BODY_LINK.encode(), encoded_link.encode("ascii"))
        )


def _encoded_with_slots(body: str) -> str:
    """Quoted-printable of ``body``, the unsubscribe link left as a marker between soft breaks."""
    pieces = body.split(issues.UNSUBSCRIBE_PLACEHOLDER)
    encoded = [compose.quoted_printable(piece) for piece in pieces]
    return "".join(compose.soft_break(piece) + _BODY_LINK for piece in encoded[:-1]) + encoded[-1]


_wires: dict[tuple[object, ...], Wire] = {}


def _wire(issue_id: int, frozen: Frozen) -> Wire:
    """The issue's wire form, for the current sender settings (they appear in its headers)."""
    settings = get_settings()
    key = (issue_id, frozen, settings.mail_from, settings.mail_reply_to,
           settings.public_base_url, settings.newsletter_unsubscribe_mailto)  # fmt: skip
    wire = _wires.get(key)
    if wire is None:
        mail = compose.message(
            subject=frozen.subject, text=_encoded_with_slots(frozen.text),
            html=_encoded_with_slots(frozen.html), transactional=False, encoded=True,
        )  # fmt: skip
        for name, value in list_headers(_LINK).items():
            mail[name] = value
        compose.address_headers(mail, to=_TO, message_id=_ID)
        mail.replace_header("Date", _DATE)
        if len(_wires) > 8:
            _wires.clear()
        wire = _wires[key] = Wire(compose.to_bytes(mail))
    return wire


def render_delivery(session: Session, row: OutboxMessage) -> bytes:
    """The issue rendered once per process; each recipient's message is a few substitutions."""
    frozen = _load_frozen(session, int(row.payload["issue"]), str(row.payload["version"]))
    link = unsubscribe_url(int(row.payload["subscriber"]), row.to_address)
    return _wire(int(row.payload["issue"]), frozen).addressed(row.to_address, row.message_id, link)


def render_test(_session: Session, row: OutboxMessage) -> EmailMessage:
    sample = f"{get_settings().public_base_url}/desabonnement/exemple"
    payload: dict[str, Any] = row.payload
    return newsletter_message(payload["subject"], payload["html"], payload["text"], sample)


def render_confirmation(session: Session, row: OutboxMessage) -> EmailMessage:
    subscriber = session.get(Subscriber, row.payload.get("subscriber"))
    if row.payload.get("already") and subscriber is not None and subscriber.mailable:
        return _already_subscribed(subscriber)
    if subscriber is None or subscriber.status != SubscriberStatus.PENDING:
        raise Unrenderable(f"subscription {row.payload.get('subscriber')} no longer pending")
    assert subscriber.id is not None
    token = tokens.make("confirm", subscriber.id, subscriber.email)
    context = {
        "subscriber": subscriber,
        "link": f"{get_settings().public_base_url}/confirmation/{token}",
        "code": subscriber.confirm_code,
        "organisation": get_settings().organisation_name,
    }
    return compose.message(
        subject=t("newsletter.mail.confirm_subject"),
        text=render_text("newsletter/confirm.txt", **context),
        html=compose.inline_css(render_html("newsletter/confirm.html", **context)),
    )


def _already_subscribed(subscriber: Subscriber) -> EmailMessage:
    """Someone asked to subscribe an address already on the list: its owner is told so."""
    context = {"subscriber": subscriber, "organisation": get_settings().organisation_name}
    return compose.message(
        subject=t("newsletter.mail.already_subject"),
        text=render_text("newsletter/already_subscribed.txt", **context),
        html=compose.inline_css(render_html("newsletter/already_subscribed.html", **context)),
    )


# -- queueing ------------------------------------------------------------------------


def queue_page(engine: Engine, issue_id: int, batch: int = QUEUE_BATCH) -> int | None:
    """Queue the next page of active subscribers; None once everyone is queued.

    On PostgreSQL the page is read ``FOR SHARE``: an unsubscription running at
    the same time waits for this page to commit, then cancels what it queued.
    """
    with session_scope(engine) as session:
        issue = session.exec(select(Issue).where(Issue.id == issue_id).with_for_update()).one()
        if issue.queue_complete:
            return None
        query = (
            select(Subscriber)
            .where(Subscriber.status == SubscriberStatus.ACTIVE)
            .where(col(Subscriber.id) > issue.queued_through)
            .order_by(col(Subscriber.id))
            .limit(batch)
        )
        if is_postgresql(session):
            query = query.with_for_update(read=True)
        page = list(session.exec(query))
        if not page:
            issue.queue_complete = True
            session.add(issue)
            return None
        stamp = version(issue)
        paused = issue.status == IssueStatus.PAUSED
        queued = 0
        for subscriber in page:
            assert subscriber.id is not None and issue.id is not None
            row = enqueue(
                session,
                kind=KIND,
                to=subscriber.email,
                idempotency_key=delivery_key(issue.number, subscriber.id),
                payload={"issue": issue.id, "version": stamp, "subscriber": subscriber.id},
                person_id=subscriber.person_id,
                due_at=issue.send_at,
            )
            if row is not None:
                queued += 1
                if paused:
                    row.next_attempt_at = PAUSED_UNTIL
        last = page[-1].id
        assert last is not None
        issue.queued_through = last
        issue.recipients += queued
        session.add(issue)
        return queued


def queue_all(issue_id: int, engine: Engine | None = None, on_page: Any = None) -> int:
    """Queue every active subscriber not queued yet, one committed page at a time."""
    total = 0
    while (queued := queue_page(engine or get_engine(), issue_id)) is not None:
        total += queued
        if on_page is not None:
            on_page(total)
    return total


def send_tests(
    session: Session, rendered: issues.Rendered, number: int, addresses: list[str]
) -> int:
    """Queue the issue to test addresses only (subject marked, nothing recorded as sent)."""
    stamp = utcnow().strftime("%Y%m%d%H%M%S%f")
    payload = {
        "subject": t("newsletter.mail.test_subject", subject=rendered.subject),
        "html": rendered.html,
        "text": rendered.text,
    }
    for address in addresses:
        enqueue(
            session, kind=TEST_KIND, to=address, payload=payload,
            idempotency_key=f"{TEST_KIND}:{number}:{address}:{stamp}",
        )  # fmt: skip
    return len(addresses)


# -- following, pausing, resuming -------------------------------------------------------


def _rows(number: int) -> Any:
    return col(OutboxMessage.idempotency_key).startswith(key_prefix(number))


def get_issue(session: Session, number: int) -> Issue:
    issue = session.exec(select(Issue).where(Issue.number == number)).first()
    if issue is None:
        raise NotFound("newsletter_not_found", number=number)
    return issue


def progress(session: Session, number: int) -> Progress:
    issue = get_issue(session, number)
    by_state: dict[Any, int] = dict(
        session.exec(
            select(OutboxMessage.state, func.count())
            .where(OutboxMessage.kind == KIND, _rows(number))
            .group_by(col(OutboxMessage.state))
        ).all()
    )
    bounced = skipped = 0
    if by_state.get(OutboxState.FAILED):
        replies = session.exec(
            select(OutboxMessage.last_reply).where(
                OutboxMessage.kind == KIND, _rows(number), OutboxMessage.state == OutboxState.FAILED
            )
        )
        for reply in replies:
            skipped += reply == SKIPPED_REPLY
            bounced += reply != SKIPPED_REPLY and bool(_BOUNCE.search(reply))
    failed = by_state.get(OutboxState.FAILED, 0) - bounced - skipped
    return Progress(
        recipients=issue.recipients,
        sent=by_state.get(OutboxState.SENT, 0),
        waiting=by_state.get(OutboxState.PENDING, 0),
        sending=by_state.get(OutboxState.SENDING, 0),
        failed=failed,
        bounced=bounced,
        skipped=skipped,
    )


def unfinished_now(session: Session, number: int) -> int:
    """Deliveries of the issue in flight somewhere, or due now: what « resume » waits for."""
    return int(
        session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == KIND, _rows(number))
            .where(
                or_(
                    col(OutboxMessage.state) == OutboxState.SENDING,
                    and_(
                        col(OutboxMessage.state) == OutboxState.PENDING,
                        col(OutboxMessage.next_attempt_at) <= utcnow(),
                    ),
                )
            )
        ).one()
    )


def pause(session: Session, number: int) -> int:
    """Hold every queued, unsent delivery of the issue; returns how many were held."""
    issue = get_issue(session, number)
    issue.status = IssueStatus.PAUSED
    session.add(issue)
    result = session.exec(
        update(OutboxMessage)  # type: ignore[call-overload]
        .where(col(OutboxMessage.kind) == KIND, _rows(number))
        .where(col(OutboxMessage.state) == OutboxState.PENDING)
        .values(next_attempt_at=PAUSED_UNTIL)
    )
    return int(result.rowcount)


def resume(session: Session, number: int) -> Issue:
    """Release the held deliveries: due now (or at the planned time if still ahead)."""
    issue = get_issue(session, number)
    due = max(issue.send_at, utcnow())
    issue.status = IssueStatus.SENDING
    session.add(issue)
    session.exec(
        update(OutboxMessage)  # type: ignore[call-overload]
        .where(col(OutboxMessage.kind) == KIND, _rows(number))
        .where(col(OutboxMessage.state) == OutboxState.PENDING)
        .where(col(OutboxMessage.next_attempt_at) == PAUSED_UNTIL)
        .values(next_attempt_at=due, due_at=due)
    )
    return issue


# -- domain-event hooks -------------------------------------------------------------


def on_subscription_requested(session: Session, ev: subscriptions.SubscriptionRequested) -> None:
    subscriber = session.get(Subscriber, ev.subscriber_id)
    if subscriber is None or (subscriber.confirm_sent_at is None and not ev.already):
        return
    enqueue(
        session, kind=CONFIRM_KIND, to=subscriber.email, person_id=subscriber.person_id,
        idempotency_key=f"{CONFIRM_KIND}:{ev.subscriber_id}:{ev.request_id}",
        payload={"subscriber": ev.subscriber_id, "already": ev.already},
    )  # fmt: skip


def on_subscription_ended(session: Session, ev: subscriptions.SubscriptionEnded) -> None:
    """Nothing still queued goes to an address that left (design: never mailed again).

    The address's rows are found first (by its index), then updated by id: asked in one
    statement, SQLite picks the index on the state and walks every pending row, which
    is the whole newsletter while one is being sent."""
    ids = session.exec(
        select(OutboxMessage.id).where(col(OutboxMessage.to_address) == ev.email)
    ).all()
    if not ids:
        return
    session.exec(
        update(OutboxMessage)  # type: ignore[call-overload]
        .where(col(OutboxMessage.id).in_(ids), col(OutboxMessage.kind) == KIND)
        .where(col(OutboxMessage.state) == OutboxState.PENDING)
        .values(state=OutboxState.FAILED, last_reply=SKIPPED_REPLY)
    )


def on_bounce(session: Session, address: str) -> None:
    subscriptions.mark_bounced(session, address)


def subscribe() -> None:
    register_renderer(KIND, render_delivery)
    register_renderer(TEST_KIND, render_test)
    register_renderer(CONFIRM_KIND, render_confirmation)
    sending.count_with(progress)
    on_hard_bounce(on_bounce)
    signals.on(subscriptions.SubscriptionRequested, on_subscription_requested)
    signals.on(subscriptions.SubscriptionEnded, on_subscription_ended)
