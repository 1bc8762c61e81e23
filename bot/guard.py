"""What keeps the bot standing: per-person ordering and flood limit, retried sends.

* ``PerPersonUpdateProcessor`` handles updates concurrently, but one person's
  updates one after the other, so a fast double tap cannot interleave steps.
* ``FloodGuard`` gives each person a bucket of updates; beyond it the bot says
  once to slow down and ignores the rest until the bucket refills.
* ``RetryingRateLimiter`` retries a request after the delay of a 429, and after
  network errors with a short backoff.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import ApplicationHandlerStop, BaseRateLimiter, BaseUpdateProcessor, ContextTypes

from bot.texts import say
from relais.i18n import t

log = logging.getLogger(__name__)


def seconds(value: float | timedelta) -> float:
    """``RetryAfter.retry_after`` is an int today and a timedelta in a later PTB."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            await coroutine
            return
        lock = self._locks.setdefault(user.id, asyncio.Lock())
        self._users[user.id] = self._users.get(user.id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[user.id] -= 1
            if not self._users[user.id]:
                del self._users[user.id]
                del self._locks[user.id]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


class FloodGuard:
    """A token bucket per person: ``burst`` updates at once, then ``rate`` per second."""

    def __init__(self, burst: int = 30, rate: float = 1.0) -> None:
        self.burst = burst
        self.rate = rate
        self._buckets: dict[int, tuple[float, float]] = {}
        self._warned: set[int] = set()

    def allow(self, user_id: int, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(user_id, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens < 1:
            self._buckets[user_id] = (tokens, now)
            return False
        self._buckets[user_id] = (tokens - 1, now)
        if tokens - 1 >= self.burst / 2:
            self._warned.discard(user_id)
        if len(self._buckets) > 50_000:
            self._forget_idle(now)
        return True

    def _forget_idle(self, now: float) -> None:
        idle = [
            uid for uid, (_, last) in self._buckets.items() if now - last > self.burst / self.rate
        ]
        for uid in idle:
            del self._buckets[uid]

    async def __call__(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update):
            return
        chat = update.effective_chat
        if chat is not None and chat.type != chat.PRIVATE:
            raise ApplicationHandlerStop
        user = update.effective_user
        if user is None or self.allow(user.id):
            return
        if user.id not in self._warned:
            self._warned.add(user.id)
            await context.bot.send_message(user.id, say("flood"))
        if update.callback_query is not None:
            await update.callback_query.answer()
        raise ApplicationHandlerStop


class RetryingRateLimiter(BaseRateLimiter[dict[str, Any]]):
    """Replays a request after Telegram's ``retry_after`` or a network hiccup."""

    def __init__(self, attempts: int = 4, backoff: float = 0.5) -> None:
        self.attempts = attempts
        self.backoff = backoff

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        for attempt in range(1, self.attempts + 1):
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == self.attempts:
                    raise
                delay = seconds(error.retry_after)
                log.info(t("logs.telegram_wait", delay=f"{delay:.1f}", endpoint=endpoint))
                await asyncio.sleep(delay)
            except BadRequest:
                raise
            except NetworkError as error:
                if attempt == self.attempts:
                    raise
                log.info(t("logs.telegram_retry", endpoint=endpoint, error=str(error)))
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")
