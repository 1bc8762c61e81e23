"""The mailbox reader as a component of ``relais run``: one thread, stopped cleanly.

A thread, not a task: ``imaplib`` and the database work are blocking, and the
reader must not hold up the event loop that sends mail and answers the bot.
"""

from __future__ import annotations

import asyncio
import threading

from mailer.inbox.process import InboxReader
from relais.settings import Settings


class InboxComponent:
    name = "inbox"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    async def start(self) -> None:
        reader = InboxReader(self.settings)
        self._thread = threading.Thread(
            target=reader.run_forever, args=(self._stop,), name="relais-inbox", daemon=True
        )
        self._thread.start()

    async def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, self.settings.imap_timeout + 5)
