"""Subscribers and issues of the newsletter.

A subscriber is not necessarily a :class:`~relais.people.models.Person`: most
come from another tool's export and have never registered to an event, so the
subscription keeps its own address and its own proof of consent. When the
same address belongs to a person the row is linked, so that erasure and the
right of access reach it.

Deliveries are not a table of their own: each is one outbox row whose
idempotency key is ``newsletter:<issue>:<subscriber>`` (see ``mailer/newsletter.py``),
so the state that says « accepted by the server » exists exactly once.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel

from relais.dbtypes import UTCDateTime, enum_type
from relais.text import single_line_fields
from relais.timefmt import utcnow


class SubscriberStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"


class Subscriber(SQLModel, table=True):
    __tablename__ = "newsletter_subscriber"
    __table_args__ = (Index("ix_newsletter_subscriber_status_id", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    organisation: str = Field(default="", max_length=200)
    structure_type_id: int | None = Field(default=None, foreign_key="structure_type.id")
    status: SubscriberStatus = Field(
        default=SubscriberStatus.PENDING, sa_type=enum_type(SubscriberStatus)
    )
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    telegram_id: int | None = Field(default=None, sa_column=Column(BigInteger, index=True))
    consent_channel: str = Field(default="", max_length=24)
    consent_source: str = Field(default="", max_length=200)
    consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirm_code: str | None = Field(default=None, max_length=12)
    confirm_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirm_attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def mailable(self) -> bool:
        return self.status == SubscriberStatus.ACTIVE


class IssueStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    SENT = "sent"


class Issue(SQLModel, table=True):
    """One numbered issue, frozen when it is sent: what was sent is what the archive shows."""

    __tablename__ = "newsletter_issue"

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True)
    title: str = Field(max_length=200)
    issue_date: date
    subject: str = Field(max_length=250)
    status: IssueStatus = Field(default=IssueStatus.SCHEDULED, sa_type=enum_type(IssueStatus))
    html: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    web_html: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    send_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    recipients: int = 0
    queued_through: int = 0
    queue_complete: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Draft(SQLModel, table=True):
    """An issue being written in the back office: kept between two previews, turned into
    an :class:`Issue` when it is sent (and then deleted)."""

    __tablename__ = "newsletter_draft"

    id: int | None = Field(default=None, primary_key=True)
    number: int
    title: str = Field(max_length=200)
    issue_date: date
    subject: str = Field(default="", max_length=250)
    intro: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    body: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    updated_by: str = Field(default="", max_length=80)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ConfirmationRequest(SQLModel, table=True):
    """One confirmation e-mail asked for, kept a day or two to cap how many go out.

    Counted per address and per Telegram account, so nobody can flood someone
    else's mailbox by typing their address again and again.
    """

    __tablename__ = "newsletter_request"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    telegram_id: int | None = Field(default=None, sa_column=Column(BigInteger, index=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


single_line_fields(Subscriber, "first_name", "last_name", "organisation", "consent_source")
single_line_fields(Issue, "title", "subject")
single_line_fields(Draft, "title", "subject")
