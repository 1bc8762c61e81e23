from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from relais.dbtypes import UTCDateTime
from relais.text import single_line_fields
from relais.timefmt import utcnow


class Network(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200, unique=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    departement_code: str | None = Field(default=None, foreign_key="departement.code", max_length=3)
    theme_id: int | None = Field(default=None, foreign_key="theme.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NetworkMember(SQLModel, table=True):
    __tablename__ = "network_member"

    network_id: int = Field(foreign_key="network.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


single_line_fields(Network, "code", "name")
