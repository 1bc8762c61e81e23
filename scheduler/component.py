"""What runs on time inside ``relais run``: an APScheduler in the running event loop.

APScheduler only wakes things up. The work to do is rows in the database (the
outbox, the reminders), so no job state is pickled and nothing is lost on
restart: the jobs have fixed ids, ``replace_existing=True``, and coalesce
missed runs into one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from mailer import newsletter_jobs, reminders
from mailer.dispatch import Dispatcher
from relais import signals
from relais.i18n import t
from relais.newsletter import editing
from relais.settings import Settings

log = logging.getLogger(__name__)

DISPATCH_JOB = "mail.dispatch"
REMINDERS_JOB = "mail.reminders"
REMINDERS_EVERY_SECONDS = 60
NEWSLETTER_JOB = "mail.newsletter"
NEWSLETTER_EVERY_SECONDS = 30
#: Domain events after which an e-mail is waiting: wake the dispatcher at once.
WAKING_EVENTS = (
    signals.Registered, signals.Waitlisted, signals.Promoted, signals.RegistrationCancelled,
    signals.EventChanged, signals.EventCancelled,
)  # fmt: skip


class MailScheduler:
    name = "mailer"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dispatcher: Dispatcher | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sender: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.dispatcher = Dispatcher(self.settings)
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.scheduler.add_job(
            self.wake, "interval", seconds=self.settings.mail_poll_seconds, id=DISPATCH_JOB,
            replace_existing=True, coalesce=True, max_instances=1, misfire_grace_time=30,
        )  # fmt: skip
        self.scheduler.add_job(
            self.queue_reminders, "interval", seconds=REMINDERS_EVERY_SECONDS, id=REMINDERS_JOB,
            replace_existing=True, coalesce=True, max_instances=1, misfire_grace_time=300,
        )  # fmt: skip
        self.scheduler.add_job(
            self.queue_newsletters, "interval", seconds=NEWSLETTER_EVERY_SECONDS,
            id=NEWSLETTER_JOB, replace_existing=True, coalesce=True, max_instances=1,
            misfire_grace_time=300,
        )  # fmt: skip
        self.scheduler.start()
        for kind in WAKING_EVENTS:
            signals.after_commit(kind, self._poke)
        for issue_event in (editing.IssueQueued, editing.IssueResumed, editing.TrialRequested):
            signals.after_commit(issue_event, self._poke_newsletter)
        self._sender = asyncio.create_task(self._send_forever(), name="mail-dispatcher")
        self.wake()

    def wake(self) -> None:
        """Ask the dispatcher for a pass over the outbox (the interval job calls this)."""
        self._wake.set()

    def _poke(self, _event: signals.DomainEvent) -> None:
        """After-commit hook: may run in another thread, so hop onto the loop."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    def _poke_newsletter(self, _event: signals.DomainEvent) -> None:
        """An issue was handed over in the back office: queue it now, not at the next tick
        (after-commit hooks may run in another thread, so hop onto the loop)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._newsletter_now)

    def _newsletter_now(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.modify_job(NEWSLETTER_JOB, next_run_time=datetime.now(UTC))

    async def queue_newsletters(self) -> None:
        """Issues frozen by the back office: their subscribers queued a page at a time."""
        await asyncio.to_thread(newsletter_jobs.advance)
        self.wake()

    async def queue_reminders(self) -> None:
        queued = await asyncio.to_thread(reminders.queue_due)
        if queued:
            self.wake()

    async def _send_forever(self) -> None:
        assert self.dispatcher is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.dispatcher.run_once()
            except Exception:
                log.exception(t("logs.dispatch_failed"))

    async def stop(self) -> None:
        self._loop = None
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
        if self.dispatcher is not None:
            await self.dispatcher.close()
