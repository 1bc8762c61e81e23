"""Secrets an installation generates for itself, shared by all its processes through the database."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from relais.dbtypes import UTCDateTime
from relais.timefmt import utcnow


class InstallationSecret(SQLModel, table=True):
    """One named secret (``signing_key``); written once, never changed by Relais."""

    __tablename__ = "installation_secret"

    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
