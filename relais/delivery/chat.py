"""The outbox of messages to a person's chat (Telegram), and queueing one.

It lives in the core so that any channel may queue a chat message (the
mailer's reminders go by Telegram too) without importing the bot: the bot
only sends the rows (``bot.outbox``). Rows keep their historical table name,
``bot_outbox``.
"""

from __future__ import annotations

import enum
import json
from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, LargeBinary, Text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select

from relais.dbtypes import UTCDateTime, enum_type
from relais.delivery.loop import wake
from relais.timefmt import utcnow

#: The name of the loop sending these rows (see :func:`relais.delivery.loop.wake`).
CHAT_LOOP = "bot-outbox"


class ChatState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"


class ChatMessage(SQLModel, table=True):
    """A chat message to send later, once: promotions, changes, reminders, broadcasts."""

    __tablename__ = "bot_outbox"
    __table_args__ = (Index("ix_bot_outbox_state_next", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    text_html: str = Field(sa_column=Column(Text, nullable=False))
    buttons: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    document_name: str | None = Field(default=None, max_length=120)
    document: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    state: ChatState = Field(default=ChatState.PENDING, sa_type=enum_type(ChatState))
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=300)
    #: The liveness id of the process sending it (see ``relais.workers``), while ``sending``.
    claimed_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def queue_message(
    session: Session,
    *,
    person_id: int | None = None,
    chat_id: int | None = None,
    text_html: str,
    idempotency_key: str,
    buttons: list[list[tuple[str, str]]] | None = None,
    document: tuple[str, bytes] | None = None,
    due_at: datetime | None = None,
) -> bool:
    """Queue a message for a person (their chat is looked up when sending) or a chat.

    Written in the caller's transaction. Returns False when a message with this
    key was already queued: callers may queue the same thing twice without it
    being sent twice.
    """
    if person_id is None and chat_id is None:
        raise ValueError("queue_message needs person_id or chat_id")
    exists = session.exec(
        select(ChatMessage.id).where(ChatMessage.idempotency_key == idempotency_key)
    ).first()
    if exists is not None:
        return False
    row = ChatMessage(
        idempotency_key=idempotency_key,
        person_id=person_id,
        chat_id=chat_id,
        text_html=text_html,
        buttons=json.dumps(buttons, ensure_ascii=False) if buttons else None,
        document_name=document[0] if document else None,
        document=document[1] if document else None,
        next_attempt_at=due_at or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def wake_sender() -> None:
    """Tell this process's running chat sender (if any) that rows were just committed."""
    wake(CHAT_LOOP)
