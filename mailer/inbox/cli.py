"""``relais mail inbox``: what was read from the mailbox and done, a dry run on one
``.eml`` for support, and a coordinator's confirmation of an unverified calendar answer.

Loaded only when the command runs (the options are declared in ``mailer/cli.py``),
so ``relais mail status`` does not pay for the calendar and MIME parsers."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, col, select

from mailer.inbox.models import InboxMessage
from mailer.inbox.process import handle, message_key, parse
from relais.bounces import services as bounces
from relais.cli.common import CLI_ACTOR, console, fail
from relais.db import get_engine, session_scope
from relais.events.models import Event
from relais.i18n import t
from relais.people.models import Person
from relais.registrations import answers
from relais.registrations.models import Registration
from relais.settings import get_settings
from relais.timefmt import format_short


def confirm(number: int) -> None:
    with session_scope() as session:
        answers.confirm(session, number, CLI_ACTOR)
    console.print(t("inbox.cli.confirmed", number=number), markup=False)


def show(limit: int) -> None:
    with Session(get_engine()) as session:
        rows = list(
            session.exec(
                select(InboxMessage).order_by(col(InboxMessage.processed_at).desc()).limit(limit)
            )
        )
        if not rows:
            configured = bool(get_settings().imap_host)
            console.print(t("inbox.cli.none", configured=configured), markup=False)
        else:
            console.print(t("inbox.cli.title", count=len(rows)), markup=False)
        for row in reversed(rows):
            console.print(
                t(
                    "inbox.cli.line",
                    at=format_short(row.processed_at),
                    id=row.id,
                    kind=t(f"inbox.kinds.{row.kind}"),
                    outcome=t(f"inbox.outcomes.{row.outcome}"),
                    sender=row.sender or "?",
                    subject=row.subject,
                    reason=row.reason,
                ),
                markup=False,
            )
        _show_pending(session)
        _show_bounces(session)


def _show_pending(session: Session) -> None:
    waiting = answers.pending(session)
    if not waiting:
        return
    console.print(t("inbox.cli.pending_title"), markup=False)
    for answer in waiting:
        registration = session.get(Registration, answer.registration_id)
        person = session.get(Person, registration.person_id) if registration else None
        event = session.get(Event, registration.event_id) if registration else None
        console.print(
            t(
                "inbox.cli.pending_line",
                id=answer.id,
                partstat=answer.partstat,
                person=person.email if person else "?",
                event=event.title if event else "?",
            ),
            markup=False,
        )


def _show_bounces(session: Session) -> None:
    recent = bounces.recent(session, limit=10)
    if not recent:
        return
    console.print(t("inbox.cli.bounces_title"), markup=False)
    for row in recent:
        console.print(
            t(
                "inbox.cli.bounce_line",
                at=format_short(row.received_at),
                address=row.address,
                status=row.status or "?",
                severity=t(f"inbox.cli.severity_{row.severity.value}"),
                suspended=row.suspended,
                diagnostic=row.diagnostic[:120],
            ),
            markup=False,
        )


def try_file(path: Path) -> None:
    """Decide on the message as the reader would, then undo everything."""
    if not path.is_file():
        raise fail(t("inbox.cli.essai_missing", path=path))
    raw = path.read_bytes()
    if not raw.strip():
        raise fail(t("inbox.cli.essai_empty", path=path))
    message = parse(raw)
    header = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    key = message_key(str(message.get("Message-ID", "")), header)
    console.print(t("inbox.cli.essai_title", path=path), markup=False)
    with Session(get_engine()) as session:
        seen = session.exec(select(InboxMessage).where(InboxMessage.message_key == key)).first()
        decision = handle(session, message, get_settings())
        session.rollback()
    console.print(
        t("inbox.cli.essai_kind", kind=t(f"inbox.kinds.{decision.kind.value}")), markup=False
    )
    outcome = t(f"inbox.outcomes.{decision.outcome.value}")
    console.print(t("inbox.cli.essai_outcome", outcome=outcome), markup=False)
    console.print(t("inbox.cli.essai_reason", reason=decision.reason), markup=False)
    if seen is not None:
        console.print(t("inbox.cli.essai_known", at=format_short(seen.processed_at)), markup=False)
