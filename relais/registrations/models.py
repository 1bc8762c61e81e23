from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from relais.dbtypes import UTCDateTime, enum_type
from relais.timefmt import utcnow


class RegistrationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Registration(SQLModel, table=True):
    """One person for one event (one session of a cycle).

    The waiting-list position is derived from ``queued_at`` (then ``id``), never
    stored, so a cancellation cannot leave a gap to renumber.
    """

    __table_args__ = (
        UniqueConstraint("event_id", "person_id", name="uq_registration_event_person"),
        Index("ix_registration_event_status", "event_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id")
    person_id: int = Field(foreign_key="person.id", index=True)
    status: RegistrationStatus = Field(sa_type=enum_type(RegistrationStatus))
    source: str = Field(default="cli", max_length=24)
    queued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CalendarAnswer(SQLModel, table=True):
    """What a person answered from their calendar (iTIP REPLY) to their invitation.

    ``verified`` says the receiving server authenticated the sender; an
    unverified answer is only shown to coordinators until one of them confirms it.
    """

    __tablename__ = "calendar_answer"

    id: int | None = Field(default=None, primary_key=True)
    registration_id: int = Field(foreign_key="registration.id", index=True)
    partstat: str = Field(max_length=20)
    sequence: int = 0
    verified: bool = False
    applied: bool = False
    confirmed_by: str | None = Field(default=None, max_length=80)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
