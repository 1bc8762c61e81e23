"""What the outbox holds, and putting failed e-mails back in it (``relais mail``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, or_, update
from sqlmodel import Session, col, select

from mailer.delivery import RELAY_PROBLEMS
from mailer.models import OutboxMessage, OutboxState
from relais.timefmt import utcnow


@dataclass(frozen=True)
class QueueStatus:
    due: int
    scheduled: int
    retrying: int
    sending: int
    sent: int
    failed: int


def status(session: Session) -> QueueStatus:
    now = utcnow()
    pending = col(OutboxMessage.state) == OutboxState.PENDING
    is_due = col(OutboxMessage.next_attempt_at) <= now
    tried = col(OutboxMessage.attempts) > 0

    def count_when(condition: object) -> object:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)  # type: ignore[arg-type]

    row = session.exec(
        select(  # type: ignore[call-overload]
            count_when(pending & is_due & ~tried),
            count_when(pending & ~is_due & ~tried),
            count_when(pending & tried),
            count_when(col(OutboxMessage.state) == OutboxState.SENDING),
            count_when(col(OutboxMessage.state) == OutboxState.SENT),
            count_when(col(OutboxMessage.state) == OutboxState.FAILED),
        )
    ).one()
    return QueueStatus(*(int(value) for value in row))


def last_failures(session: Session, limit: int = 10) -> list[OutboxMessage]:
    return list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.state == OutboxState.FAILED)
            .order_by(col(OutboxMessage.id).desc())
            .limit(limit)
        )
    )


def retry_failed(session: Session, ids: list[int] | None = None) -> int:
    """Put failed e-mails back, due now, with a fresh retry window."""
    now = utcnow()
    statement = update(OutboxMessage).where(col(OutboxMessage.state) == OutboxState.FAILED)
    if ids:
        statement = statement.where(col(OutboxMessage.id).in_(ids))
    result = session.connection().execute(
        statement.values(
            state=OutboxState.PENDING,
            next_attempt_at=now,
            due_at=now,
            attempts=0,
            claimed_by=None,
        )
    )
    return int(result.rowcount)


def relay_problem(session: Session) -> str | None:
    """The latest reply saying the relay itself refused us (password, TLS, connection).

    Only rows still waiting or failed count: a message sent since then
    overwrote its reply, so a fixed setting stops being reported.
    """
    prefixes = [col(OutboxMessage.last_reply).startswith(p) for p in RELAY_PROBLEMS.values()]
    return session.exec(
        select(OutboxMessage.last_reply)
        .where(col(OutboxMessage.state).in_([OutboxState.PENDING, OutboxState.FAILED]))
        .where(or_(*prefixes))
        .order_by(col(OutboxMessage.next_attempt_at).desc(), col(OutboxMessage.id).desc())
        .limit(1)
    ).first()
