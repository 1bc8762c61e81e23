"""``relais doctor``'s Telegram lines: the token accepted (getMe) and the webhook's state."""

from __future__ import annotations

from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError

from relais.doctor.checks import Check, failure, ok, warning
from relais.i18n import t
from relais.settings import Settings

DEFAULT_API = "https://api.telegram.org/bot"


async def doctor(settings: Settings) -> list[Check]:
    """getMe then getWebhookInfo, through the configured Bot API address."""
    if not settings.telegram_bot_token:
        return [warning("telegram", t("doctor.telegram_off"), t("doctor.telegram_off_todo"))]
    bot = Bot(settings.telegram_bot_token, base_url=settings.telegram_api_base_url or DEFAULT_API)
    try:
        me = await bot.get_me()
        info = await bot.get_webhook_info()
    except InvalidToken:
        return [
            failure("telegram", t("doctor.telegram_token_refused"), t("doctor.telegram_token_todo"))
        ]
    except NetworkError as error:
        return [
            failure(
                "telegram",
                t("doctor.telegram_unreachable", error=str(error)),
                t("doctor.telegram_unreachable_todo"),
            )
        ]
    except TelegramError as error:
        return [
            failure(
                "telegram",
                t("doctor.telegram_error", error=str(error)),
                t("doctor.telegram_token_todo"),
            )
        ]
    finally:
        await bot.shutdown()
    checks = [ok("telegram", t("doctor.telegram_ok", username=me.username or ""))]
    checks += _named_bot(settings, me.username or "")
    expected = settings.telegram_webhook_url
    if expected and info.url != expected:
        checks.append(
            failure(
                "webhook",
                t("doctor.webhook_missing", expected=expected, url=info.url or "—"),
                t("doctor.webhook_missing_todo"),
            )
        )
    elif expected and info.last_error_message:
        checks.append(
            warning(
                "webhook",
                t(
                    "doctor.webhook_error",
                    error=info.last_error_message,
                    pending=info.pending_update_count,
                ),
                t("doctor.webhook_error_todo"),
            )
        )
    elif expected:
        checks.append(
            ok("webhook", t("doctor.webhook_ok", url=expected, pending=info.pending_update_count))
        )
    elif info.url:
        checks.append(
            warning(
                "webhook",
                t("doctor.webhook_unexpected", url=info.url),
                t("doctor.webhook_unexpected_todo"),
            )
        )
    else:
        checks.append(ok("webhook", t("doctor.polling")))
    return checks


def _named_bot(settings: Settings, username: str) -> list[Check]:
    """Every « S'inscrire avec Telegram » link names TELEGRAM_BOT_USERNAME: it must be the
    bot of this token, or people are sent to somebody else's bot."""
    named = settings.telegram_bot_username.strip().lstrip("@")
    if not named:
        return [warning("bot_name", t("doctor.bot_name_missing"),
                        t("doctor.bot_name_missing_todo", username=username))]  # fmt: skip
    if named.lower() != username.lower():
        return [failure("bot_name", t("doctor.bot_name_wrong", named=named, username=username),
                        t("doctor.bot_name_wrong_todo", username=username))]  # fmt: skip
    return []
