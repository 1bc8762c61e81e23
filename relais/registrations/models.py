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
