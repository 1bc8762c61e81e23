"""The bot's own tables: where each person is in a conversation, and the Telegram outbox."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, LargeBinary, Text
from sqlmodel import Field, SQLModel

from relais.dbtypes import UTCDateTime, enum_type
from relais.timefmt import utcnow


class BotConversation(SQLModel, table=True):
    """The step a person is at, kept in SQL so that a restart loses nothing."""

    __tablename__ = "bot_conversation"

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    step: str = Field(max_length=40)
    data: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"


class BotOutboxMessage(SQLModel, table=True):
    """A Telegram message to send later, once: promotions, changes, reminders, broadcasts."""

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
    state: OutboxState = Field(default=OutboxState.PENDING, sa_type=enum_type(OutboxState))
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=300)
    #: The liveness id of the process sending it (see ``relais.workers``), while ``sending``.
    claimed_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
