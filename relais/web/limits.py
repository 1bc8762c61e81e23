"""Rate limits that every process serving the site shares: counters in the database.

Several ``relais run`` (or workers) on one PostgreSQL must not each grant the
full allowance, so hits are counted in ``rate_count``: one row per scope, key
and minute, summed over the last hour (a sliding window to the minute). Keys
are stored as keyed hashes: the table tells nobody which addresses or IPs
came by. Rows older than the window are pruned as the minutes pass.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import TextClause, delete, text
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


@functools.cache
def _totals(checks: int) -> TextClause:
    """The hits of ``checks`` keys over the window, in one query (only numbered
    placeholders go into the text)."""
    pairs = " OR ".join(f'(scope = :scope{i} AND "key" = :key{i})' for i in range(checks))
    return text(
        'SELECT scope, "key", coalesce(sum(hits), 0) FROM rate_count '
        f'WHERE minute > :since AND ({pairs}) GROUP BY scope, "key"'
    )


def _prune(session: Session, minute: int) -> None:
    """At most once a minute per process: forget the minutes that left the window."""
    with _prune_lock:
        if _pruned["minute"] == minute:
            return
        _pruned["minute"] = minute
    table = RateCount.__table__  # type: ignore[attr-defined]
    session.execute(delete(table).where(table.c.minute <= minute - WINDOW_MINUTES))


def count(session: Session, checks: Sequence[Check]) -> None:
    """Count one hit against each check; raises Exceeded when one is over its limit.

    One upsert for all the keys, then one query for their totals: the upsert's
    row lock queues concurrent hits of the same key (PostgreSQL); on SQLite the
    whole transaction already holds the write lock."""
    if not checks:
        return
    minute = int(time.time() // 60)
    _prune(session, minute)
    keys = [(check.scope, _digest(check.scope, check.key)) for check in checks]
    connection = session.connection()  # plain SQL: no ORM step on every request
    connection.execute(_BUMP, [{"scope": s, "key": k, "minute": minute} for s, k in keys])
    params: dict[str, object] = {"since": minute - WINDOW_MINUTES}
    for number, (scope, key) in enumerate(keys):
        params[f"scope{number}"], params[f"key{number}"] = scope, key
    totals = {(s, k): int(n) for s, k, n in connection.execute(_totals(len(keys)), params)}
    for check, found in zip(checks, keys, strict=True):
        if totals.get(found, 0) > check.limit:
            raise Exceeded(check.scope)
