"""Reading the audit log: filtered, a bounded page at a time, within a coordinator's scope.

A coordinator limited to some networks sees what concerns them: the entries
about an event that invites one of their networks (and that event's
registrations and presence marks), about their networks, and their own
actions. Entries about people, the newsletter or roles concern the whole CRPV
and stay with the unlimited coordinators and administrators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from relais.attendance.models import Attendance
from relais.audit import AuditEntry
from relais.events.models import EventNetwork
from relais.registrations.models import Registration

PAGE_SIZE = 50


@dataclass(frozen=True)
class JournalFilters:
    actor: str = ""
    action: str = ""
    event_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _events_of(networks: frozenset[int]) -> Any:
    return sa.select(col(EventNetwork.event_id)).where(
        col(EventNetwork.network_id).in_(sorted(networks))
    )


def _about_events(events: Any) -> Any:
    """Entries whose target is one of ``events``, or one of their registrations or marks."""
    target, number = col(AuditEntry.target_type), col(AuditEntry.target_id)
    registrations = sa.select(col(Registration.id)).where(col(Registration.event_id).in_(events))
    marks = sa.select(col(Attendance.id)).where(col(Attendance.event_id).in_(events))
    return sa.or_(
        sa.and_(target == "event", number.in_(events)),
        sa.and_(target == "registration", number.in_(registrations)),
        sa.and_(target == "attendance", number.in_(marks)),
    )


def in_scope(networks: frozenset[int] | None, actor: str) -> Any:
    """The entries a coordinator limited to ``networks`` may read (all when None)."""
    if networks is None:
        return sa.true()
    return sa.or_(
        _about_events(_events_of(networks)),
        sa.and_(
            col(AuditEntry.target_type) == "network",
            col(AuditEntry.target_id).in_(sorted(networks)),
        ),
        col(AuditEntry.actor) == actor,
    )


def _like(text: str) -> str:
    typed = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{typed}%"


def page(
    session: Session,
    networks: frozenset[int] | None,
    actor: str,
    filters: JournalFilters,
    before: int | None = None,
    size: int = PAGE_SIZE,
) -> tuple[list[AuditEntry], bool]:
    """The newest entries matching ``filters`` (older than entry ``before``), and whether
    more are left: one query of ``size + 1`` rows, whatever the log's size."""
    query = select(AuditEntry).where(in_scope(networks, actor))
    if filters.actor:
        query = query.where(
            sa.func.lower(col(AuditEntry.actor)).like(_like(filters.actor), escape="\\")
        )
    if filters.action:
        query = query.where(col(AuditEntry.action) == filters.action)
    if filters.event_id is not None:
        query = query.where(_about_events([filters.event_id]))
    if filters.since is not None:
        query = query.where(col(AuditEntry.at) >= filters.since)
    if filters.until is not None:
        query = query.where(col(AuditEntry.at) < filters.until)
    if before is not None:
        query = query.where(col(AuditEntry.id) < before)
    rows = list(session.exec(query.order_by(col(AuditEntry.id).desc()).limit(size + 1)))
    return rows[:size], len(rows) > size
