"""Pacing: how fast an engine may start sends, overall and per key (a chat, an address).

The overall rate spaces the start of sends across all transports. A key
(Telegram's chat) may have one message in flight and must then wait
``per_key`` seconds after that message started before the next one goes; the
engine defers a row whose key is not ready instead of holding a transport.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

#: Beyond this many remembered keys, those already free are forgotten.
MAX_KEYS = 10_000


class Pacing:
    """Start times of sends: at most ``rate`` per second (0: no limit), keys ``per_key`` apart."""

    def __init__(self, rate: float = 0.0, per_key: float = 0.0) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.per_key = per_key
        self._next_at = 0.0
        self._key_next: dict[Hashable, float] = {}
        self._busy: set[Hashable] = set()

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    def wait_for(self, key: Hashable | None) -> float:
        """Seconds before ``key`` may be handed to a transport (0: now)."""
        if key is None or not self.per_key:
            return 0.0
        if key in self._busy:
            return self.per_key
        return max(0.0, self._key_next.get(key, 0.0) - self._now())

    def take(self, key: Hashable | None) -> None:
        """``key`` has a message on its way: no other goes until that one started and waited."""
        if key is not None and self.per_key:
            self._busy.add(key)

    async def start(self, key: Hashable | None) -> None:
        """Wait for the next overall slot, then start ``key``'s interval."""
        now = self._now()
        if self.interval:
            start = max(now, self._next_at)
            self._next_at = start + self.interval
            if start > now:
                await asyncio.sleep(start - now)
                now = start
        if key is not None and self.per_key:
            self._key_next[key] = max(self._key_next.get(key, 0.0), now + self.per_key)

    def done(self, key: Hashable | None) -> None:
        """The send of ``key`` is over (answered): its next message may be handed."""
        if key is None or not self.per_key:
            return
        self._busy.discard(key)
        if len(self._key_next) > MAX_KEYS:
            now = self._now()
            self._key_next = {k: at for k, at in self._key_next.items() if at > now}

    def hold(self, key: Hashable | None, delay: float) -> None:
        """The far end asked us to wait ``delay`` seconds (Telegram's 429): everyone waits."""
        now = self._now()
        self._next_at = max(self._next_at, now + delay)
        if key is not None:
            self._key_next[key] = now + delay + self.per_key
