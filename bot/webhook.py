"""Webhook mode: Telegram calls Relais instead of Relais polling Telegram.

A small Starlette app served by uvicorn in the same event loop receives the
updates and hands them to the application's queue, as polling would. Telegram
sends back the secret given to ``setWebhook`` in a header; calls without it
are refused, so nobody else can inject updates.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from typing import Any
from urllib.parse import urlparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from relais.i18n import t
from relais.keys.services import signing_key
from relais.settings import Settings

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_secret() -> str:
    """Stable across restarts, in Telegram's allowed alphabet.

    Derived from the installation key (:mod:`relais.keys`): SECRET_KEY, or the
    random key generated in the database, never a constant anyone could read.
    """
    digest = hmac.new(signing_key(), b"telegram-webhook", hashlib.sha256)
    return digest.hexdigest()


class WebhookServer:
    def __init__(
        self, application: Application[Any, Any, Any, Any, Any, Any], settings: Settings
    ) -> None:
        self.application = application
        self.settings = settings
        self.secret = ""
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, allowed_updates: list[str]) -> None:
        self.secret = await asyncio.to_thread(webhook_secret)
        path = urlparse(self.settings.telegram_webhook_url).path or "/"
        app = Starlette(routes=[Route(path, self._receive, methods=["POST"])])
        config = uvicorn.Config(
            app,
            host=self.settings.telegram_webhook_listen,
            port=self.settings.telegram_webhook_port,
            log_level="warning",
            lifespan="off",
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(), name="bot-webhook")
        while not self._server.started:
            if self._task.done():
                await self._task
                raise RuntimeError("webhook server did not start")
            await asyncio.sleep(0.01)
        await self.application.bot.set_webhook(
            self.settings.telegram_webhook_url,
            secret_token=self.secret,
            allowed_updates=allowed_updates,
        )

    async def _receive(self, request: Request) -> Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), self.secret):
            return Response(status_code=403)
        try:
            update = Update.de_json(await request.json(), self.application.bot)
        except Exception:
            log.warning(t("logs.webhook_unreadable"))
            return Response(status_code=400)
        await self.application.update_queue.put(update)
        return Response(status_code=200)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = None
