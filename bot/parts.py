"""The bot's setup: what each area adds to the one bot, joined here from explicit lists.

The bot's own views, presence (check-in, survey, attendance lists), the
newsletter and the admin tools each expose plain lists: their button routes,
their python-telegram-bot handlers, their ``/start`` deep links, their typed
steps. Nothing adds itself to another module's tables at import time; adding an
area to the bot is a line in each function below.

The tables are built on first use (the areas import :mod:`bot.handlers` and
:mod:`bot.signup`, which read these tables when a person taps or types).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from sqlmodel import Session
from telegram import Update
from telegram.ext import Application, ContextTypes

from bot import buttons, handlers, newsletter, presence, signup
from bot.actor import Actor
from bot.admin import handlers as admin
from bot.conversation import State
from bot.texts import Reply
from relais.access import links

HandlerInstaller = Callable[[Application[Any, Any, Any, Any, Any, Any]], None]
DeepLink = Callable[[Update, ContextTypes.DEFAULT_TYPE, str], Awaitable[None]]
TextStep = Callable[[Session, Actor, State, str], list[Reply]]
AfterProfile = Callable[[Actor, int], list[Reply]]


@cache
def router() -> buttons.Router:
    """Every button of the bot but the admin tools' (``a.…``, routed by :mod:`bot.admin.common`)."""
    return buttons.Router((*handlers.ROUTES, *signup.ROUTES, *presence.ROUTES))


def installers() -> tuple[HandlerInstaller, ...]:
    """Handlers installed before the bot's own, so a specific command wins over the catch-all help."""
    return (admin.install, newsletter.install, presence.install)


def deep_links() -> dict[str, DeepLink]:
    """``/start <prefix><code>`` links that open an area rather than an event."""
    return {links.CHECKIN_PREFIX: presence.checkin_link, links.SURVEY_PREFIX: presence.survey_link}


def deep_link_for(payload: str) -> tuple[DeepLink, str] | None:
    """The area handler for a ``/start`` payload, and the code after its prefix."""
    for prefix, handler in deep_links().items():
        if payload.startswith(prefix):
            return handler, payload[len(prefix) :]
    return None


def text_steps() -> dict[str, TextStep]:
    """Other areas' typed-answer steps (the survey comment, the newsletter's address and code)."""
    return {
        presence.COMMENT_STEP: presence.comment,
        newsletter.STEP_EMAIL: newsletter.take_email,
        newsletter.STEP_CODE: newsletter.take_code,
    }


def after_profile() -> dict[str, AfterProfile]:
    """Other areas' actions resumed once a newcomer's profile is saved, keyed like ``after``."""
    return {"checkin": presence.resume_check_in}
