"""Running an engine's passes, and the periodic jobs channels hand to the scheduler.

A :class:`DeliveryLoop` runs a pass of its engine each time it is woken: by
its periodic :class:`Job` (the scheduler calls :meth:`DeliveryLoop.tick`), by
:func:`wake` after a commit queued rows, or when rows it deferred (their key
had to wait) become free. It keeps no state of its own: the rows are the
work, so a restart loses nothing.

Channels hand their :class:`Job` entries to a :class:`Periodic` component,
which passes them to the channel that runs periodic work (the scheduler,
found in the wiring list by its ``job_runner`` hook): no channel imports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from relais.delivery.engine import DeliveryEngine
from relais.i18n import t
from relais.plugins import NotWired, plugins

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """Periodic work a channel hands to the scheduler: ``run`` every ``seconds``.

    ``name`` is the job's fixed id; ``grace`` how late a missed run may still
    start (later ones are coalesced into one); ``at_start`` runs it once at
    once too.
    """

    name: str
    seconds: float
    run: Callable[[], Awaitable[None]]
    grace: float = 30.0
    at_start: bool = True


class JobRunner(Protocol):
    """What the channel running periodic work offers (``scheduler.component.Scheduler``)."""

    def add(self, job: Job) -> None: ...

    def remove(self, name: str) -> None: ...

    def run_now(self, name: str) -> None: ...


def job_runner() -> JobRunner:
    """The runner of periodic jobs: the first channel of the wiring list with a
    ``job_runner()`` hook (the scheduler)."""
    for plugin in plugins():
        runner = plugin.attr("job_runner")
        if runner is not None:
            found: JobRunner = runner()
            return found
    raise NotWired("no channel of the wiring list runs periodic jobs (a job_runner hook)")


def run_now(name: str) -> None:
    """Bring job ``name``'s next run forward to now (from the loop's thread)."""
    job_runner().run_now(name)


class Periodic:
    """A component that keeps ``jobs`` with the job runner while it runs."""

    def __init__(self, name: str, jobs: Sequence[Job]) -> None:
        self.name = name
        self.job_list = list(jobs)

    async def start(self) -> None:
        runner = job_runner()
        for job in self.job_list:
            runner.add(job)

    async def stop(self) -> None:
        runner = job_runner()
        for job in self.job_list:
            runner.remove(job.name)


_running: dict[str, set[DeliveryLoop]] = {}


def wake(name: str) -> None:
    """Ask this process's running loops called ``name`` for a pass; safe from any thread."""
    for loop in list(_running.get(name, ())):
        loop.wake()


class DeliveryLoop:
    """Runs ``engine``'s passes when woken; its :attr:`job` is the periodic wake-up."""

    def __init__(self, name: str, engine: DeliveryEngine, every: float) -> None:
        self.name = name
        self.engine = engine
        self.job = Job(name, every, self.tick)
        self._event = asyncio.Event()
        self._wake_pending = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake_pending = False
        self._task = asyncio.create_task(self._forever(), name=self.name)
        _running.setdefault(self.name, set()).add(self)
        self.wake()

    async def tick(self) -> None:
        """The scheduler's periodic call."""
        self._event.set()

    def wake(self) -> None:
        """Safe from any thread (after-commit handlers run in the committing one).

        Wakes asked while one is on its way to the loop ride on it: a burst of
        registrations then writes to the loop's wake-up pipe once, not once each.
        """
        if self._wake_pending or self._loop is None or self._loop.is_closed():
            return
        self._wake_pending = True
        self._loop.call_soon_threadsafe(self._woken)

    def _woken(self) -> None:
        """On the loop: the flag drops before the event is set, so a wake asked after
        this line schedules its own."""
        self._wake_pending = False
        self._event.set()

    async def _forever(self) -> None:
        assert self._loop is not None
        while self._loop is not None:  # None once stopping, should a cancellation be lost
            await self._event.wait()
            self._event.clear()
            try:
                await self.engine.run_once()
            except Exception:
                log.exception(t("logs.delivery_pass_failed", name=self.name))
            if self.engine.next_wake is not None and self._loop is not None:
                self._loop.call_later(self.engine.next_wake, self._event.set)

    async def stop(self) -> None:
        _running.get(self.name, set()).discard(self)
        self._loop = None
        self._event.set()  # a pass lost to a swallowed cancellation still ends the loop
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.engine.close()
