"""The mailer as a channel of the wiring list: its tables, its domain-event handlers, its
``relais doctor`` line and the component ``relais run`` and ``relais worker`` keep alive
(the mail delivery loop and the jobs it hands to the scheduler)."""

from __future__ import annotations

from typing import Any

from mailer import access, email_code, kinds, models, notify, reminders, telegram
from mailer.doctor import doctor
from relais.settings import Settings

__all__ = ["component", "doctor", "models", "subscribe", "worker_component"]


def subscribe() -> None:
    kinds.register_all()
    notify.subscribe()
    email_code.subscribe()
    access.subscribe()
    reminders.subscribe()
    reminders.add_channel(telegram.send_by_telegram)


def component(settings: Settings) -> Any:
    from mailer.component import MailComponent

    return MailComponent(settings)


def worker_component(settings: Settings) -> Any:
    """``relais worker`` runs the same loops: dispatching the outbox, queueing reminders."""
    return component(settings)
