"""The public addresses of events and cycles, shared by every channel.

An event has one public code; the web page ``/e/<code>`` and the bot's deep
link ``?start=<code>`` use the same one, so a CRPV can print either. E-mails
and the newsletter link to the web page (which offers Telegram too) unless
``REGISTER_LINK=telegram`` keeps the direct Telegram link.
"""

from __future__ import annotations

from relais.events.models import Event, Series
from relais.settings import get_settings

SERIES_PREFIX = "c_"
#: ``/start p_<event code>``: check in at a session (the QR code pinned up in the room).
CHECKIN_PREFIX = "p_"
#: ``/start s_<event code>``: the session's satisfaction survey.
SURVEY_PREFIX = "s_"


def telegram_link(payload: str) -> str:
    """The bot deep link for a payload (an event code, ``c_<cycle code>``…): written only here."""
    return f"https://t.me/{get_settings().telegram_bot_username}?start={payload}"


def event_telegram_link(event: Event) -> str:
    return telegram_link(event.code)


def series_telegram_link(series: Series) -> str:
    return telegram_link(f"{SERIES_PREFIX}{series.code}")


def checkin_link(event: Event) -> str:
    """One tap in Telegram checks the person in at ``event``."""
    return telegram_link(f"{CHECKIN_PREFIX}{event.code}")


def survey_link(event: Event) -> str:
    return telegram_link(f"{SURVEY_PREFIX}{event.code}")


def event_page(event: Event) -> str:
    return f"{get_settings().public_base_url}/e/{event.code}"


def register_link(event: Event) -> str:
    """Where « S'inscrire » leads in e-mails: the event page, or Telegram if so configured."""
    if get_settings().register_link == "telegram":
        return event_telegram_link(event)
    return event_page(event)
