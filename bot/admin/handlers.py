"""python-telegram-bot handlers of the admin tools, installed before the bot's own."""

from __future__ import annotations

from functools import cache
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import handlers as bot_handlers
from bot.admin import (
    broadcast,
    common,
    event_create,
    event_edit,
    invite,
    lists,
    menu,
    networks,
    registrations,
    today,
)
from bot.texts import Reply, say
from bot.work import in_thread

#: The admin tools' areas, each with its ``ROUTES`` (buttons) and ``STEPS`` (typed answers).
AREAS = (broadcast, event_create, event_edit, invite, lists, menu, networks, registrations, today)


@cache
def table() -> common.Registry:
    """Every area's buttons and typed steps, joined from :data:`AREAS` on first use."""
    return common.registry(
        (route for area in AREAS for route in area.ROUTES),
        (step for area in AREAS for step in area.STEPS),
    )


#: Slash command → route; none of them is listed in the public command menu.
COMMANDS = {
    "admin": "menu",
    "nouvel_evenement": "event_new",
    "nouveau_cycle": "cycle_new",
    "aujourdhui": "today",
    "diffuser": "broadcast",
    "reseaux": "networks",
}


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    name = update.message.text.split()[0][1:].split("@")[0].lower()
    actor = bot_handlers.actor_of(update)
    result = await in_thread(common.command, actor, name, COMMANDS[name], list(context.args or []))
    await common.show(update, context, result)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    result = await in_thread(common.dispatch, bot_handlers.actor_of(update), query.data or "")
    if result is None:
        await query.answer(say("stale_alert"))
        await bot_handlers.respond(update, context, [Reply(say("stale"))])
        return
    await query.answer()
    await common.show(update, context, result)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An answer at an admin step; anything else goes on to the bot's own conversation."""
    assert update.message is not None
    actor = bot_handlers.actor_of(update)
    result = await in_thread(common.answer_text, actor, update.message.text or "")
    if result is None:
        await bot_handlers.on_text(update, context)
        return
    await common.show(update, context, result)


def install(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler(list(COMMANDS), on_command))
    application.add_handler(CallbackQueryHandler(on_button, pattern=r"^a\."))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
