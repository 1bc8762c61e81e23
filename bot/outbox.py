"""Telegram messages sent later, once, at Telegram's pace: promotions, changes, reminders.

``queue_message`` writes a row in the caller's transaction (it commits or rolls
back with the change that caused it). The bot component's ``OutboxSender``
claims due rows and sends them: at most one message per second to a chat and
about thirty per second overall; a 429 is retried after Telegram's delay,
network errors with backoff, and a person who blocked the bot is marked
(``Person.telegram_blocked``) and skipped, without stopping anything.

Rows are claimed (``sending``, with the sender's liveness id) before they are
sent, so several processes (``relais run``, ``relais worker``) share the
outbox without sending a message twice; the rows of a sender that died are
taken back at its next claim by any other (:mod:`relais.workers`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select, update
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.guard import seconds
from bot.models import BotOutboxMessage, OutboxState
from bot.work import in_thread
from relais.db import get_engine, is_postgresql, session_scope
from relais.i18n import t
from relais.people.models import Person
from relais.text import safe_filename
from relais.timefmt import utcnow
from relais.workers import Liveness, register

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
#: Sent or abandoned rows are only history; they are deleted after this long.
KEEP_DONE = timedelta(days=30)
RETRIES_AFTER_429 = 3


def queue_message(
    session: Session,
    *,
    person_id: int | None = None,
    chat_id: int | None = None,
    text_html: str,
    idempotency_key: str,
    buttons: list[list[tuple[str, str]]] | None = None,
    document: tuple[str, bytes] | None = None,
    due_at: datetime | None = None,
) -> bool:
    """Queue a message for a person (their chat is looked up when sending) or a chat.

    Returns False when a message with this key was already queued: callers may
    queue the same thing twice without it being sent twice.
    """
    if person_id is None and chat_id is None:
        raise ValueError("queue_message needs person_id or chat_id")
    exists = session.exec(
        select(BotOutboxMessage.id).where(BotOutboxMessage.idempotency_key == idempotency_key)
    ).first()
    if exists is not None:
        return False
    row = BotOutboxMessage(
        idempotency_key=idempotency_key,
        person_id=person_id,
        chat_id=chat_id,
        text_html=text_html,
        buttons=json.dumps(buttons, ensure_ascii=False) if buttons else None,
        document_name=document[0] if document else None,
        document=document[1] if document else None,
        next_attempt_at=due_at or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def purge_done() -> int:
    """Delete rows finished (sent, failed, blocked) more than ``KEEP_DONE`` ago."""
    with session_scope() as session:
        result = session.exec(
            delete(BotOutboxMessage).where(  # type: ignore[call-overload]
                col(BotOutboxMessage.state).not_in([OutboxState.PENDING, OutboxState.SENDING]),
                col(BotOutboxMessage.created_at) < utcnow() - KEEP_DONE,
            )
        )
        return int(result.rowcount or 0)


def mark_blocked(chat_id: int) -> None:
    """The person behind this chat blocked the bot: stop writing to them until they return."""
    with session_scope() as session:
        session.exec(
            update(Person).where(col(Person.telegram_id) == chat_id).values(telegram_blocked=True)  # type: ignore[call-overload]
        )


def mark_returned(chat_id: int) -> None:
    """The person wrote to the bot again: they unblocked it."""
    with session_scope() as session:
        session.exec(
            update(Person)  # type: ignore[call-overload]
            .where(col(Person.telegram_id) == chat_id, col(Person.telegram_blocked))
            .values(telegram_blocked=False)
        )


@dataclass(frozen=True)
class Due:
    id: int
    chat_id: int
    text_html: str
    buttons: list[list[tuple[str, str]]] | None
    document: tuple[str, bytes] | None


def claim_due(liveness: Liveness, limit: int) -> list[Due]:
    """Claim due rows (and those of dead senders) with their chat resolved.

    Rows with nobody to write to are closed here. ``FOR UPDATE SKIP LOCKED``
    on PostgreSQL, the write lock on SQLite: two senders never claim one row.
    """
    now = utcnow()
    due: list[Due] = []
    with session_scope() as session:
        orphaned = liveness.taken_back(
            session, col(BotOutboxMessage.state), col(BotOutboxMessage.claimed_by),
            OutboxState.SENDING,
        )  # fmt: skip
        query = (
            select(BotOutboxMessage)
            .where(
                or_(
                    and_(
                        col(BotOutboxMessage.state) == OutboxState.PENDING,
                        col(BotOutboxMessage.next_attempt_at) <= now,
                    ),
                    orphaned,
                )
            )
            .order_by(col(BotOutboxMessage.next_attempt_at), col(BotOutboxMessage.id))
            .limit(limit)
        )
        if is_postgresql(session):
            query = query.with_for_update(skip_locked=True)
        rows = list(session.exec(query))
        person_ids = {row.person_id for row in rows if row.person_id is not None}
        people = {
            person.id: person
            for person in session.exec(select(Person).where(col(Person.id).in_(person_ids)))
        }
        for row in rows:
            assert row.id is not None
            person = people.get(row.person_id)
            chat_id = row.chat_id or (person.telegram_id if person is not None else None)
            if person is not None and person.telegram_blocked:
                row.state, row.last_error = OutboxState.BLOCKED, "blocked by the user"
            elif chat_id is None:
                row.state, row.last_error = OutboxState.FAILED, "no Telegram account"
            else:
                row.state, row.claimed_by = OutboxState.SENDING, liveness.id
                buttons = json.loads(row.buttons) if row.buttons else None
                document = (row.document_name or "document", row.document) if row.document else None
                due.append(Due(row.id, chat_id, row.text_html, buttons, document))
            session.add(row)
    return due


def release(ids: list[int]) -> None:
    """Give back claimed rows this sender will not send now (their chat must wait)."""
    if not ids:
        return
    with session_scope() as session:
        session.exec(
            update(BotOutboxMessage)  # type: ignore[call-overload]
            .where(
                col(BotOutboxMessage.id).in_(ids),
                col(BotOutboxMessage.state) == OutboxState.SENDING,
            )
            .values(state=OutboxState.PENDING, claimed_by=None)
        )


BACKOFF = -1.0


def record(
    message_id: int, state: OutboxState, error: str = "", retry_in: float | None = None
) -> None:
    """The result of one attempt; ``retry_in`` seconds (or ``BACKOFF``) keeps it pending."""
    with session_scope() as session:
        row = session.get(BotOutboxMessage, message_id)
        if row is None:
            return
        row.attempts += 1
        if retry_in == BACKOFF:
            retry_in = float(2**row.attempts)
        row.last_error = error[:300]
        row.claimed_by = None
        if retry_in is not None and row.attempts < MAX_ATTEMPTS:
            row.state = OutboxState.PENDING
            row.next_attempt_at = utcnow() + timedelta(seconds=retry_in)
        else:
            row.state = state if retry_in is None else OutboxState.FAILED
        if row.state == OutboxState.SENT:
            row.sent_at = utcnow()
        session.add(row)


def _keyboard(buttons: list[list[tuple[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in buttons]
    )


class OutboxSender:
    """Sends due rows, paced per chat and overall; woken early by :func:`wake`."""

    def __init__(
        self,
        bot: Bot,
        *,
        per_chat_interval: float = 1.0,
        overall_rate: float = 30.0,
        idle: float = 1.0,
    ) -> None:
        self.bot = bot
        self.per_chat_interval = per_chat_interval
        self.overall_rate = overall_rate
        self.idle = idle
        self._chat_next: dict[int, float] = {}
        self._next_slot = 0.0
        self._liveness: Liveness | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: asyncio.Task[None] | None = None

    async def start(self) -> None:
        global _sender
        self._loop = asyncio.get_running_loop()
        self._liveness = await in_thread(register, get_engine())
        self._runner = asyncio.create_task(self._run(), name="bot-outbox")
        _sender = self

    async def stop(self) -> None:
        global _sender
        _sender = None
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._liveness is not None:
            self._liveness.close()
            self._liveness = None

    def wake(self) -> None:
        """Safe from any thread (after-commit handlers run in the committing one)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        assert self._liveness is not None
        while True:
            try:
                due = await in_thread(claim_due, self._liveness, 200)
            except Exception:
                log.exception(t("logs.telegram_outbox_unreadable"))
                due = []
            waiting = await self._dispatch(due)
            self._wake.clear()
            pause = self.idle if not due or waiting is None else min(self.idle, waiting)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)

    async def _dispatch(self, due: list[Due]) -> float | None:
        """Start what each chat's pace allows now; say how soon the next one may go."""
        loop = asyncio.get_running_loop()
        soonest: float | None = None
        later: list[int] = []
        for message in due:
            now = loop.time()
            chat_ready = self._chat_next.get(message.chat_id, 0.0)
            if chat_ready > now:
                wait = chat_ready - now
                soonest = wait if soonest is None else min(soonest, wait)
                later.append(message.id)
                continue
            slot = max(now, self._next_slot)
            self._next_slot = slot + 1.0 / self.overall_rate
            self._chat_next[message.chat_id] = slot + self.per_chat_interval
            if slot > now:
                await asyncio.sleep(slot - now)
            task = asyncio.create_task(self._send(message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await in_thread(release, later)
        if len(self._chat_next) > 10_000:
            now = loop.time()
            self._chat_next = {chat: t for chat, t in self._chat_next.items() if t > now}
        return soonest

    async def _send(self, message: Due) -> None:
        try:
            state, error, retry_in = await self._deliver(message)
            await in_thread(record, message.id, state, error, retry_in)
        except Exception:
            log.exception(t("logs.telegram_outbox_not_recorded", id=message.id))

    async def _deliver(self, message: Due) -> tuple[OutboxState, str, float | None]:
        """One message; a 429 holds this chat (order kept) and the overall pace, then retries."""
        for attempt in range(1, RETRIES_AFTER_429 + 1):
            try:
                await self._send_once(message)
            except RetryAfter as error:
                delay = seconds(error.retry_after)
                now = asyncio.get_running_loop().time()
                self._next_slot = max(self._next_slot, now + delay)
                self._chat_next[message.chat_id] = now + delay + self.per_chat_interval
                if attempt == RETRIES_AFTER_429:
                    return OutboxState.PENDING, str(error), delay
                await asyncio.sleep(delay)
            except Forbidden as error:
                await in_thread(mark_blocked, message.chat_id)
                return OutboxState.BLOCKED, str(error), None
            except BadRequest as error:
                return OutboxState.FAILED, str(error), None
            except NetworkError as error:
                return OutboxState.PENDING, str(error), BACKOFF
            else:
                return OutboxState.SENT, "", None
        raise AssertionError("unreachable")

    async def _send_once(self, message: Due) -> None:
        if message.document is not None:
            name, content = message.document
            await self.bot.send_document(
                message.chat_id,
                document=content,
                filename=safe_filename(name),
                caption=message.text_html or None,
                parse_mode="HTML",
            )
        else:
            await self.bot.send_message(
                message.chat_id,
                message.text_html,
                parse_mode="HTML",
                reply_markup=_keyboard(message.buttons),
            )


_sender: OutboxSender | None = None


def wake() -> None:
    """Tell the running sender (if any) that rows were just committed."""
    if _sender is not None:
        _sender.wake()
