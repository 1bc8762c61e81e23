"""The audit log: who changed what, when. Written in the same transaction as the change."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel

from relais.dbtypes import UTCDateTime
from relais.timefmt import utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=80)
    action: str = Field(max_length=60, index=True)
    target_type: str = Field(max_length=40)
    target_id: int | None = None
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))


_INSERT = AuditEntry.__table__.insert()  # type: ignore[attr-defined]


def record(
    session: Session,
    actor: str,
    action: str,
    target_type: str,
    target_id: int | None,
    **details: Any,
) -> None:
    """One entry, inserted at once in the caller's transaction.

    A plain INSERT rather than an ORM object: a registration records two or
    three entries, and building, tracking and flushing objects nobody reads
    back cost more than the rest of the row.
    """
    session.execute(
        _INSERT,
        {
            "at": utcnow(),
            "actor": actor,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "details": json.dumps(details, default=str, ensure_ascii=False),
        },
    )
