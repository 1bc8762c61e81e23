from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from relais.dbtypes import UTCDateTime, enum_type
from relais.text import single_line_fields
from relais.timefmt import utcnow


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)


class Person(SQLModel, table=True):
    """A professional. After erasure the row stays, emptied of personal data,
    so that attendance still counts (anonymously) in the statistics."""

    id: int | None = Field(default=None, primary_key=True)
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    email: str | None = Field(default=None, max_length=254, unique=True)
    email_invalid: bool = False
    phone: str | None = Field(default=None, max_length=30)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    profile_id: int | None = Field(default=None, foreign_key="profile.id", index=True)
    structure_type_id: int | None = Field(default=None, foreign_key="structure_type.id", index=True)
    #: When the person chose « Passer » at the one-time question: not asked again.
    structure_type_declined_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    departement_code: str | None = Field(default=None, foreign_key="departement.code", max_length=3)
    telegram_id: int | None = Field(default=None, sa_column=Column(BigInteger, unique=True))
    telegram_blocked: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ConsentPurpose(enum.StrEnum):
    REGISTRATION = "registration"
    NEWSLETTER = "newsletter"


class Consent(SQLModel, table=True):
    """What a person agreed to, when, by which channel: the RGPD proof."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    purpose: ConsentPurpose = Field(sa_type=enum_type(ConsentPurpose))
    granted: bool = True
    channel: str = Field(max_length=24)
    source: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


single_line_fields(Organisation, "name")
single_line_fields(Person, "first_name", "last_name", "phone")
