"""E-mail on the delivery engine: the mail outbox, its renderer and its transports.

The claim, pacing, retry and group commit are the engine's
(:mod:`relais.delivery`); this module says how a row becomes a message (the
renderer registered for its kind, with the row's fixed Message-ID, so a
message re-sent after a crash is shown once), which transports carry it (a
few reused SMTP connections, or ``.eml`` files without a relay), and the mail
rules on refusals: 4xx retried with backoff until ``mail_retry_hours`` after
it was due, 5xx final, 5.1.x marks the address bad.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from mailer import compose, verp
from mailer.delivery import EmlFolder, Prepared, SmtpConnection, relay_problem
from mailer.models import OutboxMessage, OutboxState
from mailer.outbox import hard_bounce_hooks, renderer_for
from relais.delivery import Channel, DeliveryEngine, Outbox, Pacing, Result, Transport, backoff
from relais.events.models import Event
from relais.i18n import t
from relais.people.models import Person
from relais.settings import Settings

log = logging.getLogger(__name__)


def retry_delay(settings: Settings, attempts: int) -> timedelta:
    """Exponential backoff: first delay, then twice as long each time, at most an hour."""
    return backoff(settings.mail_retry_first_delay, attempts)


class MailChannel(Channel):
    outbox = Outbox(OutboxMessage, OutboxState, "last_reply", 500)
    unreachable_reply = "serveur injoignable"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.batch_size = settings.mail_batch_size
        self._relay_problem = ""

    def batch_limit(self, session: Session, now: datetime) -> int:
        """The batch size, lowered by the hourly quota (sent this hour or in flight)."""
        limit = self.batch_size
        per_hour = self.settings.mail_rate_per_hour
        if per_hour:
            recent = session.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    or_(
                        col(OutboxMessage.sent_at) > now - timedelta(hours=1),
                        col(OutboxMessage.state) == OutboxState.SENDING,
                    )
                )
            ).one()
            limit = min(limit, per_hour - recent)
        return limit

    def render(
        self, session: Session, rows: Sequence[OutboxMessage]
    ) -> Iterator[Prepared | Result]:
        loaded = self._preload(session, rows)  # held: the identity map is weak
        for row in rows:
            yield self._render(session, row)
        del loaded

    def _preload(self, session: Session, rows: Sequence[OutboxMessage]) -> list[object]:
        """One query for the batch's people and one for its events, not one per row."""
        people = {row.person_id for row in rows if row.person_id is not None}
        event_ids = {row.payload.get("event_id") for row in rows} - {None}
        loaded: list[object] = []
        if people:
            loaded += session.exec(select(Person).where(col(Person.id).in_(people))).all()
        if event_ids:
            loaded += session.exec(select(Event).where(col(Event.id).in_(event_ids))).all()
        return loaded

    def _render(self, session: Session, row: OutboxMessage) -> Prepared | Result:
        assert row.id is not None
        try:
            mail = renderer_for(row.kind)(session, row)
            if isinstance(mail, bytes):
                data = mail
            else:
                compose.address_headers(mail, to=row.to_address, message_id=row.message_id)
                for name, value in row.headers.items():
                    del mail[name]
                    mail[name] = value
                data = compose.to_bytes(mail)
        except Exception as error:
            log.exception(t("logs.mail_unrenderable", id=row.id, kind=row.kind))
            return Result(row.id, False, f"mise en forme impossible : {type(error).__name__}")
        sender = verp.envelope_sender(self.settings, row.id)
        return Prepared(row.id, sender, row.to_address, data)

    def retry_at(self, row: OutboxMessage, result: Result, now: datetime) -> datetime | None:
        give_up_at = row.due_at + timedelta(hours=self.settings.mail_retry_hours)
        next_attempt = now + retry_delay(self.settings, row.attempts)
        return next_attempt if next_attempt <= give_up_at else None

    def after_refusal(self, session: Session, row: OutboxMessage, result: Result) -> None:
        if row.state == OutboxState.FAILED:
            log.warning(t("logs.mail_failed", id=row.id, reply=result.reply))
        if result.bad_address:
            session.connection().execute(
                update(Person).where(col(Person.email) == result.address).values(email_invalid=True)
            )
            for hook in hard_bounce_hooks():
                hook(session, result.address)

    def observe(self, result: Result) -> None:
        """Say once in the log why the relay refuses us (password, TLS), not at every pass."""
        if result.accepted:
            self._relay_problem = ""
            return
        if relay_problem(result.reply) and result.reply != self._relay_problem:
            self._relay_problem = result.reply
            log.error("the SMTP relay cannot be used: %s", result.reply)


def mail_transports(settings: Settings) -> list[Transport]:
    if not settings.smtp_host:
        return [EmlFolder(settings.mail_outbox_dir)]
    return [SmtpConnection(settings) for _ in range(settings.mail_concurrency)]


class Dispatcher(DeliveryEngine):
    """The mail outbox's engine: ``run_once`` sends everything due now."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        super().__init__(
            MailChannel(settings),
            mail_transports(settings),
            pacing=Pacing(settings.mail_rate_per_second),
            pause_when_unreachable=settings.mail_retry_first_delay,
            engine=engine,
        )
        self.settings = settings
