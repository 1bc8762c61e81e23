"""Building the python-telegram-bot application and running it inside ``relais run``.

The bot shares the event loop with everything else: ``initialize`` / ``start``
/ ``updater.start_polling`` instead of ``run_polling`` (which would own the
loop), and the reverse on stop.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, Defaults

from bot import handlers
from bot.guard import PerPersonUpdateProcessor, RetryingRateLimiter
from bot.outbox import OutboxSender
from bot.texts import say
from relais.settings import Settings

log = logging.getLogger("relais.bot")
POLL_TIMEOUT = 10
CONCURRENT_UPDATES = 64


def build_application(settings: Settings) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot with every handler; ``TELEGRAM_API_BASE_URL`` points it at another Bot API server."""
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .concurrent_updates(PerPersonUpdateProcessor(CONCURRENT_UPDATES))
        .rate_limiter(RetryingRateLimiter())
        .connection_pool_size(CONCURRENT_UPDATES)
        .pool_timeout(30)
    )
    if settings.telegram_api_base_url:
        builder = builder.base_url(settings.telegram_api_base_url)
    application = builder.build()
    handlers.install(application)
    return application


def command_list() -> list[BotCommand]:
    return [BotCommand(name, say(f"commands.{name}")) for name, _callback in handlers.COMMANDS]


class BotComponent:
    """What ``relais run`` starts: long polling plus the outbox sender."""

    name = "bot"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.application: Application[Any, Any, Any, Any, Any, Any] | None = None
        self.sender: OutboxSender | None = None

    async def start(self) -> None:
        application = build_application(self.settings)
        await application.initialize()
        await application.bot.set_my_commands(command_list())
        assert application.updater is not None
        await application.updater.start_polling(
            timeout=POLL_TIMEOUT, allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY]
        )
        await application.start()
        self.application = application
        self.sender = OutboxSender(application.bot)
        await self.sender.start()
        log.info(say("started", username=application.bot.username, mode="long polling"))

    async def stop(self) -> None:
        if self.sender is not None:
            await self.sender.stop()
        application = self.application
        if application is None:
            return
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        self.application = None
