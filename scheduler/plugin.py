"""The scheduler as a channel of the wiring list: it starts nothing of its own.

Its one APScheduler (:mod:`scheduler.component`) starts in the running loop
with the first job a channel's component hands it (through the core's
:class:`relais.delivery.Periodic`, which finds it by the ``job_runner`` hook
below), and stops with the last.
"""

from __future__ import annotations

from typing import Any

__all__ = ["job_runner"]


def job_runner() -> Any:
    """This process's scheduler, which runs every channel's periodic jobs."""
    from scheduler.component import scheduler

    return scheduler()
