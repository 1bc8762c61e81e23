"""The mailer as a Relais plugin: its tables, its domain-event handlers, its commands
and the component ``relais run`` keeps alive (the scheduler waking the dispatcher)."""

from __future__ import annotations

from typing import Any

from mailer import kinds, models, notify, reminders, telegram
from mailer.doctor import doctor
from relais.settings import Settings

__all__ = ["component", "doctor", "models", "subscribe"]


def subscribe() -> None:
    kinds.register_all()
    notify.subscribe()
    reminders.subscribe()
    reminders.add_channel(telegram.send_by_telegram)


def component(settings: Settings) -> Any:
    from scheduler.component import MailScheduler

    return MailScheduler(settings)
