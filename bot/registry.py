"""How other areas add their own handlers and deep links to the one bot.

An area calls these at import time of its plugin module (before ``relais run``
builds the application):

* ``add_handlers(fn)`` — ``fn(application)`` adds python-telegram-bot handlers
  (admin commands, check-in…); they are installed before the bot's own, so a
  specific command wins over the catch-all help;
* ``add_deep_link(prefix, fn)`` — ``/start <prefix><code>`` links (``p_`` for
  check-in, ``s_`` for the satisfaction survey) go to ``fn(update, context, code)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes

HandlerInstaller = Callable[[Application[Any, Any, Any, Any, Any, Any]], None]
DeepLink = Callable[[Update, ContextTypes.DEFAULT_TYPE, str], Awaitable[None]]

_installers: list[HandlerInstaller] = []
_deep_links: dict[str, DeepLink] = {}


def add_handlers(installer: HandlerInstaller) -> None:
    if installer not in _installers:
        _installers.append(installer)


def add_deep_link(prefix: str, handler: DeepLink) -> None:
    _deep_links[prefix] = handler


def installers() -> list[HandlerInstaller]:
    return list(_installers)


def deep_link_for(payload: str) -> tuple[DeepLink, str] | None:
    """The area handler for a ``/start`` payload, and the code after its prefix."""
    for prefix, handler in _deep_links.items():
        if payload.startswith(prefix):
            return handler, payload[len(prefix) :]
    return None
