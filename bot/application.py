"""Building the python-telegram-bot application and running it inside ``relais run``.

The bot shares the event loop with everything else: ``initialize`` /
``updater.start_polling`` (or the webhook server) / ``start`` instead of
``run_polling`` (which would own the loop), and the reverse on stop.
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
from bot.webhook import WebhookServer
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
        self.webhook: WebhookServer | None = None

    async def start(self) -> None:
        # httpx logs every request URL at INFO, and Bot API URLs contain the token.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        application = build_application(self.settings)
        await application.initialize()
        await application.bot.set_my_commands(command_list())
        allowed = [Update.MESSAGE, Update.CALLBACK_QUERY]
        if self.settings.telegram_webhook_url:
            self.webhook = WebhookServer(application, self.settings)
            await self.webhook.start(allowed)
            mode = "webhook"
        else:
            assert application.updater is not None
            await application.updater.start_polling(timeout=POLL_TIMEOUT, allowed_updates=allowed)
            mode = "long polling"
        await application.start()
        self.application = application
        self.sender = OutboxSender(application.bot)
        await self.sender.start()
        log.info(say("started", username=application.bot.username, mode=mode))

    async def stop(self) -> None:
        if self.sender is not None:
            await self.sender.stop()
        if self.webhook is not None:
            await self.webhook.stop()
            self.webhook = None
        application = self.application
        if application is None:
            return
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        self.application = None
