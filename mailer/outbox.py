"""Putting e-mails in the outbox, and the hooks the dispatcher calls.

Rows are small (kind, address, payload): the body is rendered when the row is
sent, by the renderer registered for its kind, so a newsletter to 10,000
people does not store 10,000 copies of its HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from mailer.models import OutboxMessage
from relais import db
from relais.settings import get_settings
from relais.timefmt import utcnow

#: A renderer returns the message, or (for speed) its bytes already addressed to the
#: row's recipient with the row's Message-ID; rows of such kinds carry no extra headers.
Renderer = Callable[[Session, OutboxMessage], EmailMessage | bytes]
BounceHook = Callable[[Session, str], None]

_renderers: dict[str, Renderer] = {}
_bounce_hooks: list[BounceHook] = []


def register_renderer(kind: str, renderer: Renderer) -> None:
    """``renderer(session, row)`` builds the message of every row of ``kind`` at send time."""
    _renderers[kind] = renderer


def renderer_for(kind: str) -> Renderer:
    return _renderers[kind]


def on_hard_bounce(hook: BounceHook) -> None:
    """``hook(session, address)`` runs, in the transaction recording a 5.1.x refusal."""
    if hook not in _bounce_hooks:
        _bounce_hooks.append(hook)


def hard_bounce_hooks() -> list[BounceHook]:
    return list(_bounce_hooks)


def sender_domain() -> str:
    address = parseaddr(get_settings().mail_from)[1]
    return address.rpartition("@")[2] or "localhost"


_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
_TAKEN = sa.select(_OUTBOX.c.id).where(_OUTBOX.c.idempotency_key == sa.bindparam("key"))


def enqueue(
    session: Session,
    *,
    kind: str,
    to: str,
    idempotency_key: str,
    subject: str | None = None,
    payload: dict[str, Any] | None = None,
    person_id: int | None = None,
    due_at: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> OutboxMessage | None:
    """Queue one e-mail in the caller's transaction; None when ``idempotency_key`` exists.

    The Message-ID is fixed now, so a message re-sent after a crash carries the
    same one and the recipient's mail client shows it once.
    """
    taken = db.execute(session, _TAKEN, {"key": idempotency_key}).first()
    if taken is not None:
        return None
    due = due_at or utcnow()
    row = OutboxMessage(
        kind=kind,
        to_address=to,
        idempotency_key=idempotency_key,
        subject=subject,
        payload=payload or {},
        person_id=person_id,
        due_at=due,
        next_attempt_at=due,
        headers=headers or {},
        message_id=make_msgid(idstring="relais", domain=sender_domain()),
    )
    session.add(row)
    session.flush()
    return row
