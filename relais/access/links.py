"""The public addresses of events and cycles, shared by every channel.

An event has one public code; the web page ``/e/<code>`` and the bot's deep
link ``?start=<code>`` use the same one, so a CRPV can print either. E-mails
and the newsletter link to the web page (which offers Telegram too) unless
``REGISTER_LINK=telegram`` keeps the direct Telegram link.

Telegram is offered only when ``TELEGRAM_BOT_USERNAME`` names the centre's bot:
without it every Telegram link is empty and the pages, e-mails and commands
fall back to the web pages (never a bot the centre does not own).
"""

from __future__ import annotations

from relais.errors import InvalidInput
from relais.events.models import Event, Series
from relais.settings import get_settings

SERIES_PREFIX = "c_"
#: ``/start p_<event code>``: check in at a session (the QR code pinned up in the room).
CHECKIN_PREFIX = "p_"
#: ``/start s_<event code>``: the session's satisfaction survey.
SURVEY_PREFIX = "s_"


def telegram_enabled() -> bool:
    """A bot is configured: its links and « S'inscrire avec Telegram » may be shown."""
    return bool(get_settings().telegram_bot_username.strip())


def telegram_link(payload: str) -> str:
    """The bot deep link for a payload (an event code, ``c_<cycle code>``…): written only here.

    Empty when no bot is configured (:func:`telegram_enabled`)."""
    if not telegram_enabled():
        return ""
    return f"https://t.me/{get_settings().telegram_bot_username.strip()}?start={payload}"


def event_telegram_link(event: Event) -> str:
    return telegram_link(event.code)


def series_telegram_link(series: Series) -> str:
    return telegram_link(f"{SERIES_PREFIX}{series.code}")


def checkin_link(event: Event) -> str:
    """One tap in Telegram checks the person in at ``event``.

    Check-in happens only in the bot: without one named, a QR code would lead nowhere,
    so the poster is refused in French (:class:`InvalidInput`)."""
    if not telegram_enabled():
        raise InvalidInput("checkin_needs_bot")
    return telegram_link(f"{CHECKIN_PREFIX}{event.code}")


def survey_link(event: Event) -> str:
    return telegram_link(f"{SURVEY_PREFIX}{event.code}")


def event_page(event: Event) -> str:
    return f"{get_settings().public_base_url}/e/{event.code}"


def series_page(series: Series) -> str:
    return f"{get_settings().public_base_url}/c/{series.code}"


def register_link(event: Event) -> str:
    """Where « S'inscrire » leads in e-mails: the event page, or Telegram if so configured
    (and a bot is named)."""
    return event_telegram_link(event) if _telegram_first() else event_page(event)


def series_register_link(series: Series) -> str:
    """The cycle's registration link to hand out (``relais demo``, ``relais event show``)."""
    return series_telegram_link(series) if _telegram_first() else series_page(series)


def _telegram_first() -> bool:
    return get_settings().register_link == "telegram" and telegram_enabled()


def feed_url() -> str:
    """The whole agenda as a calendar (``/agenda.ics``), to paste in Google Agenda."""
    return f"{get_settings().public_base_url}/agenda.ics"


def feed_webcal() -> str:
    """The same address as ``webcal://``: a click subscribes (Outlook, Apple Calendar,
    Thunderbird) instead of downloading a copy that never updates."""
    return "webcal://" + feed_url().split("://", 1)[-1]
