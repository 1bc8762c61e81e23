"""The messages read from the mailbox: one row each, written in the transaction of
the action taken, so a message is acted on once however often it is read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from relais.dbtypes import UTCDateTime
from relais.timefmt import utcnow


class InboxMessage(SQLModel, table=True):
    __tablename__ = "inbox_message"

    id: int | None = Field(default=None, primary_key=True)
    #: ``mid:<Message-ID>``, or ``sha256:<digest of the bytes>`` when there is none.
    message_key: str = Field(max_length=250, unique=True)
    kind: str = Field(max_length=20)
    outcome: str = Field(max_length=20)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    sender: str = Field(default="", max_length=254)
    subject: str = Field(default="", max_length=300)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    processed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
