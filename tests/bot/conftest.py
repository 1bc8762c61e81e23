"""A running bot (the real ``BotComponent``) talking to the Bot API stand-in on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.application import BotComponent
from bot.plugin import subscribe
from relais.settings import Settings, load_settings
from tests.botapi import TOKEN, BotAPI


@pytest.fixture
async def api() -> AsyncIterator[BotAPI]:
    async with BotAPI() as stand_in:
        yield stand_in


@pytest.fixture
def bot_settings(db_url: str, api: BotAPI) -> Settings:
    return load_settings(
        telegram_bot_token=TOKEN,
        telegram_api_base_url=api.base_url,
        privacy_url="https://crpv.example.org/confidentialite",
        organisation_name="CRPV Essonne",
    )


@pytest.fixture
async def bot(bot_settings: Settings) -> AsyncIterator[BotComponent]:
    subscribe()
    component = BotComponent(bot_settings)
    await component.start()
    try:
        yield component
    finally:
        await component.stop()
