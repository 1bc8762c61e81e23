"""The one way Relais runs periodic work: an APScheduler in the running event loop.

Channels hand it :class:`relais.delivery.Job` entries (name, interval,
coroutine) through the core's :class:`relais.delivery.Periodic`, which finds
it by the ``job_runner`` hook of :mod:`scheduler.plugin`: the wake-up of their delivery loops, the reminder sweep, the
survey prompts, the hourly purge. APScheduler only wakes things up. The work
to do is rows in the database, so no job is pickled (the memory job store)
and nothing is lost on restart: jobs have fixed ids, ``replace_existing=True``,
coalesce missed runs into one and say how late a run may start.
The scheduler imports no channel.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from apscheduler.job import Job as ScheduledJob
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from relais.delivery import Job


class Scheduler:
    """This process's APScheduler, started in the running loop at the first job added."""

    def __init__(self) -> None:
        self._aps: AsyncIOScheduler | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _running(self) -> AsyncIOScheduler:
        loop = asyncio.get_running_loop()
        if self._aps is None or self._loop is not loop or not self._aps.running:
            self._aps = AsyncIOScheduler(timezone=UTC, event_loop=loop)
            self._loop = loop
            self._aps.start()
        return self._aps

    def add(self, job: Job) -> None:
        extra: dict[str, Any] = {"next_run_time": datetime.now(UTC)} if job.at_start else {}
        self._running().add_job(
            job.run, "interval", seconds=job.seconds, id=job.name, name=job.name,
            replace_existing=True, coalesce=True, max_instances=1, misfire_grace_time=int(job.grace),
            **extra,
        )  # fmt: skip

    def run_now(self, name: str) -> None:
        """Bring a job's next run forward to now (from the loop's thread)."""
        if self._aps is not None and self._aps.running and self._aps.get_job(name) is not None:
            self._aps.modify_job(name, next_run_time=datetime.now(UTC))

    def remove(self, name: str) -> None:
        """Drop a job; the scheduler stops with its last one."""
        if self._aps is None or not self._aps.running:
            return
        if self._aps.get_job(name) is not None:
            self._aps.remove_job(name)
        if not self._aps.get_jobs():
            self._aps.shutdown(wait=False)
            self._aps = None

    def jobs(self) -> list[ScheduledJob]:
        return list(self._aps.get_jobs()) if self._aps is not None else []


_scheduler = Scheduler()


def scheduler() -> Scheduler:
    return _scheduler
