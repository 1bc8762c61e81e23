from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from relais.dbtypes import UTCDateTime, enum_type
from relais.text import single_line_fields
from relais.timefmt import utcnow


class EventFormat(enum.StrEnum):
    PRESENTIEL = "presentiel"
    DISTANCIEL = "distanciel"
    HYBRIDE = "hybride"


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Series(SQLModel, table=True):
    """A cycle: sessions registered for together, attendance counted per session."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Event(SQLModel, table=True):
    __table_args__ = (Index("ix_event_status_starts_at", "status", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    theme_id: int | None = Field(default=None, foreign_key="theme.id", index=True)
    format: EventFormat = Field(default=EventFormat.PRESENTIEL, sa_type=enum_type(EventFormat))
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    venue: str = Field(default="", max_length=300)
    visio_url: str = Field(default="", max_length=500)
    capacity: int | None = Field(default=None, ge=1)
    waitlist_enabled: bool = True
    registration_deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)
    registrations_open: bool = True
    members_only: bool = False
    status: EventStatus = Field(default=EventStatus.DRAFT, sa_type=enum_type(EventStatus))
    #: When it was first made public; a cancelled event stays public only if it ever was.
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    series_id: int | None = Field(default=None, foreign_key="series.id", index=True)
    sequence: int = 0
    cancel_reason: str = Field(default="", max_length=500)
    reminder_offsets: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def is_online(self) -> bool:
        return self.format == EventFormat.DISTANCIEL


class EventNetwork(SQLModel, table=True):
    """The networks an event is meant for (and, when ``members_only``, restricted to)."""

    __tablename__ = "event_network"

    event_id: int = Field(foreign_key="event.id", primary_key=True)
    network_id: int = Field(foreign_key="network.id", primary_key=True)


class EventAudience(SQLModel, table=True):
    """Optional audience restriction: only these professional profiles may register."""

    __tablename__ = "event_audience"

    event_id: int = Field(foreign_key="event.id", primary_key=True)
    profile_id: int = Field(foreign_key="profile.id", primary_key=True)


single_line_fields(Series, "title")
single_line_fields(Event, "title", "venue", "visio_url", "cancel_reason")
