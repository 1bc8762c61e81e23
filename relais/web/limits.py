"""Rate limits that every process serving the site shares: counters in the database.

Several ``relais run`` (or workers) on one PostgreSQL must not each grant the
full allowance, so hits are counted in ``rate_count``: one row per scope, key
and minute, summed over the last hour (a sliding window to the minute). Keys
are stored as keyed hashes: the table tells nobody which addresses or IPs
came by. Rows older than the window are pruned as the minutes pass.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, text
from sqlmodel import Field, Session, SQLModel

from relais.keys.services import signing_key

WINDOW_MINUTES = 60


class RateCount(SQLModel, table=True):
    """How many hits one key made in one minute (``minute`` counts from the Unix epoch)."""

    __tablename__ = "rate_count"

    scope: str = Field(primary_key=True, max_length=16)
    key: str = Field(primary_key=True, max_length=32)
    minute: int = Field(primary_key=True)
    hits: int = 0


@dataclass(frozen=True)
class Check:
    """One limit to pass: at most ``limit`` hits of ``key`` in ``scope`` over the window."""

    scope: str
    key: str
    limit: int


class Exceeded(Exception):
    """A limit is reached: the caller's transaction rolls back, so the hit is not kept."""


_pruned = {"minute": 0}
_prune_lock = threading.Lock()


def _digest(scope: str, key: str) -> str:
    return hmac.new(signing_key(), f"{scope}:{key}".encode(), hashlib.sha256).hexdigest()[:32]


#: Plain SQL that PostgreSQL and SQLite both speak, built once: the ORM would compile an
#: upsert again on every request, which cost more than the rest of the check.
_BUMP = text(
    'INSERT INTO rate_count (scope, "key", minute, hits) VALUES (:scope, :key, :minute, 1) '
    'ON CONFLICT (scope, "key", minute) DO UPDATE SET hits = rate_count.hits + 1'
)
_TOTAL = text(
    "SELECT coalesce(sum(hits), 0) FROM rate_count "
    'WHERE scope = :scope AND "key" = :key AND minute > :since'
)


def _bump(session: Session, scope: str, key: str, minute: int) -> int:
    """One more hit this minute, and the hits over the window (this one included).

    The upsert's row lock queues concurrent hits of the same key (PostgreSQL);
    on SQLite the whole transaction already holds the write lock."""
    session.execute(_BUMP, {"scope": scope, "key": key, "minute": minute})
    since = minute - WINDOW_MINUTES
    return int(session.execute(_TOTAL, {"scope": scope, "key": key, "since": since}).scalar_one())


def _prune(session: Session, minute: int) -> None:
    """At most once a minute per process: forget the minutes that left the window."""
    with _prune_lock:
        if _pruned["minute"] == minute:
            return
        _pruned["minute"] = minute
    table = RateCount.__table__  # type: ignore[attr-defined]
    session.execute(delete(table).where(table.c.minute <= minute - WINDOW_MINUTES))


def count(session: Session, checks: Sequence[Check]) -> None:
    """Count one hit against each check; raises Exceeded when one is over its limit."""
    minute = int(time.time() // 60)
    _prune(session, minute)
    for check in checks:
        key = _digest(check.scope, check.key)
        if _bump(session, check.scope, key, minute) > check.limit:
            raise Exceeded(check.scope)
