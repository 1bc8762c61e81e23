"""The dispatcher: claims due outbox rows, sends them, records each answer.

A row is claimed (state ``sending``, with the id of this process's liveness
record), rendered, sent, and only then marked ``sent`` in its own short
transaction. A crash between acceptance and that transaction re-sends just
the messages in flight, with the same Message-ID; a crash anywhere else
re-sends nothing. Rows claimed by a process that died are taken back by the
next claim, at once (:mod:`relais.workers`); rows of a live process never
are. Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (several workers
never take the same row) and the SQLite write lock (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from sqlalchemy import and_, bindparam, func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, create_engine, select

from mailer import compose, verp
from mailer.delivery import EmlFolder, Prepared, Result, SmtpConnection, relay_problem
from mailer.models import OutboxMessage, OutboxState
from mailer.outbox import hard_bounce_hooks, renderer_for
from relais.db import get_engine, is_postgresql, session_scope
from relais.events.models import Event
from relais.i18n import t
from relais.people.models import Person
from relais.settings import Settings
from relais.timefmt import utcnow
from relais.workers import Liveness, register

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_RETRY_DELAY = 3600.0
#: How long answers gather before one transaction records them all (bounded by the window).
GROUP_COMMIT_SECONDS = 0.01


class Transport(Protocol):
    async def deliver(self, prepared: Prepared) -> tuple[Result, bool]: ...

    async def close(self) -> None: ...


class Pacer:
    """Spaces the start of sends to at most ``rate`` per second, across all connections."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_at = 0.0

    async def wait(self) -> None:
        if not self.interval:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        start = max(now, self.next_at)
        self.next_at = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


def retry_delay(settings: Settings, attempts: int) -> timedelta:
    """Exponential backoff: first delay, then twice as long each time, at most an hour."""
    seconds = settings.mail_retry_first_delay * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, MAX_RETRY_DELAY))


def reader_engine(engine: Engine) -> Engine:
    """For rendering: on SQLite a second engine without ``BEGIN IMMEDIATE``, whose reads
    (WAL) never hold the write lock that registrations and the recorder need."""
    if engine.dialect.name != "sqlite":
        return engine
    return create_engine(engine.url, connect_args={"check_same_thread": False, "timeout": 30})


@dataclass
class _Pass:
    """What the producer and the connections of one pass share."""

    ready: asyncio.Queue[Prepared | None] = field(default_factory=asyncio.Queue)
    taken: asyncio.Event = field(default_factory=asyncio.Event)
    reachable: bool = True
    accepted: int = 0


class Dispatcher:
    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or get_engine()
        self.transports: list[Transport] = self._transports()
        self.pacer = Pacer(settings.mail_rate_per_second)
        self._lock = asyncio.Lock()
        self._paused_until = 0.0
        self._reader = reader_engine(self.engine)
        # At most this many answers accepted but not yet written: all a crash can re-send.
        self._window = max(4 * len(self.transports), settings.mail_batch_size)
        self._unrecorded = 0
        self._recorded = asyncio.Event()
        self._relay_problem = ""
        self._liveness: Liveness | None = None

    @property
    def liveness(self) -> Liveness:
        """Registered at the first claim: a dispatcher that never claims holds no lock."""
        if self._liveness is None:
            self._liveness = register(self.engine)
            log.info("mail dispatcher claims as worker %s", self._liveness.id)
        return self._liveness

    def _transports(self) -> list[Transport]:
        if not self.settings.smtp_host:
            return [EmlFolder(self.settings.mail_outbox_dir)]
        return [SmtpConnection(self.settings) for _ in range(self.settings.mail_concurrency)]

    async def run_once(self) -> int:
        """Send everything due now; returns how many the server accepted.

        Everything runs in the event loop, without threads: a thread rendering
        or writing would hold the GIL while the SMTP replies wait (Python's
        switch interval is 5 ms, longer than a whole SMTP exchange). Rows are
        claimed a batch at a time, rendered one message at a time a few ahead
        of the connections, and the answers are written in small groups. After the relay was found unreachable, passes wait for
        the first retry delay instead of claiming more rows only to fail them.
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
                await recorder
            if not run.reachable:
                self._paused_until = loop.time() + self.settings.mail_retry_first_delay
            return run.accepted

    async def _produce(self, run: _Pass, results: asyncio.Queue[Result | None]) -> None:
        """Claim batches and render their messages until nothing is due or the relay is down."""
        prefetch = 2 * len(self.transports)
        try:
            while run.reachable:
                rows = self.claim()
                if not rows:
                    return
                with Session(self._reader) as session:
                    loaded = self._preload(session, rows)  # held: the identity map is weak
                    for index, row in enumerate(rows):
                        while run.ready.qsize() >= prefetch and run.reachable:
                            run.taken.clear()
                            await run.taken.wait()
                        if not run.reachable:
                            self._put(
                                results, *(self._unreachable(r.id or 0) for r in rows[index:])
                            )
                            break
                        item = self._render(session, row)
                        if isinstance(item, Prepared):
                            run.ready.put_nowait(item)
                        else:
                            self._put(results, item)
                        await asyncio.sleep(0)
                    del loaded
                    session.rollback()
        finally:
            for _ in self.transports:
                run.ready.put_nowait(None)

    async def _deliver_from(
        self, run: _Pass, results: asyncio.Queue[Result | None], transport: Transport
    ) -> None:
        while True:
            while self._unrecorded >= self._window:
                self._recorded.clear()
                await self._recorded.wait()
            prepared = await run.ready.get()
            run.taken.set()
            if prepared is None:
                return
            if not run.reachable:
                self._put(results, self._unreachable(prepared.row_id))
                continue
            await self.pacer.wait()
            try:
                result, reachable = await transport.deliver(prepared)
            except Exception as error:  # a full disk, a bug: retried, never lost
                log.exception(t("logs.mail_delivery_failed", id=prepared.row_id))
                result = Result(prepared.row_id, False, f"erreur : {error}"[:500], retry=True)
                reachable = False
            self._put(results, result)
            run.accepted += int(result.accepted)
            self._log_relay_problem(result)
            if not reachable:
                run.reachable = False
                run.taken.set()

    def _log_relay_problem(self, result: Result) -> None:
        """Say once in the log why the relay refuses us (password, TLS), not at every pass."""
        if result.accepted:
            self._relay_problem = ""
            return
        if relay_problem(result.reply) and result.reply != self._relay_problem:
            self._relay_problem = result.reply
            log.error("the SMTP relay cannot be used: %s", result.reply)

    def _put(self, results: asyncio.Queue[Result | None], *answers: Result) -> None:
        for answer in answers:
            self._unrecorded += 1
            results.put_nowait(answer)

    @staticmethod
    def _unreachable(row_id: int) -> Result:
        return Result(row_id, False, "serveur injoignable", retry=True)

    async def _record_loop(self, results: asyncio.Queue[Result | None]) -> None:
        """Group commit: every answer that arrived while the last commit ran goes in the next."""
        done = False
        while not done:
            first = await results.get()
            group = [first]
            if first is not None:
                await asyncio.sleep(GROUP_COMMIT_SECONDS)
            while not results.empty():
                group.append(results.get_nowait())
            done = None in group
            answers = [result for result in group if result is not None]
            if answers:
                self.record(answers)
                self._unrecorded -= len(answers)
                self._recorded.set()

    # -- database side (claim and record run in their threads) --------------------------

    def _due_limit(self, session: Session, now: datetime) -> int:
        limit = self.settings.mail_batch_size
        per_hour = self.settings.mail_rate_per_hour
        if per_hour:
            recent = session.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    or_(
                        col(OutboxMessage.sent_at) > now - timedelta(hours=1),
                        col(OutboxMessage.state) == OutboxState.SENDING,
                    )
                )
            ).one()
            limit = min(limit, per_hour - recent)
        return limit

    def claim(self) -> list[OutboxMessage]:
        """Due rows (and rows whose sender died) become ``sending``, in one short transaction."""
        liveness = self.liveness
        with session_scope(self.engine) as session:
            now = utcnow()
            limit = self._due_limit(session, now)
            if limit <= 0:
                return []
            orphaned = liveness.taken_back(
                session, col(OutboxMessage.state), col(OutboxMessage.claimed_by),
                OutboxState.SENDING,
            )  # fmt: skip
            query = (
                select(OutboxMessage)
                .where(
                    or_(
                        and_(
                            col(OutboxMessage.state) == OutboxState.PENDING,
                            col(OutboxMessage.next_attempt_at) <= now,
                        ),
                        orphaned,
                    )
                )
                .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
                .limit(limit)
            )
            if is_postgresql(session):
                query = query.with_for_update(skip_locked=True)
            claimed = list(session.exec(query))
            for row in claimed:
                row.state = OutboxState.SENDING
                row.claimed_by = liveness.id
                row.attempts += 1
                session.add(row)
            return claimed  # still readable once committed (expire_on_commit=False)

    def _preload(self, session: Session, rows: list[OutboxMessage]) -> list[object]:
        """One query for the batch's people and one for its events, not one per row."""
        people = {row.person_id for row in rows if row.person_id is not None}
        event_ids = {row.payload.get("event_id") for row in rows} - {None}
        loaded: list[object] = []
        if people:
            loaded += session.exec(select(Person).where(col(Person.id).in_(people))).all()
        if event_ids:
            loaded += session.exec(select(Event).where(col(Event.id).in_(event_ids))).all()
        return loaded

    def _render(self, session: Session, row: OutboxMessage) -> Prepared | Result:
        assert row.id is not None
        try:
            mail = renderer_for(row.kind)(session, row)
            if isinstance(mail, bytes):
                data = mail
            else:
                compose.address_headers(mail, to=row.to_address, message_id=row.message_id)
                for name, value in row.headers.items():
                    del mail[name]
                    mail[name] = value
                data = compose.to_bytes(mail)
        except Exception as error:
            log.exception(t("logs.mail_unrenderable", id=row.id, kind=row.kind))
            return Result(row.id, False, f"mise en forme impossible : {type(error).__name__}")
        sender = verp.envelope_sender(self.settings, row.id)
        return Prepared(row.id, sender, row.to_address, data)

    def record(self, results: Sequence[Result]) -> None:
        """Write the answers of the relay; only rows still claimed are touched."""
        now = utcnow()
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        sent = [{"b_id": r.row_id, "b_reply": r.reply} for r in results if r.accepted]
        with session_scope(self.engine) as session:
            if sent:
                session.connection().execute(
                    update(table)
                    .where(table.c.id == bindparam("b_id"), table.c.state == OutboxState.SENDING)
                    .values(
                        state=OutboxState.SENT,
                        sent_at=now,
                        claimed_by=None,
                        last_reply=bindparam("b_reply"),
                    ),
                    sent,
                )
            for result in results:
                if not result.accepted:
                    self._record_refusal(session, result, now)

    def _record_refusal(self, session: Session, result: Result, now: datetime) -> None:
        row = session.get(OutboxMessage, result.row_id)
        if row is None or row.state != OutboxState.SENDING:
            return
        row.last_reply = result.reply
        row.claimed_by = None
        give_up_at = row.due_at + timedelta(hours=self.settings.mail_retry_hours)
        next_attempt = now + retry_delay(self.settings, row.attempts)
        if result.retry and next_attempt <= give_up_at:
            row.state = OutboxState.PENDING
            row.next_attempt_at = next_attempt
        else:
            row.state = OutboxState.FAILED
            log.warning(t("logs.mail_failed", id=row.id, reply=result.reply))
        session.add(row)
        if result.bad_address:
            self._mark_bad_address(session, result.address)

    def _mark_bad_address(self, session: Session, address: str) -> None:
        session.connection().execute(
            update(Person).where(col(Person.email) == address).values(email_invalid=True)
        )
        for hook in hard_bounce_hooks():
            hook(session, address)

    async def close(self) -> None:
        for transport in self.transports:
            await transport.close()
        if self._reader is not self.engine:
            self._reader.dispose()
        if self._liveness is not None:
            self._liveness.close()
            self._liveness = None
