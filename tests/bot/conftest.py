"""A running bot (the real ``BotComponent``) talking to the Bot API stand-in on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.application import BotComponent
from bot.plugin import subscribe
from relais.settings import Settings, get_settings
from tests.botapi import TOKEN, BotAPI


@pytest.fixture
async def api() -> AsyncIterator[BotAPI]:
    async with BotAPI() as stand_in:
        yield stand_in


@pytest.fixture
def bot_settings(db_url: str, api: BotAPI, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The process settings (the views read them too), pointed at the stand-in."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.base_url)
    monkeypatch.setenv("PRIVACY_URL", "https://crpv.example.org/confidentialite")
    monkeypatch.setenv("ORGANISATION_NAME", "CRPV Essonne")
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
async def bot(bot_settings: Settings) -> AsyncIterator[BotComponent]:
    subscribe()
    component = BotComponent(bot_settings)
    await component.start()
    try:
        yield component
    finally:
        await component.stop()
