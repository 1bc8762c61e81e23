from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from relais.dbtypes import UTCDateTime
from relais.timefmt import utcnow


class SatisfactionAnswer(SQLModel, table=True):
    """One person's answer for one session; answering again updates it."""

    __tablename__ = "satisfaction_answer"
    __table_args__ = (
        UniqueConstraint("event_id", "person_id", name="uq_satisfaction_event_person"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="ck_satisfaction_rating"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    rating: int
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    channel: str = Field(default="", max_length=24)
    answered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
