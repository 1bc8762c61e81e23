"""The delivery engine: everything that must be sent later goes out through it.

A channel (e-mail, Telegram) keeps its rows in an outbox table with the
columns ``state``, ``next_attempt_at``, ``claimed_by``, ``attempts`` and
``sent_at``, and plugs into the engine a :class:`Channel` (how to render a
row, when to retry it) and transports (how to hand one item to the far end).
The engine does the rest, the same way for every channel:

* claim: due rows (and rows of a claimer that died, at once) become
  ``sending`` with this process's liveness id (:mod:`relais.workers`), in one
  short transaction; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the SQLite
  write lock otherwise, so two workers never take one row and a live
  worker's row is never taken, however long its send;
* pacing: an overall rate and one message at a time per key, ``per_key``
  seconds apart (:mod:`relais.delivery.pacing`); a row whose key must wait
  is given back with its next attempt at the time its key is free;
* retry: a refused row is pending again at the time the channel says
  (backoff), or final;
* group commit: answers are written in small groups, a row marked sent only
  once the far end accepted it, so a crash re-sends only what was in flight.

Everything runs in the event loop, without threads: a thread rendering or
writing would hold the GIL while the replies wait (Python's switch interval
is 5 ms, longer than a whole SMTP exchange).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, create_engine, select

from relais import signals
from relais.db import get_engine, is_postgresql, session_scope
from relais.delivery.pacing import MAX_KEYS, Pacing
from relais.i18n import t
from relais.timefmt import utcnow
from relais.workers import Liveness, register

log = logging.getLogger(__name__)
#: How long answers may gather before one transaction records them all; a group is
#: written sooner once it holds half the window, so the transports never wait for it.
GROUP_COMMIT_SECONDS = 0.1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: A loop woken for deferred rows wakes this long after they are due, so it finds them.
WAKE_MARGIN = 0.01


class Item(Protocol):
    """A claimed row made ready for the wire; ``key`` is what pacing is per (None: no key)."""

    @property
    def row_id(self) -> int: ...

    @property
    def key(self) -> Hashable | None: ...


@dataclass(frozen=True)
class Result:
    """The far end's answer about one row.

    ``retry``: try again later (at ``retry_after`` seconds if the far end said
    when); ``state``: the final state when it is not ``failed`` (a chat that
    blocked the bot); ``bad_address``: the address itself is bad.
    """

    row_id: int
    accepted: bool
    reply: str
    retry: bool = False
    bad_address: bool = False
    address: str = ""
    retry_after: float | None = None
    state: str | None = None


class Transport(Protocol):
    async def deliver(self, item: Any) -> tuple[Result, bool]:
        """The result, and whether the far end is reachable (False: stop this pass)."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class Outbox:
    """A channel's outbox table, and the column keeping the far end's last answer."""

    model: Any
    states: type[enum.StrEnum]
    reply_column: str
    reply_length: int = 500

    def state(self, name: str) -> Any:
        return self.states(name)


def backoff(first: float, attempts: int, cap: float = 3600.0) -> timedelta:
    """``first`` seconds after the first attempt, twice as long after each next, at most ``cap``."""
    return timedelta(seconds=min(first * 2 ** max(0, attempts - 1), cap))


class Channel:
    """What a channel plugs into the engine; the defaults suit most channels."""

    outbox: Outbox
    batch_size = 50
    #: The answer recorded for rows left unsent because the far end is unreachable.
    unreachable_reply = "injoignable"

    def batch_limit(self, session: Session, now: datetime) -> int:
        """How many rows the next claim may take (a channel's hourly quota lowers it)."""
        return self.batch_size

    def render(self, session: Session, rows: Sequence[Any]) -> Iterator[Item | Result]:
        """One item (or a final result) per claimed row, in order; ``session`` only reads."""
        raise NotImplementedError

    def retry_at(self, row: Any, result: Result, now: datetime) -> datetime | None:
        """When to try ``row`` again after ``result`` (None: give up)."""
        raise NotImplementedError

    def after_refusal(self, session: Session, row: Any, result: Result) -> None:
        """In the transaction recording a refusal (``row.state`` already set)."""

    def observe(self, result: Result) -> None:
        """Every answer, as it arrives (to log a relay problem once, say)."""


@dataclass
class _Pass:
    """What the producer and the transports of one pass share."""

    ready: asyncio.Queue[Item | None] = field(default_factory=asyncio.Queue)
    taken: asyncio.Event = field(default_factory=asyncio.Event)
    reachable: bool = True
    accepted: int = 0
    soonest: datetime | None = None

    def deferred(self, at: datetime) -> None:
        self.soonest = at if self.soonest is None else min(self.soonest, at)

    def next_wake(self) -> float | None:
        """Seconds until the first deferred row is due again (a little after, never before)."""
        if self.soonest is None:
            return None
        return max(0.0, (self.soonest - utcnow()).total_seconds()) + WAKE_MARGIN


def reader_engine(engine: Engine) -> Engine:
    """For rendering: on SQLite a second engine without ``BEGIN IMMEDIATE``, whose reads
    (WAL) never hold the write lock that registrations and the recorder need."""
    if engine.dialect.name != "sqlite":
        return engine
    return create_engine(engine.url, connect_args={"check_same_thread": False, "timeout": 30})


class DeliveryEngine:
    """Sends a channel's due rows through its transports; one pass at a time."""

    def __init__(
        self,
        channel: Channel,
        transports: Sequence[Transport],
        *,
        pacing: Pacing | None = None,
        pause_when_unreachable: float = 60.0,
        engine: Engine | None = None,
    ) -> None:
        signals.load_subscribers()  # a channel's renderers are registered by its subscribe()
        self.channel = channel
        self.outbox = channel.outbox
        self.transports = list(transports)
        self.pacing = pacing or Pacing()
        self.pause_when_unreachable = pause_when_unreachable
        self.engine = engine or get_engine()
        self._sending = self.outbox.state("sending")
        self._lock = asyncio.Lock()
        self._paused_until = 0.0
        self._reader = reader_engine(self.engine)
        # At most this many answers accepted but not yet written: all a crash can re-send.
        self._window = max(4 * len(self.transports), channel.batch_size)
        self._unrecorded = 0
        self._recorded = asyncio.Event()
        self._half_full = asyncio.Event()
        self._liveness: Liveness | None = None
        self._deferred: dict[Hashable | None, datetime] = {}
        #: After a pass that deferred rows: in how many seconds the first is free.
        self.next_wake: float | None = None

    @property
    def liveness(self) -> Liveness:
        """Registered at the first claim: an engine that never claims holds no lock."""
        if self._liveness is None:
            self._liveness = register(self.engine)
            log.info(
                t(
                    "logs.worker_claims",
                    channel=type(self.channel).__name__,
                    worker=self._liveness.id,
                )
            )
        return self._liveness

    async def run_once(self) -> int:
        """Send everything due now; returns how many the far end accepted.

        Rows are claimed a batch at a time, rendered one at a time a few ahead
        of the transports, and the answers written in small groups. After the
        far end was found unreachable, passes wait ``pause_when_unreachable``
        instead of claiming more rows only to fail them.
        """
        loop = asyncio.get_running_loop()
        if loop.time() < self._paused_until:
            return 0
        async with self._lock:
            results: asyncio.Queue[Result | None] = asyncio.Queue()
            recorder = asyncio.create_task(self._record_loop(results))
            run = _Pass()
            producer = asyncio.create_task(self._produce(run, results))
            try:
                await asyncio.gather(
                    *(self._deliver_from(run, results, transport) for transport in self.transports)
                )
                await producer
            finally:
                results.put_nowait(None)
                self._half_full.set()  # the last group goes at once
                await recorder
            if not run.reachable:
                self._paused_until = loop.time() + self.pause_when_unreachable
            self.next_wake = run.next_wake()
            return run.accepted

    async def _produce(self, run: _Pass, results: asyncio.Queue[Result | None]) -> None:
        """Claim batches and render their rows until nothing is due or the far end is down."""
        try:
            while run.reachable:
                rows = await asyncio.to_thread(self.claim)
                if not rows:
                    return
                deferred = await self._hand_over(run, results, rows)
                await asyncio.to_thread(self.release, deferred)
        finally:
            for _ in self.transports:
                run.ready.put_nowait(None)

    async def _hand_over(
        self, run: _Pass, results: asyncio.Queue[Result | None], rows: list[Any]
    ) -> list[tuple[int, datetime]]:
        """Render ``rows`` into the ready queue; returns the rows whose key must wait."""
        prefetch = 2 * len(self.transports)
        deferred: list[tuple[int, datetime]] = []
        handled: set[int] = set()
        with Session(self._reader) as session:
            for item in self.channel.render(session, rows):
                while run.ready.qsize() >= prefetch and run.reachable:
                    run.taken.clear()
                    await run.taken.wait()
                if not run.reachable:
                    left = [row.id for row in rows if row.id not in handled]
                    self._put(results, *(self._unreachable(row_id) for row_id in left))
                    break
                handled.add(item.row_id)
                if isinstance(item, Result):
                    self._put(results, item)
                    continue
                wait = self.pacing.wait_for(item.key)
                if wait:
                    at = self._defer(item.key, wait)
                    deferred.append((item.row_id, at))
                    run.deferred(at)
                    continue
                self.pacing.take(item.key)
                run.ready.put_nowait(item)
                await asyncio.sleep(0)
            session.rollback()
        return deferred

    async def _deliver_from(
        self, run: _Pass, results: asyncio.Queue[Result | None], transport: Transport
    ) -> None:
        while True:
            while self._unrecorded >= self._window:
                self._recorded.clear()
                await self._recorded.wait()
            item = await run.ready.get()
            run.taken.set()
            if item is None:
                return
            if not run.reachable:
                self.pacing.done(item.key)
                self._put(results, self._unreachable(item.row_id))
                continue
            result, reachable = await self._deliver(transport, item)
            self._put(results, result)
            run.accepted += int(result.accepted)
            self.channel.observe(result)
            if not reachable:
                run.reachable = False
                run.taken.set()

    async def _deliver(self, transport: Transport, item: Item) -> tuple[Result, bool]:
        await self.pacing.start(item.key)
        try:
            return await transport.deliver(item)
        except Exception as error:  # a full disk, a bug: retried, never lost
            log.exception(t("logs.delivery_failed", id=item.row_id))
            return Result(item.row_id, False, f"erreur : {error}"[:500], retry=True), False
        finally:
            self.pacing.done(item.key)

    def _defer(self, key: Hashable | None, wait: float) -> datetime:
        """When a row of ``key`` may be claimed again: never before an earlier row of its key,
        so that the key's rows keep their order (ties go by id)."""
        at = max(utcnow() + timedelta(seconds=wait), self._deferred.get(key, _EPOCH))
        if len(self._deferred) > MAX_KEYS:
            now = utcnow()
            self._deferred = {k: when for k, when in self._deferred.items() if when > now}
        self._deferred[key] = at
        return at

    def _put(self, results: asyncio.Queue[Result | None], *answers: Result) -> None:
        for answer in answers:
            self._unrecorded += 1
            results.put_nowait(answer)
        if results.qsize() * 2 >= self._window:
            self._half_full.set()

    def _unreachable(self, row_id: int) -> Result:
        return Result(row_id, False, self.channel.unreachable_reply, retry=True)

    async def _gather_more(self) -> None:
        """Wait until half the window is waiting or ``GROUP_COMMIT_SECONDS`` passed.

        A timer sets the event rather than ``asyncio.wait_for``, which on Python
        3.11 may swallow a cancellation arriving as the event is set.
        """
        self._half_full.clear()
        timer = asyncio.get_running_loop().call_later(GROUP_COMMIT_SECONDS, self._half_full.set)
        try:
            await self._half_full.wait()
        finally:
            timer.cancel()

    async def _record_loop(self, results: asyncio.Queue[Result | None]) -> None:
        """Group commit: every answer that arrived while the last commit ran goes in the next."""
        done = False
        while not done:
            first = await results.get()
            group = [first]
            if first is not None and results.qsize() * 2 < self._window:
                await self._gather_more()
            while not results.empty():
                group.append(results.get_nowait())
            done = None in group
            answers = [result for result in group if result is not None]
            if answers:
                await asyncio.to_thread(self.record, answers)
                self._unrecorded -= len(answers)
                self._recorded.set()

    # -- database side: short transactions, each in a worker thread --------------------
    # (a write waits its turn behind the other writers of the process, see relais.db:
    # on the event loop it would stop the web pages and the bot meanwhile)

    def claim(self, limit: int | None = None) -> list[Any]:
        """Due rows (and rows whose claimer died) become ``sending``, in one short transaction."""
        liveness = self.liveness
        model, sending = self.outbox.model, self.outbox.state("sending")
        with session_scope(self.engine) as session:
            now = utcnow()
            wanted = self.channel.batch_limit(session, now) if limit is None else limit
            if wanted <= 0:
                return []
            orphaned = liveness.taken_back(
                session, col(model.state), col(model.claimed_by), sending
            )
            query = (
                select(model)
                .where(
                    or_(
                        and_(
                            col(model.state) == self.outbox.state("pending"),
                            col(model.next_attempt_at) <= now,
                        ),
                        orphaned,
                    )
                )
                .order_by(col(model.next_attempt_at), col(model.id))
                .limit(wanted)
            )
            if is_postgresql(session):
                query = query.with_for_update(skip_locked=True)
            claimed = list(session.exec(query))
            for row in claimed:
                row.state = sending
                row.claimed_by = liveness.id
                row.attempts += 1
                session.add(row)
            return claimed  # still readable once committed (expire_on_commit=False)

    def release(self, deferred: Sequence[tuple[int, datetime]]) -> None:
        """Give back claimed rows, untried, to be claimed again at the time given (their key
        is busy till then)."""
        if not deferred:
            return
        model, table = self.outbox.model, self.outbox.model.__table__
        with session_scope(self.engine) as session:
            session.connection().execute(
                update(table)
                .where(table.c.id == bindparam("b_id"), table.c.state == self._sending)
                .values(
                    state=self.outbox.state("pending"),
                    claimed_by=None,
                    attempts=col(model.attempts) - 1,
                    next_attempt_at=bindparam("b_at"),
                ),
                [{"b_id": row_id, "b_at": at} for row_id, at in deferred],
            )

    def record(self, results: Sequence[Result]) -> None:
        """Write the far end's answers; only rows still claimed are touched."""
        now = utcnow()
        table = self.outbox.model.__table__
        length = self.outbox.reply_length
        sent = [{"b_id": r.row_id, "b_reply": r.reply[:length]} for r in results if r.accepted]
        with session_scope(self.engine) as session:
            if sent:
                session.connection().execute(
                    update(table)
                    .where(table.c.id == bindparam("b_id"), table.c.state == self._sending)
                    .values(
                        {
                            "state": self.outbox.state("sent"),
                            "sent_at": now,
                            "claimed_by": None,
                            self.outbox.reply_column: bindparam("b_reply"),
                        }
                    ),
                    sent,
                )
            for result in results:
                if not result.accepted:
                    self._record_refusal(session, result, now)

    def _record_refusal(self, session: Session, result: Result, now: datetime) -> None:
        row = session.get(self.outbox.model, result.row_id)
        if row is None or row.state != self.outbox.state("sending"):
            return
        setattr(row, self.outbox.reply_column, result.reply[: self.outbox.reply_length])
        row.claimed_by = None
        next_attempt = self.channel.retry_at(row, result, now) if result.retry else None
        if next_attempt is not None:
            row.state = self.outbox.state("pending")
            row.next_attempt_at = next_attempt
        else:
            row.state = self.outbox.state(result.state or "failed")
        session.add(row)
        self.channel.after_refusal(session, row, result)

    async def close(self) -> None:
        for transport in self.transports:
            await transport.close()
        if self._reader is not self.engine:
            self._reader.dispose()
        if self._liveness is not None:
            self._liveness.close()
            self._liveness = None
