from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from relais.dbtypes import UTCDateTime
from relais.timefmt import utcnow


class Invitation(SQLModel, table=True):
    """One person invited to one event on one channel; the constraint forbids a second."""

    __table_args__ = (
        UniqueConstraint("event_id", "person_id", "channel", name="uq_invitation_once"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id")
    person_id: int = Field(foreign_key="person.id", index=True)
    channel: str = Field(max_length=16)
    network_id: int | None = Field(default=None, foreign_key="network.id")
    batch: str = Field(max_length=32, index=True)
    invited_by: str = Field(max_length=80)
    invited_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Broadcast(SQLModel, table=True):
    """A short message a coordinator sent to a network's members on Telegram."""

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    recipients: int = 0
    created_by: str = Field(max_length=80)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
