"""Telegram messages sent later, once, at Telegram's pace: promotions, changes, reminders.

The rows live in the core's chat outbox (:mod:`relais.delivery.chat`, where
``queue_message`` writes them in the caller's transaction). This module plugs
Telegram into the delivery engine (:mod:`relais.delivery`): rows are claimed,
sent at most one per second to a chat and about thirty per second overall; a
429 is retried after Telegram's delay, network errors with backoff, and a
person who blocked the bot is marked (``Person.telegram_blocked``) and
skipped, without stopping anything.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select, update
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.guard import seconds
from relais.db import session_scope
from relais.delivery import Channel, DeliveryEngine, DeliveryLoop, Outbox, Pacing, Result, backoff
from relais.delivery.chat import CHAT_LOOP, ChatMessage, ChatState, queue_message, wake_sender
from relais.people.models import Person
from relais.text import safe_filename
from relais.timefmt import utcnow

__all__ = ["OutboxSender", "mark_blocked", "mark_returned", "purge_done", "queue_message", "wake"]

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
#: Sent or abandoned rows are only history; they are deleted after this long.
KEEP_DONE = timedelta(days=30)
RETRIES_AFTER_429 = 3
#: Sends in flight at once (they share the bot's HTTP pool; the pace is set by ``Pacing``).
CONCURRENT_SENDS = 16
wake = wake_sender


def purge_done() -> int:
    """Delete rows finished (sent, failed, blocked) more than ``KEEP_DONE`` ago."""
    with session_scope() as session:
        result = session.exec(
            delete(ChatMessage).where(  # type: ignore[call-overload]
                col(ChatMessage.state).not_in([ChatState.PENDING, ChatState.SENDING]),
                col(ChatMessage.created_at) < utcnow() - KEEP_DONE,
            )
        )
        return int(result.rowcount or 0)


def _set_blocked(session: Session, chat_id: int, blocked: bool) -> None:
    session.exec(
        update(Person)  # type: ignore[call-overload]
        .where(col(Person.telegram_id) == chat_id, col(Person.telegram_blocked) != blocked)
        .values(telegram_blocked=blocked)
    )


def mark_blocked(chat_id: int) -> None:
    """The person behind this chat blocked the bot: stop writing to them until they return."""
    with session_scope() as session:
        _set_blocked(session, chat_id, True)


def mark_returned(chat_id: int) -> None:
    """The person wrote to the bot again: they unblocked it."""
    with session_scope() as session:
        _set_blocked(session, chat_id, False)


@dataclass(frozen=True)
class Due:
    """A claimed row with its chat resolved; the chat is the pacing key."""

    row_id: int
    chat_id: int
    text_html: str
    buttons: list[list[tuple[str, str]]] | None
    document: tuple[str, bytes] | None

    @property
    def key(self) -> int:
        return self.chat_id


class TelegramChannel(Channel):
    """Rows to :class:`Due` items; rows with nobody to write to are closed at once."""

    outbox = Outbox(ChatMessage, ChatState, "last_error", 300)
    batch_size = 200
    unreachable_reply = "Telegram injoignable"

    def render(self, session: Session, rows: Sequence[ChatMessage]) -> Iterator[Due | Result]:
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
                yield Result(row.id, False, "blocked by the user", state=ChatState.BLOCKED)
            elif chat_id is None:
                yield Result(row.id, False, "no Telegram account")
            else:
                buttons = json.loads(row.buttons) if row.buttons else None
                document = (row.document_name or "document", row.document) if row.document else None
                yield Due(row.id, chat_id, row.text_html, buttons, document)

    def retry_at(self, row: ChatMessage, result: Result, now: datetime) -> datetime | None:
        if row.attempts >= MAX_ATTEMPTS:
            return None
        if result.retry_after is not None:
            return now + timedelta(seconds=result.retry_after)
        return now + backoff(2.0, row.attempts)

    def after_refusal(self, session: Session, row: ChatMessage, result: Result) -> None:
        if result.bad_address:
            _set_blocked(session, int(result.address), True)


def _keyboard(buttons: list[list[tuple[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in buttons]
    )


class TelegramTransport:
    """Sends one item through the Bot API; a 429 holds the pace, then retries in place."""

    def __init__(self, bot: Bot, pacing: Pacing) -> None:
        self.bot = bot
        self.pacing = pacing

    async def deliver(self, item: Due) -> tuple[Result, bool]:
        """The chat keeps its order: a 429 waits here instead of letting a later message pass."""
        for attempt in range(1, RETRIES_AFTER_429 + 1):
            try:
                await self._send_once(item)
            except RetryAfter as error:
                delay = seconds(error.retry_after)
                self.pacing.hold(item.chat_id, delay)
                if attempt == RETRIES_AFTER_429:
                    return Result(
                        item.row_id, False, str(error), retry=True, retry_after=delay
                    ), True
                await asyncio.sleep(delay)
            except Forbidden as error:
                blocked = Result(
                    item.row_id, False, str(error), bad_address=True, address=str(item.chat_id),
                    state=ChatState.BLOCKED,
                )  # fmt: skip
                return blocked, True
            except BadRequest as error:
                return Result(item.row_id, False, str(error)), True
            except NetworkError as error:
                return Result(item.row_id, False, str(error), retry=True), True
            else:
                return Result(item.row_id, True, ""), True
        raise AssertionError("unreachable")

    async def _send_once(self, item: Due) -> None:
        if item.document is not None:
            name, content = item.document
            await self.bot.send_document(
                item.chat_id,
                document=content,
                filename=safe_filename(name),
                caption=item.text_html or None,
                parse_mode="HTML",
            )
        else:
            await self.bot.send_message(
                item.chat_id,
                item.text_html,
                parse_mode="HTML",
                reply_markup=_keyboard(item.buttons),
            )

    async def close(self) -> None:
        return None


def telegram_engine(
    bot: Bot, *, per_chat_interval: float = 1.0, overall_rate: float = 30.0
) -> DeliveryEngine:
    pacing = Pacing(overall_rate, per_key=per_chat_interval)
    transports = [TelegramTransport(bot, pacing) for _ in range(CONCURRENT_SENDS)]
    return DeliveryEngine(TelegramChannel(), transports, pacing=pacing, pause_when_unreachable=0)


class OutboxSender(DeliveryLoop):
    """The loop sending the chat outbox; its :attr:`job` (every ``idle`` s) goes to the scheduler."""

    def __init__(
        self,
        bot: Bot,
        *,
        per_chat_interval: float = 1.0,
        overall_rate: float = 30.0,
        idle: float = 1.0,
    ) -> None:
        engine = telegram_engine(
            bot, per_chat_interval=per_chat_interval, overall_rate=overall_rate
        )
        super().__init__(CHAT_LOOP, engine, idle)
