"""The outbox and the reminder rows: everything the mailer must do later is a row.

A row is marked sent only once the SMTP server accepted it, in its own
transaction, so a crash loses nothing and re-sends at most what was in flight.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from relais.dbtypes import UTCDateTime, enum_type
from relais.timefmt import utcnow


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(SQLModel, table=True):
    """One e-mail to one address; rendered at send time by the renderer of its ``kind``."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_state_next", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    to_address: str = Field(max_length=254, index=True)  # bounces are matched by address
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    subject: str | None = Field(default=None, max_length=300)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    headers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    idempotency_key: str = Field(max_length=200, unique=True)
    message_id: str = Field(max_length=250)
    state: OutboxState = Field(default=OutboxState.PENDING, sa_type=enum_type(OutboxState))
    due_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: The liveness id of the process sending it (see ``relais.workers``), while ``sending``.
    claimed_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    attempts: int = 0
    last_reply: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReminderState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"


class ReminderKind(enum.StrEnum):
    BEFORE = "before"
    THANKS = "thanks"


class Reminder(SQLModel, table=True):
    """A reminder for one registration, ``offset_minutes`` before the start, or a
    thank-you after the end; ``due_at`` is recomputed when the event moves."""

    __table_args__ = (
        UniqueConstraint(
            "registration_id", "kind", "offset_minutes", name="uq_reminder_registration"
        ),
        Index("ix_reminder_state_due", "state", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    registration_id: int = Field(foreign_key="registration.id")
    event_id: int = Field(foreign_key="event.id", index=True)
    kind: ReminderKind = Field(default=ReminderKind.BEFORE, sa_type=enum_type(ReminderKind))
    offset_minutes: int
    due_at: datetime = Field(sa_type=UTCDateTime)
    state: ReminderState = Field(default=ReminderState.PENDING, sa_type=enum_type(ReminderState))
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EventResource(SQLModel, table=True):
    """A document or page shared after an event, listed in the thank-you e-mail."""

    __tablename__ = "event_resource"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    title: str = Field(max_length=200)
    url: str = Field(max_length=500)
