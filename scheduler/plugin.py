"""The scheduler as a channel of the wiring list: what ``relais run`` and ``relais worker``
keep alive (APScheduler waking the mail dispatcher and queueing reminders)."""

from __future__ import annotations

from typing import Any

from relais.settings import Settings

__all__ = ["component", "worker_component"]


def component(settings: Settings) -> Any:
    from scheduler.component import MailScheduler

    return MailScheduler(settings)


def worker_component(settings: Settings) -> Any:
    """``relais worker`` runs the same loops: dispatching the outbox, queueing reminders."""
    return component(settings)
