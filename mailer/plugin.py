"""The mailer as a channel of the wiring list: its tables, its domain-event handlers and
its ``relais doctor`` line (the scheduler waking the dispatcher is a channel of its own,
:mod:`scheduler.plugin`)."""

from __future__ import annotations

from mailer import access, email_code, kinds, models, notify, reminders, telegram
from mailer.doctor import doctor

__all__ = ["doctor", "models", "subscribe"]


def subscribe() -> None:
    kinds.register_all()
    notify.subscribe()
    email_code.subscribe()
    access.subscribe()
    reminders.subscribe()
    reminders.add_channel(telegram.send_by_telegram)
