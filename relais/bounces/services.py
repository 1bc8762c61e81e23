"""Recording a bounce and deciding whether the address may still be mailed.

5.1.x (no such user, no such domain) is final at once, as an SMTP-time
refusal already is. Everything else (4.x.x, 5.7.x policy or spam, a full
mailbox) is soft: it may be the server's mood, not the address; only
:data:`SOFT_LIMIT` of them within :data:`SOFT_WINDOW` suspend the address.
Either way the person's address is flagged invalid and a newsletter
subscription ends as « bounced », in the caller's transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from relais import audit
from relais.bounces.models import AddressBounce, BounceSeverity
from relais.newsletter import services as newsletter
from relais.people.models import Person
from relais.timefmt import utcnow

SOFT_LIMIT = 3
SOFT_WINDOW = timedelta(days=30)
_STATUS = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})$")


@dataclass(frozen=True)
class BounceVerdict:
    severity: BounceSeverity
    soft_count: int
    invalidated: bool


def severity_of(status: str) -> BounceSeverity:
    """5.1.x is the address's fault; any other code is counted as soft."""
    found = _STATUS.match(status.strip())
    if found is not None and found.group(1, 2) == ("5", "1"):
        return BounceSeverity.HARD
    return BounceSeverity.SOFT


def soft_count(session: Session, address: str, now: datetime) -> int:
    return session.exec(
        select(func.count())
        .select_from(AddressBounce)
        .where(
            AddressBounce.address == address,
            AddressBounce.severity == BounceSeverity.SOFT,
            col(AddressBounce.received_at) > now - SOFT_WINDOW,
        )
    ).one()


def record(
    session: Session, address: str, status: str, diagnostic: str, *, source: str
) -> BounceVerdict:
    """Record one bounce for ``address``; invalidate it when hard or too many soft ones."""
    address = address.strip().lower()
    now = utcnow()
    severity = severity_of(status)
    row = AddressBounce(
        address=address, severity=severity, status=status.strip()[:16],
        diagnostic=diagnostic.strip()[:2000], source=source[:40], received_at=now,
    )  # fmt: skip
    session.add(row)
    session.flush()
    count = soft_count(session, address, now)
    invalid = severity == BounceSeverity.HARD or count >= SOFT_LIMIT
    if invalid:
        row.suspended = severity == BounceSeverity.SOFT
        session.add(row)
        invalidate(session, address)
    audit.record(
        session, source, "address.bounced", "address_bounce", row.id,
        severity=severity.value, status=row.status, invalid=invalid,
    )  # fmt: skip
    return BounceVerdict(severity, count, invalid)


def invalidate(session: Session, address: str) -> None:
    """Never mail this address again: the person's flag, and the newsletter subscription."""
    session.connection().execute(
        update(Person).where(col(Person.email) == address).values(email_invalid=True)
    )
    newsletter.mark_bounced(session, address)


def recent(session: Session, limit: int = 50) -> list[AddressBounce]:
    """The latest bounces, newest first, for coordinators."""
    return list(
        session.exec(
            select(AddressBounce).order_by(col(AddressBounce.received_at).desc()).limit(limit)
        )
    )
