"""One row per bounce reported for an address, kept so coordinators see why.

The score of an address is derived from its rows (soft bounces in a sliding
window), never stored, so it cannot drift from the facts it counts.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from relais.dbtypes import UTCDateTime, enum_type
from relais.timefmt import utcnow


class BounceSeverity(enum.StrEnum):
    HARD = "hard"
    SOFT = "soft"


class AddressBounce(SQLModel, table=True):
    __tablename__ = "address_bounce"
    __table_args__ = (Index("ix_address_bounce_address_at", "address", "received_at"),)

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=254)
    severity: BounceSeverity = Field(sa_type=enum_type(BounceSeverity))
    status: str = Field(default="", max_length=16)
    diagnostic: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    source: str = Field(default="", max_length=40)
    suspended: bool = False
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
