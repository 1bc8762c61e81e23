"""What ``relais run`` and ``relais worker`` keep alive for e-mail.

The mail outbox's delivery loop (:class:`mailer.dispatch.Dispatcher` on the
core engine), and the periodic jobs handed to the scheduler: the loop's
wake-up every ``mail_poll_seconds``, the reminder sweep every minute, and the
hourly deletion of web registrations whose link expired unconfirmed.
Committed domain events that queue an e-mail wake the loop at once.
"""

from __future__ import annotations

import asyncio

from mailer import newsletter_jobs, reminders
from mailer.dispatch import Dispatcher
from relais import signals
from relais.access import services as access
from relais.db import session_scope
from relais.delivery import DeliveryLoop, Job, Periodic, run_now, wake
from relais.delivery.chat import wake_sender
from relais.newsletter import editing
from relais.settings import Settings

DISPATCH_JOB = "mail.dispatch"
REMINDERS_JOB = "mail.reminders"
REMINDERS_EVERY_SECONDS = 60
NEWSLETTER_JOB = "mail.newsletter"
NEWSLETTER_EVERY_SECONDS = 30
#: Domain events after which an e-mail is waiting: wake the dispatcher at once.
WAKING_EVENTS = (
    signals.Registered, signals.Waitlisted, signals.Promoted, signals.RegistrationCancelled,
    signals.EventChanged, signals.EventCancelled, signals.RegistrationLinkRequested,
    signals.AccessLinkRequested, signals.SignInLinkRequested,
)  # fmt: skip
#: Typed web registrations nobody confirmed: deleted once their link has expired.
FORGET_JOB = "access.forget"
FORGET_EVERY_SECONDS = 3600


def _poke(_event: signals.DomainEvent) -> None:
    """After-commit hook: may run in another thread (``wake`` hops onto the loop)."""
    wake(DISPATCH_JOB)


async def queue_reminders() -> None:
    """Reminders due now become rows (e-mail and Telegram); their senders are woken."""
    if await asyncio.to_thread(reminders.queue_due):
        wake(DISPATCH_JOB)
        wake_sender()


async def forget_expired() -> None:
    """The web forms whose link expired unconfirmed are deleted (RGPD)."""
    await asyncio.to_thread(_forget_expired)


def _forget_expired() -> None:
    with session_scope() as session:
        access.forget_expired(session)


async def queue_newsletters() -> None:
    """Issues frozen by the back office: their subscribers queued a page at a time."""
    await asyncio.to_thread(newsletter_jobs.advance)
    wake(DISPATCH_JOB)


class MailComponent:
    name = "mailer"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dispatcher: Dispatcher | None = None
        self.loop: DeliveryLoop | None = None
        self.periodic: Periodic | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self.dispatcher = Dispatcher(self.settings)
        self.loop = DeliveryLoop(DISPATCH_JOB, self.dispatcher, self.settings.mail_poll_seconds)
        await self.loop.start()
        reminders_job = Job(REMINDERS_JOB, REMINDERS_EVERY_SECONDS, queue_reminders, grace=300)
        newsletter_job = Job(
            NEWSLETTER_JOB, NEWSLETTER_EVERY_SECONDS, queue_newsletters, grace=300, at_start=False
        )
        forget_job = Job(FORGET_JOB, FORGET_EVERY_SECONDS, forget_expired, grace=600)
        jobs = [self.loop.job, reminders_job, newsletter_job, forget_job]
        self.periodic = Periodic(self.name, jobs)
        await self.periodic.start()
        self._thread_loop = asyncio.get_running_loop()
        for kind in WAKING_EVENTS:
            signals.after_commit(kind, _poke)
        for issue_event in (editing.IssueQueued, editing.IssueResumed, editing.TrialRequested):
            signals.after_commit(issue_event, self._poke_newsletter)

    def _poke_newsletter(self, _event: signals.DomainEvent) -> None:
        """An issue was handed over in the back office: queue it now, not at the next tick
        (after-commit hooks may run in another thread, so hop onto the loop)."""
        loop = self._thread_loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(run_now, NEWSLETTER_JOB)

    def wake(self) -> None:
        """Ask the dispatcher for a pass over the outbox."""
        if self.loop is not None:
            self.loop.wake()

    async def stop(self) -> None:
        self._thread_loop = None
        if self.periodic is not None:
            await self.periodic.stop()
        if self.loop is not None:
            await self.loop.stop()
