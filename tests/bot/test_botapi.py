"""The stand-in answers like Telegram does, through python-telegram-bot's real HTTP stack."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter

from tests.botapi import TOKEN, BotAPI


async def test_messages_documents_and_taps_round_trip() -> None:
    async with BotAPI() as api, Bot(TOKEN, base_url=api.base_url) as bot:
        camille = api.user("Camille")
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Oui", callback_data="yes")]])
        await bot.send_message(
            camille.id, "<b>A</b> &amp; B", parse_mode="HTML", reply_markup=keyboard
        )
        shown = await camille.next_message()
        assert shown.text == "A & B"
        await bot.send_document(camille.id, document=b"BEGIN:VCALENDAR", filename="a.ics")
        assert (await camille.next_document()).message.document == ("a.ics", b"BEGIN:VCALENDAR")
        await camille.send("/start code1")
        await camille.tap("Oui")
        updates = await bot.get_updates(timeout=1)
        assert updates[0].message is not None and updates[0].message.text == "/start code1"
        assert updates[1].callback_query is not None and updates[1].callback_query.data == "yes"
        assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()


async def test_refusals_like_telegram() -> None:
    async with BotAPI() as api, Bot(TOKEN, base_url=api.base_url) as bot:
        camille = api.user("Camille")
        with pytest.raises(BadRequest, match="parse entities"):
            await bot.send_message(camille.id, "<b>open", parse_mode="HTML")
        with pytest.raises(BadRequest, match="too long"):
            await bot.send_message(camille.id, "x" * 4097)
        api.throttle(camille.id, retry_after=3)
        with pytest.raises(RetryAfter) as throttled:
            await bot.send_message(camille.id, "x")
        assert throttled.value.retry_after == 3
        api.block(camille.id)
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(camille.id, "x")
        assert [call.status for call in api.calls_to("sendMessage")] == [400, 400, 429, 403]
