"""The Telegram channel, as ``relais run`` and the migrations see it (hooks of the wiring list)."""

from __future__ import annotations

import sys

from sqlmodel import Session

from bot import conversation, models, notify
from bot.application import BotComponent, OutboxComponent
from bot.doctor import doctor
from bot.texts import say
from relais.people import export as data_export
from relais.people import services as people
from relais.settings import Settings

__all__ = ["component", "doctor", "models", "subscribe", "worker_component"]


def _export(session: Session, person_id: int) -> dict[str, object]:
    """The bot's share of a person's data export: the step they are at, if any."""
    person = people.get(session, person_id)
    state = conversation.load(session, person.telegram_id) if person.telegram_id else None
    return {
        "compte_telegram": person.telegram_id,
        "bot_bloque": data_export.yes_no(person.telegram_blocked),
        "etape_en_cours": {"etape": state.step, "reponses": state.data} if state else None,
    }


def subscribe() -> None:
    notify.subscribe()
    data_export.register_exporter("telegram", _export)


def component(settings: Settings) -> BotComponent | None:
    """The bot, or None (with one line saying how to turn it on) without a token."""
    if not settings.telegram_bot_token:
        print(say("disabled"), file=sys.stderr)
        return None
    return BotComponent(settings)


def worker_component(settings: Settings) -> OutboxComponent | None:
    """``relais worker`` sends the Telegram outbox only: updates are read by ``relais run``."""
    if not settings.telegram_bot_token:
        return None
    return OutboxComponent(settings)
