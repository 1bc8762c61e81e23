"""Building the python-telegram-bot application and running it inside ``relais run``.

The bot shares the event loop with everything else: ``initialize`` /
``updater.start_polling`` (or the webhook server) / ``start`` instead of
``run_polling`` (which would own the loop), and the reverse on stop.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Bot, BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application, ApplicationBuilder, Defaults

from bot import conversation, handlers
from bot.guard import PerPersonUpdateProcessor, RetryingRateLimiter
from bot.outbox import OutboxSender, purge_done
from bot.texts import say
from bot.webhook import WebhookServer
from bot.work import in_thread
from relais.delivery import Job, Periodic
from relais.i18n import t
from relais.settings import Settings

log = logging.getLogger("relais.bot")
POLL_TIMEOUT = 10
CONCURRENT_UPDATES = 16


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


async def _purge() -> None:
    """Abandoned conversations and old outbox rows are not kept (RGPD: no longer than needed)."""
    try:
        await in_thread(conversation.purge_abandoned)
        await in_thread(purge_done)
    except Exception:
        log.exception(t("logs.bot_purge_failed"))


#: The hourly purge, handed to the scheduler with the outbox sender's wake-up.
PURGE_JOB = Job("bot.purge", 3600, _purge, grace=600)


async def _quietly_shut(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    try:
        await application.shutdown()
    except Exception:
        log.debug("shutdown after a failed start", exc_info=True)


class BotComponent:
    """What ``relais run`` starts: long polling plus the outbox sender."""

    name = "bot"
    retry_delay = 5.0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.application: Application[Any, Any, Any, Any, Any, Any] | None = None
        self.sender: OutboxSender | None = None
        self.webhook: WebhookServer | None = None
        self.jobs: Periodic | None = None
        self.connecting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect now if Telegram answers; otherwise keep retrying in the background.

        Telegram being unreachable at boot (or a refused token) must not stop
        ``relais run``: e-mails and web pages keep working meanwhile.
        """
        # httpx logs every request URL at INFO, and Bot API URLs contain the token.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        if not await self._try_connect():
            self.connecting = asyncio.create_task(self._keep_trying(), name="bot-connect")

    async def _try_connect(self) -> bool:
        """True once running, or when retrying is pointless (token refused)."""
        application = build_application(self.settings)
        try:
            await self._connect(application)
        except InvalidToken:
            log.error(say("token_refused"))
            await _quietly_shut(application)
            return True
        except NetworkError as error:
            log.warning(say("unreachable", error=str(error)[:120]))
            await _quietly_shut(application)
            return False
        return True

    async def _keep_trying(self) -> None:
        delay = self.retry_delay
        while True:
            await asyncio.sleep(delay)
            if await self._try_connect():
                return
            delay = min(delay * 2, 300.0)

    async def _connect(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
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
        self.jobs = Periodic(self.name, [self.sender.job, PURGE_JOB])
        await self.jobs.start()
        log.info(say("started", username=application.bot.username, mode=mode))

    async def stop(self) -> None:
        if self.connecting is not None:
            self.connecting.cancel()
            await asyncio.gather(self.connecting, return_exceptions=True)
        if self.jobs is not None:
            await self.jobs.stop()
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


class OutboxComponent:
    """What ``relais worker`` starts for Telegram: the outbox sender, without reading updates.

    Only one process may read the bot's updates (``relais run``); any number
    may send its outbox, since rows are claimed (see ``bot.outbox``).
    """

    name = "bot-outbox"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.bot: Bot | None = None
        self.sender: OutboxSender | None = None
        self.jobs: Periodic | None = None

    async def start(self) -> None:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # URLs contain the token
        token = self.settings.telegram_bot_token
        base_url = self.settings.telegram_api_base_url
        self.bot = Bot(token, base_url=base_url) if base_url else Bot(token)
        try:
            await self.bot.initialize()
        except (InvalidToken, NetworkError) as error:  # sending retries and says so
            log.warning(say("unreachable", error=str(error)[:120]))
        self.sender = OutboxSender(self.bot)
        await self.sender.start()
        self.jobs = Periodic(self.name, [self.sender.job])
        await self.jobs.start()

    async def stop(self) -> None:
        if self.jobs is not None:
            await self.jobs.stop()
        if self.sender is not None:
            await self.sender.stop()
        if self.bot is not None:
            await self.bot.shutdown()
