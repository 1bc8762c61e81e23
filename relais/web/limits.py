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

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, Session, SQLModel

from relais.db import is_postgresql
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


def _bump(session: Session, scope: str, key: str, minute: int) -> None:
    """One more hit this minute; the row lock it takes queues concurrent hits of the key."""
    insert = pg_insert if is_postgresql(session) else sqlite_insert
    table = RateCount.__table__  # type: ignore[attr-defined]
    statement = insert(table).values(scope=scope, key=key, minute=minute, hits=1)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["scope", "key", "minute"], set_={"hits": table.c.hits + 1}
        )
    )


def _total(session: Session, scope: str, key: str, minute: int) -> int:
    table = RateCount.__table__  # type: ignore[attr-defined]
    query = select(func.coalesce(func.sum(table.c.hits), 0)).where(
        table.c.scope == scope, table.c.key == key, table.c.minute > minute - WINDOW_MINUTES
    )
    return int(session.execute(query).scalar_one())


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
        _bump(session, check.scope, key, minute)
        if _total(session, check.scope, key, minute) > check.limit:
            raise Exceeded(check.scope)
