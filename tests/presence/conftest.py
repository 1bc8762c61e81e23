"""The bot fixtures (a running bot against the Bot API stand-in), shared with the bot's tests."""

from tests.bot.conftest import api, bot, bot_settings

__all__ = ["api", "bot", "bot_settings"]
